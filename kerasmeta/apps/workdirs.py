# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""What the apps share: workdir-level evaluation, one-line errors, help."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from typing import Any, Iterator, Optional, Sequence

from absl import flags
from absl import logging
import tensorflow as tf

from kerasmeta import experiments
from kerasmeta import training


@contextlib.contextmanager
def one_line_errors(*errors: type[BaseException]) -> Iterator[None]:
  """Ends the process with one line, `Type: message`, and exit code 1 on
  `errors` (input the user can fix: a bad config, a missing workdir), not
  with a traceback."""
  try:
    yield
  except errors as error:
    print(f"{type(error).__name__}: {error}", file=sys.stderr)
    sys.exit(1)


def print_help_if_asked(module_name: str, doc: str, more: str = "") -> None:
  """Answers `--help` (`-h`, `-?`) with the command's description and its
  own flags, then exits; absl's own lists only the flags of the program's
  main module, which for an installed command is its launcher, not ours.

  Args:
    module_name: the app module that defines the command's flags.
    doc: the command's description (its module docstring).
    more: text after the flags.
  """
  if not {"-h", "-?", "--help", "--help=true"} & set(sys.argv[1:]):
    return
  program = os.path.basename(sys.argv[0])
  print(f"{program}: {doc.strip()}\n\nFlags:\n"
        f"{flags.FLAGS.module_help(module_name)}\n{more}".rstrip())
  print("\nAbsl's and TensorFlow's flags: --helpfull.")
  sys.exit(0)


def write_tensorboard(results: dict[str, Any], directory: str,
                      trained_step: int) -> None:
  """Writes an evaluation's numbers as TensorBoard scalars in `directory`
  (its own run, `eval`, beside the training's events).

  A series by inner step (a dict keyed "0", "1", ...: the query loss after
  each number of steps, per K) is written with the inner step as
  TensorBoard's step, each of its statistics a tag (`eval/K=5/mean`,
  `eval/K=5/ci95`); any other number is written at the trained step.
  """
  writer = tf.summary.create_file_writer(directory)

  def walk(value, tag):
    if isinstance(value, dict) and value and all(
        str(key).isdigit() for key in value) and all(
            isinstance(v, dict) and not any(isinstance(leaf, dict)
                                            for leaf in v.values())
            for v in value.values()):
      for step, statistics in value.items():
        for name, number in statistics.items():
          if isinstance(number, (int, float)):
            tf.summary.scalar(f"{tag}/{name}", number, step=int(step))
    elif isinstance(value, dict):
      for key, inner in value.items():
        key = f"K={key}" if str(key).isdigit() and not tag.count("/") else key
        walk(inner, f"{tag}/{key}")
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
      tf.summary.scalar(tag, value, step=trained_step)

  with writer.as_default():
    walk(results, "eval")
  writer.close()


def evaluate_workdir(workdir: str, trainer: Optional[training.Trainer] = None,
                     num_tasks: Optional[int] = None,
                     seed: Optional[int] = None,
                     shots: Optional[Sequence[int]] = None,
                     output_name: str = "eval.json",
                     plot: bool = True) -> dict[str, Any]:
  """Evaluates `workdir`'s latest checkpoint (or, where the config selects
  one, its best validated checkpoint); returns what it writes.

  Args:
    workdir: a meta_train workdir.
    trainer: the `Trainer` of a run still in memory (else one is rebuilt
      from workdir/config.json and restored).
    num_tasks, seed: override config.eval's held-out tasks.
    shots: the K values of a regression evaluation (default config.eval's).
    output_name: the JSON file written in the workdir.
    plot: also write eval.png.
  """
  began = time.perf_counter()
  if trainer is None:
    trainer = training.Trainer.from_config(experiments.load_config(workdir),
                                            workdir)
    # The newest checkpoint that restores; nothing is moved or written (a
    # trainer may be writing beside us).
    trainer.restore(read_only=True)
    # A run with nothing to meta-train (continual SGD / EWC) checkpoints
    # step 0: test for a checkpoint, not for steps taken.
    if trainer.restored_from is None:
      raise FileNotFoundError(f"No checkpoint in {workdir!r} to evaluate.")
  config = trainer.config
  selected = None
  if config is not None and config.get("select_checkpoint"):
    selected = trainer.restore_best()  # the best validated checkpoint
  if config is None:
    raise ValueError("evaluate_workdir evaluates runs built from a config "
                     "(Trainer.from_config); this trainer has none.")
  seed = config.eval.seed if seed is None else seed
  num_tasks = config.eval.num_tasks if num_tasks is None else num_tasks
  if int(num_tasks) < 1:
    raise ValueError(f"num_tasks must be >= 1; received {num_tasks}.")
  if shots is not None and any(int(k) < 1 for k in shots):
    raise ValueError(f"Every K of shots must be >= 1; received {shots}.")
  # "auto" is resolved by the evaluation (`evaluation.metrics_by_step`).
  jit_compile = config.get("jit_compile", "auto")
  results, draw, summary = experiments.evaluate(
      trainer.learner, config, num_tasks=num_tasks, seed=seed, shots=shots,
      jit_compile=jit_compile)
  output = {"config": config.to_dict(), "step": trainer.step,
            "eval_seed": seed, "results": results}
  if selected is not None:
    output["selected_by"] = {"validation_score": selected["score"],
                             "step": selected["step"]}
  try:
    training.write_atomically(os.path.join(workdir, output_name),
                              json.dumps(output, indent=2, default=list))
    if plot:
      draw(os.path.join(workdir, "eval.png"))
    write_tensorboard(results, os.path.join(workdir, "tensorboard", "eval"),
                      trainer.step)
  except (OSError, tf.errors.OpError) as error:
    reason = (str(error).strip().splitlines() or [""])[-1][:200]
    raise training.WorkdirError(
        f"Evaluated, but cannot write into {workdir} ({reason}): {summary}. "
        "Evaluate a writable copy of the workdir to keep the results."
    ) from None
  logging.info("%s; wrote %s in %s in %.1fs.", summary, output_name, workdir,
               time.perf_counter() - began)
  return output

