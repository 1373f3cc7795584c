# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
import numpy as np
import tensorflow as tf

from kerasmeta import algorithms


def _buffer(num_tasks=3, points=4):
  params = tf.reshape(tf.range(num_tasks * points * 2, dtype=tf.float32),
                      [num_tasks, points, 2])
  tasks = (tf.range(num_tasks) * 10,)
  return algorithms.ReplayBuffer(tasks, [params]), params


def test_buffer_holds_every_collected_parameterisation_with_its_task():
  buffer, params = _buffer()
  assert int(buffer.size) == 12
  for index in range(12):
    (task,), (value,), velocities = buffer.entry(index)
    t, k = divmod(index, 4)
    np.testing.assert_array_equal(value, params[t, k])
    assert int(task) == 10 * t and velocities is None


def test_batches_sample_without_replacement_and_pad_the_last():
  buffer, _ = _buffer()
  batches = buffer.batches(tf.constant([1, 2]), 5).numpy()
  assert batches.shape == (3, 5)
  drawn = batches[batches >= 0]
  assert sorted(drawn.tolist()) == list(range(12))  # each exactly once
  assert (batches < 0).sum() == 3 and (batches[-1, -3:] == -1).all()
  other = buffer.batches(tf.constant([1, 3]), 5).numpy()
  assert not np.array_equal(batches, other)  # the seed shuffles
  np.testing.assert_array_equal(
      batches, buffer.batches(tf.constant([1, 2]), 5).numpy())
