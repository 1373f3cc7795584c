# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""The hand-designed optimisers learned optimisers are compared with.

Transforms of `inner.transforms`' kind, so that a baseline runs through the
same inner loop as the learned optimiser; each gives the same updates as
the Keras optimiser of the same name (tested):

  nesterov(momentum)           keras.optimizers.SGD(nesterov=True)
  scale_by_rms(decay, eps)     keras.optimizers.RMSprop (before the rate)
  scale_by_adam(b1, b2, eps)   keras.optimizers.Adam (before the rate)

Chain each with `scale_by_learning_rate` (or use `classic_optimizer`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import tensorflow as tf

from kerasmeta.inner import transforms

if TYPE_CHECKING:
  from kerasmeta._typing import Scalar

CLASSIC = ("sgd", "nesterov", "rmsprop", "adam")


def nesterov(momentum: Scalar = 0.9) -> transforms.GradientTransform:
  """`v <- mu v + g`, passing on `g + mu v` (Nesterov's look-ahead)."""
  def init(params):
    return [tf.zeros_like(p) for p in params]

  def update(grads, velocities, params=None):
    new = [momentum * v + g for v, g in zip(velocities, grads)]
    return [g + momentum * v for g, v in zip(grads, new)], new
  return transforms.GradientTransform(init, update)


def scale_by_rms(decay: Scalar = 0.9,
                 epsilon: float = 1e-7) -> transforms.GradientTransform:
  """`s <- decay s + (1 - decay) g^2`, passing on `g / sqrt(s + eps)`."""
  def init(params):
    return [tf.zeros_like(p) for p in params]

  def update(grads, squares, params=None):
    new = [decay * s + (1 - decay) * tf.square(g)
           for s, g in zip(squares, grads)]
    return [g / tf.sqrt(s + epsilon) for g, s in zip(grads, new)], new
  return transforms.GradientTransform(init, update)


def scale_by_adam(beta_1: Scalar = 0.9, beta_2: Scalar = 0.999,
                  epsilon: float = 1e-7) -> transforms.GradientTransform:
  """Adam's direction as Keras (and TF1) compute it:
  `sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)`."""
  def init(params):
    return {"step": tf.constant(0.0),
            "m": [tf.zeros_like(p) for p in params],
            "v": [tf.zeros_like(p) for p in params]}

  def update(grads, state, params=None):
    step = state["step"] + 1.0
    m = [beta_1 * a + (1 - beta_1) * g for a, g in zip(state["m"], grads)]
    v = [beta_2 * a + (1 - beta_2) * tf.square(g)
         for a, g in zip(state["v"], grads)]
    correction = tf.sqrt(1 - beta_2 ** step) / (1 - beta_1 ** step)
    out = [tf.cast(correction, a.dtype) * a / (tf.sqrt(b) + epsilon)
           for a, b in zip(m, v)]
    return out, {"step": step, "m": m, "v": v}
  return transforms.GradientTransform(init, update)


def classic_optimizer(name: str,
                      learning_rate: Scalar) -> transforms.GradientTransform:
  """A baseline by name (`CLASSIC`), its learning rate applied."""
  directions = {"sgd": None, "nesterov": nesterov(),
                "rmsprop": scale_by_rms(), "adam": scale_by_adam()}
  if name not in directions:
    raise ValueError(f"Unknown optimiser {name!r}; expected one of "
                     f"{CLASSIC}.")
  return transforms.chain(directions[name],
                          transforms.scale_by_learning_rate(learning_rate))
