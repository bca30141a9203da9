"""The ``tfskin`` command: a thin shell over the library, one subcommand per job.

Subcommand groups that live with their subsystem (``data``, ``evaluate``) register themselves through a
``register(subparsers)`` function in the modules listed in ``_COMMAND_MODULES``.
"""

import argparse
import importlib
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

_COMMAND_MODULES = ("tfskin.data.cli", "tfskin.evaluation.cli", "tfskin.pipelines.cli", "tfskin.labelmaps_cli")


class CommandError(Exception):
    """A user-facing error: printed as one line, exit status 2."""


def _user_errors():
    from tfskin.callbacks import NonFiniteLossError
    from tfskin.checkpointing import CheckpointError
    from tfskin.config import ConfigError

    return (CommandError, ConfigError, CheckpointError, NonFiniteLossError, KeyError, ValueError,
            FileNotFoundError, FileExistsError, PermissionError)


def _cmd_models(args):
    from tfskin.registry import get_model, model_names

    for name in model_names():
        spec = get_model(name)
        print(f"{name}: {spec.description}")
        for preset_name, preset in sorted(spec.presets.items()):
            marker = " (default)" if preset_name == spec.default_preset else ""
            print(f"    {preset_name}{marker}: {preset.description}")
    return 0


def _train_overrides(args):
    from tfskin.config import parse_image_size

    data = {"name": args.data, "image_size": parse_image_size(args.image_size) if args.image_size else None}
    if args.classes:
        data["classes"] = tuple(c.strip().upper() for c in args.classes.split(",") if c.strip())
    train = {"steps": args.steps, "batch_size": args.batch_size, "precision": args.precision,
             "strategy": args.strategy, "seed": args.seed}
    if args.jit_compile:
        train["jit_compile"] = True
    if args.no_export:
        train["export_at_end"] = False
    return data, train


# Model settings the train command can override: flag dest -> model config field (image-to-image models).
_MODEL_FLAGS = {
    "domain_a": "domain_a", "domain_b": "domain_b", "domain_a_samples": "domain_a_samples",
    "classifier": "filter_classifier", "alpha": "filter_alpha", "filter_class": "filter_class",
    "num_d": "num_d", "vgg_weights": "vgg_weights",
    "levels": "train_levels", "level_schedule": "level_schedule",
}


def _levels(text: str) -> tuple:
    """lapgan --levels: "all" or comma-separated level indices, e.g. 0 or 1,2."""
    if text.strip().lower() == "all":
        return ()
    try:
        return tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"--levels takes 'all' or level numbers like 0,1,2, got {text!r}") from None


def _model_overrides(args, model: str) -> dict:
    import dataclasses

    from tfskin.registry import get_model

    values = {field: getattr(args, dest) for dest, field in _MODEL_FLAGS.items()
              if getattr(args, dest, None) is not None}
    if "filter_classifier" in values:  # stored in config.json: make it survive a resume from another folder
        values["filter_classifier"] = os.path.abspath(values["filter_classifier"])
    known = {f.name for f in dataclasses.fields(get_model(model).config_class)}
    unknown = [f"--{dest.replace('_', '-')}" for dest, field in _MODEL_FLAGS.items()
               if field in values and field not in known]
    if unknown:
        raise CommandError(f"{', '.join(unknown)} do(es) not apply to --model {model}")
    return values


def _default_run_dir(model: str, preset: str) -> str:
    import time

    return os.path.join("runs", f"{model}-{preset}-{time.strftime('%Y%m%d-%H%M%S')}")


