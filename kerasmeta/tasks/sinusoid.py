# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Sinusoid regression tasks (MAML; Meta-SGD / MT-net protocol).

A task is `y = A sin(w x - b)` with A ~ U[0.1, 5], w ~ U[0.8, 1.2],
b ~ U[0, pi] and x ~ U[-5, 5] (Meta-SGD and MT-net), or with w = 1 (MAML).
Every task is a pure function of (seed, task index) through stateless RNG,
so a pipeline restarted at any step yields exactly the same tasks.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Optional, TYPE_CHECKING

import tensorflow as tf

from kerasmeta import sampling
from kerasmeta.tasks import curves

if TYPE_CHECKING:
  from kerasmeta._typing import Seed

VARIANTS = ("mtnet", "maml")


@dataclasses.dataclass(frozen=True)
class SinusoidTasks(curves.CurveTasks):
  """A distribution of sinusoid regression tasks.

  Attributes:
    shots: K, support points per task.
    num_query: query points per task (None: 10 for the MT-net protocol, K
      for the MAML one).
    variant: "mtnet" (w ~ U[0.8, 1.2], 10 query points) or "maml" (w = 1,
      K query points).
    amplitude_range, frequency_range, phase_range, input_range: the ranges
      of A, w, b and x.
  """
  shots: int = 10
  num_query: Optional[int] = None
  variant: str = "mtnet"
  amplitude_range: tuple = (0.1, 5.0)
  frequency_range: tuple = (0.8, 1.2)
  phase_range: tuple = (0.0, math.pi)
  input_range: tuple = (-5.0, 5.0)

  def __post_init__(self):
    if self.variant not in VARIANTS:
      raise ValueError(f"variant must be one of {VARIANTS}; received "
                       f"{self.variant!r}.")
    if int(self.shots) < 1:
      raise ValueError(f"shots must be >= 1; received {self.shots}.")
    if self.num_query is not None and int(self.num_query) < 1:
      raise ValueError(f"num_query must be >= 1; received {self.num_query}.")

  @property
  def query_size(self) -> int:
    if self.num_query is not None:
      return int(self.num_query)
    return 10 if self.variant == "mtnet" else int(self.shots)

  def parameters(self, seed: Seed) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
    """(amplitude, frequency, phase) of the task `sample(seed)` returns."""
    task_seed = sampling.split(seed, 2)[0]
    seeds = sampling.split(task_seed, 3)
    uniform = lambda s, r: sampling.uniform([], s, r[0], r[1])
    amplitude = uniform(seeds[0], self.amplitude_range)
    phase = uniform(seeds[1], self.phase_range)
    if self.variant == "maml":
      frequency = tf.constant(1.0)
    else:
      frequency = uniform(seeds[2], self.frequency_range)
    return amplitude, frequency, phase

  def function(self, seed: Seed, x: tf.Tensor) -> tf.Tensor:
    """The true curve of the task `sample(seed)` returns, at `x`."""
    amplitude, frequency, phase = self.parameters(seed)
    return amplitude * tf.sin(frequency * x - phase)
