# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
import numpy as np

import kerasmeta as km
from kerasmeta import algorithms
from tests import helpers


def test_reptile_gradient_is_theta0_minus_adapted_weights_averaged():
  learner = algorithms.Reptile(helpers.tiny_mlp(), num_inner_steps=3,
                               inner_learning_rate=0.2)
  tasks, seeds = helpers.random_tasks(2), helpers.task_seeds(2)
  gradients, metrics = learner.compute_gradients(tasks, seeds)
  start = [v.numpy() for v in learner.initial_values()]
  expected = [np.zeros_like(s) for s in start]
  for index in range(2):
    adapted, _ = learner.adapt(helpers.unbatch(tasks, index))[:2]
    for total, s, a in zip(expected, start, adapted):
      total += (s - a.numpy()) / 2
  for gradient, reference in zip(gradients, expected):
    np.testing.assert_allclose(gradient, reference, rtol=1e-9, atol=1e-15)
  assert float(metrics["query_loss"]) > 0


def test_leap_and_reptile_are_in_the_registry():
  assert algorithms.get("reptile") is algorithms.Reptile
  assert algorithms.get("leap") is algorithms.Leap
  assert algorithms.get("warp_maml") is km.algorithms.WarpMAML
