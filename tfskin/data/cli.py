"""``tfskin data ...`` subcommands: build (prepare a real dataset), inspect (statistics), preview (image grid).

Start-up time: this module and ``register`` import no TensorFlow (nor modules that do); each command imports
what it needs when it runs, after its ``validate`` has checked the flags it can without it (dataset names, the
folders and files named, image sizes, counts). Dataset names and download instructions come from
``tfskin.data.tfds.catalog``.
"""

import json
import os
import signal
import sys

from tfskin import errors
from tfskin.config import count_type
from tfskin.data.tfds import catalog

INTERRUPTED = 130  # the shell's status for a command ended by SIGINT


class _Terminated(BaseException):
    """SIGTERM during a build, raised in the main thread so that the build cleans up like on Ctrl-C."""


def _quiet_tfds():
    """TFDS logs deprecation notices and folder probes through absl at WARNING; keep the terminal to results."""
    from absl import logging

    logging.set_verbosity(logging.ERROR)


def _set_data_dir(args):
    _quiet_tfds()
    if getattr(args, "data_dir", None):
        os.environ[catalog.DATA_DIR_ENV] = os.path.expanduser(args.data_dir)


def _print_summary(name: str, summary: dict):
    splits = ", ".join(f"{split} {count}" for split, count in summary["splits"].items())
    if summary.get("already_prepared"):
        print(f"{name} is already prepared in {summary['data_dir']} ({splits}); nothing to do (--overwrite "
              f"rebuilds it)")
        return
    print(f"{'rebuilt' if summary.get('replaced') else 'prepared'} {name} in {summary['data_dir']}: {splits}")
    for note in summary.get("notes", []):
        print(f"  note: {note}")
    if summary.get("excluded"):
        print(f"  excluded by list: {len(summary['excluded'])}")
    if summary.get("skipped"):
        print(f"  skipped {len(summary['skipped'])} bad input(s):")
        for entry in summary["skipped"][:20]:
            print(f"    {entry['file']}: {entry['problem']}")
    print(f"  report: {summary['report']}")


def _build_needs_tensorflow(args) -> bool:
    return not args.instructions


def _flag(name, check, *values):
    """Run a check of a flag's value (no TensorFlow); its error names the flag."""
    try:
        return check(*values)
    except errors.UserError as err:
        raise type(err)(f"{name}: {err}") from None


def _check_build(args):
    """Before TensorFlow is imported: the dataset name, and the manual folder and exclusion list exist."""
    from tfskin.data.tfds.building import check_manual_dir

    catalog.source(args.name)  # an unknown name fails here, listing the valid ones
    if args.instructions:
        return
    if not args.manual_dir:
        raise errors.CommandError(f"--manual-dir is required (the folder with the downloaded {args.name} files; "
                                  f"`tfskin data build {args.name} --instructions` lists them)")
    _flag("--manual-dir", check_manual_dir, args.name, args.manual_dir)
    if args.exclude is not None and not os.path.isfile(args.exclude):
        raise errors.MissingFileError(f"--exclude: exclusion list {args.exclude} not found")


def _cmd_build(args):
    if args.instructions:
        print(catalog.instructions(args.name), end="")
        return 0
    # Imported here, not at the top: TensorFlow (Datasets) takes seconds to import (start-up time).
    import tensorflow_datasets as tfds

    from tfskin.data.tfds.register import build

    _quiet_tfds()
    tfds.disable_progress_bar()  # tfskin shows one bar per split, with totals

    from tfskin.data.tfds import parallel

    def stop(exception_class):
        def handler(signum, frame):
            parallel.request_stop(exception_class)  # remembered, in case Python drops the raise below
            raise exception_class()
        return handler

    previous_term = signal.signal(signal.SIGTERM, stop(_Terminated))
    previous_int = signal.getsignal(signal.SIGINT)
    catch_int = previous_int not in (signal.SIG_IGN, None)  # started with Ctrl-C ignored (nohup): keep ignoring
    if catch_int:
        signal.signal(signal.SIGINT, stop(KeyboardInterrupt))
    try:
        summary = build(args.name, args.manual_dir, data_dir_override=args.data_dir, skip_bad=args.skip_bad,
                        exclude=args.exclude, workers=args.workers, overwrite=args.overwrite, progress=True,
                        superpixels=args.superpixels)
    except (KeyboardInterrupt, _Terminated) as err:
        kept = " (the previously prepared version is kept)" if args.overwrite else ""
        sys.stderr.write("\n")  # end a progress bar's line
        print(f"tfskin data build: {'interrupted' if isinstance(err, KeyboardInterrupt) else 'terminated'}; "
              f"nothing was written{kept}", file=sys.stderr)
        return INTERRUPTED if isinstance(err, KeyboardInterrupt) else 128 + signal.SIGTERM
    finally:
        signal.signal(signal.SIGTERM, previous_term)
        if catch_int:
            signal.signal(signal.SIGINT, previous_int)
        parallel.clear_stop_request()
    _print_summary(args.name, summary)
    return 0


