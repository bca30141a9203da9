"""Per-example preparation, run in worker processes: decode, validate, shrink, compute superpixels, encode.

No TensorFlow is imported here. Each task reads its own files (``FileRef``: a file or a zip member) and returns
encoded PNG/JPEG bytes, so only small byte strings cross process boundaries and a worker holds one image at a
time. JPEGs larger than the stored size are decoded at a reduced DCT scale (``PIL.Image.draft``) before the
final Lanczos resize, which keeps 6000-px images cheap in time and memory.

What is stored:

* ``image``: the original file bytes when the image is a JPEG within ``max_side``; otherwise the image shrunk so
  its longer side is ``max_side`` and re-encoded (JPEG quality 95, 4:4:4, for JPEG sources; PNG for others).
* masks: single-channel PNG, 0/255 (binarised at 128 like the official scorer), nearest-neighbour resized to
  the stored image size. A mask must have exactly its image's size in the release.
* ``superpixels``: uint16 PNG of superpixel ids at the stored size, decoded from the release's
  ``*_superpixels.png`` (nearest neighbour) or computed by SLIC on the image shrunk to fit ``slic_fit``
  (default 512x1024: the resolution of the paper's instance maps) and scaled back nearest-neighbour.
"""

from __future__ import annotations

import dataclasses
import io
from typing import Optional

import numpy as np
from PIL import Image, UnidentifiedImageError

from tfskin.data.geometry import fit_within, fitted_size
from tfskin.data.superpixels import SlicParams, decode_superpixel_rgb, slic_superpixels
from tfskin.data.tfds.common import BadInputError

JPEG_QUALITY = 95
_READ_ERRORS = (OSError, UnidentifiedImageError, SyntaxError, ValueError, Image.DecompressionBombError)


@dataclasses.dataclass(frozen=True)
class Task:
    """The files of one example and how to store them."""

    key: str
    image: object  # FileRef
    mask: object = None
    attributes: Optional[tuple] = None  # FileRefs in ATTRIBUTE_NAMES order
    superpixels: object = None  # FileRef of a release *_superpixels.png
    extra_images: tuple = ()  # ((feature name, FileRef), ...), e.g. derm7pt's clinical image
    max_side: int = 1024
    slic: Optional[SlicParams] = None  # compute SLIC when no superpixel file is given
    slic_fit: tuple = ()  # run SLIC on the image shrunk to fit this (height, width); () = at the stored size
    empty_mask: bool = False  # store an all-zero mask (dataset has masks for other images only)


@dataclasses.dataclass
class Prepared:
    image: bytes
    original_size: tuple  # (height, width) in the release
    stored_size: tuple  # (height, width) stored
    mask: Optional[bytes] = None
    attributes: Optional[list] = None
    attribute_present: Optional[list] = None
    superpixels: Optional[bytes] = None
    extra_images: dict = dataclasses.field(default_factory=dict)


def _open(ref) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(ref.read_bytes()))
        image.size  # noqa: B018  (header parsed)
        return image
    except BadInputError:
        raise
    except _READ_ERRORS as err:
        # PIL's message names the in-memory buffer (``<_io.BytesIO object at 0x...>``): give its kind instead
        raise BadInputError(ref, f"corrupt, truncated or not an image ({type(err).__name__})") from None


def _load(image: Image.Image, ref):
    try:
        image.load()
    except _READ_ERRORS as err:
        # PIL's message names the in-memory buffer (``<_io.BytesIO object at 0x...>``): give its kind instead
        raise BadInputError(ref, f"corrupt, truncated or not an image ({type(err).__name__})") from None
    return image


