# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
import numpy as np
import pytest
import tensorflow as tf

from kerasmeta.apps.configs import polynomial as polynomial_config
from kerasmeta import experiments
from kerasmeta.tasks import PolynomialTasks


def _evaluation(distribution, num_tasks=20, seed=3):
  tasks, seeds, extras = distribution.evaluation_tasks(num_tasks, seed)
  return tasks, seeds, extras["data_seeds"]


@pytest.mark.parametrize("order", [0, 1, 2, 3])
def test_targets_are_numpy_polyval_of_the_scaled_coefficients(order):
  distribution = PolynomialTasks(shots=10, num_query=10, order=order)
  tasks, _, data_seeds = _evaluation(distribution)
  for i in range(len(data_seeds)):
    coefficients = distribution.coefficients(data_seeds[i]).numpy()
    assert coefficients.shape == (order + 1,)
    # c_i = u_i / 2^i with u_i in [-1, 1].
    assert np.all(np.abs(coefficients * 2.0 ** np.arange(order + 1)) <= 1)
    for x, y in ((tasks.support_x[i], tasks.support_y[i]),
                 (tasks.query_x[i], tasks.query_y[i])):
      x = x.numpy().astype(np.float64)
      # The reference's np.polynomial.polynomial.polyval (c_0 first) and
      # np.polyval (highest power first) agree.
      expected = np.polynomial.polynomial.polyval(x, coefficients)
      np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-6)
      np.testing.assert_allclose(y, np.polyval(coefficients[::-1], x),
                                 rtol=1e-5, atol=1e-6)


def test_inputs_and_sizes_follow_the_reference():
  distribution = PolynomialTasks(order=2)
  tasks, _, _ = _evaluation(distribution, num_tasks=200)
  assert tasks.support_x.shape == (200, 10, 1)
  assert tasks.query_y.shape == (200, 10, 1)
  x = np.concatenate([tasks.support_x, tasks.query_x], axis=1)
  assert x.min() >= -2 and x.max() <= 2 and x.min() < -1.9 and x.max() > 1.9


def test_order_zero_tasks_are_constant_functions():
  distribution = PolynomialTasks(order=0)
  tasks, _, data_seeds = _evaluation(distribution)
  y = np.concatenate([tasks.support_y, tasks.query_y], axis=1)
  np.testing.assert_array_equal(y, np.broadcast_to(y[:, :1], y.shape))
  constants = [distribution.coefficients(s).numpy()[0] for s in data_seeds]
  np.testing.assert_array_equal(y[:, 0, 0], constants)
  assert np.std(constants) > 0.1  # constants differ between tasks


def test_same_seed_same_tasks_other_seed_other_tasks():
  distribution = PolynomialTasks(order=2)
  first, first_seeds, _ = _evaluation(distribution, seed=5)
  again, again_seeds, _ = _evaluation(distribution, seed=5)
  other, _, _ = _evaluation(distribution, seed=6)
  for a, b in zip(first, again):
    np.testing.assert_array_equal(a, b)
  np.testing.assert_array_equal(first_seeds, again_seeds)
  assert not np.allclose(first.support_y, other.support_y)


def test_the_stream_made_in_the_graph_equals_the_dataset():
  distribution = PolynomialTasks(order=1)
  (tasks, seeds), = distribution.dataset(7, 4, start_batch=2,
                                         num_batches=1)
  graph_tasks, graph_seeds = tf.function(
      lambda: distribution.batch(7, 2, 4), jit_compile=True)()
  # The draws are exact; XLA may fuse Horner's multiply-adds (one ulp).
  np.testing.assert_array_equal(tasks.support_x, graph_tasks.support_x)
  np.testing.assert_array_equal(tasks.query_x, graph_tasks.query_x)
  for a, b in zip(tasks, graph_tasks):
    np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
  np.testing.assert_array_equal(seeds, graph_seeds)


def test_bad_arguments_are_rejected_with_what_was_received():
  with pytest.raises(ValueError, match="order must be an integer >= 0; "
                     "received -1"):
    PolynomialTasks(order=-1)
  with pytest.raises(ValueError, match="shots must be an integer >= 1; "
                     "received 0"):
    PolynomialTasks(shots=0)


def test_the_config_spec_sets_variant_and_order():
  config = polynomial_config.get_config("mtnet,2")
  assert (config.variant, config.polynomial_order) == ("mtnet", 2)
  assert config.cell == "mtnet" and config.learner.inner_learning_rate == 0.001
  assert polynomial_config.get_config("maml").polynomial_order == 1
  distribution = experiments.task_distribution(config, shots=5)
  assert distribution.order == 2 and distribution.shots == 5
  with pytest.raises(ValueError, match="VARIANT\\[,ORDER\\].*'mtnet,x'"):
    polynomial_config.get_config("mtnet,x")
  config.polynomial_order = -1
  with pytest.raises(ValueError, match="polynomial_order must be an integer "
                     ">= 0; received -1"):
    experiments.validate_config(config)
