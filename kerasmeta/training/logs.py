# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""What a run writes as it goes: metrics.jsonl and a progress line."""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any, Iterable, Optional

from absl import logging
import tensorflow as tf


def write_atomically(path: str, text: str) -> None:
  """Writes `text` to `path` through a temporary file and a rename, so a
  reader (or a crash) never sees half a file."""
  temporary = f"{path}.{os.getpid()}.tmp"
  with tf.io.gfile.GFile(temporary, "w") as f:
    f.write(text)
  tf.io.gfile.rename(temporary, path, overwrite=True)


def append_line(path: str, line: str) -> None:
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


def logged_steps(path: str) -> list[int]:
  """The steps a metrics file holds lines for."""
  return [step for step, _ in _read_lines(path) if step is not None]


class MetricsLog:
  """Appends one JSON line per logged step to `metrics.jsonl`.

  On resume, lines past the restored step (written by a run that was killed
  after its last checkpoint) and lines that do not parse (a torn line) are
  moved to `metrics.superseded.jsonl`, so the file reads as one run and
  nothing written is lost; the rewrite is atomic. Logging steps up to the
  restored one after the file's last whole line (a file cut short, or its
  last line torn) are named in a warning and in `missing_steps`: their
  metrics are lost from it (TensorBoard's event files may still hold
  them).

  Args:
    path: the metrics file.
    resume_step: the restored checkpoint's step.
    log_every: the run's logging interval (None: no gap check).
  """

  def __init__(self, path: str, resume_step: int = 0,
               log_every: Optional[int] = None,
               events_dir: Optional[str] = None) -> None:
    self.path = path
    self.missing_steps = []
    lines = _read_lines(path)
    kept = [(step, line) for step, line in lines
            if step is not None and step <= resume_step]
    if lines:
      dropped = [line for step, line in lines
                 if step is None or step > resume_step]
      if dropped:
        superseded = path.replace(".jsonl", "") + ".superseded.jsonl"
        for line in dropped:
          append_line(superseded, line.rstrip("\n"))
      write_atomically(path, "".join(line for _, line in kept))
    if log_every and resume_step:
      # Lines are appended in step order, so only the end of a file can be
      # lost: the logging steps after its last whole line.
      last = max((step for step, _ in kept), default=0)
      self.missing_steps = list(range(
          (last // log_every + 1) * log_every, resume_step + 1, log_every))
    if self.missing_steps and events_dir:
      recovered = scalars_from_events(events_dir, self.missing_steps)
      for step in sorted(recovered):
        self.write(step, recovered[step])
      self.missing_steps = [step for step in self.missing_steps
                            if step not in recovered]
      if recovered:
        logging.warning("%s was cut short: wrote the lines of %d steps "
                        "again from the TensorBoard events in %s.", path,
                        len(recovered), events_dir)
    if self.missing_steps:
      logging.warning(
          "%s has no lines for steps %s of the restored run (the file was "
          "cut short or torn): their metrics are lost from it; training "
          "resumes at step %d and logs from there.", path,
          step_ranges(self.missing_steps), resume_step)

  def write(self, step: int, metrics: dict[str, Any]) -> None:
    append_line(self.path, json.dumps({"step": step, **metrics}))


def scalars_from_events(directory: str,
                        steps: Iterable[int]) -> dict[int, dict[str, float]]:
  """`{step: {tag: float}}` of the scalars the event files under
  `directory` hold for `steps`, where every tag of the step is there (the
  first value of each, to float32 precision, as summaries store them; a
  damaged file is read up to its damage)."""
  found: dict[int, dict[str, float]]
  wanted, found = set(steps), {}
  for path in sorted(tf.io.gfile.glob(os.path.join(directory,
                                                   "events.out.tfevents.*"))):
    try:
      for event in tf.compat.v1.train.summary_iterator(path):
        if event.step not in wanted:
          continue
        for value in event.summary.value:
          number = (float(tf.make_ndarray(value.tensor))
                    if value.HasField("tensor") else value.simple_value)
          found.setdefault(event.step, {}).setdefault(value.tag, number)
    except tf.errors.DataLossError:
      continue
  if not found:
    return {}
  tags = set().union(*(set(values) for values in found.values()))
  return {step: values for step, values in found.items()
          if set(values) == tags}


def step_ranges(steps: Iterable[int]) -> str:
  """"1-3, 7, 9-10": sorted steps as ranges of consecutive ones (steps one
  logging interval apart, the smallest gap, count as consecutive)."""
  steps = sorted(steps)
  if not steps:
    return ""
  gap = min((b - a for a, b in zip(steps, steps[1:])), default=1)
  parts, first, last = [], steps[0], steps[0]
  for step in steps[1:] + [None]:
    if step is not None and step - last == gap:
      last = step
      continue
    parts.append(str(first) if first == last else f"{first}-{last}")
    if step is not None:
      first = last = step
  return ", ".join(parts)


class Progress:
  """A one-line progress bar on a terminal; silent log lines otherwise.

  The time left is estimated from the steps after the first call, whose
  time is mostly tracing and compilation (counted from the start it would
  promise hours for a run of seconds); until then the bar says it is
  estimating. Log lines written while the bar is drawn (a checkpoint
  saved) start on a line of their own: the bar is cleared first and
  redrawn below them.
  """

  def __init__(self, total: int, start: int) -> None:
    self.total, self.start = total, start
    self.began = self.drawn = time.perf_counter()
    self.interactive = sys.stderr.isatty()
    self.metrics: dict[str, float] = {}
    self.origin = None  # (time, step) after the first call's steps
    self.shown = False  # the bar is on the terminal's last line
    if self.interactive:
      logging.get_absl_handler().addFilter(self._clear_line)

  def _clear_line(self, record):  # pylint: disable=unused-argument
    """A logging filter: clears the bar before a log line is written."""
    if self.shown:
      sys.stderr.write("\r\033[K")
      self.shown = False
    return True

  def tick(self, step: int) -> None:
    """Redraws the bar (at most 5 times a second) between logged steps."""
    if self.interactive and time.perf_counter() - self.drawn > 0.2:
      self.update(step, self.metrics)

  def _time_left(self, step, now):
    if self.origin is None:
      if step > self.start:
        self.origin = (now, step)
      return "estimating time left"
    origin_time, origin_step = self.origin
    if step <= origin_step:
      return "estimating time left"
    rate = (now - origin_time) / (step - origin_step)
    return f"{_clock(rate * (self.total - step))} left"

  def update(self, step: int, metrics: dict[str, float]) -> None:
    now = time.perf_counter()
    self.metrics, self.drawn = metrics, now
    shown = " ".join(f"{k}={v:.4g}" for k, v in metrics.items())
    line = (f"step {step}/{self.total} {shown} "
            f"[{_clock(now - self.began)} elapsed, "
            f"{self._time_left(step, now)}]")
    if self.interactive:
      width = 30
      filled = int(width * step / max(self.total, 1))
      sys.stderr.write(f"\r\033[K[{'=' * filled}{'.' * (width - filled)}] "
                       f"{line}")
      sys.stderr.flush()
      self.shown = True
    else:
      logging.info(line)

  def close(self) -> None:
    if self.interactive:
      logging.get_absl_handler().removeFilter(self._clear_line)
      if self.shown:
        sys.stderr.write("\n")
        self.shown = False


def _clock(seconds):
  seconds = int(seconds)
  return f"{seconds // 3600:d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
