r"""Sinusoid regression, the MT-net protocol (Lee & Choi 2018, section 5.1).

Meta-train (VARIANT: maml, fomaml, meta_sgd, mnet, tnet, mtnet, reptile, leap,
warp_maml, warp_leap):

  python -m apps.meta_train --config=apps/configs/sinusoid.py:mtnet \
      --workdir=/tmp/sine_mtnet --config.num_meta_steps=60000

Evaluate (600 held-out tasks, K = 5, 10, 20, 0..10 inner steps):

  python -m apps.evaluate --workdir=/tmp/sine_mtnet
"""

import ml_collections

from apps.configs import execution

# variant -> (algorithm, cell)
VARIANTS = {
    "maml": ("maml", "dense"),
    "fomaml": ("fomaml", "dense"),
    "meta_sgd": ("meta_sgd", "dense"),
    "mnet": ("maml", "mnet"),
    "tnet": ("maml", "tnet"),
    "mtnet": ("maml", "mtnet"),
    "mnet_full": ("maml", "mnet_full"),
    "mtnet_full": ("maml", "mtnet_full"),
    "reptile": ("reptile", "dense"),
    "leap": ("leap", "dense"),
    # WarpGrad: a linear warp layer after each hidden layer (40x40, meta).
    "warp_maml": ("warp_maml", "warp"),
    "warp_leap": ("warp_leap", "warp"),
}


def get_config(variant="mtnet"):
  """The config of one variant (see `VARIANTS`)."""
  if variant not in VARIANTS:
    raise ValueError(f"Unknown sinusoid variant {variant!r}; expected one "
                     f"of {sorted(VARIANTS)}.")
  algorithm, cell = VARIANTS[variant]
  config = ml_collections.ConfigDict()
  config.variant = variant
  # Tasks: y = A sin(w x - b); task_variant "maml" fixes w = 1, Q = K.
  config.task = "sinusoid"
  config.task_variant = "mtnet"
  config.shots = 10
  config.num_query = 10
  # Learner: 1-40-40-1 ReLU MLP of `cell`s.
  config.model = "mlp"
  config.cell = cell
  config.hidden_sizes = (40, 40)
  config.mask_temperature = 1.0
  config.warp_block = "linear"  # with cell "warp": "linear", "residual_tanh"
  config.loss = "mse"
  # Meta-learning.
  config.algorithm = algorithm
  config.num_inner_steps = 1
  config.inner_learning_rate = 0.01
  config.first_order = False
  config.meta_batch_size = 4
  config.outer_optimizer = "adam"
  config.outer_learning_rate = 1e-3
  # WarpGrad (algorithms warp_maml / warp_leap; see kerasmeta.WarpGrad).
  config.warpgrad = ml_collections.ConfigDict()
  config.warpgrad.init_weight = 1.0  # lambda of eq. 9
  config.warpgrad.exact = True  # eq. 7; False: eq. 8
  config.warpgrad.momentum = 0.0
  config.warpgrad.learn_inner_optimizer = False
  config.warpgrad.warp_samples = 0  # theta_k per task; 0: every step
  config.warpgrad.training_mode = "online"  # "offline", "continual"
  config.warpgrad.buffer_batch_size = 1  # eta
  config.num_meta_steps = 60000
  config.seed = 0
  # Execution.
  execution.add_execution_fields(config)
  # Evaluation (apps.evaluate).
  config.eval = ml_collections.ConfigDict()
  config.eval.num_tasks = 600
  config.eval.shots = (5, 10, 20)
  config.eval.max_inner_steps = 10
  config.eval.seed = 1234
  config.eval.deterministic_masks = False
  config.eval.num_plot_tasks = 4
  return config
