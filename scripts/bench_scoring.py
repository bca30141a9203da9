"""Benchmark of lunagariya's sample scoring at a budget's sizes (default ``cpu``: 5 draws x 3 rows x 500 images).

Trains the budget's GANs for only ``--gan-steps`` steps (the scoring cost does not depend on how well they are
trained), then runs the paper's ``score_samples`` step and prints one JSON object: the seconds per phase
(load, generate, features, colour, metrics), the scoring total, and the metric arithmetic alone on random
features of the same shape. Numbers are measured, never asserted anywhere. Usage:
  python scripts/bench_scoring.py [--budget cpu] [--gan-steps 4] [--work DIR] [--repeat 1]
"""

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

from tfskin import color_stats  # noqa: E402
from tfskin.evaluation.generative import generative_metrics  # noqa: E402
from tfskin.reproduce import lunagariya  # noqa: E402
from tfskin.reproduce.papers import Experiment, settings_for  # noqa: E402
from tfskin.reproduce.workflow import Workflow  # noqa: E402


def train_gans(exp, steps: int) -> dict:
    run_dirs = {}
    for row, model, key in lunagariya.MODELS:
        config = lunagariya._config(exp, model, exp.settings[f"{key}_preset"], steps)
        run_dirs[row] = exp.workflow.train_gan(model, config)
    return run_dirs


def arithmetic_only(settings: dict, dim: int, repeat: int) -> dict:
    """Seconds of one draw's metric arithmetic (FID, KID, precision/recall; colour distances) on random data."""
    rng = np.random.default_rng(0)
    n = settings["samples"]
    real, fake = rng.random((n, dim)), rng.random((n, dim))
    images = rng.integers(0, 256, (2, n, 16, 16, 3), dtype=np.uint8)
    best = {"metrics": float("inf"), "colour": float("inf")}
    for _ in range(repeat):
        start = time.perf_counter()
        generative_metrics(real, fake, feature_network="random", kid_subsets=settings["kid_subsets"])
        best["metrics"] = min(best["metrics"], time.perf_counter() - start)
        start = time.perf_counter()
        color_stats.colour_distances(images[0], images[1])
        best["colour"] = min(best["colour"], time.perf_counter() - start)
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", default="cpu", choices=("smoke", "cpu", "paper"))
    parser.add_argument("--gan-steps", type=int, default=4, help="training steps per GAN (scoring cost only)")
    parser.add_argument("--work", default=None, help="folder for the GAN runs (reused when it exists)")
    parser.add_argument("--repeat", type=int, default=1, help="score this many times; the fastest counts")
    args = parser.parse_args()

    work = Path(args.work or tempfile.mkdtemp(prefix="bench_scoring_"))
    settings = settings_for(lunagariya, args.budget)
    exp = Experiment(paper="lunagariya", out=work, data="phantoms", ood_data=None, budget=args.budget,
                     settings=settings, workers=1, workflow=Workflow(work, stream=sys.stderr),
                     datasets=lunagariya.datasets("phantoms"))
    run_dirs = train_gans(exp, args.gan_steps)
    runs = []
    for _ in range(args.repeat):
        # a cold scoring every time: no features read back from an earlier repeat's cache
        shutil.rmtree(work / getattr(lunagariya, "FEATURE_CACHE_DIR", "features"), ignore_errors=True)
        start, cpu = time.perf_counter(), time.process_time()
        scores = lunagariya.score_samples(exp, run_dirs)
        runs.append({"seconds": time.perf_counter() - start, "cpu_seconds": time.process_time() - cpu,
                     "profile": scores.get("profile", {})})
    best = min(runs, key=lambda r: r["seconds"])
    side = int(settings["features"].partition(":")[2] or 32) if settings["features"].startswith("pixels") else 0
    print(json.dumps({
        "benchmark": "lunagariya score_samples",
        "budget": args.budget,
        "samples": settings["samples"], "draws": settings["draws"], "rows": len(run_dirs) + 1,
        "features": settings["features"], "kid_subsets": settings["kid_subsets"],
        "image_size": scores["image_size"],
        "scoring_seconds": round(best["seconds"], 3),
        "scoring_cpu_seconds": round(best["cpu_seconds"], 3),  # every thread of the process: robust to load
        "profile_seconds": {k: round(v, 3) for k, v in best["profile"].items()},
        "all_runs_seconds": [round(r["seconds"], 3) for r in runs],
        "one_draw_arithmetic_seconds": ({k: round(v, 4) for k, v in
                                         arithmetic_only(settings, side * side * 3, 3).items()} if side else None),
        "machine": {"cpu_count": os.cpu_count(), "load_average_after": [round(x, 1) for x in os.getloadavg()],
                    "python": platform.python_version(), "numpy": np.__version__},
    }, indent=2))


if __name__ == "__main__":
    main()
