# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""The adapters the serving benchmarks measure, and the two ways to load one.

Each adapter is a learner (built on demand: kerasmeta is imported only by
the process that exports), the names of its signatures, and a request maker
that needs numpy alone, so that a process serving through TF's C API
(`export.serving.c_api`) makes its requests without importing TensorFlow.

Adapters (fresh weights: a request's cost does not depend on their values):

  sinusoid     MT-net 1-40-40-1, 10 inner steps; typical request 5 shots,
               10 queries.
  conv4        MAML conv4 (64 filters, 28x28 grey), 5-way, 1 inner step
               at 0.4; typical request 1 shot, 75 queries (batch norm
               over the request: exported with `allow_transductive`).
  leo          LEO at the paper's sizes (640 features, 5-way, 64 latents,
               5 latent and 5 fine-tuning steps); typical request 5 shots,
               10 queries.
  navigation   the 2-D navigation policy (100-100 tanh units), one
               policy-gradient step; typical request 20 episodes of 100
               steps (MAML's test script samples 20 to 40), one
               observation to act on.
"""

import dataclasses
import os
import sys
from typing import Callable, Dict

import numpy as np

# The repository (for `export.serving.c_api`), importable from a checkout.
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if REPO not in sys.path:
  sys.path.insert(1, REPO)


@dataclasses.dataclass(frozen=True)
class Adapter:
  """An adapter to export and the requests a service sends it.

  Attributes:
    build: `() -> (learner, export keyword arguments)`.
    support: `(rng, size) -> {input: array}`, a support set of `size`
      points (navigation: transitions, in episodes of 100 steps).
    query: `(rng, size) -> array`, `size` query points.
    typical: `(support size, query size)` of a typical request.
    answer: the signature that adapts and answers.
    answer_query: its query input.
    with_state: the signature that answers from a stored state.
    with_state_query: its query input.
    batch_tasks: the most typical requests a batched call may carry (the
      export's caps bound all its tasks together), or None.
  """
  build: Callable
  support: Callable
  query: Callable
  typical: tuple
  answer: str = "adapt_and_predict"
  answer_query: str = "query_x"
  with_state: str = "predict_with_state"
  with_state_query: str = "query_x"
  batch_tasks: int = None

  def request(self, rng, support=None, query=None) -> Dict[str, np.ndarray]:
    """A whole `answer` request (typical sizes unless given)."""
    support_size, query_size = self.typical
    return {**self.support(rng, support or support_size),
            self.answer_query: self.query(rng, query or query_size)}


def _sinusoid_build():
  import kerasmeta as km  # pylint: disable=g-import-not-at-top
  return km.MAML(km.models.mlp(hidden_sizes=(40, 40), cell="mtnet", seed=0),
                 num_inner_steps=10, inner_learning_rate=0.01), {
                     "loss_name": "mse"}


def _sinusoid_support(rng, size):
  amplitude, phase = rng.uniform(0.1, 5.0), rng.uniform(0, np.pi)
  x = rng.uniform(-5, 5, (size, 1)).astype(np.float32)
  return {"support_x": x,
          "support_y": (amplitude * np.sin(x - phase)).astype(np.float32)}


def _conv4_build():
  import kerasmeta as km  # pylint: disable=g-import-not-at-top
  return km.MAML(km.models.conv4(num_classes=5),
                 loss="sparse_softmax_cross_entropy", num_inner_steps=1,
                 inner_learning_rate=0.4), {
                     "loss_name": "sparse_softmax_cross_entropy",
                     "allow_transductive": True}


def _conv4_support(rng, size):
  return {"support_x": rng.random((size, 28, 28, 1), dtype=np.float32),
          "support_y": (np.arange(size) % 5).astype(np.int32)}


def _leo_build():
  import kerasmeta as km  # pylint: disable=g-import-not-at-top
  return km.LEO(640, 5), {}


def _leo_support(rng, size):
  return {"support_x": rng.normal(size=(size, 640)).astype(np.float32),
          "support_y": (np.arange(size) % 5).astype(np.int32)}


def _navigation_build():
  import kerasmeta as km  # pylint: disable=g-import-not-at-top
  return km.PolicyGradientMAML(
      km.rl.gaussian_mlp_policy(2, 2, hidden_units=(100, 100), seed=0),
      km.envs.Navigation2D(), inner_learning_rate=0.1), {}


def _navigation_support(rng, size):
  episodes, steps = max(size // 100, 1), 100
  return {
      "observations": rng.uniform(-0.5, 0.5, (episodes, steps, 2)).astype(
          np.float32),
      "actions": rng.normal(size=(episodes, steps, 2)).astype(np.float32),
      "rewards": -rng.uniform(0, 1, (episodes, steps)).astype(np.float32),
      "alive": np.ones((episodes, steps), np.float32)}


ADAPTERS = {
    "sinusoid": Adapter(_sinusoid_build, _sinusoid_support,
                        lambda rng, n: rng.uniform(-5, 5, (n, 1)).astype(
                            np.float32), typical=(5, 10)),
    "conv4": Adapter(_conv4_build, _conv4_support,
                     lambda rng, n: rng.random((n, 28, 28, 1),
                                               dtype=np.float32),
                     typical=(5, 75)),
    "leo": Adapter(_leo_build, _leo_support,
                   lambda rng, n: rng.normal(size=(n, 640)).astype(
                       np.float32), typical=(25, 10)),
    "navigation": Adapter(
        _navigation_build, _navigation_support,
        lambda rng, n: rng.uniform(-0.5, 0.5, (n, 2)).astype(np.float32),
        typical=(2000, 1), answer="adapt_and_act",
        answer_query="query_observations", with_state="act_with_state",
        with_state_query="observations", batch_tasks=5),
}

LOADERS = ("python", "c_api")


def export_adapter(name: str, path: str):
  """Exports adapter `name`'s learner to `path`; returns the module."""
  from kerasmeta import export as export_lib  # pylint: disable=g-import-not-at-top
  learner, options = ADAPTERS[name].build()
  return export_lib.export_adapter(learner, path, **options)


def load(path: str, loader: str) -> Callable[..., Dict[str, np.ndarray]]:
  """`call(signature, **inputs) -> {output: numpy array}` of the SavedModel
  at `path`, loaded by `tf.saved_model.load` ("python") or by TF's C API
  ("c_api", TensorFlow's Python not imported). A refused request raises."""
  if loader == "c_api":
    from export.serving import c_api  # pylint: disable=g-import-not-at-top
    session = c_api.CApiSession(path)
    return session.run
  if loader != "python":
    raise ValueError(f"Unknown loader {loader!r}; expected one of {LOADERS}.")
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  signatures = tf.saved_model.load(path).signatures

  def call(signature, **inputs):
    return {k: np.asarray(v.numpy())
            for k, v in signatures[signature](**inputs).items()}
  return call
