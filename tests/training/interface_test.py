# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""The trainer calls a learner only through `MetaLearner`'s declared members."""

import os
import sys

import numpy as np
import pytest
import tensorflow as tf

import kerasmeta as km
from kerasmeta import training
from kerasmeta.algorithms import base

DECLARED = base.TRAINER_MEMBERS
TRAINING = os.path.dirname(training.__file__)


class RecordingLearner(base.MetaLearner):
  """A meta-learned constant whose attribute reads from `training/` are
  recorded; it keeps a step counter as its train state."""

  name = "recording"
  metric_names = ("query_loss",)
  updates_statistics = True

  def __init__(self):
    self.value = tf.Variable(0.0)
    self.statistic = tf.Variable(0.0, trainable=False)
    self.read_by_training = set()

  def __getattribute__(self, name):
    caller = sys._getframe(1).f_code.co_filename  # pylint: disable=protected-access
    if caller.startswith(TRAINING):
      object.__getattribute__(self, "read_by_training").add(name)
    return object.__getattribute__(self, name)

  @property
  def trainable_variables(self):
    return [self.value]

  def checkpoint_items(self):
    return {"value": self.value, "statistic": self.statistic}

  def compute_gradients(self, tasks, seeds, global_batch_size=None,
                        scale_loss=None):
    with tf.GradientTape() as tape:
      losses = tf.reduce_mean(tf.square(tasks.query_y - self.value),
                              axis=[1, 2])
      objective = base.mean_over_tasks(losses, global_batch_size, scale_loss)
    return base.MetaGradients(tape.gradient(objective, [self.value]),
                              {"query_loss": tf.reduce_mean(losses)})

  def train_state(self, batch_size):
    return {"steps": tf.constant(0, tf.int64)}

  def train_step(self, state, batch, optimizer, context=base.StepContext()):
    state, metrics = super().train_step(state, batch, optimizer, context)
    return {"steps": state["steps"] + 1}, metrics

  def update_statistics(self, tasks, seeds):
    self.statistic.assign_add(1.0)


@pytest.mark.parametrize("in_graph", [True, False])
def test_the_trainer_reads_only_declared_members(tmp_path, in_graph):
  learner = RecordingLearner()
  tasks = km.SinusoidTasks(shots=5)
  if not in_graph:
    tasks = tasks.dataset(seed=0, batch_size=2)
  trainer = training.Trainer(learner, tasks, str(tmp_path),
                             meta_batch_size=2, checkpoint_every=3,
                             log_every=2, seed=0 if in_graph else None)
  assert (trainer._steps is not None) == in_graph  # pylint: disable=protected-access
  trainer.train(5)
  assert learner.read_by_training, "nothing was recorded"
  assert learner.read_by_training <= DECLARED, (
      learner.read_by_training - DECLARED)
  # The train state was carried from step to step and checkpointed.
  reader = tf.train.load_checkpoint(trainer.manager.latest_checkpoint)
  saved = {name.split("/")[0]: name for name in
           reader.get_variable_to_shape_map()}
  assert reader.get_tensor(saved["steps"]) == 5
  assert float(learner.statistic.numpy()) == 5.0
  np.testing.assert_array_less(0.0, abs(float(learner.value.numpy())))


def test_the_declared_members_are_members_of_the_base_class():
  for name in DECLARED:
    assert hasattr(base.MetaLearner, name), name
