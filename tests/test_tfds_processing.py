"""Preparation internals: file discovery in folders and zips, image shrinking, mask/superpixel encoding, the
bounded process pool, strict CSVs and grouped splits."""

import io
import zipfile

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from tfskin.data.tfds.common import (
    BadInputError,
    Problems,
    excluded,
    grouped_splits,
    read_csv,
    read_exclusions,
    read_headerless_csv,
)
from tfskin.data.tfds.files import FileRef, ManualTree
from tfskin.data.tfds.parallel import ordered_map
from tfskin.data.tfds.processing import Task, load_rgb, prepare


def _jpeg(path, size=(60, 80), quality=90):
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (*size, 3), dtype=np.uint8)).save(path, quality=quality)
    return path


def test_manual_tree_finds_files_in_folders_and_zips(tmp_path):
    (tmp_path / "A_Input").mkdir()
    _jpeg(tmp_path / "A_Input" / "ISIC_0000001.jpg")
    (tmp_path / "A_Input" / "LICENSE.txt").write_text("licence")
    (tmp_path / "A_Input" / "._ISIC_0000001.jpg").write_bytes(b"apple double")
    with zipfile.ZipFile(tmp_path / "A_Input.zip", "w") as archive:  # the same release, still zipped
        archive.writestr("A_Input/ISIC_0000001.jpg", b"zipped copy")
        archive.writestr("A_Input/ISIC_0000002.jpg", (tmp_path / "A_Input" / "ISIC_0000001.jpg").read_bytes())
        archive.writestr("__MACOSX/A_Input/._ISIC_0000002.jpg", b"junk")
    tree = ManualTree(tmp_path)
    found = tree.find(r"ISIC_\d{7}\.jpg", "A_Input")
    assert sorted(found) == ["ISIC_0000001.jpg", "ISIC_0000002.jpg"]
    assert found["ISIC_0000001.jpg"].member is None  # the extracted file wins over the zipped one
    assert found["ISIC_0000002.jpg"].member == "A_Input/ISIC_0000002.jpg"
    assert load_rgb(found["ISIC_0000002.jpg"], 0)[2] == (60, 80)
    assert tree.find(r".*\.txt") == {"LICENSE.txt": FileRef(str(tmp_path / "A_Input" / "LICENSE.txt"))}
    (tmp_path / "B").mkdir()
    _jpeg(tmp_path / "B" / "ISIC_0000001.jpg")
    with pytest.raises(BadInputError, match="keep one copy"):
        ManualTree(tmp_path).find(r"ISIC_\d{7}\.jpg")
    with pytest.raises(FileNotFoundError, match="no file GT.csv"):
        tree.find_one(r"GT\.csv")


def test_large_jpeg_is_shrunk_small_jpeg_kept_byte_for_byte(tmp_path):
    big = FileRef(str(_jpeg(tmp_path / "big.jpg", (600, 800))))
    encoded, rgb, original, stored = load_rgb(big, 100)
    assert original == (600, 800) and stored == (75, 100) and rgb.shape == (75, 100, 3)
    assert Image.open(io.BytesIO(encoded)).size == (100, 75)
    small = FileRef(str(_jpeg(tmp_path / "small.jpg", (30, 40))))
    assert load_rgb(small, 100)[0] == (tmp_path / "small.jpg").read_bytes()
    Image.new("RGB", (40, 30), (10, 20, 30)).save(tmp_path / "x.bmp")
    encoded = load_rgb(FileRef(str(tmp_path / "x.bmp")), 100)[0]
    assert Image.open(io.BytesIO(encoded)).format == "PNG"  # BMP re-encoded losslessly


def test_prepare_masks_and_superpixels(tmp_path):
    _jpeg(tmp_path / "img.jpg", (40, 60))
    mask = np.zeros((40, 60), np.uint8)
    mask[10:30, 20:40] = 200  # binarised at 128
    mask[0, 0] = 100
    Image.fromarray(mask).save(tmp_path / "mask.png")
    task = Task(key="img.jpg", image=FileRef(str(tmp_path / "img.jpg")), mask=FileRef(str(tmp_path / "mask.png")),
                max_side=30, slic=None)
    out = prepare(task)
    assert out.original_size == (40, 60) and out.stored_size == (20, 30)
    stored_mask = np.asarray(Image.open(io.BytesIO(out.mask)))
    assert stored_mask.shape == (20, 30) and set(np.unique(stored_mask)) == {0, 255}
    assert stored_mask[5:15, 10:20].all() and not stored_mask[0, 0]
    from tfskin.data.superpixels import PAPER_SLIC

    out = prepare(Task(key="img.jpg", image=FileRef(str(tmp_path / "img.jpg")), max_side=30,
                       slic=PAPER_SLIC.__class__(n_segments=6)))
    decoded = tf.io.decode_png(out.superpixels, channels=1, dtype=tf.uint16).numpy()[..., 0]
    assert decoded.shape == (20, 30) and 2 <= decoded.max() < 30


