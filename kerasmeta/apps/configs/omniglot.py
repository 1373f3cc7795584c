# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
r"""Omniglot few-shot classification through tensorflow-datasets.

MT-net's settings: 28x28, conv4 with 64 filters, rotations as classes,
5-way meta-batch 32 with alpha 0.4, one inner step (20-way: meta-batch 16,
alpha 0.1); the config is VARIANT[,WAYS[,SHOTS]]:

  python -m apps.meta_train --config=omniglot:mtnet,20,1 \
      --workdir=/tmp/omniglot_mtnet [--config.data_dir=~/tensorflow_datasets]

tfds downloads Omniglot on first use. --config.omniglot_protocol=maml (the
MAML reference's 1,100 / 100 / 423 character split) or background
(background alphabets for training, evaluation alphabets for testing).
VARIANT: maml, fomaml, meta_sgd, mnet, tnet, mtnet.
"""

from kerasmeta.apps.configs import common


# What follows --config=NAME: (kerasmeta-train --list_configs).
ARGUMENTS = ("VARIANT[,WAYS[,SHOTS]]: 5-way 1-shot by default; VARIANT one of "
             + ", ".join(v for v in common.FEW_SHOT_VARIANTS if v != "pretrained"))

def get_config(spec="mtnet"):
  """The config of `VARIANT[,WAYS[,SHOTS]]` (see the module docstring)."""
  variant, ways, shots = common.parse_image_spec(spec)
  config = common.new_config("omniglot", variant)
  common.add_image_fields(
      config, ways, shots, input_shape=(28, 28, 1), filters=64,
      pooling="stride", rotations=(0, 90, 180, 270),
      data_dir="")  # tfds' default, ~/tensorflow_datasets
  config.omniglot_protocol = "maml"
  common.add_omniglot_training(config, variant, "omniglot", ways,
                                num_meta_steps=40000)
  return config
