# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Keras layers of meta-learned structure."""

from kerasmeta.layers.convert import adapt_only
from kerasmeta.layers.convert import insert_warps
from kerasmeta.layers.convert import to_tnet
from kerasmeta.layers.convert import with_meta_layers
from kerasmeta.layers.hebbian_rnn import HebbianRNNCell
from kerasmeta.layers.leo import RelationNetwork
from kerasmeta.layers.lstm_optimizer import CoordinatewiseLSTM
from kerasmeta.layers.masks import MaskSpec
from kerasmeta.layers.masks import most_probable_mask
from kerasmeta.layers.masks import sample_binary_concrete
from kerasmeta.layers.tnet import TConv2D
from kerasmeta.layers.tnet import TDense
from kerasmeta.layers.tnet_rnn import TNetRNNCell
from kerasmeta.layers.warp import ChannelScale
from kerasmeta.layers.warp import Meta
from kerasmeta.layers.warp import Residual
from kerasmeta.layers.warp import Warp
from kerasmeta.layers.warp import warp_block
from kerasmeta.layers.warp_rnn import WarpRNNCell

__all__ = [
    "adapt_only", "ChannelScale", "CoordinatewiseLSTM", "HebbianRNNCell",
    "insert_warps", "MaskSpec", "Meta", "most_probable_mask",
    "RelationNetwork", "Residual", "sample_binary_concrete", "TConv2D",
    "TDense", "TNetRNNCell", "to_tnet", "Warp", "warp_block", "WarpRNNCell",
    "with_meta_layers"]
