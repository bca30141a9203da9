"""Model cards in every export; the serving CLI (parser built without TensorFlow, one-line errors)."""

import json
import os
import subprocess
import sys

import numpy as np

from tfskin.cli import main
from tfskin.serving.card import read_card
from tfskin.serving.export import export_model


def test_training_export_card_has_run_information(dcgan_mel_run):
    card = read_card(dcgan_mel_run.export_path)
    assert card["model"] == "dcgan" and card["preset"] == "tiny" and card["steps"] == 2
    assert card["data"]["classes"] == ["MEL"] and card["resolved_config"]["model"] == "dcgan"
    assert card["tensorflow_version"] and card["tfskin_version"] and card["model_config"]["latent_dim"] == 16
    assert "wasserstein" in card["quality"]["colour_distance"]
    assert card["signatures"]["generate_png"]["outputs"] == {"image_png_bytes": {"dtype": "DT_STRING", "shape": [-1]}}
    assert set(card["signatures"]) == {"generate", "generate_png", "serving_default"}


def test_export_without_run_info_still_has_a_card_and_caller_info_wins(tmp_path):
    from tfskin.training import build_model, resolve_config

    model = build_model(resolve_config("dcgan", "tiny"))
    path = export_model(model, tmp_path / "models" / "dcgan")
    card = read_card(path)
    assert card["model_class"] == "DCGAN" and card["model_config"]["latent_dim"] == 16 and "preset" not in card
    assert card["signatures"]["generate"]["inputs"]["noise"] == {"dtype": "DT_FLOAT", "shape": [-1, 16]}
    path = export_model(model, tmp_path / "models" / "dcgan", card={"preset": "tiny", "steps": 7,
                                                                     "quality": {"fid": 12.5}})
    card = read_card(path)
    assert path.name == "2" and card["preset"] == "tiny" and card["steps"] == 7 and card["quality"] == {"fid": 12.5}


def test_png_rounding_matches_imaging(tmp_path):
    """One uint8 rounding: the served PNG equals tfskin.imaging.to_uint8 of the float image."""
    import io

    import tensorflow as tf
    from PIL import Image

    from tfskin.imaging import to_uint8
    from tfskin.serving.signatures import _png_batch

    values = np.linspace(-0.1, 1.1, 4 * 8 * 8 * 3, dtype="float32").reshape(4, 8, 8, 3)
    values[0, 0, 0] = [0.5 / 255, 1.5 / 255, 254.5 / 255]  # exact half steps
    pngs = _png_batch(tf.constant(values)).numpy()
    decoded = np.stack([np.asarray(Image.open(io.BytesIO(p))) for p in pngs])
    np.testing.assert_array_equal(decoded, to_uint8(values))


def test_cli_module_does_not_import_tensorflow():
    code = ("import sys, argparse; import tfskin.serving.cli as c; p = argparse.ArgumentParser(); "
            "c.register(p.add_subparsers()); print('tensorflow' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"))
    assert out.returncode == 0 and out.stdout.strip() == "False", out.stderr[-2000:]


def _never_serve(monkeypatch):
    """serve errors are found before serving: a regression fails here instead of serving forever."""
    import tfskin.serving.server as server_module

    def started(*args, **kwargs):
        raise AssertionError("tfskin serve started instead of failing")

    monkeypatch.setattr(server_module, "serve_forever", started)


def test_serve_and_serving_config_errors_are_one_line(tmp_path, capsys, monkeypatch):
    _never_serve(monkeypatch)
    (tmp_path / "a_file").write_text("x")
    assert main(["serve", "--model-base", str(tmp_path / "a_file"), "--port", "0", "--grpc-port", "-1"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "is not a folder" in err
    assert main(["serving-config", "--model-base", str(tmp_path), "--out", str(tmp_path / "m.config")]) == 2
    assert "no exported models" in capsys.readouterr().err


def test_serve_with_a_port_in_use_is_one_line_and_exit_2(tmp_path, capfd, monkeypatch):
    """capfd: gRPC's C++ core would write its own line to file descriptor 2."""
    import socket

    _never_serve(monkeypatch)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        for flags, name, flag in ((["--port", str(port), "--grpc-port", "0"], "REST", "--port"),
                                  (["--port", "0", "--grpc-port", str(port)], "gRPC", "--grpc-port")):
            assert main(["serve", "--model-base", str(tmp_path), *flags]) == 2
            err = capfd.readouterr().err.strip()
            assert err.splitlines() == [f"tfskin serve: error: {name} port 127.0.0.1:{port} is in use (choose "
                                        f"another with {flag})"], err


def test_serving_config_command_writes_a_parsable_file(dcgan_mel_run, tmp_path, capsys):
    import shutil

    from tfskin.serving.models_config import labels_from_config

    shutil.copytree(dcgan_mel_run.export_path, tmp_path / "models" / "dcgan" / "3")
    assert main(["serving-config", "--model-base", str(tmp_path / "models"), "--out", str(tmp_path / "m.config")]) == 0
    assert labels_from_config(tmp_path / "m.config") == {"dcgan": {"stable": 3}}
    assert json.loads(json.dumps(read_card(tmp_path / "models" / "dcgan" / "3")))["model"] == "dcgan"
