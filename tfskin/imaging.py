"""Image grids and PNG writing for samples (NumPy + Pillow)."""

from pathlib import Path

import numpy as np
from PIL import Image


def to_uint8(images) -> np.ndarray:
    """float images in [0, 1] -> uint8 (uint8 input is returned as it is)."""
    images = np.asarray(images)
    if images.dtype == np.uint8:
        return images
    return (np.clip(np.asarray(images, dtype=np.float32), 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def tile(images: np.ndarray, columns: int = 8, pad: int = 2, fill: int = 255) -> np.ndarray:
    """(N, H, W, C) uint8 -> one (rows*(H+pad)+pad, cols*(W+pad)+pad, C) grid image."""
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[..., np.newaxis]
    n, h, w, c = images.shape
    columns = max(1, min(columns, n))
    rows = -(-n // columns)
    grid = np.full((rows * (h + pad) + pad, columns * (w + pad) + pad, c), fill, dtype=np.uint8)
    for i in range(n):
        r, col = divmod(i, columns)
        y, x = pad + r * (h + pad), pad + col * (w + pad)
        grid[y:y + h, x:x + w] = images[i]
    return grid


def sample_grid(outputs: dict, columns: int = 8) -> np.ndarray:
    """Grid of generator outputs ({"image": [0,1] floats, "mask"?}); masks appear as a row-aligned grey tile
    beside each image."""
    images = to_uint8(outputs["image"])
    if "mask" in outputs:
        masks = np.repeat(to_uint8(outputs["mask"]), 3, axis=-1)
        pairs = np.concatenate([images, masks], axis=2)
        return tile(pairs, columns=max(1, columns // 2))
    return tile(images, columns=columns)


def grid_path(out_dir) -> Path:
    """Where the grid of a folder of outputs goes: ``<out_dir>.grid.png`` beside the folder, not in it (so the
    folder holds only outputs of one size and kind, and ``png:DIR`` reads it back)."""
    out = Path(out_dir).resolve()
    return out.with_name(out.name + ".grid.png")


def save_png(array: np.ndarray, path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    array = np.asarray(array)
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    Image.fromarray(array).save(path)
    return path
