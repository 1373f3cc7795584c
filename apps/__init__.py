# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Entry points of a checkout: `python -m apps.meta_train`, `apps.evaluate`.

The apps live in `kerasmeta/apps/` (installed with the package, as the
console scripts `kerasmeta-train` and `kerasmeta-evaluate`); this folder is
not installed.
"""
