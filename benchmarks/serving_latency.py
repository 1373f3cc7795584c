# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
r"""Latency and memory of an adapter's signatures, by loader.

Exports each adapter (`serving_adapters.py`: sinusoid MT-net, conv4, LEO,
the navigation policy), then, in a fresh process per adapter and loader,
loads it back (`python`: `tf.saved_model.load`, as a Python server would;
`c_api`: TF's C API, `TF_LoadSessionFromSavedModel`, as TF Serving's C++
loader reads it, TensorFlow's Python not imported) and sends `--requests`
typical requests, one at a time and each a fresh task, to each signature:
the one that adapts and answers, `adapt`, the one that answers from a
stored state (from the states `adapt` returned), and the batched forms at
`--batch_tasks` users a call. Prints one JSON line per adapter and loader:
p50 / p99 / mean ms of each signature, failed requests (an error or a
non-finite output), the process's resident memory once loaded and warmed
up, and its peak:

  python benchmarks/serving_latency.py                  # every adapter, both loaders
  python benchmarks/serving_latency.py --adapters=sinusoid --loaders=c_api
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

import serving_adapters


def parse(argv=None):
  parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
  parser.add_argument("--adapters", default=",".join(serving_adapters.ADAPTERS))
  parser.add_argument("--loaders", default=",".join(serving_adapters.LOADERS))
  parser.add_argument("--requests", type=int, default=1000)
  parser.add_argument("--warmup", type=int, default=20)
  parser.add_argument("--batch_tasks", type=int, default=8,
                      help="users per batched call (navigation: at most 5, "
                           "its transitions cap)")
  parser.add_argument("--seed", type=int, default=0)
  parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
  return parser.parse_args(argv)


def _resident_mb():
  with open("/proc/self/statm") as f:
    return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


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
      if not all(np.all(np.isfinite(v)) for v in outputs.values()
                 if v.dtype.kind == "f"):
        errors += 1
    except Exception:  # pylint: disable=broad-except
      errors += 1  # either loader's refusal (tf.errors or CApiError)
    latencies.append((time.perf_counter() - start) * 1e3)
  latencies.sort()
  percentile = lambda q: latencies[min(len(latencies) - 1,
                                       int(q * len(latencies)))]
  return {"p50_ms": round(percentile(0.50), 3),
          "p99_ms": round(percentile(0.99), 3),
          "mean_ms": round(statistics.mean(latencies), 3), "errors": errors}


def _inputs(adapter, rng, count, batch_tasks):
  """`{signature: [inputs]}` of `count` typical requests, the stored-state
  ones filled in later."""
  support_size, query_size = adapter.typical
  supports = [adapter.support(rng, support_size) for _ in range(count)]
  queries = [adapter.query(rng, query_size) for _ in range(count)]
  stack = lambda items: {k: np.stack([i[k] for i in items]) for k in items[0]}
  batches = [stack(supports[i:i + batch_tasks])
             for i in range(0, count - batch_tasks + 1, batch_tasks)]
  return supports, queries, batches


def child(name, loader, path, options):
  """Loads the adapter at `path` with `loader` and times its signatures."""
  adapter = serving_adapters.ADAPTERS[name]
  began = time.perf_counter()
  call = serving_adapters.load(path, loader)
  load_seconds = time.perf_counter() - began
  rng = np.random.default_rng(options.seed)
  tasks = min(options.batch_tasks, adapter.batch_tasks or options.batch_tasks)
  supports, queries, batches = _inputs(adapter, rng, 64, tasks)
  states = [call("adapt", **s) for s in supports]
  batch_states = [call("adapt_batch", **b) for b in batches]
  batch_queries = [np.stack(queries[i * tasks:(i + 1) * tasks])
                   for i in range(len(batches))]
  plan = {
      adapter.answer: [{**s, adapter.answer_query: q}
                       for s, q in zip(supports, queries)],
      "adapt": supports,
      adapter.with_state: [{**s, adapter.with_state_query: q}
                           for s, q in zip(states, queries)],
      "adapt_batch": batches,
      adapter.with_state + "_batch": [
          {**s, adapter.with_state_query: q}
          for s, q in zip(batch_states, batch_queries)]}
  loaded_mb = _resident_mb()
  timings = {signature: _timed(lambda r, s=signature: call(s, **r), inputs,
                               options.requests, options.warmup)
             for signature, inputs in plan.items()}
  print(json.dumps({
      "adapter": name, "loader": loader, "requests": options.requests,
      "typical_support": adapter.typical[0], "queries": adapter.typical[1],
      "batch_tasks": tasks, "load_seconds": round(load_seconds, 2),
      "signatures": timings, "resident_mb_loaded": round(loaded_mb, 1),
      "peak_resident_mb": round(
          resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
      "tensorflow_imported": "tensorflow" in sys.modules}), flush=True)


def main(argv=None):
  options = parse(argv)
  if options.child:
    name, loader, path = options.child.split(",", 2)
    child(name, loader, path, options)
    return
  for name in options.adapters.split(","):
    if name not in serving_adapters.ADAPTERS:
      raise SystemExit(f"Unknown adapter {name!r}; expected one of "
                       f"{sorted(serving_adapters.ADAPTERS)}.")
  loaders = options.loaders.split(",")
  for loader in loaders:
    if loader not in serving_adapters.LOADERS:
      raise SystemExit(f"Unknown loader {loader!r}; expected one of "
                       f"{serving_adapters.LOADERS}.")
  env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
  with tempfile.TemporaryDirectory() as directory:
    for name in options.adapters.split(","):
      path = os.path.join(directory, name, "1")
      subprocess.run([sys.executable, "-c", (
          "import sys; sys.path.insert(0, sys.argv[1]); "
          "import serving_adapters; "
          "serving_adapters.export_adapter(sys.argv[2], sys.argv[3])"),
                      os.path.dirname(os.path.abspath(__file__)), name, path],
                     check=True, env=env)
      for loader in loaders:
        subprocess.run([sys.executable, __file__, *sys.argv[1:],
                        f"--child={name},{loader},{path}"], check=True,
                       env=env)


if __name__ == "__main__":
  main()
