# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Learned optimisers on optimisee problems (Andrychowicz et al. 2016).

Tasks: `quadratic` (random 10-dimensional quadratics, section 3.1),
`digits_mlp` (an MLP of one hidden layer of 20 sigmoid units trained on
scikit-learn's 8x8 digits, the paper's MNIST experiment at this machine's
scale, section 3.2) and `glyphs_mlp` (the same MLP on 10 procedural glyph
characters, 14x14). The learner is `LearningToLearn`, meta-trained by
truncated BPTT.

Evaluation: the optimisee loss along `config.eval.num_steps` steps, mean
and 95% CI over held-out problems, of the learned optimiser and of SGD,
Nesterov momentum, RMSProp and Adam (`config.eval.baselines`), each
baseline's learning rate chosen from `config.eval.learning_rates` by its
mean loss over the trained horizon on validation problems (never on the
test problems). The MLPs' held-out problems train on the dataset's test
images and their validation problems on its validation images, as the
authors' `evaluate.py` optimises MNIST's test set; training uses the
training images alone. On the MLP also the paper's generalisation tests:
the same optimisers on an MLP with two hidden layers, and with ReLU units.

Checkpoint selection (`config.select_checkpoint = "validation"`): the
authors' `train.py` keeps the optimiser of the lowest summed loss on fresh
problems; here the score is minus the learned optimiser's mean loss over
the trained horizon on `config.eval.num_validation_tasks` validation
problems.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence, TYPE_CHECKING

import numpy as np
import tensorflow as tf

from kerasmeta import algorithms
from kerasmeta import evaluation
from kerasmeta import evaluators
from kerasmeta import experiments
from kerasmeta import inner
from kerasmeta.tasks import base as tasks_base
from kerasmeta.tasks import optimizees

if TYPE_CHECKING:
  from kerasmeta._typing import Config, JitCompile
  from kerasmeta.algorithms.base import MetaLearner
  from kerasmeta.algorithms.learning_to_learn import LearningToLearn
  from kerasmeta.tasks.base import TaskStream

ALGORITHM = "learning_to_learn"
TASKS = ("quadratic", "digits_mlp", "glyphs_mlp")


def validate_config(config: Config) -> Config:
  """Checks the task, the learner and the horizons; returns config."""
  if config.task not in TASKS:
    raise ValueError(f"Task {config.task!r} is not an optimisee task; "
                     f"expected one of {TASKS}.")
  experiments.check_algorithm(config, (ALGORITHM,))
  learner = config.learner
  experiments.check_at_least(learner, 1, "num_steps", "truncation",
                             group="config.learner")
  if learner.num_steps % learner.truncation:
    raise ValueError(f"config.learner.truncation ({learner.truncation}) must "
                     f"divide config.learner.num_steps ({learner.num_steps}).")
  return config


def problems(config: Config, hidden_sizes: Optional[Sequence[int]] = None,
             activation: Optional[str] = None,
             split: str = "train") -> TaskStream:
  """The config's optimisee distribution on the data of `split` ("train",
  "validation" or "test"; quadratics have no data: other seeds of the same
  distribution are held out), an MLP's layers overridable."""
  if config.task == "quadratic":
    return optimizees.QuadraticProblems(dimension=config.dimension)
  x, y = (optimizees.load_glyph_characters(split=split)
          if config.task == "glyphs_mlp" else optimizees.load_digits(split))
  return optimizees.MLPProblems(
      x, y,
      hidden_sizes=tuple(hidden_sizes or config.hidden_sizes),
      activation=activation or config.activation,
      batch_size=config.batch_size, initializer=config.initializer)


