# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Running a learner's meta-step: XLA, distribution, many steps per call.

A learner owns its meta-step (`MetaLearner.train_step`) and the state that
persists between steps (`MetaLearner.train_state`). This module runs it:
the state lives in variables (`TrainState`) that the checkpoint saves, the
step is compiled with XLA as far as the learner allows
(`MetaLearner.compiles_with_xla`), distributed with `strategy.run`, and,
where the task stream makes its batches in the graph, taken many times in
one compiled call.
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple, Optional, TYPE_CHECKING

import keras
import tensorflow as tf

from kerasmeta import distribute
from kerasmeta.algorithms import base
from kerasmeta.tasks import base as tasks_base
from kerasmeta import precision

if TYPE_CHECKING:
  from kerasmeta._typing import JitCompile, Metrics, Nest, OuterOptimizer, Seed

NONFINITE_GRADIENTS = base.NONFINITE_GRADIENTS


class TrainState:
  """A learner's `train_state`, held in variables between meta-steps.

  Args:
    learner: a `MetaLearner`.
    batch_size: tasks per meta-step.
  """

  def __init__(self, learner: base.MetaLearner,
               batch_size: Optional[int]) -> None:
    initial = learner.train_state(batch_size)
    self.variables = {
        name: tf.nest.map_structure(
            lambda value, name=name: tf.Variable(
                value, trainable=False, name=name), value)
        for name, value in initial.items()}

  def read(self) -> Nest:
    """The current values, in `train_state`'s structure."""
    return tf.nest.map_structure(lambda v: v.read_value(), self.variables)

  def write(self, values: Nest) -> None:
    """Assigns a step's new state."""
    tf.nest.map_structure(lambda v, value: v.assign(value), self.variables,
                          values)

  def checkpoint_items(self) -> dict[str, Any]:
    """`{name: variable or list of variables}` for `tf.train.Checkpoint`."""
    return {name: value if isinstance(value, tf.Variable)
            else tf.nest.flatten(value)
            for name, value in self.variables.items()}


def _scale_loss(optimizer):
  return optimizer.scale_loss if isinstance(
      optimizer, keras.optimizers.LossScaleOptimizer) else None


def resolve_jit_compile(learner: base.MetaLearner,
                        jit_compile: JitCompile) -> bool:
  """Whether XLA compiles `learner`'s step: `precision.resolve_jit_compile`,
  "auto" off for learners whose step never compiles.

  Raises:
    ValueError: XLA asked for a learner whose step does not compile.
  """
  if learner.compiles_with_xla not in base.XLA_MODES:
    raise ValueError(f"{type(learner).__name__}.compiles_with_xla must be "
                     f"one of {base.XLA_MODES}; received "
                     f"{learner.compiles_with_xla!r}.")
  if learner.compiles_with_xla == "never":
    if precision.resolve_jit_compile(jit_compile, None) and \
        jit_compile != "auto":
      raise ValueError(
          f"{type(learner).__name__}'s meta-step runs without XLA; received "
          f"jit_compile={jit_compile!r}: use 'auto' or 'off'.")
    return False
  return precision.resolve_jit_compile(jit_compile, learner.model)


def _check_strategy(learner, strategy):
  if distribute.is_distributed(strategy) and not learner.distributes:
    raise ValueError(
        f"{type(learner).__name__}'s meta-step runs on one replica (its "
        "training scheme keeps state on one device); use the default "
        "strategy.")


def _prepare(learner, optimizer, strategy, global_batch_size, jit, state):
  """`(context, whether XLA compiles the whole step, state)` of a step.

  Without distribution, one XLA cluster holds the whole step where the
  learner allows ("step"); otherwise the step compiles the parts it passes
  through `context.compile`.
  """
  distributed = distribute.is_distributed(strategy)
  whole = jit and not distributed and learner.compiles_with_xla == "step"
  compile_part = (lambda fn: fn) if whole or not jit else (
      lambda fn: tf.function(fn, jit_compile=True, autograph=False))
  context = base.StepContext(
      global_batch_size=global_batch_size, scale_loss=_scale_loss(optimizer),
      jit_compile=jit, distributed=distributed, compile=compile_part)
  if state is None:
    with strategy.scope():
      state = TrainState(learner, global_batch_size)
  if distributed and state.variables:
    raise ValueError(
        f"{type(learner).__name__} keeps a train state "
        f"({sorted(state.variables)}), which lives on one replica; use the "
        "default strategy, or declare distributes = False.")
  return context, whole, state


