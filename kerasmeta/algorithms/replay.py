# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""The replay buffer of offline WarpGrad (appendix B, algorithm 2).

A meta-batch's adaptation trajectories are a Monte-Carlo sample of the task
parameter distribution p(theta | tau) of the warp objective (eq. 7); the
buffer holds every collected theta_k^tau (with the inner update's state
there, e.g. its momentum buffer) and the task it came from, and deals them out in mini-batches of eta sampled
without replacement until it is empty.
"""

from __future__ import annotations

from typing import Optional, Sequence, TYPE_CHECKING

import tensorflow as tf

from kerasmeta import sampling

if TYPE_CHECKING:
  from kerasmeta._typing import IntLike, Nest, Seed


class ReplayBuffer:
  """Task parameterisations collected from a meta-batch's trajectories.

  Args:
    tasks: the batched tasks the trajectories adapted to (any nest of
      `[tasks, ...]` tensors).
    trajectories: one `[tasks, K + 1, ...]` tensor per adapted weight.
    states: None, or the inner update's states along the trajectories, a
      nest of `[tasks, K + 1, ...]` tensors.
  """

  def __init__(self, tasks: Nest, trajectories: Sequence[tf.Tensor],
               states: Optional[Nest] = None) -> None:
    self.tasks = tasks
    shape = tf.shape(trajectories[0])
    self.num_tasks, self.points_per_task = shape[0], shape[1]
    self.size = self.num_tasks * self.points_per_task
    flatten = lambda t: tf.reshape(
        tf.stop_gradient(t), tf.concat([[-1], tf.shape(t)[2:]], 0))
    self.params = [flatten(t) for t in trajectories]
    self.states = None if states is None else tf.nest.map_structure(
        flatten, states)
    entries = tf.range(self.size)
    self.task_index = entries // self.points_per_task
    self.step_index = entries % self.points_per_task

  def batches(self, seed: Seed, batch_size: int) -> tf.Tensor:
    """Every entry once, shuffled, in `[num_batches, batch_size]` indices.

    The last batch is padded with -1 where the buffer does not divide into
    batches of `batch_size`.

    Args:
      seed: a stateless seed, int32 [2].
      batch_size: eta, the entries per warp update.
    """
    if batch_size < 1:
      raise ValueError(f"batch_size must be >= 1; received {batch_size}.")
    order = sampling.choose(seed, self.size, self.size)
    num_batches = (self.size + batch_size - 1) // batch_size
    padding = num_batches * batch_size - self.size
    order = tf.concat([order, -tf.ones([padding], tf.int32)], 0)
    return tf.reshape(order, [num_batches, batch_size])

  def entry(self,
            index: IntLike) -> tuple[Nest, list[tf.Tensor], Optional[Nest]]:
    """`(task, params, state or None)` of entry `index`."""
    task = tf.nest.map_structure(lambda t: t[self.task_index[index]],
                                 self.tasks)
    params = [p[index] for p in self.params]
    state = None if self.states is None else tf.nest.map_structure(
        lambda s: s[index], self.states)
    return task, params, state
