import keras
import numpy as np
import pytest
import tensorflow as tf

import kerasmeta as km


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


def test_conv4_warp_cell_puts_a_meta_conv_warp_after_each_block():
  model = km.models.conv4(input_shape=(12, 12, 1), num_classes=3, filters=4,
                          cell="warp")
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
