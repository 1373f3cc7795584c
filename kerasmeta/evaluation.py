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


def query_losses_by_step(learner, tasks, seeds, max_steps,
                         deterministic=False, jit_compile=True, metric=None):
  """Per-task query losses (or `metric`) after 0..max_steps inner steps.

  Args:
    learner: a `MetaLearner`.
    tasks: a batched `Task`.
    seeds: int32 [tasks, 2] mask seeds.
    max_steps: the largest number of inner steps.
    deterministic: masks at their most probable value.
    jit_compile: compile the evaluation with XLA.
    metric: `(y_true, y_pred) -> scalar` (default: the learner's loss).

  Returns:
    A numpy array [tasks, max_steps + 1].
  """
  metric = metric or learner.loss_fn
  names = tuple(f"step_{i}" for i in range(max_steps + 1))

  def per_task(task, seed):
    _, _, trajectory = learner.adapt(task, seed, num_steps=max_steps,
                                     deterministic=deterministic,
                                     return_trajectory=True)
    losses = {}
    for step, name in enumerate(names):
      adapted = [values[step] for values in trajectory]
      losses[name] = metric(task.query_y,
                            learner.predict(adapted, task.query_x))
    return losses[names[-1]], losses

  @tf.function(jit_compile=jit_compile)
  def run(tasks, seeds):
    return algorithms.map_tasks(per_task, tasks, seeds, names)[1]

  losses = run(tasks, seeds)
  return np.stack([losses[name].numpy() for name in names], axis=1)


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
  accuracies, losses = [], []
  for start in range(0, num_tasks, chunk):
    part = tf.nest.map_structure(lambda t: t[start:start + chunk], episodes)
    part_seeds = seeds[start:start + chunk]
    accuracies.append(query_losses_by_step(
        learner, part, part_seeds, num_steps, deterministic, jit_compile,
        metric=accuracy))
    losses.append(query_losses_by_step(
        learner, part, part_seeds, num_steps, deterministic, jit_compile))
  accuracies, losses = np.concatenate(accuracies), np.concatenate(losses)
  return {"accuracy": summarize(accuracies[:, -1]),
          "loss": summarize(losses[:, -1]),
          "accuracy_by_step": {str(step): summarize(accuracies[:, step])
                               for step in range(num_steps + 1)}}
