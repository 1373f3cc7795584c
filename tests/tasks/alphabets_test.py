# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""The alphabet-as-task protocol, offline on tfds.testing.mock_data."""

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

from kerasmeta.tasks import alphabets


def _mock(characters_per_alphabet):
  """Alphabets of the given sizes, 20 drawings per character."""
  labels, alphabet_ids = [], []
  for alphabet, count in enumerate(characters_per_alphabet):
    first = sum(characters_per_alphabet[:alphabet])
    for character in range(count):
      labels += [first + character] * 20
      alphabet_ids += [alphabet] * 20

  def make(index):
    label = tf.gather(tf.constant(labels, tf.int64), index)
    image = tf.fill([105, 105, 3], tf.constant(255, tf.uint8))
    ink = tf.cast(254 - label % 200, tf.uint8)
    image = tf.tensor_scatter_nd_update(image, [[52, 52, 0], [52, 52, 1],
                                                [52, 52, 2]], [ink] * 3)
    return {"image": image, "label": label,
            "alphabet": tf.gather(tf.constant(alphabet_ids, tf.int64), index),
            "alphabet_char_id": tf.constant(0, tf.int64)}

  def as_dataset(self, split, **kwargs):  # pylint: disable=unused-argument
    return tf.data.Dataset.range(len(labels)).map(make)
  return tfds.testing.mock_data(as_dataset_fn=as_dataset)


def test_alphabets_with_enough_characters_become_tasks_some_held_out():
  with _mock([20, 25, 12, 20, 21]):  # the 12-character alphabet is dropped
    parts = alphabets.load(size=28, test_alphabets=1, validation_alphabets=1)
  assert parts["train"].shape == (2, 20, 20, 28, 28, 1)
  assert parts["test"].shape[0] == 1 and parts["validation"].shape[0] == 1
  assert parts["train"].dtype == np.uint8


def _tasks(augment):
  rng = np.random.default_rng(0)
  images = np.zeros((3, 20, 20, 12, 12, 1), np.uint8)
  images[:, :, :, 4:8, 4:8, 0] = rng.integers(100, 255, size=(3, 20, 20, 1,
                                                               1))
  return alphabets.AlphabetTasks(images, train_per_character=15,
                                 augment=augment), images


def test_a_task_is_all_characters_of_one_alphabet_split_15_5():
  distribution, images = _tasks(augment=False)
  task = distribution.sample(tf.constant([4, 2], tf.int64))
  assert task.support_x.shape == (300, 12, 12, 1)
  assert task.query_x.shape == (100, 12, 12, 1)
  assert np.bincount(task.support_y.numpy().ravel()).tolist() == [15] * 20
  assert np.bincount(task.query_y.numpy().ravel()).tolist() == [5] * 20
  # Every drawing comes from one alphabet, each exactly once.
  drawn = np.concatenate([task.support_x, task.query_x]) * 255
  sources = [a for a in range(3) if np.isclose(
      np.sort(drawn.sum(axis=(1, 2, 3))),
      np.sort(images[a].reshape(400, -1).sum(1).astype(float))).all()]
  assert len(sources) == 1
  again = distribution.sample(tf.constant([4, 2], tf.int64))
  np.testing.assert_array_equal(again.support_x, task.support_x)
  # The held-out drawings are each character's last 5, whatever the seed.
  source = images[sources[0]].astype(np.float32) / 255
  np.testing.assert_allclose(task.query_x.numpy().reshape(20, 5, 12, 12, 1),
                             source[:, 15:], rtol=1e-6)


def test_evaluation_covers_every_alphabet_in_turn():
  distribution, images = _tasks(augment=False)
  tasks, seeds, extras = distribution.evaluation_tasks(6, seed=1)
  assert tasks.support_x.shape == (6, 300, 12, 12, 1) and seeds.shape == (6, 2)
  np.testing.assert_array_equal(extras["alphabets"], [0, 1, 2, 0, 1, 2])
  for index in range(6):
    expected = images[index % 3, :, :15].astype(np.float32) / 255
    np.testing.assert_allclose(
        tasks.support_x[index].numpy().reshape(20, 15, 12, 12, 1), expected,
        rtol=1e-6)


def test_affine_augmentation_moves_drawings_but_keeps_their_ink():
  plain, _ = _tasks(augment=False)
  augmented, _ = _tasks(augment=True)
  seed = tf.constant([4, 2], tf.int64)
  before, after = plain.sample(seed), augmented.sample(seed)
  assert not np.allclose(before.support_x, after.support_x)
  np.testing.assert_array_equal(before.support_y, after.support_y)
  ratio = after.support_x.numpy().sum() / before.support_x.numpy().sum()
  assert 0.6 < ratio < 1.6  # scaled by 0.8..1.2 in each direction


def test_random_affine_without_scale_or_shift_turns_about_the_centre():
  image = np.zeros((1, 21, 21, 1), np.float32)
  image[0, 10, 10, 0] = 1.0
  out = alphabets.random_affine(tf.constant(image), tf.constant([1, 2]),
                                scale=(1.0, 1.0), max_shift=0.0)
  np.testing.assert_allclose(out.numpy()[0, 10, 10, 0], 1.0, atol=1e-5)


@pytest.mark.slow
def test_warp_leap_meta_trains_on_alphabet_tasks_and_evaluates(tmp_path):
  from kerasmeta.apps import workdirs  # pylint: disable=g-import-not-at-top
  from kerasmeta.apps.configs import omniglot_alphabets  # pylint: disable=g-import-not-at-top
  from kerasmeta import training  # pylint: disable=g-import-not-at-top
  config = omniglot_alphabets.get_config()
  config.update(filters=4, meta_batch_size=2, num_meta_steps=2, log_every=1,
                test_alphabets=1, jit_compile="off", input_shape=(14, 14, 1))
  config.learner.update(num_inner_steps=3, inner_batch_size=5,
                        replay_batch_size=4)
  config.eval.update(num_tasks=2, num_inner_steps=3, num_plot_tasks=1)
  with _mock([20, 20, 21]):
    trainer = training.Trainer.from_config(config, str(tmp_path))
    metrics = trainer.train()
    result = workdirs.evaluate_workdir(str(tmp_path), trainer=trainer)
  # 2 tasks x (K + 1 = 4) parameterisations in warp steps of 4.
  assert metrics["warp_updates"] == 2
  assert result["results"]["accuracy"]["num_tasks"] == 2
