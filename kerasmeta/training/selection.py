# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""The checkpoint picked by a validation score (LEO's protocol).

`BestCheckpoint` scores the weights at every checkpoint and keeps the best
scoring ones in `checkpoints/best/`, with their step and score in
`checkpoints/best.json`: evaluation and export then use the checkpoint of
the best meta-validation accuracy, as the papers report, not the last.
Every score is also appended to `checkpoints/scores.jsonl`, so that a run
stopped between a checkpoint and its score (kill -9, a full disk) scores
that checkpoint when it resumes, and no checkpoint is scored twice.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any, Callable, Optional, TYPE_CHECKING

from absl import logging
import numpy as np
import tensorflow as tf

from kerasmeta.training import logs

if TYPE_CHECKING:
  from kerasmeta.algorithms import base


class BestCheckpoint:
  """The best validated checkpoint of a run.

  Args:
    checkpoint: the run's `tf.train.Checkpoint`.
    checkpoint_dir: the run's `workdir/checkpoints`.
    validate: `learner -> float`, higher is better (None: only reading).
  """

  # Set where it validates (`consider` needs both), None where it reads.
  validate: Any
  _manager: Any

  def __init__(
      self, checkpoint: tf.train.Checkpoint, checkpoint_dir: str,
      validate: Optional[Callable[[base.MetaLearner], float]] = None) -> None:
    self.checkpoint, self.validate = checkpoint, validate
    self.directory = os.path.join(checkpoint_dir, "best")
    self.record_path = os.path.join(checkpoint_dir, "best.json")
    self.scores_path = os.path.join(checkpoint_dir, "scores.jsonl")
    self._manager = tf.train.CheckpointManager(
        checkpoint, self.directory, max_to_keep=1, checkpoint_name="best") \
        if validate is not None else None

  def record(self) -> Optional[dict[str, Any]]:
    """`{"step", "score", "path"}` of the best so far, or None."""
    if not tf.io.gfile.exists(self.record_path):
      return None
    with tf.io.gfile.GFile(self.record_path) as f:
      return json.load(f)

  def scored_steps(self) -> set[int]:
    """The steps scored so far (with a workdir written before the scores
    file existed: the best step)."""
    best = self.record()
    if not tf.io.gfile.exists(self.scores_path):
      return set() if best is None else {int(best["step"])}
    with tf.io.gfile.GFile(self.scores_path) as f:
      lines = [line for line in f.read().splitlines() if line.strip()]
    steps = set()
    for line in lines:
      try:
        steps.add(int(json.loads(line)["step"]))
      except (ValueError, KeyError, TypeError):
        continue  # a line cut short by a crash: that step scores again
    return steps

  def consider(self, learner: base.MetaLearner, step: int) -> None:
    """Scores `learner` at `step` unless that step was scored already;
    keeps the checkpoint if it is the best.

    Raises:
      FloatingPointError: a non-finite score.
    """
    if step in self.scored_steps():
      return
    began = time.perf_counter()
    score = float(self.validate(learner))
    if not np.isfinite(score):
      raise FloatingPointError(f"The validation score at step {step} is "
                               f"{score}.")
    best = self.record()
    logging.info("Validation score at step %d: %.4f (best so far: %s; %.1fs).",
                 step, score, "none" if best is None else
                 f"{best['score']:.4f} at step {best['step']}",
                 time.perf_counter() - began)
    if best is None or best["step"] == step or score > best["score"]:
      path = self._manager.save(checkpoint_number=step)
      logs.write_atomically(self.record_path, json.dumps(
          {"step": step, "score": score, "path": path}))
    logs.append_line(self.scores_path, json.dumps({"step": step,
                                                    "score": score}))

  def restore(self) -> dict[str, Any]:
    """Restores the best checkpoint into `checkpoint`; returns its record.

    Raises:
      FileNotFoundError: no checkpoint was validated.
    """
    best = self.record()
    if best is None:
      raise FileNotFoundError(
          f"No validated checkpoint in {os.path.dirname(self.directory)} "
          "(train with config.select_checkpoint='validation').")
    path = os.path.join(self.directory, os.path.basename(best["path"]))
    self.checkpoint.restore(path).expect_partial()
    logging.info("Restored the best validated checkpoint %s (step %d, score "
                 "%.4f).", path, best["step"], best["score"])
    return best
