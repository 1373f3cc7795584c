# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
r"""Warp-MAML on mini-ImageNet as WarpGrad's appendix H partitions conv4.

Model partitioning (appendix A (a), appendix H): four blocks of 128 3x3
filters, batch-norm, ReLU and 2x2 max-pooling, a linear head on the
flattened 5x5x128 output. The first convolution (with its batch-norm) and
3x3 convolutional warp layers of 128 filters after blocks 2, 3 and 4 are
meta: fixed during adaptation, learned by the WarpGrad objective; blocks 2
to 4 (convolutions and batch-norm scales and offsets) and the head adapt.
5 inner steps of SGD, one task per meta-step, Adam, 60,000 meta-steps.
Meta-training uses K = 5 for the 1-shot protocol and K = 15 for 5-shot
(the paper's); evaluation is 5-way K-shot on 600 test episodes, 15
queries per class. The config is SHOTS (1 or 5):

  python -m apps.meta_train --config=warpgrad_mini_imagenet:1 \
      --config.data_dir=DIR --workdir=/tmp/warp_mini

The paper tuned the inner step size by grid search and does not report
it; alpha = 0.01 is MAML's mini-ImageNet rate. The data is the folder
layout of `mini_imagenet.py` (DIR/{train,val,test}/<class>/*.jpg).
"""

from kerasmeta.apps.configs import common
from kerasmeta.apps.configs import execution

TRAINING_SHOTS = {1: 5, 5: 15}  # test K -> meta-training K (appendix H)


# What follows --config=NAME: (kerasmeta-train --list_configs).
ARGUMENTS = "SHOTS: 1 (default) or 5"

def get_config(spec="1"):
  """The config of SHOTS, the K evaluated at (1 or 5)."""
  if str(spec).strip() not in ("1", "5"):
    raise ValueError(f"Expected SHOTS, 1 or 5; received {spec!r}.")
  shots = int(spec)
  config = common.new_config("mini_imagenet", "warp_maml")
  common.add_image_fields(
      config, ways=5, shots=TRAINING_SHOTS[shots], input_shape=(84, 84, 3),
      filters=128, pooling="max", data_dir="")  # required: the folder
  config.examples_per_class = 600
  config.meta_layers = ("conv_1", "batch_norm_1")
  config.warp_after = (2, 3, 4)
  common.add_few_shot_learner_fields(
      config, "warp_maml", "warpgrad_mini_imagenet",
      loss="sparse_softmax_cross_entropy", num_inner_steps=5,
      inner_learning_rate=0.01)
  common.add_meta_training_fields(config, meta_batch_size=1,
                                  outer_learning_rate=1e-3,
                                  num_meta_steps=60000)
  execution.add_execution_fields(config, log_every=100,
                                 checkpoint_every=1000)
  common.add_evaluation_fields(config, num_tasks=600, num_inner_steps=5,
                               shots=shots, deterministic_masks=False,
                               num_plot_tasks=3)
  return config
