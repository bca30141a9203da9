"""Real examples as NumPy arrays for the evaluators (small enough to hold in memory at evaluation sizes)."""

import numpy as np

from tfskin.data.sources import load_examples


def load_arrays(name: str, split: str, image_size, *, num_examples=None, seed: int = 0,
                features=("image", "label"), classes=None) -> dict:
    """All examples of a dataset split as a dict of stacked arrays (``image`` uint8 (N, H, W, 3), ``label``
    int64, ``mask`` uint8 (N, H, W, 1) when asked for)."""
    ds = load_examples(name, split, tuple(image_size), seed=seed, num_examples=num_examples,
                       features=tuple(features), classes=classes)
    parts = {k: [] for k in features}
    for batch in ds.batch(512).as_numpy_iterator():
        for k in features:
            parts[k].append(batch[k])
    out = {k: np.concatenate(v) if v else np.zeros((0,)) for k, v in parts.items()}
    if "label" in out:
        out["label"] = out["label"].astype(np.int64)
    return out


def resize_images(images, size, *, is_mask: bool = False) -> np.ndarray:
    """uint8 (N, H, W, C) -> (N, h, w, C) with bilinear (images) or nearest (masks) resampling."""
    images = np.asarray(images)
    size = tuple(int(s) for s in size)
    if images.shape[1:3] == size or len(images) == 0:
        return images
    from keras import ops

    method = "nearest" if is_mask else "bilinear"
    out = ops.convert_to_numpy(ops.image.resize(images.astype(np.float32), size, interpolation=method,
                                                antialias=not is_mask))
    return np.clip(out + 0.5 * (not is_mask), 0, 255).astype(np.uint8)
