"""Keras layers of meta-learned structure."""

from kerasmeta.layers.masks import MaskSpec
from kerasmeta.layers.masks import most_probable_mask
from kerasmeta.layers.masks import sample_binary_concrete
from kerasmeta.layers.tnet import TConv2D
from kerasmeta.layers.tnet import TDense
