# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Converters: an existing Keras model made meta-learnable, weights kept.

* `to_tnet(model, mask=None, transform=True)`: its `Dense` and `Conv2D`
  layers become T cells (`TDense`, `TConv2D`): T-net, MT-net (`mask="unit"`)
  or M-net (`transform=False` with a mask). T starts at the identity and
  the masks at p = 0.5, so the converted model computes what the original
  did.
* `with_meta_layers(model, names)`: the named layers are wrapped in `Meta`
  (their weights fixed during adaptation, learned by the outer loop): the
  body of ANIL (Raghu et al. 2020; head adapted, body meta), or warp layers
  (WarpGrad) in a network the user already has.
* `adapt_only(model, names)`: the converse, every other layer with trainable
  weights made meta (ANIL: `adapt_only(model, ["head"])`).
* `insert_warps(model, block)`: a Sequential model with a warp block
  (meta) after each hidden weight layer (WarpGrad's model augmentation).

All return a new model made by `keras.models.clone_model`, holding copies
of the original's weights. The roles live in the layers' types, so they
survive `.keras` save and load and `clone_model`.
"""

from __future__ import annotations

from typing import Optional, Sequence

import keras

from kerasmeta import functional
from kerasmeta.layers import tnet
from kerasmeta.layers import warp


def _convert(model, convert_layer):
  """`clone_model` with `convert_layer(old) -> new or None`, weights kept."""
  pairs = []

  def clone(layer):
    new = convert_layer(layer)
    if new is None:
      new = layer.__class__.from_config(layer.get_config())
    pairs.append((layer, new))
    return new

  converted = keras.models.clone_model(model, clone_function=clone)
  for old, new in pairs:
    if isinstance(new, warp.Meta) and not isinstance(old, warp.Meta):
      new.layer.set_weights(old.get_weights())
    elif isinstance(new, (tnet.TDense, tnet.TConv2D)) and \
        type(old) in (keras.layers.Dense, keras.layers.Conv2D):
      new.kernel.assign(old.kernel)
      if old.bias is not None:
        new.bias.assign(old.bias)
    else:
      new.set_weights(old.get_weights())
  return converted


def _check_names(model, names):
  known = {layer.name for layer in functional.all_layers(model)[1:]}
  missing = [name for name in names if name not in known]
  if missing:
    raise ValueError(f"Model {model.name!r} has no layers named {missing}; "
                     f"it has {sorted(known)}.")


def to_tnet(model: keras.Model, mask: Optional[str] = None,
            transform: bool = True,
            layer_names: Optional[Sequence[str]] = None) -> keras.Model:
  """The model with its Dense and Conv2D layers turned into T cells.

  Args:
    model: a built Keras model (Sequential or functional).
    mask: None (T-net), "unit" (MT-net) or "weight" (the "-full" variant).
    transform: keep the meta-learned T (False with a mask: an M-net).
    layer_names: convert only these layers (default: every `Dense` and
      `Conv2D`, not their subclasses).

  Returns:
    A new model; its converted layers compute what the originals did.
  """
  if layer_names is not None:
    _check_names(model, layer_names)
  if not transform and mask is None:
    raise ValueError("to_tnet with transform=False and no mask would "
                     "change nothing: pass a mask (an M-net) or keep T.")

  def convert(layer):
    if layer_names is not None and layer.name not in layer_names:
      return None
    if type(layer) not in (keras.layers.Dense, keras.layers.Conv2D):
      if layer_names is not None:
        raise ValueError(f"Layer {layer.name!r} is a "
                         f"{type(layer).__name__}; to_tnet converts Dense "
                         "and Conv2D layers.")
      return None
    if getattr(layer, "lora_enabled", False) or \
        getattr(layer, "quantization_mode", None):
      raise ValueError(f"Layer {layer.name!r} uses LoRA or quantization, "
                       "which T cells do not support.")
    config = layer.get_config()
    for key in ("lora_rank", "lora_alpha", "quantization_config"):
      config.pop(key, None)
    cell = tnet.TDense if isinstance(layer, keras.layers.Dense) else \
        tnet.TConv2D
    return cell(transform=transform, mask=mask, **config)

  return _convert(model, convert)


def with_meta_layers(model: keras.Model,
                     layer_names: Sequence[str]) -> keras.Model:
  """The model with the named layers' weights made meta (wrapped in `Meta`).

  Args:
    model: a built Keras model.
    layer_names: names of its layers to hold fixed during adaptation and
      learn in the outer loop.

  Returns:
    A new model, the named layers wrapped in `Meta`.
  """
  layer_names = list(layer_names)
  if not layer_names:
    raise ValueError("with_meta_layers needs at least one layer name.")
  _check_names(model, layer_names)

  def convert(layer):
    if layer.name not in layer_names or isinstance(layer, warp.Meta):
      return None
    return warp.Meta(layer.__class__.from_config(layer.get_config()),
                     name=f"meta_{layer.name}")

  return _convert(model, convert)


def adapt_only(model: keras.Model, layer_names: Sequence[str]) -> keras.Model:
  """The model with only the named layers adapted; every other layer with
  trainable weights is made meta (ANIL: `adapt_only(model, ["head"])`).

  Args:
    model: a built Keras model.
    layer_names: the layers the inner loop adapts.

  Returns:
    A new model (see `with_meta_layers`).
  """
  layer_names = list(layer_names)
  if not layer_names:
    raise ValueError("adapt_only needs at least one layer to adapt.")
  _check_names(model, layer_names)
  others = [layer for layer in model.layers
            if layer.name not in layer_names and layer.trainable_weights
            and not isinstance(layer, warp.Meta)]
  nested = [layer.name for layer in others if isinstance(layer, keras.Model)]
  if nested:
    raise ValueError(f"adapt_only marks top-level layers; {nested} are "
                     "nested models: name their layers with "
                     "with_meta_layers instead.")
  if not others:
    raise ValueError(f"Every layer with weights of {model.name!r} is in "
                     f"{layer_names}: nothing would be meta.")
  return with_meta_layers(model, [layer.name for layer in others])


def insert_warps(
    model: keras.Sequential, block: str = "linear",
    layer_names: Optional[Sequence[str]] = None) -> keras.Sequential:
  """A Sequential model with a warp block after each hidden weight layer.

  Args:
    model: a built `keras.Sequential` (a functional model's graph cannot
      gain layers this way: write its warps in, and mark them with
      `with_meta_layers`).
    block: the warp block (`layers.warp.WARP_BLOCKS`), e.g. "linear" for
      vectors, "conv" for images.
    layer_names: the layers to follow with a warp (default: every Dense
      and Conv2D but the last).

  Returns:
    A new Sequential: the original layers (weights kept) with
    `warp_{name}` blocks after the chosen ones. A warp starts at the
    identity (a linear or convolutional warp) or near it, so the model
    computes what the original did, or nearly.
  """
  if not isinstance(model, keras.Sequential):
    raise ValueError(f"insert_warps takes a Sequential model; received a "
                     f"{type(model).__name__}. Write the warp layers into a "
                     "functional model and mark them with with_meta_layers.")
  weighted = [layer for layer in model.layers
              if isinstance(layer, (keras.layers.Dense, keras.layers.Conv2D))]
  if layer_names is None:
    layer_names = [layer.name for layer in weighted[:-1]]
  else:
    _check_names(model, layer_names)
  if not layer_names:
    raise ValueError(f"Model {model.name!r} has no hidden Dense or Conv2D "
                     "layer to put a warp after.")
  new_layers = [keras.Input(model.inputs[0].shape[1:],
                            dtype=model.inputs[0].dtype)]
  pairs = []
  for layer in model.layers:
    clone = layer.__class__.from_config(layer.get_config())
    new_layers.append(clone)
    pairs.append((layer, clone))
    if layer.name in layer_names:
      channels = layer.units if isinstance(layer, keras.layers.Dense) \
          else layer.filters
      new_layers.append(warp.warp_block(block, channels,
                                        name=f"warp_{layer.name}"))
  converted = keras.Sequential(new_layers, name=f"{model.name}_warped")
  for old, new in pairs:
    new.set_weights(old.get_weights())
  return converted
