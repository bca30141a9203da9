"""A client for TF Serving endpoints (``tfskin serve`` or ``tensorflow_model_server``), REST or gRPC.

``ServingClient("http://HOST:8501/v1/models/NAME[/versions/N|/labels/L]")`` or
``ServingClient("grpc://HOST:8500/NAME[/versions/N|/labels/L]")``: ``signatures()`` reads the model's metadata,
``predict(signature, inputs)`` sends NumPy arrays and returns NumPy arrays (``_bytes`` outputs as bytes).
Transient failures (connection refused/reset, HTTP 429/503/504, gRPC UNAVAILABLE/DEADLINE_EXCEEDED/
RESOURCE_EXHAUSTED) are retried with exponential backoff; anything else, or running out of tries, raises a
one-line :class:`ServingError` naming the URL.

``ServingGenerator`` samples a noise-to-image model through a client exactly as the ``savedmodel:`` source
samples the SavedModel itself (same noise for the same seed, same rounding), preferring ``generate_png``.
"""

import base64
import http.client
import io
import json
import re
import threading
import time
import urllib.parse

import numpy as np

from tfskin.serving.batching import MAX_BATCH_SIZE, server_batch_limit
from tfskin.serving.errors import ServingError

_SPEC = r"(?:/versions/(?P<version>\d+)|/labels/(?P<label>[^/:,]+))?"
_HTTP_URL = re.compile(r"(?P<scheme>https?)://(?P<netloc>[^/]+)/v1/models/(?P<name>[^/:,]+)" + _SPEC + r"/?")
_GRPC_URL = re.compile(r"grpc://(?P<netloc>[^/]+)/(?P<name>[^/:,]+)" + _SPEC + r"/?")
TRANSIENT_HTTP = {429, 502, 503, 504}

DT_FLOAT, DT_INT32, DT_STRING = 1, 3, 7


def parse_url(url: str) -> dict:
    """-> {"protocol": "http"|"https"|"grpc", "netloc", "name", "version", "label"}."""
    m = _HTTP_URL.fullmatch(url)
    if m:
        protocol = m.group("scheme")
    else:
        m = _GRPC_URL.fullmatch(url)
        protocol = "grpc"
    if not m:
        raise ServingError(f"{url!r} is not a TF Serving URL: use http://HOST:8501/v1/models/NAME"
                           f"[/versions/N|/labels/L] or grpc://HOST:8500/NAME[/versions/N|/labels/L]")
    return {"protocol": protocol, "netloc": m.group("netloc"), "name": m.group("name"),
            "version": int(m.group("version")) if m.group("version") else None, "label": m.group("label")}


def split_options(spec: str):
    """``"URL,key=value,..."`` -> (URL, {key: value})."""
    url, *parts = spec.split(",")
    options = {}
    for part in parts:
        key, eq, value = part.partition("=")
        if not eq or not key.strip():
            raise ServingError(f"option {part!r} in {spec!r} is not key=value")
        options[key.strip()] = value.strip()
    return url.strip(), options


class Signature:
    """Inputs and outputs of one signature: name -> (dtype enum, shape list or None)."""

    def __init__(self, name, inputs: dict, outputs: dict):
        self.name, self.inputs, self.outputs = name, inputs, outputs

    @classmethod
    def from_proto(cls, name, sig):
        def tensors(infos):
            return {k: (v.dtype, None if v.tensor_shape.unknown_rank else [d.size for d in v.tensor_shape.dim])
                    for k, v in infos.items()}

        return cls(name, tensors(sig.inputs), tensors(sig.outputs))

    @classmethod
    def from_json(cls, name, sig: dict):
        from tensorflow.core.framework import types_pb2

        def tensors(infos):
            out = {}
            for k, v in (infos or {}).items():
                shape = v.get("tensor_shape", {})
                dims = None if shape.get("unknown_rank") else [int(d.get("size", -1)) for d in shape.get("dim", [])]
                out[k] = (types_pb2.DataType.Value(v.get("dtype", "DT_INVALID")), dims)
            return out

        return cls(name, tensors(sig.get("inputs")), tensors(sig.get("outputs")))


