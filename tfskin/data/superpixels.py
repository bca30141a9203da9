"""Superpixels: SLIC (scikit-image) and the ``*_superpixels.png`` files of ISIC 2016/2017. NumPy only.

* ``slic_superpixels``: by default with the parameters of Bissoto et al. 2018 (``PAPER_SLIC``); ``ISIC_SLIC``
  reproduces the ISIC archive's own "SLIC0" superpixels.
* ``decode_superpixel_rgb`` / ``encode_superpixel_rgb``: ISIC stores ``index = R + 256 G + 65536 B``.
* ``cached_slic_superpixels``: SLIC through a per-example file cache (datasets built with deferred superpixels
  compute them when first loaded and reuse them afterwards).
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import tempfile

import numpy as np


@dataclasses.dataclass(frozen=True)
class SlicParams:
    """Arguments of ``skimage.segmentation.slic`` (see its documentation)."""

    n_segments: int = 1000
    compactness: float = 1.0
    sigma: float = 2.0
    slic_zero: bool = True
    max_num_iter: int = 10
    enforce_connectivity: bool = True
    min_size_factor: float = 0.5

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


# Bissoto et al. 2018 (their instance-map script): n_segments=1000, slic_zero, compactness=1, sigma=2.
PAPER_SLIC = SlicParams()
# The ISIC archive's superpixels (SLIC0 on the full image): compactness 0.01, sigma 2, 10 iterations.
ISIC_SLIC = SlicParams(compactness=0.01)


def slic_superpixels(image, params: SlicParams = PAPER_SLIC, mask=None) -> np.ndarray:
    """int32 (H, W) superpixel ids of an RGB uint8 image: 0..N-1, or 1..N inside ``mask`` and 0 outside it."""
    from skimage.segmentation import slic
    from skimage.util import img_as_float

    image = np.asarray(image)
    if image.ndim != 3 or image.shape[-1] != 3:
        raise ValueError(f"slic_superpixels expects an (H, W, 3) RGB image, got shape {image.shape}")
    kwargs = dict(params.to_dict(), channel_axis=-1, start_label=0)
    if mask is not None:
        mask = np.asarray(mask).reshape(image.shape[:2]) != 0
        if not mask.any():
            return np.zeros(image.shape[:2], np.int32)
        kwargs.update(mask=mask, start_label=1)
    return slic(img_as_float(image), **kwargs).astype(np.int32)


def decode_superpixel_rgb(rgb) -> np.ndarray:
    """int32 (H, W) superpixel index from an ISIC ``*_superpixels.png`` RGB array: R + 256 G + 65536 B."""
    rgb = np.asarray(rgb)
    if rgb.ndim != 3 or rgb.shape[-1] < 3:
        raise ValueError(f"superpixel images are RGB (H, W, 3), got shape {rgb.shape}")
    rgb = rgb[..., :3].astype(np.int32)
    return rgb[..., 0] + (rgb[..., 1] << 8) + (rgb[..., 2] << 16)


def encode_superpixel_rgb(index) -> np.ndarray:
    """Inverse of ``decode_superpixel_rgb``: uint8 (H, W, 3)."""
    index = np.asarray(index).astype(np.int64)
    if index.size and (index.min() < 0 or index.max() >= 1 << 24):
        raise ValueError("superpixel ids must be in [0, 2**24)")
    return np.stack([index & 255, (index >> 8) & 255, (index >> 16) & 255], axis=-1).astype(np.uint8)


def cache_key(key: str, params: SlicParams) -> str:
    """A file-name-safe cache key for an example key and SLIC parameters."""
    text = f"{key}|{sorted(params.to_dict().items())}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def cached_slic_superpixels(cache_dir, key: str, image, params: SlicParams = PAPER_SLIC, mask=None) -> np.ndarray:
    """``slic_superpixels`` read from ``cache_dir`` when computed before, else computed and stored there.

    One ``.npy`` per example, written atomically (temporary file + rename), so concurrent readers and an
    interrupted pass never see half a file. A folder that cannot be written (read-only data) only costs the
    cache: the superpixels are still returned.
    """
    image = np.asarray(image)
    path = os.path.join(os.fspath(cache_dir), f"{cache_key(key, params)}.npy")
    try:
        cached = np.load(path)
        if cached.shape == image.shape[:2]:
            return cached.astype(np.int32)
    except (OSError, ValueError):
        pass
    ids = slic_superpixels(image, params, mask=mask)
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        handle, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
        with os.fdopen(handle, "wb") as f:
            np.save(f, ids.astype(np.uint16 if ids.size and ids.max() < 65536 else np.int32))
        os.replace(tmp, path)
    except OSError:
        pass
    return ids
