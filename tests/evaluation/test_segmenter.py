"""Segmenter: colour channels, losses (Eq. 1-4, 6), CDNN size, dual threshold, learning on phantoms."""

import numpy as np
import pytest
from skimage import color

from tfskin.config import ConfigError
from tfskin.evaluation import seg_losses, segmenter
from tfskin.evaluation.real_data import load_arrays


def test_colour_channels_match_skimage():
    rng = np.random.default_rng(0)
    rgb = rng.random((2, 8, 8, 3)).astype(np.float32)
    rgb[0, 0, 0] = [0.5, 0.5, 0.5]  # grey: hue 0, saturation 0
    rgb[0, 0, 1] = 0.0
    hsv = np.asarray(segmenter.rgb_to_hsv(rgb))
    np.testing.assert_allclose(hsv, color.rgb2hsv(rgb), atol=1e-5)
    lab = np.asarray(segmenter.rgb_to_lab(rgb))
    np.testing.assert_allclose(lab, color.rgb2lab(rgb.astype(np.float64)), atol=2e-3)
    for mode, n in segmenter.CHANNEL_MODES.items():
        out = np.asarray(segmenter.ColorChannels(mode)(rgb))
        assert out.shape == (2, 8, 8, n)
        np.testing.assert_allclose(out[..., :3], rgb, atol=1e-6)


def _np_losses(t, p):
    t, p = t.reshape(len(t), -1), p.reshape(len(p), -1)
    tp = (t * p).sum(1)
    return {
        "tanimoto": np.mean(1 - tp / ((t * t).sum(1) + (p * p).sum(1) - tp)),
        "jaccard": np.mean(1 - np.minimum(t, p).sum(1) / np.maximum(t, p).sum(1)),  # Eq. 2 literally
        "mse": np.mean((t - p) ** 2),
        "bce": np.mean(-(t * np.log(p) + (1 - t) * np.log(1 - p))),
    }


def test_losses_match_equations():
    rng = np.random.default_rng(1)
    t = (rng.random((3, 6, 5, 1)) < 0.4).astype(np.float32)
    p = rng.uniform(0.05, 0.95, (3, 6, 5, 1)).astype(np.float32)
    expected = _np_losses(t.astype(np.float64), p.astype(np.float64))
    for name, value in expected.items():
        assert float(seg_losses.get_loss(name)(t, p)) == pytest.approx(value, rel=1e-5)
    assert float(seg_losses.jaccard_minmax_loss(t, p)) == pytest.approx(expected["jaccard"], rel=1e-5)
    # Tanimoto and Jaccard agree for binary predictions and differ for soft ones (the point Pollastri et al. 2020 make)
    pb = (p > 0.5).astype(np.float32)
    assert float(seg_losses.tanimoto_loss(t, pb)) == pytest.approx(float(seg_losses.jaccard_loss(t, pb)), rel=1e-5)
    assert abs(expected["tanimoto"] - expected["jaccard"]) > 0.01
    with pytest.raises(ConfigError):
        seg_losses.get_loss("dice")


def test_cdnn_has_28_layers_and_about_5m_parameters():
    model = segmenter.build_cdnn(segmenter.SegmenterConfig.variant("cdnn0"))
    kinds = ("Conv2D", "Conv2DTranspose", "MaxPooling2D")
    conv_like = [layer for layer in model.layers if type(layer).__name__ in kinds]
    assert len(conv_like) + 1 == 28  # + the input layer
    assert 4.5e6 < model.count_params() < 5.5e6
    assert model.output_shape == (None, 192, 256, 1)
    unet = segmenter.build_unet(segmenter.SegmenterConfig(arch="unet", channels="rgb", image_size=(32, 48),
                                                          width=0.125, loss="bce"))
    assert unet.output_shape == (None, 32, 48, 1)
    with pytest.raises(ConfigError, match="divisible by 16"):
        segmenter.SegmenterConfig(image_size=(100, 100))


