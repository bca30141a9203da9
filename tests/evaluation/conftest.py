"""Shared fixtures: tiny real DCGAN runs (trained once per session, a few seconds each)."""

import io

import pytest


def _train(tmp_path_factory, preset, name, classes=None):
    from tfskin.training import resolve_config, train

    data = {"classes": classes} if classes else None
    cfg = resolve_config("dcgan", preset, data=data, train={"steps": 2, "export_at_end": True})
    return train(cfg, tmp_path_factory.mktemp(name) / "run", stream=io.StringIO())


@pytest.fixture(scope="session")
def dcgan_mel_run(tmp_path_factory):
    """32x32 RGB DCGAN trained (2 steps) on phantom melanomas; result.export_path is its SavedModel."""
    return _train(tmp_path_factory, "tiny", "dcgan_mel", classes=("MEL",))


@pytest.fixture(scope="session")
def dcgan_mask_run(tmp_path_factory):
    """32x48 RGB+mask DCGAN (2 steps) on all phantom classes."""
    return _train(tmp_path_factory, "tiny_mask", "dcgan_mask")
