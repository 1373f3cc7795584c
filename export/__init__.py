# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Entry points of a checkout: `python -m export.export_adapter`, and the
serving client `export/serving/client.py` (standalone: it needs neither
kerasmeta nor TensorFlow for REST). Not installed; the exporter is
`kerasmeta/apps/export_adapter.py` (console script `kerasmeta-export`).
"""
