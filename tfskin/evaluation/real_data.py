"""Real examples as NumPy arrays for the evaluators (small enough to hold in memory at evaluation sizes)."""

import numpy as np

from tfskin.data.sources import load_examples
from tfskin.saved_classifier import resize_images  # noqa: F401 (re-exported: evaluation's users import it here)


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