class ServingClient:
    """One model endpoint; thread-safe (one HTTP connection per thread, one shared gRPC channel)."""

    def __init__(self, url: str, timeout: float = 60.0, retries: int = 4, backoff: float = 0.25):
        self.url = url.rstrip("/")
        self.parts = parse_url(self.url)
        self.protocol = self.parts["protocol"]
        self.timeout, self.retries, self.backoff = timeout, retries, backoff
        self._local = threading.local()
        self._channel = None
        self._signatures = None

    # --- transport ---------------------------------------------------------------------------------------

    def _with_retries(self, what: str, attempt_fn):
        delay = self.backoff
        last = None
        for attempt in range(self.retries + 1):
            try:
                return attempt_fn()
            except _Transient as err:
                last = err
                if attempt < self.retries:
                    time.sleep(delay)
                    delay *= 2
        raise ServingError(f"TF Serving endpoint {self.url} is not reachable ({what}): {last} "
                           f"(tried {self.retries + 1} times)")

    def _http_connection(self):
        conn = getattr(self._local, "conn", None)
        if conn is None:
            cls = http.client.HTTPSConnection if self.protocol == "https" else http.client.HTTPConnection
            conn = cls(self.parts["netloc"], timeout=self.timeout)
            self._local.conn = conn
        return conn

    def _http(self, method: str, path: str, body: bytes = None):
        def attempt():
            conn = self._http_connection()
            try:
                conn.request(method, path, body=body,
                             headers={"Content-Type": "application/json"} if body is not None else {})
                response = conn.getresponse()
                data = response.read()
            except (ConnectionError, http.client.HTTPException, OSError) as err:
                conn.close()
                self._local.conn = None
                raise _Transient(f"{type(err).__name__}: {err}") from None
            if response.status in TRANSIENT_HTTP:
                raise _Transient(f"HTTP {response.status}: {_error_text(data)}")
            return response.status, data

        status, data = self._with_retries(f"{method} {path}", attempt)
        if status != 200:
            raise ServingError(f"TF Serving endpoint {self.url} answered HTTP {status}: {_error_text(data)}")
        try:
            return json.loads(data)
        except ValueError:
            raise ServingError(f"TF Serving endpoint {self.url} answered something that is not JSON: "
                               f"{data[:80]!r}") from None

    def _model_path(self) -> str:
        p = self.parts
        path = f"/v1/models/{urllib.parse.quote(p['name'])}"
        if p["version"] is not None:
            path += f"/versions/{p['version']}"
        elif p["label"]:
            path += f"/labels/{urllib.parse.quote(p['label'])}"
        return path

    def _grpc_call(self, method: str, request):
        import grpc

        if self._channel is None:
            options = [("grpc.max_receive_message_length", 256 * 1024 * 1024),
                       ("grpc.max_send_message_length", 256 * 1024 * 1024)]
            self._channel = grpc.insecure_channel(self.parts["netloc"], options=options)
        from tensorflow_serving.apis import prediction_service_pb2_grpc

        stub = prediction_service_pb2_grpc.PredictionServiceStub(self._channel)
        transient = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED,
                     grpc.StatusCode.RESOURCE_EXHAUSTED}

        def attempt():
            try:
                return getattr(stub, method)(request, timeout=self.timeout)
            except grpc.RpcError as err:
                if err.code() in transient:
                    raise _Transient(f"{err.code().name}: {err.details()}") from None
                raise ServingError(f"TF Serving endpoint {self.url} answered {err.code().name}: "
                                   f"{err.details()}") from None

        return self._with_retries(method, attempt)

    def _grpc_spec(self, spec):
        p = self.parts
        spec.name = p["name"]
        if p["version"] is not None:
            spec.version.value = p["version"]
        elif p["label"]:
            spec.version_label = p["label"]

    def close(self):
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
        if self._channel is not None:
            self._channel.close()
            self._channel = None

    # --- API ---------------------------------------------------------------------------------------------

    def signatures(self) -> dict:
        """name -> Signature, from the model's metadata (cached)."""
        if self._signatures is None:
            if self.protocol == "grpc":
                from tensorflow_serving.apis import get_model_metadata_pb2

                request = get_model_metadata_pb2.GetModelMetadataRequest(metadata_field=["signature_def"])
                self._grpc_spec(request.model_spec)
                response = self._grpc_call("GetModelMetadata", request)
                sig_map = get_model_metadata_pb2.SignatureDefMap()
                response.metadata["signature_def"].Unpack(sig_map)
                sigs = {k: Signature.from_proto(k, v) for k, v in sig_map.signature_def.items()}
            else:
                doc = self._http("GET", self._model_path() + "/metadata")
                raw = doc.get("metadata", {}).get("signature_def", {}).get("signature_def", {})
                sigs = {k: Signature.from_json(k, v) for k, v in raw.items()}
            self._signatures = {k: v for k, v in sigs.items() if not k.startswith("__")}
        return self._signatures

    def card(self):
        """The tfskin model card (``tfskin serve`` only; None from TF Serving or over gRPC)."""
        if self.protocol == "grpc":
            return None
        try:
            return self._http("GET", self._model_path() + "/card")
        except ServingError:
            return None

    def predict(self, signature: str, inputs: dict, output_filter=None) -> dict:
        """NumPy inputs -> NumPy outputs (DT_STRING outputs as object arrays of bytes)."""
        if self.protocol == "grpc":
            return self._predict_grpc(signature, inputs, output_filter)
        return self._predict_rest(signature, inputs, output_filter)

    def _predict_rest(self, signature, inputs, output_filter):
        sig = self.signatures().get(signature)
        payload = {"signature_name": signature, "inputs": {k: _to_json(v) for k, v in inputs.items()}}
        doc = self._http("POST", self._model_path() + ":predict", json.dumps(payload).encode("utf-8"))
        outputs = doc.get("outputs")
        names = sorted(sig.outputs) if sig is not None else []
        if not isinstance(outputs, dict) or (len(names) == 1 and names[0] not in outputs):
            outputs = {names[0] if names else "output": outputs}
        result = {}
        for name, value in outputs.items():
            if output_filter and name not in output_filter:
                continue
            dtype = sig.outputs[name][0] if sig is not None and name in sig.outputs else None
            result[name] = _from_json(value, dtype)
        return result

    def _predict_grpc(self, signature, inputs, output_filter):
        import tensorflow as tf
        from tensorflow_serving.apis import predict_pb2

        request = predict_pb2.PredictRequest()
        self._grpc_spec(request.model_spec)
        request.model_spec.signature_name = signature
        for name, value in inputs.items():
            request.inputs[name].CopyFrom(tf.make_tensor_proto(value))
        if output_filter:
            request.output_filter.extend(output_filter)
        response = self._grpc_call("Predict", request)
        return {name: tf.make_ndarray(tensor) for name, tensor in response.outputs.items()}


