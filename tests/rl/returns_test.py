# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Returns, the linear feature baseline and advantages, by hand."""

import numpy as np
import pytest
import tensorflow as tf

import kerasmeta as km
from kerasmeta import precision
from kerasmeta.rl import returns as returns_lib


def test_discounted_returns_stop_at_the_end_of_each_episode():
  rewards = tf.constant([[1.0, 2.0, 3.0, 0.0], [1.0, 1.0, 1.0, 1.0]])
  alive = tf.constant([[1.0, 1.0, 1.0, 0.0], [1.0, 1.0, 1.0, 1.0]])
  got = km.rl.discounted_returns(rewards, alive, 0.5).numpy()
  np.testing.assert_allclose(got[0], [1 + 1 + 0.75, 2 + 1.5, 3, 0])
  np.testing.assert_allclose(got[1], [1.875, 1.75, 1.5, 1.0])


def test_linear_baseline_is_rllabs_ridge_regression():
  rng = np.random.default_rng(0)
  observations = rng.normal(size=(3, 6, 2)).astype(np.float32)
  returns = rng.normal(size=(3, 6)).astype(np.float32)
  alive = np.ones((3, 6), np.float32)
  alive[2, 4:] = 0
  got = km.rl.linear_baseline(tf.constant(observations), tf.constant(returns),
                              tf.constant(alive)).numpy()
  # rllab: features of each live step, lstsq of the regularised normal
  # equations, predictions.
  rows, targets = [], []
  for episode in range(3):
    length = int(alive[episode].sum())
    o = np.clip(observations[episode, :length], -10, 10)
    t = np.arange(length).reshape(-1, 1) / 100.0
    rows.append(np.concatenate([o, o**2, t, t**2, t**3,
                                np.ones((length, 1))], axis=1))
    targets.append(returns[episode, :length])
  x, y = np.concatenate(rows).astype(np.float64), np.concatenate(targets)
  coefficients = np.linalg.lstsq(x.T @ x + 1e-5 * np.eye(x.shape[1]),
                                 x.T @ y, rcond=None)[0]
  for episode in range(3):
    length = int(alive[episode].sum())
    np.testing.assert_allclose(got[episode, :length],
                               rows[episode] @ coefficients, rtol=1e-4,
                               atol=1e-5)
    assert not got[episode, length:].any()


def test_gae_with_lambda_one_is_returns_minus_baseline():
  rng = np.random.default_rng(1)
  rewards = tf.constant(rng.normal(size=(2, 5)), tf.float32)
  values = tf.constant(rng.normal(size=(2, 5)), tf.float32)
  alive = tf.constant([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]], tf.float32)
  got = km.rl.generalized_advantages(rewards, values * alive, alive, 0.9, 1.0)
  want = (km.rl.discounted_returns(rewards, alive, 0.9) - values) * alive
  np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-5,
                             atol=1e-6)
  # lambda 0: the one-step TD error.
  td = km.rl.generalized_advantages(rewards, values, alive, 0.9, 0.0).numpy()
  r, v = rewards.numpy(), values.numpy()
  assert td[0, 1] == pytest.approx(r[0, 1] + 0.9 * v[0, 2] - v[0, 1],
                                   rel=1e-5)
  assert td[0, 4] == pytest.approx(r[0, 4] - v[0, 4], rel=1e-5)


def test_normalised_advantages_have_zero_mean_unit_std_on_live_steps():
  alive = tf.constant([[1.0, 1.0, 0.0], [1.0, 1.0, 1.0]])
  got = returns_lib.normalize(tf.constant([[1.0, 2.0, 99.0],
                                           [3.0, 4.0, 5.0]]), alive).numpy()
  live = got[alive.numpy() > 0]
  assert live.mean() == pytest.approx(0.0, abs=1e-6)
  assert live.std() == pytest.approx(1.0, abs=1e-5)
  assert got[0, 2] == 0.0


def test_unknown_baseline_is_refused():
  paths = km.rl.Paths(tf.zeros([1, 2, 2]), tf.zeros([1, 2, 2]),
                      tf.zeros([1, 2]), tf.ones([1, 2]))
  with pytest.raises(ValueError, match="baseline"):
    km.rl.advantages(paths, baseline="value")


def _navigation_like_episodes():
  rng = np.random.default_rng(3)
  observations = np.cumsum(rng.normal(0, 0.1, size=(20, 100, 2)), axis=1)
  returns = -np.linalg.norm(observations - 0.5, axis=-1).cumsum(1)[:, ::-1]
  alive = np.ones((20, 100), np.float32)
  return [tf.constant(v, tf.float32) for v in (observations, returns.copy(),
                                               alive)]


def test_linear_baseline_in_float32_where_there_is_no_float64(monkeypatch):
  # A TPU solves in float32 (`precision.wide_float`): on episodes of the
  # navigation task's scale its baseline stays close to float64's.
  episodes = _navigation_like_episodes()
  wide = km.rl.linear_baseline(*episodes).numpy()
  monkeypatch.setattr(precision, "wide_float", lambda: tf.float32)
  narrow = km.rl.linear_baseline(*episodes).numpy()
  assert np.isfinite(narrow).all()
  np.testing.assert_allclose(narrow, wide, rtol=0, atol=1e-3 * np.abs(
      wide).max())


def test_float32_baseline_takes_the_smallest_regularizer_that_solves(
    monkeypatch):
  # rllab's retries: x10 the regularizer while the solve gives NaN.
  episodes = _navigation_like_episodes()
  features = returns_lib.baseline_features(episodes[0], episodes[2])
  monkeypatch.setattr(precision, "wide_float", lambda: tf.float32)
  real_solve = tf.linalg.solve
  used = []

  def solve(matrix, rhs):  # NaN for the regularizers 1e-5 and 1e-4
    used.append(matrix)  # tried from the largest regularizer, 1e-1, down
    solution = real_solve(matrix, rhs)
    return solution * np.nan if len(used) > 3 else solution

  monkeypatch.setattr(tf.linalg, "solve", solve)
  got = returns_lib.fit_linear_baseline(features, episodes[1], episodes[2])
  assert len(used) == 5
  monkeypatch.setattr(tf.linalg, "solve", real_solve)
  want = returns_lib.fit_linear_baseline(features, episodes[1], episodes[2],
                                         regularizer=1e-3)
  np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)
