r"""Miconi's maze (WarpGrad section 4.2 c.1, appendix I): the RNN baseline.

Meta-train the recurrent actor-critic (learning to reinforcement learn):
one 200-step episode on each of 30 goals per meta-step, Adam 1e-3:

  python -m apps.meta_train --config=maze:rnn --workdir=/tmp/maze_rnn

The paper's budget is 200,000 meta-steps (GPU-sized); the config's default
is a CPU protocol of 2,000. Evaluation: the mean return of one episode on
each of 100 held-out goals.
"""

from kerasmeta.apps.configs import common
from kerasmeta.apps.configs import execution

VARIANTS = ("rnn",)


def get_config(variant="rnn"):
  if variant not in VARIANTS:
    raise ValueError(f"Unknown maze variant {variant!r}; expected one of "
                     f"{VARIANTS} (the Warp-RNN and the other baselines of "
                     "WarpGrad's figure 3 are not built yet).")
  config = common.new_config("maze", variant)
  # Miconi's maze as WarpGrad: 11 x 11, 200 steps, +10 at the goal.
  config.maze_size = 11
  config.horizon = 200
  config.goal_reward = 10.0
  config.wall_penalty = 0.0
  # The task learner: a basic RNN of 100 tanh units, linear policy and
  # value heads, Miconi's loss.
  config.model = "recurrent_actor_critic"
  config.hidden_units = 100
  config.algorithm = "actor_critic"
  config.discount = 0.9
  config.value_coefficient = 0.1
  config.concentration_coefficient = 0.03
  common.add_meta_training_fields(config, meta_batch_size=30,
                                  outer_learning_rate=1e-3,
                                  num_meta_steps=2000)
  execution.add_execution_fields(config, log_every=50, checkpoint_every=500)
  common.add_evaluation_fields(config, num_tasks=100)
  return config
