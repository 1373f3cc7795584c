# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""`python -m apps.evaluate`: see `kerasmeta/apps/evaluate.py`."""

from kerasmeta.apps import evaluate

if __name__ == "__main__":
  evaluate.run()
