"""CycleGAN: logged losses and both served directions, paper shapes, resume, mirrored and mixed precision steps,
the Path-Rank-Filter with a real (test-trained) classifier, and a generator's samples as domain A."""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf
from gan_harness import check_one_fit_step, eager_step_logs, logged_scalars, preset_model, signature_functions
from numerics import check_mirrored_within_split_spread, float_arrays, on_two_halves

from tfskin.callbacks import NonFiniteLossError
from tfskin.config import ConfigError
from tfskin.data.sources import phantom_arrays
from tfskin.inputs import domains
from tfskin.models.cyclegan.config import CycleGANConfig
from tfskin.models.cyclegan.model import CycleGAN
from tfskin.runtime import make_strategy
from tfskin.training import build_model, load_trained_model, resolve_config, train

TINY_TRAIN = {"export_at_end": False, "log_every": 1, "sample_every": 1000}


def _batch(model, n=4, seed=0):
    rng = np.random.default_rng(seed)
    h, w = model.image_size
    return {k: rng.uniform(-1, 1, (n, h, w, 3)).astype("float32") for k in ("images_a", "images_b")}


def train_mel_classifier(size=32, epochs=12):
    """A small MEL-vs-NV Keras classifier trained on phantoms: float 0..255 in, (N, 2) softmax out (column 1 =
    MEL), with a ``features`` layer so tfskin's Classifier can wrap it."""
    a = phantom_arrays("train", (size, size), num_examples=2000)
    keep = a["label"] <= 1  # MEL = 0, NV = 1
    x, y = a["image"][keep].astype("float32"), (a["label"][keep] == 0).astype("int32")
    keras.utils.set_random_seed(0)
    L = keras.layers
    inputs = keras.Input((size, size, 3))
    h = L.Rescaling(1 / 127.5, offset=-1)(inputs)
    for width in (16, 32):
        h = L.MaxPooling2D()(L.Conv2D(width, 3, padding="same", activation="relu")(h))
    h = L.GlobalMaxPooling2D()(L.Conv2D(32, 3, padding="same", activation="relu")(h))
    h = L.Dense(16, activation="relu", name="features")(h)
    model = keras.Model(inputs, L.Dense(2, activation="softmax")(h))
    model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
    model.fit(x, y, epochs=epochs, batch_size=32, verbose=0)
    return model


@pytest.fixture(scope="module")
def mel_classifier(tmp_path_factory):
    path = tmp_path_factory.mktemp("classifier") / "mel_vs_nv.keras"
    train_mel_classifier().save(path)
    return path


def test_one_step_logs_cycle_and_identity_and_both_directions_are_served_at_any_size():
    model = build_model(resolve_config("cyclegan", "tiny"))
    logs = eager_step_logs(model, _batch(model))
    assert logs["cycle"] > 0 and logs["identity"] > 0
    signatures = signature_functions(model)
    assert {"translate_a_to_b", "translate_b_to_a"} <= set(signatures)
    images = np.random.default_rng(1).uniform(0, 1, (3, 16, 16, 3)).astype("float32")
    back = signatures["translate_b_to_a"](image=tf.constant(images))["image"]
    np.testing.assert_allclose(np.asarray(back), np.asarray(model(images, direction="b_to_a")["image"]), atol=1e-5)
    larger = signatures["translate_a_to_b"](image=tf.constant(np.ones((1, 40, 24, 3), "float32")))
    assert larger["image"].shape == (1, 40, 24, 3)  # answered at the input's own size (served: test_translate.py)


