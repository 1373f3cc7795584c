# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""A model the user already has, made meta-learnable three ways (MAML, ANIL,
MT-net), meta-trained with `fit` on glyph episodes, exported, and answered
by the served adapter."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import kerasmeta as km

WAYS = 5


def resnet_backbone_classifier(seed=0):
  """A small ResNet-style classifier, random weights, nothing downloaded:
  a stem, one residual block (conv-BN-ReLU twice, identity shortcut),
  global pooling and a dense head."""
  keras.utils.set_random_seed(seed)
  inputs = keras.Input((14, 14, 1))
  x = keras.layers.Conv2D(8, 3, padding="same", name="stem")(inputs)
  x = keras.layers.ReLU()(keras.layers.BatchNormalization(name="stem_bn")(x))
  y = keras.layers.Conv2D(8, 3, padding="same", name="block_conv1")(x)
  y = keras.layers.ReLU()(keras.layers.BatchNormalization(name="block_bn1")(y))
  y = keras.layers.Conv2D(8, 3, padding="same", name="block_conv2")(y)
  y = keras.layers.BatchNormalization(name="block_bn2")(y)
  x = keras.layers.ReLU()(keras.layers.Add()([x, y]))
  x = keras.layers.GlobalAveragePooling2D()(x)
  outputs = keras.layers.Dense(WAYS, name="head")(x)
  return keras.Model(inputs, outputs, name="resnet_classifier")


@pytest.fixture(scope="module")
def episodes():
  images = km.tasks.glyphs.generate(km.tasks.glyphs.GlyphConfig(
      num_alphabets=3, characters_per_alphabet=10, samples_per_character=6,
      size=14))
  return km.tasks.EpisodeSampler(images, ways=WAYS, shots=1, queries=3)


def _as_maml(model):
  return model


def _as_anil(model):
  return km.layers.adapt_only(model, ["head"])


def _as_mtnet(model):
  return km.layers.to_tnet(model, mask="unit")


@pytest.mark.parametrize("make", [_as_maml, _as_anil, _as_mtnet],
                         ids=["maml", "anil", "mtnet"])
def test_the_users_model_meta_trains_with_fit_and_is_served(make, episodes,
                                                           tmp_path):
  original = resnet_backbone_classifier()
  model = make(original)
  task = episodes.sample(tf.constant([3, 4]))
  np.testing.assert_allclose(model(task.query_x), original(task.query_x),
                             atol=1e-5)  # converted: the same function
  learner = km.MAML(model, loss="sparse_softmax_cross_entropy",
                    inner_learning_rate=0.4)
  roles = learner.roles
  adapted_names = {w.path.split("/")[-2] for w in roles.adapted}
  if make is _as_anil:
    assert adapted_names == {"head"}
  else:
    assert {"stem", "block_conv1", "head"} <= adapted_names
  if make is _as_mtnet:
    assert len(roles.meta) >= 4  # T matrices and mask logits

  meta_model = km.MetaModel(learner, metrics=["accuracy"],
                            deterministic_eval=True)
  meta_model.compile(optimizer=keras.optimizers.Adam(1e-3))
  before = [w.numpy().copy() for w in meta_model.trainable_weights]
  history = meta_model.fit(
      episodes.dataset(seed=0, batch_size=2), epochs=1, steps_per_epoch=2,
      verbose=0, validation_data=episodes.dataset(seed=1, batch_size=2),
      validation_steps=1)
  assert np.all(np.isfinite(history.history["query_loss"]))
  assert 0.0 <= history.history["val_accuracy"][0] <= 1.0
  assert any(not np.allclose(a, b.numpy()) for a, b in
             zip(before, meta_model.trainable_weights))

  path = str(tmp_path / "adapter" / "1")
  # Batch-norm in task mode: a query's answer depends on the other queries.
  km.export.export_adapter(learner, path, allow_transductive=True)
  served = tf.saved_model.load(path).signatures["adapt_and_predict"]
  answer = served(support_x=task.support_x,
                  support_y=tf.reshape(task.support_y, [-1]),
                  query_x=task.query_x)
  adapted = learner.adapt(task.support_x, task.support_y,
                          deterministic=True)
  expected = tf.nn.softmax(learner.predict(adapted, task.query_x))
  np.testing.assert_allclose(answer["probabilities"], expected, atol=1e-5)
  adapted_model = learner.adapted_model(adapted)
  np.testing.assert_allclose(
      tf.nn.softmax(adapted_model(task.query_x, training=True)), expected,
      atol=1e-5)


def test_adapt_only_refuses_what_it_cannot_mark():
  model = resnet_backbone_classifier()
  with pytest.raises(ValueError, match="no layers named \\['haed'\\]"):
    km.layers.adapt_only(model, ["haed"])
  nested = keras.Sequential([keras.Input((14, 14, 1)),
                             keras.Model(model.input, model.layers[-2].output),
                             keras.layers.Dense(WAYS, name="head")])
  with pytest.raises(ValueError, match="nested models"):
    km.layers.adapt_only(nested, ["head"])
