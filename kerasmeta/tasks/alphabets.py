# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Omniglot's alphabet-as-task protocol (WarpGrad appendix E, after Leap).

Each Omniglot alphabet with at least 20 characters is one 20-way task (46 of
the 50 alphabets); every character has 20 drawings, 15 for adaptation and 5
held out for the task's test. Adaptation takes many steps (100 in the
papers) on mini-batches drawn at random without class balance
(`MetaLearner(inner_batch_size=...)`), and every drawing goes through a
random affine transformation: scaling in [0.8, 1.2], rotation in [0, 360)
degrees and a shift of up to 20% of the side. The split of each character's
drawings is fixed (the first 15 adapt, the last 5 test). 10 alphabets,
chosen by a seed, are held out for meta-testing.

`load` reads tfds' `omniglot` (both splits: all 50 alphabets);
`AlphabetTasks` samples tasks from the resulting arrays.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Optional, TYPE_CHECKING

import numpy as np
import tensorflow as tf
import tensorflow_datasets as tfds

from kerasmeta import sampling
from kerasmeta.tasks import base
from kerasmeta.tasks import omniglot
from kerasmeta.tasks.base import Task

if TYPE_CHECKING:
  from kerasmeta._typing import IntLike, Seed


def load(data_dir: Optional[str] = None, size: int = 28, characters: int = 20,
         samples: int = 20, test_alphabets: int = 10,
         validation_alphabets: int = 0, seed: int = 0) -> dict[str, np.ndarray]:
  """`{"train", "validation", "test"}`: `[alphabets, characters, samples,
  size, size, 1]` uint8 arrays of the alphabets with enough characters.

  Each alphabet keeps its first `characters` characters; the test (and
  validation) alphabets are drawn with `seed`.
  """
  dataset = tfds.load("omniglot", split="train+test", data_dir=data_dir)
  images, labels, alphabets = [], [], []
  for batch in dataset.map(_prepare(size)).batch(1024).as_numpy_iterator():
    images.append(batch[0])
    labels.append(batch[1])
    alphabets.append(batch[2])
  images, labels, alphabets = (  # type: ignore[assignment]  # lists: arrays
      np.concatenate(v) for v in (images, labels, alphabets))
  grouped: Any = []  # a list, then its stack
  for alphabet in np.unique(alphabets):
    members = alphabets == alphabet
    try:
      by_character = omniglot.group_by_class(images[members], labels[members],
                                             samples)
    except ValueError:
      continue
    if len(by_character) >= characters:
      grouped.append(by_character[:characters])
  held_out = test_alphabets + validation_alphabets
  if len(grouped) <= held_out:
    raise ValueError(f"Only {len(grouped)} alphabets have {characters} "
                     f"characters of {samples} drawings; {held_out} are to be "
                     "held out.")
  order = np.random.default_rng(seed).permutation(len(grouped))
  grouped = np.stack(grouped)
  return {"test": grouped[order[:test_alphabets]],
          "validation": grouped[order[test_alphabets:held_out]],
          "train": grouped[order[held_out:]]}


def _prepare(size):
  prepare_image = omniglot.prepare_image(size)
  return lambda example: (prepare_image(example["image"]), example["label"],
                          example["alphabet"])


def random_affine(images: tf.Tensor, seed: Seed,
                  scale: tuple[float, float] = (0.8, 1.2),
                  max_shift: float = 0.2) -> tf.Tensor:
  """Random scaling, rotation in [0, 360) and shift, one per image.

  Args:
    images: `[n, height, width, channels]` float images.
    seed: a stateless seed.
    scale: the range of the scale factor.
    max_shift: the largest shift, as a fraction of each side.
  """
  n = tf.shape(images)[0]
  height = tf.cast(tf.shape(images)[1], tf.float32)
  width = tf.cast(tf.shape(images)[2], tf.float32)
  seeds = sampling.split(seed, 3)
  zoom = sampling.uniform([n], seeds[0], scale[0], scale[1])
  angle = sampling.uniform([n], seeds[1], 0.0, 2 * math.pi)
  shift = sampling.uniform([n, 2], seeds[2], -max_shift, max_shift)
  # The inverse map (output pixel -> input pixel) about the centre.
  cos, sin = tf.cos(angle) / zoom, tf.sin(angle) / zoom
  cy, cx = (height - 1) / 2, (width - 1) / 2
  dx, dy = shift[:, 0] * width, shift[:, 1] * height
  a0, a1 = cos, -sin
  b0, b1 = sin, cos
  a2 = cx - a0 * (cx + dx) - a1 * (cy + dy)
  b2 = cy - b0 * (cx + dx) - b1 * (cy + dy)
  zeros = tf.zeros_like(cos)
  transforms = tf.stack([a0, a1, a2, b0, b1, b2, zeros, zeros], axis=1)
  return tf.raw_ops.ImageProjectiveTransformV3(
      images=images, transforms=transforms,
      output_shape=tf.shape(images)[1:3], fill_value=0.0,
      interpolation="BILINEAR", fill_mode="CONSTANT")


