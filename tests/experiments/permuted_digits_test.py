# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""The permuted-digits protocol of EWC: permutations, overlap, penalties
and short runs of the three regimes."""

import numpy as np
import pytest
import tensorflow as tf

from kerasmeta.experiments import _permuted_digits as protocol_lib

TINY = protocol_lib.Protocol(hidden_sizes=(32,), learning_rate=0.3,
                             batch_size=20, epochs_per_task=5, eval_every=10)


@pytest.fixture(scope="module")
def small_data():
  data = protocol_lib.load_dataset("digits")
  sizes = {"train": 200, "validation": 60, "test": 60}
  return {split: (x[:sizes[split]], y[:sizes[split]])
          for split, (x, y) in data.items()}


def test_digits_are_split_in_unit_range_without_overlap():
  data = protocol_lib.load_dataset("digits")
  assert {split: len(y) for split, (_, y) in data.items()} == {
      "train": 1079, "validation": 359, "test": 359}
  for x, _ in data.values():
    assert x.shape[1] == 64 and x.min() >= 0 and x.max() <= 1


def test_permutation_is_a_bijection_fixed_by_its_seed():
  permutation = protocol_lib.square_permutation((0, 1))
  np.testing.assert_array_equal(np.sort(permutation), np.arange(64))
  np.testing.assert_array_equal(permutation,
                                protocol_lib.square_permutation((0, 1)))
  assert not np.array_equal(permutation,
                            protocol_lib.square_permutation((0, 2)))


@pytest.mark.parametrize("image_side,square_side", [(8, 4), (8, 2), (28, 8)])
def test_pixels_outside_the_square_stay(image_side, square_side):
  permutation = protocol_lib.square_permutation(3, image_side, square_side)
  grid = np.arange(image_side**2).reshape(image_side, image_side)
  start = (image_side - square_side) // 2
  inside = np.zeros_like(grid, bool)
  inside[start:start + square_side, start:start + square_side] = True
  np.testing.assert_array_equal(permutation[grid[~inside]], grid[~inside])
  assert set(permutation[grid[inside]]) == set(grid[inside])
  assert np.any(permutation[grid[inside]] != grid[inside])


def test_tasks_permute_only_the_square_of_every_split(small_data):
  tasks = protocol_lib.permuted_tasks(small_data, 3, seed=5, square_side=4)
  outside = np.ones([8, 8], bool)
  outside[2:6, 2:6] = False
  outside = outside.ravel()
  for task in tasks:
    for split, (x, y) in task.items():
      np.testing.assert_array_equal(x[:, outside],
                                    small_data[split][0][:, outside])
      np.testing.assert_array_equal(y, small_data[split][1])
      np.testing.assert_allclose(np.sort(x, 1),
                                 np.sort(small_data[split][0], 1))
  assert not np.array_equal(tasks[0]["train"][0], tasks[1]["train"][0])


def test_a_square_larger_than_the_image_is_refused():
  with pytest.raises(ValueError, match="square_side"):
    protocol_lib.square_permutation(0, 8, 9)


def test_fisher_overlap_is_one_for_equal_zero_for_disjoint_in_between():
  rng = np.random.default_rng(0)
  fisher = rng.uniform(size=(5, 4))
  assert protocol_lib.fisher_overlap(fisher, fisher) == pytest.approx(1.0)
  assert protocol_lib.fisher_overlap(fisher, 7 * fisher) == pytest.approx(1.0)
  assert protocol_lib.fisher_overlap([1, 2, 0, 0], [0, 0, 3, 1]) == 0.0
  for _ in range(20):
    a, b = rng.exponential(size=(2, 30)) * (rng.uniform(size=(2, 30)) > 0.5)
    overlap = protocol_lib.fisher_overlap(a, b)
    assert 0.0 < overlap < 1.0
    # 1 - 1/2 ||.||^2 of unit-trace square roots: their inner product.
    expected = np.sum(np.sqrt(a / a.sum() * b / b.sum()))
    assert overlap == pytest.approx(expected)


def test_fisher_overlap_refuses_mismatched_or_empty_fishers():
  with pytest.raises(ValueError, match="one shape"):
    protocol_lib.fisher_overlap([1, 2], [1, 2, 3])
  with pytest.raises(ValueError, match="positive traces"):
    protocol_lib.fisher_overlap([0, 0], [1, 2])


def test_l2_penalty_is_half_lambda_squared_distance_summed_over_tasks():
  rng = np.random.default_rng(1)
  params = [rng.normal(size=(3, 2)), rng.normal(size=2)]
  anchors = [[rng.normal(size=p.shape) for p in params] for _ in range(2)]
  expected = sum(0.5 * 0.3 * np.sum((p - a)**2)
                 for anchor in anchors for p, a in zip(params, anchor))
  penalty = protocol_lib.l2_penalty(
      [tf.constant(p) for p in params],
      [[tf.constant(a) for a in anchor] for anchor in anchors], 0.3)
  # (ewc_penalty casts a Python strength through float32.)
  assert float(penalty) == pytest.approx(expected, rel=1e-6)


def test_an_l2_run_penalises_the_distance_to_each_task_end(small_data):
  tasks = protocol_lib.permuted_tasks(small_data, 2, seed=0)
  learner = protocol_lib.ContinualMLP(64, TINY)
  record = learner.run(tasks, "l2", 0.05)
  final = [w.numpy() for w in learner.weights]
  # The last anchor is the final weights: only task 1's end is a distance.
  expected = 0.5 * 0.05 * sum(
      np.sum((f - a)**2) for f, a in zip(final, record["task_weights"][0]))
  assert expected > 0
  assert learner.penalty() == pytest.approx(expected, rel=1e-5)


def test_a_huge_ewc_strength_holds_the_weights_at_the_first_task(small_data):
  tasks = protocol_lib.permuted_tasks(small_data, 2, seed=0)
  learner = protocol_lib.ContinualMLP(64, TINY)
  plain = learner.run(tasks, "sgd")
  held = learner.run(tasks, "ewc", 1e6)
  fisher = held["fishers"][0]
  # Task 1 is learned alike (no penalty yet), so theta*_1 is one point.
  for a, b in zip(plain["task_weights"][0], held["task_weights"][0]):
    np.testing.assert_array_equal(a, b)

  def moved(record):  # sum_i F_i (theta_i - theta*_1,i)^2 after task 2
    return sum(np.sum(f * (end - start)**2) for f, start, end in zip(
        fisher, record["task_weights"][0], record["task_weights"][1]))

  assert moved(held) < 1e-4 * moved(plain)
  # Task 1 is kept; plain SGD forgets part of it.
  assert held["test_after_task"][1, 0] == pytest.approx(
      held["test_after_task"][0, 0], abs=0.02)
  assert held["test_after_task"][1, 0] > plain["test_after_task"][1, 0]


def test_a_run_repeats_exactly_and_records_its_curves(small_data):
  tasks = protocol_lib.permuted_tasks(small_data, 3, seed=0)
  learner = protocol_lib.ContinualMLP(64, TINY)
  first = learner.run(tasks, "ewc", 10.0)
  again = protocol_lib.ContinualMLP(64, TINY).run(tasks, "ewc", 10.0)
  for key in ("test_curve", "test_after_task", "validation_after_task"):
    np.testing.assert_array_equal(first[key], again[key])
  steps_per_task = 5 * (200 // 20)
  assert first["task_starts"] == [0, steps_per_task, 2 * steps_per_task]
  assert first["steps"][-1] == 3 * steps_per_task
  assert first["test_curve"].shape == (len(first["steps"]), 3)
  np.testing.assert_array_equal(first["test_curve"][-1],
                                first["test_after_task"][-1])
  assert len(first["fishers"]) == 3
  assert learner.layer_of_weight == ["hidden_1", "hidden_1", "output",
                                     "output"]


def test_regimes_and_strengths_are_checked_and_chosen_on_validation():
  with pytest.raises(ValueError, match="regime"):
    protocol_lib.ContinualMLP(64, TINY).run([], "adam")

  class Scored:  # validation accuracy peaks at strength 3
    def run(self, tasks, regime, strength):
      del tasks, regime
      score = 1.0 - abs(strength - 3.0) / 10
      return {"strength": strength,
              "validation_after_task": np.array([[score, score]])}

  best, scores = protocol_lib.choose_strength(Scored(), [], "l2", (1, 3, 9))
  assert best["strength"] == 3 and scores == {1.0: 0.8, 3.0: 1.0, 9.0: 0.4}


def test_seen_average_and_layer_overlaps():
  after = np.array([[0.9, 0.1, 0.1], [0.5, 0.8, 0.2], [0.4, 0.6, 0.7]])
  np.testing.assert_allclose(protocol_lib.seen_average(after),
                             [0.9, 0.65, 1.7 / 3])
  learner = protocol_lib.ContinualMLP(64, TINY)
  fisher = [np.ones_like(v) for v in learner.initial]
  other = [f.copy() for f in fisher]
  other[2][:] = 0  # the output kernel apart from its bias
  overlaps = protocol_lib.layer_overlaps(learner, fisher, other)
  assert overlaps["hidden_1"] == pytest.approx(1.0)
  assert overlaps["output"] == pytest.approx(np.sqrt(10 / (32 * 10 + 10)))


def test_mnist_is_never_downloaded(tmp_path):
  with pytest.raises(FileNotFoundError, match="never downloaded"):
    protocol_lib.load_dataset("mnist", data_dir=str(tmp_path))
  with pytest.raises(ValueError, match="dataset"):
    protocol_lib.load_dataset("cifar")
