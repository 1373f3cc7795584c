# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
import keras
import numpy as np
import pytest
import tensorflow as tf

from kerasmeta.tasks import episodes


def _labelled_images(classes=6, examples=5, size=4):
  """Image (c, e) is filled with the value 10 c + e, pixel (0, 0) with 255."""
  images = np.zeros((classes, examples, size, size, 1), np.uint8)
  for c in range(classes):
    for e in range(examples):
      images[c, e] = 10 * c + e
  images[:, :, 0, 0, 0] = 255  # a corner that shows rotations
  return images


def _identity(image):
  """(class, example, quarter turns) of an episode image."""
  value = int(round(float(image[1, 1, 0]) * 255))
  corner = [(0, 0), (image.shape[0] - 1, 0), (image.shape[0] - 1,
                                               image.shape[1] - 1),
            (0, image.shape[1] - 1)]
  turns = [k for k, (i, j) in enumerate(corner) if image[i, j, 0] > 0.99]
  return value // 10, value % 10, turns[0]


def test_episode_shapes_labels_and_distinct_examples():
  sampler = episodes.EpisodeSampler(_labelled_images(), ways=3, shots=2,
                                    queries=2)
  task = sampler.sample(tf.constant([1, 2], tf.int64))
  assert task.support_x.shape == (6, 4, 4, 1)
  assert task.query_x.shape == (6, 4, 4, 1)
  np.testing.assert_array_equal(task.support_y[:, 0], [0, 0, 1, 1, 2, 2])
  np.testing.assert_array_equal(task.query_y[:, 0], [0, 0, 1, 1, 2, 2])
  support = [_identity(x) for x in task.support_x.numpy()]
  query = [_identity(x) for x in task.query_x.numpy()]
  # Labels name classes consistently; examples never repeat.
  classes = {}
  for (c, e, _), label in zip(support + query,
                              list(task.support_y[:, 0].numpy())
                              + list(task.query_y[:, 0].numpy())):
    assert classes.setdefault(label, c) == c
  assert len(set(classes.values())) == 3
  assert len({(c, e) for c, e, _ in support + query}) == 12


def test_rotations_are_classes_of_their_own():
  sampler = episodes.EpisodeSampler(_labelled_images(classes=2), ways=8,
                                    shots=1, queries=1,
                                    rotations=(0, 90, 180, 270))
  assert sampler.num_classes == 8
  task = sampler.sample(tf.constant([3, 4], tf.int64))
  seen = {(_identity(x)[0], _identity(x)[2]) for x in task.support_x.numpy()}
  assert seen == {(c, t) for c in range(2) for t in range(4)}


def test_streams_restart_exactly_and_seeds_differ():
  sampler = episodes.EpisodeSampler(_labelled_images(), ways=2, shots=1,
                                    queries=1)
  whole = list(sampler.dataset(7, 2, num_batches=3))
  resumed = list(sampler.dataset(7, 2, start_batch=2, num_batches=1))
  for a, b in zip(whole[2][0], resumed[0][0]):
    np.testing.assert_array_equal(a, b)
  fixed = sampler.evaluation_tasks(4, seed=1).tasks
  again = sampler.evaluation_tasks(4, seed=1).tasks
  other = sampler.evaluation_tasks(4, seed=2).tasks
  np.testing.assert_array_equal(fixed.support_x, again.support_x)
  assert not np.array_equal(fixed.support_x, other.support_x)


def test_class_frequencies_are_uniform():
  sampler = episodes.EpisodeSampler(_labelled_images(classes=4), ways=1,
                                    shots=1, queries=1)
  tasks = sampler.evaluation_tasks(400, seed=0).tasks
  counts = np.bincount([_identity(x)[0] for x in tasks.support_x[:, 0]
                        .numpy()], minlength=4)
  assert counts.min() > 70, counts


@pytest.mark.parametrize("kwargs,message", [
    (dict(shots=4, queries=2), r"K=4 support and Q=2 .* a class has 5"),
    (dict(ways=7), r"ways must be between 1 and the number of classes \(6"),
    (dict(rotations=(45,)), "multiples of 90"),
])
def test_impossible_episodes_are_refused_with_what_was_asked(kwargs, message):
  with pytest.raises(ValueError, match=message):
    episodes.EpisodeSampler(_labelled_images(), **kwargs)


def test_glyph_episodes_meta_train_a_conv4_learner():
  import kerasmeta as km
  from kerasmeta.tasks import glyphs
  images = glyphs.generate(glyphs.GlyphConfig(
      num_alphabets=2, characters_per_alphabet=5, samples_per_character=4))
  sampler = episodes.EpisodeSampler(images, ways=5, shots=1, queries=2,
                                    rotations=(0, 90))
  tasks, seeds = next(iter(sampler.dataset(0, 2)))
  keras.utils.set_random_seed(0)
  model = km.models.conv4(num_classes=5, filters=8, cell="mtnet")
  learner = km.MAML(model, loss="sparse_softmax_cross_entropy",
                    num_inner_steps=1, inner_learning_rate=0.4)
  gradients, metrics = learner.compute_gradients(tasks, seeds)
  assert all(np.all(np.isfinite(g)) for g in gradients)
  assert any(np.any(g.numpy() != 0) for g in gradients)
  # Cross-entropy of 5 classes near chance before meta-training.
  assert 0.5 * np.log(5) < metrics["support_loss"] < 2 * np.log(5)
