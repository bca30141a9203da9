"""Real-data sources: every config builds from its dummy data (exact counts, disjoint splits, grouped ids), and
``load_examples`` serves it resized with padding, with label, instance and boundary maps."""

import io
from pathlib import Path

import numpy as np
import pytest
import tensorflow_datasets as tfds

from tfskin.classes import ATTRIBUTE_NAMES, CLASS_NAMES
from tfskin.data.geometry import pad_geometry
from tfskin.data.labelmaps import PADDING, semantic_label_map
from tfskin.data.sources import load_examples
from tfskin.data.tfds import register

DATASETS = Path(__file__).resolve().parents[1] / "datasets"

EXPECTED_SPLITS = {
    "isic2016": {"train": 3, "test": 2},
    "isic2017": {"train": 3, "validation": 2, "test": 2},
    "isic2018_task1_2": {"train": 3, "validation": 1, "test": 1},
    "isic2018_task3": {"train": 4, "validation": 2, "test": 2},
    "isic2019": {"train": 5, "test": 2},
    "isic2020": {"train": 5, "validation": 1, "test": 1},
    "ham10000": {"train": 4, "validation": 1, "test": 1},
    "ph2": {"train": 3, "validation": 1, "test": 1},
    "derm7pt": {"train": 4, "validation": 2, "test": 1},
    "dermofit": {"train": 3, "validation": 1, "test": 1},
    "isic_archive": {"train": 5, "validation": 1, "test": 1},
}


