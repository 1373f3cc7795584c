# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Fault injection on a workdir: nothing already written is lost, and the
message says what happened."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import tensorflow as tf

import kerasmeta as km
from kerasmeta import training
from kerasmeta.training import logs
from kerasmeta import workdir as workdir_lib
from tests import helpers
from tests.training import trainer_test

ROOT = trainer_test.ROOT


def _train(workdir, steps=6, restart=False, **overrides):
  config = trainer_test.small_config(num_meta_steps=steps, **overrides)
  trainer = training.Trainer.from_config(config, str(workdir),
                                         restart=restart)
  trainer.train()
  return trainer


def _checkpoints(workdir):
  return sorted(name for name in os.listdir(workdir / "checkpoints")
                if name.startswith("ckpt-"))


def _steps(workdir):
  return [m["step"] for m in trainer_test.read_metrics(workdir)]


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
  """The weights of a clean 9-step run."""
  return trainer_test.weights(_train(tmp_path_factory.mktemp("clean"), 9))


@pytest.mark.parametrize("damage", ["delete", "garble"])
def test_a_lost_checkpoint_list_resumes_from_the_files(tmp_path, damage,
                                                       uninterrupted):
  _train(tmp_path, 6)
  before = _checkpoints(tmp_path)
  listing = tmp_path / "checkpoints" / "checkpoint"
  if damage == "delete":
    listing.unlink()
  else:
    listing.write_text("model_checkpoint_path: \x00\x01 garbage {{")
  resumed = _train(tmp_path, 9)
  assert _steps(tmp_path) == list(range(1, 10))  # not restarted at 0
  assert set(before) <= set(_checkpoints(tmp_path)) | {
      "ckpt-3.index", "ckpt-3.data-00000-of-00001"}  # rotated, not lost
  for a, b in zip(trainer_test.weights(resumed), uninterrupted):
    np.testing.assert_array_equal(a, b)


