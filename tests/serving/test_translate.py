"""`tfskin translate`: CycleGAN at each image's own size (run, SavedModel and a served endpoint agree pixel
for pixel), pix2pixHD from label maps, a before/after grid, one-line errors."""


import numpy as np
import pytest
from PIL import Image

from tfskin.cli import main


@pytest.fixture(scope="module")
def cyclegan_run(tiny_runs):
    return tiny_runs.get("cyclegan", "tiny", steps=1)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("translate_in")
    rng = np.random.default_rng(0)
    for name, shape in (("a.png", (16, 16, 3)), ("odd.png", (21, 30, 3)), ("photo.jpg", (40, 24, 3))):
        Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8)).save(folder / name)
    return folder


def _read(path):
    return np.asarray(Image.open(path))


@pytest.mark.slow
def test_cyclegan_translates_at_each_images_own_size(cyclegan_run, inputs, tmp_path, capsys):
    export = cyclegan_run.export_path.parent
    assert main(["translate", "--savedmodel", str(export), "--input", str(inputs), "--out", str(tmp_path / "sm")]) == 0
    assert main(["translate", "--run", str(cyclegan_run.run_dir), "--input", str(inputs), "--out",
                 str(tmp_path / "run"), "--direction", "a2b"]) == 0
    for name, shape in (("a.png", (16, 16, 3)), ("odd.png", (21, 30, 3)), ("photo.png", (40, 24, 3))):
        out = _read(tmp_path / "sm" / name)
        assert out.shape == shape
        np.testing.assert_array_equal(out, _read(tmp_path / "run" / name))
    grid = _read(tmp_path / "sm.grid.png")
    assert grid.shape[0] > 128 and grid.shape[1] > 3 * 256  # three before|after pairs of 128-px thumbnails

    assert main(["translate", "--savedmodel", str(export), "--input", str(inputs), "--out", str(tmp_path / "b2a"),
                 "--direction", "b2a"]) == 0
    assert not np.array_equal(_read(tmp_path / "b2a" / "a.png"), _read(tmp_path / "sm" / "a.png"))


@pytest.mark.slow
def test_served_translation_equals_the_savedmodel(cyclegan_run, inputs, tmp_path):
    from tfskin.serving.server import Server

    server = Server(cyclegan_run.export_path.parent.parent, port=0, grpc_port=None, poll_seconds=0).start()
    try:
        url = f"http://127.0.0.1:{server.port}/v1/models/cyclegan"
        assert main(["translate", "--serving", url, "--input", str(inputs), "--out", str(tmp_path / "srv")]) == 0
    finally:
        server.stop()
    assert main(["translate", "--savedmodel", str(cyclegan_run.export_path), "--input", str(inputs), "--out",
                 str(tmp_path / "sm")]) == 0
    for name in ("a.png", "odd.png", "photo.png"):
        # REST uses the _png signature (PNG decoded inside the graph): a different graph than the float one, so
        # a value on a rounding boundary may land one step away (seen: 1 pixel channel in 2,880)
        served, local = _read(tmp_path / "srv" / name).astype(int), _read(tmp_path / "sm" / name).astype(int)
        assert served.shape == local.shape
        assert np.abs(served - local).max() <= 1 and np.mean(served != local) < 0.002


@pytest.mark.slow
def test_pix2pixhd_synthesizes_from_label_maps(tiny_runs, tmp_path, capsys):
    run = tiny_runs.get("pix2pixhd", "tiny", steps=1)
    h, w = run.export_path and _read_export_size(run.export_path)
    maps, instances = tmp_path / "maps", tmp_path / "instances"
    maps.mkdir()
    instances.mkdir()
    rng = np.random.default_rng(1)
    for i in range(3):
        Image.fromarray(rng.integers(0, 8, (h, w), dtype=np.uint8)).save(maps / f"m{i}.png")
        Image.fromarray(rng.integers(0, 5, (h, w), dtype=np.uint8)).save(instances / f"m{i}.png")
    argv = ["translate", "--savedmodel", str(run.export_path), "--label-maps", str(maps), "--out", str(tmp_path / "o")]
    if "instance_map" in _signature_inputs(run.export_path):
        argv += ["--instance-maps", str(instances)]
    assert main(argv) == 0
    assert _read(tmp_path / "o" / "m0.png").shape == (h, w, 3) and (tmp_path / "o.grid.png").is_file()
    Image.fromarray(np.full((h, w), 9, np.uint8)).save(maps / "bad.png")
    assert main(argv) == 2
    assert "class ids 0..7" in capsys.readouterr().err


def test_translations_folder_reads_back_as_a_png_source(tmp_path, capsys):
    """The grid goes beside --out, so the folder holds only the translations: `png:DIR` samples it."""
    from tfskin.classes import CLASS_NAMES
    from tfskin.serving.translate import Caller, translate_folder
    from tfskin.sources import make_source

    folder = tmp_path / "in"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(5):
        Image.fromarray(rng.integers(0, 256, (12, 12, 3), dtype=np.uint8)).save(folder / f"nv{i}.png")
    identity = Caller({"translate_a_to_b": lambda inputs: {"image": inputs["image"]}}, "identity")
    translate_folder(identity, folder, tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "out", "out.grid.png"]
    batch = make_source(f"png:{tmp_path / 'out'},label=MEL").sample(5, seed=0)
    assert batch["image"].shape == (5, 12, 12, 3) and set(batch["label"].tolist()) == {CLASS_NAMES.index("MEL")}


def _signature_inputs(path):
    from tfskin.serving.metadata import read_signature_defs

    return set(read_signature_defs(path)["synthesize"].inputs)


def _read_export_size(path):
    from tfskin.serving.metadata import read_signature_defs

    dims = read_signature_defs(path)["synthesize"].inputs["label_map"].tensor_shape.dim
    return dims[1].size, dims[2].size


def test_translate_errors_are_one_line(tmp_path, capsys):
    out = str(tmp_path / "o")
    assert main(["translate", "--savedmodel", str(tmp_path), "--input", str(tmp_path), "--out", out]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "no SavedModel in" in err
    assert main(["translate", "--serving", "http://127.0.0.1:9/v1/models/x", "--input", str(tmp_path),
                 "--out", str(tmp_path / "o")]) == 2  # an existing folder: the unreachable endpoint is the error
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "http://127.0.0.1:9/v1/models/x" in err
