#!/usr/bin/env python
"""Benchmark dataset preparation: examples/s and peak memory of building ISIC 2019 from a generated tree.

    python scripts/bench_prepare.py --images 2500 --workers 2          # prints one JSON object per run

Generates ``ISIC_2019_Training_Input/`` (+ ground truth and metadata CSVs) in a temporary folder with large fake
JPEGs in ISIC's common sizes (6000x4000, 4288x2848, 3008x2000, 1024x768): a few drawn images per size, hard-linked
under many names (decoding cost is per file; disk use stays small). Each run builds in a fresh subprocess and
reports wall time, examples/s, the main process's peak RSS (``resource.getrusage``) and the worker processes'
peak RSS (sampled every 0.2 s with psutil; ``RUSAGE_CHILDREN`` would also count TensorFlow's fork+exec helpers).
Runs: the full tree, a fifth of it (memory must not grow with the dataset), and a subset with SLIC
superpixels. Nothing is kept: the tree and the prepared data are deleted at the end.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
SIZES = ((4000, 6000), (2848, 4288), (2000, 3008), (768, 1024))  # (height, width)
CLASSES = ("MEL", "NV", "BCC", "AK", "BKL", "DF", "VASC", "SCC", "UNK")


def _draw(height: int, width: int, seed: int) -> Image.Image:
    """A smooth skin-and-lesion picture with mild noise, drawn small and enlarged (fast at 24 MP)."""
    rng = np.random.default_rng(seed)
    h, w = max(height // 8, 8), max(width // 8, 8)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    image = np.stack([200 - 20 * yy / h, 150 + 30 * xx / w, 125 + 10 * np.sin(xx / 9)], -1)
    cy, cx = h * rng.uniform(0.4, 0.6), w * rng.uniform(0.4, 0.6)
    lesion = ((yy - cy) / (h * 0.25)) ** 2 + ((xx - cx) / (w * 0.22)) ** 2 < 1
    image[lesion] = (110, 62, 40)
    big = Image.fromarray(np.clip(image, 0, 255).astype(np.uint8)).resize((width, height), Image.Resampling.BICUBIC)
    noise = Image.effect_noise((width, height), 12).convert("RGB")
    return Image.blend(big, noise, 0.06)


def generate_tree(root: Path, images: int, variants: int = 3) -> Path:
    folder = root / "ISIC_2019_Training_Input"
    folder.mkdir(parents=True)
    bases = []
    for s, (height, width) in enumerate(SIZES):
        for v in range(variants):
            path = root / f"base_{s}_{v}.jpg"
            _draw(height, width, 10 * s + v).save(path, quality=90)
            bases.append(path)
    rng = np.random.default_rng(0)
    with open(root / "ISIC_2019_Training_GroundTruth.csv", "w", newline="") as gt, \
            open(root / "ISIC_2019_Training_Metadata.csv", "w", newline="") as meta:
        gt_writer, meta_writer = csv.writer(gt), csv.writer(meta)
        gt_writer.writerow(("image",) + CLASSES)
        meta_writer.writerow(("image", "age_approx", "anatom_site_general", "lesion_id", "sex"))
        for i in range(images):
            image_id = f"ISIC_{i:07d}"
            os.link(bases[i % len(bases)], folder / f"{image_id}.jpg")
            label = int(rng.integers(0, 8))
            gt_writer.writerow((image_id,) + tuple("1.0" if k == label else "0.0" for k in range(len(CLASSES))))
            meta_writer.writerow((image_id, str(5 * int(rng.integers(4, 18))), "", f"BCN_{i // 2:07d}", ""))
    return root


def run_build(manual: str, data_dir: str, workers: int, limit: int, slic: bool) -> dict:
    """One build in this process (called in a subprocess by ``main``)."""
    from tfskin.data.tfds import register
    from tfskin.data.tfds.isic import IsicChallenge

    config = register.config_of("isic2019")
    if slic:
        config = dataclasses.replace(config, name="isic2019_slic", layout="isic2019", superpixels="slic")
    exclude = None
    if limit:
        exclude = Path(data_dir) / "exclude.txt"
        exclude.parent.mkdir(parents=True, exist_ok=True)
        ids = sorted(p.stem for p in (Path(manual) / "ISIC_2019_Training_Input").glob("*.jpg"))[limit:]
        exclude.write_text("\n".join(ids))
    import tensorflow_datasets as tfds

    tfds.disable_progress_bar()
    builder = IsicChallenge(config=config, data_dir=data_dir, workers=workers, exclude=exclude and str(exclude))
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    sampler = _WorkerSampler()
    sampler.start()
    start = time.perf_counter()
    builder.download_and_prepare(download_config=tfds.download.DownloadConfig(
        manual_dir=manual, compute_stats=tfds.download.ComputeStatsMode.SKIP))
    wall = time.perf_counter() - start
    sampler.stop.set()
    sampler.join()
    examples = sum(s.num_examples for s in builder.info.splits.values())
    return {"examples": examples, "workers": workers, "slic": slic, "wall_s": round(wall, 1),
            "examples_per_s": round(examples / wall, 2),
            "main_peak_rss_mb_before_build": round(rss_before / 1024),
            "main_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "worker_peak_rss_mb": round(sampler.peak_worker / 2**20),
            "workers_total_peak_rss_mb": round(sampler.peak_total / 2**20)}


class _WorkerSampler(threading.Thread):
    """Peak RSS of this process's multiprocessing workers (one and all together), sampled."""

    def __init__(self, interval: float = 0.2):
        super().__init__(daemon=True)
        self.interval, self.stop = interval, threading.Event()
        self.peak_worker = self.peak_total = 0

    def run(self):
        import psutil

        me = psutil.Process()
        while not self.stop.wait(self.interval):
            total = 0
            for child in me.children(recursive=True):
                try:
                    if "multiprocessing" in " ".join(child.cmdline()):
                        rss = child.memory_info().rss
                        total += rss
                        self.peak_worker = max(self.peak_worker, rss)
                except psutil.Error:
                    continue
            self.peak_total = max(self.peak_total, total)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=2500, help="images in the generated tree")
    parser.add_argument("--workers", type=int, default=os.cpu_count(), help="preparation processes")
    parser.add_argument("--slic-images", type=int, default=200, help="images of the SLIC run (0 = skip)")
    parser.add_argument("--keep", help="generate the tree here and keep it (default: a temporary folder)")
    parser.add_argument("--run", nargs=5, metavar=("MANUAL", "DATA_DIR", "WORKERS", "LIMIT", "SLIC"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.run:
        manual, data_dir, workers, limit, slic = args.run
        print(json.dumps(run_build(manual, data_dir, int(workers), int(limit), slic == "1")))
        return
    root = Path(args.keep or tempfile.mkdtemp(prefix="tfskin_bench_"))
    try:
        start = time.perf_counter()
        generate_tree(root / "manual", args.images)
        print(json.dumps({"generated_images": args.images, "generate_s": round(time.perf_counter() - start, 1),
                          "sizes": [f"{w}x{h}" for h, w in SIZES]}), flush=True)
        runs = [(args.images, False), (max(args.images // 5, 1), False)]
        if args.slic_images:
            runs.append((args.slic_images, True))
        for n, (limit, slic) in enumerate(runs):
            data_dir = root / f"data_{n}"
            out = subprocess.run([sys.executable, __file__, "--run", str(root / "manual"), str(data_dir),
                                  str(args.workers), str(0 if limit == args.images else limit), "1" if slic else "0"],
                                 capture_output=True, text=True, cwd=ROOT)
            if out.returncode:
                sys.exit(out.stderr[-4000:])
            print(out.stdout.strip().splitlines()[-1], flush=True)
            shutil.rmtree(data_dir, ignore_errors=True)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
