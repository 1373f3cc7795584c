"""Model versions as TF Serving reads them: `MODEL_DIR/<version>/`."""

import os


def next_version(model_dir):
  """1 + the largest numeric version folder in `model_dir` (1 if none)."""
  if not os.path.isdir(model_dir):
    return 1
  versions = [int(name) for name in os.listdir(model_dir) if name.isdigit()]
  return max(versions, default=0) + 1
