# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
import numpy as np
import pytest
import tensorflow as tf

from kerasmeta import losses


@pytest.mark.parametrize("name", sorted(losses.LOSSES))
def test_per_task_losses_equal_each_tasks_own_loss(name):
  rng = np.random.default_rng(0)
  logits = tf.constant(rng.normal(size=(3, 5, 4)), tf.float32)
  if name == "mse":
    labels = tf.constant(rng.normal(size=(3, 5, 4)), tf.float32)
  else:
    labels = tf.constant(rng.integers(0, 4, size=(3, 5)), tf.int32)
  loss = losses.get(name)
  per_task = loss.per_task(labels, logits)
  assert per_task.shape == (3,)
  for index in range(3):
    np.testing.assert_allclose(per_task[index],
                               loss(labels[index], logits[index]), rtol=1e-6)


def test_a_callable_is_mapped_over_tasks():
  absolute = losses.get(lambda y, p: tf.reduce_mean(tf.abs(y - p)))
  y = tf.constant([[[1.0], [2.0]], [[0.0], [0.0]]])
  np.testing.assert_allclose(absolute.per_task(y, tf.zeros_like(y)),
                             [1.5, 0.0])


def test_an_unknown_loss_is_named():
  with pytest.raises(ValueError, match="Unknown loss 'hinge'"):
    losses.get("hinge")


def test_squared_error_refuses_targets_that_would_broadcast():
  with pytest.raises(ValueError, match=r"Targets of shape \(5, 2\) do not "
                     r"match the model's predictions of shape \(5, 1\)"):
    losses.mean_squared_error(tf.zeros([5, 2]), tf.zeros([5, 1]))
