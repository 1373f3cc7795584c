# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""The maze family: the RNN actor-critic trains, resumes exactly, evaluates."""

import numpy as np
import pytest
import tensorflow as tf

from kerasmeta import experiments
from kerasmeta import training
from kerasmeta.apps.configs import maze
from tests import helpers


def small_config(**overrides):
  config = maze.get_config("rnn")
  config.maze_size = 7
  config.horizon = 15
  config.hidden_units = 8
  config.meta_batch_size = 4
  config.num_meta_steps = 4
  config.log_every = 1
  config.checkpoint_every = 2
  config.eval.num_tasks = 5
  config.jit_compile = "off"
  return helpers.set_fields(config, **overrides)


def test_resuming_gives_the_same_returns_and_weights(tmp_path):
  helpers.assert_resumes_exactly(small_config, tmp_path, ["return", "loss"])


def test_evaluation_reports_the_return_over_held_out_goals(tmp_path):
  config = small_config()
  learner = experiments.build_learner(config)
  results, draw, summary = experiments.evaluate(learner, config, 5, 1234)
  assert results["return"]["num_tasks"] == 5
  assert len(results["per_task"]) == 5
  assert "return over 5 goals" in summary
  draw(str(tmp_path / "eval.png"))
  assert (tmp_path / "eval.png").exists()


def test_warp_rnn_resumes_exactly_mid_accumulation(tmp_path):
  # Warp updates every 3rd step: a checkpoint at step 2 holds two
  # accumulated warp gradients, which the resumed run adds its third to.
  helpers.assert_resumes_exactly(
      lambda: small_config(model="warp_rnn", meta_units=4,
                           warp_update_interval=3, variant="warp_rnn"),
      tmp_path, ["return", "loss"])


@pytest.mark.parametrize("model", ["warp_rnn", "tnets_rnn"])
def test_warp_weights_move_only_every_interval_task_weights_every_step(
    tmp_path, model):
  config = small_config(model=model, meta_units=4,
                        warp_update_interval=3, variant=model,
                        num_meta_steps=1)
  trainer = training.Trainer.from_config(config, str(tmp_path))
  learner = trainer.learner
  snapshot = lambda vs: [v.numpy().copy() for v in vs]
  warp, task = snapshot(learner.warp_variables), snapshot(
      learner.task_variables)
  for step in (1, 2, 3):
    trainer.train(num_steps=step)
    moved = [not np.array_equal(a, b) for a, b in
             zip(warp, snapshot(learner.warp_variables))]
    assert all(moved) == (step == 3) and any(moved) == (step == 3), step
    assert all(not np.array_equal(a, b) for a, b in
               zip(task, snapshot(learner.task_variables)))
    task = snapshot(learner.task_variables)


def test_maze_config_clips_gradients_and_splits_the_warp_optimiser(tmp_path):
  trainer = training.Trainer.from_config(
      small_config(model="warp_rnn", meta_units=4, warp_update_interval=3,
                   variant="warp_rnn"), str(tmp_path))
  groups = trainer.optimizer.optimizers
  assert len(groups) == 2  # task weights and warp: their own Adam each
  assert all(o.global_clipnorm == 4.0 for o in groups)


def test_the_warp_interval_step_compiled_with_xla_matches_the_uncompiled(
    tmp_path):
  # Three steps cross a warp update (interval 2): XLA compiles the
  # gradients; the updates and the accumulation run outside it.
  weights = []
  for jit in ("off", "on"):
    config = small_config(model="warp_rnn", meta_units=4,
                          warp_update_interval=2, variant="warp_rnn",
                          num_meta_steps=3, jit_compile=jit)
    trainer = training.Trainer.from_config(config, str(tmp_path / jit))
    trainer.train()
    weights.append([v.numpy() for v in trainer.learner.trainable_variables])
  for off, on in zip(*weights):
    np.testing.assert_allclose(on, off, rtol=1e-4, atol=1e-5)


def test_a_warp_bias_for_a_model_without_warps_is_refused():
  config = small_config(warp_projection_bias=1.0)  # the plain RNN
  with pytest.raises(ValueError, match="model 'recurrent_actor_critic' has "
                     "none"):
    experiments.validate_config(config)


def test_a_plasticity_rule_for_a_model_without_plasticity_is_refused():
  config = small_config(modulation="retroactive")  # the plain RNN
  with pytest.raises(ValueError, match="modulation sets a Hebbian RNN's"):
    experiments.validate_config(config)


def test_the_reference_optimizer_variant_takes_warpgrads_settings(tmp_path):
  # WarpGrad's maze code: the warp steps with the sum of its interval's
  # gradients, Adam's epsilon 1e-8, no clipping.
  from kerasmeta.algorithms import warp_schemes  # pylint: disable=g-import-not-at-top
  config = maze.get_config("warp_rnn_reference_optimizer")
  assert (config.learner.warp_gradient_reduction, config.outer_epsilon,
          config.outer_clipnorm) == ("sum", 1e-8, 0.0)
  trainer = training.Trainer.from_config(
      small_config(model="warp_rnn", meta_units=4, warp_update_interval=3,
                   variant="warp_rnn", warp_gradient_reduction="sum",
                   outer_epsilon=1e-8, outer_clipnorm=0.0), str(tmp_path))
  assert all(o.global_clipnorm is None and o.epsilon == 1e-8
             for o in trainer.optimizer.optimizers)
  applied = []

  class Recorder:
    def apply(self, gradients, variables):
      del variables
      applied.append([g.numpy() for g in gradients])

  for reduction, expected in (("sum", [3.0, 5.0]), ("mean", [1.5, 2.5])):
    applied.clear()
    state = {"warp_gradients": [tf.zeros([2])],
             "warp_gradients_accumulated": tf.constant(0)}
    for gradient in ([1.0, 2.0], [2.0, 3.0]):
      state = warp_schemes.accumulate(state, [tf.constant(gradient)], 2,
                                      Recorder(), [None], reduction)
    np.testing.assert_allclose(applied[0][0], expected)
