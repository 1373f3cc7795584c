"""Stateless draws shared by the learners and task streams."""

import tensorflow as tf


def choose(seed, population, count):
  """`count` distinct indices of `range(population)`, in random order.

  A draw without replacement that is a pure function of the stateless
  `seed` (int32 [2]): the same seed always gives the same indices.

  Returns:
    An int32 tensor of shape [count] (or fewer where `population` is
    smaller).
  """
  keys = tf.random.stateless_uniform([population], seed)
  return tf.cast(tf.argsort(keys)[:count], tf.int32)
