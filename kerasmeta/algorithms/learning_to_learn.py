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
states carry over to the next (the step builder
`training.bptt_steps.truncated_bptt_step`, which keeps them in its
checkpointed state); after the last truncation new problems are drawn.

Where the paper leaves details open this follows the authors' code
(deepmind/learning-to-learn): two LSTM layers of 20 units, a linear output
times `output_scale`, zero initial states; the log-and-sign preprocessing
with the paper's p = 10 (the code's MNIST config uses 5). Each truncation's
loss counts f(theta_1) .. f(theta_T) once (the code also adds f at the
truncation's first point, which has no gradient).
"""

import tensorflow as tf

from kerasmeta import inner
from kerasmeta.algorithms import base
from kerasmeta.inner import transforms
from kerasmeta.layers import lstm_optimizer


def starting_from(transform, state):
  """`transform` whose state starts at `state` instead of `init`'s (a
  truncation continues the previous one's LSTM states)."""
  return transforms.GradientTransform(lambda params: state, transform.update)


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
    preprocess: "log_and_sign" or None.
    p: the preprocessing's p (10).
    output_scale: multiplies m's output.
    separate_conv: a second LSTM for rank-4 (convolution) parameters.
    second_order: feed m gradients that are differentiated through (the
      paper does not).
    dtype: the LSTM's ("float32"; "float64" for finite differences).
  """

  name = "learning_to_learn"
  step_builder = "truncated_bptt"
  metric_names = ("meta_loss", "final_loss")

  def __init__(self, problems, *, num_steps=100, truncation=20,
               units=(20, 20), preprocess="log_and_sign", p=10.0,
               output_scale=1.0, separate_conv=False, second_order=False,
               dtype="float32"):
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
    make = lambda name: lstm_optimizer.CoordinatewiseLSTM(
        units, preprocess=preprocess, p=p, output_scale=output_scale,
        dtype=dtype, name=name)
    self.network = make("optimizer")
    self.network.build()
    self.conv_network = None
    if separate_conv:
      self.conv_network = make("conv_optimizer")
      self.conv_network.build()

  @property
  def trainable_variables(self):
    networks = [self.network] + ([self.conv_network]
                                 if self.conv_network is not None else [])
    return [v for n in networks for v in n.trainable_variables]

  def checkpoint_items(self):
    items = {"network": self.network}
    if self.conv_network is not None:
      items["conv_network"] = self.conv_network
    return items

  def compute_gradients(self, tasks, seeds, global_batch_size=None,
                        scale_loss=None):
    raise NotImplementedError(
        "LearningToLearn is meta-trained by truncated backpropagation "
        "through time, whose state carries across meta-steps: the trainer "
        "builds its step (training.bptt_steps); there is no one-batch "
        "gradient.")

  def update(self):
    """The inner transform of m (fresh LSTM states)."""
    return inner.learned_update(self.network, self.conv_network,
                                second_order=self.second_order)

  def initial_state(self, params):
    """Zero LSTM states for `params`."""
    return self.update().init(params)

  def truncation_objective(self, problem, params, state, first_step):
    """One truncation from `params` and LSTM `state` at step `first_step`.

    Returns:
      `(meta-loss, metrics, params, state)`: the summed losses
      f(theta_1) .. f(theta_T) of the truncation, its metrics, and where
      the next truncation starts.
    """
    loss = lambda values, step: self.problems.loss(problem, values,
                                                   first_step + step)
    result = inner.adapt(loss, params,
                         starting_from(self.update(), state),
                         self.truncation, step_loss=True)
    final = self.problems.loss(problem, result.params,
                               first_step + self.truncation)
    meta_loss = tf.reduce_sum(result.losses[1:]) + final
    return meta_loss, {"meta_loss": meta_loss, "final_loss": final}, \
        result.params, result.state

  def optimize(self, problem, num_steps=None):
    """Runs the learned optimiser on one problem from its theta_0.

    Returns:
      An `AdaptResult`: `losses` is f before each of the `num_steps`
      (default: the trained number) steps.
    """
    num_steps = self.num_steps if num_steps is None else num_steps
    return inner.adapt(
        lambda values, step: self.problems.loss(problem, values, step),
        self.problems.initial_params(problem), self.update(), num_steps,
        step_loss=True)
