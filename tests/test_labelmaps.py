"""Semantic label maps, instance maps and boundary maps, checked pixel by pixel."""

import numpy as np
import pytest

from tfskin.classes import ATTRIBUTE_NAMES
from tfskin.data.instances import boundary_map, instance_map
from tfskin.data.labelmaps import (
    ATTRIBUTE_LABELS,
    LESION,
    NUM_LABELS,
    PADDING,
    SKIN,
    colorize,
    semantic_label_map,
)
from tfskin.data.resize import pad_geometry, resize_with_pad, valid_region

TARGET = (512, 1024)  # pix2pixHD's 1024x512 (height, width)


def _masks(height, width):
    """A rectangular lesion and overlapping attributes (0/255), in source-image coordinates."""
    mask = np.zeros((height, width, 1), np.uint8)
    attrs = np.zeros((height, width, 5), np.uint8)
    mask[64:192, 96:288] = 255
    k = {name: i for i, name in enumerate(ATTRIBUTE_NAMES)}
    attrs[80:160, 112:272, k["pigment_network"]] = 255
    attrs[100:140, 150:230, k["streaks"]] = 255  # inside the pigment network: streaks win
    attrs[180:200, 280:300, k["globules"]] = 255  # overhangs the lesion border
    attrs[185:196, 285:296, k["milia_like_cyst"]] = 255  # under the globules: globules win
    return mask, attrs  # negative network stays empty


def _expected_source_labels(mask, attrs):
    """The documented rule written out directly: skin, lesion, then the highest present attribute id."""
    expected = np.where(mask[..., 0] > 0, LESION, SKIN)
    ids = np.array([ATTRIBUTE_LABELS[n] for n in ATTRIBUTE_NAMES])
    present = attrs > 0
    highest = np.max(np.where(present, ids, 0), axis=-1)
    return np.where(present.any(-1), highest, expected).astype(np.uint8)


def _label_map_through_resize(height, width):
    mask, attrs = _masks(height, width)
    mask_r = resize_with_pad(mask, TARGET, method="nearest")
    attrs_r = resize_with_pad(attrs, TARGET, method="nearest")
    valid = valid_region(height, width, TARGET)
    return semantic_label_map(mask_r, attrs_r, valid).numpy()[..., 0], mask, attrs


def test_padded_image_label_map_pixel_by_pixel():
    # 256x384 (3:2) into 512x1024: scale 2, 768 wide, 128 columns of padding each side.
    labels, mask, attrs = _label_map_through_resize(256, 384)
    g = pad_geometry(256, 384, TARGET)
    assert (g.height, g.width, g.top, g.left) == (512, 768, 0, 128)
    expected = np.zeros(TARGET, np.uint8)
    expected[:, 128:896] = np.kron(_expected_source_labels(mask, attrs), np.ones((2, 2), np.uint8))
    np.testing.assert_array_equal(labels, expected)
    # Spot checks, in target coordinates.
    assert labels[0, 0] == PADDING and labels[0, 127] == PADDING and labels[0, 896] == PADDING
    assert labels[0, 128] == SKIN
    assert labels[2 * 70, 128 + 2 * 100] == LESION
    assert labels[2 * 90, 128 + 2 * 120] == ATTRIBUTE_LABELS["pigment_network"]
    assert labels[2 * 120, 128 + 2 * 200] == ATTRIBUTE_LABELS["streaks"]
    assert labels[2 * 190, 128 + 2 * 290] == ATTRIBUTE_LABELS["globules"]  # over milia-like cysts
    assert labels[2 * 195, 128 + 2 * 298] == ATTRIBUTE_LABELS["globules"]  # outside the lesion mask
    assert not (labels == ATTRIBUTE_LABELS["negative_network"]).any()
    assert not (labels == ATTRIBUTE_LABELS["milia_like_cyst"]).any()


def test_exactly_two_to_one_image_has_no_padding_label():
    # The [0, 0]-colour heuristic of the paper's scripts would call all skin "border" here.
    labels, mask, attrs = _label_map_through_resize(256, 512)
    assert not (labels == PADDING).any()
    assert labels[0, 0] == SKIN
    np.testing.assert_array_equal(labels, np.kron(_expected_source_labels(mask, attrs), np.ones((2, 2), np.uint8)))


