"""TF Serving's REST API over ``http.server`` (a development server; production is TF Serving itself).

Routes, as TF Serving matches them (the literal parts case-insensitively; model names and labels exactly):
  GET  /v1/models/NAME[/versions/N | /labels/L]             model status
  GET  /v1/models/NAME[/versions/N | /labels/L]/metadata    signature defs
  POST /v1/models/NAME[/versions/N | /labels/L]:predict     (:classify and :regress answer UNIMPLEMENTED)
and one route of tfskin's own:
  GET  /v1/models/NAME[/versions/N | /labels/L]/card        the model card (assets.extra/tfskin_model_card.json)
"""

import json
import logging
import re
import urllib.parse

from tfskin.serving import json_tensors, protos
from tfskin.serving.errors import ServingStatus, invalid
from tfskin.serving.limits import DEFAULT_REQUEST_LIMITS, RequestLimits
from tfskin.serving.repository import check_input_shapes

log = logging.getLogger("tfskin.serving")

_SPEC = r"(?:(?:/versions/(\d+))|(?:/labels/([^/:]+)))?"
PREDICT_PATH = re.compile(r"/v1/models/([^/:]+)" + _SPEC + r":(classify|regress|predict)", re.IGNORECASE)
STATUS_PATH = re.compile(r"/v1/models(?:/([^/:]+))?" + _SPEC + r"(?:/(metadata))?", re.IGNORECASE)
CARD_PATH = re.compile(r"/v1/models/([^/:]+)" + _SPEC + r"/card", re.IGNORECASE)

_INT64_MAX = 2**63 - 1


def _version(text):
    if not text:
        return None
    value = int(text)
    if value > _INT64_MAX:
        raise invalid(f"Failed to convert version: {text} to numeric.")
    return value


def _unquote(text):
    return urllib.parse.unquote(text) if text else text


class RestApi:
    """Request handling independent of the HTTP plumbing: (method, path, body) -> (HTTP status, JSON text)."""

    def __init__(self, repository, limits: RequestLimits = DEFAULT_REQUEST_LIMITS):
        self.repository = repository
        self.limits = limits

    def handle(self, method: str, path: str, body: bytes = b""):
        try:
            return 200, self._dispatch(method, path, body)
        except ServingStatus as err:
            return err.http_status, json_tensors.error_json(err.message)
        except Exception as err:  # a bug must not take the server down; the details (paths) stay in the log
            log.exception("internal error on %s %s", method, path)
            return 500, json_tensors.error_json(f"Internal error: {type(err).__name__} (details in the server log)")

    def _dispatch(self, method, path, body):
        path = urllib.parse.urlsplit(path).path
        malformed = invalid(f"Malformed request: {method} {path}")
        if method == "POST":
            m = PREDICT_PATH.fullmatch(path)
            if not m:
                raise malformed
            name, version, label, verb = _unquote(m.group(1)), _version(m.group(2)), _unquote(m.group(3)), m.group(4)
            if verb.lower() != "predict":
                raise ServingStatus("UNIMPLEMENTED", f"tfskin serve answers :predict only, not :{verb.lower()} "
                                                     f"(tfskin exports have no classify/regress signatures)")
            return self.predict(name, version, label, body)
        if method == "GET":
            m = CARD_PATH.fullmatch(path)
            if m:
                return self.card(_unquote(m.group(1)), _version(m.group(2)), _unquote(m.group(3)))
            m = STATUS_PATH.fullmatch(path)
            if not m:
                raise malformed
            name, version, label = _unquote(m.group(1)), _version(m.group(2)), _unquote(m.group(3))
            if not name:
                raise invalid("Missing model name in request.")
            if version is not None and label is not None:
                raise invalid(f"Both model version ({version}) and model version label ({label}) cannot be "
                              f"supplied.")
            if m.group(4):
                return protos.metadata_json(self.repository.servable(name, version, label))
            return protos.status_json(self.repository.status(name, version, label))
        raise malformed

    def predict(self, name, version, label, body: bytes) -> str:
        servable = self.repository.servable(name, version, label)
        doc = json_tensors.parse_body(body)
        signature_name = json_tensors.signature_name_of(doc)
        key = signature_name or "serving_default"
        signature = servable.signature(key)
        if signature is None:
            raise invalid(f'Serving signature name: "{key}" not found in signature def')
        if not signature.inputs:
            raise invalid(f"Failed to get input map for signature: {signature_name or 'DEFAULT'}")
        self.limits.check_batch(json_tensors.request_batch_size(doc), signature)
        inputs, fmt = json_tensors.inputs_from_request(doc, dict(signature.inputs))
        check_input_shapes(signature, inputs)
        outputs = servable.run(key, inputs)
        self.limits.check_response(outputs)
        return json_tensors.response_json(outputs, fmt)

    def card(self, name, version, label) -> str:
        servable = self.repository.servable(name, version, label)
        if servable.card is None:
            raise ServingStatus("NOT_FOUND", f"{servable.name} version {servable.version} has no model card "
                                             f"(assets.extra/tfskin_model_card.json); re-export it with tfskin")
        return json.dumps(servable.card, indent=1, sort_keys=True) + "\n"
