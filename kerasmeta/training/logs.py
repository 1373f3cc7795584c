"""What a run writes as it goes: metrics.jsonl and a progress line."""

import json
import os
import sys
import time

from absl import logging
import tensorflow as tf


def write_atomically(path, text):
  """Writes `text` to `path` through a temporary file and a rename, so a
  reader (or a crash) never sees half a file."""
  temporary = f"{path}.{os.getpid()}.tmp"
  with tf.io.gfile.GFile(temporary, "w") as f:
    f.write(text)
  tf.io.gfile.rename(temporary, path, overwrite=True)


def append_line(path, line):
  """Appends one line (object stores, which cannot append, rewrite)."""
  if "://" in path:
    text = ""
    if tf.io.gfile.exists(path):
      with tf.io.gfile.GFile(path) as f:
        text = f.read()
    write_atomically(path, text + line + "\n")
  else:
    with open(path, "a") as f:
      f.write(line + "\n")


def _read_lines(path):
  """`[(step, line)]` of a metrics file; step None for a line that does not
  parse (the torn last line of a killed run)."""
  if not tf.io.gfile.exists(path):
    return []
  with tf.io.gfile.GFile(path) as f:
    lines = []
    for line in f:
      if not line.strip():
        continue
      try:
        step = int(json.loads(line)["step"])
      except (ValueError, KeyError, TypeError):
        step = None
      lines.append((step, line if line.endswith("\n") else line + "\n"))
    return lines


def logged_steps(path):
  """The steps a metrics file holds lines for."""
  return [step for step, _ in _read_lines(path) if step is not None]


class MetricsLog:
  """Appends one JSON line per logged step to `metrics.jsonl`.

  On resume, lines past the restored step (written by a run that was killed
  after its last checkpoint) are moved to `metrics.superseded.jsonl`, so
  the file reads as one run and nothing written is lost; the rewrite is
  atomic.
  """

  def __init__(self, path, resume_step=0):
    self.path = path
    lines = _read_lines(path)
    if lines:
      kept = [line for step, line in lines
              if step is not None and step <= resume_step]
      dropped = [line for step, line in lines
                 if step is None or step > resume_step]
      if dropped:
        superseded = path.replace(".jsonl", "") + ".superseded.jsonl"
        for line in dropped:
          append_line(superseded, line.rstrip("\n"))
      write_atomically(path, "".join(kept))

  def write(self, step, metrics):
    append_line(self.path, json.dumps({"step": step, **metrics}))


class Progress:
  """A one-line progress bar on a terminal; silent log lines otherwise."""

  def __init__(self, total, start):
    self.total, self.start = total, start
    self.began = self.drawn = time.perf_counter()
    self.interactive = sys.stderr.isatty()
    self.metrics = {}

  def tick(self, step):
    """Redraws the bar (at most 5 times a second) between logged steps."""
    if self.interactive and time.perf_counter() - self.drawn > 0.2:
      self.update(step, self.metrics)

  def update(self, step, metrics):
    self.metrics, self.drawn = metrics, time.perf_counter()
    done = step - self.start
    elapsed = time.perf_counter() - self.began
    remaining = elapsed / max(done, 1) * (self.total - step)
    shown = " ".join(f"{k}={v:.4g}" for k, v in metrics.items())
    line = (f"step {step}/{self.total} {shown} "
            f"[{_clock(elapsed)} elapsed, {_clock(remaining)} left]")
    if self.interactive:
      width = 30
      filled = int(width * step / max(self.total, 1))
      sys.stderr.write(f"\r[{'=' * filled}{'.' * (width - filled)}] {line}")
      sys.stderr.flush()
    else:
      logging.info(line)

  def close(self):
    if self.interactive:
      sys.stderr.write("\n")


def _clock(seconds):
  seconds = int(seconds)
  return f"{seconds // 3600:d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
