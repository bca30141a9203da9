"""One paper end to end on real-layout data: fossen2020's smoke budget on a tiny ISIC 2019 training release the
test writes in the official file layout (read through the paper's own split), with derm7pt (its dummy release)
as the out-of-distribution test, down to the report."""

import json
from pathlib import Path

import pytest

from .real_smoke import run_smoke
from .release_files import write_isic2019

DERM7PT_DUMMY = Path(__file__).resolve().parents[2] / "datasets" / "derm7pt" / "dummy_data"


def test_evaluators_get_isic2019_classes_from_any_release():
    """Evaluators read labels as ISIC 2019 classes: a release's own class indices are mapped (derm7pt's 20
    diagnoses, ISIC 2017's three), unknown or unmappable ones become -1."""
    from tfskin.classes import CLASS_NAMES
    from tfskin.data.tfds.register import class_names
    from tfskin.evaluation.real_data import to_isic2019

    own = class_names("isic2017")
    mapped = to_isic2019("isic2017", [own.index("melanoma"), own.index("seborrheic_keratosis"), -1])
    assert [CLASS_NAMES[i] if i >= 0 else None for i in mapped] == ["MEL", "BKL", None]
    derm = class_names("derm7pt")
    mapped = to_isic2019("derm7pt", [derm.index("basal cell carcinoma"), derm.index("clark nevus")])
    assert [CLASS_NAMES[i] for i in mapped] == ["BCC", "NV"]
    assert list(to_isic2019("isic2018_task1_2", [-1])) == [-1]


@pytest.mark.e2e
def test_fossen2020_smoke_on_a_release_layout_isic2019_with_derm7pt(tmp_path, monkeypatch):
    from tfskin.data.tfds import register
    from tfskin.reproduce import fossen2020

    mix = {"NV": 90, "MEL": 50, "BCC": 25, "BKL": 15, "AK": 8, "SCC": 6, "VASC": 3, "DF": 3}
    rows = [(f"ISIC_{2000 + i:07d}", c) for i, c in enumerate(c for c, k in mix.items() for _ in range(k))]
    write_isic2019(tmp_path / "manual", rows)
    folder = str(tmp_path / "tfds")
    register.build("isic2019", tmp_path / "manual", data_dir_override=folder, workers=0, progress=False)
    register.build("derm7pt", DERM7PT_DUMMY, data_dir_override=folder, workers=0, progress=False)
    monkeypatch.setenv(register.DATA_DIR_ENV, folder)

    # the real-data path, not the training: one refining CycleGAN per replicate (the phantom smoke run in
    # tests/test_reproduce.py trains both), fewer refined and translated images
    summary, report = run_smoke(fossen2020, "fossen2020", tmp_path / "out", "isic2019", "derm7pt", test_size=None,
                                ood_size=None, pipeline_classes=("MEL",), samples_per_class=4, translated=8)
    assert "measured, isic2019" in report and "out of distribution" in report
    assert "## Accuracy (Table 2's column) and macro F1" in report and "## Table 3: the alpha sweep" in report
    assert summary["runs_failed"] == []
    ids = {row[0] for row in rows}
    for record in summary["replicates"]:
        assert len(record["real_train_ids"]) == 48 and set(record["real_train_ids"]) <= ids
        assert len(record["test_ids"]["in_distribution"]) == 20  # fossen2020_test: 2,534 / 25,331 of 200
        assert not set(record["test_ids"]["in_distribution"]) & set(record["real_train_ids"])
        assert record["test_ids"]["out_of_distribution"] and not set(record["test_ids"]["out_of_distribution"]) & ids
    blocks = [set(r["real_train_ids"]) for r in summary["replicates"]]
    assert not blocks[0] & blocks[1]  # disjoint blocks of fossen2020_train
    json.loads((tmp_path / "out" / "reproduce.json").read_text())
