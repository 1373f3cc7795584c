"""WarpGrad's meta-training schemes that are not one gradient per batch.

* Offline (appendix B, algorithm 2): collect a meta-batch's adaptation
  trajectories into a `ReplayBuffer`, step theta_0 with C, then take one
  warp step per mini-batch of eta parameterisations drawn without
  replacement.
* Continual (algorithm 3): theta itself is trained on a multi-task loss at
  every meta-step, and phi every eta meta-steps with the warp gradients
  accumulated in between (the accumulators are checkpointed).

Both run on one replica and without XLA: XLA compiles the in-graph
optimiser updates again at every call (seconds per step), while TensorFlow
runs a sinusoid step in milliseconds.

* Interval (algorithm 3 with one loss for task and warp, the Warp-RNN's):
  the task variables step at every meta-step and the warp variables every
  eta, from the same gradient. Its gradient computation may be compiled
  with XLA; the updates and the accumulation stay outside it.
"""

import keras
import tensorflow as tf

from kerasmeta import distribute
from kerasmeta import sampling
from kerasmeta.algorithms import base
from kerasmeta.algorithms import replay
from kerasmeta.training import precision
from kerasmeta.training import steps


def _check(learner, optimizer, strategy, jit_compile):
  if jit_compile in (True, "on", "true"):
    raise ValueError(f"WarpGrad's {learner.training_mode} mode runs without "
                     "XLA (see kerasmeta.training.warpgrad_steps); received "
                     f"jit_compile={jit_compile!r}: use 'auto' or 'off'.")
  if distribute.is_distributed(strategy):
    raise ValueError(
        f"WarpGrad's {learner.training_mode} mode runs on one replica; use "
        "training_mode='online' with a distribution strategy.")
  if isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
    raise ValueError(f"WarpGrad's {learner.training_mode} mode does not "
                     "scale losses: use mixed_bfloat16, or the online mode.")


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


def offline_step(learner, optimizer, strategy, global_batch_size,
                 jit_compile="auto"):
  """Algorithm 2: collect a meta-batch, then replay it in mini-batches."""
  _check(learner, optimizer, strategy, jit_compile)
  warp_variables = learner.warp_variables
  init_variables = learner.init_variables
  mapper = learner.mapped()

  @tf.function
  def step(batch):
    tasks, seeds = batch
    with tf.GradientTape() as tape:
      init_losses, metrics, trajectories, states = _map_collect(
          learner, tasks, seeds)
      init_total = base.mean_over_tasks(init_losses, global_batch_size)
    if init_variables:
      optimizer.apply(base.gradients(tape, init_total, init_variables),
                      init_variables)
    buffer = replay.ReplayBuffer(tasks, trajectories, states)
    batches = buffer.batches(
        sampling.fold_in(seeds[0], 202),
        learner.replay_batch_size)
    dtype = trajectories[0].dtype
    warp_losses = tf.TensorArray(dtype, size=tf.shape(batches)[0])
    for index in tf.range(tf.shape(batches)[0]):
      entries = batches[index]
      with tf.GradientTape() as warp_tape:
        def one(entry):
          task, params, state = buffer.entry(tf.maximum(entry, 0))
          value = tf.cast(learner.warp_loss(mapper, type(tasks)(*task),
                                            params, state), dtype)
          return tf.where(entry >= 0, value, tf.zeros([], dtype))
        values = tf.map_fn(one, entries, fn_output_signature=dtype)
        count = tf.reduce_sum(tf.cast(entries >= 0, dtype))
        loss = tf.reduce_sum(values) / count
      optimizer.apply(base.gradients(warp_tape, loss, warp_variables),
                      warp_variables)
      warp_losses = warp_losses.write(index, loss)
    out = {k: tf.reduce_mean(v) for k, v in metrics.items()}
    out["warp_loss"] = tf.cast(tf.reduce_mean(warp_losses.stack()),
                               tf.float32)
    out["warp_updates"] = tf.cast(tf.shape(batches)[0], tf.float32)
    return out
  return steps.TrainStep(step, {})


def _accumulators(variables):
  """Zeroed gradient accumulators of `variables` and their count."""
  return ([tf.Variable(tf.zeros(v.shape, v.dtype), trainable=False,
                       name=f"warp_gradient_{i}")
           for i, v in enumerate(variables)],
          tf.Variable(0, dtype=tf.int64, trainable=False,
                      name="warp_gradients_accumulated"))


