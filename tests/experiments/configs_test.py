# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Every config file and variant validates and builds its learner."""

import importlib
import json
import os

import pytest

from kerasmeta import algorithms
from kerasmeta import experiments
from kerasmeta.experiments import _config_upgrades
from kerasmeta.apps import configs
from kerasmeta.apps.configs import common
from tests import helpers

CONFIG_DIR = os.path.dirname(configs.__file__)
HELPERS = ("__init__", "common", "execution")
# Configs of stages other than meta-training, tested with their stage.
OTHER_STAGES = ("glyph_features",)
FEW_SHOT = sorted(common.FEW_SHOT_VARIANTS)
# Episodes refuse the regression-only "pretrained" baseline (tested below).
EPISODES = [v for v in FEW_SHOT if v != "pretrained"]
# config file -> its variants (None: it takes none).
VARIANTS = {
    "sinusoid": FEW_SHOT,
    "glyphs": EPISODES + ["maml,20,5"],
    "omniglot": EPISODES,
    "mini_imagenet": EPISODES,
    "warpgrad_mini_imagenet": ["1", "5"],
    "omniglot_alphabets": EPISODES,
    "continual_sine": ["warpgrad", "sgd", "ewc"],
    "warp_surfaces": [None],
    "leo": ["leo,glyphs,1", "leo,mini,5", "meta_sgd,tiered,1",
            "maml,glyphs,5"],
    "learned_optimizer": ["quadratic", "mlp", "glyphs_mlp"],
    "polynomial": ["mtnet", "mtnet,0", "mtnet,2", "maml,2", "meta_sgd,1",
                   "tnet,2", "mnet,2"],
    "maze": ["rnn", "warp_rnn", "hyper_rnn", "warp_rnn_reference_init",
             "tnets_rnn", "hebb_simple", "warp_rnn_reference_optimizer",
             "hebb_retroactive", "warp_rnn,paper"],
    "navigation": ["maml", "maml_unbiased", "maml_code", "maml_ppo",
                   "fomaml", "pretrained", "pretrained_paper", "maml_trpo",
                   "promp", "random"],
}
# Sizes small enough to build every learner in a moment (no training).
TINY = {
    "mlp": dict(hidden_sizes=(2,)),
    "conv4": dict(filters=2, input_shape=(8, 8, 1)),
    "explicit_warp": dict(warp_hidden_units=2),
    "leo": dict(data_dir="/embeddings"),
    "linear": dict(data_dir="/embeddings"),
    "coordinatewise_lstm": dict(units=(2,)),
    "gaussian_mlp": dict(hidden_sizes=(2,)),
    "recurrent_actor_critic": dict(hidden_units=2),
    "warp_rnn": dict(hidden_units=2, meta_units=2),
    "tnets_rnn": dict(hidden_units=2),
    "hebbian_rnn": dict(hidden_units=2),
}


def test_every_config_file_is_covered():
  files = {name[:-3] for name in os.listdir(CONFIG_DIR)
           if name.endswith(".py")}
  assert files - set(HELPERS) - set(OTHER_STAGES) == set(VARIANTS)


def _config(name, variant):
  module = importlib.import_module(f"kerasmeta.apps.configs.{name}")
  config = module.get_config() if variant is None else module.get_config(
      variant)
  return helpers.set_fields(config, **TINY[config.model])


@pytest.mark.parametrize("name,variant", [
    (name, variant) for name, variants in VARIANTS.items()
    for variant in variants])
def test_every_config_and_variant_builds_its_learner(name, variant):
  config = experiments.validate_config(_config(name, variant))
  learner = experiments.build_learner(config)
  expected = algorithms.get(config.algorithm)
  assert type(learner) is expected  # pylint: disable=unidiomatic-typecheck
  assert learner.checkpoint_items()
  # The learner is built from its own group: every argument is recorded.
  settings = json.loads(json.dumps(learner.get_config(), default=str))
  for name, value in json.loads(json.dumps(config.learner.to_dict())).items():
    assert settings[name] == value, name
  if isinstance(learner, algorithms.WarpGrad):
    assert learner.init_objective == (
        "leap" if "leap" in (variant or "") else "maml")


def test_every_learner_family_is_registered_by_its_name():
  for name, learner_class in algorithms.ALGORITHMS.items():
    assert learner_class.name == name
  assert {"leo", "maml_rl", "actor_critic", "learning_to_learn",
          "continual", "explicit_warp", "warpgrad_offline",
          "warpgrad_continual"} <= set(algorithms.ALGORITHMS)


def test_an_unknown_variant_names_its_config_and_the_choices():
  from kerasmeta.apps.configs import glyphs, omniglot_alphabets  # pylint: disable=g-import-not-at-top
  with pytest.raises(ValueError, match="Unknown glyphs variant 'warpy'; "
                     "expected one of .*'mtnet'"):
    glyphs.get_config("warpy,5,1")
  with pytest.raises(ValueError, match="Unknown omniglot_alphabets variant"):
    omniglot_alphabets.get_config("maml,5,1")