def _check_dataset_name(name: str):
    """phantoms (with options) or a buildable real dataset; a ConfigError lists the valid names."""
    if name.partition(":")[0] != "phantoms" and name not in catalog.SOURCES:
        raise errors.ConfigError(f"unknown dataset {name!r}; valid: phantoms, {', '.join(catalog.names())}")


def _check_inspect(args):
    """Before TensorFlow is imported: the dataset name, the image size, and a real dataset has been prepared."""
    from tfskin.config import parse_image_size

    if args.name != "phantoms" and args.name not in catalog.SOURCES:  # plain phantoms only: no options
        raise errors.ConfigError(f"unknown dataset {args.name!r}; valid: phantoms, {', '.join(catalog.names())}")
    _flag("--image-size", parse_image_size, args.image_size)
    if args.name in catalog.SOURCES and not catalog.has_prepared_folder(args.name, args.data_dir):
        raise errors.MissingFileError(f"dataset {args.name} is not prepared in "
                                      f"{catalog.data_dir(args.data_dir)}; run `tfskin data build {args.name} "
                                      f"--manual-dir DIR`")


def _cmd_inspect(args):
    from tfskin.config import parse_image_size
    from tfskin.data.inspection import format_inspection, inspect_dataset

    _set_data_dir(args)
    report = inspect_dataset(args.name, image_size=parse_image_size(args.image_size), sample=args.sample)
    print(json.dumps(report, indent=2) if args.json else format_inspection(report))
    return 0


def _parse_overlays(text) -> tuple:
    from tfskin.data.overlays import PANELS

    if text is None:
        return None
    panels = tuple(p.strip() for p in text.split(",") if p.strip())
    unknown = sorted(set(panels) - set(PANELS))
    if unknown:
        raise errors.ConfigError(f"unknown overlay(s) {', '.join(unknown)}; valid: {', '.join(PANELS)}")
    return ("image",) + tuple(p for p in panels if p != "image")


def _default_panels(name: str) -> tuple:
    # Imported here: tfskin.data.tfds.register needs TensorFlow Datasets (start-up time).
    from tfskin.data.tfds.register import config_of

    cfg = config_of(name)
    if not cfg.has_mask:
        return ("image",)
    return ("image",) + (("attributes",) if cfg.has_attributes else ()) + ("label_map", "boundary")


def _check_preview_args(args):
    """Before TensorFlow is imported: the dataset name, the counts and the image size."""
    from tfskin.config import parse_image_size

    _check_dataset_name(args.name)
    if args.n < 1 or args.columns < 1:
        raise errors.CommandError(f"--n and --columns must be >= 1, got --n {args.n} --columns {args.columns}")
    _flag("--image-size", parse_image_size, args.image_size)


