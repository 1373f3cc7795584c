# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""The batch-of-tasks structure every task distribution produces."""

from __future__ import annotations

import abc
import collections
from typing import Any, Callable, Optional, Sequence, TYPE_CHECKING, Union

import tensorflow as tf

from kerasmeta import sampling

if TYPE_CHECKING:
  from kerasmeta._typing import IntLike, Nest, Seed, TensorLike


class Task(collections.namedtuple(
    "Task", ["support_x", "support_y", "query_x", "query_y"])):
  """A task (or, with a leading task axis, a batch of tasks).

  Attributes:
    support_x: inputs the learner adapts on, [(tasks,) K, ...].
    support_y: their targets.
    query_x: inputs the adapted learner is evaluated on, [(tasks,) Q, ...].
    query_y: their targets.
  """
  __slots__ = ()


def as_task(task: Union[Task, Sequence[TensorLike], TensorLike],
            support_y: Optional[TensorLike] = None) -> Task:
  """A `Task` from a `Task`, a `(support_x, support_y)` pair, or both arrays.

  Adapting reads only the support set; arrays get empty query fields.

  Args:
    task: a `Task`, a pair, or the support inputs.
    support_y: the support targets, where `task` is the support inputs.
  """
  if isinstance(task, Task):
    if support_y is not None:
      raise TypeError(
          "Received a Task and a second positional argument; a Task brings "
          "its own support_y (pass a mask seed as seed=...).")
    return task
  if support_y is not None:
    task = (task, support_y)
  elif not isinstance(task, (tuple, list)):
    raise TypeError(
        f"Expected a kerasmeta Task, a (support_x, support_y) pair, or "
        f"support_x and support_y; received a {type(task).__name__} alone "
        "(its targets are missing).")
  if len(task) not in (2, 4):
    raise TypeError(f"Expected a (support_x, support_y) pair or the four "
                    f"fields of a Task; received {len(task)} items.")
  fields = [tf.convert_to_tensor(t) for t in task]
  if fields[0].shape.rank is not None and fields[1].shape.rank is not None \
      and fields[0].shape.rank >= 1 and fields[1].shape.rank >= 1 and \
      None not in (fields[0].shape[0], fields[1].shape[0]) and \
      fields[0].shape[0] != fields[1].shape[0]:
    raise ValueError(
        f"support_x and support_y must hold the same number of examples; "
        f"received shapes {fields[0].shape} and {fields[1].shape}.")
  if len(fields) == 2:
    fields += [fields[0][:0], fields[1][:0]]
  return Task(*fields)


class EvaluationTasks(collections.namedtuple(
    "EvaluationTasks", ["tasks", "seeds", "extras"])):
  """A fixed set of held-out tasks, as every `evaluation_tasks` returns it.

  Attributes:
    tasks: the tasks, batched with a leading task axis (a `Task`, or the
      distribution's own structure: `Surface`, `TaskSequence`).
    seeds: the learner seeds of the tasks, int32 [tasks, 2] (what the
      learner samples for task i, e.g. masks, is seeded by `seeds[i]`).
    extras: a dict of what else the distribution knows about each task,
      with a leading task axis (e.g. the seeds of the sinusoids' true
      curves); empty where there is nothing more.
  """
  __slots__ = ()


