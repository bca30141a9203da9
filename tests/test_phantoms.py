"""Tests for the procedural phantom dermoscopy dataset (tfskin.data.phantoms)."""

import dataclasses
import hashlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tfskin.classes import ATTRIBUTE_NAMES, CLASS_NAMES, MALIGNANT_CLASSES, class_index
from tfskin.data.phantoms import PhantomSpec, generate_phantoms, phantom_label_counts, phantom_labels

REPO_ROOT = Path(__file__).resolve().parents[1]
KEYS = ("image", "mask", "attributes", "label", "malignant", "skin_tone", "hair", "vignette", "index")


def one_hot(name):
    prior = [0.0] * len(CLASS_NAMES)
    prior[class_index(name)] = 1.0
    return prior


@pytest.fixture(scope="module")
def batch64():
    return generate_phantoms(48, 64, 64, seed=7, class_prior=[1.0] * len(CLASS_NAMES))


def test_same_call_is_byte_identical():
    a = generate_phantoms(5, 64, 64, seed=3, start=11)
    b = generate_phantoms(5, 64, 64, seed=3, start=11)
    assert set(a) == set(KEYS)
    for key in KEYS:
        assert a[key].dtype == b[key].dtype
        assert a[key].tobytes() == b[key].tobytes(), key


def test_example_depends_only_on_seed_and_global_index():
    batch = generate_phantoms(6, 64, 80, seed=2, start=40)
    np.testing.assert_array_equal(batch["index"], np.arange(40, 46))
    for i in (0, 3, 5):
        single = generate_phantoms(1, 64, 80, seed=2, start=40 + i)
        for key in KEYS:
            assert batch[key][i].tobytes() == single[key][0].tobytes(), (key, i)
    # a different chunking gives the same examples
    tail = generate_phantoms(3, 64, 80, seed=2, start=43)
    for key in KEYS:
        assert batch[key][3:].tobytes() == tail[key].tobytes(), key


def test_seed_changes_content():
    a = generate_phantoms(3, 64, 64, seed=0)
    b = generate_phantoms(3, 64, 64, seed=1)
    assert not np.array_equal(a["image"], b["image"])
    assert len({a["image"][i].tobytes() for i in range(3)}) == 3


def _digest(batch):
    h = hashlib.sha256()
    for key in KEYS:
        h.update(np.ascontiguousarray(batch[key]).tobytes())
    return h.hexdigest()


def test_identical_in_a_fresh_process():
    code = ("import hashlib, numpy as np; from tfskin.data.phantoms import generate_phantoms as g; "
            "b = g(3, 48, 64, seed=9, start=100); h = hashlib.sha256(); "
            f"[h.update(np.ascontiguousarray(b[k]).tobytes()) for k in {KEYS!r}]; print(h.hexdigest())")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == _digest(generate_phantoms(3, 48, 64, seed=9, start=100))


@pytest.mark.parametrize("n,height,width", [(4, 64, 64), (2, 192, 256), (1, 512, 1024), (2, 16, 16), (0, 32, 32)])
def test_shapes_and_dtypes(n, height, width):
    b = generate_phantoms(n, height, width, seed=1)
    expected = {
        "image": ((n, height, width, 3), np.uint8),
        "mask": ((n, height, width), np.uint8),
        "attributes": ((n, height, width, len(ATTRIBUTE_NAMES)), np.uint8),
        "label": ((n,), np.int64),
        "malignant": ((n,), np.bool_),
        "skin_tone": ((n,), np.float32),
        "hair": ((n,), np.bool_),
        "vignette": ((n,), np.bool_),
        "index": ((n,), np.int64),
    }
    for key, (shape, dtype) in expected.items():
        assert b[key].shape == shape, key
        assert b[key].dtype == dtype, key


def test_masks_are_binary_and_attributes_lie_inside_the_lesion(batch64):
    mask, attributes = batch64["mask"], batch64["attributes"]
    assert set(np.unique(mask)) <= {0, 255}
    assert set(np.unique(attributes)) <= {0, 255}
    outside = (attributes > 0) & (mask[..., None] == 0)
    assert not outside.any()


def test_masks_are_neither_empty_nor_full_frame(batch64):
    fraction = (batch64["mask"] > 0).mean(axis=(1, 2))
    assert fraction.min() > 0.01
    assert fraction.max() < 0.9
    # the corners of a dermoscopy frame are skin, not lesion
    assert not batch64["mask"][:, [0, 0, -1, -1], [0, -1, 0, -1]].any()


