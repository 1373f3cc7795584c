# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
import keras
import numpy as np
import pytest
import tensorflow as tf

import kerasmeta as km
from kerasmeta import functional
from kerasmeta.layers import warp
from tests import helpers


def _warped_mlp(dtype="float64"):
  """x -> Dense(3, tanh) -> linear warp -> Dense(1) -> linear warp."""
  keras.utils.set_random_seed(0)
  return keras.Sequential([
      keras.Input((2,), dtype=dtype),
      keras.layers.Dense(3, activation="tanh", dtype=dtype),
      warp.linear_warp(3, dtype=dtype),
      keras.layers.Dense(1, dtype=dtype),
      warp.linear_warp(1, dtype=dtype),
  ])


def test_warp_weights_are_meta_and_task_weights_adapted():
  model = _warped_mlp()
  roles = functional.weight_roles(model)
  warp_ids = {id(w) for layer in model.layers if isinstance(layer, warp.Warp)
              for w in layer.trainable_weights}
  assert {id(w) for w in roles.meta} == warp_ids
  assert len(roles.adapted) == 4  # two kernels, two biases


def test_warp_weights_are_unchanged_by_adaptation():
  model = _warped_mlp()
  learner = km.MAML(model, num_inner_steps=3, inner_learning_rate=0.5)
  roles = learner.roles
  warp_before = [w.numpy().copy() for w in roles.meta]
  task = helpers.unbatch(helpers.random_tasks(1, dim=1), 0)
  task = task._replace(support_x=tf.concat([task.support_x] * 2, -1),
                       query_x=tf.concat([task.query_x] * 2, -1))
  trajectory = learner.adapt(task, return_trajectory=True).trajectory
  # Only the task weights move along the trajectory...
  assert len(trajectory) == len(roles.adapted)
  for values, start in zip(trajectory, learner.initial_values()):
    assert not np.allclose(values[-1], start)
  # ...and the warp variables are exactly as they were.
  for before, weight in zip(warp_before, roles.meta):
    np.testing.assert_array_equal(weight.numpy(), before)


def test_linear_warp_preconditions_the_step_by_w_transpose_w():
  """h = (x theta) W: one step moves h by -alpha |x|^2 g W^T W (closed form)."""
  dtype = "float64"
  task_layer = keras.layers.Dense(3, use_bias=False, dtype=dtype)
  warp_layer = warp.linear_warp(3, dtype=dtype)
  model = keras.Sequential([keras.Input((2,), dtype=dtype), task_layer,
                            warp_layer])
  rng = np.random.default_rng(1)
  w = rng.normal(size=(3, 3))
  warp_layer.layer.kernel.assign(w)
  warp_layer.layer.bias.assign(rng.normal(size=3))
  x = rng.normal(size=(1, 2))
  y = rng.normal(size=(1, 3))
  alpha = 0.1
  roles = functional.weight_roles(model)
  loss = lambda params: 0.5 * tf.reduce_sum(tf.square(
      functional.call_with_weights(model, params, x, roles=roles) - y))
  start = functional.current_values(roles.adapted)
  (adapted,) = km.inner.adapt(loss, start, alpha, 1).params
  before = functional.call_with_weights(model, start, x, roles=roles).numpy()
  after = functional.call_with_weights(model, [adapted], x,
                                       roles=roles).numpy()
  g = before - y  # dL/dh
  expected = -alpha * (x @ x.T).item() * g @ w.T @ w
  np.testing.assert_allclose(after - before, expected, rtol=1e-10)


def _block_input(kind):
  shape = (2, 3) if kind in ("linear", "residual_tanh") else (2, 5, 5, 3)
  return np.random.default_rng(0).normal(size=shape).astype("float32")


@pytest.mark.parametrize("kind", warp.WARP_BLOCKS)
def test_every_warp_block_is_all_meta_starts_at_identity_and_serialises(
    kind, tmp_path):
  x = _block_input(kind)
  block = warp.warp_block(kind, 3)
  model = keras.Sequential([keras.Input(x.shape[1:]), block])
  roles = functional.weight_roles(model)
  assert not roles.adapted and roles.meta
  assert {id(w) for w in roles.meta} == {id(w) for w in
                                          model.trainable_weights}
  if kind != "conv_bn_relu":  # ReLU clips the negative half
    # Inference mode: batch-norm with its initial moving statistics.
    np.testing.assert_allclose(model(x, training=False), x, atol=2e-3)
  path = str(tmp_path / f"{kind}.keras")
  model.save(path)
  restored = keras.saving.load_model(path)
  np.testing.assert_allclose(restored(x, training=False),
                             model(x, training=False), rtol=1e-6)
  assert isinstance(restored.layers[0], warp.Warp)
  assert len(functional.weight_roles(restored).meta) == len(roles.meta)


def test_unknown_warp_block_is_a_clear_error():
  with pytest.raises(ValueError, match="Unknown warp block 'spline'"):
    warp.warp_block("spline", 3)


def test_residual_block_must_keep_its_input_shape():
  with pytest.raises(ValueError, match="must keep its input's shape"):
    keras.Sequential([keras.Input((3,)),
                      warp.Residual(keras.layers.Dense(4))])


def test_named_layers_of_an_existing_model_become_meta_layers():
  model = helpers.tiny_mlp(sizes=(1, 3, 3, 1))
  middle = model.layers[1]
  converted = km.layers.with_meta_layers(model, [middle.name])
  wrapped = converted.layers[1]
  assert isinstance(wrapped, km.layers.Meta)
  roles = functional.weight_roles(converted)
  assert {id(w) for w in roles.meta} == {id(wrapped.layer.kernel),
                                         id(wrapped.layer.bias)}
  np.testing.assert_array_equal(wrapped.layer.kernel.numpy(),
                                middle.kernel.numpy())
  assert len(roles.adapted) == 4
  with pytest.raises(ValueError, match="no layers named"):
    km.layers.with_meta_layers(model, ["nope"])
