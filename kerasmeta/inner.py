"""The inner loop: K steps of masked / preconditioned SGD on plain tensors.

`adapt` runs `params <- params - lr * transform(grad loss(params))` for a
number of steps inside a bounded `tf.while_loop`, so the graph (and XLA's
compile time) does not grow with the number of steps, and it nests inside
`tf.function`, `tf.map_fn`, `jit_compile` and SavedModel signatures.

Gradient transforms, as in the papers:
  * identity (MAML);
  * a learned rate per weight (Meta-SGD: pass a list of rate tensors);
  * a mask M (MT-net, eq. 8: `W <- W - alpha * M * grad`), sampled once per
    task for unit masks and at every step for per-weight masks;
  * nothing at all where the preconditioning lives in the forward pass
    (T-net's T, WarpGrad's warp layers).
First order stops the gradient of `grad`; second order keeps it.
"""

import tensorflow as tf

from kerasmeta.layers import masks as masks_lib


class GradientMasks:
  """Samples the MT-net masks of a list of adapted weights.

  Args:
    specs: one `MaskSpec` or None per adapted weight.
    deterministic: use each mask's most probable value (zeta > 0) instead of
      sampling, so the same task always gets the same update (evaluation,
      serving).
  """

  def __init__(self, specs, deterministic=False):
    self.specs = list(specs)
    self.deterministic = deterministic

  @property
  def active(self):
    return any(spec is not None for spec in self.specs)

  def _sample(self, spec, weight_shape, seed):
    logits = spec.logits.value if hasattr(spec.logits, "value") else spec.logits
    if self.deterministic:
      mask = masks_lib.most_probable_mask(logits)
    else:
      mask = masks_lib.sample_binary_concrete(logits, spec.temperature, seed)
    # A unit mask has one entry per output unit, the weight's last axis.
    return tf.broadcast_to(mask, weight_shape)

  def sample(self, params, seed, step=None):
    """Masks for `params` (None where unmasked); see `sample_for_shapes`."""
    return self.sample_for_shapes([tf.shape(p) for p in params], seed, step)

  def sample_for_shapes(self, shapes, seed, step=None):
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
    out = []
    for index, (spec, shape) in enumerate(zip(self.specs, shapes)):
      if spec is None or spec.per_step != (step is not None):
        out.append(None)
        continue
      # Weights sharing logits (a unit mask's kernel and bias) must share
      # the sample: seed by the logits, not by the weight.
      logits_index = self._logits_index(spec, index)
      sub_seed = tf.random.experimental.stateless_fold_in(seed, logits_index)
      if step is not None:
        sub_seed = tf.random.experimental.stateless_fold_in(sub_seed, step)
      out.append(self._sample(spec, shape, sub_seed))
    return out

  def _logits_index(self, spec, index):
    for other_index, other in enumerate(self.specs[:index + 1]):
      if other is not None and other.logits is spec.logits:
        return other_index
    return index


def as_rates(learning_rate, params):
  """One rate tensor per param from a scalar or a list of rates."""
  if isinstance(learning_rate, (list, tuple)):
    if len(learning_rate) != len(params):
      raise ValueError(
          f"Expected one learning rate per adapted tensor ({len(params)}); "
          f"received {len(learning_rate)}.")
    return [tf.convert_to_tensor(rate) for rate in learning_rate]
  rate = tf.convert_to_tensor(learning_rate, dtype=params[0].dtype)
  return [rate] * len(params)


def sgd_step(loss_fn, params, rates, *, first_order=False, task_masks=None,
             step_masks=None, momentum=None, velocities=None):
  """One step of (masked, preconditioned) SGD.

  With `momentum` (a scalar, possibly a learned tensor) the step is heavy
  ball: `v <- momentum * v + g; theta <- theta - rate * v`.

  Returns:
    `(new params, loss)`, or `(new params, loss, new velocities)` with
    momentum.
  """
  with tf.GradientTape() as tape:
    tape.watch(params)
    loss = loss_fn(params)
  grads = tape.gradient(loss, params,
                        unconnected_gradients=tf.UnconnectedGradients.ZERO)
  new_params, new_velocities = [], []
  for index, (param, grad, rate) in enumerate(zip(params, grads, rates)):
    if first_order:
      grad = tf.stop_gradient(grad)
    for masks in (task_masks, step_masks):
      if masks is not None and masks[index] is not None:
        grad = masks[index] * grad
    if momentum is not None:
      coefficient = (tf.cast(momentum, grad.dtype) if tf.is_tensor(momentum)
                     else tf.constant(momentum, grad.dtype))
      grad = coefficient * velocities[index] + grad
      new_velocities.append(grad)
    new_params.append(param - rate * grad)
  if momentum is not None:
    return new_params, loss, new_velocities
  return new_params, loss


