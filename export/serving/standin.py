# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""A stand-in for TF Serving's REST API, answering from SavedModels.

No model server installs from the package registries, so the tests and the
examples serve exported adapters with this: `POST
/v1/models/NAME[/versions/N]:predict` with a `signature_name` and columnar
`inputs`, answered `{"outputs": {...}}` by running the signature as TF
Serving does (inputs converted to the signature's dtypes; string outputs,
such as a state fingerprint, as JSON strings; errors as HTTP 400 with
TF's message). It is for tests and demonstrations on one machine, not for
production: run `tensorflow_model_server` there.

  server, address = standin.serve({"glyphs": tf.saved_model.load(path)})
  ...
  server.shutdown()
"""

import http.server
import json
import re
import threading

import numpy as np
import tensorflow as tf

PATH = re.compile(r"^/v1/models/(?P<name>[\w-]+)(/versions/(?P<v>\d+))?"
                  r":predict$")


def run_signature(loaded, name, inputs):
  """`{output: numpy value}` of signature `name` of `loaded` on `inputs`
  (refusing inputs the signature does not have, as TF Serving does)."""
  function = loaded.signatures[name]
  specs = function.structured_input_signature[1]
  if set(inputs) != set(specs):
    raise ValueError(f"input size does not match signature: "
                     f"{sorted(inputs)} != {sorted(specs)}")
  arguments = {key: tf.constant(value, specs[key].dtype)
               for key, value in inputs.items()}
  return {key: value.numpy() for key, value in function(**arguments).items()}


def _as_json(value):
  if isinstance(value, np.ndarray) and value.dtype == object:
    return [_as_json(v) for v in value] if value.ndim else _as_json(
        value.item())
  if isinstance(value, bytes):
    return value.decode()
  return value.tolist() if isinstance(value, np.ndarray) else value


class RestStandIn(http.server.BaseHTTPRequestHandler):
  """Answers TF Serving's REST predict requests from `models`."""

  models = {}
  requests = []  # (path, content type, body) of every request

  def do_POST(self):  # pylint: disable=invalid-name
    match = PATH.match(self.path)
    body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
    self.requests.append((self.path, self.headers["Content-Type"], body))
    try:
      if match is None or match["name"] not in self.models:
        raise LookupError(f"no model at {self.path}")
      if set(body) != {"signature_name", "inputs"} or not isinstance(
          body["inputs"], dict):
        raise ValueError("expected the columnar format: signature_name and "
                         "an inputs object")
      outputs = run_signature(self.models[match["name"]],
                              body["signature_name"], body["inputs"])
      self._answer(200, {"outputs": {k: _as_json(v)
                                     for k, v in outputs.items()}})
    except Exception as error:  # pylint: disable=broad-except
      message = str(error).splitlines()
      self._answer(400, {"error": " ".join(message)[-500:]})

  def _answer(self, code, payload):
    data = json.dumps(payload).encode()
    self.send_response(code)
    self.send_header("Content-Type", "application/json")
    self.send_header("Content-Length", str(len(data)))
    self.end_headers()
    self.wfile.write(data)

  def log_message(self, *args):
    pass


def serve(models, host="127.0.0.1", port=0):
  """Serves `{name: loaded SavedModel}` on a background thread; returns
  `(server, "host:port")` (`server.shutdown()` stops it)."""
  handler = type("Handler", (RestStandIn,), {"models": dict(models),
                                              "requests": []})
  server = http.server.ThreadingHTTPServer((host, port), handler)
  threading.Thread(target=server.serve_forever, daemon=True).start()
  return server, f"{host}:{server.server_address[1]}"
