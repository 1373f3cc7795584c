# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Reinforcement-learning environments as TensorFlow code."""

from kerasmeta.envs.bandit import Bandit
from kerasmeta.envs.base import Environment
from kerasmeta.envs.base import EnvironmentTask
from kerasmeta.envs.base import EnvironmentTasks
from kerasmeta.envs.maze import Maze
from kerasmeta.envs.navigation import Navigation2D

__all__ = ["Bandit", "Environment", "EnvironmentTask", "EnvironmentTasks",
           "Maze", "Navigation2D"]
