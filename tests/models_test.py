import keras
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
