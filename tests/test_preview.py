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
