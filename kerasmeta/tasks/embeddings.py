# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""N-way K-shot episodes over pre-computed image embeddings (LEO's data).

LEO (Rusu et al. 2019) meta-learns on fixed 640-dimensional features of
mini-ImageNet and tiered-ImageNet images, released as one pickle per
dataset, crop and split:

  data_dir/miniImageNet/center/{train,val,test}_embeddings.pkl
  data_dir/miniImageNet/multiview/{train,val,test}_embeddings.pkl
  data_dir/tieredImageNet/center/{train,val,test}_embeddings.pkl

(tieredImageNet has no multiview crop). `kerasmeta.pretraining` writes the
same layout for the procedural glyphs, under `data_dir/glyphs/center/`.
Each file holds a dict (a Python 2 pickle: read with `encoding="latin1"`):

  keys        N strings "<prefix>-<class>-<class>_<image>": the class is
              the middle field, and the image's name starts with it
  embeddings  N x D float32 (D = 640 in the released files)
  labels      N labels (not read: episodes relabel their classes)

`read_split` groups a file's embeddings by class (classes in the order the
file first names them; they may hold different numbers of examples, as
tieredImageNet's do), `write_split` writes the format, `load` reads a
dataset's three splits and `EmbeddingTasks` draws episodes from a split,
the features L2-normalised per example as LEO's reference loader does.
"""

from __future__ import annotations

import collections
import dataclasses
import os
import pickle
from typing import Any, TYPE_CHECKING

import numpy as np
import tensorflow as tf

from kerasmeta import sampling
from kerasmeta.tasks import base
from kerasmeta.tasks.base import Task

if TYPE_CHECKING:
  from kerasmeta._typing import Seed

# dataset -> the crops its embeddings were released for.
DATASETS = {"miniImageNet": ("center", "multiview"),
            "tieredImageNet": ("center",),
            "glyphs": ("center",),
            "subspace": ("center",)}
# split -> its file's name stem.
SPLIT_FILES = {"train": "train", "validation": "val", "test": "test"}
FIELDS = ("keys", "embeddings", "labels")


@dataclasses.dataclass(frozen=True)
class EmbeddingSplit:
  """The embeddings of one split, grouped by class.

  Attributes:
    classes: the class names, in the order the file first names them.
    embeddings: one float32 `[examples, D]` array per class.
    keys: one array of the examples' keys per class.
    labels: one array of the examples' labels (as the file gives them) per
      class.
  """
  classes: tuple
  embeddings: tuple
  keys: tuple
  labels: tuple

  @property
  def counts(self) -> tuple[int, ...]:
    """Examples per class, in class order."""
    return tuple(len(e) for e in self.embeddings)

  @property
  def feature_size(self) -> int:
    """D, the size of an embedding."""
    return int(self.embeddings[0].shape[1])


def class_of_key(key: str) -> str:
  """The class a key `"<prefix>-<class>-<class>_<image>"` names.

  Raises:
    ValueError: a key without three `-` fields, or whose image name does
      not start with its class.
  """
  fields = key.split("-")
  if len(fields) != 3:
    raise ValueError(f"An embedding key is '<prefix>-<class>-<class>_"
                     f"<image>'; received {key!r} ({len(fields)} fields, "
                     "not 3).")
  label, image = fields[1], fields[2]
  if image.split("_")[0] != label:
    raise ValueError(f"Embedding key {key!r} names class {label!r}, but its "
                     f"image {image!r} does not belong to it (expected "
                     f"'{label}_<image>').")
  return label


def _as_text(key):
  return key.decode("latin1") if isinstance(key, bytes) else str(key)


def _checked_fields(keys, embeddings, labels, source):
  """(keys as strings, float32 [N, D] embeddings, labels), checked."""
  keys = np.asarray([_as_text(k) for k in np.asarray(keys).reshape(-1)])
  embeddings = np.asarray(embeddings, np.float32)
  labels = np.asarray(labels)
  if embeddings.ndim != 2:
    raise ValueError(f"{source}: embeddings must be [examples, features]; "
                     f"received shape {embeddings.shape}.")
  lengths = {"keys": len(keys), "embeddings": len(embeddings),
             "labels": len(labels)}
  if len(set(lengths.values())) != 1:
    raise ValueError(f"{source}: keys, embeddings and labels must have one "
                     f"entry per example; received lengths {lengths}.")
  if not lengths["keys"]:
    raise ValueError(f"{source} holds no examples.")
  return keys, embeddings, labels


def group_by_class(keys: Any, embeddings: Any, labels: Any,
                   source: str = "embeddings") -> EmbeddingSplit:
  """An `EmbeddingSplit` of a file's three fields.

  Args:
    keys: N keys `"<prefix>-<class>-<class>_<image>"`.
    embeddings: `[N, D]`.
    labels: N labels.
    source: what the fields came from, for the error messages.

  Raises:
    ValueError: mismatched lengths, a malformed key or a repeated image.
  """
  keys, embeddings, labels = _checked_fields(keys, embeddings, labels, source)
  members: collections.OrderedDict[str, list[int]] = \
      collections.OrderedDict()
  images = set()
  for index, key in enumerate(keys.tolist()):
    label = class_of_key(key)
    image = key.split("-")[2]
    if image in images:
      raise ValueError(f"{source}: image {image!r} appears twice (key "
                       f"{key!r}).")
    images.add(image)
    members.setdefault(label, []).append(index)
  rows = [np.asarray(m) for m in members.values()]
  return EmbeddingSplit(classes=tuple(members),
                        embeddings=tuple(embeddings[r] for r in rows),
                        keys=tuple(keys[r] for r in rows),
                        labels=tuple(labels[r] for r in rows))


# What LEO's format pickles besides dicts, lists, strings and numbers (which
# need no class): numpy arrays (as protocols 2 to 5 write them), their
# dtypes and scalars, and the bytes encoding of protocol 2.
_DATA_CLASSES = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"),  # protocol 5
    ("numpy._core.numeric", "_frombuffer"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("_codecs", "encode"),
}


class _DataUnpickler(pickle.Unpickler):
  """Builds only what an embeddings file holds; refuses any other class or
  function by name, so that a crafted file cannot run code."""

  def find_class(self, module, name):
    if (module, name) in _DATA_CLASSES:
      return super().find_class(module, name)
    raise pickle.UnpicklingError(
        f"refuses {module}.{name}: an embeddings file holds only dicts, "
        "lists, strings, numbers and numpy arrays (do not read pickles you "
        "do not trust)")


def read_split(path: str) -> EmbeddingSplit:
  """The `EmbeddingSplit` of one `<split>_embeddings.pkl` file.

  The file is read as data: an unpickler that builds only dicts, lists,
  strings, numbers and numpy arrays, and refuses anything else by name (a
  pickle can otherwise run any code).

  Raises:
    FileNotFoundError: no file at `path`.
    ValueError: not a dict of `keys`, `embeddings` and `labels`, a class
      outside the format, or fields `group_by_class` refuses.
  """
  if not tf.io.gfile.exists(path):
    raise FileNotFoundError(
        f"No embeddings file {path!r}: expected a pickle of LEO's format "
        "(see kerasmeta/tasks/embeddings.py).")
  with tf.io.gfile.GFile(path, "rb") as f:
    try:
      data = _DataUnpickler(f, encoding="latin1").load()
    except pickle.UnpicklingError as error:
      raise ValueError(f"{path!r}: {error}") from None
  if not isinstance(data, dict) or not set(FIELDS) <= set(data):
    found = sorted(data) if isinstance(data, dict) else type(data).__name__
    raise ValueError(f"{path!r} must hold a dict with keys {list(FIELDS)}; "
                     f"received {found}.")
  return group_by_class(data["keys"], data["embeddings"], data["labels"],
                        source=path)


def write_split(path: str, keys: Any, embeddings: Any, labels: Any) -> str:
  """Writes one split in LEO's format (atomically: readers never see half).

  Args:
    path: the file, e.g. `.../center/train_embeddings.pkl` (its folder is
      made).
    keys: N keys `"<prefix>-<class>-<class>_<image>"`.
    embeddings: `[N, D]`, written as float32.
    labels: N labels.

  Raises:
    ValueError: fields `group_by_class` refuses (nothing is written).
  """
  keys, embeddings, labels = _checked_fields(keys, embeddings, labels, path)
  group_by_class(keys, embeddings, labels, source=path)
  folder = os.path.dirname(path)
  if folder:
    os.makedirs(folder, exist_ok=True)
  temporary = f"{path}.{os.getpid()}.tmp"
  with open(temporary, "wb") as f:
    pickle.dump({"keys": keys, "embeddings": embeddings, "labels": labels},
                f, protocol=4)
  os.replace(temporary, path)
  return path


def split_path(data_dir: str, dataset: str = "miniImageNet",
               crop: str = "center", split: str = "train") -> str:
  """The file of one split: `data_dir/dataset/crop/<split>_embeddings.pkl`.

  Args:
    data_dir: the folder holding the datasets' folders.
    dataset: a key of `DATASETS`.
    crop: "center" or "multiview" (mini-ImageNet only).
    split: "train", "validation" or "test".
  """
  if dataset not in DATASETS:
    raise ValueError(f"Unknown embedding dataset {dataset!r}; expected one "
                     f"of {tuple(DATASETS)}.")
  if crop not in DATASETS[dataset]:
    raise ValueError(f"{dataset} embeddings come in crops "
                     f"{DATASETS[dataset]}; received crop={crop!r}.")
  if split not in SPLIT_FILES:
    raise ValueError(f"split must be one of {tuple(SPLIT_FILES)}; received "
                     f"{split!r}.")
  return os.path.join(data_dir, dataset, crop,
                      f"{SPLIT_FILES[split]}_embeddings.pkl")


def load(data_dir: str, dataset: str = "miniImageNet",
         crop: str = "center") -> dict[str, EmbeddingSplit]:
  """`{"train", "validation", "test"}`: the `EmbeddingSplit` of each split.

  Args:
    data_dir: the folder holding `<dataset>/<crop>/<split>_embeddings.pkl`
      (the files are named train, val and test).
    dataset: "miniImageNet", "tieredImageNet" or "glyphs".
    crop: "center" or "multiview" (mini-ImageNet only).

  Raises:
    FileNotFoundError: a split's file is missing (the message names it and
      the layout).
  """
  if not data_dir:
    raise FileNotFoundError(
        "No embeddings folder given: set data_dir to the folder of LEO's "
        "embeddings (<dataset>/<crop>/{train,val,test}_embeddings.pkl).")
  data_dir = os.path.expanduser(data_dir)
  paths = {split: split_path(data_dir, dataset, crop, split)
           for split in SPLIT_FILES}
  for path in paths.values():
    if not tf.io.gfile.exists(path):
      raise FileNotFoundError(
          f"No embeddings file {path!r}: {data_dir!r} should hold LEO's "
          f"embeddings as {dataset}/{crop}/{{train,val,test}}_embeddings.pkl "
          "(see kerasmeta/tasks/embeddings.py).")
  return {split: read_split(path) for split, path in paths.items()}


def merged(first: EmbeddingSplit, second: EmbeddingSplit) -> EmbeddingSplit:
  """One `EmbeddingSplit` of the classes of both (the reference's
  `train_on_val`: meta-training on the training and validation classes).

  Raises:
    ValueError: a class name is in both.
  """
  shared = set(first.classes) & set(second.classes)
  if shared:
    raise ValueError(f"Cannot merge splits that share classes: "
                     f"{sorted(shared)[:5]}.")
  return EmbeddingSplit(*(getattr(first, name) + getattr(second, name)
                          for name in ("classes", "embeddings", "keys",
                                       "labels")))


def _per_class(embeddings):
  """(class names, [examples, D] arrays) of what `EmbeddingTasks` takes."""
  if isinstance(embeddings, EmbeddingSplit):
    return embeddings.classes, list(embeddings.embeddings)
  if isinstance(embeddings, dict):
    return tuple(embeddings), [np.asarray(e) for e in embeddings.values()]
  if isinstance(embeddings, (np.ndarray, tf.Tensor)) and \
      len(embeddings.shape) != 3:
    raise ValueError(f"An embeddings array must be [classes, examples, "
                     f"features]; received shape {tuple(embeddings.shape)}.")
  arrays = [np.asarray(e) for e in embeddings]
  return tuple(str(c) for c in range(len(arrays))), arrays


@dataclasses.dataclass
class EmbeddingTasks(base.TaskStream):
  """Samples N-way K-shot episodes over per-class embeddings.

  An episode draws N distinct classes, labels them 0..N-1 in the order
  drawn, and takes K + Q distinct examples of each: the first K are the
  support, the next Q the query, both ordered class-major. Features are
  L2-normalised per example. Classes may hold different numbers of
  examples: they are kept as one `[total, D]` table with each class's
  offset and count, and a class of c examples draws among its c rows.

  Attributes:
    embeddings: an `EmbeddingSplit` (`read_split`, `load`), a dict from
      class name to `[examples, D]`, a sequence of `[examples, D]` arrays,
      or one `[classes, examples, D]` array.
    ways: N, classes per episode.
    shots: K, support examples per class.
    queries: Q, query examples per class.
  """
  embeddings: object
  ways: int = 5
  shots: int = 1
  queries: int = 15

  def __post_init__(self):
    names, arrays = _per_class(self.embeddings)
    if not arrays:
      raise ValueError("EmbeddingTasks needs at least one class; received "
                       "none.")
    for name, array in zip(names, arrays):
      if array.ndim != 2 or array.shape[1:] != arrays[0].shape[1:]:
        raise ValueError(
            f"Every class must be [examples, {arrays[0].shape[1:]}]-shaped "
            f"([examples, features]); class {name!r} has shape "
            f"{array.shape}.")
    self.class_names = names
    self.num_classes = len(arrays)
    self.counts = tuple(len(a) for a in arrays)
    if self.ways < 1 or self.ways > self.num_classes:
      raise ValueError(f"ways must be between 1 and the number of classes "
                       f"({self.num_classes}); received {self.ways}.")
    if self.shots < 1 or self.queries < 1:
      raise ValueError(f"An episode needs K >= 1 support and Q >= 1 query "
                       f"examples per class; received K={self.shots} and "
                       f"Q={self.queries}.")
    needed = self.shots + self.queries
    small = [f"{n!r} ({c})" for n, c in zip(names, self.counts) if c < needed]
    if small:
      shown = ", ".join(small[:10]) + (", ..." if len(small) > 10 else "")
      raise ValueError(
          f"Asked for K={self.shots} support and Q={self.queries} query "
          f"examples per class, but {len(small)} classes have fewer than "
          f"{needed}: {shown}.")
    table = np.concatenate(arrays).astype(np.float32)
    self._table = tf.nn.l2_normalize(tf.constant(table), axis=-1)
    self._counts = tf.constant(self.counts, tf.int32)
    self._offsets = tf.constant(np.cumsum((0,) + self.counts[:-1]), tf.int32)
    self._max_count = max(self.counts)

  @property
  def feature_size(self) -> int:
    """D, the size of an embedding."""
    return int(self._table.shape[1])

  def sample(self, seed: Seed) -> Task:
    """One episode: support `[N*K, D]` float32, labels `[N*K, 1]` int32, ..."""
    seed = tf.convert_to_tensor(seed)
    class_seed, example_seed = tf.unstack(sampling.split(seed, 2))
    classes = sampling.choose(class_seed, self.num_classes, self.ways)
    counts = tf.gather(self._counts, classes)
    offsets = tf.gather(self._offsets, classes)
    # K + Q distinct examples of each class: the smallest random keys among
    # the class's own rows (rows past its count never come first).
    keys = sampling.uniform([self.ways, self._max_count], example_seed)
    positions = tf.range(self._max_count, dtype=tf.int32)
    keys = tf.where(positions[tf.newaxis] < counts[:, tf.newaxis], keys,
                    tf.constant(np.inf, tf.float32))
    per_class = self.shots + self.queries
    # A stable sort: ties keep row order with and without XLA.
    examples = tf.argsort(keys, axis=-1, stable=True)[:, :per_class]
    rows = offsets[:, tf.newaxis] + tf.cast(examples, tf.int32)
    features = tf.gather(self._table, rows)  # [N, K+Q, D]
    labels = tf.tile(tf.range(self.ways, dtype=tf.int32)[:, tf.newaxis],
                     [1, per_class])
    flat = lambda t, part: tf.reshape(t[:, part], [-1, *t.shape[2:]])
    support, query = slice(0, self.shots), slice(self.shots, per_class)
    return Task(flat(features, support),
                flat(labels, support)[:, tf.newaxis],
                flat(features, query), flat(labels, query)[:, tf.newaxis])