def test_paper_layouts():
    paper = resolve_config("cyclegan", "paper256")
    cfg, optimizer = paper.model_config, paper.optimizer
    assert cfg.blocks((256, 256)) == 9 and cfg.lambda_cycle == 10 and cfg.lambda_identity == 0.5
    assert cfg.pool_size == 50 and optimizer.generator_learning_rate == 2e-4 and optimizer.beta_1 == 0.5
    assert optimizer.schedule_steps(paper.train.steps) == (100_000, 100_000)
    assert resolve_config("cyclegan", "paper128").model_config.blocks((128, 128)) == 6
    with pytest.raises(ConfigError, match="divisible"):
        CycleGAN(CycleGANConfig(), image_shape=(30, 32, 3))
    with pytest.raises(ConfigError, match="filter_alpha"):
        CycleGANConfig(filter_alpha=0.0)
    with pytest.raises(ConfigError, match="only domain A"):
        CycleGANConfig(domain_b="run:somewhere")


def test_learning_rate_is_constant_then_decays_linearly_to_zero():
    config = resolve_config("cyclegan", "tiny", train={"steps": 8}, optimizer={"constant_fraction": 0.5})
    model = build_model(config)
    schedule = model.generator_optimizer.learning_rate
    schedule_fn = model.generator_optimizer._learning_rate
    values = [float(schedule_fn(step)) for step in (0, 4, 6, 8, 12)]
    np.testing.assert_allclose(values, [2e-4, 2e-4, 1e-4, 0.0, 0.0], atol=1e-9)
    assert float(schedule) == pytest.approx(2e-4)  # step 0
    assert float(model.discriminator_optimizer._learning_rate(6)) == pytest.approx(1e-4)


def _weights(run_dir):
    _, model = load_trained_model(run_dir)
    return [np.asarray(v.numpy()) for v in model.weights]


@pytest.mark.numerics
@pytest.mark.slow
def test_resume_equals_an_uninterrupted_run_including_the_pools(tmp_path):
    config = lambda steps: resolve_config("cyclegan", "tiny", train={**TINY_TRAIN, "steps": steps})
    full = train(config(4), tmp_path / "full")
    train(config(2), tmp_path / "split")
    resumed = train(config(4), tmp_path / "split", resume=True)
    assert resumed.step == 4
    _, model = load_trained_model(tmp_path / "split")
    assert int(model.pool_b.count.numpy()) == 4  # pool size 4 of the tiny preset: full after one step
    for a, b in zip(_weights(full.run_dir), _weights(resumed.run_dir), strict=False):
        np.testing.assert_array_equal(a, b)  # exact: same kernels, same order
    grid = json.loads((tmp_path / "full" / "domains.json").read_text())
    assert grid["domain_a"]["source"] == "class NV" and grid["domain_b"]["images"] > 0
    assert (tmp_path / "full" / "samples" / "cycle_step_0000004.png").is_file()


def _two_sgd_steps(strategy, model_class=CycleGAN, pool_size=None):
    """Trainable weights before and after two SGD steps (learning rate 0.1, momentum 0.5) on two batches of 8."""
    changes = {} if pool_size is None else {"pool_size": pool_size}
    keras.utils.set_random_seed(3)
    with strategy.scope():
        model = preset_model(model_class, "cyclegan", "tiny", **changes)
        model.compile(keras.optimizers.SGD(0.1, momentum=0.5), keras.optimizers.SGD(0.1, momentum=0.5))
        model.build_for_training()
    initial = float_arrays(model.trainable_weights)
    batches = [_batch(model, n=8, seed=s) for s in range(2)]
    ds = tf.data.Dataset.from_tensor_slices(
        {k: np.stack([b[k] for b in batches]) for k in batches[0]}).unbatch().batch(8)
    model.fit(ds, steps_per_epoch=2, epochs=1, verbose=0, shuffle=False)
    return initial, model


