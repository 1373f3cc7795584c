# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Learning to learn by gradient descent by gradient descent.

Andrychowicz et al. 2016: an optimiser m, a coordinate-wise LSTM with
weights phi (`layers.CoordinatewiseLSTM`), updates an optimisee
`theta_{t+1} = theta_t + g_t`, `[g_t, h_{t+1}] = m(grad_t, h_t, phi)`, and
is meta-trained on the summed losses of the trajectory,

  L(phi) = E_f [ sum_{t=1}^{T} w_t f(theta_t) ],  w_t = 1,

without second derivatives (the gradient fed to m is a constant:
`inner.learned_update`). Training samples a problem f and runs
`num_steps` (100) steps in truncations of `truncation` (20): each
meta-step backpropagates through one truncation, and theta and the LSTM
states carry over to the next in the learner's `train_state` (which the
trainer checkpoints, so a resumed run continues mid-problem exactly); the
problems of a batch stay the same for `num_truncations` meta-steps
(`tasks.RepeatedBatches`), and after the last truncation new problems start
from their theta_0 and zero states. A meta-batch of problems runs as one
loop, not one loop per problem: m is coordinate-wise, so every problem's
coordinates are rows of one LSTM batch (`batch_truncation_objective`; 20-30x
faster at 128 quadratics, benchmarks/README.md).

Where the paper leaves details open this follows the authors' code
(deepmind/learning-to-learn): two LSTM layers of 20 units, a linear output
times `output_scale`, zero initial states. The optimiser's input and output
settings default to the code's for the optimisee (`util.get_config`), which
each problem distribution declares as `reference_optimizer`: the raw
gradient, output times 1, on quadratics (the code's loss is averaged over
its 128 problems, so each problem's gradient reaches the LSTM times 1/128:
`gradient_scale`); log-and-sign and output times 0.01 on the MLP and on
any distribution that declares nothing (`DEFAULT_OPTIMIZER`). The
preprocessing's p is the paper's 10, not the code's 5: from the code's
N(0, 0.01^2) initial weights every first-layer gradient of the digits MLP
is about 1e-4, below e^-5 = 6.7e-3, where log-and-sign with p = 5 gives
(-1, e^5 g ~ 0.01) and the sign is lost; such an optimiser stayed at the
initial loss (ln 10) through 2,000 meta-steps, where p = 10 (threshold
4.5e-5) learned within 600. Each truncation's loss counts
f(theta_1) .. f(theta_T) once (the code also adds f at the truncation's
first point, which has no gradient).
"""

from __future__ import annotations

from typing import Any, Optional, Sequence, TYPE_CHECKING

import tensorflow as tf

from kerasmeta import inner
from kerasmeta.algorithms import base
from kerasmeta.inner import transforms
from kerasmeta.layers import lstm_optimizer

if TYPE_CHECKING:
  import keras
  from kerasmeta._typing import (IntLike, Metrics, Nest, ScaleLoss, Seed,
                                 TaskBatch)


def starting_from(transform: transforms.GradientTransform,
                  state: Nest) -> transforms.GradientTransform:
  """`transform` whose state starts at `state` instead of `init`'s (a
  truncation continues the previous one's LSTM states)."""
  return transforms.GradientTransform(lambda params: state, transform.update)


# The authors' code's default optimiser (`util.get_default_net_config`),
# with the paper's p (the module's docstring).
DEFAULT_OPTIMIZER = {"preprocess": "log_and_sign", "p": 10.0,
                     "output_scale": 0.01, "gradient_scale": 1.0}


def reference_optimizer(problems: Any) -> dict:
  """The authors' code's optimiser settings for `problems` (its
  `reference_optimizer`, else `DEFAULT_OPTIMIZER`)."""
  return {**DEFAULT_OPTIMIZER, **getattr(problems, "reference_optimizer", {})}


