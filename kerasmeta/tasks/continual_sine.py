# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Continual sine regression (WarpGrad appendix J).

The input interval [-5, 5] is split into T = 5 consecutive sub-intervals,
one sub-task each, presented one at a time (left to right during
meta-training): n = 20 SGD steps per sub-task on batches of 5 points drawn
from its sub-interval only, K = T n steps in all. A task sequence's target
mixes two sines with a sigmoid gate (eq. 17):

  f(x) = s(x + o) a1 sin(x - b1) + (1 - s(x + o)) a2 sin(x - b2),

a_i ~ U[0.1, 5], b_i ~ U[0, pi], o ~ U[-5, 5]. Each sub-task also has
held-out validation points, on which the meta-objective (eq. 19) and the
forgetting evaluation measure it.
"""

from __future__ import annotations

import collections
import dataclasses
import math
from typing import Optional, TYPE_CHECKING

import tensorflow as tf

from kerasmeta import sampling
from kerasmeta.tasks import base

if TYPE_CHECKING:
  from kerasmeta._typing import Seed

TaskSequence = collections.namedtuple(
    "TaskSequence", ["train_x", "train_y", "val_x", "val_y"])
TaskSequence.__doc__ = """One task sequence.

Attributes:
  train_x, train_y: [K, batch, 1]: the batch of step k (sub-task k // n).
  val_x, val_y: [T, num_validation, 1]: validation points of the t-th
    sub-task presented.
"""


@dataclasses.dataclass(frozen=True)
class ContinualSineTasks(base.TaskStream):
  """Task sequences of the continual sine experiment.

  Attributes:
    num_subtasks: T.
    steps_per_subtask: n.
    batch_size: points per step.
    num_validation: validation points per sub-task.
    order: the order the sub-intervals (0 = leftmost) are presented in;
      None is left to right.
  """
  num_subtasks: int = 5
  steps_per_subtask: int = 20
  batch_size: int = 5
  num_validation: int = 10
  order: Optional[tuple] = None
  input_range: tuple = (-5.0, 5.0)
  amplitude_range: tuple = (0.1, 5.0)
  phase_range: tuple = (0.0, math.pi)
  offset_range: tuple = (-5.0, 5.0)

  def __post_init__(self):
    for field in ("num_subtasks", "steps_per_subtask", "batch_size",
                  "num_validation"):
      if int(getattr(self, field)) < 1:
        raise ValueError(f"{field} must be >= 1; received "
                         f"{getattr(self, field)}.")
    if self.order is not None and sorted(self.order) != list(
        range(self.num_subtasks)):
      raise ValueError(f"order must be a permutation of 0..{self.num_subtasks - 1}; "
                       f"received {self.order}.")

  @property
  def num_steps(self) -> int:
    """K = T n."""
    return self.num_subtasks * self.steps_per_subtask

  @property
  def presentation(self) -> tuple[int, ...]:
    return tuple(self.order) if self.order is not None else tuple(
        range(self.num_subtasks))

  def subinterval(self, index: int) -> tuple[float, float]:
    low, high = self.input_range
    width = (high - low) / self.num_subtasks
    return low + index * width, low + (index + 1) * width

  def parameters(self, seed: Seed) -> tuple[tf.Tensor, ...]:
    """(a1, b1, a2, b2, o) of the sequence `sample(seed)` returns."""
    seeds = sampling.split(
        sampling.split(seed, 2)[0], 5)
    uniform = lambda s, r: sampling.uniform([], s, r[0], r[1])
    return (uniform(seeds[0], self.amplitude_range),
            uniform(seeds[1], self.phase_range),
            uniform(seeds[2], self.amplitude_range),
            uniform(seeds[3], self.phase_range),
            uniform(seeds[4], self.offset_range))

  def function(self, seed: Seed, x: tf.Tensor) -> tf.Tensor:
    """The target f of sequence `sample(seed)` at `x` (eq. 17)."""
    a1, b1, a2, b2, offset = self.parameters(seed)
    gate = tf.sigmoid(x + offset)
    return gate * a1 * tf.sin(x - b1) + (1 - gate) * a2 * tf.sin(x - b2)

  def _inputs(self, seed, shape_per_subtask, repeats):
    """Uniform points from each presented sub-interval, in order."""
    parts = []
    seeds = sampling.split(seed, self.num_subtasks)
    for position, interval in enumerate(self.presentation):
      # Seeded by the sub-interval, so a different order shows the same
      # sub-task data in another order.
      low, high = self.subinterval(interval)
      parts.append(sampling.uniform([repeats] + shape_per_subtask,
                                    seeds[interval], low, high))
      del position
    return tf.concat(parts, 0)

  def sample(self, seed: Seed) -> TaskSequence:
    """One `TaskSequence`."""
    seed = tf.convert_to_tensor(seed)
    train_seed, val_seed = tf.unstack(
        sampling.split(
            sampling.split(seed, 2)[1], 2))
    train_x = self._inputs(train_seed, [self.batch_size, 1],
                           self.steps_per_subtask)
    val_x = self._inputs(val_seed, [self.num_validation, 1], 1)
    return TaskSequence(train_x, self.function(seed, train_x), val_x,
                        self.function(seed, val_x))


