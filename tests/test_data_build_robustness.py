"""Builds that lose nothing and leave nothing behind: a failed --overwrite keeps the previous dataset, a killed
build leaves no processes or unfinished folders, Ctrl-C ends with one line and status 130, rebuilding a
prepared dataset succeeds, unrelated broken archives are never opened, and every bad file is reported at once
before anything is written.

The manual folders mirror the ISIC 2016 release (``ISBI2016_ISIC_Part1_Training_Data/ISIC_<7 digits>.jpg``,
``..._GroundTruth/ISIC_<id>_Segmentation.png`` with a capital S, and the header-less
``ISBI2016_ISIC_Part3_Training_GroundTruth.csv`` of ``ISIC_<id>,benign|malignant`` rows), with drawn images.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import tensorflow_datasets as tfds
from PIL import Image

from tfskin.data.tfds import parallel, register
from tfskin.data.tfds.common import BadInputError

DATA = "ISBI2016_ISIC_Part1_Training_Data"
TRUTH = "ISBI2016_ISIC_Part1_Training_GroundTruth"
TABLE = "ISBI2016_ISIC_Part3_Training_GroundTruth.csv"
ROOT = Path(__file__).resolve().parents[1]


def _lesion(rng, height, width):
    """A drawn dermoscopy-like image (skin tone, darker elliptical lesion, noise) and its 0/255 mask."""
    yy, xx = np.mgrid[:height, :width]
    cy, cx = rng.uniform(0.35, 0.65) * height, rng.uniform(0.35, 0.65) * width
    ry, rx = rng.uniform(0.15, 0.3) * height, rng.uniform(0.15, 0.3) * width
    inside = ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1
    image = np.empty((height, width, 3), np.float32)
    image[:] = (205, 160, 140)
    image[inside] = (110, 70, 50)
    image += rng.normal(0, 12, image.shape)
    return np.clip(image, 0, 255).astype(np.uint8), inside.astype(np.uint8) * 255


def make_isic2016(root: Path, n: int, size=(48, 64), seed=0) -> Path:
    """An ISIC 2016 training release with ``n`` images, as downloaded and extracted."""
    rng = np.random.default_rng(seed)
    (root / DATA).mkdir(parents=True)
    (root / TRUTH).mkdir()
    rows = []
    for i in range(n):
        image_id = f"ISIC_{i:07d}"
        image, mask = _lesion(rng, *size)
        Image.fromarray(image).save(root / DATA / f"{image_id}.jpg", quality=90)
        Image.fromarray(mask).save(root / TRUTH / f"{image_id}_Segmentation.png")
        rows.append(f"{image_id},{'malignant' if i % 4 == 0 else 'benign'}\n")
    (root / TABLE).write_text("".join(rows))
    (root / DATA / "ATTRIBUTION.txt").write_text("release attribution\n")
    return root


def _build(manual, data_dir, **kwargs):
    return register.build("isic2016", manual, data_dir_override=str(data_dir), workers=0, progress=False, **kwargs)


def _count(data_dir) -> int:
    builder = register.get_builder("isic2016", str(data_dir))
    ds = builder.as_dataset(split="train", decoders=tfds.decode.PartialDecoding({"file_name": True}))
    return sum(1 for _ in ds)


def _leftovers(data_dir) -> list:
    return sorted(str(p) for p in Path(data_dir).rglob("incomplete.*"))


def test_failed_overwrite_keeps_the_previous_dataset_loadable(tmp_path):
    manual = make_isic2016(tmp_path / "manual", 5)
    data = tmp_path / "data"
    first = _build(manual, data)
    assert first["splits"] == {"train": 5} and _count(data) == 5
    again = _build(manual, data)  # prepared already: a success that rebuilds nothing
    assert again["already_prepared"] and again["splits"] == {"train": 5}
    (manual / DATA / "ISIC_0000003.jpg").write_bytes(b"not a jpeg")
    with pytest.raises(BadInputError, match="ISIC_0000003.jpg: corrupt, truncated or not an image"):
        _build(manual, data, overwrite=True)
    assert _count(data) == 5 and _leftovers(data) == []
    (manual / DATA / "ISIC_0000003.jpg").unlink()
    (manual / TRUTH / "ISIC_0000003_Segmentation.png").unlink()
    table = manual / TABLE
    table.write_text("".join(line for line in table.read_text().splitlines(True) if "ISIC_0000003" not in line))
    rebuilt = _build(manual, data, overwrite=True)
    assert rebuilt["replaced"] and rebuilt["splits"] == {"train": 4} and _count(data) == 4
    assert _leftovers(data) == []


def test_three_bad_files_are_reported_together_before_anything_is_written(tmp_path, monkeypatch):
    manual = make_isic2016(tmp_path / "manual", 6)
    (manual / DATA / "ISIC_0000001.jpg").write_text("<html>download interrupted</html>")  # not an image
    Image.new("L", (10, 10)).save(manual / TRUTH / "ISIC_0000002_Segmentation.png")  # another size
    jpeg = manual / DATA / "ISIC_0000004.jpg"
    jpeg.write_bytes(jpeg.read_bytes()[:-200])  # cut short: header intact, no end-of-image marker
    prepared = []
    from tfskin.data.tfds import base

    monkeypatch.setattr(base, "prepare", lambda task: prepared.append(task.key))
    with pytest.raises(BadInputError) as caught:
        _build(manual, tmp_path / "data")
    message = str(caught.value)
    assert message.startswith("3 bad inputs") and "--skip-bad" in message
    assert "ISIC_0000001.jpg: corrupt, truncated or not an image" in message
    assert "ISIC_0000002_Segmentation.png: lesion mask is 10x10 but its image ISIC_0000002.jpg is 64x48" in message
    assert "ISIC_0000004.jpg: corrupt, truncated or not an image (the JPEG file ends early" in message
    assert prepared == [] and not list((tmp_path / "data").rglob("*.tfrecord*"))
    assert _leftovers(tmp_path / "data") == []
    monkeypatch.undo()
    summary = _build(manual, tmp_path / "data", skip_bad=True)
    assert summary["splits"] == {"train": 3}
    assert sorted(Path(s["file"]).name for s in summary["skipped"]) == [
        "ISIC_0000001.jpg", "ISIC_0000002_Segmentation.png", "ISIC_0000004.jpg"]


def test_unrelated_broken_zip_is_not_opened_and_a_needed_one_is_named(tmp_path):
    manual = make_isic2016(tmp_path / "manual", 4)
    (manual / "ISIC_2019_Training_Input.zip").write_bytes(b"PK\x03\x04 still downloading")
    (manual / "PH2Dataset.rar").write_bytes(b"Rar!\x1a\x07\x00")
    summary = _build(manual, tmp_path / "data")
    assert summary["splits"] == {"train": 4}
    (manual / "ISBI2016_ISIC_Part1_Test_Data.zip").write_bytes(b"PK\x03\x04 half a zip")
    with pytest.raises(BadInputError, match=r"ISBI2016_ISIC_Part1_Test_Data\.zip: not a readable zip archive.*"
                                            r"one of this dataset's archives"):
        _build(manual, tmp_path / "data2")


def test_messages_for_a_file_a_rar_and_instructions(tmp_path):
    from tfskin.data.tfds import catalog
    from tfskin.data.tfds.common import MissingInputError

    archive = tmp_path / "PH2Dataset.rar"
    archive.write_bytes(b"Rar!\x1a\x07\x00")
    with pytest.raises(MissingInputError, match=r"PH2Dataset\.rar is an archive, not a folder.*--instructions"):
        register.build("ph2", archive, data_dir_override=str(tmp_path / "data"), workers=0, progress=False)
    with pytest.raises(MissingInputError, match=r"found PH2Dataset\.rar but RAR/7z/tar archives are not read: "
                                                r"extract them"):
        register.build("ph2", tmp_path, data_dir_override=str(tmp_path / "data"), workers=0, progress=False)
    text = catalog.instructions("isic2017")
    assert "ISIC-2017_" in text and "ISIC_2019" not in text and "ISBI2016" not in text


def _descendants(pid: int) -> set:
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    parents[int(entry)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    out, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - out
        out |= frontier
    return out


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def _survivors(pids, timeout=15) -> list:
    """The processes of ``pids`` still alive after ``timeout`` s (exiting takes a moment once the parent is gone)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(_alive(pid) for pid in pids):
        time.sleep(0.2)
    return [pid for pid in pids if _alive(pid)]


