# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
import io
import json
import logging
import os
import signal
import subprocess
import sys
import time

from absl import logging as absl_logging
import numpy as np
import pytest
import tensorflow as tf

import kerasmeta as km
from kerasmeta.apps.configs import sinusoid
from kerasmeta import evaluation
from kerasmeta import experiments
from kerasmeta import training
from kerasmeta.training import logs
from tests import helpers

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def small_config(variant="mtnet", **overrides):
  config = sinusoid.get_config(variant)
  config.hidden_sizes = (16, 16)
  config.num_meta_steps = 6
  config.log_every = 1
  config.checkpoint_every = 3
  config.jit_compile = "off"
  return helpers.set_fields(config, **overrides)


def read_metrics(workdir):
  with open(os.path.join(workdir, "metrics.jsonl")) as f:
    return [json.loads(line) for line in f]


def weights(trainer):
  return [v.numpy().copy() for v in trainer.variables]


def test_a_run_writes_checkpoints_metrics_and_summaries(tmp_path):
  trainer = training.Trainer.from_config(small_config(), str(tmp_path))
  trainer.train()
  assert trainer.step == 6
  assert [m["step"] for m in read_metrics(tmp_path)] == list(range(1, 7))
  assert trainer.manager.latest_checkpoint.endswith("ckpt-6")
  assert os.listdir(tmp_path / "tensorboard")
  assert json.loads((tmp_path / "config.json").read_text())["cell"] == "mtnet"


def _warp_config(mode):
  def make():
    variant = {"online": "warp_maml"}.get(mode, f"warp_maml_{mode}")
    config = small_config(variant, num_inner_steps=2)
    if mode == "offline":
      config.learner.replay_batch_size = 2
    if mode == "continual":
      config.learner.warp_update_interval = 2
    return config
  return make


@pytest.mark.parametrize("make_config", [
    lambda: small_config("mtnet"), lambda: small_config("meta_sgd"),
    _warp_config("online"), _warp_config("offline"),
    # Continual WarpGrad carries accumulated warp gradients across steps
    # (3 is odd: the checkpoint falls between two warp updates).
    _warp_config("continual")],
                         ids=["mtnet", "meta_sgd", "warp_online",
                              "warp_offline", "warp_continual"])
def test_resuming_gives_the_same_losses_and_weights(tmp_path, make_config):
  whole = training.Trainer.from_config(make_config(), str(tmp_path / "whole"))
  whole.train()
  first = training.Trainer.from_config(make_config(), str(tmp_path / "split"))
  first.train(num_steps=3)
  resumed = training.Trainer.from_config(make_config(), str(tmp_path / "split"))
  resumed.train()
  assert resumed.step == 6
  losses = lambda d: [(m["step"], m["query_loss"], m["support_loss"])
                      for m in read_metrics(d)]
  assert losses(tmp_path / "split") == losses(tmp_path / "whole")
  for a, b in zip(weights(resumed), weights(whole)):
    np.testing.assert_array_equal(a, b)


@pytest.mark.slow
def test_a_killed_run_resumes_exactly(tmp_path):
  """SIGKILL mid-run, re-run the same command, compare with a clean run."""
  command = lambda workdir: [
      sys.executable, "-m", "apps.meta_train",
      "--config=sinusoid:mtnet", f"--workdir={workdir}",
      "--config.hidden_sizes=(16,16)", "--config.num_meta_steps=200",
      "--config.log_every=1", "--config.checkpoint_every=25",
      "--config.jit_compile=off", "--noevaluate"]
  environment = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
  killed = tmp_path / "killed"
  process = subprocess.Popen(command(killed), cwd=ROOT, env=environment,
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
  deadline = time.time() + 120
  while time.time() < deadline:
    done = (read_metrics(killed)[-1]["step"]
            if (killed / "metrics.jsonl").exists() else 0)
    if done >= 60:
      break
    time.sleep(0.05)
  process.send_signal(signal.SIGKILL)
  process.wait()
  logged = read_metrics(killed)[-1]["step"]
  assert 60 <= logged < 200, "the run was not killed mid-way"
  subprocess.run(command(killed), cwd=ROOT, env=environment, check=True,
                 capture_output=True)
  subprocess.run(command(tmp_path / "clean"), cwd=ROOT, env=environment,
                 check=True, capture_output=True)
  resumed, clean = read_metrics(killed), read_metrics(tmp_path / "clean")
  assert [m["step"] for m in resumed] == list(range(1, 201))
  key = lambda ms: [(m["step"], m["query_loss"]) for m in ms]
  assert key(resumed) == key(clean)


def test_mirrored_on_two_cpus_gives_the_same_update_as_default(tmp_path):
  default = training.Trainer.from_config(small_config(num_meta_steps=2),
                             str(tmp_path / "default"))
  mirrored = training.Trainer.from_config(
      small_config(num_meta_steps=2, strategy="mirrored"),
      str(tmp_path / "mirrored"))
  assert mirrored.strategy.num_replicas_in_sync == 2
  default.train()
  mirrored.train()
  for a, b in zip(weights(default), weights(mirrored)):
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)
  for a, b in zip(read_metrics(tmp_path / "default"),
                  read_metrics(tmp_path / "mirrored")):
    np.testing.assert_allclose(a["query_loss"], b["query_loss"], rtol=1e-5)


