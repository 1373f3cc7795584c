# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
import keras
import numpy as np
import pytest
import tensorflow as tf

import kerasmeta as km
from kerasmeta import functional
from tests import helpers


def test_roles_split_adapted_meta_and_state():
  model = km.models.conv4(input_shape=(8, 8, 1), num_classes=3, filters=4,
                          cell="mtnet")
  roles = functional.weight_roles(model)
  names = lambda ws: sorted({w.name for w in ws})
  assert names(roles.adapted) == ["beta", "bias", "gamma", "kernel"]
  assert names(roles.meta) == ["mask_logits", "transform"]
  assert names(roles.state) == ["moving_mean", "moving_variance"]
  assert len(roles.adapted) + len(roles.meta) == len(
      model.trainable_variables)


def test_unbuilt_model_is_rejected_with_its_name():
  model = keras.Sequential([keras.layers.Dense(2)], name="not_built")
  with pytest.raises(ValueError, match="not_built"):
    functional.weight_roles(model)


def test_call_with_current_values_equals_calling_the_model():
  model = km.models.mlp(cell="mtnet", hidden_sizes=(6,))
  x = tf.random.normal([5, 1])
  values = functional.current_values(functional.weight_roles(model).adapted)
  np.testing.assert_allclose(functional.call_with_weights(model, values, x),
                             model(x), rtol=1e-6)


def test_call_with_substituted_values_leaves_variables_unchanged():
  model = helpers.tiny_mlp()
  roles = functional.weight_roles(model)
  before = [w.numpy().copy() for w in model.weights]
  new_values = [w.value + 1.0 for w in roles.adapted]
  x = tf.constant([[0.3], [-0.2]], tf.float64)

  @tf.function
  def call(values):
    return functional.call_with_weights(model, values, x)

  substituted = call(new_values)
  for weight, value in zip(roles.adapted, new_values):
    weight.assign(value)
  np.testing.assert_allclose(substituted, model(x), rtol=1e-12)
  for weight, value in zip(roles.adapted, before):
    weight.assign(value)
  for weight, value in zip(model.weights, before):
    np.testing.assert_array_equal(weight.numpy(), value)


def test_gradients_flow_to_substituted_values_and_meta_variables():
  model = keras.Sequential([keras.Input((2,), dtype="float64"),
                            km.TDense(2, dtype="float64")])
  roles = functional.weight_roles(model)
  values = functional.current_values(roles.adapted)
  x = tf.constant([[1.0, 2.0]], tf.float64)
  with tf.GradientTape() as tape:
    tape.watch(values)
    out = tf.reduce_sum(functional.call_with_weights(model, values, x) ** 2)
  grads = tape.gradient(out, values + roles.meta)
  assert all(g is not None for g in grads)


def test_wrong_number_of_values_is_rejected():
  model = helpers.tiny_mlp()
  with pytest.raises(ValueError, match="Expected 4 adapted values"):
    functional.call_with_weights(model, [tf.zeros([1, 3])], tf.zeros([1, 1]))
