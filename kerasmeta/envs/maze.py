# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""The maze of Miconi et al. (2019), WarpGrad's recurrent meta-RL task.

A fixed grid maze (WarpGrad, appendix I: 11 x 11; Miconi's experiments
also used 9 x 9): walls all around, a pillar at every cell whose row and
column are both even, and the centre cell free. A task is a goal cell
(free, not the centre). Every episode starts at the centre; each step the
agent moves up, down, left or right (a move into a wall leaves it where it
is, with `wall_penalty` taken from the reward); reaching the goal gives
`goal_reward` and teleports the agent to a random free cell other than the
goal, so that an agent that has found the goal can come back to it again
and again within the episode (200 steps).

The agent sees what Miconi's code feeds its network
(uber-research/backpropamine, simplemaze/maze.py), 17 numbers: the 3 x 3
cells around it (1 for a wall), an unused 0, a bias 1, the step index over
the episode length, the previous step's reward, and the previous action
one-hot. Actions are discrete: `step` takes them one-hot (or as scores,
their argmax), [episodes, 4].
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import tensorflow as tf

from kerasmeta import sampling
from kerasmeta.envs import base

if TYPE_CHECKING:
  from kerasmeta._typing import IntLike, Seed

# Row and column moves of the actions up, down, left, right.
MOVES = ((-1, 0), (1, 0), (0, -1), (0, 1))


def grid_maze(size: int) -> np.ndarray:
  """Miconi's maze: 1 for walls, [size, size] int32 (size odd, >= 5)."""
  if size < 5 or size % 2 == 0:
    raise ValueError(f"The maze's size must be odd and >= 5; received "
                     f"{size}.")
  walls = np.ones([size, size], np.int32)
  walls[1:-1, 1:-1] = 0
  walls[2:-1:2, 2:-1:2] = 1
  walls[size // 2, size // 2] = 0
  return walls


class Maze(base.Environment):
  """Goal-finding in Miconi's grid maze, batched over episodes.

  The state is `(position [episodes, 2] int32, previous action [episodes]
  int32, previous reward [episodes], step int32 scalar)`. A task is one
  goal [2], or one per episode [episodes, 2] (a batch of tasks with an
  episode each, as the actor-critic learners train).

  Args:
    size: the maze's side (odd).
    horizon: steps per episode.
    goal_reward: the reward for reaching the goal.
    wall_penalty: taken from the reward of a move into a wall.
  """

  observation_size = 17
  action_size = 4
  discrete = True

  def __init__(self, size: int = 11, horizon: int = 200,
               goal_reward: float = 10.0, wall_penalty: float = 0.0) -> None:
    self.size, self.horizon = int(size), int(horizon)
    self.goal_reward, self.wall_penalty = float(goal_reward), float(
        wall_penalty)
    self.walls = grid_maze(self.size)
    centre = self.size // 2
    free = np.argwhere(self.walls == 0)
    self.free_cells = tf.constant(free, tf.int32)  # [F, 2]
    goals = free[(free != [centre, centre]).any(axis=1)]
    self.goal_cells = tf.constant(goals, tf.int32)  # [F - 1, 2]
    self._walls = tf.constant(self.walls, tf.int32)

  def sample_task(self, seed: Seed) -> tf.Tensor:
    index = sampling.uniform([], seed, 0, int(self.goal_cells.shape[0]),
                             dtype=tf.int32)
    return tf.cast(tf.gather(self.goal_cells, index), tf.float32)

  def reset(self, task: tf.Tensor, num_episodes: IntLike,
            seed: Seed) -> tuple[tf.Tensor, ...]:
    del task, seed  # every episode starts at the centre
    centre = self.size // 2
    return (tf.fill([num_episodes, 2], centre), tf.zeros([num_episodes],
                                                          tf.int32),
            tf.zeros([num_episodes]), tf.constant(0))

  def observe(self, task: tf.Tensor, state: tuple[tf.Tensor, ...]) -> tf.Tensor:
    position, previous_action, previous_reward, step = state
    offsets = tf.constant([[r, c] for r in (-1, 0, 1) for c in (-1, 0, 1)],
                          tf.int32)
    around = tf.gather_nd(self._walls, position[:, None, :] + offsets[None])
    count = tf.shape(position)[0]
    column = lambda value: tf.fill([count, 1], value)
    return tf.concat([
        tf.cast(around, tf.float32), column(0.0), column(1.0),
        column(tf.cast(step, tf.float32) / self.horizon),
        previous_reward[:, None],
        tf.one_hot(previous_action, self.action_size, dtype=tf.float32)], axis=1)

  def step(self, task: tf.Tensor, state: tuple[tf.Tensor, ...],
           action: tf.Tensor,
           seed: Seed) -> tuple[tuple[tf.Tensor, ...], tf.Tensor, tf.Tensor]:
    position, _, _, step = state
    goal = tf.broadcast_to(tf.cast(task, tf.int32), tf.shape(position))
    chosen = tf.argmax(action, axis=-1, output_type=tf.int32)
    target = position + tf.gather(tf.constant(MOVES, tf.int32), chosen)
    blocked = tf.gather_nd(self._walls, target) > 0
    position = tf.where(blocked[:, None], position, target)
    reward = -self.wall_penalty * tf.cast(blocked, tf.float32)
    found = tf.reduce_all(tf.equal(position, goal), axis=-1)
    reward += self.goal_reward * tf.cast(found, tf.float32)
    # Teleport: a free cell other than the goal, uniformly.
    free = self.free_cells
    goal_index = tf.argmax(tf.cast(tf.reduce_all(
        tf.equal(free[None], goal[:, None]), axis=-1), tf.int32), axis=-1,
                           output_type=tf.int32)  # [episodes]
    draw = sampling.uniform(tf.shape(found), seed, 0,
                            int(free.shape[0]) - 1, dtype=tf.int32)
    draw += tf.cast(draw >= goal_index, tf.int32)
    position = tf.where(found[:, None], tf.gather(free, draw), position)
    done = tf.zeros_like(found)  # episodes run their whole horizon
    return (position, chosen, reward, step + 1), reward, done
