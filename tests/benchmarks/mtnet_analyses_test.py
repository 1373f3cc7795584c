# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""The helpers of benchmarks/mtnet_analyses.py (no training)."""

import json
import math
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__)))), "benchmarks"))

import mtnet_lr_robustness as robustness  # pylint: disable=g-import-not-at-top
import workdir_runs  # pylint: disable=g-import-not-at-top


def _entry(mean, median, nonfinite=0):
  return {"mean": mean, "ci95": 0.1, "median": median, "num_tasks": 600,
          "num_nonfinite": nonfinite}


def _run(entry=None, message=""):
  evaluation = None if entry is None else {"results": {"10": {"1": entry}}}
  return workdir_runs.Run("w", "finished" if entry else "diverged",
                          evaluation, 0.0, True, message)


def test_the_median_stands_in_where_diverging_tasks_dominate_the_mean():
  assert robustness.plotted_value(_entry(0.5, 0.3)) == (0.5, False)
  assert robustness.plotted_value(_entry(40.0, 0.3)) == (0.3, True)
  assert robustness.plotted_value(_entry(0.5, 0.3, nonfinite=2)) == (0.3,
                                                                      True)


def test_cells_show_the_median_the_nonfinite_tasks_and_divergence():
  assert robustness.cell(_run(_entry(0.5, 0.3))) == "0.500 ± 0.100"
  text = robustness.cell(_run(_entry(4e3, 0.3, nonfinite=7)))
  assert "4.0e+03 ± 0.100" in text and "**median 0.300**" in text
  assert "7/600 not finite" in text
  message = "NonFiniteError: The query_loss is not finite at step 1234: ..."
  assert robustness.cell(_run(message=message)) == (
      "meta-training diverged at step 1234")


def test_sensitivity_is_worst_over_best_and_infinite_with_a_divergence():
  assert robustness.sensitivity([0.5, 1.0, 4.0]) == (8.0, 2)
  ratio, near = robustness.sensitivity([0.5, None, 0.6])
  assert math.isinf(ratio) and near == 2


def _workdir(tmp_path, step=100, alpha=0.01, results=("10",)):
  workdir = tmp_path / "mtnet_alpha0.01"
  workdir.mkdir()
  (workdir / "config.json").write_text(json.dumps(
      {"task": "sinusoid", "variant": "mtnet", "algorithm": "maml",
       "learner": {"inner_learning_rate": alpha},
       "seed": 0, "num_meta_steps": 100}))
  (workdir / "eval.json").write_text(json.dumps(
      {"step": step, "results": {k: {"1": _entry(1, 1)} for k in results}}))
  return str(workdir)


FIELDS = {"task": "sinusoid", "variant": "mtnet",
          "learner.inner_learning_rate": 0.01,
          "seed": 0, "num_meta_steps": 100}


def test_a_finished_run_is_reused_only_with_the_same_settings(tmp_path):
  workdir = _workdir(tmp_path)
  run = workdir_runs.finished(workdir, FIELDS, 10)
  assert run.status == "finished" and run.reused
  assert workdir_runs.finished(workdir, dict(FIELDS, seed=1), 10) is None
  assert workdir_runs.finished(
      workdir, dict(FIELDS, **{"learner.inner_learning_rate": 0.04}),
      10) is None
  assert workdir_runs.finished(workdir, dict(FIELDS, num_meta_steps=100),
                               5) is None  # not evaluated at K = 5


def test_an_evaluation_of_another_step_is_not_reused(tmp_path):
  workdir = _workdir(tmp_path, step=50)
  assert workdir_runs.finished(workdir, FIELDS, 10) is None


def test_a_recorded_divergence_is_reused_with_its_message(tmp_path):
  workdir = _workdir(tmp_path)
  with open(workdir + ".diverged.json", "w") as f:
    json.dump({"message": "NonFiniteError: ... at step 7: ..."}, f)
  run = workdir_runs.finished(workdir, FIELDS, 10)
  assert run.status == "diverged"
  assert workdir_runs.diverged_step(run.message) == 7


def test_the_divergence_note_names_every_kind_or_says_none():
  clean = {("maml", "0.1"): _run(_entry(0.5, 0.3))}
  assert robustness.divergence_note(clean).startswith("Divergence: none.")
  mixed = dict(clean)
  mixed[("maml", "1.0")] = _run(message="NonFiniteError: ... at step 3")
  mixed[("mtnet", "1.0")] = _run(_entry(0.5, 0.3, nonfinite=4))
  note = robustness.divergence_note(mixed)
  assert "['maml alpha=1.0']" in note and "4 held-out task losses" in note
  assert "['mtnet alpha=1.0']" in note


def test_a_run_stored_before_the_learner_group_is_reused(tmp_path):
  workdir = _workdir(tmp_path)
  (tmp_path / "mtnet_alpha0.01" / "config.json").write_text(json.dumps(
      {"task": "sinusoid", "variant": "mtnet", "algorithm": "maml",
       "inner_learning_rate": 0.01, "num_inner_steps": 1, "seed": 0,
       "num_meta_steps": 100}))
  assert workdir_runs.finished(workdir, FIELDS, 10).status == "finished"
  assert workdir_runs.finished(
      workdir, dict(FIELDS, **{"learner.inner_learning_rate": 0.04}),
      10) is None
