"""The classifier report's primary family from hand-written run folders (result.json + predictions.npz): family
size, untested and failed-to-learn comparisons, the design's test, the test-case bootstrap, the nested unit."""

import json

import numpy as np
import pytest
from scipy import stats as sps

from tfskin.evaluation import metrics, protocol, report, stats
from tfskin.evaluation.jsonio import write_json
from tfskin.evaluation.results import run_dir_of

ARMS = ("Real", "Real+A", "Real+B", "Synthetic", "Real half")
REPEATS = 6


def _cfg(reference="Real", design=None, ood=True):
    cfg = protocol.load_protocol({
        "name": "family", "repeats": REPEATS, "reference": reference,
        "data": {"name": "phantoms", "image_size": [32, 32],
                 **({"ood_test": {"name": "phantoms", "split": "test"}} if ood else {})},
        "classifier": {"task": "malignant", "width": 4, "epochs": 1},
        "sources": {"g": "png:/nowhere"},
        "conditions": [{"name": "Real"}, {"name": "Real+A", "synthetic": [{"source": "g", "n": 5}]},
                       {"name": "Real+B", "synthetic": [{"source": "g", "n": 5}]},
                       {"name": "Synthetic", "real": False, "synthetic": [{"source": "g", "n": 5}]},
                       {"name": "Real half"}]})
    if design:
        cfg["design"] = design
    return cfg


def _write(out, cond, rep, aucs: dict, extra=None):
    result = {"condition": cond, "repeat": rep, "train_size": 100, "train_composition": {"real": 100}, **(extra or {})}
    for split, auc in aucs.items():
        result[split] = {"auc": auc, "balanced_accuracy": 0.7, "macro_f1": 0.6, "accuracy": 0.8,
                         "per_class": {"benign": {"precision": 0.8, "recall": 0.7, "f1": 0.75, "support": 10},
                                       "malignant": {"precision": 0.5, "recall": 0.6, "f1": 0.55, "support": 5}}}
    write_json(run_dir_of(out, cond, rep) / "result.json", result)


def _primary(summary):
    return [c for c in summary["comparisons"] if c["family"] == "primary"]


def _means(rng):
    base = 0.75 + rng.normal(0, 0.01, REPEATS)
    return {"Real": base, "Real+A": base + 0.04 + rng.normal(0, 0.004, REPEATS),
            "Real+B": base + rng.normal(0, 0.01, REPEATS), "Synthetic": base - 0.03 + rng.normal(0, 0.01, REPEATS),
            "Real half": base - 0.01 + rng.normal(0, 0.01, REPEATS)}


def test_family_is_every_primary_comparison_and_keeps_an_untested_one(tmp_path):
    rng = np.random.default_rng(0)
    test, ood = _means(rng), _means(rng)
    for cond in ARMS:
        for rep in range(REPEATS):
            nan_ood = cond == "Real+B"  # every OOD value NaN: that comparison cannot be tested
            _write(tmp_path, cond, rep, {"test": float(test[cond][rep]),
                                         "ood": float("nan") if nan_ood else float(ood[cond][rep])})
    summary = report.write_report(_cfg(), tmp_path)
    primary = _primary(summary)
    # 3 arms hold synthetic data ("Real half" holds none) x 2 test sets
    assert summary["family"]["size"] == len(primary) == 6
    assert {c["a"] for c in primary} == {"Real+A", "Real+B", "Synthetic"}
    untested = [c for c in primary if c["status"] == "untested"]
    assert [(c["a"], c["split"]) for c in untested] == [("Real+B", "ood")] and untested[0]["p_holm"] is None
    # Holm ran over 6, the untested one as p = 1
    tested = [c for c in primary if c["status"] != "untested"]
    expected = stats.holm([c["p"] for c in tested] + [1.0])[:-1]
    assert [c["p_holm"] for c in tested] == pytest.approx(expected)
    md = (tmp_path / "report.md").read_text()
    assert "family of 6 primary comparison(s)" in summary["verdict"]
    assert md.count("p (Holm, family of 6)") == 2
    assert "Untested (still counted in the family): 'Real+B' on `ood`" in summary["verdict"]
    # an interval that excludes zero is always significant
    for c in tested:
        if c["ci"][0] > 0 or c["ci"][1] < 0:
            assert c["status"] in ("higher", "lower")
    a = next(c for c in primary if c["a"] == "Real+A" and c["split"] == "test")
    assert a["status"] == "higher" and a["test"] == "paired t-test"
    assert a["p"] == pytest.approx(sps.ttest_rel(test["Real+A"], test["Real"]).pvalue)
    low, high = stats.t_interval(a["diff"], a["se"], a["df"], 1 - 0.05 / 6)
    assert a["ci"] == pytest.approx([low, high]) and a["ci_level"] == pytest.approx(1 - 0.05 / 6)
    assert a["detectable"] == pytest.approx(stats.detectable_difference(a["se"], a["df"], 0.05 / 6))
    assert "could detect a difference of" in summary["verdict"]


