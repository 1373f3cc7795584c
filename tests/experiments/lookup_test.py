# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Experiments found by name: task families and models."""

import importlib
import json
import os

import ml_collections
import pytest

from kerasmeta.apps.configs import continual_sine as continual_config
from kerasmeta.apps.configs import glyphs as glyphs_config
from kerasmeta.apps.configs import sinusoid as sinusoid_config
from kerasmeta.apps.configs import warp_surfaces as surfaces_config
from kerasmeta import algorithms
from kerasmeta import evaluators
from kerasmeta import experiments
from kerasmeta.experiments import images


@pytest.mark.parametrize("task,module", [
    ("sinusoid", "sinusoid"), ("surfaces", "surfaces"),
    ("continual_sine", "continual_sine"), ("glyphs", "images"),
    ("omniglot", "images"), ("omniglot_alphabets", "images"),
    ("mini_imagenet", "images"), ("tiered_imagenet", "images"),
    ("glyph_embeddings", "embeddings"),
    ("mini_imagenet_embeddings", "embeddings"), ("quadratic", "optimizees"),
    ("digits_mlp", "optimizees")])
def test_each_task_is_found_as_its_family_module(task, module):
  assert experiments.family(task) is importlib.import_module(
      f"kerasmeta.experiments.{module}")


def test_every_family_module_declares_the_whole_interface():
  for task in experiments.known_tasks():
    module = experiments.family(task)
    for name in ("validate_config", "task_distribution", "build_model",
                 "build_learner"):
      assert callable(getattr(module, name, None)), (module.__name__, name)
    assert module.EVALUATOR in evaluators.names(), module.__name__


@pytest.mark.parametrize("task,name,validates", [
    ("sinusoid", "regression", False), ("polynomial", "regression", False),
    ("glyphs", "few_shot", True),
    ("glyph_embeddings", "few_shot_embeddings", True),
    ("surfaces", "surfaces", False), ("continual_sine", "continual", False),
    ("navigation", "returns_after_adaptation", False),
    ("maze", "maze_returns", False), ("quadratic", "optimizee_curves", True)])
def test_each_family_is_measured_by_its_named_evaluator(task, name,
                                                        validates):
  config = ml_collections.ConfigDict({"task": task, "eval": {}})
  chosen = experiments.evaluator(config)
  assert (chosen.name, chosen.validates) == (name, validates)
  assert isinstance(chosen, evaluators.get(name))


def test_a_config_may_name_another_evaluator_and_unknown_names_are_refused():
  config = ml_collections.ConfigDict(
      {"task": "polynomial", "eval": {"evaluator": "few_shot"}})
  assert experiments.evaluator(config).name == "few_shot"
  config.eval.evaluator = "accuracy"
  with pytest.raises(ValueError, match="Unknown evaluator 'accuracy'; "
                     "expected one of .*'regression'"):
    experiments.evaluator(config)


def test_an_evaluator_without_a_score_refuses_validation_by_name():
  config = sinusoid_config.get_config("maml")
  config.select_checkpoint = "validation"
  with pytest.raises(ValueError, match="evaluator 'regression' has none"):
    experiments.validate_config(config)
  chosen = experiments.evaluator(config)
  with pytest.raises(ValueError, match="evaluates on test; received "
                     "split='validation'"):
    chosen.evaluate(None, num_tasks=1, seed=0, split="validation")


def test_a_name_is_registered_once():
  with pytest.raises(ValueError, match="already registered as 'regression'"):
    @evaluators.register("regression")
    class Another(evaluators.Evaluator):  # pylint: disable=unused-variable
      def evaluate(self, learner, **kwargs):
        del learner, kwargs


def test_tasks_mapped_to_the_images_family_are_its_image_tasks():
  mapped = {task for task, module in experiments.TASK_MODULES.items()
            if module == "images"}
  assert mapped == set(images.TASKS)


@pytest.mark.parametrize("task", ["sinewave", "images", "models", "_few_shot",
                                  "kerasmeta.models", "", None])
def test_an_unknown_task_is_rejected_naming_the_known_ones(task):
  with pytest.raises(ValueError, match="Unknown task") as error:
    experiments.family(task)
  for known in experiments.known_tasks():
    assert repr(known) in str(error.value)


