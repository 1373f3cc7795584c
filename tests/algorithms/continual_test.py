# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
import numpy as np
import tensorflow as tf

from kerasmeta import algorithms
from kerasmeta import models
from kerasmeta.algorithms import continual
from kerasmeta.tasks import continual_sine


def _tasks():
  return continual_sine.ContinualSineTasks(num_subtasks=3,
                                           steps_per_subtask=2,
                                           batch_size=3, num_validation=4)


def _sequence(tasks):
  return tasks.sample(tf.constant([1, 2], tf.int64))


def _learner(warp=False, **kwargs):
  model = models.mlp(hidden_sizes=(6, 6), warp=warp,
                     warp_block="residual_tanh", seed=0,
                     kernel_initializer="GlorotUniform")
  return algorithms.ContinualLearner(model, _tasks(), learning_rate=0.05,
                                     **kwargs)


def test_eq19_weights_count_each_subtask_by_its_appearances():
  weights = algorithms.continual_weights(num_subtasks=5, steps_per_subtask=20)
  assert weights.shape == (100, 5)
  # Step 45 is in sub-task 3 (1-based): sub-tasks 1..3 weigh 1/(n (T-i+1)).
  np.testing.assert_allclose(weights[45], [1 / 100, 1 / 80, 1 / 60, 0, 0])
  assert np.all(weights[:20, 1:] == 0)
  # Summed over a sequence, every sub-task carries weight one.
  np.testing.assert_allclose(weights.sum(axis=0), np.ones(5))


def test_warp_objective_of_a_step_weights_the_validation_losses_by_eq19():
  learner = _learner(warp=True, warp_samples=1)
  tasks, sequence = learner.tasks, _sequence(learner.tasks)
  seed = tf.constant([0, 7], tf.int32)
  objective, _ = learner.task_objective(sequence, seed)
  step = int(tf.argsort(tf.random.stateless_uniform([6], seed))[0])
  _, _, trajectory = learner.run(sequence, record=False, keep_trajectory=True)
  theta = [t[step] for t in trajectory]
  stepped, _ = tf.nest.map_structure(tf.identity, (
      continual.warpgrad.warp_objective(
          lambda v: continual.half_squared_error(
              sequence.train_y[step], learner.predict(v,
                                                      sequence.train_x[step])),
          lambda v: v, theta, 0.05)))
  losses = learner.validation_losses(stepped, sequence).numpy()
  weights = algorithms.continual_weights(3, 2)[step]
  # warp_samples = 1 of K = 6 steps: the sum is rescaled by 6.
  np.testing.assert_allclose(objective, 6 * np.dot(weights, losses),
                             rtol=1e-5)
  assert tasks.num_steps == 6


def test_sgd_run_records_each_subtask_loss_and_moves_on_current_data():
  learner = _learner()
  sequence = _sequence(learner.tasks)
  params, losses, trajectory = learner.run(sequence, keep_trajectory=True)
  assert losses.shape == (7, 3) and trajectory[0].shape[0] == 7
  # Step 1 is plain SGD on the first batch.
  with tf.GradientTape() as tape:
    start = learner.initial_values()
    tape.watch(start)
    loss = continual.half_squared_error(
        sequence.train_y[0], learner.predict(start, sequence.train_x[0]))
  expected = [s - 0.05 * g for s, g in zip(start, tape.gradient(loss, start))]
  for value, reference in zip([t[1] for t in trajectory], expected):
    np.testing.assert_allclose(value, reference, rtol=1e-5, atol=1e-7)
  np.testing.assert_allclose(losses[-1], learner.validation_losses(
      params, sequence), rtol=1e-6)


def test_ewc_penalty_holds_weights_near_the_first_subtask_solution():
  sequence = _sequence(_tasks())
  plain = _learner()
  anchored = _learner(ewc_strength=5.0)
  _, _, plain_path = plain.run(sequence, keep_trajectory=True)
  _, _, ewc_path = anchored.run(sequence, keep_trajectory=True)
  # Both agree through sub-task 1 (no penalty yet)...
  for a, b in zip(plain_path, ewc_path):
    np.testing.assert_allclose(a[:3], b[:3], rtol=1e-6)
  # ...and afterwards EWC moves less along high-Fisher directions.
  fisher = anchored._fisher([t[2] for t in ewc_path], sequence, 0, None)  # pylint: disable=protected-access
  drift = lambda path: sum(float(np.sum(f * (t[-1] - t[2]) ** 2))
                           for f, t in zip(fisher, path))
  assert drift(ewc_path) < drift(plain_path)


def test_only_the_warp_is_meta_learned_and_baselines_have_nothing_to_train():
  assert _learner().trainable_variables == []
  warped = _learner(warp=True)
  assert warped.trainable_variables and all(
      id(v) in {id(w) for w in warped.roles.meta}
      for v in warped.trainable_variables)
