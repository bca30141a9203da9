"""``tfskin data build | inspect | preview`` on dummy real data and on phantoms; datasets/ is not a package."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from tfskin.cli import main

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _restore_data_dir_env(monkeypatch, tmp_path):
    """``--data-dir`` sets $TFSKIN_DATA_DIR for the CLI process; undo that after each test."""
    from tfskin.data.tfds.register import DATA_DIR_ENV

    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "no-data"))


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def ph2_data_dir(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("cli_data")
    code = main(["data", "build", "ph2", "--manual-dir", str(ROOT / "datasets" / "ph2" / "dummy_data"),
                 "--data-dir", str(data_dir), "--workers", "0"])
    assert code == 0
    return data_dir


def test_build_inspect_preview_on_dummy_data(ph2_data_dir, tmp_path, capsys):
    code, out, _ = _run(capsys, "data", "inspect", "ph2", "--data-dir", str(ph2_data_dir), "--json")
    report = json.loads(out)
    assert code == 0 and report["splits"]["train"]["examples"] == 3
    assert sum(report["splits"]["train"]["classes"].values()) == 3
    assert report["splits"]["train"]["sizes"] == {"38x28": 3}
    code, out, _ = _run(capsys, "data", "preview", "ph2", "--data-dir", str(ph2_data_dir), "--out",
                        str(tmp_path / "ph2.png"), "--n", "3", "--image-size", "48x64", "--columns", "1")
    assert code == 0 and "wrote" in out
    width, height = Image.open(tmp_path / "ph2.png").size
    assert width > 3 * 64 and height > 3 * 48  # three panels per tile (image, label map, boundary), three rows
    code, out, err = _run(capsys, "data", "build", "ph2", "--manual-dir",
                          str(ROOT / "datasets" / "ph2" / "dummy_data"), "--data-dir", str(ph2_data_dir))
    assert code == 0 and err == "" and len(out.strip().splitlines()) == 1  # up to date: a success, one line
    assert "already prepared" in out and "nothing to do" in out and "--overwrite" in out


def test_inspect_and_preview_phantoms(tmp_path, capsys):
    code, out, _ = _run(capsys, "data", "inspect", "phantoms", "--sample", "8", "--image-size", "32")
    assert code == 0 and "train: 2000 examples" in out and "empty attribute masks (of 8 drawn)" in out
    code, _, _ = _run(capsys, "data", "preview", "phantoms", "--out", str(tmp_path / "plain.png"), "--n", "4")
    assert code == 0 and (tmp_path / "plain.png").exists()
    code, _, _ = _run(capsys, "data", "preview", "phantoms", "--out", str(tmp_path / "maps.png"), "--n", "2",
                      "--image-size", "48", "--overlays", "attributes,label_map")
    assert code == 0 and Image.open(tmp_path / "maps.png").size[0] > 3 * 48


def test_user_errors_are_one_line(tmp_path, capsys):
    code, _, err = _run(capsys, "data", "build", "isic2099", "--manual-dir", str(tmp_path))
    assert code == 2 and "isic2018_task1_2" in err and len(err.strip().splitlines()) == 1
    code, _, err = _run(capsys, "data", "build", "isic2019", "--manual-dir", str(tmp_path / "absent"))
    assert code == 2 and "does not exist" in err and "tfskin data build isic2019 --instructions" in err
    (tmp_path / "empty").mkdir()
    code, _, err = _run(capsys, "data", "build", "isic2019", "--manual-dir", str(tmp_path / "empty"))
    assert code == 2 and "is empty" in err and "--instructions" in err
    (tmp_path / "ISIC_2019_Training_Input.zip").write_bytes(b"PK")
    code, _, err = _run(capsys, "data", "build", "isic2019", "--manual-dir",
                        str(tmp_path / "ISIC_2019_Training_Input.zip"))
    assert code == 2 and "is an archive, not a folder" in err and len(err.strip().splitlines()) == 1
    code, out, _ = _run(capsys, "data", "build", "isic2019", "--instructions")
    assert code == 0 and "ISIC_2019_Training_Metadata.csv" in out
    assert "ISIC_2020" not in out and "ISBI2016" not in out  # only that dataset's files
    code, _, err = _run(capsys, "data", "inspect", "isic2016", "--data-dir", str(tmp_path))
    assert code == 2 and "tfskin data build isic2016" in err


def test_datasets_folder_cannot_shadow_hugging_face_datasets(tmp_path):
    assert not list((ROOT / "datasets").rglob("__init__.py"))
    fake = tmp_path / "site" / "datasets"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("NAME = 'installed datasets'\n")
    # The repository root comes first on sys.path (as when running from it): the regular package still wins.
    code = (f"import sys; sys.path[:0] = [{str(ROOT)!r}, {str(tmp_path / 'site')!r}]; "
            "import datasets; print(datasets.NAME)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert out.strip() == "installed datasets"


def test_isic2020_duplicate_drop_is_reported_by_build_and_inspect(tmp_path, capsys):
    manual = ROOT / "datasets" / "isic_challenge" / "dummy_data"
    code, out, _ = _run(capsys, "data", "build", "isic2020", "--manual-dir", str(manual), "--data-dir", str(tmp_path),
                        "--workers", "0")
    assert code == 0 and "note: dropped 1 duplicate image(s)" in out and "ISIC_2020_Training_Duplicates.csv" in out
    code, out, _ = _run(capsys, "data", "inspect", "isic2020", "--data-dir", str(tmp_path))
    assert code == 0 and "duplicates dropped at build: 1" in out and "dropped 1 duplicate image(s)" in out


def test_preview_errors_are_one_line(tmp_path, capsys):
    code, _, err = _run(capsys, "data", "preview", "phantoms", "--out", str(tmp_path / "a.png"), "--columns", "0")
    assert code == 2 and "must be >= 1" in err and "--columns 0" in err and len(err.strip().splitlines()) == 1
    code, _, err = _run(capsys, "data", "preview", "isic2099", "--out", str(tmp_path / "a.png"))
    assert code == 2 and "unknown dataset 'isic2099'" in err and "isic2018_task1_2" in err
    blocker = tmp_path / "file"
    blocker.write_text("a file where the output folder should be")
    code, _, err = _run(capsys, "data", "preview", "phantoms", "--out", str(blocker / "grid.png"), "--n", "2")
    assert code == 2 and f"cannot write {blocker / 'grid.png'}" in err and len(err.strip().splitlines()) == 1
