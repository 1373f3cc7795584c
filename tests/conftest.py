# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Test set-up: two logical CPU devices (for `mirrored`), quiet logs."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from kerasmeta import distribute  # pylint: disable=g-import-not-at-top

# Must run before TensorFlow initialises its devices.
distribute.configure_cpu_devices(2)
