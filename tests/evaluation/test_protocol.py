"""The augmentation protocol: config validation, training-set construction, parallel runs, resume, report."""

import io
import json

import numpy as np
import pytest

from tfskin.config import ConfigError
from tfskin.evaluation import protocol, stats


def _config(source_dir, **overrides):
    cfg = {
        "name": "tiny", "seed": 0, "repeats": 2, "workers": 1, "reference": "real",
        "data": {"name": "phantoms", "image_size": [32, 32], "train_pool": 80, "train_size": 60, "test_size": 40},
        "classifier": {"task": "melanoma", "width": 4, "epochs": 1, "batch_size": 32, "tta": 2, "rotation": 0.0,
                       "colour_jitter": 0.0},
        "sources": {"mel": f"run:{source_dir}"},
        "conditions": [
            {"name": "real"},
            {"name": "real+mel", "synthetic": [{"source": "mel", "n": 10, "select": "most_realistic:0.5"}]},
            {"name": "mel-topup", "topup": "mel"},
        ],
    }
    cfg.update(overrides)
    return cfg


def test_config_validation_errors(tmp_path):
    good = _config(tmp_path)
    protocol.load_protocol(good)
    bad_source = _config(tmp_path, conditions=[{"name": "x", "synthetic": [{"source": "nope"}]}])
    with pytest.raises(ConfigError, match="unknown source 'nope'"):
        protocol.load_protocol(bad_source)
    with pytest.raises(ConfigError, match="reference"):
        protocol.load_protocol(_config(tmp_path, reference="missing"))
    with pytest.raises(ConfigError, match="unknown key"):
        protocol.load_protocol(_config(tmp_path, colour="red"))
    with pytest.raises(ConfigError, match="selection_classifier"):
        protocol.load_protocol(_config(tmp_path, conditions=[
            {"name": "real", "synthetic": [{"source": "mel", "n": 5, "select": "confidence:0.5"}]}]))
    with pytest.raises(ConfigError, match="alpha"):
        protocol.parse_selection("most_realistic:2")
    with pytest.raises(FileNotFoundError):
        protocol.load_protocol(tmp_path / "missing.yaml")


def test_cpu_preset_config_is_valid():
    from pathlib import Path

    cfg = protocol.load_protocol(Path(__file__).parents[2] / "configs" / "augmentation_phantoms_cpu.yaml")
    assert cfg["repeats"] == 10 and cfg["data"]["image_size"] == [64, 64]
    assert cfg["classifier"]["backbone"] == "small_cnn"


def test_training_sets_are_paired_and_composed(dcgan_mel_run):
    cfg = protocol.load_protocol(_config(dcgan_mel_run.run_dir))
    real0 = protocol.build_training_set(cfg, cfg["conditions"][0], 0)
    plus0 = protocol.build_training_set(cfg, cfg["conditions"][1], 0)
    topup0 = protocol.build_training_set(cfg, cfg["conditions"][2], 0)
    real1 = protocol.build_training_set(cfg, cfg["conditions"][0], 1)
    assert len(real0["label"]) == 60 and (real0["origin"] == "real").all()
    np.testing.assert_array_equal(plus0["image"][:60], real0["image"])  # the same real subset per repeat
    assert not np.array_equal(real1["image"], real0["image"])            # a different one for the next repeat
    assert (plus0["origin"] == "mel").sum() == 10 and (plus0["label"][60:] == 1).all()
    counts = np.bincount(topup0["label"], minlength=2)
    assert counts[0] == counts[1] and (topup0["origin"] == "mel").sum() == counts[1] - real0["label"].sum()