@pytest.mark.slow
def test_a_few_hundred_meta_steps_make_adaptation_help(tmp_path):
  config = small_config("maml", hidden_sizes=(40, 40), num_meta_steps=500,
                        log_every=100, checkpoint_every=1000,
                        meta_batch_size=8, inner_learning_rate=0.05,
                        outer_learning_rate=1e-2, jit_compile="on")
  trainer = training.Trainer.from_config(config, str(tmp_path))
  tasks, seeds, _ = experiments.task_distribution(config).evaluation_tasks(
      200, seed=1)
  untrained = evaluation.query_losses_by_step(trainer.learner, tasks, seeds,
                                              1).mean(axis=0)
  trainer.train()
  before, after = evaluation.query_losses_by_step(trainer.learner, tasks,
                                                  seeds, 1).mean(axis=0)
  # One step barely helps the untrained learner; after meta-training the
  # adapted loss is well below the unadapted one.
  assert untrained[1] > 0.9 * untrained[0]
  assert after < 0.7 * before, (before, after)


@pytest.mark.parametrize("variant", ["reptile", "leap", "warp_leap"])
def test_initialisation_learners_train_through_the_trainer(tmp_path, variant):
  config = small_config(variant, num_inner_steps=3, outer_optimizer="sgd",
                        outer_learning_rate=0.1)
  trainer = training.Trainer.from_config(config, str(tmp_path))
  before = weights(trainer)
  trainer.train()
  assert all(np.isfinite(m["query_loss"]) for m in read_metrics(tmp_path))
  assert any(not np.array_equal(a, b)
             for a, b in zip(before, weights(trainer)))


@pytest.mark.parametrize("field,value,message", [
    ("cell", "lstm", "Unknown cell 'lstm'"),
    ("algorithm", "mamll", "Unknown algorithm 'mamll'"),
    ("strategy", "gpu_cluster", "Unknown strategy 'gpu_cluster'"),
    ("meta_batch_size", 0, "meta_batch_size must be >= 1; received 0"),
    ("outer_optimizer", "adagrad", "outer_optimizer must be one of"),
])
def test_bad_config_fields_are_named_in_the_error(tmp_path, field, value,
                                                  message):
  config = small_config()
  config[field] = value
  with pytest.raises(ValueError, match=message):
    training.Trainer.from_config(config, str(tmp_path))


def test_meta_batch_not_divisible_by_replicas_is_rejected(tmp_path):
  with pytest.raises(ValueError, match=r"meta_batch_size \(3\) .* \(2\)"):
    training.Trainer.from_config(
        small_config(meta_batch_size=3, strategy="mirrored"), str(tmp_path))


def test_jit_auto_uses_xla_for_dense_learners_but_not_conv_on_cpu():
  from kerasmeta import models
  assert training.resolve_jit_compile("auto", models.mlp()) is True
  conv = models.conv4(filters=4)
  assert training.resolve_jit_compile("auto", conv) is False
  assert training.resolve_jit_compile("on", conv) is True
  assert training.resolve_jit_compile(False, models.mlp()) is False
  with pytest.raises(ValueError, match="'sometimes'"):
    training.resolve_jit_compile("sometimes", conv)


@pytest.mark.parametrize("policy", ["mixed_bfloat16", "mixed_float16"])
def test_mixed_precision_trains_in_16_bits_with_float32_variables(tmp_path,
                                                                  policy):
  import keras
  trainer = training.Trainer.from_config(small_config(mixed_precision=policy,
                                          num_meta_steps=3),
                             str(tmp_path))
  final = trainer.train()
  layers = trainer.learner.model.layers
  assert all(l.compute_dtype == policy.split("_")[1] for l in layers)
  assert all(v.dtype == "float32" for v in trainer.variables)
  assert np.isfinite(final["query_loss"])
  assert isinstance(trainer.optimizer, keras.optimizers.LossScaleOptimizer) \
      == (policy == "mixed_float16")
  # The policy was only in force while the model was built.
  assert keras.config.dtype_policy().name == "float32"