def validate_task(task: Any, batched: bool = True) -> Any:
  """Checks static shapes; raises a ValueError naming what was received."""
  shapes = {name: tf.TensorShape(getattr(task, name).shape)
            for name in Task._fields}
  rank_offset = 1 if batched else 0
  for name, shape in shapes.items():
    if shape.rank is not None and shape.rank < 1 + rank_offset:
      raise ValueError(
          f"Task.{name} must have rank >= {1 + rank_offset} "
          f"({'[tasks, points, ...]' if batched else '[points, ...]'}); "
          f"received shape {shape}.")
  feature = lambda s: s[1 + rank_offset:]
  if not feature(shapes["support_x"]).is_compatible_with(
      feature(shapes["query_x"])):
    raise ValueError(
        "support_x and query_x must have the same feature shape; received "
        f"support_x {shapes['support_x']} and query_x {shapes['query_x']}.")
  if not feature(shapes["support_y"]).is_compatible_with(
      feature(shapes["query_y"])):
    raise ValueError(
        "support_y and query_y must have the same target shape; received "
        f"support_y {shapes['support_y']} and query_y {shapes['query_y']}.")
  for part in ("support", "query"):
    x, y = shapes[f"{part}_x"], shapes[f"{part}_y"]
    if not x[:1 + rank_offset].is_compatible_with(y[:1 + rank_offset]):
      raise ValueError(
          f"{part}_x and {part}_y must have the same number of "
          f"{'tasks and ' if batched else ''}points; received {part}_x {x} "
          f"and {part}_y {y}.")
  return task


def task_from_points(x: TensorLike, y: TensorLike, shots: int,
                     num_query: Optional[int] = None) -> Task:
  """Splits one task's labelled points into K support and the rest query.

  Args:
    x: inputs, [points, ...].
    y: targets, [points, ...].
    shots: K, the number of support points (the first K).
    num_query: query points (the next ones); None takes all the rest.

  Returns:
    A `Task`.
  """
  x, y = tf.convert_to_tensor(x), tf.convert_to_tensor(y)
  available = x.shape[0]
  if y.shape[0] != available:
    raise ValueError(f"x and y must have the same number of points; received "
                     f"x {x.shape} and y {y.shape}.")
  needed = shots + (num_query or 1)
  if shots < 1 or (available is not None and needed > available):
    raise ValueError(
        f"Asked for K={shots} support points and "
        f"{num_query if num_query else 'at least 1'} query points, but the "
        f"task has {available} points.")
  end = None if num_query is None else shots + num_query
  return Task(x[:shots], y[:shots], x[shots:end], y[shots:end])


def task_seeds(seed: Seed, index: IntLike) -> tuple[tf.Tensor, tf.Tensor]:
  """(data seed, learner seed) of task `index` of the stream `seed`.

  The data seed draws the task itself; the learner seed (int32 [2]) seeds
  what the learner samples for it (masks).
  """
  stream = tf.stack([tf.cast(seed, tf.int64), tf.cast(index, tf.int64)])
  data_seed, learner_seed = tf.unstack(
      sampling.split(stream, 2))
  return data_seed, tf.cast(learner_seed, tf.int32)


def _task_of_index(sample, seed):
  """`index -> (task, learner seed)` of the stream `seed`."""
  def task(index):
    data_seed, learner_seed = task_seeds(seed, index)
    return sample(data_seed), learner_seed
  return task


def task_stream(sample: Callable[[tf.Tensor], Nest], seed: Seed,
                batch_size: int, start_batch: int = 0,
                num_batches: Optional[int] = None) -> tf.data.Dataset:
  """Batches of `(tasks, learner_seeds)` from batch `start_batch` on.

  Task i of the stream is `sample(data seed of (seed, i))`, a pure function
  of (seed, i): a run restarted at batch n sees exactly what an
  uninterrupted one did, and the learner seeds ([batch, 2] int32) go with
  their tasks to whichever replica takes them.

  Args:
    sample: `data_seed -> Task` of one task.
    seed: the stream's seed.
    batch_size: tasks per batch (the batch shape is static).
    start_batch: the first batch.
    num_batches: how many (None: endless).
  """
  if batch_size < 1:
    raise ValueError(f"batch_size must be >= 1; received {batch_size}.")
  start = start_batch * batch_size
  if num_batches is None:
    indices = tf.data.Dataset.counter(start)
  else:
    indices = tf.data.Dataset.range(start, start + num_batches * batch_size)

  return (indices.map(_task_of_index(sample, seed),
                      num_parallel_calls=tf.data.AUTOTUNE,
                      deterministic=True)
          .batch(batch_size, drop_remainder=True)
          .prefetch(tf.data.AUTOTUNE))


