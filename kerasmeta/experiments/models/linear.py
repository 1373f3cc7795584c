# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""`config.model = "linear"`: a linear classifier over fixed embeddings.

The learner of the LEO paper's "Meta-SGD (our features)" row: one Dense
layer from the `config.features` embedding features to `config.ways`
logits, every weight adapted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import keras

if TYPE_CHECKING:
  from kerasmeta._typing import Config


def build(config: Config) -> keras.Model:
  """`Dense(ways)` on `[features]` inputs."""
  return keras.Sequential([keras.Input((int(config.features),)),
                           keras.layers.Dense(int(config.ways), name="head")],
                          name="linear")
