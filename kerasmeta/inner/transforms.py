# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Inner updates as small composable gradient transforms.

As optax writes them: a transform is a pair of pure functions,

  init(params) -> state
  update(grads, state, params) -> (updates, new state)

and the inner loop adds the updates to the parameters,
`params <- params + updates`. Transforms compose with `chain`, each one
feeding its updates to the next. The papers' inner updates are chains:

  MAML (eq. 2)          chain(scale_by_learning_rate(alpha))
  first-order MAML      chain(stop_gradient(), scale_by_learning_rate(alpha))
  Meta-SGD              scale_by_learning_rate([alpha_1, ..., alpha_n])
  MT-net (eq. 8)        chain(mask_gradients(masks, seed),
                              scale_by_learning_rate(alpha))
  heavy ball            chain(heavy_ball(mu), scale_by_learning_rate(alpha))
  WarpGrad appendix F   the same with learned tensors alpha and mu

T-nets and WarpGrad put their preconditioning in the forward pass and need
no transform of their own. A learned optimiser is one more transform whose
state is its per-coordinate memory.

States are nests of tensors (carried through a `tf.while_loop`); the rates
and coefficients may be tensors, so a transform built from a meta weight's
value passes the meta-gradient through the inner loop.
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple, Optional, TYPE_CHECKING, Union

import tensorflow as tf

if TYPE_CHECKING:
  from kerasmeta._typing import LearningRate, Scalar, Seed
  from kerasmeta.inner import masks as masks_lib


class GradientTransform(NamedTuple):
  """A gradient transformation: `init(params)`, `update(grads, state, params)`."""
  init: Callable[..., Any]
  update: Callable[..., tuple]


def _like(value, dtype):
  """`value` in `dtype`: Python numbers converted exactly, tensors cast."""
  if tf.is_tensor(value) or hasattr(value, "dtype"):
    return tf.cast(value, dtype)
  return tf.constant(value, dtype)


def identity() -> GradientTransform:
  """Passes the gradients on unchanged (stateless)."""
  return GradientTransform(lambda params: (),
                           lambda grads, state, params=None: (list(grads),
                                                               state))


def stop_gradient() -> GradientTransform:
  """First order: the inner gradient is a constant of the outer one."""
  def update(grads, state, params=None):
    return [tf.stop_gradient(g) for g in grads], state
  return GradientTransform(lambda params: (), update)


def scale(factor: Scalar) -> GradientTransform:
  """Multiplies every gradient by a scalar `factor` (a float or tensor)."""
  def update(grads, state, params=None):
    return [_like(factor, g.dtype) * g for g in grads], state
  return GradientTransform(lambda params: (), update)


def scale_by_learning_rate(learning_rate: LearningRate) -> GradientTransform:
  """`-learning_rate * g`: the descent step of SGD.

  Args:
    learning_rate: a scalar (float or tensor) for every parameter, or a
      list of tensors, one per parameter, each broadcastable to it
      (Meta-SGD's per-weight rates).
  """
  per_parameter = isinstance(learning_rate, (list, tuple))

  def rates_for(params):
    if not per_parameter:
      return [learning_rate] * len(params)
    if len(learning_rate) != len(params):
      raise ValueError(
          f"Expected one learning rate per adapted tensor ({len(params)}); "
          f"received {len(learning_rate)}.")
    return list(learning_rate)

  def init(params):
    rates_for(params)  # checks the count where the loop starts
    return ()

  def update(grads, state, params=None):
    return [-_like(rate, g.dtype) * g
            for rate, g in zip(rates_for(grads), grads)], state
  return GradientTransform(init, update)


def heavy_ball(momentum: Scalar) -> GradientTransform:
  """Heavy-ball momentum: `v <- momentum * v + g`, passing `v` on.

  The state is the velocities, zero at the start; `momentum` may be a
  tensor (WarpGrad's learned momentum, appendix F).
  """
  def init(params):
    return [tf.zeros_like(p) for p in params]

  def update(grads, velocities, params=None):
    new = [_like(momentum, g.dtype) * v + g
           for v, g in zip(velocities, grads)]
    return new, new
  return GradientTransform(init, update)


def mask_gradients(
    masks: Union[masks_lib.GradientMasks, masks_lib.BatchedGradientMasks],
    seed: Optional[Seed] = None) -> GradientTransform:
  """MT-net's masked update (eq. 8): `M * g`, with masks sampled per task.

  Unit masks are drawn once per task (at `init`), per-weight masks at every
  step (from the step count the state keeps), all from the task's stateless
  `seed`, so a task always gets the same draws.

  Args:
    masks: a `GradientMasks` (or `BatchedGradientMasks` for `[tasks, ...]`
      parameters and `[tasks, 2]` seeds).
    seed: the task's stateless seed; None only with deterministic masks.
  """
  if seed is None:
    if not masks.deterministic:
      raise ValueError(
          "Sampled masks need a `seed` (int32 tensor of shape [2]).")
    seed = tf.zeros([2], tf.int32)

  def init(params):
    sampled = masks.sample(params, seed)
    return {"step": tf.constant(0, tf.int32),
            "task_masks": {index: mask for index, mask in enumerate(sampled)
                           if mask is not None}}

  def update(grads, state, params=None):
    step_masks = masks.sample(grads, seed, state["step"]) \
        if masks.has_step_masks else [None] * len(grads)
    out = []
    for index, grad in enumerate(grads):
      if index in state["task_masks"]:
        grad = state["task_masks"][index] * grad
      if step_masks[index] is not None:
        grad = step_masks[index] * grad
      out.append(grad)
    return out, {"step": state["step"] + 1,
                 "task_masks": state["task_masks"]}
  return GradientTransform(init, update)


def chain(*transforms: Optional[GradientTransform]) -> GradientTransform:
  """Applies `transforms` in order; the state is the tuple of their states."""
  active = [t for t in transforms if t is not None]

  def init(params):
    return tuple(t.init(params) for t in active)

  def update(grads, state, params=None):
    new_states = []
    for transform, inner_state in zip(active, state):
      grads, inner_state = transform.update(grads, inner_state, params)
      new_states.append(inner_state)
    return grads, tuple(new_states)
  return GradientTransform(init, update)


def sgd(learning_rate: LearningRate, momentum: Optional[Scalar] = None,
        first_order: bool = False) -> GradientTransform:
  """The common inner optimiser: (first-order) SGD, heavy ball optional."""
  return chain(stop_gradient() if first_order else None,
               heavy_ball(momentum) if momentum is not None else None,
               scale_by_learning_rate(learning_rate))

