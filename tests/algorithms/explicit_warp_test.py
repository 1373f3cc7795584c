# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
import keras
import numpy as np
import tensorflow as tf

from kerasmeta import algorithms
from kerasmeta.layers import warp
from kerasmeta.tasks import surfaces
from tests import helpers


def _learner(steps=5, seed=0, perturb=True):
  keras.utils.set_random_seed(seed)
  model = keras.Sequential([keras.Input((2,), dtype="float64"),
                            warp.residual_tanh_warp(2, hidden_units=3,
                                                    dtype="float64")])
  if perturb:
    rng = np.random.default_rng(seed)
    for weight in model.trainable_weights:
      weight.assign(rng.normal(scale=0.5, size=weight.shape))
  return algorithms.ExplicitWarpGrad(model, surfaces.surface_value,
                                     num_inner_steps=steps,
                                     inner_learning_rate=0.1)


def _surfaces(count=2):
  tasks = surfaces.SurfaceTasks(num_inits=3).evaluation_tasks(count,
                                                              seed=0).tasks
  return surfaces.Surface(*[tf.cast(t, tf.float64) for t in tasks])


def test_identity_warp_is_plain_gradient_descent_from_the_same_start():
  learner = _learner(perturb=False)
  task = tf.nest.map_structure(lambda t: t[0], _surfaces())
  plain, _ = learner.descend(task, task.inits, warped=False)
  warped, _ = learner.descend(task, task.inits)
  np.testing.assert_allclose(warped, plain, rtol=1e-12)
  np.testing.assert_array_equal(warped[0], task.inits)


def test_warp_gradient_matches_finite_differences():
  learner = _learner()
  tasks = _surfaces()
  seeds = tf.zeros([2, 2], tf.int32)
  gradients, metrics = learner.compute_gradients(tasks, seeds)

  # The trajectory points are held constant (sampled at the current warp).
  paths = [learner.descend(tf.nest.map_structure(lambda t: t[i], tasks),
                           tasks.inits[i])[1] for i in range(2)]
  paths = [tf.constant(p.numpy()) for p in paths]

  def objective():
    values = []
    for index in range(2):
      task = tf.nest.map_structure(lambda t: t[index], tasks)
      flat = tf.reshape(paths[index][:-1], [-1, 2])
      starts = tf.reshape(tf.broadcast_to(task.inits, paths[index][:-1].shape),
                          [-1, 2])
      task_loss = learner._sum_loss(task, starts)  # pylint: disable=protected-access
      value, _ = algorithms.warp_objective(
          task_loss, lambda p: task_loss(p) / flat.shape[0], [flat], 0.1)
      values.append(value)
    return tf.reduce_mean(values)

  expected = helpers.finite_difference_gradients(
      objective, learner.trainable_variables)
  for gradient, reference in zip(gradients, expected):
    np.testing.assert_allclose(gradient, reference, rtol=1e-6, atol=1e-9)
  assert set(metrics) == {"initial_loss", "final_loss", "warp_loss"}