def _encode(image: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    if fmt == "JPEG":
        image.save(buffer, format="JPEG", quality=JPEG_QUALITY, subsampling=0)
    else:
        image.save(buffer, format="PNG")
    return buffer.getvalue()


def load_rgb(ref, max_side: int):
    """(encoded bytes, RGB uint8 array at the stored size, original (h, w), stored (h, w))."""
    image = _open(ref)
    fmt = image.format
    width, height = image.size
    new_h, new_w = fit_within(height, width, max_side)
    resized = (new_h, new_w) != (height, width)
    if resized and fmt == "JPEG":
        image.draft("RGB", (new_w, new_h))
    rgb = _load(image, ref).convert("RGB")
    if rgb.size != (new_w, new_h):
        rgb = rgb.resize((new_w, new_h), Image.Resampling.LANCZOS)
    if not resized and fmt == "JPEG" and image.mode == "RGB":
        encoded = ref.read_bytes()
    else:
        encoded = _encode(rgb, "JPEG" if fmt == "JPEG" else "PNG")
    return encoded, np.asarray(rgb), (height, width), (new_h, new_w)


def _check_size(ref, image: Image.Image, what: str, image_ref, original: tuple):
    if image.size != (original[1], original[0]):
        raise BadInputError(ref, f"{what} is {image.size[0]}x{image.size[1]} but its image {image_ref.name} is "
                                 f"{original[1]}x{original[0]} (width x height); it must have the image's size")


def load_mask(ref, image_ref, original: tuple, stored: tuple, what: str = "mask") -> np.ndarray:
    """Boolean mask at the stored size; must match the image's original size."""
    image = _open(ref)
    _check_size(ref, image, what, image_ref, original)
    grey = _load(image, ref).convert("L")
    if grey.size != (stored[1], stored[0]):
        grey = grey.resize((stored[1], stored[0]), Image.Resampling.NEAREST)
    return np.asarray(grey) >= 128


def encode_mask(mask: np.ndarray) -> bytes:
    return _encode(Image.fromarray(mask.astype(np.uint8) * 255, "L"), "PNG")


def encode_uint16(ids: np.ndarray, ref) -> bytes:
    if ids.size and ids.max() > 65535:
        raise BadInputError(ref, f"{int(ids.max()) + 1} superpixels; at most 65536 can be stored")
    buffer = io.BytesIO()
    Image.fromarray(ids.astype(np.uint16)).save(buffer, format="PNG")
    return buffer.getvalue()


def load_superpixels(ref, image_ref, original: tuple, stored: tuple) -> np.ndarray:
    image = _open(ref)
    _check_size(ref, image, "superpixel image", image_ref, original)
    rgb = _load(image, ref)
    if rgb.mode != "RGB":
        raise BadInputError(ref, f"superpixel images are RGB PNGs (index = R + 256 G + 65536 B), got mode {rgb.mode}")
    ids = decode_superpixel_rgb(np.asarray(rgb))
    if ids.shape != stored:
        ids = np.asarray(Image.fromarray(ids).resize((stored[1], stored[0]), Image.Resampling.NEAREST))
    return ids


def _slic_at(rgb: np.ndarray, params: SlicParams, fit: tuple) -> np.ndarray:
    """SLIC ids at the size of ``rgb``, computed on ``rgb`` shrunk to fit ``fit`` (nearest-neighbour back up)."""
    height, width = rgb.shape[:2]
    small = fitted_size(height, width, fit, upscale=False) if fit else (height, width)
    if small == (height, width):
        return slic_superpixels(rgb, params)
    shrunk = np.asarray(Image.fromarray(rgb).resize((small[1], small[0]), Image.Resampling.LANCZOS))
    ids = slic_superpixels(shrunk, params)
    return np.asarray(Image.fromarray(ids).resize((width, height), Image.Resampling.NEAREST))


_TAIL_BYTES = 1 << 16


def probe(ref) -> tuple:
    """(format, (height, width)) read from the header alone; the end of a JPEG/PNG on disk is checked too.

    Cheap (no pixel decoding): ``check`` runs it on every file before the long preparation starts.
    """
    try:
        with ref.stream() as f:
            image = Image.open(f)
            fmt, (width, height) = image.format, image.size
    except BadInputError:
        raise
    except _READ_ERRORS as err:
        # PIL's message names the in-memory buffer (``<_io.BytesIO object at 0x...>``): give its kind instead
        raise BadInputError(ref, f"corrupt, truncated or not an image ({type(err).__name__})") from None
    marker = {"JPEG": b"\xff\xd9", "PNG": b"IEND"}.get(fmt)
    if marker is not None:
        tail = ref.tail(_TAIL_BYTES)
        if tail is not None and marker not in tail:
            raise BadInputError(ref, f"corrupt, truncated or not an image (the {fmt} file ends early: no end "
                                     f"marker; download it again)")
    return fmt, (height, width)


def _size_problem(ref, size: tuple, what: str, image_ref, original: tuple) -> Optional[str]:
    if size != original:
        return (f"{what} is {size[1]}x{size[0]} but its image {image_ref.name} is {original[1]}x{original[0]} "
                f"(width x height); it must have the image's size")
    return None


def check(task: Task) -> list:
    """Every problem of one example found from file headers alone: [(file, problem)] ([] when fine)."""
    try:
        _, original = probe(task.image)
    except BadInputError as err:
        return [(err.file, err.problem)]
    companions = []
    if task.mask is not None:
        companions.append((task.mask, "lesion mask"))
    companions += [(ref, "attribute mask") for ref in task.attributes or ()]
    if task.superpixels is not None:
        companions.append((task.superpixels, "superpixel image"))
    problems = []
    for ref, what in companions:
        try:
            problem = _size_problem(ref, probe(ref)[1], what, task.image, original)
        except BadInputError as err:
            problems.append((err.file, err.problem))
            continue
        if problem:
            problems.append((str(ref), problem))
    for _, ref in task.extra_images:
        try:
            probe(ref)
        except BadInputError as err:
            problems.append((err.file, err.problem))
    return problems


def prepare(task: Task) -> Prepared:
    """Everything stored for one example; raises BadInputError naming the offending file."""
    encoded, rgb, original, stored = load_rgb(task.image, task.max_side)
    out = Prepared(image=encoded, original_size=original, stored_size=stored)
    if task.mask is not None:
        out.mask = encode_mask(load_mask(task.mask, task.image, original, stored, "lesion mask"))
    elif task.empty_mask:
        out.mask = encode_mask(np.zeros(stored, bool))
    if task.attributes is not None:
        masks = [load_mask(ref, task.image, original, stored, "attribute mask") for ref in task.attributes]
        out.attributes = [encode_mask(m) for m in masks]
        out.attribute_present = [bool(m.any()) for m in masks]
    if task.superpixels is not None:
        out.superpixels = encode_uint16(load_superpixels(task.superpixels, task.image, original, stored),
                                        task.superpixels)
    elif task.slic is not None:
        out.superpixels = encode_uint16(_slic_at(rgb, task.slic, task.slic_fit), task.image)
    for name, ref in task.extra_images:
        out.extra_images[name] = load_rgb(ref, task.max_side)[0]
    return out
