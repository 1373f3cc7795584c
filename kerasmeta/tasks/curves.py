# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Regression on random curves: what sinusoid and polynomial tasks share."""

from __future__ import annotations

from typing import TYPE_CHECKING

import tensorflow as tf

from kerasmeta import sampling
from kerasmeta.tasks import base
from kerasmeta.tasks.base import Task

if TYPE_CHECKING:
  from kerasmeta._typing import Seed


class CurveTasks(base.TaskStream):
  """A distribution of 1-D regression tasks, one random curve each.

  A subclass (a frozen dataclass) gives `shots`, `query_size`,
  `input_range` and `function(seed, x)`, the task's curve drawn from the
  first half of its seed; the inputs come from the second half, so a
  task is a pure function of its seed.
  """

  if TYPE_CHECKING:  # given by the subclass
    shots: int
    input_range: tuple

    @property
    def query_size(self) -> int: ...

  def function(self, seed: Seed, x: tf.Tensor) -> tf.Tensor:
    """The true curve of the task `sample(seed)` returns, at `x`."""
    raise NotImplementedError

  def sample(self, seed: Seed) -> Task:
    """One `Task` with support [K, 1] and query [Q, 1] tensors."""
    seed = tf.convert_to_tensor(seed)
    input_seed = sampling.split(seed, 2)[1]
    x = sampling.uniform([self.shots + self.query_size, 1], input_seed,
                         self.input_range[0], self.input_range[1])
    y = self.function(seed, x)
    return Task(x[:self.shots], y[:self.shots], x[self.shots:],
                y[self.shots:])

  def evaluation_tasks(self, num_tasks: int,
                       seed: Seed) -> base.EvaluationTasks:
    """A fixed set of held-out tasks, `base.EvaluationTasks`.

    `extras["data_seeds"][i]` gives task i's true curve through
    `function` (and the curve's parameters through the subclass's own
    accessor).
    """
    return base.evaluation_batch_with_data_seeds(self.sample, seed,
                                                 num_tasks)
