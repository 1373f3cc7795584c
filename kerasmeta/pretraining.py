# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Glyph features pre-trained by classification: LEO's embeddings, offline.

LEO (Rusu et al. 2019) meta-learns on fixed image features: a network
pre-trained by plain supervised classification of the meta-training classes,
whose penultimate activations of every image of every split were released
as pickles (`kerasmeta.tasks.embeddings`). This module makes the same for
the procedural glyphs, which need no download: conv4 (`kerasmeta.models`)
without its head, global average pooling to `feature_size` features, and a
Dense head over every training class (each rotation of a class a class of
its own, as in the glyph protocol), trained with Adam by Keras' `fit`. The
features of every image of every split are then written in LEO's format:

  output_dir/glyphs/center/{train,val,test}_embeddings.pkl

with keys `"glyphs-c0123-c0123_07"` (rotated classes `c0123r90`, ...),
which `embeddings.load(output_dir, dataset="glyphs")` reads.

A run keeps its own workdir: `backup/` (Keras' `BackupAndRestore`, at the
end of every epoch) lets an interrupted run resume from its last finished
epoch, and a finished run leaves `classifier.weights.h5`, from which a
re-run writes the embeddings again without training.
"""

from __future__ import annotations

import collections
import os
from typing import Optional, Sequence, TYPE_CHECKING

import keras
import numpy as np
import tensorflow as tf

from kerasmeta import experiments
from kerasmeta import models
from kerasmeta.experiments import images
from kerasmeta.tasks import embeddings

if TYPE_CHECKING:
  from keras.callbacks import Callback
  from kerasmeta._typing import Config

DATASET = "glyphs"
CROP = "center"
SPLITS = ("train", "validation", "test")
WEIGHTS = "classifier.weights.h5"
BACKUP = "backup"

Result = collections.namedtuple(
    "Result", ["output_dir", "paths", "accuracy", "accuracy_of"])
Result.__doc__ = """What `run` returns.

Attributes:
  output_dir: the folder the embeddings are under (`embeddings.load`'s
    data_dir).
  paths: {"train", "validation", "test"}: each split's file.
  accuracy: the classifier's accuracy on `accuracy_of`.
  accuracy_of: "held-out examples of the training classes", or "training
    examples" where none are held out.