def task_batch(sample: Callable[[tf.Tensor], Nest], seed: Seed,
               batch_index: IntLike, batch_size: int, first: IntLike = 0,
               count: Optional[int] = None) -> tuple[Nest, tf.Tensor]:
  """Batch `batch_index` of the stream `seed`, or a slice of it, in the graph.

  Equal to the batch `task_stream(sample, seed, batch_size)` yields at that
  index, bit for bit, with or without XLA (the samplers draw through
  `sampling.uniform`): a trainer that makes its tasks inside its compiled
  steps sees the stream the `tf.data` pipeline gives.

  Args:
    sample: `data_seed -> Task` of one task.
    seed: the stream's seed.
    batch_index: the batch (an int or int64 scalar tensor).
    batch_size: tasks per (global) batch, a Python int.
    first: the first task of the batch to make (a replica's slice starts at
      replica * batch_size / replicas); an int or an integer tensor.
    count: tasks to make, a Python int (None: the rest of the batch).

  Returns:
    `(tasks, learner_seeds)`: the tasks with a leading axis of `count`, and
    int32 [count, 2].
  """
  count = batch_size - first if count is None else count
  if not isinstance(count, int) or count < 1:
    raise ValueError(f"count must be a positive Python int (the batch "
                     f"shape is static); received {count!r}.")
  start = (tf.cast(batch_index, tf.int64) * batch_size
           + tf.cast(first, tf.int64))

  one = _task_of_index(sample, seed)
  # One loop over the tasks, whose body XLA compiles once: drawing the
  # tasks one after another in the graph instead made XLA compile every
  # draw anew (50 s for 25 sinusoids against 16 s; the same speed after).
  indices = start + tf.range(count, dtype=tf.int64)
  signature = tf.nest.map_structure(
      lambda t: tf.TensorSpec(t.shape, t.dtype),
      tf.function(one, autograph=False).get_concrete_function(
          tf.TensorSpec([], tf.int64)).structured_outputs)
  return tf.map_fn(one, indices, fn_output_signature=signature)


class TaskStream(abc.ABC):
  """A task distribution: one task as a pure function of a seed.

  The contract (as learned_optimization's `TaskFamily` declares one): a
  distribution defines `sample(seed)`, and gets the stream both as a
  `tf.data.Dataset` (`dataset`) and made in the graph (`batch`, which the
  trainer calls inside its compiled multi-step calls), and a fixed set of
  held-out tasks (`evaluation_tasks`). `CONTRIBUTING.md` adds one.

  Attributes:
    compiles_with_xla: whether `sample` compiles with XLA (every op has an
      XLA kernel); where it does not, the trainer makes the tasks in the
      graph only for steps run without XLA.
  """

  @abc.abstractmethod
  def sample(self, seed: tf.Tensor) -> Nest:
    """One task, a pure function of `seed` (int64 [2]).

    Every random number is drawn through `kerasmeta.sampling` from `seed`
    (its draws are the same with and without XLA), so that a task is the
    same in the dataset and in the graph, compiled or not, and a resumed
    run sees the tasks an uninterrupted one saw.

    Returns:
      A `Task` of tensors with static shapes (or the distribution's own
      task type: `TaskSequence`, `EnvironmentTask`, an optimisee problem),
      without a task axis.
    """

  compiles_with_xla = True

  def dataset(self, seed: Seed, batch_size: int, start_batch: int = 0,
              num_batches: Optional[int] = None) -> tf.data.Dataset:
    """Batches of `(tasks, learner_seeds)` from batch `start_batch` on
    (`task_stream`)."""
    return task_stream(self.sample, seed, batch_size, start_batch,
                       num_batches)

  def batch(self, seed: Seed, batch_index: IntLike, batch_size: int,
            first: IntLike = 0,
            count: Optional[int] = None) -> tuple[Nest, tf.Tensor]:
    """Batch `batch_index` of `dataset(seed, batch_size)` (or a slice of
    it), made in the graph (`task_batch`)."""
    return task_batch(self.sample, seed, batch_index, batch_size, first,
                      count)

  def evaluation_tasks(self, num_tasks: int, seed: Seed) -> EvaluationTasks:
    """`EvaluationTasks` of the first `num_tasks` tasks of stream `seed`."""
    return evaluation_batch(self.sample, seed, num_tasks)