@pytest.mark.slow
@pytest.mark.numerics
def test_mirrored_step_equals_single_device_step():
    """Two replicas of 4 against one device with 8, through the whole step (pools included). The tolerance is the
    measured spread of the kernels at per-replica shapes: the same two steps on one device with the batch split in
    halves (no strategy), against the batch of 8. Measured (2 steps, 2-core AMD EPYC with AVX-512 and avx512_bf16,
    TF 2.21): oneDNN on, split spread 2.3e-3 and mirrored 2.3e-3 (the spread's own size: oneDNN's batch-4 graph
    rounds differently from its batch-8 graph, and two steps at learning rate 0.1 carry it); oneDNN off, spread
    2.4e-5 and mirrored 4e-6; the largest update is about 0.4. scripts/diagnose_mirrored_step.py shows the
    mirrored gradients equal the two-halves gradients exactly."""
    if len(tf.config.list_logical_devices("CPU")) < 2:
        pytest.skip("needs two logical CPU devices (set up in conftest)")
    single_device = tf.distribute.get_strategy()
    initial, single = _two_sgd_steps(single_device)
    _, mirrored = _two_sgd_steps(make_strategy("mirrored"))
    _, single_no_pool = _two_sgd_steps(single_device, pool_size=0)  # the gathered pool is exact: test_image_pool.py
    _, halves_no_pool = _two_sgd_steps(single_device, on_two_halves(CycleGAN), pool_size=0)
    numbers = check_mirrored_within_split_spread(initial, single, mirrored, single_no_pool, halves_no_pool, steps=2)
    # the non-trainable state (pools, step counter) agrees as well
    for a, b in zip(single.non_trainable_weights, mirrored.non_trainable_weights, strict=True):
        np.testing.assert_allclose(np.asarray(a.numpy()), np.asarray(b.numpy()), atol=numbers["tolerance"],
                                   err_msg=a.path)
    assert int(mirrored.train_step_counter.numpy()) == 2


@pytest.mark.slow
def test_mixed_precision_trains_finitely():
    config = resolve_config("cyclegan", "tiny", train={"precision": "mixed_float16"})
    model = build_model(config)
    assert model.generator_ab.get_layer("res0_conv1").compute_dtype == "float16"
    logs = check_one_fit_step(model, _batch(model), steps=5)
    assert all(np.isfinite(v) for v in logs.values())
    assert model(np.zeros((1, 16, 16, 3), "float32"))["image"].dtype == "float32"


@pytest.mark.slow
def test_nan_guard_stops_the_run(tmp_path, monkeypatch):
    original = CycleGAN.generator_losses

    def poisoned(self, batch, fakes):
        out = original(self, batch, fakes)
        out["g_loss"] = out["g_loss"] + tf.where(tf.cast(self.train_step_counter, tf.float32) >= 1.0, np.nan, 0.0)
        return out

    monkeypatch.setattr(CycleGAN, "generator_losses", poisoned)
    with pytest.raises(NonFiniteLossError, match="g_loss became nan at step 2"):
        train(resolve_config("cyclegan", "tiny", train={**TINY_TRAIN, "steps": 4}), tmp_path / "run")


# --- Path-Rank-Filter --------------------------------------------------------------------------------------

