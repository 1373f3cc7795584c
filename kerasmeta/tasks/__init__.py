# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Task distributions."""

from kerasmeta.tasks import alphabets
from kerasmeta.tasks import continual_sine
from kerasmeta.tasks import glyphs
from kerasmeta.tasks import image_folder
from kerasmeta.tasks import omniglot
from kerasmeta.tasks import optimizees
from kerasmeta.tasks import polynomial
from kerasmeta.tasks import surfaces
from kerasmeta.tasks.base import EvaluationTasks
from kerasmeta.tasks.base import RepeatedBatches
from kerasmeta.tasks.base import Task
from kerasmeta.tasks.base import TaskStream
from kerasmeta.tasks.base import task_from_points
from kerasmeta.tasks.base import validate_task
from kerasmeta.tasks.embeddings import EmbeddingTasks
from kerasmeta.tasks.episodes import EpisodeSampler
from kerasmeta.tasks.optimizees import MLPProblems
from kerasmeta.tasks.optimizees import QuadraticProblems
from kerasmeta.tasks.polynomial import PolynomialTasks
from kerasmeta.tasks.sinusoid import SinusoidTasks
from kerasmeta.tasks.surfaces import SurfaceTasks
from kerasmeta.tasks.continual_sine import ContinualSineTasks
from kerasmeta.tasks.continual_sine import TaskSequence
from kerasmeta.tasks.alphabets import AlphabetTasks

__all__ = [
    "AlphabetTasks", "ContinualSineTasks", "EmbeddingTasks", "EpisodeSampler",
    "EvaluationTasks", "MLPProblems", "PolynomialTasks", "QuadraticProblems",
    "RepeatedBatches", "SinusoidTasks", "SurfaceTasks", "Task",
    "task_from_points", "TaskSequence", "TaskStream", "validate_task"]
