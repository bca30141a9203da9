"""A segmentation paper end to end on real-layout data: pollastri2020's smoke budget on a small ISIC 2017
release the test writes in the official file layout (images, lowercase ``_segmentation.png`` masks, Part 3 CSVs),
with PH2 (its release layout: BMP images and 1-channel lesion BMPs) as the out-of-distribution test, down to the
report."""

import io
import json

import pytest

from .release_files import write_isic2017, write_ph2


def _release_rows(prefix: int, count: int) -> list:
    kinds = ("nevus", "melanoma", "seborrheic_keratosis")
    return [(f"ISIC_{prefix + i:07d}", kinds[i % 3]) for i in range(count)]


@pytest.mark.e2e
def test_pollastri2020_smoke_on_a_release_layout_isic2017_with_ph2(tmp_path, monkeypatch):
    from tfskin.data.tfds import register
    from tfskin.reproduce import pollastri2020
    from tfskin.reproduce.papers import Experiment, real_splits, settings_for
    from tfskin.reproduce.workflow import Workflow

    splits = {"train": _release_rows(1000, 60), "validation": _release_rows(2000, 4), "test": _release_rows(3000, 10)}
    write_isic2017(tmp_path / "isic", splits)
    write_ph2(tmp_path / "ph2", [(f"IMD{100 + i:03d}", i % 3) for i in range(30)])
    folder = str(tmp_path / "tfds")
    register.build("isic2017", tmp_path / "isic", data_dir_override=folder, workers=0, progress=False)
    register.build("ph2", tmp_path / "ph2", data_dir_override=folder, workers=0, progress=False)
    monkeypatch.setenv(register.DATA_DIR_ENV, folder)

    settings = {**settings_for(pollastri2020, "smoke"), "test_size": None, "ood_size": None}
    out = tmp_path / "out"
    datasets = pollastri2020.datasets("isic2017")
    assert datasets["ood"] == "ph2"  # the default out-of-distribution set on real data
    exp = Experiment(paper="pollastri2020", out=out, data="isic2017", ood_data="ph2", budget="smoke",
                     settings=settings, workers=1, workflow=Workflow(out, io.StringIO()), datasets=datasets,
                     splits=real_splits(pollastri2020, "isic2017"))
    summary = pollastri2020.run(exp)

    report = (out / "report.md").read_text()
    assert "measured, isic2017" in report and "out of distribution" in report
    assert "Jaccard" in report
    assert summary["runs_failed"] == []
    train_ids, test_ids = {i for i, _ in splits["train"]}, {i for i, _ in splits["test"]}
    ph2_ids = {f"IMD{100 + i:03d}" for i in range(30)}
    for record in summary["replicates"]:
        real = set(record["real_train_ids"])
        assert len(real) == settings["train_size"] and real <= train_ids
        assert set(record["test_ids"]["in_distribution"]) == test_ids  # the release's fixed test split, whole
        ood = set(record["test_ids"]["out_of_distribution"])
        assert ood and ood <= ph2_ids
    first, second = (set(r["real_train_ids"]) for r in summary["replicates"])
    assert not first & second  # each GAN replicate trains on its own images
    json.loads((out / "reproduce.json").read_text())


@pytest.mark.e2e
def test_lunagariya_smoke_on_a_release_layout_isic2017(tmp_path, monkeypatch):
    """The sample-quality paper on real-layout data: its GANs train on each replicate's ISIC 2017 training draw
    and their samples are scored against it, with the release's test images as the floor."""
    from tfskin.data.tfds import register
    from tfskin.reproduce import lunagariya
    from tfskin.reproduce.papers import Experiment, real_splits, settings_for
    from tfskin.reproduce.workflow import Workflow

    splits = {"train": _release_rows(1000, 70), "validation": _release_rows(2000, 2), "test": _release_rows(3000, 70)}
    write_isic2017(tmp_path / "isic", splits)
    folder = str(tmp_path / "tfds")
    register.build("isic2017", tmp_path / "isic", data_dir_override=folder, workers=0, progress=False)
    monkeypatch.setenv(register.DATA_DIR_ENV, folder)

    out = tmp_path / "out"
    settings = {**settings_for(lunagariya, "smoke"), "train_size": 24}  # 2 disjoint replicate draws of 70
    exp = Experiment(paper="lunagariya", out=out, data="isic2017", ood_data=None, budget="smoke",
                     settings=settings, workers=1, workflow=Workflow(out, io.StringIO()),
                     datasets=lunagariya.datasets("isic2017"), splits=real_splits(lunagariya, "isic2017"))
    summary = lunagariya.run(exp)
    report = (out / "report.md").read_text()
    assert "isic2017" in report and "Real, held out (floor)" in report
    train_ids, test_ids = {i for i, _ in splits["train"]}, {i for i, _ in splits["test"]}
    for record in summary["replicates"]:
        assert len(record["real_train_ids"]) == 24 and set(record["real_train_ids"]) <= train_ids
        assert record["test_ids"]["in_distribution"] and set(record["test_ids"]["in_distribution"]) <= test_ids
    first, second = (set(r["real_train_ids"]) for r in summary["replicates"])
    assert not first & second  # each GAN replicate trains on its own images
    json.loads((out / "reproduce.json").read_text())
