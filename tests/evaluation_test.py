# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
import math

import numpy as np
import tensorflow as tf

import kerasmeta as km
from kerasmeta import evaluation


def test_summary_is_mean_and_95_percent_interval_over_finite_tasks():
  values = [1.0, 2.0, 3.0, 4.0, float("nan"), float("inf")]
  summary = evaluation.summarize(values)
  assert summary["mean"] == 2.5
  assert summary["num_nonfinite"] == 2
  assert summary["num_tasks"] == 4
  assert summary["median"] == 2.5
  np.testing.assert_allclose(summary["ci95"],
                             1.96 * np.std([1, 2, 3, 4]) / 2)


def test_summary_of_all_diverged_tasks_is_nan_not_an_error():
  summary = evaluation.summarize([float("nan")] * 3)
  assert math.isnan(summary["mean"]) and summary["num_nonfinite"] == 3


def test_losses_by_step_start_at_the_unadapted_loss():
  model = km.models.mlp(hidden_sizes=(8,))
  learner = km.MAML(model, num_inner_steps=1, inner_learning_rate=0.01)
  distribution = km.SinusoidTasks(shots=5)
  tasks, seeds, _ = distribution.evaluation_tasks(6, seed=3)
  losses = evaluation.query_losses_by_step(learner, tasks, seeds, 3,
                                           jit_compile=False)
  assert losses.shape == (6, 4)
  unadapted = [float(np.mean((model(tasks.query_x[i]) - tasks.query_y[i])**2))
               for i in range(6)]
  np.testing.assert_allclose(losses[:, 0], unadapted, rtol=1e-5)
  assert not np.allclose(losses[:, 1], losses[:, 0])


def test_accuracy_counts_argmax_hits():
  logits = np.array([[2.0, 1.0, 0.0], [0.0, 1.0, 3.0], [5.0, 0.0, 0.0],
                     [0.0, 4.0, 1.0]], np.float32)
  labels = np.array([[0], [2], [1], [1]])
  assert float(evaluation.accuracy(labels, logits)) == 0.75


def test_classification_accuracy_is_summarised_per_step():
  from kerasmeta.tasks import episodes
  rng = np.random.default_rng(0)
  images = rng.integers(0, 255, (6, 4, 8, 8, 1)).astype(np.uint8)
  sampler = episodes.EpisodeSampler(images, ways=3, shots=1, queries=2)
  model = km.models.conv4(input_shape=(8, 8, 1), num_classes=3, filters=4)
  learner = km.MAML(model, loss="sparse_softmax_cross_entropy",
                    inner_learning_rate=0.4)
  results = evaluation.evaluate_classification(learner, sampler, num_tasks=7,
                                               num_steps=2, chunk=3)
  assert results["accuracy"]["num_tasks"] == 7
  assert set(results["accuracy_by_step"]) == {"0", "1", "2"}
  assert results["accuracy"] == results["accuracy_by_step"]["2"]
  assert np.isfinite(results["loss"]["mean"])


def test_the_fast_path_evaluates_each_task_as_the_general_path_does():
  import keras  # pylint: disable=g-import-not-at-top
  keras.utils.set_random_seed(3)
  model = km.models.mlp(hidden_sizes=(8, 8), cell="mtnet")
  fast = km.MAML(model, loss="mse", num_inner_steps=1,
                 inner_learning_rate=0.1)
  general = km.MAML(model, loss="mse", num_inner_steps=1,
                    inner_learning_rate=0.1, vectorize=False)
  assert fast.uses_fast_path and not general.uses_fast_path
  metrics = {"loss": fast.loss_fn,
             "mean_abs": lambda y, p: tf.reduce_mean(tf.abs(y - p))}
  for shots in (3, 7):  # one trace serves both
    tasks, seeds, _ = km.SinusoidTasks(shots=shots).evaluation_tasks(6, 1)
    by_fast = evaluation.metrics_by_step(fast, 4, metrics,
                                         jit_compile=False)(tasks, seeds)
    by_general = evaluation.metrics_by_step(general, 4, metrics,
                                            jit_compile=False)(tasks, seeds)
    for name in metrics:
      assert by_fast[name].shape == (6, 5)
      np.testing.assert_allclose(by_fast[name], by_general[name], rtol=1e-5,
                                 atol=1e-6)
