# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""A SavedModel served through TensorFlow's C API, without TF's Python.

TF Serving loads a SavedModel in C++ (`LoadSavedModel`: the graph, the
variables restored by the saver, the signatures as tensor names) and runs
its signatures in a session. `TF_LoadSessionFromSavedModel` and
`TF_SessionRun` are that path's C entry points, exported by the
`libtensorflow_cc` the `tensorflow` wheel ships, so this module checks an
export the way a C++ server reads it: nothing here imports `tensorflow`
(the wheel's directory is found without running its `__init__`), so no
Python-side object of the export (a restored Keras model, a traced
function) can stand in for what the graph alone holds.

  session = CApiSession("/tmp/models/sine_mtnet/1")
  outputs = session.run("adapt_and_predict", support_x=..., support_y=...,
                        query_x=...)                    # numpy in and out

The signatures are read from the MetaGraphDef the loader returns, decoded
from the protocol buffer wire format (the few fields a signature needs:
`MetaGraphDef.signature_def`, `SignatureDef.inputs` / `outputs`,
`TensorInfo.name` / `dtype`), since TF's Python protos import TF.
"""

import ctypes
import importlib.util
import os
from typing import Dict, Iterator, Mapping, Tuple

import numpy as np

# TF_DataType (tensorflow/c/tf_datatype.h) <-> numpy; TF_STRING is 7.
_NUMPY_TYPES = {1: np.float32, 2: np.float64, 3: np.int32, 4: np.uint8,
                6: np.int8, 9: np.int64, 10: np.bool_}
_STRING = 7
_TSTRING_BYTES = 24  # sizeof(TF_TString), tsl/platform/ctstring_internal.h


class CApiError(RuntimeError):
  """A C API call failed; the message is TensorFlow's."""


class _Buffer(ctypes.Structure):
  _fields_ = [("data", ctypes.c_void_p), ("length", ctypes.c_size_t),
              ("data_deallocator", ctypes.c_void_p)]


class _Output(ctypes.Structure):
  _fields_ = [("oper", ctypes.c_void_p), ("index", ctypes.c_int)]


def _declare(library, name, result, *arguments):
  function = getattr(library, name)
  function.restype, function.argtypes = result, list(arguments)
  return function


def load_library():
  """The C API of the installed `tensorflow` wheel, as a `ctypes` handle
  whose functions are declared; `tensorflow` is located, not imported."""
  spec = importlib.util.find_spec("tensorflow")
  if spec is None or not spec.submodule_search_locations:
    raise CApiError("The tensorflow package is not installed: its "
                    "libtensorflow_cc holds the C API.")
  directory = list(spec.submodule_search_locations)[0]
  # RTLD_LOCAL: TF's own BoringSSL symbols, made global, would take the
  # place of OpenSSL's in any module loaded later (hashlib crashes).
  framework = ctypes.CDLL(
      os.path.join(directory, "libtensorflow_framework.so.2"))
  library = ctypes.CDLL(os.path.join(directory, "libtensorflow_cc.so.2"))
  p, size, integer = ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int
  api = {}
  for lib, name, result, arguments in (
      (framework, "TF_NewStatus", p, ()),
      (framework, "TF_DeleteStatus", None, (p,)),
      (framework, "TF_GetCode", integer, (p,)),
      (framework, "TF_Message", ctypes.c_char_p, (p,)),
      (framework, "TF_AllocateTensor", p,
       (integer, ctypes.POINTER(ctypes.c_int64), integer, size)),
      (framework, "TF_DeleteTensor", None, (p,)),
      (framework, "TF_TensorData", p, (p,)),
      (framework, "TF_TensorByteSize", size, (p,)),
      (framework, "TF_TensorType", integer, (p,)),
      (framework, "TF_NumDims", integer, (p,)),
      (framework, "TF_Dim", ctypes.c_int64, (p, integer)),
      (framework, "TF_NewBuffer", ctypes.POINTER(_Buffer), ()),
      (framework, "TF_DeleteBuffer", None, (ctypes.POINTER(_Buffer),)),
      (library, "TF_StringInit", None, (p,)),
      (library, "TF_StringCopy", None, (p, ctypes.c_char_p, size)),
      (library, "TF_StringGetDataPointer", p, (p,)),
      (library, "TF_StringGetSize", size, (p,)),
      (library, "TF_NewGraph", p, ()),
      (library, "TF_DeleteGraph", None, (p,)),
      (library, "TF_NewSessionOptions", p, ()),
      (library, "TF_DeleteSessionOptions", None, (p,)),
      (library, "TF_SetConfig", None, (p, p, size, p)),
      (library, "TF_GraphOperationByName", p, (p, ctypes.c_char_p)),
      (library, "TF_LoadSessionFromSavedModel", p,
       (p, p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_char_p), integer, p,
        ctypes.POINTER(_Buffer), p)),
      (library, "TF_SessionRun", None,
       (p, p, ctypes.POINTER(_Output), ctypes.POINTER(p), integer,
        ctypes.POINTER(_Output), ctypes.POINTER(p), integer, p, integer, p,
        p)),
      (library, "TF_CloseSession", None, (p, p)),
      (library, "TF_DeleteSession", None, (p, p))):
    api[name] = _declare(lib, name, result, *arguments)
  return api


