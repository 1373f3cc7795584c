# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
r"""Sends a support set and queries to a TF Serving adapter.

REST (port 8501), columnar `inputs` format, since the inputs differ in their
first dimension:

  python -m export.serving.client --server=localhost:8501 --model=sine_mtnet \
      --support_x='[[-2.0], [0.5], [3.1]]' --support_y='[[0.4], [-1.2], [2.0]]' \
      --query_x='[[0.0], [1.0]]'

gRPC (port 8500, needs `pip install tensorflow-serving-api`):

  python -m export.serving.client --protocol=grpc --server=localhost:8500 ...

--inputs=FILE.json reads {"support_x": ..., "support_y": ..., "query_x": ...}
instead; --num_steps / --learning_rate switch to the
adapt_and_predict_with_options signature. Prints the outputs as JSON.
This module needs neither kerasmeta nor TensorFlow for REST.
"""

import argparse
import json
import sys
import urllib.error
import urllib.request


def rest_request(signature_name, inputs):
  """The body of `POST /v1/models/NAME:predict` (columnar format)."""
  return {"signature_name": signature_name,
          "inputs": {name: _as_list(value) for name, value in inputs.items()}}


def rest_url(server, model, version=None):
  base = server if server.startswith("http") else f"http://{server}"
  version_part = f"/versions/{version}" if version else ""
  return f"{base}/v1/models/{model}{version_part}:predict"


def predict_rest(server, model, signature_name, inputs, version=None,
                 timeout=30.0):
  """Posts a columnar predict request; returns {output name: nested list}."""
  body = json.dumps(rest_request(signature_name, inputs)).encode()
  request = urllib.request.Request(
      rest_url(server, model, version), data=body,
      headers={"Content-Type": "application/json"}, method="POST")
  try:
    with urllib.request.urlopen(request, timeout=timeout) as response:
      payload = json.loads(response.read())
  except urllib.error.HTTPError as error:
    detail = error.read().decode(errors="replace")
    try:
      detail = json.loads(detail).get("error", detail)
    except ValueError:
      pass
    raise RuntimeError(f"TF Serving answered {error.code}: {detail}") from None
  outputs = payload["outputs"]
  # A signature with one output is answered with the bare value.
  return outputs if isinstance(outputs, dict) else {"predictions": outputs}


def predict_grpc(server, model, signature_name, inputs, version=None,
                 timeout=30.0):
  """The same over gRPC (tensorflow-serving-api)."""
  try:
    import grpc  # pylint: disable=g-import-not-at-top
    import tensorflow as tf  # pylint: disable=g-import-not-at-top
    from tensorflow_serving.apis import predict_pb2  # pylint: disable=g-import-not-at-top
    from tensorflow_serving.apis import prediction_service_pb2_grpc  # pylint: disable=g-import-not-at-top
  except ImportError as error:
    raise ImportError("gRPC needs `pip install tensorflow-serving-api`; "
                      "use --protocol=rest otherwise.") from error
  request = predict_pb2.PredictRequest()
  request.model_spec.name = model
  request.model_spec.signature_name = signature_name
  if version:
    request.model_spec.version.value = int(version)
  for name, value in inputs.items():
    dtype = tf.int32 if name in ("num_steps",) or (
        name == "support_y" and _is_int_list(value)) else tf.float32
    request.inputs[name].CopyFrom(tf.make_tensor_proto(value, dtype=dtype))
  with grpc.insecure_channel(server) as channel:
    stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
    response = stub.Predict(request, timeout)
  return {name: tf.make_ndarray(proto).tolist()
          for name, proto in response.outputs.items()}


def _as_list(value):
  return value.tolist() if hasattr(value, "tolist") else value


def _is_int_list(value):
  value = _as_list(value)
  while isinstance(value, list) and value:
    value = value[0]
  return isinstance(value, int)


def build_inputs(support_x, support_y, query_x, num_steps=None,
                 learning_rate=None):
  """(signature name, inputs) for a request."""
  inputs = {"support_x": support_x, "support_y": support_y,
            "query_x": query_x}
  if num_steps is None and learning_rate is None:
    return "adapt_and_predict", inputs
  if num_steps is None or learning_rate is None:
    raise ValueError("Give both --num_steps and --learning_rate (the "
                     "adapt_and_predict_with_options signature needs both).")
  inputs.update(num_steps=int(num_steps), learning_rate=float(learning_rate))
  return "adapt_and_predict_with_options", inputs


def parse(argv):
  parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
  parser.add_argument("--server", default="localhost:8501")
  parser.add_argument("--model", required=True)
  parser.add_argument("--version", type=int, default=None)
  parser.add_argument("--protocol", choices=["rest", "grpc"], default="rest")
  parser.add_argument("--inputs", help="JSON file with the three inputs")
  parser.add_argument("--support_x", type=json.loads)
  parser.add_argument("--support_y", type=json.loads)
  parser.add_argument("--query_x", type=json.loads)
  parser.add_argument("--num_steps", type=int)
  parser.add_argument("--learning_rate", type=float)
  parser.add_argument("--timeout", type=float, default=30.0)
  return parser.parse_args(argv)


def main(argv=None):
  options = parse(argv)
  if options.inputs:
    with open(options.inputs) as f:
      given = json.load(f)
  else:
    given = {"support_x": options.support_x, "support_y": options.support_y,
             "query_x": options.query_x}
  missing = [name for name, value in given.items() if value is None]
  if missing:
    raise SystemExit(f"Missing inputs: {', '.join(missing)} (give --inputs "
                     "or --support_x, --support_y and --query_x).")
  signature, inputs = build_inputs(given["support_x"], given["support_y"],
                                   given["query_x"], options.num_steps,
                                   options.learning_rate)
  send = predict_rest if options.protocol == "rest" else predict_grpc
  outputs = send(options.server, options.model, signature, inputs,
                 options.version, options.timeout)
  json.dump(outputs, sys.stdout)
  sys.stdout.write("\n")


if __name__ == "__main__":
  main()
