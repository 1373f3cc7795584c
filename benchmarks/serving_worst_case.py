r"""The cost of one request at an adapter's caps: time and peak memory.

Each adapter is exported with its default caps, loaded back in a fresh
process with `tf.saved_model.load` (as a serving process would), warmed up
with a small request, then sent one request at every cap at once (the most
support points, the most queries, `max_steps` inner steps through
`adapt_and_predict_with_options`); for the gradient and LEO adapters also
one `adapt_batch` request holding the most points its cap allows over
many tasks, and one `predict_with_state_batch` request of the most
queries. Prints one JSON line per adapter: the caps, each request's wall
time and the process's peak resident memory above what it held before
the requests:

  python benchmarks/serving_worst_case.py            # every adapter

Adapters (untrained: the cost does not depend on the trained values):
`sinusoid`, an MT-net 1-40-40-1; `leo`, LEO at the paper's sizes (640
features, 5-way, 64 latents); `navigation`, the 2-D navigation policy
(100-unit hidden layers), whose support set is transitions.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

ADAPTERS = ("sinusoid", "leo", "navigation")


def _peak_mb():
  return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _current_mb():
  with open("/proc/self/statm") as f:
    return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _sinusoid():
  import kerasmeta as km  # pylint: disable=g-import-not-at-top
  learner = km.MAML(km.models.mlp(hidden_sizes=(40, 40), cell="mtnet",
                                  seed=0), num_inner_steps=1,
                    inner_learning_rate=0.01)

  def request(rng, support, query):
    x = rng.uniform(-5, 5, size=(support, 1)).astype("float32")
    return dict(support_x=x, support_y=(2 * (x - 1)).astype("float32"),
                query_x=rng.uniform(-5, 5, size=(query, 1)).astype("float32"))
  return learner, request


def _leo():
  import numpy as np  # pylint: disable=g-import-not-at-top
  import kerasmeta as km  # pylint: disable=g-import-not-at-top
  learner = km.LEO(640, 5)

  def request(rng, support, query):
    shots = support // 5
    return dict(
        support_x=rng.normal(size=(5 * shots, 640)).astype("float32"),
        support_y=np.tile(np.arange(5), shots).astype("int32"),
        query_x=rng.normal(size=(query, 640)).astype("float32"))
  return learner, request


def _navigation():
  import kerasmeta as km  # pylint: disable=g-import-not-at-top
  environment = km.envs.Navigation2D()
  learner = km.PolicyGradientMAML(
      km.rl.gaussian_mlp_policy(2, 2, hidden_units=(100, 100)), environment,
      inner_learning_rate=0.1)

  def request(rng, support, query):
    episodes, steps = support // 100, 100
    return dict(
        observations=rng.normal(size=(episodes, steps, 2)).astype("float32"),
        actions=rng.normal(size=(episodes, steps, 2)).astype("float32"),
        rewards=rng.normal(size=(episodes, steps)).astype("float32"),
        alive=rng.integers(1, 2, size=(episodes, steps)).astype("float32"),
        query_observations=rng.normal(size=(query, 2)).astype("float32"))
  return learner, request


def child(name):
  """Exports, loads and measures one adapter; prints its JSON line."""
  import numpy as np  # pylint: disable=g-import-not-at-top
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from kerasmeta import export  # pylint: disable=g-import-not-at-top
  learner, request = {"sinusoid": _sinusoid, "leo": _leo,
                      "navigation": _navigation}[name]()
  path = os.path.join(tempfile.mkdtemp(), "1")
  module = export.export_adapter(learner, path)
  support = int(getattr(module, "max_support", None) or
                module.max_transitions)
  query, steps = int(module.max_query), int(getattr(module, "max_steps", 1))
  served = tf.saved_model.load(path)
  rng = np.random.default_rng(0)
  if name == "navigation":
    signature = served.signatures["adapt_and_act"]
    call = lambda inputs: signature(**inputs)
  else:
    signature = served.signatures["adapt_and_predict_with_options"]
    call = lambda inputs: signature(
        **inputs, num_steps=tf.constant(steps, tf.int32),
        learning_rate=tf.constant(0.01, tf.float32))
  call(request(rng, 5 if name != "navigation" else 100, 5))  # warm-up
  before = _current_mb()
  began = time.perf_counter()
  outputs = call(request(rng, support, query))
  seconds = time.perf_counter() - began
  finite = all(bool(tf.reduce_all(tf.math.is_finite(tf.cast(v, tf.float32))))
               for v in outputs.values())
  line = {
      "adapter": name, "max_support": support, "max_query": query,
      "max_steps": steps, "seconds": round(seconds, 3),
      "peak_mb_above_before": round(max(_peak_mb() - before, 0.0), 1),
      "finite": finite}
  if name != "navigation":
    line.update(_batched(served, request, rng, support, query, name))
  print(json.dumps(line))


def _batched(served, request, rng, support, query, name):
  """`adapt_batch` at its points cap (LEO: MAX_TASKS tasks at the
  per-task cap; others: 100 tasks sharing the cap), then
  `predict_with_state_batch` at the queries cap."""
  import numpy as np  # pylint: disable=g-import-not-at-top
  from kerasmeta.export import checks  # pylint: disable=g-import-not-at-top
  tasks = checks.MAX_TASKS if name == "leo" else 100
  per_task = support if name == "leo" else support // tasks
  requests = [request(rng, per_task, query // tasks) for _ in range(tasks)]
  stack = lambda key: np.stack([r[key] for r in requests])
  before = _current_mb()
  began = time.perf_counter()
  stored = served.signatures["adapt_batch"](support_x=stack("support_x"),
                                            support_y=stack("support_y"))
  adapt_seconds = time.perf_counter() - began
  began = time.perf_counter()
  served.signatures["predict_with_state_batch"](query_x=stack("query_x"),
                                                **stored)
  return {"batch_tasks": tasks, "batch_points": tasks * per_task,
          "adapt_batch_seconds": round(adapt_seconds, 3),
          "predict_with_state_batch_seconds": round(
              time.perf_counter() - began, 3),
          "batch_peak_mb_above_before": round(
              max(_peak_mb() - before, 0.0), 1)}


def main():
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("--adapters", default=",".join(ADAPTERS))
  parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
  args = parser.parse_args()
  if args.child:
    child(args.child)
    return
  for name in args.adapters.split(","):
    if name not in ADAPTERS:
      sys.exit(f"Unknown adapter {name!r}; expected one of {ADAPTERS}.")
    subprocess.run([sys.executable, __file__, f"--child={name}"],
                   check=True, env={**os.environ,
                                    "TF_CPP_MIN_LOG_LEVEL": "2"})


if __name__ == "__main__":
  main()
