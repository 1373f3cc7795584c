# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Synthetic 2-D loss surfaces (WarpGrad appendix D).

A task is a surface

  f(x1, x2) = b1 (a1 - x1)^2 exp(-x1^2 - (x2 + a2)^2)
            - b2 (x1 / s - x1^3 - x2^5) exp(-x1^2 - x2^2)
            - b3 exp(-(x1 + a3)^2 - x2^2)

with s ~ Cat(1..10), a_i ~ Cat(-1, 0, 1), b_i ~ Cat(-5..5), and a learner
minimises it from initialisations x ~ U(-3, 3)^2. Surfaces share a
structure (a "peaks" function) but differ in scale, shift and sign.
Every surface is a pure function of (seed, index), as for the other tasks.
"""

from __future__ import annotations

import collections
import dataclasses
from typing import TYPE_CHECKING

import tensorflow as tf

from kerasmeta import sampling
from kerasmeta.tasks import base

if TYPE_CHECKING:
  from kerasmeta._typing import Seed, TensorLike

Surface = collections.namedtuple("Surface", ["a", "b", "s", "inits"])
Surface.__doc__ = """One surface and its initialisations.

Attributes:
  a: [..., 3] shifts in {-1, 0, 1}.
  b: [..., 3] scales in {-5, ..., 5}.
  s: [...] in {1, ..., 10}.
  inits: [..., inits, 2] starting points in [-3, 3]^2.
"""


def surface_value(surface: Surface, x: TensorLike) -> tf.Tensor:
  """f(x) for points `x` [..., points, 2] on `surface` (unbatched)."""
  a, b, s = surface.a, surface.b, surface.s
  x = tf.convert_to_tensor(x)
  a, b, s = (tf.cast(v, x.dtype) for v in (a, b, s))
  x1, x2 = x[..., 0], x[..., 1]
  return (b[0] * tf.square(a[0] - x1) * tf.exp(-x1**2 - (x2 + a[1])**2)
          - b[1] * (x1 / s - x1**3 - x2**5) * tf.exp(-x1**2 - x2**2)
          - b[2] * tf.exp(-(x1 + a[2])**2 - x2**2))


@dataclasses.dataclass(frozen=True)
class SurfaceTasks(base.TaskStream):
  """Random surfaces with `num_inits` initialisations each."""
  num_inits: int = 10
  init_range: float = 3.0

  def __post_init__(self):
    if int(self.num_inits) < 1:
      raise ValueError(f"num_inits must be >= 1; received {self.num_inits}.")

  def sample(self, seed: Seed) -> Surface:
    seeds = sampling.split(
        tf.convert_to_tensor(seed), 4)
    categorical = lambda s, low, high, shape: sampling.uniform(
        shape, s, low, high + 1, dtype=tf.int32)
    a = tf.cast(categorical(seeds[0], -1, 1, [3]), tf.float32)
    b = tf.cast(categorical(seeds[1], -5, 5, [3]), tf.float32)
    s = tf.cast(categorical(seeds[2], 1, 10, []), tf.float32)
    inits = sampling.uniform([self.num_inits, 2], seeds[3],
                             -self.init_range, self.init_range)
    return Surface(a, b, s, inits)