class _Terminal(io.StringIO):
  def isatty(self):
    return True


def test_progress_bar_redraws_one_line_on_a_terminal(monkeypatch):
  terminal = _Terminal()
  monkeypatch.setattr("sys.stderr", terminal)
  progress = training.Progress(total=10, start=0)
  progress.update(5, {"query_loss": 0.5})
  progress.drawn = 0  # as if the last draw were long ago
  progress.tick(6)
  progress.close()
  lines = terminal.getvalue().split("\r")
  assert lines[1].startswith("\033[K[===============...............] step "
                             "5/10 query_loss=0.5")
  assert "step 6/10" in lines[2] and lines[2].endswith("\n")


def test_time_left_is_measured_after_the_first_call(monkeypatch):
  # The first call traces and compiles: 100 s for its 10 steps, then a
  # second a step. Counted from the start, 990 steps would take 2.75 h.
  clock = iter([0.0, 100.0, 110.0])
  monkeypatch.setattr(time, "perf_counter", lambda: next(clock))
  progress = training.Progress(total=1000, start=0)
  progress.interactive = False
  lines = []
  monkeypatch.setattr(logs.logging, "info", lines.append)
  progress.update(10, {})
  progress.update(20, {})
  assert "estimating time left" in lines[0]
  assert "0:16:20 left" in lines[1]  # 980 steps at 1 s


def test_a_log_line_clears_the_bar_first(monkeypatch):
  terminal = _Terminal()
  monkeypatch.setattr("sys.stderr", terminal)
  progress = training.Progress(total=10, start=0)
  progress.update(5, {"query_loss": 0.5})
  record = logging.LogRecord("absl", logging.INFO, "", 0, "Saved", (), None)
  assert progress._clear_line(record)  # pylint: disable=protected-access
  assert terminal.getvalue().endswith("\r\033[K")
  progress.close()
  assert terminal.getvalue().endswith("\r\033[K")  # no newline after it
  assert progress._clear_line not in absl_logging.get_absl_handler().filters  # pylint: disable=protected-access


def test_steps_skipped_by_loss_scaling_still_count_as_meta_steps(tmp_path):
  trainer = training.Trainer.from_config(
      small_config(mixed_precision="mixed_float16", num_meta_steps=5),
      str(tmp_path))
  # A loss scale this large overflows float16: the optimiser skips the step.
  trainer.optimizer.dynamic_scale.assign(2.0**60)
  trainer.train()
  assert trainer.step == 5
  assert int(trainer.optimizer.iterations.numpy()) < 5
  resumed = training.Trainer.from_config(
      small_config(mixed_precision="mixed_float16", num_meta_steps=5),
      str(tmp_path))
  assert resumed.restore() == 5


def test_warpgrad_theta0_steps_with_lambda_times_the_outer_rate(tmp_path):
  config = small_config("warp_maml", outer_learning_rate=0.01)
  config.learner.init_step_scale = 0.25
  trainer = training.Trainer.from_config(config, str(tmp_path))
  init_optimizer, warp_optimizer = trainer.optimizer.optimizers
  assert float(init_optimizer.learning_rate) == pytest.approx(0.0025)
  assert float(warp_optimizer.learning_rate) == pytest.approx(0.01)
  with pytest.raises(ValueError, match="one variable group"):
    training.Trainer.from_config(small_config("warp_maml", mixed_precision="mixed_float16"),
                     str(tmp_path / "fp16"))


def test_adam_epsilon_is_the_papers_by_default_and_old_configs_keep_theirs(
    tmp_path):
  config = small_config("maml")
  assert config.outer_epsilon == training.REFERENCE_ADAM_EPSILON == 1e-8
  trainer = training.Trainer.from_config(config, str(tmp_path / "new"))
  assert trainer.optimizer.epsilon == 1e-8
  # A workdir written before the field existed trained with Keras' 1e-7.
  old = small_config("maml")
  with old.unlocked():
    del old["outer_epsilon"]
  assert training.Trainer.from_config(old, str(tmp_path / "old")).optimizer.epsilon \
      == 1e-7


