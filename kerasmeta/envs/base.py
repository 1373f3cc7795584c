# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""The interface a reinforcement-learning environment implements.

An environment here is TensorFlow code, batched over the episodes of one
task: `reset` and `step` take and return tensors with a leading episode
axis, so that a whole rollout (`kerasmeta.rl.rollout`) is one bounded loop
in the graph, with no Python step loop. A task is a tensor of parameters
(the goal of a navigation task) drawn by `sample_task` from a stateless
seed, so task streams are pure functions of (seed, index) like every other
task distribution, and a run restarted at step n sees the tasks an
uninterrupted one saw.

A new environment implements `sample_task`, `reset`, `observe` and
`step` (and its three sizes); `kerasmeta.envs.Bandit`, twenty lines, is a
complete one.
"""

from __future__ import annotations

import abc
import collections
from typing import Any, TYPE_CHECKING

import tensorflow as tf

from kerasmeta.tasks import base as tasks_base

if TYPE_CHECKING:
  from kerasmeta._typing import IntLike, Nest, Seed

EnvironmentTask = collections.namedtuple("EnvironmentTask", ["parameters"])
EnvironmentTask.__doc__ = """A reinforcement-learning task (or a batch of them).

Attributes:
  parameters: what the environment needs to know of the task, e.g. a goal,
    [(tasks,) task_size].
"""


class Environment(abc.ABC):
  """A task-parameterised environment, batched over episodes.

  Attributes:
    observation_size: the length of an observation vector.
    action_size: the length of an action vector.
    horizon: steps per episode.
  """

  # None here; every environment sets them (positive ints: `check`).
  observation_size: Any = None
  action_size: Any = None
  horizon: Any = None

  @abc.abstractmethod
  def sample_task(self, seed: Seed) -> tf.Tensor:
    """A task's parameters (float32 [task_size]) from a stateless seed."""

  @abc.abstractmethod
  def reset(self, task: tf.Tensor, num_episodes: IntLike, seed: Seed) -> Nest:
    """The state of `num_episodes` new episodes of `task` (a nest of
    tensors with a leading episode axis)."""

  @abc.abstractmethod
  def observe(self, task: tf.Tensor, state: Nest) -> tf.Tensor:
    """What the agent sees: float32 [episodes, observation_size]."""

  @abc.abstractmethod
  def step(self, task: tf.Tensor, state: Nest, action: tf.Tensor,
           seed: Seed) -> tuple[Nest, tf.Tensor, tf.Tensor]:
    """Applies `action` [episodes, action_size] (as the policy sampled it;
    the environment clips or scales it).

    Returns:
      `(new state, reward [episodes], done [episodes] bool)`: an episode
      that is done receives nothing more (`rollout` masks its later steps).
    """

  def check(self) -> Environment:
    """Raises a ValueError naming a size that is not a positive int."""
    for name in ("observation_size", "action_size", "horizon"):
      value = getattr(self, name)
      if not isinstance(value, int) or value < 1:
        raise ValueError(f"{type(self).__name__}.{name} must be a positive "
                         f"int; received {value!r}.")
    return self


class EnvironmentTasks(tasks_base.TaskStream):
  """The task stream of an environment: batches of `EnvironmentTask`s.

  Args:
    environment: an `Environment`.
  """

  def __init__(self, environment: Environment) -> None:
    if not isinstance(environment, Environment):
      raise TypeError(f"Expected a kerasmeta Environment; received "
                      f"{type(environment).__name__}.")
    self.environment = environment.check()

  def sample(self, seed: Seed) -> EnvironmentTask:
    return EnvironmentTask(
        tf.cast(self.environment.sample_task(seed), tf.float32))
