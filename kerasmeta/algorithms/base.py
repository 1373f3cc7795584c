"""The interface every meta-learner implements, and the MAML family's core.

A meta-learner turns (model, batch of tasks, seeds) into gradients for the
variables the outer optimiser trains, plus metrics. The trainer, the
evaluator and the exporter only use this interface.
"""

import tensorflow as tf

from kerasmeta import batched
from kerasmeta import functional
from kerasmeta import inner
from kerasmeta import losses as losses_lib
from kerasmeta.tasks import base as tasks_base


class MetaLearner:
  """Base class: a model, its loss and an inner loop.

  Args:
    model: a built Keras 3 model; its adapted weights are the initialisation
      the outer loop learns, its meta weights are learned directly.
    loss: a loss name (see `kerasmeta.losses`) or `(y_true, y_pred) -> loss`.
    num_inner_steps: inner SGD steps during meta-training.
    inner_learning_rate: the inner step size alpha.
    first_order: stop the gradient through the inner gradients.
    training: the `training` flag the model's layers see in the inner loop
      and on the query set (True: batch-norm uses each task's batch
      statistics, as in the MAML reference).
    vectorize: process a replica's tasks together on the fast path (a task
      axis on the adapted weights, see `kerasmeta.batched`): "auto" where
      the model and algorithm allow it, True to require it, False for the
      general path (`stateless_call` mapped over tasks).
    unroll_inner_steps: write the inner steps out instead of a bounded
      `tf.while_loop` when their number is a Python int up to this bound
      (XLA fuses across unrolled steps; the graph grows with them). 0 always
      loops.
    batch_norm: "task" (default): batch-norm layers normalise with each
      task's batch statistics, during meta-training and after it, as the
      MAML reference does (transductive: a test task's query batch shapes
      its own normalisation). "running": meta-training does the same and
      also keeps running averages of the adapted networks' query-batch
      statistics (`update_statistics`, called by the trainer after each
      meta-step); adaptation and prediction outside meta-training then
      normalise with those running statistics, so each query example is
      classified on its own.
    inner_batch_size: None: every inner step uses the whole support set.
      An int: step k uses that many support examples drawn at random
      (without class balance) from the task's seed and k, as many-step
      protocols do (Omniglot alphabets: 100 steps of 20).
  """

  name = "meta_learner"
  metric_names = ("support_loss", "query_loss")

  def __init__(self, model, loss="mse", num_inner_steps=1,
               inner_learning_rate=0.01, first_order=False, training=True,
               vectorize="auto", unroll_inner_steps=5, batch_norm="task",
               inner_batch_size=None):
    if int(num_inner_steps) < 0:
      raise ValueError(
          f"num_inner_steps must be >= 0; received {num_inner_steps}.")
    if inner_learning_rate < 0:
      raise ValueError(
          f"inner_learning_rate must be >= 0; received {inner_learning_rate}.")
    self.model = model
    self.loss_fn = losses_lib.get(loss)
    self.num_inner_steps = int(num_inner_steps)
    self.inner_learning_rate = float(inner_learning_rate)
    self.first_order = bool(first_order)
    if batch_norm not in ("task", "running"):
      raise ValueError(f"batch_norm must be 'task' or 'running'; received "
                       f"{batch_norm!r}.")
    self.batch_norm = batch_norm
    if inner_batch_size is not None and int(inner_batch_size) < 1:
      raise ValueError(f"inner_batch_size must be >= 1; received "
                       f"{inner_batch_size}.")
    self.inner_batch_size = int(inner_batch_size) if inner_batch_size \
        else None
    self._training = training
    self._meta_training = False
    self.unroll_inner_steps = int(unroll_inner_steps)
    self.roles = functional.weight_roles(model)
    if not self.roles.adapted:
      raise ValueError(f"Model {model.name!r} has no adapted weights: every "
                       "trainable weight is meta, so there is nothing to adapt.")
    self.mask_specs = functional.mask_specs(model, self.roles.adapted)
    self.batched_model = None
    possible = batched.supports(model) and type(self).batched_objectives \
        is not MetaLearner.batched_objectives and not inner_batch_size
    if vectorize not in (True, False, "auto"):
      raise ValueError(f"vectorize must be True, False or 'auto'; received "
                       f"{vectorize!r}.")
    if vectorize is True and not possible:
      raise ValueError(
          f"vectorize=True, but {type(self).__name__} on model "
          f"{model.name!r} has no fast path (supported layers: Dense, TDense "
          "and activations).")
    if vectorize and possible:
      self.batched_model = batched.BatchedModel(model, self.roles.adapted)
      self.per_task_loss = batched.per_task_loss(self.loss_fn)

  @property
  def training(self):
    """The `training` flag layers see (see `batch_norm`)."""
    if self.batch_norm == "running" and not self._meta_training:
      return False
    return self._training

  @training.setter
  def training(self, value):
    self._training = value

  def update_statistics(self, tasks, seeds):
    """Moves batch-norm running statistics towards a batch's (running mode).

    Adapts the batch's first task and runs its query set through the
    adapted network in training mode; batch-norm layers fold that batch's
    statistics into their moving averages (their momentum). Nothing to do
    in "task" mode.
    """
    if self.batch_norm != "running" or not self.roles.state:
      return
    task = tasks_base.Task(*[t[0] for t in tasks])
    self._meta_training = True
    try:
      adapted, _ = self.adapt(task, seeds[0])
      _, state = functional.call_with_weights(
          self.model, adapted, task.query_x, training=True, roles=self.roles,
          return_state=True)
    finally:
      self._meta_training = False
    for variable, value in zip(self.model.non_trainable_variables, state):
      variable.assign(tf.stop_gradient(value))

  @property
  def uses_fast_path(self):
    """Whether `compute_gradients` processes the tasks together."""
    return self.batched_model is not None

  # ------------------------------------------------------------ variables
  @property
  def extra_variables(self):
    """Meta variables the algorithm owns besides the model's."""
    return []

  @property
  def trainable_variables(self):
    """What the outer optimiser trains: the model's and the algorithm's."""
    return list(self.model.trainable_variables) + list(self.extra_variables)

  def checkpoint_items(self):
    """Trackables `tf.train.Checkpoint` saves for this learner."""
    return {"model": self.model}

  # ------------------------------------------------------------ inner loop
  def learning_rates(self, learning_rate=None):
    """The inner step size(s) passed to `inner.adapt`.

    Args:
      learning_rate: overrides the trained inner learning rate alpha (a
        scalar, possibly a tensor); None keeps it.
    """
    return self.inner_learning_rate if learning_rate is None else \
        learning_rate

  def predict(self, adapted, x, training=None, meta_values=None):
    """The model's outputs on `x` with `adapted` values for adapted weights.

    `meta_values` replaces the meta weights (see `call_with_weights`).
    """
    training = self.training if training is None else training
    return functional.call_with_weights(self.model, adapted, x,
                                        training=training, roles=self.roles,
                                        meta_values=meta_values)

  def task_loss_fn(self, x, y):
    """`adapted -> loss of the model on (x, y)`."""
    return lambda adapted: self.loss_fn(y, self.predict(adapted, x))

  def initial_values(self):
    return functional.current_values(self.roles.adapted)

  def initial_support_loss(self, task, support_losses):
    """The support loss before adaptation (a metric; no gradient).

    `support_losses` are `adapt`'s; with no inner step, the loss at the
    initial values is computed.
    """
    if self.num_inner_steps > 0:
      return tf.stop_gradient(support_losses[0])
    return tf.stop_gradient(self.loss_fn(
        task.support_y, self.predict(self.initial_values(), task.support_x)))

  def inner_momentum(self):
    """The inner loop's heavy-ball momentum; None for plain SGD."""
    return None

  def adapt(self, task, seed=None, num_steps=None, deterministic=False,
            return_trajectory=False, max_steps=None, learning_rate=None):
    """Adapts the model to one task's support set.

    Args:
      task: a single (unbatched) `Task`.
      seed: stateless seed of the task's mask samples, int32 [2].
      num_steps: inner steps (default: `num_inner_steps`); a tensor needs
        `max_steps`.
      deterministic: masks at their most probable value instead of sampled.
      return_trajectory: also return every step's values.
      max_steps: static bound for a tensor `num_steps`.
      learning_rate: overrides the inner learning rate (see
        `learning_rates`).

    Returns:
      What `inner.adapt` returns: `(adapted, support_losses[, trajectory])`.
    """
    num_steps = self.num_inner_steps if num_steps is None else num_steps
    masks = self._gradient_masks(deterministic)
    return inner.adapt(
        self.support_loss_fn(task, seed), self.initial_values(), num_steps,
        self.learning_rates(learning_rate), first_order=self.first_order,
        masks=masks, seed=seed, return_trajectory=return_trajectory,
        max_steps=max_steps, unroll=self._unroll(num_steps),
        momentum=self.inner_momentum(),
        step_loss=self.inner_batch_size is not None)

  def support_loss_fn(self, task, seed=None, meta_values=None):
    """The inner loop's loss: `params -> loss` on the whole support set, or
    with `inner_batch_size`, `(params, step) -> loss` on step's mini-batch.
    """
    if self.inner_batch_size is None:
      return lambda params: self.loss_fn(
          task.support_y, self.predict(params, task.support_x,
                                       meta_values=meta_values))
    seed = tf.zeros([2], tf.int32) if seed is None else seed
    size = min(self.inner_batch_size, int(task.support_x.shape[0]))

    def loss(params, step):
      keys = tf.random.stateless_uniform(
          [tf.shape(task.support_x)[0]],
          tf.random.experimental.stateless_fold_in(seed, 1000 + step))
      chosen = tf.argsort(keys)[:size]
      return self.loss_fn(
          tf.gather(task.support_y, chosen),
          self.predict(params, tf.gather(task.support_x, chosen),
                       meta_values=meta_values))
    return loss

  def _unroll(self, num_steps):
    return isinstance(num_steps, int) and num_steps <= self.unroll_inner_steps

  def _gradient_masks(self, deterministic):
    if not any(self.mask_specs):
      return None
    return inner.GradientMasks(self.mask_specs, deterministic)

  def batched_adapt(self, tasks, seeds, num_steps=None, deterministic=False,
                    return_trajectory=False, max_steps=None,
                    learning_rate=None):
    """`adapt` for a batch of tasks at once, on the fast path.

    Returns what `inner.adapt` returns, with `[tasks, ...]` adapted values
    and support losses summed over tasks.
    """
    if self.batched_model is None:
      raise ValueError("This learner does not use the fast path.")
    num_steps = self.num_inner_steps if num_steps is None else num_steps
    num_tasks = tf.shape(tasks.support_x)[0]
    masks = self._gradient_masks(deterministic)

    def support_loss(params):
      predictions = self.batched_model(params, tasks.support_x)
      return tf.reduce_sum(self.per_task_loss(tasks.support_y, predictions))

    return inner.adapt(
        support_loss, batched.tile_for_tasks(self.initial_values(),
                                             num_tasks),
        num_steps, self.learning_rates(learning_rate),
        first_order=self.first_order,
        masks=batched.BatchedGradientMasks(masks) if masks else None,
        seed=seeds, return_trajectory=return_trajectory, max_steps=max_steps,
        unroll=self._unroll(num_steps), momentum=self.inner_momentum())

  def batched_predict(self, adapted, x):
    """`[tasks, points, ...]` outputs with `[tasks, ...]` adapted values."""
    return self.batched_model(adapted, x)

  # ------------------------------------------------------------ outer loop
  def task_objective(self, task, seed):
    """Differentiable meta-objective of one task, and its metrics.

    Returns:
      `(objective, metrics)`: scalars; metrics has `support_loss` (before
      adaptation) and `query_loss` (after).
    """
    raise NotImplementedError

  def batched_objectives(self, tasks, seeds):
    """`task_objective` for all tasks at once, on the fast path.

    Returns:
      `(objectives, metric_sums)`: a [tasks] tensor and a dict of scalars
      summed over tasks. Algorithms without a fast path leave this alone.
    """
    raise NotImplementedError

  def compute_gradients(self, tasks, seeds, global_batch_size=None,
                        scale_loss=None):
    """Gradients of the mean task objective for `trainable_variables`.

    Args:
      tasks: a batched `Task` (this replica's tasks).
      seeds: int32 [tasks, 2], one stateless seed per task.
      global_batch_size: the number of tasks over all replicas; the
        objective is summed over this replica's tasks and divided by it, so
        that summing gradients across replicas (as Keras optimisers do)
        averages over all tasks.
      scale_loss: multiplies the objective before differentiation (a
        `keras.optimizers.LossScaleOptimizer`'s `scale_loss`, whose `apply`
        unscales the gradients again).

    Returns:
      `(gradients, metrics)`, metrics as sums over this replica's tasks.
    """
    tasks_base.validate_task(tasks, batched=True)
    variables = self.trainable_variables
    self._meta_training = True  # read while tracing (see `training`)
    try:
      return self._compute_gradients(tasks, seeds, variables,
                                     global_batch_size, scale_loss)
    finally:
      self._meta_training = False

  def _compute_gradients(self, tasks, seeds, variables, global_batch_size,
                         scale_loss):
    with tf.GradientTape() as tape:
      if self.uses_fast_path:
        objectives, metrics = self.batched_objectives(tasks, seeds)
      else:
        objectives, metrics = map_tasks(self.task_objective, tasks, seeds,
                                        self.metric_names,
                                        dtype=self.roles.adapted[0].dtype)
        metrics = {k: tf.reduce_sum(v) for k, v in metrics.items()}
      total = mean_over_tasks(objectives, global_batch_size, scale_loss)
    return gradients(tape, total, variables), metrics