def _varint(data: bytes, position: int) -> Tuple[int, int]:
  value, shift = 0, 0
  while True:
    byte = data[position]
    position += 1
    value |= (byte & 0x7F) << shift
    if byte < 0x80:
      return value, position
    shift += 7


def _fields(data: bytes) -> Iterator[Tuple[int, object]]:
  """`(field number, value)` of one protocol buffer message: an int for a
  varint, bytes for a length-delimited field (fixed-width fields are
  skipped: a signature has none)."""
  position = 0
  while position < len(data):
    key, position = _varint(data, position)
    number, wire_type = key >> 3, key & 7
    if wire_type == 0:
      value, position = _varint(data, position)
      yield number, value
    elif wire_type == 2:
      length, position = _varint(data, position)
      yield number, data[position:position + length]
      position += length
    elif wire_type in (1, 5):
      position += 8 if wire_type == 1 else 4
    else:
      raise CApiError(f"Unexpected protocol buffer wire type {wire_type}.")


def _map_entries(data: bytes, field: int) -> Iterator[Tuple[str, bytes]]:
  for number, entry in _fields(data):
    if number == field:
      parts = dict(_fields(entry))
      yield parts.get(1, b"").decode(), parts.get(2, b"")


def signatures(meta_graph_def: bytes) -> Dict[str, Dict[str, Dict]]:
  """`{signature: {"inputs"|"outputs": {key: (tensor name, TF_DataType)}}}`
  of a serialized MetaGraphDef (field 5: `signature_def`)."""
  result = {}
  for name, signature in _map_entries(meta_graph_def, 5):
    result[name] = {}
    for side, field in (("inputs", 1), ("outputs", 2)):
      result[name][side] = {}
      for key, info in _map_entries(signature, field):
        parts = dict(_fields(info))
        result[name][side][key] = (parts[1].decode(), parts.get(2, 0))
  return result


