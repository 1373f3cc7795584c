# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""kerasmeta.philox: Philox-4x32-10 in tensor ops, many seeds at once, is
TensorFlow's stateless Philox stream of each seed."""

import numpy as np
import pytest
import tensorflow as tf

from kerasmeta import philox
from kerasmeta import sampling

# Negative words (sign-extended to 64 bits by TensorFlow) and extremes.
SEEDS = np.array([[0, 0], [3, 7], [-1, 5], [2**31 - 1, -2**31],
                  [123456789, -987654321]], np.int32)


def _both(function, *args):
  """`function(*args)` traced without and with XLA."""
  return (tf.function(function)(*args),
          tf.function(function, jit_compile=True)(*args))


def test_a_block_is_tensorflows_philox_block():
  rng = np.random.default_rng(0)
  for _ in range(3):
    key = rng.integers(0, 2**32, 2, dtype=np.uint64)
    counter = rng.integers(0, 2**32, 4, dtype=np.uint64)
    joined = lambda low, high: low | (high << np.uint64(32))
    expected = tf.raw_ops.StatelessRandomUniformFullIntV2(
        shape=[4], key=[joined(*key)],
        counter=[joined(*counter[:2]), joined(*counter[2:])], alg=1,
        dtype=tf.uint32).numpy()
    words = philox.block(tuple(tf.constant(k, tf.uint32) for k in key),
                         tuple(tf.constant(c, tf.uint32) for c in counter))
    assert [int(w) for w in words] == [int(e) for e in expected]


@pytest.mark.parametrize("count", [1, 4, 7, 4097])
def test_each_row_is_its_seeds_stream_with_and_without_xla(count):
  expected = np.stack([
      tf.random.stateless_uniform([count], seed, None, None, dtype=tf.uint32,
                                  alg="philox").numpy() for seed in SEEDS])
  for got in _both(lambda s: philox.bits(s, count), tf.constant(SEEDS)):
    np.testing.assert_array_equal(got.numpy(), expected)


def test_many_draws_at_once_are_each_draws_own_stream():
  seeds = [tf.constant(SEEDS), tf.constant(SEEDS[::-1].copy()),
           tf.constant(SEEDS + 1)]
  counts = [5, 0, 9]
  for got in _both(lambda *s: philox.bits_many(list(s), counts), *seeds):
    for drawn, seed_rows, count in zip(got, seeds, counts):
      np.testing.assert_array_equal(drawn.numpy(),
                                    philox.bits(seed_rows, count).numpy())


def test_the_batched_draws_equal_the_one_seed_draws():
  seeds = tf.constant(SEEDS)
  per_seed = lambda function: np.stack(
      [function(seeds[t]).numpy() for t in range(len(SEEDS))])

  def batched(s):
    folded = sampling.fold_in_each(s, [0, 11])
    uniforms = sampling.uniform_each([([3, 5], s), ([64], folded[1])])
    normals = sampling.normal_each([([2, 33], s)])
    return folded, uniforms, normals

  for folded, uniforms, normals in _both(batched, seeds):
    np.testing.assert_array_equal(
        folded[1].numpy(), per_seed(lambda s: sampling.fold_in(s, 11)))
    np.testing.assert_array_equal(
        uniforms[0].numpy(), per_seed(lambda s: sampling.uniform([3, 5], s)))
    np.testing.assert_array_equal(uniforms[1].numpy(), per_seed(
        lambda s: sampling.uniform([64], sampling.fold_in(s, 11))))
    # Box-Muller in float64, rounded: the same wherever a row falls.
    np.testing.assert_array_equal(
        normals[0].numpy(), per_seed(lambda s: sampling.normal([2, 33], s)))


def test_seeds_other_than_int32_pairs_are_refused():
  with pytest.raises(ValueError, match="int32"):
    philox.key_counter(tf.constant([[1, 2]], tf.int64))
  with pytest.raises(ValueError, match="one count per seed"):
    philox.bits_many([tf.constant(SEEDS)], [1, 2])
