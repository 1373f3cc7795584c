r"""WarpGrad on synthetic 2-D loss surfaces (WarpGrad appendix D, figure 5).

Meta-learns an explicit warp (a residual 2-layer tanh MLP, 30 hidden units)
over random surfaces, each with 10 initialisations trained for 100 steps of
gradient descent at step size 0.1, accumulating the warp objective (eq. 7)
over the trajectories online (algorithm 1):

  python -m apps.meta_train --config=apps/configs/warp_surfaces.py \
      --workdir=/tmp/warp_surfaces

then compares gradient descent and WarpGrad from the same initialisations on
held-out surfaces (eval.json, eval.png as figure 5):

  python -m apps.evaluate --workdir=/tmp/warp_surfaces
"""

import ml_collections

from apps.configs import execution


def get_config():
  config = ml_collections.ConfigDict()
  config.task = "surfaces"
  config.num_inits = 10
  config.model = "explicit_warp"
  config.warp_hidden_units = 30
  config.algorithm = "explicit_warp"
  config.num_inner_steps = 100
  config.inner_learning_rate = 0.1
  config.warpgrad = ml_collections.ConfigDict()
  config.warpgrad.exact = True  # eq. 7; False: eq. 8
  config.warpgrad.warp_samples = 0  # theta_k per trajectory; 0: all
  config.meta_batch_size = 4
  config.outer_optimizer = "adam"
  config.outer_learning_rate = 3e-3
  config.num_meta_steps = 2000
  config.seed = 0
  execution.add_execution_fields(config, log_every=100,
                                 checkpoint_every=500)
  config.eval = ml_collections.ConfigDict()
  config.eval.num_tasks = 200
  config.eval.seed = 1234
  config.eval.num_plot_tasks = 3
  return config
