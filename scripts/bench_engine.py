"""Side by side: a paper's evaluation phase under the one-by-one (``single``) and the ``reuse`` engine.

Both engines run the same classifier protocol on the same machine in the same minutes, by default interleaved
in one process (each run under ``single``, then under ``reuse``: paired runs, median ratio), or with
``--design concurrent`` one process per engine at the same time with one TensorFlow thread each: bissoto2018's
classifier settings of a budget (default ``cpu``) and its training-set shapes (Real, a synthetic set of the real
set's size, Real+1x and Real+2x synthetic: 200, 200, 400 and 600 images at ``cpu``) on phantoms, the synthetic
images being phantoms of the test split written as a PNG folder (what they show does not change the timing).
Prints one JSON object: seconds per run and per phase for each engine, the ratio single / reuse of the whole
evaluation phase, the load average, and the largest difference of any run's AUC between the engines (the same
seeds must give the same numbers). Numbers are measured, never asserted anywhere. Usage:
  python scripts/bench_engine.py [--budget cpu] [--repeats 3] [--work DIR] [--precision auto]
                                 [--design interleaved|concurrent]
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ENGINES = ("single", "reuse")


def _synthetic_folder(folder: Path, n: int, size) -> str:
    """``n`` phantom test images as DIR/<CLASS>/x.png (a stand-in for a GAN's labelled samples)."""
    from tfskin.classes import CLASS_NAMES
    from tfskin.evaluation.real_data import load_arrays
    from tfskin.imaging import save_png

    if not folder.is_dir():
        arrays = load_arrays("phantoms", "test", tuple(size), num_examples=n, seed=12345)
        for i, (image, label) in enumerate(zip(arrays["image"], arrays["label"], strict=True)):
            (folder / CLASS_NAMES[label]).mkdir(parents=True, exist_ok=True)
            save_png(image, folder / CLASS_NAMES[label] / f"s{i:05d}.png")
    return f"png:{folder}"


def protocol_config(budget: str, repeats: int, work: Path, precision: str) -> dict:
    from tfskin.reproduce.bissoto2018 import SETTINGS

    s = SETTINGS[budget]
    size = [s["image_size"], s["image_size"]]
    source = _synthetic_folder(work / "synthetic", 2 * s["train_size"], size)
    pieces = lambda k: [{"source": "synthetic", "n": f"{k}x"}]  # noqa: E731
    return {"name": f"bench_engine_{budget}", "seed": 0, "repeats": repeats, "workers": 1, "metric": "auc",
            "data": {"name": "phantoms", "image_size": size, "train_pool": s["train_size"],
                     "train_size": s["train_size"], "test_size": s["test_size"],
                     "ood_test": {"name": "phantoms:domain=clinic", "size": s["ood_size"], "seed": 7}},
            "classifier": {"task": "melanoma", **s["classifier"], "precision": precision},
            "sources": {"synthetic": source},
            "conditions": [{"name": "Real"}, {"name": "Synthetic", "real": False, "synthetic": pieces(1)},
                           {"name": "Real+Synthetic", "synthetic": pieces(1)},
                           {"name": "Real+2xSynthetic", "synthetic": pieces(2)}]}


def child(engine: str, config: Path, out: Path):
    """One engine's evaluation phase in this process (one TensorFlow thread); prints its JSON line."""
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    import io

    from tfskin.evaluation.protocol import collect_results, run_protocol

    start = time.perf_counter()
    run_protocol(json.loads(config.read_text()), out, engine=engine, stream=io.StringIO())
    wall = time.perf_counter() - start
    results = collect_results(out)
    phases = {}
    for r in results:
        for phase, seconds in r["profile"].items():
            phases[phase] = phases.get(phase, 0.0) + seconds / len(results)
    print(json.dumps({"engine": engine, "wall_seconds": wall, "runs": len(results),
                      "seconds_per_run": wall / max(1, len(results)),
                      "phases_per_run": {k: round(v, 3) for k, v in phases.items()},
                      "precision": sorted({r["precision"] for r in results}),
                      "reused_runs": sum(bool(r["engine"].get("reused_model")) for r in results),
                      "traces": sum(r["engine"].get("train_traces") or 0 for r in results),
                      "auc": {f"{r['condition']}/{r['repeat']}": r["test"]["auc"] for r in results}}))


def interleaved(config: Path, work: Path) -> dict:
    """Both engines in this process, run by run: each (condition, repeat) trained under ``single`` and then under
    ``reuse`` (whose pool persists), so each pair shares its minute of machine load; returns per-run seconds."""
    from tfskin.evaluation.protocol import execute_run, load_protocol

    cfg = load_protocol(json.loads(config.read_text()))
    pairs = []
    for repeat in range(int(cfg["repeats"])):
        for condition in cfg["conditions"]:
            row = {"run": f"{condition['name']}/{repeat}"}
            for engine in ENGINES:
                result = execute_run({**cfg, "engine": engine}, condition["name"], repeat,
                                     work / f"interleaved_{engine}" / condition["name"] / f"rep{repeat:02d}")
                row[engine] = {"seconds": round(result["seconds"], 2), "auc": result["test"]["auc"],
                               "trace": round(result["profile"].get("trace", 0.0), 2),
                               "reused": result["engine"]["reused_model"]}
            row["ratio"] = round(row["single"]["seconds"] / row["reuse"]["seconds"], 2)
            print(json.dumps(row), file=sys.stderr, flush=True)
            pairs.append(row)
    single = sum(r["single"]["seconds"] for r in pairs)
    reuse = sum(r["reuse"]["seconds"] for r in pairs)
    later = [r["ratio"] for r in pairs if r["reuse"]["reused"]]
    return {"design": "interleaved: one process, each run under single then reuse", "runs_per_engine": len(pairs),
            "seconds_per_run": {"single": round(single / len(pairs), 2), "reuse": round(reuse / len(pairs), 2)},
            "ratio_single_over_reuse": round(single / reuse, 2),
            "median_ratio_on_reused_models": float(sorted(later)[len(later) // 2]) if later else None,
            "max_auc_difference": max(abs(r["single"]["auc"] - r["reuse"]["auc"]) for r in pairs), "runs": pairs}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--budget", default="cpu", choices=("smoke", "cpu"))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--precision", default="auto", help="the classifiers' precision (default: the budget's)")
    parser.add_argument("--work", help="folder for the stand-in samples and both protocols (default: a temp dir)")
    parser.add_argument("--design", choices=("interleaved", "concurrent"), default="interleaved",
                        help="interleaved: one process, each run under single then reuse (paired, same minute); "
                             "concurrent: one process per engine at the same time, one thread each")
    parser.add_argument("--child", choices=ENGINES, help=argparse.SUPPRESS)
    parser.add_argument("--config", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child, Path(args.config), Path(args.out))
    work = Path(args.work or tempfile.mkdtemp(prefix="bench_engine_"))
    work.mkdir(parents=True, exist_ok=True)
    config = work / "protocol_config.json"
    config.write_text(json.dumps(protocol_config(args.budget, args.repeats, work, args.precision)))
    load_before = os.getloadavg()
    start = time.perf_counter()
    if args.design == "interleaved":
        result = interleaved(config, work)
        print(json.dumps({"budget": args.budget, "repeats": args.repeats,
                          "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                                      "load_average_before": [round(v, 2) for v in load_before],
                                      "load_average_after": [round(v, 2) for v in os.getloadavg()]},
                          "wall_seconds": round(time.perf_counter() - start, 1), **result}, indent=1))
        return
    children = {e: subprocess.Popen([sys.executable, __file__, "--child", e, "--config", str(config),
                                     "--out", str(work / f"protocol_{e}_{int(time.time())}")],
                                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
                for e in ENGINES}
    out = {}
    for engine, proc in children.items():
        stdout, _ = proc.communicate()
        lines = [line for line in stdout.splitlines() if line.startswith("{")]
        if proc.returncode or not lines:
            raise SystemExit(f"the {engine} engine's run failed (exit {proc.returncode})")
        out[engine] = json.loads(lines[-1])
    aucs = [(out["single"]["auc"][k], out["reuse"]["auc"].get(k)) for k in out["single"]["auc"]]
    print(json.dumps({
        "budget": args.budget, "repeats": args.repeats, "runs_per_engine": out["single"]["runs"],
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "load_average_before": [round(v, 2) for v in load_before],
                    "load_average_after": [round(v, 2) for v in os.getloadavg()]},
        "wall_seconds_both": round(time.perf_counter() - start, 1),
        "engines": {e: {k: v for k, v in r.items() if k != "auc"} for e, r in out.items()},
        "ratio_single_over_reuse": round(out["single"]["wall_seconds"] / out["reuse"]["wall_seconds"], 2),
        "max_auc_difference": max((abs(a - b) for a, b in aucs if b is not None), default=None),
    }, indent=1))


if __name__ == "__main__":
    main()
