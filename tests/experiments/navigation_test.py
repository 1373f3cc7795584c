# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""The navigation family: configs by variant, exact resume, evaluation."""

import numpy as np
import pytest

from kerasmeta import experiments
from kerasmeta import training
from kerasmeta.apps.configs import navigation
from tests import helpers


def small_config(variant="maml", **overrides):
  config = navigation.get_config(variant)
  config.horizon = 10
  config.hidden_sizes = (8,)
  config.learner.num_episodes = 3
  config.meta_batch_size = 3
  config.num_meta_steps = 4
  config.log_every = 1
  config.checkpoint_every = 2
  config.eval.num_tasks = 3
  config.eval.num_episodes = 2
  config.eval.num_inner_steps = 2
  config.eval.num_plot_tasks = 2
  config.jit_compile = "off"  # XLA's compile would take most of the test
  return helpers.set_fields(config, **overrides)


@pytest.mark.parametrize("variant", sorted(navigation.VARIANTS))
def test_every_variant_builds_its_learner(variant):
  config = experiments.validate_config(navigation.get_config(variant))
  learner = experiments.build_learner(small_config(variant))
  meta_gradient, inner_steps, steps, epochs, clip, goals = (
      navigation.VARIANTS[variant])
  assert learner.meta_gradient == meta_gradient
  assert learner.num_inner_steps == inner_steps
  assert (learner.outer_epochs, learner.outer_clip) == (epochs, clip)
  assert learner.distributes == (epochs == 1 and variant != "maml_trpo")
  assert config.learner.num_episodes == 20
  assert (config.num_meta_steps, config.meta_batch_size) == (steps, goals)
  # maml_rl's policies: ReLU units, rllab's default (tanh) for "random";
  # the std floored at 1e-6 as rllab's.
  hidden = learner.model.get_layer("hidden_0").activation.__name__
  assert hidden == ("tanh" if variant == "random" else "relu")
  assert learner.model.get_layer("log_std").min_std == 1e-6


def test_settings_the_family_would_ignore_are_refused():
  with pytest.raises(ValueError, match="gaussian_mlp"):
    experiments.validate_config(small_config(model="mlp"))
  with pytest.raises(ValueError, match="meta_gradient"):
    experiments.validate_config(small_config(meta_gradient="dice"))
  with pytest.raises(ValueError, match="Unknown navigation variant"):
    navigation.get_config("ppo")


# maml and maml_trpo resume through every kind of interruption in
# tests/training/fault_suite_test.py (families policy_gradient and
# policy_gradient_trpo); here the variants whose outer step differs.
@pytest.mark.parametrize("variant,options", [
    ("maml_ppo", {}),
    # ProMP with coefficients that adapt every step (state beyond the
    # weights) and a time-step budget.
    ("promp", {"inner_kl_target": 1e-9, "batch_steps": 20})])
def test_resuming_gives_the_same_returns_and_weights(tmp_path, variant,
                                                     options):
  helpers.assert_resumes_exactly(lambda: small_config(variant, **options),
                                 tmp_path, ["return_before", "return_after"])


def test_evaluation_reports_returns_by_step_and_draws_episodes(tmp_path):
  config = small_config()
  learner = experiments.build_learner(config)
  results, draw, summary = experiments.evaluate(learner, config, 3, 1234)
  assert results["steps"] == [0, 1, 2]
  assert len(results["per_task"]) == 3
  assert all(np.isfinite(r["mean"]) and r["num_tasks"] == 3
             for r in results["return"])
  assert "return after 0..2 steps over 3 goals" in summary
  draw(str(tmp_path / "eval.png"))
  assert (tmp_path / "eval.png").stat().st_size > 10_000
  again = experiments.evaluate(learner, config, 3, 1234).results
  assert again["per_task"] == results["per_task"]  # the same goals and noise


@pytest.mark.slow
def test_a_short_run_raises_the_post_adaptation_return(tmp_path):
  # 200 meta-steps of 8 goals, episodes of 20 steps: the return after one
  # policy-gradient step on 16 held-out goals rises by more than its noise
  # (an untrained policy: -8.0 +- 0.9 there).
  config = small_config(
      "maml", horizon=20, hidden_sizes=(32, 32), num_episodes=10,
      meta_batch_size=8, num_meta_steps=200, outer_learning_rate=3e-3,
      jit_compile="auto", log_every=50, checkpoint_every=200)
  config.eval.num_episodes, config.eval.num_inner_steps = 10, 1
  trainer = training.Trainer.from_config(config, str(tmp_path))
  before = experiments.evaluate(trainer.learner, config, 16, 1234).results
  trainer.train()
  after = experiments.evaluate(trainer.learner, config, 16, 1234).results
  gain = after["return"][1]["mean"] - before["return"][1]["mean"]
  assert gain > 1.5, (before["return"], after["return"])
