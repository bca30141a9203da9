"""New label maps from real ones, so a trained pix2pixHD makes new images (the skin paper's own conclusion):

* ``distort``: one map under a random affine transform (rotation, anisotropic scale, shear, shift) and a smooth
  elastic displacement field (Gaussian-filtered noise), nearest-neighbour resampled so no new ids appear;
* ``combine``: the lesion shape (and surrounding skin/padding) of one map filled with the dermoscopic
  attributes of another, whose lesion is fitted onto the first lesion's bounding box.

Instance maps go through the same geometry; afterwards every region is renumbered with
``tfskin.data.instances.instance_map`` (majority class per region, ids ``class * 1000 + k``) and the boundary
map recomputed with ``boundary_map``, so new maps follow exactly the conventions of the training maps.
Outputs are NumPy: label maps uint8 (H, W, 1), instance maps int32 (H, W, 1), boundaries uint8 (H, W, 1).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from tfskin.data.instances import boundary_map, instance_map
from tfskin.data.labelmaps import LESION, SKIN

MODES = ("distort", "combine")


def _squeeze(x):
    x = np.asarray(x)
    return x[..., 0] if x.ndim == 3 else x


def _finish(labels, segments):
    """(label map, instance map, boundary) with ids renumbered from arbitrary region ids ``segments``."""
    labels = labels.astype(np.uint8)
    if segments is None:
        segments = labels.astype(np.int32)
    instances = instance_map(segments.astype(np.int32), labels).numpy()
    return labels[..., None], instances, boundary_map(instances).numpy()


def warp_coordinates(shape, rng, *, rotation=25.0, scale=(0.8, 1.2), shear=0.15, shift=0.08,
                     elastic_alpha=0.08, elastic_sigma=0.12):
    """Sampling coordinates (2, H, W) of a random affine + elastic warp. Angles in degrees; shift, alpha
    (displacement) and sigma (smoothness) as fractions of the image's shorter side."""
    h, w = shape
    side = min(h, w)
    theta = np.deg2rad(rng.uniform(-rotation, rotation))
    sy, sx = rng.uniform(*scale, size=2)
    k = rng.uniform(-shear, shear)
    rot = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    matrix = rot @ np.array([[1.0, k], [0.0, 1.0]]) @ np.diag([1.0 / sy, 1.0 / sx])
    centre = np.array([(h - 1) / 2.0, (w - 1) / 2.0])
    offset = rng.uniform(-shift, shift, size=2) * side
    yy, xx = np.meshgrid(np.arange(h, dtype=np.float64), np.arange(w, dtype=np.float64), indexing="ij")
    grid = np.stack([yy - centre[0], xx - centre[1]])
    coords = np.einsum("ij,jhw->ihw", matrix, grid) + (centre + offset)[:, None, None]
    if elastic_alpha > 0:
        sigma = max(elastic_sigma * side, 1.0)
        for axis in range(2):
            field = ndimage.gaussian_filter(rng.uniform(-1, 1, (h, w)), sigma, mode="reflect")
            field /= max(np.abs(field).max(), 1e-8)
            coords[axis] += elastic_alpha * side * field
    return coords


def _resample(image, coords):
    return ndimage.map_coordinates(image, coords, order=0, mode="nearest")


def distort(label_map, instance_map_=None, *, rng, **warp):
    """A randomly warped copy of a map (and its instance map): (labels, instances, boundary)."""
    labels = _squeeze(label_map)
    coords = warp_coordinates(labels.shape, rng, **warp)
    new_labels = _resample(labels, coords)
    segments = None if instance_map_ is None else _resample(_squeeze(instance_map_).astype(np.int64), coords)
    return _finish(new_labels, segments)


def _bbox(mask):
    rows, cols = np.nonzero(mask)
    return rows.min(), rows.max() + 1, cols.min(), cols.max() + 1


