"""bissoto2018's smoke budget end to end on real-layout data: ISIC 2018 task 1/2 (images, lesion masks, task 2
attribute masks) written by the test in its release layout, labelled by joining its ids to an ISIC 2019 release
(also written by the test), with derm7pt's release as the out-of-distribution test, down to the report."""

import json
from pathlib import Path

import pytest

from .real_smoke import run_smoke
from .release_files import write_isic2018_task1_2, write_isic2019

DERM7PT_DUMMY = Path(__file__).resolve().parents[2] / "datasets" / "derm7pt" / "dummy_data"


@pytest.mark.e2e
def test_bissoto2018_smoke_on_release_layout_task1_2_with_isic2019_diagnoses_and_derm7pt(tmp_path, monkeypatch):
    from tfskin.data.tfds import register
    from tfskin.reproduce import bissoto2018

    splits = {"train": [f"ISIC_{1000 + i:07d}" for i in range(60)], "validation": ["ISIC_0002000"],
              "test": [f"ISIC_{3000 + i:07d}" for i in range(12)]}
    write_isic2018_task1_2(tmp_path / "task12", splits)
    unlabelled = {splits["train"][0], splits["train"][1]}  # no diagnosis in ISIC 2019: left out
    classes = ("MEL", "NV", "NV", "BCC", "BKL")
    rows = [(image_id, classes[i % len(classes)]) for i, image_id in enumerate(splits["train"] + splits["test"])
            if image_id not in unlabelled]
    write_isic2019(tmp_path / "isic2019", rows)
    folder = str(tmp_path / "tfds")
    register.build("isic2018_task1_2", tmp_path / "task12", data_dir_override=folder, workers=0, progress=False)
    register.build("isic2019", tmp_path / "isic2019", data_dir_override=folder, workers=0, progress=False)
    register.build("derm7pt", DERM7PT_DUMMY, data_dir_override=folder, workers=0, progress=False)
    monkeypatch.setenv(register.DATA_DIR_ENV, folder)

    assert bissoto2018.datasets("isic2019")["ood"] == "derm7pt"
    settings = {"test_size": None, "ood_size": None}
    summary, report = run_smoke(bissoto2018, "bissoto2018", tmp_path / "out", "isic2019", **settings)
    assert "out of distribution" in report and "Table 1" in report
    assert "2 of 60 training" in report  # the images without a diagnosis are counted, not silently dropped
    assert summary["runs_failed"] == []
    labelled_train = set(splits["train"]) - unlabelled
    for record in summary["replicates"]:
        real = set(record["real_train_ids"])
        assert len(real) == 24 and real <= labelled_train
        assert set(record["test_ids"]["in_distribution"]) == set(splits["test"])
        ood = record["test_ids"]["out_of_distribution"]
        assert ood and not set(ood) & (set(splits["train"]) | set(splits["test"]))
    json.loads((tmp_path / "out" / "reproduce.json").read_text())
