"""Sample diversity (``tfskin.diversity``): right on hand-made sets, low for a collapsed generator, about 1 (as a
ratio) for real images, and in the end-of-training baselines beside the real sets' figures."""

import numpy as np
import pytest
from array_inputs import ArrayInputs

from tfskin.data.sources import load_examples
from tfskin.diversity import diversity_features, diversity_ratio, sample_diversity
from tfskin.inputs.baselines import quality_baselines, summary_lines, write_baselines


def _phantoms(count, seed=0):
    ds = load_examples("phantoms", "train", (32, 32), seed=seed, num_examples=count, features=("image",))
    return next(iter(ds.batch(count).as_numpy_iterator()))["image"]


def test_features_are_block_means_of_rgb_in_unit_range():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (3, 32, 48, 4)).astype(np.uint8)  # a 4th (mask) channel is left out
    features = diversity_features(images).reshape(3, 16, 16, 3)
    expected = images[..., :3].reshape(3, 16, 2, 16, 3, 3).mean((2, 4)) / 255.0
    np.testing.assert_allclose(features, expected, rtol=1e-12)
    assert diversity_features(images[:, :8, :8]).shape == (3, 8 * 8 * 3)  # smaller than 16: the image's own size


def test_figures_on_a_known_set():
    # three flat images at grey levels 0, 0.2, 1: feature distances 0.2, 0.8 and 1 times sqrt(16 * 16 * 3)
    images = np.stack([np.full((32, 32, 3), v, np.uint8) for v in (0, 51, 255)])
    unit = np.sqrt(16 * 16 * 3)
    d = sample_diversity(images)
    assert d["count"] == 3
    assert d["mean_pairwise"] == pytest.approx((0.2 + 0.8 + 1.0) / 3 * unit, rel=1e-9)
    assert d["mean_nearest"] == pytest.approx((0.2 + 0.2 + 0.8) / 3 * unit, rel=1e-9)


def test_a_collapsed_generator_scores_far_below_real_images_and_real_images_about_one():
    real = _phantoms(96)
    reference, held_out = real[:32], real[32:64]
    rng = np.random.default_rng(1)
    # "collapsed": one real lesion for every input, with a little pixel noise and brightness jitter
    one = real[64].astype(np.float32)
    collapsed = np.clip(one[None] * rng.uniform(0.9, 1.1, (32, 1, 1, 1)) + rng.normal(0, 4, (32, *one.shape)),
                        0, 255).astype(np.uint8)
    real_d = sample_diversity(reference)
    held = diversity_ratio(sample_diversity(held_out), real_d)
    low = diversity_ratio(sample_diversity(collapsed), real_d)
    for name in ("mean_pairwise", "mean_nearest"):
        assert 0.8 < held[name] < 1.25, (name, held)
        assert low[name] < 0.5, (name, low)
    with pytest.raises(ValueError, match="same size"):
        diversity_ratio(sample_diversity(real[:8]), real_d)
    with pytest.raises(ValueError, match="at least 2"):
        sample_diversity(real[:1])


def test_the_summary_shows_the_outputs_diversity_beside_real_images(tmp_path):
    real = _phantoms(80)
    inputs = ArrayInputs(real)
    reference = inputs.reference_images(48)
    baselines = quality_baselines(inputs, {}, reference, 16)
    assert baselines.diversity["real_reference"] == sample_diversity(reference[:16])
    assert baselines.diversity["real_held_out"] == sample_diversity(real[48:64])
    assert baselines.scalars()["diversity_mean_pairwise_baseline_real_reference"] == \
        baselines.diversity["real_reference"]["mean_pairwise"]
    collapsed = np.repeat(real[70:71], 16, axis=0).astype(np.float32) / 255.0
    scores = baselines.output_scores({"image": collapsed})
    assert scores["diversity_mean_pairwise"] == 0.0 and scores["diversity_ratio_mean_nearest"] == 0.0
    report = write_baselines(tmp_path / "quality_baselines.json", baselines, {100: scores})
    lines = "\n".join(summary_lines(report))
    assert "sample diversity" in lines and "outputs (step 100) 0.00 | 0.00" in lines
    assert "outputs / real: 0.00 | 0.00" in lines
    real_line = f"{baselines.diversity['real_reference']['mean_pairwise']:.2f}"
    assert real_line in lines
