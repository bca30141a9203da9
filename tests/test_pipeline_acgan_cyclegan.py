"""ACGAN -> per-class CycleGAN pipeline: train, sample by class from the CLI, export as one SavedModel that a
fresh process without tfskin answers."""

import json

import numpy as np
import pytest
from gan_harness import call_in_fresh_process

from tfskin.cli import main
from tfskin.pipelines.acgan_cyclegan import AcganCycleganPipeline, export_pipeline, train_pipeline
from tfskin.training import resolve_config, train


@pytest.mark.slow
def test_pipeline_trains_samples_and_exports(tmp_path, capsys):
    acgan_config = resolve_config("acgan", "tiny", data={"num_examples": 96},
                                  train={"steps": 2, "export_at_end": False})
    train(acgan_config, tmp_path / "acgan")
    out = train_pipeline(tmp_path / "acgan", tmp_path / "pipe", classes=["MEL", "nv"], cyclegan_preset="tiny",
                         samples_per_class=8, steps=2)
    record = json.loads((out / "pipeline.json").read_text())
    assert sorted(record["cyclegans"]) == ["MEL", "NV"]
    assert len(list((out / "domain_a" / "MEL").glob("*.png"))) == 8  # domain A = ACGAN class-MEL samples
    domains = json.loads((out / "cyclegan_MEL" / "domains.json").read_text())
    assert domains["domain_a"]["spec"].startswith("folder:") and domains["domain_b"]["spec"] == "MEL"

    pipeline = AcganCycleganPipeline(out)
    samples = pipeline.sample(5, "mel", seed=3)
    assert samples["image"].shape == (5, 16, 16, 3) and samples["acgan_image"].shape == (5, 32, 32, 3)
    assert set(samples["label"]) == {0}
    with pytest.raises(ValueError, match="no CycleGAN for class BCC"):
        pipeline.sample(2, "BCC")

    assert main(["sample", "--pipeline", "acgan_cyclegan", "--run", str(out), "--class", "MEL", "--n", "6",
                 "--out", str(tmp_path / "samples")]) == 0
    assert len(list((tmp_path / "samples").glob("sample_*.png"))) == 6

    path = export_pipeline(out, tmp_path / "served" / "acgan_cyclegan")
    rng = np.random.default_rng(0)
    inputs = {"noise": rng.normal(size=(4, 16)).astype("float32"), "label": np.array([0, 1, 1, 0], "int32")}
    (served,), report = call_in_fresh_process([(path, "generate", inputs)], tmp_path / "fresh")
    assert report["tfskin_imported"] is False
    image = served["image"]
    assert image.shape == (4, 16, 16, 3) and served["acgan_image"].shape == (4, 32, 32, 3)
    # the served chain equals ACGAN -> resize -> the label's CycleGAN, per example
    from keras import ops

    raw = np.asarray(pipeline.acgan(inputs["noise"], inputs["label"])["image"])
    resized = np.clip(ops.convert_to_numpy(ops.image.resize(raw, (16, 16), interpolation="bilinear")), 0, 1)
    for i, label in enumerate(inputs["label"]):
        model = pipeline.cyclegans[pipeline.class_names[label]]
        expected = np.asarray(model(resized[i:i + 1])["image"])[0]
        np.testing.assert_allclose(image[i], expected, atol=1e-4)