def test_label_map_accepts_bool_float_and_2d_masks():
    mask = np.zeros((4, 5), bool)
    mask[1:3, 1:4] = True
    valid = np.ones((4, 5), np.uint8)
    valid[:, 0] = 0
    out = semantic_label_map(mask.astype(np.float32), None, valid).numpy()[..., 0]
    np.testing.assert_array_equal(out, [[0, 1, 1, 1, 1], [0, 2, 2, 2, 1], [0, 2, 2, 2, 1], [0, 1, 1, 1, 1]])
    assert (semantic_label_map(mask).numpy()[..., 0] == np.where(mask, 2, 1)).all()
    with pytest.raises(ValueError, match="5 channels"):
        semantic_label_map(mask, np.zeros((4, 5, 3), np.uint8))


def test_instance_and_boundary_maps_by_hand():
    labels = np.array([
        [0, 1, 1, 1, 2, 2],
        [0, 1, 1, 2, 2, 2],
        [0, 1, 2, 2, 3, 3],
        [0, 1, 1, 2, 3, 3],
    ], np.uint8)
    superpixels = np.array([
        [0, 0, 0, 1, 1, 1],
        [0, 0, 0, 1, 1, 1],
        [2, 2, 2, 3, 3, 3],
        [2, 2, 2, 3, 3, 3],
    ], np.int32)
    # sp 0: 4 skin (+2 padding) -> skin #0 = 1000; sp 1: 1 skin, 5 lesion -> lesion #0 = 2000;
    # sp 2: 3 skin, 1 lesion -> skin #1 = 1001; sp 3: 2 lesion, 4 pigment network -> 3000. Padding -> 0.
    expected = np.array([
        [0, 1000, 1000, 2000, 2000, 2000],
        [0, 1000, 1000, 2000, 2000, 2000],
        [0, 1001, 1001, 3000, 3000, 3000],
        [0, 1001, 1001, 3000, 3000, 3000],
    ])
    inst = instance_map(superpixels, labels).numpy()[..., 0]
    np.testing.assert_array_equal(inst, expected)
    edges = boundary_map(inst).numpy()
    np.testing.assert_array_equal(edges, [
        [1, 1, 1, 1, 0, 0],
        [1, 1, 1, 1, 1, 1],
        [1, 1, 1, 1, 1, 1],
        [1, 1, 1, 1, 0, 0],
    ])
    assert boundary_map(inst[..., None]).shape == (4, 6, 1)


def test_instance_map_ties_go_to_the_higher_class():
    labels = np.array([[1, 2]], np.uint8)
    inst = instance_map(np.zeros((1, 2), np.int32), labels).numpy()[..., 0]
    np.testing.assert_array_equal(inst, [[2000, 2000]])


def test_instance_and_boundary_maps_on_a_padded_resize():
    height, width = 256, 384
    mask, attrs = _masks(height, width)
    blocks = (np.arange(height)[:, None] // 64) * 4 + (np.arange(width)[None, :] // 96)  # 4x4 grid of ids 0..15
    sp = resize_with_pad(blocks[..., None].astype(np.int32), TARGET, method="nearest").numpy()[..., 0]
    labels, _, _ = _label_map_through_resize(height, width)
    inst = instance_map(sp, labels).numpy()[..., 0]
    # Expected, written block by block from the rule: majority class (ties -> higher id), k in block-id order.
    counts_per_class = {}
    expected = np.zeros(TARGET, np.int64)
    for block in range(16):
        where = (sp == block) & (labels != PADDING)
        votes = np.bincount(labels[where], minlength=NUM_LABELS)
        cls = NUM_LABELS - 1 - int(np.argmax(votes[::-1]))
        k = counts_per_class.get(cls, 0)
        counts_per_class[cls] = k + 1
        expected[where] = cls * 1000 + k
    np.testing.assert_array_equal(inst, expected)
    assert (inst[:, :128] == 0).all() and (inst[:, 896:] == 0).all()
    edges = boundary_map(inst).numpy()
    manual = np.zeros(TARGET, bool)
    diff_x = inst[:, 1:] != inst[:, :-1]
    diff_y = inst[1:, :] != inst[:-1, :]
    manual[:, 1:] |= diff_x
    manual[:, :-1] |= diff_x
    manual[1:, :] |= diff_y
    manual[:-1, :] |= diff_y
    np.testing.assert_array_equal(edges.astype(bool), manual)
    assert edges[0, 127] == 1 and edges[0, 128] == 1 and edges[0, 126] == 0  # the padding border
    assert edges[0, 128 + 2 * 96] == 1 and edges[0, 128 + 2 * 96 - 1] == 1  # between blocks 0 and 1
    assert edges[10, 140] == 0  # inside block 0


def test_colorize():
    rgb = colorize(np.array([[0, 1, 7]], np.uint8))
    assert rgb.shape == (1, 3, 3) and rgb.dtype == np.uint8
    with pytest.raises(ValueError, match="label ids"):
        colorize(np.array([[8]]))