def test_path_rank_filter_keeps_the_most_confident_fraction(mel_classifier, tmp_path):
    data = resolve_config("cyclegan", "quick").data
    mel = domains.class_domain(data, "MEL", (32, 32))
    scorer = domains.load_scorer(mel_classifier, "MEL")
    result = domains.path_rank_filter(mel, scorer, 0.25, class_name="MEL", classifier=str(mel_classifier))
    n = domains.count(mel)
    assert result.total == n and len(result.kept_ids) == int(np.ceil(0.25 * n))
    all_ids = np.concatenate([b["index"] for b in mel.batch(512).as_numpy_iterator()])
    all_scores = np.concatenate([scorer(b["image"]) for b in mel.batch(512).as_numpy_iterator()])
    dropped = all_scores[~np.isin(all_ids, result.kept_ids)]
    assert min(result.kept_scores) >= dropped.max()
    assert list(result.kept_scores) == sorted(result.kept_scores, reverse=True)
    # the classifier really ranks: kept melanomas look more like melanoma than the dropped ones, and NV far less
    nv_scores = np.concatenate([scorer(b["image"]) for b in domains.class_domain(data, "NV", (32, 32))
                               .batch(512).as_numpy_iterator()])
    assert np.mean(result.kept_scores) > dropped.mean() + 0.2 and nv_scores.mean() < 0.4
    # the same model saved in tfskin's classifier format (directory + classifier.json) scores the same
    from tfskin.evaluation.classifier import Classifier, ClassifierConfig

    melanoma = ClassifierConfig(task="melanoma", image_size=(32, 32))
    clf_dir = Classifier(keras.saving.load_model(mel_classifier), melanoma, ("rest", "MEL")).save(
        tmp_path / "c" / "classifier")
    kept = mel.take(8).batch(8).get_single_element()["image"].numpy()
    np.testing.assert_allclose(domains.load_scorer(clf_dir, "MEL")(kept), scorer(kept), atol=1e-5)
    # ... also given as the folder `tfskin evaluate classify --out` wrote (it holds the classifier/ folder)
    np.testing.assert_allclose(domains.load_scorer(tmp_path / "c", "MEL")(kept), scorer(kept), atol=1e-5)


@pytest.mark.e2e
def test_path_rank_filter_in_a_run_writes_alpha_and_kept_ids(mel_classifier, tmp_path):
    config = resolve_config("cyclegan", "tiny", train={**TINY_TRAIN, "steps": 1},
                            model_overrides={"filter_classifier": str(mel_classifier), "filter_alpha": 0.5})
    train(config, tmp_path / "run")
    saved = json.loads((tmp_path / "run" / "config.json").read_text())
    assert saved["model_config"]["filter_alpha"] == 0.5
    kept = json.loads((tmp_path / "run" / "path_rank_filter.json").read_text())
    summary = json.loads((tmp_path / "run" / "domains.json").read_text())
    assert len(kept["kept_ids"]) == int(np.ceil(0.5 * kept["total"])) == summary["domain_b"]["images"]
    assert summary["path_rank_filter"]["alpha"] == 0.5
    with pytest.raises(FileNotFoundError, match="classifier"):
        domains.load_scorer(tmp_path / "missing.keras", "MEL")


# --- a generator as domain A (per-class refinement) ---------------------------------------------------------

@pytest.mark.slow
def test_a_dcgan_run_and_its_export_can_be_domain_a(tmp_path):
    dcgan = train(resolve_config("dcgan", "tiny", data={"num_examples": 64, "classes": ("NV",)},
                                 train={"steps": 2, "log_every": 1, "sample_every": 1000}), tmp_path / "dcgan")
    spec = f"run:{dcgan.run_dir}"
    config = resolve_config("cyclegan", "tiny", train={**TINY_TRAIN, "steps": 2},
                            model_overrides={"domain_a": spec, "domain_a_samples": 12})
    train(config, tmp_path / "cyclegan")
    summary = json.loads((tmp_path / "cyclegan" / "domains.json").read_text())
    assert summary["domain_a"] == {"spec": spec, "source": f"generator {spec}", "images": 12}
    # domain A holds exactly the generator's samples (drawn with the run's seed), resized to 16x16
    from tfskin.sources import make_source

    expected = make_source(spec).sample(12, seed=0)["image"]
    got = np.stack([e["image"] for e in domains.domain_examples(spec, config.data, (16, 16), generator_samples=12)
                    .as_numpy_iterator()])
    assert got.shape == (12, 16, 16, 3)
    np.testing.assert_allclose(got.mean(axis=(1, 2)), expected.mean(axis=(1, 2)), atol=3.0)
    exported = domains.domain_examples(f"savedmodel:{dcgan.export_path.parent},label=NV", config.data, (16, 16),
                                       generator_samples=5)
    first = np.stack([e["image"] for e in exported.as_numpy_iterator()])
    again = np.stack([e["image"] for e in exported.as_numpy_iterator()])
    assert first.shape == (5, 16, 16, 3) and np.array_equal(first, again)
    with pytest.raises(ValueError, match="only domain A"):
        domains.domain_examples(spec, config.data, (16, 16), allow_generator=False)


