# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""MT-net mask samples for the adapted tensors of one task or of many.

`GradientMasks` draws the masks of one task's adapted weights from the
task's stateless seed; `BatchedGradientMasks` draws them for `[tasks, ...]`
weights (the fast path), task i's draw being exactly what `GradientMasks`
draws for task i alone, so both paths adapt identically. Both feed
`transforms.mask_gradients`.
"""

from __future__ import annotations

from typing import Optional, Sequence, TYPE_CHECKING

import tensorflow as tf

from kerasmeta import sampling
from kerasmeta.layers import masks as masks_lib

if TYPE_CHECKING:
  from kerasmeta._typing import IntLike, Seed, Shape


class GradientMasks:
  """Samples the MT-net masks of a list of adapted weights.

  Args:
    specs: one `MaskSpec` or None per adapted weight.
    deterministic: use each mask's most probable value (zeta > 0) instead of
      sampling, so the same task always gets the same update (evaluation,
      serving).
  """

  def __init__(self, specs: Sequence[Optional[masks_lib.MaskSpec]],
               deterministic: bool = False) -> None:
    self.specs = list(specs)
    self.deterministic = deterministic

  @property
  def active(self) -> bool:
    return any(spec is not None for spec in self.specs)

  @property
  def has_step_masks(self) -> bool:
    """Whether some mask is drawn anew at every inner step."""
    return any(spec is not None and spec.per_step for spec in self.specs)

  def _sample(self, spec, weight_shape, seed):
    logits = spec.logits.value if hasattr(spec.logits, "value") else \
        spec.logits
    if self.deterministic:
      mask = masks_lib.most_probable_mask(logits)
    else:
      mask = masks_lib.sample_binary_concrete(logits, spec.temperature, seed)
    # A unit mask has one entry per output unit, the weight's last axis.
    return tf.broadcast_to(mask, weight_shape)

  def sample(self, params: Sequence[tf.Tensor], seed: Seed,
             step: Optional[IntLike] = None) -> list[Optional[tf.Tensor]]:
    """Masks for `params` (None where unmasked); see `sample_for_shapes`."""
    return self.sample_for_shapes([tf.shape(p) for p in params], seed, step)

  def sample_for_shapes(
      self, shapes: Sequence[Shape], seed: Seed,
      step: Optional[IntLike] = None) -> list[Optional[tf.Tensor]]:
    """Masks for adapted tensors of `shapes` (None where unmasked).

    Args:
      shapes: the shapes of the adapted tensors.
      seed: the task's stateless seed, int32 [2].
      step: None for the masks sampled once per task (unit masks), or the
        inner step for the per-step masks (per-weight masks).

    Returns:
      A list aligned with `shapes`: a mask tensor, or None where this call
      samples no mask.
    """
    out: list[Optional[tf.Tensor]] = []
    for index, (spec, shape) in enumerate(zip(self.specs, shapes)):
      if spec is None or spec.per_step != (step is not None):
        out.append(None)
        continue
      # Weights sharing logits (a unit mask's kernel and bias) must share
      # the sample: seed by the logits, not by the weight.
      logits_index = self._logits_index(spec, index)
      sub_seed = sampling.fold_in(seed, logits_index)
      if step is not None:
        sub_seed = sampling.fold_in(sub_seed, step)
      out.append(self._sample(spec, shape, sub_seed))
    return out

  def _logits_index(self, spec, index):
    for other_index, other in enumerate(self.specs[:index + 1]):
      if other is not None and other.logits is spec.logits:
        return other_index
    return index


class BatchedGradientMasks:
  """MT-net masks for `[tasks, ...]` weights: one independent draw per task.

  Args:
    masks: the `GradientMasks` of one task's weights.
  """

  def __init__(self, masks: GradientMasks) -> None:
    self.masks = masks
    self.specs = masks.specs
    self.deterministic = masks.deterministic

  @property
  def active(self) -> bool:
    return self.masks.active

  @property
  def has_step_masks(self) -> bool:
    return self.masks.has_step_masks

  def sample(self, params: Sequence[tf.Tensor], seeds: tf.Tensor,
             step: Optional[IntLike] = None) -> list[Optional[tf.Tensor]]:
    """Masks for `[tasks, ...]` params from `[tasks, 2]` seeds."""
    unbatched = [p[0] for p in params]
    shapes = [tf.shape(p) for p in unbatched]
    chosen = [i for i, spec in enumerate(self.specs)
              if spec is not None and spec.per_step == (step is not None)]
    if not chosen:
      return [None] * len(params)
    if self.deterministic:
      sampled = self.masks.sample(unbatched, seeds[0], step)
      return [None if m is None else m[tf.newaxis] for m in sampled]

    def one_task(seed):
      sampled = self.masks.sample_for_shapes(shapes, seed, step)
      return [sampled[i] for i in chosen]

    dtypes = [unbatched[i].dtype for i in chosen]
    per_task = tf.map_fn(one_task, seeds, fn_output_signature=dtypes)
    out = [None] * len(params)
    for i, mask in zip(chosen, per_task):
      out[i] = mask
    return out
