"""Procedural phantom dermoscopy dataset: a NumPy stand-in for ISIC images, masks and labels.

Each example is a pure function of (seed, global index, height, width, class_prior): its label comes from
``SeedSequence([seed, index, 0])`` and its appearance from ``SeedSequence([seed, index, 1])``, so
batches can be generated in any chunking, order or process and still agree byte for byte.

Classes follow real dermoscopic cues (nevi: symmetric, brown, regular network; melanoma: asymmetric,
multicoloured, streaks, atypical/negative network; BCC: pink with arborizing vessels and blue-grey nests;
BKL: waxy with milia-like cysts; DF: central white patch and brown ring; VASC: red-purple lacunae;
AK/SCC: red, scaly, dotted vessels), with deliberate overlap between classes. Masks are the exact drawn
regions: ``mask`` is the painted lesion, and each attribute mask is where that structure was painted
(network regions for pigment/negative network, the dots for globules and milia-like cysts, the lines for
streaks), clipped to the lesion.

Acquisition domains (``DOMAINS``): ``dermoscope`` (the default) and ``clinic``, a shifted test domain that
photographs the same lesions the way a clinical camera and another population would (colour cast and
white-balance spread, flash fall-off, lens vignette instead of a dermoscope field of view, blur, specular
glare, surface haze, more hair, a darker skin-tone mix, a smaller lesion in the frame). Labels and class cues
are the same in every domain. Named data takes it as ``phantoms:domain=clinic``; a class mix other than ISIC
2019's as ``phantoms:melanoma=0.3`` (``prior_with_shares``), and both together as
``phantoms:domain=clinic,melanoma=0.3``.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

from tfskin.classes import ATTRIBUTE_NAMES, CLASS_NAMES, MALIGNANT_CLASSES, default_class_prior
from tfskin.data.phantom_drawing import (
    F32,
    Canvas,
    angle_lookup,
    angle_table,
    branching_vessels,
    cellular_dots,
    coverage_threshold,
    curved_strokes,
    disc_window,
    get_canvas,
    hex_network,
    lerp_into,
    noise_lines,
    radial_streaks,
    ramp,
)
from tfskin.errors import ConfigError

__all__ = ["AcquisitionDomain", "DOMAINS", "DEFAULT_DOMAIN", "PhantomSpec", "generate_phantoms", "get_domain",
           "prior_with_shares",
           "phantom_labels", "phantom_label_counts"]

MIN_SIZE = 16
_MALIGNANT_BY_INDEX = np.array([name in MALIGNANT_CLASSES for name in CLASS_NAMES])
_LABEL_STREAM, _APPEARANCE_STREAM, _ACQUISITION_STREAM = 0, 1, 2
_MAX_LESION_RADIUS = 0.95  # units (the shorter image side spans 2 units)
_LESION_FIELD_RADIUS = 1.25  # no lesion pixel lies further than this from the image centre


def _c(*rgb):
    return np.array(rgb, dtype=F32)


# Dermoscopic colours (linear 0..1 RGB, before illumination and camera cast).
SKIN_KEYS = ((0.0, _c(0.95, 0.81, 0.75)), (0.35, _c(0.89, 0.69, 0.59)),
             (0.65, _c(0.75, 0.53, 0.39)), (1.0, _c(0.47, 0.32, 0.23)))
TAN = _c(0.76, 0.60, 0.44)
LIGHT_BROWN = _c(0.68, 0.46, 0.31)
MID_BROWN = _c(0.52, 0.32, 0.20)
DARK_BROWN = _c(0.33, 0.19, 0.12)
BLACK = _c(0.11, 0.08, 0.08)
BLUE_GREY = _c(0.43, 0.47, 0.56)
BLUE_WHITE = _c(0.63, 0.68, 0.78)
RED = _c(0.80, 0.33, 0.32)
PINK = _c(0.91, 0.62, 0.60)
WHITE = _c(0.94, 0.90, 0.88)
VESSEL_RED = _c(0.72, 0.12, 0.16)
KERATIN = _c(0.96, 0.93, 0.80)
MILIA = _c(0.99, 0.97, 0.88)
PURPLE = _c(0.46, 0.15, 0.30)
CRUST = _c(0.42, 0.14, 0.10)
PEN_COLOURS = (_c(0.36, 0.22, 0.58), _c(0.18, 0.30, 0.60), _c(0.15, 0.45, 0.30))


def _mix(a, b, t):
    return (a + (b - a) * F32(t)).astype(F32)


# --------------------------------------------------------------------------------------------------
# Arguments and labels
# --------------------------------------------------------------------------------------------------

def _check_int(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ConfigError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise ConfigError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def _normalise_prior(class_prior) -> np.ndarray:
    if class_prior is None:
        class_prior = default_class_prior()
    try:
        prior = np.asarray(class_prior, dtype=np.float64)
    except (TypeError, ValueError):
        raise ConfigError(f"class_prior must be a sequence of {len(CLASS_NAMES)} numbers") from None
    if prior.shape != (len(CLASS_NAMES),):
        raise ConfigError(f"class_prior must have {len(CLASS_NAMES)} entries ({', '.join(CLASS_NAMES)}), "
                         f"got shape {prior.shape}")
    if not np.all(np.isfinite(prior)) or np.any(prior < 0):
        raise ConfigError("class_prior entries must be finite and non-negative")
    if prior.sum() <= 0:
        raise ConfigError("class_prior must sum to a positive value")
    return prior / prior.sum()


def prior_with_shares(shares: dict, base=None) -> tuple:
    """A class prior (CLASS_NAMES order) in which each class of ``shares`` (name -> probability) has exactly that
    share and the other classes split the rest in the proportions of ``base`` (None = the ISIC 2019 prior); e.g.
    ``{"MEL": 0.3}`` gives the ~30% melanoma mix of the Interactive Atlas of Dermoscopy."""
    prior = _normalise_prior(base)
    fixed = {}
    for name, share in shares.items():
        if name not in CLASS_NAMES:
            raise ConfigError(f"unknown class {name!r} in a class mix; valid: {', '.join(CLASS_NAMES)}")
        share = float(share)
        if not 0.0 <= share <= 1.0:
            raise ConfigError(f"class share {name}={share:g} must lie in [0, 1]")
        fixed[CLASS_NAMES.index(name)] = share
    rest = 1.0 - sum(fixed.values())
    free = [i for i in range(len(CLASS_NAMES)) if i not in fixed]
    free_mass = float(sum(prior[i] for i in free))
    if rest < -1e-9 or (rest > 1e-9 and free_mass <= 0):
        raise ConfigError(f"class shares {shares} do not leave a valid prior (they must sum to at most 1)")
    out = np.zeros(len(CLASS_NAMES))
    for i, share in fixed.items():
        out[i] = share
    for i in free:
        out[i] = max(rest, 0.0) * prior[i] / free_mass if free_mass > 0 else 0.0
    return tuple(float(v) for v in _normalise_prior(out))


def _label_for(seed: int, index: int, cdf: np.ndarray, last_positive: int) -> int:
    draw = np.random.default_rng(np.random.SeedSequence([seed, index, _LABEL_STREAM])).random()
    return min(int(np.searchsorted(cdf, draw, side="right")), last_positive)


def phantom_labels(n: int, seed: int = 0, start: int = 0, class_prior=None) -> np.ndarray:
    """Labels of examples start..start+n-1 (int64), without drawing any image."""
    n = _check_int("n", n, 0)
    seed = _check_int("seed", seed, 0)
    start = _check_int("start", start, 0)
    prior = _normalise_prior(class_prior)
    cdf = np.cumsum(prior)
    last_positive = int(np.flatnonzero(prior > 0)[-1])
    return np.array([_label_for(seed, start + i, cdf, last_positive) for i in range(n)], dtype=np.int64)


def phantom_label_counts(n: int, seed: int = 0, class_prior=None, start: int = 0) -> np.ndarray:
    """Number of examples per class (CLASS_NAMES order) among examples start..start+n-1."""
    return np.bincount(phantom_labels(n, seed, start, class_prior), minlength=len(CLASS_NAMES)).astype(np.int64)


# --------------------------------------------------------------------------------------------------
# Lesion painting
# --------------------------------------------------------------------------------------------------

class _Painter:
    """Accumulates one lesion's colour layer, extra (streak) coverage and attribute regions."""

    def __init__(self, canvas: Canvas, rng, skin, tone, rho, theta, q):
        self.canvas, self.rng, self.skin, self.tone = canvas, rng, skin, tone
        self.rho, self.theta, self.q = rho, theta, q
        self.dark = F32(1.0 - 0.38 * tone)  # pigment looks darker on darker skin
        self.colour = np.empty(canvas.shape + (3,), F32)
        self.streak_alpha = None
        self.attributes = {}

    def pigment(self, colour):
        return (colour * self.dark).astype(F32)

    def fill(self, colour, skin_mix: float = 0.0):
        self.colour[...] = colour
        if skin_mix > 0:
            lerp_into(self.colour, self.skin, np.full(self.canvas.shape, skin_mix, F32))

    def shade(self, amplitude: float, cells: float = 2.5, grain: float = 0.3):
        """Multiplicative brightness variation: blotches plus fine granular texture."""
        factor = self.canvas.fractal(self.rng, [(cells, amplitude), (cells * 3.0, amplitude * 0.5),
                                                (24.0, amplitude * grain)])
        factor += F32(1.0)
        self.colour *= factor[..., None]

    def region(self, coverage: float, cells: float = 3.0, radial: float = 0.0, softness: float = 0.4):
        """Soft random region (0..1) covering about ``coverage`` of the image; radial>0 favours the centre."""
        field = self.canvas.noise(self.rng, cells)
        if radial:
            field += (F32(1.0) - F32(2.0) * np.minimum(self.q, F32(1.5))) * F32(radial)
        threshold = coverage_threshold(coverage) - (0.3 * radial if radial > 0 else 0.0)
        return ramp(field, threshold - softness / 2, threshold + softness / 2)

    def zone(self, colour, coverage, opacity=1.0, cells=3.0, radial=0.0, softness=0.4):
        alpha = self.region(coverage, cells, radial, softness)
        alpha *= F32(opacity)
        lerp_into(self.colour, colour, alpha)
        return alpha

    def _mark(self, name, alpha):
        hit = alpha >= 0.5
        if name in self.attributes:
            self.attributes[name] |= hit
        else:
            self.attributes[name] = hit

    def network(self, colour, opacity, period, line_fraction, region, warp=0.15, width_jitter=0.0,
                attribute="pigment_network", hole_colour=None):
        """Reticular lines painted inside ``region``; the attribute mask is the region itself."""
        lines = hex_network(self.canvas, self.rng, period, line_fraction, warp, width_jitter)
        lines *= np.clip(self.canvas.noise(self.rng, 6.0) * F32(0.3) + F32(0.8), 0.0, 1.0)  # uneven intensity
        if hole_colour is not None:  # negative network: light lines around darker holes
            lerp_into(self.colour, hole_colour, (F32(1.0) - lines) * region * F32(opacity * 0.5))
        lerp_into(self.colour, colour, lines * region * F32(opacity))
        if attribute:
            self._mark(attribute, region)

    def dots(self, colour, cell, radius, density, opacity=1.0, edge_px=1.0, colour_jitter=0.25,
             attribute=None, squash=1.0, second_colour=None, warp=0.2):
        """Dots (globules, cysts, vessels, lacunae); the attribute mask is the dots themselves."""
        alpha, shade = cellular_dots(self.canvas, self.rng, cell, radius, density, edge_px, squash, warp)
        if second_colour is not None:
            dot_colour = colour + shade[..., None] * (np.asarray(second_colour, F32) - colour)
        else:
            dot_colour = colour * (F32(1.0 - colour_jitter / 2) + F32(colour_jitter) * shade)[..., None]
        lerp_into(self.colour, dot_colour, alpha * F32(opacity))
        if attribute:
            self._mark(attribute, alpha)
        return alpha

    def streaks(self, colour, count, keep, width, q_range=(0.8, 1.16), opacity=0.9):
        """Radial streaks at the border; they extend the lesion mask and form the streaks attribute."""
        alpha = radial_streaks(self.canvas, self.rng, self.rho, self.theta, self.q, count, keep, q_range, width)
        lerp_into(self.colour, colour, alpha * F32(opacity))
        self.streak_alpha = alpha if self.streak_alpha is None else np.maximum(self.streak_alpha, alpha)
        self._mark("streaks", alpha)

    def vessels(self, colour, cells, width, region, opacity=0.9):
        lines = branching_vessels(self.canvas, self.rng, cells, width)
        lines *= region
        lerp_into(self.colour, colour, lines * F32(opacity))

    def fissures(self, colour, cells, width, region, opacity=0.7):
        lines = noise_lines(self.canvas, self.rng, cells, width)
        lines *= region
        lerp_into(self.colour, colour, lines * F32(opacity))

    def inside(self, q_max=0.95):
        """Density helper: 1 well inside the lesion, fading to 0 at q_max."""
        return ramp(self.q, q_max, q_max - 0.12)

    def ring(self, q_lo, q_hi, edge=0.1):
        return np.minimum(ramp(self.q, q_lo - edge, q_lo), ramp(self.q, q_hi + edge, q_hi))


