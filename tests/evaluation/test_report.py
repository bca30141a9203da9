"""The protocol report from run results written by hand: missing/NaN repeats, paired means, Holm, CI, verdict,
strict JSON. No training: the numbers are made up here and the report must reproduce them."""

import json

import numpy as np
import pytest
from scipy import stats as sps

from tfskin.evaluation import protocol, report, stats
from tfskin.evaluation.jsonio import write_json
from tfskin.evaluation.results import run_dir_of

CONDITIONS = ("real", "real+good", "real+noise")


def _cfg(repeats=6):
    return protocol.load_protocol({
        "name": "handmade", "repeats": repeats, "reference": "real",
        "data": {"name": "phantoms", "image_size": [32, 32]},
        "classifier": {"task": "malignant", "width": 4, "epochs": 1},
        "sources": {"g": "png:/nowhere"},
        "conditions": [{"name": "real"}, {"name": "real+good", "synthetic": [{"source": "g", "n": 5}]},
                       {"name": "real+noise", "synthetic": [{"source": "g", "n": 5}]}]})


def _write(out, cond, rep, auc):
    result = {"condition": cond, "repeat": rep, "train_size": 100, "train_composition": {"real": 100},
              "test": {"auc": auc, "balanced_accuracy": 0.7, "macro_f1": 0.6, "accuracy": 0.8,
                       "per_class": {"benign": {"precision": 0.8, "recall": 0.7, "f1": 0.75}}}}
    write_json(run_dir_of(out, cond, rep) / "result.json", result)


@pytest.fixture
def handmade(tmp_path):
    rng = np.random.default_rng(3)
    base = 0.75 + rng.normal(0, 0.01, 6)
    aucs = {"real": base, "real+good": base + 0.05 + rng.normal(0, 0.003, 6),
            "real+noise": base + rng.normal(0, 0.01, 6)}
    for cond in CONDITIONS:
        for rep in range(6):
            if (cond, rep) == ("real+noise", 2):  # failed: no result, an error file
                path = run_dir_of(tmp_path, cond, rep) / "error.txt"
                path.parent.mkdir(parents=True)
                path.write_text("RuntimeError: out of memory\ntraceback...")
                continue
            value = float("nan") if (cond, rep) == ("real", 4) else float(aucs[cond][rep])
            _write(tmp_path, cond, rep, value)
    return tmp_path, aucs


def test_report_pairs_missing_repeats_and_corrects(handmade):
    out, aucs = handmade
    cfg = _cfg()
    summary = report.write_report(cfg, out)
    rows = summary["splits"]["test"]
    # real+noise: repeat 2 failed, real: repeat 4 is NaN -> 4 pairs; the mean is over those same pairs
    pairs = [0, 1, 3, 5]
    noise = rows["real+noise"]["auc"]
    assert noise["repeats_used"] == pairs and noise["repeats_finite"] == 5
    assert noise["mean"] == pytest.approx(np.mean(aucs["real+noise"][pairs]))
    t = noise["vs_reference"]
    assert t["n_pairs"] == 4 and t["pairs"] == pairs
    diff = aucs["real+noise"][pairs] - aucs["real"][pairs]
    assert t["mean_difference"] == pytest.approx(diff.mean())
    assert t["t_pvalue"] == pytest.approx(sps.ttest_rel(aucs["real+noise"][pairs], aucs["real"][pairs]).pvalue)
    half = sps.t.ppf(0.975, 3) * diff.std(ddof=1) / 2.0
    assert (t["ci_low"], t["ci_high"]) == pytest.approx((diff.mean() - half, diff.mean() + half))
    good = rows["real+good"]["auc"]["vs_reference"]
    expected = stats.holm([good["t_pvalue"], t["t_pvalue"]])
    assert [good["t_pvalue_holm"], t["t_pvalue_holm"]] == pytest.approx(expected)
    assert rows["real"]["auc"]["repeats_finite"] == 5

    md = (out / "report.md").read_text()
    assert md.splitlines()[2].startswith("**Verdict.**")
    assert "adding synthetic data helped ('real' is the baseline): 'real+good'" in summary["verdict"]
    assert "Holm" in summary["verdict"]
    assert "| real+noise |" in md and "| 5/6 |" in md
    assert "real+noise` repeat 2 failed: RuntimeError: out of memory" in md
    assert "`real` repeat 4: AUC on `test` is NaN" in md
    assert "over the 4 repeats it and `real` both completed" in md
    assert (out / "test_auc.png").is_file()
    # strict JSON: NaN is written as null
    text = (out / "summary.json").read_text()
    loaded = json.loads(text, parse_constant=lambda c: pytest.fail(f"bare {c} in summary.json"))
    assert loaded["splits"]["test"]["real"]["auc"]["values"][4] is None
    assert loaded["runs_failed"][0]["condition"] == "real+noise"


def test_holm_matches_definition():
    p = [0.01, 0.04, 0.03, float("nan"), 0.5]
    adjusted = stats.holm(p)
    # sorted valid: 0.01 (x4), 0.03 (x3), 0.04 (x2), 0.5 (x1), monotone
    assert adjusted[0] == pytest.approx(0.04)
    assert adjusted[2] == pytest.approx(0.09)
    assert adjusted[1] == pytest.approx(0.09)  # 0.08 raised to keep the order
    assert np.isnan(adjusted[3]) and adjusted[4] == pytest.approx(0.5)


def test_verdict_says_when_nothing_is_clear(tmp_path):
    cfg = _cfg(repeats=3)
    for cond, offset in zip(CONDITIONS, (0.0, 0.001, -0.002), strict=True):
        for rep, noise in enumerate((0.01, -0.02, 0.015)):
            _write(tmp_path, cond, rep, 0.8 + offset + noise * (1 if cond == "real" else -1))
    summary = report.write_report(cfg, tmp_path)
    assert "no arm differed clearly from 'real'" in summary["verdict"]
    assert "cannot go below p = 0.25" in summary["verdict"]
