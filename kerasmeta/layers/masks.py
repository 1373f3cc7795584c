# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""MT-net gradient masks (Lee & Choi 2018, eqs. 9-11).

A mask decides which weights a task-specific learner may change. Its
probability of being 1 is `sigmoid(zeta)` for a meta-learned logit `zeta`
(eq. 9). Samples use the binary Gumbel-softmax (concrete) relaxation at a
temperature `tau` (eqs. 10-11) with a straight-through hard sample: the value
is exactly 0 or 1, the gradient is the relaxed sample's gradient with
respect to `zeta`.
"""

from __future__ import annotations

import dataclasses
from typing import Optional, TYPE_CHECKING

import tensorflow as tf

from kerasmeta import sampling

if TYPE_CHECKING:
  from kerasmeta._typing import Scalar, Seed, TensorLike

MASK_KINDS = ("unit", "weight")


def check_mask_kind(mask: Optional[str]) -> Optional[str]:
  """Returns `mask` if it names a mask kind or is None, else raises."""
  if mask is not None and mask not in MASK_KINDS:
    raise ValueError(
        f"mask must be one of {MASK_KINDS} or None; received mask={mask!r}.")
  return mask


def sample_binary_concrete(logits: TensorLike, temperature: Scalar, seed: Seed,
                           hard: bool = True) -> tf.Tensor:
  """Samples a relaxed Bernoulli of probability sigmoid(logits).

  With g1, g2 ~ Gumbel(0, 1), eq. 11 of the MT-net paper is
  `softmax([zeta + g1, g2] / tau)[0] = sigmoid((zeta + g1 - g2) / tau)`, and
  g1 - g2 is a standard logistic variable, sampled here by inverse CDF.

  Args:
    logits: float tensor of logits zeta.
    temperature: relaxation temperature tau > 0.
    seed: stateless RNG seed, an int tensor of shape [2]. Drawn through
      `kerasmeta.sampling`, so samples are the same with and without XLA
      (tf.random's own stateless ops are not: XLA draws other numbers).
    hard: if True, the value is the hard sample `soft > 0.5` (exactly 0 or 1)
      and the gradient is that of the soft sample (straight-through).

  Returns:
    A tensor shaped like `logits`.
  """
  logits = tf.convert_to_tensor(logits)
  uniform = tf.cast(sampling.uniform(tf.shape(logits), seed, 1e-7,
                                     1.0 - 1e-7), logits.dtype)
  logistic = tf.math.log(uniform) - tf.math.log1p(-uniform)
  soft = tf.sigmoid((logits + logistic) / temperature)
  if not hard:
    return soft
  hard_sample = tf.cast(soft > 0.5, logits.dtype)
  # soft - stop_gradient(soft) is exactly zero in value, so the result is
  # exactly 0 or 1 while its gradient is d soft / d logits.
  return hard_sample + (soft - tf.stop_gradient(soft))


def most_probable_mask(logits: TensorLike) -> tf.Tensor:
  """The mode of Bernoulli(sigmoid(logits)): 1 where zeta > 0, else 0."""
  logits = tf.convert_to_tensor(logits)
  return tf.cast(logits > 0, logits.dtype)


@dataclasses.dataclass(frozen=True)
class MaskSpec:
  """How one adapted weight is masked.

  Attributes:
    weight: the adapted variable the mask multiplies the gradient of.
    logits: the meta variable holding the logits zeta.
    kind: "unit" (one logit per output unit, sampled once per task and
      broadcast over the weight's last axis) or "weight" (one logit per
      weight, resampled at every inner step).
    temperature: the Gumbel-softmax temperature tau.
  """
  weight: object
  logits: object
  kind: str
  temperature: float = 1.0

  @property
  def per_step(self) -> bool:
    return self.kind == "weight"