def _truncate(path):
  data = path.read_bytes()
  path.write_bytes(data[:len(data) // 2])


def _flip(path):
  data = bytearray(path.read_bytes())
  for index in range(len(data) // 3, len(data) // 3 + 8):
    data[index] ^= 0xFF
  path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", [
    ("data", _truncate), ("data", _flip), ("index", lambda p: p.unlink()),
    ("index", lambda p: p.write_bytes(b"not an sstable")),
    ("data", lambda p: p.unlink())],
                         ids=["truncated_data", "flipped_data",
                              "deleted_index", "garbage_index",
                              "deleted_data"])
def test_a_corrupt_latest_checkpoint_falls_back_to_the_one_before(
    tmp_path, damage, uninterrupted):
  _train(tmp_path, 6)
  part, corrupt = damage
  name = "ckpt-6.index" if part == "index" else \
      "ckpt-6.data-00000-of-00001"
  corrupt(tmp_path / "checkpoints" / name)
  resumed = _train(tmp_path, 9)
  aside = os.listdir(tmp_path / "checkpoints" / "unreadable")
  assert any(name.startswith("ckpt-6") for name in aside)  # kept, not lost
  assert _steps(tmp_path) == list(range(1, 10))
  superseded = [json.loads(line)["step"] for line in open(
      tmp_path / "metrics.superseded.jsonl")]
  assert superseded == [4, 5, 6]  # steps re-run from ckpt-3, kept aside
  for a, b in zip(trainer_test.weights(resumed), uninterrupted):
    np.testing.assert_array_equal(a, b)


def test_no_restorable_checkpoint_is_refused_and_nothing_is_removed(tmp_path):
  _train(tmp_path, 6)
  for name in _checkpoints(tmp_path):
    if name.endswith(".index"):
      (tmp_path / "checkpoints" / name).write_bytes(b"garbage")
  with pytest.raises(workdir_lib.WorkdirError, match="No checkpoint .* "
                     "restores"):
    _train(tmp_path, 9)
  assert _steps(tmp_path) == list(range(1, 7))
  assert len(os.listdir(tmp_path / "checkpoints" / "unreadable")) == 4


def test_metrics_without_checkpoints_are_never_started_over(tmp_path):
  _train(tmp_path, 6)
  for name in _checkpoints(tmp_path):
    os.remove(tmp_path / "checkpoints" / name)
  with pytest.raises(workdir_lib.WorkdirError,
                     match="metrics up to step 6 but no checkpoint"):
    _train(tmp_path, 9)
  assert _steps(tmp_path) == list(range(1, 7))
  _train(tmp_path, 2, restart=True)
  previous = [name for name in os.listdir(tmp_path)
              if name.startswith("previous-")]
  assert len(previous) == 1
  assert [m["step"] for m in trainer_test.read_metrics(
      tmp_path / previous[0])] == list(range(1, 7))
  assert _steps(tmp_path) == [1, 2]


def test_a_run_killed_before_its_first_checkpoint_starts_again(tmp_path):
  (tmp_path / "metrics.jsonl").write_text('{"step": 1}\n{"step": 2}\n{"st')
  _train(tmp_path, 3)  # checkpoint_every is 3: steps 1-2 had none
  assert _steps(tmp_path) == [1, 2, 3]


def test_divergence_stops_the_run_and_keeps_the_last_good_checkpoint(
    tmp_path):
  batches = []
  for index in range(9):
    tasks = helpers.random_tasks(2, seed=index)
    if index == 4:  # step 5 sees a NaN target
      tasks = tasks._replace(query_y=tasks.query_y * np.nan)
    batches.append((tasks, helpers.task_seeds(2, seed=index)))
  dataset = tf.data.Dataset.from_tensor_slices(
      tf.nest.map_structure(lambda *t: tf.stack(t), *batches))
  learner = km.MAML(helpers.tiny_mlp(), inner_learning_rate=0.1)
  trainer = training.Trainer(learner, dataset, str(tmp_path),
                             meta_batch_size=2, log_every=4,
                             checkpoint_every=3, jit_compile=False)
  with pytest.raises(training.NonFiniteError,
                     match=r"query_loss is not finite at step 5: training "
                     r"stopped; the newest checkpoint \(.*ckpt-3\)"):
    trainer.train(9)
  assert [n for n in _checkpoints(tmp_path) if n.endswith(".index")] == [
      "ckpt-3.index"]
  assert _steps(tmp_path) == [4]  # the line of steps 1-4; none with NaN


def test_divergence_names_the_step_and_writes_no_checkpoint_of_it(tmp_path):
  with pytest.raises(training.NonFiniteError,
                     match=r"is not finite at step 1: training stopped"):
    _train(tmp_path, 9, inner_learning_rate=1e30)
  assert not os.path.exists(tmp_path / "checkpoints") or not [
      name for name in _checkpoints(tmp_path) if name.endswith(".index")]


def test_non_finite_settings_are_refused():
  with pytest.raises(ValueError, match="config.learner.inner_learning_rate must be "
                     "finite; received nan"):
    training.Trainer.from_config(
        trainer_test.small_config(inner_learning_rate=float("nan")), "/tmp/x")
  config = trainer_test.small_config()
  with pytest.raises(ValueError, match="log_every must be >= 1"):
    config.log_every = 0
    training.Trainer.from_config(config, "/tmp/x")


def test_resuming_with_other_settings_is_refused_with_a_diff(tmp_path):
  _train(tmp_path, 3)
  with pytest.raises(workdir_lib.WorkdirError,
                     match=r"seed: 0 -> 1\n  shots: 10 -> 5\n"):
    _train(tmp_path, 6, shots=5, seed=1)
  _train(tmp_path, 6, log_every=2, checkpoint_every=2)  # allowed
  history = [json.loads(line) for line in open(
      tmp_path / "config_history.jsonl")]
  assert [entry["step"] for entry in history] == [0, 3]
  assert history[1]["config"]["log_every"] == 2


def test_a_lost_config_json_is_compared_with_the_last_recorded_config(
    tmp_path):
  _train(tmp_path, 3)
  os.remove(tmp_path / "config.json")
  with open(tmp_path / "config_history.jsonl", "a") as f:
    f.write('{"step": 3, "conf')  # a torn last line is passed over
  with pytest.raises(workdir_lib.WorkdirError,
                     match=r"outer_learning_rate: 0.001 -> 0.05\n  "
                     r"seed: 0 -> 7\n"):
    _train(tmp_path, 6, outer_learning_rate=0.05, seed=7)
  assert not (tmp_path / "config.json").exists()
  _train(tmp_path, 6)  # the same settings resume, and config.json is back
  assert json.loads((tmp_path / "config.json").read_text())["seed"] == 0


def _cut_metrics(workdir):
  """Cuts metrics.jsonl in the middle of its fourth line; returns the torn
  part."""
  lines = (workdir / "metrics.jsonl").read_text().splitlines(keepends=True)
  torn = lines[3][:len(lines[3]) // 2]
  (workdir / "metrics.jsonl").write_text("".join(lines[:3]) + torn)
  return torn


def test_a_metrics_file_cut_short_is_refilled_or_its_gap_named(
    tmp_path, caplog):
  _train(tmp_path, 6)
  original = trainer_test.read_metrics(tmp_path)
  torn = _cut_metrics(tmp_path)
  with caplog.at_level("WARNING"):
    _train(tmp_path, 9)  # the TensorBoard events hold steps 4-6
  resumed = trainer_test.read_metrics(tmp_path)
  assert [m["step"] for m in resumed] == list(range(1, 10))
  for before, after in zip(original, resumed[:6]):
    for name in ("query_loss", "support_loss"):
      np.testing.assert_allclose(after[name], before[name], rtol=1e-6)
  assert "wrote the lines of 3 steps again" in caplog.text
  assert (tmp_path / "metrics.superseded.jsonl").read_text() == torn + "\n"

  # Without the events, the steps that cannot be refilled are named.
  import shutil  # pylint: disable=g-import-not-at-top
  shutil.rmtree(tmp_path / "tensorboard")
  _cut_metrics(tmp_path)
  caplog.clear()
  with caplog.at_level("WARNING"):
    _train(tmp_path, 12)
  assert [m["step"] for m in trainer_test.read_metrics(tmp_path)] == [
      1, 2, 3, 10, 11, 12]
  assert "has no lines for steps 4-9" in caplog.text


def test_readers_beside_a_trainer_move_and_write_nothing(tmp_path):
  from kerasmeta.apps import workdirs  # pylint: disable=g-import-not-at-top
  _train(tmp_path, 6)
  checkpoints = tmp_path / "checkpoints"
  os.remove(checkpoints / "checkpoint")  # the list: not there yet
  # A checkpoint a trainer is writing: its index, not yet its data.
  (checkpoints / "ckpt-9.index").write_bytes(
      (checkpoints / "ckpt-6.index").read_bytes())
  before = sorted(os.listdir(checkpoints))
  output = workdirs.evaluate_workdir(str(tmp_path), num_tasks=2, shots=[5],
                                     plot=False, output_name="probe.json")
  assert output["step"] == 6
  _, _, path = workdir_lib.restore_learner(str(tmp_path))
  assert path.endswith("ckpt-6")
  assert sorted(os.listdir(checkpoints)) == before  # nothing moved, no list


def _tiny_filesystem(tmp_path):
  """A 4 MiB tmpfs under tmp_path (None where this process cannot mount)."""
  mount = tmp_path / "tiny"
  mount.mkdir()
  made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs",
                         str(mount)], capture_output=True, check=False)
  return mount if made.returncode == 0 else None


