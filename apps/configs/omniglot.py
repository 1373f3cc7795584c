r"""Omniglot few-shot classification through tensorflow-datasets.

MT-net's settings: 28x28, conv4 with 64 filters, rotations as classes,
5-way meta-batch 32 with alpha 0.4, one inner step (20-way: meta-batch 16,
alpha 0.1); the config is VARIANT[,WAYS[,SHOTS]]:

  python -m apps.meta_train --config=apps/configs/omniglot.py:mtnet,20,1 \
      --workdir=/tmp/omniglot_mtnet [--config.data_dir=~/tensorflow_datasets]

tfds downloads Omniglot on first use. --config.omniglot_protocol=maml (the
MAML reference's 1,100 / 100 / 423 character split) or background
(background alphabets for training, evaluation alphabets for testing).
VARIANT: maml, fomaml, meta_sgd, mnet, tnet, mtnet.
"""

from apps.configs import common
from apps.configs import execution


def get_config(spec="mtnet"):
  """The config of `VARIANT[,WAYS[,SHOTS]]` (see the module docstring)."""
  variant, ways, shots = common.parse_image_spec(spec)
  config = common.new_config("omniglot", variant)
  common.add_image_fields(
      config, ways, shots, input_shape=(28, 28, 1), filters=64,
      pooling="stride", rotations=(0, 90, 180, 270),
      data_dir="")  # tfds' default, ~/tensorflow_datasets
  config.omniglot_protocol = "maml"
  meta_batch_size, inner_learning_rate = common.omniglot_settings(ways)
  common.add_few_shot_learner_fields(
      config, variant, "omniglot", loss="sparse_softmax_cross_entropy",
      num_inner_steps=1, inner_learning_rate=inner_learning_rate)
  common.add_warpgrad_fields(config, training_mode="online")
  common.add_meta_training_fields(config, meta_batch_size=meta_batch_size,
                                  outer_learning_rate=1e-3,
                                  num_meta_steps=40000)
  execution.add_execution_fields(config, log_every=100,
                                 checkpoint_every=1000)
  common.add_evaluation_fields(config, num_tasks=600, num_inner_steps=3,
                               deterministic_masks=False, num_plot_tasks=3)
  return config