# Shape parameters per class: radius range, harmonic amplitude, border noise, border softness, aspect.
_SHAPES = {
    "NV": dict(radius=(0.32, 0.68), wobble=0.04, irregular=(0.01, 0.05), soft=(0.06, 0.22), aspect=(0.78, 1.0)),
    "MEL": dict(radius=(0.38, 0.86), wobble=0.11, irregular=(0.05, 0.15), soft=(0.03, 0.25), aspect=(0.6, 1.0)),
    "BCC": dict(radius=(0.32, 0.72), wobble=0.07, irregular=(0.04, 0.10), soft=(0.12, 0.30), aspect=(0.65, 1.0)),
    "AK": dict(radius=(0.34, 0.78), wobble=0.08, irregular=(0.06, 0.14), soft=(0.20, 0.40), aspect=(0.6, 1.0)),
    "BKL": dict(radius=(0.32, 0.76), wobble=0.07, irregular=(0.03, 0.12), soft=(0.02, 0.08), aspect=(0.6, 1.0)),
    "DF": dict(radius=(0.26, 0.55), wobble=0.03, irregular=(0.01, 0.05), soft=(0.15, 0.30), aspect=(0.75, 1.0)),
    "VASC": dict(radius=(0.22, 0.55), wobble=0.06, irregular=(0.02, 0.06), soft=(0.03, 0.10), aspect=(0.7, 1.0)),
    "SCC": dict(radius=(0.32, 0.72), wobble=0.08, irregular=(0.05, 0.12), soft=(0.10, 0.25), aspect=(0.65, 1.0)),
}