def test_a_full_disk_stops_in_one_line_and_resumes_exactly(tmp_path,
                                                            uninterrupted):
  mount = _tiny_filesystem(tmp_path)
  if mount is None:
    pytest.skip("cannot mount a tmpfs here (needs root): the full-disk "
                "path is covered by the test that fakes ENOSPC")
  try:
    workdir = mount / "run"
    _train(workdir, 3)
    filler = mount / "filler"
    free = os.statvfs(mount).f_bavail * os.statvfs(mount).f_frsize
    with open(filler, "wb") as f:  # leaves too little for a checkpoint
      f.write(b"\0" * max(free - 8192, 0))
    with pytest.raises(workdir_lib.WorkdirError,
                       match="No space left on the device .* newest whole "
                       "checkpoint is .*ckpt-3. Free some space"):
      _train(workdir, 9)
    os.remove(filler)
    trainer = _train(workdir, 9)
    for a, b in zip(trainer_test.weights(trainer), uninterrupted):
      np.testing.assert_array_equal(a, b)
    assert _steps(workdir) == list(range(1, 10))
  finally:
    subprocess.run(["umount", str(mount)], check=False)


def test_a_read_only_workdir_is_evaluated_and_the_write_refused_in_one_line(
    tmp_path):
  from kerasmeta.apps import workdirs  # pylint: disable=g-import-not-at-top
  mount = _tiny_filesystem(tmp_path)
  if mount is None:
    pytest.skip("cannot mount a tmpfs here (needs root)")
  try:
    _train(mount / "run", 3)
    subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
    before = sorted(os.listdir(mount / "run" / "checkpoints"))
    with pytest.raises(workdir_lib.WorkdirError,
                       match=r"Evaluated, but cannot write into .*: K=5: "):
      workdirs.evaluate_workdir(str(mount / "run"), num_tasks=2, shots=[5])
    assert sorted(os.listdir(mount / "run" / "checkpoints")) == before
  finally:
    subprocess.run(["umount", str(mount)], check=False)