def dummy_dir(name: str) -> Path:
    return DATASETS / register.SOURCES[name][0] / "dummy_data"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Prepare configs on demand into one data folder per test module (and process)."""
    root = tmp_path_factory.mktemp("tfds_data")
    done = {}

    def build(name):
        if name not in done:
            done[name] = register.build(name, dummy_dir(name), data_dir_override=str(root), workers=0,
                                        progress=False)
        return done[name]

    build.root = str(root)
    return build


@pytest.fixture
def data_dir(built, monkeypatch):
    monkeypatch.setenv(register.DATA_DIR_ENV, built.root)
    return built


def _column(name, split, features):
    builder = register.get_builder(name)
    ds = builder.as_dataset(split=split, shuffle_files=False, decoders=tfds.decode.PartialDecoding(features))
    return list(tfds.as_numpy(ds))


@pytest.mark.slow
def test_every_config_builds_with_exact_counts_and_disjoint_splits(data_dir):
    assert set(EXPECTED_SPLITS) == set(register.SOURCES)
    for name, expected in EXPECTED_SPLITS.items():
        summary = data_dir(name)
        assert summary["splits"] == expected, name
        assert summary["skipped"] == [], name
        seen, groups = {}, {}
        for split in expected:
            rows = _column(name, split, {"file_name": True, "metadata": True})
            assert len(rows) == expected[split]
            for row in rows:
                key = row["file_name"].decode()
                assert key not in seen, f"{name}: {key} in {seen.get(key)} and {split}"
                seen[key] = split
                for field in ("lesion_id", "patient_id"):
                    value = row["metadata"][field].decode()
                    if value and register.config_of(name).split_fractions:
                        assert groups.setdefault((field, value), split) == split, f"{name}: {field} {value} leaks"
    assert len(data_dir("isic2020")["duplicates_dropped"]) == 1


def test_load_examples_resizes_with_padding_and_keeps_labels(data_dir):
    data_dir("isic2019")
    ds = load_examples("isic2019", "train", (32, 48), features=("image", "label", "malignant", "index", "metadata",
                                                                 "file_name", "valid"))
    examples = list(ds.as_numpy_iterator())
    assert len(examples) == 5
    for ex in examples:
        assert ex["image"].shape == (32, 48, 3) and ex["image"].dtype == np.uint8
        assert ex["label"].dtype == np.int64 and 0 <= ex["label"] < 9
        assert ex["malignant"] == (register.class_names("isic2019")[ex["label"]] in ("MEL", "BCC", "SCC"))
        valid = ex["valid"][..., 0]
        rows, cols = np.nonzero(valid)
        size = (24, 32) if ex["file_name"] != b"ISIC_0000017_downsampled.jpg" else (32, 32)
        g = pad_geometry(*size, (32, 48))
        assert (rows.min(), cols.min(), valid.sum()) == (g.top, g.left, g.height * g.width)
        assert (ex["image"][valid == 0] == 0).all()
    downsampled = next(ex for ex in examples if ex["file_name"] == b"ISIC_0000017_downsampled.jpg")
    assert downsampled["metadata"]["age"] == -1 and downsampled["metadata"]["sex"] == b""
    assert sorted(ex["index"] for ex in examples) == list(range(5))


def test_isic2018_label_instance_and_boundary_maps(data_dir):
    data_dir("isic2018_task1_2")
    features = ("image", "mask", "attributes", "valid", "label_map", "instance_map", "boundary", "file_name", "label",
                "malignant")
    examples = {ex["file_name"].decode(): ex for ex in
                load_examples("isic2018_task1_2", "train", (32, 64), features=features).as_numpy_iterator()}
    assert set(examples) == {"ISIC_0000020.jpg", "ISIC_0000021.jpg", "ISIC_0000022.jpg"}
    for ex in examples.values():
        assert ex["label"] == -1 and not ex["malignant"]
        labels, valid, instances = ex["label_map"][..., 0], ex["valid"][..., 0], ex["instance_map"][..., 0]
        expected = semantic_label_map(ex["mask"], ex["attributes"], ex["valid"]).numpy()[..., 0]
        np.testing.assert_array_equal(labels, expected)
        np.testing.assert_array_equal(labels == PADDING, valid == 0)
        marked = (ex["mask"][..., 0] >= 128) | (ex["attributes"] >= 128).any(-1)
        assert ((labels >= 2) == (marked & (valid > 0))).all()
        assert (instances[valid == 0] == 0).all() and (instances[valid > 0] >= 1000).all()
        assert set(np.unique(ex["boundary"])) <= {0, 1}
    # 16x32 is exactly 2:1: no padding at all; 24x32 into 32x64 is padded left and right.
    assert (examples["ISIC_0000022.jpg"]["valid"] == 1).all()
    g = pad_geometry(24, 32, (32, 64))
    assert g.left == 10 and (examples["ISIC_0000020.jpg"]["valid"][:, :g.left] == 0).all()
    assert (examples["ISIC_0000021.jpg"]["attributes"] == 0).all()  # all five files present, all empty
    assert (examples["ISIC_0000020.jpg"]["label_map"] >= 3).any()


def test_stored_features_follow_the_release(data_dir):
    data_dir("isic2018_task1_2")
    data_dir("isic2017")
    rows = {r["file_name"].decode(): r for r in _column("isic2018_task1_2", "train",
                                                         {"file_name": True, "attribute_present": True})}
    assert not rows["ISIC_0000021.jpg"]["attribute_present"].any()
    assert rows["ISIC_0000020.jpg"]["attribute_present"].all()
    # ISIC 2017 ships *_superpixels.png (index = R + 256 G + 65536 B): the dummy files hold 8x8 blocks.
    rows = {r["file_name"].decode(): r for r in _column("isic2017", "train",
                                                         {"file_name": True, "superpixels": True})}
    sp = rows["ISIC_0000010.jpg"]["superpixels"][..., 0]
    blocks = (np.arange(24)[:, None] // 8) * 8 + np.arange(32)[None, :] // 8
    np.testing.assert_array_equal(sp, blocks)
    assert sp.dtype == np.uint16


def test_feature_and_split_errors(data_dir, monkeypatch, tmp_path):
    data_dir("isic2019")
    with pytest.raises(ValueError, match="no lesion masks"):
        load_examples("isic2019", "train", (32, 32), features=("image", "mask"))
    with pytest.raises(ValueError, match="no split 'validation'"):
        load_examples("isic2019", "validation", (32, 32))
    with pytest.raises(ValueError, match="no feature"):
        load_examples("isic2019", "train", (32, 32), features=("image", "depth"))
    monkeypatch.setenv(register.DATA_DIR_ENV, str(tmp_path))
    with pytest.raises(FileNotFoundError, match="tfskin data build isic2019"):
        load_examples("isic2019", "train", (32, 32))


def test_class_names_and_isic2019_mapping():
    assert register.class_names("ham10000") == ("mel", "nv", "bcc", "akiec", "bkl", "df", "vasc")
    # Configs ordered like ISIC 2019 map their own index to the same ISIC 2019 index.
    for name in ("ham10000", "isic2018_task3", "isic2019", "isic_archive"):
        mapping = register.isic2019_labels(name)
        assert all(m in (i, -1) for i, m in enumerate(mapping)), name
    assert register.isic2019_labels("ph2") == (CLASS_NAMES.index("NV"), CLASS_NAMES.index("NV"),
                                               CLASS_NAMES.index("MEL"))
    assert register.isic2019_labels("isic2016") == (-1, -1)
    assert register.class_names("isic2018_task1_2") == ()
    assert len(ATTRIBUTE_NAMES) == 5


def test_derm7pt_clinical_images_and_criteria(data_dir):
    data_dir("derm7pt")
    ex = next(load_examples("derm7pt", "train", (24, 24), features=("image", "clinical_image", "criteria", "label",
                                                                    "file_name")).as_numpy_iterator())
    assert ex["clinical_image"].shape == (24, 24, 3)
    assert set(ex["criteria"]) >= {"pigment_network", "blue_whitish_veil", "seven_point_score"}


@pytest.mark.slow
def test_dcgan_trains_two_steps_on_dummy_real_data(data_dir, tmp_path):
    from tfskin.training import resolve_config, train

    data_dir("isic2018_task1_2")
    config = resolve_config("dcgan", "tiny", data={"name": "isic2018_task1_2"},
                            train={"steps": 2, "export_at_end": False})
    result = train(config, tmp_path / "run", stream=io.StringIO())
    assert result.step == 2
    assert all(np.isfinite(v) for v in result.final_logs.values())


def test_a_builder_of_an_unprepared_dataset_leaves_no_temp_folder(tmp_path, monkeypatch):
    """TFDS's GCS info lookup made an empty ``tmp*tfds`` folder per builder and never removed it."""
    import tempfile

    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    builder = register.get_builder("isic2016", str(tmp_path / "data"))
    assert not builder.is_prepared() and builder.builder_config.name == "isic2016"
    assert list(temp.iterdir()) == []
