"""Learning is tested as learning: both progressive GANs move their samples' colours towards real phantoms
over a short run that crosses every growth phase."""

import pytest

from tfskin.training import resolve_config, train


def _colour_fall(result, steps):
    w0 = result.colour_history[0]["wasserstein"]["mean"]
    w1 = result.colour_history[steps]["wasserstein"]["mean"]
    print(f"colour Wasserstein-1 (0-255): step 0 {w0:.1f} -> step {steps} {w1:.1f}")
    return w0, w1


@pytest.mark.slow
def test_progan_learns_through_every_stage(tmp_path):
    # 50 steps at 4x4, 100 at 8x8 (fade-in + stable), then 16x16: 150 steps there. WGAN-GP's colour distance
    # swings between sample points (step 250: 55.7, 300: 16.9, 350: 24.1 from 77.2), so the run does not end
    # right after the last fade-in.
    steps = 300
    config = resolve_config(
        "progan", "tiny", data={"num_examples": 512},
        model_overrides={"transition_images": 800, "stabilise_images": 800},
        train={"steps": steps, "batch_size": 16, "sample_every": steps, "log_every": 50,
               "checkpoint_every": steps, "export_at_end": False},
    )
    result = train(config, tmp_path / "run")
    w0, w1 = _colour_fall(result, steps)
    assert w1 < 0.7 * w0, (w0, w1)


@pytest.mark.slow
def test_progan_frozen_learns_through_both_phases(tmp_path):
    # 225 steps per phase (3600 images at batch 16). Entering phase 2 throws the colour distance back up (step
    # 250: 45-49 from 53); by step 450 it is back near phase 1's best. Measured over seeds 0-2 (colour W1 at
    # steps 350/400/450): 22.7/19.0/19.7, 22.1/19.0/18.8, 19.7/16.7/16.5. The mean of the last three points is
    # asserted, so one unlucky sample point cannot decide the test; the whole curve is printed on failure.
    steps = 450
    config = resolve_config(
        "progan_frozen", "tiny", data={"num_examples": 512}, model_overrides={"images_per_stage": 3600},
        train={"steps": steps, "batch_size": 16, "sample_every": 50, "log_every": 50,
               "checkpoint_every": steps, "export_at_end": False},
    )
    result = train(config, tmp_path / "run")
    curve = {step: round(d["wasserstein"]["mean"], 1) for step, d in sorted(result.colour_history.items())}
    print(f"colour Wasserstein-1 (0-255) by step: {curve}")
    late = [curve[s] for s in (steps - 100, steps - 50, steps)]
    assert sum(late) / 3 < 0.7 * curve[0], curve
