"""A segmentation paper end to end on real-layout data: pollastri2020's smoke budget on a small ISIC 2017
release the test writes in the official file layout (images, lowercase ``_segmentation.png`` masks, Part 3 CSVs),
with PH2 (its release layout: BMP images and 1-channel lesion BMPs) as the out-of-distribution test, down to the
report."""

import json

import pytest

from .real_smoke import run_smoke
from .release_files import write_isic2017, write_ph2


def _release_rows(prefix: int, count: int) -> list:
    kinds = ("nevus", "melanoma", "seborrheic_keratosis")
    return [(f"ISIC_{prefix + i:07d}", kinds[i % 3]) for i in range(count)]


@pytest.mark.e2e
def test_pollastri2020_smoke_on_a_release_layout_isic2017_with_ph2(tmp_path, monkeypatch):
    from tfskin.data.tfds import register
    from tfskin.reproduce import pollastri2020

    splits = {"train": _release_rows(1000, 60), "validation": _release_rows(2000, 4), "test": _release_rows(3000, 10)}
    write_isic2017(tmp_path / "isic", splits)
    write_ph2(tmp_path / "ph2", [(f"IMD{100 + i:03d}", i % 3) for i in range(30)])
    folder = str(tmp_path / "tfds")
    register.build("isic2017", tmp_path / "isic", data_dir_override=folder, workers=0, progress=False)
    register.build("ph2", tmp_path / "ph2", data_dir_override=folder, workers=0, progress=False)
    monkeypatch.setenv(register.DATA_DIR_ENV, folder)

    assert pollastri2020.datasets("isic2017")["ood"] == "ph2"  # the default out-of-distribution set on real data
    summary, report = run_smoke(pollastri2020, "pollastri2020", tmp_path / "out", "isic2017", test_size=None,
                                ood_size=None)
    assert "measured, isic2017" in report and "out of distribution" in report
    assert "Jaccard" in report
    assert summary["runs_failed"] == []
    train_ids, test_ids = {i for i, _ in splits["train"]}, {i for i, _ in splits["test"]}
    ph2_ids = {f"IMD{100 + i:03d}" for i in range(30)}
    for record in summary["replicates"]:
        real = set(record["real_train_ids"])
        assert len(real) == 24 and real <= train_ids
        assert set(record["test_ids"]["in_distribution"]) == test_ids  # the release's fixed test split, whole
        ood = set(record["test_ids"]["out_of_distribution"])
        assert ood and ood <= ph2_ids
    first, second = (set(r["real_train_ids"]) for r in summary["replicates"])
    assert not first & second  # each GAN replicate trains on its own images
    json.loads((tmp_path / "out" / "reproduce.json").read_text())


@pytest.mark.e2e
def test_lunagariya_smoke_on_a_release_layout_isic2017(tmp_path, monkeypatch):
    """The sample-quality paper on real-layout data: its GANs train on each replicate's ISIC 2017 training draw
    and their samples are scored against it, with the release's test images as the floor."""
    from tfskin.data.tfds import register
    from tfskin.reproduce import lunagariya

    splits = {"train": _release_rows(1000, 70), "validation": _release_rows(2000, 2), "test": _release_rows(3000, 70)}
    write_isic2017(tmp_path / "isic", splits)
    folder = str(tmp_path / "tfds")
    register.build("isic2017", tmp_path / "isic", data_dir_override=folder, workers=0, progress=False)
    monkeypatch.setenv(register.DATA_DIR_ENV, folder)

    # train_size 24: two disjoint replicate draws of the 70 training images
    summary, report = run_smoke(lunagariya, "lunagariya", tmp_path / "out", "isic2017", train_size=24)
    assert "isic2017" in report and "Real, held out (floor)" in report
    train_ids, test_ids = {i for i, _ in splits["train"]}, {i for i, _ in splits["test"]}
    for record in summary["replicates"]:
        assert len(record["real_train_ids"]) == 24 and set(record["real_train_ids"]) <= train_ids
        assert record["test_ids"]["in_distribution"] and set(record["test_ids"]["in_distribution"]) <= test_ids
    first, second = (set(r["real_train_ids"]) for r in summary["replicates"])
    assert not first & second  # each GAN replicate trains on its own images
    json.loads((tmp_path / "out" / "reproduce.json").read_text())
