# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
r"""Pre-trains glyph features and writes them as LEO's embedding files.

  python -m apps.pretrain_features --config=glyph_features \
      --workdir=/tmp/glyph_features [--config.epochs=5 ...]

Without --config it runs `glyph_features` (kerasmeta/apps/configs/
glyph_features.py). Trains conv4 to classify the glyph training classes
(kerasmeta/pretraining.py), prints a progress line per epoch, then writes
the features of every split as `OUT/glyphs/center/{train,val,test}_
embeddings.pkl` (OUT: --config.output_dir, or WORKDIR/embeddings) and
prints where they are and the classifier's accuracy. Re-running the same
command resumes an interrupted run from its last finished epoch; a finished
run only writes the embeddings again.
"""

from __future__ import annotations

import signal
import sys
from typing import Any, Sequence

from absl import app
from absl import flags
from ml_collections import config_flags

from kerasmeta import pretraining
from kerasmeta.apps import configs
from kerasmeta.apps import workdirs

DEFAULT = "glyph_features"
_CONFIG: Any = None  # defined by run(): it reads the command line as it is made
_WORKDIR = flags.DEFINE_string(
    "workdir", None, "Directory for the run's backups, weights and (unless "
    "--config.output_dir) embeddings.")


def main(argv: Sequence[str]) -> None:
  if len(argv) > 1:
    raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
  try:
    result = pretraining.run(_CONFIG.value, _WORKDIR.value)
  except KeyboardInterrupt:
    print(f"Interrupted: {_WORKDIR.value} keeps the last finished epoch; "
          "re-run the command to resume.", file=sys.stderr)
    sys.exit(128 + signal.SIGINT)
  print(f"Accuracy on {result.accuracy_of}: {result.accuracy:.4f}")
  print(f"Embeddings written to {result.output_dir} (dataset "
        f"{pretraining.DATASET!r}, crop {pretraining.CROP!r}):")
  for split, path in result.paths.items():
    print(f"  {split}: {path}")


def _with_config(argv):
  """`argv` with `--config=DEFAULT` added where it names no config (first:
  the config flag reads `--config.FIELD` overrides only after it)."""
  if any(a == "--config" or a.startswith("--config=") for a in argv):
    return list(argv)
  return [*argv[:1], f"--config={DEFAULT}", *argv[1:]]


def run() -> None:
  """The entry point (`python -m apps.pretrain_features`)."""
  global _CONFIG
  workdirs.print_help_if_asked(__name__, __doc__)
  # As apps.meta_train: the command line is checked (configs by name,
  # fields that exist) before the config flag applies its overrides.
  try:
    sys.argv[:] = configs.resolve_argv(_with_config(sys.argv))
    configs.check_overrides(sys.argv)
  except ValueError as error:
    sys.exit(f"FATAL Flags parsing error: {error}")
  _CONFIG = config_flags.DEFINE_config_file(
      "config", configs.resolve(DEFAULT),
      f"A features config by name or path (default: {DEFAULT}).",
      lock_config=True)
  flags.mark_flags_as_required(["workdir"])
  app.run(main)


if __name__ == "__main__":
  run()
