# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Every kerasmeta layer, cell and warp block against Keras' layer contract.

`keras.src.testing.TestCase.run_layer_test` is the check Keras runs on its
own layers: a get_config / serialisation round trip, a build from a shape,
a symbolic call, an eager call, one compiled training step and a call under
the `mixed_float16` policy whose output dtype must match the layer's
`compute_output_spec`.

`run_layer_test` instantiates `layer_cls(**init_kwargs)` several times (and
once more with `dtype="mixed_float16"`). A wrapped layer passed in
`init_kwargs` would be one object shared by all those instances, built by the
first call, so the later build and symbolic checks would find it already
built and prove nothing. Wrappers and warp blocks are therefore also made by
a factory that builds a fresh inner layer on every call; the serialisation
round trip still goes through the real class (`instance.__class__`). The
layers are registered Keras serialisables, so no `custom_objects` are needed.
"""

import functools

from absl.testing import parameterized
import keras
from keras.src import testing
import pytest

from kerasmeta.layers import hebbian_rnn
from kerasmeta.layers import leo
from kerasmeta.layers import tnet
from kerasmeta.layers import tnet_rnn
from kerasmeta.layers import warp
from kerasmeta.layers import warp_rnn
from kerasmeta.rl import policies

pytestmark = [
    # Mask logits act only in the inner loop, so the harness's plain
    # training step has no gradient for them.
    pytest.mark.filterwarnings(
        "ignore:Gradients do not exist for variables.*mask_logits"),
    # The harness fits on a generator with Keras' default shuffle=True.
    pytest.mark.filterwarnings("ignore:`shuffle=True` was passed"),
    # A head with a fixed standard deviation has nothing to train.
    pytest.mark.filterwarnings(
        "ignore:The model does not have any trainable weights"),
]


def _warp_of_dense(units, dtype=None):
  return warp.Warp(keras.layers.Dense(units, dtype=dtype), dtype=dtype)


def _residual_dense(units, dtype=None):
  return warp.Residual(keras.layers.Dense(units, dtype=dtype), dtype=dtype)


def _warp_block(kind, channels, dtype=None):
  return warp.warp_block(kind, channels, dtype=dtype)


# Input shape, output shape and trainable-weight count of each warp block on
# 3 channels (the conv blocks on 4x4 images, the vector blocks on vectors).
_BLOCK_CASES = {
    "linear": ((2, 3), (2, 3), 2),
    "conv": ((2, 4, 4, 3), (2, 4, 4, 3), 2),
    "conv1x1": ((2, 4, 4, 3), (2, 4, 4, 3), 2),
    "scale": ((2, 3), (2, 3), 2),
    "conv_bn": ((2, 4, 4, 3), (2, 4, 4, 3), 4),
    "conv_bn_relu": ((2, 4, 4, 3), (2, 4, 4, 3), 4),
    "residual_conv": ((2, 4, 4, 3), (2, 4, 4, 3), 8),
    "residual_tanh": ((2, 3), (2, 3), 4),
}
# Batch-norm moving mean and variance.
_BLOCK_STATE = {"conv_bn": 2, "conv_bn_relu": 2, "residual_conv": 4}


class CellContractTest(testing.TestCase):
  """TDense and TConv2D as T-net, MT-net, M-net and "-full" cells."""

  @parameterized.named_parameters(
      ("tnet", dict(units=3), 3),
      ("mtnet_relu", dict(units=3, mask="unit", activation="relu"), 4),
      ("mnet_full", dict(units=3, transform=False, mask="weight"), 4),
      ("mtnet_full_no_bias", dict(units=3, mask="weight", use_bias=False), 3),
      ("dense_like", dict(units=3, transform=False), 2),
  )
  def test_tdense(self, init_kwargs, num_trainable):
    self.run_layer_test(
        tnet.TDense, init_kwargs, input_shape=(2, 4),
        expected_output_shape=(2, 3),
        expected_num_trainable_weights=num_trainable,
        expected_num_non_trainable_weights=0,
        expected_num_seed_generators=0, expected_num_losses=0)

  def test_tdense_on_rank_3_inputs(self):
    self.run_layer_test(
        tnet.TDense, dict(units=3, mask="unit"), input_shape=(2, 5, 4),
        expected_output_shape=(2, 5, 3), expected_num_trainable_weights=4)

  def test_tdense_on_sparse_inputs(self):
    self.run_layer_test(
        tnet.TDense, dict(units=3, mask="unit"), input_shape=(2, 4),
        input_sparse=True, expected_output_shape=(2, 3),
        expected_num_trainable_weights=4)

  @parameterized.named_parameters(
      ("tnet_same", dict(filters=3, kernel_size=3, padding="same"),
       (2, 5, 5, 3), 3),
      ("mtnet_strided", dict(filters=3, kernel_size=3, strides=2,
                             mask="unit"), (2, 2, 2, 3), 4),
      ("mnet_full", dict(filters=3, kernel_size=2, transform=False,
                         mask="weight"), (2, 4, 4, 3), 4),
  )
  def test_tconv2d(self, init_kwargs, output_shape, num_trainable):
    self.run_layer_test(
        tnet.TConv2D, init_kwargs, input_shape=(2, 5, 5, 2),
        expected_output_shape=output_shape,
        expected_num_trainable_weights=num_trainable,
        expected_num_non_trainable_weights=0,
        expected_num_seed_generators=0, expected_num_losses=0)


class WarpContractTest(testing.TestCase):
  """Warp, its building blocks and every block of `warp.WARP_BLOCKS`."""

  def test_warp_of_a_dense_layer(self):
    self.run_layer_test(
        functools.partial(_warp_of_dense, 4), {}, input_shape=(2, 3),
        expected_output_shape=(2, 4), expected_num_trainable_weights=2,
        expected_num_non_trainable_weights=0)

  # Keras tests its own wrappers with one wrapped layer in `init_kwargs`:
  # the wrapped layer then keeps its float32 policy while the wrapper is made
  # with dtype="mixed_float16", and the wrapper's output spec must say what
  # its call returns all the same.
  def test_warp_of_a_layer_with_its_own_dtype_policy(self):
    self.run_layer_test(
        warp.Warp, {"layer": keras.layers.Dense(4)}, input_shape=(2, 3),
        expected_output_shape=(2, 4), expected_num_trainable_weights=2)

  def test_meta_of_a_batch_norm_layer(self):
    self.run_layer_test(
        warp.Meta, {"layer": keras.layers.BatchNormalization()},
        input_shape=(2, 3), expected_output_shape=(2, 3),
        expected_num_trainable_weights=2,
        expected_num_non_trainable_weights=2)

  def test_residual_of_a_block_with_its_own_dtype_policy(self):
    self.run_layer_test(
        warp.Residual, {"block": keras.layers.Dense(3)}, input_shape=(2, 3),
        expected_output_shape=(2, 3), expected_num_trainable_weights=2)

  def test_channel_scale(self):
    self.run_layer_test(
        warp.ChannelScale, {}, input_shape=(2, 4, 4, 3),
        expected_output_shape=(2, 4, 4, 3), expected_num_trainable_weights=2,
        expected_num_non_trainable_weights=0)

  def test_residual(self):
    self.run_layer_test(
        functools.partial(_residual_dense, 3), {}, input_shape=(2, 3),
        expected_output_shape=(2, 3), expected_num_trainable_weights=2,
        expected_num_non_trainable_weights=0)

  @parameterized.named_parameters(
      *[(kind, kind) for kind in warp.WARP_BLOCKS])
  def test_warp_block(self, kind):
    input_shape, output_shape, num_trainable = _BLOCK_CASES[kind]
    self.run_layer_test(
        functools.partial(_warp_block, kind, 3), {}, input_shape=input_shape,
        expected_output_shape=output_shape,
        expected_num_trainable_weights=num_trainable,
        expected_num_non_trainable_weights=_BLOCK_STATE.get(kind, 0))

  def test_every_warp_block_has_a_case(self):
    self.assertEqual(set(_BLOCK_CASES), set(warp.WARP_BLOCKS))


class LEOContractTest(testing.TestCase):
  """LEO's relation network (the encoder and decoder are Keras' Dense)."""

  def test_relation_network(self):
    self.run_layer_test(
        leo.RelationNetwork, dict(units=6), input_shape=(2, 5, 3),
        expected_output_shape=(2, 5, 6), expected_num_trainable_weights=3,
        expected_num_non_trainable_weights=0,
        expected_num_seed_generators=0, expected_num_losses=0)


class PolicyContractTest(testing.TestCase):
  """The Gaussian policies' head (means -> means and log stds)."""

  @parameterized.named_parameters(
      ("learned_std", dict(initial_std=0.5), 1, 0),
      ("fixed_std", dict(initial_std=2.0, trainable_std=False), 0, 1))
  def test_gaussian_head(self, init_kwargs, num_trainable, num_fixed):
    self.run_layer_test(
        policies.GaussianHead, init_kwargs, input_shape=(3, 2),
        expected_output_shape=(3, 4),
        expected_num_trainable_weights=num_trainable,
        expected_num_non_trainable_weights=num_fixed,
        expected_num_seed_generators=0, expected_num_losses=0)


