# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
r"""Adapt once, predict many times, against adapting on every request.

A personalisation service: `--users` users, each sending `--predictions`
prediction requests after giving a support set once. Two call patterns
through one loaded adapter SavedModel (as a serving process loads it):

  per request   every prediction calls `adapt_and_predict` with the user's
                support set (the inner loop every time);
  adapt once    one `adapt` per user, whose state the service keeps, then
                `predict_with_state` for each prediction (no inner loop).

The patterns alternate in blocks of `--block` users (the same users, the
same queries), so a change of load on the machine falls on both; the
answers of the two are compared for every request. Prints one JSON line
per adapter: requests per second of each pattern, their ratio, and the
largest difference between their answers:

  python benchmarks/serving_adapt_once.py --users=1000 --predictions=20

With `--batch_sizes=1,8,32,128` it also times `predict_with_state_batch`
on that many stored states at once (tasks per second at each size), the
measurement `export/serving/batching_parameters.txt` is sized from.

Adapters: `sinusoid`, a 5-shot MT-net (1-40-40-1) adapting for 10 steps,
10 queries a prediction; `leo`, 5-way 5-shot LEO on 640 features (5 latent
and 5 fine-tuning steps), 10 queries a prediction. Fresh weights: the cost
does not depend on their values.
"""

import argparse
import json
import os
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # pylint: disable=g-import-not-at-top
import tensorflow as tf

import kerasmeta as km
from kerasmeta import export


def parse(argv=None):
  parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
  parser.add_argument("--adapters", default="sinusoid,leo")
  parser.add_argument("--users", type=int, default=1000)
  parser.add_argument("--predictions", type=int, default=20)
  parser.add_argument("--block", type=int, default=50)
  parser.add_argument("--seed", type=int, default=0)
  parser.add_argument("--batch_sizes", default="",
                      help="Tasks per predict_with_state_batch call to "
                           "time, comma-separated (none by default).")
  return parser.parse_args(argv)


def sinusoid(rng):
  learner = km.MAML(km.models.mlp(cell="mtnet"), num_inner_steps=10,
                    inner_learning_rate=0.01)

  def user():
    amplitude, phase = rng.uniform(0.1, 5.0), rng.uniform(0, np.pi)
    x = rng.uniform(-5, 5, (5, 1)).astype(np.float32)
    return dict(support_x=x,
                support_y=(amplitude * np.sin(x - phase)).astype(np.float32))

  def queries():
    return rng.uniform(-5, 5, (10, 1)).astype(np.float32)
  return learner, {}, user, queries


def leo(rng):
  learner = km.LEO(640, 5)

  def user():
    return dict(
        support_x=rng.normal(size=(25, 640)).astype(np.float32),
        support_y=np.repeat(np.arange(5), 5).astype(np.int32))

  def queries():
    return rng.normal(size=(10, 640)).astype(np.float32)
  return learner, {}, user, queries


ADAPTERS = {"sinusoid": sinusoid, "leo": leo}


def measure(name, options):
  rng = np.random.default_rng(options.seed)
  learner, export_options, user, queries = ADAPTERS[name](rng)
  path = os.path.join(tempfile.mkdtemp(), "1")
  export.export_adapter(learner, path, **export_options)
  signatures = tf.saved_model.load(path).signatures
  users = [user() for _ in range(options.users)]
  asks = [[queries() for _ in range(options.predictions)] for _ in users]
  # Warm up (the first call of a signature builds its function).
  signatures["adapt_and_predict"](query_x=asks[0][0], **users[0])
  state = signatures["adapt"](**users[0])
  signatures["predict_with_state"](query_x=asks[0][0], **state)
  seconds = {"per_request": 0.0, "adapt_once": 0.0}
  difference = 0.0
  for first in range(0, len(users), options.block):
    block = range(first, min(first + options.block, len(users)))
    began = time.perf_counter()
    per_request = [[signatures["adapt_and_predict"](
        query_x=ask, **users[u])["predictions"] for ask in asks[u]]
                   for u in block]
    seconds["per_request"] += time.perf_counter() - began
    began = time.perf_counter()
    adapt_once = []
    for u in block:
      stored = signatures["adapt"](**users[u])
      adapt_once.append([signatures["predict_with_state"](
          query_x=ask, **stored)["predictions"] for ask in asks[u]])
    seconds["adapt_once"] += time.perf_counter() - began
    difference = max(difference, max(
        float(np.abs(a.numpy() - b.numpy()).max())
        for rows_a, rows_b in zip(per_request, adapt_once)
        for a, b in zip(rows_a, rows_b)))
  batched = {}
  for size in [int(b) for b in options.batch_sizes.split(",") if b]:
    chosen = [users[u % len(users)] for u in range(size)]
    stored = signatures["adapt_batch"](**{
        name: np.stack([u[name] for u in chosen]) for name in chosen[0]})
    query_x = np.stack([asks[u % len(users)][0] for u in range(size)])
    call = lambda: signatures["predict_with_state_batch"](
        query_x=query_x, **stored)
    call()
    repeats = max(3, 2000 // size)
    began = time.perf_counter()
    for _ in range(repeats):
      call()
    batched[size] = round(size * repeats / (time.perf_counter() - began), 1)
  count = options.users * options.predictions
  rates = {k: count / v for k, v in seconds.items()}
  return {"adapter": name, "users": options.users,
          "predictions_per_user": options.predictions,
          "requests_per_second": {k: round(v, 1) for k, v in rates.items()},
          "ratio": round(rates["adapt_once"] / rates["per_request"], 2),
          "seconds": {k: round(v, 2) for k, v in seconds.items()},
          "max_abs_difference": difference,
          "batched_tasks_per_second": batched}


def main(argv=None):
  options = parse(argv)
  for name in options.adapters.split(","):
    print(json.dumps(measure(name, options)), flush=True)


if __name__ == "__main__":
  main()
