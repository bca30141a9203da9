"""The segmentation report's primary family from hand-written results: a collapsed segmenter is flagged and kept
out of the verdict, a smaller real subset is compared with the real-only row of the same size, ensembles holding
synthetic data are primary."""

import numpy as np
import pytest

from tfskin.evaluation import seg_protocol as sp
from tfskin.evaluation import seg_report
from tfskin.evaluation.jsonio import write_json
from tfskin.evaluation.results import run_dir_of

REPEATS = 4


def _cfg():
    two_step = {"synthetic": "pngs", "synthetic_steps": 2, "real_steps": 1}
    return sp.load_seg_protocol({
        "name": "family", "seed": 0, "repeats": REPEATS, "reference": "Original data",
        "data": {"name": "phantoms", "image_size": [32, 32], "train_pool": 24, "train_size": 12, "test_size": 8},
        "segmenter": {"width": 0.125, "batch_size": 4, "channels": "rgb"},
        "sources": {"pngs": "png:unused"},
        "conditions": [{"name": "Original data", "real_steps": 3}, {"name": "DCGAN", **two_step},
                       {"name": "LAPGAN", **two_step},
                       {"name": "Original data, 4 images", "real_steps": 3, "train_size": 4},
                       {"name": "LAPGAN, 4 images", **two_step, "train_size": 4}],
        "ensemble": ["DCGAN", "LAPGAN"]})


def _result(out, name, repeat, jaccard):
    scores = {"jaccard": jaccard, "thresholded_jaccard": jaccard, "dice": jaccard, "share_below_0.6": 0.0,
              "share_below_0.7": 0.0, "num_images": 8}
    write_json(run_dir_of(out, name, repeat) / "result.json",
               {"condition": name, "repeat": repeat, "train_size": 12, "test": scores})


def test_seg_family_flags_collapse_and_keeps_real_data_equal(tmp_path):
    rng = np.random.default_rng(0)
    base = 0.6 + rng.normal(0, 0.01, REPEATS)
    values = {"Original data": base, "DCGAN": base + 0.08 + rng.normal(0, 0.002, REPEATS),
              "LAPGAN": 0.02 + rng.normal(0, 0.005, REPEATS),  # collapsed: far below, would read as "hurt"
              "Original data, 4 images": base - 0.1, "LAPGAN, 4 images": base - 0.1 + rng.normal(0, 0.01, REPEATS),
              "ensemble(DCGAN+LAPGAN)": base + 0.01 + rng.normal(0, 0.01, REPEATS)}
    for name, v in values.items():
        for rep in range(REPEATS):
            _result(tmp_path, name, rep, float(v[rep]))
    summary = seg_report.write_seg_report(_cfg(), tmp_path)
    primary = {c["a"]: c for c in summary["comparisons"] if c["family"] == "primary"}
    assert set(primary) == {"DCGAN", "LAPGAN", "LAPGAN, 4 images", "ensemble(DCGAN+LAPGAN)"}
    assert summary["family"]["size"] == 4
    assert primary["LAPGAN, 4 images"]["b"] == "Original data, 4 images"
    assert primary["DCGAN"]["b"] == "Original data" and primary["DCGAN"]["status"] == "higher"
    assert primary["LAPGAN"]["status"] == "failed to learn"
    assert "below 0.1 (the segmenter collapsed)" in summary["failed_to_learn"]["test"]["LAPGAN"]
    decided = summary["verdict"].split("Left out of the verdict")[0]
    assert "'LAPGAN' (" not in decided
    md = (tmp_path / "report.md").read_text()
    assert "| LAPGAN ⚠ failed to learn |" in md
    assert "LAPGAN, 4 images (vs Original data, 4 images, the same real data)" in md


def test_seg_per_replicate_table_uses_the_collapse_line(tmp_path):
    cfg = _cfg()
    cfg["replicates"] = [{"data": {}, "sources": {}} for _ in range(2)]  # repeat r: replicate r % 2
    values = {"Original data": [0.6, 0.62, 0.64, 0.6], "DCGAN": [0.6, 0.05, 0.62, 0.07],
              "LAPGAN": [0.6] * 4, "Original data, 4 images": [0.5] * 4, "LAPGAN, 4 images": [0.5] * 4,
              "ensemble(DCGAN+LAPGAN)": [0.6] * 4}
    for name, v in values.items():
        for rep in range(REPEATS):
            _result(tmp_path, name, rep, v[rep])
    summary = seg_report.write_seg_report(cfg, tmp_path)
    assert summary["per_replicate"]["metric"] == "jaccard"
    assert summary["per_replicate"]["splits"]["test"]["DCGAN"] == pytest.approx([0.61, 0.06])
    md = (tmp_path / "report.md").read_text()
    assert "| DCGAN | 0.610 | 0.060 ⚠ |" in md
    assert "`DCGAN`: replicate(s) r1 (0.060) below the line, r0 (0.610) above it." in md
    assert "| ensemble(DCGAN+LAPGAN) | 0.600 | 0.600 |" in md
