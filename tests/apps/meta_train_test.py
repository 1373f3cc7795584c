# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
import json
import os
import subprocess
import sys

import pytest

# Each test runs the apps in subprocesses: end to end, not the quick loop.
pytestmark = pytest.mark.slow

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))


def _run(*args):
  return subprocess.run(
      [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True,
      env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})


def test_meta_train_then_evaluate_leave_checkpoint_metrics_eval_and_plot(
    tmp_path):
  """The README's main job (default config: MT-net sinusoid), shortened."""
  workdir = tmp_path / "run"
  trained = _run(
      "apps.meta_train", f"--workdir={workdir}", "--config.num_meta_steps=20",
      "--config.log_every=10", "--config.hidden_sizes=(8,8)",
      "--config.eval.num_tasks=12", "--config.eval.max_inner_steps=3",
      "--config.eval.num_plot_tasks=2")
  assert trained.returncode == 0, trained.stderr[-3000:]
  assert (workdir / "checkpoints" / "checkpoint").exists()
  assert (workdir / "eval.png").stat().st_size > 1000
  lines = (workdir / "metrics.jsonl").read_text().splitlines()
  assert [json.loads(l)["step"] for l in lines] == [10, 20]
  result = json.loads((workdir / "eval.json").read_text())
  assert result["config"]["num_meta_steps"] == 20
  assert result["config"]["cell"] == "mtnet"
  assert set(result["results"]) == {"5", "10", "20"}
  assert set(result["results"]["5"]) == {"0", "1", "2", "3"}
  assert {"mean", "ci95"} <= set(result["results"]["10"]["1"])

  # apps.evaluate on the same workdir, with other held-out tasks.
  evaluated = _run("apps.evaluate", f"--workdir={workdir}", "--num_tasks=8",
                   "--seed=5", "--shots=5", "--output=other.json",
                   "--noplot")
  assert evaluated.returncode == 0, evaluated.stderr[-3000:]
  other = json.loads((workdir / "other.json").read_text())
  assert set(other["results"]) == {"5"} and other["eval_seed"] == 5


def test_unknown_variant_fails_with_the_choices():
  run = _run("apps.meta_train", "--config=sinusoid:warpy",
             "--workdir=/tmp/never_written")
  assert run.returncode != 0
  assert "Unknown sinusoid variant 'warpy'" in run.stderr


def test_evaluate_without_a_run_says_what_is_missing(tmp_path):
  run = _run("apps.evaluate", f"--workdir={tmp_path}")
  assert run.returncode != 0
  assert "No config.json" in run.stderr


def test_glyph_classification_trains_and_reports_accuracy(tmp_path):
  workdir = tmp_path / "glyphs"
  trained = _run(
      "apps.meta_train", "--config=glyphs:mtnet",
      f"--workdir={workdir}", "--config.num_meta_steps=4",
      "--config.log_every=2", "--config.filters=8",
      "--config.meta_batch_size=2", "--config.num_query=2",
      "--config.eval.num_query=2", "--config.glyphs.num_alphabets=10",
      "--config.glyphs.characters_per_alphabet=3",
      "--config.glyphs.samples_per_character=4",
      f"--config.data_dir={tmp_path / 'cache'}", "--config.eval.num_tasks=6")
  assert trained.returncode == 0, trained.stderr[-3000:]
  result = json.loads((workdir / "eval.json").read_text())
  accuracy = result["results"]["accuracy"]
  assert accuracy["num_tasks"] == 6 and 0.0 <= accuracy["mean"] <= 1.0
  assert set(result["results"]["accuracy_by_step"]) == {"0", "1", "2", "3"}
  assert (workdir / "eval.png").stat().st_size > 1000
  assert len(list((tmp_path / "cache").iterdir())) == 1


def test_warp_surfaces_trains_and_compares_with_gradient_descent(tmp_path):
  workdir = tmp_path / "surfaces"
  trained = _run(
      "apps.meta_train", "--config=warp_surfaces",
      f"--workdir={workdir}", "--config.num_meta_steps=4",
      "--config.log_every=2", "--config.learner.num_inner_steps=5",
      "--config.eval.num_tasks=4", "--config.eval.num_plot_tasks=1")
  assert trained.returncode == 0, trained.stderr[-3000:]
  results = json.loads((workdir / "eval.json").read_text())["results"]
  for method in ("gradient_descent", "warpgrad", "difference"):
    assert results[method]["num_tasks"] == 4
  assert (workdir / "eval.png").stat().st_size > 1000