def _start_build(manual, data, **popen):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    command = [sys.executable, "-m", "tfskin.cli", "data", "build", "isic2016", "--manual-dir", str(manual),
               "--data-dir", str(data), "--workers", "2"]
    # The build gets the default Ctrl-C behaviour whatever this test process has: Python never raises
    # KeyboardInterrupt in a child that inherits an ignored SIGINT.
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL), **popen)


def _wait_for_workers(process, timeout=180) -> set:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the build ended before its workers were seen: {process.communicate()}")
        children = _descendants(process.pid)
        if len(children) >= 2:
            time.sleep(1.0)  # let the workers take tasks
            return _descendants(process.pid)
        time.sleep(0.1)
    pytest.fail("no worker processes appeared")


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_killed_build_leaves_no_processes_and_its_rerun_no_unfinished_folder(tmp_path):
    manual = make_isic2016(tmp_path / "manual", 64, size=(240, 320))
    data = tmp_path / "data"
    process = _start_build(manual, data)
    children = _wait_for_workers(process)
    assert _leftovers(data), "the build should be writing its staging folder"
    process.kill()
    process.communicate()
    assert _survivors(children) == [], "worker / tracker processes outlived the killed build"
    summary = register.build("isic2016", manual, data_dir_override=str(data), workers=0, progress=False,
                             superpixels="defer")
    assert summary["splits"] == {"train": 64} and _leftovers(data) == []
    assert any("removed 1 unfinished folder" in note for note in summary["notes"])


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("signum,status,word", [(signal.SIGINT, 130, "interrupted"),
                                                (signal.SIGTERM, 143, "terminated")])
