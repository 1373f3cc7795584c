# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""The T-Nets-RNN's step: linear warps of a basic RNN (WarpGrad, appendix I).

  h_t = tanh(T_h V h_{t-1} + T_x W x_t + T_b b),

with W, V, b the task RNN's adapted weights and T_h, T_x, T_b square
matrices that are meta (warp) weights: frozen during task updates and
trained with the Warp-RNN's meta-objective and algorithm (the paper: "we
cannot backpropagate to these meta-parameters as per the T-Nets (MAML)
framework"). It is the linear, input-independent counterpart of eq. 16's
`diag(tanh(P z_t))` warps.

The paper names T_b among the meta-learned projections and writes the
equation with a bare `+ b`; we take T_b as a linear map of b like the other
two. Every T starts at the identity (as T-net's), so an untrained
T-Nets-RNN is the plain RNN. In row-vector notation, as Keras computes it:
`h_t = tanh((h V) T_h + (x W) T_x + b T_b)`.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence, TYPE_CHECKING

import keras
import tensorflow as tf

if TYPE_CHECKING:
  from kerasmeta._typing import InputShape


@keras.saving.register_keras_serializable(package="kerasmeta")
class TNetRNNCell(keras.layers.Layer):
  """One step of the T-Nets-RNN: `[x_t, h_{t-1}] -> [h_t, h_t]`.

  Args:
    units: the RNN's state size (100 in the paper).
    seed: seeds the initialisers (None: Keras' global seed).

  Input shape: `[[batch, inputs], [batch, units]]`.
  Output shape: `[[batch, units], [batch, units]]`.
  """

  def __init__(self, units: int = 100, seed: Optional[int] = None,
               **kwargs: Any) -> None:
    super().__init__(**kwargs)
    if int(units) < 1:
      raise ValueError(f"units must be >= 1; received {units}.")
    self.units = int(units)
    self.seed = seed

  @property
  def state_size(self) -> int:
    return self.units

  def build(self, input_shape: Sequence[Sequence[Any]]) -> None:
    inputs, units = int(input_shape[0][-1]), self.units
    seeded = lambda initializer, offset: initializer(
        seed=None if self.seed is None else self.seed + offset)
    self.input_kernel = self.add_weight(
        name="input_kernel", shape=(inputs, units),
        initializer=seeded(keras.initializers.GlorotUniform, 0))
    self.recurrent_kernel = self.add_weight(
        name="recurrent_kernel", shape=(units, units),
        initializer=seeded(keras.initializers.Orthogonal, 1))
    self.bias = self.add_weight(name="bias", shape=(units,),
                                initializer="zeros")
    identity = keras.initializers.Identity()
    self.recurrent_transform = self.add_weight(
        name="recurrent_transform", shape=(units, units), initializer=identity)
    self.input_transform = self.add_weight(
        name="input_transform", shape=(units, units), initializer=identity)
    self.bias_transform = self.add_weight(
        name="bias_transform", shape=(units, units), initializer=identity)

  @property
  def meta_weights(self) -> list[keras.Variable]:
    """The linear warps T_h, T_x and T_b."""
    return [self.recurrent_transform, self.input_transform,
            self.bias_transform]

  def call(self, inputs: Sequence[tf.Tensor]) -> tuple[tf.Tensor, tf.Tensor]:
    x, h = inputs
    recurrent = tf.matmul(tf.matmul(h, self.recurrent_kernel),
                          self.recurrent_transform)
    incoming = tf.matmul(tf.matmul(x, self.input_kernel),
                         self.input_transform)
    bias = tf.linalg.matvec(self.bias_transform, self.bias, transpose_a=True)
    h = tf.tanh(recurrent + incoming + bias)
    return h, h

  def compute_output_shape(
      self, input_shape: Sequence[InputShape]) -> tuple[InputShape, InputShape]:
    batch = input_shape[0][0]
    return (batch, self.units), (batch, self.units)

  def get_config(self) -> dict[str, Any]:
    return {**super().get_config(), "units": self.units, "seed": self.seed}