class LearningToLearn(base.MetaLearner):
  """Meta-trains a coordinate-wise LSTM optimiser on a problem distribution.

  ```python
  learner = km.algorithms.LearningToLearn(km.tasks.QuadraticProblems())
  ```

  Args:
    problems: an optimisee distribution (`tasks.optimizees`): its
      `parameter_shapes`, `initial_params(problem)` and
      `loss(problem, params, step)`.
    num_steps: optimisee steps per problem (T, 100).
    truncation: steps per meta-step (20); divides `num_steps`.
    units: the LSTM layers (two of 20).
    preprocess: "log_and_sign" or None ("" alike).
    p: the preprocessing's p.
    output_scale: multiplies m's output.
    gradient_scale: multiplies the gradients m reads.
      These four default (None) to the authors' code's for the optimisee
      (`reference_optimizer(problems)`).
    separate_conv: a second LSTM for rank-4 (convolution) parameters.
    second_order: feed m gradients that are differentiated through (the
      paper does not).
    dtype: the LSTM's ("float32"; "float64" for finite differences).
  """

  name = "learning_to_learn"
  distributes = False  # the optimisees' states live on one replica
  metric_names = ("meta_loss", "final_loss")

  def __init__(self, problems: Any, *, num_steps: int = 100,
               truncation: int = 20, units: Sequence[int] = (20, 20),
               preprocess: Optional[str] = None, p: Optional[float] = None,
               output_scale: Optional[float] = None,
               gradient_scale: Optional[float] = None,
               separate_conv: bool = False, second_order: bool = False,
               dtype: str = "float32") -> None:
    for name in ("parameter_shapes", "initial_params", "loss", "sample"):
      if not hasattr(problems, name):
        raise TypeError(f"problems must be an optimisee distribution "
                        f"(kerasmeta.tasks.optimizees) with {name!r}; "
                        f"received {type(problems).__name__}.")
    if int(truncation) < 1 or int(num_steps) < 1 or \
        int(num_steps) % int(truncation):
      raise ValueError(f"truncation must divide num_steps (both >= 1); "
                       f"received num_steps={num_steps}, "
                       f"truncation={truncation}.")
    self.problems = problems
    self.num_steps, self.truncation = int(num_steps), int(truncation)
    self.num_truncations = self.num_steps // self.truncation
    self.num_inner_steps = self.truncation
    self.second_order = bool(second_order)
    given = {"preprocess": preprocess, "p": p, "output_scale": output_scale,
             "gradient_scale": gradient_scale}
    settings: dict[str, Any] = {
        name: given[name] if given[name] is not None else default
        for name, default in reference_optimizer(problems).items()}
    make = lambda name: lstm_optimizer.CoordinatewiseLSTM(
        units, **settings, dtype=dtype, name=name)
    self.network = make("optimizer")
    self.network.build()
    self.conv_network = None
    if separate_conv:
      self.conv_network = make("conv_optimizer")
      self.conv_network.build()

  @property
  def trainable_variables(self) -> list[tf.Variable]:
    networks = [self.network] + ([self.conv_network]
                                 if self.conv_network is not None else [])
    return [v for n in networks for v in n.trainable_variables]

  def checkpoint_items(self) -> dict[str, Any]:
    items = {"network": self.network}
    if self.conv_network is not None:
      items["conv_network"] = self.conv_network
    return items

  def compute_gradients(
      self, tasks: TaskBatch, seeds: Optional[tf.Tensor],
      global_batch_size: Optional[int] = None,
      scale_loss: Optional[ScaleLoss] = None) -> base.MetaGradients:
    """The gradient of the first truncation of fresh problems (theta_0,
    zero LSTM states); training continues truncations (`train_step`)."""
    del seeds
    state = self.train_state(tf.nest.flatten(tasks)[0].shape[0])
    with tf.GradientTape() as tape:
      total, metrics, _ = self._truncations(tasks, state, fresh=True)
      total = base.mean_over_tasks(total, global_batch_size, scale_loss)
    return base.MetaGradients(
        base.gradients(tape, total, self.trainable_variables), metrics)

  def train_state(self, batch_size: Optional[int]) -> dict:
    """Each problem's parameters and LSTM states where its next truncation
    starts, and that truncation's index (0: fresh problems)."""
    if batch_size is None:
      raise ValueError("Truncated BPTT keeps one state per problem: give "
                       "the meta-batch size.")
    shapes = [tuple(s) for s in self.problems.parameter_shapes]
    one_state = self.initial_state([tf.zeros(s) for s in shapes])
    size = int(batch_size)
    return {"optimizee_params": [tf.zeros([size, *s]) for s in shapes],
            "optimizee_lstm_states": tf.nest.map_structure(
                lambda s: tf.zeros([size, *s.shape], s.dtype), one_state),
            "truncation": tf.constant(0, tf.int64)}

  def train_step(
      self, state: dict, batch: tuple[TaskBatch, tf.Tensor],
      optimizer: keras.optimizers.Optimizer,
      context: base.StepContext = base.StepContext()) -> tuple[dict, Metrics]:
    """One truncation of every problem of the batch, one outer step on the
    mean of their summed losses; the problems continue from where it ends."""
    if context.scale_loss is not None:
      raise ValueError("Truncated BPTT does not scale losses: train the "
                       "learned optimiser in float32.")
    tasks, _ = batch
    variables = self.trainable_variables
    position = state["truncation"]
    with tf.GradientTape() as tape:
      losses, metrics, (params, states) = self._truncations(
          tasks, state, fresh=tf.equal(position, 0))
      total = tf.reduce_mean(losses)
    gradients = base.gradients(tape, total, variables)
    metrics = base.check_gradients(gradients, metrics)
    optimizer.apply(gradients, variables)
    return {"optimizee_params": params, "optimizee_lstm_states": states,
            "truncation": (position + 1) % self.num_truncations}, metrics

  def _truncations(self, tasks, state, fresh):
    """One truncation of each problem from `state` (or from theta_0 and
    zero states where `fresh`).

    Returns:
      `(meta-losses [problems], metrics as means, (params, states) where
      the next truncation starts)`.
    """
    fresh = tf.convert_to_tensor(fresh)
    start_params = tf.cond(fresh, lambda: self._initial_params(tasks),
                           lambda: list(state["optimizee_params"]))
    start_states = tf.nest.map_structure(
        lambda value: tf.where(fresh, tf.zeros_like(value), value),
        state["optimizee_lstm_states"])
    first_step = tf.cast(state["truncation"], tf.int32) * self.truncation
    losses, metrics, params, states = self.batch_truncation_objective(
        tasks, start_params, _rows(start_states), first_step)
    problems = tf.shape(losses)[0]
    return losses, {name: tf.reduce_mean(value)
                    for name, value in metrics.items()}, \
        (params, _per_problem(states, problems))

  def _initial_params(self, tasks):
    """theta_0 of each problem of `tasks`, stacked: one tensor per
    parameter, `[problems, ...]`."""
    task_type = type(tasks)
    shapes = [tuple(s) for s in self.problems.parameter_shapes]
    return tf.map_fn(
        lambda task: self.problems.initial_params(task_type(*task)),
        tuple(tasks),
        fn_output_signature=[tf.TensorSpec(s, tf.float32) for s in shapes])

  def update(self, batch_axes: int = 0) -> transforms.GradientTransform:
    """The inner transform of m (fresh LSTM states), of parameters with
    `batch_axes` leading problem axes."""
    return inner.learned_update(self.network, self.conv_network,
                                second_order=self.second_order,
                                batch_axes=batch_axes)

  def initial_state(self, params: Sequence[tf.Tensor]) -> Nest:
    """Zero LSTM states for `params`."""
    return self.update().init(params)

  def truncation_objective(
      self, problem: Any, params: Sequence[tf.Tensor], state: Nest,
      first_step: IntLike) -> tuple[tf.Tensor, Metrics, list[tf.Tensor], Nest]:
    """One truncation of one problem from `params` and LSTM `state` (as
    `initial_state(params)` lays it out) at step `first_step`.

    Returns:
      `(meta-loss, metrics, params, state)`: the summed losses
      f(theta_1) .. f(theta_T) of the truncation, its metrics, and where
      the next truncation starts.
    """
    one = lambda value: tf.expand_dims(value, 0)
    loss, metrics, params, state = self.batch_truncation_objective(
        tf.nest.map_structure(one, problem), [one(p) for p in params],
        state, first_step)
    return loss[0], {name: value[0] for name, value in metrics.items()}, \
        [p[0] for p in params], state

  def batch_truncation_objective(
      self, problems: TaskBatch, params: Sequence[tf.Tensor], state: Nest,
      first_step: IntLike) -> tuple[tf.Tensor, Metrics, list[tf.Tensor], Nest]:
    """One truncation of a batch of problems at once.

    m is coordinate-wise, so the coordinates of every problem are rows of
    one LSTM batch, and one gradient of the summed losses is each problem's
    own gradient (the problems share no parameter): the truncation runs as
    one loop over the whole batch, not one loop per problem.

    Args:
      problems: a batch of problems (each tensor `[P, ...]`).
      params: the problems' parameters, `[P, ...]` each.
      state: the LSTM states in `initial_state(params)`'s layout (each
        parameter's `P * size` coordinates as rows).
      first_step: the optimisee step the truncation starts at.

    Returns:
      `(meta-losses [P], metrics [P] each, params, state)`.
    """
    losses = lambda values, step: problem_losses(
        self.problems, problems, values, first_step + step)
    result = inner.adapt(losses, params,
                         starting_from(self.update(batch_axes=1), state),
                         self.truncation, step_loss=True)
    final = losses(result.params, self.truncation)
    meta_loss = tf.reduce_sum(result.losses[1:], axis=0) + final
    return meta_loss, {"meta_loss": meta_loss, "final_loss": final}, \
        result.params, result.state

  def adapt(self, problem: Any, support_y: Optional[Any] = None, *,
            seed: Optional[Seed] = None,
            num_steps: Optional[IntLike] = None) -> inner.AdaptResult:
    """Runs the learned optimiser on one problem from its theta_0.

    Args:
      problem: one problem of `problems` (its tensors, no batch axis).
      support_y: must be None (the problem holds its own data).
      seed: unused (the learned optimiser draws nothing); accepted as every
        learner's `adapt` accepts it.
      num_steps: optimisee steps (default: the trained horizon).

    Returns:
      An `inner.AdaptResult`: `params` the optimisee's parameters after the
      steps, `losses` f before each step, `state` the LSTM states.
    """
    del seed  # Deterministic.
    if support_y is not None:
      raise TypeError("A learned optimiser's problem holds its own data; "
                      f"received support_y={support_y!r}.")
    num_steps = self.num_steps if num_steps is None else num_steps
    return inner.adapt(
        lambda values, step: self.problems.loss(problem, values, step),
        self.problems.initial_params(problem), self.update(), num_steps,
        step_loss=True)


def problem_losses(problems: Any, batch: TaskBatch, params: Sequence[tf.Tensor],
                   step: IntLike) -> tf.Tensor:
  """Each problem's loss `[P]` at its stacked parameters (`[P, ...]`): the
  distribution's `batch_loss` where it has one, else its `loss` vectorised
  over the problems (`tf.vectorized_map`, whose gradients XLA may not
  compile: a reduction's axes become run-time values)."""
  if hasattr(problems, "batch_loss"):
    return problems.batch_loss(batch, params, step)
  task_type = type(batch)
  return tf.vectorized_map(
      lambda args: problems.loss(task_type(*args[0]), list(args[1]), step),
      (tuple(batch), list(params)))


def _rows(states):
  """Per-problem LSTM states `[P, size, units]` as the rows `[P * size,
  units]` of one LSTM batch."""
  return tf.nest.map_structure(
      lambda s: tf.reshape(s, [-1, s.shape[-1]]), states)


def _per_problem(states, problems):
  """`_rows`' inverse."""
  return tf.nest.map_structure(
      lambda s: tf.reshape(s, [problems, -1, s.shape[-1]]), states)
