# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
r"""Times one meta-training step on the peers' workloads.

The workloads, sizes and defaults are those of the peer programs' README
(benchmarks/README.md, "The peers"):

  sinusoid: MLP 1-40-40-1 ReLU, K=10 support and 10 query points,
            meta-batch 25, 5 inner SGD steps, alpha 0.01, second order.
  conv4:    4 x [conv3x3 64 stride 2 SAME, batch-norm (batch statistics),
            ReLU] + linear head on 28x28x1, 5-way 1-shot, 15 queries per
            class, meta-batch 32, 1 inner step, alpha 0.4, second order.

Both with Adam 1e-3. The step is kerasmeta's trainer step
(`training.make_train_step`), the one `apps.meta_train` runs. The newer
workloads (leo, navigation, lstm_optimizer, maze) are kerasmeta's configs
with the peers' sizes (`config_workloads`). Prints one JSON line with the
peers' fields:

  python benchmarks/meta_step.py --bench sinusoid
  python benchmarks/meta_step.py --bench conv4 --steps 20
  python benchmarks/meta_step.py --bench lstm_optimizer
"""

import argparse
import json
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # pylint: disable=g-import-not-at-top
import numpy as np
import tensorflow as tf

import config_workloads  # pylint: disable=g-import-not-at-top
import kerasmeta as km
from kerasmeta import training


def parse():
  parser = argparse.ArgumentParser()
  parser.add_argument("--bench", choices=["sinusoid", "conv4",
                                          *config_workloads.WORKLOADS],
                      default="sinusoid")
  parser.add_argument("--steps", type=int, default=50)
  parser.add_argument("--warmup", type=int, default=5)
  parser.add_argument("--meta-batch", type=int, default=None)
  parser.add_argument("--inner-steps", type=int, default=None)
  parser.add_argument("--first-order", action="store_true")
  parser.add_argument("--seed", type=int, default=0)
  parser.add_argument("--cell", default="dense",
                      help="dense (MAML), tnet, mtnet, ...")
  parser.add_argument("--vectorize", choices=["auto", "on", "off"],
                      default="auto",
                      help="fast path (task axis on the weights): auto, on, off")
  parser.add_argument("--jit", choices=["auto", "on", "off"], default="auto",
                      help="XLA: auto (on unless a conv model on CPU), on, off")
  parser.add_argument("--steps-per-call", type=int, default=1,
                      help="sinusoid and the config workloads: meta-steps "
                           "per compiled call, on tasks made in the graph "
                           "(the trainer's multi-step call); ms_per_step "
                           "is a call's time / N")
  return parser.parse_args()


def sinusoid_batch(rng, n, k, q):
  amplitude = rng.uniform(0.1, 5.0, (n, 1, 1))
  phase = rng.uniform(0, np.pi, (n, 1, 1))
  x = rng.uniform(-5, 5, (n, k + q, 1))
  y = amplitude * np.sin(x - phase)
  f = lambda a: tf.constant(a, tf.float32)
  return km.Task(f(x[:, :k]), f(y[:, :k]), f(x[:, k:]), f(y[:, k:]))


def omniglot_shaped_batch(rng, n, ways, shots, queries):
  def part(per_class):
    x = rng.random((n, ways * per_class, 28, 28, 1), dtype=np.float32)
    y = np.tile(np.arange(ways).repeat(per_class), (n, 1))[..., None]
    return tf.constant(x), tf.constant(y, tf.int32)
  return km.Task(*part(shots), *part(queries))


