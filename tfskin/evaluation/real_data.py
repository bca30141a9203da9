"""Real examples as NumPy arrays for the evaluators (small enough to hold in memory at evaluation sizes)."""

import numpy as np

from tfskin.data.sources import load_examples
from tfskin.saved_classifier import resize_images  # noqa: F401 (re-exported: evaluation's users import it here)


def load_arrays(name: str, split: str, image_size, *, num_examples=None, seed: int = 0,
                features=("image", "label"), classes=None) -> dict:
    """All examples of a dataset split as a dict of stacked arrays (``image`` uint8 (N, H, W, 3), ``label``
    int64 ISIC 2019 class indices, -1 where the dataset's own class has no sound ISIC 2019 class
    (``isic2019_labels``: derm7pt's or ISIC 2017's own class indices are not ISIC 2019's), ``mask`` uint8
    (N, H, W, 1) when asked for)."""
    ds = load_examples(name, split, tuple(image_size), seed=seed, num_examples=num_examples,
                       features=tuple(features), classes=classes)
    parts = {k: [] for k in features}
    for batch in ds.batch(512).as_numpy_iterator():
        for k in features:
            parts[k].append(batch[k])
    out = {k: np.concatenate(v) if v else np.zeros((0,)) for k, v in parts.items()}
    if "label" in out:
        out["label"] = to_isic2019(name, out["label"].astype(np.int64))
    return out


def to_isic2019(name: str, labels) -> np.ndarray:
    """A dataset's own class indices as ISIC 2019 class indices (-1: unknown or no sound mapping)."""
    from tfskin.data.tfds.register import isic2019_labels

    lookup = np.asarray(isic2019_labels(name), np.int64)
    labels = np.asarray(labels, np.int64)
    known = (labels >= 0) & (labels < len(lookup))
    return np.where(known, lookup[np.clip(labels, 0, max(len(lookup) - 1, 0))] if len(lookup) else -1, -1)




def is_folder_spec(spec: str) -> bool:
    """Whether ``--real`` names a folder of images (``png:DIR[,label=CLASS]``) rather than a dataset."""
    return str(spec).startswith("png:")


def load_real(spec: str, split: str, image_size, *, num_examples=None, seed: int = 0, classes=None) -> dict:
    """Real images (``image`` uint8 at ``image_size``, ``label`` ISIC class indices) from a dataset split
    (``phantoms``, ``isic2019``, ``phantoms:domain=clinic``; ``split`` applies) or from a folder
    ``png:DIR[,label=CLASS]`` (labelled as ``png:`` sources are: class subfolders, ``labels.csv`` or ``label=``;
    each image resized to ``image_size``; ``split`` does not apply). ``classes`` keeps only those classes;
    ``num_examples`` caps the count after that filter (a seeded draw for folders)."""
    from tfskin.classes import class_index
    from tfskin.errors import BadInputError
    from tfskin.sources import _read_png, make_source

    wanted = [class_index(c) for c in classes] if classes else None
    if not is_folder_spec(spec):
        # without a class filter the loader draws num_examples itself (as before); with one, it is applied after
        out = load_arrays(spec, split, image_size, seed=seed, classes=tuple(classes) if classes else None,
                          num_examples=None if classes else num_examples)
        if num_examples is not None:
            out = {k: v[:num_examples] for k, v in out.items()}
        if wanted and len(out["label"]) == 0:
            raise BadInputError(f"{spec}/{split} holds no image of class(es) {', '.join(classes)}")
        return out
    folder = make_source(spec)
    labels = np.full(len(folder.files), folder.fixed_label, np.int64) if folder.fixed_label is not None \
        else folder.labels
    keep = np.flatnonzero(np.isin(labels, wanted)) if wanted else np.arange(len(labels))
    if wanted and keep.size == 0:
        raise BadInputError(f"{folder.describe()} holds no image labelled {', '.join(classes)} (label images with "
                            f"class subfolders, labels.csv or {spec},label=CLASS)")
    if num_examples is not None and num_examples < keep.size:
        keep = np.sort(np.random.default_rng(seed).choice(keep, num_examples, replace=False))
    images = [resize_images(_read_png(folder.files[i], "RGB")[np.newaxis], image_size)[0] for i in keep]
    return {"image": np.stack(images), "label": labels[keep]}
