"""``tfskin reproduce PAPER``: a paper's experiment as one resumable command."""

from tfskin.evaluation.engine import ENGINES
from tfskin.reproduce.papers import BUDGETS, PAPERS


def _cmd_reproduce(args):
    import json

    from tfskin.reproduce.run import reproduce

    out = args.out or f"reproduce/{args.paper}-{args.budget}"
    result = reproduce(args.paper, out, data=args.data, ood_data=args.ood_data, budget=args.budget,
                       repeats=args.repeats, workers=args.workers, engine=args.engine, dry_run=args.dry_run,
                       gpu_hours=args.dry_run and args.budget == "paper")
    if args.dry_run:
        print(json.dumps(result, indent=2))
        if "estimated_gpu_hours" in result:
            hours = result["estimated_gpu_hours"]
            print(f"estimated GPU hours: {hours['gpu_hours']:g} ({hours['gan_training_hours']:g} training GANs, "
                  f"{hours['evaluation_hours']:g} evaluating); basis: {hours['basis']}"
                  + (f"; not counted: {', '.join(hours['not_counted'])}" if hours.get("not_counted") else ""))
        print(f"(dry run: nothing trained or written; the experiment would go to {out})")
        return 0
    text = open(result["report"]).read()
    print(text.split("## Published tables")[0].rstrip())
    print(f"\nreport: {result['report']}")
    return 1 if result.get("runs_failed") else 0


def _workers(text: str):
    """--workers: checked here, before TensorFlow is imported."""
    import argparse

    from tfskin.errors import ConfigError
    from tfskin.reproduce.parallel import parse_workers

    try:
        return parse_workers(text)
    except ConfigError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def register(subparsers):
    papers = "\n".join(f"  {k}: {v}" for k, v in PAPERS.items())
    p = subparsers.add_parser(
        "reproduce", help="rerun a paper's experiment end to end (GANs, synthesis, evaluation, report)",
        description=f"papers:\n{papers}\n\nRerunning after a kill redoes only what is missing.",
        formatter_class=__import__("argparse").RawDescriptionHelpFormatter)
    p.add_argument("paper", choices=list(PAPERS))
    p.add_argument("--data", default="phantoms",
                   help="phantoms (built in) or a prepared real dataset (e.g. isic2017, isic2019, isic2018_task1_2)")
    p.add_argument("--ood-data", help="out-of-distribution test set (default: phantoms:domain=clinic on phantoms, "
                                      "derm7pt on real data)")
    p.add_argument("--budget", choices=BUDGETS, default="cpu",
                   help="smoke: seconds (tests); cpu: under an hour on 2 CPU cores; paper: the papers' sizes (GPU)")
    p.add_argument("--repeats", type=int,
                   help="repeats per condition, a multiple of the budget's GAN replicates (default: the budget's; "
                        "each GAN replicate trains its GANs on its own real images)")
    p.add_argument("--workers", type=_workers, default="auto", metavar="N|auto",
                   help="processes at once, each with cores/N TensorFlow threads: the GAN replicates (one process "
                        "per independent part of a replicate, e.g. per GAN) and then the evaluation's "
                        "classifier/segmenter runs; auto (default): "
                        "one per CPU core this process may use (1 at --budget smoke, whose GANs train for seconds); "
                        "1: everything in this one process")
    p.add_argument("--engine", choices=ENGINES,
                   help="how the evaluation trains its many small classifiers/segmenters: reuse (default) keeps one "
                        "traced model per shape and resets it per run; single builds each afresh (the one-by-one "
                        "engine, for comparisons); the same numbers either way")
    p.add_argument("--out", help="output folder (default reproduce/<paper>-<budget>)")
    p.add_argument("--dry-run", action="store_true",
                   help="resolve and validate every GAN config and the evaluation protocol, print the plan, exit")
    p.set_defaults(func=_cmd_reproduce)
