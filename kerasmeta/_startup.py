# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""TensorFlow's start-up lines, kept off the screen of kerasmeta's commands.

Importing TensorFlow prints a few lines to stderr from its C++ libraries
("All log messages before absl::InitializeLog() ...", oneDNN's notice, no
CUDA driver found) before its logging is set up, so
`TF_CPP_MIN_LOG_LEVEL` does not silence them. kerasmeta's commands
(`kerasmeta-train`, `kerasmeta-evaluate`, `kerasmeta-export`, and the
`python -m apps.*` / `export.*` forms) import TensorFlow with stderr
pointed at /dev/null; `KERASMETA_TF_STARTUP_LOGS=1` shows the lines again.
A program that imports kerasmeta as a library is left as it is.
"""

from __future__ import annotations

import os
import sys

_COMMAND_FOLDERS = ("apps", "export")


def _is_command():
  """Whether this process runs one of kerasmeta's commands."""
  program = sys.argv[0] if sys.argv else ""
  if os.path.basename(program).startswith("kerasmeta-"):
    return True
  folder = os.path.basename(os.path.dirname(os.path.abspath(program)))
  if program.endswith(".py") and folder in _COMMAND_FOLDERS:
    return True
  arguments = getattr(sys, "orig_argv", [])
  if "-m" in arguments[:-1]:  # `python -m MODULE`, parents being imported
    module = arguments[arguments.index("-m") + 1]
    return module.split(".")[0] in _COMMAND_FOLDERS or module.startswith(
        "kerasmeta.apps.")
  return False


def import_tensorflow_quietly() -> None:
  """Imports TensorFlow, its start-up lines hidden where a command runs."""
  if "tensorflow" in sys.modules or not _is_command() or os.environ.get(
      "KERASMETA_TF_STARTUP_LOGS"):
    return
  sys.stderr.flush()
  saved = os.dup(2)
  null = os.open(os.devnull, os.O_WRONLY)
  os.dup2(null, 2)
  try:
    import tensorflow  # pylint: disable=g-import-not-at-top,unused-import
  finally:
    os.dup2(saved, 2)
    os.close(saved)
    os.close(null)
