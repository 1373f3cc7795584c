# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""The serving client against local stand-ins of TF Serving's two APIs.

No model server binary installs from the package registries, so these
stand-ins implement the documented request formats (REST
`POST /v1/models/NAME[/versions/N]:predict` with `signature_name` and
columnar `inputs`; gRPC `PredictionService.Predict`) on loopback and answer
by running the exported SavedModel, as TF Serving does.
"""

import concurrent.futures
import io
import json
from contextlib import redirect_stdout

import grpc
import numpy as np
import pytest
import tensorflow as tf
from tensorflow_serving.apis import predict_pb2
from tensorflow_serving.apis import prediction_service_pb2_grpc

import kerasmeta as km
from export.serving import client
from export.serving import standin
from kerasmeta import export

_run_signature = standin.run_signature


def rest_requests(served):
  """The REST stand-in's record of its requests."""
  return served[3].RequestHandlerClass.requests


class GrpcStandIn(prediction_service_pb2_grpc.PredictionServiceServicer):

  def __init__(self, models):
    self.models = models

  def Predict(self, request, context):  # pylint: disable=invalid-name
    inputs = {k: tf.make_ndarray(v) for k, v in request.inputs.items()}
    outputs = _run_signature(self.models[request.model_spec.name],
                             request.model_spec.signature_name, inputs)
    response = predict_pb2.PredictResponse()
    for key, value in outputs.items():
      response.outputs[key].CopyFrom(tf.make_tensor_proto(value))
    return response


@pytest.fixture(scope="module")
def served(tmp_path_factory):
  model = km.models.mlp(cell="mtnet", hidden_sizes=(8,))
  rng = np.random.default_rng(0)
  for weight in model.weights:
    weight.assign(rng.normal(size=weight.shape).astype("float32") * 0.5)
  learner = km.MAML(model, num_inner_steps=2, inner_learning_rate=0.05)
  path = str(tmp_path_factory.mktemp("models") / "sine" / "1")
  export.export_adapter(learner, path)
  loaded = tf.saved_model.load(path)
  rest, rest_address = standin.serve({"sine": loaded})
  grpc_server = grpc.server(concurrent.futures.ThreadPoolExecutor(2))
  prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(
      GrpcStandIn({"sine": loaded}), grpc_server)
  grpc_port = grpc_server.add_insecure_port("127.0.0.1:0")
  grpc_server.start()
  yield loaded, rest_address, f"127.0.0.1:{grpc_port}", rest
  rest.shutdown()
  grpc_server.stop(0)


REQUEST = {"support_x": [[-2.0], [0.5], [3.1]],
           "support_y": [[0.4], [-1.2], [2.0]],
           "query_x": [[0.0], [1.0]]}


def _direct(loaded, signature="adapt_and_predict", **extra):
  return _run_signature(loaded, signature, {**REQUEST, **extra})


def test_rest_request_is_the_documented_columnar_format():
  signature, inputs = client.build_inputs(**REQUEST)
  body = client.rest_request(signature, inputs)
  assert body == {"signature_name": "adapt_and_predict", "inputs": REQUEST}
  assert client.rest_url("localhost:8501", "sine") == \
      "http://localhost:8501/v1/models/sine:predict"
  assert client.rest_url("localhost:8501", "sine", 3) == \
      "http://localhost:8501/v1/models/sine/versions/3:predict"


def test_rest_client_gets_the_saved_models_answer(served):
  loaded, rest_server, *_ = served
  rest_requests(served).clear()
  outputs = client.predict_rest(rest_server, "sine", "adapt_and_predict",
                                REQUEST)
  path, content_type, body = rest_requests(served)[-1]
  assert path == "/v1/models/sine:predict"
  assert content_type == "application/json"
  assert body["signature_name"] == "adapt_and_predict"
  np.testing.assert_allclose(outputs["predictions"],
                             _direct(loaded)["predictions"], atol=1e-6)


def test_command_line_client_with_options_prints_the_outputs(served):
  loaded, rest_server, *_ = served
  printed = io.StringIO()
  with redirect_stdout(printed):
    client.main(["--server", rest_server, "--model", "sine", "--version", "1",
                 "--support_x", json.dumps(REQUEST["support_x"]),
                 "--support_y", json.dumps(REQUEST["support_y"]),
                 "--query_x", json.dumps(REQUEST["query_x"]),
                 "--num_steps", "7", "--learning_rate", "0.01"])
  assert rest_requests(served)[-1][0] == "/v1/models/sine/versions/1:predict"
  expected = _direct(loaded, "adapt_and_predict_with_options", num_steps=7,
                     learning_rate=0.01)
  np.testing.assert_allclose(json.loads(printed.getvalue())["predictions"],
                             expected["predictions"], atol=1e-6)


def test_server_errors_reach_the_user_with_their_message(served):
  _, rest_server, *_ = served
  bad = {**REQUEST, "support_y": [[0.4]]}
  with pytest.raises(RuntimeError, match="400.*same number of points"):
    client.predict_rest(rest_server, "sine", "adapt_and_predict", bad)


def test_grpc_client_gets_the_saved_models_answer(served):
  loaded, _, grpc_server, _ = served
  outputs = client.predict_grpc(grpc_server, "sine", "adapt_and_predict",
                                REQUEST)
  np.testing.assert_allclose(outputs["predictions"],
                             _direct(loaded)["predictions"], atol=1e-6)


def test_half_the_options_is_rejected():
  with pytest.raises(ValueError, match="both --num_steps and --learning_rate"):
    client.build_inputs(**REQUEST, num_steps=3)