def test_a_below_chance_arm_never_reaches_the_verdict(tmp_path):
    rng = np.random.default_rng(1)
    test = _means(rng)
    test["Real+B"] = 0.30 + rng.normal(0, 0.01, REPEATS)  # far below Real and below chance
    for cond in ARMS:
        for rep in range(REPEATS):
            _write(tmp_path, cond, rep, {"test": float(test[cond][rep])})
    summary = report.write_report(_cfg(ood=False), tmp_path)
    b = next(c for c in _primary(summary) if c["a"] == "Real+B")
    assert b["status"] == "failed to learn" and b["p_holm"] is None and b["p"] < 1e-6
    assert summary["failed_to_learn"]["test"] == {"Real+B": b["reason"]}
    decided = summary["verdict"].split("Left out of the verdict")[0]
    assert "Real+B" not in decided and "hurt" not in decided
    assert "Left out of the verdict because a model failed to learn: 'Real+B'" in summary["verdict"]
    assert "could be judged" not in summary["verdict"]
    assert summary["family"]["size"] == 3  # still counted
    md = (tmp_path / "report.md").read_text()
    assert md.count("Real+B ⚠ failed to learn") == 4  # primary, secondary, balanced accuracy, per-class tables
    assert "⚠ `Real+B` failed to learn on `test`: mean AUC 0.3" in md


def _write_one_class_synthetic(out):
    """Runs whose 'Synthetic' arm predicts the negative class for every test image (probability 0.2) while its
    AUC (written, 0.72) is fine; every other arm predicts both classes."""
    rng = np.random.default_rng(2)
    test = _means(rng)
    y = (np.arange(40) % 3 == 0).astype(np.int64)
    for cond in ARMS:
        for rep in range(REPEATS):
            _write(out, cond, rep, {"test": float(test[cond][rep])})
            p1 = np.clip(0.5 * y + rng.uniform(0, 0.5, 40), 0, 1) if cond != "Synthetic" else np.full(40, 0.2)
            path = run_dir_of(out, cond, rep) / "test"
            path.mkdir()
            np.savez(path / "predictions.npz", labels=y, probabilities=np.stack([1 - p1, p1], axis=1))


def test_one_class_predictions_fail_a_thresholding_metric(tmp_path):
    _write_one_class_synthetic(tmp_path)
    cfg = _cfg(ood=False)
    cfg["metric"] = "macro_f1"
    summary = report.write_report(cfg, tmp_path)
    reason = summary["failed_to_learn"]["test"]["Synthetic"]
    assert "predicted one class for every test image in 6 of 6" in reason
    assert set(summary["failed_to_learn"]["test"]) == {"Synthetic"}


def test_one_class_predictions_do_not_fail_an_auc_verdict(tmp_path):
    """AUC ranks the probabilities: an arm whose probabilities all sit below 0.5 but rank the cases well has
    learned (only a mean AUC at or below 0.55 fails it)."""
    _write_one_class_synthetic(tmp_path)
    summary = report.write_report(_cfg(ood=False), tmp_path)
    assert summary["failed_to_learn"]["test"] == {}


