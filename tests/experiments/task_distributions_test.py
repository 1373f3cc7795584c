# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Every family's task distribution gives held-out tasks in one structure."""

import numpy as np
import pytest
import tensorflow as tf

from kerasmeta.apps.configs import continual_sine
from kerasmeta.apps.configs import glyphs
from kerasmeta.apps.configs import mini_imagenet
from kerasmeta.apps.configs import omniglot_alphabets
from kerasmeta.apps.configs import sinusoid
from kerasmeta.apps.configs import warp_surfaces
from kerasmeta import experiments
from kerasmeta.tasks import EvaluationTasks
from tests.tasks import alphabets_test
from tests.tasks import image_folder_test

NUM_TASKS = 3


def _sinusoid(tmp_path):
  del tmp_path
  return experiments.task_distribution(sinusoid.get_config("maml"), shots=3)


def _glyphs(tmp_path):
  config = glyphs.get_config("maml,2,1")
  config.update(num_query=2, data_dir=str(tmp_path))
  config.glyphs.update(num_alphabets=10, characters_per_alphabet=3,
                       samples_per_character=4)
  return experiments.task_distribution(config, split="test")


def _image_folder(tmp_path):
  image_folder_test._write_folder(tmp_path, per_class=3)  # pylint: disable=protected-access
  config = mini_imagenet.get_config("maml,2,1")
  config.update(num_query=2, data_dir=str(tmp_path), examples_per_class=3,
                input_shape=(8, 8, 3))
  return experiments.task_distribution(config, split="validation")


def _alphabets(tmp_path):
  config = omniglot_alphabets.get_config()
  config.update(test_alphabets=1, input_shape=(14, 14, 1),
                data_dir=str(tmp_path))
  with alphabets_test._mock([20, 20, 21]):  # pylint: disable=protected-access
    return experiments.task_distribution(config, split="test")


def _surfaces(tmp_path):
  del tmp_path
  config = warp_surfaces.get_config()
  config.num_inits = 2
  return experiments.task_distribution(config)


def _continual_sine(tmp_path):
  del tmp_path
  config = continual_sine.get_config("sgd")
  config.steps_per_subtask = 2
  return experiments.task_distribution(config)


@pytest.mark.parametrize("make,extras", [
    (_sinusoid, {"data_seeds"}), (_glyphs, set()), (_image_folder, set()),
    (_alphabets, {"alphabets"}), (_surfaces, set()),
    (_continual_sine, set())])
def test_evaluation_tasks_are_tasks_seeds_and_extras_of_every_task(
    make, extras, tmp_path):
  distribution = make(tmp_path)
  held_out = distribution.evaluation_tasks(NUM_TASKS, 5)
  assert isinstance(held_out, EvaluationTasks)
  tasks, seeds, found = held_out
  assert seeds.dtype == tf.int32 and tuple(seeds.shape) == (NUM_TASKS, 2)
  for tensor in tf.nest.flatten(tasks):
    assert tensor.shape[0] == NUM_TASKS
  assert isinstance(found, dict) and set(found) == extras
  for tensor in found.values():
    assert tensor.shape[0] == NUM_TASKS
  # Fixed by the seed.
  again = distribution.evaluation_tasks(NUM_TASKS, 5)
  for a, b in zip(tf.nest.flatten(tasks), tf.nest.flatten(again.tasks)):
    np.testing.assert_array_equal(a, b)
  np.testing.assert_array_equal(seeds, again.seeds)


def test_glyph_data_too_small_for_the_evaluation_fails_before_training(
    tmp_path):
  config = glyphs.get_config("maml")
  config.glyphs.num_alphabets = 10
  config.glyphs.characters_per_alphabet = 3
  config.glyphs.samples_per_character = 4
  config.data_dir = str(tmp_path)
  config.num_query = 2
  config.eval.num_query = 15  # more than a class has
  with pytest.raises(ValueError, match="cannot give this config's tasks.*"
                     "Q=15"):
    experiments.check_data(config)
  config.eval.num_query = 2
  experiments.check_data(config)