def test_mask_boundary_is_the_painted_edge():
    """Just inside the mask is lesion, just outside is skin that matches the skin one pixel further out."""
    from scipy import ndimage

    b = generate_phantoms(12, 96, 96, seed=2, class_prior=one_hot("NV"))
    gray = b["image"].astype(float).mean(-1)
    for g, m in zip(gray, b["mask"] > 0):
        inner = m & ~ndimage.binary_erosion(m)
        outer = ndimage.binary_dilation(m) & ~m
        outer2 = ndimage.binary_dilation(m, iterations=2) & ~ndimage.binary_dilation(m)
        assert g[inner].mean() < g[outer].mean() - 10
        assert abs(g[outer].mean() - g[outer2].mean()) < 5


def test_lesion_is_round_and_centred_on_wide_images():
    b = generate_phantoms(6, 96, 192, seed=4)
    for m in b["mask"] > 0:
        rows, cols = np.nonzero(m)
        assert abs(rows.mean() - 48) < 20 and abs(cols.mean() - 96) < 20
        height, width = np.ptp(rows) + 1, np.ptp(cols) + 1
        assert 0.4 < height / width < 2.5  # drawn in isotropic units, not stretched to the frame


def test_attributes_are_present_but_often_empty(batch64):
    present = (batch64["attributes"] > 0).any(axis=(1, 2))  # (n, 5)
    assert present.any(axis=0).sum() >= 4  # most attribute kinds occur somewhere
    assert (~present.any(axis=1)).any()  # some examples have no attribute at all, as in ISIC
    labels = batch64["label"]
    milia = present[:, ATTRIBUTE_NAMES.index("milia_like_cyst")]
    assert milia[labels == class_index("BKL")].mean() > milia[labels == class_index("NV")].mean()


def test_milia_pixels_are_bright_and_globules_dark():
    b = generate_phantoms(24, 96, 96, seed=3, class_prior=one_hot("BKL"))
    attrs, images = b["attributes"] > 0, b["image"].astype(float).mean(-1)
    milia = attrs[..., ATTRIBUTE_NAMES.index("milia_like_cyst")]
    lesion = (b["mask"] > 0) & ~milia
    assert milia.sum() > 50
    assert images[milia].mean() > images[lesion].mean() + 20


def test_one_hot_prior_gives_only_that_class():
    b = generate_phantoms(12, 32, 32, seed=0, class_prior=one_hot("DF"))
    assert (b["label"] == class_index("DF")).all()
    assert not b["malignant"].any()


def test_default_prior_matches_isic_imbalance():
    counts = phantom_label_counts(2000, seed=0)
    assert counts.sum() == 2000
    names = dict(zip(CLASS_NAMES, counts))
    assert counts.argmax() == class_index("NV")
    assert names["NV"] > 2 * names["MEL"]
    assert max(names["DF"], names["VASC"]) < min(names["MEL"], names["BCC"], names["BKL"])
    assert 0.4 < names["NV"] / 2000 < 0.62  # ISIC 2019: 12875 / 25331 = 0.508


def test_labels_agree_with_label_only_path():
    b = generate_phantoms(10, 32, 32, seed=5, start=30)
    np.testing.assert_array_equal(b["label"], phantom_labels(10, seed=5, start=30))


def test_zero_probability_classes_never_drawn():
    prior = [0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 3.0, 0.0]  # BCC and VASC only, unnormalised
    labels = phantom_labels(400, seed=1, class_prior=prior)
    assert set(labels.tolist()) == {class_index("BCC"), class_index("VASC")}
    assert 0.15 < (labels == class_index("BCC")).mean() < 0.35


def test_malignant_flag_matches_classes(batch64):
    expected = np.array([CLASS_NAMES[i] in MALIGNANT_CLASSES for i in batch64["label"]])
    np.testing.assert_array_equal(batch64["malignant"], expected)
    assert batch64["malignant"].any() and not batch64["malignant"].all()


def test_metadata_ranges(batch64):
    assert ((batch64["skin_tone"] >= 0) & (batch64["skin_tone"] <= 1)).all()
    assert batch64["skin_tone"].std() > 0.05
    assert batch64["hair"].any() and not batch64["hair"].all()
    assert batch64["vignette"].any() and not batch64["vignette"].all()


def test_vignette_darkens_the_corners(batch64):
    gray = batch64["image"].astype(float).mean(-1)
    corners = gray[:, [0, 0, -1, -1], [0, -1, 0, -1]].mean(1)
    vignette = batch64["vignette"]
    assert corners[vignette].max() < 40
    assert corners[~vignette].mean() > 100


def test_melanoma_is_more_variegated_than_nevus():
    def colour_spread(batch):
        return np.array([(img[m > 0] / 255.0).std(0).mean() for img, m in zip(batch["image"], batch["mask"])])

    mel = colour_spread(generate_phantoms(30, 64, 64, seed=11, class_prior=one_hot("MEL")))
    nv = colour_spread(generate_phantoms(30, 64, 64, seed=11, class_prior=one_hot("NV")))
    assert mel.mean() > 1.4 * nv.mean()
    assert (mel < np.median(nv)).any()  # ...but the cue overlaps: some melanomas look regular


