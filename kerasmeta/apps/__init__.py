# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""The command-line apps: meta-training, evaluation, export.

Installed with the package (console scripts `kerasmeta-train`,
`kerasmeta-evaluate`, `kerasmeta-export`) and run from a checkout as
`python -m apps.meta_train`, `python -m apps.evaluate` and
`python -m export.export_adapter` (thin entry points into these modules).
Configs are found by name (`--config=glyphs:mtnet`) in `configs/`, or
read from any config file's path.
"""
