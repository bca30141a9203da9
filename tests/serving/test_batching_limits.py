"""Batching limits agree: the shipped batching_parameters.txt, the batching_params.pbtxt that `tfskin export`
writes, and the `serving:` client's request size; models that take any image size are exported unbatched, and
the client splits its requests to the limit a server answers with."""

import inspect
from pathlib import Path

import numpy as np
import pytest

import tfskin.sources
from tfskin.serving.batching import (
    batching_params_text,
    fixed_size_inputs,
    server_batch_limit,
)
from tfskin.serving.client import ServingGenerator, Signature
from tfskin.serving.config_protos import parse_batching_parameters
from tfskin.serving.errors import ServingError

EXPORT = Path(__file__).resolve().parents[2] / "export"
SHARED_FIELDS = ("max_batch_size", "batch_timeout_micros", "max_enqueued_batches", "allowed_batch_sizes",
                 "pad_variable_length_inputs")


def shipped():
    return parse_batching_parameters((EXPORT / "batching_parameters.txt").read_text())


def test_exported_per_model_file_matches_the_shipped_parameters():
    written, ship = parse_batching_parameters(batching_params_text()), shipped()
    for name in SHARED_FIELDS:
        assert getattr(written, name) == getattr(ship, name), name


def test_client_default_request_size_is_the_shipped_max_batch_size(monkeypatch):
    limit = shipped().max_batch_size.value
    assert inspect.signature(ServingGenerator).parameters["batch_size"].default == limit
    seen = {}

    class Generator:  # the serving: source's own default, without an endpoint
        def __init__(self, url, signature, batch_size):
            seen["batch_size"] = batch_size
            self.has_masks, self.classes, self.conditional = False, (), False

    monkeypatch.setattr(tfskin.sources, "ServingGenerator", Generator)
    tfskin.sources.ServingSource("http://127.0.0.1:1/v1/models/dcgan")
    assert seen["batch_size"] == limit


def test_only_fixed_size_signatures_are_batched():
    import tensorflow as tf

    noise = {"generate": (None, [tf.TensorSpec([None, 16], tf.float32), tf.TensorSpec([None], tf.int32)])}
    assert fixed_size_inputs(noise)
    cyclegan = {"translate_a_to_b": (None, [tf.TensorSpec([None, None, None, 3], tf.float32)])}
    png = {"translate_a_to_b_png": (None, [tf.TensorSpec([None], tf.string)])}
    assert not fixed_size_inputs({**noise, **cyclegan}) and not fixed_size_inputs(png)


@pytest.mark.slow  # builds and exports two models (~11 s)
def test_cyclegan_exports_carry_no_batching_file_and_dcgan_exports_do(tmp_path):
    from tfskin.registry import get_model
    from tfskin.serving.batching import PER_MODEL_FILE
    from tfskin.serving.export import export_model

    for name, batched in (("cyclegan", False), ("dcgan", True)):
        spec = get_model(name)
        model = spec.build(spec.presets["tiny"].model_config, spec.presets["tiny"].image_shape)
        model.build_for_training()
        path = export_model(model, tmp_path / name)
        assert (path / PER_MODEL_FILE).is_file() == batched, name


class FakeClient:
    """A TF Serving endpoint batching with max_batch_size ``limit``: a larger request gets TF Serving's 400."""

    url = "http://fake/v1/models/dcgan"

    def __init__(self, limit):
        self.limit, self.sizes = limit, []

    def signatures(self):
        return {"generate": Signature("generate", {"noise": ("DT_FLOAT", [-1, 4])}, {"image": ("DT_FLOAT", [])})}

    def card(self):
        return {}

    def predict(self, signature, inputs, output_filter=None):
        n = len(inputs["noise"])
        if n > self.limit:
            raise ServingError(f"TF Serving endpoint {self.url} answered HTTP 400: Task size {n} is larger than "
                               f"maximum input batch size {self.limit}")
        self.sizes.append(n)
        return {"image": inputs["noise"][:, None, None, :]}


def test_client_splits_requests_to_the_servers_limit():
    client = FakeClient(limit=16)
    generator = ServingGenerator(client.url, client=client, prefer_png=False)
    got = generator.sample(100, seed=1)["image"]
    want = np.random.default_rng(1).standard_normal((100, 4)).astype(np.float32)
    np.testing.assert_array_equal(got[:, 0, 0, :], want)
    assert max(client.sizes) == 16 and sum(client.sizes) == 100
    assert server_batch_limit("Task size 256 is larger than maximum input batch size 64") == 64


def test_an_unusable_limit_is_raised_not_looped_on():
    client = FakeClient(limit=0)
    with pytest.raises(ServingError, match="maximum input batch size 0"):
        ServingGenerator(client.url, client=client, prefer_png=False).sample(3, seed=0)
