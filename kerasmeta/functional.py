# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Weight roles and functional evaluation of Keras 3 models.

Every weight has one role (DESIGN.md): *adapted* weights change in the inner
loop (MAML's theta), *meta* weights are fixed during adaptation and learned
by the outer loop (T matrices, mask logits, warp layers), *state* weights
are neither (batch-norm moving statistics). Layers declare their meta
weights through a `meta_weights` property (`Meta` and `Warp` wrap any layer
to make its weights meta); every other trainable weight is adapted.

`call_with_weights` evaluates a model with substituted values for its
adapted weights through `stateless_call`, so the inner loop works on plain
tensors and never assigns to a variable.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Optional, Sequence, TYPE_CHECKING, Union

import keras
import tensorflow as tf

if TYPE_CHECKING:
  from kerasmeta._typing import Nest, Variables
  from kerasmeta.layers.masks import MaskSpec


@dataclasses.dataclass(frozen=True)
class WeightRoles:
  """A model's weights split by role, each list in the model's order."""
  adapted: list
  meta: list
  state: list


def all_layers(model: keras.layers.Layer) -> list[keras.layers.Layer]:
  """The model and every layer nested in it, each once, outermost first.

  Found through the layers' attributes (Keras 3 has no public recursive
  listing): a sub-layer is any `keras.layers.Layer` held in an attribute,
  directly or in a list, tuple or dict.
  """
  found, seen, queue = [], set(), [model]
  while queue:
    layer = queue.pop(0)
    if id(layer) in seen:
      continue
    seen.add(id(layer))
    found.append(layer)
    for value in vars(layer).values():
      if isinstance(value, dict):
        value = list(value.values())
      values = value if isinstance(value, (list, tuple)) else [value]
      queue.extend(v for v in values if isinstance(v, keras.layers.Layer))
  return found


def _require_built(model):
  if not model.built or not model.weights:
    raise ValueError(
        f"Model {model.name!r} has no weights yet; build it (call it on an "
        "input or give it an `Input`) before splitting its weights.")


def meta_weight_ids(model: keras.Model) -> set[int]:
  """The ids of the weights that some layer of `model` declares meta."""
  ids = set()
  for layer in all_layers(model):
    for weight in getattr(layer, "meta_weights", ()) or ():
      ids.add(id(weight))
  return ids


def weight_roles(model: keras.Model) -> WeightRoles:
  """Splits `model`'s weights into adapted, meta and state weights."""
  _require_built(model)
  meta_ids = meta_weight_ids(model)
  trainable = model.trainable_variables
  return WeightRoles(
      adapted=[w for w in trainable if id(w) not in meta_ids],
      meta=[w for w in trainable if id(w) in meta_ids],
      state=list(model.non_trainable_variables))


def mask_specs(model: keras.Model,
               adapted: Optional[Variables] = None) -> list[Optional[MaskSpec]]:
  """`MaskSpec`s (or None) aligned with the model's adapted weights."""
  adapted = weight_roles(model).adapted if adapted is None else adapted
  by_weight = {}
  for layer in all_layers(model):
    for spec in getattr(layer, "mask_specs", ()) or ():
      by_weight[id(spec.weight)] = spec
  return [by_weight.get(id(w)) for w in adapted]


def call_with_weights(model: keras.Model, adapted_values: Sequence[tf.Tensor],
                      inputs: Nest, training: bool = False,
                      roles: Optional[WeightRoles] = None,
                      meta_values: Optional[Sequence[tf.Tensor]] = None,
                      return_state: bool = False) -> Any:
  """Evaluates `model(inputs)` with `adapted_values` for its adapted weights.

  Meta weights are read from their variables, so gradients reach them
  through the enclosing tape; state weights keep their current values (a
  batch-norm layer in training mode uses batch statistics, and the moving
  averages it would update are discarded).

  Args:
    model: a built Keras 3 model.
    adapted_values: tensors, one per adapted weight, in
      `weight_roles(model).adapted` order, each of that weight's shape.
    inputs: the model's inputs.
    training: passed to the model's layers.
    roles: `weight_roles(model)`, to skip recomputing it.
    meta_values: None to read the meta weights from their variables, or
      tensors in `roles.meta` order to use instead (e.g. stop-gradient
      copies, so that an objective trains only the adapted weights).
    return_state: also return the state weights' new values (batch-norm
      moving statistics after this call, in `model.non_trainable_variables`
      order).

  Returns:
    The model's outputs, or `(outputs, new state values)`.
  """
  roles = roles or weight_roles(model)
  adapted_values = list(adapted_values)
  if len(adapted_values) != len(roles.adapted):
    raise ValueError(
        f"Expected {len(roles.adapted)} adapted values for model "
        f"{model.name!r}; received {len(adapted_values)}.")
  substitute = {id(w): v for w, v in zip(roles.adapted, adapted_values)}
  if meta_values is not None:
    meta_values = list(meta_values)
    if len(meta_values) != len(roles.meta):
      raise ValueError(f"Expected {len(roles.meta)} meta values for model "
                       f"{model.name!r}; received {len(meta_values)}.")
    substitute.update({id(w): v for w, v in zip(roles.meta, meta_values)})
  trainable_values = [substitute.get(id(w), w.value)
                      for w in model.trainable_variables]
  state_values = [w.value for w in model.non_trainable_variables]
  outputs, new_state = model.stateless_call(trainable_values, state_values,
                                            inputs, training=training)
  if return_state:
    return outputs, new_state
  return outputs


def current_values(
    variables: Sequence[Union[keras.Variable, tf.Tensor]]) -> list[tf.Tensor]:
  """The current values of `variables` as tensors (reads, no copies)."""
  return [tf.convert_to_tensor(w.value if isinstance(w, keras.Variable) else w)
          for w in variables]
