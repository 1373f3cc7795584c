# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
import keras
import numpy as np
import pytest
import tensorflow as tf

import kerasmeta as km
from kerasmeta import functional
from kerasmeta import inner
from tests import helpers


def _quadratic(targets):
  return lambda params: tf.add_n(
      [tf.reduce_sum((p - t) ** 2) for p, t in zip(params, targets)])


def test_steps_are_plain_sgd():
  params = [tf.constant([1.0, 2.0], tf.float64), tf.constant(3.0, tf.float64)]
  targets = [tf.constant([0.0, 0.0], tf.float64),
             tf.constant(1.0, tf.float64)]
  adapted, losses = inner.adapt(_quadratic(targets), params, inner.sgd(0.1),
                                3)[:2]
  # d/dp (p - t)^2 = 2 (p - t): each step scales p - t by 0.8.
  np.testing.assert_allclose(adapted[0], [0.512, 1.024])
  np.testing.assert_allclose(adapted[1], 1.0 + 2.0 * 0.512)
  np.testing.assert_allclose(losses, [9.0, 9.0 * 0.64, 9.0 * 0.64**2])


def test_tensor_step_count_with_static_bound_and_trajectory():
  params = [tf.constant([1.0], tf.float64)]
  loss = _quadratic([tf.constant([0.0], tf.float64)])

  @tf.function
  def run(steps):
    return inner.adapt(loss, params, inner.sgd(0.25), steps, max_steps=5,
                       return_trajectory=True)

  adapted, losses, trajectory = run(tf.constant(2))[:3]
  np.testing.assert_allclose(adapted[0], [0.25])
  assert losses.shape == (2,)
  np.testing.assert_allclose(trajectory[0][:, 0], [1.0, 0.5, 0.25])


def test_zero_steps_returns_the_initial_values():
  params = [tf.constant([1.0, -1.0])]
  adapted, losses = inner.adapt(_quadratic([tf.zeros([2])]), params,
                                inner.sgd(0.1), 0)[:2]
  np.testing.assert_array_equal(adapted[0], params[0])
  assert losses.shape == (0,)


def test_per_weight_rates_scale_each_entry():
  params = [tf.constant([1.0, 1.0], tf.float64)]
  rates = [tf.constant([0.1, 0.4], tf.float64)]
  adapted = inner.adapt(_quadratic([tf.zeros([2], tf.float64)]), params,
                        inner.scale_by_learning_rate(rates), 1).params
  np.testing.assert_allclose(adapted[0], [0.8, 0.2])


def test_wrong_number_of_rates_is_rejected():
  with pytest.raises(ValueError, match="received 2"):
    inner.adapt(_quadratic([0.0]), [tf.constant(1.0)],
                inner.scale_by_learning_rate([tf.constant(0.1)] * 2), 1)


def _masked_model(mask):
  model = keras.Sequential([keras.Input((3,)), km.TDense(6, mask=mask,
                                                         activation="tanh"),
                            km.TDense(1, mask=mask)])
  return model


def _one_output_task():
  """A task of 8 support and 8 query points, 3 features, 1 target."""
  task = helpers.unbatch(helpers.random_tasks(1, 8, 8, dim=3,
                                              dtype=np.float32), 0)
  return task._replace(support_y=task.support_y[:, :1],
                       query_y=task.query_y[:, :1])


def test_masked_rows_stay_fixed_during_adaptation():
  model = _masked_model("unit")
  first = model.layers[0]
  keep = np.array([1, 0, 1, 0, 0, 1], np.float32)
  first.kernel_mask_logits.assign(np.where(keep > 0, 1.0, -1.0))
  learner = km.MAML(model, num_inner_steps=3, inner_learning_rate=0.1)
  task = _one_output_task()
  adapted = learner.adapt(task, deterministic=True).params
  roles = functional.weight_roles(model)
  kernel_index = [id(w) for w in roles.adapted].index(id(first.kernel))
  bias_index = [id(w) for w in roles.adapted].index(id(first.bias))
  kernel_change = np.abs(adapted[kernel_index] - first.kernel.numpy())
  bias_change = np.abs(adapted[bias_index] - first.bias.numpy())
  # A unit's kernel column (a row of W in the paper) and bias move together.
  np.testing.assert_array_equal(kernel_change[:, keep == 0], 0.0)
  np.testing.assert_array_equal(bias_change[keep == 0], 0.0)
  assert np.all(kernel_change[:, keep == 1].max(axis=0) > 0)
  assert np.all(bias_change[keep == 1] > 0)


