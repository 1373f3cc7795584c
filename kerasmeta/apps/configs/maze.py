# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
r"""Miconi's maze (WarpGrad section 4.2 c.1, appendix I).

Meta-train a recurrent actor-critic (VARIANT: rnn, the plain RNN of
learning to reinforcement learn; warp_rnn, the Warp-RNN of eq. 16, its
warp updated every 30th step with the gradients accumulated in between;
hyper_rnn, the same network with its meta-LSTM updated at every step;
warp_rnn_reference_init, the Warp-RNN without the projections' bias, as
the reference code starts it;
tnets_rnn, the RNN with linear warps T_h, T_x, T_b meta-trained as the
Warp-RNN's, every 30th step; hebb_simple and hebb_retroactive, Miconi's
neuromodulated plastic RNNs):
one 200-step episode on each of 30 goals per meta-step, Adam 1e-3:

  python -m apps.meta_train --config=maze:warp_rnn --workdir=/tmp/maze_warp

The config's default is a CPU protocol of 3,000 meta-steps; `VARIANT,paper`
(e.g. `maze:warp_rnn,paper`) is the paper's budget of 200,000 (GPU-sized).
Evaluation: the mean return of one episode on each of 100 held-out goals.
"""

from ml_collections import config_dict

from kerasmeta.apps.configs import common
from kerasmeta.apps.configs import execution

# variant -> the fields that make it.
VARIANTS = {
    "rnn": dict(model="recurrent_actor_critic"),
    "warp_rnn": dict(model="warp_rnn", warp_update_interval=30,
                     warp_projection_bias=1.0),
    "hyper_rnn": dict(model="warp_rnn", warp_update_interval=1,
                      warp_projection_bias=1.0),
    # The reference code's initialisation: U = tanh(P z) starts near 0.
    "warp_rnn_reference_init": dict(model="warp_rnn",
                                    warp_update_interval=30),
    "tnets_rnn": dict(model="tnets_rnn", warp_update_interval=30),
    # The Warp-RNN with WarpGrad's optimiser settings (its maze code,
    # run.py): the warp steps with the sum of its interval's gradients,
    # Adam's epsilon 1e-8, no clipping (the others: the mean, Miconi's
    # epsilon 1e-4 and global norm 4).
    "warp_rnn_reference_optimizer": dict(
        model="warp_rnn", warp_update_interval=30, warp_projection_bias=1.0,
        warp_gradient_reduction="sum", outer_epsilon=1e-8,
        outer_clipnorm=0.0),
    "hebb_simple": dict(model="hebbian_rnn", modulation="simple"),
    "hebb_retroactive": dict(model="hebbian_rnn", modulation="retroactive"),
}
# protocol -> (meta-steps, meta-LSTM units). WarpGrad's maze code sizes its
# meta-LSTM as the task RNN (100); the CPU protocol takes 32 to fit its
# budget.
PROTOCOLS = {"cpu": (3000, 32), "paper": (200_000, 100)}


def get_config(spec="rnn"):
  """`VARIANT` or `VARIANT,PROTOCOL` (PROTOCOL: cpu, the default, or paper)."""
  variant, _, protocol = spec.partition(",")
  protocol = protocol or "cpu"
  if variant not in VARIANTS or protocol not in PROTOCOLS:
    raise ValueError(f"Unknown maze config {spec!r}; expected VARIANT or "
                     f"VARIANT,PROTOCOL with VARIANT one of "
                     f"{sorted(VARIANTS)} and PROTOCOL one of "
                     f"{sorted(PROTOCOLS)}.")
  config = common.new_config("maze", variant)
  config.protocol = protocol
  # Miconi's maze as WarpGrad: 11 x 11, 200 steps, +10 at the goal.
  config.maze_size = 11
  config.horizon = 200
  config.goal_reward = 10.0
  config.wall_penalty = 0.0
  # The task learner: a basic RNN of 100 tanh units (warped by a meta-LSTM
  # in the Warp-RNN, its size the protocol's), linear policy and value
  # heads, Miconi's loss.
  config.model = "recurrent_actor_critic"
  config.hidden_units = 100
  num_meta_steps, config.meta_units = PROTOCOLS[protocol]
  # None: eq. 16's U = tanh(P z), small at the start (see WarpRNNCell); a
  # float starts a learned bias of P z there (1.0: U ~ 0.76, the warped
  # RNN's variants' default: at the reference's start, U ~ 0.1, the
  # Warp-RNN learned nothing in 2,000 CPU steps).
  config.warp_projection_bias = config_dict.placeholder(float)
  # The Hebbian variants' rule (simple or retroactive); None for the others.
  config.modulation = config_dict.placeholder(str)
  fields = dict(VARIANTS[variant])
  common.add_learner_fields(
      config, "actor_critic", discount=0.9, value_coefficient=0.1,
      concentration_coefficient=0.03,
      warp_update_interval=fields.pop("warp_update_interval", 1),
      warp_gradient_reduction=fields.pop("warp_gradient_reduction", "mean"),
      # Each episode's advantage against its own value (A2C); both
      # reference codes take the first episode's value for all of them
      # ("first_episode", to reproduce them).
      value_baseline="own")
  optimizer_fields = {name: fields.pop(name) for name in
                      ("outer_clipnorm", "outer_epsilon") if name in fields}
  config.update(fields)
  common.add_meta_training_fields(config, meta_batch_size=30,
                                  outer_learning_rate=1e-3,
                                  num_meta_steps=num_meta_steps)
  # Miconi's code (uber-research/backpropamine, simplemaze/maze.py) clips
  # the gradient's global norm to 4 (the RNN's learning otherwise collapses
  # after a few thousand steps at Adam 1e-3) and sets Adam's epsilon to 1e-4.
  # WarpGrad's maze code parses the same clip but does not apply it, and
  # keeps Adam's defaults; every learner here gets Miconi's settings. Neither
  # code's 100 burn-in steps without an update are reproduced.
  config.outer_clipnorm = 4.0  # 0: none
  config.outer_epsilon = 1e-4
  config.update(optimizer_fields)  # a variant's own
  execution.add_execution_fields(config, log_every=50, checkpoint_every=500)
  common.add_evaluation_fields(config, num_tasks=100)
  return config
