# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""`config.model = "conv4"`: `kerasmeta.models.conv4` from a config.

Fields: input_shape, ways (the classes), filters, cell, pooling (default
"stride"), head (default "flatten"; "average" as the reference code for
Omniglot), mask_temperature (default 1.0), mask_initializer (default
"zeros"), warp (default False), warp_block (default: conv4's 3x3
convolutional warp), warp_after (the blocks followed by a warp; default
all) and meta_layers (names of layers made meta, `with_meta_layers`:
WarpGrad's model partitioning).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kerasmeta import layers
from kerasmeta import models

if TYPE_CHECKING:
  import keras
  from kerasmeta._typing import Config


def build(config: Config) -> keras.Model:
  """The 4-block convolutional classifier of the config."""
  warp_options = ({"warp_block": config.warp_block}
                  if config.get("warp_block") else {})
  model = models.conv4(
      input_shape=tuple(config.input_shape), num_classes=config.ways,
      filters=config.filters, cell=config.cell,
      pooling=config.get("pooling", "stride"),
      mask_temperature=config.get("mask_temperature", 1.0),
      mask_initializer=config.get("mask_initializer", "zeros"),
      head=config.get("head", "flatten"), warp=config.get("warp", False),
      warp_after=config.get("warp_after") or None, **warp_options)
  if config.get("meta_layers"):
    model = layers.with_meta_layers(model, config.meta_layers)
  return model