def _accumulate(accumulators, accumulated, gradients, interval, optimizer,
                variables):
  """Adds `gradients` to the accumulators; every `interval`-th call steps
  `variables` with their mean and zeroes them (algorithm 3's phi)."""
  for accumulator, gradient in zip(accumulators, gradients):
    accumulator.assign_add(gradient)
  accumulated.assign_add(1)

  def update():
    optimizer.apply([a / interval for a in accumulators], variables)
    with tf.control_dependencies([accumulated.read_value()]):
      for accumulator in accumulators:
        accumulator.assign(tf.zeros_like(accumulator))
      accumulated.assign(0)
    return tf.constant(True)

  # tf.cond, not `if`: callers trace with and without autograph.
  tf.cond(accumulated >= interval, update, lambda: tf.constant(False))


def interval_step(learner, optimizer, strategy, global_batch_size,
                  jit_compile="auto"):
  """Algorithm 3 for a learner with one loss for both (eq. 8: L_task =
  L_meta, as the Warp-RNN's actor-critic): its task variables step at every
  meta-step, its warp variables every `learner.warp_update_interval` steps
  with the mean of the gradients accumulated in between.

  The gradient computation (the episodes and their backpropagation) is
  compiled with XLA where `jit_compile` resolves to it; the optimisers'
  updates and the accumulation (a `tf.cond`) run outside it, which XLA
  would recompile at every call (the module docstring).
  """
  if distribute.is_distributed(strategy):
    raise ValueError("Warp updates every few steps run on one replica; use "
                     "the default strategy.")
  task_variables, warp_variables = learner.task_variables, \
      learner.warp_variables
  accumulators, accumulated = _accumulators(warp_variables)
  interval = learner.warp_update_interval

  def gradients_fn(tasks, seeds):
    gradients, metrics = learner.compute_gradients(
        tasks, seeds, global_batch_size=global_batch_size)
    return gradients, steps.with_gradient_check(gradients, metrics)

  compute = tf.function(
      gradients_fn, autograph=False,
      jit_compile=precision.resolve_jit_compile(jit_compile, learner.model))

  def run(batch):
    tasks, seeds = batch
    gradients, checked = compute(tasks, seeds)
    count = len(task_variables)
    optimizer.apply(gradients[:count], task_variables)
    _accumulate(accumulators, accumulated, gradients[count:], interval,
                optimizer, warp_variables)
    return checked

  return steps.TrainStep(tf.function(run, autograph=False), {
      "warp_gradients": accumulators,
      "warp_gradients_accumulated": accumulated})


def continual_step(learner, optimizer, strategy, global_batch_size,
                   jit_compile="auto"):
  """Algorithm 3: theta every step (multi-task C), phi every eta steps."""
  _check(learner, optimizer, strategy, jit_compile)
  warp_variables = learner.warp_variables
  init_variables = learner.init_variables
  interval = learner.warp_update_interval
  accumulators, accumulated = _accumulators(warp_variables)
  mapper = learner.mapped()
  dtype = tf.as_dtype(learner.roles.adapted[0].dtype)

  @tf.function
  def step(batch):
    tasks, _ = batch
    with tf.GradientTape(persistent=True) as tape:
      def one(task):
        multitask, warp = learner.continual_losses(mapper,
                                                   type(tasks)(*task))
        return tf.cast(multitask, dtype), tf.cast(warp, dtype)
      multitask, warp = tf.map_fn(one, tuple(tasks),
                                  fn_output_signature=(dtype, dtype))
      init_total = base.mean_over_tasks(multitask, global_batch_size)
      warp_total = base.mean_over_tasks(warp, global_batch_size)
    warp_gradients = base.gradients(tape, warp_total, warp_variables)
    if init_variables:  # else theta stays fixed
      optimizer.apply(base.gradients(tape, init_total, init_variables),
                      init_variables)
    del tape
    _accumulate(accumulators, accumulated, warp_gradients, interval,
                optimizer, warp_variables)
    mean = lambda v: tf.cast(tf.reduce_mean(v), tf.float32)
    return {"support_loss": mean(multitask), "query_loss": mean(multitask),
            "warp_loss": mean(warp), "init_loss": mean(multitask)}
  return steps.TrainStep(step, {
      "warp_gradients": accumulators,
      "warp_gradients_accumulated": accumulated})
