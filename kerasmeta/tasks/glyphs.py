# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Procedural handwriting-like glyphs: an image dataset that needs no download.

Alphabets of random stroke characters. An alphabet has a style (how many
strokes its characters have, how curved they are); a character is a few
quadratic Bezier strokes; every sample of a character is drawn again with
per-sample jitter of the strokes' control points, scale, rotation, position
and pen width, then rendered at `size x size` with a soft pen. Everything is
a pure function of the seed (each alphabet, character and sample has its own
`numpy` seed sequence), so any machine generates the same dataset; it is
cached as a `.npz` file when a cache directory is given.

The layout is that of `EpisodeSampler`: `[classes, samples, size, size, 1]`
uint8, classes ordered by alphabet.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from typing import Optional, Sequence

import numpy as np


@dataclasses.dataclass(frozen=True)
class GlyphConfig:
  """What `generate` draws.

  Attributes:
    num_alphabets: alphabets.
    characters_per_alphabet: characters (classes) in each alphabet.
    samples_per_character: drawings of each character.
    size: image side in pixels.
    seed: the dataset's seed.
    jitter: scale of the per-sample control-point noise (0 draws every
      sample of a character identically but for pose and pen).
  """
  num_alphabets: int = 30
  characters_per_alphabet: int = 20
  samples_per_character: int = 20
  size: int = 28
  seed: int = 0
  jitter: float = 0.06

  @property
  def num_classes(self) -> int:
    return self.num_alphabets * self.characters_per_alphabet

  def key(self) -> str:
    text = repr(dataclasses.astuple(self)).encode()
    return hashlib.sha256(text).hexdigest()[:16]


def _rng(config, *path):
  return np.random.default_rng(np.random.SeedSequence([config.seed, *path]))


def _character(config, alphabet, character):
  """Control points [strokes, 3, 2] of a character, in [-1, 1]^2."""
  style = _rng(config, alphabet)
  min_strokes = int(style.integers(1, 3))
  max_strokes = min_strokes + int(style.integers(1, 3))
  curvature = style.uniform(0.2, 0.9)
  rng = _rng(config, alphabet, character)
  strokes = int(rng.integers(min_strokes, max_strokes + 1))
  points = []
  start = rng.uniform(-0.8, 0.8, 2)
  for _ in range(strokes):
    end = rng.uniform(-0.8, 0.8, 2)
    if rng.random() < 0.5:  # strokes often continue from the last one
      start = points[-1][2] if points else start
    middle = (start + end) / 2 + rng.normal(0, curvature, 2) * 0.5
    points.append(np.stack([start, middle, end]))
    start = end
  return np.stack(points)


def _render(control, size, pen):
  """Draws quadratic Bezier strokes [strokes, 3, 2] (in [-1, 1]^2)."""
  t = np.linspace(0.0, 1.0, 24)[:, None]
  curves = [((1 - t) ** 2) * p[0] + 2 * (1 - t) * t * p[1] + (t ** 2) * p[2]
            for p in control]
  points = np.concatenate(curves)  # [n, 2]
  pixels = (np.arange(size) + 0.5) / size * 2 - 1
  grid = np.stack(np.meshgrid(pixels, pixels, indexing="xy"), -1)
  distance2 = ((grid.reshape(-1, 1, 2) - points[None]) ** 2).sum(-1).min(1)
  image = np.exp(-distance2 / (2 * pen ** 2))
  return image.reshape(size, size)


def _sample(config, control, alphabet, character, sample):
  rng = _rng(config, alphabet, character, sample, 1)
  jittered = control + rng.normal(0, config.jitter, control.shape)
  angle = rng.normal(0, 0.15)
  rotation = np.array([[np.cos(angle), -np.sin(angle)],
                       [np.sin(angle), np.cos(angle)]])
  scale = rng.uniform(0.8, 1.05)
  shift = rng.uniform(-0.08, 0.08, 2)
  posed = jittered @ rotation.T * scale + shift
  pen = rng.uniform(0.05, 0.09)
  return _render(posed, config.size, pen)


def generate(config: GlyphConfig = GlyphConfig(),
             cache_dir: Optional[str] = None) -> np.ndarray:
  """The dataset `[classes, samples, size, size, 1]` uint8 (and caches it).

  Args:
    config: a `GlyphConfig`.
    cache_dir: where to keep `glyphs-<key>.npz`; None generates every time.

  Returns:
    A uint8 numpy array; class c is character c % characters_per_alphabet of
    alphabet c // characters_per_alphabet.
  """
  path = None
  if cache_dir:
    path = os.path.join(cache_dir, f"glyphs-{config.key()}.npz")
    if os.path.exists(path):
      with np.load(path) as cached:
        return cached["images"]
  images = np.zeros((config.num_classes, config.samples_per_character,
                     config.size, config.size, 1), np.uint8)
  for alphabet in range(config.num_alphabets):
    for character in range(config.characters_per_alphabet):
      control = _character(config, alphabet, character)
      index = alphabet * config.characters_per_alphabet + character
      for sample in range(config.samples_per_character):
        image = _sample(config, control, alphabet, character, sample)
        images[index, sample, :, :, 0] = np.round(np.clip(image, 0, 1) * 255)
  if path:
    # cache_dir is set wherever path is.
    os.makedirs(cache_dir, exist_ok=True)  # type: ignore[arg-type]
    temporary = path + f".{os.getpid()}.tmp.npz"
    np.savez_compressed(temporary, images=images)
    os.replace(temporary, path)  # atomic: readers never see half a file
  return images


def split_by_alphabet(
    images: np.ndarray, config: GlyphConfig,
    fractions: Sequence[float] = (0.7, 0.1, 0.2)) -> tuple[np.ndarray, ...]:
  """(train, validation, test) class sets, whole alphabets in each."""
  counts = np.round(np.array(fractions) / sum(fractions)
                    * config.num_alphabets).astype(int)
  counts[0] = config.num_alphabets - counts[1:].sum()
  if np.any(counts < 1):
    raise ValueError(f"{config.num_alphabets} alphabets cannot be split "
                     f"{fractions}: every part needs one.")
  per = config.characters_per_alphabet
  bounds = np.cumsum([0, *counts]) * per
  return tuple(images[bounds[i]:bounds[i + 1]] for i in range(3))
