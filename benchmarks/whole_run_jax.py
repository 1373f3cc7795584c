# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
r"""The README's main job in plain JAX: the peer of benchmarks/whole_run.py.

The same work as `python -m apps.meta_train --config=sinusoid:mtnet`
followed by its evaluation, written from the peer maml_jax.py's step
the way a JAX user would write the whole program:

  model     MT-net MLP 1-40-40-1, ReLU: every layer x W + b, then T (meta,
            identity at first); a unit mask per layer (logits zeta, meta,
            zero at first) multiplies the gradients of W and b, sampled per
            task as a hard binary concrete sample with the soft sample's
            gradient (MT-net eq. 8 and 11, temperature 1). Kernels from a
            truncated normal of stddev 0.01, biases zero.
  tasks     sinusoids y = A sin(w x - b), A ~ U[0.1, 5], w ~ U[0.8, 1.2],
            b ~ U[0, pi], x ~ U[-5, 5]; K = 10 support and 10 query points,
            drawn with jax.random inside the compiled step.
  training  60,000 meta-steps of meta-batch 4, one inner SGD step
            (alpha 0.01, second order), Adam 1e-3 (epsilon 1e-8); a
            compiled call runs the steps up to the next log line
            (`lax.fori_loop`), every 500 steps the losses are read and
            logged, every 5,000 the parameters and Adam state are saved.
  eval      600 held-out tasks at K = 5, 10 and 20 (10 query points),
            query MSE after 0..10 inner steps with sampled masks, mean
            and 95% CI; written as JSON.

Run it with the peers' interpreter (`pip install jax jaxlib`):

  /tmp/peers/bin/python benchmarks/whole_run_jax.py --workdir /tmp/jax_run

It prints one JSON line: wall seconds for training and evaluation, the
final losses and the evaluation at K = 10.
"""

import argparse
import json
import math
import os
import time

import jax
import jax.numpy as jnp
import numpy as np


def parse():
  parser = argparse.ArgumentParser()
  parser.add_argument("--workdir", required=True)
  parser.add_argument("--num-meta-steps", type=int, default=60000)
  parser.add_argument("--meta-batch", type=int, default=4)
  parser.add_argument("--log-every", type=int, default=500)
  parser.add_argument("--checkpoint-every", type=int, default=5000)
  parser.add_argument("--eval-tasks", type=int, default=600)
  parser.add_argument("--seed", type=int, default=0)
  return parser.parse_args()


SIZES = (1, 40, 40, 1)
ALPHA, LEARNING_RATE, EPSILON = 0.01, 1e-3, 1e-8
SHOTS, QUERIES = 10, 10


def init(key):
  """Adapted (W, b) and meta (T, zeta) parameters of each layer."""
  adapted, meta = [], []
  for n_in, n_out in zip(SIZES[:-1], SIZES[1:]):
    key, sub = jax.random.split(key)
    kernel = jax.random.truncated_normal(sub, -2, 2, (n_in, n_out)) * 0.01
    adapted.append((kernel, jnp.zeros(n_out)))
    meta.append((jnp.eye(n_out), jnp.zeros(n_out)))
  return adapted, meta


def forward(adapted, meta, x):
  for index, ((kernel, bias), (transform, _)) in enumerate(zip(adapted,
                                                               meta)):
    x = (x @ kernel + bias) @ transform
    if index < len(adapted) - 1:
      x = jax.nn.relu(x)
  return x


def mse(adapted, meta, x, y):
  return jnp.mean((forward(adapted, meta, x) - y) ** 2)


def sample_masks(meta, key):
  """One hard binary concrete sample per unit, straight-through."""
  masks = []
  for (_, logits), sub in zip(meta, jax.random.split(key, len(meta))):
    uniform = jax.random.uniform(sub, logits.shape, minval=1e-7,
                                 maxval=1 - 1e-7)
    soft = jax.nn.sigmoid(logits + jnp.log(uniform) - jnp.log1p(-uniform))
    hard = (soft > 0.5).astype(soft.dtype)
    masks.append(hard + soft - jax.lax.stop_gradient(soft))
  return masks


def adapt(adapted, meta, masks, x, y, steps):
  for _ in range(steps):
    grads = jax.grad(mse)(adapted, meta, x, y)
    adapted = [(kernel - ALPHA * mask * g_kernel, bias - ALPHA * mask * g_bias)
               for (kernel, bias), (g_kernel, g_bias), mask in
               zip(adapted, grads, masks)]
  return adapted


def sample_tasks(key, count, shots):
  keys = jax.random.split(key, 4)
  amplitude = jax.random.uniform(keys[0], (count, 1, 1), minval=0.1,
                                 maxval=5.0)
  frequency = jax.random.uniform(keys[1], (count, 1, 1), minval=0.8,
                                 maxval=1.2)
  phase = jax.random.uniform(keys[2], (count, 1, 1), maxval=math.pi)
  x = jax.random.uniform(keys[3], (count, shots + QUERIES, 1), minval=-5,
                         maxval=5)
  y = amplitude * jnp.sin(frequency * x - phase)
  return x[:, :shots], y[:, :shots], x[:, shots:], y[:, shots:]


