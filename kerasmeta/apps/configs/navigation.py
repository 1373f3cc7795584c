# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
r"""MAML's 2-D navigation (Finn et al. 2017, section 5.3, figure 4).

Meta-train (VARIANT: maml, maml_unbiased, maml_code, maml_ppo, maml_trpo,
promp, fomaml, pretrained, pretrained_paper, random):

  python -m apps.meta_train --config=navigation:maml \
      --workdir=/tmp/navigation_maml

then the return after 0..3 policy-gradient steps on 40 held-out goals
(eval.json) and episodes before and after adaptation (eval.png):

  python -m apps.evaluate --workdir=/tmp/navigation_maml

MAML's settings (cbfinn/maml_rl, maml_trpo_point.py): 20 episodes of 100
steps per inner step, one inner step of 0.5 (on the surrogate averaged over
steps, advantages normalised), 40 tasks per meta-step; its outer step was
TRPO (KL 0.01), which "maml_trpo" takes with the paper's budget (100
iterations of 20 goals); the others take Adam, one step per batch, or with
"maml_ppo" five steps on each batch with PPO's clipped surrogate (0.2) as
ProMP meta-trains (config.learner.outer_epochs and outer_clip); "promp"
is ProMP's algorithm (pro-mp_run_point_mass.py: the LVC inner surrogate,
five PPO steps clipped at 0.3, a fixed inner-KL penalty of 5e-4) on this
task's inner settings. "pretrained" trains one policy on all goals jointly
(no inner step) and adapts it at test like the others, for the same 500
meta-steps of 40 goals; "pretrained_paper" is the paper's budget for that
baseline (100 steps of 20 goals, as maml_rl with use_maml=False); "random"
trains nothing (an initialisation; run it with its 0 meta-steps).

Every batch is 20 episodes (40 at test). maml_rl's samplers stop at a
time-step budget instead (20 x 100 = 2,000 steps in training, 4,000 at
test), so that episodes which reach the goal early leave room for more:
`--config.learner.batch_steps=2000 --config.learner.num_episodes=200`
takes that reading in training (num_episodes caps the episodes sampled in
parallel; the metric "budget_filled" says whether they held the budget).
The evaluation then keeps the same 2,000-step budget, of at most
`config.eval.num_episodes` episodes (refused where they cannot hold it),
not the reference test's 4,000.
"""

from kerasmeta.apps.configs import common
from kerasmeta.apps.configs import execution

# variant -> (meta_gradient, inner steps in meta-training, meta-steps,
#             outer epochs per batch of episodes, PPO's clip, goals per
#             meta-step)
VARIANTS = {
    # The estimators of `PolicyGradientMAML`: "maml" the DiCE Hessian
    # (ProMP's formulation I), "maml_unbiased" the gradient of the sampled
    # procedure (with the inner episodes' score term, ProMP's E-MAML),
    # "maml_code" the reference code's.
    "maml": ("dice_hessian", 1, 500, 1, 0.0, 40),
    "maml_unbiased": ("unbiased", 1, 500, 1, 0.0, 40),
    "maml_code": ("maml_code", 1, 500, 1, 0.0, 40),
    "maml_ppo": ("dice_hessian", 1, 500, 5, 0.2, 40),
    "fomaml": ("first_order", 1, 500, 1, 0.0, 40),
    "pretrained": ("first_order", 0, 500, 1, 0.0, 40),
    # The paper's pretrained baseline (maml_rl with use_maml=False): one
    # Adam step on pre-update episodes per iteration, 100 iterations of 20
    # goals.
    "pretrained_paper": ("first_order", 0, 100, 1, 0.0, 20),
    # MAML's own protocol (maml_trpo_point.py, test_maml_point.py): the
    # reference code's estimator, TRPO's outer step (max KL 0.01), 100
    # iterations of 20 goals.
    "maml_trpo": ("maml_code", 1, 100, 1, 0.0, 20),
    # ProMP (Rothfuss et al. 2019; pro-mp_run_point_mass.py).
    "promp": ("lvc", 1, 500, 5, 0.3, 40),
    "random": ("first_order", 0, 0, 1, 0.0, 40),
}


def get_config(variant="maml"):
  if variant not in VARIANTS:
    raise ValueError(f"Unknown navigation variant {variant!r}; expected one "
                     f"of {sorted(VARIANTS)}.")
  (meta_gradient, inner_steps, meta_steps, epochs, clip,
   meta_batch_size) = VARIANTS[variant]
  config = common.new_config("navigation", variant)
  # The environment: goals uniform in [-0.5, 0.5]^2, reward the negative
  # distance (the reference code's reading), episodes end within 0.01.
  config.horizon = 100
  config.goal_tolerance = 0.01
  config.squared_distance = False
  # The policy: MAML's Gaussian MLP, ReLU units (maml_trpo_point.py); the
  # paper's random initialisation is rllab's default policy, tanh units
  # (test_maml_point.py). Its std is floored at 1e-6 as rllab's.
  config.model = "gaussian_mlp"
  config.hidden_sizes = (100, 100)
  config.activation = "tanh" if variant == "random" else "relu"
  config.initial_std = 1.0
  config.min_std = 1e-6
  trpo = dict(max_kl=0.01, cg_iterations=10, cg_damping=1e-5,
              backtrack_ratio=0.8, max_backtracks=15)  # rllab's
  common.add_learner_fields(
      config, "maml_trpo" if variant == "maml_trpo" else "maml_rl",
      **(trpo if variant == "maml_trpo" else {}), inner_learning_rate=0.5,
      num_inner_steps=inner_steps, meta_gradient=meta_gradient,
      num_episodes=20, discount=0.99, gae_lambda=1.0, baseline="linear",
      normalize_advantages=True, outer_epochs=epochs, outer_clip=clip,
      inner_kl_penalty=5e-4 if variant == "promp" else 0.0,
      inner_kl_target=0.0, batch_steps=0)
  common.add_meta_training_fields(config, meta_batch_size=meta_batch_size,
                                  outer_learning_rate=1e-3,
                                  num_meta_steps=meta_steps)
  execution.add_execution_fields(config, log_every=10, checkpoint_every=50)
  # The reference test (test_maml_point.py): 40 goals, 0..3 steps of 40
  # episodes each, the first step at 0.5 and the later ones at 0.25.
  common.add_evaluation_fields(config, num_tasks=40, num_inner_steps=3,
                               inner_learning_rate=0.5,
                               later_learning_rate=0.25, num_episodes=40,
                               num_plot_tasks=4)
  return config
