# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Task streams made in the graph equal the tf.data stream."""

import numpy as np
import pytest
import tensorflow as tf

import kerasmeta as km


def _images():
  return np.random.default_rng(0).integers(0, 255, (12, 6, 8, 8, 1),
                                           dtype=np.uint8)


DISTRIBUTIONS = {
    "sinusoid": lambda: km.SinusoidTasks(shots=5),
    "surfaces": lambda: km.tasks.SurfaceTasks(num_inits=3),
    "continual_sine": lambda: km.tasks.ContinualSineTasks(),
    "episodes": lambda: km.tasks.EpisodeSampler(
        _images(), ways=3, shots=1, queries=2, rotations=(0, 90)),
}


@pytest.mark.parametrize("jit_compile", [False, True])
@pytest.mark.parametrize("name", sorted(DISTRIBUTIONS))
def test_a_batch_made_in_the_graph_is_the_datasets_batch(name, jit_compile):
  distribution = DISTRIBUTIONS[name]()
  expected = next(iter(distribution.dataset(5, 4, start_batch=3)))
  made = tf.function(lambda index: distribution.batch(5, index, 4),
                     jit_compile=jit_compile)(tf.constant(3, tf.int64))
  assert type(made[0]) is type(expected[0])
  for want, got in zip(tf.nest.flatten(expected), tf.nest.flatten(made)):
    assert want.shape == got.shape and want.dtype == got.dtype
    if want.dtype.is_integer:  # labels and seeds: exact
      np.testing.assert_array_equal(want, got)
    else:  # the draws are exact; the targets computed from them may round
      np.testing.assert_allclose(want, got, rtol=1e-6, atol=1e-6)


def test_slices_of_a_batch_are_the_replicas_shares():
  distribution = km.SinusoidTasks(shots=5)
  whole, seeds = distribution.batch(1, 2, 6)
  first, first_seeds = distribution.batch(1, 2, 6, first=0, count=3)
  second, second_seeds = distribution.batch(1, 2, 6, first=3, count=3)
  np.testing.assert_array_equal(
      whole.support_x, np.concatenate([first.support_x, second.support_x]))
  np.testing.assert_array_equal(seeds,
                                np.concatenate([first_seeds, second_seeds]))


def test_a_count_that_is_not_a_python_int_is_refused():
  with pytest.raises(ValueError, match="positive Python int"):
    km.SinusoidTasks().batch(0, 0, 4, count=0)
