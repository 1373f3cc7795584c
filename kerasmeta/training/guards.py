# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""What stops or warns a run before it goes wrong: bad arguments, a
non-finite step, a meta-batch too big for the machine."""

from __future__ import annotations

import os
from typing import Any, Optional, Sequence, TYPE_CHECKING, Union

from absl import logging
import numpy as np
import tensorflow as tf

from kerasmeta import algorithms
from kerasmeta.training import steps

if TYPE_CHECKING:
  from kerasmeta.algorithms import base


class NonFiniteError(FloatingPointError):
  """Training produced a non-finite loss, gradient or weight."""


def check_arguments(learner: Any, tasks: Any, *, meta_batch_size: int,
                    seed: Optional[int], log_every: int, checkpoint_every: int,
                    max_checkpoints: int, num_meta_steps: Optional[int],
                    steps_per_call: Union[int, str]) -> None:
  """Raises a one-line error for a `Trainer` argument that is wrong."""
  if not isinstance(learner, algorithms.MetaLearner):
    raise TypeError(f"Trainer trains a kerasmeta MetaLearner; received "
                    f"{type(learner).__name__}.")
  if int(meta_batch_size) < 1:
    raise ValueError(f"meta_batch_size must be >= 1; received "
                     f"{meta_batch_size}.")
  if seed is not None and isinstance(tasks, tf.data.Dataset):
    raise ValueError("seed seeds a task distribution's stream; a "
                     "tf.data.Dataset brings its own order: pass seed=None.")
  for name, value in (("log_every", log_every),
                      ("checkpoint_every", checkpoint_every),
                      ("max_checkpoints", max_checkpoints)):
    if int(value) < 1:
      raise ValueError(f"{name} must be >= 1; received {value}.")
  if num_meta_steps is not None and int(num_meta_steps) < 0:
    raise ValueError(f"num_meta_steps must be >= 0; received "
                     f"{num_meta_steps}.")
  if steps_per_call != "auto" and not (
      isinstance(steps_per_call, int) and steps_per_call >= 1):
    raise ValueError(f"steps_per_call must be 'auto' or an int >= 1; "
                     f"received {steps_per_call!r}.")


def pending_metrics(pending: Sequence[tuple[dict[str, Any], Optional[int]]],
                    first_step: int,
                    latest_checkpoint: Optional[str]) -> dict[str, np.ndarray]:
  """`{metric: numpy [steps]}` of the pending steps, after raising
  `NonFiniteError` naming the first step whose loss or gradient was not
  finite.

  `pending` holds one entry per call: `(metrics, None)` of one step
  (scalars, read with one device read per metric), or `(metrics, n)` of
  a multi-step call (`[max_steps]` arrays, the first n filled).
  """
  if not pending:
    return {}
  names = list(pending[0][0])
  if all(count is None for _, count in pending):
    values = {name: tf.stack([m[name] for m, _ in pending]).numpy()
              for name in names}
  else:
    values = {name: np.concatenate([
        np.reshape(np.asarray(m[name]), [-1])[:count or 1]
        for m, count in pending]) for name in names}
  bad: dict[str, Any] = {name: np.flatnonzero(
      (column > 0) if name == steps.NONFINITE_GRADIENTS
      else ~np.isfinite(column)) for name, column in values.items()}
  bad = {name: int(where[0]) for name, where in bad.items() if where.size}
  if bad:
    name = min(bad, key=bad.__getitem__)
    what = "gradient" if name == steps.NONFINITE_GRADIENTS else name
    raise NonFiniteError(
        f"The {what} is not finite at step {first_step + bad[name]}: "
        "training stopped; the newest checkpoint "
        f"({latest_checkpoint}) holds the last good weights. "
        "Lower the learning rates, or check the data.")
  return values


def warn_if_too_big(learner: base.MetaLearner, batch: tuple[Any, Any]) -> None:
  """Warns when a meta-step's activations alone would take much of this
  machine's memory (a rough lower bound: every layer output of every
  point, kept for each inner step and for the backward pass)."""
  model = learner.model
  try:
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    per_point = sum(int(np.prod(layer.output.shape[1:]))
                    for layer in getattr(model, "layers", []))
    points = sum(int(np.prod(t.shape[:2])) for t in (
        batch[0].support_x, batch[0].query_x))
  except (AttributeError, ValueError, TypeError, OSError):
    return  # a model or batch whose sizes are not known statically
  steps_kept = 2 + int(learner.num_inner_steps)
  estimate = 4 * per_point * points * steps_kept * 2
  if estimate > total // 2:
    logging.warning(
        "A meta-step of %d tasks needs at least ~%.1f GB for activations, "
        "more than half of this machine's %.1f GB: it may swap or be "
        "killed. Lower meta_batch_size (SIGTERM twice stops a step at "
        "once).", batch[0].support_x.shape[0], estimate / 2**30,
        total / 2**30)
