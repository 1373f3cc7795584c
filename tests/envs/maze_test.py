# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""The maze: Miconi's layout, walls, the goal's reward and teleport, what
the agent sees, on scripted actions."""

import numpy as np
import pytest
import tensorflow as tf

import kerasmeta as km
from kerasmeta.envs import maze as maze_lib

UP, DOWN, LEFT, RIGHT = range(4)


def _act(*actions):
  return tf.one_hot(list(actions), 4)


def test_layout_is_miconis_grid():
  walls = maze_lib.grid_maze(9)
  assert walls[0].all() and walls[-1].all() and walls[:, 0].all()
  assert walls[2, 2] == walls[2, 6] == walls[6, 2] == 1  # pillars
  assert walls[4, 4] == 0  # the centre is free
  assert walls[1, 1] == walls[1, 2] == walls[3, 4] == 0
  assert walls.sum() == 4 * 8 + 9 - 1  # border, pillars, minus the centre
  with pytest.raises(ValueError, match="odd"):
    maze_lib.grid_maze(10)


def test_walls_block_moves_and_cost_the_penalty():
  maze = km.envs.Maze(size=9, wall_penalty=0.1)
  goal = tf.constant([1.0, 1.0])
  state = ((tf.constant([[4, 4], [3, 3]])), tf.zeros([2], tf.int32),
           tf.zeros([2]), tf.constant(0))
  # From the centre (4, 4) up to (3, 4): free. From (3, 3) down to (4, 3):
  # free; right from (3, 3) is (3, 4): free; (3, 3) up is (2, 3): free;
  # (3, 3) left is (3, 2): free; pillars sit at (2, 2), (2, 4), (4, 2).
  state, reward, _ = maze.step(goal, state, _act(UP, UP), tf.constant([0, 1]))
  np.testing.assert_array_equal(state[0].numpy(), [[3, 4], [2, 3]])
  np.testing.assert_allclose(reward.numpy(), [0.0, 0.0])
  # (3, 4) left is (3, 3): free; (2, 3) left is the pillar (2, 2): blocked.
  state, reward, _ = maze.step(goal, state, _act(LEFT, LEFT),
                               tf.constant([0, 2]))
  np.testing.assert_array_equal(state[0].numpy(), [[3, 3], [2, 3]])
  np.testing.assert_allclose(reward.numpy(), [0.0, -0.1])
  np.testing.assert_array_equal(state[1].numpy(), [LEFT, LEFT])


def test_reaching_the_goal_pays_and_teleports_elsewhere():
  maze = km.envs.Maze(size=9)
  goal = tf.constant([3.0, 4.0])
  hits = []
  for seed in range(20):
    state = maze.reset(goal, 1, None)
    state, reward, done = maze.step(goal, state, _act(UP),
                                    tf.constant([seed, 5]))
    assert float(reward[0]) == 10.0 and not bool(done[0])
    position = tuple(state[0].numpy()[0])
    assert position != (3, 4) and maze.walls[position] == 0
    hits.append(position)
  assert len(set(hits)) > 5  # random cells, not one


def test_observation_is_the_field_around_and_the_previous_step():
  maze = km.envs.Maze(size=9, horizon=200)
  goal = tf.constant([1.0, 1.0])
  state = maze.reset(goal, 1, None)
  seen = maze.observe(goal, state).numpy()[0]
  assert seen.shape == (17,)
  # Around the centre (4, 4): pillars at the four diagonals? No: pillars sit
  # at even rows and columns, (3, 3) etc. are odd: all free.
  np.testing.assert_array_equal(seen[:9], maze.walls[3:6, 3:6].ravel())
  np.testing.assert_array_equal(seen[9:13], [0, 1, 0, 0])
  state, _, _ = maze.step(goal, state, _act(LEFT), tf.constant([0, 0]))
  seen = maze.observe(goal, state).numpy()[0]
  np.testing.assert_array_equal(seen[:9], maze.walls[3:6, 2:5].ravel())
  assert seen[11] == pytest.approx(1 / 200)
  np.testing.assert_array_equal(seen[13:], [0, 0, 1, 0])


def test_goals_are_free_cells_other_than_the_centre():
  tasks = km.envs.EnvironmentTasks(km.envs.Maze())
  goals = tasks.evaluation_tasks(500, seed=0).tasks.parameters.numpy()
  cells = {tuple(g) for g in goals.astype(int)}
  walls = maze_lib.grid_maze(11)
  assert all(walls[c] == 0 and c != (5, 5) for c in cells)
  assert len(cells) > 50  # of the 11 * 11 maze's 64 goal cells


def test_each_episode_may_have_its_own_goal():
  maze = km.envs.Maze(size=9)
  goals = tf.constant([[3.0, 4.0], [5.0, 4.0]])
  state = maze.reset(goals, 2, None)
  state, reward, _ = maze.step(goals, state, _act(UP, DOWN),
                               tf.constant([1, 1]))
  np.testing.assert_allclose(reward.numpy(), [10.0, 10.0])
  state, reward, _ = maze.step(goals, maze.reset(goals, 2, None),
                               _act(DOWN, UP), tf.constant([1, 1]))
  np.testing.assert_allclose(reward.numpy(), [0.0, 0.0])
