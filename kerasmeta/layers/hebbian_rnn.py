# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Neuromodulated plastic RNNs ("backpropamine", Miconi et al. 2019).

The recurrent weights are a fixed part w plus a plastic part, alpha times a
Hebbian trace that lives in the episode's state:

  h_t = tanh(W x_t + b + (w + alpha * Hebb_t)^T h_{t-1}),
  M_t = tanh(m . h_t + m_0) f + f_0,                      (the modulation)

with `*` elementwise, M_t a scalar neuromodulator fanned out to one value
per receiving unit j (Miconi's `modfanout`). The trace changes by

  simple:       Hebb_{t+1} = clip(Hebb_t + M_t[j] h_{t-1}[i] h_t[j], -2, 2),
  retroactive:  Hebb_{t+1} = clip(Hebb_t + M_t[j] E_t[i, j], -2, 2),
                E_{t+1} = (1 - eta) E_t + eta h_{t-1}[i] h_t[j],

the retroactive rule applying the modulation to an eligibility trace E
(Miconi 2019, section 3.3). W, b, w, alpha, m, f (and eta) are ordinary
weights trained by the actor-critic loss; Hebb and E start at zero in every
episode. Readings taken, from uber-research/backpropamine's simplemaze
(the simple rule): w and alpha start uniform in [0, 0.001), the clip is 2,
and the outer product pairs the previous state (row i) with the new one
(column j). The retroactive rule's code is not in that file; eta is a
learned scalar here, started at 0.1 (`trace_rate`).
"""

from __future__ import annotations

from typing import Any, Optional, Sequence, TYPE_CHECKING

import keras
import tensorflow as tf

if TYPE_CHECKING:
  from kerasmeta._typing import InputShape

MODULATIONS = ("simple", "retroactive")
CLIP = 2.0


@keras.saving.register_keras_serializable(package="kerasmeta")
class HebbianRNNCell(keras.layers.Layer):
  """One step of a plastic RNN: `[x_t, state] -> [h_t, new state]`.

  The state concatenates h (units), the flattened Hebbian trace (units^2)
  and, for retroactive modulation, the flattened eligibility trace
  (units^2).

  Args:
    units: the state size (100 in Miconi and WarpGrad).
    modulation: "simple" or "retroactive".
    trace_rate: eta's starting value (retroactive only).
    seed: seeds the initialisers (None: Keras' global seed).
  """

  def __init__(self, units: int = 100, modulation: str = "simple",
               trace_rate: float = 0.1, seed: Optional[int] = None,
               **kwargs: Any) -> None:
    super().__init__(**kwargs)
    if int(units) < 1:
      raise ValueError(f"units must be >= 1; received {units}.")
    if modulation not in MODULATIONS:
      raise ValueError(f"modulation must be one of {MODULATIONS}; received "
                       f"{modulation!r}.")
    if not 0.0 < float(trace_rate) <= 1.0:
      raise ValueError(f"trace_rate must be in (0, 1]; received "
                       f"{trace_rate}.")
    self.units, self.modulation = int(units), modulation
    self.trace_rate, self.seed = float(trace_rate), seed

  @property
  def state_size(self) -> int:
    traces = 2 if self.modulation == "retroactive" else 1
    return self.units + traces * self.units * self.units

  def build(self, input_shape: Sequence[Sequence[Any]]) -> None:
    inputs, units = int(input_shape[0][-1]), self.units
    seeded = lambda initializer, offset, **kw: initializer(
        seed=None if self.seed is None else self.seed + offset, **kw)
    small = lambda offset: seeded(keras.initializers.RandomUniform, offset,
                                  minval=0.0, maxval=0.001)
    self.input_kernel = self.add_weight(
        name="input_kernel", shape=(inputs, units),
        initializer=seeded(keras.initializers.GlorotUniform, 0))
    self.bias = self.add_weight(name="bias", shape=(units,),
                                initializer="zeros")
    self.recurrent_kernel = self.add_weight(
        name="recurrent_kernel", shape=(units, units), initializer=small(1))
    self.plasticity = self.add_weight(
        name="plasticity", shape=(units, units), initializer=small(2))
    self.modulator_kernel = self.add_weight(
        name="modulator_kernel", shape=(units, 1),
        initializer=seeded(keras.initializers.GlorotUniform, 3))
    self.modulator_bias = self.add_weight(
        name="modulator_bias", shape=(1,), initializer="zeros")
    self.fanout_kernel = self.add_weight(
        name="fanout_kernel", shape=(1, units),
        initializer=seeded(keras.initializers.GlorotUniform, 4))
    self.fanout_bias = self.add_weight(
        name="fanout_bias", shape=(units,), initializer="zeros")
    if self.modulation == "retroactive":
      self.trace_rate_weight = self.add_weight(
          name="trace_rate", shape=(),
          initializer=keras.initializers.Constant(self.trace_rate))

  def call(self, inputs: Sequence[tf.Tensor]) -> tuple[tf.Tensor, tf.Tensor]:
    x, state = inputs
    units = self.units
    square = units * units
    sizes = [units, square] + ([square] if self.modulation == "retroactive"
                               else [])
    parts = tf.split(state, sizes, axis=-1)
    h, hebb = parts[0], tf.reshape(parts[1], [-1, units, units])
    recurrent = self.recurrent_kernel + self.plasticity * hebb  # [b, i, j]
    h_new = tf.tanh(tf.matmul(x, self.input_kernel) + self.bias
                    + tf.einsum("bi,bij->bj", h, recurrent))
    modulation = (tf.tanh(tf.matmul(h_new, self.modulator_kernel)
                          + self.modulator_bias)
                  * self.fanout_kernel + self.fanout_bias)  # [b, j]
    outer = h[:, :, None] * h_new[:, None, :]
    if self.modulation == "simple":
      hebb = tf.clip_by_value(hebb + modulation[:, None, :] * outer,
                              -CLIP, CLIP)
      traces = [hebb]
    else:
      trace = tf.reshape(parts[2], [-1, units, units])
      hebb = tf.clip_by_value(hebb + modulation[:, None, :] * trace,
                              -CLIP, CLIP)
      eta = self.trace_rate_weight
      traces = [hebb, (1.0 - eta) * trace + eta * outer]
    flat = [tf.reshape(t, [-1, square]) for t in traces]
    return h_new, tf.concat([h_new] + flat, axis=-1)

  def compute_output_shape(
      self, input_shape: Sequence[InputShape]) -> tuple[InputShape, InputShape]:
    batch = input_shape[0][0]
    return (batch, self.units), (batch, self.state_size)

  def get_config(self) -> dict[str, Any]:
    return {**super().get_config(), "units": self.units,
            "modulation": self.modulation, "trace_rate": self.trace_rate,
            "seed": self.seed}
