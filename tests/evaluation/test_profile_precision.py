"""Where evaluation time goes (the per-run profile and its sum over an experiment folder) and the precision the
small downstream models train in (``auto`` = the machine's; float32 wherever the hardware has no bf16)."""

import json

import numpy as np
import pytest

from tfskin.config import ConfigError
from tfskin.evaluation.profile import RUN_PHASES, Stopwatch, profile_line, profile_summary


def test_stopwatch_adds_up_a_phase_entered_twice():
    watch = Stopwatch()
    watch.add("train", 1.5)
    with watch("train"):
        pass
    watch.add("io", 0.25)
    assert watch.seconds["train"] >= 1.5 and watch.seconds["io"] == 0.25
    assert watch.total() == pytest.approx(watch.seconds["train"] + 0.25)


def _write(path, payload):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload))


def test_profile_summary_adds_up_every_run_and_the_scoring_steps(tmp_path):
    _write(tmp_path / "timing.json", {"steps": {"train_dcgan": 30.0, "evaluation": 20.0}, "total_seconds": 50.0})
    _write(tmp_path / "protocol/runs/real/rep0/result.json",
           {"seconds": 9.0, "profile": {"build": 1.0, "trace": 2.0, "train": 4.0, "predict": 1.5},
            "precision": "mixed_bfloat16"})
    _write(tmp_path / "protocol/runs/real/rep1/result.json",
           {"seconds": 7.0, "profile": {"build": 0.5, "train": 5.0, "io": 0.25}})
    _write(tmp_path / "protocol/runs/old/rep0/result.json", {"seconds": 3.0})  # written before profiles: left out
    _write(tmp_path / "steps/score_samples.json", {"step": "score_samples", "seconds": 4.0,
                                                   "result": {"profile": {"generate": 1.0, "metrics": 2.5}}})
    _write(tmp_path / "steps/train_dcgan.json", {"step": "train_dcgan", "seconds": 30.0, "result": {"step": 5}})
    summary = profile_summary(tmp_path)
    assert summary["steps"] == {"train_dcgan": 30.0, "evaluation": 20.0} and summary["total_seconds"] == 50.0
    assert summary["runs"]["count"] == 2 and summary["runs"]["seconds"] == 16.0
    assert summary["runs"]["phases"] == {"build": 1.5, "trace": 2.0, "train": 9.0, "predict": 1.5, "io": 0.25}
    assert summary["scoring"] == {"generate": 1.0, "metrics": 2.5}
    assert summary["runs"]["precisions"] == ["mixed_bfloat16"]
    line = profile_line(summary)
    assert "2 model run(s), 0.3 min" in line and "train 0.1" in line and "mixed_bfloat16" in line
    assert "Sample scoring: generate 0.0, metrics 0.0 min." in line


def test_profile_summary_of_an_empty_folder_is_empty(tmp_path):
    summary = profile_summary(tmp_path / "missing")
    assert summary["runs"] == {"count": 0, "seconds": 0.0, "phases": {}, "precisions": [], "reused": 0}
    assert summary["scoring"] == {}
    assert profile_line(summary) == ""


# --- precision ----------------------------------------------------------------------------------------------

def _tiny_classifier(precision, monkeypatch, flags):
    from tfskin import runtime
    from tfskin.evaluation.classifier import ClassifierConfig, train_classifier

    monkeypatch.setattr(runtime, "cpu_flags", lambda path="/proc/cpuinfo": frozenset(flags))
    monkeypatch.setattr(runtime, "local_accelerators", lambda strategy="default": ((), False))
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (16, 16, 16, 3), dtype=np.uint8)
    config = ClassifierConfig(width=4, image_size=(16, 16), epochs=1, batch_size=8, tta=1, augment=False,
                              precision=precision)
    watch = Stopwatch()
    clf = train_classifier(config, images, np.arange(16) % 2, watch=watch)
    return clf, watch, images


@pytest.mark.slow
def test_auto_trains_the_same_float32_classifier_on_a_machine_without_bf16(monkeypatch):
    auto, watch, images = _tiny_classifier("auto", monkeypatch, {"avx2", "fma"})
    plain, _, _ = _tiny_classifier("float32", monkeypatch, {"avx2", "fma"})
    assert auto.precision == plain.precision == "float32"
    for a, b in zip(auto.model.get_weights(), plain.model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(auto.predict(images), plain.predict(images))
    assert {"build", "trace", "train"} <= set(watch.seconds) and min(watch.seconds.values()) >= 0.0


@pytest.mark.slow
def test_auto_trains_in_bfloat16_on_a_cpu_with_avx512_bf16(monkeypatch):
    clf, _, images = _tiny_classifier("auto", monkeypatch, {"avx512_bf16"})
    assert clf.precision == "mixed_bfloat16"
    assert clf.model.get_layer("conv0a").compute_dtype == "bfloat16"
    probs = clf.predict(images)
    assert probs.dtype == np.float64 and np.allclose(probs.sum(axis=1), 1.0, atol=1e-3)


def test_segmenter_precision_is_checked_and_stated():
    from tfskin.evaluation.segmenter import SegmenterConfig, build_segmenter

    assert SegmenterConfig().precision == "float32"
    with pytest.raises(ConfigError, match="precision"):
        SegmenterConfig(precision="half")
    model = build_segmenter(SegmenterConfig(image_size=(16, 16), width=0.125, precision="mixed_bfloat16"))
    assert model.dtype_policy.name == "mixed_bfloat16" and model.get_layer("probability").compute_dtype == "float32"


@pytest.mark.slow
def test_a_protocol_run_records_its_profile_and_precision(dcgan_mel_run, tmp_path):
    from tfskin.evaluation import protocol

    cfg = protocol.load_protocol({
        "name": "tiny", "seed": 0, "repeats": 2, "workers": 1, "reference": "real",
        "data": {"name": "phantoms", "image_size": [32, 32], "train_pool": 40, "train_size": 30, "test_size": 20},
        "classifier": {"task": "melanoma", "width": 4, "epochs": 1, "batch_size": 16, "tta": 2, "rotation": 0.0,
                       "colour_jitter": 0.0},
        "sources": {"mel": f"run:{dcgan_mel_run.run_dir}"},
        "conditions": [{"name": "real"}]})
    result = protocol.execute_run(cfg, "real", 0, tmp_path / "runs" / "real" / "rep0")
    stored = json.loads((tmp_path / "runs" / "real" / "rep0" / "result.json").read_text())
    assert stored["profile"] == pytest.approx(result["profile"])
    assert set(stored["profile"]) == set(RUN_PHASES)
    assert 0.0 < sum(stored["profile"].values()) <= stored["seconds"]
    assert stored["precision"] in ("float32", "mixed_bfloat16")
    assert profile_summary(tmp_path)["runs"]["precisions"] == [stored["precision"]]
