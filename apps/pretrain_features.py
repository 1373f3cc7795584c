# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""`python -m apps.pretrain_features`: kerasmeta/apps/pretrain_features.py."""

from kerasmeta.apps import pretrain_features

if __name__ == "__main__":
  pretrain_features.run()
