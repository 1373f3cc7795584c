# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""`python -m apps.meta_train`: see `kerasmeta/apps/meta_train.py`."""

from kerasmeta.apps import meta_train

if __name__ == "__main__":
  meta_train.run()
