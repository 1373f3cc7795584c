"""Truncated backpropagation through time: a learned optimiser's step.

Each meta-step runs one truncation of a `LearningToLearn` learner on a
batch of problems and takes one outer step on its summed losses; the
optimisees' parameters, their LSTM states and the truncation's index carry
over to the next meta-step in variables that the checkpoint saves (a
resumed run continues mid-problem exactly). The problems of a batch stay
the same for `num_truncations` meta-steps (`tasks.RepeatedBatches`); at the
first truncation of each they start from their theta_0 and zero states.
"""

import keras
import tensorflow as tf

from kerasmeta import distribute
from kerasmeta.algorithms import base
from kerasmeta.training import precision
from kerasmeta.training import steps


def truncated_bptt_step(learner, optimizer, strategy, global_batch_size,
                        jit_compile="auto"):
  """The `TrainStep` of a `LearningToLearn` learner."""
  if distribute.is_distributed(strategy):
    raise ValueError("Truncated BPTT runs on one replica (its optimisee "
                     "state lives on it); use the default strategy.")
  if isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
    raise ValueError("Truncated BPTT does not scale losses: train the "
                     "learned optimiser in float32.")
  if global_batch_size is None:
    raise ValueError("Truncated BPTT keeps one state per problem: give the "
                     "meta-batch size.")
  size = int(global_batch_size)
  shapes = [tuple(s) for s in learner.problems.parameter_shapes]
  params = [tf.Variable(tf.zeros([size, *shape]), trainable=False,
                        name=f"optimizee_{i}")
            for i, shape in enumerate(shapes)]
  one_state = learner.initial_state([tf.zeros(s) for s in shapes])
  states = tf.nest.map_structure(
      lambda s: tf.Variable(tf.zeros([size, *s.shape], s.dtype),
                            trainable=False, name="lstm_state"), one_state)
  position = tf.Variable(0, dtype=tf.int64, trainable=False,
                         name="truncation")
  variables = learner.trainable_variables
  problems = learner.problems
  metric_names = learner.metric_names

  def run(batch):
    tasks, _ = batch
    task_type = type(tasks)
    fresh = tf.equal(position, 0)
    start_params = tf.cond(
        fresh,
        lambda: tf.map_fn(
            lambda task: problems.initial_params(task_type(*task)),
            tuple(tasks), fn_output_signature=[
                tf.TensorSpec(s, tf.float32) for s in shapes]),
        lambda: [v.read_value() for v in params])
    start_states = tf.nest.map_structure(
        lambda v: tf.where(fresh, tf.zeros_like(v), v.read_value()), states)
    first_step = tf.cast(position, tf.int32) * learner.truncation
    with tf.GradientTape() as tape:
      def one(elements):
        task, values, state = elements
        return learner.truncation_objective(task_type(*task), list(values),
                                            state, first_step)
      signature = (
          tf.TensorSpec([], tf.float32),
          {name: tf.TensorSpec([], tf.float32) for name in metric_names},
          [tf.TensorSpec(s, tf.float32) for s in shapes],
          tf.nest.map_structure(
              lambda s: tf.TensorSpec(s.shape, s.dtype), one_state))
      losses, metrics, new_params, new_states = tf.map_fn(
          one, (tuple(tasks), start_params, start_states),
          fn_output_signature=signature)
      total = tf.reduce_mean(losses)
    gradients = base.gradients(tape, total, variables)
    out = steps.with_gradient_check(
        gradients, {name: tf.reduce_mean(value)
                    for name, value in metrics.items()})
    optimizer.apply(gradients, variables)
    for variable, value in zip(params, new_params):
      variable.assign(value)
    tf.nest.map_structure(lambda v, value: v.assign(value), states,
                          new_states)
    position.assign((position + 1) % learner.num_truncations)
    return out

  jit = precision.resolve_jit_compile(jit_compile, None)
  step = tf.function(run, jit_compile=jit, autograph=False)
  return steps.TrainStep(step, {"optimizee_params": params,
                                "optimizee_lstm_states": tf.nest.flatten(
                                    states),
                                "truncation": position})
