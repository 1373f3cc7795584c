# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
r"""The personalisation example end to end (see README.md beside it).

Exports a glyph classifier's adapter, serves it (with the REST stand-in
of `export/serving/standin.py`, or the TF Serving at --server), enrols
--users users, each drawing their own five characters once, then
classifies --predictions more drawings per user both ways (from the
stored state, and adapting on every request) and prints what each cost:

  python -m examples.personalisation.run --workdir=/tmp/glyphs_maml
  # a workdir of:  python -m apps.meta_train --config=glyphs:maml \
  #     --config.learner.batch_norm=running --workdir=/tmp/glyphs_maml

Without --workdir the classifier is untrained (the calls are the same;
the accuracy is chance).
"""

import argparse
import json
import os
import tempfile
import time

import numpy as np

from examples.personalisation import service as service_lib

WAYS = 5


def parse(argv=None):
  parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
  parser.add_argument("--workdir", default=None,
                      help="A glyphs training workdir (5-way, running "
                           "batch-norm); default: an untrained classifier.")
  parser.add_argument("--server", default=None,
                      help="A TF Serving REST address serving --model from "
                           "--model_dir (default: start the stand-in).")
  parser.add_argument("--model", default="glyphs")
  parser.add_argument("--model_dir", default=None)
  parser.add_argument("--store", default=None,
                      help="Where the users' states are kept.")
  parser.add_argument("--users", type=int, default=5)
  parser.add_argument("--predictions", type=int, default=20)
  return parser.parse_args(argv)


def learner_of(workdir):
  import kerasmeta as km  # pylint: disable=g-import-not-at-top
  from kerasmeta import workdir as workdir_lib  # pylint: disable=g-import-not-at-top
  if workdir:
    return workdir_lib.restore_learner(workdir)[1]
  model = km.models.conv4(input_shape=(28, 28, 1), num_classes=WAYS,
                          filters=8)
  return km.MAML(model, loss="sparse_softmax_cross_entropy",
                 num_inner_steps=5, inner_learning_rate=0.4,
                 batch_norm="running")


def drawings(user, count):
  """A user's five characters (an alphabet of their own), `count` + 1
  drawings of each: `(support [5, 28, 28, 1], labels [5], queries,
  their labels)`."""
  from kerasmeta.tasks import glyphs  # pylint: disable=g-import-not-at-top
  images = glyphs.generate(glyphs.GlyphConfig(
      num_alphabets=1, characters_per_alphabet=WAYS,
      samples_per_character=count + 1, seed=1000 + user))
  images = images.astype(np.float32) / 255.0
  labels = np.arange(WAYS, dtype=np.int32)
  queries = images[:, 1:].reshape(-1, 28, 28, 1)
  return (images[:, 0], labels, queries,
          np.repeat(labels, count).astype(np.int32))


def main(argv=None):
  options = parse(argv)
  from kerasmeta import export  # pylint: disable=g-import-not-at-top
  model_dir = options.model_dir or tempfile.mkdtemp()
  store = options.store or tempfile.mkdtemp()
  server, stand_in = options.server, None
  if server is None:
    import tensorflow as tf  # pylint: disable=g-import-not-at-top
    from export.serving import standin  # pylint: disable=g-import-not-at-top
    path = os.path.join(model_dir, str(export.next_version(model_dir)))
    export.export_adapter(learner_of(options.workdir), path,
                          loss_name="sparse_softmax_cross_entropy")
    stand_in, server = standin.serve(
        {options.model: tf.saved_model.load(path)})
  service = service_lib.PersonalisationService(server, options.model, store)
  seconds = {"enrol": 0.0, "from_state": 0.0, "adapting": 0.0}
  correct = agree = total = 0
  try:
    for user in range(options.users):
      support, labels, queries, truth = drawings(user, options.predictions)
      name = f"user_{user}"
      began = time.perf_counter()
      service.enrol(name, support.tolist(), labels.tolist())
      seconds["enrol"] += time.perf_counter() - began
      for index in range(len(queries)):
        query = queries[index:index + 1].tolist()
        began = time.perf_counter()
        stored, = service.classify(name, query)
        seconds["from_state"] += time.perf_counter() - began
        began = time.perf_counter()
        adapting, = service.classify_adapting(name, query)
        seconds["adapting"] += time.perf_counter() - began
        correct += stored == truth[index]
        agree += stored == adapting
        total += 1
  finally:
    if stand_in is not None:
      stand_in.shutdown()
  report = {
      "users": options.users, "predictions": total,
      "accuracy": correct / total, "patterns_agree": agree / total,
      "ms_per_prediction": {
          "enrol_once_then_from_state": round(
              1000 * (seconds["enrol"] + seconds["from_state"]) / total, 2),
          "adapting_every_request": round(
              1000 * seconds["adapting"] / total, 2)},
      "store": store}
  print(json.dumps(report))
  return report


if __name__ == "__main__":
  main()