class RecurrentCellContractTest(testing.TestCase):
  """The warped RNN steps of the maze, `[x_t, state] -> [h_t, state]`."""

  def test_warp_rnn_cell(self):
    self.run_layer_test(
        warp_rnn.WarpRNNCell, dict(units=3, meta_units=2),
        input_shape=((2, 5), (2, 7)),
        expected_output_shape=((2, 3), (2, 7)),
        expected_num_trainable_weights=7,
        expected_num_non_trainable_weights=0,
        expected_num_seed_generators=0, expected_num_losses=0)

  def test_tnets_rnn_cell(self):
    self.run_layer_test(
        tnet_rnn.TNetRNNCell, dict(units=3), input_shape=((2, 5), (2, 3)),
        expected_output_shape=((2, 3), (2, 3)),
        expected_num_trainable_weights=6,
        expected_num_non_trainable_weights=0,
        expected_num_seed_generators=0, expected_num_losses=0)

  @parameterized.named_parameters(("simple", "simple", 8, 3 + 9),
                                  ("retroactive", "retroactive", 9, 3 + 18))
  def test_hebbian_rnn_cell(self, modulation, num_trainable, state_size):
    self.run_layer_test(
        hebbian_rnn.HebbianRNNCell, dict(units=3, modulation=modulation),
        input_shape=((2, 5), (2, state_size)),
        expected_output_shape=((2, 3), (2, state_size)),
        expected_num_trainable_weights=num_trainable,
        expected_num_non_trainable_weights=0,
        expected_num_seed_generators=0, expected_num_losses=0)
