"""TF Serving's JSON tensor encoding (REST ``:predict``), reproduced from its documented behaviour.

Requests: ``instances`` (row format: one entry per example, a plain value/list for one input or an object per
example for several) or ``inputs`` (columnar: a tensor, or an object of tensors). DT_STRING values may be
``{"b64": "..."}``. Responses: ``predictions`` (row) or ``outputs`` (columnar); DT_STRING outputs whose name
ends in ``_bytes`` are written as ``{"b64": ...}``; floats are written like TF Serving (shortest of %.6g and
%.9g that reads back exactly, ``.0`` on whole numbers, NaN / Infinity / -Infinity).

Error messages follow TF Serving's wording, so clients see the same text from ``tfskin serve`` and from
``tensorflow_model_server``.
"""

import base64
import binascii
import json
import math

import numpy as np

from tfskin.serving.errors import ServingStatus, invalid

# DataType enum values (tensorflow/core/framework/types.proto) and the names TF's DataTypeString prints.
DT_FLOAT, DT_DOUBLE, DT_INT32, DT_UINT8, DT_INT16, DT_INT8, DT_STRING, DT_INT64, DT_BOOL = 1, 2, 3, 4, 5, 6, 7, 9, 10
DT_UINT32, DT_UINT64 = 22, 23
DTYPE_NAMES = {DT_FLOAT: "float", DT_DOUBLE: "double", DT_INT32: "int32", DT_UINT8: "uint8", DT_INT16: "int16",
               DT_INT8: "int8", DT_STRING: "string", DT_INT64: "int64", DT_BOOL: "bool", DT_UINT32: "uint32",
               DT_UINT64: "uint64"}
NUMPY = {DT_FLOAT: np.float32, DT_DOUBLE: np.float64, DT_INT32: np.int32, DT_UINT8: np.uint8, DT_INT16: np.int16,
         DT_INT8: np.int8, DT_STRING: object, DT_INT64: np.int64, DT_BOOL: np.bool_, DT_UINT32: np.uint32,
         DT_UINT64: np.uint64}
_INT_RANGE = {DT_INT32: (-2**31, 2**31 - 1), DT_INT16: (-2**31, 2**31 - 1), DT_INT8: (-2**31, 2**31 - 1),
              DT_UINT8: (-2**31, 2**31 - 1), DT_INT64: (-2**63, 2**63 - 1), DT_UINT32: (0, 2**32 - 1),
              DT_UINT64: (0, 2**64 - 1)}
_FLOAT_MAX_INT = {DT_FLOAT: 2**24 - 1, DT_DOUBLE: 2**53 - 1}
_FLOAT_MAX = {DT_FLOAT: float(np.finfo(np.float32).max), DT_DOUBLE: float(np.finfo(np.float64).max)}


# --- writing values in error messages (rapidjson's PrettyWriter layout: 4-space indent) ---------------------

def json_text(value) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return json.dumps(value, indent=4, ensure_ascii=False)


def type_name(value) -> str:
    if value is None:
        return "Null"
    if value is True:
        return "True"
    if value is False:
        return "False"
    if isinstance(value, dict):
        return "Object"
    if isinstance(value, list):
        return "Array"
    if isinstance(value, str):
        return "String"
    return "Number"


def format_error(value, *parts) -> ServingStatus:
    return invalid(f"JSON Value: {json_text(value)} " + "".join(parts))


def _type_error(value, dtype) -> ServingStatus:
    return invalid(f"JSON Value: {json_text(value)} Type: {type_name(value)} is not of expected type: "
                   f"{DTYPE_NAMES.get(dtype, str(dtype))}")


# --- parsing --------------------------------------------------------------------------------------------------

def parse_body(body: bytes) -> dict:
    """The request document; errors as TF Serving words them."""
    if not body:
        raise invalid("JSON Parse error: The document is empty")
    try:
        text = body.decode("utf-8")
        doc = json.loads(text)
    except UnicodeDecodeError as err:
        raise invalid(f"JSON Parse error: Invalid encoding in string. at offset: {err.start}") from None
    except json.JSONDecodeError as err:
        raise invalid(f"JSON Parse error: {_rapidjson_reason(err)} at offset: {err.pos}") from None
    except RecursionError:
        raise invalid("JSON Parse error: The document is nested too deeply.") from None
    if not isinstance(doc, dict):
        raise format_error(doc, "Is not object")
    return doc


