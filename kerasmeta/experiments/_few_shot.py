# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""What the few-shot families share: a model by name, a `MetaLearner` by name.

Families whose learner is a gradient learner of
`kerasmeta.algorithms.ALGORITHMS` (MAML, Meta-SGD, Reptile, Leap, WarpGrad,
...) around a model of `kerasmeta.experiments.models` take their checks and
builders from here.
"""

from kerasmeta import algorithms
from kerasmeta import experiments
from kerasmeta import models


def validate_config(config):
  """Checks model, cell, algorithm, shots and inner steps; returns config."""
  experiments.model_builder(config.model)
  try:
    models.check_cell(config.cell)
    models.check_mask_initializer(config.get("mask_initializer", "zeros"))
    experiments.check_algorithm(config, GRADIENT_LEARNERS)
  except ValueError as error:
    raise ValueError(f"Bad config: {error}") from None
  experiments.check_at_least(config, 1, "shots")
  experiments.check_at_least(config.learner, 0, "num_inner_steps",
                             group="config.learner")
  return config


# The learners a few-shot family hosts: every gradient learner.
GRADIENT_LEARNERS = tuple(sorted(
    name for name, learner in algorithms.ALGORITHMS.items()
    if issubclass(learner, algorithms.GradientLearner)))


def build_model(config):
  """The model `config.model` names, built from the config's fields."""
  return experiments.model_builder(config.model)(config)


def build_learner(config, model):
  """`algorithms.get(config.algorithm)(model, **config.learner)`.

  The learner's arguments are `config.learner`'s fields as they are: the
  inner loop's (`loss`, `num_inner_steps`, `inner_learning_rate`,
  `inner_loss_scale`, `first_order`, ...) and, for WarpGrad's learners,
  the warp objective's and the scheme's (`exact`, `warp_samples`,
  `init_step_scale`, `replay_batch_size`, ...).
  """
  return experiments.learner_from_config(
      config, model, algorithms_allowed=GRADIENT_LEARNERS)
