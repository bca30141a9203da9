"""Does discriminator augmentation (and the generator EMA) help a GAN on a small phantom set? Paired runs.

For every model x training-set size x setting x seed it trains one run (same real images and initial weights
across settings for a seed: the pair), keeping a generator EMA in every run, then scores the EMA generator and
the raw one (EMA off) of that same run on ``--samples`` images:

* KID (x 1e3) against held-out real phantoms (another data seed than the training images), on domain features:
  a small phantom classifier trained once on further held-out phantoms (``--features phantom-classifier``,
  cached in OUT), or any ``tfskin evaluate metrics`` feature network (``classifier:PATH``), and on pixels
  (32 x 32); the same figures for other real images and for one real image repeated are printed beside, so
  what a feature space can tell apart is on the page;
* sample diversity (``tfskin.diversity``): mean pairwise and nearest-neighbour distance, as a ratio to the same
  figure of as many real images (about 1: as varied as real images; near 0: mode collapse);
* the last ADA p.

It prints one table: the median and range (min..max) over seeds per setting, and the median of the per-seed
paired difference to the first setting, then writes every number to OUT/bench_augment.json. Runs already
finished in OUT are reused, so a cut-off bench resumes. Numbers are measured, never asserted. The issue's full
design (dcgan, acgan, progan, pix2pixhd at 200 and 1,000 images, 3 seeds) is e.g.:

  python scripts/bench_augment.py --models dcgan progan --sizes 200 1000 --seeds 0 1 2 --steps 20000 \\
      --preset paper64 --out bench_augment_full

(noise-to-image models only; the CPU-sized default is dcgan quick at 32x32, 200 images, 1,000 steps).
A setting is ``none``, ``ada``, ``diffaugment`` or ``NAME=JSON`` (an ``augment`` section, e.g.
``'ada20k={"kind": "ada", "speed_images": 20000}'``).
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

from tfskin.diversity import FIGURES, diversity_ratio, sample_diversity  # noqa: E402

REAL_SEED, FEATURE_SEED = 9001, 9002  # phantom data seeds of the KID reference and the feature classifier
CLASSIFIER_EPOCHS = 15


def parse_setting(text: str) -> tuple:
    name, _, spec = text.partition("=")
    return (name, json.loads(spec)) if spec else (name, {"kind": name})


def phantoms(count: int, size: int, seed: int) -> dict:
    from tfskin.evaluation.real_data import load_arrays

    return load_arrays("phantoms", "train", (size, size), num_examples=count, seed=seed)


def feature_network(spec: str, size: int, out: Path):
    """The KID feature network: ``phantom-classifier`` (trained once, cached under ``out``) or a spec."""
    from tfskin.evaluation.features import make_feature_network

    if spec != "phantom-classifier":
        return make_feature_network(spec)
    path = out / f"feature_classifier_{size}_e{CLASSIFIER_EPOCHS}"
    if not (path / "model.keras").exists():
        from tfskin.evaluation.classifier import ClassifierConfig, task_labels, train_classifier

        data = phantoms(1000, size, FEATURE_SEED)
        config = ClassifierConfig(task="multiclass", backbone="small_cnn", width=32, image_size=(size, size),
                                  epochs=CLASSIFIER_EPOCHS, learning_rate=0.01, tta=1, seed=0)
        labels = task_labels("multiclass", data["label"])
        keep = labels >= 0
        train_classifier(config, data["image"][keep], labels[keep]).save(path)
    return make_feature_network(f"classifier:{path}")


def classifier_accuracy(features, data: dict):
    """The feature classifier's 8-class accuracy on ``data`` and the majority-class share (None: no classifier)."""
    classifier = getattr(features, "classifier", None)
    if classifier is None:
        return None
    from tfskin.evaluation.classifier import task_labels

    labels = task_labels("multiclass", data["label"])
    keep = labels >= 0
    predicted = classifier.predict(data["image"][keep], tta=1).argmax(axis=1)
    return {"accuracy": float(np.mean(predicted == labels[keep])),
            "majority_share": float(np.bincount(labels[keep]).max() / keep.sum())}


