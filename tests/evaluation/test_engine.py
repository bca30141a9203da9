"""The reuse engine: a kept, traced model reset per run trains and predicts exactly as a fresh build would, the
2nd and 3rd run on it included (where stale weights, optimizer or seed states would show), without retracing;
the protocols give the one-by-one engine's numbers and resume after a killed run."""

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import keras
import numpy as np
import pytest

from tfskin.config import ConfigError
from tfskin.evaluation import engine

SEEDS = (11, 12, 13)


def _tiny_model(seed):
    inputs = keras.Input((6,))
    x = keras.layers.Dense(8, activation="relu")(inputs)
    x = keras.layers.Dropout(0.5, seed=seed)(x)  # a seed generator whose state a reset must restore
    model = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(x))
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="sparse_categorical_crossentropy")
    return model


def _train_tiny(seed, pool=None):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(16, 6)).astype("float32"), rng.integers(0, 2, 16)
    keras.utils.set_random_seed(seed)
    build = lambda: _tiny_model(seed)  # noqa: E731
    model, reused = pool.model(("tiny",), build) if pool is not None else (build(), False)
    before = engine.tracing_count(model.train_function) or 0
    losses = [float(model.train_on_batch(x, y)) for _ in range(4)]
    return {"losses": losses, "weights": [v.numpy() for v in model.variables], "reused": reused,
            "traces": engine.tracing_count(model.train_function) - before,
            "iterations": int(model.optimizer.iterations.numpy())}


@pytest.mark.slow  # four traces: 6-14 s on the loaded 2-core machine
def test_pool_resets_a_kept_model_to_a_fresh_build():
    pool = engine.ModelPool()
    for i, seed in enumerate(SEEDS):
        fresh, kept = _train_tiny(seed), _train_tiny(seed, pool)
        assert kept["reused"] == (i > 0)
        assert kept["losses"] == fresh["losses"]
        for a, b in zip(kept["weights"], fresh["weights"], strict=True):
            np.testing.assert_array_equal(a, b)
        assert kept["iterations"] == fresh["iterations"] == 4
        if i > 0:
            assert kept["traces"] == 0  # the kept model's step is not traced again
    assert fresh["traces"] >= 1 and len(pool) == 1


def test_pool_evicts_the_least_recently_used_model():
    pool = engine.ModelPool(max_slots=2)
    for key in ("a", "b", "a", "c"):
        pool.model((key,), lambda: _tiny_model(0))
    assert list(pool._slots) == [("a",), ("c",)]
    with pytest.raises(ConfigError, match="reuse, single"):
        engine.check_engine("batched")


def test_the_profile_line_counts_the_runs_on_a_reused_model(tmp_path):
    from tfskin.evaluation.profile import profile_line, profile_summary

    for rep, reused in enumerate((False, True, True)):
        path = tmp_path / "runs" / "real" / f"rep{rep:02d}" / "result.json"
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps({"seconds": 6.0, "profile": {"trace": 0.0 if reused else 3.0, "train": 3.0},
                                    "engine": {"name": "reuse", "reused_model": reused}}))
    summary = profile_summary(tmp_path)
    assert summary["runs"]["reused"] == 2
    assert "3 model run(s), 2 on a reused, already traced model" in profile_line(summary)


# --- the classifier and the segmenter ----------------------------------------------------------------------

def _phantoms(n, split="train", size=(32, 32), masks=False):
    from tfskin.evaluation.real_data import load_arrays

    return load_arrays("phantoms", split, size, num_examples=n, seed=0,
                       features=("image", "mask") if masks else ("image", "label"))


@pytest.mark.slow
def test_reused_classifier_trains_and_predicts_as_a_fresh_one():
    from tfskin.evaluation.classifier import ClassifierConfig, task_labels, train_classifier

    train, test = _phantoms(40), _phantoms(24, "test")
    labels = task_labels("melanoma", train["label"])
    # 40 images in batches of 16: a partial last batch; flips, rotations and colour jitter in training and TTA
    base = ClassifierConfig(task="melanoma", image_size=(32, 32), width=4, epochs=2, batch_size=16, tta=3,
                            precision="float32")
    pool = engine.ModelPool()
    for i, seed in enumerate(SEEDS):
        config = base.replace(seed=seed)
        fresh = train_classifier(config, train["image"], labels)
        expected = (fresh.history["loss"], fresh.predict(test["image"]))
        kept = train_classifier(config, train["image"], labels, pool=pool)
        assert kept.engine["reused_model"] == (i > 0) and fresh.engine["train_traces"] >= 1
        if i > 0:
            assert kept.engine["train_traces"] == 0
        np.testing.assert_allclose(kept.history["loss"], expected[0], rtol=1e-6)
        np.testing.assert_allclose(kept.predict(test["image"]), expected[1], rtol=1e-5, atol=1e-6)