def test_sampled_unit_mask_is_shared_by_kernel_and_bias_and_all_steps():
  model = _masked_model("unit")
  first = model.layers[0]
  learner = km.MAML(model, num_inner_steps=4, inner_learning_rate=0.1)
  task = _one_output_task()
  trajectory = learner.adapt(task, seed=tf.constant([5, 9]),
                             return_trajectory=True).trajectory
  roles = functional.weight_roles(model)
  kernel = trajectory[[id(w) for w in roles.adapted].index(id(first.kernel))]
  bias = trajectory[[id(w) for w in roles.adapted].index(id(first.bias))]
  moved_kernel = np.any(np.diff(kernel.numpy(), axis=0) != 0, axis=1)  # [4, 6]
  moved_bias = np.diff(bias.numpy(), axis=0) != 0  # [4, 6]
  np.testing.assert_array_equal(moved_kernel, moved_bias)
  # The same units move at every step: one mask per task.
  assert np.all(moved_bias == moved_bias[0])
  assert 0 < moved_bias[0].sum() < 6


def test_per_weight_masks_are_resampled_at_every_step():
  model = _masked_model("weight")
  learner = km.MAML(model, num_inner_steps=4, inner_learning_rate=0.1)
  task = _one_output_task()
  trajectory = learner.adapt(task, seed=tf.constant([1, 2]),
                             return_trajectory=True).trajectory
  moved = np.diff(trajectory[0].numpy(), axis=0) != 0  # first kernel [4,3,6]
  assert not np.all(moved == moved[0])


def test_sampled_masks_require_a_seed():
  model = _masked_model("unit")
  learner = km.MAML(model)
  with pytest.raises(ValueError, match="seed"):
    learner.adapt(_one_output_task())


def test_first_order_stops_the_gradient_of_the_inner_gradient():
  theta = tf.Variable(2.0, dtype=tf.float64)
  loss = lambda params: params[0] ** 3
  for first_order, expected in [(False, 1 - 0.1 * 6 * 2.0), (True, 1.0)]:
    with tf.GradientTape() as tape:
      adapted = inner.adapt(loss, [theta], inner.sgd(
          0.1, first_order=first_order), 1).params
    # d theta' / d theta = 1 - alpha * L''(theta) (second order) or 1.
    np.testing.assert_allclose(tape.gradient(adapted[0], theta), expected)


@pytest.mark.parametrize("mask", ["unit", "weight"])
def test_unrolled_steps_equal_the_loop(mask):
  model = _masked_model(mask)
  task = _one_output_task()
  results = []
  for unroll in (0, 3):
    learner = km.MAML(model, num_inner_steps=3, inner_learning_rate=0.1,
                      unroll_inner_steps=unroll)
    result = learner.adapt(task, seed=tf.constant([4, 2]), return_trajectory=True)
    results.append((result.params, [result.losses], result.trajectory))
  for looped, unrolled in zip(*results):
    for a, b in zip(looped, unrolled):
      np.testing.assert_allclose(a, b, rtol=1e-6)


def test_momentum_steps_are_heavy_ball_and_state_trajectory_holds_velocities():
  a = np.array([[2.0, 0.5], [0.5, 1.0]])
  loss = lambda params: 0.5 * tf.reduce_sum(
      params[0] * tf.linalg.matvec(tf.constant(a), params[0]))
  start = np.array([1.0, -2.0])
  alpha, mu = 0.1, 0.9
  result = km.inner.adapt(
      loss, [tf.constant(start)], inner.sgd(alpha, momentum=mu), 3,
      return_trajectory=True, return_state_trajectory=True)
  theta, velocity = start, np.zeros(2)
  thetas, velocities = [theta], [velocity]
  for _ in range(3):
    velocity = mu * velocity + a @ theta
    theta = theta - alpha * velocity
    thetas.append(theta)
    velocities.append(velocity)
  buffers, _ = result.state_trajectory  # chain(heavy_ball, scale)
  np.testing.assert_allclose(result.params[0], theta, rtol=1e-12)
  np.testing.assert_allclose(result.trajectory[0], np.stack(thetas),
                             rtol=1e-12)
  np.testing.assert_allclose(buffers[0], np.stack(velocities), rtol=1e-12)
