# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""`config.model = "mlp"`: `kerasmeta.models.mlp` from a config.

Fields: hidden_sizes, cell, mask_temperature (default 1.0),
mask_initializer (default "zeros"), warp (default False) and warp_block (default: the MLP's linear warp).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kerasmeta import models

if TYPE_CHECKING:
  import keras
  from kerasmeta._typing import Config


def build(config: Config) -> keras.Model:
  """The MLP of the config (1-D inputs and outputs, ReLU)."""
  warp_options = ({"warp_block": config.warp_block}
                  if config.get("warp_block") else {})
  return models.mlp(hidden_sizes=tuple(config.hidden_sizes),
                    cell=config.cell,
                    mask_temperature=config.get("mask_temperature", 1.0),
                    mask_initializer=config.get("mask_initializer", "zeros"),
                    warp=config.get("warp", False), **warp_options)
