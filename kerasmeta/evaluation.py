# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Few-shot evaluation as the papers do it.

A fixed set of held-out tasks (600 by default, from a fixed seed); the
query loss after 0, 1, ..., N inner steps; the mean and 95% confidence
interval (1.96 standard errors) over tasks. Tasks whose loss is not finite
(adaptation can diverge) are counted and left out of the mean, never hidden.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Mapping, Optional, Sequence, TYPE_CHECKING

import numpy as np
import tensorflow as tf

from kerasmeta import algorithms
from kerasmeta import precision

if TYPE_CHECKING:
  from kerasmeta._typing import JitCompile, Metric, TaskBatch


def summarize(values: Any) -> dict[str, float]:
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


def accuracy(labels: tf.Tensor, logits: tf.Tensor) -> tf.Tensor:
  """The fraction of `logits` whose argmax is the label."""
  labels = tf.cast(tf.reshape(labels, tf.shape(logits)[:-1]), tf.int64)
  return tf.reduce_mean(tf.cast(tf.equal(tf.argmax(logits, -1), labels),
                                tf.float32))


def metrics_by_step(
    learner: Any, max_steps: int, metrics: Mapping[str, Metric],
    deterministic: bool = False,
    jit_compile: JitCompile = True) -> Callable[..., dict[str, np.ndarray]]:
  """A function `(tasks, seeds) -> {metric: [tasks, max_steps + 1] array}`.

  It adapts each task for 0..max_steps inner steps and evaluates every
  metric `(y_true, y_pred) -> scalar` on the query set after each. Build it
  once and call it on chunks of tasks of one shape: it is traced once.

  `jit_compile`: True, False, or "auto" (XLA as the trainer would use it,
  except on the fast path, where one call per task set never pays XLA's
  compile time back; benchmarks/README.md).
  """
  if jit_compile == "auto" and learner.uses_fast_path:
    jit_compile = False
  jit_compile = precision.resolve_jit_compile(jit_compile, learner.model)
  if learner.uses_fast_path:
    return _batched_metrics_by_step(learner, max_steps, metrics,
                                    deterministic, jit_compile)
  keys = [(name, step) for name in metrics for step in range(max_steps + 1)]
  labels = tuple(f"{name}_{step}" for name, step in keys)

  def per_task(task, seed):
    trajectory = learner.adapt(task, seed=seed, num_steps=max_steps,
                               deterministic=deterministic,
                               return_trajectory=True).trajectory
    values = {}
    for step in range(max_steps + 1):
      predictions = learner.predict([v[step] for v in trajectory],
                                    task.query_x)
      for name, metric in metrics.items():
        values[f"{name}_{step}"] = metric(task.query_y, predictions)
    return values[labels[-1]], values

  @tf.function(jit_compile=jit_compile, autograph=False)
  def run(tasks, seeds):
    return algorithms.map_tasks(per_task, tasks, seeds, labels)[1]

  def call(tasks, seeds):
    values = run(tasks, seeds)
    return {name: np.stack([values[f"{name}_{step}"].numpy()
                            for step in range(max_steps + 1)], axis=1)
            for name in metrics}
  return call


def _batched_metrics_by_step(learner, max_steps, metrics, deterministic,
                             jit_compile):
  """`metrics_by_step` on the learner's fast path: every task of a call
  adapted at once (a task axis on the adapted weights), as meta-training
  runs them. The per-task values equal the general path's (tested)."""
  from kerasmeta.algorithms import task_mappers  # pylint: disable=g-import-not-at-top

  def per_task(metric):
    # kerasmeta's losses know their per-task form; other metrics are
    # mapped over the task axis.
    if hasattr(metric, "per_task"):
      return metric.per_task
    return lambda y_true, y_pred: tf.vectorized_map(
        lambda pair: metric(*pair), (y_true, y_pred))

  per_task_metrics = {name: per_task(metric)
                      for name, metric in metrics.items()}

  @tf.function(jit_compile=jit_compile, autograph=False)
  def run(tasks, seeds):
    mapper = task_mappers.BatchedTasks(learner, learner.inference_training)
    trajectory = learner.adapt_with(
        mapper, tasks, seeds, num_steps=max_steps,
        deterministic=deterministic, return_trajectory=True).trajectory
    values = {name: [] for name in metrics}
    for step in range(max_steps + 1):
      predictions = mapper.predict([v[step] for v in trajectory],
                                   tasks.query_x)
      for name, metric in per_task_metrics.items():
        values[name].append(tf.cast(metric(tasks.query_y, predictions),
                                    tf.float32))
    return {name: tf.stack(columns, axis=1)
            for name, columns in values.items()}

  traced = {}

  def call(tasks, seeds):
    # One trace for every K and number of queries: the points axis is left
    # unknown (tracing the adapted trajectory costs seconds; XLA still
    # compiles each shape it meets).
    signature = (tf.nest.map_structure(
        lambda t: tf.TensorSpec([t.shape[0], None, *t.shape[2:]], t.dtype),
        tasks), tf.TensorSpec(seeds.shape, seeds.dtype))
    key = tuple(map(str, tf.nest.flatten(signature)))
    if key not in traced:
      traced[key] = run.get_concrete_function(*signature)
    return {name: value.numpy()
            for name, value in traced[key](tasks, seeds).items()}
  return call


def query_losses_by_step(learner: Any, tasks: TaskBatch, seeds: tf.Tensor,
                         max_steps: int, deterministic: bool = False,
                         jit_compile: JitCompile = True) -> np.ndarray:
  """Per-task query losses after 0..max_steps inner steps.

  Returns:
    A numpy array [tasks, max_steps + 1].
  """
  evaluate = metrics_by_step(learner, max_steps, {"loss": learner.loss_fn},
                             deterministic, jit_compile)
  return evaluate(tasks, seeds)["loss"]


