# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""The helpers of benchmarks/maze_table.py (no training)."""

import json
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__)))), "benchmarks"))

import maze_table  # pylint: disable=g-import-not-at-top
import table_common  # pylint: disable=g-import-not-at-top


def test_window_mean_weights_each_log_by_the_steps_it_averages():
  steps = np.array([50, 100, 200, 300])
  returns = np.array([1.0, 2.0, 4.0, 8.0])
  # (50, 200]: the logs ending at 100 (50 steps of 2) and 200 (100 of 4).
  assert maze_table.window_mean(steps, returns, 50, 200) == pytest.approx(
      (50 * 2.0 + 100 * 4.0) / 150)
  # No log ends in (210, 250]: the one holding 250, ending at 300.
  assert maze_table.window_mean(steps, returns, 210, 250) == 8.0
  with pytest.raises(ValueError, match="at or after 400"):
    maze_table.window_mean(steps, returns, 350, 400)


def test_curve_reads_the_training_returns_of_a_workdir(tmp_path):
  with open(tmp_path / "metrics.jsonl", "w") as f:
    for step, value in [(50, 7.5), (100, 9.0)]:
      f.write(json.dumps({"step": step, "return": value, "loss": 0.1,
                          "steps_per_second": 3.0}) + "\n")
  steps, returns = maze_table.curve(str(tmp_path))
  np.testing.assert_array_equal(steps, [50, 100])
  np.testing.assert_array_equal(returns, [7.5, 9.0])
  assert maze_table.cell([1.0, 2.0, 3.0]) == "2.0 [1.5, 2.5]"


def test_unknown_names_are_refused_with_the_known_ones():
  assert table_common.chosen_names("rnn,warp_rnn", maze_table.LEARNERS,
                                   "learners") == ["rnn", "warp_rnn"]
  with pytest.raises(SystemExit, match=r"Unknown learners \['lstm'\]"):
    table_common.chosen_names("rnn,lstm", maze_table.LEARNERS, "learners")