def test_phantom_spec_generates_the_same_batch():
    spec = PhantomSpec(height=48, width=64, seed=3, class_prior=[1.0] * 8)
    a = spec.generate(3, start=2)
    b = generate_phantoms(3, 48, 64, seed=3, start=2, class_prior=[1.0] * 8)
    for key in KEYS:
        assert a[key].tobytes() == b[key].tobytes()
    assert isinstance(spec.class_prior, tuple) and hash(spec) == hash(PhantomSpec(48, 64, 3, [1.0] * 8))
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.seed = 4
    np.testing.assert_array_equal(PhantomSpec().labels(5), phantom_labels(5))


@pytest.mark.parametrize("kwargs", [
    dict(n=-1), dict(n=2.5), dict(n=True), dict(height=15), dict(width=8), dict(height=64.0),
    dict(seed=-1), dict(start=-3), dict(class_prior=[1.0] * 7), dict(class_prior=[1.0] * 7 + [-0.5]),
    dict(class_prior=[0.0] * 8), dict(class_prior=[float("nan")] + [1.0] * 7), dict(class_prior="abcdefgh"),
])
def test_invalid_arguments_raise_value_error(kwargs):
    args = dict(n=1, height=32, width=32, seed=0, start=0, class_prior=None)
    args.update(kwargs)
    with pytest.raises(ValueError):
        generate_phantoms(**args)


def test_invalid_spec_raises():
    with pytest.raises(ValueError):
        PhantomSpec(height=8)
    with pytest.raises(ValueError):
        PhantomSpec(class_prior=(1.0, 2.0))


# --- acquisition domains -------------------------------------------------------------------------------------

def test_default_domain_is_the_dermoscope_and_unchanged_by_naming_it():
    from tfskin.data.phantoms import DEFAULT_DOMAIN, DOMAINS

    assert DEFAULT_DOMAIN == "dermoscope" and "clinic" in DOMAINS
    plain = generate_phantoms(4, 48, 64, seed=5, start=30)
    named = generate_phantoms(4, 48, 64, seed=5, start=30, domain="dermoscope")
    for key in KEYS:
        assert plain[key].tobytes() == named[key].tobytes(), key


def test_clinic_domain_is_deterministic_and_chunking_invariant():
    batch = generate_phantoms(5, 48, 48, seed=4, start=70, domain="clinic")
    again = generate_phantoms(5, 48, 48, seed=4, start=70, domain="clinic")
    tail = generate_phantoms(2, 48, 48, seed=4, start=73, domain="clinic")
    for key in KEYS:
        assert batch[key].tobytes() == again[key].tobytes(), key
        assert batch[key][3:].tobytes() == tail[key].tobytes(), key
    spec = PhantomSpec(48, 48, seed=4, domain="clinic")
    assert spec.generate(5, start=70)["image"].tobytes() == batch["image"].tobytes()


def test_clinic_keeps_labels_and_masks_valid_but_changes_the_look():
    """Same lesions and labels; the acquisition differs in the ways the domain says it does (measured)."""
    n = 60
    derm = generate_phantoms(n, 64, 64, seed=0, start=500)
    clin = generate_phantoms(n, 64, 64, seed=0, start=500, domain="clinic")
    np.testing.assert_array_equal(derm["label"], clin["label"])
    np.testing.assert_array_equal(derm["malignant"], clin["malignant"])
    assert set(np.unique(clin["mask"])) <= {0, 255} and (clin["mask"] > 0).any(axis=(1, 2)).all()
    assert not (clin["attributes"][clin["mask"] == 0]).any()  # attributes stay inside the lesion
    assert np.abs(derm["image"].astype(int) - clin["image"].astype(int)).mean() > 10
    assert clin["skin_tone"].mean() > derm["skin_tone"].mean() + 0.08     # darker skin-tone mix
    assert clin["hair"].mean() > derm["hair"].mean()                      # more hair
    assert (clin["mask"] > 0).mean() < 0.8 * (derm["mask"] > 0).mean()    # smaller lesion in the frame
    assert not clin["vignette"].any()                                      # no dermoscope field of view
    rgb_d, rgb_c = derm["image"].reshape(-1, 3).mean(0), clin["image"].reshape(-1, 3).mean(0)
    assert rgb_c[0] / rgb_c[2] > 1.2 * rgb_d[0] / rgb_d[2]                 # warm (red over blue) colour cast


def test_unknown_domain_is_a_config_error():
    from tfskin.errors import ConfigError

    with pytest.raises(ConfigError, match="valid domains: dermoscope, clinic"):
        generate_phantoms(1, 32, 32, domain="smartphone")
    with pytest.raises(ConfigError):
        PhantomSpec(32, 32, domain="nope")