def mean_over_tasks(values, global_batch_size=None, scale_loss=None):
  """The sum of per-task `values` over `global_batch_size` (default: their
  number), times the loss scale: what a replica differentiates."""
  denominator = global_batch_size or tf.shape(values)[0]
  total = tf.reduce_sum(values) / tf.cast(denominator, values.dtype)
  return total if scale_loss is None else scale_loss(total)


def mapped_gradients(objective_fn, tasks, seeds, metric_names, variables,
                     global_batch_size=None, scale_loss=None,
                     dtype=tf.float32, task_type=tasks_base.Task):
  """`compute_gradients` of learners whose objective is mapped over tasks.

  Returns:
    `(gradients of the mean objective, metrics summed over tasks)`.
  """
  with tf.GradientTape() as tape:
    values, metrics = map_tasks(objective_fn, tasks, seeds, metric_names,
                                dtype=dtype, task_type=task_type)
    total = mean_over_tasks(values, global_batch_size, scale_loss)
  return gradients(tape, total, variables), {
      name: tf.reduce_sum(value) for name, value in metrics.items()}


def map_tasks(fn, tasks, seeds, metric_names, parallel_iterations=None,
              dtype=tf.float32, task_type=tasks_base.Task):
  """Maps `fn(task, seed) -> (scalar, {name: scalar})` over a task batch.

  Tasks run through `tf.map_fn` (a loop the graph holds once, whatever the
  batch size), which nests second-order gradients and compiles under XLA.

  `task_type` is the namedtuple the tasks come in (default `Task`).

  Returns:
    `(values, metrics)`: a [tasks] tensor of `dtype` and a dict of float32
    [tasks] tensors.
  """
  def per_task(elements):
    task, seed = elements
    value, metrics = fn(task_type(*task), seed)
    return tf.cast(value, dtype), {name: tf.cast(metrics[name], tf.float32)
                   for name in metric_names}

  signature = (tf.TensorSpec([], dtype),
               {name: tf.TensorSpec([], tf.float32) for name in metric_names})
  return tf.map_fn(
      per_task, (tuple(tasks), seeds), fn_output_signature=signature,
      parallel_iterations=parallel_iterations or seeds.shape[0] or 10)


def gradients(tape, target, variables):
  """`tape.gradient` with zeros (of each variable's dtype) where unconnected.

  (`UnconnectedGradients.ZERO` trips over Keras 3 variables, whose `dtype`
  is a string.)
  """
  grads = tape.gradient(target, variables)
  return [tf.zeros(v.shape, tf.as_dtype(v.dtype)) if g is None else g
          for g, v in zip(grads, variables)]
