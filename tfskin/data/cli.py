"""``tfskin data ...`` subcommands."""


def _cmd_preview(args):
    from tfskin.config import parse_image_size
    from tfskin.data.preview import save_preview_grid
    from tfskin.data.sources import load_examples

    size = parse_image_size(args.image_size)
    ds = load_examples(args.name, args.split, size, seed=args.seed, num_examples=max(args.n, 1) if args.name ==
                       "phantoms" else None, features=("image", "mask", "label", "malignant"))
    batch = next(iter(ds.batch(args.n).as_numpy_iterator()))
    if "mask" in batch and batch["mask"].ndim == 4:
        batch["mask"] = batch["mask"][..., 0]
    path = save_preview_grid(batch, args.out, columns=args.columns, title=f"{args.name} / {args.split}")
    print(f"wrote {path}")
    return 0


def register(subparsers):
    data = subparsers.add_parser("data", help="datasets: preview (and build/inspect for real data)")
    data_sub = data.add_subparsers(dest="data_command", required=True)
    p = data_sub.add_parser("preview", help="write a labelled grid of examples with mask outlines")
    p.add_argument("name", help="dataset name, e.g. phantoms")
    p.add_argument("--out", required=True, help="PNG path")
    p.add_argument("--split", default="train")
    p.add_argument("--n", type=int, default=32)
    p.add_argument("--columns", type=int, default=8)
    p.add_argument("--image-size", default="128")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=_cmd_preview)
