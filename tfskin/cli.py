"""The ``tfskin`` command: a thin shell over the library, one subcommand per job.

Subcommand groups that live with their subsystem (``data``, ``evaluate``, ``pipeline``, ``serve``) register
themselves through a ``register(subparsers)`` function in the modules listed in ``_COMMAND_MODULES``; a model
with commands of its own names their module in its registration. The parser is built without TensorFlow, so
``--help`` and ``tfskin models`` answer at once; TensorFlow is imported (quietly) only for commands that need it,
so command functions import the library inside them. A command's ``validate`` (set with ``set_defaults``) runs
before that import: flag values it can check without TensorFlow (unknown model, preset, dataset, class, size,
count, an export version that exists) answer at once.

Errors a user can fix (``tfskin.errors.UserError``) end as one line and exit status 2; anything else is a bug
and keeps its traceback.
"""

import argparse
import dataclasses
import errno
import importlib
import os
import sys
import traceback

from tfskin import __version__
from tfskin.config import AUGMENT_KINDS, PRECISIONS, STRATEGIES, cli_flags, count_type, parse_image_size
from tfskin.data.tfds.catalog import DATA_DIR_ENV
from tfskin.errors import CommandError, ConfigError, UserError
from tfskin.registry import DEFAULT_MODEL, get_model, model_names

# Errors of the file system the user can act on (a full or read-only disk, a missing or forbidden path): one
# line, not a traceback.
_FILESYSTEM_ERRNOS = {errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EPERM, errno.EDQUOT, errno.EFBIG,
                      errno.ENOENT, errno.ENOTDIR, errno.EISDIR, errno.EEXIST}

_COMMAND_MODULES = ("tfskin.data.cli", "tfskin.evaluation.cli", "tfskin.pipelines.cli", "tfskin.serving.cli",
                    "tfskin.reproduce.cli")


def _cmd_models(args):
    for name in model_names():
        spec = get_model(name)
        print(f"{name}: {spec.description}")
        for preset_name, preset in sorted(spec.presets.items()):
            marker = " (default)" if preset_name == spec.default_preset else ""
            print(f"    {preset_name}{marker}: {preset.description}")
    return 0


def _train_overrides(args):
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


def _step_overrides(args) -> dict:
    """The step-hook sections from ``--augment``, ``--ema-halflife``, ``--r1-gamma`` (None: the preset's)."""
    return {"augment": {"kind": args.augment}, "ema": {"halflife_images": args.ema_halflife},
            "r1": {"gamma": args.r1_gamma}}


def _non_negative(text):
    """An argparse ``type``: a float >= 0 (0 turns the setting off)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0 (0: off), got {text}")
    return value


def _model_flags() -> dict:
    """flag -> {"dest", "help", "parse", "choices", "path", "fields": {model: field}} over every registered model:
    the model configs declare their flags (``tfskin.config.flag``), the command line only collects them."""
    flags = {}
    for name in model_names():
        for field_name, meta in cli_flags(get_model(name).config_class).items():
            entry = flags.setdefault(meta["flag"], {**meta, "dest": meta["flag"].lstrip("-").replace("-", "_"),
                                                    "fields": {}})
            entry["fields"][name] = field_name
    return flags


def _flag_type(parse):
    """An argparse type from a config parser: its ConfigError message becomes argparse's one-line error."""
    def convert(text):
        try:
            return parse(text)
        except ConfigError as err:
            raise argparse.ArgumentTypeError(str(err)) from None
    convert.__name__ = getattr(parse, "__name__", "value")
    return convert


def _model_overrides(args, model: str) -> dict:
    values, wrong = {}, []
    for flag_name, meta in _model_flags().items():
        value = getattr(args, meta["dest"], None)
        if value is None:
            continue
        if model not in meta["fields"]:
            wrong.append(flag_name)
            continue
        values[meta["fields"][model]] = os.path.abspath(value) if meta["path"] else value
    if wrong:
        raise CommandError(f"{', '.join(wrong)} do(es) not apply to --model {model}")
    return values


def _shown(value) -> str:
    """A config value as the user would type it: (32, 64) -> 32x64, ("MEL", "NV") -> MEL,NV."""
    if isinstance(value, tuple):
        return ("x" if all(isinstance(v, int) for v in value) else ",").join(map(str, value))
    return str(value)


