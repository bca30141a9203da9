"""Learning is tested as learning: generated images get closer to real phantoms over a short run."""

import pytest

from tfskin.evaluation.color_stats import colour_distances
from tfskin.training import load_trained_model, resolve_config, train


@pytest.mark.slow
def test_dcgan_colour_distance_to_real_phantoms_falls(tmp_path):
    config = resolve_config(
        "dcgan", "tiny", data={"num_examples": 512},
        train={"steps": 300, "batch_size": 16, "sample_every": 300, "log_every": 50, "checkpoint_every": 300,
               "export_at_end": False},
    )
    result = train(config, tmp_path / "run")
    before, after = result.colour_history[0], result.colour_history[300]
    # the runner's own curve (fixed noise vs the first 256 real images) falls by more than half ...
    assert after["wasserstein"]["mean"] < 0.5 * before["wasserstein"]["mean"], (before, after)
    assert after["js_divergence"]["mean"] < before["js_divergence"]["mean"]
    # ... and fresh samples from the saved checkpoint agree with it
    from tfskin.data.sources import phantom_arrays

    _, model = load_trained_model(tmp_path / "run")
    real = phantom_arrays("test", (32, 32), num_examples=256)["image"]
    fresh = colour_distances(real, model.sample(256, seed=5)["image"], bins=32)
    assert fresh["wasserstein"]["mean"] < 0.5 * before["wasserstein"]["mean"]
