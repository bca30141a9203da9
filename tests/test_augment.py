"""The discriminator augmentations (tfskin.gan.augment): identity at p = 0, differentiable, the transforms they
claim, image and label map kept aligned, colour only on the colour channels, deterministic in the draws, applied
to the share of examples p says; and the ADA p controller."""

import math

import numpy as np
import pytest
import tensorflow as tf

from tfskin.errors import ConfigError
from tfskin.gan import augment as A

BATCH, SIZE = 64, 16


def images(channels=3, batch=BATCH, size=SIZE, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (batch, size, size, channels)).astype("float32")


def draws(kind, batch=BATCH, seed=1):
    return np.random.default_rng(seed).uniform(size=(batch, A.num_draws(kind))).astype("float32")


def names(kind):
    return A.TRANSFORMS if kind == "ada" else A.DIFFAUGMENT_TRANSFORMS


def only(kind, name):
    """``disabled`` that leaves ``name`` alone on (``"all"``: everything on)."""
    return () if name == "all" else tuple(other for other in names(kind) if other != name)


def run(x, kind, name="all", p=1.0, seed=1, **kwargs):
    return np.asarray(A.augment(x, draws(kind, len(x), seed), p, kind, disabled=only(kind, name), **kwargs))


CASES = [("ada", name) for name in A.TRANSFORMS + ("all",)] + [
    ("diffaugment", name) for name in A.DIFFAUGMENT_TRANSFORMS + ("all",)]
IDS = [f"{kind}-{name}" for kind, name in CASES]

# The share of applied transforms that change an image: the discrete ones may draw their identity (x-flip and
# luma flip 1/2, a 0-degree rotation 1/4; integer translation rounds to 0 pixels on both axes with probability
# (1/4)^2 at 16 pixels; DiffAugment's translation draws (0, 0) of 5 x 5 shifts); the continuous ones never do.
CHANGE_RATE = {("ada", "xflip"): 1 / 2, ("ada", "rotate90"): 3 / 4, ("ada", "xint"): 1 - 1 / 16,
               ("ada", "lumaflip"): 1 / 2, ("diffaugment", "translation"): 1 - 1 / 25}


def changed(x, y):
    return np.any(x != y, axis=(1, 2, 3))


@pytest.mark.parametrize("kind,name", CASES, ids=IDS)
def test_identity_at_p_zero(kind, name):
    x = images()
    assert np.array_equal(run(x, kind, name, p=0.0), x)
    assert np.array_equal(run(x, kind, name, p=tf.constant(0.0)), x)


@pytest.mark.parametrize("kind,name", CASES, ids=IDS)
def test_differentiable(kind, name):
    x = tf.constant(images(batch=8))
    weights = tf.constant(images(batch=8, seed=5))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = A.augment(x, draws(kind, 8), 1.0, kind, disabled=only(kind, name))
        loss = tf.reduce_sum(y * weights)
    gradient = tape.gradient(loss, x)
    assert gradient is not None
    gradient = gradient.numpy()
    assert np.all(np.isfinite(gradient))
    assert np.any(gradient != 0, axis=(1, 2, 3)).all(), "every example's gradient is nonzero"


@pytest.mark.parametrize("p", [1.0, 0.5])
@pytest.mark.parametrize("kind,name", [case for case in CASES if case[1] != "all"], ids=[
    i for case, i in zip(CASES, IDS) if case[1] != "all"])
def test_share_of_examples_changed(kind, name, p):
    """Each transform changes about p x (its change rate) of the examples: within 4 binomial standard deviations
    of 256 (DiffAugment ignores p: all of its examples are augmented)."""
    n = 256
    x = images(batch=n)
    share = p if kind == "ada" else 1.0
    rate = share * CHANGE_RATE.get((kind, name), 1.0)
    count = int(changed(x, run(x, kind, name, p=p)).sum())
    bound = 4 * math.sqrt(n * rate * (1 - rate)) + 1
    assert abs(count - n * rate) <= bound, (count, n * rate)


