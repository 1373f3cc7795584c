# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""A Gaussian bandit: the smallest complete environment.

A task is a target g in [-1, 1]^action_size; each step's reward is
-||a - g||^2 for the action a, unclipped, and an episode is `horizon`
independent pulls. With a Gaussian policy its expected return and the
meta-gradients of one inner step have closed forms (the tests of
`PolicyGradientMAML` check the estimators against them, over one pull and
over several, where discounting and per-step averaging matter).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import tensorflow as tf

from kerasmeta import sampling
from kerasmeta.envs import base

if TYPE_CHECKING:
  from kerasmeta._typing import IntLike, Seed


class Bandit(base.Environment):
  """-||a - g||^2 for a target g drawn per task.

  Args:
    action_size: the length of actions and targets.
    horizon: pulls per episode (1: a one-step bandit).
  """

  observation_size = 1

  def __init__(self, action_size: int = 1, horizon: int = 1) -> None:
    self.action_size = int(action_size)
    self.horizon = int(horizon)

  def sample_task(self, seed: Seed) -> tf.Tensor:
    return sampling.uniform([self.action_size], seed, -1.0, 1.0)

  def reset(self, task: tf.Tensor, num_episodes: IntLike,
            seed: Seed) -> tf.Tensor:
    return tf.zeros([num_episodes, 1])  # nothing to see

  def observe(self, task: tf.Tensor, state: tf.Tensor) -> tf.Tensor:
    return state

  def step(self, task: tf.Tensor, state: tf.Tensor, action: tf.Tensor,
           seed: Seed) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
    reward = -tf.reduce_sum(tf.square(action - task), axis=-1)
    return state, reward, tf.zeros_like(reward, tf.bool)