def _cmd_preview(args):
    phantoms = args.name.partition(":")[0] == "phantoms"  # phantoms, or phantoms with options
    from tfskin.config import parse_image_size
    from tfskin.data.sources import load_examples

    _set_data_dir(args)
    size = parse_image_size(args.image_size)
    panels = _parse_overlays(args.overlays)
    if phantoms and panels is None:  # the plain labelled phantom grid
        from tfskin.data.preview import save_preview_grid

        ds = load_examples(args.name, args.split, size, seed=args.seed, num_examples=max(args.n, 1),
                           features=("image", "mask", "label", "malignant"))
        batch = next(iter(ds.batch(args.n).as_numpy_iterator()))
        batch["mask"] = batch["mask"][..., 0]
        path = save_preview_grid(batch, args.out, columns=args.columns, title=f"{args.name} / {args.split}")
        print(f"wrote {path}")
        return 0

    from tfskin.data.conditioning import with_conditioning
    from tfskin.data.overlays import save_overlay_grid
    from tfskin.data.tfds.register import class_names, config_of

    derived = tuple(p for p in panels or () if p in ("label_map", "boundary"))
    if phantoms:
        features = ("image", "mask", "attributes", "label", "malignant")
        ds = load_examples(args.name, args.split, size, seed=args.seed, num_examples=max(args.n, 1),
                           features=features)
        ds = with_conditioning(ds, derived)
    else:
        cfg = config_of(args.name)
        panels = panels or _default_panels(args.name)
        derived = tuple(p for p in panels if p in ("label_map", "boundary"))
        features = ("image", "label", "malignant") + (("mask",) if cfg.has_mask else ())
        features += (("attributes",) if "attributes" in panels else ()) + derived
        ds = load_examples(args.name, args.split, size, features=features)
    batch = next(iter(ds.batch(args.n).as_numpy_iterator()), None)
    if batch is None:
        raise errors.BadInputError(f"{args.name} / {args.split} has no examples")
    path = save_overlay_grid(batch, args.out, panels=panels, class_names=class_names(args.name),
                             columns=args.columns, title=f"{args.name} / {args.split}")
    print(f"wrote {path}")
    return 0


def register(subparsers):
    data = subparsers.add_parser("data", help="datasets: build (prepare real data), inspect, preview")
    data_sub = data.add_subparsers(dest="data_command", required=True)
    data_dir_help = "prepared-datasets folder (default: $TFSKIN_DATA_DIR or ~/tensorflow_datasets)"

    p = data_sub.add_parser("build", help="prepare a real dataset (TFDS) from its downloaded files",
                            description="Prepare a real dataset from the files as downloaded (zips or extracted "
                                        f"folders). Datasets: {', '.join(catalog.names())}. "
                                        "`tfskin data build NAME --instructions` lists the files NAME needs.")
    p.add_argument("name", help="dataset config, e.g. isic2018_task1_2")
    p.add_argument("--manual-dir", help="folder holding the downloaded release files")
    p.add_argument("--data-dir", help=data_dir_help)
    p.add_argument("--skip-bad", action="store_true",
                   help="skip bad inputs (corrupt images, missing masks, rows without images, ...) and list each "
                        "in the report instead of failing")
    p.add_argument("--exclude", help="text file of image ids to leave out (one per line, '#' comments)")
    p.add_argument("--workers", type=count_type(0),
                   help="preparation processes (default: $TFSKIN_PREPARE_WORKERS or cores; 0: in this process)")
    p.add_argument("--overwrite", action="store_true",
                   help="rebuild if already prepared (the old version stays until the new one is complete)")
    p.add_argument("--superpixels", choices=("store", "defer"), default="store",
                   help="configs with SLIC superpixels (instance maps): compute them now (store, the default; "
                        "slow) or when first loaded, at the requested image size (defer)")
    p.add_argument("--instructions", action="store_true", help="print which files NAME needs and exit")
    # `tfskin` imports TensorFlow (quietly) before a command only when it needs it: not for --instructions
    p.set_defaults(func=_cmd_build, needs_tensorflow=_build_needs_tensorflow, validate=_check_build)

    p = data_sub.add_parser("inspect", help="counts per split and class, image sizes, empty attribute masks")
    p.add_argument("name", help="dataset name: phantoms or a prepared config")
    p.add_argument("--data-dir", help=data_dir_help)
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--image-size", default="64", help="phantoms: size to draw the attribute sample at")
    p.add_argument("--sample", type=count_type(1), default=128,
                   help="phantoms: examples drawn for the attribute counts")
    p.set_defaults(func=_cmd_inspect, validate=_check_inspect)

    p = data_sub.add_parser("preview", help="write a labelled grid of examples with mask / attribute / label-map "
                                            "overlays")
    p.add_argument("name", help="dataset name, e.g. phantoms or isic2018_task1_2")
    p.add_argument("--out", required=True, help="PNG path")
    p.add_argument("--split", default="train")
    p.add_argument("--n", type=int, default=32)
    p.add_argument("--columns", type=int, default=8,
                   help="images per row; with overlay panels, columns // panels examples per row (at least one)")
    p.add_argument("--image-size", default="128")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--overlays", help="comma-separated panels: image, attributes, label_map, boundary (default for "
                                      "real data: all it has; phantoms: the plain grid)")
    p.add_argument("--data-dir", help=data_dir_help)
    p.set_defaults(func=_cmd_preview, validate=_check_preview_args)
