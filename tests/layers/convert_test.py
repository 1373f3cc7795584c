# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
import keras
import numpy as np
import pytest
import tensorflow as tf

import kerasmeta as km
from kerasmeta import functional
from tests import helpers


def _user_model():
  """A functional conv net of the kind users bring: conv, BN, pool, head."""
  keras.utils.set_random_seed(0)
  inputs = keras.Input((8, 8, 1))
  x = keras.layers.Conv2D(4, 3, padding="same", name="conv")(inputs)
  x = keras.layers.BatchNormalization(name="norm")(x)
  x = keras.layers.ReLU()(x)
  x = keras.layers.GlobalAveragePooling2D()(x)
  outputs = keras.layers.Dense(3, name="head")(x)
  return keras.Model(inputs, outputs, name="user_model")


def _images():
  return tf.constant(np.random.default_rng(0).normal(size=(5, 8, 8, 1)),
                     tf.float32)


@pytest.mark.parametrize("mask,transform", [(None, True), ("unit", True),
                                            ("unit", False)])
def test_to_tnet_keeps_the_function_and_adds_meta_weights(mask, transform):
  model = _user_model()
  converted = km.layers.to_tnet(model, mask=mask, transform=transform)
  assert isinstance(converted.get_layer("conv"), km.TConv2D)
  assert isinstance(converted.get_layer("head"), km.TDense)
  np.testing.assert_allclose(converted(_images()), model(_images()),
                             rtol=1e-5, atol=1e-6)
  roles = functional.weight_roles(converted)
  assert len(roles.adapted) == 6  # conv, batch-norm and head kernels/biases
  assert roles.meta and all("transform" in w.path or "mask" in w.path
                            for w in roles.meta)
  # The original is untouched.
  assert functional.weight_roles(model).meta == []


def test_to_tnet_refuses_what_it_cannot_convert():
  model = _user_model()
  with pytest.raises(ValueError, match="'norm' is a BatchNormalization"):
    km.layers.to_tnet(model, layer_names=["norm"])
  with pytest.raises(ValueError, match="no layers named \\['nope'\\]"):
    km.layers.to_tnet(model, layer_names=["nope"])
  with pytest.raises(ValueError, match="would change nothing"):
    km.layers.to_tnet(model, transform=False)


def test_meta_layers_make_anil_and_survive_saving_and_cloning(tmp_path):
  model = _user_model()
  anil = km.layers.with_meta_layers(model, ["conv", "norm"])
  np.testing.assert_allclose(anil(_images()), model(_images()), rtol=1e-6)
  roles = functional.weight_roles(anil)
  head = anil.get_layer("head")
  assert {id(w) for w in roles.adapted} == {id(head.kernel), id(head.bias)}
  assert len(roles.meta) == 4  # conv kernel and bias, BN gamma and beta
  path = str(tmp_path / "anil.keras")
  anil.save(path)
  for copy in (keras.models.load_model(path), keras.models.clone_model(anil)):
    copy_roles = functional.weight_roles(copy)
    assert (len(copy_roles.adapted), len(copy_roles.meta)) == (2, 4)


def test_adapted_model_holds_the_adapted_weights_and_predicts_like_them():
  learner = km.MAML(helpers.tiny_mlp(), num_inner_steps=2,
                    inner_learning_rate=0.3)
  task = helpers.unbatch(helpers.random_tasks(1), 0)
  adapted = learner.adapt(task).params
  model = learner.adapted_model(adapted)
  np.testing.assert_allclose(model(task.query_x),
                             learner.predict(adapted, task.query_x),
                             rtol=1e-12)
  # The learner's own model keeps theta_0.
  assert not np.allclose(learner.model(task.query_x), model(task.query_x))
  with pytest.raises(ValueError, match="Expected 4 adapted values; "
                     "received 1"):
    learner.adapted_model(adapted[:1])


def test_a_converted_user_model_meta_trains():
  model = km.layers.to_tnet(_user_model(), mask="unit")
  learner = km.MAML(model, loss="sparse_softmax_cross_entropy",
                    inner_learning_rate=0.1)
  rng = np.random.default_rng(1)
  images = lambda n: tf.constant(rng.normal(size=(2, n, 8, 8, 1)),
                                 tf.float32)
  labels = lambda n: tf.constant(rng.integers(0, 3, size=(2, n)), tf.int32)
  tasks = km.Task(images(3), labels(3), images(6), labels(6))
  result = learner.compute_gradients(tasks, helpers.task_seeds(2))
  assert len(result.gradients) == len(learner.trainable_variables)
  assert all(np.all(np.isfinite(g)) for g in result.gradients)


def test_insert_warps_adds_meta_warps_that_start_at_the_identity(tmp_path):
  keras.utils.set_random_seed(0)
  model = keras.Sequential([
      keras.Input((8, 8, 1)),
      keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="c1"),
      keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="c2"),
      # Named: Keras numbers unnamed layers by what the process built before.
      keras.layers.Flatten(name="flatten"), keras.layers.Dense(3, name="head")])
  warped = km.layers.insert_warps(model, "conv")
  assert [layer.name for layer in warped.layers] == [
      "c1", "warp_c1", "c2", "warp_c2", "flatten", "head"]
  np.testing.assert_allclose(warped(_images()), model(_images()), atol=1e-6)
  roles = functional.weight_roles(warped)
  assert (len(roles.adapted), len(roles.meta)) == (6, 4)
  learner = km.WarpMAML(warped, loss="sparse_softmax_cross_entropy",
                        inner_learning_rate=0.1)
  labels = tf.constant([[[0], [1], [2], [0], [1]]])
  tasks = km.Task(_images()[None], labels, _images()[None], labels)
  gradients, _ = learner.compute_gradients(tasks, None)
  assert len(gradients) == len(learner.trainable_variables)
  path = str(tmp_path / "warped.keras")
  warped.save(path)
  loaded_roles = functional.weight_roles(keras.models.load_model(path))
  assert (len(loaded_roles.adapted), len(loaded_roles.meta)) == (6, 4)
  with pytest.raises(ValueError, match="takes a Sequential model; received "
                     "a Functional"):
    km.layers.insert_warps(_user_model())
