# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""`run_meta_learner_test`: the checks every meta-learner must pass.

In the manner of Keras' `run_layer_test`: one call runs a learner through
the contract of `MetaLearner` and fails with a message naming the check.

```python
km.testing.run_meta_learner_test(
    lambda **kwargs: km.MAML(make_float64_model(), **kwargs), tasks, seeds)
```
"""

from __future__ import annotations

import os
import tempfile
from typing import Any, Callable, Optional, TYPE_CHECKING

import keras
import numpy as np
import tensorflow as tf

from kerasmeta import inner
from kerasmeta.algorithms import base
from kerasmeta.algorithms import gradient_learner
from kerasmeta.training import steps

if TYPE_CHECKING:
  from kerasmeta._typing import TaskBatch


def run_meta_learner_test(
    make_learner: Callable[..., base.MetaLearner], tasks: TaskBatch,
    seeds: tf.Tensor, *,
    objective_fn: Optional[Callable[[Any, Any, tf.Tensor], tf.Tensor]] = None,
    finite_differences: bool = True, max_entries_per_variable: int = 6,
    fast_path: bool = True, learn_steps: int = 30, learning_rate: float = 0.01,
    learned_metric: Optional[str] = None, means_over_tasks: bool = True,
    compute_gradients: bool = True, rtol: float = 1e-5,
    atol: float = 1e-8) -> base.MetaLearner:
  """Checks a meta-learner against the `MetaLearner` contract.

  Checks, in order:
    1. the interface: one finite gradient per trainable variable, of its
       shape; exactly `metric_names`, finite scalars;
    2. (`means_over_tasks`) metrics and gradients are means over tasks: the
       batch's equal the mean of each task's alone;
    3. (`finite_differences`) the meta-gradient equals central differences
       of the mean objective (use float64 models);
    4. (`fast_path`, where the learner can take it) the fast path gives the
       general path's gradients and metrics;
    5. a checkpoint of `checkpoint_items` restores every variable;
    6. `train_step` from `train_state` returns a state of the same
       structure, shapes and dtypes, and `metric_names` (with the
       non-finite gradient flag, 0 here);
    7. (`learn_steps`) that many Adam steps of `train_step` on the batch
       lower `learned_metric`;
    8. (a learner that overrides `adapt`) `adapt` of the batch's first task
       returns an `inner.AdaptResult`, each of `num_steps` adding one loss,
       and `predict` takes the result as it takes its `params`.

  Args:
    make_learner: `**kwargs -> learner`, a new learner around one shared
      model each call (kwargs: `vectorize` for check 4).
    tasks: a batch of at least two tasks.
    seeds: int32 [tasks, 2].
    objective_fn: `(learner, task, seed) -> scalar objective` of one task
      whose gradient the learner computes; default: `task_objective` of a
      `GradientLearner`.
    finite_differences: run check 3 (off for learners whose gradient is a
      surrogate's, such as Reptile's and Leap's).
    max_entries_per_variable: entries of each variable differenced.
    fast_path: run check 4.
    learn_steps: steps of check 7 (0: skip it).
    learning_rate: Adam's rate in check 7.
    learned_metric: the metric check 7 watches (default: "query_loss" if
      the learner reports it, else its first metric).
    means_over_tasks: run check 2 (off for a learner whose tasks share the
      batch's random draws, such as the actor-critic's one batched
      rollout).
    compute_gradients: run checks 1-4 (off for a learner that trains only
      through its own `train_step`, such as WarpGrad's offline and
      continual schemes, whose `compute_gradients` refuses).
    rtol, atol: tolerances of checks 2-4.

  Returns:
    The learner of checks 1-3 and 5-7.
  """
  learner = make_learner()
  num_tasks = int(seeds.shape[0])
  if num_tasks < 2:
    raise ValueError(f"run_meta_learner_test needs at least 2 tasks; "
                     f"received {num_tasks}.")
  if not isinstance(learner, base.MetaLearner):
    raise AssertionError(f"{type(learner).__name__} is not a MetaLearner.")
  if compute_gradients:
    result = _check_interface(learner, tasks, seeds)
    if means_over_tasks:
      _check_means(learner, tasks, seeds, result, num_tasks, rtol, atol)
    if finite_differences:
      _check_finite_differences(learner, tasks, seeds, result.gradients,
                                objective_fn, max_entries_per_variable, rtol,
                                atol)
    if fast_path:
      _check_fast_path(make_learner, tasks, seeds, rtol, atol)
  _check_checkpoint(learner)
  _check_train_step(learner, tasks, seeds, num_tasks)
  if learn_steps:
    _check_learns(learner, tasks, seeds, learn_steps, learning_rate,
                  learned_metric, compute_gradients)
  if type(learner).adapt is not base.MetaLearner.adapt:
    _check_adapt(learner, tasks, seeds)
  return learner


def _check_adapt(learner, tasks, seeds):
  task = type(tasks)(*[t[0] for t in tasks])
  results = [learner.adapt(task, seed=seeds[0], num_steps=steps)
             for steps in (None, 1, 2)]
  for result in results:
    if not isinstance(result, inner.AdaptResult):
      raise AssertionError(f"adapt returned {type(result).__name__}, not "
                           "inner.AdaptResult.")
  lengths = [int(result.losses.shape[0]) for result in results]
  if lengths[2] - lengths[1] != 1:
    raise AssertionError(f"adapt(num_steps=1) and (num_steps=2) gave "
                         f"{lengths[1]} and {lengths[2]} losses; each step "
                         f"adds one.")
  query_x = getattr(task, "query_x", None)
  if query_x is not None and type(learner).predict is not \
      base.MetaLearner.predict:
    np.testing.assert_allclose(
        learner.predict(results[0], query_x),
        learner.predict(results[0].params, query_x), rtol=1e-6,
        err_msg="predict(adapt(...)) differs from predict(params).")


def _check_interface(learner, tasks, seeds):
  result = learner.compute_gradients(tasks, seeds)
  if not isinstance(result, base.MetaGradients):
    raise AssertionError(f"compute_gradients returned "
                         f"{type(result).__name__}, not MetaGradients.")
  variables = learner.trainable_variables
  if len(result.gradients) != len(variables):
    raise AssertionError(f"{len(result.gradients)} gradients for "
                         f"{len(variables)} trainable variables.")
  for gradient, variable in zip(result.gradients, variables):
    if tuple(gradient.shape) != tuple(variable.shape):
      raise AssertionError(f"Gradient of shape {gradient.shape} for "
                           f"variable {variable.path} of {variable.shape}.")
    if not np.all(np.isfinite(gradient.numpy())):
      raise AssertionError(f"Non-finite gradient for {variable.path}.")
  if set(result.metrics) != set(learner.metric_names):
    raise AssertionError(f"Metrics {sorted(result.metrics)}; metric_names "
                         f"declares {sorted(learner.metric_names)}.")
  for name, value in result.metrics.items():
    if value.shape != () or not np.isfinite(float(value)):
      raise AssertionError(f"Metric {name!r} is {value!r}: not a finite "
                           "scalar.")
  return result


def _one(tasks, index):
  return type(tasks)(*[t[index:index + 1] for t in tasks])


def _check_means(learner, tasks, seeds, result, num_tasks, rtol, atol):
  alone = [learner.compute_gradients(_one(tasks, i), seeds[i:i + 1])
           for i in range(num_tasks)]
  for name, value in result.metrics.items():
    mean = np.mean([float(a.metrics[name]) for a in alone])
    if not np.isclose(float(value), mean, rtol=rtol, atol=atol):
      raise AssertionError(
          f"Metric {name!r} of the batch is {float(value)}; the mean of its "
          f"tasks' is {mean} (metrics must be means over tasks).")
  for index, gradient in enumerate(result.gradients):
    mean = np.mean([a.gradients[index].numpy() for a in alone], axis=0)
    np.testing.assert_allclose(
        gradient.numpy(), mean, rtol=rtol, atol=atol,
        err_msg=f"Gradient {index}: the batch's is not the mean of its "
        "tasks'.")


def _default_objective(learner, task, seed):
  if not isinstance(learner, gradient_learner.GradientLearner):
    raise ValueError("Pass objective_fn for a learner that is not a "
                     "GradientLearner.")
  return learner.task_objective(task, seed)[0]


def _check_finite_differences(learner, tasks, seeds, gradients, objective_fn,
                              max_entries, rtol, atol, epsilon=1e-6):
  objective_fn = objective_fn or _default_objective
  num_tasks = int(seeds.shape[0])

  def objective():
    return np.mean([float(objective_fn(
        learner, type(tasks)(*[t[i] for t in tasks]), seeds[i]))
                    for i in range(num_tasks)])

  for variable, gradient in zip(learner.trainable_variables, gradients):
    original = np.array(variable.numpy())
    if original.dtype != np.float64:
      raise ValueError(f"Finite differences need float64 variables; "
                       f"{variable.path} is {original.dtype}.")
    entries = list(np.ndindex(original.shape))[:max_entries]
    for index in entries:
      values = []
      for sign in (1, -1):
        shifted = original.copy()
        shifted[index] += sign * epsilon
        variable.assign(shifted)
        values.append(objective())
      variable.assign(original)
      expected = (values[0] - values[1]) / (2 * epsilon)
      got = float(gradient.numpy()[index])
      if not np.isclose(got, expected, rtol=rtol, atol=atol):
        raise AssertionError(
            f"Meta-gradient of {variable.path}{list(index)} is {got}; "
            f"finite differences give {expected}.")


def _check_fast_path(make_learner, tasks, seeds, rtol, atol):
  fast = make_learner(vectorize="auto")
  if not (isinstance(fast, gradient_learner.GradientLearner)
          and fast.uses_fast_path):
    return
  general = make_learner(vectorize=False)
  a, b = fast.compute_gradients(tasks, seeds), general.compute_gradients(
      tasks, seeds)
  for index, (x, y) in enumerate(zip(a.gradients, b.gradients)):
    np.testing.assert_allclose(
        x.numpy(), y.numpy(), rtol=rtol, atol=atol,
        err_msg=f"Gradient {index}: the fast path differs from the general "
        "path.")
  for name in a.metrics:
    np.testing.assert_allclose(
        float(a.metrics[name]), float(b.metrics[name]), rtol=rtol, atol=atol,
        err_msg=f"Metric {name!r}: the fast path differs.")


def _check_checkpoint(learner):
  items = learner.checkpoint_items()
  variables = learner.trainable_variables
  saved = [np.array(v.numpy()) for v in variables]
  with tempfile.TemporaryDirectory() as directory:
    path = tf.train.Checkpoint(**items).write(
        os.path.join(directory, "ckpt"))
    for variable in variables:
      variable.assign(variable.numpy() + 1.0)
    tf.train.Checkpoint(**items).read(path).assert_existing_objects_matched()
  for variable, value in zip(variables, saved):
    if not np.array_equal(variable.numpy(), value):
      raise AssertionError(f"{variable.path} was not restored from "
                           "checkpoint_items().")


def _check_train_step(learner, tasks, seeds, num_tasks):
  state = learner.train_state(num_tasks)
  variables = learner.trainable_variables
  saved = [np.array(v.numpy()) for v in variables]
  optimizer = keras.optimizers.SGD(0.0)
  optimizer.build(variables)
  new_state, metrics = learner.train_step(
      state, (tasks, seeds), optimizer,
      base.StepContext(global_batch_size=num_tasks))
  for variable, value in zip(variables, saved):
    variable.assign(value)
  try:
    tf.nest.assert_same_structure(state, new_state)
  except (ValueError, TypeError) as error:
    raise AssertionError(f"train_step changed the train state's "
                         f"structure: {error}") from None
  for old, new in zip(tf.nest.flatten(state), tf.nest.flatten(new_state)):
    old, new = tf.convert_to_tensor(old), tf.convert_to_tensor(new)
    if old.shape != new.shape or old.dtype != new.dtype:
      raise AssertionError(f"train_step returned a state entry of "
                           f"{new.dtype.name} {new.shape} for one of "
                           f"{old.dtype.name} {old.shape}.")
  expected = set(learner.metric_names) | {base.NONFINITE_GRADIENTS}
  if set(metrics) != expected:
    raise AssertionError(f"train_step's metrics are {sorted(metrics)}; "
                         f"expected {sorted(expected)}.")
  if float(metrics[base.NONFINITE_GRADIENTS]) != 0.0:
    raise AssertionError("train_step flags a non-finite gradient.")


def _check_learns(learner, tasks, seeds, num_steps, learning_rate, metric,
                  compute_gradients=True):
  names = learner.metric_names
  metric = metric or ("query_loss" if "query_loss" in names else names[0])
  optimizer = keras.optimizers.Adam(learning_rate)
  optimizer.build(learner.trainable_variables)
  step = steps.make_train_step(learner, optimizer,
                               global_batch_size=int(seeds.shape[0]),
                               jit_compile=False)
  values = [float(step((tasks, seeds))[metric]) for _ in range(num_steps)]
  # The metric of the last step is read before its update: one more read
  # (a learner without compute_gradients: the last step's).
  first, last = values[0], values[-1]
  if compute_gradients:
    last = float(learner.compute_gradients(tasks, seeds).metrics[metric])
  if not last < first:
    raise AssertionError(f"{num_steps} meta-steps did not lower {metric!r}: "
                         f"{first} -> {last}.")