class Step(NamedTuple):
  """A learner's meta-step, built to run.

  Attributes:
    run: `batch -> {metric: scalar}`, metrics as means over the batch (and
      its replicas).
    state: the learner's `TrainState`.
  """
  run: Callable[[Any], dict]
  state: TrainState


def build_step(learner: base.MetaLearner, optimizer: OuterOptimizer,
               strategy: Optional[tf.distribute.Strategy] = None,
               global_batch_size: Optional[int] = None,
               jit_compile: JitCompile = "auto",
               state: Optional[TrainState] = None) -> Step:
  """The compiled meta-step of `learner`: `batch -> metrics`.

  Without distribution, one XLA cluster holds the whole step where the
  learner allows ("step"); otherwise each replica runs the learner's step
  (its gradient computation compiled with XLA through `context.compile`)
  and the optimiser sums gradients across replicas.

  Args:
    learner: a `MetaLearner` built under `strategy.scope()`.
    optimizer: its outer optimiser, built for `trainable_variables`.
    strategy: a `tf.distribute.Strategy` (None: the current one).
    global_batch_size: tasks per meta-step over all replicas (None: each
      batch's own).
    jit_compile: True, False or "auto" (`resolve_jit_compile`).
    state: the `TrainState` to use (None: a new one).

  Returns:
    A `Step`.
  """
  strategy = strategy or tf.distribute.get_strategy()
  _check_strategy(learner, strategy)
  context, whole, state = _prepare(learner, optimizer, strategy,
                                   global_batch_size,
                                   resolve_jit_compile(learner, jit_compile),
                                   state)
  distributed = context.distributed

  def replica_step(batch):
    new_state, metrics = learner.train_step(state.read(), batch, optimizer,
                                            context)
    state.write(new_state)
    return metrics

  if not distributed:
    return Step(_called_directly(tf.function(
        replica_step, jit_compile=whole, autograph=False)), state)

  @tf.function(autograph=False)
  def run(batch):
    metrics = strategy.run(replica_step, args=(batch,))
    # Replicas hold equal numbers of tasks: the mean of their means.
    return {name: strategy.reduce(tf.distribute.ReduceOp.MEAN, value,
                                  axis=None)
            for name, value in metrics.items()}
  return Step(run, state)


def make_train_step(
    learner: base.MetaLearner, optimizer: OuterOptimizer,
    strategy: Optional[tf.distribute.Strategy] = None,
    global_batch_size: Optional[int] = None,
    jit_compile: JitCompile = "auto") -> Callable[[Any], Metrics]:
  """`build_step`'s step as a callable `batch -> metrics`, without
  `NONFINITE_GRADIENTS` (the trainer's check)."""
  run = build_step(learner, optimizer, strategy, global_batch_size,
                   jit_compile).run

  def step(batch):
    metrics = run(batch)
    metrics.pop(NONFINITE_GRADIENTS, None)
    return metrics
  return step


class MultiStep(NamedTuple):
  """Several meta-steps in one compiled call, their tasks made in the graph.

  Attributes:
    run: `(first_batch, num_steps) -> {metric: float32 [max_steps]}`: takes
      meta-steps on batches `first_batch .. first_batch + num_steps - 1` of
      the task stream (int64 and int32 scalars, so one trace serves every
      call); entry i of each metric is step i's mean over tasks (entries
      from `num_steps` on are zero).
    max_steps: the most meta-steps one call takes.
    state: the learner's `TrainState`.
  """
  run: Callable[[Any, Any], dict]
  max_steps: int
  state: TrainState


