# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""The newer peers' workloads as kerasmeta's own configs and trainer steps.

The peer programs' README defines them (benchmarks/README.md, "The
peers"); each is a kerasmeta config with
the overrides that make it the peer's workload:

  leo             `leo:leo,mini,1` (640-d embeddings, meta-batch 12), fed
                  random 640-d embeddings in Gaussian clusters, as the
                  peer (the released embeddings are a download);
  navigation      `navigation:maml`, 40 goals x (20 + 20) episodes;
  lstm_optimizer  `learned_optimizer:quadratic` with the peer's optimiser
                  (log-and-sign, p = 10, output x 0.1, no gradient scale)
                  and 128 problems (the config's meta-batch is 16);
  maze            `maze:rnn`, 30 episodes x 200 steps.

The step timed is the trainer's (`training.build_multi_step`, or
`build_step` fed from the task stream where the tasks cannot be made in
the graph), `steps_per_call` meta-steps per call (the peers take one), with
the config's `jit_compile` unless one is given.
"""

import keras
import numpy as np
import tensorflow as tf

import kerasmeta as km
from kerasmeta import experiments
from kerasmeta import training
from kerasmeta.apps import configs
from kerasmeta.training import optimizers
from kerasmeta.training import steps

WORKLOADS = {
    "leo": ("leo:leo,mini,1", {}),
    "navigation": ("navigation:maml", {"meta_batch_size": 40}),
    "lstm_optimizer": ("learned_optimizer:quadratic", {
        "meta_batch_size": 128, "learner.preprocess": "log_and_sign",
        "learner.p": 10.0, "learner.output_scale": 0.1,
        "learner.gradient_scale": 1.0}),
    "maze": ("maze:rnn", {}),
}

# The metric each workload reports.
METRICS = {"leo": "query_loss", "navigation": "return_after",
           "lstm_optimizer": "meta_loss", "maze": "return"}


def config_of(bench, meta_batch_size=None):
  """The config of workload `bench`, with its overrides."""
  name, overrides = WORKLOADS[bench]
  config = configs.load(name)
  overrides = dict(overrides)
  if meta_batch_size:
    overrides["meta_batch_size"] = meta_batch_size
  for field, value in overrides.items():
    group, _, leaf = field.rpartition(".")
    (config[group] if group else config)[leaf] = value
  if bench == "leo":  # its embeddings are fed, not read from data_dir
    return config
  return experiments.validate_config(config)


def clustered_embeddings(rng, config, count):
  """`count` batches of 5-way tasks of random embeddings in Gaussian
  clusters (class means N(0, 1), samples around them with sd 0.5)."""
  ways, features = config.ways, 640
  batches = []
  for _ in range(count):
    means = rng.normal(size=(config.meta_batch_size, ways, 1, features))

    def part(per_class, means=means):
      x = means + 0.5 * rng.normal(
          size=(config.meta_batch_size, ways, per_class, features))
      x = x.reshape(config.meta_batch_size, ways * per_class, features)
      y = np.tile(np.arange(ways).repeat(per_class),
                  (config.meta_batch_size, 1))[..., None]
      return tf.constant(x, tf.float32), tf.constant(y, tf.int32)
    batches.append(km.Task(*part(config.shots), *part(config.num_query)))
  return batches


def build(bench, *, jit_compile=None, steps_per_call=1, meta_batch_size=None,
          seed=0):
  """`(call, config)`: `call(i)` runs call i (`steps_per_call` meta-steps)
  and returns its metrics (each a vector over the call's steps)."""
  config = config_of(bench, meta_batch_size)
  if jit_compile is not None:
    config.jit_compile = jit_compile
  keras.utils.set_random_seed(config.seed)  # as the trainer
  learner = experiments.build_learner(config)
  optimizer = optimizers.make_outer_optimizer(
      learner, config.get("outer_optimizer", "adam"),
      config.outer_learning_rate, epsilon=config.get("outer_epsilon", 1e-7),
      global_clipnorm=config.get("outer_clipnorm") or None)
  strategy = tf.distribute.get_strategy()
  jit = steps.resolve_jit_compile(learner, config.jit_compile)
  size = config.meta_batch_size
  if bench == "leo":
    batches = clustered_embeddings(np.random.default_rng(seed), config, 8)
    seeds = tf.zeros([size, 2], tf.int32)
    step = training.make_train_step(learner, optimizer, strategy, size,
                                    jit_compile=jit)
    if steps_per_call != 1:
      raise ValueError("leo's embeddings are fed: one step per call.")
    return (lambda i: {name: tf.reshape(value, [1]) for name, value in
                       step((batches[i % len(batches)], seeds)).items()},
            config)
  tasks = experiments.task_distribution(config)
  if not steps.makes_tasks_in_graph(learner, tasks, strategy, jit):
    raise ValueError(f"{bench}: its tasks are not made in the graph.")
  multi = training.build_multi_step(learner, optimizer, strategy, size,
                                    tasks, seed, max_steps=steps_per_call,
                                    jit_compile=jit)
  count = tf.constant(steps_per_call, tf.int32)
  return (lambda i: multi.run(tf.constant(i * steps_per_call, tf.int64),
                              count), config)
