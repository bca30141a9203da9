"""``tfskin labelmaps``: new label maps (distorted or combined real ones) and, with a trained pix2pixHD run, the
images it synthesizes from them. The logic lives in ``tfskin.models.pix2pixhd.new_maps``."""

from tfskin.config import count_type, image_size_type
from tfskin.errors import BadInputError


def _check_labelmaps(args):
    """Before TensorFlow is imported: the preset and dataset exist (without --run)."""
    from tfskin.data.names import check_dataset
    from tfskin.registry import get_model

    if not args.run:
        get_model("pix2pixhd").preset(args.preset)
        if args.data:
            check_dataset(args.data)


def _cmd_labelmaps(args):
    # Imported here, not at the top: the CLI builds its parser without TensorFlow (start-up time).
    from tfskin.models.pix2pixhd.new_maps import write_new_maps
    from tfskin.training import load_trained_model, resolve_config

    model = None
    if args.run:
        config, model = load_trained_model(args.run)
        if config.model != "pix2pixhd":
            raise BadInputError(f"{args.run} is a {config.model} run, not pix2pixhd")
    else:
        data = {"name": args.data, "image_size": args.image_size}
        config = resolve_config("pix2pixhd", args.preset, data=data)
    written = write_new_maps(config, args.out, num=args.n, mode=args.mode, seed=args.seed, num_real=args.num_real,
                             model=model)
    print(f"wrote {args.n} new {args.mode} label maps to {written['maps']} (preview {written['maps_grid']})")
    if "grid" in written:
        print(f"  synthesized images: {args.out}/image_*.png (grid {written['grid']})")
    return 0


def register(subparsers):
    p = subparsers.add_parser("labelmaps", help="make new pix2pixHD label maps (and images, with --run)")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--mode", choices=("distort", "combine"), default="distort",
                   help="distort: elastic + affine warps of real maps; combine: one lesion's shape with another's "
                        "attributes")
    p.add_argument("--n", type=count_type(1), default=16, help="how many new maps")
    p.add_argument("--run", help="a trained pix2pixhd run: its data gives the real maps, its generator the images")
    p.add_argument("--data", help="without --run: dataset of the real maps (default phantoms)")
    p.add_argument("--image-size", type=image_size_type, help="without --run: N or HxW")
    p.add_argument("--preset", default="quick", help="without --run: pix2pixhd preset for sizes and SLIC settings")
    p.add_argument("--num-real", type=count_type(1), default=64, help="how many real maps to draw from")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=_cmd_labelmaps, validate=_check_labelmaps)
