"""float32 vs mixed_bfloat16 for the experiments' small downstream models, side by side in one process.

Trains the ``cpu``-budget classifier (bissoto2018: small_cnn width 16, 32x32, batch 32) and segmenter
(pollastri2020: CDNN0 width 0.125, 48x64, batch 16) on phantoms in both precisions, alternating, and prints one
JSON object: seconds per epoch (classifier) and per step (segmenter), the first step (trace) left out, the fastest
of ``--rounds``, and the bf16/float32 ratio. Numbers are measured, never asserted. Usage:
  python scripts/bench_small_precision.py [--rounds 2] [--epochs 3] [--steps 40]
"""

import argparse
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


from tfskin import runtime  # noqa: E402
from tfskin.evaluation.classifier import ClassifierConfig, train_classifier  # noqa: E402
from tfskin.evaluation.profile import Stopwatch  # noqa: E402
from tfskin.evaluation.real_data import load_arrays  # noqa: E402
from tfskin.evaluation.segmenter import SegmenterConfig, train_segmenter  # noqa: E402

PRECISIONS = ("float32", "mixed_bfloat16")


def classifier_epoch(precision: str, data: dict, epochs: int) -> float:
    config = ClassifierConfig(backbone="small_cnn", width=16, image_size=(32, 32), epochs=epochs, batch_size=32,
                              learning_rate=0.01, tta=1, precision=precision)
    watch = Stopwatch()
    train_classifier(config, data["image"], data["label"] % 2, watch=watch)
    return watch.seconds["train"] / epochs  # fit less its first step (the trace), per epoch


def segmenter_step(precision: str, data: dict, steps: int) -> float:
    config = SegmenterConfig.variant("cdnn0", width=0.125, image_size=(48, 64), batch_size=16, precision=precision)
    watch = Stopwatch()
    train_segmenter(config, data["image"], data["mask"], real_steps=steps, watch=watch)
    return watch.seconds["train"] / (steps - 1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--steps", type=int, default=40)
    args = parser.parse_args()
    clf_data = load_arrays("phantoms", "train", (32, 32), num_examples=400, seed=0)
    seg_data = load_arrays("phantoms", "train", (48, 64), num_examples=200, seed=0, features=("image", "mask"))
    times = {"classifier_epoch": {p: [] for p in PRECISIONS}, "segmenter_step": {p: [] for p in PRECISIONS}}
    for _ in range(args.rounds):
        for precision in PRECISIONS:
            times["classifier_epoch"][precision].append(classifier_epoch(precision, clf_data, args.epochs))
            times["segmenter_step"][precision].append(segmenter_step(precision, seg_data, args.steps))
    result = {"benchmark": "small downstream models, float32 vs mixed_bfloat16",
              "auto_resolves_to": runtime.auto_precision(), "rounds": args.rounds,
              "classifier": "small_cnn width 16, 32x32, batch 32, 400 images",
              "segmenter": "CDNN0 width 0.125, 48x64, batch 16"}
    for what, per in times.items():
        best = {p: min(v) for p, v in per.items()}
        result[what] = {"seconds": {p: round(v, 4) for p, v in best.items()},
                        "all_seconds": {p: [round(x, 4) for x in v] for p, v in per.items()},
                        "bf16_over_float32": round(best["mixed_bfloat16"] / best["float32"], 3)}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
