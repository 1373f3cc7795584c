# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
import numpy as np
import pytest
import tensorflow as tf

from kerasmeta.tasks import continual_sine


def _sequence(order=None):
  distribution = continual_sine.ContinualSineTasks(order=order)
  return distribution, distribution.sample(tf.constant([3, 4], tf.int64))


def test_each_step_draws_from_its_subinterval_in_order():
  distribution, sequence = _sequence()
  assert sequence.train_x.shape == (100, 5, 1)
  assert sequence.val_x.shape == (5, 10, 1)
  for step in range(100):
    low, high = distribution.subinterval(step // 20)
    assert low <= sequence.train_x[step].numpy().min()
    assert sequence.train_x[step].numpy().max() <= high
  for subtask in range(5):
    low, high = distribution.subinterval(subtask)
    values = sequence.val_x[subtask].numpy()
    assert low <= values.min() and values.max() <= high


def test_targets_are_the_sigmoid_mixed_sines_of_eq_17():
  distribution, sequence = _sequence()
  a1, b1, a2, b2, offset = (float(v) for v in distribution.parameters(
      tf.constant([3, 4], tf.int64)))
  x = sequence.train_x.numpy()
  gate = 1 / (1 + np.exp(-(x + offset)))
  expected = gate * a1 * np.sin(x - b1) + (1 - gate) * a2 * np.sin(x - b2)
  np.testing.assert_allclose(sequence.train_y, expected, rtol=1e-4,
                             atol=1e-5)
  assert 0.1 <= a1 <= 5 and 0 <= b1 <= np.pi and -5 <= offset <= 5


def test_another_order_presents_the_same_subtasks_reordered():
  _, sequence = _sequence()
  _, reordered = _sequence(order=(1, 3, 4, 2, 0))
  for position, subtask in enumerate((1, 3, 4, 2, 0)):
    np.testing.assert_array_equal(reordered.val_x[position],
                                  sequence.val_x[subtask])
    np.testing.assert_array_equal(
        reordered.train_x[position * 20:(position + 1) * 20],
        sequence.train_x[subtask * 20:(subtask + 1) * 20])


def test_bad_order_is_a_clear_error():
  with pytest.raises(ValueError, match="permutation"):
    continual_sine.ContinualSineTasks(order=(0, 1, 1, 2, 3))