def main():
  options = parse()
  if options.bench in config_workloads.WORKLOADS:
    config_main(options)
    return
  keras.utils.set_random_seed(options.seed)
  rng = np.random.default_rng(options.seed)
  if options.bench == "sinusoid":
    n = options.meta_batch or 25
    inner, alpha, loss = options.inner_steps or 5, 0.01, "mse"
    model = km.models.mlp(cell=options.cell)
    batches = [sinusoid_batch(rng, n, 10, 10) for _ in range(8)]
  else:
    n = options.meta_batch or 32
    inner, alpha, loss = options.inner_steps or 1, 0.4, \
        "sparse_softmax_cross_entropy"
    model = km.models.conv4(num_classes=5, cell=options.cell)
    batches = [omniglot_shaped_batch(rng, n, 5, 1, 15) for _ in range(8)]
  learner = km.MAML(model, loss=loss, num_inner_steps=inner,
                    inner_learning_rate=alpha,
                    first_order=options.first_order,
                    vectorize={"on": True, "off": False}.get(options.vectorize,
                                                             "auto"))
  optimizer = keras.optimizers.Adam(1e-3)
  optimizer.build(learner.trainable_variables)
  jit_compile = {"on": True, "off": False}.get(options.jit, "auto")
  jit_compile = training.resolve_jit_compile(jit_compile, model)
  step = training.make_train_step(learner, optimizer,
                                  tf.distribute.get_strategy(), n,
                                  jit_compile=jit_compile)
  per_call, extra = 1, {}
  if options.steps_per_call > 1:
    if options.bench != "sinusoid":
      raise SystemExit("--steps-per-call makes sinusoid tasks in the graph; "
                       f"received --bench {options.bench}.")
    call = many_steps_per_call(options, learner, optimizer, n, jit_compile)
    per_call = options.steps_per_call
    extra = {"steps_per_call": per_call, "tasks": "made in the graph"}
  else:
    seeds = tf.zeros([n, 2], tf.int32)
    call = lambda i: step((batches[i % len(batches)], seeds))
  compile_seconds, times, loss_value = timed(call, options, per_call,
                                             "query_loss")
  print(json.dumps({
      "impl": "kerasmeta", "version": f"tf {tf.__version__}, "
                                      f"keras {keras.__version__}",
      "bench": options.bench, "meta_batch": n, "inner_steps": inner,
      "task_map": "batched" if learner.uses_fast_path else "map_fn",
      "second_order": not options.first_order,
      "cell": options.cell, "jit_compile": jit_compile, **extra,
      "compile_s": round(compile_seconds, 2),
      "ms_per_step": round(statistics.median(times), 3),
      "final_loss": loss_value}))


def timed(call, options, per_call, metric):
  """`(seconds of the first call, ms per step of the timed calls, the last
  value of `metric`)`: `options.warmup` steps, then `options.steps`."""
  times = []
  began = time.perf_counter()
  warmup = -(-options.warmup // per_call)
  for i in range(warmup + max(1, -(-options.steps // per_call))):
    start = time.perf_counter()
    value = float(np.ravel(call(i)[metric])[-1])
    if i >= warmup:
      times.append((time.perf_counter() - start) * 1e3 / per_call)
    if i == 0:
      compile_seconds = time.perf_counter() - began
  return compile_seconds, times, value


def config_main(options):
  """A config workload (`config_workloads`): its trainer step."""
  jit = None if options.jit == "auto" else options.jit  # None: the config's
  per_call = options.steps_per_call
  call, config = config_workloads.build(
      options.bench, jit_compile=jit, steps_per_call=per_call,
      meta_batch_size=options.meta_batch, seed=options.seed)
  metric = config_workloads.METRICS[options.bench]
  compile_seconds, times, value = timed(call, options, per_call, metric)
  print(json.dumps({
      "impl": "kerasmeta", "version": f"tf {tf.__version__}, "
                                      f"keras {keras.__version__}",
      "bench": options.bench, "config": config_workloads.WORKLOADS[
          options.bench][0], "meta_batch": config.meta_batch_size,
      "jit_compile": config.jit_compile, "steps_per_call": per_call,
      "compile_s": round(compile_seconds, 2),
      "ms_per_step": round(statistics.median(times), 3),
      f"final_{metric}": value}))


def many_steps_per_call(options, learner, optimizer, n, jit_compile):
  """The trainer's multi-step call as `call_index -> metrics`: N meta-steps
  per call, each on a batch of the peers' sinusoids (A and phase drawn,
  w = 1, K = Q = 10) made in the graph."""
  tasks = km.SinusoidTasks(shots=10, num_query=10, variant="maml")
  steps = training.build_multi_step(
      learner, optimizer, tf.distribute.get_strategy(), n, tasks, seed=0,
      max_steps=options.steps_per_call, jit_compile=jit_compile)
  count = tf.constant(options.steps_per_call, tf.int32)
  return lambda i: steps.run(
      tf.constant(i * options.steps_per_call, tf.int64), count)


if __name__ == "__main__":
  main()