def combine(shape_map, attribute_map, shape_instances=None, attribute_instances=None, *, rng=None):
    """The lesion of ``shape_map`` filled with the lesion content (attributes) of ``attribute_map``.

    Outside the first lesion the first map is kept; inside, the second lesion's bounding box is stretched onto
    the first's (optionally flipped at random when ``rng`` is given), attribute ids are taken from it and any
    other lesion pixel becomes plain lesion."""
    shape_labels, attr_labels = _squeeze(shape_map), _squeeze(attribute_map)
    lesion = shape_labels >= LESION
    source = attr_labels >= LESION
    if not lesion.any() or not source.any():  # nothing to combine: keep the shape map
        return _finish(shape_labels, None if shape_instances is None else _squeeze(shape_instances))
    t0, t1, l0, l1 = _bbox(lesion)
    s0, s1, c0, c1 = _bbox(source)
    rows = s0 + (np.arange(t0, t1) - t0 + 0.5) * (s1 - s0) / (t1 - t0) - 0.5
    cols = c0 + (np.arange(l0, l1) - l0 + 0.5) * (c1 - c0) / (l1 - l0) - 0.5
    if rng is not None and rng.uniform() < 0.5:
        cols = cols[::-1]
    if rng is not None and rng.uniform() < 0.5:
        rows = rows[::-1]
    rr, cc = np.meshgrid(np.clip(np.round(rows), 0, attr_labels.shape[0] - 1).astype(int),
                         np.clip(np.round(cols), 0, attr_labels.shape[1] - 1).astype(int), indexing="ij")
    fitted = attr_labels[rr, cc]
    labels = shape_labels.copy()
    window = lesion[t0:t1, l0:l1]
    labels[t0:t1, l0:l1] = np.where(window, np.where(fitted >= LESION, fitted, LESION), labels[t0:t1, l0:l1])
    labels[lesion & (labels < LESION)] = LESION
    segments = None
    if shape_instances is not None and attribute_instances is not None:
        outer = _squeeze(shape_instances).astype(np.int64)
        inner = _squeeze(attribute_instances).astype(np.int64)[rr, cc] + outer.max() + 1
        segments = outer.copy()
        segments[t0:t1, l0:l1] = np.where(window, inner, outer[t0:t1, l0:l1])
    return _finish(labels, segments)


def new_label_maps(label_maps, instance_maps=None, *, num: int, mode: str = "distort", seed: int = 0):
    """``num`` new maps from real ones: dict of stacked ``label_map``, ``instance_map``, ``boundary`` arrays and
    ``sources`` (the index/indices of the real maps each came from)."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    label_maps = np.asarray(label_maps)
    if len(label_maps) < (2 if mode == "combine" else 1):
        raise ValueError(f"{mode} needs at least {2 if mode == 'combine' else 1} real maps")
    rng = np.random.default_rng(seed)
    out = {"label_map": [], "instance_map": [], "boundary": [], "sources": []}
    with_lesion = [i for i, m in enumerate(label_maps) if (np.asarray(m) >= LESION).any()]
    with_lesion = with_lesion or list(range(len(label_maps)))
    for _ in range(int(num)):
        if mode == "distort":
            i = int(rng.integers(len(label_maps)))
            inst = None if instance_maps is None else instance_maps[i]
            result, sources = distort(label_maps[i], inst, rng=rng), (i, i)
        else:
            i, j = (int(v) for v in rng.choice(with_lesion, 2, replace=len(with_lesion) < 2))
            insts = (None, None) if instance_maps is None else (instance_maps[i], instance_maps[j])
            result, sources = combine(label_maps[i], label_maps[j], *insts, rng=rng), (i, j)
        for key, value in zip(("label_map", "instance_map", "boundary"), result, strict=False):
            out[key].append(value)
        out["sources"].append(sources)
    return {k: np.stack(v) for k, v in out.items()}


def skin_only(shape) -> np.ndarray:
    """A map with no lesion (all skin), e.g. a negative control."""
    return np.full((*shape, 1), SKIN, np.uint8)


def real_maps(config, num: int):
    """The first ``num`` training maps of a pix2pixHD run config: dict of label_map, instance_map (if any), image."""
    from tfskin.inputs.label_maps import conditioned_examples

    batch = next(conditioned_examples(config).take(num).batch(num).as_numpy_iterator())
    return batch


def write_new_maps(config, out_dir, *, num: int, mode: str, seed: int = 0, num_real: int = 64, model=None) -> dict:
    """Make ``num`` new maps from ``num_real`` real ones of ``config``'s data, write ``maps.npz`` and
    ``maps_grid.png`` (colour map | boundary) to ``out_dir``; with a trained ``model``, also the synthesized
    images (``image_00000.png`` ...) and ``grid.png`` (map | boundary | synthesis). Returns the written paths."""
    from pathlib import Path

    from tfskin.data.labelmaps import colorize
    from tfskin.gan.panels import panel_grid
    from tfskin.imaging import save_png, to_uint8

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    real = real_maps(config, num_real)
    maps = new_label_maps(real["label_map"], real.get("instance_map"), num=num, mode=mode, seed=seed)
    np.savez_compressed(out / "maps.npz", **maps)
    panels = [colorize(maps["label_map"]) / 255.0, maps["boundary"].astype(np.float32)]
    written = {"maps": out / "maps.npz", "maps_grid": save_png(panel_grid([panels]), out / "maps_grid.png")}
    if model is not None:
        images = model.synthesize(maps["label_map"][..., 0].astype(np.int32),
                                  maps["instance_map"][..., 0] if model.config.use_instance else None)
        for i, image in enumerate(images):
            save_png(to_uint8(image), out / f"image_{i:05d}.png")
        written["grid"] = save_png(panel_grid([panels + [images]]), out / "grid.png")
    return written
