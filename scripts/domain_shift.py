"""Phantom acquisition domains side by side: a preview PNG, generation speed per domain, and (optionally) the
domain-shift measurement: a classifier trained on the default dermoscope domain, tested on both domains.

Usage:
    python scripts/domain_shift.py --out results/domain_shift                  # preview + speed
    python scripts/domain_shift.py --out results/domain_shift --classify      # + train/test (minutes on CPU)

The classification step is ``tfskin evaluate classify --data phantoms --ood-data phantoms:domain=clinic ...``;
its AUCs go to OUT/classify/metrics.json (dermoscope test) and OUT/classify/ood/metrics.json (clinic test).
"""

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

from tfskin.data.phantoms import DOMAINS, generate_phantoms  # noqa: E402


def preview(path, n: int = 16, size: int = 96, seed: int = 0, start: int = 20_000_000) -> str:
    """One labelled grid per domain (the same lesions, indices start..start+n-1), stacked vertically."""
    from PIL import Image

    from tfskin.data.preview import save_preview_grid

    parts = []
    for name in DOMAINS:
        batch = generate_phantoms(n, size, size, seed=seed, start=start, domain=name)
        part = f"{path}.{name}.png"
        save_preview_grid(batch, part, columns=8, title=f"domain {name} (indices {start}..{start + n - 1})")
        parts.append(Image.open(part).convert("RGB"))
        os.remove(part)
    width = max(p.width for p in parts)
    canvas = Image.new("RGB", (width, sum(p.height for p in parts)), (255, 255, 255))
    y = 0
    for p in parts:
        canvas.paste(p, (0, y))
        y += p.height
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    canvas.save(path)
    return path


def speed(n: int, size: int, repeats: int = 5) -> dict:
    """Phantoms per second per domain: best of ``repeats`` interleaved timings after a warm-up, in wall time
    and in this process's CPU time (the steadier figure on a shared machine)."""
    wall, cpu = {}, {}
    for name in DOMAINS:
        generate_phantoms(2, size, size, start=10 ** 9, domain=name)
    for _ in range(repeats):  # interleaved, so a busy moment of the machine hits both domains alike
        for name in DOMAINS:
            w, c = time.perf_counter(), time.process_time()
            generate_phantoms(n, size, size, domain=name)
            wall[name] = min(wall.get(name, float("inf")), time.perf_counter() - w)
            cpu[name] = min(cpu.get(name, float("inf")), time.process_time() - c)
    return {"wall": {k: round(n / v, 1) for k, v in wall.items()},
            "cpu": {k: round(n / v, 1) for k, v in cpu.items()},
            "cpu_ratio_clinic_to_dermoscope": round(cpu["dermoscope"] / cpu["clinic"], 3)}


def shift_statistics(n: int = 200, size: int = 64) -> dict:
    """What differs between the domains on the same lesions: colour, tone, hair, lesion size, sharpness."""
    stats = {}
    for name in DOMAINS:
        b = generate_phantoms(n, size, size, domain=name, start=20_000_000)
        grey = b["image"].astype(np.float64).mean(axis=-1)
        sharp = np.abs(np.diff(grey, axis=2)).mean()
        stats[name] = {"mean_rgb": b["image"].reshape(-1, 3).mean(0).round(1).tolist(),
                       "mean_skin_tone": round(float(b["skin_tone"].mean()), 3),
                       "hair_share": round(float(b["hair"].mean()), 3),
                       "lesion_fraction": round(float((b["mask"] > 0).mean()), 3),
                       "mean_abs_horizontal_gradient": round(float(sharp), 2)}
    return stats


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="results/domain_shift")
    parser.add_argument("--n", type=int, default=300, help="phantoms per speed timing")
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--classify", action="store_true", help="also train on dermoscope, test on both domains")
    parser.add_argument("--train-examples", type=int, default=2000)
    parser.add_argument("--test-examples", type=int, default=500)
    parser.add_argument("--epochs", type=int, default=15)
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    result = {"preview": preview(os.path.join(args.out, "phantom_domains.png")),
              "phantoms_per_s": {"size": args.size, "n": args.n, **speed(args.n, args.size)},
              "statistics": shift_statistics(size=args.size)}
    if args.classify:
        from tfskin.cli import main as tfskin_main

        command = ["evaluate", "classify", "--data", "phantoms", "--ood-data", "phantoms:domain=clinic",
                   "--task", "malignant", "--image-size", str(args.size), "--train-examples",
                   str(args.train_examples), "--test-examples", str(args.test_examples), "--epochs",
                   str(args.epochs), "--tta", "10", "--out", os.path.join(args.out, "classify")]
        tfskin_main(command)
        read = lambda p: json.loads(open(p).read())["auc"]  # noqa: E731
        result["classify"] = {"command": "tfskin " + " ".join(command),
                              "auc_dermoscope": read(os.path.join(args.out, "classify", "metrics.json")),
                              "auc_clinic": read(os.path.join(args.out, "classify", "ood", "metrics.json"))}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
