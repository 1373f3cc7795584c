# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""A personalisation service on a TF Serving adapter: enrol once, then
classify many times.

A user enrols by drawing one example of each of their five characters:
the service sends them to the adapter's `adapt` signature and keeps the
returned state (the adapted classifier) in its store, one JSON file per
user. Each later drawing is classified by `predict_with_state` from that
state, with no inner loop on the server. `classify_adapting` is the other
call pattern, for comparison: the user's drawings go with every request
to `adapt_and_predict`, which adapts each time.
"""

import json
import os
import tempfile

from export.serving import client


class PersonalisationService:
  """Users' adapted states, kept, and the adapter's REST API.

  Args:
    server: the model server's REST address ("host:port").
    model: the adapter's model name on it.
    store: the directory of the users' states.
  """

  def __init__(self, server, model, store):
    self.server, self.model, self.store = server, model, store
    os.makedirs(store, exist_ok=True)
    self._enrolments = {}  # user -> their drawings (classify_adapting)

  def _path(self, user):
    if not user.replace("_", "").replace("-", "").isalnum():
      raise ValueError(f"A user id is letters, digits, '-' and '_'; "
                       f"received {user!r}.")
    return os.path.join(self.store, f"{user}.json")

  def enrol(self, user, drawings, labels):
    """Adapts to a user's labelled drawings once and stores the state."""
    outputs = client.predict_rest(self.server, self.model, "adapt", {
        "support_x": drawings, "support_y": labels})
    record = {"state": outputs["state"],
              "state_fingerprint": outputs["state_fingerprint"]}
    # Written whole or not at all: a reader never sees half a state.
    handle, temporary = tempfile.mkstemp(dir=self.store, suffix=".tmp")
    with os.fdopen(handle, "w") as f:
      json.dump(record, f)
    os.replace(temporary, self._path(user))
    self._enrolments[user] = (drawings, labels)

  def classify(self, user, drawings):
    """The user's classes of `drawings`, from their stored state."""
    path = self._path(user)
    if not os.path.exists(path):
      raise KeyError(f"User {user!r} has not enrolled.")
    with open(path) as f:
      record = json.load(f)
    outputs = client.predict_rest(self.server, self.model,
                                  "predict_with_state",
                                  {**record, "query_x": drawings})
    return outputs["classes"]

  def classify_adapting(self, user, drawings):
    """The same classes with the other call pattern: the user's drawings
    go with the request and the server adapts each time."""
    support_x, support_y = self._enrolments[user]
    outputs = client.predict_rest(self.server, self.model,
                                  "adapt_and_predict", {
                                      "support_x": support_x,
                                      "support_y": support_y,
                                      "query_x": drawings})
    return outputs["classes"]
