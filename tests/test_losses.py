"""Loss functions against direct NumPy formulas."""

import numpy as np
import pytest

from tfskin import losses


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


@pytest.fixture
def logits():
    rng = np.random.default_rng(0)
    return rng.normal(size=(16, 1)).astype("float32"), rng.normal(size=(16, 1)).astype("float32")


def test_nonsaturating(logits):
    real, fake = logits
    expected_d = -np.mean(np.log(_sigmoid(real))) - np.mean(np.log(1 - _sigmoid(fake)))
    np.testing.assert_allclose(losses.nonsaturating_discriminator_loss(real, fake), expected_d, rtol=1e-5)
    smoothed = -np.mean(0.9 * np.log(_sigmoid(real)) + 0.1 * np.log(1 - _sigmoid(real))) - np.mean(
        np.log(1 - _sigmoid(fake)))
    np.testing.assert_allclose(losses.nonsaturating_discriminator_loss(real, fake, label_smoothing=0.1), smoothed,
                               rtol=1e-5)
    np.testing.assert_allclose(losses.nonsaturating_generator_loss(fake), -np.mean(np.log(_sigmoid(fake))),
                               rtol=1e-5)


def test_lsgan_hinge_wasserstein(logits):
    real, fake = logits
    np.testing.assert_allclose(losses.lsgan_discriminator_loss(real, fake),
                               0.5 * (np.mean((real - 1) ** 2) + np.mean(fake ** 2)), rtol=1e-5)
    np.testing.assert_allclose(losses.lsgan_generator_loss(fake), np.mean((fake - 1) ** 2), rtol=1e-5)
    np.testing.assert_allclose(losses.hinge_discriminator_loss(real, fake),
                               np.mean(np.maximum(0, 1 - real)) + np.mean(np.maximum(0, 1 + fake)), rtol=1e-5)
    np.testing.assert_allclose(losses.hinge_generator_loss(fake), -np.mean(fake), rtol=1e-5)
    np.testing.assert_allclose(losses.wasserstein_discriminator_loss(real, fake, drift=0.001),
                               np.mean(fake) - np.mean(real) + 0.001 * np.mean(real ** 2), rtol=1e-5)


def test_gradient_penalty_and_l1():
    grads = np.array([[[3.0, 4.0]], [[0.0, 0.0]]], dtype="float32")  # norms 5 and 0
    np.testing.assert_allclose(losses.gradient_penalty(grads), ((5 - 1) ** 2 + (0 - 1) ** 2) / 2, rtol=1e-4)
    a, b = np.ones((2, 4, 4, 3), "float32"), np.zeros((2, 4, 4, 3), "float32")
    np.testing.assert_allclose(losses.cycle_consistency_loss(a, b), 1.0)
    np.testing.assert_allclose(losses.identity_loss(a, 0.5 * a), 0.5)


def test_feature_matching_averages_layers_over_discriminators():
    real = [[np.zeros((1, 2, 2, 1), "float32"), np.zeros((1, 1, 1, 1), "float32")],
            [np.zeros((1, 2, 2, 1), "float32")]]
    fake = [[np.ones((1, 2, 2, 1), "float32"), 2 * np.ones((1, 1, 1, 1), "float32")],
            [3 * np.ones((1, 2, 2, 1), "float32")]]
    np.testing.assert_allclose(losses.feature_matching_loss(real, fake), (1 + 2 + 3) / 2)


def test_auxiliary_classification():
    logits = np.array([[2.0, 0.0, -1.0], [0.0, 1.0, 0.0]], dtype="float32")
    labels = np.array([0, 2])
    log_softmax = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    expected = -np.mean(log_softmax[np.arange(2), labels])
    np.testing.assert_allclose(losses.auxiliary_classification_loss(labels, logits), expected, rtol=1e-5)


def test_unknown_loss_lists_valid_names():
    with pytest.raises(ValueError, match="hinge, lsgan, nonsaturating, wasserstein"):
        losses.adversarial_losses("wgan")
