# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
import keras
import numpy as np
import tensorflow as tf

from kerasmeta import algorithms
from kerasmeta.tasks import Task


def test_leap_gradient_is_eq13_worked_by_hand_on_two_parameters():
  # L(theta) = mean((X theta - y)^2), theta in R^2 (a bias-free Dense).
  x = np.array([[1.0, 2.0], [0.5, -1.0], [-1.5, 0.3]])
  y = np.array([[1.0], [-0.5], [2.0]])
  model = keras.Sequential([keras.Input((2,), dtype="float64"),
                            keras.layers.Dense(1, use_bias=False,
                                               dtype="float64")])
  theta0 = np.array([[0.3], [-0.2]])
  model.layers[0].kernel.assign(theta0)
  alpha, steps = 0.1, 3
  learner = algorithms.Leap(model, num_inner_steps=steps,
                            inner_learning_rate=alpha)
  tasks = Task(*[tf.constant(v[np.newaxis]) for v in (x, y, x, y)])
  gradients, _ = learner.compute_gradients(tasks, tf.zeros([1, 2], tf.int32))

  loss = lambda t: float(np.mean((x @ t - y) ** 2))
  grad = lambda t: 2 / len(x) * x.T @ (x @ t - y)
  path = [theta0]
  for _ in range(steps):
    path.append(path[-1] - alpha * grad(path[-1]))
  expected = np.zeros_like(theta0)
  for k in range(1, steps + 1):
    d_theta = path[k] - path[k - 1]
    d_loss = loss(path[k]) - loss(path[k - 1])
    norm = np.sqrt(np.sum(d_theta ** 2) + d_loss ** 2)
    expected -= (d_loss * grad(path[k - 1]) + d_theta) / norm
  np.testing.assert_allclose(gradients[0], expected, rtol=1e-9)


def test_leap_without_the_loss_pulls_along_the_unit_segments():
  start = [tf.constant([0.0, 0.0], tf.float64)]
  path = [tf.constant([[0.0, 0.0], [3.0, 4.0], [3.0, 5.0]], tf.float64)]
  with tf.GradientTape() as tape:
    tape.watch(start)
    length = algorithms.leap_objective(None, start, path, use_loss=False)
  np.testing.assert_allclose(length, 6.0, rtol=1e-9)
  np.testing.assert_allclose(tape.gradient(length, start)[0],
                             -(np.array([0.6, 0.8]) + np.array([0.0, 1.0])),
                             rtol=1e-9)
