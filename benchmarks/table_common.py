# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Helpers shared by the scripts that write results tables."""

import json
import os
import platform
import sys
import time

# The repository, importable from a checkout without an install (the
# scripts read stored configs through kerasmeta).
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if REPO not in sys.path:
  sys.path.insert(1, REPO)


def training_seconds(workdir):
  """Seconds of meta-training, from the steps/s logged in metrics.jsonl."""
  path = os.path.join(workdir, "metrics.jsonl")
  if not os.path.exists(path):
    return 0.0
  previous, seconds = 0, 0.0
  with open(path) as f:
    for line in f:
      entry = json.loads(line)
      seconds += (entry["step"] - previous) / entry["steps_per_second"]
      previous = entry["step"]
  return seconds


def chosen_names(text, known, what):
  """The comma-separated names of `text`, or exit naming the unknown ones
  (`what`: "methods", "learners"...)."""
  names = [name for name in text.split(",") if name]
  unknown = sorted(set(names) - set(known))
  if unknown:
    sys.exit(f"Unknown {what} {unknown}; expected some of {list(known)}.")
  return names


def save_figure(figure, path):
  """Lays out, writes (100 dpi) and closes a matplotlib figure."""
  import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
  figure.tight_layout()
  figure.savefig(path, dpi=100)
  plt.close(figure)


def write_table(path, lines):
  """Writes the Markdown `lines` to `path` and prints them."""
  os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
  with open(path, "w") as f:
    f.write("\n".join(lines) + "\n")
  print("\n".join(lines))


def cpu_model():
  """The CPU's model name (Linux), else what `platform` knows."""
  try:
    with open("/proc/cpuinfo") as f:
      for line in f:
        if line.startswith("model name"):
          return line.split(":", 1)[1].strip()
  except OSError:
    pass
  return platform.processor() or platform.machine()


def upgraded_config(fields):
  """A stored config's fields (config.json, eval.json's "config") in
  today's layout: runs made before the learner group (`config.learner`)
  read as today's (`kerasmeta.experiments.config_from_json`)."""
  from kerasmeta import experiments  # pylint: disable=g-import-not-at-top
  return json.loads(experiments.config_to_json(
      experiments.config_from_json(json.dumps(fields))))


def reusable_record(path, key, settings):
  """The JSON record at `path` if its `key` equals `settings` (the run was
  made with the same settings), else None."""
  if not os.path.exists(path):
    return None
  with open(path) as f:
    record = json.load(f)
  return record if record.get(key) == settings else None


def train_best(config, workdir, record_path):
  """Meta-trains a table's run in `workdir` (resuming an interrupted one)
  and restores its best validated checkpoint; returns `(trainer, the best
  checkpoint's record, seconds)`.

  A result recorded at `record_path` is of other settings (the caller
  reuses equal ones), so that run starts afresh: the trainer moves it
  aside and its record goes beside it (`.previous`), so that the new run,
  if interrupted, resumes on the next invocation."""
  from kerasmeta import training  # pylint: disable=g-import-not-at-top
  began = time.time()
  stale = os.path.exists(record_path)
  trainer = training.Trainer.from_config(config, workdir, restart=stale)
  if stale:
    os.replace(record_path, record_path + ".previous")
  trainer.train()
  best = trainer.restore_best()
  return trainer, best, time.time() - began
