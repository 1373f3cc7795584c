# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""The personalisation example end to end: export, a served adapter (the
REST stand-in), users enrolled once and classified many times."""

import json
import os

import pytest
import tensorflow as tf

from examples.personalisation import run
from examples.personalisation import service as service_lib
from export.serving import standin


def test_enrolled_users_are_classified_from_their_stored_states(tmp_path):
  report = run.main(["--users=2", "--predictions=2",
                     f"--store={tmp_path / 'states'}",
                     f"--model_dir={tmp_path / 'models'}"])
  # Both call patterns give every drawing the same class.
  assert report["predictions"] == 2 * 5 * 2
  assert report["patterns_agree"] == 1.0
  for user in ("user_0", "user_1"):
    with open(tmp_path / "states" / f"{user}.json") as f:
      stored = json.load(f)
    assert stored["state_fingerprint"].startswith("kerasmeta-state-v1:")
    assert len(stored["state"]) > 0
  assert not [n for n in os.listdir(tmp_path / "states")
              if n.endswith(".tmp")]


def test_a_state_stored_for_another_adapter_is_refused(tmp_path):
  path = str(tmp_path / "models" / "1")
  from kerasmeta import export  # pylint: disable=g-import-not-at-top
  export.export_adapter(run.learner_of(None), path,
                        loss_name="sparse_softmax_cross_entropy")
  server, address = standin.serve({"glyphs": tf.saved_model.load(path)})
  try:
    service = service_lib.PersonalisationService(address, "glyphs",
                                                 str(tmp_path / "states"))
    support, labels, queries, _ = run.drawings(0, 1)
    service.enrol("ada", support.tolist(), labels.tolist())
    record_path = tmp_path / "states" / "ada.json"
    record = json.loads(record_path.read_text())
    record["state_fingerprint"] = "kerasmeta-state-v1:" + "0" * 32
    record_path.write_text(json.dumps(record))
    with pytest.raises(RuntimeError, match="belongs to another adapter"):
      service.classify("ada", queries[:1].tolist())
    with pytest.raises(KeyError, match="has not enrolled"):
      service.classify("bob", queries[:1].tolist())
    with pytest.raises(ValueError, match="A user id is"):
      service.classify("../ada", queries[:1].tolist())
  finally:
    server.shutdown()