def test_a_full_disk_while_saving_is_one_line(tmp_path, monkeypatch):
  trainer = _train(tmp_path, 3)

  def full(*args, **kwargs):
    raise tf.errors.ResourceExhaustedError(
        None, None, "ckpt-6_temp/part-00000; No space left on device")
  monkeypatch.setattr(tf.train.CheckpointManager, "save", full)
  with pytest.raises(workdir_lib.WorkdirError, match="No space left"):
    trainer.train(6)


def test_a_checkpoint_of_another_config_is_named_in_one_line(tmp_path):
  from kerasmeta.apps import workdirs  # pylint: disable=g-import-not-at-top
  _train(tmp_path / "other", 6, hidden_sizes=(8,))
  _train(tmp_path / "run", 3)
  for name in os.listdir(tmp_path / "other" / "checkpoints"):
    if name.startswith("ckpt-6"):
      os.replace(tmp_path / "other" / "checkpoints" / name,
                 tmp_path / "run" / "checkpoints" / name)
  fits = "ckpt-6 does not fit this config's learner .*another config"
  with pytest.raises(workdir_lib.WorkdirError, match=fits):
    _train(tmp_path / "run", 9)
  with pytest.raises(workdir_lib.WorkdirError, match=fits):
    workdirs.evaluate_workdir(str(tmp_path / "run"), num_tasks=2, plot=False)


_HOLD = (
    "import fcntl, json, os, sys, time\n"
    "fd = os.open(sys.argv[1], os.O_CREAT | os.O_RDWR)\n"
    "fcntl.flock(fd, fcntl.LOCK_EX)\n"
    "os.write(fd, json.dumps({'host': 'h', 'pid': os.getpid(), "
    "'since': '2026-01-01T00:00:00'}).encode())\n"
    "print('held', flush=True)\n"
    "time.sleep(60)\n")


def test_a_second_trainer_on_a_workdir_is_refused(tmp_path):
  holder = subprocess.Popen([sys.executable, "-c", _HOLD,
                             str(tmp_path / "lock")], stdout=subprocess.PIPE,
                            text=True)
  try:
    assert holder.stdout.readline().strip() == "held"
    with pytest.raises(workdir_lib.WorkdirError,
                       match=f"in use by process {holder.pid} on h since "
                       "2026-01-01"):
      _train(tmp_path, 3)
  finally:
    holder.kill()
    holder.wait()
  _train(tmp_path, 3)  # its holder is gone (killed): the kernel released it
  # A lock file naming a live process that does not hold it (a reused pid)
  # is no lock.
  (tmp_path / "lock").write_text(json.dumps(
      {"host": os.uname().nodename, "pid": os.getpid(), "since": "x"}))
  other = subprocess.Popen([sys.executable, "-c", "import time; "
                            "time.sleep(60)"])
  try:
    (tmp_path / "lock").write_text(json.dumps(
        {"host": os.uname().nodename, "pid": other.pid, "since": "x"}))
    _train(tmp_path, 4)
  finally:
    other.kill()
    other.wait()


_RACE = (
    "import os, sys, time\n"
    "from kerasmeta import workdir\n"
    "open(sys.argv[2], 'w').close()\n"
    "while not os.path.exists(sys.argv[3]): time.sleep(0.01)\n"
    "try:\n"
    "  workdir.Lock(sys.argv[1]).acquire()\n"
    "except workdir.WorkdirError:\n"
    "  print('refused', flush=True)\n"
    "else:\n"
    "  print('held', flush=True)\n"
    "  time.sleep(3)\n")