def test_configs_are_built_from_the_helpers_not_from_each_other():
  for name in VARIANTS:
    with open(os.path.join(CONFIG_DIR, f"{name}.py")) as f:
      source = f.read()
    for other in VARIANTS:
      assert f"from kerasmeta.apps.configs import {other}\n" not in source, (
          name, other)


def test_configs_are_found_by_name_by_their_old_path_or_by_any_path(tmp_path):
  glyphs = os.path.join(CONFIG_DIR, "glyphs.py")
  assert configs.resolve("glyphs:mtnet,20,1") == glyphs + ":mtnet,20,1"
  assert configs.resolve("warp_surfaces") == os.path.join(
      CONFIG_DIR, "warp_surfaces.py")
  assert configs.resolve("apps/configs/glyphs.py:maml") == glyphs + ":maml"
  own = tmp_path / "mine.py"
  own.write_text("def get_config(): pass\n")
  assert configs.resolve(f"{own}:variant") == f"{own}:variant"
  assert configs.resolve_argv(["prog", "--config", "glyphs", "--x=1"]) == [
      "prog", "--config", glyphs, "--x=1"]
  with pytest.raises(ValueError, match="Unknown config 'glyph'"):
    configs.resolve("glyph:mtnet")
  with pytest.raises(ValueError, match="No config file 'my/sinusoid.py'"):
    configs.resolve("my/sinusoid.py")  # never silently the packaged one
  assert "common" not in configs.names() and "glyphs" in configs.names()


def test_an_unknown_override_is_named_with_its_near_matches():
  with pytest.raises(ValueError, match=r"Unknown config field "
                     r"'learner.momentun' .*did you mean learner.momentum"):
    configs.check_overrides(["prog", "--config", "sinusoid:warp_maml",
                             "--config.learner.momentun=0.5"])
  with pytest.raises(ValueError, match="Unknown sinusoid variant 'foo'"):
    configs.check_overrides(["prog", "--config=sinusoid:foo"])
  configs.check_overrides(["prog", "--config=glyphs:mtnet",
                           "--config.ways=20", "--config.eval.num_tasks=5"])


def test_an_old_config_with_cell_warp_reads_as_warp_layers():
  old = {"cell": "warp", "task": "sinusoid"}
  assert experiments.config_from_json(json.dumps(old)).to_dict() == {
      "cell": "dense", "warp": True, "task": "sinusoid"}
  plain = experiments.config_from_json(json.dumps({"cell": "mtnet"}))
  assert (plain.cell, plain.warp) == ("mtnet", False)


def test_warpgrad_mini_imagenet_partitions_conv4_as_appendix_h():
  config = experiments.validate_config(_config("warpgrad_mini_imagenet", "1"))
  learner = experiments.build_learner(config)
  def layers_holding(weights):
    ids = {id(w) for w in weights}
    return {layer.name for layer in learner.model.layers
            if any(id(w) in ids for w in layer.trainable_weights)}
  meta = layers_holding(learner.roles.meta)
  adapted = layers_holding(learner.roles.adapted)
  assert meta == {"meta_conv_1", "meta_batch_norm_1", "warp_2", "warp_3",
                  "warp_4"}
  assert adapted == {"conv_2", "conv_3", "conv_4", "batch_norm_2",
                     "batch_norm_3", "batch_norm_4", "logits"}
  assert (config.shots, config.eval.shots) == (5, 1)
  module = importlib.import_module(
      "kerasmeta.apps.configs.warpgrad_mini_imagenet")
  assert module.get_config("5").shots == 15
  assert module.get_config("5").filters == 128


@pytest.mark.parametrize("name", ["glyphs", "omniglot", "mini_imagenet"])
def test_configs_claiming_the_papers_settings_take_the_references_loss(name):
  config = _config(name, "maml")
  learner = experiments.build_learner(experiments.validate_config(config))
  assert learner.inner_loss_scale == config.ways == 5
  config.ways = 20  # as --config.ways=20: the scale follows N
  assert config.learner.inner_loss_scale == 20.0
  if name != "mini_imagenet":
    assert config.head == "average"


def test_a_learner_field_its_algorithm_does_not_take_is_refused():
  config = _config("sinusoid", "warp_maml_offline")
  config.algorithm = "warp_maml"  # online: it has no replay buffer
  with pytest.raises(ValueError, match=r"config.learner.replay_batch_size is "
                     r"not an argument of WarpMAML \(algorithm 'warp_maml'\)"):
    experiments.build_learner(config)
  config = _config("maze", "rnn")
  config.algorithm = "maml"
  with pytest.raises(ValueError, match="Task 'maze' is learned by algorithm "
                     "'actor_critic'; received 'maml'"):
    experiments.validate_config(config)


