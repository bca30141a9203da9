"""Differentiable augmentations of everything a discriminator sees: ADA (Karras et al. 2020) and DiffAugment
(Zhao et al. 2020), in ``keras.ops`` only, so one code path runs on TensorFlow and JAX.

The randomness comes in as ``draws``: a (batch, :func:`num_draws`) float32 array of uniforms in [0, 1) that the
caller draws statelessly (so a resumed, multi-replica, TensorFlow or JAX step augments exactly alike). Every
draw column has a fixed meaning per kind; a disabled transform leaves its columns unused. Normal and lognormal
parameters come from the draws by the inverse normal CDF.

**ADA** ("bgc" of the paper, the magnitudes of its official code). Each transform is applied to an example with
probability ``p`` (its gate draw < ``p``); where it is applied:

- ``xflip``: mirror left-right with probability 1/2; ``rotate90``: rotate by k * 90 degrees, k uniform in {0..3};
  ``xint``: translate by whole pixels, uniform in +-0.125 of the image size (rounded);
- ``scale``: isotropic scaling by 2^N(0, 0.2^2); ``rotate``: rotation uniform in +-180 degrees, applied before and
  after the anisotropic scaling, each with probability 1 - sqrt(1 - p) (so either one: p);
  ``aniso``: scaling by (s, 1/s), s = 2^N(0, 0.2^2); ``xfrac``: translation by N(0, 0.125^2) of the image size;
- ``brightness``: add N(0, 0.2^2); ``contrast``: multiply by 2^N(0, 0.5^2); ``lumaflip``: flip along the luma
  axis (1, 1, 1)/sqrt(3) with probability 1/2; ``hue``: rotate about the luma axis, uniform in +-180 degrees;
  ``saturation``: scale the part orthogonal to the luma axis by 2^N(0, 1).

The geometric transforms are composed into one affine map per example (in pixel units about the image centre)
and the image is resampled once, bilinearly, with reflection at the borders, on all channels alike (so an image
and a label map concatenated to it stay aligned; a fractional move blends a one-hot map's classes at their
borders, for real and fake inputs alike). The official code upsamples with a wavelet filter before
resampling to limit aliasing; this one does not. The colour transforms are composed into one 3x3 matrix and
offset per example and act on the RGB channels ``color_channels`` only, in the [-1, 1] value range (contrast
and saturation about 0, mid grey). Everything is elementwise arithmetic and gathers, no matrix products, so
TensorFloat-32 on a GPU cannot round it, and at p = 0 every transform is exactly the identity.

Leaking: an augmentation leaks into the generator (it learns to produce augmented images) when the augmented
distribution no longer determines the clean one. For the pipeline above the paper finds that happens only for
p above about 0.8; :data:`MAX_P` caps the controller at 0.75, below that.

**DiffAugment** (policy "color,translation,cutout" of its official code), on every example: brightness + U(-0.5,
0.5), saturation x U(0, 2) about the per-pixel channel mean, contrast x U(0.5, 1.5) about the image mean (colour
channels only); translation by whole pixels, uniform in +-1/8 of the size, zero-filled; cutout of a square
(rectangle) half the image size at a uniform position, set to 0 (both on all channels). ``p`` is ignored except
that p = 0 returns ``x`` unchanged.
"""

import math

from keras import ops

from tfskin.errors import ConfigError

KINDS = ("none", "ada", "diffaugment")

#: The ADA transforms in pipeline order (geometric, then colour), with the draws each one consumes.
_ADA_DRAWS = (("xflip", 2), ("rotate90", 2), ("xint", 3), ("scale", 2), ("rotate", 4), ("aniso", 2), ("xfrac", 3),
              ("brightness", 2), ("contrast", 2), ("lumaflip", 2), ("hue", 2), ("saturation", 2))
_DIFFAUGMENT_DRAWS = (("brightness", 1), ("saturation", 1), ("contrast", 1), ("translation", 2), ("cutout", 2))

TRANSFORMS = tuple(name for name, _ in _ADA_DRAWS)
DIFFAUGMENT_TRANSFORMS = tuple(name for name, _ in _DIFFAUGMENT_DRAWS)
GEOMETRIC = ("xflip", "rotate90", "xint", "scale", "rotate", "aniso", "xfrac")
COLOR = ("brightness", "contrast", "lumaflip", "hue", "saturation")

#: The highest p the ADA controller reaches: below the ~0.8 where the paper sees this pipeline start to leak.
MAX_P = 0.75

