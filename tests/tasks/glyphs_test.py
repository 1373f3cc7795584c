# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
import numpy as np
import pytest

from kerasmeta.tasks import glyphs

SMALL = glyphs.GlyphConfig(num_alphabets=3, characters_per_alphabet=4,
                           samples_per_character=5, seed=3)


def test_generation_is_deterministic_and_cached(tmp_path):
  first = glyphs.generate(SMALL, cache_dir=str(tmp_path))
  assert first.shape == (12, 5, 28, 28, 1) and first.dtype == np.uint8
  assert len(list(tmp_path.iterdir())) == 1
  np.testing.assert_array_equal(glyphs.generate(SMALL), first)
  np.testing.assert_array_equal(
      glyphs.generate(SMALL, cache_dir=str(tmp_path)), first)
  other = glyphs.generate(glyphs.GlyphConfig(
      num_alphabets=3, characters_per_alphabet=4, samples_per_character=5,
      seed=4))
  assert not np.array_equal(other, first)


def test_samples_of_a_character_are_alike_and_characters_differ():
  images = glyphs.generate(SMALL).astype(np.float32) / 255
  assert np.all(images.reshape(12 * 5, -1).max(axis=1) > 0.5)  # ink drawn
  flat = images.reshape(12, 5, -1)
  same = np.mean([np.abs(flat[c, 0] - flat[c, 1]).mean() for c in range(12)])
  different = np.mean([np.abs(flat[c, 0] - flat[(c + 1) % 12, 0]).mean()
                       for c in range(12)])
  assert same < different
  # Jitter: no two samples of a character are the same drawing.
  assert all(not np.array_equal(flat[c, 0], flat[c, 1]) for c in range(12))


def test_split_keeps_whole_alphabets_apart():
  config = glyphs.GlyphConfig(num_alphabets=10, characters_per_alphabet=2,
                              samples_per_character=2)
  images = np.arange(20)[:, None, None, None, None] * np.ones(
      (20, 2, 1, 1, 1))
  train, validation, test = glyphs.split_by_alphabet(images, config)
  assert [len(part) for part in (train, validation, test)] == [14, 2, 4]
  assert train[-1, 0, 0, 0, 0] == 13 and validation[0, 0, 0, 0, 0] == 14
  with pytest.raises(ValueError, match="cannot be split"):
    glyphs.split_by_alphabet(images, glyphs.GlyphConfig(num_alphabets=2))
