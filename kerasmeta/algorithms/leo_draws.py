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

Drawing them first, for every task of a batch in one loop over the seeds,
lets the rest of the meta-step run on the whole batch at once (a leading
task axis on every tensor) instead of one task at a time.
"""

from typing import NamedTuple

import tensorflow as tf

from kerasmeta import sampling

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


def draw(seeds, *, ways, shots, num_query, features, num_latents,
         num_latent_steps, num_finetuning_steps, dropout_rate,
         dtype=tf.float32):
  """Each task's draws from its seed (`seeds` int32 `[T, 2]`): a
  `LEODraws` (the module docstring gives each draw's seed)."""
  def keep(shape, seed):
    if dropout_rate == 0.0:
      return tf.ones(shape, tf.bool)
    return sampling.uniform(shape, seed) >= dropout_rate

  def steps(make, count, shape, out_dtype):
    if not count:
      return tf.zeros([0, *shape], out_dtype)
    return tf.stack([make(step) for step in range(count)])

  support = ways * shots

  def one(seed):
    at = lambda purpose, step: sampling.fold_in(
        sampling.fold_in(seed, purpose), step)
    return LEODraws(
        keep([ways, shots, features], sampling.fold_in(seed, ENCODER_DROPOUT)),
        sampling.normal([ways, shots, num_latents],
                        sampling.fold_in(seed, LATENTS), dtype),
        steps(lambda s: sampling.normal([ways, shots, features],
                                        at(LATENT_STEPS, 2 * s), dtype),
              num_latent_steps + 1, [ways, shots, features], dtype),
        steps(lambda s: keep([support, features], at(LATENT_STEPS, 2 * s + 1)),
              num_latent_steps, [support, features], tf.bool),
        steps(lambda s: keep([support, features], at(FINETUNING, s)),
              num_finetuning_steps, [support, features], tf.bool),
        keep([num_query, features], sampling.fold_in(seed, QUERY)))

  spec = lambda shape, out_dtype: tf.TensorSpec(shape, out_dtype)
  signature = LEODraws(
      spec([ways, shots, features], tf.bool),
      spec([ways, shots, num_latents], dtype),
      spec([num_latent_steps + 1, ways, shots, features], dtype),
      spec([num_latent_steps, support, features], tf.bool),
      spec([num_finetuning_steps, support, features], tf.bool),
      spec([num_query, features], tf.bool))
  # One loop over the tasks' seeds: written out task by task, XLA runs the
  # draws twice as fast but compiles every draw of every task (101 s and
  # 6 GB for 12 tasks, against 13 s).
  return tf.map_fn(one, seeds, fn_output_signature=signature)


def dropped(x, keep, rate):
  """`x` dropped out with the mask `keep` (None: kept whole)."""
  if keep is None or rate == 0.0:
    return x
  return sampling.apply_dropout(x, keep, rate)


def at_step(draws, step):
  """Entry `step` of the per-step draws `[T, steps, ...]`, or None."""
  return None if draws is None else tf.gather(draws, step, axis=1)
