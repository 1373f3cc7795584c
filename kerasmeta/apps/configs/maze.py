r"""Miconi's maze (WarpGrad section 4.2 c.1, appendix I).

Meta-train a recurrent actor-critic (VARIANT: rnn, the plain RNN of
learning to reinforcement learn; warp_rnn, the Warp-RNN of eq. 16, its
warp updated every 30th step with the gradients accumulated in between;
hyper_rnn, the same network with its meta-LSTM updated at every step;
tnets_rnn, the RNN with linear warps T_h, T_x, T_b meta-trained as the
Warp-RNN's, every 30th step):
one 200-step episode on each of 30 goals per meta-step, Adam 1e-3:

  python -m apps.meta_train --config=maze:warp_rnn --workdir=/tmp/maze_warp

The paper's budget is 200,000 meta-steps (GPU-sized); the config's default
is a CPU protocol of 2,000. Evaluation: the mean return of one episode on
each of 100 held-out goals.
"""

from kerasmeta.apps.configs import common
from kerasmeta.apps.configs import execution

# variant -> (model, warp update interval)
VARIANTS = {"rnn": ("recurrent_actor_critic", 1),
            "warp_rnn": ("warp_rnn", 30),
            "hyper_rnn": ("warp_rnn", 1),
            "tnets_rnn": ("tnets_rnn", 30)}


def get_config(variant="rnn"):
  if variant not in VARIANTS:
    raise ValueError(f"Unknown maze variant {variant!r}; expected one of "
                     f"{sorted(VARIANTS)} (the Hebbian baselines of "
                     "WarpGrad's figure 3 are not built).")
  model, interval = VARIANTS[variant]
  config = common.new_config("maze", variant)
  # Miconi's maze as WarpGrad: 11 x 11, 200 steps, +10 at the goal.
  config.maze_size = 11
  config.horizon = 200
  config.goal_reward = 10.0
  config.wall_penalty = 0.0
  # The task learner: a basic RNN of 100 tanh units (warped by a 32-unit
  # meta-LSTM in the Warp-RNN), linear policy and value heads, Miconi's loss.
  config.model = model
  config.hidden_units = 100
  config.meta_units = 32
  config.warp_update_interval = interval
  config.algorithm = "actor_critic"
  config.discount = 0.9
  config.value_coefficient = 0.1
  config.concentration_coefficient = 0.03
  common.add_meta_training_fields(config, meta_batch_size=30,
                                  outer_learning_rate=1e-3,
                                  num_meta_steps=2000)
  # Miconi clips the gradient's global norm to 4 (the RNN's learning
  # otherwise collapses after a few thousand steps at Adam 1e-3).
  config.outer_clipnorm = 4.0
  execution.add_execution_fields(config, log_every=50, checkpoint_every=500)
  common.add_evaluation_fields(config, num_tasks=100)
  return config
