# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
import numpy as np
import tensorflow as tf

from kerasmeta.tasks import surfaces


def test_surface_value_is_appendix_d_formula():
  surface = surfaces.Surface(a=tf.constant([1.0, -1.0, 0.0]),
                             b=tf.constant([2.0, -3.0, 5.0]),
                             s=tf.constant(4.0), inits=None)
  x = np.random.default_rng(0).uniform(-3, 3, size=(6, 2))
  x1, x2 = x[:, 0], x[:, 1]
  expected = (2 * (1 - x1)**2 * np.exp(-x1**2 - (x2 - 1)**2)
              + 3 * (x1 / 4 - x1**3 - x2**5) * np.exp(-x1**2 - x2**2)
              - 5 * np.exp(-x1**2 - x2**2))
  np.testing.assert_allclose(surfaces.surface_value(surface, x), expected,
                             rtol=1e-10)


def test_surfaces_draw_from_the_stated_categories_reproducibly():
  distribution = surfaces.SurfaceTasks(num_inits=7)
  tasks = distribution.evaluation_tasks(200, seed=3).tasks
  a, b, s, inits = (t.numpy() for t in tasks)
  assert set(np.unique(a)) == {-1, 0, 1}
  assert set(np.unique(b)) == set(range(-5, 6))
  assert set(np.unique(s)) == set(range(1, 11))
  assert inits.shape == (200, 7, 2) and np.abs(inits).max() <= 3
  again = distribution.evaluation_tasks(200, seed=3).tasks
  np.testing.assert_array_equal(again.inits, inits)