@dataclasses.dataclass
class AlphabetTasks(base.TaskStream):
  """One task per alphabet: all its characters, 15 / 5 drawings split.

  Attributes:
    alphabets: `[alphabets, characters, samples, height, width, 1]`.
    train_per_character: drawings per character in the support set (the
      rest form the query set).
    augment: apply `random_affine` to every drawing of a task.
  """
  alphabets: object
  train_per_character: int = 15
  augment: bool = True

  def __post_init__(self):
    shape = tuple(np.shape(self.alphabets))
    if len(shape) != 6:
      raise ValueError("alphabets must be [alphabets, characters, samples, "
                       f"height, width, channels]; received {shape}.")
    self.num_alphabets, self.ways, self.samples = shape[:3]
    if not 0 < self.train_per_character < self.samples:
      raise ValueError(f"train_per_character must be in [1, {self.samples})"
                       f"; received {self.train_per_character}.")
    self._alphabets = tf.convert_to_tensor(self.alphabets)

  @property  # overrides TaskStream's attribute: read-only here
  def compiles_with_xla(self) -> bool:  # type: ignore[override]
    """The affine augmentation (`ImageProjectiveTransformV3`) has no XLA
    kernel."""
    return not self.augment

  def sample(self, seed: Seed) -> Task:
    """The task of a random alphabet (see `task`)."""
    seed = tf.convert_to_tensor(seed)
    alphabet = sampling.uniform(
        [], sampling.fold_in(seed, 7), 0,
        self.num_alphabets, dtype=tf.int32)
    return self.task(alphabet, seed)

  def task(self, alphabet: IntLike, seed: Seed) -> Task:
    """Alphabet `alphabet`'s task: support `[C*15, H, W, 1]` (each
    character's first 15 drawings), query `[C*5, ...]` (its last 5, held
    out as in appendix E), labels the character's index; `seed` draws the
    augmentation."""
    seed = sampling.split(
        tf.convert_to_tensor(seed), 3)[2]
    images = self._alphabets[alphabet]
    images = tf.cast(images, tf.float32) / 255.0  # [C, S, H, W, 1]
    labels = tf.tile(tf.range(self.ways, dtype=tf.int32)[:, tf.newaxis],
                     [1, self.samples])
    image_shape = images.shape[2:]
    flat = lambda t, part: tf.reshape(t[:, part], [-1, *t.shape[2:]])
    split = self.train_per_character
    support, query = slice(0, split), slice(split, self.samples)
    support_x, query_x = flat(images, support), flat(images, query)
    if self.augment:
      both = random_affine(tf.concat([support_x, query_x], 0), seed)
      support_x = tf.ensure_shape(both[:self.ways * split],
                                  [self.ways * split, *image_shape])
      query_x = tf.ensure_shape(
          both[self.ways * split:],
          [self.ways * (self.samples - split), *image_shape])
    return Task(support_x, flat(labels, support)[:, tf.newaxis], query_x,
                flat(labels, query)[:, tf.newaxis])


  def evaluation_tasks(self, num_tasks: int,
                       seed: Seed) -> base.EvaluationTasks:
    """`base.EvaluationTasks`: task i is alphabet i mod the number of
    alphabets, so every held-out alphabet counts (nearly) equally;
    `extras["alphabets"]` holds each task's alphabet index."""
    indices = tf.range(num_tasks, dtype=tf.int64)
    alphabets = tf.cast(indices % self.num_alphabets, tf.int32)

    def one(inputs):
      index, alphabet = inputs
      data_seed, learner_seed = base.task_seeds(seed, index)
      return self.task(alphabet, data_seed), learner_seed
    signature = (Task(*[tf.TensorSpec(None, t) for t in
                        (tf.float32, tf.int32, tf.float32, tf.int32)]),
                 tf.TensorSpec([2], tf.int32))
    tasks, seeds = tf.map_fn(one, (indices, alphabets),
                             fn_output_signature=signature)
    return base.EvaluationTasks(tasks, seeds, {"alphabets": alphabets})
