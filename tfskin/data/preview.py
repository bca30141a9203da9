"""Image grids: ``make_grid`` for sample sheets and ``save_preview_grid`` for labelled phantom previews."""

from __future__ import annotations

import os
from typing import Optional

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from tfskin import errors
from tfskin.classes import CLASS_NAMES

SPACING = 2
OUTLINE_COLOUR = (0, 255, 64)
_CAPTION_HEIGHT = 14
_TITLE_HEIGHT = 18


class UnwritableOutputError(errors.UserError, OSError):
    """The output file cannot be written (read-only folder, full disk, a folder in the way, ...)."""


def save_png(canvas: Image.Image, path) -> str:
    """Write ``canvas`` as a PNG at ``path`` (creating its folder); an OSError becomes a one-line user error and
    no partial file is left behind."""
    path = os.fspath(path)
    parent = os.path.dirname(path)
    tmp = None
    try:
        if parent:
            os.makedirs(parent, exist_ok=True)
        tmp = f"{path}.tmp-{os.getpid()}"
        canvas.save(tmp, format="PNG")
        os.replace(tmp, path)
    except OSError as err:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
        raise UnwritableOutputError(f"cannot write {path}: {err.strerror or err}") from None
    return path


def make_grid(images, columns: int = 8, spacing: int = SPACING, background: int = 0) -> np.ndarray:
    """Tile (n, H, W, 3) or (n, H, W, 1) uint8 images into one (rows*H + pad, columns*W + pad, 3) uint8 grid.

    Tiles are separated (and surrounded) by ``spacing`` pixels of ``background``; missing tiles of the last
    row stay background. Single-channel images are repeated to RGB.
    """
    images = np.asarray(images)
    if images.ndim != 4 or images.shape[-1] not in (1, 3):
        raise ValueError(f"images must have shape (n, H, W, 1) or (n, H, W, 3), got {images.shape}")
    if images.dtype != np.uint8:
        raise ValueError(f"images must be uint8, got {images.dtype}")
    if columns < 1:
        raise ValueError(f"columns must be >= 1, got {columns}")
    if spacing < 0:
        raise ValueError(f"spacing must be >= 0, got {spacing}")
    n, h, w, _ = images.shape
    if images.shape[-1] == 1:
        images = np.repeat(images, 3, axis=-1)
    columns = max(1, min(columns, n)) if n else columns
    rows = max(1, -(-n // columns))
    grid = np.full((rows * (h + spacing) + spacing, columns * (w + spacing) + spacing, 3), background, np.uint8)
    for i in range(n):
        r, c = divmod(i, columns)
        y, x = spacing + r * (h + spacing), spacing + c * (w + spacing)
        grid[y:y + h, x:x + w] = images[i]
    return grid


def mask_outline(mask: np.ndarray) -> np.ndarray:
    """1-px inner contour of a binary mask (mask XOR its 4-neighbour erosion); bool (H, W)."""
    inside = np.asarray(mask) > 0
    eroded = inside.copy()
    eroded[1:, :] &= inside[:-1, :]
    eroded[:-1, :] &= inside[1:, :]
    eroded[:, 1:] &= inside[:, :-1]
    eroded[:, :-1] &= inside[:, 1:]
    return inside & ~eroded


def caption_options(name: str, malignant: bool) -> list:
    """Caption texts for a class ``name``, longest first: malignant ones say so once ("malignant" alone when the
    class name already says it, as ISIC 2016/2020's benign/malignant classes do)."""
    if not name:
        return ["malignant", "mal."] if malignant else []
    if not malignant or "malignant" in name.lower():
        return [name]
    return [f"{name} malignant", f"{name} mal.", f"{name}*"]


def fit_caption(draw, font, options, width: int) -> str:
    """The first of ``options`` that fits ``width`` pixels, else the last one cut short with "..."."""
    for text in options:
        if draw.textlength(text, font=font) <= width:
            return text
    text = options[-1]
    while text and draw.textlength(text + "...", font=font) > width:
        text = text[:-1]
    return text.rstrip() + "..." if text else ""


def draw_caption(canvas: Image.Image, font, text: str, box: tuple, colour) -> None:
    """Draw ``text`` in the (x, y, width, height) ``box`` of ``canvas`` on white, clipped to the box."""
    x, y, width, height = box
    strip = Image.new("RGB", (width, height), (255, 255, 255))
    ImageDraw.Draw(strip).text((1, 1), text, fill=colour, font=font)
    canvas.paste(strip, (x, y))


def _caption_options(label, malignant) -> list:
    """Caption texts from longest to shortest; the first that fits the tile width is used."""
    if label is None:
        return []
    label = int(label)
    name = CLASS_NAMES[label] if 0 <= label < len(CLASS_NAMES) else str(label)
    return caption_options(name, malignant)


def save_preview_grid(batch: dict, path, columns: int = 8, title: Optional[str] = None) -> str:
    """Write a PNG grid of ``batch["image"]`` with lesion-mask outlines and class captions; returns the path.

    ``batch`` is a phantom batch (or any dict with ``image`` and optionally ``mask``, ``label``, ``malignant``).
    Each tile is the image plus a caption strip below it (class name; malignant ones in red, marked
    "malignant", shortened to "mal." or "*" on narrow tiles).
    """
    images = np.asarray(batch["image"])
    if images.ndim != 4 or images.shape[-1] != 3 or images.dtype != np.uint8:
        raise ValueError(f"batch['image'] must be uint8 (n, H, W, 3), got {images.dtype} {images.shape}")
    n, h, w, _ = images.shape
    if n == 0:
        raise ValueError("batch is empty")
    tiles = images.copy()
    if batch.get("mask") is not None:
        masks = np.asarray(batch["mask"])
        for i in range(n):
            tiles[i][mask_outline(masks[i])] = OUTLINE_COLOUR
    labels = batch.get("label")
    malignant = batch.get("malignant")
    tiles = np.concatenate([tiles, np.full((n, _CAPTION_HEIGHT, w, 3), 255, np.uint8)], axis=1)
    grid = make_grid(tiles, columns, SPACING, background=255)
    top = _TITLE_HEIGHT if title else 0
    canvas = Image.new("RGB", (grid.shape[1], grid.shape[0] + top), (255, 255, 255))
    canvas.paste(Image.fromarray(grid), (0, top))
    draw = ImageDraw.Draw(canvas)
    font = ImageFont.load_default()
    if title:
        draw.text((SPACING + 2, 3), title, fill=(0, 0, 0), font=font)
    columns = max(1, min(columns, n))
    for i in range(n):
        is_malignant = malignant is not None and bool(malignant[i])
        options = _caption_options(None if labels is None else labels[i], is_malignant)
        if not options:
            continue
        text = fit_caption(draw, font, options, w - 2)
        r, c = divmod(i, columns)
        draw_caption(canvas, font, text, (SPACING + c * (w + SPACING), top + SPACING + r * (h + _CAPTION_HEIGHT +
                                                                                        SPACING) + h, w,
                                          _CAPTION_HEIGHT), (200, 0, 0) if is_malignant else (0, 0, 0))
    return save_png(canvas, path)
