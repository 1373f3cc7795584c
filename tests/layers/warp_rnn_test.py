# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""The Warp-RNN step (WarpGrad eq. 16) against a hand-written forward."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from kerasmeta import functional
from kerasmeta.layers import warp_rnn


def _sigmoid(x):
  return 1 / (1 + np.exp(-x))


def test_step_is_equation_16_with_a_meta_lstm():
  keras.utils.set_random_seed(0)
  cell = warp_rnn.WarpRNNCell(units=3, meta_units=2)
  rng = np.random.default_rng(0)
  x = rng.normal(size=(4, 5)).astype(np.float32)
  state = rng.normal(size=(4, 7)).astype(np.float32)
  h_new, new_state = cell([tf.constant(x), tf.constant(state)])
  for w in cell.weights:  # nonzero biases, so that every term is checked
    w.assign(rng.normal(size=w.shape).astype(np.float32) * 0.5)
  h_new, new_state = cell([tf.constant(x), tf.constant(state)])
  W, V, b = (cell.input_kernel.numpy(), cell.recurrent_kernel.numpy(),
             cell.bias.numpy())
  h, z, c = state[:, :3], state[:, 3:5], state[:, 5:]
  gates = (np.concatenate([x, h], 1) @ cell.meta_kernel.numpy()
           + z @ cell.meta_recurrent_kernel.numpy() + cell.meta_bias.numpy())
  i, f, g, o = np.split(gates, 4, axis=1)
  c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
  z = _sigmoid(o) * np.tanh(c)
  u = np.tanh(z @ cell.projections.numpy())
  u1_h, u2_h, u2_x, u_b, u1_x = (u[:, :3], u[:, 3:6], u[:, 6:9], u[:, 9:12],
                                 u[:, 12:])
  want = np.tanh(u2_h * ((u1_h * h) @ V) + u2_x * ((u1_x * x) @ W)
                 + u_b * b)
  np.testing.assert_allclose(h_new.numpy(), want, rtol=1e-5, atol=1e-6)
  np.testing.assert_allclose(new_state.numpy(),
                             np.concatenate([want, z, c], 1), rtol=1e-5,
                             atol=1e-6)


def test_the_meta_lstm_and_projections_are_the_warp():
  inputs = [keras.Input((5,)), keras.Input((7,))]
  cell = warp_rnn.WarpRNNCell(3, 2)
  model = keras.Model(inputs, cell(inputs))
  roles = functional.weight_roles(model)
  assert [w.name for w in roles.adapted] == ["input_kernel",
                                             "recurrent_kernel", "bias"]
  assert [w.name for w in roles.meta] == [
      "meta_kernel", "meta_recurrent_kernel", "meta_bias", "projections"]
  again = warp_rnn.WarpRNNCell.from_config(cell.get_config())
  assert (again.units, again.meta_units, again.state_size) == (3, 2, 7)
  with pytest.raises(ValueError, match="meta_units"):
    warp_rnn.WarpRNNCell(3, 0)


def test_a_seed_gives_the_same_weights_without_touching_the_global_seed():
  build = lambda: warp_rnn.WarpRNNCell(3, 2, seed=7)
  cells = [build(), build()]
  for cell in cells:
    cell([tf.zeros([1, 5]), tf.zeros([1, 7])])
  for a, b in zip(*[c.weights for c in cells]):
    np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_a_projection_bias_starts_the_warps_near_its_tanh():
  # With a zero meta-LSTM state, U = tanh(P 0 + c) = tanh(c) exactly.
  cell = warp_rnn.WarpRNNCell(3, 2, seed=0, projection_bias=1.0)
  x = tf.random.normal([2, 5], seed=3)
  h = tf.random.normal([2, 3], seed=4)
  state = tf.concat([h, tf.zeros([2, 4])], -1)
  cell([x, state])
  for weight in (cell.meta_kernel, cell.meta_recurrent_kernel,
                 cell.meta_bias):  # keep z at zero through the step
    weight.assign(tf.zeros_like(weight))
  cell.bias.assign([0.3, -0.1, 0.2])
  u = np.tanh(1.0)
  want = np.tanh(u * u * (h.numpy() @ cell.recurrent_kernel.numpy())
                 + u * u * (x.numpy() @ cell.input_kernel.numpy())
                 + u * cell.bias.numpy())
  np.testing.assert_allclose(cell([x, state])[0].numpy(), want, rtol=1e-5)
  assert cell.meta_weights[-1] is cell.projections_bias
  again = warp_rnn.WarpRNNCell.from_config(cell.get_config())
  assert again.projection_bias == 1.0
