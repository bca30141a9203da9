"""``tfskin serve``, ``tfskin translate`` and ``tfskin serving-config`` (registered by ``tfskin.cli``).

The parser is built without TensorFlow (start-up time): every heavy import happens inside a command.
"""

import argparse

from tfskin.config import count_type
from tfskin.serving.batching import MAX_BATCH_SIZE as DEFAULT_MAX_BATCH


def _cmd_serve(args):
    # Imported here, not at module top: the CLI builds its parser without TensorFlow (start-up time).
    from tfskin.serving.http_server import HttpLimits
    from tfskin.serving.limits import RequestLimits
    from tfskin.serving.server import Server, configure_logging, serve_forever

    configure_logging()
    http_limits = HttpLimits(max_body_bytes=args.max_body_bytes, threads=args.rest_api_num_threads,
                             max_connections=args.max_connections, header_timeout=args.header_timeout_seconds,
                             body_timeout=args.body_timeout_seconds)
    request_limits = RequestLimits(max_batch=args.max_batch, max_response_bytes=args.max_response_bytes)
    server = Server(args.model_base, host=args.host, port=args.port,
                    grpc_port=None if args.grpc_port < 0 else args.grpc_port,
                    model_config_file=args.model_config_file, poll_seconds=args.poll_seconds,
                    config_poll_seconds=args.model_config_file_poll_wait_seconds,
                    http_limits=http_limits, request_limits=request_limits)
    return serve_forever(server)


def _cmd_serving_config(args):
    # Imported here for start-up time (this module is imported to build the parser).
    from tfskin.serving.models_config import write_models_config

    out = write_models_config(args.model_base, args.out, container_base=args.container_base, label=args.label)
    print(f"wrote {out} for the models under {args.model_base}")
    return 0


def _check_translate(args):
    """Before TensorFlow is imported: the flags go together and the input folders exist."""
    from pathlib import Path

    from tfskin.errors import BadInputError

    if args.instance_maps and not args.label_maps:
        raise BadInputError("--instance-maps goes with --label-maps (pix2pixHD)")
    for flag, folder in (("--input", args.input), ("--label-maps", args.label_maps),
                         ("--instance-maps", args.instance_maps)):
        if folder and not Path(folder).is_dir():
            raise BadInputError(f"{flag}: input folder {folder} not found")


def _cmd_translate(args):
    # Imported here for start-up time (this module is imported to build the parser).
    from tfskin.serving.translate import functions_caller, run_translate

    caller = None
    if args.run:  # the CLI layer may use the training code; tfskin.serving itself does not
        from tfskin.runs import load_trained_model

        config, model = load_trained_model(args.run)
        import tensorflow as tf

        # Traced with the export's input specs, as in the SavedModel (unknown sizes: any image size).
        functions = {name: tf.function(fn, input_signature=specs)
                     for name, (fn, specs) in model.export_signatures().items()}
        caller = functions_caller(functions, f"run {args.run} ({config.model})")
    return run_translate(args, caller)


def _non_negative_port(text):
    value = int(text)
    if not -1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 0..65535 (0: any free port), got {text}")
    return value


def _non_negative(kind):
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not value >= 0:
            raise argparse.ArgumentTypeError(f"must be 0 or more, got {text}")
        return value
    return parse


def _positive(kind):
    def parse(text):
        value = _non_negative(kind)(text)
        if not value > 0:
            raise argparse.ArgumentTypeError(f"must be more than 0, got {text}")
        return value
    return parse