def _check_resume_flags(args, config):
    """A resumed run continues exactly as it was configured: any flag but --steps that asks for a different
    value than the run's is an error naming the flag, the run's value and the given one."""
    data, train = config.data, config.train
    given = {
        "--model": (args.model, config.model), "--preset": (args.preset, config.preset),
        "--data": (args.data, data.name),
        "--image-size": (args.image_size and parse_image_size(args.image_size), tuple(data.image_size)),
        "--classes": (args.classes and _train_overrides(args)[0].get("classes"), data.classes),
        "--batch-size": (args.batch_size, train.batch_size),
        # "auto" was resolved when the run started; asking for it again is no change
        "--precision": (None if args.precision == "auto" else args.precision, train.precision),
        "--strategy": (args.strategy, train.strategy), "--seed": (args.seed, train.seed),
        "--jit-compile": (args.jit_compile or None, train.jit_compile),
        "--no-export": (args.no_export or None, not train.export_at_end),
        "--augment": (args.augment, config.augment.kind),
        "--ema-halflife": (args.ema_halflife, config.ema.halflife_images),
        "--r1-gamma": (args.r1_gamma, config.r1.gamma),
    }
    for flag_name, meta in _model_flags().items():
        value = getattr(args, meta["dest"], None)
        field_name = meta["fields"].get(config.model)
        if value is not None:
            saved = getattr(config.model_config, field_name) if field_name else None
            given[flag_name] = (os.path.abspath(value) if meta["path"] else value, saved)
    for flag_name, (value, saved) in given.items():
        if value is not None and value != saved:
            raise CommandError(f"--resume: {flag_name} {_shown(value)} differs from the run's {_shown(saved)} "
                               f"({args.run_dir}/config.json); only --steps may change on resume")


def _check_train(args):
    """Before TensorFlow is imported: what ``resolve_config`` would reject in a new run's flags (model, preset,
    dataset, class names, image size, counts), so such errors answer in well under a second."""
    from tfskin.config import STEP_SECTIONS, DataConfig, TrainConfig
    from tfskin.data.names import check_dataset

    if args.resume:
        return  # the run's own config is read (and these flags compared with it) once TensorFlow is up
    model = args.model or DEFAULT_MODEL
    spec = get_model(model)
    preset = spec.preset(args.preset or spec.default_preset)
    data, train_values = _train_overrides(args)
    data = DataConfig(**{**DataConfig().to_dict(), **preset.data, **{k: v for k, v in data.items() if v is not None}})
    TrainConfig(**{**TrainConfig().to_dict(), **preset.train,
                   **{k: v for k, v in train_values.items() if v is not None}})
    overrides = _model_overrides(args, model)
    model_config = dataclasses.replace(preset.model_config, **overrides) if overrides else preset.model_config
    model_config.check_image_shape(data.image_size, data.channels)
    check_dataset(data.name, data.classes)
    for name, values in _step_overrides(args).items():
        STEP_SECTIONS[name](**{**getattr(preset, name), **{k: v for k, v in values.items() if v is not None}})


def _default_run_dir(model: str, preset: str) -> str:
    import time

    return os.path.join("runs", f"{model}-{preset}-{time.strftime('%Y%m%d-%H%M%S')}")


def _cmd_train(args):
    from tfskin.training import read_run_config, resolve_config, train  # TensorFlow: imported on use (start-up)

    if args.data_dir:
        os.environ[DATA_DIR_ENV] = os.path.expanduser(args.data_dir)

    if args.resume:
        if not args.run_dir:
            raise CommandError("--resume needs --run-dir (the run to continue)")
        config = read_run_config(args.run_dir)
        _check_resume_flags(args, config)
        if args.steps is not None:
            config = config.replace(train=config.train.replace(steps=args.steps))
    else:
        model = args.model or DEFAULT_MODEL
        data, train_values = _train_overrides(args)
        config = resolve_config(model, args.preset, data=data, train=train_values,
                                model_overrides=_model_overrides(args, model), **_step_overrides(args))
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
    elif config.train.export_at_end:
        print("  exported:    nothing new (nothing was trained; `tfskin export --run` writes a new version)")
    history = result.colour_history
    if len(history) >= 2:
        first, last = min(history), max(history)
        w = lambda step: history[step]["wasserstein"]["mean"]
        print(f"  colour distance of fixed samples to real images (Wasserstein-1, mean RGB, 0-255 scale): "
              f"step {first}: {w(first):.1f} -> step {last}: {w(last):.1f}")
    if result.baselines:
        from tfskin.inputs.baselines import summary_lines

        print("\n".join(summary_lines(result.baselines)))
    return 0


