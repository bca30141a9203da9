"""bissoto2018 on real data: ISIC 2018 task 1/2 ships no diagnosis, so its images are labelled by joining their
ids to another release's (ISIC 2019 here, written by the test in its file layout); images without one are left
out and counted, and every role of the experiment reads the same joined images."""

from pathlib import Path

import pytest

from tfskin.classes import CLASS_NAMES
from tfskin.errors import ConfigError

from .release_files import write_isic2019

TASK1_2_DUMMY = Path(__file__).resolve().parents[2] / "datasets" / "isic_challenge" / "dummy_data"


def test_only_real_datasets_take_diagnoses_and_nothing_else():
    from tfskin.data.names import split_dataset_name

    assert split_dataset_name("isic2018_task1_2:diagnoses=isic2019") == ("isic2018_task1_2", {"diagnoses": "isic2019"})
    with pytest.raises(ConfigError, match="only phantoms take options"):
        split_dataset_name("isic2019:melanoma=0.3")


def test_bissoto_reads_task1_2_with_the_named_diagnoses():
    from tfskin.reproduce import bissoto2018

    for data, source in (("isic2019", "isic2019"), ("isic_archive", "isic_archive"),
                         ("isic2018_task1_2", "isic2019"), ("isic2018_task1_2:diagnoses=isic_archive", "isic_archive")):
        roles = bissoto2018.datasets(data)
        joined = f"isic2018_task1_2:diagnoses={source}"
        assert roles["pix2pixhd"] == roles["pgan"] == roles["classifier"] == joined and roles["diagnoses"] == source


def test_the_dry_run_names_the_releases_to_build(tmp_path, monkeypatch):
    from tfskin.data.tfds import register
    from tfskin.reproduce.run import reproduce

    monkeypatch.setenv(register.DATA_DIR_ENV, str(tmp_path / "empty"))
    plan = reproduce("bissoto2018", tmp_path / "out", data="isic2019", budget="smoke", dry_run=True)
    assert plan["datasets"]["diagnoses"] == "isic2019"
    assert plan["not_prepared"]["isic2018_task1_2"] == "tfskin data build isic2018_task1_2 --manual-dir DIR"
    assert "isic2019" in plan["not_prepared"] and all(":" not in name for name in plan["not_prepared"])


@pytest.mark.slow
def test_joined_diagnoses_label_task1_2_and_leave_the_rest_out(tmp_path, monkeypatch):
    from tfskin.data.tfds import register
    from tfskin.data.tfds.register import diagnosis_coverage as coverage
    from tfskin.evaluation.real_data import load_arrays
    from tfskin.reproduce import bissoto2018
    from tfskin.reproduce.papers import Experiment, settings_for

    # task 1/2's dummy training images are ISIC_0000020..22 and its test image ISIC_0000024
    write_isic2019(tmp_path / "isic2019", [("ISIC_0000020", "MEL"), ("ISIC_0000022_downsampled", "NV"),
                                           ("ISIC_0000099", "BCC"), ("ISIC_0000024", "SCC")])
    folder = str(tmp_path / "tfds")
    register.build("isic2019", tmp_path / "isic2019", data_dir_override=folder, workers=0, progress=False)
    register.build("isic2018_task1_2", TASK1_2_DUMMY, data_dir_override=folder, workers=0, progress=False)
    monkeypatch.setenv(register.DATA_DIR_ENV, folder)
    name = "isic2018_task1_2:diagnoses=isic2019"

    def read(split):
        out = load_arrays(name, split, (16, 16), features=("file_name", "label", "malignant", "label_map"))
        return {Path(f.decode()).stem: (CLASS_NAMES[y], bool(m)) for f, y, m in
                zip(out["file_name"], out["label"], out["malignant"], strict=True)}, out

    train, arrays = read("train")
    assert train == {"ISIC_0000020": ("MEL", True), "ISIC_0000022": ("NV", False)}  # ISIC_0000021: no diagnosis
    assert arrays["label_map"].shape[0] == 2  # the maps pix2pixHD trains on come with them
    assert read("test")[0] == {"ISIC_0000024": ("SCC", True)}
    assert list(read("train[1:2]")[0]) == [list(train)[1]]  # slices count the labelled images
    assert coverage(name, "train") == {"dataset": "isic2018_task1_2", "diagnoses_from": "isic2019",
                                       "split": "train", "with_diagnosis": 2, "left_out": 1}
    assert register.split_size(name, "train") == 2

    exp = Experiment(paper="bissoto2018", out=tmp_path / "out", data="isic2019", ood_data=None, budget="smoke",
                     settings={**settings_for(bissoto2018, "smoke"), "train_size": 1}, workers=1, workflow=None,
                     datasets={**bissoto2018.datasets("isic2019"), "ood": None})
    plan = bissoto2018.plan(exp)
    assert {c.data.name for c in plan["gans"].values()} == {name}
    assert plan["protocol"]["data"]["name"] == name
    note = bissoto2018.coverage_note({"train": coverage(name, "train"), "test": coverage(name, "test")})
    assert "1 of 3 training and 0 of 1 test images had none" in note


def test_class_filters_on_joined_diagnoses_use_isic2019_classes():
    """Selecting a class of a joined dataset (pix2pixHD synthesizes per class) reads the joined ISIC 2019 labels,
    not task 1/2's own vocabulary (it has none: every class was 'not in the dataset')."""
    from tfskin.classes import CLASS_NAMES
    from tfskin.data.names import label_indices

    name = "isic2018_task1_2:diagnoses=isic2019"
    assert label_indices(name, ["MEL", "NV"]) == [CLASS_NAMES.index("MEL"), CLASS_NAMES.index("NV")]
    with pytest.raises(ConfigError, match="has no class"):
        label_indices("isic2018_task1_2", ["MEL"])
