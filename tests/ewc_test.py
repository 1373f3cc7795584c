# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
import numpy as np
import tensorflow as tf

from kerasmeta import ewc


def test_penalty_is_half_lambda_fisher_weighted_squared_distance():
  rng = np.random.default_rng(0)
  params = [tf.constant(rng.normal(size=(3, 2))), tf.constant(rng.normal(
      size=2))]
  anchors = [[tf.constant(rng.normal(size=p.shape)) for p in params]
             for _ in range(2)]
  fishers = [[tf.constant(rng.uniform(size=p.shape)) for p in params]
             for _ in range(2)]
  expected = sum(
      0.5 * 7.0 * np.sum(f.numpy() * (p.numpy() - a.numpy())**2)
      for anchor, fisher in zip(anchors, fishers)
      for p, a, f in zip(params, anchor, fisher))
  np.testing.assert_allclose(ewc.ewc_penalty(params, anchors, fishers, 7.0),
                             expected, rtol=1e-12)


def test_diagonal_fisher_is_the_mean_squared_per_example_gradient():
  rng = np.random.default_rng(1)
  x, y = rng.normal(size=(5, 3)), rng.normal(size=5)
  w = tf.constant(rng.normal(size=3))
  nll = lambda params: 0.5 * (tf.linalg.matvec(tf.constant(x), params[0])
                              - y)**2
  (fisher,) = ewc.diagonal_fisher(nll, [w])
  per_example = [(x[i] @ w.numpy() - y[i]) * x[i] for i in range(5)]
  np.testing.assert_allclose(fisher, np.mean(np.square(per_example), 0),
                             rtol=1e-12)
