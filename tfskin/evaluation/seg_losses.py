"""Segmentation losses of Pollastri et al. 2020, sections 4.2 and 5.1, as pure functions of (target, prediction)
with target in {0, 1} and prediction in [0, 1], both (B, H, W, 1). Each is computed per image and averaged over
the batch. Equation numbers are the paper's.

* ``tanimoto`` (Eq. 1, the ISIC 2017 winner's loss): 1 - sum(t p) / (sum(t^2) + sum(p^2) - sum(t p))
* ``jaccard`` (Eq. 2, the generalized Jaccard distance): 1 - sum(min(t, p)) / sum(max(t, p)), computed in
  the Eq. 3 form 1 - sum(t p) / (sum(t) + sum(p) - sum(t p)), equal to Eq. 2 for binary targets
* ``mse`` (Eq. 4) and ``bce`` (Eq. 6, the U-Net loss), means over pixels
"""

from keras import ops

from tfskin.evaluation.choices import SEGMENTATION_LOSSES

_EPS = 1e-7


def _flat(t, p):
    t = ops.cast(t, "float32")
    p = ops.cast(p, "float32")
    batch = ops.shape(p)[0]
    return ops.reshape(t, (batch, -1)), ops.reshape(p, (batch, -1))


def tanimoto_loss(target, prediction):
    t, p = _flat(target, prediction)
    tp = ops.sum(t * p, axis=1)
    return ops.mean(1.0 - tp / (ops.sum(t * t, axis=1) + ops.sum(p * p, axis=1) - tp + _EPS))


def jaccard_loss(target, prediction):
    t, p = _flat(target, prediction)
    tp = ops.sum(t * p, axis=1)
    return ops.mean(1.0 - tp / (ops.sum(t, axis=1) + ops.sum(p, axis=1) - tp + _EPS))


def jaccard_minmax_loss(target, prediction):
    """Eq. 2 literally (min / max); equal to :func:`jaccard_loss` when the target is binary."""
    t, p = _flat(target, prediction)
    return ops.mean(1.0 - ops.sum(ops.minimum(t, p), axis=1) / (ops.sum(ops.maximum(t, p), axis=1) + _EPS))


def mse_loss(target, prediction):
    t, p = _flat(target, prediction)
    return ops.mean(ops.square(t - p))


def bce_loss(target, prediction):
    t, p = _flat(target, prediction)
    p = ops.clip(p, _EPS, 1.0 - _EPS)
    return ops.mean(-(t * ops.log(p) + (1.0 - t) * ops.log(1.0 - p)))


LOSSES = dict(zip(SEGMENTATION_LOSSES, (tanimoto_loss, jaccard_loss, mse_loss, bce_loss)))


def get_loss(name: str):
    from tfskin.config import ConfigError

    try:
        return LOSSES[name]
    except KeyError:
        raise ConfigError(f"unknown segmentation loss {name!r}; valid: {', '.join(LOSSES)}") from None
