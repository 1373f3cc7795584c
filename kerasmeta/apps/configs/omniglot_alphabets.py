# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
r"""Omniglot alphabets as tasks (WarpGrad appendix E; Leap's protocol).

Each of the 46 alphabets with at least 20 characters is a 20-way task (15
drawings per character to adapt on, 5 to test), drawings randomly scaled,
rotated and shifted; adaptation is 100 SGD steps on random mini-batches of
20; 10 alphabets are held out for meta-testing. Warp-Leap with 3x3 conv
warps, meta-trained offline from a replay buffer (algorithm 2):

  python -m apps.meta_train --config=omniglot_alphabets \
      --workdir=/tmp/omniglot_alphabets [--config.data_dir=...]

VARIANT: warp_leap (default), leap, reptile, maml, fomaml. tfds downloads
Omniglot on first use. A full run is GPU-sized: each meta-batch of 20
tasks adapts for 100 steps and replays its 2,020 parameterisations.
"""

from kerasmeta.apps.configs import common
from kerasmeta.apps.configs import execution


OFFLINE = {"warp_leap": "warp_leap_offline", "warp_maml": "warp_maml_offline"}


# What follows --config=NAME: (kerasmeta-train --list_configs).
ARGUMENTS = ("VARIANT (default warp_leap), one of "
             + ", ".join(v for v in common.FEW_SHOT_VARIANTS if v != "pretrained"))

def get_config(variant="warp_leap"):
  """The config of one few-shot VARIANT (see the module docstring)."""
  config = common.new_config("omniglot_alphabets", variant)
  # 20 characters per alphabet task, 15 drawings of each to adapt on (5
  # held out); num_query and rotations are the episodes' and unused here.
  common.add_image_fields(config, ways=20, shots=15, input_shape=(28, 28, 1),
                          filters=64, pooling="max", data_dir="")
  config.augment = True
  config.test_alphabets = 10
  config.validation_alphabets = 0
  config.split_seed = 0
  # The warp variants are meta-trained offline (algorithm 2).
  learner_variant = OFFLINE.get(variant, variant)
  common.add_few_shot_learner_fields(
      config, learner_variant, "omniglot_alphabets",
      loss="sparse_softmax_cross_entropy", num_inner_steps=100,
      inner_learning_rate=0.1, inner_batch_size=20)
  common.add_meta_training_fields(config, meta_batch_size=20,
                                  outer_learning_rate=0.1,
                                  num_meta_steps=1000, outer_optimizer="sgd")
  execution.add_execution_fields(config, log_every=100,
                                 checkpoint_every=1000)
  common.add_evaluation_fields(config, num_tasks=100, num_inner_steps=100,
                               deterministic_masks=False, num_plot_tasks=3)
  return config