def adapt(loss_fn, params, num_steps, learning_rate, *, first_order=False,
          masks=None, seed=None, return_trajectory=False, max_steps=None,
          unroll=False, momentum=None, step_loss=False):
  """Adapts `params` by `num_steps` steps of SGD on `loss_fn`.

  Args:
    loss_fn: maps a list of tensors (the adapted values) to a scalar loss.
    params: the initial values, a list of tensors.
    num_steps: a Python int or an int scalar tensor (then give `max_steps`).
    learning_rate: a scalar, or one tensor per param (Meta-SGD), each
      broadcastable to its param.
    first_order: stop the gradient of the inner gradients.
    masks: a `GradientMasks`, or None.
    seed: the task's stateless seed (int32 [2]); needed with sampled masks.
    return_trajectory: also return the stacked values after every step.
    max_steps: static upper bound on `num_steps` when it is a tensor.
    unroll: with a Python int `num_steps`, write the steps out in the graph
      instead of a `tf.while_loop`: XLA then fuses across steps (about 20%
      faster for small learners), but the graph and compile time grow with
      the number of steps.
    momentum: None for plain SGD, or the heavy-ball coefficient (a scalar,
      possibly a learned tensor; velocities start at zero).
    step_loss: `loss_fn` takes `(params, step)` (e.g. a mini-batch per
      step) instead of `params`.

  Returns:
    `(params, losses)`: the adapted tensors and the support loss before each
    step (a [num_steps] tensor); with `return_trajectory`, `(params, losses,
    trajectory)` where `trajectory[i]` is a [num_steps + 1, ...] tensor of
    param i at steps 0..num_steps. With `momentum`, the trajectory also
    holds each param's velocity at steps 0..num_steps, after the params:
    `trajectory[n + i]` for n params (see `split_trajectory`).
  """
  params = [tf.convert_to_tensor(p) for p in params]
  if not params:
    raise ValueError("adapt needs at least one tensor to adapt.")
  rates = as_rates(learning_rate, params)
  if masks is not None and masks.active and seed is None \
      and not masks.deterministic:
    raise ValueError("Sampled masks need a `seed` (int32 tensor of shape [2]).")
  seed = tf.zeros([2], tf.int32) if seed is None else seed
  task_masks = masks.sample(params, seed) if masks is not None else None
  has_step_masks = masks is not None and any(
      spec is not None and spec.per_step for spec in masks.specs)

  if isinstance(num_steps, int):
    max_steps = num_steps if max_steps is None else max_steps
  elif max_steps is None:
    raise ValueError("A tensor `num_steps` needs a static `max_steps`.")
  num_steps = tf.convert_to_tensor(num_steps, tf.int32)
  if max_steps == 0:
    empty = tf.zeros([0], params[0].dtype)
    if return_trajectory:
      zeros = [tf.zeros_like(p) for p in params] if momentum is not None \
          else []
      return params, empty, [p[tf.newaxis] for p in params + zeros]
    return params, empty

  num_params = len(params)
  if momentum is not None:
    # The carried state is params followed by their velocities.
    params = params + [tf.zeros_like(p) for p in params]

  def step_fn(step, current):
    weights = current[:num_params]
    step_masks = masks.sample(weights, seed, step) if has_step_masks else None
    step_fn_loss = (lambda values: loss_fn(values, step)) if step_loss \
        else loss_fn
    out = sgd_step(step_fn_loss, weights, rates, first_order=first_order,
                   task_masks=task_masks, step_masks=step_masks,
                   momentum=momentum, velocities=current[num_params:])
    new, loss = out[0] + (out[2] if momentum is not None else []), out[1]
    return [tf.ensure_shape(n, p.shape) for n, p in zip(new, params)], loss

  if unroll and isinstance(max_steps, int) and num_steps.shape == () and \
      tf.get_static_value(num_steps) == max_steps:
    current, losses, trajectory = params, [], [params]
    for step in range(max_steps):
      current, loss = step_fn(tf.constant(step), current)
      losses.append(loss)
      trajectory.append(current)
    losses = tf.stack(losses)
    if return_trajectory:
      return current[:num_params], losses, [tf.stack(values) for values in
                                            zip(*trajectory)]
    return current[:num_params], losses

  losses = tf.TensorArray(params[0].dtype, size=max_steps,
                          element_shape=tf.TensorShape([]))
  trajectory = [
      tf.TensorArray(p.dtype, size=max_steps + 1, element_shape=p.shape)
      .write(0, p) for p in params] if return_trajectory else []

  def body(step, current, losses, trajectory):
    new, loss = step_fn(step, current)
    trajectory = [t.write(step + 1, n) for t, n in zip(trajectory, new)]
    return step + 1, new, losses.write(step, loss), trajectory

  _, params, losses, trajectory = tf.while_loop(
      lambda step, *_: step < num_steps, body,
      (tf.constant(0), params, losses, trajectory),
      maximum_iterations=max_steps)
  losses = losses.stack()[:num_steps]
  if return_trajectory:
    return params[:num_params], losses, [t.stack()[:num_steps + 1]
                                         for t in trajectory]
  return params[:num_params], losses


def split_trajectory(trajectory, num_params):
  """`(param trajectories, velocity trajectories or None)` of `adapt`."""
  if len(trajectory) == num_params:
    return trajectory, None
  return trajectory[:num_params], trajectory[num_params:]