def _paint_nv(p: _Painter, rng):
    if rng.random() < 0.07:  # blue nevus: homogeneous steel blue (overlaps with melanoma colours)
        p.fill(p.pigment(_mix(BLUE_GREY, DARK_BROWN, rng.uniform(0.0, 0.4))))
        p.shade(rng.uniform(0.04, 0.10))
        return
    base = p.pigment(_mix(LIGHT_BROWN, DARK_BROWN, rng.uniform(0.0, 0.9) ** 1.5))
    p.fill(base)
    p.shade(rng.uniform(0.03, 0.12), 2.0)
    if rng.random() < 0.45:  # darker or lighter centre
        centre = _mix(base, p.pigment(DARK_BROWN), 0.5) if rng.random() < 0.6 else _mix(base, TAN, 0.6)
        p.zone(centre, rng.uniform(0.2, 0.35), rng.uniform(0.4, 0.8), 2.0, radial=1.6, softness=0.9)
    if rng.random() < 0.35:  # a second colour: nevi are not all uniform
        second = [p.pigment(DARK_BROWN), p.pigment(BLACK), p.pigment(BLUE_GREY), PINK][
            rng.choice(4, p=[0.55, 0.15, 0.15, 0.15])]
        p.zone(second, rng.uniform(0.06, 0.2), rng.uniform(0.4, 0.75), rng.uniform(2.0, 4.0), rng.normal(0, 0.8))
    if rng.random() < 0.7:  # regular, thin network fading towards the periphery
        region = p.region(rng.uniform(0.55, 0.9), 2.5, radial=0.6, softness=0.6) * p.inside(1.0)
        p.network(_mix(base, p.pigment(DARK_BROWN), 0.8), rng.uniform(0.45, 0.75), rng.uniform(0.03, 0.05),
                  rng.uniform(0.35, 0.5), region, warp=0.45)
    if rng.random() < 0.35:  # globules: central cluster or peripheral rim
        if rng.random() < 0.6:
            density = p.inside(0.85) * F32(rng.uniform(0.5, 0.9))
        else:
            density = p.ring(0.7, 0.95, 0.08) * F32(rng.uniform(0.5, 0.9))
        p.dots(p.pigment(_mix(MID_BROWN, DARK_BROWN, 0.7)), rng.uniform(0.045, 0.07), (0.2, 0.36), density,
               opacity=0.9, attribute="globules")
    if rng.random() < 0.08:  # papillomatous nevus with a few milia-like cysts
        p.dots(MILIA, rng.uniform(0.08, 0.12), (0.12, 0.22), p.inside(0.8) * F32(0.25), opacity=0.85,
               edge_px=2.0, attribute="milia_like_cyst")


