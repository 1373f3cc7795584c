# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""WarpGrad (Flennerhag et al. 2020): meta-learned warp layers.

Warp layers (`kerasmeta.layers.warp`) are meta weights phi inside the task
learner; the task weights theta adapt by plain SGD (optionally with
momentum) and backpropagating through the warp layers preconditions their
gradients. WarpGrad trains

  J(phi, theta_0) = L(phi) + lambda C(theta_0)                      (eq. 9)

where L is the warp objective over task parameterisations theta_k sampled
from adaptation trajectories, each held constant:

  L(phi)  = sum L_meta(theta_k - alpha grad L_task(theta_k; phi); phi)   (7)
  L^(phi) = sum L_meta(sg[theta_k - alpha grad L_task(theta_k; phi)]; phi) (8)

with the task loss on the support set and the meta loss on the query set,
so the two are evaluated on different batches of task data (with
`inner_batch_size`, trajectories follow mini-batches; the warp objective's
task loss takes the whole support set). C is MAML's
objective (Warp-MAML, eq. 11), Leap's (Warp-Leap, eqs. 10, 12, 13) or
nothing (a fixed initialisation). As in algorithms 1-3, phi gets the
gradient of L only and theta_0 the gradient of C only (C is computed with
the warp held fixed), and lambda scales theta_0's step, `theta_0 <- theta_0
- lambda beta g` (the trainer gives theta_0 an outer optimiser of its own
with learning rate lambda beta, see `variable_groups`; with Adam, scaling
the gradient instead would cancel out).

Meta-training (appendix B): `WarpGrad` is the online scheme, which
accumulates both gradients over the meta-batch's trajectories and takes one
step (algorithm 1: `compute_gradients` and the default `train_step`);
`OfflineWarpGrad` (algorithm 2) and `ContinualWarpGrad` (algorithm 3) are
subclasses with `train_step`s of their own
(`kerasmeta.algorithms.warp_schemes`), which use `collect`, `warp_loss`
and `continual_losses` from here.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence, TYPE_CHECKING

import tensorflow as tf

from kerasmeta import inner
from kerasmeta import sampling
from kerasmeta.algorithms import gradient_learner
from kerasmeta.algorithms import leap
from kerasmeta.algorithms import learned_inner
from kerasmeta.algorithms import task_mappers

if TYPE_CHECKING:
  import keras
  from kerasmeta._typing import (LearningRate, LossFn, Mapper, Metrics, Nest,
                                 Scalar, Seed, TransformLike)
  from kerasmeta.inner import AdaptResult

INIT_OBJECTIVES = ("maml", "leap", "none")


def warp_objective(task_loss_fn: LossFn, meta_loss_fn: LossFn,
                   params: Sequence[tf.Tensor], transform: TransformLike,
                   state: Optional[Nest] = None,
                   exact: bool = True) -> tuple[tf.Tensor, tf.Tensor]:
  """The warp objective at one task parameterisation theta_k (eq. 7 / 8).

  theta_k (and the inner update's state there, e.g. its momentum buffer) is
  held constant; the step from it is differentiated with respect to the
  warp (eq. 7, `exact`) or taken as given (eq. 8: the gradient reaches phi
  through the meta loss's forward pass only).

  Args:
    task_loss_fn: `params -> task loss` (support data), reading the warp.
    meta_loss_fn: `params -> meta loss` (other data), reading the warp.
    params: theta_k, a list of tensors.
    transform: the inner update (an `inner.GradientTransform`, or a
      learning rate for plain SGD).
    state: the transform's state at theta_k (None: a fresh `init`).
    exact: eq. 7 (True) or eq. 8 (False).

  Returns:
    `(meta loss after the step, task loss at theta_k)`.
  """
  params = [tf.stop_gradient(p) for p in params]
  transform = inner.as_transform(transform)
  state = transform.init(params) if state is None else \
      tf.nest.map_structure(tf.stop_gradient, state)
  updated, task_loss, _ = inner.step(task_loss_fn, params, transform, state)
  if not exact:
    updated = [tf.stop_gradient(p) for p in updated]
  return meta_loss_fn(updated), task_loss


class WarpGrad(gradient_learner.GradientLearner):
  """WarpGrad on a model with warp layers.

  Args:
    model: a built model with warp layers (their weights, and any other
      meta weights, are phi).
    init_objective: C of eq. 9: "maml" (Warp-MAML), "leap" (Warp-Leap) or
      "none" (theta_0 stays where it is, as in the continual experiment).
    init_step_scale: lambda of eq. 9, a step-size ratio: theta_0's outer
      step size relative to phi's (`variable_groups`).
    exact: the warp objective of eq. 7 (True) or eq. 8 (False).
    momentum: the inner optimiser's heavy-ball coefficient (None or 0:
      plain SGD).
    learn_inner_optimizer: meta-learn a scalar inner learning rate and
      momentum (appendix F), starting at `inner_learning_rate` and
      `momentum`; trained by L only.
    warp_samples: theta_k per task in the online objective, drawn without
      replacement from steps 0..K-1; None or 0 takes every step.
    leap_use_loss: Warp-Leap's path includes the loss (eq. 10).
    **kwargs: `GradientLearner` arguments (loss, num_inner_steps,
      inner_learning_rate, first_order, ...). `first_order` concerns C only
      (MAML's); the warp objective's order is `exact`.
  """

  name = "warpgrad"
  metric_names: tuple[str, ...] = ("support_loss", "query_loss",
                                   "warp_loss", "init_loss")
  # The fewest inner steps: theta_k are sampled from trajectories.
  min_inner_steps = 1
  collect_metric_names = ("support_loss", "query_loss", "init_loss")

  def __init__(self, model: keras.Model, init_objective: str = "maml",
               init_step_scale: float = 1.0, exact: bool = True,
               momentum: Optional[float] = None,
               learn_inner_optimizer: bool = False,
               warp_samples: Optional[int] = None, leap_use_loss: bool = True,
               **kwargs: Any) -> None:
    super().__init__(model, **kwargs)
    if init_objective not in INIT_OBJECTIVES:
      raise ValueError(f"init_objective must be one of {INIT_OBJECTIVES}; "
                       f"received {init_objective!r}.")
    if self.num_inner_steps < self.min_inner_steps:
      raise ValueError("WarpGrad samples theta_k from adaptation "
                       "trajectories: num_inner_steps must be >= 1.")
    if not self.roles.meta:
      raise ValueError(
          f"Model {model.name!r} has no meta weights: add warp layers "
          "(kerasmeta.layers.warp) or make some layers meta with "
          "kerasmeta.layers.with_meta_layers.")
    if not init_step_scale >= 0:
      raise ValueError(f"init_step_scale must be >= 0; received "
                       f"{init_step_scale}.")
    warp_samples = warp_samples or None
    if warp_samples is not None and not \
        1 <= int(warp_samples) <= max(self.num_inner_steps, 1):
      raise ValueError(f"warp_samples must be in [1, num_inner_steps]; "
                       f"received {warp_samples}.")
    self.init_objective = init_objective
    self.init_step_scale = float(init_step_scale)
    self.exact = bool(exact)
    self.momentum = float(momentum) if momentum else None
    self.warp_samples = None if warp_samples is None else int(warp_samples)
    self.leap_use_loss = bool(leap_use_loss)
    self.inner_optimizer = None
    if learn_inner_optimizer:
      # A learned momentum starts at `momentum` and is always applied.
      self.inner_optimizer = learned_inner.InnerOptimizer(
          self.inner_learning_rate, self.momentum or 0.0,
          dtype=self.roles.adapted[0].dtype, name="warp_inner_optimizer")

  # ------------------------------------------------------------ variables
  @property
  def extra_variables(self) -> list[tf.Variable]:
    return [] if self.inner_optimizer is None else \
        list(self.inner_optimizer.meta_weights)

  @property
  def warp_variables(self) -> list[tf.Variable]:
    """phi: the model's meta weights and a learned inner optimiser's."""
    return list(self.roles.meta) + self.extra_variables

  @property
  def init_variables(self) -> list[tf.Variable]:
    """theta_0 where C trains it (none for init_objective "none")."""
    return [] if self.init_objective == "none" else list(self.roles.adapted)

  @property
  def trainable_variables(self) -> list[tf.Variable]:
    return self.init_variables + self.warp_variables

  def variable_groups(self) -> list[tuple[float, list[tf.Variable]]]:
    """`[(learning-rate scale, variables)]`: theta_0 steps with lambda."""
    groups = [(1.0, self.warp_variables)]
    if self.init_variables:
      groups.insert(0, (self.init_step_scale, self.init_variables))
    return groups

  def checkpoint_items(self) -> dict[str, Any]:
    items = super().checkpoint_items()
    if self.inner_optimizer is not None:
      items["inner_optimizer"] = self.inner_optimizer
    return items

  # ------------------------------------------------------------ inner loop
  def learning_rates(self,
                     learning_rate: Optional[Scalar] = None) -> LearningRate:
    if self.inner_optimizer is None or learning_rate is not None:
      return super().learning_rates(learning_rate)
    return self.inner_optimizer.learning_rate.value

  def inner_momentum(self) -> Optional[Scalar]:
    if self.inner_optimizer is not None:
      return self.inner_optimizer.momentum.value
    return self.momentum

  def warp_transform(self, frozen: bool = False,
                     first_order: bool = False) -> inner.GradientTransform:
    """The inner update, its rate and momentum constant where `frozen`."""
    stop = (lambda v: v if v is None or isinstance(v, float)
            else tf.stop_gradient(v)) if frozen else (lambda v: v)
    momentum = stop(self.inner_momentum())
    # The same chain either way, so that states collected with one serve
    # the other (`warp_loss` steps from `collect`'s states).
    return inner.chain(
        inner.stop_gradient() if first_order else inner.identity(),
        self.loss_scaling(),
        inner.heavy_ball(momentum) if momentum is not None else None,
        inner.scale_by_learning_rate(stop(self.learning_rates())))

  def collect_transform(self) -> inner.GradientTransform:
    """The inner update of `collect`: rate and momentum held constant,
    first order unless C is MAML's second-order objective."""
    first_order = self.first_order or self.init_objective != "maml"
    return self.warp_transform(frozen=True, first_order=first_order)

  def frozen_meta_values(self) -> list[tf.Tensor]:
    return [tf.stop_gradient(w.value) for w in self.roles.meta]

  def task_loss_fn(self, mapper: Mapper, x: Nest, y: tf.Tensor,
                   meta_values: Optional[Sequence[tf.Tensor]] = None) -> LossFn:
    """`params -> loss` of the model on (x, y), through `mapper`."""
    return lambda params: mapper.loss(y, mapper.predict(params, x,
                                                        meta_values))

  # ------------------------------------------------------------ objectives
  def warp_loss(self, mapper: Mapper, task: Any, params: Sequence[tf.Tensor],
                state: Optional[Nest] = None) -> tf.Tensor:
    """The warp objective (eq. 7 / 8) of one task at theta_k."""
    value, _ = warp_objective(
        self.task_loss_fn(mapper, task.support_x, task.support_y),
        self.task_loss_fn(mapper, task.query_x, task.query_y), params,
        self.warp_transform(), state, exact=self.exact)
    return value

  def collect(
      self, mapper: Mapper, task: Any,
      seed: Optional[Seed] = None) -> tuple[tf.Tensor, Metrics, AdaptResult]:
    """Adapts with the warp fixed; returns C, metrics and the trajectory.

    Returns:
      `(init_loss, metrics, result)`: init_loss differentiable with respect
      to theta_0 (C of eq. 9, zero for "none"), metrics for
      `collect_metric_names`, and the `inner.AdaptResult` with the
      trajectory and the inner update's states along it.
    """
    frozen = self.frozen_meta_values()
    initial = mapper.initial_values(task)
    result = inner.adapt(
        self.support_loss_fn(mapper, task, seed, frozen), initial,
        self.collect_transform(), self.num_inner_steps, unroll=self._unroll(self.num_inner_steps),
        return_trajectory=True, return_state_trajectory=True,
        step_loss=self.inner_batch_size is not None)
    query_loss = mapper.loss(
        task.query_y, mapper.predict(result.params, task.query_x, frozen))
    if self.init_objective == "maml":
      init_loss = query_loss
    elif self.init_objective == "leap":
      init_loss = leap.leap_objective(
          self.task_loss_fn(mapper, task.support_x, task.support_y, frozen),
          initial, result.trajectory, use_loss=self.leap_use_loss)
    else:
      init_loss = tf.zeros([], query_loss.dtype)
    metrics = {
        "support_loss": self.support_loss_before(mapper, task, result),
        "query_loss": tf.stop_gradient(query_loss),
        "init_loss": tf.stop_gradient(init_loss)}
    return init_loss, metrics, result

  @property
  def shares_one_pass(self) -> bool:
    """Whether eq. 7 and MAML's C are one function (one inner step).

    With K = 1 the only theta_k is theta_0, and the exact warp objective at
    it is MAML's query loss after one step, seen as a function of phi; C is
    the same loss as a function of theta_0. The gradients of L + C are
    then that loss's gradient: one second-order pass instead of two. (With
    `inner_batch_size` the two differ: the warp objective takes the whole
    support set, the inner step a mini-batch.)
    """
    return (self.num_inner_steps == 1 and self.exact
            and self.init_objective == "maml" and not self.first_order and
            self.inner_batch_size is None)

  def objective(self, mapper: Mapper, task: Any,
                seed: Optional[Seed]) -> tuple[tf.Tensor, Metrics]:
    """J = L + lambda C (eq. 9) of one task; lambda is in theta_0's step."""
    if self.shares_one_pass:
      return self.one_pass_objective(mapper, task, seed)
    return self.separate_objective(mapper, task, seed)

  def one_pass_objective(self, mapper: Mapper, task: Any,
                         seed: Optional[Seed]) -> tuple[tf.Tensor, Metrics]:
    """L + C where both are the query loss after one step (see
    `shares_one_pass`)."""
    result = inner.adapt(self.support_loss_fn(mapper, task, seed),
                         mapper.initial_values(task), self.warp_transform(),
                         1)
    query_loss = mapper.loss(task.query_y,
                             mapper.predict(result.params, task.query_x))
    loss = tf.stop_gradient(query_loss)
    return query_loss, {"support_loss": tf.stop_gradient(result.losses[0]),
                        "query_loss": loss, "warp_loss": loss,
                        "init_loss": loss}

  def separate_objective(self, mapper: Mapper, task: Any,
                         seed: Optional[Seed]) -> tuple[tf.Tensor, Metrics]:
    """L + C computed apart: phi only sees L, theta_0 only C."""
    init_loss, metrics, result = self.collect(mapper, task, seed)
    dtype = result.trajectory[0].dtype

    def at_step(step):
      params = [t[step] for t in result.trajectory]
      state = tf.nest.map_structure(lambda s: s[step],
                                    result.state_trajectory)
      return tf.cast(self.warp_loss(mapper, task, params, state), dtype)

    steps = self.sampled_steps(seed)
    warp_loss = tf.reduce_mean(
        tf.map_fn(at_step, steps, fn_output_signature=dtype))
    metrics["warp_loss"] = tf.stop_gradient(warp_loss)
    return warp_loss + tf.cast(init_loss, dtype), metrics

  def sampled_steps(self, seed: Optional[Seed]) -> tf.Tensor:
    """The steps k whose theta_k enter the online warp objective."""
    if self.warp_samples is None or self.warp_samples == self.num_inner_steps:
      return tf.range(self.num_inner_steps)
    return sampling.choose(sampling.fold_in(seed, 101),
                           self.num_inner_steps, self.warp_samples)

  def continual_losses(self, mapper: Mapper,
                       task: Any) -> tuple[tf.Tensor, tf.Tensor]:
    """Algorithm 3's two losses of one task at the current theta.

    Returns:
      `(multi-task loss of theta with the warp fixed, warp objective of a
      fresh step from theta)`.
    """
    theta = self.initial_values()
    multitask = self.task_loss_fn(mapper, task.support_x, task.support_y,
                                self.frozen_meta_values())(theta)
    return multitask, self.warp_loss(mapper, task, theta)

  def mapped(self) -> task_mappers.MappedTasks:
    """The general task mapper of meta-training."""
    return task_mappers.MappedTasks(self, self.meta_training_flag)


class WarpMAML(WarpGrad):
  """Warp-MAML (eq. 11): the exact warp objective with MAML's C."""

  name = "warp_maml"

  def __init__(self, model: keras.Model, **kwargs: Any) -> None:
    kwargs.setdefault("init_objective", "maml")
    super().__init__(model, **kwargs)


class WarpLeap(WarpGrad):
  """Warp-Leap (eq. 12): the warp objective with Leap's C."""

  name = "warp_leap"

  def __init__(self, model: keras.Model, **kwargs: Any) -> None:
    kwargs.setdefault("init_objective", "leap")
    super().__init__(model, **kwargs)
