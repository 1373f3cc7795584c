# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Score-function surrogates whose derivatives of any order are unbiased.

DiCE (Foerster et al. 2018): the "magic box" `M(x) = exp(x - stop(x))` is 1
in value, and its derivative is `M(x) * dx`: a product of M's of the
log-probabilities of the samples a cost depends on, times the cost, has as
its n-th derivative an unbiased estimate of the n-th derivative of the
expected cost. Seen another way, `M(logp) = pi(a) / pi_sampled(a)`, the
importance weight of the samples at the parameters that drew them: with
`reference` given (the log-probabilities under the sampling parameters, as
constants), the surrogate is that importance-weighted objective, a smooth
function whose derivatives at the sampling parameters are DiCE's. The
tests check the meta-gradient against finite differences of exactly that.

The policy-gradient surrogate is loaded DiCE with a baseline (Farquhar et
al. 2019; Mao et al. 2019): `sum_t (M(logp_{<=t}) - M(logp_{<t})) A_t`.
With advantages A_t = G_t - b(s_t) its first derivative is REINFORCE with a
baseline, `sum_t grad logp_t A_t`; its second derivative holds the
products of scores of every earlier action that the plain surrogate
`sum_t logp_t A_t` leaves out: it estimates the Hessian of the expected
return, where the plain one differentiates with the samples held fixed.
Which of the two an inner step wants depends on the meta-gradient
estimator (`kerasmeta.algorithms.policy_gradient_maml`).
"""

from __future__ import annotations

from typing import Optional

import tensorflow as tf


def magic_box(x: tf.Tensor, reference: Optional[tf.Tensor] = None) -> tf.Tensor:
  """`exp(x - reference)`, reference = stop_gradient(x) by default: 1 in
  value, the score function in its derivatives."""
  reference = tf.stop_gradient(x) if reference is None else reference
  return tf.exp(x - reference)


def policy_gradient_surrogate(
    log_probs: tf.Tensor, advantages: tf.Tensor, alive: tf.Tensor,
    reference: Optional[tf.Tensor] = None) -> tf.Tensor:
  """Loaded DiCE of a batch of episodes, averaged over the live steps.

  Args:
    log_probs: log pi(a_t | s_t) under the parameters to differentiate,
      [episodes, horizon].
    advantages: constants, [episodes, horizon].
    alive: 1 for the steps that happened, [episodes, horizon].
    reference: None (the samples were drawn with these parameters), or the
      log-probabilities under the parameters that drew them.

  Returns:
    A scalar, 0 at the sampling parameters; its gradient is the policy
    gradient estimate `mean_t grad logp_t A_t` (MAML's code averages over
    all steps of the batch), its higher derivatives DiCE's.
  """
  log_probs = log_probs * alive
  if reference is None:
    reference = tf.stop_gradient(log_probs)
  reference = reference * alive
  up_to = tf.cumsum(log_probs, axis=-1)
  before = up_to - log_probs
  weights = (magic_box(up_to, tf.cumsum(reference, axis=-1))
             - magic_box(before, tf.cumsum(reference, axis=-1) - reference))
  total = tf.reduce_sum(weights * tf.stop_gradient(advantages) * alive)
  return total / tf.stop_gradient(tf.reduce_sum(alive))


def low_variance_surrogate(log_probs: tf.Tensor, advantages: tf.Tensor,
                           alive: tf.Tensor,
                           reference: Optional[tf.Tensor] = None) -> tf.Tensor:
  """ProMP's low-variance curvature (LVC) surrogate (Rothfuss et al. 2019,
  eq. 12; `pro_mp.py` `_adapt_objective_sym`): the mean over the live
  steps of `M(logp_t) A_t`, each action's own likelihood ratio.

  Its gradient is the policy gradient as DiCE's; its Hessian keeps each
  step's own score product `grad logp_t grad logp_t^T A_t` and drops the
  products with earlier actions, which DiCE keeps: lower variance, biased
  where an action's advantage depends on the earlier ones (discounting
  over several steps).

  Args:
    log_probs, advantages, alive, reference: as
      `policy_gradient_surrogate`.

  Returns:
    A scalar, the mean advantage at the sampling parameters.
  """
  if reference is None:
    reference = tf.stop_gradient(log_probs)
  ratios = magic_box(log_probs * alive, reference * alive)
  total = tf.reduce_sum(ratios * tf.stop_gradient(advantages) * alive)
  return total / tf.stop_gradient(tf.reduce_sum(alive))
