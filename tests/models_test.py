# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
import keras
import numpy as np
import pytest
import tensorflow as tf

import kerasmeta as km
from kerasmeta.layers import warp


@pytest.mark.parametrize("cell,layer_type,transform,mask", [
    ("dense", keras.layers.Dense, None, None),
    ("tnet", km.TDense, True, None),
    ("mtnet", km.TDense, True, "unit"),
    ("mnet", km.TDense, False, "unit"),
    ("mtnet_full", km.TDense, True, "weight"),
])
def test_mlp_cells_build_the_papers_layers(cell, layer_type, transform, mask):
  model = km.models.mlp(cell=cell)
  assert [type(l) for l in model.layers] == [layer_type] * 3
  assert [l.units for l in model.layers] == [40, 40, 1]
  if transform is not None:
    assert all(l.transform == transform and l.mask == mask
               for l in model.layers)


def test_conv4_maps_28x28_images_to_class_logits():
  model = km.models.conv4(num_classes=5, filters=8, cell="mtnet")
  logits = model(tf.zeros([3, 28, 28, 1]), training=True)
  assert logits.shape == (3, 5)
  assert sum(isinstance(l, km.TConv2D) for l in model.layers) == 4


def test_unknown_cell_is_rejected_with_the_choices():
  with pytest.raises(ValueError, match="Unknown cell 'lstm'.*mtnet"):
    km.models.mlp(cell="lstm")
  with pytest.raises(ValueError, match="cell='warp' is now warp=True"):
    km.models.conv4(cell="warp")


def test_conv4_with_warps_puts_a_meta_conv_warp_after_each_block():
  model = km.models.conv4(input_shape=(12, 12, 1), num_classes=3, filters=4,
                          warp=True)
  warps = [layer for layer in model.layers
           if isinstance(layer, km.layers.Warp)]
  assert len(warps) == 4
  roles = km.weight_roles(model)
  assert {id(w) for w in roles.meta} == {
      id(w) for layer in warps for w in layer.trainable_weights}
  # Identity-initialised: the warped model computes the unwarped one.
  plain = km.models.conv4(input_shape=(12, 12, 1), num_classes=3, filters=4)
  plain.set_weights([w.numpy() for w in model.weights
                     if not any(w is v for layer in warps
                                for v in layer.weights)])
  x = np.random.default_rng(0).normal(size=(2, 12, 12, 1)).astype("float32")
  np.testing.assert_allclose(model(x, training=False), plain(x,
                                                             training=False),
                             rtol=1e-5, atol=1e-6)


# Trainable weights of one warp block on a feature axis.
_WARP_BLOCK_WEIGHTS = {"linear": 2, "conv": 2, "conv1x1": 2, "scale": 2,
                       "conv_bn": 4, "conv_bn_relu": 4, "residual_conv": 8,
                       "residual_tanh": 4}


def _small_conv4(warp_block):
  return km.models.conv4(input_shape=(8, 8, 1), num_classes=3, filters=4,
                         warp=True, warp_block=warp_block)


def _small_mlp(warp_block):
  return km.models.mlp(hidden_sizes=(5, 5), warp=True,
                       warp_block=warp_block)


def _assert_fully_built(model, x, expected_trainable):
  unbuilt = [layer.name for layer in model._flatten_layers() if not layer.built]  # pylint: disable=protected-access
  assert not unbuilt, f"layers left unbuilt: {unbuilt}"
  built = len(model.trainable_variables)
  model(x, training=False)
  assert built == len(model.trainable_variables) == expected_trainable


def test_every_warp_block_has_a_weight_count():
  assert set(_WARP_BLOCK_WEIGHTS) == set(warp.WARP_BLOCKS)


@pytest.mark.parametrize("warp_block", warp.WARP_BLOCKS)
def test_conv4_with_every_warp_block_is_fully_built(warp_block):
  model = _small_conv4(warp_block)
  # 4 x (conv kernel, bias, batch-norm gamma, beta) + the head's 2.
  expected = 18 + 4 * _WARP_BLOCK_WEIGHTS[warp_block]
  _assert_fully_built(model, np.zeros((2, 8, 8, 1), "float32"), expected)
  assert len(km.weight_roles(model).meta) == 4 * _WARP_BLOCK_WEIGHTS[
      warp_block]


