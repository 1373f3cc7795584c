"""Few-shot evaluation as the papers do it.

A fixed set of held-out tasks (600 by default, from a fixed seed); the
query loss after 0, 1, ..., N inner steps; the mean and 95% confidence
interval (1.96 standard errors) over tasks. Tasks whose loss is not finite
(adaptation can diverge) are counted and left out of the mean, never hidden.
"""

import math

import numpy as np
import tensorflow as tf

from kerasmeta import algorithms


def summarize(values):
  """`{"mean", "ci95", "median", "num_tasks", "num_nonfinite"}` of values.

  The mean and CI are over the finite values; `num_nonfinite` counts the
  others. The median shows where a few diverging tasks dominate the mean.
  """
  values = np.asarray(values, np.float64)
  finite = values[np.isfinite(values)]
  count = len(finite)
  mean = float(finite.mean()) if count else math.nan
  ci95 = float(1.96 * finite.std() / math.sqrt(count)) if count > 1 else \
      math.nan
  median = float(np.median(finite)) if count else math.nan
  return {"mean": mean, "ci95": ci95, "median": median,
          "num_tasks": int(count),
          "num_nonfinite": int(len(values) - count)}


def accuracy(labels, logits):
  """The fraction of `logits` whose argmax is the label."""
  labels = tf.cast(tf.reshape(labels, tf.shape(logits)[:-1]), tf.int64)
  return tf.reduce_mean(tf.cast(tf.equal(tf.argmax(logits, -1), labels),
                                tf.float32))


def metrics_by_step(learner, max_steps, metrics, deterministic=False,
                    jit_compile=True):
  """A function `(tasks, seeds) -> {metric: [tasks, max_steps + 1] array}`.

  It adapts each task for 0..max_steps inner steps and evaluates every
  metric `(y_true, y_pred) -> scalar` on the query set after each. Build it
  once and call it on chunks of tasks of one shape: it is traced once.
  """
  keys = [(name, step) for name in metrics for step in range(max_steps + 1)]
  labels = tuple(f"{name}_{step}" for name, step in keys)

  def per_task(task, seed):
    _, _, trajectory = learner.adapt(task, seed, num_steps=max_steps,
                                     deterministic=deterministic,
                                     return_trajectory=True)
    values = {}
    for step in range(max_steps + 1):
      predictions = learner.predict([v[step] for v in trajectory],
                                    task.query_x)
      for name, metric in metrics.items():
        values[f"{name}_{step}"] = metric(task.query_y, predictions)
    return values[labels[-1]], values

  @tf.function(jit_compile=jit_compile)
  def run(tasks, seeds):
    return algorithms.map_tasks(per_task, tasks, seeds, labels)[1]

  def call(tasks, seeds):
    values = run(tasks, seeds)
    return {name: np.stack([values[f"{name}_{step}"].numpy()
                            for step in range(max_steps + 1)], axis=1)
            for name in metrics}
  return call


def query_losses_by_step(learner, tasks, seeds, max_steps,
                         deterministic=False, jit_compile=True):
  """Per-task query losses after 0..max_steps inner steps.

  Returns:
    A numpy array [tasks, max_steps + 1].
  """
  evaluate = metrics_by_step(learner, max_steps, {"loss": learner.loss_fn},
                             deterministic, jit_compile)
  return evaluate(tasks, seeds)["loss"]


def evaluate_sinusoid(learner, task_distribution_for_shots, shots_list,
                      num_tasks=600, max_steps=10, seed=1234,
                      deterministic=False, jit_compile=True):
  """The sinusoid table: for each K, the query loss after 0..max_steps.

  Args:
    learner: a `MetaLearner`.
    task_distribution_for_shots: `K -> SinusoidTasks` with K support points.
    shots_list: the K to evaluate (e.g. 5, 10, 20).
    num_tasks: held-out tasks per K.
    max_steps: largest number of inner steps.
    seed: the held-out task stream's seed.
    deterministic: masks at their most probable value.
    jit_compile: compile with XLA.

  Returns:
    `{"K": {"steps": {"mean": m, "ci95": c, ...}}}` with string keys.
  """
  results = {}
  for shots in shots_list:
    tasks, seeds, _ = task_distribution_for_shots(shots).evaluation_tasks(
        num_tasks, seed)
    losses = query_losses_by_step(learner, tasks, seeds, max_steps,
                                  deterministic, jit_compile)
    results[str(shots)] = {str(step): summarize(losses[:, step])
                           for step in range(max_steps + 1)}
  return results


def evaluate_classification(learner, sampler, num_tasks=600, num_steps=1,
                            seed=1234, deterministic=False, jit_compile=False,
                            chunk=50):
  """Few-shot classification: query accuracy and loss over held-out episodes.

  Args:
    learner: a `MetaLearner` with a classification loss.
    sampler: an `EpisodeSampler` over held-out classes.
    num_tasks: episodes (600 in the papers).
    num_steps: inner steps before the query predictions.
    seed: the episodes' seed.
    deterministic: masks at their most probable value.
    jit_compile: compile with XLA.
    chunk: episodes evaluated at once (bounds memory).

  Returns:
    `{"accuracy": summary, "loss": summary, "accuracy_by_step": {...}}`,
    summaries as `summarize` gives them, after `num_steps` steps.
  """
  episodes, seeds = sampler.evaluation_tasks(num_tasks, seed)
  evaluate = metrics_by_step(
      learner, num_steps, {"accuracy": accuracy, "loss": learner.loss_fn},
      deterministic, jit_compile)
  parts = [evaluate(tf.nest.map_structure(lambda t: t[i:i + chunk], episodes),
                    seeds[i:i + chunk]) for i in range(0, num_tasks, chunk)]
  accuracies = np.concatenate([part["accuracy"] for part in parts])
  losses = np.concatenate([part["loss"] for part in parts])
  return {"accuracy": summarize(accuracies[:, -1]),
          "loss": summarize(losses[:, -1]),
          "accuracy_by_step": {str(step): summarize(accuracies[:, step])
                               for step in range(num_steps + 1)}}
