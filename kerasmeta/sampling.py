"""Stateless draws shared by the learners and task streams."""

import tensorflow as tf


def choose(seed, population, count, batch_shape=(), alg="auto_select"):
  """`count` distinct indices of `range(population)`, in random order.

  A draw without replacement that is a pure function of the stateless
  `seed` (int32 [2]): the same seed always gives the same indices.

  Args:
    seed: the stateless seed.
    population: n, an int or int scalar tensor.
    count: k <= n, a Python int.
    batch_shape: independent draws with these leading axes.
    alg: the stateless RNG algorithm (e.g. "philox", the same on every
      device).

  Returns:
    int32 indices of shape `batch_shape + [count]`.
  """
  keys = tf.random.stateless_uniform(
      tf.concat([tf.constant(batch_shape, tf.int32),
                 tf.reshape(tf.cast(population, tf.int32), [1])], 0),
      seed, alg=alg)
  return tf.cast(tf.argsort(keys, axis=-1)[..., :count], tf.int32)
