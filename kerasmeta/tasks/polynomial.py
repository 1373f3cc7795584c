# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Polynomial regression tasks (MT-net, Lee & Choi 2018, task complexity).

The MT-net paper measures the subspace an MT-net learns to adapt in against
the complexity of the tasks: polynomials of order n = 0, 1, 2. As in the
reference code (yoonholee/MT-net, poly_generator.py), a task is

  y = sum_{i=0}^{n} c_i x^i,  c_i = u_i / 2^i,  u_i ~ U[-1, 1],

with inputs x ~ U[-2, 2] and K = 10 support plus 10 query points. Dividing
c_i by 2^i bounds every term |c_i x^i| by 1 on [-2, 2], so the orders differ
in shape, not in scale. Every task is a pure function of (seed, task index)
through stateless RNG, as the sinusoids are.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import tensorflow as tf

from kerasmeta import sampling
from kerasmeta.tasks import curves

if TYPE_CHECKING:
  from kerasmeta._typing import Seed


@dataclasses.dataclass(frozen=True)
class PolynomialTasks(curves.CurveTasks):
  """A distribution of polynomial regression tasks of one order.

  Attributes:
    shots: K, support points per task.
    num_query: query points per task.
    order: n, the polynomial's order (n + 1 coefficients).
    coefficient_range: the range of u_i (c_i = u_i / 2^i).
    input_range: the range of x.
  """
  shots: int = 10
  num_query: int = 10
  order: int = 1
  coefficient_range: tuple = (-1.0, 1.0)
  input_range: tuple = (-2.0, 2.0)

  def __post_init__(self):
    for name, minimum in (("shots", 1), ("num_query", 1), ("order", 0)):
      value = getattr(self, name)
      if int(value) != value or int(value) < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; received "
                         f"{value!r}.")

  @property
  def query_size(self) -> int:
    return int(self.num_query)

  def coefficients(self, seed: Seed) -> tf.Tensor:
    """c_0 ... c_n of the task `sample(seed)` returns, float32 [n + 1]."""
    task_seed = sampling.split(seed, 2)[0]
    low, high = self.coefficient_range
    draws = sampling.uniform([self.order + 1], task_seed, low, high)
    scales = 2.0 ** -tf.range(self.order + 1, dtype=tf.float32)
    return draws * scales

  def function(self, seed: Seed, x: tf.Tensor) -> tf.Tensor:
    """The task's polynomial at `x` (Horner's rule)."""
    coefficients = self.coefficients(seed)
    y = tf.zeros_like(x)
    for i in reversed(range(self.order + 1)):
      y = y * x + coefficients[i]
    return y
