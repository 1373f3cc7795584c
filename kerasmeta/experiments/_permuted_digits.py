# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Continual learning of permuted digits (Kirkpatrick et al. 2017, figure 2).

A sequence of tasks, each one fixed, seeded permutation of the pixels of
scikit-learn's 8x8 handwritten digits (no download; or of MNIST where
`tensorflow_datasets` already holds it), is learned task after task by one
MLP with plain SGD, in one of three regimes:

* "sgd": no penalty;
* "l2": `sum_k lambda / 2 ||theta - theta*_k||^2` over the earlier tasks k,
  theta*_k the weights at the end of task k: EWC's penalty with every
  Fisher entry 1, so that the only difference from "ewc" is that L2 treats
  all weights equally (the summed reading, as the paper sums EWC's
  penalties);
* "ewc": `sum_k lambda / 2 sum_i F_k,i (theta_i - theta*_k,i)^2`
  (`kerasmeta.ewc`), F_k the diagonal empirical Fisher of task k's
  training data at theta*_k.

A permutation may be restricted to a central square of the image (pixels
outside it stay where they are): figure 2C compares the Fisher overlap of
two tasks, per weight layer, for a small and a large permuted square.

The module is private because each public module of
`kerasmeta.experiments` is a `config.task` family; this protocol is run by
`benchmarks/ewc_permuted_digits.py`, not by the apps.
"""

import dataclasses

import numpy as np
import tensorflow as tf

from kerasmeta import ewc
from kerasmeta import functional
from kerasmeta import models
from kerasmeta.tasks import optimizees

REGIMES = ("sgd", "l2", "ewc")
SPLITS = ("train", "validation", "test")


def load_dataset(name="digits", data_dir=None):
  """`{split: (x [n, side * side] float32 in [0, 1], y [n] int32)}`.

  "digits": scikit-learn's 1797 8x8 digits split 60/20/20
  (`optimizees.load_digits`). "mnist": MNIST from `tensorflow_datasets`,
  only where it is already prepared under `data_dir` (never downloaded);
  its last 10,000 training images are the validation split.
  """
  if name == "digits":
    return {split: optimizees.load_digits(split) for split in SPLITS}
  if name != "mnist":
    raise ValueError(f"dataset must be 'digits' or 'mnist'; received "
                     f"{name!r}.")
  import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
  builder = tfds.builder("mnist", data_dir=data_dir)
  if not builder.is_prepared():
    raise FileNotFoundError(
        f"MNIST is not prepared in {builder.data_dir!r} and is never "
        "downloaded here: prepare it first (`tfds build mnist`) or use "
        "dataset='digits'.")
  parts = tfds.load("mnist", split=["train[:50000]", "train[50000:]", "test"],
                    data_dir=data_dir, download=False, batch_size=-1,
                    as_supervised=True)
  return {split: (np.asarray(x, np.float32).reshape(len(x), -1) / 255.0,
                  np.asarray(y, np.int32))
          for split, (x, y) in zip(SPLITS, tfds.as_numpy(parts))}


def square_permutation(seed, image_side=8, square_side=None):
  """Pixel indices `p` (`permuted = x[:, p]`) shuffling only the central
  `square_side` square of an `image_side` image (None: the whole image)."""
  side = image_side if square_side is None else int(square_side)
  if not 1 <= side <= image_side:
    raise ValueError(f"square_side must be in [1, {image_side}]; received "
                     f"{square_side}.")
  start = (image_side - side) // 2
  grid = np.arange(image_side * image_side).reshape(image_side, image_side)
  inside = grid[start:start + side, start:start + side].ravel()
  permutation = np.arange(image_side * image_side)
  permutation[inside] = np.random.default_rng(seed).permutation(inside)
  return permutation


def permuted_tasks(data, num_tasks, seed=0, square_side=None):
  """`num_tasks` tasks: `{split: (x[:, p_k], y)}` with task k's permutation
  `p_k = square_permutation((seed, k), ...)`."""
  image_side = int(round(np.sqrt(data["train"][0].shape[1])))
  tasks = []
  for k in range(num_tasks):
    permutation = square_permutation((seed, k), image_side, square_side)
    tasks.append({split: (x[:, permutation], y)
                  for split, (x, y) in data.items()})
  return tasks


def fisher_overlap(fisher_a, fisher_b):
  """Kirkpatrick's overlap `1 - 1/2 ||A^(1/2) - B^(1/2)||_F^2` of two
  diagonal Fishers (arrays of one shape), each normalised to unit trace:
  1 for proportional Fishers, 0 for disjoint supports."""
  a = np.asarray(fisher_a, np.float64).ravel()
  b = np.asarray(fisher_b, np.float64).ravel()
  if a.shape != b.shape or a.sum() <= 0 or b.sum() <= 0:
    raise ValueError("The Fishers must have one shape and positive traces.")
  distance = np.sum(np.square(np.sqrt(a / a.sum()) - np.sqrt(b / b.sum())))
  return float(np.clip(1.0 - 0.5 * distance, 0.0, 1.0))


def l2_penalty(params, anchors, strength):
  """`sum_k strength / 2 ||params - anchors_k||^2`: EWC with unit Fishers."""
  ones = [[tf.ones_like(p) for p in params] for _ in anchors]
  return ewc.ewc_penalty(params, anchors, ones, strength)


@dataclasses.dataclass(frozen=True)
class Protocol:
  """How each task is learned.

  Attributes:
    hidden_sizes: the MLP's ReLU layers.
    learning_rate: plain SGD's rate.
    batch_size: examples per step.
    epochs_per_task: passes over a task's training split.
    eval_every: steps between two test-accuracy records (figure 2A).
    fisher_examples: training examples the Fisher averages (None: all).
    seed: the MLP's initialisation and the batches' order.
  """
  hidden_sizes: tuple = (100, 100)
  learning_rate: float = 0.1
  batch_size: int = 32
  epochs_per_task: int = 20
  eval_every: int = 40
  fisher_examples: int | None = None
  seed: int = 0


class ContinualMLP:
  """One MLP learned on `num_tasks` tasks in turn; `run` restarts it from
  the same initialisation, so every regime and strength starts alike.

  A step is SGD's on the task's cross-entropy followed by the exact
  (proximal) step on the quadratic penalty,

    theta <- (theta - rate g + rate lambda sum_k F_k theta*_k)
             / (1 + rate lambda sum_k F_k),

  which is SGD's step on the penalised loss to first order in the rate but
  stays stable where `rate lambda F_i > 2` (an explicit step on the penalty
  would then diverge, and the grid of lambdas reaches there).
  """

  def __init__(self, input_dim, protocol=Protocol(), num_classes=10):
    self.protocol = protocol
    self.model = models.mlp(input_dim=input_dim,
                            hidden_sizes=tuple(protocol.hidden_sizes),
                            output_dim=num_classes, seed=protocol.seed)
    self.weights = list(self.model.trainable_variables)
    self.initial = [w.numpy() for w in self.weights]
    # lambda sum_k F_k and lambda sum_k F_k theta*_k, over consolidated tasks.
    self._precision = [tf.Variable(np.zeros_like(v), trainable=False)
                       for v in self.initial]
    self._pull = [tf.Variable(np.zeros_like(v), trainable=False)
                  for v in self.initial]
    self.anchors, self.fishers, self.strength = [], [], 0.0
    self.layer_of_weight = [layer.name for layer in self.model.layers
                            for _ in layer.trainable_weights]

  def penalty(self):
    """The current penalty `sum_k lambda / 2 sum_i F_k,i (theta_i -
    theta*_k,i)^2` over the consolidated tasks."""
    return float(ewc.ewc_penalty(functional.current_values(self.weights),
                                 self.anchors, self.fishers, self.strength))

  @tf.function
  def _train(self, xs, ys):
    """Steps on the batches `xs [steps, B, D]`, `ys [steps, B]`."""
    rate = tf.constant(self.protocol.learning_rate, tf.float32)
    for i in tf.range(tf.shape(xs)[0]):
      with tf.GradientTape() as tape:
        logits = self.model(xs[i], training=True)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
            ys[i], logits))
      grads = tape.gradient(loss, self.weights)
      for weight, grad, precision, pull in zip(self.weights, grads,
                                               self._precision, self._pull):
        weight.assign((weight - rate * grad + rate * pull)
                      / (1.0 + rate * precision))

  @tf.function
  def _accuracies(self, xs, ys):
    """Accuracy on each task of `xs [tasks, n, D]`, `ys [tasks, n]`."""
    logits = self.model(tf.reshape(xs, [-1, tf.shape(xs)[-1]]))
    right = tf.equal(tf.argmax(logits, -1, output_type=tf.int32),
                     tf.reshape(ys, [-1]))
    return tf.reduce_mean(tf.reshape(tf.cast(right, tf.float32),
                                     tf.shape(ys)), axis=1)

  @tf.function(reduce_retracing=True)
  def _fisher_sum(self, x, y):
    def nll(params):
      logits = functional.call_with_weights(self.model, params, x)
      return tf.nn.sparse_softmax_cross_entropy_with_logits(y, logits)
    fisher = ewc.diagonal_fisher(nll, functional.current_values(self.weights))
    return [f * tf.cast(tf.shape(x)[0], f.dtype) for f in fisher]

  def fisher(self, task, chunk=256):
    """Diagonal empirical Fisher of `task`'s training data at the current
    weights (in chunks of examples, to bound the per-example Jacobian)."""
    x, y = task["train"]
    count = self.protocol.fisher_examples or len(y)
    x, y = x[:count], y[:count]
    total = None
    for start in range(0, len(y), chunk):
      part = self._fisher_sum(x[start:start + chunk], y[start:start + chunk])
      total = part if total is None else [t + p for t, p in zip(total, part)]
    return [t.numpy() / len(y) for t in total]

  def accuracies(self, tasks, split):
    return self._accuracies(np.stack([t[split][0] for t in tasks]),
                            np.stack([t[split][1] for t in tasks])).numpy()

  def reset(self, strength=0.0):
    """Back to the initialisation, with no task consolidated."""
    for weight, value in zip(self.weights, self.initial):
      weight.assign(value)
    for variable in self._precision + self._pull:
      variable.assign(tf.zeros_like(variable))
    self.anchors, self.fishers, self.strength = [], [], float(strength)

  def consolidate(self, fisher):
    """Anchors a penalty at the current weights with `fisher` (one array
    per weight; ones for L2) and the strength of the run."""
    anchor = [w.numpy() for w in self.weights]
    self.anchors.append(anchor)
    self.fishers.append(fisher)
    for precision, pull, f, star in zip(self._precision, self._pull, fisher,
                                        anchor):
      precision.assign_add(self.strength * f)
      pull.assign_add(self.strength * f * star)

  def _epochs(self, rng, size):
    """`[steps, batch_size]` example indices: shuffled epochs, each
    dropping its last incomplete batch."""
    batch = self.protocol.batch_size
    usable = size // batch * batch
    return np.concatenate([rng.permutation(size)[:usable] for _ in range(
        self.protocol.epochs_per_task)]).reshape(-1, batch)

  def run(self, tasks, regime="sgd", strength=0.0):
    """Learns `tasks` in turn from the initialisation; returns a record.

    Returns:
      A dict: "steps" and "test_curve" `[records, tasks]` (every task's
      test accuracy every `eval_every` steps, figure 2A), "task_starts"
      (the step each task begins at), "test_after_task" and
      "validation_after_task" `[tasks, tasks]` (row t: every task's
      accuracy after learning task t), "task_weights" (the weights at the
      end of each task, theta*_k) and "fishers" (each task's Fisher at its
      end; "ewc" only, else None).
    """
    if regime not in REGIMES:
      raise ValueError(f"regime must be one of {REGIMES}; received "
                       f"{regime!r}.")
    self.reset(0.0 if regime == "sgd" else strength)
    rng = np.random.default_rng(self.protocol.seed)
    record = {"regime": regime, "strength": self.strength, "steps": [0],
              "task_starts": [],
              "test_curve": [self.accuracies(tasks, "test")],
              "test_after_task": [], "validation_after_task": [],
              "task_weights": [],
              "fishers": [] if regime == "ewc" else None}
    for task in tasks:
      record["task_starts"].append(record["steps"][-1])
      order = self._epochs(rng, len(task["train"][1]))
      x, y = task["train"]
      for start in range(0, len(order), self.protocol.eval_every):
        batch = order[start:start + self.protocol.eval_every]
        self._train(x[batch], y[batch])
        record["steps"].append(record["steps"][-1] + len(batch))
        record["test_curve"].append(self.accuracies(tasks, "test"))
      record["test_after_task"].append(self.accuracies(tasks, "test"))
      record["validation_after_task"].append(
          self.accuracies(tasks, "validation"))
      record["task_weights"].append([w.numpy() for w in self.weights])
      if regime == "ewc":
        record["fishers"].append(self.fisher(task))
        self.consolidate(record["fishers"][-1])
      elif regime == "l2":
        self.consolidate([np.ones_like(v) for v in self.initial])
    for key in ("test_curve", "test_after_task", "validation_after_task"):
      record[key] = np.asarray(record[key])
    return record


def seen_average(after_task):
  """Figure 2B: after each task t, the mean accuracy over tasks 0..t."""
  after_task = np.asarray(after_task)
  return [float(after_task[t, :t + 1].mean()) for t in range(len(after_task))]


def choose_strength(learner, tasks, regime, grid):
  """The strength of `grid` whose run ends with the best mean validation
  accuracy over all tasks; returns `(best record, {strength: score})`."""
  best, scores = None, {}
  for strength in grid:
    record = learner.run(tasks, regime, strength)
    scores[float(strength)] = float(record["validation_after_task"][-1].mean())
    if best is None or scores[float(strength)] > scores[best["strength"]]:
      best = record
  return best, scores


def layer_overlaps(learner, fisher_a, fisher_b):
  """`{layer name: overlap}` of two Fishers (lists like `learner.weights`),
  each layer's kernel and bias together."""
  overlaps = {}
  for name in dict.fromkeys(learner.layer_of_weight):
    pick = lambda fisher: np.concatenate([  # pylint: disable=cell-var-from-loop
        f.ravel() for f, layer in zip(fisher, learner.layer_of_weight)
        if layer == name])
    overlaps[name] = fisher_overlap(pick(fisher_a), pick(fisher_b))
  return overlaps


def overlap_by_depth(data, square_sides, strength, protocol=Protocol(),
                     seeds=(0, 1, 2)):
  """Figure 2C: per square side, per layer, the Fisher overlap of two
  tasks learned in turn with EWC (each Fisher at the end of its task),
  over `seeds` of the permutations: `{side: {layer: [per seed]}}`."""
  learner = ContinualMLP(data["train"][0].shape[1], protocol)
  result = {}
  for side in square_sides:
    result[side] = {}
    for seed in seeds:
      tasks = permuted_tasks(data, 2, seed=seed, square_side=side)
      fishers = learner.run(tasks, "ewc", strength)["fishers"]
      for layer, value in layer_overlaps(learner, *fishers).items():
        result[side].setdefault(layer, []).append(value)
  return result
