# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""MAML for reinforcement learning (Finn et al. 2017, sections 3.2, 5.3).

A task is an environment's parameters (a goal); the inner loop adapts a
Keras policy by K policy-gradient steps, each on fresh episodes sampled
with the current adapted weights,

  theta_{k+1} = theta_k + alpha * grad S_k(theta_k),
  S_k = mean over the live steps of the batch of logp_t * A_t

(REINFORCE with rllab's linear feature baseline, discount 0.99, advantages
normalised, as MAML's code), and the meta-objective is the expected return
of episodes sampled with theta_K, estimated with DiCE (`kerasmeta.rl.dice`).

`meta_gradient` chooses the estimator of its gradient:

- "unbiased": the gradient of the procedure as it runs, the expected
  post-adaptation objective over the inner episodes too. DiCE over the
  whole computation: the inner gradient is a function of theta and of the
  sampled episodes (differentiated with the episodes held fixed), the
  outer episodes' costs carry their own magic boxes, and the inner
  episodes' log-probabilities enter as one more magic box on the task's
  post-adaptation objective, `(M(sum of every inner logp) - 1) * (V' - b)`:
  the score term of Al-Shedivat et al. (2018) and Stadie et al. (2018),
  ProMP's "formulation II" (E-MAML). V' is the value of the objective whose
  gradient the post-adaptation surrogate estimates: its mean over the live
  steps of logp_t * A_t differentiates the per-step mean reward, scaled as
  the advantages are (1 / their std where normalised), so V' is the mean
  reward of the live steps times that scale (ProMP's E-MAML term also
  multiplies by a mean of normalised per-step rewards). b is V' averaged
  over the other tasks of the batch (independent of this task's samples).
  Without normalisation the estimate is unbiased for that objective; with
  it, each task's gradient is the unbiased one times its positive scale.
  The tests check it against closed forms on bandits of 1 and 5 pulls,
  discount 0 and 0.9 (with the episode return for V', as before, the 5-pull
  estimate had the wrong sign).
- "dice_hessian" (default): ProMP's "formulation I": the inner surrogate is
  loaded DiCE, so the Hessian of the inner objective is estimated with its
  score products (unbiased for the Hessian of the expected inner
  objective), and there is no score term: the meta-gradient of the
  expected return after a step along the *expected* inner gradient, up to
  the correlation of the sampled Hessian and gradient. (Combining this
  Hessian with the score term would count the inner sampling twice: the
  tests measure it.)
- "maml_code": as MAML's code: the plain surrogate's Hessian, no score
  term (it misses how theta moves the inner episodes).
- "lvc": ProMP's estimator (Rothfuss et al. 2019, eq. 12): the inner
  surrogate is the low-variance curvature one, `mean_t M(logp_t) A_t`
  (`dice.low_variance_surrogate`), whose Hessian keeps each action's own
  score product and drops those with earlier actions; no score term.
  Where no action's advantage depends on an earlier action (one step, or
  discount 0) its inner Hessian is DiCE's in expectation; otherwise it
  trades that bias for variance. The tests check its expectation against
  a closed form on bandits of 1 and 5 pulls, discount 0 and 0.9.
- "first_order": the inner updates are constants (first-order MAML).

Episodes per batch: `num_episodes` of them (default), or, with
`batch_steps`, maml_rl's time-step budget: of `num_episodes` episodes
sampled in parallel, those that start before `batch_steps` steps were
taken (`rollouts.within_budget`; maml_rl's navigation trains on 20 x 100
= 2,000 steps and tests on 4,000), so that episodes which reach the goal
early leave room for more. `num_episodes` then caps them: the metric
"budget_filled" (the fraction of batches whose episodes held the budget)
falls below 1 where it is too small.

ProMP's inner-KL penalty (`inner_kl_penalty`, `pro_mp.py`): with several
outer epochs on one batch of episodes, the objective adds
`mean_k eta_k KL(pi_k^sampling || pi_theta_k)`, the mean over inner steps
k of the KL between the policy that sampled step k's episodes and the one
the current weights give at that step (averaged over its live steps and
the tasks): it keeps the inner-step policies near the ones whose episodes
are replayed. It is 0, with gradient 0, in the first epoch. With
`inner_kl_target` the coefficients adapt after every meta-step as
ProMP's: halved where the step's KL (after the update) is below target /
1.5, doubled where above target * 1.5.

The outer step here is the trainer's optimiser (Adam) on the
meta-gradient, or PPO's clipped epochs (`outer_epochs`); the reference's
TRPO step (a KL trust region, conjugate gradients) is
`TRPOPolicyGradientMAML` (`navigation:maml_trpo`). With `num_inner_steps=0` the learner is the
"pretrained" baseline: one policy trained on all tasks jointly by the same
policy gradient, adapted at test time with the same inner steps.
"""

from __future__ import annotations

from typing import Any, NamedTuple, Optional, Sequence, TYPE_CHECKING, Union

import tensorflow as tf

from kerasmeta import functional
from kerasmeta import inner
from kerasmeta import sampling
from kerasmeta.algorithms import base
from kerasmeta.envs import base as envs_base
from kerasmeta.rl import returns as returns_lib
from kerasmeta.rl import dice
from kerasmeta.rl import policies
from kerasmeta.rl import rollouts

if TYPE_CHECKING:
  import keras
  from kerasmeta._typing import (Adapted, Metrics, Nest, Scalar, ScaleLoss,
                                 Seed, TaskBatch, Tensors)


META_GRADIENTS = ("unbiased", "dice_hessian", "maml_code", "lvc",
                  "first_order")


def adapt_kl_coefficients(coefficients: tf.Tensor, kls: tf.Tensor,
                          target: float) -> tf.Tensor:
  """ProMP's `_adapt_kl_coeff` for each inner step: the coefficient halved
  where its KL is below target / 1.5, doubled where above target * 1.5."""
  kls = tf.cast(kls, coefficients.dtype)
  return tf.where(kls < target / 1.5, coefficients / 2.0,
                  tf.where(kls > target * 1.5, coefficients * 2.0,
                           coefficients))


class PolicyAdaptation(NamedTuple):
  """A policy's adaptation record (`PolicyGradientMAML.adapt`'s details).

  Attributes:
    returns: the mean return of the episodes sampled with theta_k,
      k = 0..num_steps, float32 `[num_steps + 1]`.
    episodes: the `rollouts.Paths` of every step, `num_steps + 1` of them.
  """
  returns: tf.Tensor
  episodes: list


class TaskObjective(NamedTuple):
  """What one task contributes to the meta-gradient (`task_objective`).

  Attributes:
    loss: minus the post-adaptation surrogate (0 in value).
    value: V', the value of the objective whose gradient that surrogate
      estimates: the mean reward of the live post-adaptation steps, times
      the advantages' normalisation scale (a constant).
    inner_score: M(sum of the inner episodes' log-probabilities) - 1 (0 in
      value; its gradient is their score); 0 for the estimators without
      the score term.
    returns: the mean episode return after 0..K inner steps, [K + 1].
    paths: the K + 1 batches of episodes (`rollouts.Paths`).
    log_probs: their log-probabilities under the weights that drew them
      ([K + 1] of [episodes, horizon], constants).
    outputs: the policy's outputs on their observations under those
      weights ([K + 1] of [episodes, horizon, 2 * action_size], constants).
    inner_kls: KL(sampling policy || the current weights' policy) of each
      inner step, averaged over its live steps, [K].
    adapted: theta_K, the adapted weights.
    budget_filled: 1.0 if every batch's episodes held `batch_steps`
      (always without a budget), else 0.0.
  """
  loss: tf.Tensor
  value: tf.Tensor
  inner_score: tf.Tensor
  returns: tf.Tensor
  paths: list
  log_probs: list
  outputs: list
  inner_kls: tf.Tensor
  adapted: list
  budget_filled: tf.Tensor


class PolicyGradientMAML(base.ModelLearner):
  """MAML with policy-gradient inner steps on rollouts (meta-RL).

  ```python
  environment = km.envs.Navigation2D()
  policy = km.rl.gaussian_mlp_policy(2, 2)
  learner = km.algorithms.PolicyGradientMAML(policy, environment)
  trainer = km.training.Trainer(learner, km.envs.EnvironmentTasks(
      environment), "/tmp/navigation", meta_batch_size=20)
  ```

  Args:
    model: a Keras policy, observations -> [means, log stds]
      (`kerasmeta.rl.policies`).
    environment: a `kerasmeta.envs.Environment`.
    num_inner_steps: K policy-gradient steps per task (0: the pretrained
      baseline's joint training).
    inner_learning_rate: alpha (MAML's navigation: 0.5, on the surrogate
      averaged over the live steps of the batch, advantages normalised).
    num_episodes: episodes sampled for every inner step and for the
      meta-objective (MAML's "fast batch size", 20); with `batch_steps`,
      the most of them.
    batch_steps: 0 (every batch is `num_episodes` episodes), or maml_rl's
      time-step budget per batch (the module).
    meta_gradient: "unbiased", "dice_hessian", "maml_code", "lvc" or
      "first_order" (see the module).
    discount: gamma.
    gae_lambda: GAE's lambda (1: returns minus the baseline).
    baseline: "linear" (rllab's linear feature baseline) or "none".
    normalize_advantages: centre and scale the advantages of each batch of
      episodes (the reference code's `center_adv`).
    outer_epochs: optimiser steps per batch of sampled episodes (1: one
      gradient per batch; more: the later steps replay the episodes with
      importance weights, `train_step`).
    outer_clip: PPO's clipping of the post-adaptation surrogate (the ratio
      of each step's probability to the sampling one's, clipped to
      1 +- outer_clip; 0: none); it acts from the second epoch on.
    inner_kl_penalty: ProMP's eta, the initial coefficient of each inner
      step's KL penalty (0: none; ProMP's default 0.01; needs
      outer_epochs > 1, where it acts).
    inner_kl_target: ProMP's target inner KL for the coefficients'
      adaptation (0: fixed coefficients; ProMP: 0.01).
    roles: the policy's `functional.WeightRoles` (default: as its layers
      declare).
  """

  name = "maml_rl"
  metric_names: tuple[str, ...] = ("return_before", "return_after")

  def __init__(self, model: keras.Model, environment: envs_base.Environment,
               num_inner_steps: int = 1, inner_learning_rate: float = 0.1,
               num_episodes: int = 20, meta_gradient: str = "dice_hessian",
               discount: float = 0.99, gae_lambda: float = 1.0,
               baseline: str = "linear", normalize_advantages: bool = True,
               outer_epochs: int = 1, outer_clip: float = 0.0,
               inner_kl_penalty: float = 0.0, inner_kl_target: float = 0.0,
               batch_steps: int = 0,
               roles: Optional[functional.WeightRoles] = None) -> None:
    super().__init__(model, roles)
    if not isinstance(environment, envs_base.Environment):
      raise TypeError(f"Expected a kerasmeta Environment; received "
                      f"{type(environment).__name__}.")
    self.environment = environment.check()
    if int(num_inner_steps) < 0 or int(num_episodes) < 1:
      raise ValueError(f"num_inner_steps must be >= 0 and num_episodes >= 1; "
                       f"received {num_inner_steps} and {num_episodes}.")
    if not 0.0 <= discount <= 1.0 or not 0.0 <= gae_lambda <= 1.0:
      raise ValueError(f"discount and gae_lambda must lie in [0, 1]; "
                       f"received {discount} and {gae_lambda}.")
    if baseline not in ("linear", "none"):
      raise ValueError(f"baseline must be 'linear' or 'none'; received "
                       f"{baseline!r}.")
    if not self.roles.adapted:
      raise ValueError(f"Policy {model.name!r} has no adapted weights: there "
                       "is nothing for the inner steps to change.")
    outputs = model.outputs[0].shape[-1] if getattr(model, "outputs", None) \
        else None
    if outputs is not None and outputs != 2 * environment.action_size:
      raise ValueError(
          f"The policy must output means and log standard deviations, "
          f"2 * action_size = {2 * environment.action_size} values; "
          f"{model.name!r} outputs {outputs}.")
    self.num_inner_steps = int(num_inner_steps)
    self.inner_learning_rate = float(inner_learning_rate)
    self.num_episodes = int(num_episodes)
    if meta_gradient not in META_GRADIENTS:
      raise ValueError(f"meta_gradient must be one of {META_GRADIENTS}; "
                       f"received {meta_gradient!r}.")
    self.meta_gradient = meta_gradient
    if int(outer_epochs) < 1 or not 0.0 <= outer_clip < 1.0:
      raise ValueError(f"outer_epochs must be >= 1 and outer_clip in [0, 1); "
                       f"received {outer_epochs} and {outer_clip}.")
    if outer_clip and int(outer_epochs) == 1:
      raise ValueError(
          f"outer_clip={outer_clip} clips the ratio to the sampling policy, "
          "which is 1 in the only epoch of outer_epochs=1: set outer_epochs "
          "> 1 (PPO's several steps on the same episodes) or outer_clip=0.")
    self.outer_epochs, self.outer_clip = int(outer_epochs), float(outer_clip)
    self._set_batch_steps(batch_steps)
    self._set_inner_kl_penalty(inner_kl_penalty, inner_kl_target)
    self.discount, self.gae_lambda = float(discount), float(gae_lambda)
    self.baseline = baseline
    self.normalize_advantages = bool(normalize_advantages)

  def _set_batch_steps(self, batch_steps):
    """maml_rl's time-step budget (the module), checked."""
    if int(batch_steps) < 0 or int(batch_steps) > (
        self.num_episodes * self.environment.horizon):
      raise ValueError(
          f"batch_steps must be in [0, num_episodes * horizon = "
          f"{self.num_episodes * self.environment.horizon}] (num_episodes "
          f"caps the episodes that fill it); received {batch_steps}.")
    self.batch_steps = int(batch_steps)
    if self.batch_steps:
      self.metric_names = (*self.metric_names, "budget_filled")

  def _set_inner_kl_penalty(self, inner_kl_penalty, inner_kl_target):
    """ProMP's inner-KL penalty and its coefficients (the module),
    checked."""
    if not inner_kl_penalty >= 0 or not inner_kl_target >= 0:
      raise ValueError(f"inner_kl_penalty and inner_kl_target must be >= 0; "
                       f"received {inner_kl_penalty} and {inner_kl_target}.")
    if (inner_kl_penalty or inner_kl_target) and (
        self.outer_epochs == 1 or not self.num_inner_steps):
      raise ValueError(
          f"inner_kl_penalty={inner_kl_penalty} penalises the inner steps' "
          "move from the policies that sampled their episodes, which is 0 "
          "in the only epoch of outer_epochs=1 and absent without inner "
          "steps: set outer_epochs > 1 and num_inner_steps >= 1, or 0.")
    if inner_kl_target and not inner_kl_penalty:
      raise ValueError(f"inner_kl_target={inner_kl_target} adapts the "
                       "penalty's coefficients: set inner_kl_penalty > 0.")
    self.inner_kl_penalty = float(inner_kl_penalty)
    self.inner_kl_target = float(inner_kl_target)
    self.inner_kl_coefficients = None
    if self.inner_kl_penalty:
      self.metric_names = (*self.metric_names, "inner_kl")
      self.inner_kl_coefficients = tf.Variable(
          tf.fill([self.num_inner_steps], tf.constant(
              self.inner_kl_penalty, self.roles.adapted[0].dtype)),
          trainable=False, name="inner_kl_coefficients")

  @property  # overrides MetaLearner's attribute: read-only here
  def distributes(self) -> bool:  # type: ignore[override]
    """One outer epoch distributes; several replay episodes held on one
    replica."""
    return self.outer_epochs == 1

  @property
  def trainable_variables(self) -> list[tf.Variable]:
    return list(self.roles.adapted) + list(self.roles.meta)

  def checkpoint_items(self) -> dict[str, Any]:
    items = super().checkpoint_items()
    if self.inner_kl_coefficients is not None:
      items["inner_kl_coefficients"] = self.inner_kl_coefficients
    return items

  def policy_outputs(self, params: Sequence[tf.Tensor],
                     observations: tf.Tensor) -> tf.Tensor:
    """The policy's outputs with `params` for its adapted weights, on
    observations of any leading shape [..., observation_size]."""
    dtype = params[0].dtype
    flat = tf.reshape(tf.cast(observations, dtype),
                      [-1, observations.shape[-1]])
    outputs = functional.call_with_weights(self.model, params, flat,
                                           roles=self.roles)
    return tf.reshape(outputs, tf.concat(
        [tf.shape(observations)[:-1], [outputs.shape[-1]]], 0))

  def log_probs(self, params: Sequence[tf.Tensor],
                paths: rollouts.Paths) -> tf.Tensor:
    """log pi_params(a_t | s_t) of every step of `paths`, [episodes, T]."""
    return policies.log_prob(
        self.policy_outputs(params, paths.observations), paths.actions)

  def sample(self, params: Sequence[tf.Tensor], task: Any, seed: Seed,
             num_episodes: Optional[int] = None,
             deterministic: bool = False) -> rollouts.Paths:
    """Episodes of `task` with the policy at `params` (constants), within
    the learner's `batch_steps` where it has one."""
    frozen = [tf.stop_gradient(p) for p in params]
    paths = rollouts.rollout(
        self.environment, task.parameters if hasattr(task, "parameters")
        else task, lambda obs: self.policy_outputs(frozen, obs),
        num_episodes or self.num_episodes, seed, deterministic)
    if self.batch_steps:
      paths = rollouts.within_budget(paths, self.batch_steps)
    return paths

  def advantages(self, paths: rollouts.Paths) -> tf.Tensor:
    return returns_lib.advantages(
        paths, self.discount, self.gae_lambda, self.baseline,
        self.normalize_advantages)

  def surrogate_loss(self, params: Sequence[tf.Tensor], paths: rollouts.Paths,
                     advantages: tf.Tensor,
                     reference: Optional[tf.Tensor] = None, magic: bool = True,
                     clip: float = 0.0) -> tf.Tensor:
    """Minus the policy-gradient surrogate of `paths` at `params`: loaded
    DiCE (0 in value where `reference` is None or equals their
    log-probabilities), with `magic=False` the plain mean of logp * A,
    whose derivatives hold the episodes fixed, or with `clip` PPO's
    `mean_t min(r_t A_t, clip(r_t, 1 - clip, 1 + clip) A_t)`,
    r_t = pi(a_t | s_t) / pi_sampling(a_t | s_t) (first derivatives)."""
    log_probs = self.log_probs(params, paths)
    cast = lambda x: None if x is None else tf.cast(x, log_probs.dtype)
    if clip:
      alive, advantages = cast(paths.alive), cast(advantages)
      reference = tf.stop_gradient(log_probs) if reference is None \
          else cast(reference)
      ratio = tf.exp((log_probs - reference) * alive)
      clipped = tf.clip_by_value(ratio, 1.0 - clip, 1.0 + clip)
      objective = tf.minimum(ratio * advantages, clipped * advantages)
      return -tf.reduce_sum(objective * alive) / tf.reduce_sum(alive)
    if not magic:
      alive = cast(paths.alive)
      return -tf.reduce_sum(log_probs * alive * cast(advantages)) / \
          tf.reduce_sum(alive)
    return -dice.policy_gradient_surrogate(
        log_probs, cast(advantages), cast(paths.alive), cast(reference))

  def inner_surrogate_loss(self, params: Sequence[tf.Tensor],
                           paths: rollouts.Paths, advantages: tf.Tensor,
                           reference: Optional[tf.Tensor] = None) -> tf.Tensor:
    """Minus the surrogate an inner step differentiates: loaded DiCE
    ("dice_hessian"), ProMP's LVC ("lvc") or the plain one (the rest)."""
    if self.meta_gradient == "lvc":
      log_probs = self.log_probs(params, paths)
      cast = lambda x: None if x is None else tf.cast(x, log_probs.dtype)
      return -dice.low_variance_surrogate(
          log_probs, cast(advantages), cast(paths.alive), cast(reference))
    return self.surrogate_loss(params, paths, advantages, reference,
                               magic=self.meta_gradient == "dice_hessian")

  def inner_transform(
      self, learning_rate: Optional[Scalar] = None,
      first_order: Optional[bool] = None) -> inner.GradientTransform:
    if first_order is None:
      first_order = self.meta_gradient == "first_order"
    return inner.sgd(
        self.inner_learning_rate if learning_rate is None else learning_rate,
        first_order=first_order)

  def task_objective(
      self, task: Any, seed: Seed, params: Tensors | None = None,
      paths: Sequence[rollouts.Paths] | None = None,
      references: Tensors | None = None, num_inner_steps: int | None = None,
      clip: float = 0.0, outputs: Tensors | None = None,
      with_inner_kls: bool | None = None) -> TaskObjective:
    """The K inner steps and the meta-objective of one task.

    Args:
      task: an `EnvironmentTask` (unbatched) or its parameters.
      seed: the task's stateless seed, int32 [2].
      params: theta_0 (default: the policy's adapted weights).
      paths: None (sample), or the K + 1 batches of episodes to use instead
        (the tests replay recorded ones).
      references: with `paths`, their log-probabilities under the weights
        that drew them: DiCE's magic boxes become those importance weights.
      outputs: with `paths`, the policy's outputs under those weights
        (the inner KL's sampling policies; None: the current ones).
      with_inner_kls: compute each inner step's KL (default: where the
        inner-KL penalty needs it; else `inner_kls` is zeros).
      num_inner_steps: K (default: the learner's).
      clip: PPO's clipping of the post-adaptation surrogate (0: DiCE's).

    Returns:
      A `TaskObjective`.
    """
    num_steps = self.num_inner_steps if num_inner_steps is None \
        else int(num_inner_steps)
    params = self.initial_values() if params is None else list(params)
    transform = self.inner_transform()
    state = transform.init(params)
    seeds = tf.unstack(sampling.split(seed, num_steps + 1))
    all_paths, all_log_probs, returns, inner_log_prob = [], [], [], 0.0
    all_outputs, inner_kls, reference_total, filled = [], [], 0.0, []
    if with_inner_kls is None:
      with_inner_kls = self.inner_kl_coefficients is not None
    for k in range(num_steps + 1):
      batch = self.sample(params, task, seeds[k]) if paths is None \
          else paths[k]
      # The kept episodes reach the budget exactly when they held it.
      filled.append(tf.reduce_sum(batch.alive) >= float(self.batch_steps))
      reference = None if references is None else references[k]
      advantages, scale = returns_lib.advantages_and_scale(
          batch, self.discount, self.gae_lambda, self.baseline,
          self.normalize_advantages)
      returns.append(rollouts.mean_return(batch))
      all_paths.append(batch)
      current = self.policy_outputs(params, batch.observations)
      log_probs = policies.log_prob(current, batch.actions)
      all_log_probs.append(tf.stop_gradient(log_probs))
      sampling_outputs = tf.stop_gradient(current) if outputs is None \
          else tf.cast(outputs[k], current.dtype)
      all_outputs.append(sampling_outputs)
      if k == num_steps:
        loss = self.surrogate_loss(params, batch, advantages, reference,
                                   clip=clip)
        value = scale * tf.reduce_sum(batch.rewards * batch.alive) / \
            tf.reduce_sum(batch.alive)
        break
      alive = tf.cast(batch.alive, log_probs.dtype)
      inner_kls.append(policies.mean_kl(sampling_outputs, current, alive)
                       if with_inner_kls else tf.zeros([], alive.dtype))
      inner_log_prob += tf.reduce_sum(log_probs * alive)
      reference_total += tf.reduce_sum(
          (tf.stop_gradient(log_probs) if reference is None
           else tf.cast(reference, log_probs.dtype)) * alive)
      params, _, state = inner.step(
          lambda values, b=batch, a=advantages, r=reference:
          self.inner_surrogate_loss(values, b, a, r),
          params, transform, state)
    if self.meta_gradient == "unbiased" and num_steps:
      inner_score = dice.magic_box(inner_log_prob, reference_total) - 1.0
    else:
      inner_score = tf.zeros([], loss.dtype)
    inner_kls = tf.stack(inner_kls) if inner_kls else tf.zeros([0])
    return TaskObjective(loss, tf.stop_gradient(tf.cast(value, loss.dtype)),
                         tf.cast(inner_score, loss.dtype), tf.stack(returns),
                         all_paths, all_log_probs, all_outputs,
                         tf.cast(inner_kls, loss.dtype), params,
                         tf.cast(tf.reduce_all(filled), tf.float32))

  def sample_episodes(
      self, tasks: TaskBatch,
      seeds: tf.Tensor) -> tuple[list[rollouts.Paths], list, list]:
    """Every task's K + 1 batches of episodes with the current weights,
    their log-probabilities and the policy's outputs (what later epochs
    replay), with a task axis: `(paths, log_probs, outputs)`."""
    episodes = self.num_episodes
    horizon = self.environment.horizon
    spec = lambda *shape: tf.TensorSpec([episodes, horizon, *shape],
                                        tf.float32)
    paths_spec = rollouts.Paths(spec(self.environment.observation_size),
                                spec(self.environment.action_size),
                                spec(), spec())
    dtype = tf.as_dtype(self.roles.adapted[0].dtype)
    steps = self.num_inner_steps + 1

    def one(elements):
      task, seed = elements
      result = self.task_objective(envs_base.EnvironmentTask(*task), seed)
      return result.paths, result.log_probs, result.outputs

    size = 2 * self.environment.action_size
    return tf.map_fn(one, (tuple(tasks), seeds), fn_output_signature=(
        [paths_spec] * steps,
        [tf.TensorSpec([episodes, horizon], dtype)] * steps,
        [tf.TensorSpec([episodes, horizon, size], dtype)] * steps))

  def batch_objective(
      self, tasks: TaskBatch, seeds: tf.Tensor, recorded: Optional[Nest] = None,
      clip: float = 0.0, global_batch_size: Optional[int] = None,
      scale_loss: Optional[ScaleLoss] = None) -> tuple[tf.Tensor, Metrics]:
    """The objective a replica differentiates, and its metrics.

    Args:
      tasks: an `EnvironmentTask` batch.
      seeds: int32 [tasks, 2].
      recorded: None (sample), or `sample_episodes`' result to replay.
      clip: PPO's clipping of the post-adaptation surrogate.
      global_batch_size: as `compute_gradients`.
      scale_loss: as `compute_gradients`.

    Returns:
      `(objective, {"return_before", "return_after"}` and, with the inner
      KL penalty, "inner_kl": the inner steps' mean KL`)`.
    """
    num_tasks = seeds.shape[0]
    dtype = tf.as_dtype(self.roles.adapted[0].dtype)

    def per_task(elements):
      task, seed = elements[:2]
      paths, references, outputs = elements[2] if recorded is not None \
          else (None, None, None)
      result = self.task_objective(envs_base.EnvironmentTask(*task), seed,
                                   paths=paths, references=references,
                                   outputs=outputs, clip=clip)
      return (result.loss, result.value, result.inner_score,
              result.inner_kls, result.returns[-1], result.returns[0],
              result.budget_filled)

    elements = (tuple(tasks), seeds) + (
        (recorded,) if recorded is not None else ())
    loss, value, inner_score, inner_kls, after, before, filled = tf.map_fn(
        per_task, elements,
        fn_output_signature=(dtype, dtype, dtype, tf.TensorSpec(
            [self.num_inner_steps], dtype), tf.float32, tf.float32,
                             tf.float32),
        parallel_iterations=num_tasks or 10)
    # b_i: the other tasks' mean V' (0 alone).
    others = (tf.reduce_sum(value) - value) / tf.maximum(
        tf.cast(tf.size(value) - 1, value.dtype), 1.0)
    others = others if (num_tasks or 2) > 1 else tf.zeros_like(value)
    values = loss - inner_score * tf.stop_gradient(value - others)
    total = base.mean_over_tasks(values, global_batch_size, scale_loss)
    metrics = {"return_before": tf.reduce_mean(before),  # theta_0's
               "return_after": tf.reduce_mean(after)}
    if self.batch_steps:
      metrics["budget_filled"] = tf.reduce_mean(filled)
    if self.inner_kl_coefficients is not None:
      # ProMP: the mean over inner steps of eta_k times the tasks' mean KL.
      step_kls = tf.reduce_mean(inner_kls, axis=0)
      total += tf.reduce_mean(tf.cast(self.inner_kl_coefficients, dtype)
                              * step_kls)
      metrics["inner_kl"] = tf.cast(tf.reduce_mean(step_kls), tf.float32)
    return total, metrics

  def inner_step_kls(self, tasks: TaskBatch, seeds: tf.Tensor,
                     recorded: Nest) -> tf.Tensor:
    """Each inner step's KL between the recorded sampling policies and the
    current weights' ones, averaged over live steps and tasks, [K]."""
    dtype = tf.as_dtype(self.roles.adapted[0].dtype)

    def per_task(elements):
      task, seed, (paths, references, outputs) = elements
      return self.task_objective(envs_base.EnvironmentTask(*task), seed,
                                 paths=paths, references=references,
                                 outputs=outputs,
                                 with_inner_kls=True).inner_kls

    return tf.reduce_mean(tf.map_fn(
        per_task, (tuple(tasks), seeds, recorded),
        fn_output_signature=tf.TensorSpec([self.num_inner_steps], dtype)),
                          axis=0)

  def compute_gradients(
      self, tasks: TaskBatch, seeds: tf.Tensor,
      global_batch_size: Optional[int] = None,
      scale_loss: Optional[ScaleLoss] = None) -> base.MetaGradients:
    with tf.GradientTape() as tape:
      total, metrics = self.batch_objective(
          tasks, seeds, global_batch_size=global_batch_size,
          scale_loss=scale_loss)
    return base.MetaGradients(
        base.gradients(tape, total, self.trainable_variables), metrics)

  def train_step(
      self, state: dict, batch: tuple[TaskBatch, tf.Tensor],
      optimizer: keras.optimizers.Optimizer,
      context: base.StepContext = base.StepContext()) -> tuple[dict, Metrics]:
    """One meta-gradient step, or with `outer_epochs > 1` several outer
    steps on one batch of sampled episodes (PPO-style, as ProMP trains).

    The episodes (the inner steps' and the post-adaptation ones, with the
    current weights) are sampled once; the first epoch is the
    meta-gradient itself, the later ones replay the episodes with
    importance weights (DiCE's magic boxes against the sampling
    log-probabilities) and PPO's clipped post-adaptation surrogate. The
    metrics are the sampled episodes' returns.
    """
    if self.outer_epochs == 1:
      return super().train_step(state, batch, optimizer, context)
    tasks, seeds = batch
    variables = self.trainable_variables
    recorded = self.sample_episodes(tasks, seeds)
    metrics: Any
    nonfinite, metrics = [], None
    for _ in range(self.outer_epochs):
      with tf.GradientTape() as tape:
        total, epoch_metrics = self.batch_objective(
            tasks, seeds, recorded=recorded, clip=self.outer_clip,
            global_batch_size=context.global_batch_size)
      gradients = base.gradients(tape, total, variables)
      checked = base.check_gradients(gradients, epoch_metrics)
      nonfinite.append(checked[base.NONFINITE_GRADIENTS])
      metrics = metrics or epoch_metrics
      optimizer.apply(gradients, variables)
    metrics = dict(metrics)
    if self.inner_kl_coefficients is not None:
      # The inner KLs after the update, as ProMP's `compute_stats`.
      step_kls = self.inner_step_kls(tasks, seeds, recorded)
      if self.inner_kl_target:
        self.inner_kl_coefficients.assign(adapt_kl_coefficients(
            self.inner_kl_coefficients, step_kls, self.inner_kl_target))
      metrics["inner_kl"] = tf.cast(tf.reduce_mean(step_kls), tf.float32)
    return state, {**metrics,
                   base.NONFINITE_GRADIENTS: tf.reduce_max(nonfinite)}

  def adapt(self, task: Any, support_y: Optional[Any] = None, *,
            seed: Optional[Seed] = None, num_steps: Optional[int] = None,
            learning_rate: Optional[Union[Scalar, Sequence[Scalar]]] = None,
            num_episodes: Optional[int] = None) -> inner.AdaptResult:
    """Adapts the policy to `task` by `num_steps` first-order policy-gradient
    steps (evaluation: nothing is differentiated).

    Args:
      task: an `EnvironmentTask` or its parameters.
      support_y: must be None (a policy's support set is its episodes).
      seed: a stateless seed, int32 [2] (required: the episodes' draws).
      num_steps: policy-gradient steps (default: `num_inner_steps`).
      learning_rate: None (the learner's alpha), a step size, or a sequence
        of them, step k taking entry min(k, len - 1) (MAML's test: 0.5,
        then 0.25).
      num_episodes: episodes per step (default: the learner's).

    Returns:
      An `inner.AdaptResult`: `params` the policy's adapted weights after
      the last step; `losses` minus the mean return of the episodes each
      step learns from, `[num_steps]`; `trajectory` the weights at steps
      0..num_steps, stacked per weight; `details` a `PolicyAdaptation`
      (the returns at every step, the last's included, and the episodes).
    """
    if support_y is not None:
      raise TypeError("A policy adapts from the episodes it samples; "
                      f"received support_y={support_y!r}.")
    if seed is None:
      raise ValueError("A policy's adaptation samples episodes: pass "
                       "seed=<int32 [2]>.")
    num_steps = self.num_inner_steps if num_steps is None else num_steps
    count = num_episodes or self.num_episodes
    if self.batch_steps and count * self.environment.horizon < \
        self.batch_steps:
      raise ValueError(
          f"num_episodes={count} episodes of at most "
          f"{self.environment.horizon} steps cannot hold the learner's "
          f"batch_steps={self.batch_steps}: sample more episodes.")
    rates = list(learning_rate) if isinstance(learning_rate, (list, tuple)) \
        else [learning_rate]
    if not rates:
      raise ValueError("learning_rate is an empty sequence.")
    params = [tf.stop_gradient(p) for p in self.initial_values()]
    seeds = tf.unstack(sampling.split(seed, num_steps + 1))
    trajectory, returns, all_paths = [params], [], []
    for k in range(num_steps + 1):
      batch = self.sample(params, task, seeds[k], num_episodes)
      returns.append(rollouts.mean_return(batch))
      all_paths.append(batch)
      if k < num_steps:
        transform = self.inner_transform(rates[min(k, len(rates) - 1)],
                                         first_order=True)  # SGD: stateless
        advantages = self.advantages(batch)
        params, _, _ = inner.step(
            lambda values, b=batch, a=advantages: self.surrogate_loss(
                values, b, a, magic=False), params, transform,
            transform.init(params))
        trajectory.append(params)
    returns = tf.stack(returns)
    return inner.AdaptResult(
        params, -returns[:num_steps],
        trajectory=[tf.stack(values) for values in zip(*trajectory)],
        details=PolicyAdaptation(returns, all_paths))

  # No `training` or `meta_values`: a policy's outputs take neither.
  def predict(self, adapted: Adapted,  # type: ignore[override]
              x: tf.Tensor) -> tf.Tensor:
    """The policy's outputs on observations `x` (any leading shape) with
    the weights of what `adapt` returned (or those weights)."""
    return self.policy_outputs(base.adapted_params(adapted), x)
