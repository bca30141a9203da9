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


def _folder(root, colours, size=(16, 16), count=12, seed=0, odd_size=True):
    """class name -> colour: a PNG folder with one class subfolder each (noisy images of that colour)."""
    import numpy as np

    from tfskin.imaging import save_png

    rng = np.random.default_rng(seed)
    for name, colour in colours.items():
        for i in range(count):
            shape = (20, 24, 3) if i == 0 and odd_size else (*size, 3)  # one image of another size: resized on reading
            save_png(np.clip(np.array(colour) + rng.normal(0, 8, shape), 0, 255).astype(np.uint8),
                     root / name / f"{name}_{i}.png")
    return root


def test_evaluate_metrics_real_takes_a_class_filter_and_a_folder(tmp_path, capsys):
    real = _folder(tmp_path / "real", {"MEL": (170, 60, 60), "NV": (60, 60, 170)})
    synthetic = _folder(tmp_path / "syn", {"MEL": (170, 60, 60)}, odd_size=False)
    distances = {}
    for cls in ("MEL", "NV"):
        out = tmp_path / f"{cls}.json"
        assert main(["evaluate", "metrics", "--real", f"png:{real}", "--real-classes", cls, "--synthetic",
                     f"png:{synthetic / 'MEL'},label=MEL", "--n", "10", "--n-real", "12", "--kid-subset-size", "5",
                     "--features", "pixels:8", "--out", str(out)]) == 0
        result = json.loads(out.read_text())
        assert result["real"] == f"png:{real} (classes {cls})" and result["generative"]["num_real"] == 12
        assert "skipped" in result["memorization"]  # a folder has no held-out split
        distances[cls] = result["colour"]["wasserstein"]["mean"]
    assert distances["MEL"] * 5 < distances["NV"]  # melanomas scored against melanomas, not the mix
    assert "memorization: skipped" in capsys.readouterr().out


def test_real_dataset_class_filter_keeps_only_that_class():
    from tfskin.classes import class_index
    from tfskin.evaluation.real_data import load_real

    real = load_real("phantoms", "validation", (16, 16), classes=("MEL",), num_examples=20)
    assert len(real["label"]) == 20 and set(real["label"].tolist()) == {class_index("MEL")}
