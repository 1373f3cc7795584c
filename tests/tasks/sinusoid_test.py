# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
import math

import numpy as np
import pytest
import tensorflow as tf

import kerasmeta as km
from kerasmeta.tasks import base


def _first_batches(distribution, seed, batch_size, count, start=0):
  batches = distribution.dataset(seed, batch_size, start_batch=start)
  return [batch for batch, _ in zip(batches, range(count))]


def test_tasks_follow_the_mtnet_protocol_ranges():
  distribution = km.SinusoidTasks(shots=10)
  tasks, _ = _first_batches(distribution, 0, 200, 1)[0]
  assert tasks.support_x.shape == (200, 10, 1)
  assert tasks.query_x.shape == (200, 10, 1)
  x = np.concatenate([tasks.support_x, tasks.query_x], axis=1)
  assert x.min() >= -5 and x.max() <= 5
  for seed in range(20):
    amplitude, frequency, phase = distribution.parameters(
        tf.constant([seed, 1], tf.int64))
    assert 0.1 <= amplitude <= 5.0
    assert 0.8 <= frequency <= 1.2
    assert 0.0 <= phase <= math.pi


def test_maml_variant_fixes_frequency_and_uses_k_query_points():
  distribution = km.SinusoidTasks(shots=5, variant="maml")
  assert distribution.query_size == 5
  _, frequency, _ = distribution.parameters(tf.constant([3, 4], tf.int64))
  assert float(frequency) == 1.0


def test_targets_are_the_task_function_of_the_inputs():
  distribution = km.SinusoidTasks(shots=5)
  tasks, _, extras = distribution.evaluation_tasks(3, seed=9)
  data_seeds = extras["data_seeds"]
  for i in range(3):
    np.testing.assert_allclose(
        distribution.function(data_seeds[i], tasks.support_x[i]),
        tasks.support_y[i], rtol=1e-6)


def test_a_stream_restarted_at_batch_n_continues_the_uninterrupted_one():
  distribution = km.SinusoidTasks(shots=5)
  whole = _first_batches(distribution, 7, 4, 5)
  resumed = _first_batches(distribution, 7, 4, 2, start=3)
  for (tasks, seeds), (again, again_seeds) in zip(whole[3:], resumed):
    for a, b in zip(tasks, again):
      np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(seeds, again_seeds)


def test_different_seeds_give_different_tasks():
  distribution = km.SinusoidTasks(shots=5)
  (a, _), = _first_batches(distribution, 1, 2, 1)
  (b, _), = _first_batches(distribution, 2, 2, 1)
  assert not np.allclose(a.support_y, b.support_y)


def test_bad_arguments_are_rejected_with_what_was_received():
  with pytest.raises(ValueError, match="'sine'"):
    km.SinusoidTasks(variant="sine")
  with pytest.raises(ValueError, match="shots must be >= 1; received 0"):
    km.SinusoidTasks(shots=0)


def test_k_larger_than_the_points_available_is_rejected():
  x = tf.zeros([8, 1])
  with pytest.raises(ValueError, match="K=10 .* the task has 8 points"):
    base.task_from_points(x, x, shots=10)
  task = base.task_from_points(x, x, shots=5, num_query=3)
  assert task.support_x.shape == (5, 1) and task.query_x.shape == (3, 1)


def test_support_and_query_with_different_feature_shapes_are_rejected():
  task = km.Task(tf.zeros([2, 5, 1]), tf.zeros([2, 5, 1]),
                 tf.zeros([2, 5, 3]), tf.zeros([2, 5, 1]))
  with pytest.raises(ValueError, match=r"support_x \(2, 5, 1\) and query_x "
                                       r"\(2, 5, 3\)"):
    base.validate_task(task)
  model = km.models.mlp(hidden_sizes=(4,))
  with pytest.raises(ValueError, match="same feature shape"):
    km.MAML(model).compute_gradients(task, tf.zeros([2, 2], tf.int32))