def _paint_mel(p: _Painter, rng):
    regular = rng.random() < 0.28
    amelanotic = rng.random() < 0.07
    if amelanotic:
        p.fill(_mix(PINK, RED, rng.uniform(0.0, 0.5)), skin_mix=rng.uniform(0.1, 0.4))
    else:
        p.fill(p.pigment(_mix(LIGHT_BROWN, DARK_BROWN, rng.uniform(0.1, 0.9))))
    p.shade(rng.uniform(0.05, 0.12) if regular else rng.uniform(0.10, 0.22), 2.5)
    palette = [DARK_BROWN, BLACK, BLUE_GREY, BLUE_WHITE, RED, WHITE, LIGHT_BROWN]
    weights = np.array([0.24, 0.18, 0.18, 0.1, 0.11, 0.11, 0.08])
    count = int(rng.integers(0, 2)) if regular else int(rng.integers(1, 5))
    for i in rng.choice(len(palette), size=count, replace=False, p=weights):
        colour = palette[i]
        if i in (0, 1, 6):
            colour = p.pigment(colour)
        alpha = p.zone(colour, rng.uniform(0.08, 0.3), rng.uniform(0.55, 0.95), rng.uniform(2.0, 5.0),
                       radial=rng.normal(0.0, 1.0), softness=rng.uniform(0.2, 0.7))
        if i == 5 and rng.random() < 0.5:  # regression: peppering inside the white area
            p.dots(BLUE_GREY, 0.03, (0.15, 0.3), alpha * F32(0.8), opacity=0.8)
    if rng.random() < (0.55 if regular else 0.5):  # atypical (or, if regular, fairly typical) network
        region = p.region(rng.uniform(0.3, 0.7), rng.uniform(2.5, 4.5), radial=rng.normal(0, 0.6)) * p.inside(1.02)
        p.network(p.pigment(_mix(DARK_BROWN, BLACK, rng.uniform(0, 0.7))), rng.uniform(0.5, 0.85),
                  rng.uniform(0.035, 0.07), rng.uniform(0.4, 0.6), region,
                  warp=0.45 if regular else 0.8, width_jitter=0.0 if regular else rng.uniform(0.4, 1.0))
    if not regular and rng.random() < 0.22:  # negative network
        region = p.region(rng.uniform(0.2, 0.45), 3.0, radial=0.5) * p.inside(0.95)
        p.network(_mix(WHITE, TAN, 0.5), rng.uniform(0.35, 0.6), rng.uniform(0.05, 0.08), rng.uniform(0.25, 0.35),
                  region, warp=0.3, attribute="negative_network", hole_colour=p.pigment(DARK_BROWN))
    if rng.random() < (0.1 if regular else 0.38):  # peripheral streaks on part of the circumference
        count = int(rng.integers(24, 44))
        arc_start, arc_len = rng.uniform(0, 2 * math.pi), rng.uniform(1.0, 2 * math.pi)
        sector_angles = np.arange(count) * (2 * math.pi / count)
        on_arc = ((sector_angles - arc_start) % (2 * math.pi)) < arc_len
        p.streaks(p.pigment(_mix(DARK_BROWN, BLACK, 0.5)), count, np.where(on_arc, 0.75, 0.0),
                  rng.uniform(0.008, 0.014))
    if rng.random() < (0.2 if regular else 0.35):  # irregular globules / dots, off-centre clusters
        density = p.region(rng.uniform(0.25, 0.5), 3.0) * p.inside(1.0) * F32(0.8)
        p.dots(p.pigment(_mix(DARK_BROWN, BLACK, 0.5)), rng.uniform(0.04, 0.08), (0.1, 0.4), density * F32(0.8),
               opacity=0.92, colour_jitter=0.5, attribute="globules", warp=0.45)
    if rng.random() < 0.12 or amelanotic:  # dotted / polymorphous vessels
        p.dots(VESSEL_RED, 0.035, (0.12, 0.22), p.inside(0.9) * F32(0.4), opacity=0.75)
    if rng.random() < 0.04:
        p.dots(MILIA, 0.1, (0.12, 0.2), p.inside(0.8) * F32(0.3), opacity=0.8, edge_px=2.0,
               attribute="milia_like_cyst")


def _paint_bcc(p: _Painter, rng):
    p.fill(_mix(PINK, WHITE, rng.uniform(0.0, 0.4)), skin_mix=rng.uniform(0.1, 0.4))
    p.shade(rng.uniform(0.03, 0.08), 2.5)
    if rng.random() < 0.5:  # shiny white-red structureless areas
        p.zone(WHITE, rng.uniform(0.1, 0.3), rng.uniform(0.4, 0.7), 3.0)
    if rng.random() < 0.5:  # pigmented BCC: blue-grey ovoid nests and dots
        density = p.region(rng.uniform(0.3, 0.6), 2.5) * p.inside(0.9) * F32(rng.uniform(0.4, 0.8))
        p.dots(p.pigment(_mix(BLUE_GREY, DARK_BROWN, rng.uniform(0, 0.5))), rng.uniform(0.08, 0.16), (0.2, 0.45),
               density, opacity=0.85, edge_px=2.5, squash=rng.uniform(0.5, 0.9), warp=0.3)
    if rng.random() < 0.85:  # arborizing vessels
        region = p.inside(1.0) * p.region(rng.uniform(0.6, 0.95), 2.0)
        p.vessels(VESSEL_RED, rng.uniform(2.0, 3.5), rng.uniform(0.014, 0.024), region, rng.uniform(0.75, 0.95))
    if rng.random() < 0.25:  # ulceration / crust
        p.zone(CRUST, rng.uniform(0.04, 0.12), 0.8, 4.0, radial=0.8, softness=0.8)


def _paint_ak(p: _Painter, rng):
    p.fill(_mix(PINK, RED, rng.uniform(0.2, 0.7)), skin_mix=rng.uniform(0.25, 0.55))
    p.shade(rng.uniform(0.04, 0.1), 2.5)
    if rng.random() < 0.12:  # pigmented AK
        p.zone(p.pigment(LIGHT_BROWN), rng.uniform(0.2, 0.5), 0.7, 3.0)
    if rng.random() < 0.6:  # strawberry pattern: red pseudo-network around white follicles
        region = p.inside(1.0) * p.region(0.7, 2.0)
        p.network(_mix(RED, VESSEL_RED, 0.4), 0.5, rng.uniform(0.08, 0.12), 0.6, region, warp=0.25, attribute=None)
        p.dots(KERATIN, rng.uniform(0.08, 0.12), (0.12, 0.25), region * F32(0.6), opacity=0.85, edge_px=1.5)
    p.zone(KERATIN, rng.uniform(0.1, 0.25), rng.uniform(0.55, 0.85), rng.uniform(24.0, 36.0), softness=0.8)
    if rng.random() < 0.6:  # dotted vessels
        p.dots(VESSEL_RED, rng.uniform(0.035, 0.05), (0.12, 0.22), p.inside(0.95) * F32(0.5), opacity=0.8)


def _paint_scc(p: _Painter, rng):
    p.fill(_mix(PINK, RED, rng.uniform(0.3, 0.8)), skin_mix=rng.uniform(0.15, 0.45))
    p.shade(rng.uniform(0.05, 0.12), 2.5)
    p.zone(KERATIN, rng.uniform(0.2, 0.4), rng.uniform(0.6, 0.9), rng.uniform(2.0, 3.5), radial=1.5, softness=0.8)
    p.zone(_mix(KERATIN, WHITE, 0.5), rng.uniform(0.1, 0.25), 0.7, rng.uniform(24.0, 36.0), softness=0.7)
    if rng.random() < 0.8:  # glomerular / coiled vessels in clusters, often peripheral
        density = p.region(rng.uniform(0.3, 0.6), 3.0) * p.ring(0.35, 0.95, 0.15) * F32(0.7)
        p.dots(VESSEL_RED, rng.uniform(0.035, 0.055), (0.15, 0.35), density, opacity=0.85, squash=0.7, warp=0.45)
    if rng.random() < 0.35:  # blood spots / haemorrhagic crust
        p.zone(CRUST, rng.uniform(0.04, 0.12), 0.8, 4.0, softness=0.8)
    if rng.random() < 0.08:  # pigmented SCC
        p.zone(p.pigment(MID_BROWN), rng.uniform(0.15, 0.3), 0.7, 3.0)


