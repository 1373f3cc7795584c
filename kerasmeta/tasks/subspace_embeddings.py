# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Embeddings where adaptation matters: classes in a hidden subspace.

An offline benchmark for LEO (Rusu et al. 2019) that, unlike the glyph
features (where the nearest class centroid already reaches 97.7% at one
shot), leaves a few-shot learner something to learn: every class's mean
lies in one `rank`-dimensional subspace U of the `features`-dimensional
embedding space, m_c = U z_c with z_c ~ N(0, I), and each example adds
isotropic noise in all dimensions,

  x = m_c + noise * e,  e ~ N(0, I_features).

A learner that finds U from the training classes discards the noise
outside it: with the defaults (64 features, rank 8, noise 0.75) the
nearest class centroid of the L2-normalised embeddings gives about 58%
(1-shot) and 80% (5-shot) on 5-way episodes, and the same centroid after
projecting onto U about 78% and 92%.

`write` stores the splits in the released embeddings' layout
(`<data_dir>/subspace/center/{train,val,test}_embeddings.pkl`, read by
`tasks.embeddings.load`), so that the benchmark goes through the real
loader: `--config=leo:VARIANT,subspace,SHOTS --config.data_dir=DIR`.
"""

from __future__ import annotations

import dataclasses
import os

import numpy as np

from kerasmeta.tasks import embeddings

DATASET = "subspace"


@dataclasses.dataclass(frozen=True)
class SubspaceConfig:
  """The generator's settings.

  Attributes:
    features: the embeddings' dimension.
    rank: the class means' subspace's dimension.
    noise: the examples' standard deviation around their class mean, in
      every dimension.
    classes: classes of the training, validation and test splits.
    examples_per_class: examples of every class.
    seed: of U, the class means and the examples.
  """
  features: int = 64
  rank: int = 8
  noise: float = 0.75
  classes: tuple = (64, 16, 20)
  examples_per_class: int = 100
  seed: int = 0

  def __post_init__(self):
    if not 1 <= self.rank <= self.features:
      raise ValueError(f"rank must be in [1, features={self.features}]; "
                       f"received {self.rank}.")
    if self.noise < 0 or len(self.classes) != 3 or min(self.classes) < 1 \
        or self.examples_per_class < 2:
      raise ValueError(
          f"Expected noise >= 0, three class counts >= 1 and at least 2 "
          f"examples per class; received noise={self.noise}, "
          f"classes={self.classes}, "
          f"examples_per_class={self.examples_per_class}.")


def generate(config: SubspaceConfig = SubspaceConfig()) -> dict[str, tuple]:
  """`{split: (keys, embeddings float32 [n, features], labels int)}` of the
  three splits (classes numbered across splits, as the released files)."""
  rng = np.random.default_rng(config.seed)
  basis = np.linalg.qr(rng.normal(size=(config.features, config.rank)))[0]
  splits, first = {}, 0
  for split, count in zip(embeddings.SPLIT_FILES, config.classes):
    keys, rows, labels = [], [], []
    for label in range(first, first + count):
      mean = basis @ rng.normal(size=config.rank)
      rows.append(mean + config.noise * rng.normal(
          size=(config.examples_per_class, config.features)))
      keys += [f"{DATASET}-c{label:05d}-c{label:05d}_{image:04d}"
               for image in range(config.examples_per_class)]
      labels += [label] * config.examples_per_class
    splits[split] = (np.array(keys), np.concatenate(rows).astype(np.float32),
                     np.array(labels))
    first += count
  return splits


def write(data_dir: str, config: SubspaceConfig = SubspaceConfig()) -> str:
  """Writes the splits under `data_dir/subspace/center/` (skipping files
  that exist); returns `data_dir`."""
  for split, fields in generate(config).items():
    path = embeddings.split_path(data_dir, DATASET, "center", split)
    if not os.path.exists(path):
      embeddings.write_split(path, *fields)
  return data_dir
