# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
import numpy as np
import pytest
import tensorflow as tf

import kerasmeta as km
from kerasmeta import functional
from tests import helpers


@pytest.mark.parametrize("vectorize", [True, False])
def test_joint_training_gradient_is_the_loss_gradient_on_every_point(
    vectorize):
  model = helpers.tiny_mlp()
  learner = km.Pretrained(model, num_inner_steps=3, inner_learning_rate=0.3,
                          vectorize=vectorize)
  tasks, seeds = helpers.random_tasks(2), helpers.task_seeds(2)
  gradients, _ = learner.compute_gradients(tasks, seeds)
  # By hand: no adaptation; the mean over tasks of the mean of the support
  # and query squared errors of the model itself (equal-size sets here
  # would weigh points alike; the helper's are 4 and 5).
  theta = functional.current_values(learner.roles.adapted)
  with tf.GradientTape() as tape:
    tape.watch(theta)
    losses = []
    for i in range(2):
      task = helpers.unbatch(tasks, i)
      errors = [tf.reduce_mean((functional.call_with_weights(model, theta, x)
                                - y) ** 2)
                for x, y in ((task.support_x, task.support_y),
                             (task.query_x, task.query_y))]
      losses.append(0.5 * (errors[0] + errors[1]))
    objective = tf.reduce_mean(losses)
  for got, want in zip(gradients, tape.gradient(objective, theta)):
    np.testing.assert_allclose(got, want, rtol=1e-10)


def test_fine_tuning_is_sgd_on_the_support_set():
  model = helpers.tiny_mlp()
  learner = km.Pretrained(model, num_inner_steps=2, inner_learning_rate=0.1)
  task = helpers.unbatch(helpers.random_tasks(1), 0)
  adapted = learner.adapt(task.support_x, task.support_y).params
  theta = functional.current_values(learner.roles.adapted)
  for _ in range(2):
    with tf.GradientTape() as tape:
      tape.watch(theta)
      loss = tf.reduce_mean((functional.call_with_weights(
          model, theta, task.support_x) - task.support_y) ** 2)
    theta = [t - 0.1 * g for t, g in zip(theta, tape.gradient(loss, theta))]
  for got, want in zip(adapted, theta):
    np.testing.assert_allclose(got, want, rtol=1e-10)
