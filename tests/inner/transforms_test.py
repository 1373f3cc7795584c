# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
import numpy as np
import pytest
import tensorflow as tf

from kerasmeta import inner


def _grads():
  return [tf.constant([1.0, -2.0], tf.float64), tf.constant(4.0, tf.float64)]


def test_chain_applies_its_transforms_in_order():
  grads = _grads()
  transform = inner.chain(inner.scale(2.0), inner.heavy_ball(0.5),
                          inner.scale_by_learning_rate(0.1))
  state = transform.init(grads)
  updates, state = transform.update(grads, state, grads)
  np.testing.assert_allclose(updates[0], [-0.2, 0.4])
  updates, _ = transform.update(grads, state, grads)
  # v = 0.5 * 2g + 2g = 3g, then -0.1 v.
  np.testing.assert_allclose(updates[0], [-0.3, 0.6])
  np.testing.assert_allclose(updates[1], -1.2)


def test_sgd_is_the_chain_of_its_parts():
  grads = _grads()
  a, b = inner.sgd(0.1, momentum=0.9), inner.chain(
      inner.heavy_ball(0.9), inner.scale_by_learning_rate(0.1))
  ua, _ = a.update(grads, a.init(grads), grads)
  ub, _ = b.update(grads, b.init(grads), grads)
  for x, y in zip(ua, ub):
    np.testing.assert_array_equal(x, y)


def test_identity_passes_gradients_and_keeps_no_state():
  grads = _grads()
  transform = inner.identity()
  updates, state = transform.update(grads, transform.init(grads), grads)
  assert state == ()
  for g, u in zip(grads, updates):
    np.testing.assert_array_equal(g, u)


def test_python_rates_keep_float64_precision():
  grads = [tf.constant([1.0], tf.float64)]
  transform = inner.scale_by_learning_rate(0.1)
  updates, _ = transform.update(grads, transform.init(grads), grads)
  assert updates[0].numpy()[0] == -0.1


def test_per_parameter_rates_must_match_the_parameters():
  with pytest.raises(ValueError, match="one learning rate per adapted "
                     "tensor \\(2\\); received 3"):
    inner.scale_by_learning_rate([0.1] * 3).init(_grads())


def test_learned_rate_tensor_receives_the_meta_gradient():
  rate = tf.Variable(0.1, dtype=tf.float64)
  loss = lambda params: tf.reduce_sum(params[0] ** 2)
  with tf.GradientTape() as tape:
    result = inner.adapt(loss, [tf.constant([1.0], tf.float64)],
                         inner.scale_by_learning_rate(rate), 1)
    final = loss(result.params)
  # theta' = (1 - 2 rate) theta; d theta'^2 / d rate = -4 (1 - 2 rate).
  np.testing.assert_allclose(tape.gradient(final, rate), -4 * 0.8)


def test_a_learning_rate_is_accepted_where_a_transform_is_expected():
  loss = lambda params: tf.reduce_sum(params[0] ** 2)
  a = inner.adapt(loss, [tf.constant([1.0])], 0.25, 2)
  b = inner.adapt(loss, [tf.constant([1.0])], inner.sgd(0.25), 2)
  np.testing.assert_array_equal(a.params[0], b.params[0])
  with pytest.raises(TypeError, match="GradientTransform or a learning "
                     "rate; received 'fast'"):
    inner.adapt(loss, [tf.constant([1.0])], "fast", 1)


def test_sampled_masks_without_a_seed_are_refused():
  class Masks:
    deterministic = False
  with pytest.raises(ValueError, match="seed"):
    inner.mask_gradients(Masks())


def test_vector_losses_follow_the_gradient_of_their_sum_and_are_recorded():
  # Two independent "tasks" on one [2, 1] tensor: per-task losses.
  targets = tf.constant([[1.0], [-3.0]], tf.float64)
  loss = lambda params: tf.reduce_sum((params[0] - targets) ** 2, axis=1)
  result = inner.adapt(loss, [tf.zeros([2, 1], tf.float64)], inner.sgd(0.25),
                       2, return_trajectory=True)
  assert result.losses.shape == (2, 2)
  np.testing.assert_allclose(result.losses[0], [1.0, 9.0])
  np.testing.assert_allclose(result.params[0][:, 0], [0.75, -2.25])
