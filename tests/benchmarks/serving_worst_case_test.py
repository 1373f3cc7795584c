# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""One LEO request at every cap of its adapter, through both loaders:
bounded time and memory."""

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))


@pytest.mark.slow
def test_a_leo_request_at_every_cap_stays_within_the_readme_bounds():
  # Both loaders: Python's tf.saved_model.load and TF's C API.
  run = subprocess.run(
      [sys.executable, os.path.join(ROOT, "benchmarks",
                                    "serving_worst_case.py"),
       "--adapters=leo"], cwd=ROOT, capture_output=True, text=True,
      check=False, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2",
                        "PYTHONPATH": ROOT})
  assert run.returncode == 0, run.stderr[-2000:]
  lines = [json.loads(line) for line in run.stdout.strip().splitlines()
           if line.startswith("{")]
  assert [line["loader"] for line in lines] == ["python", "c_api"]
  assert not lines[1]["tensorflow_imported"]
  for line in lines:
    assert line["max_support"] == 5 * 25 and line["finite"]
    # The README's table: under 0.7 s and 100 MB on the 2-core VM; a
    # generous bound (the all-pairs cost of the old 10,000-point cap was
    # 25 GB).
    assert line["peak_mb_above_before"] < 500, line
    assert line["seconds"] < 10, line
    assert line["batch_peak_mb_above_before"] < 500, line
