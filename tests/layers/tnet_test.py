# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
import keras
import numpy as np
import pytest
import tensorflow as tf

import kerasmeta as km
from kerasmeta import functional
from kerasmeta.layers import TConv2D
from kerasmeta.layers import TDense
from kerasmeta.tasks import Task


def _single_cell_model(layer, input_dim=3):
  model = keras.Sequential([keras.Input((input_dim,), dtype="float64"), layer])
  return model


def test_tdense_computes_x_w_plus_b_times_t():
  layer = TDense(4, activation="tanh", dtype="float64")
  model = _single_cell_model(layer)
  rng = np.random.default_rng(0)
  layer.transform_matrix.assign(rng.normal(size=(4, 4)))
  layer.bias.assign(rng.normal(size=4))
  x = rng.normal(size=(5, 3))
  expected = np.tanh((x @ layer.kernel.numpy() + layer.bias.numpy())
                     @ layer.transform_matrix.numpy())
  np.testing.assert_allclose(model(x), expected, rtol=1e-10)


def test_t_starts_at_identity_and_is_meta():
  layer = TDense(4, mask="unit")
  keras.Sequential([keras.Input((2,)), layer])
  np.testing.assert_array_equal(layer.transform_matrix.numpy(), np.eye(4))
  np.testing.assert_array_equal(layer.kernel_mask_logits.numpy(), np.zeros(4))
  roles = functional.weight_roles(keras.Sequential([keras.Input((2,)), layer]))
  assert {id(w) for w in roles.meta} == {id(layer.transform_matrix),
                                         id(layer.kernel_mask_logits)}
  assert {id(w) for w in roles.adapted} == {id(layer.kernel), id(layer.bias)}


def test_mnet_cell_has_mask_but_no_transform():
  layer = TDense(3, transform=False, mask="unit")
  keras.Sequential([keras.Input((2,)), layer])
  assert layer.transform_matrix is None
  assert [w.name for w in layer.meta_weights] == ["mask_logits"]


def test_weight_mask_has_one_logit_per_weight():
  layer = TDense(3, mask="weight")
  keras.Sequential([keras.Input((2,)), layer])
  assert layer.kernel_mask_logits.shape == (2, 3)
  assert layer.bias_mask_logits.shape == (3,)
  assert [spec.kind for spec in layer.mask_specs] == ["weight", "weight"]


