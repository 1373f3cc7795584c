# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
r"""WarpGrad on synthetic 2-D loss surfaces (WarpGrad appendix D, figure 5).

Meta-learns an explicit warp (a residual 2-layer tanh MLP, 30 hidden units)
over random surfaces, each with 10 initialisations trained for 100 steps of
gradient descent at step size 0.1, accumulating the warp objective (eq. 7)
over the trajectories online (algorithm 1):

  python -m apps.meta_train --config=warp_surfaces \
      --workdir=/tmp/warp_surfaces

then compares gradient descent and WarpGrad from the same initialisations on
held-out surfaces (eval.json, eval.png as figure 5):

  python -m apps.evaluate --workdir=/tmp/warp_surfaces
"""

from kerasmeta.apps.configs import common
from kerasmeta.apps.configs import execution


def get_config():
  config = common.new_config("surfaces")
  config.num_inits = 10
  config.model = "explicit_warp"
  config.warp_hidden_units = 30
  common.add_learner_fields(config, "explicit_warp", inner_learning_rate=0.1,
                            num_inner_steps=100)
  # theta_k per trajectory in the warp objective; 0: all.
  common.add_warp_objective_fields(config.learner, warp_samples=0)
  common.add_meta_training_fields(config, meta_batch_size=4,
                                  outer_learning_rate=3e-3,
                                  num_meta_steps=2000)
  execution.add_execution_fields(config, log_every=100,
                                 checkpoint_every=500)
  common.add_evaluation_fields(config, num_tasks=200, num_plot_tasks=3)
  return config