"""


def validate_config(config: Config) -> Config:
  """Checks a features config (`apps/configs/glyph_features.py`)."""
  if config.task != DATASET:
    raise ValueError(f"Features are pre-trained on {DATASET!r}; received "
                     f"config.task={config.task!r}.")
  experiments.check_at_least(config, 1, "epochs", "batch_size",
                             "feature_size")
  experiments.check_at_least(config, 0, "holdout_per_class")
  samples = int(config.glyphs.samples_per_character)
  if config.holdout_per_class >= samples:
    raise ValueError(
        f"config.holdout_per_class must leave training examples of the "
        f"{samples} of a class; received {config.holdout_per_class}.")
  rotations = tuple(config.rotations)
  if not rotations or any(r % 90 for r in rotations) or \
      len({r % 360 for r in rotations}) != len(rotations):
    raise ValueError(f"config.rotations must be distinct multiples of 90 "
                     f"degrees; received {rotations}.")
  height, width = config.input_shape[:2]
  if height != width:
    raise ValueError(f"Glyphs are square; received config.input_shape="
                     f"{tuple(config.input_shape)}.")
  if not config.learning_rate > 0:
    raise ValueError(f"config.learning_rate must be > 0; received "
                     f"{config.learning_rate}.")
  return config


def class_name(glyph_class: int, rotation: int = 0) -> str:
  """`"c0123"` (or `"c0123r90"`): a glyph class (rotated) as a key names it."""
  suffix = f"r{rotation % 360}" if rotation % 360 else ""
  return f"c{glyph_class:04d}{suffix}"


def rotated_classes(glyphs: np.ndarray, first_class: int,
                    rotations: Sequence[int]) -> tuple[np.ndarray, list[str]]:
  """The classes of a split with every rotation a class of its own.

  Args:
    glyphs: `[classes, examples, size, size, channels]`.
    first_class: the glyph class number of `glyphs[0]` (class names are
      unique across splits).
    rotations: multiples of 90 degrees; classes are ordered rotation by
      rotation, as `EpisodeSampler` numbers them.

  Returns:
    `(images, names)`: `[classes * rotations, examples, ...]` and their
    `class_name`s.
  """
  rotated, names = [], []
  for rotation in rotations:
    rotated.append(np.rot90(glyphs, rotation // 90 % 4, axes=(2, 3)))
    names += [class_name(first_class + c, rotation)
              for c in range(len(glyphs))]
  return np.concatenate(rotated), names


def glyph_splits(config: Config) -> dict[str, tuple[np.ndarray, list[str]]]:
  """{"train", "validation", "test"}: `(images, names)` of each split.

  The glyphs are those of the glyph experiments
  (`experiments.images.class_splits` of `config.glyphs`, at
  `config.input_shape`), with `config.rotations` as extra classes.
  """
  parts = images.class_splits(config)
  splits, first = {}, 0
  for split in SPLITS:
    splits[split] = rotated_classes(parts[split], first,
                                    tuple(config.rotations))
    first += len(parts[split])
  return splits


def build_models(config: Config,
                 num_classes: int) -> tuple[keras.Model, keras.Model]:
  """`(features, classifier)`: conv4's blocks with global average pooling
  (`[batch, feature_size]`), and them with a Dense head of `num_classes`
  logits."""
  conv4 = models.conv4(tuple(config.input_shape), num_classes=1,
                       filters=config.feature_size, pooling=config.pooling)
  pooled = keras.layers.GlobalAveragePooling2D(name="features")(
      conv4.get_layer("flatten").input)
  features = keras.Model(conv4.inputs, pooled, name="glyph_features")
  logits = keras.layers.Dense(num_classes, name="classes")(pooled)
  classifier = keras.Model(conv4.inputs, logits, name="glyph_classifier")
  return features, classifier


def _examples(glyphs: np.ndarray, first: int,
              last: Optional[int]) -> tuple[np.ndarray, np.ndarray]:
  """`(x, y)`: examples `first:last` of every class, labelled by class."""
  x = glyphs[:, first:last]
  y = np.repeat(np.arange(len(glyphs), dtype=np.int32), x.shape[1])
  return x.reshape(-1, *glyphs.shape[2:]), y


def _dataset(x, y, batch_size, seed=None):
  """Batches of float images in [0, 1] and labels (shuffled with a seed)."""
  dataset = tf.data.Dataset.from_tensor_slices((x, y))
  if seed is not None:
    dataset = dataset.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
  return dataset.batch(batch_size).map(
      lambda image, label: (tf.cast(image, tf.float32) / 255.0, label),
      num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


def _accelerated():
  return bool(tf.config.list_logical_devices("GPU") or
              tf.config.list_logical_devices("TPU"))


def train(config: Config, workdir: str,
          splits: Optional[dict[str, tuple[np.ndarray, list[str]]]] = None,
          verbose: int = 2,
          callbacks: Sequence[Callback] = ()) -> tuple[keras.Model, float, str]:
  """Trains the classifier, resuming an interrupted run; or reloads it.

  Args:
    config: a features config (`validate_config`).
    workdir: the run's folder: `backup/` while it trains, then
      `classifier.weights.h5`.
    splits: `glyph_splits(config)` (made where None).
    verbose: Keras' `fit` verbosity (2: one progress line per epoch).
    callbacks: more Keras callbacks for `fit`.

  Returns:
    `(features, accuracy, accuracy_of)`: the feature model and the
    classifier's accuracy (see `Result`).
  """
  validate_config(config)
  splits = glyph_splits(config) if splits is None else splits
  glyphs, names = splits["train"]
  keras.utils.set_random_seed(int(config.seed))
  features, classifier = build_models(config, len(names))
  classifier.compile(
      optimizer=keras.optimizers.Adam(config.learning_rate),
      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
      metrics=["accuracy"], jit_compile=_accelerated())
  kept = glyphs.shape[1] - int(config.holdout_per_class)
  training = _dataset(*_examples(glyphs, 0, kept), config.batch_size,
                      seed=int(config.seed))
  held_out = None
  if config.holdout_per_class:
    held_out = _dataset(*_examples(glyphs, kept, None), config.batch_size)
  weights = os.path.join(workdir, WEIGHTS)
  if os.path.exists(weights):
    # The file holds Adam's slots too: built, they load without a warning.
    classifier.optimizer.build(classifier.trainable_variables)
    classifier.load_weights(weights)
  else:
    os.makedirs(workdir, exist_ok=True)
    backup = keras.callbacks.BackupAndRestore(os.path.join(workdir, BACKUP))
    classifier.fit(training, epochs=int(config.epochs),
                   validation_data=held_out, verbose=verbose,
                   shuffle=False,  # the dataset shuffles with its seed
                   callbacks=[backup, *callbacks])
    temporary = os.path.join(workdir, f"{os.getpid()}.tmp.weights.h5")
    classifier.save_weights(temporary)
    os.replace(temporary, weights)  # atomic: a run finds all or nothing
  if held_out is None:
    evaluated, accuracy_of = _dataset(*_examples(glyphs, 0, kept),
                                      config.batch_size), "training examples"
  else:
    evaluated = held_out
    accuracy_of = "held-out examples of the training classes"
  accuracy = classifier.evaluate(evaluated, verbose=0,
                                 return_dict=True)["accuracy"]
  return features, float(accuracy), accuracy_of


def write_embeddings(features: keras.Model,
                     splits: dict[str, tuple[np.ndarray, list[str]]],
                     output_dir: str, batch_size: int = 256) -> dict[str, str]:
  """Writes every split's features in LEO's format; returns their paths.

  Args:
    features: `images -> [batch, D]` (`build_models`' first model).
    splits: {"train", "validation", "test"}: `(images, names)` of each.
    output_dir: the files go to `output_dir/glyphs/center/`.
    batch_size: images per forward pass.

  Returns:
    {"train", "validation", "test"}: each split's file.
  """
  paths = {}
  for split in SPLITS:
    glyphs, names = splits[split]
    x, labels = _examples(glyphs, 0, None)
    values = features.predict(_dataset(x, labels, batch_size), verbose=0)
    keys = [f"{DATASET}-{name}-{name}_{example:02d}" for name in names
            for example in range(glyphs.shape[1])]
    paths[split] = embeddings.write_split(
        embeddings.split_path(output_dir, DATASET, CROP, split), keys,
        values, labels)
  return paths


def output_dir(config: Config, workdir: str) -> str:
  """Where `run` writes the embeddings: `config.output_dir`, or
  `workdir/embeddings` where it is empty."""
  if config.output_dir:
    return os.path.expanduser(config.output_dir)
  return os.path.join(workdir, "embeddings")


def run(config: Config, workdir: str, verbose: int = 2,
        callbacks: Sequence[Callback] = ()) -> Result:
  """Pre-trains (or resumes, or reloads) and writes the embeddings.

  Args:
    config: a features config (`apps/configs/glyph_features.py`).
    workdir: the run's folder (see `train`).
    verbose: Keras' `fit` verbosity.
    callbacks: more Keras callbacks for `fit`.

  Returns:
    A `Result`.
  """
  validate_config(config)
  workdir = os.path.expanduser(workdir)
  os.makedirs(workdir, exist_ok=True)
  with open(os.path.join(workdir, "config.json"), "w") as f:
    f.write(experiments.config_to_json(config))
  splits = glyph_splits(config)
  features, accuracy, accuracy_of = train(config, workdir, splits, verbose,
                                          callbacks)
  target = output_dir(config, workdir)
  paths = write_embeddings(features, splits, target,
                           batch_size=int(config.batch_size))
  return Result(target, paths, accuracy, accuracy_of)