def test_ordered_map_keeps_order_in_processes_and_passes_bad_inputs(tmp_path):
    tasks = []
    for i in range(40):
        path = _jpeg(tmp_path / f"ISIC_{i:07d}.jpg", (8 + i, 12))
        if i == 7:
            path.write_bytes(b"not a jpeg")
        tasks.append(Task(key=path.name, image=FileRef(str(path)), max_side=0))
    results = list(ordered_map(prepare, tasks, workers=2, num_tasks=len(tasks), in_flight=3))
    assert [t.key for t, _ in results] == [t.key for t in tasks]
    assert isinstance(results[7][1], BadInputError) and results[7][1].file.endswith("ISIC_0000007.jpg")
    assert [r.original_size for t, r in results if t.key != "ISIC_0000007.jpg"] == \
        [(8 + i, 12) for i in range(40) if i != 7]
    assert [r.original_size for _, r in ordered_map(prepare, tasks[:2], workers=0)] == [(8, 12), (9, 12)]


def test_strict_csv_reading(tmp_path):
    path = tmp_path / "gt.csv"
    path.write_text("image,MEL,NV\nISIC_0000001,1.0,0.0\n\nISIC_0000002,0.0,1.0\n")
    rows = read_csv(FileRef(str(path)), ("image", "MEL", "NV"))
    assert rows == [(2, {"image": "ISIC_0000001", "MEL": "1.0", "NV": "0.0"}),
                    (4, {"image": "ISIC_0000002", "MEL": "0.0", "NV": "1.0"})]
    with pytest.raises(BadInputError, match="unexpected CSV header 'image,MEL,NV'; the release uses image,MEL,BCC"):
        read_csv(FileRef(str(path)), ("image", "MEL", "BCC"))
    path.write_text("ISIC_0000001,benign\nISIC_0000002,malignant,x\n")
    with pytest.raises(BadInputError, match="line 2: 3 fields, expected 2"):
        read_headerless_csv(FileRef(str(path)), 2, r"ISIC_\d{7}")


def test_problems_raise_together_or_record():
    with pytest.raises(BadInputError, match="a.jpg: broken"):
        Problems().bad("a.jpg", "broken", defer=False)
    problems = Problems()
    problems.bad("a.jpg", "broken")
    problems.bad("b.png", "wrong size")
    with pytest.raises(BadInputError, match=r"(?s)2 bad inputs.*--skip-bad.*a\.jpg: broken.*b\.png: wrong size"):
        problems.raise_errors()
    problems = Problems(skip_bad=True)
    problems.bad("a.jpg", "broken", "train")
    assert problems.skipped == [{"file": "a.jpg", "problem": "broken", "split": "train"}]


def test_grouped_splits_keep_groups_together_and_are_stable(tmp_path):
    ids = [f"ISIC_{i:07d}" for i in range(400)]
    keys = [(f"lesion:L{i // 3}", f"patient:P{i // 7}") for i in range(400)]
    fractions = (("train", 0.8), ("validation", 0.1), ("test", 0.1))
    splits = grouped_splits(ids, keys, fractions, seed=0)
    by_group = {}
    for (lesion, patient), split in zip(keys, splits, strict=True):
        assert by_group.setdefault(lesion, split) == split and by_group.setdefault(patient, split) == split
    assert 0.6 < splits.count("train") / 400 < 0.95 and splits.count("test") > 0
    assert splits == grouped_splits(ids, keys, fractions, seed=0)
    assert splits != grouped_splits(ids, keys, fractions, seed=1)
    # Dropping one image (not its group's smallest key) moves nothing else.
    kept = [i for i in range(400) if i != 5]
    assert grouped_splits([ids[i] for i in kept], [keys[i] for i in kept], fractions) == [splits[i] for i in kept]
    path = tmp_path / "exclude.txt"
    path.write_text("# non-dermoscopic\nISIC_0000017.jpg\n\nISIC_0000018  # comment\n")
    ids = read_exclusions(path)
    assert ids == {"ISIC_0000017", "ISIC_0000018"}
    assert excluded("ISIC_0000017_downsampled", ids) == "ISIC_0000017" and excluded("ISIC_0000019", ids) is None
