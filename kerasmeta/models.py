# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Standard learners built from the kerasmeta layers.

`cell` chooses the layer of every weight layer, as in the MT-net paper:

| cell    | layer                                   | paper   |
|---------|-----------------------------------------|---------|
| dense   | plain Dense / Conv2D                    | MAML    |
| tnet    | T cell, no mask                         | T-net   |
| mtnet   | T cell with a unit mask                 | MT-net  |
| mnet    | unit mask without T                     | M-net   |
| mtnet_full / mnet_full | per-weight masks         | "-full" |

`warp=True` (WarpGrad) interleaves warp layers (`kerasmeta.layers.warp`)
with the task layers, `h = w_L o h_L o ... o w_1 o h_1` (WarpGrad's "model
augmentation"): a linear warp after each hidden layer of an MLP, a 3x3
convolutional warp after each block of conv4 (`warp_block` picks another
block of appendix F).
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Sequence, Union

import keras

from kerasmeta import layers as km_layers
from kerasmeta.layers import warp as warp_lib

CELLS = ("dense", "tnet", "mtnet", "mnet", "mtnet_full", "mnet_full")
# Mask logits' initialisers by name ("zeros": p = 0.5 everywhere).
# "reference": as the MT-net reference code, per-weight ("-full") logits
# from a truncated normal of stddev 0.1 (dense) or 0.01 (conv), unit logits
# at zero.
MASK_INITIALIZERS = ("zeros", "reference")
HEADS = ("flatten", "average")
# The warp blocks that act on vectors (the others convolve images).
MLP_WARP_BLOCKS = ("linear", "scale", "residual_tanh")


def check_cell(cell: str) -> str:
  if cell == "warp":
    raise ValueError("cell='warp' is now warp=True (config.warp): a cell is "
                     "the kind of the weight layers, warps come between them.")
  if cell not in CELLS:
    raise ValueError(f"Unknown cell {cell!r}; expected one of {CELLS}.")
  return cell


def check_mask_initializer(mask_initializer: str) -> str:
  if mask_initializer not in MASK_INITIALIZERS:
    raise ValueError(f"mask_initializer must be one of {MASK_INITIALIZERS}; "
                     f"received {mask_initializer!r}.")
  return mask_initializer


def _cell_options(cell, mask_temperature, mask_initializer="zeros",
                  reference_stddev=0.1):
  check_cell(cell)
  check_mask_initializer(mask_initializer)
  if cell == "dense":
    return None
  mask = None
  if cell in ("mtnet", "mnet"):
    mask = "unit"
  elif cell in ("mtnet_full", "mnet_full"):
    mask = "weight"
  initializer = "zeros"
  if mask == "weight" and mask_initializer == "reference":
    initializer = keras.initializers.TruncatedNormal(stddev=reference_stddev)
  return dict(transform=cell in ("tnet", "mtnet", "mtnet_full"), mask=mask,
              mask_temperature=mask_temperature,
              mask_initializer=initializer)


def dense_layer(units: int, cell: str = "dense",
                activation: Optional[Union[str, Callable]] = None,
                mask_temperature: float = 1.0, mask_initializer: str = "zeros",
                **kwargs: Any) -> keras.layers.Layer:
  """A Dense layer or a T / MT / M cell of `units` outputs.

  `mask_initializer`: one of `MASK_INITIALIZERS` ("reference": per-weight
  logits from a truncated normal of stddev 0.1).
  """
  options = _cell_options(cell, mask_temperature, mask_initializer, 0.1)
  if options is None:
    return keras.layers.Dense(units, activation=activation, **kwargs)
  return km_layers.TDense(units, activation=activation, **options, **kwargs)


def conv_layer(filters: int, kernel_size: Union[int, tuple[int, int]],
               cell: str = "dense", mask_temperature: float = 1.0,
               mask_initializer: str = "zeros",
               **kwargs: Any) -> keras.layers.Layer:
  """A Conv2D layer or a convolutional T / MT / M cell.

  `mask_initializer`: one of `MASK_INITIALIZERS` ("reference": per-weight
  logits from a truncated normal of stddev 0.01).
  """
  options = _cell_options(cell, mask_temperature, mask_initializer, 0.01)
  if options is None:
    return keras.layers.Conv2D(filters, kernel_size, **kwargs)
  return km_layers.TConv2D(filters, kernel_size, **options, **kwargs)


def mlp(input_dim: int = 1, hidden_sizes: Sequence[int] = (40, 40),
        output_dim: int = 1, cell: str = "dense",
        activation: Optional[Union[str, Callable]] = "relu",
        mask_temperature: float = 1.0, name: Optional[str] = None,
        warp: bool = False, warp_block: str = "linear",
        seed: Optional[int] = None, kernel_initializer: str = "HeNormal",
        mask_initializer: str = "zeros") -> keras.Sequential:
  """A multilayer perceptron whose every weight layer is a `cell`.

  The default is the sinusoid learner of MAML and MT-net: 1-40-40-1 with
  ReLU; kernels start from a truncated normal of stddev 0.01 and biases at
  zero, as in the reference code. With `warp=True`, a `warp_block`
  (one of `MLP_WARP_BLOCKS`) follows each hidden activation.

  With a `seed`, every layer draws its own seeded `kernel_initializer`
  (a Keras initializer class name), so models with and without warp
  layers start from the same task weights (WarpGrad's continual
  experiment compares them from one fixed initialisation).

  `mask_initializer` starts the mask logits (`MASK_INITIALIZERS`).
  """
  check_cell(cell)
  if warp and warp_block not in MLP_WARP_BLOCKS:
    raise ValueError(f"An MLP takes a warp_block of {MLP_WARP_BLOCKS}; "
                     f"received warp_block={warp_block!r}.")

  def initializer(index):
    if seed is None:
      return keras.initializers.TruncatedNormal(stddev=0.01)
    return keras.initializers.get({"class_name": kernel_initializer,
                                   "config": {"seed": seed + index}})

  layers = [keras.Input((input_dim,))]
  sizes = list(hidden_sizes) + [output_dim]
  for index, units in enumerate(sizes):
    last = index == len(sizes) - 1
    layers.append(dense_layer(
        units, cell, activation=None if last else activation,
        mask_temperature=mask_temperature,
        mask_initializer=mask_initializer,
        kernel_initializer=initializer(index),
        name=f"{'output' if last else f'hidden_{index + 1}'}"))
    if warp and not last:
      layers.append(warp_lib.warp_block(
          warp_block, units, name=f"warp_{index + 1}",
          seed=None if seed is None else seed + 1000 + index))
  return keras.Sequential(
      layers, name=name or f"mlp_{cell}{'_warp' if warp else ''}")


def conv4(input_shape: Sequence[int] = (28, 28, 1), num_classes: int = 5,
          filters: int = 64, cell: str = "dense", pooling: str = "stride",
          mask_temperature: float = 1.0, name: Optional[str] = None,
          warp: bool = False, warp_block: str = "conv", head: str = "flatten",
          mask_initializer: str = "zeros",
          warp_after: Optional[Sequence[int]] = None) -> keras.Sequential:
  """The 4-block convolutional learner of MAML / MT-net.

  Each block: 3x3 convolution (stride 2 with `pooling="stride"`, else
  stride 1 and 2x2 max-pooling), batch-norm, ReLU; then a linear head on
  the flattened features (`head="flatten"`), or on their average over
  spatial positions (`head="average"`: the MAML and MT-net reference code
  for Omniglot, a `filters x N` head instead of `4 filters x N` at 28x28).
  `mask_initializer` starts the mask logits (`MASK_INITIALIZERS`).
  Batch-norm layers called with `training=True` use the batch statistics of
  each task, as the MAML reference does. With `warp=True` a `warp_block`
  (default: 3x3 conv, WarpGrad's Omniglot warp) follows each block, or
  the blocks numbered in `warp_after` (1 to 4; WarpGrad's miniImageNet
  learner warps blocks 2 to 4, appendix H).
  """
  check_cell(cell)
  if pooling not in ("stride", "max"):
    raise ValueError(f"pooling must be 'stride' or 'max'; received "
                     f"{pooling!r}.")
  if head not in HEADS:
    raise ValueError(f"head must be one of {HEADS}; received {head!r}.")
  warp_after = (1, 2, 3, 4) if warp_after is None else tuple(warp_after)
  if not set(warp_after) <= {1, 2, 3, 4}:
    raise ValueError(f"warp_after names blocks 1 to 4; received "
                     f"{warp_after}.")
  if warp_after != (1, 2, 3, 4) and not warp:
    raise ValueError(f"warp_after={warp_after} places warp layers, but "
                     "warp=False.")
  layers = [keras.Input(tuple(input_shape))]
  for block in range(4):
    layers.append(conv_layer(
        filters, 3, cell, mask_temperature=mask_temperature,
        mask_initializer=mask_initializer, strides=2 if pooling == "stride" else 1, padding="same",
        name=f"conv_{block + 1}"))
    layers.append(keras.layers.BatchNormalization(
        epsilon=1e-3, momentum=0.9, name=f"batch_norm_{block + 1}"))
    layers.append(keras.layers.ReLU(name=f"relu_{block + 1}"))
    if pooling == "max":
      layers.append(keras.layers.MaxPooling2D(2, padding="same",
                                              name=f"pool_{block + 1}"))
    if warp and block + 1 in warp_after:
      layers.append(warp_lib.warp_block(warp_block, filters,
                                        name=f"warp_{block + 1}"))
  if head == "flatten":
    layers.append(keras.layers.Flatten(name="flatten"))
  else:
    layers.append(keras.layers.GlobalAveragePooling2D(name="average"))
  layers.append(dense_layer(num_classes, cell,
                            mask_temperature=mask_temperature,
                            mask_initializer=mask_initializer, name="logits"))
  return keras.Sequential(
      layers, name=name or f"conv4_{cell}{'_warp' if warp else ''}")