def _paint_bkl(p: _Painter, rng):
    kind = rng.choice(3, p=[0.6, 0.3, 0.1])  # seborrheic keratosis, solar lentigo, lichen planus-like
    if kind == 0:
        base = p.pigment(_mix(TAN, BLACK, rng.uniform(0.0, 0.75)))
        p.fill(base)
        p.shade(rng.uniform(0.10, 0.2), 3.0, grain=0.6)
        if rng.random() < 0.3:  # darker, blotchy keratosis (overlaps with melanoma colours)
            p.zone(p.pigment(_mix(DARK_BROWN, BLACK, 0.5)), rng.uniform(0.15, 0.35), 0.8, 3.0)
        if rng.random() < 0.45:  # cerebriform fissures and ridges
            p.fissures(_mix(base, DARK_BROWN, 0.6), rng.uniform(5.0, 8.0), rng.uniform(0.012, 0.02), p.inside(1.0))
        if rng.random() < 0.7:
            p.dots(MILIA, rng.uniform(0.07, 0.12), (0.14, 0.28), p.inside(0.9) * F32(rng.uniform(0.25, 0.55)),
                   opacity=0.9, edge_px=2.0, attribute="milia_like_cyst", warp=0.3)
        if rng.random() < 0.5:  # comedo-like openings
            p.dots(p.pigment(_mix(DARK_BROWN, BLACK, 0.5)), rng.uniform(0.08, 0.12), (0.12, 0.25),
                   p.inside(0.9) * F32(0.3), opacity=0.85, squash=0.7, warp=0.3)
    elif kind == 1:
        base = p.pigment(_mix(TAN, LIGHT_BROWN, rng.uniform(0.2, 1.0)))
        p.fill(base)
        p.shade(rng.uniform(0.04, 0.1), 2.5)
        if rng.random() < 0.5:  # faint, fine network
            region = p.region(0.7, 2.0) * p.inside(1.0)
            p.network(_mix(base, MID_BROWN, 0.6), rng.uniform(0.3, 0.5), rng.uniform(0.045, 0.065), 0.35, region)
        if rng.random() < 0.2:
            p.dots(MILIA, 0.1, (0.12, 0.2), p.inside(0.9) * F32(0.2), opacity=0.8, attribute="milia_like_cyst")
    else:
        p.fill(_mix(TAN, BLUE_GREY, rng.uniform(0.3, 0.6)), skin_mix=0.3)
        p.shade(0.08, 3.0)
        p.dots(BLUE_GREY, 0.03, (0.15, 0.3), p.inside(0.95) * F32(0.6), opacity=0.8)  # granular peppering


def _paint_df(p: _Painter, rng):
    base = p.pigment(_mix(TAN, LIGHT_BROWN, rng.uniform(0.2, 1.0)))
    p.fill(base)
    p.shade(rng.uniform(0.04, 0.1), 2.5)
    if rng.random() < 0.7:  # delicate peripheral network
        region = p.ring(0.45, 1.0, 0.12) * p.region(0.8, 2.0)
        p.network(_mix(base, MID_BROWN, 0.7), rng.uniform(0.5, 0.8), rng.uniform(0.045, 0.065), 0.35, region)
    centre = _mix(WHITE, PINK, rng.uniform(0.0, 0.4))
    p.zone(centre, rng.uniform(0.15, 0.3), rng.uniform(0.75, 0.95), rng.uniform(2.5, 4.0), radial=2.2, softness=0.6)
    if rng.random() < 0.2:
        p.dots(VESSEL_RED, 0.035, (0.12, 0.2), p.inside(0.5) * F32(0.4), opacity=0.6)


def _paint_vasc(p: _Painter, rng):
    p.fill(_mix(PINK, WHITE, rng.uniform(0.0, 0.5)))  # whitish septa between lacunae
    p.shade(0.05, 3.0)
    lacuna = _mix(RED, VESSEL_RED, rng.uniform(0.3, 1.0))
    deep = _mix(PURPLE, BLACK, rng.uniform(0.0, 0.4))
    cell = rng.uniform(0.07, 0.13)
    p.dots(lacuna, cell, (0.26, 0.45), p.inside(1.0) * F32(rng.uniform(0.6, 0.9)),
           opacity=0.95, edge_px=1.5, second_colour=deep, warp=0.3)
    p.dots(lacuna, cell * 0.7, (0.25, 0.42), p.inside(1.0) * F32(rng.uniform(0.3, 0.6)),  # a second, finer layer
           opacity=0.95, edge_px=1.5, second_colour=deep, warp=0.3)
    if rng.random() < 0.2:  # thrombosed: blue-black areas (overlaps with melanoma)
        p.zone(_mix(BLUE_GREY, BLACK, 0.5), rng.uniform(0.1, 0.3), 0.8, 3.0)


_PAINTERS = {"NV": _paint_nv, "MEL": _paint_mel, "BCC": _paint_bcc, "AK": _paint_ak, "BKL": _paint_bkl,
             "DF": _paint_df, "VASC": _paint_vasc, "SCC": _paint_scc}


