# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
r"""Exports a training workdir's learner as a TF Serving adapter.

  kerasmeta-export --workdir=/tmp/kerasmeta_mtnet \
      --output=/tmp/models/sine_mtnet [--version=1] [--checkpoint=60000]

Writes /tmp/models/sine_mtnet/<version>/ (default: the next free version),
the layout `tensorflow_model_server --model_base_path=/tmp/models/sine_mtnet`
loads as is. Signatures: adapt_and_predict, adapt_and_predict_with_options,
predict (see kerasmeta/export/); `saved_model_cli show --all --dir ...`
lists them.
"""

from __future__ import annotations

import os
from typing import Sequence

from absl import app
from absl import flags
from absl import logging
import tensorflow as tf

from kerasmeta import experiments
from kerasmeta import export
from kerasmeta.apps import workdirs
from kerasmeta import workdir as workdir_lib

_WORKDIR = flags.DEFINE_string("workdir", None, "A meta_train workdir.")
_OUTPUT = flags.DEFINE_string("output", None,
                              "Model base directory (MODEL_DIR).")
_VERSION = flags.DEFINE_integer(
    "version", None, "Version folder, >= 1 (default: the next free one).",
    lower_bound=1)
_CHECKPOINT = flags.DEFINE_string(
    "checkpoint", None, "Checkpoint number or path, or \"best\" (default: the "
    "best validated one where the config selects one, else the latest).")
_MAX_STEPS = flags.DEFINE_integer(
    "max_steps", export.DEFAULT_MAX_STEPS,
    "Largest num_steps a request may ask for.", lower_bound=0)
_MAX_SUPPORT = flags.DEFINE_integer(
    "max_support", None,
    "Most support points a request may send (default: "
    f"{export.DEFAULT_MAX_SUPPORT:,}; LEO: ways x 25).", lower_bound=1)
_MAX_QUERY = flags.DEFINE_integer(
    "max_query", export.DEFAULT_MAX_QUERY,
    "Most query points a request may send.", lower_bound=1)
_ALLOW_TRANSDUCTIVE = flags.DEFINE_bool(
    "allow_transductive", False,
    "Export a batch_norm='task' model, whose answers depend on the other "
    "queries of a request.")


def main(argv: Sequence[str]) -> None:
  if len(argv) > 1:
    raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
  version = _VERSION.value if _VERSION.value is not None else \
      export.next_version(_OUTPUT.value)
  path = os.path.join(_OUTPUT.value, str(version))
  with workdirs.one_line_errors(FileExistsError, FileNotFoundError,
                                TypeError, workdir_lib.WorkdirError):
    if os.path.exists(path):  # refused before any work
      raise FileExistsError(f"{path} exists; choose another --version.")
    _, learner, checkpoint = workdir_lib.restore_learner(
        _WORKDIR.value, _CHECKPOINT.value)
    # The adapter reads the loss from the learner (loss_name=None).
    export.export_adapter(learner, path, max_steps=_MAX_STEPS.value,
                          max_support=_MAX_SUPPORT.value,
                          max_query=_MAX_QUERY.value,
                          allow_transductive=_ALLOW_TRANSDUCTIVE.value)
  logging.info("Exported %s as %s (signatures %s).", checkpoint, path,
               ", ".join(sorted(tf.saved_model.load(path).signatures)))
  print(path)


def run() -> None:
  """The `kerasmeta-export` console script."""
  workdirs.print_help_if_asked(__name__, __doc__)
  flags.mark_flags_as_required(["workdir", "output"])
  app.run(main)


if __name__ == "__main__":
  run()