def _check_sample(args):
    """Before TensorFlow is imported: the run directory is one."""
    if not args.pipeline:
        _run_model_name(args.run)


def _cmd_sample(args):
    from pathlib import Path

    # TensorFlow-backed modules are imported on use (start-up time of the other commands).
    from tfskin.imaging import grid_path, sample_grid, save_png, to_uint8
    from tfskin.runs import load_trained_model

    out = Path(args.out)
    if args.pipeline:
        if args.class_name is None:
            raise CommandError(f"--pipeline {args.pipeline} needs --class (e.g. MEL)")
        from tfskin.pipelines.acgan_cyclegan import AcganCycleganPipeline

        outputs = AcganCycleganPipeline(args.run).sample(args.n, args.class_name, seed=args.seed)
    else:
        config, model = load_trained_model(args.run, raw_generator=args.raw_generator)
        if args.class_name is not None and not model.conditional:
            conditional = [n for n in model_names() if get_model(n).model_class.conditional]
            raise CommandError(f"--class: {config.model} is not class-conditional ({', '.join(conditional)} are)")
        outputs = model.sample(args.n, seed=args.seed, label=args.class_name)
    images = to_uint8(outputs["image"])
    for i, image in enumerate(images):
        save_png(image, out / f"sample_{i:05d}.png")
        if "mask" in outputs:
            save_png(to_uint8(outputs["mask"][i] > 0.5), out / f"sample_{i:05d}_mask.png")
    grid = save_png(sample_grid(outputs), grid_path(out))
    print(f"wrote {len(images)} samples to {out} (grid: {grid})")
    return 0


def _run_model_name(run_dir) -> str:
    """The model a run directory was trained with, read from its config.json without TensorFlow."""
    import json

    path = os.path.join(run_dir, "config.json")
    try:
        with open(path) as f:
            return json.load(f)["model"]
    except FileNotFoundError:
        raise CommandError(f"{run_dir} is not a tfskin run directory (no config.json)") from None
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise CommandError(f"cannot read {path}: {err}") from None


def _export_dir(args) -> str:
    return args.out or os.path.join("export", "models", _run_model_name(args.run))


def _check_export(args):
    """Before TensorFlow is imported: the run exists and an explicit --version is free."""
    from tfskin.serving.versions import check_free_version

    check_free_version(_export_dir(args), args.version)


def _cmd_export(args):
    # TensorFlow-backed modules are imported on use (start-up time of the other commands).
    from tfskin.runs import export_run

    path = export_run(args.run, _export_dir(args), version=args.version, raw_generator=args.raw_generator)
    print(f"exported SavedModel to {path} (signatures: {', '.join(_saved_signatures(path))})")
    return 0


def _saved_signatures(path) -> list:
    """Signature names of an exported SavedModel (read from saved_model.pb, without loading it)."""
    from tensorflow.core.protobuf import saved_model_pb2

    saved = saved_model_pb2.SavedModel.FromString((path / "saved_model.pb").read_bytes())
    names = saved.meta_graphs[0].signature_def if saved.meta_graphs else {}
    return sorted(name for name in names if not name.startswith("__"))  # __saved_model_init_op is internal


