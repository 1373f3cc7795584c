# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
import keras
import numpy as np
import tensorflow as tf

from kerasmeta import few_shot_baselines
from kerasmeta.tasks import Task


def _episodes():
  # Two 2-way 1-shot episodes of 2x2 "images"; labels as written.
  support = np.array([[[0.0, 0.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0]],
                      [[5.0, 5.0, 5.0, 5.0], [0.0, 0.0, 0.0, 1.0]]])
  query = np.array([[[0.1, 0.0, 0.2, 0.0], [0.9, 1.0, 0.7, 1.0],
                     [0.6, 0.6, 0.6, 0.4]],
                    [[0.0, 0.0, 0.0, 0.9], [4.0, 5.0, 5.0, 5.0],
                     [0.0, 0.0, 0.0, 0.0]]])
  as_images = lambda a: tf.constant(a.reshape(*a.shape[:2], 2, 2, 1),
                                    tf.float32)
  return Task(as_images(support), tf.constant([[0, 1], [1, 0]]),
              as_images(query), tf.constant([[0, 1, 0], [0, 1, 0]]))


def test_nearest_neighbour_takes_the_closest_support_label():
  accuracies = few_shot_baselines.nearest_neighbour_accuracies(
      _episodes(), batch_size=1)
  # Episode 0: the third query is nearer [1,1,1,1] (label 1), labelled 0.
  # Episode 1: all three are right.
  np.testing.assert_allclose(accuracies, [2 / 3, 1.0])


def test_nearest_neighbour_gives_one_accuracy_per_episode_for_labels_with_an_axis():
  # The image tasks' labels are [episodes, examples, 1]: one accuracy per
  # episode still (not one per query, whose interval would be too narrow).
  episodes = _episodes()
  with_axis = episodes._replace(support_y=episodes.support_y[..., None],
                                query_y=episodes.query_y[..., None])
  accuracies = few_shot_baselines.nearest_neighbour_accuracies(with_axis)
  assert accuracies.shape == (2,)
  np.testing.assert_allclose(accuracies, [2 / 3, 1.0])


def test_nearest_neighbour_uses_the_given_embedding():
  # Embedding by the last pixel alone puts episode 0's third query (0.4)
  # nearer the support example of label 0.
  last_pixel = lambda x: tf.reshape(x, [tf.shape(x)[0], -1])[:, -1:]
  accuracies = few_shot_baselines.nearest_neighbour_accuracies(
      _episodes(), embed=last_pixel)
  np.testing.assert_allclose(accuracies, [1.0, 1.0])


def test_fine_tuning_starts_from_the_features_and_a_zero_head():
  keras.utils.set_random_seed(0)
  features = keras.Sequential([keras.Input((2, 2, 1)), keras.layers.Flatten(),
                               keras.layers.Dense(3, activation="relu")])
  learner = few_shot_baselines.fine_tuning_learner(features, ways=2,
                                                   learning_rate=0.5)
  episode = tf.nest.map_structure(lambda t: t[0], _episodes())
  before = features.get_weights()
  result = learner.adapt(episode.support_x, episode.support_y, num_steps=3)
  # Zero head: uniform predictions before; fine-tuning fits the support set.
  uniform = learner.predict(
      [w.value for w in learner.roles.adapted], episode.support_x)
  np.testing.assert_allclose(tf.nn.softmax(uniform), 0.5)
  assert float(result.losses[-1]) < float(result.losses[0])
  # The pretrained weights themselves are untouched by adaptation.
  for got, want in zip(features.get_weights(), before):
    np.testing.assert_array_equal(got, want)
