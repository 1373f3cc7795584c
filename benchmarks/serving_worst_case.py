# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
r"""The cost of one request at an adapter's caps: time and peak memory.

Each adapter (`serving_adapters.py`, untrained: the cost does not depend on
the trained values) is exported with its default caps, then loaded back in
a fresh process per loader (`python`: `tf.saved_model.load`; `c_api`:
TF's C API, as TF Serving's C++ loader reads it), warmed up with a small
request, and sent one request at every cap at once (the most support
points, the most queries, `max_steps` inner steps through
`adapt_and_predict_with_options`; the policy: the most transitions, the
most observations), then one batched adaptation holding the most points
its cap allows over many tasks (`adapt_batch`), and one batched answer
from stored states at the queries cap. Prints one JSON line per adapter
and loader: the caps, each request's wall time and the process's peak
resident memory above what it held before the requests:

  python benchmarks/serving_worst_case.py            # every adapter, both loaders
  python benchmarks/serving_worst_case.py --adapters=leo --loaders=python
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

import serving_adapters

ADAPTERS = ("sinusoid", "leo", "navigation")
EXPORTER = """
import json, sys
sys.path.insert(0, sys.argv[1])
import serving_adapters
from kerasmeta.export import checks
module = serving_adapters.export_adapter(sys.argv[2], sys.argv[3])
print(json.dumps({
    "support": int(getattr(module, "max_support", None) or
                   module.max_transitions),
    "query": int(module.max_query),
    "steps": int(getattr(module, "max_steps", 1)),
    "max_tasks": checks.MAX_TASKS}))
"""


def _peak_mb():
  return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _current_mb():
  with open("/proc/self/statm") as f:
    return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _timed_call(call, signature, inputs):
  before = _current_mb()
  began = time.perf_counter()
  outputs = call(signature, **inputs)
  seconds = time.perf_counter() - began
  finite = all(bool(np.all(np.isfinite(v))) for v in outputs.values()
               if v.dtype.kind == "f")
  return outputs, round(seconds, 3), round(max(_peak_mb() - before, 0.0),
                                           1), finite


def _at_caps(name, caps, rng):
  """The single request at every cap."""
  adapter = serving_adapters.ADAPTERS[name]
  if name == "navigation":
    return adapter.answer, adapter.request(rng, caps["support"],
                                           caps["query"])
  request = adapter.request(rng, caps["support"], caps["query"])
  request.update(num_steps=np.int32(caps["steps"]),
                 learning_rate=np.float32(0.01))
  return "adapt_and_predict_with_options", request


def child(name, loader, path, caps):
  """Loads the adapter at `path` with `loader`, measures, prints a line."""
  adapter = serving_adapters.ADAPTERS[name]
  call = serving_adapters.load(path, loader)
  rng = np.random.default_rng(0)
  call(adapter.answer, **adapter.request(rng))  # warm-up
  signature, request = _at_caps(name, caps, rng)
  _, seconds, peak, finite = _timed_call(call, signature, request)
  line = {"adapter": name, "loader": loader, "max_support": caps["support"],
          "max_query": caps["query"], "max_steps": caps["steps"],
          "seconds": seconds, "peak_mb_above_before": peak, "finite": finite}
  # Batched: LEO at MAX_TASKS tasks of its per-task cap; the others share
  # one cap over all tasks (100 tasks; the policy: 100-step episodes).
  support_size = adapter.typical[0]
  if name == "leo":
    tasks, per_task = caps["max_tasks"], caps["support"]
  else:
    tasks = min(100, caps["max_tasks"], caps["support"] // support_size)
    per_task = caps["support"] // tasks
  supports = [adapter.support(rng, per_task) for _ in range(tasks)]
  stacked = {k: np.stack([s[k] for s in supports]) for k in supports[0]}
  states, adapt_seconds, adapt_peak, adapt_finite = _timed_call(
      call, "adapt_batch", stacked)
  queries = np.stack([adapter.query(rng, caps["query"] // tasks)
                      for _ in range(tasks)])
  _, answer_seconds, answer_peak, answer_finite = _timed_call(
      call, adapter.with_state + "_batch",
      {**states, adapter.with_state_query: queries})
  line.update({
      "batch_tasks": tasks, "batch_points": tasks * per_task,
      "adapt_batch_seconds": adapt_seconds,
      "with_state_batch_seconds": answer_seconds,
      "batch_peak_mb_above_before": max(adapt_peak, answer_peak),
      "finite": finite and adapt_finite and answer_finite,
      "tensorflow_imported": "tensorflow" in sys.modules})
  print(json.dumps(line), flush=True)


def main():
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("--adapters", default=",".join(ADAPTERS))
  parser.add_argument("--loaders", default=",".join(serving_adapters.LOADERS))
  parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
  args = parser.parse_args()
  if args.child:
    name, loader, caps, path = args.child.split("|", 3)
    child(name, loader, path, json.loads(caps))
    return
  env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
  here = os.path.dirname(os.path.abspath(__file__))
  with tempfile.TemporaryDirectory() as directory:
    for name in args.adapters.split(","):
      if name not in ADAPTERS:
        sys.exit(f"Unknown adapter {name!r}; expected one of {ADAPTERS}.")
      path = os.path.join(directory, name, "1")
      exported = subprocess.run(
          [sys.executable, "-c", EXPORTER, here, name, path], check=True,
          env=env, capture_output=True, text=True)
      caps = exported.stdout.strip().splitlines()[-1]
      for loader in args.loaders.split(","):
        if loader not in serving_adapters.LOADERS:
          sys.exit(f"Unknown loader {loader!r}; expected one of "
                   f"{serving_adapters.LOADERS}.")
        subprocess.run([sys.executable, __file__,
                        f"--child={name}|{loader}|{caps}|{path}"],
                       check=True, env=env)


if __name__ == "__main__":
  main()