def test_ctrl_c_or_sigterm_during_a_build_ends_with_one_line(tmp_path, signum, status, word):
    manual = make_isic2016(tmp_path / "manual", 64, size=(240, 320))
    data = tmp_path / "data"
    process = _start_build(manual, data, start_new_session=True)
    children = _wait_for_workers(process)
    if signum == signal.SIGINT:
        os.killpg(process.pid, signum)  # what the terminal sends on Ctrl-C: the whole process group
    else:
        os.kill(process.pid, signum)  # what a job scheduler sends: the build process only
    _, err = process.communicate(timeout=60)
    # Leaving out progress bars and TensorFlow's C++ start-up notices (written before Python logging exists):
    lines = [line for chunk in err.split("\n") for line in chunk.split("\r")
             if line.strip() and "%|" not in line
             and not line.startswith(("WARNING: All log messages before absl", "I0000 ", "W0000 "))]
    assert process.returncode == status, err
    assert lines == [f"tfskin data build: {word}; nothing was written"], err
    assert _survivors(children) == []
    assert _leftovers(data) == [] and not list(data.rglob("*.tfrecord*"))


@pytest.mark.skipif(not hasattr(signal, "pthread_sigmask"), reason="no signal masks (Windows)")
def test_ctrl_c_while_a_worker_interpreter_starts_does_not_kill_it(tmp_path):
    """Ctrl-C reaches the whole process group, including a worker whose interpreter is still starting and has
    not yet ignored SIGINT (a CI run lost a worker that way: "Fatal Python error: init_import_site"). Here each
    worker sends itself SIGINT from ``sitecustomize``, the earliest code Python runs; the map still finishes."""
    (tmp_path / "sitecustomize.py").write_text(
        "import os, signal, sys\n"
        "if '--multiprocessing-fork' in sys.argv:\n"
        "    os.kill(os.getpid(), signal.SIGINT)\n")
    script = ("from tfskin.data.tfds.parallel import ordered_map\n"
              "print([r for _, r in ordered_map(abs, range(-40, 0), workers=2, num_tasks=40)])\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), str(ROOT)]))
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(list(range(40, 0, -1)))
    assert "Fatal Python error" not in done.stderr and "KeyboardInterrupt" not in done.stderr


def test_a_stop_whose_exception_python_dropped_still_ends_the_map():
    """The Ctrl-C handler both raises and records; if the raise is lost (an exception raised while Python runs a
    finalizer is printed and dropped), the map raises the recorded stop at its next item."""
    seen = []

    def work(task):
        if task == 2:
            parallel.request_stop(KeyboardInterrupt)  # what the handler records; its raise is lost here
        return task

    try:
        with pytest.raises(KeyboardInterrupt):
            for _task, result in parallel.ordered_map(work, range(10), workers=0):
                seen.append(result)
    finally:
        parallel.clear_stop_request()
    assert seen == [0, 1]
    assert [r for _, r in parallel.ordered_map(work, range(2), workers=0)] == [0, 1]  # cleared: runs again


def test_a_stop_recorded_after_the_last_image_writes_nothing(tmp_path, monkeypatch):
    """A stop recorded after every image was written (here: while the build report is serialised) still ends
    the build before the dataset is moved into place: no dataset, no staging folder, and the next build works."""
    from tfskin.data.tfds import building

    manual = make_isic2016(tmp_path / "manual", 4)
    original_dumps = building.json.dumps

    def dumps_then_stop(*args, **kwargs):
        parallel.request_stop(KeyboardInterrupt)
        return original_dumps(*args, **kwargs)

    monkeypatch.setattr(building.json, "dumps", dumps_then_stop)
    try:
        with pytest.raises(KeyboardInterrupt):
            _build(manual, tmp_path / "data")
    finally:
        parallel.clear_stop_request()
        monkeypatch.undo()
    assert _leftovers(tmp_path / "data") == [] and not list((tmp_path / "data").rglob("*.tfrecord*"))
    assert _build(manual, tmp_path / "data")["splits"] == {"train": 4}


@pytest.mark.slow
def test_deferred_superpixels_are_computed_when_loaded_and_cached(tmp_path, monkeypatch):
    from tfskin.data import superpixels
    from tfskin.data.sources import load_examples

    manual = make_isic2016(tmp_path / "manual", 3, size=(40, 56))
    summary = _build(manual, tmp_path / "data", superpixels="defer")
    assert summary["superpixels"] == "deferred"
    monkeypatch.setenv(register.DATA_DIR_ENV, str(tmp_path / "data"))

    def load():
        ds = load_examples("isic2016", "train", (32, 32), features=("superpixels", "boundary", "valid"))
        return list(ds.as_numpy_iterator())

    first = load()
    assert len(first) == 3
    for ex in first:
        inside = ex["valid"][..., 0] > 0
        assert len(np.unique(ex["superpixels"][inside])) > 5 and ex["boundary"].any()
    cached = sorted((Path(summary["data_dir"]) / "superpixel_cache" / "32x32").glob("*.npy"))
    assert len(cached) == 3
    computed = []
    monkeypatch.setattr(superpixels, "slic_superpixels", lambda *a, **k: computed.append(1))
    second = load()  # read back from the cache: nothing is computed again
    assert computed == []
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a["superpixels"], b["superpixels"])
