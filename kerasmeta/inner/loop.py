# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""The one inner loop: K steps of a gradient transform on plain tensors.

`adapt` runs `params <- params + update(grad loss(params))` inside a
bounded `tf.while_loop`, so the graph (and XLA's compile time) does not
grow with the number of steps, and it nests inside `tf.function`,
`tf.map_fn`, `jit_compile` and SavedModel signatures. It adapts any list of
tensors: a model's adapted weights, a latent code, points on a surface.

The loss may be a scalar or a vector (one loss per task on the fast path,
where the adapted tensors carry a task axis): the step follows the
gradient of its sum, which is every task's own gradient, and the losses
are recorded with their shape.
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple, Optional, Sequence, TYPE_CHECKING

import tensorflow as tf

from kerasmeta.inner import transforms as transforms_lib

if TYPE_CHECKING:
  from kerasmeta._typing import IntLike, LossFn, Nest, TransformLike


class AdaptResult(NamedTuple):
  """What `adapt` returns, and what every learner's `adapt` returns.

  A learner's `predict(adapted, x)` takes it whole. Families differ in what
  `params` holds, not in the type: a model's adapted weights (gradient
  learners), LEO's fine-tuned classifier weights, a policy's adapted
  weights, an optimisee's parameters (the learned optimiser).

  Attributes:
    params: the adapted tensors.
    losses: the loss before each step, `[num_steps, ...]`.
    trajectory: None, or one `[num_steps + 1, ...]` tensor per param: its
      values at steps 0..num_steps (with `return_trajectory`).
    state: the transform's state after the last step.
    state_trajectory: None, or the transform's state at steps 0..num_steps,
      each leaf stacked on a leading axis (with `return_state_trajectory`;
      e.g. the momentum buffers WarpGrad steps from).
    details: None, or the learner family's own record of the adaptation
      (`LEOAdaptation`, `PolicyAdaptation`).
  """
  params: list
  losses: tf.Tensor
  trajectory: Any = None
  state: Any = None
  state_trajectory: Any = None
  details: Any = None


def as_transform(transform: TransformLike) -> transforms_lib.GradientTransform:
  """A `GradientTransform`, or a learning rate made plain SGD."""
  if isinstance(transform, transforms_lib.GradientTransform):
    return transform
  if isinstance(transform, (int, float, list, tuple)) or tf.is_tensor(
      transform):
    return transforms_lib.sgd(transform)
  raise TypeError(f"Expected a GradientTransform or a learning rate; "
                  f"received {transform!r}.")


def step(loss_fn: Callable[..., tf.Tensor], params: list[tf.Tensor],
         transform: transforms_lib.GradientTransform,
         state: Nest) -> tuple[list[tf.Tensor], tf.Tensor, Nest]:
  """One inner step from `params` with the transform in `state`.

  Returns:
    `(new params, loss at params, new state)`.
  """
  with tf.GradientTape() as tape:
    tape.watch(params)
    loss = loss_fn(params)
  grads = tape.gradient(loss, params,
                        unconnected_gradients=tf.UnconnectedGradients.ZERO)
  updates, state = transform.update(grads, state, params)
  return [p + tf.cast(u, p.dtype) for p, u in zip(params, updates)], loss, \
      state


def adapt(loss_fn: Callable[..., tf.Tensor], params: Sequence[tf.Tensor],
          transform: TransformLike, num_steps: IntLike, *,
          max_steps: Optional[int] = None, unroll: bool = False,
          return_trajectory: bool = False,
          return_state_trajectory: bool = False,
          step_loss: bool = False) -> AdaptResult:
  """Adapts `params` by `num_steps` steps of `transform` on `loss_fn`.

  Args:
    loss_fn: maps a list of tensors (the adapted values) to a loss (a
      scalar, or a vector whose sum is differentiated).
    params: the initial values, a list of tensors.
    transform: a `GradientTransform` (see `transforms`), or a learning rate
      for plain SGD.
    num_steps: a Python int or an int scalar tensor (then give `max_steps`).
    max_steps: static upper bound on `num_steps` when it is a tensor.
    unroll: with a Python int `num_steps`, write the steps out in the graph
      instead of a `tf.while_loop`: XLA then fuses across steps (about 20%
      faster for small learners), but the graph and compile time grow with
      the number of steps.
    return_trajectory: record the params at every step.
    return_state_trajectory: record the transform's state at every step.
    step_loss: `loss_fn` takes `(params, step)` (e.g. a mini-batch per
      step) instead of `params`.

  Returns:
    An `AdaptResult`.
  """
  params = [tf.convert_to_tensor(p) for p in params]
  if not params:
    raise ValueError("adapt needs at least one tensor to adapt.")
  transform = as_transform(transform)
  if isinstance(num_steps, int):
    if num_steps < 0:
      raise ValueError(f"num_steps must be >= 0; received {num_steps}.")
    max_steps = num_steps if max_steps is None else max_steps
  elif max_steps is None:
    raise ValueError("A tensor `num_steps` needs a static `max_steps`.")
  state = transform.init(params)
  num_steps = tf.convert_to_tensor(num_steps, tf.int32)

  def one_step(index, current, state):
    loss = (lambda values: loss_fn(values, index)) if step_loss else loss_fn
    new, value, state = step(loss, current, transform, state)
    return [tf.ensure_shape(n, p.shape) for n, p in zip(new, params)], \
        value, state

  if max_steps == 0:
    return _unrolled(one_step, params, state, 0, return_trajectory,
                     return_state_trajectory, loss_fn, step_loss)
  if unroll and isinstance(max_steps, int) and \
      tf.get_static_value(num_steps) == max_steps:
    return _unrolled(one_step, params, state, max_steps, return_trajectory,
                     return_state_trajectory, loss_fn, step_loss)
  return _looped(one_step, params, state, num_steps, max_steps,
                 return_trajectory, return_state_trajectory)


def _unrolled(one_step, params, state, num_steps, return_trajectory,
              return_state_trajectory, loss_fn, step_loss):
  current, losses, trajectory, states = params, [], [params], [state]
  for index in range(num_steps):
    current, loss, state = one_step(tf.constant(index), current, state)
    losses.append(loss)
    trajectory.append(current)
    states.append(state)
  if losses:
    losses = tf.stack(losses)
  else:  # the loss's shape (scalar or per task) without taking a step
    value = loss_fn(params, tf.constant(0)) if step_loss else loss_fn(params)
    losses = tf.zeros(tf.concat([[0], tf.shape(value)], 0), value.dtype)
  stack = lambda values: tf.stack(values)
  return AdaptResult(
      current, losses,
      [stack(values) for values in zip(*trajectory)] if return_trajectory
      else None, state,
      tf.nest.map_structure(lambda *leaves: stack(leaves), *states)
      if return_state_trajectory else None)


def _looped(one_step, params, state, num_steps, max_steps, return_trajectory,
            return_state_trajectory):
  record = lambda value: tf.TensorArray(
      value.dtype, size=max_steps + 1, element_shape=value.shape).write(
          0, value)
  trajectory = [record(p) for p in params] if return_trajectory else []
  state_trajectory = tf.nest.map_structure(record, state) \
      if return_state_trajectory else ()
  # The loss's shape is known once a step is traced: infer it.
  losses = tf.TensorArray(params[0].dtype, size=max_steps, infer_shape=True)

  def body(index, current, state, losses, trajectory, state_trajectory):
    new, loss, state = one_step(index, current, state)
    losses = losses.write(index, tf.cast(loss, params[0].dtype))
    trajectory = [t.write(index + 1, n) for t, n in zip(trajectory, new)]
    state_trajectory = tf.nest.map_structure(
        lambda t, v: t.write(index + 1, v), state_trajectory, state) \
        if return_state_trajectory else ()
    return index + 1, new, state, losses, trajectory, state_trajectory

  _, params, state, losses, trajectory, state_trajectory = tf.while_loop(
      lambda index, *_: index < num_steps, body,
      (tf.constant(0), params, state, losses, trajectory, state_trajectory),
      maximum_iterations=max_steps)
  cut = lambda t: t.stack()[:num_steps + 1]
  return AdaptResult(
      params, losses.stack()[:num_steps],
      [cut(t) for t in trajectory] if return_trajectory else None, state,
      tf.nest.map_structure(cut, state_trajectory)
      if return_state_trajectory else None)
