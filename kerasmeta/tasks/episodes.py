# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""N-way K-shot classification episodes over a labelled image collection.

An episode (a `Task`) draws N classes, relabels them 0..N-1 in the order
drawn, and takes K support and Q query examples of each, all distinct.
Class-level augmentation multiplies the classes: with rotations (0, 90, 180,
270), every rotation of a class is a class of its own (Omniglot's protocol).
Everything is a pure function of a stateless seed, so a stream of episodes
restarts exactly and evaluation episodes are fixed by their seed; shapes are
static (`[N*K, H, W, C]`), as compiled steps and TPUs want.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np
import tensorflow as tf

from kerasmeta import sampling
from kerasmeta.tasks import base
from kerasmeta.tasks.base import Task

if TYPE_CHECKING:
  from kerasmeta._typing import Seed


@dataclasses.dataclass
class EpisodeSampler(base.TaskStream):
  """Samples episodes from images grouped by class.

  Attributes:
    images: `[classes, examples, height, width, channels]`, uint8 (0..255)
      or float in [0, 1]; every class holds the same number of examples.
    ways: N, classes per episode.
    shots: K, support examples per class.
    queries: Q, query examples per class.
    rotations: class-level augmentation, multiples of 90 degrees; every
      (class, rotation) pair is a class.
  """
  images: object
  ways: int = 5
  shots: int = 1
  queries: int = 15
  rotations: tuple = (0,)

  def __post_init__(self):
    images = self.images
    if not isinstance(images, tf.Tensor):
      images = np.asarray(images)
    if len(images.shape) != 5:
      raise ValueError("images must be [classes, examples, height, width, "
                       f"channels]; received shape {tuple(images.shape)}.")
    if any(r % 90 for r in self.rotations) or not self.rotations:
      raise ValueError("rotations must be multiples of 90 degrees; received "
                       f"{self.rotations}.")
    self.num_base_classes = int(images.shape[0])
    self.examples_per_class = int(images.shape[1])
    self.num_classes = self.num_base_classes * len(self.rotations)
    if self.ways < 1 or self.ways > self.num_classes:
      raise ValueError(
          f"ways must be between 1 and the number of classes "
          f"({self.num_classes}, rotations included); received {self.ways}.")
    needed = self.shots + self.queries
    if self.shots < 1 or self.queries < 1 or \
        needed > self.examples_per_class:
      raise ValueError(
          f"Asked for K={self.shots} support and Q={self.queries} query "
          f"examples per class (at least 1 each), but a class has "
          f"{self.examples_per_class} examples.")
    self._images = tf.convert_to_tensor(images)
    self._quarter_turns = tf.constant([r // 90 % 4 for r in self.rotations],
                                      tf.int32)

  @property
  def image_shape(self) -> tuple[int, ...]:
    return tuple(int(d) for d in self._images.shape[2:])

  def _to_float(self, images):
    if images.dtype == tf.uint8:
      return tf.cast(images, tf.float32) / 255.0
    return tf.cast(images, tf.float32)

  def sample(self, seed: Seed) -> Task:
    """One episode: support `[N*K, H, W, C]`, labels `[N*K, 1]` int32, ..."""
    seed = tf.convert_to_tensor(seed)
    class_seed, example_seed = tf.unstack(
        sampling.split(seed, 2))
    # N distinct classes: the first N of a random permutation.
    classes = sampling.choose(class_seed, self.num_classes, self.ways,
                              alg="philox")
    base_classes = classes % self.num_base_classes
    turns = tf.gather(self._quarter_turns, classes // self.num_base_classes)
    # K + Q distinct examples of each class.
    per_class = self.shots + self.queries
    examples = sampling.choose(example_seed, self.examples_per_class,
                               per_class, batch_shape=[self.ways],
                               alg="philox")
    images = tf.gather(tf.gather(self._images, base_classes), examples, batch_dims=1)
    images = self._to_float(images)  # [N, K+Q, H, W, C]
    images = tf.map_fn(
        lambda args: tf.image.rot90(args[0], args[1]), (images, turns),
        fn_output_signature=tf.TensorSpec(
            [per_class, *self._rotated_shape()], tf.float32))
    labels = tf.tile(tf.range(self.ways, dtype=tf.int32)[:, tf.newaxis],
                     [1, per_class])
    flat = lambda t, part: tf.reshape(t[:, part], [-1, *t.shape[2:]])
    support, query = slice(0, self.shots), slice(self.shots, per_class)
    return Task(flat(images, support), flat(labels, support)[:, tf.newaxis],
                flat(images, query), flat(labels, query)[:, tf.newaxis])

  def _rotated_shape(self):
    height, width, channels = self.image_shape
    if height != width and any(r % 180 for r in self.rotations):
      raise ValueError("Rotations by 90 or 270 degrees need square images; "
                       f"received {height}x{width}.")
    return [height, width, channels]


