# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Few-shot classification of fixed embeddings: LEO's protocol.

Rusu et al. 2019, section 4: N-way K-shot episodes over image embeddings
(`kerasmeta.tasks.EmbeddingTasks`, L2-normalised), learned by LEO
(`config.algorithm = "leo"`) or by a few-shot learner (MAML, Meta-SGD, ...)
around a linear classifier over the embeddings (`config.model =
"linear"`, the paper's "Meta-SGD (our features)"). Tasks:

  mini_imagenet_embeddings, tiered_imagenet_embeddings
      the paper's released files under `config.data_dir`
      (`{miniImageNet,tieredImageNet}/{center,multiview}/{split}_
      embeddings.pkl`, `config.crop`)
  glyph_embeddings
      the glyph feature extractor's (`apps.pretrain_features`), the offline
      stand-in: `config.data_dir` is its output directory.
  subspace_embeddings
      classes in a hidden low-dimensional subspace plus noise
      (`tasks.subspace_embeddings.write`), where adaptation matters.

Evaluation: query accuracy over `config.eval.num_tasks` test episodes, mean
and 95% CI, and the nearest class centroid's on the same episodes.
"""

from __future__ import annotations


import os
from typing import Any, Optional, Sequence, TYPE_CHECKING

import numpy as np
import tensorflow as tf

from kerasmeta import algorithms
from kerasmeta import evaluation
from kerasmeta import evaluators
from kerasmeta import experiments
from kerasmeta.experiments import _few_shot
from kerasmeta.tasks import embeddings as embeddings_lib

if TYPE_CHECKING:
  import keras
  from kerasmeta._typing import Config, JitCompile
  from kerasmeta.algorithms.base import MetaLearner
  from kerasmeta.tasks.base import TaskStream

# task -> the dataset's name in the files' layout.
DATASETS = {
    "glyph_embeddings": "glyphs",
    "subspace_embeddings": "subspace",
    "mini_imagenet_embeddings": "miniImageNet",
    "tiered_imagenet_embeddings": "tieredImageNet",
}
_SPLITS: dict[tuple, dict[str, embeddings_lib.EmbeddingSplit]] = {}


def validate_config(config: Config) -> Config:
  """Checks the task, the learner and the episode sizes; returns config."""
  if config.task not in DATASETS:
    raise ValueError(f"Task {config.task!r} is not an embedding task; "
                     f"expected one of {tuple(DATASETS)}.")
  if not config.data_dir:
    raise ValueError(
        f"config.data_dir must name the directory of the embedding files "
        f"({DATASETS[config.task]}/{config.crop}/"
        "{train,val,test}_embeddings.pkl); received ''.")
  experiments.check_at_least(config, 2, "ways")
  experiments.check_at_least(config, 1, "shots", "num_query", "features")
  if config.get("eval", {}).get("num_query") is not None:
    experiments.check_at_least(config.eval, 0, "num_query",
                               group="config.eval")  # 0: every example left
  if config.algorithm == "leo":
    if config.model != "leo":
      raise ValueError(f"LEO builds its own networks: config.model must be "
                       f"'leo'; received {config.model!r}.")
  else:
    _few_shot.validate_config(config)
  return config


def splits(config: Config) -> dict[str, embeddings_lib.EmbeddingSplit]:
  """{"train", "validation", "test"}: the embeddings, loaded once. With
  `config.train_on_val` (the reference's option, with which the paper's
  figures were trained: deepmind/leo#14) the training split holds the
  training and validation classes; validation still scores checkpoints
  on its own classes, which training has then seen."""
  key = (config.task, str(config.data_dir), config.crop,
         bool(config.train_on_val))
  if key not in _SPLITS:
    parts = embeddings_lib.load(
        os.path.expanduser(config.data_dir), dataset=DATASETS[config.task],
        crop=config.crop)
    if config.train_on_val:
      parts = dict(parts, train=embeddings_lib.merged(parts["train"],
                                                      parts["validation"]))
    _SPLITS[key] = parts
  return _SPLITS[key]


def evaluation_queries(config: Config,
                       split_data: embeddings_lib.EmbeddingSplit,
                       shots: int) -> int:
  """Query examples per class of the held-out episodes: config.eval's
  `num_query` (None: config.num_query, as in training); 0 takes every
  example the support set leaves (the reference's protocol: 600 - K on
  the released embeddings, the fewest any class has)."""
  queries = config.get("eval", {}).get("num_query")
  if queries is None:
    return config.num_query
  if int(queries) == 0:
    return int(min(split_data.counts)) - shots
  return int(queries)


def task_distribution(config: Config, shots: Optional[int] = None,
                      split: str = "train") -> TaskStream:
  """Episodes of the classes of `split` (held-out splits with
  `evaluation_queries` per class)."""
  parts = splits(config)
  if split not in parts:
    raise ValueError(f"split must be one of {sorted(parts)}; received "
                     f"{split!r}.")
  shots = int(shots or config.shots)
  queries = config.num_query if split == "train" else \
      evaluation_queries(config, parts[split], shots)
  tasks = embeddings_lib.EmbeddingTasks(
      parts[split], ways=config.ways, shots=shots, queries=queries)
  if tasks.feature_size != config.features:
    raise ValueError(
        f"config.features is {config.features}, but the {split} embeddings "
        f"of {config.task!r} have {tasks.feature_size} features.")
  return tasks


def check_data(config: Config) -> None:
  """Builds every split's episodes, so that a bad file fails first."""
  for split in ("train", "validation", "test"):
    task_distribution(config, split=split)


def build_model(config: Config) -> Optional[keras.Model]:
  """The linear classifier (None for LEO, whose learner builds phi)."""
  if config.algorithm == "leo":
    return None
  return _few_shot.build_model(config)


def build_learner(config: Config, model: Optional[keras.Model]) -> MetaLearner:
  """`LEO(features, ways, **config.learner)`, or the few-shot learner
  around `model`."""
  if config.algorithm == "leo":
    return experiments.learner_from_config(config, config.features,
                                           config.ways)
  return _few_shot.build_learner(config, model)


def nearest_centroid_accuracies(tasks: Any) -> np.ndarray:
  """Per-episode query accuracy of the nearest class centroid (Euclidean,
  on the normalised embeddings), for a batch of episodes."""
  support_x = tasks.support_x.numpy()
  support_y = tasks.support_y.numpy()[..., 0]
  ways = int(support_y.max()) + 1
  accuracies = []
  for index in range(support_x.shape[0]):
    centroids = np.stack([support_x[index][support_y[index] == c].mean(0)
                          for c in range(ways)])
    distances = ((tasks.query_x.numpy()[index][:, None] - centroids) ** 2
                 ).sum(-1)
    accuracies.append(np.mean(distances.argmin(-1)
                              == tasks.query_y.numpy()[index, :, 0]))
  return np.array(accuracies)


def adapted_accuracies(learner: MetaLearner, tasks: Any, seeds: tf.Tensor,
                       num_steps: int,
                       chunk: int = 50) -> tuple[np.ndarray, ...]:
  """Per-episode query accuracy and loss after `learner.adapt`, compiled.

  Every learner goes through the one adapt contract: `adapt(task,
  seed=..., num_steps=...)` then `predict(adapted, query_x)` (LEO's means,
  no dropout; a few-shot learner's masks drawn from the episode's seed).

  Args:
    learner: LEO or a few-shot learner around a classifier.
    tasks: a batch of episodes.
    seeds: int32 [episodes, 2].
    num_steps: inner steps (LEO: latent steps).
    chunk: episodes compiled into one call.

  Returns:
    `(accuracies, losses)`, float arrays [episodes].
  """
  def one(elements):
    task, seed = elements
    task = type(tasks)(*task)
    logits = learner.predict(
        learner.adapt(task, seed=seed, num_steps=num_steps), task.query_x)
    labels = tf.reshape(tf.cast(task.query_y, tf.int32), [-1])
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels, tf.cast(logits, tf.float32)))
    return evaluation.accuracy(task.query_y, logits), loss

  run = tf.function(lambda batch, seeds: tf.map_fn(
      one, (tuple(batch), seeds),
      fn_output_signature=(tf.float32, tf.float32)), autograph=False)
  count = int(tasks.support_x.shape[0])
  parts = [run(tf.nest.map_structure(lambda t: t[i:i + chunk], tasks),
               seeds[i:i + chunk]) for i in range(0, count, chunk)]
  return tuple(np.concatenate([part[k].numpy() for part in parts])
               for k in range(2))


