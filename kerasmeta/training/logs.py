"""What a run writes as it goes: metrics.jsonl and a progress line."""

import json
import sys
import time

from absl import logging
import tensorflow as tf

class MetricsLog:
  """Appends one JSON line per logged step to `metrics.jsonl`.

  On resume, lines past the restored step (written by a run that was killed
  after its last checkpoint) are dropped, so the file reads as one run.
  """

  def __init__(self, path, resume_step=0):
    self.path = path
    self.lines = []
    if tf.io.gfile.exists(path):
      with tf.io.gfile.GFile(path) as f:
        kept = [line for line in f
                if line.strip() and json.loads(line)["step"] <= resume_step]
      with tf.io.gfile.GFile(path, "w") as f:
        f.write("".join(kept))
      self.lines = kept

  def write(self, step, metrics):
    # Object stores (gs://) cannot append: there the file is rewritten
    # whole; a local file is appended to.
    line = json.dumps({"step": step, **metrics}) + "\n"
    if "://" in self.path:
      self.lines.append(line)
      with tf.io.gfile.GFile(self.path, "w") as f:
        f.write("".join(self.lines))
    else:
      with open(self.path, "a") as f:
        f.write(line)


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