def makes_tasks_in_graph(learner: base.MetaLearner, tasks: Any,
                         strategy: tf.distribute.Strategy,
                         jit_compile: bool) -> bool:
  """Whether `build_multi_step` can run `learner` on `tasks`.

  The distribution makes its batches in the graph (a
  `tasks.base.TaskStream`, not a `tf.data.Dataset`) and compiles with XLA
  where the steps do (`jit_compile`, resolved), and statistics updates
  (batch norm's running averages) stay on one device.
  """
  return (isinstance(tasks, tasks_base.TaskStream)
          and (tasks.compiles_with_xla or not jit_compile)
          and not (learner.updates_statistics
                   and distribute.is_distributed(strategy)))


def build_multi_step(learner: base.MetaLearner, optimizer: OuterOptimizer,
                     strategy: tf.distribute.Strategy, global_batch_size: int,
                     tasks: tasks_base.TaskStream, seed: Seed, max_steps: int,
                     jit_compile: JitCompile = True,
                     state: Optional[TrainState] = None) -> MultiStep:
  """The learner's step, several times per call, on tasks made in the graph.

  One call runs a bounded loop of meta-steps: each makes its batch of the
  stream (`tasks.batch(seed, batch_index, global_batch_size)`; under a
  distribution strategy each replica makes its own slice of it) and runs
  `learner.train_step` on it. Without distribution the whole loop is one
  XLA computation (where the learner's step compiles whole); with it, the
  loop calls `strategy.run` once per step, as Keras' `steps_per_execution`
  does. The batches are those `tasks.dataset(seed, global_batch_size)`
  yields (their random draws bit for bit, `kerasmeta.sampling`), so the
  weights are those of one step per call on that dataset.

  Args:
    learner: a `MetaLearner` built under `strategy.scope()`.
    optimizer: its outer optimiser, built for `trainable_variables`.
    strategy: a `tf.distribute.Strategy`.
    global_batch_size: tasks per meta-step over all replicas.
    tasks: a distribution with `batch` (`tasks.base.TaskStream`).
    seed: the stream's seed.
    max_steps: the most meta-steps per call.
    jit_compile: True, False or "auto" (`resolve_jit_compile`).
    state: the `TrainState` to use (None: a new one).

  Returns:
    A `MultiStep`.
  """
  _check_strategy(learner, strategy)
  jit = resolve_jit_compile(learner, jit_compile)
  if not makes_tasks_in_graph(learner, tasks, strategy, jit):
    raise ValueError(
        f"{type(learner).__name__} on {type(tasks).__name__} cannot take "
        f"its steps with tasks made in the graph (jit_compile={jit}); use "
        "build_step.")
  max_steps = int(max_steps)
  if max_steps < 1:
    raise ValueError(f"max_steps must be >= 1; received {max_steps}.")
  replicas = strategy.num_replicas_in_sync
  if global_batch_size % replicas:
    raise ValueError(
        f"meta_batch_size ({global_batch_size}) must be a multiple of the "
        f"number of replicas ({replicas}).")
  per_replica = global_batch_size // replicas
  context, whole, state = _prepare(learner, optimizer, strategy,
                                   global_batch_size, jit, state)
  distributed = context.distributed
  names = tuple(learner.metric_names) + (
      () if context.scale_loss is not None else (NONFINITE_GRADIENTS,))

  def replica_step(batch_index, replica):
    batch = tasks.batch(seed, batch_index, global_batch_size,
                        first=replica * per_replica, count=per_replica)
    new_state, metrics = learner.train_step(state.read(), batch, optimizer,
                                            context)
    state.write(new_state)
    if learner.updates_statistics and not distributed:
      learner.update_statistics(*batch)
    return {name: metrics[name] for name in names}

  if distributed:
    run = _distributed_run(replica_step, names, max_steps, strategy)
  else:
    run = _one_device_run(replica_step, names, max_steps, whole)
  return MultiStep(run, max_steps, state)