def test_pipeline_at_half_changes_most_but_not_all_examples():
    n = 256
    x = images(batch=n)
    count = int(changed(x, run(x, "ada", p=0.5)).sum())
    # 12 transforms at p = 1/2 (the discrete ones changing half or 3/4 of those): all but ~1/2^11 change
    assert count >= n - 4
    assert n * 0.25 < int(changed(x, run(x, "ada", p=0.05)).sum()) < n * 0.6  # about 1 - 0.95^12 = 46%


def test_same_draws_same_output_and_new_draws_new_output():
    x = images()
    for kind in ("ada", "diffaugment"):
        assert np.array_equal(run(x, kind, seed=3), run(x, kind, seed=3))
        assert changed(run(x, kind, seed=3), run(x, kind, seed=4)).all()


@pytest.mark.slow  # tracing the whole pipeline: 4-8 s on 2 shared cores
def test_graph_mode_gives_the_eager_output():
    x, d = images(), draws("ada")
    graph = tf.function(lambda x, d, p: A.augment(x, d, p, "ada"),
                        input_signature=[tf.TensorSpec((None, SIZE, SIZE, 3)), tf.TensorSpec((None, 28)),
                                         tf.TensorSpec(())])
    np.testing.assert_allclose(graph(x, d, 0.7).numpy(), A.augment(x, d, 0.7, "ada").numpy(), atol=1e-4)


def test_diffaugment_ignores_p_above_zero():
    x = images()
    np.testing.assert_array_equal(run(x, "diffaugment", p=0.3), run(x, "diffaugment", p=1.0))


def test_keeps_dtype_and_shape():
    x = tf.cast(images(channels=4), "bfloat16")
    y = A.augment(x, draws("ada"), 1.0, "ada")
    assert y.dtype == x.dtype and tuple(y.shape) == tuple(x.shape)


# ---------------------------------------------------------------------------------------------- geometry


def image_and_label_map(batch=BATCH, classes=4):
    """(image channels 0-2, one-hot label map channels 3-6) where image channel 0 is a function of the map."""
    rng = np.random.default_rng(7)
    labels = np.eye(classes, dtype="float32")[rng.integers(classes, size=(batch, SIZE, SIZE))]
    centres = np.linspace(-0.9, 0.9, classes).astype("float32")
    image = np.concatenate([(labels @ centres)[..., None], images(channels=2, batch=batch)], axis=-1)
    return np.concatenate([image, labels], axis=-1), centres


@pytest.mark.parametrize("kind,transforms", [("ada", A.GEOMETRIC), ("ada", ("xflip", "rotate90", "xint")),
                                             ("diffaugment", ("translation", "cutout"))])
def test_geometric_transforms_keep_image_and_label_map_aligned(kind, transforms):
    x, centres = image_and_label_map()
    disabled = tuple(name for name in names(kind) if name not in transforms)
    y = np.asarray(A.augment(x, draws(kind), 1.0, kind, disabled=disabled))
    assert changed(x, y).mean() > 0.5
    labels = y[..., 3:]
    # resampling is linear: the image channel stays the same function of the (interpolated) map
    np.testing.assert_allclose(y[..., 0], labels @ centres, atol=1e-5)
    if kind == "ada":  # reflection, no fill: the map stays a distribution over classes
        np.testing.assert_allclose(labels.sum(-1), 1.0, atol=1e-5)
    if transforms == ("xflip", "rotate90", "xint"):  # whole-pixel moves: still exactly one-hot, same classes
        assert set(np.unique(labels)) <= {0.0, 1.0}
        np.testing.assert_array_equal(centres[labels.argmax(-1)], y[..., 0])