def test_folder_domain_reads_and_resizes_images(tmp_path):
    from PIL import Image

    rng = np.random.default_rng(0)
    for i, size in enumerate([(20, 30), (16, 16), (40, 10)]):
        Image.fromarray(rng.integers(0, 255, (*size, 3), dtype=np.uint8)).save(tmp_path / f"img{i}.png")
    ds = domains.domain_examples(f"folder:{tmp_path}", None, (16, 16))
    items = list(ds.as_numpy_iterator())
    assert [e["index"] for e in items] == [0, 1, 2] and all(e["image"].shape == (16, 16, 3) for e in items)
    with pytest.raises(FileNotFoundError):
        domains.domain_examples(f"folder:{tmp_path / 'nope'}", None, (16, 16))


# --- learning -------------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_short_run_learns_to_translate_nevi_towards_melanoma(mel_classifier, tmp_path):
    """On 32x32 phantoms (the quick preset's networks, 300 steps): the cycle loss falls, the colour distance of
    translated nevi to real melanomas falls, and a MEL-vs-NV classifier (trained on real phantoms, never on
    translations) calls translated nevi melanoma far more often than the nevi themselves."""
    config = resolve_config("cyclegan", "quick", data={"num_examples": 1000},
                            train={"steps": 300, "log_every": 25, "sample_every": 300, "export_at_end": False},
                            optimizer={"constant_fraction": 1.0})
    result = train(config, tmp_path / "run")
    scalars = logged_scalars(result.log_dir, "cycle")
    assert scalars[-1] < 0.6 * scalars[0], scalars
    colour = result.colour_history
    assert colour[300]["wasserstein"]["mean"] < 0.5 * colour[0]["wasserstein"]["mean"]
    _, model = load_trained_model(tmp_path / "run")
    from tfskin.inputs.unpaired import UnpairedDomains

    fixed = UnpairedDomains(config).preview(128)
    nevi = (np.asarray(fixed["images_a"]) + 1.0) * 127.5
    classifier = keras.saving.load_model(mel_classifier)
    p_real = float(np.mean(classifier(nevi)[:, 1]))
    p_translated = float(np.mean(classifier(model.translate(nevi / 255.0) * 255.0)[:, 1]))
    print(f"cyclegan learning: cycle {scalars[0]:.3f} -> {scalars[-1]:.3f}; colour W1 G(A) vs B "
          f"{colour[0]['wasserstein']['mean']:.1f} -> {colour[300]['wasserstein']['mean']:.1f}; P(MEL) nevi "
          f"{p_real:.3f} -> translated {p_translated:.3f}")
    assert p_translated > p_real + 0.25, (p_real, p_translated)


@pytest.mark.e2e
def test_readme_path_rank_filter_recipe_runs_as_written(tmp_path, capsys):
    """README: `tfskin evaluate classify --task melanoma --out runs/clf`, then `tfskin train --model cyclegan
    --classifier runs/clf --alpha 0.25` (here at test sizes)."""
    from tfskin.cli import main

    clf = tmp_path / "runs" / "clf"
    assert main(["evaluate", "classify", "--task", "melanoma", "--image-size", "32", "--epochs", "1", "--tta", "1",
                 "--train-examples", "64", "--test-examples", "16", "--out", str(clf)]) == 0
    assert main(["train", "--model", "cyclegan", "--preset", "tiny", "--classifier", str(clf), "--alpha", "0.25",
                 "--steps", "1", "--no-export", "--run-dir", str(tmp_path / "run")]) == 0
    summary = json.loads((tmp_path / "run" / "domains.json").read_text())
    assert summary["path_rank_filter"]["alpha"] == 0.25 and summary["path_rank_filter"]["kept"] >= 1
