# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""The groups of fields every config file is built from.

A config file starts from `new_config` and adds its groups (and
`execution.add_execution_fields`) with its own settings; no config is built
from another, so each file states all of its settings and a field means
the same everywhere.
"""

import ml_collections

from kerasmeta.apps.configs import execution

# The few-shot learners: variant -> (algorithm, cell, warp).
FEW_SHOT_VARIANTS = {
    "maml": ("maml", "dense", False),
    "fomaml": ("fomaml", "dense", False),
    "meta_sgd": ("meta_sgd", "dense", False),
    # MAML with a learned coordinate-wise LSTM as its inner optimiser
    # (second order through the gradients fed to it, as first_order=False).
    "lstm_maml": ("lstm_maml", "dense", False),
    "mnet": ("maml", "mnet", False),
    "tnet": ("maml", "tnet", False),
    "mtnet": ("maml", "mtnet", False),
    "mnet_full": ("maml", "mnet_full", False),
    "mtnet_full": ("maml", "mtnet_full", False),
    # MAML's baseline: joint training on all tasks, fine-tuning at test
    # (regression; classification episodes refuse it).
    "pretrained": ("pretrained", "dense", False),
    "reptile": ("reptile", "dense", False),
    "leap": ("leap", "dense", False),
    # WarpGrad: warp layers after each hidden layer or block (meta), the
    # warp trained online (algorithm 1), from a replay buffer (offline,
    # algorithm 2) or every eta meta-steps (continual).
    "warp_maml": ("warp_maml", "dense", True),
    "warp_leap": ("warp_leap", "dense", True),
    "warp_maml_offline": ("warpgrad_offline", "dense", True),
    "warp_leap_offline": ("warpgrad_offline", "dense", True),
    "warp_maml_continual": ("warpgrad_continual", "dense", True),
    "warp_leap_continual": ("warpgrad_continual", "dense", True),
}


def new_config(task, variant=None):
  """A config of `task` (and of `variant`, where the file has variants)."""
  config = ml_collections.ConfigDict()
  if variant is not None:
    config.variant = variant
  config.task = task
  return config


def few_shot_variant(variant, config_name):
  """`(algorithm, cell, warp)` of a few-shot variant (`FEW_SHOT_VARIANTS`).

  Args:
    variant: a key of `FEW_SHOT_VARIANTS`.
    config_name: the config file's name, for the error message.
  """
  if variant not in FEW_SHOT_VARIANTS:
    raise ValueError(f"Unknown {config_name} variant {variant!r}; expected "
                     f"one of {sorted(FEW_SHOT_VARIANTS)}.")
  return FEW_SHOT_VARIANTS[variant]


def parse_image_spec(spec, ways=5, shots=1):
  """`"mtnet,20,5"` -> ("mtnet", 20, 5); ways and shots default as given."""
  parts = [part.strip() for part in str(spec).split(",")]
  if len(parts) > 3 or not all(part.isdigit() for part in parts[1:]):
    raise ValueError(f"Expected VARIANT[,WAYS[,SHOTS]], e.g. 'mtnet,20,1'; "
                     f"received {spec!r}.")
  numbers = [int(part) for part in parts[1:]] + [ways, shots][len(parts) - 1:]
  return parts[0], numbers[0], numbers[1]


def omniglot_settings(ways):
  """MT-net's Omniglot `(meta_batch_size, inner_learning_rate)` for N-way.

  5-way: meta-batch 32, alpha 0.4; 20-way: meta-batch 16, alpha 0.1.
  """
  return (16, 0.1) if ways >= 20 else (32, 0.4)


def add_omniglot_training(config, variant, config_name, ways,
                          num_meta_steps):
  """MT-net's Omniglot training and evaluation (glyphs and Omniglot).

  One inner step (three at test, on 600 episodes); 5-way meta-batch 32 with
  alpha 0.4, 20-way meta-batch 16 with alpha 0.1; Adam 1e-3. As in the
  reference code (yoonholee/MT-net, cbfinn/maml): the inner loss sums the
  cross-entropy over the support set and divides by K
  (`inner_loss_reduction="sum_over_shots"`, N times the mean: alpha is
  theirs), the head averages over spatial positions (`head="average"`),
  per-weight mask logits start from a truncated normal, and meta-training
  episodes have K queries per class (their `update_batch_size * 2`
  examples per class); evaluation takes 15 queries per class, which
  estimates the same accuracy with less noise.
  """
  meta_batch_size, inner_learning_rate = omniglot_settings(ways)
  add_few_shot_learner_fields(
      config, variant, config_name, loss="sparse_softmax_cross_entropy",
      num_inner_steps=1, inner_learning_rate=inner_learning_rate,
      inner_loss_reduction="sum_over_shots")
  config.head = "average"
  config.num_query = config.shots
  add_meta_training_fields(config, meta_batch_size=meta_batch_size,
                           outer_learning_rate=1e-3,
                           num_meta_steps=num_meta_steps)
  execution.add_execution_fields(config, log_every=100,
                                 checkpoint_every=1000)
  add_evaluation_fields(config, num_tasks=600, num_inner_steps=3,
                        num_query=15, deterministic_masks=False,
                        num_plot_tasks=3)
  return config


def add_curve_regression(config, variant, config_name, inner_learning_rate):
  """The MT-net protocol of 1-D curve regression (sinusoids, polynomials).

  K = 10 support and 10 query points; one inner step of the MSE at
  `inner_learning_rate`; a 1-40-40-1 ReLU MLP of the variant's cells (a
  linear warp layer, 40x40, after each hidden layer for the WarpGrad
  variants); meta-batch 4, Adam 1e-3, 60,000 meta-steps; evaluation on 600
  held-out tasks at K = 5, 10, 20 after 0..10 inner steps, masks sampled.
  """
  config.shots = 10
  config.num_query = 10
  add_few_shot_learner_fields(
      config, variant, config_name, loss="mse", num_inner_steps=1,
      inner_learning_rate=inner_learning_rate)
  config.model = "mlp"
  config.hidden_sizes = (40, 40)
  config.warp_block = "linear"  # with warp: "linear", "residual_tanh"
  add_meta_training_fields(config, meta_batch_size=4,
                           outer_learning_rate=1e-3, num_meta_steps=60000)
  execution.add_execution_fields(config)
  add_evaluation_fields(config, num_tasks=600, shots=(5, 10, 20),
                        max_inner_steps=10, deterministic_masks=False,
                        num_plot_tasks=4)
  return config


def learner_group(config):
  """`config.learner`, the learner's constructor arguments (created empty
  where no group has added to it yet)."""
  if "learner" not in config:
    config.learner = ml_collections.ConfigDict()
  return config.learner


def add_learner_fields(config, algorithm, **arguments):
  """The learner: `config.algorithm` names its class
  (`kerasmeta.algorithms.ALGORITHMS`) and `config.learner` holds its
  constructor's keyword arguments, as they are.

  Args:
    config: the config to add to.
    algorithm: `config.algorithm`.
    **arguments: the learner's keyword arguments (e.g. inner_learning_rate,
      num_inner_steps, ewc_strength).
  """
  config.algorithm = algorithm
  learner_group(config).update(arguments)
  return config


def add_few_shot_learner_fields(config, variant, config_name, loss,
                                num_inner_steps, inner_learning_rate,
                                inner_loss_reduction="mean", **arguments):
  """A few-shot meta-learner: the variant's algorithm and cell, and more.

  Sets the model's cell, warp (warp layers between the weight layers),
  mask_temperature (the MT masks' Gumbel-softmax temperature) and
  mask_initializer ("reference": per-weight mask logits from a truncated
  normal, as the MT-net code; "zeros"), and the learner group: loss,
  num_inner_steps, inner_learning_rate, first_order (stop the gradient
  through the inner gradients; the first-order algorithms are first order
  whatever it says), inner_loss_scale, and WarpGrad's arguments for the
  warp variants.

  Args:
    config: the config to add to.
    variant: a key of `FEW_SHOT_VARIANTS`.
    config_name: the config file's name, for the error message.
    loss, num_inner_steps, inner_learning_rate: the inner loop's.
    inner_loss_reduction: "mean" (inner_loss_scale 1) or "sum_over_shots",
      the MAML and MT-net reference code's classification loss: the sum over
      the N*K support examples divided by K, N times the mean, so
      inner_loss_scale is a reference to `config.ways` (it follows
      `--config.ways`).
    **arguments: further arguments of the learner (e.g. inner_batch_size).
  """
  algorithm, cell, warp = few_shot_variant(variant, config_name)
  config.cell = cell
  config.warp = warp
  config.mask_temperature = 1.0
  config.mask_initializer = "reference"
  if inner_loss_reduction == "mean":
    inner_loss_scale = 1.0
  elif inner_loss_reduction == "sum_over_shots":
    inner_loss_scale = config.get_ref("ways").to_float()
  else:
    raise ValueError(f"inner_loss_reduction must be 'mean' or "
                     f"'sum_over_shots'; received {inner_loss_reduction!r}.")
  add_learner_fields(config, algorithm, loss=loss,
                     num_inner_steps=num_inner_steps,
                     inner_learning_rate=inner_learning_rate,
                     inner_loss_scale=inner_loss_scale, first_order=False,
                     **arguments)
  if warp:
    _add_warpgrad_arguments(config.learner, variant, algorithm)
  return config


def _add_warpgrad_arguments(learner, variant, algorithm):
  """WarpGrad's arguments (`kerasmeta.algorithms.WarpGrad`): eq. 7 or 8,
  theta_k per task in the warp objective (0: every step), lambda of eq. 9,
  the inner optimiser; the scheme's eta; C of eq. 9 for the schemes, whose
  class serves Warp-MAML and Warp-Leap alike."""
  add_warp_objective_fields(learner, warp_samples=0)
  learner.init_step_scale = 1.0
  learner.momentum = 0.0
  learner.learn_inner_optimizer = False
  if algorithm == "warpgrad_offline":
    learner.replay_batch_size = 1  # eta: parameterisations per warp step
  elif algorithm == "warpgrad_continual":
    learner.warp_update_interval = 1  # eta: meta-steps per warp step
  if algorithm.startswith("warpgrad_"):
    learner.init_objective = "leap" if "leap" in variant else "maml"


def add_warp_objective_fields(learner, warp_samples):
  """The warp objective's arguments of a WarpGrad learner group: `exact`
  (eq. 7; False: eq. 8) and `warp_samples` (theta_k per task, trajectory or
  sequence; 0: every step)."""
  learner.exact = True
  learner.warp_samples = warp_samples
  return learner


def add_meta_training_fields(config, meta_batch_size, outer_learning_rate,
                             num_meta_steps, outer_optimizer="adam", seed=0):
  """The outer loop: tasks per meta-step, optimiser, steps, the run's seed."""
  config.meta_batch_size = meta_batch_size
  config.outer_optimizer = outer_optimizer  # "adam" or "sgd"
  config.outer_learning_rate = outer_learning_rate
  # Adam's epsilon as the papers' reference code (TF1's AdamOptimizer);
  # Keras' 1e-7 damps the tiny early gradients of T, masks and warps.
  config.outer_epsilon = 1e-8
  config.num_meta_steps = num_meta_steps
  config.seed = seed
  return config


def add_evaluation_fields(config, num_tasks, seed=1234, **fields):
  """`config.eval` (apps.evaluate): held-out tasks, their seed, and more."""
  config.eval = ml_collections.ConfigDict()
  config.eval.num_tasks = num_tasks
  config.eval.seed = seed
  for name, value in fields.items():
    config.eval[name] = value
  return config


def add_image_fields(config, ways, shots, input_shape, filters, pooling,
                     rotations=(0,), data_dir="", num_query=15):
  """N-way K-shot episodes of images, and the conv4 learner of them.

  Args:
    config: the config to add to.
    ways, shots: N and K.
    input_shape: the images' (height, width, channels), resized to it.
    filters: conv4's filters per block.
    pooling: "stride" (stride-2 convolutions) or "max" (2x2 max-pooling
      after stride-1 convolutions).
    rotations: class-level augmentation: every rotation of a class is a
      class of its own (Omniglot's protocol).
    data_dir: where the data is ("": the loader's default).
    num_query: query examples per class.
  """
  config.ways = ways
  config.shots = shots
  config.num_query = num_query
  config.rotations = tuple(rotations)
  config.data_dir = data_dir
  config.model = "conv4"
  config.input_shape = tuple(input_shape)
  config.filters = filters
  config.pooling = pooling
  config.warp_block = "conv"  # with warp: any of layers.warp.WARP_BLOCKS
  # The learner's batch_norm: "task" uses each task's batch statistics
  # (MAML reference); "running": running statistics outside meta-training
  # (see MetaLearner).
  learner_group(config).batch_norm = "task"
  return config
