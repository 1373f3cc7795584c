# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
r"""Evaluates a meta-trained workdir as the papers do.

  kerasmeta-evaluate --workdir=/tmp/sine_mtnet

Rebuilds the learner from workdir/config.json, restores the latest
checkpoint, and writes workdir/eval.json (the query loss after 0..10 inner
steps at each K, mean and 95% CI over 600 held-out tasks) and
workdir/eval.png (a few tasks before and after adaptation).
"""

from __future__ import annotations

from typing import Sequence

from absl import app
from absl import flags

from kerasmeta import training
from kerasmeta.apps import workdirs

_WORKDIR = flags.DEFINE_string("workdir", None, "A meta_train workdir.")
_NUM_TASKS = flags.DEFINE_integer("num_tasks", None,
                                  "Held-out tasks (default: config.eval's).",
                                  lower_bound=1)
_SEED = flags.DEFINE_integer("seed", None,
                             "Held-out task seed (default: config.eval's).")
_SHOTS = flags.DEFINE_list("shots", None, "K values (default: config.eval's).")
_OUTPUT = flags.DEFINE_string("output", "eval.json",
                              "JSON file written in the workdir.")
_PLOT = flags.DEFINE_bool("plot", True, "Also write eval.png.")


def main(argv: Sequence[str]) -> None:
  if len(argv) > 1:
    raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
  shots = [int(k) for k in _SHOTS.value] if _SHOTS.value else None
  with workdirs.one_line_errors(FileNotFoundError, training.WorkdirError):
    workdirs.evaluate_workdir(_WORKDIR.value, num_tasks=_NUM_TASKS.value,
                              seed=_SEED.value, shots=shots,
                              output_name=_OUTPUT.value, plot=_PLOT.value)


def run() -> None:
  """The `kerasmeta-evaluate` console script."""
  workdirs.print_help_if_asked(__name__, __doc__)
  flags.mark_flags_as_required(["workdir"])
  app.run(main)


if __name__ == "__main__":
  run()