# Magnitudes of the official StyleGAN2-ADA pipeline ("bgc") and of DiffAugment's official code.
XINT_MAX = 0.125
SCALE_STD = 0.2
ROTATE_MAX = math.pi
ANISO_STD = 0.2
XFRAC_STD = 0.125
BRIGHTNESS_STD = 0.2
CONTRAST_STD = 0.5
HUE_MAX = math.pi
SATURATION_STD = 1.0
DIFF_TRANSLATION = 0.125
DIFF_CUTOUT = 0.5

_LAYOUTS = {"none": (), "ada": _ADA_DRAWS, "diffaugment": _DIFFAUGMENT_DRAWS}


def _columns(kind: str) -> dict:
    """Transform name -> (first draw column, number of columns) for ``kind``."""
    columns, start = {}, 0
    for name, count in _LAYOUTS[kind]:
        columns[name] = (start, count)
        start += count
    return columns


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ConfigError(f"augment: unknown kind {kind!r}; choose one of {', '.join(KINDS)}")


def num_draws(kind: str) -> int:
    """The number of uniforms per example that one :func:`augment` call of ``kind`` consumes (0 for "none")."""
    _check_kind(kind)
    return sum(count for _, count in _LAYOUTS[kind])


def augment(x, draws, p, kind="ada", color_channels=(0, 3), disabled=()):
    """``x`` (batch, height, width, channels, values in [-1, 1]) augmented per example; same shape and dtype.

    ``draws``: (batch, ``num_draws(kind)``) uniforms in [0, 1); ``p``: the probability of each ADA transform (a
    scalar tensor or number; DiffAugment only checks p > 0). Geometric transforms act on all channels alike;
    colour transforms on the 3 (RGB) channels ``color_channels = (first, end)`` only (None: no colour
    transforms). ``disabled``: names of transforms to skip (see :data:`TRANSFORMS`,
    :data:`DIFFAUGMENT_TRANSFORMS`).
    """
    _check_kind(kind)
    unknown = sorted(set(disabled) - set(TRANSFORMS) - set(DIFFAUGMENT_TRANSFORMS))
    if unknown:
        raise ConfigError(f"augment: unknown transform(s) {', '.join(unknown)}; choose from "
                          f"{', '.join(dict.fromkeys(TRANSFORMS + DIFFAUGMENT_TRANSFORMS))}")
    if kind == "none":
        return x
    channels = x.shape[-1]
    if color_channels is not None:
        first, end = color_channels
        if end - first != 3 or first < 0 or end > channels:
            raise ConfigError(f"augment: color_channels {tuple(color_channels)} must name 3 (RGB) of the "
                              f"{channels} channels")
    columns = _columns(kind)
    draws = ops.cast(draws, "float32")
    p = ops.cast(p, "float32")
    y = ops.cast(x, "float32")
    if kind == "ada":
        y = _ada(y, draws, p, columns, color_channels, set(disabled))
    else:
        y = _diffaugment(y, draws, columns, color_channels, set(disabled))
        y = ops.where(p > 0, y, ops.cast(x, "float32"))
    return ops.cast(y, x.dtype)


class AdaController:
    """ADA's p controller (Karras et al. 2020, section 3), as pure arithmetic: every ``interval`` steps,
    r_t = mean sign(D(real)) over those steps, and p moves by sign(r_t - target) * batch_size * interval /
    speed_images (so p can go from 0 to 1 in ``speed_images`` images), clipped to [0, max_p]."""

    def __init__(self, target=0.6, interval=4, speed_images=500_000, max_p=MAX_P):
        if not 0 < target < 1:
            raise ConfigError(f"ada target {target} must lie in (0, 1)")
        if int(interval) != interval or interval < 1:
            raise ConfigError(f"ada interval {interval} must be a whole number of steps >= 1")
        if speed_images <= 0:
            raise ConfigError(f"ada speed_images {speed_images} must be > 0")
        if not 0 <= max_p <= 1:
            raise ConfigError(f"ada max_p {max_p} must lie in [0, 1]")
        self.target, self.interval, self.speed_images, self.max_p = target, int(interval), speed_images, max_p

    def step_size(self, batch_size):
        """How far p moves in one adjustment for a (global) batch of ``batch_size`` images."""
        return batch_size * self.interval / self.speed_images

    def next_p(self, p, sign_sum, count, batch_size):
        """The new p from the sum of sign(D(real)) over ``count`` logits of the last interval (p unchanged,
        though clipped, when ``count`` is 0)."""
        p = ops.cast(p, "float32")
        count = ops.cast(count, "float32")
        r_t = ops.cast(sign_sum, "float32") / ops.maximum(count, 1.0)
        moved = p + ops.sign(r_t - self.target) * self.step_size(batch_size)
        return ops.clip(ops.where(count > 0, moved, p), 0.0, self.max_p)


