# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
r"""mini-ImageNet (or tiered-ImageNet) few-shot classification from a folder.

Prepare the images as `DIR/{train,val,test}/<class>/*.jpg` (the 64/16/20
class split of Ravi & Larochelle; kerasmeta/tasks/image_folder.py), then:

  python -m apps.meta_train --config=mini_imagenet:maml,5,1 \
      --config.data_dir=DIR --workdir=/tmp/mini_maml

MAML's settings: 84x84 RGB, conv4 with 32 filters and 2x2 max-pooling, 5
inner steps with alpha 0.01 (10 at test), meta-batch 4 (2 for 5-shot), 15
queries per class; the inner loss sums the cross-entropy over the support
set and divides by K, as MAML's code (`inner_loss_reduction`).
WarpGrad's partitioned learner is `warpgrad_mini_imagenet.py`. VARIANT[,WAYS[,SHOTS]] as in glyphs.py. tiered-ImageNet: --config.task=tiered_imagenet with
its folder. VARIANT: maml, fomaml, meta_sgd, mnet, tnet, mtnet, warp_maml.
"""

from kerasmeta.apps.configs import common
from kerasmeta.apps.configs import execution


# What follows --config=NAME: (kerasmeta-train --list_configs).
ARGUMENTS = ("VARIANT[,WAYS[,SHOTS]]: 5-way 1-shot by default; VARIANT one of "
             + ", ".join(v for v in common.FEW_SHOT_VARIANTS if v != "pretrained"))

def get_config(spec="maml"):
  """The config of `VARIANT[,WAYS[,SHOTS]]` (see the module docstring)."""
  variant, ways, shots = common.parse_image_spec(spec)
  config = common.new_config("mini_imagenet", variant)
  common.add_image_fields(
      config, ways, shots, input_shape=(84, 84, 3), filters=32,
      pooling="max", data_dir="")  # required: the prepared folder
  config.examples_per_class = 600
  common.add_few_shot_learner_fields(
      config, variant, "mini_imagenet", loss="sparse_softmax_cross_entropy",
      num_inner_steps=5, inner_learning_rate=0.01,
      inner_loss_reduction="sum_over_shots")
  common.add_meta_training_fields(
      config, meta_batch_size=2 if shots >= 5 else 4,
      outer_learning_rate=1e-3, num_meta_steps=60000)
  execution.add_execution_fields(config, log_every=100,
                                 checkpoint_every=1000)
  common.add_evaluation_fields(config, num_tasks=600, num_inner_steps=10,
                               deterministic_masks=False, num_plot_tasks=3)
  return config