def test_outer_learning_rates_that_cannot_train_are_refused():
  for rate in (-1.0, 0.0, float("nan")):
    with pytest.raises(ValueError, match="outer learning rate must be > 0"):
      training.make_optimizer("adam", rate)


def test_any_learner_trains_and_resumes_from_a_dataset_without_a_config(
    tmp_path):
  import kerasmeta as km  # pylint: disable=g-import-not-at-top
  from tests import helpers  # pylint: disable=g-import-not-at-top

  def batches():
    return km.SinusoidTasks(shots=5).dataset(seed=3, batch_size=2)

  def make(workdir):
    import keras  # pylint: disable=g-import-not-at-top
    keras.utils.set_random_seed(0)  # the same theta_0 for every run
    model = km.models.mlp(hidden_sizes=(8,))
    learner = km.MAML(model, inner_learning_rate=0.01)
    return training.Trainer(learner, batches(), workdir, meta_batch_size=2,
                            log_every=2, checkpoint_every=2)

  first = make(str(tmp_path / "run"))
  first.train(4)
  resumed = make(str(tmp_path / "run"))
  resumed.train(6)
  straight = make(str(tmp_path / "straight"))
  straight.train(6)
  for a, b in zip(resumed.learner.trainable_variables,
                  straight.learner.trainable_variables):
    np.testing.assert_array_equal(a.numpy(), b.numpy())
  assert not os.path.exists(tmp_path / "run" / "config.json")
  with pytest.raises(TypeError, match="MetaLearner; received Sequential"):
    training.Trainer(helpers.tiny_mlp(), batches(), str(tmp_path / "bad"),
                     meta_batch_size=2)


def test_settings_that_would_be_ignored_are_refused(tmp_path):
  import kerasmeta as km  # pylint: disable=g-import-not-at-top
  from tests.algorithms import contract_test  # pylint: disable=g-import-not-at-top
  batches = km.SinusoidTasks(shots=5).dataset(seed=3, batch_size=2)
  with pytest.raises(ValueError, match="brings its own order"):
    training.Trainer(contract_test.MeanRegressor(), batches, str(tmp_path),
                     meta_batch_size=2, seed=1)
  # A learner without a model trains with jit_compile="auto".
  trainer = training.Trainer(contract_test.MeanRegressor(), batches,
                             str(tmp_path), meta_batch_size=2)
  assert "query_loss" in trainer.train(2)
  offline = km.algorithms.OfflineWarpGrad(
      contract_test._warped_model(), num_inner_steps=2,  # pylint: disable=protected-access
      init_objective="leap")
  with pytest.raises(ValueError, match="runs without XLA"):
    training.build_step(offline, training.make_outer_optimizer(
        offline, "sgd", 0.1), None, 2, jit_compile="on")


@pytest.mark.parametrize("jit_compile", ["off", "on"])
def test_several_steps_per_call_on_tasks_made_in_the_graph_train_as_one(
    tmp_path, jit_compile):
  runs = {}
  for name, steps_per_call in (("host", 1), ("graph", 4)):
    trainer = training.Trainer.from_config(small_config(
        num_meta_steps=11, log_every=5, checkpoint_every=3,
        jit_compile=jit_compile, steps_per_call=steps_per_call),
                                           str(tmp_path / name))
    if name == "host":
      trainer._steps = None  # pylint: disable=protected-access
    else:
      assert trainer._steps is not None  # pylint: disable=protected-access
    trainer.train()
    runs[name] = (weights(trainer), read_metrics(tmp_path / name),
                  trainer.manager.checkpoints)
  (host_weights, host_metrics, host_saved), (graph_weights, graph_metrics,
                                             graph_saved) = runs.values()
  for a, b in zip(host_weights, graph_weights):
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)
  # Calls stop at every log line and checkpoint: the same lines and files.
  assert [m["step"] for m in graph_metrics] == [5, 10, 11]
  for a, b in zip(host_metrics, graph_metrics):
    np.testing.assert_allclose(a["query_loss"], b["query_loss"], rtol=1e-5)
  assert [os.path.basename(p) for p in graph_saved] == [
      os.path.basename(p) for p in host_saved] == [
          "ckpt-6", "ckpt-9", "ckpt-11"]


def test_a_nonfinite_loss_inside_a_call_names_its_step(tmp_path):
  trainer = training.Trainer.from_config(small_config(
      num_meta_steps=8, log_every=8, checkpoint_every=8, steps_per_call=8,
      outer_learning_rate=1e6), str(tmp_path))
  with pytest.raises(training.NonFiniteError, match=r"at step [2-8]\b"):
    trainer.train()
  assert trainer.manager.latest_checkpoint is None


