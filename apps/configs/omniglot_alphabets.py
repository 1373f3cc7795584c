r"""Omniglot alphabets as tasks (WarpGrad appendix E; Leap's protocol).

Each of the 46 alphabets with at least 20 characters is a 20-way task (15
drawings per character to adapt on, 5 to test), drawings randomly scaled,
rotated and shifted; adaptation is 100 SGD steps on random mini-batches of
20; 10 alphabets are held out for meta-testing. Warp-Leap with 3x3 conv
warps, meta-trained offline from a replay buffer (algorithm 2):

  python -m apps.meta_train --config=apps/configs/omniglot_alphabets.py \
      --workdir=/tmp/omniglot_alphabets [--config.data_dir=...]

VARIANT: warp_leap (default), leap, reptile, maml, fomaml. tfds downloads
Omniglot on first use. A full run is GPU-sized: each meta-batch of 20
tasks adapts for 100 steps and replays its 2,020 parameterisations.
"""

from apps.configs import glyphs


def get_config(variant="warp_leap"):
  config = glyphs.get_config(variant)
  config.task = "omniglot_alphabets"
  del config["glyphs"]
  config.data_dir = ""
  config.ways = 20  # characters per alphabet task
  config.shots = 15  # drawings per character to adapt on (5 held out)
  config.augment = True
  config.test_alphabets = 10
  config.validation_alphabets = 0
  config.split_seed = 0
  config.rotations = (0,)
  config.pooling = "max"
  config.num_inner_steps = 100
  config.inner_batch_size = 20
  config.inner_learning_rate = 0.1
  config.meta_batch_size = 20
  config.outer_optimizer = "sgd"
  config.outer_learning_rate = 0.1
  config.num_meta_steps = 1000
  config.warpgrad.training_mode = "offline"
  config.warpgrad.buffer_batch_size = 1
  config.eval.num_tasks = 100
  config.eval.num_inner_steps = 100
  return config
