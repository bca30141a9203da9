"""Pure-Python geometry of the aspect-preserving resize + pad (see ``tfskin.data.resize``); no TensorFlow, so
dataset-preparation workers can use it."""

from __future__ import annotations

from typing import NamedTuple


class PadGeometry(NamedTuple):
    """Where a resized image lies inside its padded canvas."""

    height: int  # resized image height
    width: int  # resized image width
    top: int
    left: int
    target_height: int
    target_width: int

    @property
    def bottom(self) -> int:
        return self.target_height - self.height - self.top

    @property
    def right(self) -> int:
        return self.target_width - self.width - self.left

    @property
    def padded(self) -> bool:
        return (self.height, self.width) != (self.target_height, self.target_width)


def check_target(target) -> tuple:
    th, tw = (int(v) for v in target)
    if th < 1 or tw < 1:
        raise ValueError(f"target size must be positive (height, width), got {target}")
    return th, tw


def fitted_size(height: int, width: int, target, *, upscale: bool = True) -> tuple:
    """(new_h, new_w) of an aspect-preserving fit of ``height x width`` inside ``target``."""
    th, tw = check_target(target)
    h, w = int(height), int(width)
    if h < 1 or w < 1:
        raise ValueError(f"image size must be positive, got {h}x{w}")
    if not upscale and h <= th and w <= tw:
        return h, w
    if th * w <= tw * h:  # height is the limiting side
        nh, nw = th, (2 * w * th + h) // (2 * h)
    else:
        nh, nw = (2 * h * tw + w) // (2 * w), tw
    return min(max(nh, 1), th), min(max(nw, 1), tw)


def pad_geometry(height: int, width: int, target, *, upscale: bool = True) -> PadGeometry:
    """Geometry of ``resize_with_pad`` for an image of ``height x width``."""
    th, tw = check_target(target)
    nh, nw = fitted_size(height, width, (th, tw), upscale=upscale)
    return PadGeometry(nh, nw, (th - nh) // 2, (tw - nw) // 2, th, tw)


def fit_within(height: int, width: int, max_side: int) -> tuple:
    """(h, w) shrunk (never enlarged) so that the longer side is at most ``max_side``; 0 = no limit."""
    if not max_side:
        return int(height), int(width)
    return fitted_size(height, width, (max_side, max_side), upscale=False)
