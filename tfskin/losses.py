"""Pure GAN loss functions (keras.ops only).

Every function returns a scalar: the mean over the (per-replica) batch. The GAN base divides by the number of
replicas before taking gradients, so these stay plain means. Logits and images are cast to float32 first so
the losses are computed in full precision under mixed-precision policies.
"""

import keras
from keras import ops


def _f32(x):
    return ops.cast(x, "float32")


def _bce_with_logits(logits, target: float):
    logits = _f32(logits)
    labels = ops.full_like(logits, target)
    return ops.mean(ops.binary_crossentropy(labels, logits, from_logits=True))


# --- non-saturating (original GAN / DCGAN) -------------------------------------------------------------

def nonsaturating_discriminator_loss(real_logits, fake_logits, label_smoothing: float = 0.0):
    """BCE: real -> 1 (optionally one-sided smoothed), fake -> 0 (Goodfellow et al. 2014)."""
    return _bce_with_logits(real_logits, 1.0 - label_smoothing) + _bce_with_logits(fake_logits, 0.0)


def nonsaturating_generator_loss(fake_logits):
    """Non-saturating generator loss: -log D(G(z))."""
    return _bce_with_logits(fake_logits, 1.0)


# --- least squares (LSGAN; CycleGAN, pix2pixHD) -----------------------------------------------------------

def lsgan_discriminator_loss(real_logits, fake_logits):
    """Mao et al. 2017 with targets 1/0, halved as in the CycleGAN reference code."""
    real, fake = _f32(real_logits), _f32(fake_logits)
    return 0.5 * (ops.mean(ops.square(real - 1.0)) + ops.mean(ops.square(fake)))


def lsgan_generator_loss(fake_logits):
    """Least-squares generator loss: (D(G(x)) - 1)^2."""
    return ops.mean(ops.square(_f32(fake_logits) - 1.0))


# --- hinge -----------------------------------------------------------------------------------------------

def hinge_discriminator_loss(real_logits, fake_logits):
    """Hinge loss (Lim & Ye 2017): relu(1 - D(x)) + relu(1 + D(G(z)))."""
    real, fake = _f32(real_logits), _f32(fake_logits)
    return ops.mean(ops.relu(1.0 - real)) + ops.mean(ops.relu(1.0 + fake))


def hinge_generator_loss(fake_logits):
    """Hinge generator loss: -D(G(z))."""
    return -ops.mean(_f32(fake_logits))


# --- Wasserstein + gradient penalty (progressive GAN) ----------------------------------------------------

def wasserstein_discriminator_loss(real_logits, fake_logits, drift: float = 0.0):
    """Critic loss D(G(z)) - D(x), plus the drift term eps * D(x)^2 of Karras et al. 2018."""
    real, fake = _f32(real_logits), _f32(fake_logits)
    loss = ops.mean(fake) - ops.mean(real)
    if drift:
        loss = loss + drift * ops.mean(ops.square(real))
    return loss


def wasserstein_generator_loss(fake_logits):
    """Generator loss -D(G(z))."""
    return -ops.mean(_f32(fake_logits))


def gradient_penalty(gradients, target: float = 1.0):
    """WGAN-GP penalty (Gulrajani et al. 2017) from the critic's gradients at interpolated samples.

    The gradients are computed by the caller (they need a tape, which is backend specific); this
    function only turns them into (||grad||_2 - target)^2 averaged over the batch.
    """
    g = _f32(gradients)
    axes = tuple(range(1, len(g.shape)))
    norms = ops.sqrt(ops.sum(ops.square(g), axis=axes) + 1e-12)
    return ops.mean(ops.square(norms - target))


# --- reconstruction and matching -------------------------------------------------------------------------

def l1_loss(a, b):
    """Mean absolute error; the cycle-consistency and identity losses of CycleGAN are this."""
    return ops.mean(ops.abs(_f32(a) - _f32(b)))


cycle_consistency_loss = l1_loss
identity_loss = l1_loss


def feature_matching_loss(real_features, fake_features):
    """pix2pixHD discriminator feature matching: mean L1 over every layer of every discriminator.

    `real_features` / `fake_features` are lists (one per discriminator) of lists of feature maps; the real
    side is treated as a constant. Normalised by the number of discriminators as in pix2pixHD.
    """
    if len(real_features) != len(fake_features):
        raise ValueError("real and fake feature lists differ in length")
    total = 0.0
    for real_maps, fake_maps in zip(real_features, fake_features):
        for real, fake in zip(real_maps, fake_maps):
            total = total + l1_loss(ops.stop_gradient(real), fake)
    return total / max(len(real_features), 1)


def auxiliary_classification_loss(labels, class_logits):
    """ACGAN auxiliary classifier loss: sparse categorical cross-entropy on integer labels."""
    return ops.mean(
        keras.losses.sparse_categorical_crossentropy(
            ops.cast(labels, "int32"), _f32(class_logits), from_logits=True
        )
    )


ADVERSARIAL_LOSSES = {
    "nonsaturating": (nonsaturating_discriminator_loss, nonsaturating_generator_loss),
    "lsgan": (lsgan_discriminator_loss, lsgan_generator_loss),
    "hinge": (hinge_discriminator_loss, hinge_generator_loss),
    "wasserstein": (wasserstein_discriminator_loss, wasserstein_generator_loss),
}


def adversarial_losses(name: str):
    """(discriminator_loss, generator_loss) for a loss name; unknown names list the valid ones."""
    try:
        return ADVERSARIAL_LOSSES[name]
    except KeyError:
        raise ValueError(
            f"unknown adversarial loss {name!r}; valid: {', '.join(sorted(ADVERSARIAL_LOSSES))}"
        ) from None
