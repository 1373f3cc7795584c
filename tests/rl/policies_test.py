# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Gaussian policies: the log density, the head layer, MAML's MLP."""

import numpy as np
import pytest
import tensorflow as tf

import kerasmeta as km
from kerasmeta.rl import policies


def test_log_prob_is_the_diagonal_gaussian_density():
  outputs = tf.constant([[0.5, -1.0, np.log(0.3), np.log(2.0)]])
  actions = tf.constant([[0.2, 1.0]])
  densities = [np.exp(-0.5 * ((0.2 - 0.5) / 0.3)**2) / (0.3 * np.sqrt(2 * np.pi)),
               np.exp(-0.5 * (2.0 / 2.0)**2) / (2.0 * np.sqrt(2 * np.pi))]
  assert float(km.rl.log_prob(outputs, actions)[0]) == pytest.approx(
      np.log(densities).sum(), rel=1e-5)


def test_gaussian_head_appends_a_fixed_or_learned_log_std():
  # (Keras' layer contract: tests/layers/layer_contract_test.py.)
  head = km.rl.GaussianHead(0.5, trainable_std=False)
  out = head(tf.zeros([2, 3]))
  np.testing.assert_allclose(out.numpy()[:, 3:], np.log(0.5), rtol=1e-6)
  assert not head.trainable_weights
  with pytest.raises(ValueError, match="initial_std"):
    km.rl.GaussianHead(0.0)


def test_the_std_floor_clips_the_log_std_and_its_gradient_as_rllab():
  head = km.rl.GaussianHead(1.0, min_std=1e-6)
  head.build((None, 2))
  head.log_std.assign([-20.0, -1.0])  # below the floor, above it
  with tf.GradientTape() as tape:
    out = head(tf.zeros([1, 2]))
    total = tf.reduce_sum(out)
  np.testing.assert_allclose(out.numpy()[0, 2:], [np.log(1e-6), -1.0],
                             rtol=1e-6)
  np.testing.assert_allclose(tape.gradient(total, head.log_std).numpy(),
                             [0.0, 1.0])
  assert km.rl.GaussianHead.from_config(head.get_config()).min_std == 1e-6
  with pytest.raises(ValueError, match="min_std"):
    km.rl.GaussianHead(0.5, min_std=1.0)


def test_mlp_policy_is_mamls_and_saves():
  policy = km.rl.gaussian_mlp_policy(2, 2, seed=0)
  assert [w.shape for w in policy.trainable_weights] == [
      (2, 100), (100,), (100, 100), (100,), (100, 2), (2,), (2,)]
  outputs = policy(tf.zeros([5, 2]))
  np.testing.assert_allclose(outputs.numpy()[:, 2:], 0.0)  # std 1
  means, log_stds = policies.split_outputs(outputs)
  assert means.shape == log_stds.shape == (5, 2)
  with pytest.raises(ValueError, match="2 \\* action_size"):
    policies.split_outputs(tf.zeros([1, 3]))


def test_kl_divergence_is_the_closed_form():
  old = tf.constant([[0.3, -1.0, np.log(0.5), np.log(2.0)]], tf.float64)
  new = tf.constant([[0.1, 0.0, np.log(0.8), np.log(1.0)]], tf.float64)
  expected = sum(np.log(s1 / s0) + (s0**2 + (m0 - m1)**2) / (2 * s1**2) - 0.5
                 for m0, m1, s0, s1 in ((0.3, 0.1, 0.5, 0.8),
                                        (-1.0, 0.0, 2.0, 1.0)))
  assert float(policies.kl_divergence(old, new)[0]) == pytest.approx(
      expected, rel=1e-12)