# ---------------------------------------------------------------------------------------------------- draws


def _normal(u):
    """Standard normal values from uniforms by the inverse CDF (uniforms clipped off 0 and 1)."""
    u = ops.clip(u, 1e-6, 1.0 - 1e-6)
    return math.sqrt(2.0) * ops.erfinv(2.0 * u - 1.0)


def _draw(draws, columns, name, index):
    return draws[:, columns[name][0] + index]


def _gated(draws, columns, name, p, value, identity):
    """``value`` where the transform's gate draw is below ``p``, else its ``identity`` value."""
    return ops.where(_draw(draws, columns, name, 0) < p, value, identity)


# ---------------------------------------------------------------------------------------------------- ADA


def _ada(x, draws, p, columns, color_channels, disabled):
    batch = ops.shape(x)[0]
    height, width = x.shape[1], x.shape[2]
    ones, zeros = ops.ones((batch,)), ops.zeros((batch,))

    def on(name):
        return name not in disabled

    inverse = None  # maps output pixel coordinates to input ones; None: identity so far

    def then(matrix):  # the next transform acts after the ones so far: its inverse comes last
        nonlocal inverse
        inverse = matrix if inverse is None else _matmul3(inverse, matrix)

    def d(name, index):
        return _draw(draws, columns, name, index)

    if on("xflip"):
        flip = ops.floor(d("xflip", 1) * 2)
        sx = _gated(draws, columns, "xflip", p, 1 - 2 * flip, ones)
        then(_affine(sx, zeros, zeros, ones, zeros, zeros))
    if on("rotate90"):
        k = _gated(draws, columns, "rotate90", p, ops.floor(d("rotate90", 1) * 4), zeros)
        # exact cos/sin of k * 90 degrees (k in 0..3)
        cos = ops.cast(ops.equal(k, 0), "float32") - ops.cast(ops.equal(k, 2), "float32")
        sin = ops.cast(ops.equal(k, 1), "float32") - ops.cast(ops.equal(k, 3), "float32")
        then(_rotation(cos, sin))
    if on("xint"):
        tx = ops.round((d("xint", 1) * 2 - 1) * XINT_MAX * width)
        ty = ops.round((d("xint", 2) * 2 - 1) * XINT_MAX * height)
        then(_translation(_gated(draws, columns, "xint", p, -tx, zeros),
                          _gated(draws, columns, "xint", p, -ty, zeros)))
    if on("scale"):
        s = _gated(draws, columns, "scale", p, ops.power(2.0, _normal(d("scale", 1)) * SCALE_STD), ones)
        then(_affine(1 / s, zeros, zeros, 1 / s, zeros, zeros))
    p_rotate = 1 - ops.sqrt(ops.clip(1 - p, 0.0, 1.0))  # pre or post rotation: p
    if on("rotate"):
        theta = ops.where(d("rotate", 0) < p_rotate, (d("rotate", 1) * 2 - 1) * ROTATE_MAX, zeros)
        then(_rotation(ops.cos(theta), -ops.sin(theta)))
    if on("aniso"):
        s = _gated(draws, columns, "aniso", p, ops.power(2.0, _normal(d("aniso", 1)) * ANISO_STD), ones)
        then(_affine(1 / s, zeros, zeros, s, zeros, zeros))
    if on("rotate"):
        theta = ops.where(d("rotate", 2) < p_rotate, (d("rotate", 3) * 2 - 1) * ROTATE_MAX, zeros)
        then(_rotation(ops.cos(theta), -ops.sin(theta)))
    if on("xfrac"):
        tx = _normal(d("xfrac", 1)) * XFRAC_STD * width
        ty = _normal(d("xfrac", 2)) * XFRAC_STD * height
        then(_translation(_gated(draws, columns, "xfrac", p, -tx, zeros),
                          _gated(draws, columns, "xfrac", p, -ty, zeros)))
    if inverse is not None:
        x = _resample_affine(x, inverse)

    if color_channels is None or not any(on(name) for name in COLOR):
        return x
    matrix, offset = None, ops.zeros((batch, 3))

    def then_color(a_identity, a_cross, a_luma, shift=None):
        """Composes A = a_identity I + a_cross K + a_luma v v^T (K: cross product with the luma axis v), then
        adds ``shift`` to every channel."""
        nonlocal matrix, offset
        step = _luma_matrix(a_identity, a_cross, a_luma)
        matrix = step if matrix is None else _matmul3(step, matrix)
        offset = _matvec3(step, offset)
        if shift is not None:
            offset = offset + shift[:, None]

    if on("brightness"):
        b = _gated(draws, columns, "brightness", p, _normal(d("brightness", 1)) * BRIGHTNESS_STD, zeros)
        then_color(ones, zeros, zeros, b)
    if on("contrast"):
        c = _gated(draws, columns, "contrast", p, ops.power(2.0, _normal(d("contrast", 1)) * CONTRAST_STD), ones)
        then_color(c, zeros, zeros)
    if on("lumaflip"):
        flip = _gated(draws, columns, "lumaflip", p, ops.floor(d("lumaflip", 1) * 2), zeros)
        then_color(ones, zeros, -2 * flip)
    if on("hue"):
        theta = _gated(draws, columns, "hue", p, (d("hue", 1) * 2 - 1) * HUE_MAX, zeros)
        cos = ops.cos(theta)
        then_color(cos, ops.sin(theta), 1 - cos)
    if on("saturation"):
        s = _gated(draws, columns, "saturation", p, ops.power(2.0, _normal(d("saturation", 1)) * SATURATION_STD),
                   ones)
        then_color(s, zeros, 1 - s)
    first, end = color_channels
    rgb = [x[..., c] for c in range(first, end)]
    # y_i = sum_j M_ij x_j + b_i, elementwise per channel
    entry = [[matrix[:, i, j][:, None, None] for j in range(3)] for i in range(3)]
    rgb = ops.stack([entry[i][0] * rgb[0] + entry[i][1] * rgb[1] + entry[i][2] * rgb[2]
                     + offset[:, i][:, None, None] for i in range(3)], axis=-1)
    return ops.concatenate([x[..., :first], rgb, x[..., end:]], axis=-1)


