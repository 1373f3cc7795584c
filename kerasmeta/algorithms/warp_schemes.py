# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""WarpGrad's meta-training schemes that are not one gradient per batch.

* `OfflineWarpGrad` (appendix B, algorithm 2): collect a meta-batch's
  adaptation trajectories into a `ReplayBuffer`, step theta_0 with C, then
  take one warp step per mini-batch of eta parameterisations drawn without
  replacement.
* `ContinualWarpGrad` (algorithm 3): theta itself is trained on a
  multi-task loss at every meta-step, and phi every eta meta-steps with the
  warp gradients accumulated in between (the accumulators are the
  learner's train state, `accumulator_state`, which the trainer
  checkpoints).

Both run on one replica and without XLA: XLA compiles the in-graph
optimiser updates again at every call (seconds per step), while TensorFlow
runs a sinusoid step in milliseconds. The accumulation (`accumulate`) also
serves the Warp-RNN's interval step (`RecurrentActorCritic`).
"""

from __future__ import annotations

from typing import Any, NoReturn, Optional, Sequence, TYPE_CHECKING

import tensorflow as tf

from kerasmeta import sampling
from kerasmeta.algorithms import base
from kerasmeta.algorithms import replay
from kerasmeta.algorithms import warpgrad

if TYPE_CHECKING:
  import keras
  from kerasmeta._typing import Metrics, ScaleLoss, TaskBatch, Variables


def accumulator_state(variables: Variables) -> dict[str, Any]:
  """Zeroed warp-gradient accumulators of `variables` and their count."""
  return {"warp_gradients": [tf.zeros(v.shape, tf.as_dtype(v.dtype))
                             for v in variables],
          "warp_gradients_accumulated": tf.constant(0, tf.int64)}


def accumulate(state: dict[str, Any], gradients: Sequence[tf.Tensor],
               interval: int, optimizer: keras.optimizers.Optimizer,
               variables: Variables, reduction: str = "mean") -> dict[str, Any]:
  """Adds `gradients` to the accumulators of `state`; every
  `interval`-th call steps `variables` with their mean (`reduction="sum"`:
  their sum, as WarpGrad's maze code) and zeroes them (algorithm 3's phi).

  Returns:
    The new accumulator state.
  """
  sums = [total + gradient for total, gradient in
          zip(state["warp_gradients"], gradients)]
  count = state["warp_gradients_accumulated"] + 1

  def update():
    divisor = interval if reduction == "mean" else 1
    optimizer.apply([total / divisor for total in sums], variables)
    return [tf.zeros_like(total) for total in sums], tf.zeros_like(count)

  sums, count = tf.cond(count >= interval, update, lambda: (sums, count))
  return {"warp_gradients": list(sums), "warp_gradients_accumulated": count}


def check_context(learner: base.MetaLearner, context: base.StepContext) -> None:
  """Refuses a loss-scaling optimiser (the schemes do not scale losses)."""
  if context.scale_loss is not None:
    raise ValueError(f"{type(learner).__name__} does not scale losses: use "
                     "mixed_bfloat16, or the online WarpGrad.")


def _map_collect(learner, tasks, seeds):
  """`learner.collect` over a task batch: C, metrics, trajectories, states."""
  mapper = learner.mapped()
  dtype = tf.as_dtype(learner.roles.adapted[0].dtype)
  task_type = type(tasks)

  def one(elements):
    task, seed = elements
    init_loss, metrics, result = learner.collect(mapper, task_type(*task),
                                                 seed)
    return (tf.cast(init_loss, dtype),
            {k: tf.cast(v, tf.float32) for k, v in metrics.items()},
            result.trajectory, result.state_trajectory)

  # Every step's parameters and inner-update state, on a leading axis.
  along = lambda value: tf.TensorSpec(
      [learner.num_inner_steps + 1] + list(value.shape), value.dtype)
  initial = learner.initial_values()
  signature = (
      tf.TensorSpec([], dtype),
      {k: tf.TensorSpec([], tf.float32) for k in learner.collect_metric_names},
      [along(value) for value in initial],
      tf.nest.map_structure(along, learner.collect_transform().init(initial)))
  return tf.map_fn(one, (tuple(tasks), seeds), fn_output_signature=signature)


def _replay_warp_steps(learner, buffer, batches, optimizer, dtype):
  """One warp step per row of `batches` (buffer entries, -1: padding).

  Returns:
    `(the warp losses [rows], 1.0 where a warp gradient was not finite)`.
  """
  mapper = learner.mapped()
  warp_variables = learner.warp_variables
  task_type = type(buffer.tasks)

  def body(index, losses, nonfinite):
    entries = batches[index]
    with tf.GradientTape() as tape:
      def one(entry):
        task, params, state = buffer.entry(tf.maximum(entry, 0))
        value = tf.cast(learner.warp_loss(mapper, task_type(*task), params,
                                          state), dtype)
        return tf.where(entry >= 0, value, tf.zeros([], dtype))
      values = tf.map_fn(one, entries, fn_output_signature=dtype)
      count = tf.reduce_sum(tf.cast(entries >= 0, dtype))
      loss = tf.reduce_sum(values) / count
    gradients = base.gradients(tape, loss, warp_variables)
    optimizer.apply(gradients, warp_variables)
    checked = base.check_gradients(gradients, {})
    return (index + 1, losses.write(index, loss),
            tf.maximum(nonfinite, checked[base.NONFINITE_GRADIENTS]))

  rows = tf.shape(batches)[0]
  _, losses, nonfinite = tf.while_loop(
      lambda index, *_: index < rows, body,
      (tf.constant(0), tf.TensorArray(dtype, size=rows), tf.constant(0.0)))
  return losses.stack(), nonfinite


def offline_step(learner: OfflineWarpGrad, state: dict,
                 batch: tuple[TaskBatch, tf.Tensor],
                 optimizer: keras.optimizers.Optimizer,
                 context: base.StepContext) -> tuple[dict, Metrics]:
  """Algorithm 2: collect a meta-batch, then replay it in mini-batches."""
  check_context(learner, context)
  tasks, seeds = batch
  init_variables = learner.init_variables
  with tf.GradientTape() as tape:
    init_losses, metrics, trajectories, states = _map_collect(
        learner, tasks, seeds)
    init_total = base.mean_over_tasks(init_losses, context.global_batch_size)
  gradients = []
  if init_variables:
    gradients = base.gradients(tape, init_total, init_variables)
    optimizer.apply(gradients, init_variables)
  buffer = replay.ReplayBuffer(tasks, trajectories, states)
  batches = buffer.batches(sampling.fold_in(seeds[0], 202),
                           learner.replay_batch_size)
  warp_losses, warp_nonfinite = _replay_warp_steps(
      learner, buffer, batches, optimizer, trajectories[0].dtype)
  out = {k: tf.reduce_mean(v) for k, v in metrics.items()}
  out["warp_loss"] = tf.cast(tf.reduce_mean(warp_losses), tf.float32)
  out["warp_updates"] = tf.cast(tf.shape(batches)[0], tf.float32)
  out = base.check_gradients(gradients, out)
  out[base.NONFINITE_GRADIENTS] = tf.maximum(out[base.NONFINITE_GRADIENTS],
                                             warp_nonfinite)
  return state, out


def continual_step(learner: ContinualWarpGrad, state: dict,
                   batch: tuple[TaskBatch, tf.Tensor],
                   optimizer: keras.optimizers.Optimizer,
                   context: base.StepContext) -> tuple[dict, Metrics]:
  """Algorithm 3: theta every step (multi-task C), phi every eta steps."""
  check_context(learner, context)
  tasks, _ = batch
  warp_variables = learner.warp_variables
  init_variables = learner.init_variables
  mapper = learner.mapped()
  dtype = tf.as_dtype(learner.roles.adapted[0].dtype)
  with tf.GradientTape(persistent=True) as tape:
    def one(task):
      multitask, warp = learner.continual_losses(mapper, type(tasks)(*task))
      return tf.cast(multitask, dtype), tf.cast(warp, dtype)
    multitask, warp = tf.map_fn(one, tuple(tasks),
                                fn_output_signature=(dtype, dtype))
    init_total = base.mean_over_tasks(multitask, context.global_batch_size)
    warp_total = base.mean_over_tasks(warp, context.global_batch_size)
  warp_gradients = base.gradients(tape, warp_total, warp_variables)
  init_gradients = []
  if init_variables:  # else theta stays fixed
    init_gradients = base.gradients(tape, init_total, init_variables)
    optimizer.apply(init_gradients, init_variables)
  del tape
  state = accumulate(state, warp_gradients, learner.warp_update_interval,
                     optimizer, warp_variables)
  mean = lambda v: tf.cast(tf.reduce_mean(v), tf.float32)
  metrics = {"support_loss": mean(multitask), "query_loss": mean(multitask),
             "warp_loss": mean(warp), "init_loss": mean(multitask)}
  return state, base.check_gradients(init_gradients + warp_gradients,
                                     metrics)


def _refuse_one_gradient(learner: base.MetaLearner) -> NoReturn:
  raise ValueError(
      f"{type(learner).__name__} is not one gradient per batch of tasks: it "
      "trains with its own train_step; the online WarpGrad's "
      "compute_gradients gives the online objective.")


class OfflineWarpGrad(warpgrad.WarpGrad):
  """WarpGrad meta-trained offline (appendix B, algorithm 2).

  Args:
    model: as `WarpGrad`'s.
    replay_batch_size: eta: parameterisations theta_k per warp step, drawn
      from the replay buffer without replacement.
    **kwargs: `WarpGrad` arguments (init_objective, exact, momentum, ...).
  """

  name = "warpgrad_offline"
  metric_names = warpgrad.WarpGrad.metric_names + ("warp_updates",)
  compiles_with_xla = "never"
  distributes = False

  def __init__(self, model: keras.Model, replay_batch_size: int = 1,
               **kwargs: Any) -> None:
    super().__init__(model, **kwargs)
    if int(replay_batch_size) < 1:
      raise ValueError(f"replay_batch_size must be >= 1; received "
                       f"{replay_batch_size}.")
    self.replay_batch_size = int(replay_batch_size)

  def compute_gradients(
      self, tasks: TaskBatch, seeds: Optional[tf.Tensor],
      global_batch_size: Optional[int] = None,
      scale_loss: Optional[ScaleLoss] = None) -> base.MetaGradients:
    _refuse_one_gradient(self)

  def train_step(
      self, state: dict, batch: tuple[TaskBatch, tf.Tensor],
      optimizer: keras.optimizers.Optimizer,
      context: base.StepContext = base.StepContext()) -> tuple[dict, Metrics]:
    """Algorithm 2 on one meta-batch (`offline_step`)."""
    return offline_step(self, state, batch, optimizer, context)


class ContinualWarpGrad(warpgrad.WarpGrad):
  """WarpGrad meta-trained continually (algorithm 3).

  Args:
    model: as `WarpGrad`'s.
    warp_update_interval: eta: meta-steps whose warp gradients are
      accumulated into one warp step.
    **kwargs: `WarpGrad` arguments (init_objective, exact, momentum, ...).
  """

  name = "warpgrad_continual"
  compiles_with_xla = "never"
  distributes = False
  min_inner_steps = 0  # theta is trained directly

  def __init__(self, model: keras.Model, warp_update_interval: int = 1,
               **kwargs: Any) -> None:
    super().__init__(model, **kwargs)
    if int(warp_update_interval) < 1:
      raise ValueError(f"warp_update_interval must be >= 1; received "
                       f"{warp_update_interval}.")
    self.warp_update_interval = int(warp_update_interval)

  def compute_gradients(
      self, tasks: TaskBatch, seeds: Optional[tf.Tensor],
      global_batch_size: Optional[int] = None,
      scale_loss: Optional[ScaleLoss] = None) -> base.MetaGradients:
    _refuse_one_gradient(self)

  def train_state(self, batch_size: Optional[int]) -> dict:
    """The warp-gradient accumulators and their count."""
    del batch_size
    return accumulator_state(self.warp_variables)

  def train_step(
      self, state: dict, batch: tuple[TaskBatch, tf.Tensor],
      optimizer: keras.optimizers.Optimizer,
      context: base.StepContext = base.StepContext()) -> tuple[dict, Metrics]:
    """Algorithm 3 on one meta-batch (`continual_step`)."""
    return continual_step(self, state, batch, optimizer, context)