def test_dual_threshold():
    p = np.zeros((20, 20))
    p[2:12, 2:12] = 0.5   # lesion body above the low threshold
    p[5:9, 5:9] = 0.9     # its confident core
    p[15:19, 15:19] = 0.6  # a separate low-confidence blob: dropped
    p[0, 19] = 0.95        # a tiny confident speck elsewhere: not the biggest object
    mask = segmenter.dual_threshold(p)
    expected = np.zeros((20, 20), bool)
    expected[2:12, 2:12] = True
    np.testing.assert_array_equal(mask, expected)
    q = np.zeros((10, 10))
    q[1:4, 1:4] = 0.5
    q[5:10, 5:10] = 0.6
    np.testing.assert_array_equal(segmenter.dual_threshold(q), q == 0.6)  # no core: biggest low object
    assert not segmenter.dual_threshold(np.zeros((5, 5))).any()


@pytest.fixture(scope="module")
def phantom_seg():
    train = load_arrays("phantoms", "train", (32, 32), num_examples=200, features=("image", "mask"))
    test = load_arrays("phantoms", "test", (32, 32), num_examples=64, features=("image", "mask"))
    return train, test


@pytest.mark.slow
def test_cdnn_learns_to_segment_phantoms(phantom_seg, tmp_path):
    train, test = phantom_seg
    config = segmenter.SegmenterConfig(channels="rgb_hsv_l", image_size=(32, 32), width=0.25,
                                       learning_rate=2e-3, batch_size=16)
    untrained = segmenter.evaluate_segmenter(segmenter.build_segmenter(config), test["image"], test["mask"])
    model, history = segmenter.train_segmenter(config, train["image"], train["mask"], real_steps=150)
    report = segmenter.evaluate_segmenter(model, test["image"], test["mask"], out_dir=tmp_path)
    everything = np.mean((test["mask"] > 0).mean(axis=(1, 2, 3)))  # Jaccard of predicting all-lesion
    print(f"CDNN phantoms Jaccard {report['jaccard']:.3f} (untrained {untrained['jaccard']:.3f}, "
          f"all-lesion {everything:.3f})")
    # measured: ~0.6 after 150 steps (4 poolings leave a 2x2 bottleneck at 32x32); all-lesion ~0.19
    assert report["jaccard"] > 0.5 and report["jaccard"] > everything + 0.25
    assert np.mean(history["loss"][-10:]) < np.mean(history["loss"][:10])
    assert (tmp_path / "jaccard_histogram.png").is_file()
    ens = segmenter.ensemble_predict([model, model], test["image"][:4])
    assert ens["mask"].shape == (4, 32, 32, 1) and ens["mask"].dtype == bool


@pytest.mark.slow
def test_two_step_training_draws_fresh_synthetic_batches(dcgan_mask_run, phantom_seg):
    from tfskin.sources import make_source

    train, test = phantom_seg
    calls = []
    source = make_source(f"savedmodel:{dcgan_mask_run.export_path}")
    original = source.sample
    source.sample = lambda n, seed=0: calls.append(seed) or original(n, seed)
    config = segmenter.SegmenterConfig(arch="unet", channels="rgb", image_size=(32, 32), width=0.125,
                                       loss="bce", batch_size=4)
    result = segmenter.two_step_comparison(config, train, test, synthetic_source=source, synthetic_steps=3,
                                           real_steps=2)
    assert len(calls) == 3 and len(set(calls)) == 3  # one fresh draw per synthetic batch
    assert result["real_only"]["real_steps"] == 5 and result["synthetic_then_real"]["synthetic_steps"] == 3
    assert np.isfinite(result["jaccard_gain"])
    with pytest.raises(ValueError, match="makes no masks"):
        segmenter.train_segmenter(config, synthetic_source=_NoMask(), synthetic_steps=1)


class _NoMask:
    has_masks = False

    def describe(self):
        return "no-mask source"
