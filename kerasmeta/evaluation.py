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


def query_losses_by_step(learner, tasks, seeds, max_steps,
                         deterministic=False, jit_compile=True):
  """Per-task query losses after 0..max_steps inner steps.

  Args:
    learner: a `MetaLearner`.
    tasks: a batched `Task`.
    seeds: int32 [tasks, 2] mask seeds.
    max_steps: the largest number of inner steps.
    deterministic: masks at their most probable value.
    jit_compile: compile the evaluation with XLA.

  Returns:
    A numpy array [tasks, max_steps + 1].
  """
  names = tuple(f"step_{i}" for i in range(max_steps + 1))

  def per_task(task, seed):
    _, _, trajectory = learner.adapt(task, seed, num_steps=max_steps,
                                     deterministic=deterministic,
                                     return_trajectory=True)
    losses = {}
    for step, name in enumerate(names):
      adapted = [values[step] for values in trajectory]
      losses[name] = learner.loss_fn(task.query_y,
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
