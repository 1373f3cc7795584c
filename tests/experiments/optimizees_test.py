# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Learned optimisers' experiments: a short run, the evaluation's curves
and baselines tuned on validation problems only."""

import json

import numpy as np

from kerasmeta import experiments
from kerasmeta import inner
from kerasmeta import training
from kerasmeta.apps.configs import learned_optimizer
from kerasmeta.experiments import optimizees as family
from kerasmeta.tasks import optimizees


def _config():
  config = learned_optimizer.get_config("quadratic")
  config.update(num_meta_steps=20, meta_batch_size=4, log_every=10,
                checkpoint_every=10)
  config.learner.update(num_steps=10, truncation=5, units=(8,))
  config.eval.update(num_tasks=6, num_steps=20, num_validation_problems=3,
                     learning_rates=(0.003, 0.03))
  return experiments.validate_config(config)


def test_a_short_run_evaluates_against_tuned_baselines(tmp_path):
  config = _config()
  trainer = training.Trainer.from_config(config, str(tmp_path))
  trainer.train()
  results, draw, summary = experiments.evaluate(trainer.learner, config,
                                               num_tasks=6, seed=3)
  trained = results["trained_optimizee"]
  assert set(trained) == {"lstm", "sgd", "nesterov", "rmsprop", "adam"}
  for name, method in trained.items():
    assert set(method["loss_at_step"]) == {"10", "20"}, name
    assert method["loss_at_step"]["20"]["num_tasks"] == 6
    assert len(method["mean_curve"]) == 21
  assert "lstm" in summary
  # Each baseline's rate is the grid's best on the validation problems.
  problems = family.problems(config)
  validation = problems.evaluation_tasks(3, 3 + 1).tasks
  for name in ("sgd", "adam"):
    scores = {rate: family._mean_loss(family.loss_curves(  # pylint: disable=protected-access
        problems, inner.classic_optimizer(name, rate), validation, 10))
              for rate in (0.003, 0.03)}
    assert trained[name]["learning_rate"] == min(scores, key=scores.get)
  draw(str(tmp_path / "curves.png"))
  assert (tmp_path / "curves.png").stat().st_size > 0
  # The optimiser kept is the one of the lowest validation loss.
  scores = [json.loads(line) for line in
            (tmp_path / "checkpoints" / "scores.jsonl").read_text().splitlines()]
  assert [score["step"] for score in scores] == [10, 20]
  best = json.loads((tmp_path / "checkpoints" / "best.json").read_text())
  assert best["score"] == max(score["score"] for score in scores)
  validation = experiments.evaluator(config).evaluate(
      trainer.learner, num_tasks=20, seed=config.eval.seed,
      split="validation").results
  assert -validation["mean_loss"] == scores[-1]["score"]


def test_mlp_problems_are_held_out_on_the_test_images():
  config = learned_optimizer.get_config("mlp")
  for split in ("train", "validation", "test"):
    x, _ = optimizees.load_digits(split)
    np.testing.assert_array_equal(
        family.problems(config, split=split).x, x)
  assert family.problems(config).initializer == "normal"


def test_loss_curves_start_at_theta_0_and_follow_the_transform():
  config = _config()
  problems = family.problems(config)
  held_out = problems.evaluation_tasks(2, 0).tasks
  curves = family.loss_curves(problems, inner.classic_optimizer("sgd", 0.0),
                              held_out, 5)
  assert curves.shape == (2, 6)
  np.testing.assert_allclose(curves, curves[:, :1] * np.ones((1, 6)))