def _record(buffers, index, metrics):
  """`buffers` with entry `index` of each metric's set to its value."""
  return {name: tf.tensor_scatter_nd_update(
      buffer, [[index]], [tf.cast(metrics[name], tf.float32)])
          for name, buffer in buffers.items()}


def _one_device_run(replica_step, names, max_steps, jit_compile):
  """The loop of `build_multi_step` on one device, one (XLA) function."""
  def one_step(first_batch, index, buffers):
    metrics = replica_step(first_batch + tf.cast(index, tf.int64), 0)
    return _record(buffers, index, metrics)

  @tf.function(jit_compile=jit_compile, autograph=False)
  def run(first_batch, num_steps):
    return _loop(first_batch, num_steps, max_steps, one_step,
                 {name: tf.zeros([max_steps]) for name in names})
  return _called_directly(run)


def _distributed_run(replica_step, names, max_steps, strategy):
  """The loop of `build_multi_step` calling `strategy.run` once a step."""
  def on_replica(batch_index):
    context = tf.distribute.get_replica_context()
    replica = tf.get_static_value(context.replica_id_in_sync_group)
    if replica is None:  # TPUs give a tensor
      replica = context.replica_id_in_sync_group
    return replica_step(batch_index, replica)

  def distributed_step(first_batch, index, buffers):
    metrics = strategy.run(on_replica,
                           args=(first_batch + tf.cast(index, tf.int64),))
    # Replicas hold equal numbers of tasks: the mean of their means.
    return _record(buffers, index, {
        name: strategy.reduce(tf.distribute.ReduceOp.MEAN, metrics[name],
                              axis=None) for name in names})

  @tf.function(autograph=False)
  def run(first_batch, num_steps):
    return _loop(first_batch, num_steps, max_steps, distributed_step,
                 {name: tf.zeros([max_steps]) for name in names})
  return run


def _loop(first_batch, num_steps, max_steps, step_fn, buffers):
  """`buffers = step_fn(first_batch, index, buffers)` for index <
  min(num_steps, max_steps).

  A while loop on a counter, not over `tf.range`: XLA would take a range's
  bound as a compile-time constant and compile once per call size. Written
  out rather than left to autograph: the step functions are traced with
  autograph off, whose conversion of the learners' code took most of a
  trace (seconds) and which kerasmeta's code does not need.
  """
  def body(index, buffers):
    return index + 1, step_fn(first_batch, index, buffers)
  limit = tf.minimum(num_steps, max_steps)
  _, buffers = tf.while_loop(lambda index, _: index < limit, body,
                             (tf.constant(0), buffers))
  return buffers


def _called_directly(function):
  """Calls `function`'s concrete trace for each argument signature directly.

  Arguments keep their shapes, so this skips tf.function's per-call
  dispatch (~80 us, 6% of a sinusoid step). Arguments of other shapes get
  a trace of their own.
  """
  traced = {}

  def call(*args):
    key = tuple((tuple(t.shape), t.dtype) for t in tf.nest.flatten(args))
    if key not in traced:
      traced[key] = function.get_concrete_function(*args)
    return traced[key](*args)
  return call


# The most meta-steps an automatic call takes: calls stop at log lines and
# checkpoints anyway, and each call carries a metrics buffer this long.
MAX_STEPS_PER_CALL = 1000


class CallSizes:
  """Meta-steps per multi-step call: about `_SECONDS_PER_CALL` each, so
  progress, Ctrl-C and SIGTERM are answered within a second, however slow
  the step (or `maximum` each, when `fixed`).

  The first call takes one step (it compiles); the size then follows the
  measured time per step.
  """

  SECONDS_PER_CALL = 0.5

  def __init__(self, maximum: int, fixed: bool = False) -> None:
    self.maximum, self.fixed = maximum, fixed
    self.size = maximum if fixed else 1
    self._calls = 0

  def update(self, count: int, seconds: float) -> None:
    self._calls += 1
    if self.fixed or self._calls < 2:  # the first call compiled
      return
    per_step = max(seconds / count, 1e-7)
    self.size = int(min(self.maximum,
                        max(1, self.SECONDS_PER_CALL / per_step)))