def _cmd_train(args):
    from tfskin.training import read_run_config, resolve_config, train

    if args.resume:
        if not args.run_dir:
            raise CommandError("--resume needs --run-dir (the run to continue)")
        config = read_run_config(args.run_dir)
        if args.steps:
            config = config.replace(train=config.train.replace(steps=args.steps))
    else:
        data, train_values = _train_overrides(args)
        config = resolve_config(args.model, args.preset, data=data, train=train_values,
                                model_overrides=_model_overrides(args, args.model))
    run_dir = args.run_dir or _default_run_dir(config.model, config.preset)
    if args.dry_run:
        print(config.to_json())
        print(f"(dry run: would write to {run_dir})")
        return 0
    result = train(config, run_dir, resume=args.resume)
    print()
    print(f"done: step {result.step} in {result.run_dir}")
    print(f"  samples:     {result.sample_grid.parent}/ (latest grid: {result.sample_grid.name})")
    print(f"  tensorboard: tensorboard --logdir {result.log_dir}")
    print(f"  checkpoint:  {result.checkpoint}")
    if result.export_path:
        print(f"  exported:    {result.export_path}")
    history = result.colour_history
    if len(history) >= 2:
        first, last = min(history), max(history)
        w = lambda step: history[step]["wasserstein"]["mean"]
        print(f"  colour distance of fixed samples to real images (Wasserstein-1, mean RGB, 0-255 scale): "
              f"step {first}: {w(first):.1f} -> step {last}: {w(last):.1f}")
    return 0


def _cmd_sample(args):
    from pathlib import Path

    from tfskin.imaging import sample_grid, save_png, to_uint8
    from tfskin.training import load_trained_model

    if args.n < 1:
        raise CommandError(f"--n must be >= 1, got {args.n}")
    out = Path(args.out)
    if args.pipeline:
        if args.class_name is None:
            raise CommandError(f"--pipeline {args.pipeline} needs --class (e.g. MEL)")
        from tfskin.pipelines.acgan_cyclegan import AcganCycleganPipeline

        outputs = AcganCycleganPipeline(args.run).sample(args.n, args.class_name, seed=args.seed)
    else:
        import inspect

        config, model = load_trained_model(args.run)
        kwargs = {}
        if args.class_name is not None:  # class-conditional models (acgan, progan)
            if "label" not in inspect.signature(model.sample).parameters:
                raise CommandError(f"--class: {config.model} is not class-conditional (acgan and progan are)")
            kwargs["label"] = args.class_name
        try:
            outputs = model.sample(args.n, seed=args.seed, **kwargs)
        except NotImplementedError as err:  # image-to-image models have no noise to sample from
            raise CommandError(f"{config.model} does not sample from noise: {err}") from None
    images = to_uint8(outputs["image"])
    for i, image in enumerate(images):
        save_png(image, out / f"sample_{i:05d}.png")
        if "mask" in outputs:
            save_png(to_uint8(outputs["mask"][i] > 0.5), out / f"sample_{i:05d}_mask.png")
    grid = save_png(sample_grid(outputs), out / "grid.png")
    print(f"wrote {len(images)} samples to {out} (grid: {grid})")
    return 0


