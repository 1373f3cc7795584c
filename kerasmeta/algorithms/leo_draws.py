# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""LEO's meta-training draws, made before the computation they feed.

Meta-training draws z and w from their Gaussians and drops out the
embeddings (Rusu et al. 2019, section 2.3 and the reference code's
`is_meta_training`). Each task's draws are a pure function of its own seed
(`kerasmeta.sampling`, the same with and without XLA), one purpose per
draw:

  fold_in(seed, ENCODER_DROPOUT)             the encoder's input dropout
  fold_in(seed, LATENTS)                     z ~ N(mu, sigma)
  fold_in(fold_in(seed, LATENT_STEPS), 2s)   w ~ N(mu_w, sigma_w) decoded
                                             at latent step s (and s = S:
                                             after the last)
  fold_in(fold_in(seed, LATENT_STEPS), 2s+1) the support dropout of step s
  fold_in(fold_in(seed, FINETUNING), s)      the support dropout of
                                             fine-tuning step s
  fold_in(seed, QUERY)                       the query dropout

Drawing them first, for every task of a batch at once, lets the rest of
the meta-step run on the whole batch at once (a leading task axis on every
tensor) instead of one task at a time.
"""

from __future__ import annotations

from typing import NamedTuple, Optional, TYPE_CHECKING

import tensorflow as tf

from kerasmeta import sampling

if TYPE_CHECKING:
  from kerasmeta._typing import IntLike, Seed

ENCODER_DROPOUT, LATENTS, LATENT_STEPS, FINETUNING, QUERY = range(5)


class LEODraws(NamedTuple):
  """The draws of a batch of tasks (leading axis T; `draw`).

  Attributes:
    encoder_keep: `[T, N, K, features]` bool: the class-major support
      embeddings the encoder keeps.
    latent_noise: `[T, N, K, num_latents]`: z = mu + sigma * noise.
    decoder_noise: `[T, S + 1, N, K, features]`: w's noise when decoding at
      latent step s, and after the last (s = S).
    latent_keep: `[T, S, N * K, features]`: the support embeddings (in the
      task's order) each latent step's loss keeps.
    finetuning_keep: `[T, F, N * K, features]`: the same per fine-tuning
      step.
    query_keep: `[T, Q, features]`: the query embeddings kept.
  """
  encoder_keep: tf.Tensor
  latent_noise: tf.Tensor
  decoder_noise: tf.Tensor
  latent_keep: tf.Tensor
  finetuning_keep: tf.Tensor
  query_keep: tf.Tensor


def draw(seeds: Seed, *, ways: int, shots: int, num_query: int, features: int,
         num_latents: int, num_latent_steps: int, num_finetuning_steps: int,
         dropout_rate: float, dtype: tf.DType = tf.float32) -> LEODraws:
  """Each task's draws from its seed (`seeds` int32 `[T, 2]`): a
  `LEODraws` (the module docstring gives each draw's seed).

  Every draw is made for all the tasks at once, and all the masks (and
  all the noises) in one Philox evaluation (`sampling.uniform_each`,
  `normal_each`, `kerasmeta.philox`: each row its seed's own numbers). A
  loop over the tasks' seeds (`tf.map_fn` of the one-seed draws) took 17
  ms of LEO's meta-step at meta-batch 12; written out task by task it
  compiled for 101 s.
  """
  seeds = tf.convert_to_tensor(seeds, tf.int32)
  support = ways * shots
  purpose = sampling.fold_in_each(seeds, range(QUERY + 1))
  latent_step = sampling.fold_in_each(purpose[LATENT_STEPS],
                                      range(2 * num_latent_steps + 1))
  finetuning_step = sampling.fold_in_each(purpose[FINETUNING],
                                          range(num_finetuning_steps))
  masks = [([ways, shots, features], purpose[ENCODER_DROPOUT])]
  masks += [([support, features], latent_step[2 * s + 1])
            for s in range(num_latent_steps)]
  masks += [([support, features], finetuning_step[s])
            for s in range(num_finetuning_steps)]
  masks += [([num_query, features], purpose[QUERY])]
  noises = [([ways, shots, num_latents], purpose[LATENTS])]
  noises += [([ways, shots, features], latent_step[2 * s])
             for s in range(num_latent_steps + 1)]
  if dropout_rate == 0.0:
    keeps = [tf.ones([tf.shape(seeds)[0], *shape], tf.bool)
             for shape, _ in masks]
  else:
    keeps = [u >= dropout_rate for u in sampling.uniform_each(masks)]
  normals = sampling.normal_each(noises, dtype)

  def steps(drawn, shape, out_dtype):
    if not drawn:
      return tf.zeros([tf.shape(seeds)[0], 0, *shape], out_dtype)
    return tf.stack(drawn, axis=1)

  latent_keeps = keeps[1:1 + num_latent_steps]
  finetuning_keeps = keeps[1 + num_latent_steps:-1]
  return LEODraws(
      keeps[0], normals[0],
      steps(normals[1:], [ways, shots, features], dtype),
      steps(latent_keeps, [support, features], tf.bool),
      steps(finetuning_keeps, [support, features], tf.bool), keeps[-1])


def dropped(x: tf.Tensor, keep: Optional[tf.Tensor], rate: float) -> tf.Tensor:
  """`x` dropped out with the mask `keep` (None: kept whole)."""
  if keep is None or rate == 0.0:
    return x
  return sampling.apply_dropout(x, keep, rate)


def at_step(draws: Optional[tf.Tensor], step: IntLike) -> Optional[tf.Tensor]:
  """Entry `step` of the per-step draws `[T, steps, ...]`, or None."""
  return None if draws is None else tf.gather(draws, step, axis=1)