def _stack3(rows):
    """A (B, 3, 3) matrix from 3 rows of 3 (B,) entries."""
    return ops.stack([ops.stack(row, axis=-1) for row in rows], axis=-2)


def _affine(a, b, c, d, tx, ty):
    """The (B, 3, 3) homogeneous matrices [[a, b, tx], [c, d, ty], [0, 0, 1]]."""
    zeros, ones = ops.zeros_like(a), ops.ones_like(a)
    return _stack3([[a, b, tx], [c, d, ty], [zeros, zeros, ones]])


def _rotation(cos, sin):
    zeros = ops.zeros_like(cos)
    return _affine(cos, -sin, sin, cos, zeros, zeros)


def _translation(tx, ty):
    ones, zeros = ops.ones_like(tx), ops.zeros_like(tx)
    return _affine(ones, zeros, zeros, ones, tx, ty)


def _matmul3(a, b):
    """Batched (B, 3, 3) @ (B, 3, 3) as elementwise products (no TensorFloat-32 rounding on GPUs)."""
    return ops.sum(a[:, :, :, None] * b[:, None, :, :], axis=2)


def _matvec3(a, v):
    return ops.sum(a * v[:, None, :], axis=-1)


_LUMA = 1 / math.sqrt(3)
_LUMA_OUTER = [[1 / 3] * 3] * 3
_LUMA_CROSS = [[0.0, -_LUMA, _LUMA], [_LUMA, 0.0, -_LUMA], [-_LUMA, _LUMA, 0.0]]
_IDENTITY = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]


def _luma_matrix(a_identity, a_cross, a_luma):
    """(B, 3, 3) matrices a_identity I + a_cross K + a_luma v v^T; exactly I for (1, 0, 0)."""
    def term(coefficient, constant):
        return coefficient[:, None, None] * ops.convert_to_tensor(constant, "float32")[None]

    return term(a_identity, _IDENTITY) + term(a_cross, _LUMA_CROSS) + term(a_luma, _LUMA_OUTER)


# ---------------------------------------------------------------------------------------------------- sampling


def _pixel_grid(height, width):
    """Output pixel centres in coordinates about the image centre: two (H*W,) arrays (x, y)."""
    xs = ops.arange(width, dtype="float32") - (width - 1) / 2
    ys = ops.arange(height, dtype="float32") - (height - 1) / 2
    return ops.reshape(ops.tile(xs[None, :], (height, 1)), (-1,)), ops.reshape(ops.tile(ys[:, None], (1, width)),
                                                                               (-1,))


def _reflect(u, size):
    """Coordinates ``u`` mirrored into [0, size - 1] (reflection without repeating the edge pixel)."""
    if size == 1:
        return ops.zeros_like(u)
    period = 2.0 * (size - 1)
    u = u - period * ops.floor(u / period)
    return (size - 1) - ops.abs(u - (size - 1))