def _rapidjson_reason(err) -> str:
    msg = err.msg
    if msg.startswith("Expecting value"):
        return "Invalid value."
    if msg.startswith("Extra data"):
        return "The document root must not be followed by other values."
    if "property name" in msg:
        return "Missing a name for object member."
    if msg.startswith("Expecting ':'"):
        return "Missing a colon after a name of object member."
    if msg.startswith("Expecting ','"):
        return "Missing a comma or '}' after an object member."
    if msg.startswith("Unterminated string"):
        return "Missing a closing quotation mark in string."
    return msg + "."


def signature_name_of(doc: dict) -> str:
    if "signature_name" in doc:
        if not isinstance(doc["signature_name"], str):
            raise format_error(doc, "not formatted correctly. 'signature_name' key must be a string value.")
        return doc["signature_name"]
    return ""


def is_b64(value) -> bool:
    return isinstance(value, dict) and len(value) == 1 and isinstance(value.get("b64"), str)


def _dense_shape(value) -> list:
    shape = []
    while isinstance(value, list):
        shape.append(len(value))
        if not value:
            break
        value = value[0]
    return shape


def _scalar(value, dtype, level: int, rank: int):
    if level != rank:
        raise invalid(f"JSON Value: {json_text(value)} found at incorrect level: {level + 1} in the JSON DOM. "
                      f"Expected at level: {rank}")
    if isinstance(value, dict):
        if dtype != DT_STRING:
            raise _type_error(value, dtype)
        if not is_b64(value):
            raise invalid(f"JSON Value: {json_text(value)} not formatted correctly for base64 data")
        try:
            return base64.b64decode(value["b64"].encode("ascii"), validate=False)
        except (binascii.Error, ValueError, UnicodeEncodeError):
            raise invalid("Unable to base64 decode") from None
    if dtype in (DT_FLOAT, DT_DOUBLE):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _type_error(value, dtype)
        if isinstance(value, int) and abs(value) > _FLOAT_MAX_INT[dtype]:
            raise invalid(f"Cannot convert JSON value: {json_text(value)} to {DTYPE_NAMES[dtype]} without loss "
                          f"of precision.")
        if isinstance(value, float) and math.isfinite(value) and abs(value) > _FLOAT_MAX[dtype]:
            raise invalid(f"Cannot convert JSON value: {json_text(value)} to {DTYPE_NAMES[dtype]} without loss "
                          f"of precision.")
        return value
    if dtype in _INT_RANGE:
        lo, hi = _INT_RANGE[dtype]
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            raise _type_error(value, dtype)
        return value
    if dtype == DT_STRING:
        if not isinstance(value, str):
            raise _type_error(value, dtype)
        return value.encode("utf-8")
    if dtype == DT_BOOL:
        if not isinstance(value, bool):
            raise _type_error(value, dtype)
        return value
    raise ServingStatus("UNIMPLEMENTED", f"Conversion of JSON Value: {json_text(value)} to type: {dtype}")


def _fill(value, level: int, shape: list, dtype, out: list):
    rank = len(shape)
    if not isinstance(value, list):
        out.append(_scalar(value, dtype, level, rank))
        return
    if level >= rank:
        raise invalid(f"Encountered list at unexpected level: {level} expected < {rank}")
    if len(value) != shape[level]:
        raise invalid(f"Encountered list at unexpected size: {len(value)} at level: {level} expected size: "
                      f"{shape[level]}")
    for v in value:
        _fill(v, level + 1, shape, dtype, out)


def _fast_array(value, dtype, shape):
    """The common case (a well-formed numeric tensor) converted by NumPy in one go, or None to take the
    element-by-element path (which produces TF Serving's error messages)."""
    if dtype not in (DT_FLOAT, DT_DOUBLE, DT_INT32, DT_INT64) or not shape or 0 in shape:
        return None
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError):
        return None
    if list(arr.shape) != shape:
        return None
    if dtype in (DT_FLOAT, DT_DOUBLE):
        if arr.dtype.kind == "f":
            finite = arr[np.isfinite(arr)]
            # beyond the exact-integer range a JSON integer may be lossy: the slow path tells ints from floats
            if finite.size and np.abs(finite).max() > _FLOAT_MAX_INT[dtype]:
                return None
        elif arr.dtype.kind == "i":
            if arr.size and np.abs(arr).max() > _FLOAT_MAX_INT[dtype]:
                return None
        else:
            return None
    elif arr.dtype.kind != "i":
        return None
    else:
        lo, hi = _INT_RANGE[dtype]
        if arr.size and (arr.min() < lo or arr.max() > hi):
            return None
    return arr.astype(NUMPY[dtype])


