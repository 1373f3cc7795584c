# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Optimisee problems: the authors' code's initial weights and the held-out
images the MLP problems are evaluated on."""

import numpy as np
import pytest

from kerasmeta.tasks import optimizees


def _pooled_initial(problems, count=8):
  tasks = problems.evaluation_tasks(count, 0).tasks
  draws = [problems.initial_params(type(tasks)(*[t[i] for t in tasks]))
           for i in range(count)]
  return [np.stack([draw[i].numpy() for draw in draws])
          for i in range(len(draws[0]))]


def test_mlp_weights_and_biases_start_from_the_references_normal():
  # problems.py `_nn_initializers`: N(0, 0.01^2) for "w" and "b".
  problems = optimizees.MLPProblems(*optimizees.load_digits("validation"),
                                    batch_size=16)
  for values in _pooled_initial(problems):  # within 4 standard errors
    error = 0.01 / np.sqrt(values.size)
    assert abs(values.mean()) < 4 * error
    assert abs(values.std() - 0.01) < 4 * error / np.sqrt(2)
  glorot = optimizees.MLPProblems(*optimizees.load_digits("validation"),
                                  batch_size=16, initializer="glorot")
  kernel, bias = _pooled_initial(glorot)[:2]
  assert np.all(bias == 0)
  limit = np.sqrt(6 / (64 + 20))
  assert np.abs(kernel).max() <= limit and np.abs(kernel).max() > 0.9 * limit
  with pytest.raises(ValueError, match="initializer must be"):
    optimizees.MLPProblems(*optimizees.load_digits("validation"),
                           initializer="zeros")


def test_glyph_splits_are_other_drawings_of_the_same_characters():
  train_x, train_y = optimizees.load_glyph_characters(num_classes=3,
                                                      samples=4, size=8)
  held_out = {split: optimizees.load_glyph_characters(
      num_classes=3, samples=4, size=8, split=split)
              for split in ("validation", "test")}
  count = optimizees.GLYPH_HELD_OUT_SAMPLES
  rows = {split: {x.tobytes() for x in data[0]}
          for split, data in held_out.items()}
  rows["train"] = {x.tobytes() for x in train_x}
  assert len(rows["train"] | rows["validation"] | rows["test"]) == \
      len(rows["train"]) + len(rows["validation"]) + len(rows["test"])
  for x, y in held_out.values():
    assert x.shape == (3 * count, 64)
    np.testing.assert_array_equal(np.bincount(y), [count] * 3)
  np.testing.assert_array_equal(train_y, np.repeat(np.arange(3), 4))
  with pytest.raises(ValueError, match="split must be"):
    optimizees.load_glyph_characters(split="dev")
