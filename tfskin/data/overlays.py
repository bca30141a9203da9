"""Preview grids with conditioning overlays: per example, the image with its lesion outline, the attribute
masks blended over the image, the colour-coded semantic label map and the instance boundaries."""

from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from tfskin.data.labelmaps import LABEL_COLOURS, colorize
from tfskin.data.preview import (
    OUTLINE_COLOUR,
    SPACING,
    caption_options,
    draw_caption,
    fit_caption,
    make_grid,
    mask_outline,
    save_png,
)

PANELS = ("image", "attributes", "label_map", "boundary")
_CAPTION = 14
_TITLE = 18


def _panel(batch: dict, name: str, i: int) -> np.ndarray:
    image = np.asarray(batch["image"][i])
    if name == "image":
        tile = image.copy()
        if batch.get("mask") is not None:
            tile[mask_outline(np.asarray(batch["mask"][i])[..., 0])] = OUTLINE_COLOUR
        return tile
    if name == "attributes":
        tile = image.astype(np.float32)
        attributes = np.asarray(batch["attributes"][i]) >= 128
        for k in range(attributes.shape[-1]):
            tile[attributes[..., k]] = 0.35 * tile[attributes[..., k]] + 0.65 * LABEL_COLOURS[3 + k]
        return tile.astype(np.uint8)
    if name == "label_map":
        return colorize(np.asarray(batch["label_map"][i]))
    if name == "boundary":
        edges = np.asarray(batch["boundary"][i])[..., 0] > 0
        tile = image.copy()
        tile[edges] = (255, 255, 255)
        return tile
    raise ValueError(f"unknown panel {name!r}; valid: {', '.join(PANELS)}")


def tiles_per_row(columns: int, panels: int) -> int:
    """Examples per row so a row is about ``columns`` images wide whatever the panel count (at least one)."""
    return max(1, columns // max(1, panels))


def save_overlay_grid(batch: dict, path, *, panels: Sequence[str] = ("image",), class_names: Sequence[str] = (),
                      columns: int = 8, title: Optional[str] = None) -> str:
    """Write a PNG: one tile per example made of ``panels`` side by side, captioned with the class name.

    Rows wrap at about ``columns`` images (``columns // len(panels)`` examples per row, at least one), so the
    grid stays about as wide as the plain preview's. Captions are shortened to their tile, never drawn over the
    next one.
    """
    images = np.asarray(batch["image"])
    if images.ndim != 4 or images.shape[0] == 0:
        raise ValueError(f"batch['image'] must be a non-empty (n, H, W, 3) batch, got shape {images.shape}")
    n, height, width, _ = images.shape
    tiles = []
    for i in range(n):
        parts = []
        for k, name in enumerate(panels):
            if k:
                parts.append(np.full((height, 1, 3), 255, np.uint8))  # 1-px white gap between panels
            parts.append(_panel(batch, name, i))
        strip = np.concatenate(parts, axis=1)
        tiles.append(np.concatenate([strip, np.full((_CAPTION, strip.shape[1], 3), 255, np.uint8)], axis=0))
    tiles = np.stack(tiles)
    per_row = min(n, tiles_per_row(columns, len(panels)))
    grid = make_grid(tiles, per_row, SPACING, background=255)
    top = _TITLE if title else 0
    canvas = Image.new("RGB", (grid.shape[1], grid.shape[0] + top), (255, 255, 255))
    canvas.paste(Image.fromarray(grid), (0, top))
    draw = ImageDraw.Draw(canvas)
    font = ImageFont.load_default()
    if title:
        heading = fit_caption(draw, font, [f"{title}   [{' | '.join(panels)}]", title], canvas.width - SPACING - 2)
        draw.text((SPACING + 2, 3), heading, fill=(0, 0, 0), font=font)
    labels, malignant = batch.get("label"), batch.get("malignant")
    tile_width = tiles.shape[2]
    for i in range(n):
        label = None if labels is None else int(labels[i])
        name = class_names[label] if label is not None and 0 <= label < len(class_names) else ""
        bad = malignant is not None and bool(malignant[i])
        options = caption_options(name, bad)
        if not options:
            continue
        text = fit_caption(draw, font, options, tile_width - 2)
        r, c = divmod(i, per_row)
        x = SPACING + c * (tile_width + SPACING)
        y = top + SPACING + r * (tiles.shape[1] + SPACING) + height
        draw_caption(canvas, font, text, (x, y, tile_width, _CAPTION), (200, 0, 0) if bad else (0, 0, 0))
    return save_png(canvas, path)
