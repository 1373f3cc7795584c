# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""The T-Nets-RNN step (WarpGrad appendix I) against a hand-written forward."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from kerasmeta import functional
from kerasmeta.layers import tnet_rnn


def test_step_is_the_linearly_warped_rnn():
  cell = tnet_rnn.TNetRNNCell(units=3, seed=0)
  rng = np.random.default_rng(0)
  x = rng.normal(size=(4, 5)).astype(np.float32)
  h = rng.normal(size=(4, 3)).astype(np.float32)
  cell([tf.constant(x), tf.constant(h)])
  for w in cell.weights:  # no identity or zero left, so every term counts
    w.assign(rng.normal(size=w.shape).astype(np.float32) * 0.5)
  h_new, state = cell([tf.constant(x), tf.constant(h)])
  # The paper's column form, T_h V h + T_x W x + T_b b, on each row.
  T_h, T_x, T_b = (cell.recurrent_transform.numpy().T,
                   cell.input_transform.numpy().T,
                   cell.bias_transform.numpy().T)
  V, W, b = (cell.recurrent_kernel.numpy().T, cell.input_kernel.numpy().T,
             cell.bias.numpy())
  want = np.stack([np.tanh(T_h @ V @ h[i] + T_x @ W @ x[i] + T_b @ b)
                   for i in range(4)])
  np.testing.assert_allclose(h_new.numpy(), want, rtol=1e-5, atol=1e-6)
  np.testing.assert_array_equal(state.numpy(), h_new.numpy())


def test_untrained_warps_are_the_identity_so_the_cell_is_a_basic_rnn():
  cell = tnet_rnn.TNetRNNCell(units=3, seed=1)
  x, h = tf.random.normal([2, 4], seed=1), tf.random.normal([2, 3], seed=2)
  cell([x, h])
  cell.bias.assign([0.1, -0.2, 0.3])
  want = tf.tanh(x @ cell.input_kernel + h @ cell.recurrent_kernel
                 + cell.bias)
  np.testing.assert_allclose(cell([x, h])[0].numpy(), want.numpy(),
                             rtol=1e-6)


def test_the_three_transforms_are_the_warp():
  inputs = [keras.Input((5,)), keras.Input((3,))]
  cell = tnet_rnn.TNetRNNCell(3)
  model = keras.Model(inputs, cell(inputs))
  roles = functional.weight_roles(model)
  assert [w.name for w in roles.adapted] == ["input_kernel",
                                             "recurrent_kernel", "bias"]
  assert [w.name for w in roles.meta] == [
      "recurrent_transform", "input_transform", "bias_transform"]
  again = tnet_rnn.TNetRNNCell.from_config(cell.get_config())
  assert (again.units, again.state_size) == (3, 3)
  with pytest.raises(ValueError, match="units must be >= 1; received 0"):
    tnet_rnn.TNetRNNCell(0)
