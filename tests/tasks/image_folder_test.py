# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""The folder path of mini-/tiered-ImageNet, on a tiny folder written here."""

import numpy as np
import pytest
import tensorflow as tf

from kerasmeta.tasks import episodes
from kerasmeta.tasks import image_folder


def _write_folder(root, classes_per_split=(3, 2, 2), per_class=4):
  rng = np.random.default_rng(0)
  for split, count in zip(("train", "val", "test"), classes_per_split):
    for index in range(count):
      folder = root / split / f"{split}_class_{index}"
      folder.mkdir(parents=True)
      for example in range(per_class):
        # A class is a colour: its red channel, plus a little noise.
        image = np.full((10, 12, 3), 40 * index + 20, np.uint8)
        image += rng.integers(0, 5, size=image.shape, dtype=np.uint8)
        (folder / f"{example}.png").write_bytes(
            tf.io.encode_png(image).numpy())


def test_folder_splits_load_resized_and_grouped_by_class(tmp_path):
  _write_folder(tmp_path)
  parts = image_folder.load(str(tmp_path), size=16, examples_per_class=4)
  assert parts["train"].shape == (3, 4, 16, 16, 3)
  assert parts["validation"].shape == (2, 4, 16, 16, 3)
  assert parts["test"].shape == (2, 4, 16, 16, 3)
  assert parts["train"].dtype == np.uint8
  # Each class holds its own colour.
  reds = sorted(parts["train"][:, :, :, :, 0].mean(axis=(1, 2, 3)))
  assert np.all(np.diff(reds) > 30)
  sampler = episodes.EpisodeSampler(parts["train"], ways=3, shots=1,
                                    queries=2)
  task = sampler.sample(tf.constant([0, 1], tf.int64))
  assert task.support_x.shape == (3, 16, 16, 3)


def test_smallest_class_sets_the_size_when_not_given(tmp_path):
  _write_folder(tmp_path, per_class=3)
  parts = image_folder.load(str(tmp_path), size=8, examples_per_class=None)
  assert parts["train"].shape[1] == 3


def test_missing_folder_says_how_to_prepare_it(tmp_path):
  with pytest.raises(FileNotFoundError, match="train/, val/ and test/"):
    image_folder.load(str(tmp_path / "nothing"))