@pytest.mark.parametrize("warp_block", km.models.MLP_WARP_BLOCKS)
def test_mlp_with_every_vector_warp_block_is_fully_built(warp_block):
  model = _small_mlp(warp_block)
  expected = 6 + 2 * _WARP_BLOCK_WEIGHTS[warp_block]
  _assert_fully_built(model, np.zeros((2, 1), "float32"), expected)


def test_mlp_rejects_a_convolutional_warp_block_by_name():
  with pytest.raises(ValueError, match="received warp_block='conv'"):
    km.models.mlp(warp=True, warp_block="conv")


def _assert_specs_match_outputs(model, x):
  """Each layer's declared output spec has the dtype its call returns."""
  symbolic = keras.KerasTensor(x.shape, dtype=model.compute_dtype)
  for layer in model.layers:
    declared = layer.compute_output_spec(symbolic)
    x = layer(x, training=False)
    assert declared.dtype == keras.backend.standardize_dtype(x.dtype), (
        layer.name)
    if isinstance(layer, warp.Warp):
      inner = layer.layer.compute_output_spec(symbolic)
      assert inner.dtype == declared.dtype, layer.layer.name
    symbolic = keras.KerasTensor(x.shape, dtype=x.dtype)
  assert model.outputs[0].dtype == keras.backend.standardize_dtype(x.dtype)


@pytest.mark.parametrize("builder,warp_block,input_shape", [
    *[(_small_conv4, kind, (2, 8, 8, 1)) for kind in warp.WARP_BLOCKS],
    *[(_small_mlp, kind, (2, 1)) for kind in km.models.MLP_WARP_BLOCKS],
])
def test_warped_models_declare_their_mixed_precision_dtypes(
    builder, warp_block, input_shape):
  previous = keras.config.dtype_policy()
  keras.config.set_dtype_policy("mixed_float16")
  try:
    model = builder(warp_block)
    x = np.random.default_rng(0).normal(size=input_shape).astype("float32")
    _assert_specs_match_outputs(model, x)
    assert model(x, training=False).dtype == tf.float16
  finally:
    keras.config.set_dtype_policy(previous)


def test_conv4_average_head_maps_filters_not_positions_to_logits():
  model = km.models.conv4(num_classes=5, filters=8, head="average")
  assert model(tf.zeros([2, 28, 28, 1]), training=True).shape == (2, 5)
  assert model.get_layer("logits").kernel.shape == (8, 5)
  flat = km.models.conv4(num_classes=5, filters=8)
  assert flat.get_layer("logits").kernel.shape == (8 * 2 * 2, 5)
  with pytest.raises(ValueError, match="head must be one of .*received "
                     "'max'"):
    km.models.conv4(head="max")


def test_reference_mask_initializer_draws_per_weight_logits_only():
  keras.utils.set_random_seed(0)
  full = km.models.mlp(hidden_sizes=(40, 40), cell="mtnet_full",
                       mask_initializer="reference")
  logits = full.get_layer("hidden_2").kernel_mask_logits.numpy()
  assert 0.07 < logits.std() < 0.11 and np.abs(logits).max() <= 0.2
  conv = km.models.conv4(filters=4, cell="mnet_full",
                         mask_initializer="reference")
  conv_logits = conv.get_layer("conv_2").kernel_mask_logits.numpy()
  assert 0.005 < conv_logits.std() < 0.012
  unit = km.models.mlp(cell="mtnet", mask_initializer="reference")
  assert not unit.get_layer("hidden_1").kernel_mask_logits.numpy().any()
  with pytest.raises(ValueError, match="mask_initializer must be one of"):
    km.models.mlp(cell="mtnet", mask_initializer="ones")


def test_conv4_warps_only_the_blocks_named_in_warp_after():
  model = km.models.conv4(input_shape=(12, 12, 1), num_classes=3, filters=4,
                          warp=True, warp_after=(2, 3, 4))
  assert [l.name for l in model.layers if isinstance(l, km.layers.Warp)] \
      == ["warp_2", "warp_3", "warp_4"]
  with pytest.raises(ValueError, match="warp=False"):
    km.models.conv4(warp_after=(2,))
  with pytest.raises(ValueError, match="blocks 1 to 4"):
    km.models.conv4(warp=True, warp_after=(5,))