def test_xflip_and_rotate90_are_exact_pixel_moves():
    x = images()
    d = draws("ada")
    d[:, 0] = 0.0  # gate open
    d[:, 1] = 0.75  # flip
    flipped = np.asarray(A.augment(x, d, 0.5, "ada", disabled=only("ada", "xflip")))
    np.testing.assert_array_equal(flipped, x[:, :, ::-1])
    for quarter_turns in (1, 2, 3):
        d[:, 2], d[:, 3] = 0.0, (quarter_turns + 0.5) / 4
        turned = np.asarray(A.augment(x, d, 0.5, "ada", disabled=only("ada", "rotate90")))
        assert any(np.array_equal(turned, np.rot90(x, k, axes=(1, 2))) for k in (quarter_turns, -quarter_turns))


def test_diffaugment_cutout_zeros_one_rectangle_on_all_channels():
    x = images(channels=5)
    y = run(x, "diffaugment", "cutout")
    holes = y == 0
    assert (holes == holes[..., :1]).all(), "the same pixels are cut out of every channel"
    for hole in holes[..., 0]:
        rows, cols = np.flatnonzero(hole.any(1)), np.flatnonzero(hole.any(0))
        assert 0 < len(rows) <= SIZE // 2 and 0 < len(cols) <= SIZE // 2
        assert hole[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1].all() and hole.sum() == len(rows) * len(cols)


# ---------------------------------------------------------------------------------------------- colour


@pytest.mark.parametrize("kind", ["ada", "diffaugment"])
@pytest.mark.parametrize("color_channels", [(0, 3), (2, 5)])
def test_colour_transforms_change_only_the_colour_channels(kind, color_channels):
    x = images(channels=6)
    colour = A.COLOR if kind == "ada" else ("brightness", "saturation", "contrast")
    disabled = tuple(name for name in names(kind) if name not in colour)
    y = np.asarray(A.augment(x, draws(kind), 1.0, kind, color_channels=color_channels, disabled=disabled))
    first, end = color_channels
    others = [c for c in range(6) if not first <= c < end]
    np.testing.assert_array_equal(y[..., others], x[..., others])
    assert changed(x[..., first:end], y[..., first:end]).all()


def luma_and_chroma(rgb):
    luma = rgb.mean(-1, keepdims=True)
    return luma, rgb - luma


@pytest.mark.parametrize("name", ["brightness", "contrast", "lumaflip", "hue", "saturation"])
def test_ada_colour_transforms_do_what_they_say(name):
    x = images()
    d = draws("ada")
    y = np.asarray(A.augment(x, d, 1.0, "ada", disabled=only("ada", name)))
    luma, chroma = luma_and_chroma(x)
    y_luma, y_chroma = luma_and_chroma(y)
    if name == "brightness":  # the same offset on every pixel and channel
        offset = (y - x)[:, :1, :1, :1]
        np.testing.assert_allclose(y - x, np.broadcast_to(offset, x.shape), atol=1e-5)
    elif name == "contrast":  # one factor per image
        factor = (x * y).sum(axis=(1, 2, 3), keepdims=True) / (x * x).sum(axis=(1, 2, 3), keepdims=True)
        np.testing.assert_allclose(y, x * factor, atol=1e-5)
        assert np.all(factor > 0) and np.any(np.abs(factor - 1) > 0.1)
    elif name == "lumaflip":  # flipped along (1, 1, 1) or not at all
        flipped = np.isclose(y_luma, -luma, atol=1e-5).all(axis=(1, 2, 3))
        np.testing.assert_allclose(y[flipped], (x - 2 * luma)[flipped], atol=1e-5)
        np.testing.assert_array_equal(y[~flipped], x[~flipped])
        assert 0 < flipped.sum() < len(x)
    else:  # hue and saturation keep luma; hue keeps chroma's length, saturation scales it by one factor
        np.testing.assert_allclose(y_luma, luma, atol=1e-5)
        length, y_length = np.linalg.norm(chroma, axis=-1), np.linalg.norm(y_chroma, axis=-1)
        if name == "hue":
            np.testing.assert_allclose(y_length, length, rtol=1e-4, atol=1e-5)
        else:
            factor = (y_length / length)[:, :1, :1]
            np.testing.assert_allclose(y_length, length * factor, rtol=1e-3, atol=1e-5)


# ---------------------------------------------------------------------------------------------- arguments