def _write_with_predictions(out, rng, shift):
    """Runs on one fixed 60-case test set; each result's AUC is recomputed from its own predictions.npz."""
    y = (np.arange(60) % 4 == 0).astype(np.int64)
    for cond in ARMS:
        for rep in range(REPEATS):
            score = y * (0.6 + shift.get(cond, 0.0)) + rng.normal(0, 0.35, 60)
            p1 = 1 / (1 + np.exp(-score))
            probs = np.stack([1 - p1, p1], axis=1)
            _write(out, cond, rep, {"test": metrics.roc_auc(y == 1, p1)}, extra={"gan_replicate": rep // 2})
            (run_dir_of(out, cond, rep) / "test").mkdir()
            np.savez(run_dir_of(out, cond, rep) / "test" / "predictions.npz", labels=y, probabilities=probs)


def test_fixed_test_set_adds_the_test_case_bootstrap_variance(tmp_path):
    _write_with_predictions(tmp_path, np.random.default_rng(4), {"Real+A": 0.5})
    fixed = report.write_report(_cfg(ood=False, design={"test_set": "fixed", "training_overlap": None,
                                                         "unit": "replicate"}), tmp_path)
    assert "Fixed test set" in (tmp_path / "report.md").read_text()
    resampled = report.write_report(_cfg(ood=False, design={"test_set": "resampled", "training_overlap": None,
                                                             "unit": "replicate"}), tmp_path)
    for f, r in zip(_primary(fixed), _primary(resampled), strict=True):
        assert f["diff"] == pytest.approx(r["diff"])
        assert "test-case bootstrap variance" in f["test"] and r["test"] == "paired t-test"
        assert f["ci"][1] - f["ci"][0] > r["ci"][1] - r["ci"][0]
        assert f["ci_bootstrap"][1] - f["ci_bootstrap"][0] > r["ci_bootstrap"][1] - r["ci_bootstrap"][0]


def test_overlapping_training_sets_use_the_nadeau_bengio_test(tmp_path):
    rng = np.random.default_rng(5)
    test = _means(rng)
    for cond in ARMS:
        for rep in range(REPEATS):
            _write(tmp_path, cond, rep, {"test": float(test[cond][rep])})
    design = {"test_set": "resampled", "training_overlap": {"n_train": 400, "n_test": 100}, "unit": "replicate"}
    summary = report.write_report(_cfg(ood=False, design=design), tmp_path)
    a = next(c for c in _primary(summary) if c["a"] == "Real+A")
    d = test["Real+A"] - test["Real"]
    se = np.sqrt(d.var(ddof=1) * (1 / REPEATS + 100 / 400))
    assert a["test"] == "Nadeau-Bengio corrected resampled t-test"
    assert a["p"] == pytest.approx(2 * sps.t.sf(abs(d.mean()) / se, REPEATS - 1))
    assert "n_test/n_train = 100/400" in (tmp_path / "report.md").read_text()


def test_gan_replicate_is_the_unit(tmp_path):
    _write_with_predictions(tmp_path, np.random.default_rng(6), {"Real+A": 0.5})
    design = {"test_set": "resampled", "training_overlap": None, "unit": "gan_replicate"}
    summary = report.write_report(_cfg(ood=False, design=design), tmp_path)
    a = next(c for c in _primary(summary) if c["a"] == "Real+A")
    assert a["units"] == 3 and a["unit"] == "gan_replicate" and a["n_pairs"] == REPEATS
    runs = {(r["condition"], r["repeat"]): r["test"]["auc"] for r in
            (json.loads(p.read_text()) for p in tmp_path.glob("runs/*/rep*/result.json"))}
    d = np.array([runs["Real+A", i] - runs["Real", i] for i in range(REPEATS)])
    units = d.reshape(3, 2).mean(axis=1)
    assert a["p"] == pytest.approx(sps.ttest_1samp(units, 0.0).pvalue)
    assert "The unit is the GAN replicate" in (tmp_path / "report.md").read_text()


def test_the_papers_reference_is_secondary_and_says_which_arm_holds_synthetic_data(tmp_path):
    rng = np.random.default_rng(7)
    test = _means(rng)
    for cond in ARMS:
        for rep in range(REPEATS):
            _write(tmp_path, cond, rep, {"test": float(test[cond][rep])})
    summary = report.write_report(_cfg(reference="Real+A", ood=False), tmp_path)
    assert summary["baseline"] == "Real" and summary["reference"] == "Real+A"
    assert {c["b"] for c in _primary(summary)} == {"Real"}
    secondary = [c for c in summary["comparisons"] if c["family"] != "primary"]
    assert {(c["a"], c["b"]) for c in secondary} == {(a, "Real+A") for a in ARMS if a != "Real+A"}
    # Real is below the paper's reference: never read as "synthetic data hurt in 'Real'"
    assert summary["splits"]["test"]["Real"]["auc"]["vs_reference"]["mean_difference"] < 0
    assert "'Real' (" not in summary["verdict"].split("Wilcoxon")[0].replace("'Real' is the baseline", "")
    assert "adding synthetic data helped ('Real' is the baseline): 'Real+A'" in summary["verdict"]
    md = (tmp_path / "report.md").read_text()
    assert "paper's reference **Real+A**, which holds synthetic data (real + synthetic)" in md


def test_overlap_without_sizes_is_stated_not_corrected(tmp_path):
    rng = np.random.default_rng(8)
    test = _means(rng)
    for cond in ARMS:
        for rep in range(REPEATS):
            _write(tmp_path, cond, rep, {"test": float(test[cond][rep])})
    design = {"test_set": "resampled", "training_overlap": {"n_train": None, "n_test": None}, "unit": "replicate"}
    summary = report.write_report(_cfg(ood=False, design=design), tmp_path)
    assert {c["test"] for c in _primary(summary)} == {"paired t-test"}
    assert "does not record n_train and n_test" in (tmp_path / "report.md").read_text()


def test_resamples_without_a_class_are_dropped_not_poisoning_the_variance(tmp_path):
    # 3 positives in 40 cases: some resamples draw none, so their AUC is undefined
    y = np.zeros(40, np.int64)
    y[:3] = 1
    rng = np.random.default_rng(9)
    for cond in ARMS:
        for rep in range(REPEATS):
            p1 = 1 / (1 + np.exp(-(y * 1.5 + rng.normal(0, 0.5, 40))))
            _write(tmp_path, cond, rep, {"test": metrics.roc_auc(y == 1, p1)})
            (run_dir_of(tmp_path, cond, rep) / "test").mkdir()
            np.savez(run_dir_of(tmp_path, cond, rep) / "test" / "predictions.npz", labels=y,
                     probabilities=np.stack([1 - p1, p1], axis=1))
    summary = report.write_report(_cfg(ood=False, design={"test_set": "fixed", "training_overlap": None,
                                                           "unit": "replicate"}), tmp_path)
    for c in _primary(summary):
        assert "test-case bootstrap variance" in c["test"] and np.isfinite(c["p"])
        assert all(np.isfinite(c["ci_bootstrap"]))


def _replicated(cfg, replicates=3):
    cfg["replicates"] = [{"data": {}, "sources": {}} for _ in range(replicates)]  # repeat r: replicate r % 3
    return cfg


def test_per_replicate_table_finds_the_replicate_whose_gans_failed(tmp_path):
    """Synthetic learns from replicates 0 and 2 but not from replicate 1 (repeats 1 and 4); Real+B fails in
    every replicate. The table averages each replicate's repeats and says which replicate sits on which side."""
    test = {"Real": [0.70, 0.72, 0.74, 0.72, 0.70, 0.76], "Real+A": [0.75] * REPEATS,
            "Real+B": [0.50, 0.52, 0.54, 0.50, 0.52, 0.48], "Synthetic": [0.66, 0.48, 0.62, 0.70, 0.52, 0.64],
            "Real half": [0.70] * REPEATS}
    for cond in ARMS:
        for rep in range(REPEATS):
            _write(tmp_path, cond, rep, {"test": test[cond][rep]})
    summary = report.write_report(_replicated(_cfg(ood=False)), tmp_path)
    record = summary["per_replicate"]
    assert record["metric"] == "auc" and record["replicates"] == 3 and list(record["splits"]) == ["test"]
    assert record["splits"]["test"]["Synthetic"] == pytest.approx([0.68, 0.50, 0.63])
    assert record["splits"]["test"]["Real"] == pytest.approx([0.71, 0.71, 0.75])
    md = (tmp_path / "report.md").read_text()
    assert "| Synthetic | 68.0 | 50.0 ⚠ | 63.0 |" in md
    assert "`Synthetic`: replicate(s) r1 (50.0) at or below the line, r0 (68.0), r2 (63.0) above it." in md
    assert "`Real+B`: every replicate at or below the line." in md
    assert "`Real`:" not in md and "| Real | 71.0 | 71.0 | 75.0 |" in md


def test_no_per_replicate_table_without_replicates(tmp_path):
    for cond in ARMS:
        for rep in range(REPEATS):
            _write(tmp_path, cond, rep, {"test": 0.7})
    summary = report.write_report(_cfg(ood=False), tmp_path)
    assert summary["per_replicate"] == {} and "## Per replicate" not in (tmp_path / "report.md").read_text()


def test_per_replicate_means_skip_missing_and_nan_repeats():
    from tfskin.evaluation.comparisons import per_replicate_means

    assert per_replicate_means([0.6, None, 0.8, float("nan"), 0.5, 0.7], 2) == pytest.approx([1.9 / 3, 0.7])
    assert per_replicate_means([0.6, None, 0.8, None], 2) == [pytest.approx(0.7), None]
