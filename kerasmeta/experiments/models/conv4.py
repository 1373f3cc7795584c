"""`config.model = "conv4"`: `kerasmeta.models.conv4` from a config.

Fields: input_shape, ways (the classes), filters, cell, pooling (default
"stride"), mask_temperature (default 1.0), warp (default False) and warp_block
(default: conv4's 3x3 convolutional warp).
"""

from kerasmeta import models


def build(config):
  """The 4-block convolutional classifier of the config."""
  warp_options = ({"warp_block": config.warp_block}
                  if config.get("warp_block") else {})
  return models.conv4(input_shape=tuple(config.input_shape),
                      num_classes=config.ways, filters=config.filters,
                      cell=config.cell, pooling=config.get("pooling", "stride"),
                      mask_temperature=config.get("mask_temperature", 1.0),
                      warp=config.get("warp", False), **warp_options)
