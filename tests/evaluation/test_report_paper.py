"""The paper-level report from a hand-written protocol folder: finite/total repeats per cell, failed-to-learn
flags, the paper's comparison worded by which arm holds synthetic data, and reproduce.json's comparisons
recomputable from the run folder."""

import io
import json

import numpy as np
import pytest

from tfskin.evaluation import protocol, report
from tfskin.evaluation.jsonio import write_json
from tfskin.evaluation.results import run_dir_of
from tfskin.reproduce.papers import Experiment
from tfskin.reproduce.report import classifier_paper_report, mean_std
from tfskin.reproduce.workflow import Workflow

ARMS = ("Real", "Real+Instance", "Real+Semantic", "Real+Instance+PGAN")
REPEATS = 5


def _cfg():
    synthetic = [{"source": "g", "n": 5}]
    return protocol.load_protocol({
        "name": "paper", "repeats": REPEATS, "reference": "Real+Instance+PGAN",
        "data": {"name": "phantoms", "image_size": [32, 32], "ood_test": {"name": "phantoms", "split": "test"}},
        "classifier": {"task": "malignant", "width": 4, "epochs": 1}, "sources": {"g": "png:/nowhere"},
        "conditions": [{"name": "Real"}, *({"name": n, "synthetic": synthetic} for n in ARMS[1:])]})


@pytest.fixture
def paper_run(tmp_path):
    return _paper_run(tmp_path)


def _paper_run(tmp_path, replicates=0):
    rng = np.random.default_rng(11)
    base = 0.75 + rng.normal(0, 0.01, REPEATS)
    aucs = {"Real": base, "Real+Instance": base + rng.normal(0, 0.01, REPEATS),
            "Real+Semantic": 0.30 + rng.normal(0, 0.01, REPEATS),  # below chance
            "Real+Instance+PGAN": base + 0.03 + rng.normal(0, 0.003, REPEATS)}
    aucs["Real+Instance"][2] = np.nan
    out = tmp_path / "bissoto"
    for cond in ARMS:
        for rep in range(REPEATS):
            split_values = {"auc": float(aucs[cond][rep]), "balanced_accuracy": 0.7, "macro_f1": 0.6,
                            "accuracy": 0.8}
            write_json(run_dir_of(out / "protocol", cond, rep) / "result.json",
                       {"condition": cond, "repeat": rep, "train_size": 50, "train_composition": {"real": 50},
                        "test": split_values, "ood": split_values})
    cfg = _cfg()
    if replicates:
        cfg["replicates"] = [{"data": {}, "sources": {}} for _ in range(replicates)]
    summary = report.write_report(cfg, out / "protocol")
    exp = Experiment(paper="bissoto2018", out=out, data="phantoms", ood_data="phantoms:domain=clinic",
                     budget="smoke", settings={}, workers=1, workflow=Workflow(out, stream=io.StringIO()),
                     datasets={"classifier": "phantoms"})
    payload = classifier_paper_report(exp, cfg, summary, paper="bissoto2018", metric="auc",
                                      published_table="table1", published_split="ood")
    return out, aucs, payload


def test_cells_show_finite_over_total_repeats():
    assert mean_std({"mean": 0.781, "std": 0.02, "n": 9, "values": [0.78] * 9 + [None]}) == "78.1 ± 2.0 (9/10)"
    assert mean_std({"mean": 0.781, "std": 0.02}) == "78.1 ± 2.0"  # no per-repeat values: no count
    assert mean_std({"mean": float("nan"), "std": float("nan"), "n": 0, "values": [None, None]}) == "— (0/2)"


def test_paper_report_flags_words_and_counts(paper_run):
    out, _, _ = paper_run
    md = (out / "report.md").read_text()
    real_instance = next(line for line in md.splitlines() if line.startswith("| Real+Instance |"))
    assert "(4/5)" in real_instance  # the NaN repeat is not counted
    semantic = next(line for line in md.splitlines() if line.startswith("| Real+Semantic |"))
    assert semantic.endswith("| ⚠ test, ood |")
    assert "⚠ `Real+Semantic` failed to learn on `ood`: mean AUC 0.3" in md
    assert "the paper's reference, which holds synthetic data (real + synthetic)" in md
    assert "## Primary comparisons: does synthetic data help against Real?" in md
    verdict = md.split("**Verdict (measured).** ")[1].split("\n")[0]
    assert "hurt in 'Real'" not in verdict and "Real+Semantic' (" not in verdict


def test_paper_report_shows_each_replicate_in_percent(tmp_path):
    out, aucs, _ = _paper_run(tmp_path, replicates=2)  # repeats 0, 2, 4 and 1, 3 (5 repeats, 2 replicates)
    md = (out / "report.md").read_text()
    assert "## Per replicate" in md and "failed-to-learn line (55.0)" in md
    real = aucs["Real"]
    assert f"| Real | {100 * real[[0, 2, 4]].mean():.1f} | {100 * real[[1, 3]].mean():.1f} |" in md
    assert "`Real+Semantic`: every replicate at or below the line." in md
    assert "## Per replicate" not in (_paper_run(tmp_path / "plain")[0] / "report.md").read_text()


def test_reproduce_json_comparisons_are_recomputable(paper_run):
    out, aucs, payload = paper_run
    saved = json.loads((out / "reproduce.json").read_text())
    assert saved["comparisons"] == json.loads(json.dumps(saved["comparisons"]))
    primary = [c for c in saved["comparisons"] if c["family"] == "primary"]
    assert len(primary) == saved["family"]["size"] == 3 * 2
    for c in saved["comparisons"]:
        assert {"a", "b", "split", "metric", "diff", "ci", "p", "p_holm", "test", "family"} <= set(c)
    pgan = next(c for c in primary if c["a"] == "Real+Instance+PGAN" and c["split"] == "ood")
    d = aucs["Real+Instance+PGAN"] - aucs["Real"]
    assert pgan["diff"] == pytest.approx(d.mean()) and pgan["b"] == "Real"
    semantic = [c for c in primary if c["a"] == "Real+Semantic"]
    assert {c["status"] for c in semantic} == {"failed to learn"}
    secondary = next(c for c in saved["comparisons"] if c["family"] != "primary" and c["a"] == "Real"
                     and c["split"] == "ood")
    assert secondary["b"] == "Real+Instance+PGAN" and secondary["diff"] == pytest.approx(-d.mean())


def test_a_run_where_every_comparison_failed_says_so(tmp_path):
    out = tmp_path / "protocol"
    for cond in ARMS:
        for rep in range(REPEATS):
            split_values = {"auc": 0.5 + 0.01 * rep, "balanced_accuracy": 0.5, "macro_f1": 0.4, "accuracy": 0.5}
            write_json(run_dir_of(out, cond, rep) / "result.json",
                       {"condition": cond, "repeat": rep, "train_size": 50, "train_composition": {"real": 50},
                        "test": split_values, "ood": split_values})
    summary = report.write_report(_cfg(), out)
    assert "None of the 6 primary comparison(s) could be judged" in summary["verdict"]
