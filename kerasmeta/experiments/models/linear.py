# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""`config.model = "linear"`: a linear classifier over fixed embeddings.

The learner of the LEO paper's "Meta-SGD (our features)" row: one Dense
layer from the `config.features` embedding features to `config.ways`
logits, every weight adapted.
"""

import keras


def build(config):
  """`Dense(ways)` on `[features]` inputs."""
  return keras.Sequential([keras.Input((int(config.features),)),
                           keras.layers.Dense(int(config.ways), name="head")],
                          name="linear")