def evaluate_sinusoid(
    learner: Any, task_distribution_for_shots: Callable[[int], Any],
    shots_list: Sequence[int], num_tasks: int = 600, max_steps: int = 10,
    seed: int = 1234, deterministic: bool = False,
    jit_compile: JitCompile = True) -> dict[str, dict[str, dict[str, float]]]:
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
  evaluate = metrics_by_step(learner, max_steps, {"loss": learner.loss_fn},
                             deterministic, jit_compile)
  for shots in shots_list:
    tasks, seeds, _ = task_distribution_for_shots(shots).evaluation_tasks(
        num_tasks, seed)
    losses = evaluate(tasks, seeds)["loss"]
    results[str(shots)] = {str(step): summarize(losses[:, step])
                           for step in range(max_steps + 1)}
  return results


def evaluate_classification(learner: Any, sampler: Any, num_tasks: int = 600,
                            num_steps: int = 1, seed: int = 1234,
                            deterministic: bool = False,
                            jit_compile: JitCompile = False,
                            chunk: int = 50) -> dict[str, Any]:
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
  episodes, seeds, _ = sampler.evaluation_tasks(num_tasks, seed)
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


def evaluate_surfaces(learner: Any, distribution: Any, num_tasks: int = 200,
                      seed: int = 1234) -> dict[str, Any]:
  """Final losses of gradient descent and WarpGrad on held-out surfaces.

  Both start from each surface's initialisations and take the learner's
  number of steps at its step size; a surface's score is the mean final
  loss over its initialisations.

  Returns:
    `{"gradient_descent", "warpgrad", "initial", "difference"}`
    summaries over surfaces (difference = WarpGrad - gradient descent,
    paired by surface) and `warpgrad_better_fraction`.
  """
  from kerasmeta.tasks import surfaces as surfaces_lib  # pylint: disable=g-import-not-at-top
  tasks = distribution.evaluation_tasks(num_tasks, seed).tasks

  @tf.function
  def final_losses(tasks):
    def one(task):
      task = surfaces_lib.Surface(*task)
      plain, _ = learner.descend(task, task.inits, warped=False)
      warped, _ = learner.descend(task, task.inits)
      value = lambda points: tf.reduce_mean(
          surfaces_lib.surface_value(task, points))
      return value(task.inits), value(plain[-1]), value(warped[-1])
    return tf.map_fn(one, tuple(tasks),
                     fn_output_signature=(tf.float32,) * 3)

  initial, plain, warped = (v.numpy() for v in final_losses(tasks))
  return {"initial": summarize(initial),
          "gradient_descent": summarize(plain),
          "warpgrad": summarize(warped),
          "difference": summarize(warped - plain),
          "warpgrad_better_fraction": float(np.mean(warped < plain))}


def evaluate_continual(
    learner: Any, distribution_for_order: Callable[[Any], Any],
    num_tasks: int = 100, seed: int = 1234,
    learning_rates: Optional[Sequence[float]] = None,
    ewc_strengths: Optional[Sequence[float]] = None,
    validation_seed: int = 4321, num_validation_tasks: int = 50,
    orders: Optional[Mapping[str, Any]] = None) -> dict[str, Any]:
  """Forgetting after a whole task sequence, as in WarpGrad figure 10.

  The learning rate (and EWC strength) is chosen from the grids by the
  mean final loss over sub-tasks on `num_validation_tasks` sequences of
  another seed; the test sequences then give, for each presentation order,
  every sub-task's loss after all K steps (mean, CI over sequences), their
  mean over sub-tasks, and the mean loss curves of figure 10.

  Args:
    learner: a `ContinualLearner`.
    distribution_for_order: `order -> ContinualSineTasks` (None: the
      training order).
    learning_rates: the grid of learning rates (None: the learner's).
    ewc_strengths: the grid of EWC strengths (None: the learner's).
    orders: `{name: order}`; default the training order alone.
  """
  learning_rates = list(learning_rates or [learner.learning_rate])
  ewc_strengths = list(ewc_strengths or [learner.ewc_strength])
  orders = orders or {"sequential": None}
  validation = distribution_for_order(None).evaluation_tasks(
      num_validation_tasks, validation_seed).tasks
  selection = []
  for rate in learning_rates:
    for strength in ewc_strengths:
      losses = learner.validation_curves(validation, rate, strength)
      score = float(np.mean(losses[:, -1])) if np.all(
          np.isfinite(losses[:, -1])) else math.inf
      selection.append({"learning_rate": rate, "ewc_strength": strength,
                        "validation_final_loss": score})
  best = min(selection, key=lambda entry: entry["validation_final_loss"])
  results = {"learning_rate": best["learning_rate"],
             "ewc_strength": best["ewc_strength"], "selection": selection}
  for name, order in orders.items():
    sequences = distribution_for_order(order).evaluation_tasks(
        num_tasks, seed).tasks
    losses = learner.validation_curves(sequences, best["learning_rate"],
                                       best["ewc_strength"])
    final = losses[:, -1]  # [sequences, T]
    results[name] = {
        "order": list(order) if order is not None else None,
        "final_by_subtask": [summarize(final[:, t])
                             for t in range(final.shape[1])],
        "final_mean": summarize(final.mean(axis=1)),
        "mean_curves": np.nanmean(losses, axis=0).tolist(),
    }
  return results
