# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Model versions as TF Serving reads them: `MODEL_DIR/<version>/`.

TF Serving loads the highest numbered version it finds, so a version folder
must appear complete or not at all: `save_atomically` writes the SavedModel
into a hidden folder beside it (a name TF Serving and `next_version`
ignore) and renames it into place only when it is whole. An export stopped
part way (SIGTERM, a full disk, a crash) leaves at most such a hidden
folder, never a broken version. (Object stores cannot rename a folder:
there the export is written in place, with a warning.)
"""

from __future__ import annotations

import os
from typing import Any, Union

from absl import logging
import tensorflow as tf


def next_version(model_dir: str) -> int:
  """1 + the largest numeric version folder in `model_dir` (1 if none)."""
  if not os.path.isdir(model_dir):
    return 1
  versions = [int(name) for name in os.listdir(model_dir) if name.isdigit()]
  return max(versions, default=0) + 1


def save_atomically(module: tf.Module, path: Union[str, os.PathLike],
                    signatures: dict[str, Any]) -> None:
  """`tf.saved_model.save(module, path, signatures)`, all or nothing.

  Raises:
    FileExistsError: `path` exists (a served version is never overwritten).
  """
  path = os.fspath(path).rstrip("/")
  if "://" in path:
    # Object stores rename no folders: written in place, as TF Serving's
    # own exporters write there.
    if tf.io.gfile.exists(path):
      raise FileExistsError(f"{path} exists: an export never overwrites a "
                            "version that may be served.")
    logging.warning("%s is in an object store, which cannot rename a "
                    "folder: the export is written in place, not "
                    "atomically.", path)
    tf.saved_model.save(module, path, signatures=signatures)
    return
  if tf.io.gfile.exists(path):
    raise FileExistsError(
        f"{path} exists: an export never overwrites a version that may be "
        "served; write a new version (kerasmeta.export.next_version).")
  parent, name = os.path.split(path)
  temporary = os.path.join(parent, f".{name}.incomplete-{os.getpid()}")
  if tf.io.gfile.exists(temporary):  # this process's own earlier failure
    tf.io.gfile.rmtree(temporary)
  tf.saved_model.save(module, temporary, signatures=signatures)
  tf.io.gfile.rename(temporary, path)