class _Transient(Exception):
    pass


def _error_text(data: bytes) -> str:
    try:
        return json.loads(data)["error"]
    except (ValueError, KeyError, TypeError):
        return data[:200].decode("utf-8", errors="replace")


def _to_json(arr):
    arr = np.asarray(arr)
    if arr.dtype == object or arr.dtype.kind in "SU":
        flat = [{"b64": base64.b64encode(v if isinstance(v, bytes) else str(v).encode()).decode("ascii")}
                for v in arr.reshape(-1)]
        out = np.empty(len(flat), dtype=object)
        out[:] = flat
        return out.reshape(arr.shape).tolist()
    return arr.tolist()


def _decode_b64(value):
    if isinstance(value, dict) and "b64" in value:
        return base64.b64decode(value["b64"])
    if isinstance(value, list):
        return [_decode_b64(v) for v in value]
    return value.encode("utf-8") if isinstance(value, str) else value


def _from_json(value, dtype):
    if dtype == DT_STRING:
        decoded = _decode_b64(value)
        shape = []
        probe = decoded
        while isinstance(probe, list):
            shape.append(len(probe))
            probe = probe[0] if probe else None
        out = np.empty(int(np.prod(shape)) if shape else 1, dtype=object)
        flat = []

        def walk(v):
            if isinstance(v, list):
                for x in v:
                    walk(x)
            else:
                flat.append(v)

        walk(decoded)
        out[:] = flat
        return out.reshape(shape) if shape else out[0]
    arr = np.asarray(value)
    if dtype == DT_FLOAT:
        return arr.astype(np.float32)
    if dtype == DT_INT32:
        return arr.astype(np.int32)
    return arr