@evaluators.register("few_shot_embeddings")
class FewShotEmbeddingsEvaluator(evaluators.Evaluator):
  """Query accuracy over held-out episodes of the test (or validation)
  classes, and the nearest class centroid's on the same episodes; the
  validation accuracy picks the checkpoint, as the paper's meta-validation
  accuracy does."""

  def evaluate(self, learner: Any, *, num_tasks: int, seed: int,
               split: str = "test", shots: Any = None,
               jit_compile: JitCompile = False) -> evaluators.Evaluation:
    self.check_split(split)
    del shots, jit_compile  # episodes have the config's K; tf.function
    config = self.config
    episodes = task_distribution(config, split=split).evaluation_tasks(
        num_tasks, seed)
    steps = int(config.eval.num_inner_steps)
    accuracies, losses = adapted_accuracies(learner, episodes.tasks,
                                            episodes.seeds, steps)
    centroid = nearest_centroid_accuracies(episodes.tasks)
    results = {"accuracy": evaluation.summarize(accuracies),
               "loss": evaluation.summarize(losses),
               "nearest_centroid": evaluation.summarize(centroid)}
    accuracy = results["accuracy"]
    summary = (f"{config.ways}-way {config.shots}-shot accuracy after "
               f"{steps} steps: {accuracy['mean']:.4f} ± "
               f"{accuracy['ci95']:.4f} (nearest centroid "
               f"{results['nearest_centroid']['mean']:.4f})")

    def draw(path):
      """Histograms of the episodes' accuracies."""
      import matplotlib  # pylint: disable=g-import-not-at-top
      matplotlib.use("Agg")
      from matplotlib import pyplot  # pylint: disable=g-import-not-at-top
      figure, axis = pyplot.subplots(figsize=(5, 3))
      bins = np.linspace(0, 1, 21)
      axis.hist(accuracies, bins, alpha=0.6, label=learner.name)
      axis.hist(centroid, bins, alpha=0.6, label="nearest centroid")
      axis.axvline(accuracy["mean"], color="k", lw=1,
                   label=f"{learner.name} mean")
      axis.set_xlabel("query accuracy of an episode")
      axis.legend()
      figure.tight_layout()
      figure.savefig(path)
      pyplot.close(figure)
    return evaluators.Evaluation(results, draw, summary)

  def score(self, results: dict) -> float:
    """The mean query accuracy (checkpoint selection)."""
    return results["accuracy"]["mean"]


# The evaluator this family's runs are measured by.
EVALUATOR = FewShotEmbeddingsEvaluator.name
