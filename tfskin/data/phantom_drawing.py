"""Vectorised NumPy drawing primitives for the procedural phantoms (float32 throughout).

Positions are in isotropic *units*: the shorter image side spans [-1, 1] and the image centre is the
origin, so everything drawn in units scales with the image size and stays round on non-square images.
"""

from __future__ import annotations

import functools
import math
from statistics import NormalDist

import numpy as np

F32 = np.float32
TAU = 2.0 * math.pi
_ANGLE_TABLE_SIZE = 2048


class Canvas:
    """Pixel-centre coordinate grids and cached noise interpolators for one image size."""

    def __init__(self, height: int, width: int):
        self.height, self.width = int(height), int(width)
        self.scale = min(self.height, self.width) / 2.0  # pixels per unit
        self.pixel = 1.0 / self.scale  # units per pixel
        x = (np.arange(self.width) + 0.5 - self.width / 2.0) / self.scale
        y = (np.arange(self.height) + 0.5 - self.height / 2.0) / self.scale
        self.x_half, self.y_half = self.width / 2.0 / self.scale, self.height / 2.0 / self.scale
        self.half_diagonal = math.hypot(self.x_half, self.y_half)
        self.u = np.ascontiguousarray(np.broadcast_to(x.astype(F32)[None, :], (self.height, self.width)))
        self.v = np.ascontiguousarray(np.broadcast_to(y.astype(F32)[:, None], (self.height, self.width)))
        self.radius = np.sqrt(self.u * self.u + self.v * self.v)  # distance from the image centre
        for grid in (self.u, self.v, self.radius):
            grid.flags.writeable = False
        self._x, self._y = x, y
        self._interp = {}

    @property
    def shape(self):
        return (self.height, self.width)

    def _interpolators(self, cells_per_unit: float):
        # Quantise the feature size to 1/8 octave so the cache stays small.
        key = int(round(8.0 * math.log2(max(cells_per_unit, 0.25))))
        if key not in self._interp:
            cells = 2.0 ** (key / 8.0)
            self._interp[key] = (_interp_matrix(self._y, cells), np.ascontiguousarray(_interp_matrix(self._x, cells).T))
        return self._interp[key]

    def noise(self, rng: np.random.Generator, cells_per_unit: float) -> np.ndarray:
        """Smooth Gaussian noise with unit variance and feature size ~1/cells_per_unit units."""
        rows, cols_t = self._interpolators(cells_per_unit)
        grid = rng.standard_normal((rows.shape[1], cols_t.shape[0]), dtype=F32)
        return _small_matmul(rows, _small_matmul(grid, cols_t))

    def fractal(self, rng: np.random.Generator, octaves) -> np.ndarray:
        """Sum of noise octaves given as (cells_per_unit, amplitude) pairs."""
        out = None
        for cells, amplitude in octaves:
            layer = self.noise(rng, cells)
            layer *= F32(amplitude)
            out = layer if out is None else out + layer
        return out

    def sample(self, field: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Nearest-pixel values of ``field`` at unit positions; 0 outside the image."""
        col = np.floor(u * self.scale + self.width / 2.0).astype(np.int64)
        row = np.floor(v * self.scale + self.height / 2.0).astype(np.int64)
        inside = (col >= 0) & (col < self.width) & (row >= 0) & (row < self.height)
        values = field[np.clip(row, 0, self.height - 1), np.clip(col, 0, self.width - 1)]
        return np.where(inside, values, F32(0))


def _small_matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a @ b in row blocks small enough for BLAS to stay single-threaded.

    Waking BLAS threads for these small products costs far more than the product itself on small
    (or busy) machines; the result is identical to a @ b.
    """
    rows = a.shape[0]
    block = max(1, _SINGLE_THREAD_FLOPS // max(1, a.shape[1] * b.shape[1]))
    if block >= rows:
        return a @ b
    out = np.empty((rows, b.shape[1]), np.result_type(a, b))
    for i in range(0, rows, block):
        np.matmul(a[i:i + block], b, out=out[i:i + block])
    return out


_SINGLE_THREAD_FLOPS = 200_000


def _interp_matrix(coords: np.ndarray, cells_per_unit: float) -> np.ndarray:
    """Rows map noise-grid nodes to pixels with a Gaussian kernel, scaled so the output has unit variance."""
    spacing = 1.0 / cells_per_unit
    lo = coords.min() - 2.0 * spacing
    count = int(math.ceil((coords.max() + 2.0 * spacing - lo) / spacing)) + 1
    nodes = lo + spacing * np.arange(count)
    dist = (coords[:, None] - nodes[None, :]) / (0.6 * spacing)
    weights = np.exp(-0.5 * dist * dist)
    weights[weights < 1e-6] = 0.0  # no float32 denormals: they make matmul very slow
    weights /= np.sqrt((weights * weights).sum(axis=1, keepdims=True))
    return weights.astype(F32)


@functools.lru_cache(maxsize=16)
def get_canvas(height: int, width: int) -> Canvas:
    return Canvas(height, width)


def coverage_threshold(coverage: float) -> float:
    """Threshold t with P(N(0,1) > t) = coverage."""
    coverage = min(max(coverage, 1e-4), 1.0 - 1e-4)
    return NormalDist().inv_cdf(1.0 - coverage)


def ramp(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Linear 0..1 ramp of x between lo and hi (either order), clipped."""
    out = (x - F32(lo)) * F32(1.0 / (hi - lo))
    return np.clip(out, 0.0, 1.0, out=out)


def lerp_into(image: np.ndarray, colour, alpha: np.ndarray) -> None:
    """image += alpha * (colour - image), in place; colour is (3,) or (H, W, 3)."""
    image += alpha[..., None] * (np.asarray(colour, dtype=F32) - image)


def angle_table(radius: float, harmonics, ellipse=(1.0, 0.0)) -> np.ndarray:
    """Border radius per angle bin: radius * ellipse * (1 + sum a_k cos(k (theta - phase_k)))."""
    theta = (np.arange(_ANGLE_TABLE_SIZE) + 0.5) * (TAU / _ANGLE_TABLE_SIZE) - math.pi
    aspect, tilt = ellipse
    ell = 1.0 / np.sqrt(np.cos(theta - tilt) ** 2 + (np.sin(theta - tilt) / aspect) ** 2)
    wobble = np.ones_like(theta)
    for k, amplitude, phase in harmonics:
        wobble += amplitude * np.cos(k * (theta - phase))
    table = radius * np.sqrt(aspect) * ell * np.maximum(wobble, 0.35)
    return table.astype(F32)


def angle_lookup(table: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """Look up a per-angle table (from angle_table) at angles theta in [-pi, pi]."""
    n = table.shape[0]
    idx = ((theta + F32(math.pi)) * F32(n / TAU)).astype(np.int32)
    np.clip(idx, 0, n - 1, out=idx)
    return table[idx]


def cellular_dots(canvas: Canvas, rng, cell: float, radius=(0.2, 0.35), density=None, edge_px: float = 1.0,
                  squash: float = 1.0, warp: float = 0.0):
    """Round dots on a rotated jittered grid, at most one per cell (fully vectorised).

    cell: cell size in units; radius: dot radius range as a fraction of the cell (< 0.5);
    density: (H, W) probability that a dot centred on that pixel is kept (None = all);
    squash: <1 makes dots elliptical; warp: smooth displacement (in cells) that hides the grid.
    Returns (alpha, shade): alpha 0..1 and a per-dot uniform value.
    """
    angle = rng.uniform(0.0, TAU)
    offset = rng.random(2)
    c, s = math.cos(angle), math.sin(angle)
    half = int(math.ceil(canvas.half_diagonal / cell)) + 2
    size = 2 * half
    r_hi = min(radius[1], 0.49)
    rad = rng.uniform(radius[0], r_hi, (size, size))
    cx = rad + rng.random((size, size)) * (1.0 - 2.0 * rad)  # each dot stays inside its cell
    cy = rad + rng.random((size, size)) * (1.0 - 2.0 * rad)
    shade = rng.random((size, size))
    keep = rng.random((size, size))
    if density is not None:
        jj, ii = np.meshgrid(np.arange(size) - half, np.arange(size) - half)
        a = (jj + cx - offset[0]) * cell
        b = (ii + cy - offset[1]) * cell
        centre_density = canvas.sample(density, a * c - b * s, a * s + b * c)
        rad = np.where(keep < centre_density, rad, -1.0)
    params = np.stack([cx, cy, rad, shade]).reshape(4, -1).astype(F32)

    x = (canvas.u * F32(c / cell) + canvas.v * F32(s / cell)) + F32(offset[0] + half)
    y = (canvas.v * F32(c / cell) - canvas.u * F32(s / cell)) + F32(offset[1] + half)
    if warp > 0:
        x += canvas.noise(rng, 0.4 / cell) * F32(warp)
        y += canvas.noise(rng, 0.4 / cell) * F32(warp)
    xi = np.floor(x)
    yi = np.floor(y)
    x -= xi
    y -= yi
    flat = yi.astype(np.int32) * size + xi.astype(np.int32)
    pcx, pcy, prad, pshade = np.take(params, flat, axis=1)
    x -= pcx
    y -= pcy
    if squash != 1.0:
        y *= F32(1.0 / squash)
    dist = np.sqrt(x * x + y * y)
    alpha = (prad - dist) * F32(cell * canvas.scale / edge_px) + F32(0.5)
    np.clip(alpha, 0.0, 1.0, out=alpha)
    return alpha, pshade


def _hex_field(x, y, k, angle, phase1, phase2):
    """Sum of three cosines at 120 degrees: a hexagonal lattice of maxima (holes) in [-1.5, 3]."""
    field = None
    for i, phase in enumerate((phase1, phase2, -phase1 - phase2)):
        a = angle + i * TAU / 3.0
        term = np.cos(x * F32(k * math.cos(a)) + y * F32(k * math.sin(a)) + F32(phase))
        field = term if field is None else field + term
    return field


def _hex_quantiles() -> np.ndarray:
    """Quantiles (0..1 in 1% steps) of the hexagonal field over one period, for line-coverage thresholds."""
    t = (np.arange(400) + 0.5) / 400.0
    x, y = np.meshgrid(t * 2.0 * math.pi, t * 2.0 * math.pi * math.sqrt(3.0))
    field = _hex_field(x, y, 1.0, 0.0, 0.0, 0.0)
    return np.quantile(field, np.linspace(0.0, 1.0, 101))


_HEX_QUANTILES = _hex_quantiles()


def hex_network(canvas: Canvas, rng, period: float, line_fraction: float, warp: float = 0.15,
                width_jitter: float = 0.0, min_period_px: float = 3.5) -> np.ndarray:
    """Honeycomb-like reticular lines (1 on lines, 0 in holes), warped by smooth noise.

    period: hole spacing in units (at least min_period_px pixels); line_fraction: share of the area
    covered by lines; width_jitter: spatial variation of the line width (atypical networks).
    """
    period = max(period, min_period_px * canvas.pixel)
    angle = rng.uniform(0.0, TAU)
    k = 4.0 * math.pi / (math.sqrt(3.0) * period)
    cells = 1.0 / (2.5 * period)
    x = canvas.u + canvas.noise(rng, cells) * F32(warp * period)
    y = canvas.v + canvas.noise(rng, cells) * F32(warp * period)
    phase1, phase2 = rng.uniform(0.0, TAU, 2)
    field = _hex_field(x, y, k, angle, phase1, phase2)
    threshold = F32(np.interp(min(max(line_fraction, 0.0), 1.0), np.linspace(0.0, 1.0, 101), _HEX_QUANTILES))
    if width_jitter > 0:
        threshold = threshold + canvas.noise(rng, 3.0) * F32(width_jitter)
    softness = F32(max(k * canvas.pixel * 1.5, 0.2))
    out = (threshold - field) / softness + F32(0.5)
    return np.clip(out, 0.0, 1.0, out=out)


def noise_lines(canvas: Canvas, rng, cells: float, width: float, field=None) -> np.ndarray:
    """Meandering lines along the zero set of smooth noise (or of ``field`` made with the same cells).

    width: full line width in units (at least ~1 px). Returns alpha 0..1.
    """
    if field is None:
        field = canvas.noise(rng, cells)
    slope = 1.5 * cells  # median |grad| of unit-variance noise with this feature size
    half_px = 0.5 * max(width, 1.1 * canvas.pixel) * canvas.scale
    out = F32(half_px + 0.5) - np.abs(field) * F32(canvas.scale / slope)
    return np.clip(out, 0.0, 1.0, out=out)


def branching_vessels(canvas: Canvas, rng, cells: float, width: float) -> np.ndarray:
    """Arborizing vessels: thick meandering trunks plus finer branches sprouting next to them."""
    trunk_field = canvas.noise(rng, cells)
    trunks = noise_lines(canvas, rng, cells, width, trunk_field)
    near = np.clip(F32(1.0) - np.abs(trunk_field) * F32(1.2), 0.0, 1.0)
    branches = noise_lines(canvas, rng, cells * 2.6, width * 0.6)
    branches *= near
    twigs = noise_lines(canvas, rng, cells * 6.0, width * 0.4)
    twigs *= np.clip(near * F32(2.0) - F32(1.0), 0.0, 1.0)
    return np.maximum(np.maximum(trunks, branches), twigs)


def radial_streaks(canvas: Canvas, rng, rho, theta, q, count: int, keep, q_range=(0.75, 1.2),
                   width: float = 0.015, wiggle: float = 0.03) -> np.ndarray:
    """Radial lines around a lesion border, one candidate per angular sector.

    keep: per-sector probability (scalar or (count,) array); q: relative radius (0 centre, 1 border).
    """
    sector = TAU / count
    offset = rng.uniform(0.0, sector)
    present = rng.random(count) < np.broadcast_to(np.asarray(keep, dtype=float), (count,))
    centre = (np.arange(count) + 0.5 + rng.uniform(-0.2, 0.2, count)) * sector - offset
    q0 = rng.uniform(q_range[0], q_range[0] + 0.15, count)
    q1 = rng.uniform(q_range[1] - 0.15, q_range[1], count)
    widths = width * rng.uniform(0.7, 1.3, count)
    table = np.stack([centre, q0, q1, np.where(present, widths, -1.0)]).astype(F32)

    bent = theta + canvas.noise(rng, 4.0) * F32(wiggle)
    idx = np.floor((bent + F32(offset)) * F32(1.0 / sector)).astype(np.int32) % count
    c_ang, s_q0, s_q1, s_w = np.take(table, idx, axis=1)
    dist = rho * np.abs(np.sin(bent - c_ang))
    span = np.maximum(s_q1 - s_q0, F32(1e-3))
    taper = F32(1.0) - F32(0.6) * np.clip((q - s_q0) / span, 0.0, 1.0)
    alpha = (s_w * taper - dist) * F32(canvas.scale) + F32(0.5)
    np.clip(alpha, 0.0, 1.0, out=alpha)
    alpha *= np.clip((q - s_q0) * F32(1 / 0.06), 0.0, 1.0)
    alpha *= np.clip((s_q1 - q) * F32(1 / 0.06), 0.0, 1.0)
    return alpha


def curved_strokes(canvas: Canvas, rng, count: int, width=(0.01, 0.02), length=(0.8, 2.5),
                   curvature: float = 0.4, centre_spread: float = 1.0) -> np.ndarray:
    """Thin parabolic strokes (hairs, pen lines), antialiased; returns alpha 0..1."""
    alpha = np.zeros(canvas.shape, F32)
    for _ in range(count):
        px = rng.uniform(-canvas.x_half, canvas.x_half) * centre_spread
        py = rng.uniform(-canvas.y_half, canvas.y_half) * centre_spread
        angle = rng.uniform(0.0, math.pi)
        bend = rng.normal(0.0, curvature)
        half_len = 0.5 * rng.uniform(*length)
        half_w = 0.5 * max(rng.uniform(*width), 0.9 * canvas.pixel)
        c, s = math.cos(angle), math.sin(angle)
        window = _stroke_window(canvas, px, py, c, s, bend, half_len, half_w)
        if window is None:
            continue
        rows, cols = window
        du = canvas.u[:1, cols] - F32(px)     # (1, w): the same float32 values as the full grids, computed
        dv = canvas.v[rows, :1] - F32(py)     # (h, 1)  once per row / column and broadcast
        along = du * F32(c) + dv * F32(s)
        across = dv * F32(c) - du * F32(s)
        across -= F32(bend) * along * along
        slope = F32(2.0 * bend) * along
        dist = np.abs(across) / np.sqrt(F32(1.0) + slope * slope)
        stroke = (F32(half_w) - dist) * F32(canvas.scale) + F32(0.5)
        np.clip(stroke, 0.0, 1.0, out=stroke)
        stroke *= np.clip((F32(half_len) - np.abs(along)) * F32(canvas.scale * 0.3), 0.0, 1.0)
        np.maximum(alpha[window], stroke, out=alpha[window])
    return alpha


def _stroke_window(canvas: Canvas, px, py, c, s, bend, half_len, half_w):
    """Row/col slices holding every pixel a parabolic stroke can touch (conservative), or None if off-image.

    The stroke is nonzero only where |along| < half_len and its distance to the curve across = bend * along^2
    is below half_w + half a pixel; that distance is at least |across residual| / sqrt(1 + slope^2), so a
    margin of (half_w + 2 px) * sqrt(1 + (2 bend half_len)^2) across the curve's extent bounds it."""
    margin = (half_w + 2.0 * canvas.pixel) * math.sqrt(1.0 + (2.0 * bend * half_len) ** 2)
    sag = bend * half_len * half_len
    a_lo, a_hi = -half_len - 2.0 * canvas.pixel, half_len + 2.0 * canvas.pixel
    b_lo, b_hi = min(0.0, sag) - margin, max(0.0, sag) + margin
    xs = [px + a * c - b * s for a in (a_lo, a_hi) for b in (b_lo, b_hi)]  # rotated box corners
    ys = [py + a * s + b * c for a in (a_lo, a_hi) for b in (b_lo, b_hi)]
    c0 = max(int(math.floor(min(xs) * canvas.scale + canvas.width / 2.0)) - 1, 0)
    c1 = min(int(math.ceil(max(xs) * canvas.scale + canvas.width / 2.0)) + 1, canvas.width)
    r0 = max(int(math.floor(min(ys) * canvas.scale + canvas.height / 2.0)) - 1, 0)
    r1 = min(int(math.ceil(max(ys) * canvas.scale + canvas.height / 2.0)) + 1, canvas.height)
    if c0 >= c1 or r0 >= r1:
        return None
    return slice(r0, r1), slice(c0, c1)


def disc_window(canvas: Canvas, cx: float, cy: float, radius: float):
    """Row/col slices of the pixels within ``radius`` (+2 px) of a point, or None if off-image."""
    pad = radius + 2.0 * canvas.pixel
    c0 = max(int(math.floor((cx - pad) * canvas.scale + canvas.width / 2.0)), 0)
    c1 = min(int(math.ceil((cx + pad) * canvas.scale + canvas.width / 2.0)), canvas.width)
    r0 = max(int(math.floor((cy - pad) * canvas.scale + canvas.height / 2.0)), 0)
    r1 = min(int(math.ceil((cy + pad) * canvas.scale + canvas.height / 2.0)), canvas.height)
    if c0 >= c1 or r0 >= r1:
        return None
    return slice(r0, r1), slice(c0, c1)
