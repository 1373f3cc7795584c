# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
r"""Continual sine regression (WarpGrad appendix J): SGD vs EWC vs WarpGrad.

A 1-200-200-200-1 ReLU learner starts every task sequence from one fixed
random initialisation and learns 5 consecutive sub-intervals of [-5, 5], 20
SGD steps each on batches of 5 points. VARIANT:

  warpgrad  residual tanh warp blocks (100 hidden) after each ReLU, meta-
            trained on eq. 19's objective (Adam 1e-3, 5 sequences per
            meta-batch; the paper trains 20,000 steps);
  sgd       plain online SGD, nothing to meta-train;
  ewc       online SGD with the EWC penalty of each finished sub-task.

  python -m apps.meta_train --config=continual_sine:warpgrad \
      --workdir=/tmp/continual_warpgrad
  python -m apps.meta_train --config=continual_sine:sgd \
      --workdir=/tmp/continual_sgd

The evaluation (also `python -m apps.evaluate --workdir=DIR`) picks the
learning rate (and EWC strength) from the config's grids on validation
sequences, then reports every sub-task's loss after the whole sequence on
100 held-out sequences, in the training order and in the random order
[2, 4, 5, 3, 1] of figure 10b (eval.json, eval.png).
"""

from kerasmeta.apps.configs import common
from kerasmeta.apps.configs import execution

VARIANTS = ("warpgrad", "sgd", "ewc")


def get_config(variant="warpgrad"):
  if variant not in VARIANTS:
    raise ValueError(f"Unknown continual_sine variant {variant!r}; expected "
                     f"one of {VARIANTS}.")
  config = common.new_config("continual_sine", variant)
  config.num_subtasks = 5
  config.steps_per_subtask = 20
  config.batch_size = 5
  config.num_validation = 10
  config.order = ()  # () = left to right
  config.model = "mlp"
  config.hidden_sizes = (200, 200, 200)
  config.cell = "dense"
  config.warp = variant == "warpgrad"
  config.warp_block = "residual_tanh"
  config.kernel_initializer = "GlorotUniform"
  common.add_learner_fields(
      config, "continual", learning_rate=0.001,  # the paper's alpha
      ewc_strength=100.0 if variant == "ewc" else 0.0)
  # theta_k per sequence in the warp objective (0: all K = 100); the sum is
  # rescaled, so this only trades variance for time.
  common.add_warp_objective_fields(config.learner, warp_samples=10)
  common.add_meta_training_fields(  # seed: also the fixed initialisation's
      config, meta_batch_size=5, outer_learning_rate=1e-3,
      num_meta_steps=5000 if variant == "warpgrad" else 0)
  # XLA on CPU is 30x slower here (a while loop over large trajectories).
  execution.add_execution_fields(config, jit_compile="off", log_every=50,
                                 checkpoint_every=500)
  common.add_evaluation_fields(
      config, num_tasks=100, validation_seed=4321, num_validation_tasks=50,
      # WarpGrad's warp is trained for its alpha.
      learning_rates=((config.learner.learning_rate,) if variant == "warpgrad"
                      else (0.001, 0.003, 0.01, 0.03)),
      ewc_strengths=((1.0, 10.0, 100.0, 1000.0) if variant == "ewc"
                     else (0.0,)),
      random_order=(1, 3, 4, 2, 0))
  return config