def task_losses(params, key, x_s, y_s, x_q, y_q):
  adapted, meta = params
  masks = sample_masks(meta, key)
  support = mse(adapted, meta, x_s, y_s)
  new = adapt(adapted, meta, masks, x_s, y_s, 1)
  return mse(new, meta, x_q, y_q), support


def meta_loss(params, key, meta_batch):
  task_key, mask_key = jax.random.split(key)
  tasks = sample_tasks(task_key, meta_batch, SHOTS)
  query, support = jax.vmap(task_losses, in_axes=(None, 0, 0, 0, 0, 0))(
      params, jax.random.split(mask_key, meta_batch), *tasks)
  return jnp.mean(query), jnp.mean(support)


def make_train(meta_batch):
  grad_fn = jax.value_and_grad(meta_loss, has_aux=True)

  def one_step(step, carry):
    params, first_moment, second_moment, key, losses = carry
    (query, support), grads = grad_fn(params, jax.random.fold_in(key, step),
                                      meta_batch)
    count = (step + 1).astype(jnp.float32)
    first_moment = jax.tree_util.tree_map(lambda m, g: 0.9 * m + 0.1 * g,
                                          first_moment, grads)
    second_moment = jax.tree_util.tree_map(
        lambda v, g: 0.999 * v + 0.001 * g * g, second_moment, grads)
    scale = LEARNING_RATE * jnp.sqrt(1 - 0.999 ** count) / (1 - 0.9 ** count)
    params = jax.tree_util.tree_map(
        lambda p, m, v: p - scale * m / (jnp.sqrt(v) + EPSILON), params,
        first_moment, second_moment)
    return params, first_moment, second_moment, key, losses + jnp.stack(
        [query, support])

  @jax.jit
  def train(params, first_moment, second_moment, key, first, last):
    return jax.lax.fori_loop(
        first, last, one_step,
        (params, first_moment, second_moment, key, jnp.zeros(2)))
  return train


def make_evaluate(max_steps):
  def one_task(params, key, x_s, y_s, x_q, y_q):
    adapted, meta = params
    masks = sample_masks(meta, key)
    losses = [mse(adapted, meta, x_q, y_q)]
    for _ in range(max_steps):
      adapted = adapt(adapted, meta, masks, x_s, y_s, 1)
      losses.append(mse(adapted, meta, x_q, y_q))
    return jnp.stack(losses)

  @jax.jit
  def evaluate(params, key, tasks):
    keys = jax.random.split(key, tasks[0].shape[0])
    return jax.vmap(one_task, in_axes=(None, 0, 0, 0, 0, 0))(params, keys,
                                                             *tasks)
  return evaluate


def main():
  options = parse()
  os.makedirs(options.workdir, exist_ok=True)
  began = time.perf_counter()
  key = jax.random.PRNGKey(options.seed)
  init_key, train_key, eval_key = jax.random.split(key, 3)
  params = init(init_key)
  first_moment = jax.tree_util.tree_map(jnp.zeros_like, params)
  second_moment = jax.tree_util.tree_map(jnp.zeros_like, params)
  train = make_train(options.meta_batch)
  log = open(os.path.join(options.workdir, "metrics.jsonl"), "w")
  step, last = 0, {}
  while step < options.num_meta_steps:
    end = min(options.num_meta_steps, step + options.log_every)
    params, first_moment, second_moment, _, losses = train(
        params, first_moment, second_moment, train_key, step, end)
    losses = np.asarray(losses) / (end - step)  # waits for the device
    if not np.all(np.isfinite(losses)):
      raise FloatingPointError(f"Non-finite loss before step {end}.")
    last = {"step": end, "query_loss": float(losses[0]),
            "support_loss": float(losses[1])}
    log.write(json.dumps(last) + "\n")
    log.flush()
    if end % options.checkpoint_every == 0 or end == options.num_meta_steps:
      leaves = jax.tree_util.tree_leaves((params, first_moment,
                                          second_moment))
      np.savez(os.path.join(options.workdir, f"ckpt-{end}.npz"),
               *[np.asarray(leaf) for leaf in leaves])
    step = end
  trained = time.perf_counter()
  evaluate = make_evaluate(10)
  results = {}
  for shots in (5, 10, 20):
    task_key = jax.random.fold_in(eval_key, shots)
    tasks = sample_tasks(task_key, options.eval_tasks, shots)
    losses = np.asarray(evaluate(params, jax.random.fold_in(task_key, 1),
                                 tasks))
    results[str(shots)] = {
        str(k): {"mean": float(losses[:, k].mean()),
                 "ci95": float(1.96 * losses[:, k].std()
                               / math.sqrt(len(losses)))}
        for k in range(11)}
  with open(os.path.join(options.workdir, "eval.json"), "w") as f:
    json.dump(results, f, indent=2)
  done = time.perf_counter()
  print(json.dumps({
      "impl": "jax", "version": jax.__version__,
      "train_s": round(trained - began, 1), "eval_s": round(done - trained, 1),
      "num_meta_steps": options.num_meta_steps, **last,
      "k10_1_step": results["10"]["1"]["mean"],
      "k10_10_steps": results["10"]["10"]["mean"]}))


if __name__ == "__main__":
  main()