def evaluation_batch(sample: Callable[[tf.Tensor], Nest], seed: Seed,
                     num_tasks: int) -> EvaluationTasks:
  """`EvaluationTasks`: the first `num_tasks` tasks of stream `seed`.

  A fixed, batched set of held-out tasks: task i is `sample` of the data
  seed of (seed, i), as in `task_stream`; `extras` is empty.
  """
  tasks, seeds = next(iter(task_stream(sample, seed, num_tasks,
                                       num_batches=1)))
  return EvaluationTasks(tasks, seeds, {})


def evaluation_batch_with_data_seeds(sample: Callable[[tf.Tensor], Nest],
                                     seed: Seed,
                                     num_tasks: int) -> EvaluationTasks:
  """`EvaluationTasks` of the first `num_tasks` tasks of stream `seed`, with
  `extras["data_seeds"]`: task i's data seed, from which a distribution of
  curves redraws task i's true function (sinusoids, polynomials).

  Args:
    sample: `data_seed -> Task` of one task.
    seed: the stream's seed.
    num_tasks: how many tasks.
  """
  @tf.function  # traced once: eager map_fn would take seconds
  def make():
    indices = tf.range(num_tasks, dtype=tf.int64)
    data_seeds, learner_seeds = tf.map_fn(
        lambda i: task_seeds(seed, i), indices,
        fn_output_signature=(tf.int64, tf.int32))
    tasks = tf.map_fn(sample, data_seeds,
                      fn_output_signature=Task(*[tf.float32] * 4))
    return tasks, learner_seeds, data_seeds
  tasks, learner_seeds, data_seeds = make()
  return EvaluationTasks(tasks, learner_seeds, {"data_seeds": data_seeds})


class RepeatedBatches(TaskStream):
  """Each batch of `tasks` `times` times in a row: batch b of this stream is
  batch b // times of `tasks`' (truncated backpropagation through time
  optimises one batch of problems over `times` consecutive meta-steps).

  Args:
    tasks: a task distribution (a `TaskStream`).
    times: consecutive meta-steps per batch.
  """

  def __init__(self, tasks: TaskStream, times: int) -> None:
    if int(times) < 1:
      raise ValueError(f"times must be >= 1; received {times}.")
    self.tasks, self.times = tasks, int(times)
    self.compiles_with_xla = tasks.compiles_with_xla

  def sample(self, seed: tf.Tensor) -> Nest:
    return self.tasks.sample(seed)

  def dataset(self, seed: Seed, batch_size: int, start_batch: int = 0,
              num_batches: Optional[int] = None) -> tf.data.Dataset:
    first = start_batch // self.times
    count = None if num_batches is None else \
        (start_batch + num_batches - 1) // self.times - first + 1
    data = self.tasks.dataset(seed, batch_size, first, count)
    data = data.flat_map(lambda tasks, seeds: tf.data.Dataset.from_tensors(
        (tasks, seeds)).repeat(self.times)).skip(start_batch % self.times)
    return data if num_batches is None else data.take(num_batches)

  def batch(self, seed: Seed, batch_index: IntLike, batch_size: int,
            first: IntLike = 0,
            count: Optional[int] = None) -> tuple[Nest, tf.Tensor]:
    return self.tasks.batch(seed, batch_index // self.times, batch_size,
                            first, count)