def task_distribution(config: Config, shots: Optional[int] = None,
                      split: str = "train") -> TaskStream:
  """Training: each batch of problems for all of its truncations."""
  del shots
  distribution = problems(config, split=split)
  if split != "train":
    return distribution
  return tasks_base.RepeatedBatches(distribution,
                                    config.learner.num_steps
                                    // config.learner.truncation)


def build_model(config: Config) -> None:
  del config
  return None  # the learner builds its LSTM


def build_learner(config: Config, model: None) -> MetaLearner:
  """`LearningToLearn(problems, **config.learner)` (it builds its LSTM)."""
  del model
  return experiments.learner_from_config(config, problems(config),
                                         algorithms_allowed=(ALGORITHM,))


def loss_curves(distribution: Any, transform: inner.GradientTransform,
                held_out: Any, num_steps: int) -> np.ndarray:
  """`[problems, num_steps + 1]`: f at steps 0..num_steps of `transform`
  from each problem's theta_0 (one compiled map over the problems)."""
  task_type = type(held_out)

  def one(task):
    problem = task_type(*task)
    result = inner.adapt(
        lambda values, step: distribution.loss(problem, values, step),
        distribution.initial_params(problem), transform, num_steps,
        step_loss=True)
    final = distribution.loss(problem, result.params, num_steps)
    return tf.concat([tf.cast(result.losses, tf.float32),
                      tf.cast(final, tf.float32)[tf.newaxis]], 0)

  run = tf.function(lambda tasks: tf.map_fn(
      one, tuple(tasks), fn_output_signature=tf.TensorSpec(
          [num_steps + 1], tf.float32)), autograph=False)
  return run(held_out).numpy()


def _mean_loss(curves):
  """The mean over problems and steps (diverged problems count as inf)."""
  return float(np.mean(np.where(np.isfinite(curves), curves, np.inf)))


def compare(learner: LearningToLearn, config: Config, num_tasks: int, seed: int,
            **changes: Any) -> dict[str, dict[str, Any]]:
  """Loss curves of the learned optimiser and (`config.eval.baselines`)
  the tuned baselines on the test split's problems.

  Args:
    learner: the trained `LearningToLearn`.
    config: its config.
    num_tasks: held-out problems.
    seed: theirs (the validation problems': seed + 1).
    **changes: `problems`' MLP overrides (hidden_sizes, activation).

  Returns:
    `{method: {"learning_rate", "curves" [tasks, steps + 1]}}`.
  """
  horizon = int(config.eval.num_steps)
  test = problems(config, split="test", **changes)
  held_out = test.evaluation_tasks(num_tasks, seed).tasks
  methods = {"lstm": {"learning_rate": None, "curves": loss_curves(
      test, learner.update(), held_out, horizon)}}
  if not config.eval.get("baselines", True):
    return methods
  validation = problems(config, split="validation", **changes)
  validation_tasks = validation.evaluation_tasks(
      config.eval.num_validation_problems, seed + 1).tasks
  for name in inner.classic.CLASSIC:
    scores = {rate: _mean_loss(loss_curves(
        validation, inner.classic_optimizer(name, rate), validation_tasks,
        learner.num_steps)) for rate in config.eval.learning_rates}
    rate = min(scores, key=scores.__getitem__)
    methods[name] = {"learning_rate": rate, "curves": loss_curves(
        test, inner.classic_optimizer(name, rate), held_out, horizon)}
  return methods


def _summaries(methods, steps):
  return {name: {"learning_rate": method["learning_rate"],
                 "loss_at_step": {str(step): evaluation.summarize(
                     method["curves"][:, step]) for step in steps},
                 "mean_curve": method["curves"].mean(0).tolist()}
          for name, method in methods.items()}


@evaluators.register("optimizee_curves")
class OptimizeeCurves(evaluators.Evaluator):
  """The loss curves of every optimiser on held-out problems."""

  def evaluate(self, learner: Any, *, num_tasks: int, seed: int,
               split: str = "test", shots: Any = None,
               jit_compile: JitCompile = False) -> evaluators.Evaluation:
    self.check_split(split)
    config = self.config
    del shots, jit_compile
    if split == "validation":
      validation = problems(config, split="validation")
      curves = loss_curves(validation, learner.update(),
                           validation.evaluation_tasks(num_tasks, seed).tasks,
                           learner.num_steps)
      return evaluators.Evaluation(
          {"mean_loss": _mean_loss(curves[:, 1:])}, lambda path: None,
          f"validation mean loss {_mean_loss(curves[:, 1:]):.4g}")
    horizon = int(config.eval.num_steps)
    steps = sorted({learner.num_steps, horizon})
    comparisons = {"trained_optimizee": compare(learner, config, num_tasks,
                                                seed)}
    if config.task != "quadratic":
      # The paper's generalisation tests, the LSTM unchanged (its update is
      # coordinate-wise, so any parameter count fits).
      for name, changes in (
          ("two_hidden_layers", dict(hidden_sizes=(20, 20))),
          ("relu", dict(activation="relu"))):
        changed_learner = type(learner).from_config(
            learner.get_config(), problems=problems(config, **changes))
        changed_learner.network.set_weights(learner.network.get_weights())
        comparisons[name] = compare(changed_learner, config, num_tasks, seed,
                                    **changes)
    results = {name: _summaries(methods, steps)
               for name, methods in comparisons.items()}
    trained = results["trained_optimizee"]
    at = str(learner.num_steps)
    summary = ", ".join(
        f"{name} {trained[name]['loss_at_step'][at]['mean']:.4g}"
        for name in trained)
    summary = f"loss after {learner.num_steps} steps: {summary}"

    def draw(path):
      from kerasmeta import plotting  # pylint: disable=g-import-not-at-top
      plotting.plot_loss_curves(comparisons, path,
                                trained_steps=learner.num_steps)
    return evaluators.Evaluation(results, draw, summary)

  def score(self, results: dict) -> float:
    """Minus the validation problems' mean loss (lower loss is better)."""
    return -results["mean_loss"]


# The evaluator this family's runs are measured by.
EVALUATOR = OptimizeeCurves.name
