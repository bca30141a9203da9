"""`tfskin evaluate ...` end to end on tiny settings."""

import json

import pytest

from tfskin.cli import main


def test_evaluate_metrics_writes_json(dcgan_mel_run, tmp_path, capsys):
    out = tmp_path / "metrics.json"
    rc = main(["evaluate", "metrics", "--synthetic", f"savedmodel:{dcgan_mel_run.export_path}", "--n", "40",
               "--kid-subset-size", "20", "--features", "pixels:16", "--out", str(out)])
    assert rc == 0
    printed = capsys.readouterr().out
    assert "FID" in printed and "comparable to papers: False" in printed
    result = json.loads(out.read_text())
    g = result["generative"]
    assert g["num_real"] == 40 and g["num_synthetic"] == 40 and g["feature_network"] == "pixels 16x16"
    assert g["fid"] > 0 and 0 <= g["precision"] <= 1
    assert result["colour"]["js_divergence"]["mean"] > 0
    assert (tmp_path / "metrics_closest_pairs.png").is_file()
    assert result["memorization"]["pixel"]["synthetic_to_train"]["count"] == 40


@pytest.mark.slow
def test_evaluate_classify_and_segment_tiny(tmp_path, capsys):
    rc = main(["evaluate", "classify", "--task", "malignant", "--image-size", "32", "--epochs", "1", "--tta", "2",
               "--train-examples", "64", "--test-examples", "40", "--out", str(tmp_path / "clf")])
    assert rc == 0
    metrics = json.loads((tmp_path / "clf" / "metrics.json").read_text())
    assert metrics["num_examples"] == 40 and "auc" in metrics
    assert (tmp_path / "clf" / "classifier" / "model.keras").is_file()
    rc = main(["evaluate", "segment", "--arch", "cdnn1", "--image-size", "32x32", "--width", "0.125", "--steps", "2",
               "--batch-size", "4", "--train-examples", "16", "--test-examples", "8", "--out", str(tmp_path / "seg")])
    assert rc == 0
    seg = json.loads((tmp_path / "seg" / "segment.json").read_text())
    assert seg["config"]["channels"] == "rgb" and 0 <= seg["jaccard"] <= 1


def test_evaluate_errors_are_one_line(tmp_path, capsys):
    assert main(["evaluate", "augmentation", str(tmp_path / "none.yaml")]) == 2
    err = capsys.readouterr().err
    assert "not found" in err and "Traceback" not in err
    assert main(["evaluate", "metrics", "--synthetic", "serving:http://x"]) == 2
    err = capsys.readouterr().err  # serving sources exist now; a malformed URL is still a one-line error
    assert "not a TF Serving URL" in err and "Traceback" not in err


def test_evaluate_metrics_json_is_strict_and_lists_flagged_samples(dcgan_mel_run, tmp_path, capsys):
    out = tmp_path / "m.json"
    rc = main(["evaluate", "metrics", "--synthetic", f"savedmodel:{dcgan_mel_run.export_path}", "--n", "30",
               "--features", "pixels:8", "--seed", "4", "--out", str(out)])
    assert rc == 0
    printed = capsys.readouterr().out
    result = json.loads(out.read_text(), parse_constant=lambda c: pytest.fail(f"bare {c} in the JSON"))
    g = result["generative"]
    assert g["subset_size"] == 15 and g["num_subsets"] == 100 and g["kid_seed"] == 4  # min(1000, n/2), run's seed
    assert "100 subsets of 15, seed 4" in printed and "flagged" in printed
    flagged = result["memorization"]["pixel"]["flagged"]
    assert flagged["count"] == len(flagged["samples"]) and "threshold" in flagged
    assert len(result["memorization"]["pixel"]["closest"]) == 16


@pytest.mark.slow
def test_evaluate_classify_reports_an_out_of_distribution_test(tmp_path, capsys):
    rc = main(["evaluate", "classify", "--task", "malignant", "--image-size", "32", "--epochs", "1", "--tta", "1",
               "--train-examples", "48", "--test-examples", "30", "--ood-data", "phantoms:domain=clinic",
               "--out", str(tmp_path / "clf")])
    assert rc == 0
    printed = capsys.readouterr().out
    assert "phantoms:domain=clinic/test (out of distribution): AUC" in printed
    ood = json.loads((tmp_path / "clf" / "ood" / "metrics.json").read_text())
    assert ood["num_examples"] == 30 and (ood["auc"] is None or 0 <= ood["auc"] <= 1)