def test_tconv2d_applies_a_1x1_transform_over_channels():
  layer = TConv2D(4, 3, padding="same", dtype="float64")
  model = keras.Sequential([keras.Input((6, 6, 2), dtype="float64"), layer])
  rng = np.random.default_rng(1)
  layer.transform_matrix.assign(rng.normal(size=(4, 4)))
  x = rng.normal(size=(2, 6, 6, 2))
  plain = tf.nn.conv2d(x, layer.kernel, 1, "SAME") + layer.bias
  expected = np.einsum("bhwc,cd->bhwd", plain.numpy(),
                       layer.transform_matrix.numpy())
  np.testing.assert_allclose(model(x), expected, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("layer", [
    TDense(5, mask="unit", mask_temperature=0.5, activation="relu"),
    TDense(5, transform=False, mask="weight"),
    TConv2D(3, 3, mask="unit", strides=2),
])
def test_config_round_trips(layer):
  config = layer.get_config()
  clone = layer.__class__.from_config(config)
  assert clone.get_config() == config
  restored = keras.saving.deserialize_keras_object(
      keras.saving.serialize_keras_object(layer))
  assert type(restored) is type(layer)
  assert restored.get_config() == config


@pytest.mark.parametrize("cell", ["tnet", "mtnet", "mnet_full"])
def test_saved_and_reloaded_model_gives_same_outputs(tmp_path, cell):
  model = km.models.mlp(cell=cell, hidden_sizes=(8,))
  rng = np.random.default_rng(2)
  for weight in model.weights:
    weight.assign(rng.normal(size=weight.shape).astype("float32"))
  x = rng.normal(size=(7, 1)).astype("float32")
  path = str(tmp_path / "model.keras")
  model.save(path)
  restored = keras.models.load_model(path)
  np.testing.assert_allclose(restored(x), model(x), rtol=1e-6)
  assert len(functional.weight_roles(restored).meta) == len(
      functional.weight_roles(model).meta)


def test_bad_options_are_rejected_with_what_was_received():
  with pytest.raises(ValueError, match="'row'"):
    TDense(3, mask="row")
  with pytest.raises(ValueError, match="-1"):
    TDense(3, mask="unit", mask_temperature=-1)


def _one_step_output_change(layer, alpha, x, target, deterministic):
  model = _single_cell_model(layer, input_dim=x.shape[1])
  learner = km.MAML(model, loss="mse", num_inner_steps=1,
                    inner_learning_rate=alpha)
  task = Task(x, target, x, target)
  adapted = learner.adapt(task, seed=tf.constant([0, 0]),
                          deterministic=deterministic).params
  before = model(x)
  after = learner.predict(adapted, x)
  with tf.GradientTape() as tape:
    tape.watch(before)
    loss = tf.reduce_mean(tf.square(before - target))
  return (after - before).numpy(), tape.gradient(loss, before).numpy()


def test_tnet_output_moves_by_minus_alpha_t_t_transpose_grad():
  """Paper eq. 16: one inner step moves y by -alpha T T^T grad_A L x.

  With row vectors, y = (x W + b) T and g = dL/dy, the step on W and b moves
  y by -alpha (|x|^2 + 1) g T^T T: the column-notation T T^T acting on
  grad_A L x, with the bias as an input fixed at 1.
  """
  rng = np.random.default_rng(3)
  layer = TDense(4, dtype="float64")
  _single_cell_model(layer)
  transform = rng.normal(size=(4, 4))
  layer.transform_matrix.assign(transform)
  x = rng.normal(size=(1, 3))
  target = rng.normal(size=(1, 4))
  alpha = 0.05
  change, g = _one_step_output_change(layer, alpha, x, target, True)
  expected = -alpha * (x @ x.T + 1.0) * (g @ transform.T @ transform)
  np.testing.assert_allclose(change, expected, rtol=1e-9, atol=1e-12)
  # And it is not the plain-gradient move of eq. 15.
  assert not np.allclose(change, -alpha * (x @ x.T + 1.0) * g)


def test_mtnet_output_moves_within_the_masked_subspace():
  """Paper eq. 17: y moves by -alpha T^T_M T_M-like g T^T diag(m) T."""
  rng = np.random.default_rng(4)
  layer = TDense(4, mask="unit", dtype="float64")
  _single_cell_model(layer)
  transform = rng.normal(size=(4, 4))
  layer.transform_matrix.assign(transform)
  mask = np.array([1.0, 0.0, 1.0, 0.0])
  layer.kernel_mask_logits.assign(np.where(mask > 0, 2.0, -2.0))
  x = rng.normal(size=(1, 3))
  target = rng.normal(size=(1, 4))
  alpha = 0.05
  change, g = _one_step_output_change(layer, alpha, x, target, True)
  expected = -alpha * (x @ x.T + 1.0) * (
      g @ transform.T @ np.diag(mask) @ transform)
  np.testing.assert_allclose(change, expected, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("mask", [None, "unit", "weight"])
def test_tdense_takes_a_sparse_input_as_dense_does(mask):
  rng = np.random.default_rng(5)
  dense_x = rng.normal(size=(4, 6)) * (rng.random((4, 6)) < 0.3)
  dense_x[3] = 0.0  # a row with no entries at all
  sparse_x = tf.sparse.from_dense(tf.constant(dense_x, tf.float32))
  layer = TDense(3, mask=mask, activation="tanh")
  layer.build((None, 6))
  layer.transform_matrix.assign(rng.normal(size=(3, 3)).astype("float32"))
  layer.bias.assign(rng.normal(size=3).astype("float32"))
  with tf.GradientTape(persistent=True) as tape:
    from_sparse = layer(sparse_x)
    from_dense = layer(tf.constant(dense_x, tf.float32))
  assert not isinstance(from_sparse, tf.SparseTensor)
  np.testing.assert_allclose(from_sparse, from_dense, rtol=1e-5, atol=1e-6)
  for weight in (layer.kernel, layer.transform_matrix):
    np.testing.assert_allclose(
        tf.convert_to_tensor(tape.gradient(from_sparse, weight)),
        tape.gradient(from_dense, weight), rtol=1e-5, atol=1e-6)