def tensor_from_json(value, dtype):
    """One JSON tensor (nested lists of scalars / b64 objects) -> (NumPy array, shape list, element count)."""
    shape = _dense_shape(value)
    fast = _fast_array(value, dtype, shape)
    if fast is not None:
        return fast, shape, fast.size
    flat: list = []
    _fill(value, 0, shape, dtype, flat)
    arr = np.empty(len(flat), dtype=object) if dtype == DT_STRING else np.asarray(flat, dtype=NUMPY[dtype])
    if dtype == DT_STRING:
        arr[:] = flat
    return arr.reshape(shape), shape, len(flat)


def _status_string(err: ServingStatus) -> str:
    return err.to_string()


def inputs_from_request(doc: dict, input_infos: dict):
    """(inputs alias -> array, "row" | "columnar") from a parsed request; ``input_infos`` alias -> TensorInfo."""
    has_instances, has_inputs = "instances" in doc, "inputs" in doc
    if has_instances and has_inputs:
        raise format_error(doc, "Not formatted correctly expecting only one of 'inputs' or 'instances' keys to exist ")
    if has_instances:
        instances = doc["instances"]
        if not isinstance(instances, list):
            raise format_error(doc, "Excepting 'instances' to be an list/array")
        if not instances:
            raise format_error(doc, "No values in 'instances' array")
        return _from_instances(instances, input_infos), "row"
    if has_inputs:
        return _from_inputs(doc["inputs"], input_infos), "columnar"
    raise invalid("Missing 'inputs' or 'instances' key")


def _from_instances(instances: list, infos: dict) -> dict:
    def is_element_object(v):
        return isinstance(v, dict) and not is_b64(v)

    if not isinstance(instances[0], dict) and len(infos) > 1:
        raise invalid("instances is a plain list, but expecting list of objects as multiple input tensors "
                      "required as per tensorinfo_map")
    objects = is_element_object(instances[0])
    names = sorted(infos)
    columns = {name: [] for name in names}
    shapes, sizes = {}, {}

    def add(value, name, index, keyed):
        if name not in infos:
            raise invalid(f"JSON object: does not have named input: {name}")
        arr, shape, size = tensor_from_json(value, infos[name].dtype)
        if name not in sizes:
            sizes[name], shapes[name] = size, shape
        elif sizes[name] != size:
            raise invalid(f"Expecting tensor size: {sizes[name]} but got: {size}")
        elif shapes[name] != shape:
            raise invalid(f"Expecting shape [{','.join(map(str, shapes[name]))}] but got: "
                          f"[{','.join(map(str, shape))}]")
        columns[name].append(arr)

    for i, elem in enumerate(instances):
        if objects:
            if not is_element_object(elem):
                raise invalid(f"Expecting object but got list at item {i} of input list")
            for key, value in elem.items():
                try:
                    add(value, key, i, True)
                except ServingStatus as err:
                    raise invalid(f"Failed to process element: {i} key: {key} of 'instances' list. Error: "
                                  f"{_status_string(err)}") from None
            if set(elem) != set(names):
                raise invalid(f"Failed to process element: {i} of 'instances' list. JSON object: "
                              f"{json_text(elem)} must only have keys: {','.join(names)}")
        else:
            if is_element_object(elem):
                raise invalid(f"Expecting value/list but got object at item {i} of input list")
            try:
                add(elem, names[0], i, False)
            except ServingStatus as err:
                raise invalid(f"Failed to process element: {i} of 'instances' list. Error: "
                              f"{_status_string(err)}") from None
    return {name: _stack(values) for name, values in columns.items() if values}


def _stack(values: list) -> np.ndarray:
    """Per-example arrays -> one batch. Scalars are unwrapped first: NumPy would otherwise build an object array
    of 0-d arrays from string scalars (b64 or plain), which TensorFlow cannot convert."""
    if values[0].ndim:
        return np.stack(values)
    out = np.empty(len(values), dtype=values[0].dtype)
    out[:] = [v.item() for v in values]
    return out


def request_batch_size(doc: dict) -> int:
    """The number of examples a parsed request carries (before converting it): the length of ``instances``, or
    the largest dimension 0 of the ``inputs`` tensors (0 when that cannot be told)."""
    if isinstance(doc.get("instances"), list):
        return len(doc["instances"])
    value = doc.get("inputs")
    tensors = value.values() if isinstance(value, dict) and not is_b64(value) else [value]
    return max((len(t) for t in tensors if isinstance(t, list)), default=0)


