# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""`python -m export.export_adapter`: see `kerasmeta/apps/export_adapter.py`."""

from kerasmeta.apps import export_adapter

if __name__ == "__main__":
  export_adapter.run()
