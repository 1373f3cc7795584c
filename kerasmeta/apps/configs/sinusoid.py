r"""Sinusoid regression, the MT-net protocol (Lee & Choi 2018, section 5.1).

Meta-train (VARIANT: maml, fomaml, meta_sgd, mnet, tnet, mtnet, reptile, leap,
warp_maml, warp_leap):

  python -m apps.meta_train --config=sinusoid:mtnet \
      --workdir=/tmp/sine_mtnet --config.num_meta_steps=60000

Evaluate (600 held-out tasks, K = 5, 10, 20, 0..10 inner steps):

  python -m apps.evaluate --workdir=/tmp/sine_mtnet
"""

from kerasmeta.apps.configs import common
from kerasmeta.apps.configs import execution

VARIANTS = common.FEW_SHOT_VARIANTS  # variant -> (algorithm, cell)


def get_config(variant="mtnet"):
  """The config of one variant (see `VARIANTS`)."""
  # Tasks: y = A sin(w x - b); task_variant "maml" fixes w = 1, Q = K.
  config = common.new_config("sinusoid", variant)
  config.task_variant = "mtnet"
  config.shots = 10
  config.num_query = 10
  common.add_few_shot_learner_fields(
      config, variant, "sinusoid", loss="mse", num_inner_steps=1,
      inner_learning_rate=0.01)
  # Learner: a 1-40-40-1 ReLU MLP of `cell`s (a linear warp layer, 40x40,
  # after each hidden layer for the WarpGrad variants).
  config.model = "mlp"
  config.hidden_sizes = (40, 40)
  config.warp_block = "linear"  # with warp: "linear", "residual_tanh"
  common.add_warpgrad_fields(config, training_mode="online")
  common.add_meta_training_fields(config, meta_batch_size=4,
                                  outer_learning_rate=1e-3,
                                  num_meta_steps=60000)
  execution.add_execution_fields(config)
  common.add_evaluation_fields(config, num_tasks=600, shots=(5, 10, 20),
                               max_inner_steps=10, deterministic_masks=False,
                               num_plot_tasks=4)
  return config