def decode_pngs(blobs, mode: str = "RGB") -> np.ndarray:
    """PNG bytes (N,) -> uint8 (N, H, W, C) (``mode`` "L": (N, H, W, 1))."""
    from PIL import Image

    images = []
    for data in blobs:
        with Image.open(io.BytesIO(data)) as im:
            images.append(np.asarray(im.convert(mode)))
    arr = np.stack(images) if images else np.zeros((0, 1, 1, 3 if mode == "RGB" else 1), np.uint8)
    return arr[..., np.newaxis] if arr.ndim == 3 else arr


class ServingGenerator:
    """A noise-to-image model behind an endpoint, sampled like the ``savedmodel:`` source: noise drawn with
    ``np.random.default_rng(seed).standard_normal((n, latent_dim))``, an int32 ``label`` per example for
    class-conditional signatures, requests of ``batch_size`` (default: the shipped TF Serving ``max_batch_size``;
    a server that answers with a smaller limit gets requests split to it); PNG signatures (``<signature>_png``) are used
    when the model has them (the PNG rounding equals ``tfskin.imaging.to_uint8``, so images are identical)."""

    def __init__(self, url: str, signature: str = "generate", batch_size: int = MAX_BATCH_SIZE,
                 prefer_png: bool = True, client: ServingClient = None):
        self.client = client or ServingClient(url)
        self.url = self.client.url
        signatures = self.client.signatures()
        if signature not in signatures:
            raise ServingError(f"TF Serving endpoint {self.url} has no signature {signature!r}; it has "
                               f"{', '.join(sorted(signatures))}")
        base = signatures[signature]
        if "noise" not in base.inputs:
            raise ServingError(f"signature {signature!r} of {self.url} takes {', '.join(sorted(base.inputs))}, "
                               f"not noise")
        self.signature = signature
        png = signatures.get(signature + "_png")
        self.use_png = bool(prefer_png and png is not None and "image_png_bytes" in png.outputs)
        self.request_signature = signature + "_png" if self.use_png else signature
        self.latent_dim = int(base.inputs["noise"][1][-1])
        self.conditional = "label" in base.inputs
        self.has_masks = "mask" in base.outputs
        self.batch_size = int(batch_size)
        card = self.client.card() or {}
        self.card = card
        data = card.get("data") or {}
        self.classes = tuple(data.get("classes") or ())

    def sample(self, n: int, seed: int, label_index: int = None) -> dict:
        if self.conditional and label_index is None:
            raise ServingError(f"{self.url} is class-conditional (its signature takes a label): name the class, "
                               f"e.g. serving:{self.url},label=MEL")
        noise = np.random.default_rng(seed).standard_normal((n, self.latent_dim)).astype(np.float32)
        parts, start = [], 0
        while start < n:
            chunk = {"noise": noise[start:start + self.batch_size]}
            if self.conditional:
                chunk["label"] = np.full(len(chunk["noise"]), label_index, np.int32)
            try:
                parts.append(self._request(chunk))
            except ServingError as err:  # a server batching with a smaller max_batch_size: split to its limit
                limit = server_batch_limit(str(err))
                if limit is None or not 0 < limit < len(chunk["noise"]):
                    raise
                self.batch_size = limit
                continue
            start += len(chunk["noise"])
        return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}

    def _request(self, chunk: dict) -> dict:
        if self.use_png:
            wanted = ["image_png_bytes"] + (["mask_png_bytes"] if self.has_masks else [])
            out = self.client.predict(self.request_signature, chunk, output_filter=wanted)
            result = {"image": decode_pngs(out["image_png_bytes"], "RGB")}
            if self.has_masks:
                result["mask"] = decode_pngs(out["mask_png_bytes"], "L")
            return result
        wanted = ["image"] + (["mask"] if self.has_masks else [])
        out = self.client.predict(self.request_signature, chunk, output_filter=wanted)
        return {k: np.asarray(out[k], np.float32) for k in wanted}