def train_run(model: str, preset: str, size: int, num_examples: int, setting: dict, seed: int, args,
              run_dir: Path) -> dict:
    """Train one run (or reuse a finished one); returns what it logged at the end."""
    done = run_dir / "bench_run.json"
    if done.exists():
        return json.loads(done.read_text())
    from tfskin.training import resolve_config, train

    config = resolve_config(model, preset, data={"num_examples": num_examples, "image_size": (size, size)},
                            train={"steps": args.steps, "seed": seed, "export_at_end": False,
                                   "sample_every": args.steps, "checkpoint_every": args.steps,
                                   "log_every": max(1, args.steps // 10)},
                            augment=setting, ema={"halflife_images": args.ema_halflife})
    start = time.time()
    result = train(config, run_dir, stream=open(os.devnull, "w"))
    record = {"seconds": round(time.time() - start, 1),
              "final_logs": {k: float(v) for k, v in result.final_logs.items()}}
    done.write_text(json.dumps(record, indent=2))
    return record


def image_scores(images, networks: dict, real_images) -> dict:
    """KID (x 1e3) per feature network and diversity ratios of ``images`` against the held-out real ones."""
    from tfskin.evaluation.generative import kid

    ratios = diversity_ratio(sample_diversity(images), sample_diversity(real_images[:len(images)]))
    return {**{f"kid_{name}_x1e3": 1e3 * kid(real_features, network(images))["kid"]
               for name, (network, real_features) in networks.items()},
            **{f"diversity_{name}": ratios[name] for name in FIGURES}}


def score_run(run_dir: Path, networks: dict, real_images, num: int) -> dict:
    """Scores of the EMA generator and the raw one of a finished run."""
    from tfskin.imaging import to_uint8
    from tfskin.runs import load_trained_model

    scores = {}
    for generator, raw in (("ema", False), ("raw", True)):
        _, model = load_trained_model(run_dir, precision="float32", raw_generator=raw)
        scores[generator] = image_scores(to_uint8(model.sample(num, seed=12345)["image"]), networks, real_images)
    return scores


def summarise(rows: list, settings: list) -> list:
    """Table lines: median [min..max] over seeds and the median paired difference to the first setting."""
    metrics = ("kid_domain_x1e3", "kid_pixels_x1e3", "diversity_mean_pairwise", "diversity_mean_nearest")
    lines = [f"{'model':8} {'n':>5} {'setting':14} {'G':4} {'seeds':>5} " +
             " ".join(f"{m:>32}" for m in metrics) + f" {'last p':>6}"]
    groups = sorted({(r["model"], r["num_examples"]) for r in rows})
    for model, n in groups:
        for setting in settings:
            for generator in ("ema", "raw"):
                mine = [r for r in rows if (r["model"], r["num_examples"], r["setting"]) == (model, n, setting)]
                if not mine:
                    continue
                cells = []
                for m in metrics:
                    values = np.array([r["scores"][generator][m] for r in mine])
                    cell = f"{np.median(values):.3g} [{values.min():.3g}..{values.max():.3g}]"
                    base = {r["seed"]: r["scores"][generator][m] for r in rows
                            if (r["model"], r["num_examples"], r["setting"]) == (model, n, settings[0])}
                    paired = [r["scores"][generator][m] - base[r["seed"]] for r in mine if r["seed"] in base]
                    if setting != settings[0] and paired:
                        cell += f" d{np.median(paired):+.3g}"
                    cells.append(f"{cell:>32}")
                p = [r["final_logs"].get("ada_p", float("nan")) for r in mine]
                lines.append(f"{model:8} {n:>5} {setting:14} {generator:4} {len(mine):>5} " + " ".join(cells) +
                             f" {np.median(p):6.2f}")
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", nargs="+", default=["dcgan"])
    parser.add_argument("--preset", default="quick")
    parser.add_argument("--sizes", nargs="+", type=int, default=[200], help="training images (phantoms)")
    parser.add_argument("--settings", nargs="+", default=["none", "ada"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--image-size", type=int, default=32)
    parser.add_argument("--ema-halflife", type=float, default=2000.0, help="images (every run keeps an EMA)")
    parser.add_argument("--samples", type=int, default=256, help="generated images scored per generator")
    parser.add_argument("--features", default="phantom-classifier")
    parser.add_argument("--out", type=Path, default=Path("bench_augment_runs"))
    args = parser.parse_args(argv)
    settings = [parse_setting(s) for s in args.settings]
    args.out.mkdir(parents=True, exist_ok=True)
    features = feature_network(args.features, args.image_size, args.out)
    pixels = feature_network("pixels:32", args.image_size, args.out)
    held_out_data = phantoms(2 * max(512, args.samples), args.image_size, REAL_SEED)
    held_out = held_out_data["image"]
    real, other_real = held_out[:len(held_out) // 2], held_out[len(held_out) // 2:]
    accuracy = classifier_accuracy(features, held_out_data)
    networks = {"domain": (features, features(real)), "pixels": (pixels, pixels(real))}
    # what the figures read for real images and for one real image repeated (complete mode collapse)
    references = {"real images (other held-out phantoms)": image_scores(other_real[:args.samples], networks, real),
                  "one real image repeated": image_scores(np.repeat(other_real[:1], args.samples, 0), networks,
                                                          real)}
    rows = []
    for model in args.models:
        for n in args.sizes:
            for seed in args.seeds:
                for name, augment in settings:
                    run_dir = args.out / f"{model}_{n}_{name}_seed{seed}"
                    record = train_run(model, args.preset, args.image_size, n, augment, seed, args, run_dir)
                    scores = score_run(run_dir, networks, real, args.samples)
                    rows.append({"model": model, "num_examples": n, "setting": name, "augment": augment,
                                 "seed": seed, **record, "scores": scores})
                    print(json.dumps(rows[-1]), flush=True)
    lines = summarise(rows, [name for name, _ in settings])
    header = (f"{args.preset} preset at {args.image_size}x{args.image_size}, {args.steps} steps, EMA half-life "
              f"{args.ema_halflife:g} images (G: ema = the EMA generator, raw = EMA off, same run); KID x1e3 on "
              f"domain = {features.describe().get('feature_network', args.features)} and on pixels at 32x32, vs "
              f"{len(real)} held-out phantoms, "
              f"{args.samples} samples; diversity: ratio to as many real images; median [min..max] over seeds, "
              f"d = median paired difference to {settings[0][0]}")
    reference_lines = [f"  {name}: " + ", ".join(f"{k} {v:.3g}" for k, v in scores.items())
                       for name, scores in references.items()]
    print(header)
    print("\n".join(lines))
    if accuracy:
        print(f"domain features: the phantom classifier's 8-class accuracy on the held-out phantoms "
              f"{accuracy['accuracy']:.2f} (majority class {accuracy['majority_share']:.2f})")
    print("the same figures for reference:")
    print("\n".join(reference_lines))
    (args.out / "bench_augment.json").write_text(json.dumps(
        {"header": header, "table": lines, "references": references, "feature_classifier": accuracy, "rows": rows},
        indent=2))


if __name__ == "__main__":
    main()
