"""Synthetic-image sources: run dir, SavedModel, PNG folder, spec parsing."""

import numpy as np
import pytest

from tfskin import sources
from tfskin.classes import CLASS_NAMES, class_index
from tfskin.config import ConfigError
from tfskin.errors import UserError
from tfskin.imaging import to_uint8
from tfskin.sources import make_source


def test_run_and_savedmodel_sources_sample_labelled_images(dcgan_mel_run):
    run = sources.make_source(f"run:{dcgan_mel_run.run_dir}")
    a = run.sample(5, seed=1)
    assert a["image"].shape == (5, 32, 32, 3) and a["image"].dtype == np.uint8
    assert run.classes == ("MEL",) and np.all(a["label"] == class_index("MEL")) and "mask" not in a
    np.testing.assert_array_equal(a["image"], run.sample(5, seed=1)["image"])
    assert not np.array_equal(a["image"], run.sample(5, seed=2)["image"])
    huge = 4_294_967_295 * 1_000_003  # a hashed repeat seed times a per-step factor (the segmenter's) once crashed
    np.testing.assert_array_equal(run.sample(2, seed=huge)["image"], run.sample(2, seed=huge % 2 ** 31)["image"])

    saved = sources.make_source(f"savedmodel:{dcgan_mel_run.export_path.parent}")  # picks the latest version
    b = saved.sample(300, seed=3)  # more than one internal batch
    assert b["image"].shape == (300, 32, 32, 3) and saved.classes == ("MEL",)
    assert b["image"].std() > 0
    np.testing.assert_array_equal(b["image"][:4], saved.sample(4, seed=3)["image"])


def test_mask_source_and_png_round_trip(dcgan_mask_run, tmp_path):
    src = sources.make_source({"type": "savedmodel", "path": str(dcgan_mask_run.export_path), "label": "nv"})
    assert src.has_masks
    batch = src.sample(6, seed=0)
    assert batch["mask"].shape == (6, 32, 48, 1) and set(np.unique(batch["mask"])) <= {0, 255}
    assert np.all(batch["label"] == class_index("NV"))
    folder = sources.write_source_sample(src, 6, tmp_path / "pngs", seed=0)
    png = sources.make_source(f"png:{folder}")
    assert png.has_masks and len(png) == 6 and png.classes == ("NV",)
    back = png.sample(6, seed=0)
    order = np.argsort([int(f.stem.split("_")[1]) for f in png.files])
    assert sorted(map(bytes, back["image"])) == sorted(map(bytes, batch["image"][order]))
    assert np.all(back["label"] == class_index("NV"))


def test_png_folder_labels_from_subfolders(tmp_path):
    from tfskin.imaging import save_png

    rng = np.random.default_rng(0)
    for cls in ("MEL", "NV"):
        for i in range(3):
            save_png(rng.integers(0, 256, (8, 8, 3), dtype=np.uint8), tmp_path / cls / f"{i}.png")
    src = sources.make_source(f"png:{tmp_path}")
    batch = src.sample(6, seed=0)
    assert sorted(batch["label"].tolist()) == [0, 0, 0, 1, 1, 1] and not src.has_masks
    assert src.sample(10, seed=0)["image"].shape == (10, 8, 8, 3)  # with replacement beyond the folder size


def test_spec_errors_are_one_line_config_errors(tmp_path):
    with pytest.raises(ConfigError, match="SCHEME:PATH"):
        sources.make_source("runs/x")
    with pytest.raises(ConfigError, match="valid: alternate, png, run, savedmodel, serving"):
        sources.make_source("gif:x")
    with pytest.raises(UserError, match="not a TF Serving URL"):
        sources.make_source("serving:ftp://localhost/dcgan")
    with pytest.raises(FileNotFoundError):
        sources.make_source(f"png:{tmp_path / 'none'}")
    with pytest.raises(FileNotFoundError, match="not a tfskin run"):
        sources.make_source(f"run:{tmp_path}")
    with pytest.raises(ConfigError, match="unknown source option"):
        sources.make_source(f"png:{tmp_path},colour=red")
    with pytest.raises(ValueError, match="unknown class"):
        sources.make_source(f"run:{tmp_path},label=XYZ")


def test_run_source_draws_the_requested_class_from_a_conditional_model(tmp_path):
    from tfskin.training import resolve_config, train

    result = train(resolve_config("acgan", "tiny", train={"steps": 1}), tmp_path / "acgan")
    mel = make_source(f"run:{tmp_path / 'acgan'},label=MEL")
    assert mel.conditional
    drawn = mel.sample(4, seed=1)
    assert set(drawn["label"]) == {CLASS_NAMES.index("MEL")}
    expected = to_uint8(mel.model.sample(4, seed=1 * 7919, label="MEL")["image"])
    np.testing.assert_array_equal(drawn["image"], expected)
    other = to_uint8(mel.model.sample(4, seed=1 * 7919, label="NV")["image"])
    assert not np.array_equal(drawn["image"], other)

    served = make_source(f"savedmodel:{result.export_path},label=MEL")
    assert served.conditional
    noise = np.random.default_rng(2).standard_normal((3, mel.model.config.latent_dim)).astype("float32")
    direct = to_uint8(mel.model(noise, np.full(3, CLASS_NAMES.index("MEL"), "int32"))["image"])
    np.testing.assert_allclose(served.sample(3, seed=2)["image"].astype(float), direct.astype(float), atol=1)
    with pytest.raises(ConfigError, match="class-conditional"):
        make_source(f"savedmodel:{result.export_path}")


def test_a_broken_png_is_named(tmp_path):
    from tfskin.errors import BadInputError

    (tmp_path / "broken.png").write_bytes(b"not a png at all")
    with pytest.raises(BadInputError, match=r"broken\.png is not a readable image"):
        make_source(f"png:{tmp_path}").sample(1, seed=0)