# --------------------------------------------------------------------------------------------------
# Acquisition domains
# --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AcquisitionDomain:
    """How a phantom is acquired: device, optics, lighting and the population photographed.

    The lesion itself (class, shape, colours, structures, masks) is painted the same way in every domain, so
    class cues keep their meaning; a domain changes only the skin-tone mix, the lesion's size in the frame,
    the artefacts and the camera. ``dermoscope`` reproduces the original phantoms byte for byte. Random draws
    of a non-default domain come from a third stream, ``SeedSequence([seed, index, 2])``, so examples stay
    pure functions of (seed, index, size, domain).
    """

    name: str
    description: str
    tone_beta: tuple = (1.6, 3.4)        # skin tone ~ Beta(a, b), 0 very light .. 1 dark
    lesion_scale: float = 1.0            # lesion radius factor (a clinical photo is taken from further away)
    bubble_rate: float = 0.15            # immersion-gel bubbles
    pen_rate: float = 0.05               # surgical pen marks
    hair_rate: float = 0.35              # share of images with hair
    hair_p: float = 0.22                 # hairs per hairy image ~ Geometric(p), capped at hair_max
    hair_max: int = 14
    tilt_std: float = 0.05               # linear illumination gradient
    falloff: tuple = (0.0, 0.08)         # radial illumination fall-off range
    fov_rate: float = 0.3                # circular dermoscope field of view with dark corners
    lens_vignette: tuple = (0.0, 0.0)    # smooth elliptical lens darkening at the corners (range)
    cast: tuple = (1.0, 1.0, 1.0)        # mean colour cast (white balance) per RGB channel
    cast_std: float = 0.035              # per-image white-balance / exposure spread
    blur: tuple = (0.0, 0.0)             # Gaussian blur sigma, as a fraction of the shorter side (range)
    glare: tuple = (0.0, 0.0)            # specular highlights of unpolarised light (opacity range)
    haze: tuple = (0.0, 0.0)             # surface reflection washing out contrast (range)
    noise: float = 0.008                 # sensor noise std (0..1 units)
    noise_grain: int = 1                 # sensor noise cell size in pixels (2: a phone camera's coarser noise)

    @property
    def is_default(self) -> bool:
        return self == DOMAINS[DEFAULT_DOMAIN]


DEFAULT_DOMAIN = "dermoscope"
DOMAINS = {
    "dermoscope": AcquisitionDomain(
        "dermoscope", "contact dermoscopy: centred lesion filling the frame, gel bubbles, circular field of view, "
                      "mostly light skin (ISIC-like)"),
    "clinic": AcquisitionDomain(
        "clinic", "clinical (non-dermoscopic) camera photo: smaller lesion in the frame, warm tungsten cast and "
                  "wide white-balance spread, flash fall-off and lens vignette, blur, specular glare and surface "
                  "haze, more hair, a darker skin-tone mix, no gel bubbles or dermoscope field of view",
        tone_beta=(2.6, 2.4), lesion_scale=0.75, bubble_rate=0.0, pen_rate=0.08, hair_rate=0.55, hair_p=0.16,
        hair_max=20, tilt_std=0.14, falloff=(0.06, 0.2), fov_rate=0.0, lens_vignette=(0.15, 0.4),
        cast=(1.07, 0.98, 0.84), cast_std=0.06, blur=(0.008, 0.016), glare=(0.35, 0.8), haze=(0.05, 0.15),
        noise=0.02, noise_grain=2),
}


def get_domain(domain) -> AcquisitionDomain:
    """An ``AcquisitionDomain`` from its name (None = the default dermoscope) or itself."""
    if domain is None:
        return DOMAINS[DEFAULT_DOMAIN]
    if isinstance(domain, AcquisitionDomain):
        return domain
    try:
        return DOMAINS[str(domain).strip().lower()]
    except KeyError:
        raise ConfigError(f"unknown phantom domain {domain!r}; valid domains: {', '.join(DOMAINS)}") from None


def _blur(image: np.ndarray, sigma_px: float) -> np.ndarray:
    from scipy.ndimage import gaussian_filter

    return gaussian_filter(image, sigma=(sigma_px, sigma_px, 0.0), mode="reflect", truncate=2.5)


def _acquire(canvas: Canvas, drng, domain: AcquisitionDomain, image: np.ndarray, light: np.ndarray) -> np.ndarray:
    """The non-default camera: glare, haze, lens vignette (folded into ``light``, in place) and blur.
    Returns the new image."""
    if domain.glare[1] > 0:  # specular highlights on skin ridges: sparse bright flecks, strongest mid-frame
        flecks = canvas.noise(drng, 14.0)
        flecks -= canvas.radius * F32(0.35)
        threshold = coverage_threshold(0.05)
        strength = F32(drng.uniform(*domain.glare))
        spots = np.nonzero(flecks > threshold)  # sparse: blend only the few pixels that glare
        alpha = (np.minimum((flecks[spots] - F32(threshold)) * F32(1.0 / 0.3), F32(1.0)) * strength)[:, None]
        image[spots] += (_c(1.0, 0.98, 0.95) - image[spots]) * alpha
    if domain.haze[1] > 0:
        h = F32(drng.uniform(*domain.haze))
        veil = (image[::4, ::4].reshape(-1, 3).mean(axis=0) + F32(0.08)) * h
        image *= F32(1.0) - h
        image += veil
    if domain.lens_vignette[1] > 0:  # cos^4-like darkening on an off-centre ellipse (from 1-D coordinates)
        aspect, angle = drng.uniform(0.7, 1.0), drng.uniform(0.0, math.pi)
        cx, cy = drng.normal(0.0, 0.08, 2)
        x = (canvas._x - cx).astype(F32)[None, :]
        y = (canvas._y - cy).astype(F32)[:, None]
        ca, sa = F32(math.cos(angle)), F32(math.sin(angle))
        a = x * ca + y * sa
        b = y * (ca / F32(aspect)) - x * (sa / F32(aspect))
        a *= a
        b *= b
        a += b
        a *= F32(drng.uniform(*domain.lens_vignette) / canvas.half_diagonal ** 2)
        np.minimum(a, F32(0.8), out=a)
        light *= F32(1.0) - a
    if domain.blur[1] > 0:
        sigma = drng.uniform(*domain.blur) * min(canvas.height, canvas.width)
        if sigma >= 0.2:
            image = _blur(image, sigma)
    return image


# --------------------------------------------------------------------------------------------------
# One example
# --------------------------------------------------------------------------------------------------

def _skin_colour(tone: float) -> np.ndarray:
    for (t0, c0), (t1, c1) in zip(SKIN_KEYS[:-1], SKIN_KEYS[1:]):
        if tone <= t1:
            return _mix(c0, c1, (tone - t0) / (t1 - t0))
    return SKIN_KEYS[-1][1].copy()


def _paint_skin(canvas: Canvas, rng, tone: float) -> np.ndarray:
    base = _skin_colour(tone) + rng.normal(0.0, 0.015, 3).astype(F32)
    texture = canvas.fractal(rng, [(1.2, 0.03), (5.0, 0.018), (16.0, 0.01)])
    texture += F32(1.0)
    skin = base * texture[..., None]
    redness = np.maximum(canvas.noise(rng, 1.5), F32(0.0)) * F32(rng.uniform(0.0, 0.04))
    skin[..., 0] += redness
    skin[..., 1] -= F32(0.6) * redness
    return skin


