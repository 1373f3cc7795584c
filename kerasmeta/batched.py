"""The fast path: a task axis on the adapted weights, batched math.

For the layers that allow it (Dense, TDense, activations), the forward pass
of many tasks at once is one batched matmul per layer: adapted weights carry
a leading task axis (`[tasks, ...]`), inputs are `[tasks, points, ...]`,
meta weights (T) are shared. Since tasks are independent, the gradient of
the *sum* of per-task losses with respect to `[tasks, ...]` weights is every
task's own gradient, so one inner loop adapts all tasks together, and the
meta-gradient through it equals the task-by-task one (the tests check both
paths agree). Models with other layers (convolutions, batch-norm) use the
general path, `stateless_call` mapped over tasks.
"""

import keras
import tensorflow as tf

from kerasmeta.layers import tnet

PASS_THROUGH = (keras.layers.InputLayer, keras.layers.Activation,
                keras.layers.ReLU)


def _layers(model):
  return [layer for layer in getattr(model, "layers", [])]


def supports(model):
  """Whether `model` can run on the fast path."""
  if not isinstance(model, keras.Sequential):
    return False
  for layer in _layers(model):
    if isinstance(layer, PASS_THROUGH):
      continue
    if type(layer) in (keras.layers.Dense, tnet.TDense):
      if getattr(layer, "lora_enabled", False) or \
          getattr(layer, "quantization_mode", None):
        return False
      continue
    return False
  return True


class BatchedModel:
  """Evaluates a supported model with per-task adapted weights.

  Args:
    model: a Keras model for which `supports(model)` holds.
    adapted: the model's adapted variables (`weight_roles(model).adapted`).
  """

  def __init__(self, model, adapted):
    if not supports(model):
      raise ValueError(
          f"Model {model.name!r} has layers the fast path does not support; "
          "use the general path (vectorize=False).")
    index = {id(w): i for i, w in enumerate(adapted)}
    self.steps = []
    for layer in _layers(model):
      if isinstance(layer, keras.layers.InputLayer):
        continue
      if isinstance(layer, PASS_THROUGH):
        self.steps.append(("activation", layer, None, None))
        continue
      kernel = index.get(id(layer.kernel))
      bias = index.get(id(layer.bias)) if layer.bias is not None else None
      self.steps.append(("dense", layer, kernel, bias))

  def __call__(self, values, inputs):
    """Outputs `[tasks, points, units]` for `[tasks, points, features]`."""
    x = inputs
    for kind, layer, kernel, bias in self.steps:
      if kind == "activation":
        x = layer(x)
        continue
      # Mixed precision: compute in the layer's dtype, as Keras would.
      cast = lambda t, d=layer.compute_dtype: tf.cast(t, d)
      x = cast(x)
      weight = values[kernel] if kernel is not None else layer.kernel.value
      if kernel is not None:
        x = tf.matmul(x, cast(weight))  # [tasks, points, in] @ [tasks, in, out]
      else:
        x = tf.tensordot(x, cast(weight), axes=[[-1], [0]])
      if layer.bias is not None:
        b = cast(values[bias] if bias is not None else layer.bias.value)
        x = x + (b[:, tf.newaxis, :] if bias is not None else b)
      transform = getattr(layer, "transform_matrix", None)
      if transform is not None:
        x = tf.tensordot(x, cast(transform.value), axes=[[-1], [0]])
      if layer.activation is not None:
        x = layer.activation(x)
    return x


class BatchedGradientMasks:
  """MT-net masks for `[tasks, ...]` weights: one independent draw per task.

  Task i's masks are exactly those `inner.GradientMasks` draws for task i
  alone with seed `seeds[i]`, so both paths adapt identically.
  """

  def __init__(self, masks):
    self.masks = masks
    self.specs = masks.specs
    self.deterministic = masks.deterministic

  @property
  def active(self):
    return self.masks.active

  def sample(self, params, seeds, step=None):
    unbatched = [p[0] for p in params]
    shapes = [tf.shape(p) for p in unbatched]
    chosen = [i for i, spec in enumerate(self.specs)
              if spec is not None and spec.per_step == (step is not None)]
    if not chosen:
      return [None] * len(params)
    if self.deterministic:
      sampled = self.masks.sample(unbatched, seeds[0], step)
      return [None if m is None else m[tf.newaxis] for m in sampled]

    def one_task(seed):
      sampled = self.masks.sample_for_shapes(shapes, seed, step)
      return [sampled[i] for i in chosen]

    dtypes = [unbatched[i].dtype for i in chosen]
    per_task = tf.map_fn(one_task, seeds, fn_output_signature=dtypes)
    out = [None] * len(params)
    for i, mask in zip(chosen, per_task):
      out[i] = mask
    return out


def tile_for_tasks(values, num_tasks):
  """`[tasks, ...]` copies of the initial values (gradients sum back)."""
  return [tf.broadcast_to(v[tf.newaxis], tf.concat(
      [[num_tasks], tf.shape(v)], 0)) for v in values]


def per_task_loss(loss_fn):
  """A loss `(y_true, y_pred) -> scalar` made `[tasks, ...] -> [tasks]`."""
  from kerasmeta import losses  # pylint: disable=g-import-not-at-top
  if loss_fn is losses.mean_squared_error:
    def squared_error(y, p):
      p = losses.at_least_float32(p)
      return tf.reduce_mean(tf.reshape(tf.square(p - tf.cast(y, p.dtype)),
                                       [tf.shape(p)[0], -1]), axis=1)
    return squared_error
  if loss_fn is losses.sparse_softmax_cross_entropy:
    def cross_entropy(y, logits):
      logits = losses.at_least_float32(logits)
      labels = tf.cast(tf.reshape(y, tf.shape(logits)[:-1]), tf.int32)
      return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
          labels=labels, logits=logits), axis=1)
    return cross_entropy
  return lambda y, p: tf.vectorized_map(lambda args: loss_fn(*args), (y, p))