def test_steps_per_call_must_be_auto_or_a_positive_int(tmp_path):
  assert training.Trainer.from_config(
      small_config(steps_per_call=0), str(tmp_path)).steps_per_call == "auto"
  learner = km.MAML(km.models.mlp(hidden_sizes=(4,)), loss="mse")
  for value in (0, -1, "many", 2.5):
    with pytest.raises(ValueError, match="steps_per_call .* received"):
      training.Trainer(learner, km.SinusoidTasks(), str(tmp_path),
                       meta_batch_size=2, steps_per_call=value)


def test_automatic_call_sizes_follow_the_time_per_step():
  from kerasmeta.training import steps  # pylint: disable=g-import-not-at-top
  sizes = steps.CallSizes(100)
  assert sizes.size == 1
  sizes.update(1, 30.0)  # the first call compiles: not a measure
  assert sizes.size == 1
  sizes.update(1, 0.001)  # 1 ms a step: 500 in half a second, at most 100
  assert sizes.size == 100
  sizes.update(100, 10.0)  # 100 ms a step
  assert sizes.size == 5
  sizes.update(5, 50.0)  # slower than half a second a step: one per call
  assert sizes.size == 1
  fixed = steps.CallSizes(7, fixed=True)
  fixed.update(7, 100.0)
  assert fixed.size == 7


def test_tasks_are_made_in_the_graph_only_where_they_compile():
  from kerasmeta.tasks import alphabets  # pylint: disable=g-import-not-at-top
  from kerasmeta.training import steps  # pylint: disable=g-import-not-at-top
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  learner = km.MAML(km.models.mlp(hidden_sizes=(4,)), loss="mse")
  strategy = tf.distribute.get_strategy()
  images = np.zeros((2, 3, 4, 8, 8, 1), np.uint8)
  augmented = alphabets.AlphabetTasks(images, train_per_character=2,
                                      augment=True)
  # The affine augmentation has no XLA kernel.
  assert not steps.makes_tasks_in_graph(learner, augmented, strategy, True)
  assert steps.makes_tasks_in_graph(learner, augmented, strategy, False)
  assert steps.makes_tasks_in_graph(learner, km.SinusoidTasks(), strategy,
                                    True)
  dataset = km.SinusoidTasks().dataset(0, 2)
  assert not steps.makes_tasks_in_graph(learner, dataset, strategy, False)


def test_running_batch_norm_statistics_move_alike_with_tasks_in_the_graph(
    tmp_path):
  import keras  # pylint: disable=g-import-not-at-top
  images = np.random.default_rng(0).integers(0, 255, (6, 4, 8, 8, 1),
                                             dtype=np.uint8)
  sampler = km.tasks.EpisodeSampler(images, ways=2, shots=1, queries=1)
  results = []
  for name in ("host", "graph"):
    keras.utils.set_random_seed(0)
    learner = km.MAML(km.models.conv4((8, 8, 1), num_classes=2, filters=4),
                      loss="sparse_softmax_cross_entropy",
                      inner_learning_rate=0.1, batch_norm="running")
    trainer = training.Trainer(learner, sampler, str(tmp_path / name),
                               meta_batch_size=2, steps_per_call=3,
                               log_every=3, checkpoint_every=3)
    assert trainer._steps is not None  # pylint: disable=protected-access
    if name == "host":
      trainer._steps = None  # pylint: disable=protected-access
    trainer.train(3)
    results.append([v.numpy() for v in learner.model.non_trainable_variables])
  assert any(np.any(v != 0) for v in results[1])
  for host, graph in zip(*results):
    np.testing.assert_allclose(host, graph, rtol=1e-5, atol=1e-6)


def test_the_best_validated_checkpoint_is_kept_and_restored(tmp_path):
  import keras  # pylint: disable=g-import-not-at-top
  keras.utils.set_random_seed(0)
  learner = km.MAML(km.models.mlp(hidden_sizes=(8,)),
                    inner_learning_rate=0.01)
  scores = iter([0.2, 0.7, 0.5, 0.6])  # at steps 2, 4, 6 and 8
  kept = {}

  def validate(scored):
    kept[len(kept)] = [v.numpy().copy() for v in scored.trainable_variables]
    return next(scores)

  trainer = training.Trainer(learner, km.SinusoidTasks(shots=5),
                             str(tmp_path), meta_batch_size=2, log_every=2,
                             checkpoint_every=2, validate=validate)
  trainer.train(8)
  assert trainer.best()["step"] == 4 and trainer.best()["score"] == 0.7
  assert trainer.step == 8
  trainer.restore_best()
  assert trainer.step == 4
  for variable, value in zip(learner.trainable_variables, kept[1]):
    np.testing.assert_array_equal(variable.numpy(), value)
  # Without validation there is nothing to restore, and it says so.
  plain = training.Trainer(learner, km.SinusoidTasks(shots=5),
                           str(tmp_path / "plain"), meta_batch_size=2)
  with pytest.raises(FileNotFoundError, match="No validated checkpoint"):
    plain.restore_best()