def test_domain_is_selectable_where_data_is_named():
    from tfskin.data.sources import load_examples

    def first(name):
        ds = load_examples(name, "test", (32, 32), num_examples=6, features=("image", "label"), classes=("NV",))
        return list(ds.as_numpy_iterator())

    derm, clin = first("phantoms"), first("phantoms:domain=clinic")
    assert [e["label"] for e in derm] == [e["label"] for e in clin] and derm
    assert not np.array_equal(derm[0]["image"], clin[0]["image"])
    expected = generate_phantoms(6, 32, 32, start=20_000_000, domain="clinic")["image"]
    nv = np.flatnonzero(generate_phantoms(6, 32, 32, start=20_000_000)["label"] == class_index("NV"))
    np.testing.assert_array_equal(clin[0]["image"], expected[nv[0]])
    with pytest.raises(ValueError, match="valid domains"):
        load_examples("phantoms:domain=mars", "test", (32, 32), num_examples=2)
    with pytest.raises(ValueError, match="domain=NAME"):
        load_examples("phantoms:colour=red", "test", (32, 32), num_examples=2)


def _full_canvas_strokes(canvas, rng, count, width, length, curvature):
    """curved_strokes evaluated on every pixel (no window): the reference for the windowed version."""
    import math

    f32 = np.float32
    alpha = np.zeros(canvas.shape, f32)
    for _ in range(count):
        px = rng.uniform(-canvas.x_half, canvas.x_half)
        py = rng.uniform(-canvas.y_half, canvas.y_half)
        angle = rng.uniform(0.0, math.pi)
        bend = rng.normal(0.0, curvature)
        half_len = 0.5 * rng.uniform(*length)
        half_w = 0.5 * max(rng.uniform(*width), 0.9 * canvas.pixel)
        c, s = math.cos(angle), math.sin(angle)
        du, dv = canvas.u - f32(px), canvas.v - f32(py)
        along = du * f32(c) + dv * f32(s)
        across = dv * f32(c) - du * f32(s)
        across -= f32(bend) * along * along
        slope = f32(2.0 * bend) * along
        dist = np.abs(across) / np.sqrt(f32(1.0) + slope * slope)
        stroke = np.clip((f32(half_w) - dist) * f32(canvas.scale) + f32(0.5), 0.0, 1.0)
        stroke *= np.clip((f32(half_len) - np.abs(along)) * f32(canvas.scale * 0.3), 0.0, 1.0)
        np.maximum(alpha, stroke, out=alpha)
    return alpha


@pytest.mark.parametrize("height,width", [(32, 32), (64, 96), (128, 128)])
def test_windowed_strokes_equal_the_full_canvas_computation(height, width):
    from tfskin.data.phantom_drawing import curved_strokes, get_canvas

    canvas = get_canvas(height, width)
    for seed in range(40):
        kwargs = dict(count=6, width=(0.008, 0.022), length=(0.8, 3.0), curvature=1.5 if seed % 2 else 0.35)
        got = curved_strokes(canvas, np.random.default_rng(seed), **kwargs)
        expected = _full_canvas_strokes(canvas, np.random.default_rng(seed), **kwargs)
        assert got.tobytes() == expected.tobytes(), seed


def test_domain_shift_script_previews_both_domains(tmp_path):
    import importlib.util

    from PIL import Image

    spec = importlib.util.spec_from_file_location("domain_shift", REPO_ROOT / "scripts" / "domain_shift.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    grid = np.asarray(Image.open(script.preview(str(tmp_path / "domains.png"), n=8, size=32)))
    assert grid.shape[0] > 2 * 2 * 32 and grid.shape[1] >= 8 * 32  # two grids of 8 tiles, one per domain
    top, bottom = grid[: grid.shape[0] // 2], grid[grid.shape[0] // 2:]
    assert np.abs(top.astype(int).mean((0, 1)) - bottom.astype(int).mean((0, 1))).max() > 3  # they look different
    stats = script.shift_statistics(n=12, size=32)
    assert set(stats) == {"dermoscope", "clinic"}
    assert stats["clinic"]["lesion_fraction"] < stats["dermoscope"]["lesion_fraction"]


def test_class_filter_without_label_feature_keeps_only_that_class():
    """Filtering by class must work when the caller does not ask for the label (it is read, then dropped)."""
    from tfskin.data.sources import load_examples

    with_label = list(load_examples("phantoms", "train", (16, 16), num_examples=40, features=("image", "label"),
                                    classes=("NV",)).as_numpy_iterator())
    without = list(load_examples("phantoms", "train", (16, 16), num_examples=40, features=("image",),
                                 classes=("NV",)).as_numpy_iterator())
    assert with_label and len(without) == len(with_label) < 40
    assert all(set(ex) == {"image"} for ex in without)
    assert all((a["image"] == b["image"]).all() for a, b in zip(with_label, without, strict=True))
