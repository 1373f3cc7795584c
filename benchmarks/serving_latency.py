r"""Latency of an adapter's signatures in a loaded SavedModel.

Exports an adapter, loads it back with `tf.saved_model.load` (as a serving
process would) and sends 1,000 requests, each a fresh task, one at a
time, to each of `adapt_and_predict`, `adapt` and `predict_with_state`
(from the states `adapt` returned). Prints one JSON line per adapter with
p50 / p99 / mean latency in ms of each and the number of failed requests:

  python benchmarks/serving_latency.py                 # both adapters
  python benchmarks/serving_latency.py --adapters sinusoid --requests 1000 \
      --workdir=/tmp/kerasmeta_mtnet   # a trained MT-net instead of a fresh one

Adapters: `sinusoid`, a 5-shot MT-net (1-40-40-1) adapting for 10 steps on
10 query points; `conv4`, a 5-way 1-shot conv4 (64 filters, 28x28) adapting
for 1 step at alpha 0.4 on 15 queries per class. Latency does not depend on
the trained values, so without --workdir the weights are fresh.
"""

import argparse
import json
import os
import statistics
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # pylint: disable=g-import-not-at-top
import tensorflow as tf

import kerasmeta as km
from kerasmeta import export
from kerasmeta import workdir as workdir_lib


def parse():
  parser = argparse.ArgumentParser()
  parser.add_argument("--adapters", default="sinusoid,conv4")
  parser.add_argument("--requests", type=int, default=1000)
  parser.add_argument("--warmup", type=int, default=20)
  parser.add_argument("--workdir", default=None,
                      help="a trained sinusoid workdir for the sinusoid "
                           "adapter (its num_inner_steps is set to 10)")
  parser.add_argument("--seed", type=int, default=0)
  return parser.parse_args()


def sinusoid_adapter(workdir):
  if workdir:
    _, learner, _ = workdir_lib.restore_learner(workdir)
    learner.num_inner_steps = 10
  else:
    learner = km.MAML(km.models.mlp(cell="mtnet"), num_inner_steps=10,
                      inner_learning_rate=0.01)

  def request(rng):
    amplitude, phase = rng.uniform(0.1, 5.0), rng.uniform(0, np.pi)
    x = rng.uniform(-5, 5, (15, 1)).astype(np.float32)
    y = (amplitude * np.sin(x - phase)).astype(np.float32)
    return dict(support_x=x[:5], support_y=y[:5], query_x=x[5:])

  return learner, "mse", request


def conv4_adapter(_):
  learner = km.MAML(km.models.conv4(num_classes=5),
                    loss="sparse_softmax_cross_entropy", num_inner_steps=1,
                    inner_learning_rate=0.4)

  def request(rng):
    return dict(
        support_x=rng.random((5, 28, 28, 1), dtype=np.float32),
        support_y=np.arange(5, dtype=np.int32),
        query_x=rng.random((75, 28, 28, 1), dtype=np.float32))

  return learner, "sparse_softmax_cross_entropy", request


ADAPTERS = {"sinusoid": sinusoid_adapter, "conv4": conv4_adapter}


def _timed(call, requests, count, warmup):
  """p50 / p99 / mean ms of `count` calls cycling through `requests`, and
  the failed ones (an error or a non-finite output)."""
  for i in range(warmup):
    call(requests[i % len(requests)])
  latencies, errors = [], 0
  for i in range(count):
    start = time.perf_counter()
    try:
      outputs = call(requests[i % len(requests)])
      if not all(np.all(np.isfinite(v.numpy())) for v in outputs.values()
                 if v.dtype.is_floating):
        errors += 1
    except tf.errors.OpError:
      errors += 1
    latencies.append((time.perf_counter() - start) * 1e3)
  latencies.sort()
  percentile = lambda q: latencies[min(len(latencies) - 1,
                                       int(q * len(latencies)))]
  return {"p50_ms": round(percentile(0.50), 3),
          "p99_ms": round(percentile(0.99), 3),
          "mean_ms": round(statistics.mean(latencies), 3), "errors": errors}


def measure(name, options):
  learner, loss_name, make_request = ADAPTERS[name](options.workdir)
  rng = np.random.default_rng(options.seed)
  with tempfile.TemporaryDirectory() as directory:
    path = os.path.join(directory, "1")
    # conv4 normalises with batch statistics (as MAML): timed as such.
    export.export_adapter(learner, path, loss_name=loss_name,
                          allow_transductive=True)
    signatures = tf.saved_model.load(path).signatures
    requests = [make_request(rng) for _ in range(64)]
    support = [{k: r[k] for k in ("support_x", "support_y")}
               for r in requests]
    stored = [{**signatures["adapt"](**s), "query_x": r["query_x"]}
              for s, r in zip(support, requests)]
    timings = {
        signature: _timed(lambda r, f=signatures[signature]: f(**r), inputs,
                          options.requests, options.warmup)
        for signature, inputs in (("adapt_and_predict", requests),
                                  ("adapt", support),
                                  ("predict_with_state", stored))}
  first = timings["adapt_and_predict"]
  return {"adapter": name, "requests": options.requests,
          "num_inner_steps": learner.num_inner_steps,
          # adapt_and_predict's, as before:
          "p50_ms": first["p50_ms"], "p99_ms": first["p99_ms"],
          "mean_ms": first["mean_ms"], "errors": first["errors"],
          "signatures": timings, "tensorflow": tf.__version__}


def main():
  options = parse()
  for name in options.adapters.split(","):
    if name not in ADAPTERS:
      raise SystemExit(f"Unknown adapter {name!r}; expected one of "
                       f"{sorted(ADAPTERS)}.")
    print(json.dumps(measure(name, options)), flush=True)


if __name__ == "__main__":
  main()