@pytest.mark.slow
def test_protocol_runs_in_parallel_resumes_and_reports(dcgan_mel_run, tmp_path):
    cfg = _config(dcgan_mel_run.run_dir, conditions=_config("")["conditions"][:2], workers=2)
    out = tmp_path / "protocol"
    summary = protocol.run_protocol(cfg, out, stream=io.StringIO())
    assert summary["runs_finished"] == 4 and not summary["failures"]
    results = protocol.collect_results(out)
    assert {(r["condition"], r["repeat"]) for r in results} == {(c, r) for c in ("real", "real+mel") for r in (0, 1)}
    report = (out / "report.md").read_text()
    # the row may carry a "failed to learn" flag after the name (tiny classifiers often sit at chance)
    assert "| real+mel " in report and "p (paired t)" in report and (out / "test_auc.png").is_file()
    assert (out / "summary.csv").is_file() and (out / "runs.csv").is_file()
    # the report's numbers are the runs' numbers, and its p-value is scipy's paired test on them
    s = json.loads((out / "summary.json").read_text())["splits"]["test"]
    aucs = {c: [next(r["test"]["auc"] for r in results if r["condition"] == c and r["repeat"] == i)
                for i in range(2)] for c in ("real", "real+mel")}
    assert s["real"]["auc"]["mean"] == pytest.approx(np.mean(aucs["real"]))
    expected = stats.paired_tests(aucs["real+mel"], aucs["real"])
    assert s["real+mel"]["auc"]["vs_reference"]["mean_difference"] == pytest.approx(expected["mean_difference"])

    # resume: remove one run's result; only that run is redone, the others keep their files
    kept = out / "runs" / "real" / "rep00" / "result.json"
    before = kept.stat().st_mtime_ns
    (out / "runs" / "real+mel" / "rep01" / "result.json").unlink()
    log = io.StringIO()
    again = protocol.run_protocol(cfg, out, workers=1, stream=log)
    assert "1 run(s) to do, 3 already finished" in log.getvalue()
    assert again["runs_finished"] == 4 and kept.stat().st_mtime_ns == before
    with pytest.raises(ConfigError, match="different settings"):
        protocol.run_protocol({**cfg, "seed": 5}, out, stream=io.StringIO())


def test_paired_tests_against_scipy():
    from scipy import stats as sps

    a = [0.80, 0.82, 0.79, 0.85, 0.81]
    b = [0.78, 0.80, 0.80, 0.82, 0.79]
    res = stats.paired_tests(a, b)
    assert res["t_pvalue"] == pytest.approx(sps.ttest_rel(a, b).pvalue)
    assert res["wilcoxon_pvalue"] == pytest.approx(sps.wilcoxon(a, b).pvalue)
    assert res["mean_difference"] == pytest.approx(np.mean(np.subtract(a, b)))
    same = stats.paired_tests(a, a)
    assert np.isnan(same["t_pvalue"]) and np.isnan(same["wilcoxon_pvalue"])
    shifted = stats.paired_tests([x + 0.1 for x in b[:2]], b[:2])  # the same difference twice: no variance
    assert np.isnan(shifted["t_pvalue"]) and shifted["mean_difference"] == pytest.approx(0.1)
    summary = stats.summarize([0.5, 0.7, None, float("nan")])
    assert summary["n"] == 2 and summary["mean"] == pytest.approx(0.6)
    assert summary["std"] == pytest.approx(np.std([0.5, 0.7], ddof=1))


def test_selection_policies_keep_the_right_candidates(tmp_path):
    """most/least realistic by nearest-real distance, and a real (tiny, trained) classifier's top confidence."""
    from tfskin.data.sources import phantom_arrays
    from tfskin.evaluation.classifier import ClassifierConfig, task_labels, train_classifier
    from tfskin.evaluation.protocol import _select

    real = phantom_arrays("train", (32, 32), num_examples=40)
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 256, (10, 32, 32, 3), dtype=np.uint8)
    candidates = np.concatenate([noise[:5], real["image"][:5], noise[5:]])  # 5..9 are copies of real images
    labels = np.zeros(len(candidates), np.int64)
    cfg = {"realism_features": "pixels:16"}
    most = _select(cfg, "most_realistic", 0.5, candidates, labels, 5, real["image"])
    least = _select(cfg, "least_realistic", 0.5, candidates, labels, 5, real["image"])
    assert set(most.tolist()) == {5, 6, 7, 8, 9}
    assert not set(least.tolist()) & {5, 6, 7, 8, 9}

    config = ClassifierConfig(task="malignant", image_size=(32, 32), epochs=2, width=4, tta=1, augment=False)
    classifier = train_classifier(config, real["image"], task_labels("malignant", real["label"]))
    classifier.save(tmp_path / "clf")
    scores = classifier.predict(candidates, tta=1)[np.arange(len(candidates)), labels]
    kept = _select({"selection_classifier": str(tmp_path / "clf")}, "confidence", 0.5, candidates, labels, 5,
                   real["image"])
    rest = np.setdiff1d(np.arange(len(candidates)), kept)
    assert len(kept) == 5 and scores[kept].min() >= scores[rest].max()


def test_defaults_are_ten_paired_repeats_and_the_ood_test_can_be_a_phantom_domain(tmp_path):
    cfg = _config(tmp_path)
    del cfg["repeats"]
    cfg["data"]["ood_test"] = {"name": "phantoms:domain=clinic", "size": 12}
    cfg["data"]["test_size"] = 12
    cfg = protocol.load_protocol(cfg)
    assert cfg["repeats"] == 10
    sets = protocol._real_sets(cfg)
    np.testing.assert_array_equal(sets["ood"]["label"], sets["test"]["label"])  # same lesions, another device
    assert not np.array_equal(sets["ood"]["image"], sets["test"]["image"])
