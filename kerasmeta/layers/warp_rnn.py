# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""The Warp-RNN's step (WarpGrad, appendix I, eq. 16).

  h_t = tanh(U2_h V U1_h h_{t-1} + U2_x W U1_x x_t + U_b b),
  U = diag(tanh(P z_t)),

with W, V, b the task RNN's adapted weights and z_t the hidden state of a
meta-LSTM, whose weights and the projections P are warp (meta) weights,
frozen during task updates. The paper leaves the meta-LSTM's input and
size to Flennerhag et al. (2018); WarpGrad's maze code
(flennerhag/warpgrad, src/maze_navigation/run.py) uses that paper's aRNN
(flennerhag/alstm, arnn.py), whose LSTM reads [x_t, h_{t-1}] and has as
many units as the task RNN, and whose projections are `tanh(P z)` without
a bias. We read it the same way, with `meta_units` free (the maze configs:
100 for the paper's protocol, 32 for the CPU one), Glorot and orthogonal
initialisers, and the forget gates' bias started at 1 (the aRNN's LSTM is
PyTorch's, without that offset).

At that initialisation `tanh(P z_t)` is small (|U| ~ 0.1), so the warped
RNN starts with its pre-activations scaled by ~0.01 and learns little
until P grows. `projection_bias` (not in eq. 16 or the reference) adds a
learned bias to P z_t, started at the given value, so that U starts near
tanh(bias): 1.0 starts the warped RNN near the plain one.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence, TYPE_CHECKING

import keras
import tensorflow as tf

if TYPE_CHECKING:
  from kerasmeta._typing import InputShape


@keras.saving.register_keras_serializable(package="kerasmeta")
class WarpRNNCell(keras.layers.Layer):
  """One step of eq. 16: `[x_t, state] -> [h_t, new state]`.

  The state concatenates the task RNN's h (units), and the meta-LSTM's
  hidden z and cell c (meta_units each).

  Args:
    units: the task RNN's state size (100 in the paper).
    meta_units: the meta-LSTM's state size.
    seed: seeds the initialisers (None: Keras' global seed).
    projection_bias: None (eq. 16: U = diag(tanh(P z_t))), or the starting
      value of a learned bias c, U = diag(tanh(P z_t + c)), a warp weight.

  Input shape: `[[batch, inputs], [batch, units + 2 * meta_units]]`.
  Output shape: `[[batch, units], [batch, units + 2 * meta_units]]`.
  """

  def __init__(self, units: int = 100, meta_units: int = 32,
               seed: Optional[int] = None,
               projection_bias: Optional[float] = None, **kwargs: Any) -> None:
    super().__init__(**kwargs)
    self.seed = seed
    self.projection_bias = (None if projection_bias is None
                            else float(projection_bias))
    if int(units) < 1 or int(meta_units) < 1:
      raise ValueError(f"units and meta_units must be >= 1; received "
                       f"{units} and {meta_units}.")
    self.units, self.meta_units = int(units), int(meta_units)

  @property
  def state_size(self) -> int:
    return self.units + 2 * self.meta_units

  def build(self, input_shape: Sequence[Sequence[Any]]) -> None:
    inputs = int(input_shape[0][-1])
    self.inputs_size = inputs
    units, meta = self.units, self.meta_units
    offsets = iter(range(10))
    seeded = lambda initializer: initializer(
        seed=None if self.seed is None else self.seed + next(offsets))
    glorot = lambda: seeded(keras.initializers.GlorotUniform)
    self.input_kernel = self.add_weight(
        name="input_kernel", shape=(inputs, units), initializer=glorot())
    self.recurrent_kernel = self.add_weight(
        name="recurrent_kernel", shape=(units, units),
        initializer=seeded(keras.initializers.Orthogonal))
    self.bias = self.add_weight(name="bias", shape=(units,),
                                initializer="zeros")
    self.meta_kernel = self.add_weight(
        name="meta_kernel", shape=(inputs + units, 4 * meta),
        initializer=glorot())
    self.meta_recurrent_kernel = self.add_weight(
        name="meta_recurrent_kernel", shape=(meta, 4 * meta),
        initializer=seeded(keras.initializers.Orthogonal))
    self.meta_bias = self.add_weight(
        name="meta_bias", shape=(4 * meta,),
        initializer=keras.initializers.Constant(
            [0.0] * meta + [1.0] * meta + [0.0] * (2 * meta)))
    # P of U1_h, U2_h, U1_x, U2_x and U_b, side by side.
    self.projections = self.add_weight(
        name="projections", shape=(meta, 4 * units + inputs),
        initializer=glorot())
    self.projections_bias = None
    if self.projection_bias is not None:
      self.projections_bias = self.add_weight(
          name="projections_bias", shape=(4 * units + inputs,),
          initializer=keras.initializers.Constant(self.projection_bias))

  @property
  def meta_weights(self) -> list[keras.Variable]:
    """The warp: the meta-LSTM and the projections P (and their bias)."""
    weights = [self.meta_kernel, self.meta_recurrent_kernel, self.meta_bias,
               self.projections]
    return weights + ([self.projections_bias] if self.projections_bias
                      is not None else [])

  def call(self, inputs: Sequence[tf.Tensor]) -> tuple[tf.Tensor, tf.Tensor]:
    x, state = inputs
    units, meta = self.units, self.meta_units
    h, z, c = tf.split(state, [units, meta, meta], axis=-1)
    gates = (tf.matmul(tf.concat([x, h], -1), self.meta_kernel)
             + tf.matmul(z, self.meta_recurrent_kernel) + self.meta_bias)
    i, f, g, o = tf.split(gates, 4, axis=-1)
    c = tf.sigmoid(f) * c + tf.sigmoid(i) * tf.tanh(g)
    z = tf.sigmoid(o) * tf.tanh(c)
    projected = tf.matmul(z, self.projections)
    if self.projections_bias is not None:
      projected = projected + self.projections_bias
    u = tf.tanh(projected)
    u1_h, u2_h, u2_x, u_b, u1_x = tf.split(
        u, [units, units, units, units, self.inputs_size], axis=-1)
    h = tf.tanh(u2_h * tf.matmul(u1_h * h, self.recurrent_kernel)
                + u2_x * tf.matmul(u1_x * x, self.input_kernel)
                + u_b * self.bias)
    return h, tf.concat([h, z, c], axis=-1)

  def compute_output_shape(
      self, input_shape: Sequence[InputShape]) -> tuple[InputShape, InputShape]:
    batch = input_shape[0][0]
    return (batch, self.units), (batch, self.state_size)

  def get_config(self) -> dict[str, Any]:
    return {**super().get_config(), "units": self.units,
            "meta_units": self.meta_units, "seed": self.seed,
            "projection_bias": self.projection_bias}
