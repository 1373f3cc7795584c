# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
r"""Few-shot classification of procedural glyphs (no download needed).

Handwriting-like alphabets generated from a seed (kerasmeta/tasks/glyphs.py),
split by alphabet 70/10/20 into meta-training, validation and test classes,
with rotations by 90, 180 and 270 degrees as extra classes (Omniglot's
protocol). A conv4 learner (64 filters, 28x28), MT-net's Omniglot settings:

  python -m apps.meta_train --config=glyphs:mtnet \
      --config.ways=5 --config.shots=1 --workdir=/tmp/glyphs_mtnet

VARIANT: maml, fomaml, meta_sgd, mnet, tnet, mtnet, warp_maml (3x3 conv warp
layers after each block, WarpGrad's few-shot learner), as for sinusoids,
optionally followed by N-way and K-shot: `glyphs.py:mtnet,20,5` is 20-way
5-shot with MT-net's 20-way settings (meta-batch 16, alpha 0.1); 5-way uses
meta-batch 32 and alpha 0.4.
Evaluation: 600 test episodes, query accuracy mean and 95% CI.
"""

import ml_collections

from kerasmeta.apps.configs import common


# What follows --config=NAME: (kerasmeta-train --list_configs).
ARGUMENTS = ("VARIANT[,WAYS[,SHOTS]]: 5-way 1-shot by default; VARIANT one of "
             + ", ".join(v for v in common.FEW_SHOT_VARIANTS if v != "pretrained"))

def get_config(spec="mtnet"):
  """The config of `VARIANT[,WAYS[,SHOTS]]` (see the module docstring)."""
  variant, ways, shots = common.parse_image_spec(spec)
  config = common.new_config("glyphs", variant)
  common.add_image_fields(
      config, ways, shots, input_shape=(28, 28, 1), filters=64,
      pooling="stride", rotations=(0, 90, 180, 270),
      data_dir="~/.cache/kerasmeta")  # generated glyphs are cached there
  config.glyphs = ml_collections.ConfigDict(dict(
      num_alphabets=30, characters_per_alphabet=20, samples_per_character=20,
      seed=0))
  common.add_omniglot_training(config, variant, "glyphs", ways,
                                num_meta_steps=20000)
  return config
