# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""The baselines' transforms give Keras' optimisers' updates."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from kerasmeta import inner


def _loss(params):
  x = params[0]
  return tf.reduce_sum(tf.square(x - 1.0) * tf.range(1.0, 5.0)) + \
      tf.reduce_sum(tf.sin(x))


@pytest.mark.parametrize("name,keras_optimizer", [
    ("sgd", lambda: keras.optimizers.SGD(0.05)),
    ("nesterov", lambda: keras.optimizers.SGD(0.05, momentum=0.9,
                                              nesterov=True)),
    ("rmsprop", lambda: keras.optimizers.RMSprop(0.05, rho=0.9)),
    ("adam", lambda: keras.optimizers.Adam(0.05)),
])
def test_each_baseline_gives_the_keras_optimizers_updates(name,
                                                          keras_optimizer):
  start = tf.constant([0.3, -0.2, 2.0, 0.0])
  ours = inner.adapt(_loss, [start], inner.classic_optimizer(name, 0.05),
                     7).params[0]
  variable = keras.Variable(start)
  optimizer = keras_optimizer()
  for _ in range(7):
    with tf.GradientTape() as tape:
      value = _loss([variable.value])
    optimizer.apply([tape.gradient(value, variable.value)], [variable])
  np.testing.assert_allclose(ours, variable.numpy(), rtol=1e-5, atol=1e-6)


def test_an_unknown_baseline_is_named():
  with pytest.raises(ValueError, match="Unknown optimiser 'lbfgs'"):
    inner.classic_optimizer("lbfgs", 0.1)