class CApiSession:
  """A SavedModel loaded by `TF_LoadSessionFromSavedModel` (tag "serve"),
  its signatures run by `TF_SessionRun`.

  Args:
    path: the SavedModel's directory (a version directory: `.../1`).
    intra_op_threads: the session's intra-op thread count (0: TF's
      default, every core), as TF Serving's `--tensorflow_intra_op_parallelism`.
  """

  def __init__(self, path: str, intra_op_threads: int = 0):
    if not 0 <= int(intra_op_threads) < 128:
      raise ValueError(f"intra_op_threads must be in [0, 128); received "
                       f"{intra_op_threads}.")
    self._session = self._graph = self._status = None
    self._api = api = load_library()
    self._status = api["TF_NewStatus"]()
    self._graph = api["TF_NewGraph"]()
    options = api["TF_NewSessionOptions"]()
    if intra_op_threads:
      # ConfigProto field 2, intra_op_parallelism_threads: a one-byte
      # varint below 128.
      config = bytes([2 << 3, int(intra_op_threads)])
      api["TF_SetConfig"](options, config, len(config), self._status)
      self._check("TF_SetConfig")
    meta_graph = api["TF_NewBuffer"]()
    tags = (ctypes.c_char_p * 1)(b"serve")
    self._session = api["TF_LoadSessionFromSavedModel"](
        options, None, os.fsencode(path), tags, 1, self._graph, meta_graph,
        self._status)
    api["TF_DeleteSessionOptions"](options)
    try:
      if api["TF_GetCode"](self._status) != 0:
        message = api["TF_Message"](self._status).decode()
        self.close()
        raise CApiError(f"Loading {path}: {message}")
      buffer = meta_graph.contents
      self.signatures = signatures(ctypes.string_at(buffer.data,
                                                    buffer.length))
    finally:
      api["TF_DeleteBuffer"](meta_graph)

  def _check(self, what: str):
    if self._api["TF_GetCode"](self._status) != 0:
      message = self._api["TF_Message"](self._status).decode()
      raise CApiError(f"{what}: {message}")

  def _output(self, tensor_name: str) -> _Output:
    operation, _, index = tensor_name.partition(":")
    handle = self._api["TF_GraphOperationByName"](self._graph,
                                                  operation.encode())
    if not handle:
      raise CApiError(f"The graph has no operation {operation!r}.")
    return _Output(handle, int(index or 0))

  def _tensor(self, value, data_type: int):
    """A new TF_Tensor holding `value` as `data_type`."""
    api = self._api
    if data_type == _STRING:
      array = np.asarray(value, dtype=object)
      dims = (ctypes.c_int64 * array.ndim)(*array.shape)
      tensor = api["TF_AllocateTensor"](_STRING, dims, array.ndim,
                                        array.size * _TSTRING_BYTES)
      start = api["TF_TensorData"](tensor)
      for i, item in enumerate(array.reshape(-1)):
        encoded = item if isinstance(item, bytes) else str(item).encode()
        api["TF_StringInit"](start + i * _TSTRING_BYTES)
        api["TF_StringCopy"](start + i * _TSTRING_BYTES, encoded,
                             len(encoded))
      return tensor
    if data_type not in _NUMPY_TYPES:
      raise CApiError(f"TF_DataType {data_type} is not supported here.")
    # np.asarray with order "C", not np.ascontiguousarray: that one makes
    # a scalar a vector of one.
    array = np.asarray(value, dtype=_NUMPY_TYPES[data_type], order="C")
    dims = (ctypes.c_int64 * array.ndim)(*array.shape)
    tensor = api["TF_AllocateTensor"](data_type, dims, array.ndim,
                                      array.nbytes)
    ctypes.memmove(api["TF_TensorData"](tensor), array.ctypes.data,
                   array.nbytes)
    return tensor

  def _array(self, tensor) -> np.ndarray:
    """A numpy copy of a TF_Tensor's value (bytes objects for strings)."""
    api = self._api
    shape = tuple(api["TF_Dim"](tensor, i)
                  for i in range(api["TF_NumDims"](tensor)))
    data_type, start = api["TF_TensorType"](tensor), api["TF_TensorData"](
        tensor)
    if data_type == _STRING:
      items = [ctypes.string_at(
          api["TF_StringGetDataPointer"](start + i * _TSTRING_BYTES),
          api["TF_StringGetSize"](start + i * _TSTRING_BYTES))
               for i in range(int(np.prod(shape, dtype=np.int64)))]
      return np.array(items, dtype=object).reshape(shape)
    if data_type not in _NUMPY_TYPES:
      raise CApiError(f"TF_DataType {data_type} is not supported here.")
    size = api["TF_TensorByteSize"](tensor)
    raw = ctypes.string_at(start, size) if size else b""
    return np.frombuffer(raw, dtype=_NUMPY_TYPES[data_type]).reshape(shape)

  def run(self, signature: str, **inputs) -> Dict[str, np.ndarray]:
    """Runs `signature` on `inputs` (its input keys, numpy-convertible
    values); returns its outputs by key. Raises `CApiError` with TF's
    message when the graph refuses the request."""
    if signature not in self.signatures:
      raise CApiError(f"No signature {signature!r}; the SavedModel has "
                      f"{sorted(self.signatures)}.")
    declared = self.signatures[signature]
    if set(inputs) != set(declared["inputs"]):
      raise CApiError(f"{signature} takes {sorted(declared['inputs'])}; "
                      f"received {sorted(inputs)}.")
    api = self._api
    keys, outputs = list(inputs), list(declared["outputs"])
    feeds = (_Output * len(keys))(*(
        self._output(declared["inputs"][k][0]) for k in keys))
    values = (ctypes.c_void_p * len(keys))(*(
        self._tensor(inputs[k], declared["inputs"][k][1]) for k in keys))
    fetches = (_Output * len(outputs))(*(
        self._output(declared["outputs"][k][0]) for k in outputs))
    results = (ctypes.c_void_p * len(outputs))()
    try:
      api["TF_SessionRun"](self._session, None, feeds, values, len(keys),
                           fetches, results, len(outputs), None, 0, None,
                           self._status)
      self._check(signature)
      return {k: self._array(results[i]) for i, k in enumerate(outputs)}
    finally:
      for tensor in list(values) + list(results):
        if tensor:
          api["TF_DeleteTensor"](tensor)

  def close(self):
    if self._session:
      self._api["TF_CloseSession"](self._session, self._status)
      self._api["TF_DeleteSession"](self._session, self._status)
      self._session = None
    if self._graph:
      self._api["TF_DeleteGraph"](self._graph)
      self._graph = None
    if self._status:
      self._api["TF_DeleteStatus"](self._status)
      self._status = None

  def __enter__(self):
    return self

  def __exit__(self, *unused):
    self.close()
