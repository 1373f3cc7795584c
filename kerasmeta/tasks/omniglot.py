# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Omniglot through tensorflow-datasets, grouped by character.

`load` reads tfds' `omniglot` (105x105 drawings, 20 per character, 1,623
characters of 50 alphabets), resizes them to `size x size` grayscale with
ink as bright pixels (as the procedural glyphs), and groups them by
character into the `[classes, examples, size, size, 1]` uint8 layout of
`EpisodeSampler`. `split` gives the two protocols of the papers:

  * "maml": the MAML reference's split of all 1,623 characters, shuffled
    with a fixed seed: 1,100 meta-training, 100 validation, 423 test;
  * "background": tfds' `train` split (the 30 background alphabets, 964
    characters) for meta-training and `test` (the 20 evaluation alphabets,
    659 characters) for testing, 5% of the background characters held out
    for validation.

tfds downloads the data on first use into `data_dir` (default
~/tensorflow_datasets); tests run the same code on `tfds.testing.mock_data`.
"""

from __future__ import annotations

from typing import Callable, Optional

import numpy as np
import tensorflow as tf
import tensorflow_datasets as tfds

PROTOCOLS = ("maml", "background")
MAML_SPLIT = (1100, 100, 423)


def prepare_image(size: int) -> Callable[[tf.Tensor], tf.Tensor]:
  """`image -> [size, size, 1]` uint8 with bright ink (Omniglot draws black
  on white)."""
  def prepare(image):
    gray = tf.image.rgb_to_grayscale(image)
    ink = 255 - tf.cast(gray, tf.float32)
    resized = tf.image.resize(ink, [size, size], antialias=True)
    return tf.cast(tf.clip_by_value(tf.round(resized), 0, 255), tf.uint8)
  return prepare


def _read(split: str, data_dir: Optional[str],
          size: int) -> tuple[np.ndarray, np.ndarray]:
  """(images [n, size, size, 1] uint8, character labels [n]) of a split."""
  prepare_image_fn = prepare_image(size)

  def prepare(example):
    return prepare_image_fn(example["image"]), example["label"]
  dataset = tfds.load("omniglot", split=split, data_dir=data_dir)
  images, labels = [], []
  for image, label in dataset.map(prepare).batch(1024).as_numpy_iterator():
    images.append(image)
    labels.append(label)
  return np.concatenate(images), np.concatenate(labels)


def group_by_class(images: np.ndarray, labels: np.ndarray,
                   examples_per_class: int = 20) -> np.ndarray:
  """`[classes, examples_per_class, ...]`, classes in label order.

  Classes with fewer examples are left out; extra examples are dropped.
  """
  classes = []
  for label in np.unique(labels):
    members = images[labels == label]
    if len(members) >= examples_per_class:
      classes.append(members[:examples_per_class])
  if not classes:
    raise ValueError(f"No class has {examples_per_class} examples.")
  return np.stack(classes)


def load(protocol: str = "maml", data_dir: Optional[str] = None, size: int = 28,
         examples_per_class: int = 20, seed: int = 1) -> dict[str, np.ndarray]:
  """`{"train", "validation", "test"}` image arrays for `EpisodeSampler`."""
  if protocol not in PROTOCOLS:
    raise ValueError(f"protocol must be one of {PROTOCOLS}; received "
                     f"{protocol!r}.")
  if protocol == "background":
    background = group_by_class(*_read("train", data_dir, size),
                                examples_per_class)
    held_out = max(1, len(background) // 20)
    order = np.random.default_rng(seed).permutation(len(background))
    return {"train": background[order[held_out:]],
            "validation": background[order[:held_out]],
            "test": group_by_class(*_read("test", data_dir, size),
                                   examples_per_class)}
  images, labels = _read("train+test", data_dir, size)
  characters = group_by_class(images, labels, examples_per_class)
  order = np.random.default_rng(seed).permutation(len(characters))
  total = len(characters)
  train, validation = MAML_SPLIT[:2]
  if total < sum(MAML_SPLIT):  # a partial download or test data: same shares
    train = int(total * MAML_SPLIT[0] / sum(MAML_SPLIT))
    validation = max(1, int(total * MAML_SPLIT[1] / sum(MAML_SPLIT)))
  return {"train": characters[order[:train]],
          "validation": characters[order[train:train + validation]],
          "test": characters[order[train + validation:]]}