def test_a_config_with_an_unknown_task_fails_validation_clearly():
  config = sinusoid_config.get_config("maml")
  config.task = "sinewave"
  with pytest.raises(ValueError, match="Unknown task 'sinewave' in "
                     "config.task; expected one of .*'sinusoid'"):
    experiments.validate_config(config)


def test_models_are_found_by_name_and_unknown_ones_rejected():
  assert experiments.known_models() == ("conv4", "linear", "mlp")
  assert experiments.model_builder("mlp") is importlib.import_module(
      "kerasmeta.experiments.models.mlp").build
  config = sinusoid_config.get_config("maml")
  config.model = "resnet"
  with pytest.raises(ValueError, match="Unknown model 'resnet' in "
                     r"config.model; expected one of \('conv4', 'linear', 'mlp'\)"):
    experiments.validate_config(config)


def test_families_with_one_learner_reject_another_algorithm():
  for config, expected in ((surfaces_config.get_config(), "explicit_warp"),
                           (continual_config.get_config("sgd"),
                            "continual")):
    config.algorithm = "maml"
    with pytest.raises(ValueError, match=f"learned by algorithm "
                       f"'{expected}'; received 'maml'"):
      experiments.validate_config(config)


def test_image_tasks_need_conv4():
  config = glyphs_config.get_config("maml")
  config.model = "mlp"
  with pytest.raises(ValueError, match="needs model 'conv4'; received 'mlp'"):
    experiments.validate_config(config)


def test_counts_are_checked_with_what_was_received():
  config = sinusoid_config.get_config("maml")
  config.shots = 0
  with pytest.raises(ValueError, match="config.shots must be >= 1; "
                     "received 0"):
    experiments.validate_config(config)
  config = surfaces_config.get_config()
  config.meta_batch_size = 0
  with pytest.raises(ValueError, match="config.meta_batch_size must be >= 1"):
    experiments.validate_config(config)


def test_first_order_is_an_argument_and_the_first_order_learners_decide():
  config = sinusoid_config.get_config("maml")
  config.hidden_sizes = (2,)
  assert not experiments.build_learner(config).first_order
  config.learner.first_order = True
  assert experiments.build_learner(config).first_order
  del config.learner["first_order"]
  assert not experiments.build_learner(config).first_order
  for variant in ("fomaml", "reptile", "leap"):
    config = sinusoid_config.get_config(variant)
    config.hidden_sizes = (2,)
    assert config.learner.first_order is False
    learner = experiments.build_learner(config)
    assert isinstance(learner, algorithms.get(variant))
    assert learner.first_order


def test_a_workdir_config_with_the_old_warpgrad_names_still_builds():
  with open(os.path.join(os.path.dirname(__file__), "data",
                         "flat_learner_configs.json")) as f:
    config = json.load(f)["sinusoid:warp_maml"]  # the layout before
  config["warpgrad"]["init_weight"] = config["warpgrad"].pop(
      "init_step_scale")
  del config["warpgrad"]["replay_batch_size"]
  config["warpgrad"]["buffer_batch_size"] = config["warpgrad"].pop(
      "warp_update_interval")
  config["warpgrad"].update(init_weight=0.25, buffer_batch_size=3,
                            training_mode="offline")
  config.update(hidden_sizes=[4], num_meta_steps=1)
  restored = experiments.config_from_json(json.dumps(config))
  learner = experiments.build_learner(restored)
  assert isinstance(learner, algorithms.OfflineWarpGrad)
  assert learner.init_step_scale == 0.25 and learner.init_objective == "maml"
  assert learner.replay_batch_size == 3


def test_each_warpgrad_scheme_is_a_variant_with_only_its_own_option():
  config = sinusoid_config.get_config("warp_leap_continual")
  config.hidden_sizes = (4,)
  config.learner.warp_update_interval = 3
  learner = experiments.build_learner(config)
  assert isinstance(learner, algorithms.ContinualWarpGrad)
  assert learner.warp_update_interval == 3
  assert learner.init_objective == "leap"
  assert "replay_batch_size" not in config.learner
  config.algorithm = "warpgrad_offline"
  with pytest.raises(ValueError, match="config.learner.warp_update_interval "
                     "is not an argument of OfflineWarpGrad"):
    experiments.build_learner(config)