def test_a_learner_argument_set_at_the_top_level_is_refused():
  config = _config("sinusoid", "maml")
  config.inner_learning_rate = 0.5  # a script of the old layout
  with pytest.raises(ValueError, match="config.inner_learning_rate is an "
                     "argument of the learner: set "
                     "config.learner.inner_learning_rate"):
    experiments.validate_config(config)


# Settings changed on purpose since the fixture was stored: an old run
# keeps its stored value (config name -> {field: the old run's value}).
SETTINGS_CHANGED_SINCE = {
    # The authors' code's optimiser settings and protocol.
    "learned_optimizer:quadratic": {
        "learner.preprocess": "log_and_sign",
        "learner.output_scale": 0.1, "learner.gradient_scale": 1.0,
        "select_checkpoint": None, "eval.num_validation_tasks": None,
        "eval.baselines": None,
        # XLA runs the problems batched as one LSTM batch faster.
        "jit_compile": "off"},
    "learned_optimizer:mlp": {
        "learner.output_scale": 0.1,
        "initializer": "glorot", "select_checkpoint": None,
        "eval.num_validation_tasks": None, "eval.baselines": None},
}


def test_configs_stored_before_the_learner_group_read_as_todays():
  with open(os.path.join(os.path.dirname(__file__), "data",
                         "flat_learner_configs.json")) as f:
    stored = json.load(f)
  for key, fields in stored.items():
    name, variant = key.split(":", 1)
    today = importlib.import_module(
        f"kerasmeta.apps.configs.{name}").get_config(
            *([] if variant == "None" else [variant]))
    upgraded = experiments.flat_fields(json.loads(experiments.config_to_json(
        experiments.config_from_json(json.dumps(fields)))))
    today = experiments.flat_fields(json.loads(
        experiments.config_to_json(today)))
    # A field added since reads as what rebuilds the old run.
    changed = {**_config_upgrades.ADDED_FIELDS.get(today["task"], {}),
               **{f"learner.{name}": value for name, value in
                  _config_upgrades.ADDED_LEARNER_FIELDS.get(
                      today["algorithm"], {}).items()},
               **SETTINGS_CHANGED_SINCE.get(key, {})}
    for name, value in changed.items():
      assert upgraded.get(name) == value, (key, name)
      upgraded[name] = today[name]
    assert upgraded == today, key


def test_an_old_offline_warpgrad_config_reads_as_the_offline_variant():
  old = {"task": "sinusoid", "algorithm": "warp_leap", "variant": "warp_leap",
         "num_inner_steps": 2, "inner_learning_rate": 0.1,
         "warpgrad": {"training_mode": "offline", "buffer_batch_size": 3,
                      "exact": True, "warp_samples": 0, "momentum": 0.0}}
  config = experiments.config_from_json(json.dumps(old))
  assert config.algorithm == "warpgrad_offline" and "warpgrad" not in config
  assert config.learner.to_dict() == {
      "loss": "mse", "num_inner_steps": 2, "inner_learning_rate": 0.1,
      "inner_loss_scale": 1.0, "replay_batch_size": 3,
      "init_objective": "leap", "exact": True, "warp_samples": 0,
      "momentum": 0.0}


def test_episodes_refuse_the_pretrained_variant_and_name_the_baseline():
  with pytest.raises(ValueError, match="glyph_baselines"):
    experiments.validate_config(_config("glyphs", "pretrained"))


def test_leo_configs_take_the_references_tuned_settings_per_setup():
  from kerasmeta.apps.configs import leo  # pylint: disable=g-import-not-at-top
  # deepmind/leo README, "Hyperparameters": outer_lr, l2, orthogonality,
  # dropout, kl, encoder penalty.
  reference = {
      "mini,1": (2.739071e-4, 3.623413e-10, 0.188103, 0.307651, 0.756143,
                 5.756821e-6),
      "mini,5": (4.102361e-4, 8.540338e-9, 1.523998e-3, 0.300299, 0.466387,
                 2.661608e-7),
      "tiered,1": (8.659053e-4, 4.148858e-10, 5.451078e-3, 0.475126,
                   2.034189e-3, 8.302962e-5),
      "tiered,5": (6.110314e-4, 1.690399e-10, 2.481216e-2, 0.415158,
                   1.622811, 2.672450e-5),
      # Elsewhere the reference's config.py defaults.
      "glyphs,1": (1e-4, 1e-8, 1e-3, 0.5, 1e-3, 1e-9),
  }
  for setup, values in reference.items():
    config = leo.get_config(f"leo,{setup}")
    learner = config.learner
    assert (config.outer_learning_rate, learner.l2_penalty_weight,
            learner.orthogonality_penalty_weight, learner.dropout_rate,
            learner.kl_weight, learner.encoder_penalty_weight) == values, (
                setup)
