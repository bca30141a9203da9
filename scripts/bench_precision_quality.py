"""Does a precision change what a short run learns? Each model's ``tiny`` preset trained for a few hundred
steps under each precision and seed; the quality figure is the runner's own colour curve (Wasserstein-1 of the
fixed samples' mean-RGB histograms to real phantoms, 0-255 scale; CycleGAN: its A->B translations against
real B), at step 0 and at the end. One JSON line per run as it finishes, then a summary: per model, the final
figures, float32's seed-to-seed spread, and each other precision's paired difference to float32 (same seed)
with whether it is within that spread. Measured, never asserted.

    python scripts/bench_precision_quality.py [--models dcgan,acgan] [--precisions float32,mixed_bfloat16]
                                              [--seeds 0,1] [--steps 200]
"""

import argparse
import io
import json
import os
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

MODELS = ("dcgan", "acgan", "ddgan", "lapgan", "progan", "progan_frozen", "cyclegan", "pix2pixhd")


def one_run(model: str, precision: str, seed: int, steps: int) -> dict:
    from tfskin.training import resolve_config, train

    config = resolve_config(model, "tiny", data={"num_examples": 512},
                            train={"steps": steps, "batch_size": 8 if model in ("cyclegan", "pix2pixhd") else 16,
                                   "sample_every": steps, "log_every": steps, "checkpoint_every": steps,
                                   "export_at_end": False, "precision": precision, "seed": seed})
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as run_dir:
        result = train(config, os.path.join(run_dir, "run"), stream=io.StringIO())
    history = result.colour_history
    return {"model": model, "precision": precision, "seed": seed, "steps": steps,
            "colour_w1_start": round(history[0]["wasserstein"]["mean"], 2),
            "colour_w1_end": round(history[steps]["wasserstein"]["mean"], 2),
            "seconds": round(time.perf_counter() - t0, 1)}


def summarise(rows) -> dict:
    """Per model: the final figures by precision (in seed order), float32's seed-to-seed spread (max - min), and
    each other precision's paired difference to float32 (same seed, so same initial weights and batches),
    with whether its size is within that spread."""
    summary = {}
    for model in dict.fromkeys(r["model"] for r in rows):
        final = {}
        for r in rows:
            if r["model"] == model:
                final.setdefault(r["precision"], {})[r["seed"]] = r["colour_w1_end"]
        entry = {p: [v[seed] for seed in sorted(v)] for p, v in final.items()}
        reference = final.get("float32", {})
        if len(reference) >= 2:
            spread = max(reference.values()) - min(reference.values())
            entry["float32_spread"] = round(spread, 2)
            for precision, values in final.items():
                if precision == "float32":
                    continue
                diffs = [round(values[s] - reference[s], 2) for s in sorted(values) if s in reference]
                entry[f"{precision}_minus_float32"] = diffs
                entry[f"{precision}_within_spread"] = [abs(d) <= spread for d in diffs]
        summary[model] = entry
    return summary


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--precisions", default="float32,mixed_bfloat16")
    parser.add_argument("--seeds", default="0,1")
    parser.add_argument("--steps", type=int, default=200)
    args = parser.parse_args(argv)
    rows = []
    # Seeds outermost, precisions innermost: every model has one run of each precision as early as possible.
    for seed in [int(s) for s in args.seeds.split(",")]:
        for model in args.models.split(","):
            for precision in args.precisions.split(","):
                rows.append(one_run(model, precision, seed, args.steps))
                print(json.dumps(rows[-1]), flush=True)
    print(json.dumps({"runs": rows, "summary": summarise(rows)}, indent=2))


if __name__ == "__main__":
    main()