def _render_example(canvas: Canvas, label: int, rng, domain: AcquisitionDomain, drng=None):
    name = CLASS_NAMES[label]
    tone = float(rng.beta(1.6, 3.4))  # always drawn, so the default domain's stream is unchanged
    if drng is not None and tuple(domain.tone_beta) != (1.6, 3.4):
        tone = float(drng.beta(*domain.tone_beta))
    skin = _paint_skin(canvas, rng, tone)

    shape = _SHAPES[name]
    radius = rng.uniform(*shape["radius"])
    if domain.lesion_scale != 1.0:
        radius *= domain.lesion_scale
    centre = rng.normal(0.0, 0.08, 2).clip(-0.2, 0.2)
    wobble = shape["wobble"] * (3.0 if name == "NV" and rng.random() < 0.15 else 1.0)
    wobble = wobble * (0.4 if name == "MEL" and rng.random() < 0.2 else 1.0)
    harmonics = [(k, abs(rng.normal(0.0, wobble * 2.0 / k ** 1.3)), rng.uniform(0, 2 * math.pi)) for k in range(1, 7)]
    table = angle_table(radius, harmonics, (rng.uniform(*shape["aspect"]), rng.uniform(0, math.pi)))
    np.minimum(table, F32(_MAX_LESION_RADIUS), out=table)
    du = canvas.u - F32(centre[0])
    dv = canvas.v - F32(centre[1])
    rho = np.sqrt(du * du + dv * dv)
    theta = np.arctan2(dv, du)
    q = rho / angle_lookup(table, theta)
    border = canvas.fractal(rng, [(4.0, 1.0), (10.0, 0.4)])
    border *= np.minimum(q, F32(1.2)) * F32(rng.uniform(*shape["irregular"]))
    border += F32(1.0) - q
    body_alpha = border
    body_alpha *= F32(1.0 / rng.uniform(*shape["soft"]))
    body_alpha += F32(0.5)
    np.clip(body_alpha, 0.0, 1.0, out=body_alpha)
    # keep every lesion clear of the frame corners, fading out before that
    body_alpha *= ramp(canvas.radius, _LESION_FIELD_RADIUS, _LESION_FIELD_RADIUS - 0.15)

    painter = _Painter(canvas, rng, skin, tone, rho, theta, q)
    _PAINTERS[name](painter, rng)

    alpha = body_alpha if painter.streak_alpha is None else np.maximum(body_alpha, painter.streak_alpha)
    mask = alpha >= 0.5
    weight = np.where(mask, alpha, F32(0.0))
    image = skin
    lerp_into(image, painter.colour, weight)
    attributes = np.zeros(canvas.shape + (len(ATTRIBUTE_NAMES),), np.uint8)
    for k, attribute in enumerate(ATTRIBUTE_NAMES):
        if attribute in painter.attributes:
            attributes[..., k] = (painter.attributes[attribute] & mask) * np.uint8(255)

    image, hair, vignette = _add_artefacts(canvas, rng, image, centre, radius, mask, domain, drng)
    rgb = np.clip(image * F32(255.0) + F32(0.5), 0.0, 255.0).astype(np.uint8)
    return dict(image=rgb, mask=mask.astype(np.uint8) * np.uint8(255), attributes=attributes,
                skin_tone=tone, hair=hair, vignette=vignette)