@pytest.mark.slow
def test_processes_racing_for_the_lock_have_one_winner(tmp_path):
  go = tmp_path / "go"
  processes = [subprocess.Popen(
      [sys.executable, "-c", _RACE, str(tmp_path), str(tmp_path / f"r{i}"),
       str(go)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
      text=True) for i in range(4)]
  deadline = time.time() + 120
  while time.time() < deadline and not all(
      (tmp_path / f"r{i}").exists() for i in range(4)):
    time.sleep(0.05)
  go.touch()
  outcomes = sorted(p.communicate(timeout=120)[0].strip()
                    for p in processes)
  assert outcomes == ["held", "refused", "refused", "refused"]


def test_one_process_holds_its_lock_again_and_an_unlockable_workdir_is_named(
    tmp_path):
  with workdir_lib.Lock(str(tmp_path)) as outer:
    with workdir_lib.Lock(str(tmp_path)):
      pass
    assert outer.held  # the inner release left the outer hold
    holder = json.loads((tmp_path / "lock").read_text())
    assert holder["pid"] == os.getpid()
  assert (tmp_path / "lock").read_text() == ""  # released: no holder named
  missing = tmp_path / "missing" / "deeper"
  with pytest.raises(workdir_lib.WorkdirError,
                     match="Cannot lock workdir .*deeper"):
    workdir_lib.Lock(str(missing)).acquire()


def test_a_failed_metrics_rewrite_leaves_the_file_whole(tmp_path,
                                                        monkeypatch):
  path = str(tmp_path / "metrics.jsonl")
  with open(path, "w") as f:
    f.write("".join(json.dumps({"step": s}) + "\n" for s in range(1, 6)))

  def failing_rename(*args, **kwargs):
    raise tf.errors.PermissionDeniedError(None, None, "injected failure")

  monkeypatch.setattr(tf.io.gfile, "rename", failing_rename)
  with pytest.raises(tf.errors.PermissionDeniedError):
    logs.MetricsLog(path, resume_step=2)
  assert [json.loads(line)["step"] for line in open(path)] == [1, 2, 3, 4, 5]


@pytest.mark.slow
def test_sigterm_saves_and_exits_with_one_line_and_a_second_exits_at_once(
    tmp_path):
  command = [sys.executable, "-m", "apps.meta_train", "--config=sinusoid",
             f"--workdir={tmp_path}", "--config.hidden_sizes=(16,16)",
             "--config.num_meta_steps=100000", "--config.log_every=10",
             "--config.jit_compile=off", "--noevaluate"]
  environment = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
  process = subprocess.Popen(command, cwd=ROOT, env=environment,
                             stderr=subprocess.PIPE, text=True)
  deadline = time.time() + 120
  while time.time() < deadline and not (
      (tmp_path / "metrics.jsonl").exists() and _steps(tmp_path)):
    time.sleep(0.1)
  process.send_signal(signal.SIGTERM)
  _, stderr = process.communicate(timeout=120)
  assert process.returncode == 143
  assert "Traceback" not in stderr
  saved = [line for line in stderr.splitlines()
           if line.startswith("Interrupted at step")]
  assert len(saved) == 1 and "saved" in saved[0], stderr[-2000:]
  assert _checkpoints(tmp_path)

  # A step that runs long in TensorFlow's C++ code: the second SIGTERM ends
  # the process there and then.
  script = (
      "import time, tensorflow as tf\n"
      "from kerasmeta.training import signals\n"
      "signals.install_sigterm_handler()\n"
      "x = tf.random.normal([400, 400])\n"
      "long = tf.function(lambda x: tf.while_loop(lambda i, x: i < 10**7, "
      "lambda i, x: (i + 1, tf.tanh(x @ x)), [0, x]))\n"
      "print('ready', flush=True)\n"
      "long(x)\n")
  process = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT,
                             env=environment, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
  assert process.stdout.readline().strip() == "ready"
  time.sleep(1)
  began = time.time()
  process.send_signal(signal.SIGTERM)
  time.sleep(0.5)
  process.send_signal(signal.SIGTERM)
  process.wait(timeout=30)
  assert process.returncode == 143
  assert time.time() - began < 10


def test_a_meta_batch_far_beyond_the_machines_memory_is_warned_of(
    tmp_path, caplog):
  learner = km.MAML(km.models.mlp(hidden_sizes=(40, 40)),
                    inner_learning_rate=0.01)
  trainer = training.Trainer(learner, km.SinusoidTasks(shots=10),
                             str(tmp_path), meta_batch_size=4,
                             jit_compile=False)
  tasks, seeds = next(iter(km.SinusoidTasks(shots=10).dataset(0, 4)))
  trainer._warn_if_too_big((tasks, seeds))  # pylint: disable=protected-access
  assert "needs at least" not in caplog.text
  huge = km.Task(*[tf.zeros([2_000_000, *t.shape[1:]]) for t in tasks])
  trainer._warn_if_too_big((huge, seeds))  # pylint: disable=protected-access
  assert "A meta-step of 2000000 tasks needs at least" in caplog.text
