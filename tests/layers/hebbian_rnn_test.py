# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""The plastic RNN step (Miconi et al. 2019) against a hand-written forward."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from kerasmeta import functional
from kerasmeta.layers import hebbian_rnn


def _numpy_step(cell, x, h, hebb, trace=None):
  """Miconi's step written per episode with explicit loops over i, j."""
  weights = {w.name: w.numpy() for w in cell.weights}
  units = h.shape[-1]
  h_new, hebb_new, trace_new = [], [], []
  for b in range(x.shape[0]):
    recurrent = weights["recurrent_kernel"] + weights["plasticity"] * hebb[b]
    pre = x[b] @ weights["input_kernel"] + weights["bias"]
    pre = pre + np.array([sum(h[b, i] * recurrent[i, j] for i in range(units))
                          for j in range(units)])
    new = np.tanh(pre)
    neuromodulator = np.tanh(new @ weights["modulator_kernel"][:, 0]
                             + weights["modulator_bias"][0])
    fanned = neuromodulator * weights["fanout_kernel"][0] + weights[
        "fanout_bias"]
    outer = np.array([[h[b, i] * new[j] for j in range(units)]
                      for i in range(units)])
    if trace is None:
      updated = hebb[b] + fanned[None, :] * outer
    else:
      updated = hebb[b] + fanned[None, :] * trace[b]
      eta = weights["trace_rate"]
      trace_new.append((1 - eta) * trace[b] + eta * outer)
    h_new.append(new)
    hebb_new.append(np.clip(updated, -2.0, 2.0))
  return np.array(h_new), np.array(hebb_new), np.array(trace_new)


@pytest.mark.parametrize("modulation", ["simple", "retroactive"])
def test_step_is_miconis_neuromodulated_plasticity(modulation):
  units, rng = 3, np.random.default_rng(0)
  cell = hebbian_rnn.HebbianRNNCell(units, modulation, seed=0)
  x = rng.normal(size=(2, 4)).astype(np.float32)
  h = rng.normal(size=(2, units)).astype(np.float32)
  # Traces large enough that some entries clip at +-2.
  hebb = (rng.normal(size=(2, units, units)) * 2.0).astype(np.float32)
  trace = (rng.normal(size=(2, units, units)) * 3.0).astype(np.float32)
  parts = [h, hebb.reshape(2, -1)] + (
      [trace.reshape(2, -1)] if modulation == "retroactive" else [])
  state = np.concatenate(parts, axis=1)
  cell([tf.constant(x), tf.constant(state)])
  for w in cell.weights:  # no zero or tiny weight left: every term counts
    w.assign(rng.uniform(0.2, 1.0, size=w.shape).astype(np.float32)
             * rng.choice([-1, 1], size=w.shape))
  if modulation == "retroactive":
    cell.trace_rate_weight.assign(0.3)
  h_new, new_state = cell([tf.constant(x), tf.constant(state)])
  want_h, want_hebb, want_trace = _numpy_step(
      cell, x, h, hebb, trace if modulation == "retroactive" else None)
  assert np.any(np.abs(want_hebb) == 2.0)  # the clip is exercised
  np.testing.assert_allclose(h_new.numpy(), want_h, rtol=1e-5, atol=1e-6)
  want_state = np.concatenate(
      [want_h, want_hebb.reshape(2, -1)]
      + ([want_trace.reshape(2, -1)] if modulation == "retroactive" else []),
      axis=1)
  np.testing.assert_allclose(new_state.numpy(), want_state, rtol=1e-5,
                             atol=1e-5)
  assert new_state.shape[-1] == cell.state_size


def test_every_weight_is_adapted_and_bad_settings_are_refused():
  inputs = [keras.Input((4,)), keras.Input((3 + 2 * 9,))]
  cell = hebbian_rnn.HebbianRNNCell(3, "retroactive")
  model = keras.Model(inputs, cell(inputs))
  roles = functional.weight_roles(model)
  assert not roles.meta and len(roles.adapted) == 9
  again = hebbian_rnn.HebbianRNNCell.from_config(cell.get_config())
  assert (again.modulation, again.state_size) == ("retroactive", 21)
  with pytest.raises(ValueError, match="received 'hebbian'"):
    hebbian_rnn.HebbianRNNCell(3, "hebbian")
  with pytest.raises(ValueError, match="trace_rate"):
    hebbian_rnn.HebbianRNNCell(3, "retroactive", trace_rate=0.0)
