"""Per-request limits of ``tfskin serve``: how many examples one request may carry, and how large a REST
response may grow (a few bytes of noise in can mean megabytes of JSON floats out).

The batch cap answers as TF Serving's batcher does ("Task size N is larger than maximum input batch size M",
INVALID_ARGUMENT / HTTP 400). For signatures whose outputs have a known size per example, the cap is lowered so
that a JSON response stays under ``max_response_bytes``; outputs of unknown size are measured once computed.
"""

from dataclasses import dataclass

import numpy as np

from tfskin.serving.batching import MAX_BATCH_SIZE
from tfskin.serving.errors import invalid

DEFAULT_MAX_BATCH = MAX_BATCH_SIZE  # the shipped TF Serving max_batch_size and the `serving:` client's request size
DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024
# Upper bounds of the JSON text per element, separator included ("-0.123456791, " is 14 characters).
JSON_BYTES_PER_FLOAT = 16
JSON_BYTES_PER_INT = 13
DT_FLOAT, DT_DOUBLE, DT_HALF, DT_BFLOAT16, DT_STRING = 1, 2, 19, 14, 7


@dataclass(frozen=True)
class RequestLimits:
    max_batch: int = DEFAULT_MAX_BATCH
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES

    def batch_cap(self, signature=None) -> int:
        """The largest batch a request to ``signature`` (a SignatureDef) may carry."""
        per_example = example_json_bytes(signature) if signature is not None else 0
        if per_example:
            return max(1, min(self.max_batch, self.max_response_bytes // per_example))
        return self.max_batch

    def check_batch(self, batch: int, signature=None):
        cap = self.batch_cap(signature)
        if batch > cap:
            why = "" if cap == self.max_batch else (
                f" (a larger batch's response would exceed {self.max_response_bytes} bytes; "
                f"tfskin serve --max-response-bytes)")
            raise invalid(f"Task size {batch} is larger than maximum input batch size {cap}{why}")

    def check_response(self, outputs: dict):
        """Refuse outputs whose JSON text would exceed the response limit, before writing it."""
        size = sum(_array_json_bytes(np.asarray(v)) for v in outputs.values())
        if size > self.max_response_bytes:
            raise invalid(f"Response of about {size} bytes exceeds the limit of {self.max_response_bytes} bytes "
                          f"(tfskin serve --max-response-bytes); send fewer examples per request")


def example_json_bytes(signature) -> int:
    """Bytes of JSON per example for the outputs of known size (strings and unknown dimensions count 0)."""
    total = 0
    for info in signature.outputs.values():
        if info.tensor_shape.unknown_rank or info.dtype == DT_STRING:
            continue
        dims = [d.size for d in info.tensor_shape.dim][1:]
        if any(d < 0 for d in dims):
            continue
        per = JSON_BYTES_PER_FLOAT if info.dtype in (DT_FLOAT, DT_DOUBLE, DT_HALF, DT_BFLOAT16) else JSON_BYTES_PER_INT
        total += per * int(np.prod(dims, dtype=np.int64))
    return total


def _array_json_bytes(arr: np.ndarray) -> int:
    if arr.dtype == object:
        return sum(len(v) * 4 // 3 + 16 for v in arr.reshape(-1) if isinstance(v, (bytes, str)))
    return arr.size * (JSON_BYTES_PER_FLOAT if arr.dtype.kind == "f" else JSON_BYTES_PER_INT)


DEFAULT_REQUEST_LIMITS = RequestLimits()