def _resample_affine(x, inverse):
    """``x`` resampled bilinearly at ``inverse`` @ (output pixel), reflecting at the borders."""
    height, width = x.shape[1], x.shape[2]
    gx, gy = _pixel_grid(height, width)
    m = [[inverse[:, i, j][:, None] for j in range(3)] for i in range(2)]
    cols = m[0][0] * gx + m[0][1] * gy + m[0][2] + (width - 1) / 2
    rows = m[1][0] * gx + m[1][1] * gy + m[1][2] + (height - 1) / 2
    return _bilinear(x, _reflect(rows, height), _reflect(cols, width))


def _bilinear(x, rows, cols):
    """``x`` at (B, H*W) fractional ``rows``, ``cols`` inside the image, back in (B, H, W, C)."""
    height, width, channels = x.shape[1], x.shape[2], x.shape[3]
    r0, c0 = ops.floor(rows), ops.floor(cols)
    fr, fc = (rows - r0)[..., None], (cols - c0)[..., None]
    r0, c0 = ops.cast(r0, "int32"), ops.cast(c0, "int32")
    r1, c1 = ops.minimum(r0 + 1, height - 1), ops.minimum(c0 + 1, width - 1)
    # one gather along the first axis of (B * H * W, C) rows: several times faster than take_along_axis on TF
    flat = ops.reshape(x, (-1, channels))
    first_row = (ops.arange(ops.shape(x)[0], dtype="int32") * (height * width))[:, None]

    def at(r, c):
        return ops.take(flat, first_row + r * width + c, axis=0)

    top = at(r0, c0) * (1 - fc) + at(r0, c1) * fc
    bottom = at(r1, c0) * (1 - fc) + at(r1, c1) * fc
    return ops.reshape(top * (1 - fr) + bottom * fr, (-1, height, width, channels))


# ---------------------------------------------------------------------------------------------------- DiffAugment


def _diffaugment(x, draws, columns, color_channels, disabled):
    height, width = x.shape[1], x.shape[2]

    def d(name, index):
        return _draw(draws, columns, name, index)[:, None, None, None]

    if color_channels is not None:
        first, end = color_channels
        rgb = x[..., first:end]
        if "brightness" not in disabled:
            rgb = rgb + (d("brightness", 0) - 0.5)
        if "saturation" not in disabled:
            mean = ops.mean(rgb, axis=-1, keepdims=True)
            rgb = (rgb - mean) * (d("saturation", 0) * 2) + mean
        if "contrast" not in disabled:
            mean = ops.mean(rgb, axis=(1, 2, 3), keepdims=True)
            rgb = (rgb - mean) * (d("contrast", 0) + 0.5) + mean
        x = ops.concatenate([x[..., :first], rgb, x[..., end:]], axis=-1)
    rows = ops.arange(height, dtype="float32")[None, :, None, None]
    cols = ops.arange(width, dtype="float32")[None, None, :, None]
    if "translation" not in disabled:
        shift_y, shift_x = int(height * DIFF_TRANSLATION + 0.5), int(width * DIFF_TRANSLATION + 0.5)
        ty = ops.floor(d("translation", 0) * (2 * shift_y + 1)) - shift_y
        tx = ops.floor(d("translation", 1) * (2 * shift_x + 1)) - shift_x
        src_r, src_c = rows - ty, cols - tx  # (B, H, W, 1)
        inside = (src_r >= 0) & (src_r <= height - 1) & (src_c >= 0) & (src_c <= width - 1)
        batch_rows = ops.reshape(ops.clip(src_r + ops.zeros_like(src_c), 0, height - 1), (-1, height * width))
        batch_cols = ops.reshape(ops.clip(src_c + ops.zeros_like(src_r), 0, width - 1), (-1, height * width))
        x = _bilinear(x, batch_rows, batch_cols) * ops.cast(inside, "float32")
    if "cutout" not in disabled:
        size_y, size_x = int(height * DIFF_CUTOUT + 0.5), int(width * DIFF_CUTOUT + 0.5)
        top = ops.floor(d("cutout", 0) * (height + 1 - size_y % 2)) - size_y // 2
        left = ops.floor(d("cutout", 1) * (width + 1 - size_x % 2)) - size_x // 2
        hole = (rows >= top) & (rows < top + size_y) & (cols >= left) & (cols < left + size_x)
        x = x * (1 - ops.cast(hole, "float32"))
    return x
