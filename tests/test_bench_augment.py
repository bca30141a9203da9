"""scripts/bench_augment.py: the paired augmentation bench runs end to end and reports KID, diversity and CAS."""

import importlib.util
import json
import math
from pathlib import Path

import numpy as np
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def _bench():
    spec = importlib.util.spec_from_file_location("bench_augment", REPO_ROOT / "scripts" / "bench_augment.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    return script


def test_cached_trainer_trains_once_per_images_labels_and_seed():
    bench = _bench()
    calls = []

    def trainer(images, labels, seed):
        calls.append(seed)
        return lambda x: np.full((len(x), 2), float(len(calls)))

    cached = bench.CachedTrainer(trainer)
    images, labels = np.zeros((4, 8, 8, 3), np.uint8), np.array([0, 0, 1, 1])
    first = cached(images, labels, 0)
    assert cached(images.copy(), labels.copy(), 0) is first  # the real-trained reference of every run of a size
    cached(images, labels, 1)
    cached(images + 1, labels, 0)
    assert calls == [0, 1, 0] and cached.trained == 3


def test_per_model_values_apply_to_all_or_to_one_model():
    bench = _bench()
    defaults = {"dcgan": 1000, "acgan": 1000, "progan": 1600}
    assert bench.per_model(None, ["dcgan", "progan"], defaults, int) == {"dcgan": 1000, "progan": 1600}
    assert bench.per_model(["50", "progan=70"], ["dcgan", "progan"], defaults, int) == {"dcgan": 50, "progan": 70}
    with pytest.raises(SystemExit):
        bench.per_model(["acgan=5"], ["dcgan"], defaults, int)


@pytest.mark.slow
def test_conditional_model_gets_kid_diversity_and_cas_for_both_generators(tmp_path):
    """acgan (class-conditional) and dcgan (no classes), 3 steps with ADA: every row has finite KID and diversity
    for the EMA and the raw generator; acgan's rows also have a finite CAS ratio, dcgan's none (~2-4 min on 2
    shared cores)."""
    out = tmp_path / "bench"
    _bench().main(["--smoke", "--models", "acgan", "dcgan", "--sizes", "48", "--settings", "ada",
                   "--out", str(out)])
    result = json.loads((out / "bench_augment.json").read_text())
    assert sorted((r["model"], r["setting"]) for r in result["rows"]) == [("acgan", "ada"), ("dcgan", "ada")]
    for row in result["rows"]:
        for generator in ("ema", "raw"):
            scores = row["scores"][generator]
            for key in ("kid_domain_x1e3", "kid_pixels_x1e3", "diversity_mean_pairwise", "diversity_mean_nearest"):
                assert math.isfinite(scores[key]), (row["model"], generator, key)
            if row["model"] == "acgan":
                assert math.isfinite(scores["cas_ratio"]) and scores["cas_ratio"] > 0
                assert scores["cas"]["classes"] == ["NV", "MEL"] and scores["cas"]["per_class"] > 0
                assert scores["cas_ratio"] == pytest.approx(scores["cas_auc_synthetic"] / scores["cas_auc_real"])
                assert "cas_ratio_above_chance" in scores
            else:
                assert "cas_ratio" not in scores
    acgan_lines = [line for line in result["table"] if line.startswith("acgan")]
    dcgan_lines = [line for line in result["table"] if line.startswith("dcgan")]
    assert len(acgan_lines) == len(dcgan_lines) == 2  # ema, raw
    assert all(line.split()[-2] == "-" for line in dcgan_lines)  # no CAS cell for a model without classes
    assert all(line.split()[-2] != "-" for line in acgan_lines)
