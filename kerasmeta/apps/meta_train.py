# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
r"""Meta-trains a learner from a config.

  kerasmeta-train --config=sinusoid:mtnet \
      --workdir=/tmp/sine_mtnet [--config.num_meta_steps=2000 ...]

Without --config it runs the default: MT-net on sinusoids, the MT-net
paper's protocol (60,000 meta-steps, a few minutes on a 2-core CPU).

From a checkout, `python -m apps.meta_train` is the same command.
Re-running the same command resumes from the workdir's latest checkpoint.
With --evaluate (the default) the run ends with `kerasmeta-evaluate`'s
evaluation, writing eval.json and eval.png into the workdir.
"""

from __future__ import annotations

import signal
import sys
from typing import Any, Sequence

from absl import app
from absl import flags
from absl import logging
from ml_collections import config_flags

from kerasmeta import training
from kerasmeta.apps import config_help
from kerasmeta.apps import configs
from kerasmeta.apps import workdirs
from kerasmeta.training import signals
from kerasmeta import workdir as workdir_lib

_CONFIG: Any = None  # defined by run(): it reads the command line as it is made
_WORKDIR = flags.DEFINE_string("workdir", None,
                               "Directory for checkpoints, logs, results.")
_TPU = flags.DEFINE_string(
    "tpu", None, "TPU address or name for --config.strategy=tpu ('local' on "
    "a TPU VM); the same as --config.tpu_address.")
_EVALUATE = flags.DEFINE_bool("evaluate", True,
                              "Evaluate the trained learner at the end.")
flags.DEFINE_bool("list_configs", False,
                  "List the configs by name, with their variants, and exit.")
flags.DEFINE_bool("describe_config", False,
                  "Print the --config's fields, each with its value and what "
                  "it means, and exit.")
_RESTART = flags.DEFINE_bool(
    "restart", False, "Start afresh even where the workdir holds a run "
    "(its files are moved into WORKDIR/previous-<time>/ first).")


def main(argv: Sequence[str]) -> None:
  if len(argv) > 1:
    raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
  config = _CONFIG.value
  if _TPU.value is not None:
    with config.unlocked():
      config.tpu_address = _TPU.value
  with workdirs.one_line_errors(ValueError, FileNotFoundError,
                                training.WorkdirError):
    trainer = training.Trainer.from_config(config, _WORKDIR.value,
                                           restart=_RESTART.value)
  # Held through the final evaluation too: a second trainer started then
  # would write into the same workdir.
  try:
    with workdir_lib.Lock(trainer.workdir):
      _train_and_evaluate(trainer)
  except training.WorkdirError as error:
    print(f"{type(error).__name__}: {error}", file=sys.stderr)
    sys.exit(1)


def _train_and_evaluate(trainer):
  """Trains; evaluates at the end (`--evaluate`)."""
  try:
    final = trainer.train()
  except (training.Interrupted, KeyboardInterrupt):
    # Saved already (Trainer.train); one line, no traceback.
    print(f"Interrupted at step {trainer.step}: saved "
          f"{trainer.manager.latest_checkpoint}; re-run the command to "
          "resume.", file=sys.stderr)
    sys.exit(128 + signal.SIGTERM)
  except (training.WorkdirError, training.NonFiniteError) as error:
    print(f"{type(error).__name__}: {error}", file=sys.stderr)
    sys.exit(1)
  logging.info("Finished at step %d: %s", trainer.step, final)
  if _EVALUATE.value:
    try:
      with signals.RaiseOnSigterm():
        workdirs.evaluate_workdir(_WORKDIR.value, trainer=trainer)
    except (training.Interrupted, KeyboardInterrupt):
      print(f"Interrupted during the final evaluation: training finished "
            f"at step {trainer.step} ({trainer.manager.latest_checkpoint}); "
            f"evaluate with kerasmeta-evaluate --workdir={_WORKDIR.value}.",
            file=sys.stderr)
      sys.exit(128 + signal.SIGTERM)


def _answer_questions():
  """`--help`, `--list_configs`, `--describe_config`: answered, then exits
  (before the config flag, which would build the config first)."""
  workdirs.print_help_if_asked(
      __name__, __doc__,
      "  --config: the config by name and variant, e.g. glyphs:mtnet,20,1 "
      "(see --list_configs),\n    or a config file's path.\n"
      "  --config.FIELD=VALUE: sets any field of the config (see "
      "--describe_config).\n")
  arguments = set(sys.argv[1:])
  if "--list_configs" in arguments:
    print(config_help.list_configs())
    sys.exit(0)
  if "--describe_config" in arguments:
    try:
      print(config_help.describe(configs.config_value(sys.argv)))
    except ValueError as error:
      sys.exit(f"FATAL Flags parsing error: {error}")
    sys.exit(0)


def run() -> None:
  """The `kerasmeta-train` console script."""
  global _CONFIG
  _answer_questions()
  # The config flag applies --config.FIELD overrides as it is defined: the
  # command line is checked (configs by name, fields that exist, with near
  # matches) before, for one clear line instead of a traceback.
  try:
    sys.argv[:] = configs.resolve_argv(sys.argv)
    configs.check_overrides(sys.argv)
  except ValueError as error:
    sys.exit(f"FATAL Flags parsing error: {error}")
  _CONFIG = config_flags.DEFINE_config_file(
      "config", configs.resolve(configs.DEFAULT),
      "Config by name and variant, e.g. glyphs:mtnet,20,1 (names: "
      f"{', '.join(configs.names())}), or a config file's path (the "
      "default: MT-net on sinusoids, the MT-net paper's protocol).",
      lock_config=True)
  flags.mark_flags_as_required(["workdir"])
  app.run(main)


if __name__ == "__main__":
  run()