def _cmd_export(args):
    from tfskin.serving.export import export_model
    from tfskin.training import load_trained_model

    config, model = load_trained_model(args.run)
    out = args.out or os.path.join("export", "models", config.model)
    path = export_model(model, out, version=args.version)
    print(f"exported SavedModel to {path} (signatures: {', '.join(model.export_signatures())}, serving_default)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    from tfskin import __version__
    from tfskin.config import PRECISIONS, STRATEGIES

    parser = argparse.ArgumentParser(prog="tfskin", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"tfskin {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("models", help="list models and their presets")
    p.set_defaults(func=_cmd_models)

    p = sub.add_parser("train", help="train a GAN (or resume a run)")
    p.add_argument("--model", default="dcgan", help="model name (see `tfskin models`)")
    p.add_argument("--preset", help="preset of the model (default: the model's default preset)")
    p.add_argument("--data", help="dataset name (default: the preset's, phantoms)")
    p.add_argument("--image-size", help="N or HxW, e.g. 64 or 192x256")
    p.add_argument("--classes", help="comma-separated class names to train on, e.g. MEL or NV,MEL")
    p.add_argument("--steps", type=int, help="total training steps of the run")
    p.add_argument("--batch-size", type=int, help="global batch size (split over replicas)")
    p.add_argument("--precision", choices=PRECISIONS)
    p.add_argument("--strategy", choices=STRATEGIES)
    p.add_argument("--jit-compile", action="store_true", help="compile the training step with XLA")
    p.add_argument("--seed", type=int)
    p.add_argument("--run-dir", help="output folder (default: runs/<model>-<preset>-<time>)")
    p.add_argument("--resume", action="store_true", help="continue the run in --run-dir from its last checkpoint")
    p.add_argument("--no-export", action="store_true", help="do not export a SavedModel at the end")
    p.add_argument("--dry-run", action="store_true", help="print the resolved config and exit")
    g = p.add_argument_group("image-to-image models (cyclegan, pix2pixhd)")
    g.add_argument("--domain-a", help="cyclegan: domain A, a class (NV), folder:PATH, run:RUN_DIR or "
                                      "savedmodel:DIR[,label=CLASS] (a generator's samples)")
    g.add_argument("--domain-b", help="cyclegan: domain B, a class (MEL) or folder:PATH")
    g.add_argument("--domain-a-samples", type=int, help="cyclegan: how many samples of a generator domain A uses")
    g.add_argument("--classifier", help="cyclegan Path-Rank-Filter: a tfskin classifier dir or a .keras model")
    g.add_argument("--alpha", type=float, help="cyclegan Path-Rank-Filter: fraction of domain B kept (0 < alpha <= 1)")
    g.add_argument("--filter-class", help="cyclegan Path-Rank-Filter: class ranked by (default: --domain-b)")
    g.add_argument("--num-d", type=int, help="pix2pixhd: number of discriminator scales")
    g = p.add_argument_group("pyramid models (lapgan)")
    g.add_argument("--levels", type=_levels, help="lapgan: pyramid levels this run trains, 'all' or e.g. 0 or 1,2")
    g.add_argument("--level-schedule", choices=("joint", "sequential"),
                   help="lapgan: train the levels together every step, or one after the other (resume lands in "
                        "the level the step counter is in)")
    g.add_argument("--vgg-weights", help="pix2pixhd: VGG19 perceptual loss weights: imagenet (Keras cache), a "
                                         ".h5/.weights.h5 file, or none")
    p.set_defaults(func=_cmd_train)

    p = sub.add_parser("sample", help="write samples of a trained run as PNGs")
    p.add_argument("--run", required=True, help="run directory")
    p.add_argument("--n", type=int, default=64)
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--class", dest="class_name", help="class to sample (conditional models and pipelines), e.g. MEL")
    p.add_argument("--pipeline", choices=("acgan_cyclegan",),
                   help="sample a trained pipeline; --run is then the pipeline directory")
    p.set_defaults(func=_cmd_sample)

    p = sub.add_parser("export", help="export a run's generator as a TF Serving SavedModel")
    p.add_argument("--run", required=True, help="run directory")
    p.add_argument("--out", help="model folder; versions go in <out>/<N> (default: export/models/<model>)")
    p.add_argument("--version", type=int, help="version number (default: next free)")
    p.set_defaults(func=_cmd_export)

    for module_name in _COMMAND_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as err:
            if not (err.name and module_name.startswith(err.name)):
                raise
            continue  # that subsystem is not installed in this build
        module.register(sub)
    return parser


def _import_tensorflow_quietly():
    """Import TensorFlow with its start-up chatter (CUDA probing, oneDNN notices) kept off the terminal; these
    lines are written by C++ before logging is configured, so no environment variable silences them."""
    if "tensorflow" in sys.modules:
        return
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            import tensorflow

            tensorflow.config.list_physical_devices("GPU")  # probing CUDA prints an error when there is none
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def main(argv=None) -> int:
    _import_tensorflow_quietly()
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args) or 0
    except _user_errors() as err:
        message = err.args[0] if isinstance(err, KeyError) and err.args else str(err)
        print(f"tfskin {args.command}: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