def _from_inputs(value, infos: dict) -> dict:
    if not isinstance(value, dict) or is_b64(value):
        if len(infos) > 1:
            raise invalid("inputs is a plain value/list, but expecting an object as multiple input tensors required "
                          "as per tensorinfo_map")
        name = next(iter(infos))
        return {name: tensor_from_json(value, infos[name].dtype)[0]}
    out = {}
    for name in sorted(infos):
        if name not in value:
            raise invalid(f"Missing named input: {name} in 'inputs' object.")
        out[name] = tensor_from_json(value[name], infos[name].dtype)[0]
    return out


# --- writing responses ----------------------------------------------------------------------------------------

def _float_strings(arr: np.ndarray) -> np.ndarray:
    """TF Serving's decimal format for each element (see the module docstring), formatted in bulk."""
    flat = arr.ravel()
    values = flat.astype(np.float64).tolist()
    digits = 17 if arr.dtype == np.float64 else 9
    parts = (("%g\x00" * len(values)) % tuple(values)).split("\x00")[:-1]
    back = np.array(parts, dtype=np.float64).astype(arr.dtype)
    finite = np.isfinite(flat)
    for i in np.flatnonzero(finite & (back != flat)):  # %g lost digits: full precision
        parts[i] = "%.*g" % (digits, values[i])
    for i in np.flatnonzero(~finite):
        v = values[i]
        parts[i] = "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")
    out = np.empty(len(parts), dtype=object)
    out[:] = [p if ("." in p or "e" in p or "N" in p or "I" in p) else p + ".0" for p in parts]
    return out.reshape(arr.shape)


def _leaf_strings(arr: np.ndarray, as_bytes: bool) -> np.ndarray:
    if arr.dtype.kind == "f":
        return _float_strings(arr)
    if arr.dtype == np.bool_:
        return np.where(arr, "true", "false").astype(object)
    if arr.dtype.kind in "iu":
        return arr.astype(str).astype(object)
    out = np.empty(arr.shape, dtype=object)
    flat = out.reshape(-1)
    for i, v in enumerate(arr.reshape(-1)):
        data = v if isinstance(v, bytes) else str(v).encode("utf-8")
        if as_bytes:
            flat[i] = '{"b64": "' + base64.b64encode(data).decode("ascii") + '"}'
        else:
            flat[i] = json.dumps(data.decode("utf-8", errors="replace"), ensure_ascii=False)
    return out


def _nest(strings) -> str:
    if not isinstance(strings, np.ndarray):
        return strings
    if strings.ndim == 0:
        return strings.item()
    if strings.ndim == 1:
        return "[" + ", ".join(strings.tolist()) + "]"
    return "[" + ", ".join(_nest(s) for s in strings) + "]"


def response_json(outputs: dict, fmt: str) -> str:
    """``{"predictions": ...}`` (row) or ``{"outputs": ...}`` (columnar) for alias -> NumPy array."""
    if not outputs:
        raise invalid("Cannot convert empty tensor map to JSON")
    names = sorted(outputs)
    texts = {name: _leaf_strings(np.asarray(outputs[name]), name.endswith("_bytes")) for name in names}
    if fmt == "columnar":
        if len(names) == 1:
            return '{\n    "outputs": ' + _nest(texts[names[0]]) + "\n}"
        body = ",\n        ".join(f"{json.dumps(n)}: {_nest(texts[n])}" for n in names)
        return '{\n    "outputs": {\n        ' + body + "\n    }\n}"
    batch = 0
    for name in names:
        arr = texts[name]
        if arr.ndim == 0:
            raise invalid(f"Tensor name: {name} has no shape information ")
        if arr.shape[0] < 1:
            raise invalid(f"Tensor name: {name} has invalid batch size: {arr.shape[0]}")
        if batch and arr.shape[0] != batch:
            raise invalid(f"Tensor name: {name} has inconsistent batch size: {arr.shape[0]} expecting: {batch}")
        batch = arr.shape[0]
    rows = []
    for i in range(batch):
        if len(names) == 1:
            rows.append(_nest(texts[names[0]][i]))
        else:
            rows.append("{" + ", ".join(f"{json.dumps(n)}: {_nest(texts[n][i])}" for n in names) + "}")
    return '{\n    "predictions": [\n        ' + ",\n        ".join(rows) + "\n    ]\n}"


def error_json(message: str) -> str:
    return json.dumps({"error": message})
