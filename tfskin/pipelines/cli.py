"""``tfskin pipeline train|export``: multi-model pipelines (ACGAN -> per-class CycleGAN)."""


def _cmd_train(args):
    from tfskin.pipelines.acgan_cyclegan import train_pipeline

    classes = [c.strip() for c in args.classes.split(",") if c.strip()] if args.classes else None
    out = train_pipeline(args.acgan_run, args.out, classes=classes, cyclegan_preset=args.cyclegan_preset,
                         samples_per_class=args.samples_per_class, steps=args.steps, batch_size=args.batch_size,
                         seed=args.seed, resume=args.resume)
    print(f"pipeline ready in {out}; sample with: tfskin sample --pipeline acgan_cyclegan --run {out} "
          f"--class MEL --n 500 --out samples/")
    return 0


def _cmd_export(args):
    from tfskin.pipelines.acgan_cyclegan import export_pipeline

    path = export_pipeline(args.run, args.out, version=args.version)
    print(f"exported SavedModel to {path} (signature: generate(noise, label), serving_default)")
    return 0


def register(sub):
    p = sub.add_parser("pipeline", help="train or export a multi-model pipeline (acgan_cyclegan)")
    psub = p.add_subparsers(dest="pipeline_command", required=True)
    t = psub.add_parser("train", help="train one CycleGAN per class on a trained ACGAN's class-c samples")
    t.add_argument("name", choices=("acgan_cyclegan",))
    t.add_argument("--acgan-run", required=True, help="a trained acgan run directory")
    t.add_argument("--out", required=True, help="pipeline directory")
    t.add_argument("--classes", help="comma-separated classes (default: every ACGAN class)")
    t.add_argument("--cyclegan-preset", default="quick", help="cyclegan preset (paper256 for the paper's size)")
    t.add_argument("--samples-per-class", type=int, default=500, help="ACGAN samples per class (domain A)")
    t.add_argument("--steps", type=int, help="CycleGAN steps per class (default: the preset's)")
    t.add_argument("--batch-size", type=int)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--resume", action="store_true", help="continue classes whose CycleGAN run has checkpoints")
    t.set_defaults(func=_cmd_train)
    e = psub.add_parser("export", help="export a trained pipeline as one SavedModel: generate(noise, label)")
    e.add_argument("name", choices=("acgan_cyclegan",))
    e.add_argument("--run", required=True, help="pipeline directory")
    e.add_argument("--out", required=True, help="model folder; versions go in <out>/<N>")
    e.add_argument("--version", type=int)
    e.set_defaults(func=_cmd_export)
