# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""kerasmeta.sampling draws what tf.random's stateless Philox ops draw, bit
for bit, with and without XLA."""

import numpy as np
import pytest
import tensorflow as tf

from kerasmeta import precision
from kerasmeta import sampling

# Small and large seeds: XLA's own seed handling agrees with TensorFlow's
# only where the high words of the seed are zero.
SEEDS = [[0, 0], [3, 7], [3209952783136134965, -2214303129374340761],
         [-1, 2**40 + 5]]


def _both(function, *args):
  """`function(*args)` traced without and with XLA."""
  return (tf.function(function)(*args),
          tf.function(function, jit_compile=True)(*args))


def _equal(a, b):
  return all(np.array_equal(x.numpy(), y.numpy())
             for x, y in zip(tf.nest.flatten(a), tf.nest.flatten(b)))


@pytest.mark.parametrize("seed", SEEDS)
def test_split_and_fold_in_equal_tensorflows_with_and_without_xla(seed):
  seed = tf.constant(seed, tf.int64)
  expected = (tf.random.experimental.stateless_split(seed, 3),
              tf.random.experimental.stateless_fold_in(seed, 11))
  for got in _both(lambda s: (sampling.split(s, 3), sampling.fold_in(s, 11)),
                   seed):
    assert _equal(expected, got)


def test_int32_seeds_split_as_tensorflow_splits_them():
  seed = tf.constant([-5, 2**30], tf.int32)
  expected = tf.random.experimental.stateless_split(seed, 2)
  for got in _both(lambda s: sampling.split(s, 2), seed):
    assert got.dtype == tf.int32 and _equal(expected, got)


@pytest.mark.parametrize("seed", SEEDS)
def test_uniform_floats_and_ints_equal_tensorflows_with_and_without_xla(seed):
  seed = tf.constant(seed, tf.int64)
  expected = (
      tf.random.stateless_uniform([7, 3], seed, -5.0, 3.0, alg="philox"),
      tf.random.stateless_uniform([5], seed, -1, 2, dtype=tf.int32,
                                  alg="philox"))
  draw = lambda s: (sampling.uniform([7, 3], s, -5.0, 3.0),
                    sampling.uniform([5], s, -1, 2, dtype=tf.int32))
  for got in _both(draw, seed):
    assert _equal(expected, got)


@pytest.mark.parametrize("shape", [[1], [2, 3], [5, 7], [4097]])
def test_random_bits_are_philoxs_uint32_draw_with_and_without_xla(shape):
  # Drawn as uint64 words split in two: the same bits, in the same order.
  seed = tf.constant(SEEDS[2], tf.int64)
  expected = tf.random.stateless_uniform(shape, seed, None, None,
                                         dtype=tf.uint32, alg="philox")
  for got in _both(lambda s: sampling.random_bits(shape, s), seed):
    assert _equal(expected, got)
  dynamic = tf.function(
      lambda x: sampling.random_bits(tf.shape(x), seed),
      input_signature=[tf.TensorSpec(None, tf.float32)])
  assert _equal(expected, dynamic(tf.zeros(shape)))


def test_xla_alone_would_draw_other_numbers():
  # What the module exists for: if this starts to pass, XLA and TensorFlow
  # agree and the module could go.
  seed = tf.constant(SEEDS[2], tf.int64)
  plain, compiled = _both(
      lambda s: tf.random.stateless_uniform([4], s, alg="philox"), seed)
  assert not np.array_equal(plain.numpy(), compiled.numpy())


def test_choose_draws_distinct_indices_alike_with_and_without_xla():
  seed = tf.constant([4, 2], tf.int32)
  plain, compiled = _both(
      lambda s: sampling.choose(s, 50, 10, batch_shape=[3]), seed)
  assert _equal(plain, compiled)
  for row in plain.numpy():
    assert len(set(row)) == 10 and row.min() >= 0 and row.max() < 50


def test_unsupported_dtypes_are_refused_with_what_was_received():
  with pytest.raises(ValueError, match="float64"):
    sampling.uniform([2], [1, 2], dtype=tf.float64)
  with pytest.raises(ValueError, match="float32"):
    sampling.split(tf.constant([1.0, 2.0]))
  with pytest.raises(ValueError, match="'threefry'"):
    sampling.choose([1, 2], 5, 2, alg="threefry")


def test_normal_draws_are_standard_normal_and_alike_under_xla():
  seed = tf.constant([3, 4], tf.int32)
  draw = lambda s: sampling.normal([200_000], s)
  values = draw(seed).numpy()
  assert abs(values.mean()) < 0.01 and abs(values.std() - 1.0) < 0.01
  assert abs(np.mean(np.abs(values) < 1.0) - 0.6827) < 0.005
  # Computed in float64 and rounded: XLA's log and cos give the same draws.
  np.testing.assert_array_equal(
      values, tf.function(draw, jit_compile=True)(seed).numpy())
  assert sampling.normal([3], seed, tf.float64).dtype == tf.float64


def test_normal_draws_without_float64_differ_in_the_last_bits_only(
    monkeypatch):
  # Where a TPU is attached the transform is computed in float32
  # (`precision.wide_float`): no float64 op in the compiled draw.
  seed = tf.constant([3, 4], tf.int32)
  wide = sampling.normal([10_000], seed).numpy()
  monkeypatch.setattr(precision, "wide_float", lambda: tf.float32)
  draw = tf.function(lambda s: sampling.normal([10_000], s),
                     jit_compile=True)
  assert "f64" not in draw.experimental_get_compiler_ir(seed)(stage="hlo")
  np.testing.assert_allclose(draw(seed).numpy(), wide, rtol=1e-5,
                             atol=1e-6)


def test_dropout_zeroes_the_rate_and_scales_the_rest():
  x = tf.ones([100_000])
  dropped = sampling.dropout(x, 0.3, tf.constant([1, 2])).numpy()
  assert abs(np.mean(dropped == 0.0) - 0.3) < 0.01
  np.testing.assert_allclose(dropped[dropped > 0], 1 / 0.7, rtol=1e-6)
  assert sampling.dropout(x, 0.0, None) is x
  with pytest.raises(ValueError, match=r"rate must be in \[0, 1\); received "
                     "1.0"):
    sampling.dropout(x, 1.0, tf.constant([1, 2]))