class _OneLineParser(argparse.ArgumentParser):
    """argparse with its errors on one line (``tfskin CMD: error: ...``, exit 2), like every other user error;
    ``tfskin CMD --help`` still shows the usage."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(prog="tfskin", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"tfskin {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("models", help="list models and their presets")
    p.set_defaults(func=_cmd_models, needs_tensorflow=False)

    p = sub.add_parser("train", help="train a GAN (or resume a run)")
    p.add_argument("--model", help=f"model name (see `tfskin models`; default {DEFAULT_MODEL})")
    p.add_argument("--preset", help="preset of the model (default: the model's default preset)")
    p.add_argument("--data", help="dataset name (default: the preset's, phantoms)")
    p.add_argument("--image-size", help="N or HxW, e.g. 64 or 192x256")
    p.add_argument("--classes", help="comma-separated class names to train on, e.g. MEL or NV,MEL")
    p.add_argument("--steps", type=count_type(1), help="total training steps of the run")
    p.add_argument("--batch-size", type=count_type(1), help="global batch size (split over replicas)")
    p.add_argument("--precision", choices=PRECISIONS)
    p.add_argument("--strategy", choices=STRATEGIES,
                   help="default: one device; mirrored: every local GPU (TensorFlow); tpu (TensorFlow); "
                        "data-parallel: every device JAX sees (KERAS_BACKEND=jax)")
    p.add_argument("--jit-compile", action="store_true", help="compile the training step with XLA")
    p.add_argument("--seed", type=int)
    p.add_argument("--run-dir", help="output folder (default: runs/<model>-<preset>-<time>)")
    p.add_argument("--data-dir", help="prepared-datasets folder (default: $TFSKIN_DATA_DIR or ~/tensorflow_datasets)")
    p.add_argument("--resume", action="store_true", help="continue the run in --run-dir from its last checkpoint")
    p.add_argument("--no-export", action="store_true", help="do not export a SavedModel at the end")
    p.add_argument("--dry-run", action="store_true", help="print the resolved config and exit")
    g = p.add_argument_group("discriminator augmentation, generator EMA, R1 (default: the preset's; all off in "
                             "most presets)")
    g.add_argument("--augment", choices=AUGMENT_KINDS,
                   help="augment what the discriminator sees: none, ada (adaptive p) or diffaugment (always)")
    g.add_argument("--ema-halflife", type=_non_negative,
                   help="half-life of the generator EMA in images (0: no EMA); sampled and exported by default")
    g.add_argument("--r1-gamma", type=_non_negative,
                   help="R1 weight gamma (0: off); lazy, every r1.interval steps (16)")
    g = p.add_argument_group("model-specific settings (a flag that does not apply to --model is an error)")
    for flag_name, meta in _model_flags().items():
        kwargs = {"dest": meta["dest"], "help": f"{', '.join(meta['fields'])}: {meta['help']}"}
        if meta["parse"] is not None:
            kwargs["type"] = _flag_type(meta["parse"])
        if meta["choices"]:
            kwargs["choices"] = meta["choices"]
        g.add_argument(flag_name, **kwargs)
    p.set_defaults(func=_cmd_train, validate=_check_train)

    p = sub.add_parser("sample", help="write samples of a trained run as PNGs")
    p.add_argument("--run", required=True, help="run directory")
    p.add_argument("--n", type=count_type(1), default=64)
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--class", dest="class_name", help="class to sample (conditional models and pipelines), e.g. MEL")
    p.add_argument("--pipeline", choices=("acgan_cyclegan",),
                   help="sample a trained pipeline; --run is then the pipeline directory")
    p.add_argument("--raw-generator", action="store_true",
                   help="sample the trained generator weights, not their EMA (for runs that kept one)")
    p.set_defaults(func=_cmd_sample, validate=_check_sample)

    p = sub.add_parser("export", help="export a run's generator as a TF Serving SavedModel")
    p.add_argument("--run", required=True, help="run directory")
    p.add_argument("--out", help="model folder; versions go in <out>/<N> (default: export/models/<model>)")
    p.add_argument("--version", type=count_type(1), help="version number >= 1 (default: next free)")
    p.add_argument("--raw-generator", action="store_true",
                   help="export the trained generator weights, not their EMA (for runs that kept one)")
    p.set_defaults(func=_cmd_export, validate=_check_export)

    modules = list(_COMMAND_MODULES) + [get_model(n).commands for n in model_names() if get_model(n).commands]
    for module_name in modules:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as err:
            if not (err.name and module_name.startswith(err.name)):
                raise
            continue  # that subsystem is not installed in this build
        module.register(sub)
    return parser


def _needs_tensorflow(args) -> bool:
    needs = getattr(args, "needs_tensorflow", True)
    return needs(args) if callable(needs) else bool(needs)


def main(argv=None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help, --version, or a bad flag (already reported on one line)
        return exit_.code
    try:
        return _run(args)
    except Exception:  # a bug, not a user error: keep the traceback and ask for a report
        traceback.print_exc()
        print(f"tfskin {args.command}: internal error; this is a bug in tfskin, please report it with the "
              f"traceback above", file=sys.stderr)
        return 1


def _run(args) -> int:
    try:
        validate = getattr(args, "validate", None)
        if validate is not None:  # flag values that can be checked before TensorFlow is imported (seconds)
            validate(args)
        if _needs_tensorflow(args):
            from tfskin.runtime import import_tensorflow_quietly

            import_tensorflow_quietly()
        return args.func(args) or 0
    except UserError as err:
        print(f"tfskin {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"tfskin {args.command}: interrupted", file=sys.stderr)
        return 130
    except OSError as err:
        if err.errno not in _FILESYSTEM_ERRNOS:
            raise
        where = f"{err.filename}: " if err.filename else ""
        print(f"tfskin {args.command}: error: {where}{err.strerror or err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
