"""``tfskin serve``, ``tfskin translate`` and ``tfskin serving-config`` (registered by ``tfskin.cli``).

The parser is built without TensorFlow (start-up time): every heavy import happens inside a command.
"""

import argparse


def _cmd_serve(args):
    # Imported here, not at module top: the CLI builds its parser without TensorFlow (start-up time).
    from tfskin.serving.server import Server, configure_logging, serve_forever

    configure_logging()
    server = Server(args.model_base, host=args.host, port=args.port,
                    grpc_port=None if args.grpc_port < 0 else args.grpc_port,
                    model_config_file=args.model_config_file, poll_seconds=args.poll_seconds,
                    max_body_bytes=args.max_body_bytes)
    return serve_forever(server)


def _cmd_serving_config(args):
    # Imported here for start-up time (this module is imported to build the parser).
    from tfskin.serving.models_config import write_models_config

    out = write_models_config(args.model_base, args.out, container_base=args.container_base, label=args.label)
    print(f"wrote {out} for the models under {args.model_base}")
    return 0


def _cmd_translate(args):
    # Imported here for start-up time (this module is imported to build the parser).
    from tfskin.serving.translate import functions_caller, run_translate

    if args.instance_maps and not args.label_maps:
        from tfskin.errors import BadInputError

        raise BadInputError("--instance-maps goes with --label-maps (pix2pixHD)")
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
    p.add_argument("--model-config-file", help="TF Serving models.config to take version labels from (default: "
                                               "models.config in or next to --model-base, if any)")
    p.add_argument("--poll-seconds", type=float, default=2.0,
                   help="how often the model base is scanned for new versions (0: never)")
    p.add_argument("--max-body-bytes", type=int, default=64 * 1024 * 1024,
                   help="largest REST request body accepted (larger: HTTP 413)")
    p.set_defaults(func=_cmd_serve)

    p = subparsers.add_parser("serving-config", help="(re)write TF Serving's models.config for every exported model")
    p.add_argument("--model-base", default="export/models", help="folder of <name>/<version>/ SavedModels")
    p.add_argument("--out", default="export/models.config", help="models.config to write (labels in it are kept)")
    p.add_argument("--container-base", default="/models", help="where --model-base is mounted for TF Serving")
    p.add_argument("--label", default="stable", help="version label pointing at each model's newest version")
    p.set_defaults(func=_cmd_serving_config)

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
    p.add_argument("--out", required=True, help="output folder: translated PNGs with the same names, grid.png")
    p.add_argument("--batch-size", type=int, default=8)
    p.set_defaults(func=_cmd_translate)