def test_num_draws():
    assert A.num_draws("none") == 0
    assert A.num_draws("ada") == draws("ada").shape[1] == 28
    assert A.num_draws("diffaugment") == 7
    x = images()
    assert A.augment(x, np.zeros((BATCH, 0), "float32"), 1.0, "none") is x


@pytest.mark.parametrize("call", [
    lambda: A.num_draws("cutmix"),
    lambda: A.augment(images(), draws("ada"), 1.0, "ada", disabled=("sharpness",)),
    lambda: A.augment(images(channels=4), draws("ada"), 1.0, "ada", color_channels=(0, 4)),
    lambda: A.augment(images(channels=4), draws("ada"), 1.0, "ada", color_channels=(2, 5)),
    lambda: A.AdaController(target=1.5),
    lambda: A.AdaController(max_p=1.2),
    lambda: A.AdaController(interval=0),
])
def test_bad_arguments_are_config_errors(call):
    with pytest.raises(ConfigError):
        call()


# ---------------------------------------------------------------------------------------------- controller


def test_controller_moves_p_towards_the_target_by_the_stated_step():
    controller = A.AdaController(target=0.6, interval=4, speed_images=500_000)
    step = 32 * 4 / 500_000
    assert controller.step_size(32) == pytest.approx(step)
    up = float(controller.next_p(0.3, sign_sum=0.9 * 128, count=128, batch_size=32))  # D sure of reals: overfit
    down = float(controller.next_p(0.3, sign_sum=0.2 * 128, count=128, batch_size=32))
    assert up == pytest.approx(0.3 + step, abs=1e-7)
    assert down == pytest.approx(0.3 - step, abs=1e-7)
    assert float(controller.next_p(0.3, sign_sum=0.6 * 5, count=5, batch_size=32)) == pytest.approx(0.3)
    assert float(controller.next_p(0.3, sign_sum=0.0, count=0, batch_size=32)) == pytest.approx(0.3)


def test_controller_stays_in_zero_to_max_p():
    controller = A.AdaController(max_p=0.75)
    assert float(controller.next_p(0.0, sign_sum=-10, count=10, batch_size=64)) == 0.0
    assert float(controller.next_p(0.75, sign_sum=10, count=10, batch_size=64)) == pytest.approx(0.75)
    assert A.AdaController().max_p == A.MAX_P < 0.8


def test_controller_takes_p_from_zero_to_one_in_speed_images():
    """A discriminator that memorises its reals (sign(D(real)) = +1 always) drives p up at the stated speed."""
    controller = A.AdaController(interval=4, speed_images=10_240, max_p=1.0)
    p, images_seen = 0.0, 0
    while p < 1.0 - 1e-6:
        p = float(controller.next_p(p, sign_sum=4 * 16, count=4 * 16, batch_size=16))
        images_seen += 4 * 16
    assert images_seen == 10_240


# ---------------------------------------------------------------------------------------------- JAX


JAX_CHILD = """
import sys
import numpy as np
from tfskin.gan import augment as A
data = np.load(sys.argv[1])
out = {kind: np.asarray(A.augment(data["x"], data[kind], 0.7, kind)) for kind in ("ada", "diffaugment")}
np.savez(sys.argv[2], **out)
"""


@pytest.mark.jax
def test_jax_and_tensorflow_give_the_same_augmentation(tmp_path):
    from tests.backend_child import run_on_backend

    x = images(channels=5)
    inputs = {"x": x, "ada": draws("ada"), "diffaugment": draws("diffaugment")}
    np.savez(tmp_path / "in.npz", **inputs)
    run_on_backend("jax", "-c", JAX_CHILD, tmp_path / "in.npz", tmp_path / "out.npz")
    jax_out = np.load(tmp_path / "out.npz")
    for kind in ("ada", "diffaugment"):
        tf_out = np.asarray(A.augment(x, inputs[kind], 0.7, kind))
        np.testing.assert_allclose(jax_out[kind], tf_out, atol=1e-4)
