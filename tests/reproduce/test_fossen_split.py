"""Fossen-Romsaas et al.'s ISIC 2019 split: seeded, stratified by diagnosis, 20,264 / 2,533 / 2,534 on the full
release (Table 1 cell by cell), proportional on smaller data, disjoint, deterministic; read as the splits
``fossen2020_train`` / ``fossen2020_test`` of a prepared ``isic2019`` release (one the test writes in the
release's file layout)."""

import numpy as np
import pytest

from tfskin.data.paper_splits import PAPER_SPLITS, paper_partition, parse_paper_split, proportional_sizes
from tfskin.errors import ConfigError

from .release_files import LABELS_2019, write_isic2019


def _table1():
    from tfskin.reproduce.published import published_table

    table = published_table("fossen2020", "table1")
    return {row[0]: row[1:] for row in table.rows if row[0] != "Sum"}


def _labels(counts: dict, seed=0) -> np.ndarray:
    labels = np.concatenate([np.full(n, LABELS_2019.index(c)) for c, n in counts.items()])
    return np.random.default_rng(seed).permutation(labels)


def _per_class(labels, parts) -> dict:
    return {LABELS_2019[c]: tuple(int((labels[p] == c).sum()) for p in parts.values()) for c in np.unique(labels)}


def test_the_full_release_splits_as_table_1():
    table = _table1()
    labels = _labels({name: sum(counts) for name, counts in table.items()})  # ISIC 2019's 25,331 class counts
    parts = paper_partition("fossen2020", labels, LABELS_2019)
    assert {k: len(v) for k, v in parts.items()} == dict(PAPER_SPLITS["fossen2020"].parts)
    assert _per_class(labels, parts) == table
    every = np.concatenate(list(parts.values()))
    assert len(np.unique(every)) == len(labels) == every.size  # disjoint and covering


def test_smaller_data_splits_in_proportion_stratified_and_seeded():
    counts = {"NV": 101, "MEL": 37, "BCC": 23, "BKL": 17, "AK": 9, "SCC": 5, "VASC": 3, "DF": 2}
    labels = _labels(counts)
    parts = paper_partition("fossen2020", labels, LABELS_2019)
    sizes = [len(v) for v in parts.values()]
    full = [n for _, n in PAPER_SPLITS["fossen2020"].parts]
    assert sizes == list(proportional_sizes(len(labels), full)) and sum(sizes) == len(labels)
    for name, got in _per_class(labels, parts).items():  # every class within one image of its share
        ideal = np.array(full) * counts[name] / sum(full)
        assert np.all(np.abs(np.array(got) - ideal) < 1 + 1e-9), (name, got, ideal)
    again = paper_partition("fossen2020", labels, LABELS_2019)
    assert all(np.array_equal(parts[k], again[k]) for k in parts)
    every = np.concatenate(list(parts.values()))
    assert len(np.unique(every)) == len(labels)


def test_split_names_parse_and_belong_to_isic2019():
    assert parse_paper_split("isic2019", "fossen2020_train[0:400]") == ("fossen2020", "train", slice(0, 400))
    assert parse_paper_split("isic2019", "train[0:400]") is None
    with pytest.raises(ConfigError, match="not isic2017"):
        parse_paper_split("isic2017", "fossen2020_test")
    with pytest.raises(ConfigError, match="has parts"):
        parse_paper_split("isic2019", "fossen2020_holdout")


@pytest.mark.slow
def test_a_prepared_isic2019_reads_the_paper_split(tmp_path, monkeypatch):
    """Built from release-layout files: the parts are disjoint, cover the training split, keep each class's
    share, read the same twice, slice into blocks, and fossen2020 reads them (train for S_g, test fixed)."""
    from tfskin.data.tfds import register
    from tfskin.evaluation.real_data import load_arrays
    from tfskin.reproduce import fossen2020
    from tfskin.reproduce.papers import Experiment, real_splits, settings_for
    from tfskin.reproduce.replicates import design, plan_replicates

    counts = {"NV": 20, "MEL": 10, "BCC": 5, "BKL": 3, "AK": 1, "DF": 1}
    rows = [(f"ISIC_{1000 + i:07d}", name) for i, name in enumerate(n for n, k in counts.items() for _ in range(k))]
    write_isic2019(tmp_path / "manual", rows)
    register.build("isic2019", tmp_path / "manual", data_dir_override=str(tmp_path / "tfds"), workers=0,
                   progress=False)
    monkeypatch.setenv(register.DATA_DIR_ENV, str(tmp_path / "tfds"))

    def read(split):
        out = load_arrays("isic2019", split, (8, 8), features=("file_name", "label"))
        return [f.decode() for f in out["file_name"]], out["label"]

    parts = {p: read(f"fossen2020_{p}") for p in ("train", "validation", "test")}
    assert [len(parts[p][0]) for p in parts] == [32, 4, 4]  # 40 images: 20,264 : 2,533 : 2,534 in proportion
    names = [n for p in parts for n in parts[p][0]]
    assert len(set(names)) == len(rows) == len(names)
    truth = dict(rows)
    for files, labels in parts.values():
        assert [truth[f.rsplit(".", 1)[0]] for f in files] == [LABELS_2019[i] for i in labels]
    train_mel = sum(LABELS_2019[i] == "MEL" for i in parts["train"][1])
    assert train_mel == 8  # 10 melanomas x 20,264 / 25,331, rounded
    register._paper_partition.cache_clear()  # computed afresh from the stored labels: the same parts
    assert read("fossen2020_train")[0] == parts["train"][0]
    assert read("fossen2020_train[8:16]")[0] == parts["train"][0][8:16]

    module = fossen2020
    exp = Experiment(paper="fossen2020", out=tmp_path / "out", data="isic2019", ood_data=None, budget="smoke",
                     settings={**settings_for(module, "smoke"), "train_size": 16, "test_size": None},
                     workers=1, workflow=None, datasets={**module.datasets("isic2019"), "ood": None},
                     splits=real_splits(module, "isic2019"))
    reps = plan_replicates(exp)
    assert [r.train_split for r in reps] == ["fossen2020_train[0:16]", "fossen2020_train[16:32]"]
    cfg = module.protocol_config(exp)
    assert cfg["data"]["test_split"] == "fossen2020_test"
    assert design(exp)["test_set"] == "fixed"
