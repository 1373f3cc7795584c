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

Meta-training (appendix B): "online" accumulates both gradients over the
meta-batch's trajectories and takes one step (algorithm 1; the default
trainer step); "offline" collects the trajectories into a `ReplayBuffer` and
takes one warp step per mini-batch of eta parameterisations drawn without
replacement (algorithm 2); "continual" trains theta itself on a multi-task
loss at every step and phi every eta steps (algorithm 3).
"""

import keras
import tensorflow as tf

from kerasmeta import distribute
from kerasmeta import inner
from kerasmeta.algorithms import base
from kerasmeta.algorithms import leap
from kerasmeta.algorithms import replay

INIT_OBJECTIVES = ("maml", "leap", "none")
TRAINING_MODES = ("online", "offline", "continual")


@keras.saving.register_keras_serializable(package="kerasmeta")
class InnerOptimizer(keras.layers.Layer):
  """A meta-learned scalar inner learning rate and momentum (appendix F)."""

  def __init__(self, learning_rate=0.01, momentum=0.0, **kwargs):
    super().__init__(**kwargs)
    self.initial_learning_rate = float(learning_rate)
    self.initial_momentum = float(momentum)
    self.learning_rate = self.add_weight(
        name="learning_rate", shape=(),
        initializer=keras.initializers.Constant(self.initial_learning_rate))
    self.momentum = self.add_weight(
        name="momentum", shape=(),
        initializer=keras.initializers.Constant(self.initial_momentum))

  @property
  def meta_weights(self):
    return [self.learning_rate, self.momentum]

  def get_config(self):
    config = super().get_config()
    config.update(learning_rate=self.initial_learning_rate,
                  momentum=self.initial_momentum)
    return config


def warp_objective(task_loss_fn, meta_loss_fn, params, learning_rate, *,
                   exact=True, momentum=None, velocities=None):
  """The warp objective at one task parameterisation theta_k (eq. 7 / 8).

  theta_k (and its momentum buffer) is held constant; the step from it is
  differentiated with respect to the warp (eq. 7, `exact`) or taken as given
  (eq. 8: the gradient reaches phi through the meta loss's forward pass
  only).

  Args:
    task_loss_fn: `params -> task loss` (support data), reading the warp.
    meta_loss_fn: `params -> meta loss` (other data), reading the warp.
    params: theta_k, a list of tensors.
    learning_rate: alpha, a scalar or one tensor per param.
    exact: eq. 7 (True) or eq. 8 (False).
    momentum: None, or the heavy-ball coefficient of the inner optimiser.
    velocities: the momentum buffers at theta_k (with `momentum`).

  Returns:
    `(meta loss after the step, task loss at theta_k)`.
  """
  params = [tf.stop_gradient(p) for p in params]
  rates = inner.as_rates(learning_rate, params)
  if momentum is not None:
    velocities = [tf.stop_gradient(v) for v in velocities]
  out = inner.sgd_step(task_loss_fn, params, rates, momentum=momentum,
                       velocities=velocities)
  updated, task_loss = out[0], out[1]
  if not exact:
    updated = [tf.stop_gradient(p) for p in updated]
  return meta_loss_fn(updated), task_loss


class WarpGrad(base.MetaLearner):
  """WarpGrad on a model with warp layers, through `MetaLearner`.

  Args:
    model: a built model with warp layers (their weights, and any other
      meta weights, are phi).
    init_objective: C of eq. 9: "maml" (Warp-MAML), "leap" (Warp-Leap) or
      "none" (theta_0 stays where it is, as in the continual experiment).
    init_weight: lambda of eq. 9: theta_0's outer step size relative to
      phi's (`variable_groups`).
    exact: the warp objective of eq. 7 (True) or eq. 8 (False).
    momentum: the inner optimiser's heavy-ball coefficient (None or 0:
      plain SGD).
    learn_inner_optimizer: meta-learn a scalar inner learning rate and
      momentum (appendix F), starting at `inner_learning_rate` and
      `momentum`; trained by L only.
    warp_samples: theta_k per task in the online objective, drawn without
      replacement from steps 0..K-1; None or 0 takes every step.
    training_mode: "online", "offline" or "continual" (module docstring).
    buffer_batch_size: eta: parameterisations per warp step (offline), or
      meta-batches per warp step (continual).
    leap_use_loss: Warp-Leap's path includes the loss (eq. 10).
    **kwargs: `MetaLearner` arguments (loss, num_inner_steps,
      inner_learning_rate, first_order, ...). `first_order` concerns C only
      (MAML's); the warp objective's order is `exact`.
  """

  name = "warpgrad"
  metric_names = ("support_loss", "query_loss", "warp_loss", "init_loss")

  def __init__(self, model, init_objective="maml", init_weight=1.0,
               exact=True, momentum=None, learn_inner_optimizer=False,
               warp_samples=None, training_mode="online",
               buffer_batch_size=1, leap_use_loss=True, **kwargs):
    kwargs.setdefault("vectorize", False)
    super().__init__(model, **kwargs)
    if init_objective not in INIT_OBJECTIVES:
      raise ValueError(f"init_objective must be one of {INIT_OBJECTIVES}; "
                       f"received {init_objective!r}.")
    if training_mode not in TRAINING_MODES:
      raise ValueError(f"training_mode must be one of {TRAINING_MODES}; "
                       f"received {training_mode!r}.")
    if self.num_inner_steps < 1 and training_mode != "continual":
      raise ValueError("WarpGrad samples theta_k from adaptation "
                       "trajectories: num_inner_steps must be >= 1.")
    if not self.roles.meta:
      raise ValueError(
          f"Model {model.name!r} has no meta weights: add warp layers "
          "(kerasmeta.layers.warp) or designate some with "
          "designate_warp_layers.")
    if int(buffer_batch_size) < 1:
      raise ValueError(f"buffer_batch_size must be >= 1; received "
                       f"{buffer_batch_size}.")
    warp_samples = warp_samples or None
    if warp_samples is not None and not \
        1 <= int(warp_samples) <= max(self.num_inner_steps, 1):
      raise ValueError(f"warp_samples must be in [1, num_inner_steps]; "
                       f"received {warp_samples}.")
    self.init_objective = init_objective
    self.init_weight = float(init_weight)
    self.exact = bool(exact)
    self.momentum = float(momentum) if momentum else None
    self.warp_samples = None if warp_samples is None else int(warp_samples)
    self.training_mode = training_mode
    self.buffer_batch_size = int(buffer_batch_size)
    self.leap_use_loss = bool(leap_use_loss)
    # False computes L and C apart even where one pass gives both (tests).
    self.share_passes = True
    self.inner_optimizer = None
    if learn_inner_optimizer:
      # A learned momentum starts at `momentum` and is always applied.
      self.inner_optimizer = InnerOptimizer(
          self.inner_learning_rate, self.momentum or 0.0,
          dtype=self.roles.adapted[0].dtype, name="warp_inner_optimizer")
    self.accumulators = None
    if training_mode == "continual":
      self.accumulators = [
          tf.Variable(tf.zeros(v.shape, v.dtype), trainable=False,
                      name=f"warp_gradient_{i}")
          for i, v in enumerate(self.warp_variables)]
      self.accumulated = tf.Variable(0, dtype=tf.int64, trainable=False,
                                     name="warp_gradients_accumulated")

  # ------------------------------------------------------------ variables
  @property
  def extra_variables(self):
    return [] if self.inner_optimizer is None else \
        list(self.inner_optimizer.meta_weights)

  @property
  def warp_variables(self):
    """phi: the model's meta weights and a learned inner optimiser's."""
    return [w for w in self.roles.meta] + self.extra_variables

  @property
  def trainable_variables(self):
    init = [] if self.init_objective == "none" else list(self.roles.adapted)
    return init + self.warp_variables

  def variable_groups(self):
    """`[(learning-rate scale, variables)]`: theta_0 steps with lambda."""
    groups = [(1.0, self.warp_variables)]
    if self.init_objective != "none":
      groups.insert(0, (self.init_weight, list(self.roles.adapted)))
    return groups

  def checkpoint_items(self):
    items = super().checkpoint_items()
    if self.inner_optimizer is not None:
      items["inner_optimizer"] = self.inner_optimizer
    if self.accumulators is not None:
      items["warp_gradients"] = self.accumulators
      items["warp_gradients_accumulated"] = self.accumulated
    return items

  # ------------------------------------------------------------ inner loop
  def learning_rates(self, learning_rate=None):
    if self.inner_optimizer is None or learning_rate is not None:
      return super().learning_rates(learning_rate)
    return self.inner_optimizer.learning_rate.value

  def inner_momentum(self):
    if self.inner_optimizer is not None:
      return self.inner_optimizer.momentum.value
    return self.momentum

  def _frozen_meta(self):
    return [tf.stop_gradient(w.value) for w in self.roles.meta]

  def _frozen_inner(self):
    """The inner step size and momentum as constants (for C and theta_k)."""
    momentum = self.inner_momentum()
    stop = lambda v: v if v is None or isinstance(v, float) else \
        tf.stop_gradient(v)
    return stop(self.learning_rates()), stop(momentum)

  def _loss_fn(self, x, y, meta_values=None):
    return lambda params: self.loss_fn(
        y, self.predict(params, x, meta_values=meta_values))

  # ------------------------------------------------------------ objectives
  def warp_loss(self, task, params, velocities=None):
    """The warp objective (eq. 7 / 8) of one task at theta_k."""
    value, _ = warp_objective(
        self._loss_fn(task.support_x, task.support_y),
        self._loss_fn(task.query_x, task.query_y), params,
        self.learning_rates(), exact=self.exact,
        momentum=self.inner_momentum(), velocities=velocities)
    return value

  def collect(self, task, seed=None):
    """Adapts with the warp fixed; returns C and the trajectory.

    Returns:
      `(init_loss, metrics, trajectories, velocities or None)`, init_loss
      differentiable with respect to theta_0 (C of eq. 9, zero for "none").
    """
    frozen = self._frozen_meta()
    support = self._loss_fn(task.support_x, task.support_y, frozen)
    learning_rate, momentum = self._frozen_inner()
    initial = self.initial_values()
    first_order = self.first_order or self.init_objective != "maml"
    adapted, support_losses, trajectory = inner.adapt(
        self.support_loss_fn(task, seed, frozen), initial,
        self.num_inner_steps, learning_rate, first_order=first_order,
        return_trajectory=True, unroll=self._unroll(self.num_inner_steps),
        momentum=momentum, step_loss=self.inner_batch_size is not None)
    trajectories, velocities = inner.split_trajectory(trajectory,
                                                      len(initial))
    query_loss = self.loss_fn(
        task.query_y, self.predict(adapted, task.query_x,
                                   meta_values=frozen))
    if self.init_objective == "maml":
      init_loss = query_loss
    elif self.init_objective == "leap":
      init_loss = leap.leap_objective(support, initial, trajectories,
                                      use_loss=self.leap_use_loss)
    else:
      init_loss = tf.zeros([], query_loss.dtype)
    metrics = {
        "support_loss": self.initial_support_loss(task, support_losses),
        "query_loss": tf.stop_gradient(query_loss),
        "init_loss": tf.stop_gradient(init_loss)}
    return init_loss, metrics, trajectories, velocities

  def _sampled_steps(self, seed):
    steps = tf.range(self.num_inner_steps)
    if self.warp_samples is None or self.warp_samples == self.num_inner_steps:
      return steps
    keys = tf.random.stateless_uniform(
        [self.num_inner_steps],
        tf.random.experimental.stateless_fold_in(seed, 101))
    return tf.cast(tf.argsort(keys)[:self.warp_samples], tf.int32)

  @property
  def shares_one_objective(self):
    """Whether eq. 7 and MAML's C are one function (one inner step).

    With K = 1 the only theta_k is theta_0, and the exact warp objective at
    it is MAML's query loss after one step, seen as a function of phi; C is
    the same loss as a function of theta_0. The gradients of L + C are
    then that loss's gradient: one second-order pass instead of two. (With
    `inner_batch_size` the two differ: the warp objective takes the whole
    support set, the inner step a mini-batch.)
    """
    return (self.share_passes and self.num_inner_steps == 1 and self.exact
            and self.init_objective == "maml" and not self.first_order and
            self.inner_batch_size is None)

  def _shared_objective(self, task, seed):
    initial = self.initial_values()
    adapted, support_losses = inner.adapt(
        self.support_loss_fn(task, seed), initial, 1, self.learning_rates(),
        momentum=self.inner_momentum(),
        step_loss=self.inner_batch_size is not None)
    query_loss = self.loss_fn(task.query_y, self.predict(adapted,
                                                         task.query_x))
    loss = tf.stop_gradient(query_loss)
    return query_loss, {"support_loss": tf.stop_gradient(support_losses[0]),
                        "query_loss": loss, "warp_loss": loss,
                        "init_loss": loss}

  def task_objective(self, task, seed):
    if self.shares_one_objective:
      return self._shared_objective(task, seed)
    init_loss, metrics, trajectories, velocities = self.collect(task, seed)
    dtype = trajectories[0].dtype

    def at_step(step):
      params = [t[step] for t in trajectories]
      vel = None if velocities is None else [v[step] for v in velocities]
      return tf.cast(self.warp_loss(task, params, vel), dtype)

    steps = self._sampled_steps(seed)
    warp_loss = tf.reduce_mean(
        tf.map_fn(at_step, steps, fn_output_signature=dtype))
    metrics["warp_loss"] = tf.stop_gradient(warp_loss)
    # phi only sees L, theta_0 only C; lambda is in theta_0's step size.
    return warp_loss + tf.cast(init_loss, dtype), metrics

  # ------------------------------------------------------------ training
  def make_train_step(self, optimizer, strategy, global_batch_size):
    """The trainer step of the offline / continual modes (None: online).

    These steps run without XLA: XLA compiles the in-graph optimiser
    updates again at every call (seconds per step), while TensorFlow runs a
    sinusoid step in milliseconds.
    """
    if self.training_mode == "online":
      return None
    if distribute.is_distributed(strategy):
      raise ValueError(
          f"WarpGrad's {self.training_mode} mode runs on one replica; use "
          "training_mode='online' with a distribution strategy.")
    if isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
      raise ValueError(f"WarpGrad's {self.training_mode} mode does not scale "
                       "losses: use mixed_bfloat16, or the online mode.")
    step = (self._offline_step if self.training_mode == "offline"
            else self._continual_step)
    def meta_step(batch):
      self._meta_training = True  # read while tracing (see `training`)
      try:
        return step(optimizer, batch, global_batch_size)
      finally:
        self._meta_training = False
    return tf.function(meta_step)

  def _map_collect(self, tasks, seeds):
    """`collect` over a task batch: C per task, metrics and trajectories."""
    dtype = tf.as_dtype(self.roles.adapted[0].dtype)
    shapes = [w.shape for w in self.roles.adapted]
    num_steps = self.num_inner_steps + 1
    trajectory_spec = [tf.TensorSpec([num_steps] + list(s), dtype)
                       for s in shapes]
    has_velocity = self.inner_momentum() is not None

    def one(elements):
      task, seed = elements
      task = type(tasks)(*task)
      init_loss, metrics, trajectories, velocities = self.collect(task, seed)
      return (tf.cast(init_loss, dtype),
              {k: tf.cast(v, tf.float32) for k, v in metrics.items()},
              trajectories, velocities if has_velocity else [])

    signature = (tf.TensorSpec([], dtype),
                 {k: tf.TensorSpec([], tf.float32)
                  for k in ("support_loss", "query_loss", "init_loss")},
                 trajectory_spec, trajectory_spec if has_velocity else [])
    return tf.map_fn(one, (tuple(tasks), seeds),
                     fn_output_signature=signature)


  def _offline_step(self, optimizer, batch, global_batch_size):
    """Algorithm 2: collect a meta-batch, then replay it in mini-batches."""
    tasks, seeds = batch
    with tf.GradientTape() as tape:
      init_losses, metrics, trajectories, velocities = self._map_collect(
          tasks, seeds)
      init_total = base.mean_over_tasks(init_losses, global_batch_size)
    if self.init_objective != "none":
      optimizer.apply(base.gradients(tape, init_total, self.roles.adapted),
                      self.roles.adapted)
    buffer = replay.ReplayBuffer(tasks, trajectories, velocities or None)
    batches = buffer.batches(
        tf.random.experimental.stateless_fold_in(seeds[0], 202),
        self.buffer_batch_size)
    warp_variables = self.warp_variables
    dtype = trajectories[0].dtype
    warp_losses = tf.TensorArray(dtype, size=tf.shape(batches)[0])
    for index in tf.range(tf.shape(batches)[0]):
      entries = batches[index]
      with tf.GradientTape() as warp_tape:
        def one(entry):
          task, params, vel = buffer.entry(tf.maximum(entry, 0))
          value = tf.cast(self.warp_loss(type(tasks)(*task), params, vel),
                          dtype)
          return tf.where(entry >= 0, value, tf.zeros([], dtype))
        values = tf.map_fn(one, entries, fn_output_signature=dtype)
        count = tf.reduce_sum(tf.cast(entries >= 0, dtype))
        loss = tf.reduce_sum(values) / count
      gradients = base.gradients(warp_tape, loss, warp_variables)
      optimizer.apply(gradients, warp_variables)
      warp_losses = warp_losses.write(index, loss)
    out = {k: tf.reduce_sum(v) / global_batch_size for k, v in metrics.items()}
    out["warp_loss"] = tf.cast(tf.reduce_mean(warp_losses.stack()),
                               tf.float32)
    out["warp_updates"] = tf.cast(tf.shape(batches)[0], tf.float32)
    return out

  def _continual_step(self, optimizer, batch, global_batch_size):
    """Algorithm 3: theta every step (multi-task C), phi every eta steps."""
    tasks, _ = batch
    adapted_variables = self.roles.adapted
    warp_variables = self.warp_variables
    dtype = tf.as_dtype(adapted_variables[0].dtype)
    with tf.GradientTape(persistent=True) as tape:
      theta = self.initial_values()
      frozen = self._frozen_meta()

      def one(task):
        task = type(tasks)(*task)
        multitask = self._loss_fn(task.support_x, task.support_y,
                                  frozen)(theta)
        velocities = None if self.inner_momentum() is None else [
            tf.zeros_like(t) for t in theta]  # a fresh step from theta
        return (tf.cast(multitask, dtype),
                tf.cast(self.warp_loss(task, theta, velocities), dtype))

      multitask, warp = tf.map_fn(one, tuple(tasks),
                                  fn_output_signature=(dtype, dtype))
      init_total = base.mean_over_tasks(multitask, global_batch_size)
      warp_total = base.mean_over_tasks(warp, global_batch_size)
    warp_gradients = base.gradients(tape, warp_total, warp_variables)
    if self.init_objective != "none":  # else theta stays fixed
      optimizer.apply(base.gradients(tape, init_total, adapted_variables),
                      adapted_variables)
    del tape
    for accumulator, gradient in zip(self.accumulators, warp_gradients):
      accumulator.assign_add(gradient)
    self.accumulated.assign_add(1)
    if self.accumulated >= self.buffer_batch_size:
      optimizer.apply([a / self.buffer_batch_size for a in self.accumulators],
                      warp_variables)
      for accumulator in self.accumulators:
        accumulator.assign(tf.zeros_like(accumulator))
      self.accumulated.assign(0)
    return {"support_loss": tf.cast(tf.reduce_mean(multitask), tf.float32),
            "query_loss": tf.cast(tf.reduce_mean(multitask), tf.float32),
            "warp_loss": tf.cast(tf.reduce_mean(warp), tf.float32),
            "init_loss": tf.cast(tf.reduce_mean(multitask), tf.float32)}


class WarpMAML(WarpGrad):
  """Warp-MAML (eq. 11): the exact warp objective with MAML's C."""

  name = "warp_maml"

  def __init__(self, model, **kwargs):
    kwargs.setdefault("init_objective", "maml")
    super().__init__(model, **kwargs)


class WarpLeap(WarpGrad):
  """Warp-Leap (eq. 12): the warp objective with Leap's C."""

  name = "warp_leap"

  def __init__(self, model, **kwargs):
    kwargs.setdefault("init_objective", "leap")
    super().__init__(model, **kwargs)