@pytest.mark.slow
def test_reused_segmenter_trains_as_a_fresh_one():
    from tfskin.evaluation.segmenter import SegmenterConfig, predict_masks, train_segmenter

    data = _phantoms(12, size=(32, 32), masks=True)
    base = SegmenterConfig(arch="cdnn", image_size=(32, 32), width=0.125, batch_size=4, learning_rate=1e-3)
    pool = engine.ModelPool()
    for i, seed in enumerate(SEEDS):
        config = base.replace(seed=seed)
        fresh, fresh_log = train_segmenter(config, data["image"], data["mask"], real_steps=3)
        expected = (fresh_log["loss"], predict_masks(fresh, data["image"][:4]))
        kept, kept_log = train_segmenter(config, data["image"], data["mask"], real_steps=3, pool=pool)
        assert kept_log["reused_model"] == (i > 0) and (i == 0 or kept_log["train_traces"] == 0)
        np.testing.assert_allclose(kept_log["loss"], expected[0], rtol=1e-6)
        np.testing.assert_allclose(predict_masks(kept, data["image"][:4]), expected[1], atol=1e-6)


# --- the protocol ------------------------------------------------------------------------------------------

def _protocol_config(source_dir, engine_name):
    return {
        "name": "engines", "seed": 0, "repeats": 2, "workers": 1, "reference": "real", "engine": engine_name,
        "data": {"name": "phantoms", "image_size": [32, 32], "train_pool": 60, "train_size": 40, "test_size": 24},
        "classifier": {"task": "melanoma", "width": 4, "epochs": 2, "batch_size": 16, "tta": 2,
                       "precision": "float32"},
        "sources": {"mel": f"run:{source_dir}"},
        # two training-set sizes (40 and 50): two kept models, each reused in the second repeat
        "conditions": [{"name": "real"}, {"name": "real+mel", "synthetic": [{"source": "mel", "n": 10}]}],
    }


def _start_and_kill_after_first_result(cfg, out: Path, timeout: float = 600):
    """Run the protocol in a child process and kill it once its first run has finished."""
    path = out.parent / f"{out.name}.json"
    path.write_text(json.dumps(cfg))
    code = ("import json, sys; from tfskin.evaluation.protocol import run_protocol; "
            "run_protocol(json.load(open(sys.argv[1])), sys.argv[2])")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    child = subprocess.Popen([sys.executable, "-c", code, str(path), str(out)], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    try:
        while not list(out.glob("runs/*/rep*/result.json")):
            assert child.poll() is None, "the protocol stopped before finishing a run"
            assert time.monotonic() < deadline, "no run finished in time"
            time.sleep(0.2)
    finally:
        if child.poll() is None:
            os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=60)


@pytest.mark.slow
def test_protocol_engines_agree_and_reuse_resumes_after_a_kill(dcgan_mel_run, tmp_path):
    from tfskin.evaluation.protocol import collect_results, run_protocol

    single = run_protocol(_protocol_config(dcgan_mel_run.run_dir, "single"), tmp_path / "single",
                          stream=io.StringIO())
    assert single["runs_finished"] == 4

    out = tmp_path / "reuse"
    cfg = _protocol_config(dcgan_mel_run.run_dir, "reuse")
    _start_and_kill_after_first_result(cfg, out)
    finished = {p: p.stat().st_mtime_ns for p in out.glob("runs/*/rep*/result.json")}
    assert 1 <= len(finished) < 4
    log = io.StringIO()
    run_protocol(cfg, out, stream=log)
    assert f"{4 - len(finished)} run(s) to do, {len(finished)} already finished" in log.getvalue()
    assert all(p.stat().st_mtime_ns == t for p, t in finished.items())  # finished runs are not redone

    expected = {(r["condition"], r["repeat"]): r for r in collect_results(tmp_path / "single")}
    results = collect_results(out)
    assert len(results) == 4
    for r in results:
        key = (r["condition"], r["repeat"])
        assert r["engine"]["name"] == "reuse" and expected[key]["engine"]["name"] == "single"
        assert r["test"]["auc"] == pytest.approx(expected[key]["test"]["auc"], abs=1e-9)
        assert r["final_train_loss"] == pytest.approx(expected[key]["final_train_loss"], rel=1e-6)
        mine = np.load(out / "runs" / key[0] / f"rep{key[1]:02d}" / "test" / "predictions.npz")["probabilities"]
        theirs = np.load(tmp_path / "single" / "runs" / key[0] / f"rep{key[1]:02d}" / "test" /
                         "predictions.npz")["probabilities"]
        np.testing.assert_allclose(mine, theirs, atol=1e-6)
    # the resumed call ran real+mel at repeat 0, then reused that model at repeat 1 without tracing its step
    again = next(r for r in results if (r["condition"], r["repeat"]) == ("real+mel", 1))
    assert again["engine"]["reused_model"] and again["engine"]["train_traces"] == 0
