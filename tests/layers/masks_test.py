# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

from kerasmeta.layers import masks


def test_hard_samples_are_exactly_zero_or_one():
  logits = tf.linspace(-3.0, 3.0, 101)
  sample = masks.sample_binary_concrete(logits, 1.0, tf.constant([1, 2]))
  values = sample.numpy()
  assert set(np.unique(values)) <= {0.0, 1.0}


def test_mask_frequencies_follow_sigmoid_of_logits():
  logits = tf.constant([-2.0, -0.5, 0.0, 1.0, 3.0])
  tiled = tf.tile(logits[tf.newaxis], [20000, 1])
  sample = masks.sample_binary_concrete(tiled, 1.0, tf.constant([3, 4]))
  frequency = tf.reduce_mean(sample, axis=0).numpy()
  expected = tf.sigmoid(logits).numpy()
  # 4 standard errors of a Bernoulli mean over 20000 draws.
  tolerance = 4 * np.sqrt(expected * (1 - expected) / 20000)
  np.testing.assert_array_less(np.abs(frequency - expected), tolerance)


@pytest.mark.parametrize("temperature", [0.5, 1.0, 2.0])
def test_soft_samples_match_tfp_relaxed_bernoulli(temperature):
  logit = 0.7
  ours = masks.sample_binary_concrete(
      tf.fill([20000], logit), temperature, tf.constant([5, 6]),
      hard=False).numpy()
  reference = tfp.distributions.RelaxedBernoulli(temperature, logits=logit)
  # Kolmogorov-Smirnov distance to tfp's CDF.
  ours.sort()
  cdf = reference.cdf(ours).numpy()
  empirical = np.arange(1, len(ours) + 1) / len(ours)
  assert np.max(np.abs(cdf - empirical)) < 0.015


def test_gradients_reach_the_logits_through_the_hard_sample():
  logits = tf.Variable(tf.zeros([8]))
  with tf.GradientTape() as tape:
    sample = masks.sample_binary_concrete(logits, 1.0, tf.constant([7, 8]))
    objective = tf.reduce_sum(sample * tf.range(1, 9, dtype=tf.float32))
  gradient = tape.gradient(objective, logits)
  assert gradient is not None
  assert np.all(gradient.numpy() > 0)


def test_same_seed_gives_same_mask_and_other_seed_another():
  logits = tf.zeros([64])
  first = masks.sample_binary_concrete(logits, 1.0, tf.constant([1, 1]))
  again = masks.sample_binary_concrete(logits, 1.0, tf.constant([1, 1]))
  other = masks.sample_binary_concrete(logits, 1.0, tf.constant([1, 2]))
  np.testing.assert_array_equal(first, again)
  assert np.any(first.numpy() != other.numpy())


def test_most_probable_mask_is_one_where_logit_is_positive():
  mask = masks.most_probable_mask(tf.constant([-1.0, 0.0, 0.5]))
  np.testing.assert_array_equal(mask, [0.0, 0.0, 1.0])


def test_unknown_mask_kind_is_rejected_with_its_name():
  with pytest.raises(ValueError, match="'rows'"):
    masks.check_mask_kind("rows")


def test_samples_are_the_same_with_and_without_xla():
  logits = tf.linspace(-3.0, 3.0, 40)
  draw = lambda seed: masks.sample_binary_concrete(logits, 0.5, seed,
                                                   hard=False)
  seed = tf.constant([123456789, -987654321], tf.int32)
  plain = tf.function(draw)(seed)
  compiled = tf.function(draw, jit_compile=True)(seed)
  np.testing.assert_allclose(plain, compiled, rtol=1e-6, atol=1e-7)
