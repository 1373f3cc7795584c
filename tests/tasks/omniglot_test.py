# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Omniglot's real loading code, offline on tfds.testing.mock_data."""

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

from kerasmeta.tasks import episodes
from kerasmeta.tasks import omniglot


def _drawings(characters, per_character, first_label=0):
  """Fake 105x105 RGB drawings: black ink on white, character = ink level."""
  def make(index):
    label = first_label + index // per_character
    ink = tf.cast(255 - 3 * (label % 80), tf.uint8)
    image = tf.fill([105, 105, 3], tf.constant(255, tf.uint8))
    image = tf.tensor_scatter_nd_update(
        image, [[50, 50, 0], [50, 50, 1], [50, 50, 2]], [255 - ink] * 3)
    return {"image": image, "alphabet": tf.constant(0, tf.int64),
            "alphabet_char_id": tf.constant(0, tf.int64),
            "label": tf.cast(label, tf.int64)}
  return tf.data.Dataset.range(characters * per_character).map(make)


def _mock(split_sizes):
  def as_dataset(self, split, **kwargs):  # pylint: disable=unused-argument
    total = 0
    parts = []
    for name in str(split).split("+"):
      characters = split_sizes[name]
      parts.append(_drawings(characters, 20, first_label=total))
      total += characters
    dataset = parts[0]
    for part in parts[1:]:
      dataset = dataset.concatenate(part)
    return dataset
  return tfds.testing.mock_data(as_dataset_fn=as_dataset)


def test_maml_protocol_splits_characters_in_the_reference_shares():
  with _mock({"train": 24, "test": 16}):
    parts = omniglot.load("maml", size=28)
  sizes = {name: part.shape for name, part in parts.items()}
  assert sum(s[0] for s in sizes.values()) == 40
  assert sizes["train"][1:] == (20, 28, 28, 1)
  assert sizes["train"][0] == int(40 * 1100 / 1623)
  # Ink is bright, whatever the source's colours.
  assert parts["train"].dtype == np.uint8 and parts["train"].max() > 0
  assert np.median(parts["train"]) < 128


def test_background_protocol_tests_on_the_evaluation_alphabets():
  with _mock({"train": 30, "test": 10}):
    parts = omniglot.load("background", size=28)
  assert parts["test"].shape[0] == 10
  assert parts["train"].shape[0] + parts["validation"].shape[0] == 30
  sampler = episodes.EpisodeSampler(parts["train"], ways=5, shots=1,
                                    queries=5, rotations=(0, 90, 180, 270))
  task = sampler.sample(tf.constant([0, 1], tf.int64))
  assert task.support_x.shape == (5, 28, 28, 1)


def test_grouping_drops_classes_without_enough_examples():
  images = np.arange(7)[:, None]
  labels = np.array([0, 0, 0, 1, 1, 2, 2])
  grouped = omniglot.group_by_class(images, labels, examples_per_class=2)
  assert grouped.shape == (3, 2, 1)
  with pytest.raises(ValueError, match="No class has 4 examples"):
    omniglot.group_by_class(images, labels, examples_per_class=4)
  with pytest.raises(ValueError, match="protocol must be one of"):
    omniglot.load("full")


def test_omniglot_config_meta_trains_on_the_loaded_characters(tmp_path):
  from kerasmeta.apps.configs import omniglot as omniglot_config
  from kerasmeta import training
  config = omniglot_config.get_config("maml")
  config.update(num_meta_steps=2, meta_batch_size=2, filters=4, num_query=2,
                jit_compile="off", log_every=1)
  with _mock({"train": 30, "test": 10}):
    trainer = training.Trainer.from_config(config, str(tmp_path))
    assert trainer.tasks.num_base_classes == int(40 * 1100 / 1623)
    final = trainer.train()
  assert trainer.step == 2 and np.isfinite(final["query_loss"])
