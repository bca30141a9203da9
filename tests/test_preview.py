"""Tests for tfskin.data.preview (make_grid, mask_outline, save_preview_grid)."""

import numpy as np
import pytest
from PIL import Image

from tfskin.data.phantoms import generate_phantoms
from tfskin.data.preview import OUTLINE_COLOUR, make_grid, mask_outline, save_preview_grid


def numbered_tiles(n, h=6, w=5, channels=3):
    return np.stack([np.full((h, w, channels), 10 * (i + 1), np.uint8) for i in range(n)])


def test_make_grid_places_tiles_with_two_pixel_spacing():
    tiles = numbered_tiles(5)
    grid = make_grid(tiles, columns=3)
    assert grid.dtype == np.uint8
    assert grid.shape == (2 * (6 + 2) + 2, 3 * (5 + 2) + 2, 3)
    for i in range(5):
        r, c = divmod(i, 3)
        y, x = 2 + r * 8, 2 + c * 7
        assert (grid[y:y + 6, x:x + 5] == 10 * (i + 1)).all()
    assert (grid[:2] == 0).all() and (grid[:, :2] == 0).all()  # outer border
    assert (grid[10:16, 16:21] == 0).all()  # the missing sixth tile stays background
    assert grid.sum() == sum(10 * (i + 1) * 6 * 5 * 3 for i in range(5))


def test_make_grid_accepts_single_channel_and_short_batches():
    grid = make_grid(numbered_tiles(2, channels=1), columns=8)
    assert grid.shape == (6 + 4, 2 * (5 + 2) + 2, 3)  # columns shrink to the number of images
    assert (grid[2:8, 2:7] == 10).all() and (grid[2:8, 9:14] == 20).all()


@pytest.mark.parametrize("images,columns", [
    (np.zeros((2, 4, 4, 2), np.uint8), 2),
    (np.zeros((4, 4, 3), np.uint8), 2),
    (np.zeros((2, 4, 4, 3), np.float32), 2),
    (np.zeros((2, 4, 4, 3), np.uint8), 0),
])
def test_make_grid_rejects_bad_input(images, columns):
    with pytest.raises(ValueError):
        make_grid(images, columns)


def test_mask_outline_is_the_one_pixel_inner_contour():
    mask = np.zeros((10, 10), np.uint8)
    mask[2:7, 3:9] = 255
    outline = mask_outline(mask)
    expected = np.zeros((10, 10), bool)
    expected[2:7, 3:9] = True
    expected[3:6, 4:8] = False
    np.testing.assert_array_equal(outline, expected)
    assert not mask_outline(np.zeros((4, 4))).any()


def test_save_preview_grid_writes_labelled_png(tmp_path):
    batch = generate_phantoms(10, 64, 64, seed=0, class_prior=[1.0] * 8)
    path = save_preview_grid(batch, tmp_path / "sub" / "preview.png", columns=4, title="phantoms")
    with Image.open(path) as im:
        assert im.format == "PNG" and im.mode == "RGB"
        width, height = im.size
        pixels = np.asarray(im)
    assert width == 4 * (64 + 2) + 2
    rows = 3
    caption, title = 14, 18
    assert height == title + rows * (64 + caption + 2) + 2
    # the first tile shows the image with the mask outline drawn over it
    tile = pixels[title + 2:title + 2 + 64, 2:2 + 64]
    outline = mask_outline(batch["mask"][0])
    assert outline.any()
    assert (tile[outline] == OUTLINE_COLOUR).all()
    interior = (batch["mask"][0] > 0) & ~outline
    np.testing.assert_array_equal(tile[interior], batch["image"][0][interior])
    # captions are drawn in the strip below each tile
    strip = pixels[title + 2 + 64:title + 2 + 64 + caption, 2:2 + 64]
    assert (strip < 128).any()


def test_save_preview_grid_without_labels_or_title(tmp_path):
    images = numbered_tiles(3, 20, 30)
    path = save_preview_grid({"image": images}, tmp_path / "plain.png", columns=2)
    with Image.open(path) as im:
        assert im.size == (2 * (30 + 2) + 2, 2 * (20 + 14 + 2) + 2)
    with pytest.raises(ValueError):
        save_preview_grid({"image": images[:0]}, tmp_path / "empty.png")


def _overlay_batch(n, size=24, label=0, malignant=False):
    rng = np.random.default_rng(0)
    mask = np.zeros((n, size, size, 1), np.uint8)
    mask[:, 6:18, 6:18] = 255
    return {"image": rng.integers(80, 200, (n, size, size, 3), dtype=np.uint8), "mask": mask,
            "label": np.full(n, label), "malignant": np.full(n, malignant)}


def test_caption_says_malignant_once_and_fits_its_tile():
    from PIL import ImageDraw, ImageFont

    from tfskin.data.preview import caption_options, fit_caption

    assert caption_options("malignant", True) == ["malignant"]  # ISIC 2016 / 2020 class names
    assert caption_options("benign", False) == ["benign"]
    assert caption_options("melanoma", True)[0] == "melanoma malignant"
    draw, font = ImageDraw.Draw(Image.new("RGB", (10, 10))), ImageFont.load_default()
    text = fit_caption(draw, font, caption_options("melanoma (less than 0.76 mm)", True), 60)
    assert text.endswith("...") and draw.textlength(text, font=font) <= 60


def test_overlay_captions_stay_in_their_tile_and_rows_wrap(tmp_path):
    from tfskin.data.overlays import save_overlay_grid

    long_name = "melanoma (less than 0.76 mm)"  # a derm7pt diagnosis, far wider than a 24-px tile
    batch = _overlay_batch(6, label=0, malignant=True)
    path = save_overlay_grid(batch, tmp_path / "long.png", panels=("image",), class_names=(long_name,), columns=2)
    pixels = np.asarray(Image.open(path))
    assert pixels.shape[1] == 2 * (24 + 2) + 2 and pixels.shape[0] == 3 * (24 + 14 + 2) + 2  # 2 per row, 3 rows
    caption_rows = slice(2 + 24, 2 + 24 + 14)
    gap = pixels[caption_rows, 2 + 24:2 + 24 + 2]  # the 2-px gap between the first two captions
    assert (gap == 255).all() and (pixels[caption_rows, 2:2 + 24] < 128).any()
    # Three panels per example: columns=8 gives two examples per row, so 32 examples wrap into 16 rows.
    wide = _overlay_batch(32)
    wide["label_map"] = np.ones((32, 24, 24, 1), np.uint8)
    wide["boundary"] = np.zeros((32, 24, 24, 1), np.uint8)
    path = save_overlay_grid(wide, tmp_path / "wrap.png", panels=("image", "label_map", "boundary"),
                             class_names=("malignant",), columns=8, title="isic2016 / train")
    width, height = Image.open(path).size
    tile = 3 * 24 + 2
    assert width == 2 * (tile + 2) + 2 and height == 18 + 16 * (24 + 14 + 2) + 2
