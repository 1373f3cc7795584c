"""WarpGrad's meta-training schemes that are not one gradient per batch.

* Offline (appendix B, algorithm 2): collect a meta-batch's adaptation
  trajectories into a `ReplayBuffer`, step theta_0 with C, then take one
  warp step per mini-batch of eta parameterisations drawn without
  replacement (`offline_step`).
* Continual (algorithm 3): theta itself is trained on a multi-task loss at
  every meta-step, and phi every eta meta-steps with the warp gradients
  accumulated in between (`continual_step`; the accumulators are the
  learner's train state, `accumulator_state`, which the trainer
  checkpoints).

Both are `WarpGrad.train_step`s, run on one replica and without XLA: XLA
compiles the in-graph optimiser updates again at every call (seconds per
step), while TensorFlow runs a sinusoid step in milliseconds. The
accumulation (`accumulate`) also serves the Warp-RNN's interval step
(`RecurrentActorCritic`).
"""

import tensorflow as tf

from kerasmeta import sampling
from kerasmeta.algorithms import base
from kerasmeta.algorithms import replay


def accumulator_state(variables):
  """Zeroed warp-gradient accumulators of `variables` and their count."""
  return {"warp_gradients": [tf.zeros(v.shape, tf.as_dtype(v.dtype))
                             for v in variables],
          "warp_gradients_accumulated": tf.constant(0, tf.int64)}


def accumulate(state, gradients, interval, optimizer, variables):
  """Adds `gradients` to the accumulators of `state`; every
  `interval`-th call steps `variables` with their mean and zeroes them
  (algorithm 3's phi).

  Returns:
    The new accumulator state.
  """
  sums = [total + gradient for total, gradient in
          zip(state["warp_gradients"], gradients)]
  count = state["warp_gradients_accumulated"] + 1

  def update():
    optimizer.apply([total / interval for total in sums], variables)
    return [tf.zeros_like(total) for total in sums], tf.zeros_like(count)

  sums, count = tf.cond(count >= interval, update, lambda: (sums, count))
  return {"warp_gradients": list(sums), "warp_gradients_accumulated": count}


def check_context(learner, context):
  """Refuses a loss-scaling optimiser (the schemes do not scale losses)."""
  if context.scale_loss is not None:
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


def offline_step(learner, state, batch, optimizer, context):
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


def continual_step(learner, state, batch, optimizer, context):
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
