# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""The maze's task learner: a recurrent advantage actor-critic.

"Learning to reinforcement learn" (Wang et al. 2016), as Miconi et al.
(2019) and WarpGrad (appendix I) train it: every meta-step runs one
episode for each task of the batch (a goal), all in one batched rollout,
and takes Adam's step on Miconi's actor-critic loss averaged over them.
Learning about the goal happens in the recurrent state within an episode;
the weights learn across episodes to do that (the plain-RNN baseline of
WarpGrad's figure 3).

A model with warp (meta) weights, the Warp-RNN (`warp_rnn_actor_critic`,
eq. 16), is meta-trained continually (algorithm 3, approximate objective
eq. 8 with the actor-critic loss for both): its task weights step at every
meta-step, its warp weights every `warp_update_interval` meta-steps (30 in
the paper) with the mean gradient accumulated in between; interval 1 is
the HyperRNN baseline (the same meta-LSTM trained with every step). The
T-Nets-RNN (`tnets_rnn_actor_critic`, linear warps) is meta-trained the same
way.
"""

from __future__ import annotations

from typing import Any, Optional, TYPE_CHECKING

import tensorflow as tf

from kerasmeta import functional
from kerasmeta.algorithms import base
from kerasmeta.algorithms import warp_schemes
from kerasmeta.envs import base as envs_base
from kerasmeta.rl import actor_critic

if TYPE_CHECKING:
  import keras
  from kerasmeta._typing import Metrics, ScaleLoss, Seed, TaskBatch


class RecurrentActorCritic(base.MetaLearner):
  """A2C of a recurrent network, one episode per task of a batch.

  Args:
    model: `recurrent_actor_critic`'s model (or the warped RNNs' of
      `kerasmeta.rl.actor_critic`), or any Keras model with inputs
      `[observations, state]` and outputs `[scores, value, state]`.
    environment: a discrete `kerasmeta.envs.Environment` whose tasks may be
      given one per episode (the maze).
    discount: gamma of the returns (Miconi: 0.9).
    value_coefficient: of the value loss (0.1).
    concentration_coefficient: of the sum of squared action probabilities
      (0.03).
    warp_update_interval: meta-steps per update of the model's warp
      weights (1: every step, as the task weights).
    warp_gradient_reduction: how the warp step takes the gradients of its
      interval: "mean" or "sum" (WarpGrad's maze code, `run.py`).
    value_baseline: "own" (each episode's advantage against its own value,
      the actor-critic of the papers' text) or "first_episode" (against the
      first episode's value, as both reference codes compute it:
      `kerasmeta.rl.actor_critic.a2c_loss`).
  """

  name = "actor_critic"
  model: keras.Model  # set by __init__: never None here
  metric_names = ("return", "loss")

  def __init__(self, model: keras.Model, environment: envs_base.Environment,
               discount: float = 0.9, value_coefficient: float = 0.1,
               concentration_coefficient: float = 0.03,
               warp_update_interval: int = 1, value_baseline: str = "own",
               warp_gradient_reduction: str = "mean") -> None:
    if not isinstance(environment, envs_base.Environment) or not getattr(
        environment, "discrete", False):
      raise TypeError(f"Expected a discrete kerasmeta Environment (one-hot "
                      f"actions); received {type(environment).__name__}.")
    self.environment = environment.check()
    shapes = [tuple(t.shape) for t in model.outputs]
    if len(shapes) != 3 or shapes[0][-1] != environment.action_size or \
        shapes[1][-1] != 1:
      raise ValueError(
          f"The model must output [scores ({environment.action_size}), "
          f"value (1), state]; {model.name!r} outputs shapes {shapes}.")
    self.model = model
    self.roles = functional.weight_roles(model)
    if int(warp_update_interval) < 1:
      raise ValueError(f"warp_update_interval must be >= 1; received "
                       f"{warp_update_interval}.")
    if int(warp_update_interval) > 1 and not self.roles.meta:
      raise ValueError(
          f"warp_update_interval={warp_update_interval} updates warp "
          f"weights, and {model.name!r} has none (a Warp-RNN has).")
    self.warp_update_interval = int(warp_update_interval)
    self.state_size = int(shapes[2][-1])
    self.discount = float(discount)
    self.value_coefficient = float(value_coefficient)
    self.concentration_coefficient = float(concentration_coefficient)
    if value_baseline not in actor_critic.VALUE_BASELINES:
      raise ValueError(f"value_baseline must be one of "
                       f"{actor_critic.VALUE_BASELINES}; received "
                       f"{value_baseline!r}.")
    self.value_baseline = value_baseline
    if warp_gradient_reduction not in ("mean", "sum"):
      raise ValueError(f"warp_gradient_reduction must be 'mean' or 'sum'; "
                       f"received {warp_gradient_reduction!r}.")
    self.warp_gradient_reduction = warp_gradient_reduction

  @property  # overrides MetaLearner's attribute: read-only here
  def compiles_with_xla(self) -> str:  # type: ignore[override]
    """With warp updates every few steps, only the gradient computation
    compiles (XLA would recompile the optimisers' conditional update at
    every call)."""
    return "gradients" if self.warp_update_interval > 1 else "step"

  @property  # overrides MetaLearner's attribute: read-only here
  def distributes(self) -> bool:  # type: ignore[override]
    return self.warp_update_interval == 1

  def train_state(self, batch_size: Optional[int]) -> dict:
    """The warp weights' gradient accumulators, with warp updates every few
    steps (none otherwise)."""
    del batch_size
    if self.warp_update_interval == 1:
      return {}
    return warp_schemes.accumulator_state(self.warp_variables)

  def train_step(
      self, state: dict, batch: tuple[TaskBatch, tf.Tensor],
      optimizer: keras.optimizers.Optimizer,
      context: base.StepContext = base.StepContext()) -> tuple[dict, Metrics]:
    """Algorithm 3 with one loss for task and warp (eq. 8: L_task = L_meta):
    the task variables step at every meta-step, the warp variables every
    `warp_update_interval` steps with the mean of the gradients accumulated
    in between (`warp_schemes.accumulate`)."""
    if self.warp_update_interval == 1:
      return super().train_step(state, batch, optimizer, context)
    tasks, seeds = batch
    compute = context.compile(lambda tasks, seeds: tuple(
        self.compute_gradients(tasks, seeds,
                               global_batch_size=context.global_batch_size)))
    gradients, metrics = compute(tasks, seeds)
    metrics = base.check_gradients(gradients, metrics)
    count = len(self.task_variables)
    optimizer.apply(gradients[:count], self.task_variables)
    state = warp_schemes.accumulate(state, gradients[count:],
                                    self.warp_update_interval, optimizer,
                                    self.warp_variables,
                                    self.warp_gradient_reduction)
    return state, metrics

  def variable_groups(self) -> list[tuple[float, list[tf.Variable]]]:
    """Task and warp weights in groups of their own: each gets its own
    optimiser (Adam's bias correction counts its group's steps)."""
    if self.warp_update_interval == 1:
      return [(1.0, self.trainable_variables)]
    return [(1.0, self.task_variables), (1.0, self.warp_variables)]

  @property
  def task_variables(self) -> list[tf.Variable]:
    """The task RNN's weights and heads (adapted at every step)."""
    return list(self.roles.adapted)

  @property
  def warp_variables(self) -> list[tf.Variable]:
    """The warp weights (the Warp-RNN's meta-LSTM and projections)."""
    return list(self.roles.meta)

  @property
  def trainable_variables(self) -> list[tf.Variable]:
    return self.task_variables + self.warp_variables

  def checkpoint_items(self) -> dict[str, Any]:
    return {"model": self.model}

  def episodes(self, goals: tf.Tensor, seed: Seed) -> actor_critic.Episodes:
    """One episode per goal ([episodes, task_size]), as `Episodes`."""
    count = goals.shape[0]
    return actor_critic.rollout(
        self.environment, goals, lambda x, h: self.model([x, h]), count,
        seed, self.state_size)

  def compute_gradients(
      self, tasks: TaskBatch, seeds: tf.Tensor,
      global_batch_size: Optional[int] = None,
      scale_loss: Optional[ScaleLoss] = None) -> base.MetaGradients:
    with tf.GradientTape() as tape:
      episodes = self.episodes(tasks.parameters, seeds[0])
      losses = actor_critic.a2c_loss(
          episodes, self.discount, self.value_coefficient,
          self.concentration_coefficient, self.value_baseline)
      total = base.mean_over_tasks(losses, global_batch_size, scale_loss)
    returns = tf.reduce_sum(episodes.rewards, axis=0)
    return base.MetaGradients(
        base.gradients(tape, total, self.trainable_variables),
        {"return": tf.reduce_mean(returns), "loss": tf.reduce_mean(losses)})
