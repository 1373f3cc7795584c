# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""The subspace an MT-net adapts in (Lee & Choi 2018, eqs. 8-9, section 4.2).

A unit mask opens row j of a cell's W (the weights into output unit j)
with probability P(m_j = 1) = sigmoid(zeta_j) (eq. 9), and the
task-specific learner changes only the open rows (eq. 8). The activations
adaptation can move are those of the open units (before T mixes them,
Proposition 1), so their number is the dimension of the layer's learned
subspace. A unit counts as *active* where it is open more often than not,
P > 1/2 (zeta > 0): the mask's most probable value
(`masks.most_probable_mask`). Logits that never moved from zero (P = 1/2
exactly) count as inactive.
"""

from __future__ import annotations

import collections
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
  import keras

UnitSubspace = collections.namedtuple(
    "UnitSubspace",
    ["name", "units", "active_units", "mean_probability", "probabilities"])
UnitSubspace.__doc__ = """One layer's unit-mask subspace.

Attributes:
  name: the layer's name.
  units: its output units (channels).
  active_units: units with P(mask = 1) > threshold.
  mean_probability: the mean of P(mask = 1) over the units.
  probabilities: P(mask = 1) of each unit, a float64 array [units].
"""


def unit_mask_probabilities(layer: keras.layers.Layer) -> np.ndarray:
  """P(m_j = 1) = sigmoid(zeta_j) of each unit of `layer` (eq. 9).

  Args:
    layer: a `TDense` or `TConv2D` with `mask="unit"`, built.

  Returns:
    A float64 array [units].
  """
  kind = getattr(layer, "mask", None)
  if kind != "unit":
    raise ValueError(
        f"Layer {layer.name!r} has no unit mask (mask={kind!r}); expected a "
        "TDense or TConv2D with mask='unit' (an MT-net or M-net cell).")
  if layer.kernel_mask_logits is None:
    raise ValueError(f"Layer {layer.name!r} is not built yet.")
  logits = np.asarray(layer.kernel_mask_logits.numpy(), np.float64)
  return 1.0 / (1.0 + np.exp(-logits))


def layer_subspace(layer: keras.layers.Layer,
                   threshold: float = 0.5) -> UnitSubspace:
  """`UnitSubspace` of one unit-masked layer.

  Args:
    layer: a `TDense` or `TConv2D` with `mask="unit"`, built.
    threshold: a unit is active where P(mask = 1) > threshold.
  """
  if not 0.0 <= threshold < 1.0:
    raise ValueError(f"threshold must be in [0, 1); received {threshold}.")
  probabilities = unit_mask_probabilities(layer)
  return UnitSubspace(layer.name, int(probabilities.size),
                      int(np.sum(probabilities > threshold)),
                      float(np.mean(probabilities)), probabilities)


def _layers(model):
  for layer in model.layers:
    if hasattr(layer, "layers"):  # a nested model
      yield from _layers(layer)
    else:
      yield layer


def model_subspace(model: keras.Model,
                   threshold: float = 0.5) -> list[UnitSubspace]:
  """`UnitSubspace` of each unit-masked layer of `model`, input to output.

  Layers without masks (warps, plain Dense) are skipped; a per-weight mask
  (`mask="weight"`) has no units and is refused.

  Args:
    model: a Keras model (nested models are searched too).
    threshold: a unit is active where P(mask = 1) > threshold.
  """
  subspaces = []
  for layer in _layers(model):
    kind = getattr(layer, "mask", None)
    if kind == "weight":
      raise ValueError(
          f"Layer {layer.name!r} has a per-weight mask, which has no units; "
          "model_subspace counts unit masks (cells 'mnet' and 'mtnet').")
    if kind == "unit":
      subspaces.append(layer_subspace(layer, threshold))
  if not subspaces:
    raise ValueError(f"Model {model.name!r} has no unit-masked layer (cells "
                     "'mnet' or 'mtnet').")
  return subspaces