def _add_artefacts(canvas: Canvas, rng, image, centre, radius, mask, domain: AcquisitionDomain, drng=None):
    """Bubbles, pen marks, hairs, illumination, vignette, the domain's camera, colour cast and sensor noise.
    Returns (image, hair, vignette).

    The dermoscope vignette never covers the lesion: it is skipped (and reported False) when the lesion
    reaches too far out for dark corners.
    """
    if rng.random() < domain.bubble_rate:  # gel / air bubbles: bright rim, slightly lighter inside, specular dot
        for _ in range(int(rng.integers(1, 6))):
            r = rng.uniform(0.03, 0.16)
            bx, by = rng.uniform(-canvas.x_half, canvas.x_half), rng.uniform(-canvas.y_half, canvas.y_half)
            window = disc_window(canvas, bx, by, r)
            if window is None:
                continue
            du = canvas.u[window] - F32(bx)
            dv = canvas.v[window] - F32(by)
            d = np.sqrt(du * du + dv * dv)
            rim = np.clip(F32(1.0) - np.abs(d - F32(r)) * F32(canvas.scale / 1.2), 0.0, 1.0)
            inside = np.clip((F32(r) - d) * F32(canvas.scale), 0.0, 1.0)
            patch = image[window]
            patch *= (F32(1.0) + F32(0.06) * inside)[..., None]
            lerp_into(patch, _c(1.0, 1.0, 1.0), rim * F32(0.7))
            sx, sy = du + F32(0.45 * r), dv + F32(0.45 * r)
            spot = np.clip(F32(1.0) - np.sqrt(sx * sx + sy * sy) * F32(1.0 / (0.18 * r + canvas.pixel)), 0.0, 1.0)
            lerp_into(patch, _c(1.0, 1.0, 1.0), spot * F32(0.8))
    if rng.random() < domain.pen_rate:  # surgical pen mark: arc around the lesion
        colour = PEN_COLOURS[int(rng.integers(len(PEN_COLOURS)))]
        arc_r = radius * rng.uniform(1.5, 2.0)
        du = canvas.u - F32(centre[0])
        dv = canvas.v - F32(centre[1])
        d = np.sqrt(du * du + dv * dv)
        ang = np.arctan2(dv, du)
        start, span = rng.uniform(-math.pi, math.pi), rng.uniform(0.8, 3.0)
        on_arc = ((ang - F32(start)) % F32(2 * math.pi)) < F32(span)
        width = rng.uniform(0.02, 0.04)
        stroke = np.clip((F32(width) - np.abs(d - F32(arc_r))) * F32(canvas.scale), 0.0, 1.0) * on_arc
        lerp_into(image, colour, stroke * F32(0.85))
    hair = bool(rng.random() < domain.hair_rate)
    if hair:
        count = int(min(rng.geometric(domain.hair_p), domain.hair_max))
        strokes = curved_strokes(canvas, rng, count, width=(0.008, 0.022), length=(0.8, 3.0), curvature=0.35)
        hair_colour = _mix(_c(0.08, 0.06, 0.05), _c(0.35, 0.25, 0.18), rng.uniform(0.0, 1.0))
        lerp_into(image, hair_colour, strokes * F32(0.9))
    # uneven illumination: a tilt plus radial fall-off
    gx, gy = rng.normal(0.0, domain.tilt_std, 2)
    falloff = rng.uniform(*domain.falloff)
    light = canvas.u * F32(gx) + canvas.v * F32(gy) - (canvas.u * canvas.u + canvas.v * canvas.v) * F32(falloff)
    light += F32(1.0)
    vignette = bool(rng.random() < domain.fov_rate)
    if vignette:  # circular dermoscope field of view with dark corners
        vx, vy = rng.normal(0.0, 0.03, 2).clip(-0.06, 0.06)
        edge_px = rng.uniform(1.5, 4.0)
        lesion_reach = float(canvas.radius[mask].max()) if mask.any() else 0.0
        lowest = lesion_reach + math.hypot(vx, vy) + 2.0 * canvas.pixel
        highest = 0.9 * canvas.half_diagonal - (edge_px + 1.0) * canvas.pixel
        vignette = lowest < highest
        if vignette:
            vr = rng.uniform(min(max(lowest, 0.72 * canvas.half_diagonal), highest), highest)
            du = canvas.u - F32(vx)
            dv = canvas.v - F32(vy)
            dark = (np.sqrt(du * du + dv * dv) - F32(vr)) * F32(canvas.scale / edge_px)
            np.clip(dark, 0.0, 1.0, out=dark)
            lerp_into(image, _c(0.03, 0.025, 0.025) * F32(rng.uniform(0.3, 1.5)), dark)
    if drng is not None:
        image = _acquire(canvas, drng, domain, image, light)
    white_balance = F32(1.0) + rng.normal(0.0, domain.cast_std, 3).astype(F32)  # camera white balance / exposure
    if tuple(domain.cast) != (1.0, 1.0, 1.0):
        white_balance *= np.asarray(domain.cast, F32)
    image *= light[..., None] * white_balance
    if domain.noise_grain == 1:
        image += (rng.standard_normal(canvas.shape, dtype=F32) * F32(domain.noise))[..., None]  # sensor noise
    else:  # coarser noise of a small sensor after demosaicing / compression
        k = int(domain.noise_grain)
        cells = rng.standard_normal((-(-canvas.height // k), -(-canvas.width // k)), dtype=F32) * F32(domain.noise)
        image += cells.repeat(k, axis=0).repeat(k, axis=1)[:canvas.height, :canvas.width, None]
    return image, hair, vignette


# --------------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------------

def generate_phantoms(n: int, height: int = 128, width: int = 128, seed: int = 0, start: int = 0,
                      class_prior: Optional[Sequence[float]] = None, domain=None) -> dict:
    """Generate phantom examples start..start+n-1 as a dict of NumPy arrays.

    Keys: image uint8 (n,H,W,3); mask uint8 (n,H,W) 0/255; attributes uint8 (n,H,W,5) 0/255 in
    ATTRIBUTE_NAMES order; label int64 (n,); malignant bool (n,); skin_tone float32 (n,) 0=very light..1=dark;
    hair bool (n,); vignette bool (n,); index int64 (n,). class_prior: 8 probabilities in CLASS_NAMES order
    (None = ISIC 2019 frequencies). domain: an acquisition domain name (``DOMAINS``: ``dermoscope``, the
    default, or ``clinic``); the same (seed, index) gives the same lesion and label in every domain, photographed
    differently.
    """
    n = _check_int("n", n, 0)
    height = _check_int("height", height, MIN_SIZE)
    width = _check_int("width", width, MIN_SIZE)
    seed = _check_int("seed", seed, 0)
    start = _check_int("start", start, 0)
    prior = _normalise_prior(class_prior)
    cdf = np.cumsum(prior)
    last_positive = int(np.flatnonzero(prior > 0)[-1])
    acquisition = get_domain(domain)
    default = acquisition.is_default
    canvas = get_canvas(height, width)

    batch = dict(
        image=np.empty((n, height, width, 3), np.uint8),
        mask=np.empty((n, height, width), np.uint8),
        attributes=np.empty((n, height, width, len(ATTRIBUTE_NAMES)), np.uint8),
        label=np.empty((n,), np.int64),
        malignant=np.empty((n,), bool),
        skin_tone=np.empty((n,), np.float32),
        hair=np.empty((n,), bool),
        vignette=np.empty((n,), bool),
        index=np.arange(start, start + n, dtype=np.int64),
    )
    for i in range(n):
        index = start + i
        label = _label_for(seed, index, cdf, last_positive)
        rng = np.random.default_rng(np.random.SeedSequence([seed, index, _APPEARANCE_STREAM]))
        drng = None if default else np.random.default_rng(
            np.random.SeedSequence([seed, index, _ACQUISITION_STREAM]))
        example = _render_example(canvas, label, rng, acquisition, drng)
        for key in ("image", "mask", "attributes", "skin_tone", "hair", "vignette"):
            batch[key][i] = example[key]
        batch["label"][i] = label
    batch["malignant"] = _MALIGNANT_BY_INDEX[batch["label"]]
    return batch


@dataclass(frozen=True)
class PhantomSpec:
    """Configuration of a phantom dataset: image size, seed, class prior (None = ISIC 2019 prior) and
    acquisition domain (``dermoscope`` or ``clinic``)."""

    height: int = 128
    width: int = 128
    seed: int = 0
    class_prior: Optional[tuple] = None
    domain: str = DEFAULT_DOMAIN

    def __post_init__(self):
        _check_int("height", self.height, MIN_SIZE)
        _check_int("width", self.width, MIN_SIZE)
        _check_int("seed", self.seed, 0)
        if self.class_prior is not None:
            _normalise_prior(self.class_prior)
            object.__setattr__(self, "class_prior", tuple(float(p) for p in self.class_prior))
        object.__setattr__(self, "domain", get_domain(self.domain).name)

    def generate(self, n: int, start: int = 0) -> dict:
        return generate_phantoms(n, self.height, self.width, self.seed, start, self.class_prior, self.domain)

    def labels(self, n: int, start: int = 0) -> np.ndarray:
        return phantom_labels(n, self.seed, start, self.class_prior)
