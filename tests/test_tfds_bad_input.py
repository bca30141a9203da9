"""Bad inputs give one clear error naming the file and what was expected; --skip-bad records them instead."""

import json
import shutil
from pathlib import Path

import pytest

from tfskin.data.tfds import register
from tfskin.data.tfds.common import BadInputError

DUMMY = Path(__file__).resolve().parents[1] / "datasets" / "isic_challenge" / "dummy_data"
TASK12 = ("ISIC2018_Task1-2_Training_Input", "ISIC2018_Task1_Training_GroundTruth",
          "ISIC2018_Task2_Training_GroundTruth_v3")


def _copy(tmp_path, *names) -> Path:
    manual = tmp_path / "manual"
    for name in names:
        source = DUMMY / name
        if source.is_dir():
            shutil.copytree(source, manual / name)
        else:
            manual.mkdir(exist_ok=True)
            shutil.copy(source, manual / name)
    return manual


def _build(name, manual, tmp_path, **kwargs):
    return register.build(name, manual, data_dir_override=str(tmp_path / "data"), workers=0, progress=False, **kwargs)


def test_missing_attribute_file(tmp_path):
    manual = _copy(tmp_path, *TASK12)
    (manual / TASK12[2] / "ISIC_0000021_attribute_streaks.png").unlink()
    with pytest.raises(BadInputError,
                       match=r"ISIC_0000021_attribute_streaks\.png.*streaks of ISIC_0000021\.jpg.*all five"):
        _build("isic2018_task1_2", manual, tmp_path)


def test_corrupt_jpeg(tmp_path):
    manual = _copy(tmp_path, *TASK12)
    path = manual / TASK12[0] / "ISIC_0000020.jpg"
    data = path.read_bytes()
    path.write_bytes(data[:len(data) * 2 // 3])  # header intact, scan data cut
    with pytest.raises(BadInputError, match=r"ISIC_0000020\.jpg: corrupt, truncated or not an image"):
        _build("isic2018_task1_2", manual, tmp_path)


def test_a_text_file_named_jpg_is_named_without_a_python_object(tmp_path):
    manual = _copy(tmp_path, *TASK12)
    (manual / TASK12[0] / "ISIC_0000020.jpg").write_text("this is not an image")
    with pytest.raises(BadInputError, match=r"ISIC_0000020\.jpg: corrupt, truncated or not an image") as info:
        _build("isic2018_task1_2", manual, tmp_path)
    assert "object at 0x" not in str(info.value)


def test_mask_with_another_size(tmp_path):
    from PIL import Image

    manual = _copy(tmp_path, *TASK12)
    Image.new("L", (10, 10)).save(manual / TASK12[1] / "ISIC_0000022_segmentation.png")
    with pytest.raises(BadInputError, match=r"ISIC_0000022_segmentation\.png: lesion mask is 10x10 but its image "
                                            r"ISIC_0000022\.jpg is 32x16"):
        _build("isic2018_task1_2", manual, tmp_path)


def test_csv_header_not_the_releases(tmp_path):
    manual = _copy(tmp_path, "ISIC_2019_Training_Input", "ISIC_2019_Training_GroundTruth.csv",
                   "ISIC_2019_Training_Metadata.csv")
    meta = manual / "ISIC_2019_Training_Metadata.csv"
    meta.write_text(meta.read_text().replace(",sex", ",gender", 1))
    with pytest.raises(BadInputError, match=r"ISIC_2019_Training_Metadata\.csv: unexpected CSV header "
                                            r"'image,age_approx,anatom_site_general,lesion_id,gender'; the release "
                                            r"uses image,age_approx,anatom_site_general,lesion_id,sex"):
        _build("isic2019", manual, tmp_path)


def test_headerless_csv_with_an_added_header(tmp_path):
    manual = _copy(tmp_path, "ISBI2016_ISIC_Part1_Training_Data", "ISBI2016_ISIC_Part1_Training_GroundTruth",
                   "ISBI2016_ISIC_Part3_Training_GroundTruth.csv")
    table = manual / "ISBI2016_ISIC_Part3_Training_GroundTruth.csv"
    table.write_text("img_id,Label\n" + table.read_text())
    with pytest.raises(BadInputError, match="no header row.*found 'img_id,Label' on line 1"):
        _build("isic2016", manual, tmp_path)


def test_csv_row_without_image(tmp_path):
    manual = _copy(tmp_path, "ISIC2018_Task3_Training_Input", "ISIC2018_Task3_Training_GroundTruth")
    (manual / "ISIC2018_Task3_Training_Input" / "ISIC_0024308.jpg").unlink()
    with pytest.raises(BadInputError, match=r"ISIC2018_Task3_Training_GroundTruth\.csv: line 4: ISIC_0024308 has "
                                            r"no image ISIC2018_Task3_Training_Input/ISIC_0024308"):
        _build("isic2018_task3", manual, tmp_path)


def test_missing_ground_truth_folder(tmp_path):
    manual = _copy(tmp_path, TASK12[0], TASK12[2])
    with pytest.raises(FileNotFoundError, match="folder ISIC2018_Task1_Training_GroundTruth not found"):
        _build("isic2018_task1_2", manual, tmp_path)


def test_skip_bad_records_every_skipped_file_and_exclusions(tmp_path):
    from PIL import Image

    manual = _copy(tmp_path, *TASK12)
    path = manual / TASK12[0] / "ISIC_0000020.jpg"
    path.write_bytes(path.read_bytes()[:200])
    Image.new("L", (10, 10)).save(manual / TASK12[1] / "ISIC_0000022_segmentation.png")
    exclude = tmp_path / "non_dermoscopic.txt"
    exclude.write_text("# ids to leave out\nISIC_0000021.jpg\nISIC_9999999\n")
    with pytest.raises(ValueError, match="all 2 example.* of split 'train' are bad inputs"):
        _build("isic2018_task1_2", manual, tmp_path, skip_bad=True, exclude=str(exclude))
    shutil.copy(DUMMY / TASK12[0] / "ISIC_0000020.jpg", path)
    summary = _build("isic2018_task1_2", manual, tmp_path, skip_bad=True, exclude=str(exclude))
    assert summary["splits"] == {"train": 1}
    assert summary["excluded"] == ["ISIC_0000021.jpg"]
    assert [s["file"].rsplit("/", 1)[-1] for s in summary["skipped"]] == ["ISIC_0000022_segmentation.png"]
    assert "10x10" in summary["skipped"][0]["problem"] and summary["skipped"][0]["split"] == "train"
    assert any("ISIC_9999999" in note for note in summary["notes"])
    report = json.loads(Path(summary["report"]).read_text())
    assert report["skipped"] == summary["skipped"]
    assert register.get_builder("isic2018_task1_2", str(tmp_path / "data")).info.metadata["tfskin"]["skipped"]
