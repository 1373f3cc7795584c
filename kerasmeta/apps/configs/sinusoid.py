# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
r"""Sinusoid regression, the MT-net protocol (Lee & Choi 2018, section 5.1).

Meta-train (VARIANT: any of `VARIANTS`, as `kerasmeta-train --list_configs`
prints them):

  python -m apps.meta_train --config=sinusoid:mtnet \
      --workdir=/tmp/sine_mtnet --config.num_meta_steps=60000

Evaluate (600 held-out tasks, K = 5, 10, 20, 0..10 inner steps):

  python -m apps.evaluate --workdir=/tmp/sine_mtnet
"""

from kerasmeta.apps.configs import common

VARIANTS = common.FEW_SHOT_VARIANTS  # variant -> (algorithm, cell)


def get_config(variant="mtnet"):
  """The config of one variant (see `VARIANTS`)."""
  # Tasks: y = A sin(w x - b); task_variant "maml" fixes w = 1, Q = K.
  config = common.new_config("sinusoid", variant)
  config.task_variant = "mtnet"
  return common.add_curve_regression(config, variant, "sinusoid",
                                     inner_learning_rate=0.01)
