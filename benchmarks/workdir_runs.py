# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""One meta-training run of a results script: trained once, reused after.

`train_and_evaluate` runs `python -m apps.meta_train` (without its own
evaluation) and then `python -m apps.evaluate [--shots=K] [--noplot]`, unless a
finished run with the same settings is found in the workdir or in one of
the read-only folders of earlier runs. A run whose meta-training stops on a
non-finite loss (the trainer refuses to go on) is recorded as diverged in
`WORKDIR.diverged.json`, so that a re-run neither retrains nor hides it.
"""

import collections
import json
import os
import re
import subprocess
import sys
import time

import table_common

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Config fields (dotted as --config.NAME names them) that must agree for an
# earlier run to stand for a new one.
MATCHED_FIELDS = ("task", "variant", "algorithm", "cell",
                  "learner.inner_learning_rate", "learner.num_inner_steps",
                  "shots", "meta_batch_size", "seed", "num_meta_steps",
                  "polynomial_order", "maze_size", "protocol")

Run = collections.namedtuple(
    "Run", ["workdir", "status", "evaluation", "wall_seconds", "reused",
            "message"])
Run.__doc__ = """What `train_and_evaluate` found or made.

Attributes:
  workdir: the run's workdir (possibly in a folder of earlier runs).
  status: "finished" or "diverged" (meta-training stopped on a non-finite
    loss, gradient or weight; no evaluation).
  evaluation: the eval.json dict, or None where diverged.
  wall_seconds: seconds spent training and evaluating it, by this call or
    the one that made it (`WORKDIR.wall.json`; 0 where unknown: runs made
    by other scripts).
  reused: whether an earlier run was found.
  message: the trainer's error line where diverged, else "".
"""


def _load(path):
  with open(path) as f:
    return json.load(f)


def _flat(fields, prefix=""):
  flat = {}
  for key, value in fields.items():
    if isinstance(value, dict):
      flat.update(_flat(value, f"{prefix}{key}."))
    else:
      flat[f"{prefix}{key}"] = value
  return flat


def _settings_match(workdir, fields):
  path = os.path.join(workdir, "config.json")
  if not os.path.exists(path):
    return False
  config = _flat(table_common.upgraded_config(_load(path)))
  for name, value in fields.items():
    if name not in MATCHED_FIELDS:
      continue
    found = config.get(name)
    if isinstance(value, float) or isinstance(found, float):
      if found is None or abs(float(found) - float(value)) > 1e-12:
        return False
    elif found != value:
      return False
  return True


def finished(workdir, fields, shots):
  """The finished `Run` in `workdir` with these settings, or None.

  Args:
    workdir: a workdir.
    fields: config fields the run must have (`MATCHED_FIELDS` are checked;
      num_meta_steps also against the evaluated checkpoint's step).
    shots: the K the evaluation must hold (None: tasks without shots).
  """
  if not _settings_match(workdir, fields):
    return None
  wall = workdir.rstrip("/") + ".wall.json"
  seconds = _load(wall)["seconds"] if os.path.exists(wall) else 0.0
  diverged = workdir.rstrip("/") + ".diverged.json"
  if os.path.exists(diverged):
    return Run(workdir, "diverged", None, seconds, True,
               _load(diverged)["message"])
  path = os.path.join(workdir, "eval.json")
  if not os.path.exists(path):
    return None
  evaluation = _load(path)
  if "config" in evaluation:
    evaluation["config"] = table_common.upgraded_config(evaluation["config"])
  if evaluation.get("step") != fields["num_meta_steps"] or (
      shots is not None and str(shots) not in evaluation.get("results", {})):
    return None
  return Run(workdir, "finished", evaluation, seconds, True, "")


def command_line(config, workdir, overrides):
  """`python -m apps.meta_train ...` of a run, as a list."""
  return ([sys.executable, "-m", "apps.meta_train", f"--config={config}",
           f"--workdir={workdir}", "--noevaluate"] +
          [f"--config.{name}={value}" for name, value in overrides.items()])


def _run_logged(command, log_path):
  """Runs `command` with its output appended to `log_path`; returns the
  exit status and the output's last lines."""
  with open(log_path, "a") as log:
    log.write("+ " + " ".join(command) + "\n")
    log.flush()
    status = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT,
                            check=False, cwd=REPO).returncode
  with open(log_path) as log:
    tail = log.readlines()[-40:]
  return status, tail


def train_and_evaluate(config, workdir, overrides, fields, shots=10,
                       reuse_dirs=(), plot=False):
  """Trains and evaluates one run unless an equal one is finished.

  Args:
    config: the `--config` value, e.g. "sinusoid:mtnet".
    workdir: where a new run goes.
    overrides: `{field: value}` passed as `--config.field=value`.
    fields: the settings an earlier run must match (`finished`), including
      num_meta_steps.
    shots: K of the evaluation (`apps.evaluate --shots`); None for tasks
      without shots.
    reuse_dirs: other workdirs (read only) that may hold the same run.
    plot: let the evaluation write its eval.png.

  Returns:
    A `Run`.
  """
  for candidate in (workdir,) + tuple(reuse_dirs):
    run = finished(candidate, fields, shots)
    if run is not None:
      return run
  began = time.time()
  workdir = os.path.abspath(workdir)
  os.makedirs(os.path.dirname(workdir), exist_ok=True)
  log_path = workdir.rstrip("/") + ".log"
  status, tail = _run_logged(command_line(config, workdir, overrides),
                             log_path)
  if status != 0:
    errors = [line.strip() for line in tail if "NonFiniteError" in line]
    if not errors:
      raise RuntimeError(f"Training {workdir} failed (exit {status}); see "
                         f"{log_path}:\n{''.join(tail[-10:])}")
    with open(workdir.rstrip("/") + ".diverged.json", "w") as f:
      json.dump({"message": errors[-1]}, f)
    _record_seconds(workdir, time.time() - began)
    return Run(workdir, "diverged", None, time.time() - began, False,
               errors[-1])
  status, tail = _run_logged(
      [sys.executable, "-m", "apps.evaluate", f"--workdir={workdir}"]
      + ([] if shots is None else [f"--shots={shots}"])
      + ([] if plot else ["--noplot"]), log_path)
  if status != 0:
    raise RuntimeError(f"Evaluating {workdir} failed (exit {status}); see "
                       f"{log_path}:\n{''.join(tail[-10:])}")
  run = finished(workdir, fields, shots)
  if run is None:
    raise RuntimeError(f"{workdir} has no evaluation of step "
                       f"{fields['num_meta_steps']}"
                       f"{'' if shots is None else f' at K={shots}'}.")
  _record_seconds(workdir, time.time() - began)
  return run._replace(wall_seconds=time.time() - began, reused=False)


def _record_seconds(workdir, seconds):
  with open(workdir.rstrip("/") + ".wall.json", "w") as f:
    json.dump({"seconds": seconds}, f)


def diverged_step(message):
  """The meta-step a divergence message names, or None."""
  found = re.search(r"at step (\d+)", message or "")
  return int(found.group(1)) if found else None
