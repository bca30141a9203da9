"""TF Serving request batching for exported models: one batch limit for the deployment files and the clients.

The shipped deployment runs ``tensorflow_model_server --enable_batching --enable_per_model_batching_parameters``:
a model is batched only when its version folder holds ``batching_params.pbtxt``. ``tfskin export`` writes that
file for models whose every signature takes fixed-size inputs (noise, labels, label maps of the trained size)
and leaves it out for models that take any image size (CycleGAN's ``translate_*``): TF Serving's batcher
concatenates concurrent requests along dimension 0, so two requests of different H x W cannot share a batch,
and padding them (``pad_variable_length_inputs``) would change the translated pixels and the output size.

TF Serving refuses a request larger than ``max_batch_size`` ("Task size N is larger than maximum input batch
size M"), so the ``serving:`` client sends at most ``MAX_BATCH_SIZE`` examples per request by default and, when
a server answers with a smaller limit, splits its requests to that limit.
"""

import re

MAX_BATCH_SIZE = 64
ALLOWED_BATCH_SIZES = (1, 2, 4, 8, 16, 32, MAX_BATCH_SIZE)
BATCH_TIMEOUT_MICROS = 2000
MAX_ENQUEUED_BATCHES = 100
PER_MODEL_FILE = "batching_params.pbtxt"

_LIMIT_MESSAGE = re.compile(r"larger than maximum (?:input )?batch size (\d+)", re.IGNORECASE)


def batching_params_text() -> str:
    """The ``batching_params.pbtxt`` written next to a batchable SavedModel (TF Serving's BatchingParameters)."""
    lines = ["# TF Serving per-model batching (--enable_per_model_batching_parameters), written by tfskin export.",
             f"max_batch_size {{ value: {MAX_BATCH_SIZE} }}",
             f"batch_timeout_micros {{ value: {BATCH_TIMEOUT_MICROS} }}",
             f"max_enqueued_batches {{ value: {MAX_ENQUEUED_BATCHES} }}"]
    lines += [f"allowed_batch_sizes: {size}" for size in ALLOWED_BATCH_SIZES]
    lines.append("pad_variable_length_inputs: false")
    return "\n".join(lines) + "\n"


def fixed_size_inputs(signatures: dict) -> bool:
    """Whether every input of every signature (``{name: (fn, [TensorSpec, ...])}``) has a known size in every
    dimension after the batch dimension: only then can TF Serving merge concurrent requests into one batch.
    String inputs count as variable-size (PNG bytes of an image of any size)."""
    for _, specs in signatures.values():
        for spec in specs:
            shape = list(spec.shape)
            if not shape or any(dim is None for dim in shape[1:]) or spec.dtype.name == "string":
                return False
    return True


def server_batch_limit(message: str):
    """The limit named in TF Serving's "Task size N is larger than maximum input batch size M" error, or None."""
    match = _LIMIT_MESSAGE.search(str(message))
    return int(match.group(1)) if match else None