def test_continual_sine_sgd_needs_no_meta_training_and_reports_forgetting(
    tmp_path):
  workdir = tmp_path / "continual"
  trained = _run(
      "apps.meta_train", "--config=continual_sine:ewc",
      f"--workdir={workdir}", "--config.hidden_sizes=(8,8)",
      "--config.steps_per_subtask=2", "--config.eval.num_tasks=3",
      "--config.eval.num_validation_tasks=2",
      "--config.eval.learning_rates=(0.001,0.01)",
      "--config.eval.ewc_strengths=(1.0,)")
  assert trained.returncode == 0, trained.stderr[-3000:]
  results = json.loads((workdir / "eval.json").read_text())["results"]
  assert len(results["selection"]) == 2
  for order in ("sequential", "random"):
    assert len(results[order]["final_by_subtask"]) == 5
    assert results[order]["final_mean"]["num_tasks"] == 3
    assert len(results[order]["mean_curves"]) == 11  # K + 1 = 5 * 2 + 1
  assert results["random"]["order"] == [1, 3, 4, 2, 0]
  assert (workdir / "eval.png").stat().st_size > 1000

  # Evaluating the same (step 0) workdir again (apps.evaluate's function,
  # in this process: the app's flags are tested with other runs).
  from kerasmeta.apps import workdirs  # pylint: disable=g-import-not-at-top
  workdirs.evaluate_workdir(str(workdir), output_name="again.json",
                            plot=False)
  again = json.loads((workdir / "again.json").read_text())["results"]
  assert again["sequential"]["final_mean"] == results["sequential"][
      "final_mean"]


def test_mini_imagenet_folder_trains_warp_maml_with_running_batch_norm(
    tmp_path):
  from tests.tasks import image_folder_test  # pylint: disable=g-import-not-at-top
  image_folder_test._write_folder(tmp_path / "images", per_class=3)  # pylint: disable=protected-access
  workdir = tmp_path / "mini"
  trained = _run(
      "apps.meta_train", "--config=mini_imagenet:warp_maml",
      f"--workdir={workdir}", f"--config.data_dir={tmp_path / 'images'}",
      "--config.examples_per_class=3", "--config.input_shape=(16,16,3)",
      "--config.filters=4", "--config.ways=2", "--config.num_query=2",
      "--config.meta_batch_size=2", "--config.num_meta_steps=2",
      "--config.learner.num_inner_steps=2", "--config.log_every=1",
      "--config.learner.batch_norm=running", "--config.eval.num_tasks=3",
      "--config.eval.num_inner_steps=2", "--config.eval.num_plot_tasks=1")
  assert trained.returncode == 0, trained.stderr[-3000:]
  result = json.loads((workdir / "eval.json").read_text())
  assert result["results"]["accuracy"]["num_tasks"] == 3
  assert result["config"]["warp"] and result["config"]["cell"] == "dense"
  metrics = [json.loads(l) for l in
             (workdir / "metrics.jsonl").read_text().splitlines()]
  assert {"warp_loss", "init_loss"} <= set(metrics[-1])


def test_image_configs_take_ways_and_shots_with_the_papers_settings():
  from kerasmeta.apps.configs import glyphs, mini_imagenet, omniglot  # pylint: disable=g-import-not-at-top
  five = glyphs.get_config("maml")
  assert (five.ways, five.shots, five.meta_batch_size,
          five.learner.inner_learning_rate) == (5, 1, 32, 0.4)
  twenty = omniglot.get_config("warp_maml,20,5")
  assert (twenty.ways, twenty.shots, twenty.meta_batch_size,
          twenty.learner.inner_learning_rate, twenty.warp) == (
              20, 5, 16, 0.1, True)
  assert mini_imagenet.get_config("maml,5,5").meta_batch_size == 2
  assert mini_imagenet.get_config("mtnet,5,1").meta_batch_size == 4
  import pytest  # pylint: disable=g-import-not-at-top
  with pytest.raises(ValueError, match="VARIANT"):
    glyphs.get_config("maml,twenty")


@pytest.mark.slow
def test_input_errors_end_in_one_line_not_a_traceback(tmp_path):
  for module, args in (
      ("apps.meta_train", [f"--workdir={tmp_path / 'run'}",
                           "--config.num_meta_steps=-5", "--noevaluate"]),
      ("apps.evaluate", [f"--workdir={tmp_path / 'missing'}"]),
      ("export.export_adapter", [f"--workdir={tmp_path / 'missing'}",
                                 f"--output={tmp_path / 'models'}"])):
    result = _run(module, *args)
    assert result.returncode == 1, (module, result.stderr[-2000:])
    assert "Traceback" not in result.stderr, (module, result.stderr[-2000:])
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(("ValueError: config.num_meta_steps must be >= 0",
                            "FileNotFoundError: No config.json")), last


def test_the_command_explains_itself_without_tensorflows_start_up_lines():
  helped = _run("apps.meta_train", "--help")
  assert helped.returncode == 0, helped.stderr
  for flag in ("--workdir", "--config.FIELD=VALUE", "--[no]list_configs",
               "--[no]describe_config", "--[no]restart"):
    assert flag in helped.stdout, flag
  assert "InitializeLog" not in helped.stderr
  assert "oneDNN" not in helped.stderr
  # (The description itself: tests/apps/config_help_test.py.)
  wrong = _run("apps.meta_train", "--config=navigaton", "--describe_config")
  assert wrong.returncode == 1
  assert wrong.stderr.strip().count("\n") == 0  # one line, no traceback
  assert "Unknown config 'navigaton'" in wrong.stderr