def register(subparsers):
    p = subparsers.add_parser(
        "serve", help="serve exported SavedModels with TF Serving's REST and gRPC APIs (development server)",
        description="A development server speaking TF Serving's REST API (/v1/models/...) and gRPC "
                    "PredictionService/ModelService for every <model-base>/<name>/<version>/ SavedModel. "
                    "Production: TF Serving itself (see export/README.md).")
    p.add_argument("--model-base", required=True, help="folder of <name>/<version>/ SavedModels, e.g. export/models")
    p.add_argument("--port", type=_non_negative_port, default=8501, help="REST port (default 8501; 0: any free)")
    p.add_argument("--grpc-port", type=_non_negative_port, default=8500,
                   help="gRPC port (default 8500; 0: any free; -1: no gRPC)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback 127.0.0.1)")
    p.add_argument("--model-config-file", help="TF Serving models.config: the models to serve (only those it lists), "
                                               "their version policies and labels (default: models.config in or "
                                               "next to --model-base, if any; none: every model folder)")
    p.add_argument("--model-config-file-poll-wait-seconds", type=_non_negative(float), default=0.0,
                   help="re-read the models.config this often, applying changed models, policies and labels, like TF "
                        "Serving's --model_config_file_poll_wait_seconds (default 0: read at start only)")
    p.add_argument("--poll-seconds", type=_non_negative(float), default=2.0,
                   help="how often the model base is scanned for new versions (0: never)")
    p.add_argument("--max-body-bytes", type=_positive(int), default=64 * 1024 * 1024,
                   help="largest REST request body accepted (default 64 MiB; larger: HTTP 413)")
    p.add_argument("--max-batch", type=_positive(int), default=DEFAULT_MAX_BATCH,
                   help=f"most examples one request may carry (default {DEFAULT_MAX_BATCH}, the shipped TF Serving "
                        "max_batch_size and the serving: client's request size; "
                        "more: HTTP 400 as TF Serving's batcher answers). Lowered per signature so that a REST "
                        "response stays under --max-response-bytes")
    p.add_argument("--max-response-bytes", type=_positive(int), default=64 * 1024 * 1024,
                   help="largest REST response (JSON) a request may produce (default 64 MiB; larger: HTTP 400)")
    p.add_argument("--rest-api-num-threads", type=_positive(int), default=16,
                   help="REST worker threads, each serving one connection at a time (default 16)")
    p.add_argument("--max-connections", type=_positive(int), default=64,
                   help="open REST connections accepted (default 64; more: HTTP 503 and closed)")
    p.add_argument("--header-timeout-seconds", type=_positive(float), default=10.0,
                   help="time a client has to send a request line and headers, also the keep-alive idle time "
                        "(default 10; later: HTTP 408 and closed)")
    p.add_argument("--body-timeout-seconds", type=_positive(float), default=30.0,
                   help="time a client has to send a request body once its headers are in (default 30)")
    p.set_defaults(func=_cmd_serve)

    p = subparsers.add_parser("serving-config", help="(re)write TF Serving's models.config for every exported model")
    p.add_argument("--model-base", default="export/models", help="folder of <name>/<version>/ SavedModels")
    p.add_argument("--out", default="export/models.config", help="models.config to write (labels in it are kept)")
    p.add_argument("--container-base", default="/models", help="where --model-base is mounted for TF Serving")
    p.add_argument("--label", default="stable", help="version label pointing at each model's newest version")
    p.set_defaults(func=_cmd_serving_config, needs_tensorflow=False)  # protobuf only: answers at once

    p = subparsers.add_parser(
        "translate", help="translate a folder of images with an image-to-image model (CycleGAN, pix2pixHD)")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--run", help="tfskin run directory (its latest checkpoint)")
    src.add_argument("--savedmodel", help="exported SavedModel (a version folder or a model folder of versions)")
    src.add_argument("--serving", help="TF Serving endpoint: http://HOST:8501/v1/models/NAME[/versions/N|/labels/L] "
                                       "or grpc://HOST:8500/NAME[...]")
    inputs = p.add_mutually_exclusive_group(required=True)
    inputs.add_argument("--input", help="CycleGAN: folder of images to translate")
    inputs.add_argument("--label-maps", help="pix2pixHD: folder of label-map PNGs (class ids 0..7 per pixel)")
    p.add_argument("--instance-maps", help="pix2pixHD instance models: folder of instance-map PNGs (same names)")
    p.add_argument("--direction", choices=("a2b", "b2a"), default="a2b", help="CycleGAN direction (default a2b)")
    p.add_argument("--out", required=True,
                   help="output folder: translated PNGs with the same names (before | after grid: OUT.grid.png, "
                        "beside the folder)")
    p.add_argument("--batch-size", type=count_type(1), default=8)
    p.set_defaults(func=_cmd_translate, validate=_check_translate)
