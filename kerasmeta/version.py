# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""kerasmeta's version (PEP 440), read by setup.py without importing."""

__version__ = "0.1.0"
