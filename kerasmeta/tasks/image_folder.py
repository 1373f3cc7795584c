# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""mini-ImageNet and tiered-ImageNet from a folder the user prepared.

Neither dataset can be downloaded by tfds (ImageNet's licence), so they are
read from a directory laid out as tfds' `ImageFolder` expects:

  data_dir/train/<class>/<image>.jpg   64 classes (mini), 351 (tiered)
  data_dir/val/<class>/<image>.jpg     16 classes (mini),  97 (tiered)
  data_dir/test/<class>/<image>.jpg    20 classes (mini), 160 (tiered)

(the split of Ravi & Larochelle 2017 and Ren et al. 2018; the `val` folder
may also be called `validation`). Images are resized to `size x size` RGB
uint8 and grouped by class into the `[classes, examples, size, size, 3]`
layout of `EpisodeSampler`; every class keeps `examples_per_class` images
(600 for mini-ImageNet; tiered-ImageNet's classes have 732 to 1,300, and
each keeps the first 600 by default to bound memory).
"""

from __future__ import annotations

from typing import Optional

import numpy as np
import tensorflow as tf
import tensorflow_datasets as tfds

from kerasmeta.tasks import omniglot

SPLIT_NAMES = {"train": ("train",), "validation": ("val", "validation"),
               "test": ("test",)}


def load(data_dir: str, size: int = 84,
         examples_per_class: Optional[int] = 600) -> dict[str, np.ndarray]:
  """`{"train", "validation", "test"}` image arrays for `EpisodeSampler`.

  Args:
    data_dir: the prepared folder (see the module docstring).
    size: the side images are resized to.
    examples_per_class: images kept per class; None keeps as many as the
      smallest class of each split has.
  """
  if not data_dir or not tf.io.gfile.isdir(data_dir):
    raise FileNotFoundError(
        f"No image folder at {data_dir!r}: set --config.data_dir to a "
        "directory with train/, val/ and test/ sub-folders of one folder "
        "per class (see kerasmeta/tasks/image_folder.py).")
  builder = tfds.folder_dataset.ImageFolder(data_dir)
  available = set(builder.info.splits)
  parts = {}
  for name, candidates in SPLIT_NAMES.items():
    found = [c for c in candidates if c in available]
    if not found:
      raise ValueError(f"{data_dir!r} has no {'/'.join(candidates)} folder; "
                       f"it has {sorted(available)}.")
    images, labels = _read(builder, found[0], size)
    per_class = examples_per_class or int(np.bincount(labels)[
        np.unique(labels)].min())
    parts[name] = omniglot.group_by_class(images, labels, per_class)
  return parts


def _read(builder, split, size):
  def prepare(example):
    image = tf.image.resize(example["image"], [size, size], antialias=True)
    return tf.cast(tf.clip_by_value(tf.round(image), 0, 255), tf.uint8), \
        example["label"]
  images, labels = [], []
  dataset = builder.as_dataset(split=split, shuffle_files=False)
  for image, label in dataset.map(prepare).batch(256).as_numpy_iterator():
    images.append(image)
    labels.append(label)
  return np.concatenate(images), np.concatenate(labels)