@pytest.mark.parametrize("signal_number,error", [
    (signal.SIGTERM, training.Interrupted), (signal.SIGINT, KeyboardInterrupt)])
@pytest.mark.parametrize("moment", ["inside a call", "between calls"])
def test_a_signal_stops_at_a_call_boundary_and_resumes_exactly(
    tmp_path, signal_number, error, moment):
  config = lambda: small_config(num_meta_steps=12, log_every=12,
                                checkpoint_every=12, steps_per_call=4)
  whole = training.Trainer.from_config(config(), str(tmp_path / "whole"))
  whole.train()
  stopped = training.Trainer.from_config(config(), str(tmp_path / "split"))
  run, calls = stopped._steps.run, []  # pylint: disable=protected-access

  def run_with_a_signal(first_batch, num_steps):
    calls.append(int(first_batch))
    if len(calls) == 2 and moment == "between calls":
      os.kill(os.getpid(), signal_number)
    metrics = run(first_batch, num_steps)
    if len(calls) == 2 and moment == "inside a call":
      # Delivered while the call ran: Python sees it as the call returns.
      os.kill(os.getpid(), signal_number)
    return metrics
  stopped._steps = stopped._steps._replace(run=run_with_a_signal)  # pylint: disable=protected-access
  with pytest.raises(error):
    stopped.train()
  assert calls == [0, 4] and stopped.step == 8
  saved = stopped.manager.latest_checkpoint
  assert saved.endswith("ckpt-8")
  iterations = [value for name, value in helpers.checkpoint_tensors(saved).items()
                if "iterations" in name]
  assert iterations and all(int(value) == 8 for value in iterations)
  resumed = training.Trainer.from_config(config(), str(tmp_path / "split"))
  resumed.train()
  helpers.assert_same_checkpoints(resumed.manager.latest_checkpoint,
                                  whole.manager.latest_checkpoint)


def test_a_checkpoint_saved_but_not_scored_is_scored_once_on_resume(
    tmp_path):
  import keras  # pylint: disable=g-import-not-at-top

  def validate(learner):  # a function of the weights alone
    return -float(sum(tf.reduce_sum(tf.square(v - 0.1))
                      for v in learner.trainable_variables))

  def make(workdir):
    keras.utils.set_random_seed(0)
    learner = km.MAML(km.models.mlp(hidden_sizes=(8,)),
                      inner_learning_rate=0.01)
    return training.Trainer(learner, km.SinusoidTasks(shots=5),
                            str(workdir), meta_batch_size=2, log_every=2,
                            checkpoint_every=2, validate=validate)

  whole = make(tmp_path / "whole")
  whole.train(8)
  stopped = make(tmp_path / "stopped")
  consider = stopped.selection.consider

  def killed_before_scoring(learner, step):
    if step == 4:
      raise SystemExit("killed between the checkpoint and its score")
    return consider(learner, step)
  stopped.selection.consider = killed_before_scoring
  with pytest.raises(SystemExit):
    stopped.train(8)
  assert stopped.manager.latest_checkpoint.endswith("ckpt-4")
  assert stopped.selection.scored_steps() == {2}
  resumed = make(tmp_path / "stopped")
  resumed.train(8)
  lines = [json.loads(line) for line in open(
      tmp_path / "stopped" / "checkpoints" / "scores.jsonl")]
  assert [line["step"] for line in lines] == [2, 4, 6, 8]
  expected = [json.loads(line) for line in open(
      tmp_path / "whole" / "checkpoints" / "scores.jsonl")]
  assert lines == expected
  assert resumed.best()["step"] == whole.best()["step"]
  assert resumed.best()["score"] == whole.best()["score"]
  # Resuming a finished run scores nothing again.
  make(tmp_path / "stopped").train(8)
  assert len(open(tmp_path / "stopped" / "checkpoints" /
                  "scores.jsonl").readlines()) == 4
