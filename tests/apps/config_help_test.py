# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""The command line's help on configs: every config listed, every field of
every config and variant described."""

import pytest

from kerasmeta.apps import config_help
from kerasmeta.apps import configs
from tests.experiments import configs_test


def test_the_list_names_every_config_and_its_variants():
  listed = config_help.list_configs()
  for name in configs.names():
    assert f"\n{name}" in listed
  assert "mtnet" in listed and "maml_trpo" in listed


@pytest.mark.parametrize("name", configs.names())
def test_every_field_of_every_variant_is_described(name):
  undescribed = set()
  for variant in configs_test.VARIANTS.get(name, [None]):
    config = configs.load(name if variant is None else f"{name}:{variant}")
    undescribed |= {field for field, text in
                    config_help.field_descriptions(config).items()
                    if not text}
  assert not undescribed, f"{name}: {sorted(undescribed)}"


def test_a_description_shows_values_and_help():
  text = config_help.describe("sinusoid:mtnet")
  assert "num_meta_steps = 60000" in text
  assert "learner.inner_learning_rate = 0.01" in text
  assert "meta-steps (outer updates)" in text


def test_learner_arguments_are_read_from_the_docstring():
  class Learner:
    """A learner.

    Args:
      rate: the step size,
        over two lines.
      steps (int): how many.
    """

  assert config_help.argument_help(Learner) == {
      "rate": "the step size, over two lines.", "steps": "how many."}


@pytest.mark.parametrize("name", configs.names())
def test_every_config_taking_an_argument_says_what_it_takes(name):
  module = configs.module(name)
  import inspect  # pylint: disable=g-import-not-at-top
  takes = bool(inspect.signature(module.get_config).parameters)
  assert takes == (hasattr(module, "ARGUMENTS") or
                   hasattr(module, "VARIANTS")), name
