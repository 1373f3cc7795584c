# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""The coordinate-wise LSTM optimiser m (Andrychowicz et al. 2016, sec. 2).

`[g_t, h_{t+1}] = m(grad_t, h_t, phi)`: a two-layer LSTM whose weights phi
are shared by every coordinate of every parameter, while each coordinate
keeps its own hidden state, so the update of a coordinate depends on its
own gradient history alone and not on the parameters' order (figure 3).
Each gradient coordinate is a row of the LSTM's batch.
"""

from __future__ import annotations

import math
from typing import Any, Optional, Sequence, TYPE_CHECKING

import keras
import tensorflow as tf

if TYPE_CHECKING:
  from kerasmeta._typing import InputShape, IntLike, Nest


def log_and_sign(gradients: tf.Tensor, p: float = 10.0) -> tf.Tensor:
  """The paper's gradient preprocessing (appendix A), two inputs per entry:

    (log|g| / p, sign(g))   if |g| >= exp(-p)
    (-1, exp(p) g)          otherwise

  written as `(max(log|g| / p, -1), clip(exp(p) g, -1, 1))`, which is the
  same function (the authors' code's form), finite at g = 0.

  Args:
    gradients: `[n]`.
    p: the paper's p (> 0).

  Returns:
    `[n, 2]`.
  """
  tiny = tf.constant(1e-37 if gradients.dtype == tf.float32 else 1e-300,
                     gradients.dtype)
  magnitude = tf.maximum(tf.math.log(tf.abs(gradients) + tiny) / p, -1.0)
  sign = tf.clip_by_value(gradients * math.exp(p), -1.0, 1.0)
  return tf.stack([magnitude, sign], axis=-1)


@keras.saving.register_keras_serializable(package="kerasmeta")
class CoordinatewiseLSTM(keras.layers.Layer):
  """m: LSTM layers over each gradient coordinate, then a linear output.

  The defaults are the authors' code's default optimiser (deepmind/
  learning-to-learn `util.get_default_net_config`, its MNIST and CIFAR
  one) with the paper's p = 10 (the code's 5 hides the sign of gradients
  below e^-5, which `LearningToLearn`'s docstring measures); its
  quadratics feed the raw gradient (`preprocess=None`, `output_scale=1`,
  `gradient_scale=1/128`).

  Args:
    units: the LSTM layers' sizes (the paper: two of 20).
    preprocess: "log_and_sign" (appendix A) or None (the raw gradient; ""
      alike, as a command line writes it).
    p: the preprocessing's p (the paper: 10; the authors' code: 5).
    output_scale: multiplies the linear output (the authors' code: 1.0 on
      quadratics, 0.01 on MNIST and CIFAR).
    gradient_scale: multiplies the gradients before the preprocessing (1;
      the authors' quadratics feed the gradient of a loss averaged over 128
      problems, each problem's own gradient times 1/128).

  Call: `layer(gradients [n], states) -> (updates [n], new states)`, the
    states as `initial_state(n)` gives them: `[h, c]` of each layer,
    `[n, units]` each.
  """

  def __init__(self, units: Sequence[int] = (20, 20),
               preprocess: Optional[str] = "log_and_sign", p: float = 10.0,
               output_scale: float = 0.01, gradient_scale: float = 1.0,
               **kwargs: Any) -> None:
    super().__init__(**kwargs)
    self.units = tuple(int(u) for u in units)
    if not self.units or min(self.units) < 1:
      raise ValueError(f"units must be a non-empty list of sizes >= 1; "
                       f"received {units!r}.")
    if preprocess not in ("log_and_sign", None, ""):
      raise ValueError(f"preprocess must be 'log_and_sign' or None; "
                       f"received {preprocess!r}.")
    preprocess = preprocess or None
    for name, value in (("p", p), ("output_scale", output_scale),
                        ("gradient_scale", gradient_scale)):
      if not (isinstance(value, (int, float)) and not isinstance(value, bool)
              and math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be finite and > 0; received "
                         f"{value!r}.")
    self.preprocess, self.p = preprocess, float(p)
    self.output_scale = float(output_scale)
    self.gradient_scale = float(gradient_scale)
    # One attribute per cell: tf.train.Checkpoint does not look inside the
    # lists Keras tracks.
    for index, size in enumerate(self.units):
      setattr(self, f"lstm_{index}", keras.layers.LSTMCell(
          size, dtype=self.dtype_policy, name=f"lstm_{index}"))
    self.output_layer = keras.layers.Dense(1, dtype=self.dtype_policy,
                                           name="output")

  @property
  def cells(self) -> list[keras.layers.LSTMCell]:
    return [getattr(self, f"lstm_{i}") for i in range(len(self.units))]

  @property
  def input_size(self) -> int:
    return 2 if self.preprocess else 1

  def build(self, input_shape: Optional[InputShape] = None) -> None:
    del input_shape
    size = self.input_size
    for cell in self.cells:
      cell.build((None, size))
      size = cell.units
    self.output_layer.build((None, size))

  def initial_state(self, count: IntLike,
                    dtype: Optional[tf.DType] = None) -> list[list[tf.Tensor]]:
    """Zero states for `count` coordinates."""
    dtype = dtype or self.compute_dtype
    return [[tf.zeros([count, units], dtype), tf.zeros([count, units], dtype)]
            for units in self.units]

  def call(self, gradients: tf.Tensor,
           states: Nest) -> tuple[tf.Tensor, list[list[tf.Tensor]]]:
    gradients = tf.cast(gradients, self.compute_dtype)
    if self.gradient_scale != 1.0:
      gradients = gradients * self.gradient_scale
    inputs = log_and_sign(gradients, self.p) if self.preprocess else \
        gradients[:, tf.newaxis]
    new_states = []
    for cell, state in zip(self.cells, states):
      inputs, state = cell(inputs, list(state))
      new_states.append(list(state))
    updates = self.output_layer(inputs)[:, 0] * self.output_scale
    return updates, new_states

  def get_config(self) -> dict[str, Any]:
    return {**super().get_config(), "units": list(self.units),
            "preprocess": self.preprocess, "p": self.p,
            "output_scale": self.output_scale,
            "gradient_scale": self.gradient_scale}
