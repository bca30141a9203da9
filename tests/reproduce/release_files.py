"""Tiny releases in their official file layouts (names, folders, CSV headers), with images the tests draw."""

import csv
import io

import numpy as np
from PIL import Image

LABELS_2019 = ("MEL", "NV", "BCC", "AK", "BKL", "DF", "VASC", "SCC", "UNK")


def jpeg(seed: int, shape=(12, 16, 3)) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 255, shape, dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG")
    return buffer.getvalue()


def write_isic2019(root, rows):
    """An ISIC 2019 training release of ``rows`` [(image file stem, class)]: ``ISIC_2019_Training_Input/``
    (with its ATTRIBUTION/LICENSE files), the ground truth and metadata CSVs."""
    images = root / "ISIC_2019_Training_Input"
    images.mkdir(parents=True)
    for i, (image_id, _) in enumerate(rows):
        (images / f"{image_id}.jpg").write_bytes(jpeg(i))
    (images / "ATTRIBUTION.txt").write_text("drawn by the test\n")
    (images / "LICENSE.txt").write_text("CC-0 (test data)\n")
    with open(root / "ISIC_2019_Training_GroundTruth.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(("image", *LABELS_2019))
        writer.writerows((i, *("1.0" if n == c else "0.0" for n in LABELS_2019)) for i, c in rows)
    with open(root / "ISIC_2019_Training_Metadata.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(("image", "age_approx", "anatom_site_general", "lesion_id", "sex"))
        writer.writerows((i, "50", "", "", "") for i, _ in rows)


def lesion(seed: int, shape=(24, 32)) -> tuple:
    """(RGB image, 0/255 mask) of one drawn lesion: a dark ellipse on skin-coloured noise."""
    rng = np.random.default_rng(seed)
    h, w = shape
    yy, xx = np.mgrid[:h, :w]
    cy, cx = rng.uniform(0.35, 0.65) * h, rng.uniform(0.35, 0.65) * w
    ry, rx = rng.uniform(0.15, 0.35) * h, rng.uniform(0.15, 0.35) * w
    inside = ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1.0
    skin = np.array([200, 150, 130]) + rng.normal(0, 12, (h, w, 3))
    image = np.where(inside[..., None], skin * 0.45, skin).clip(0, 255).astype(np.uint8)
    return image, (inside * 255).astype(np.uint8)


def _save(array, path, format):
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format=format)
    path.write_bytes(buffer.getvalue())


ISIC2017_PARTS = {"train": "Training", "validation": "Validation", "test": "Test_v2"}


def write_isic2017(root, splits):
    """An ISIC 2017 release of ``splits`` {split: [(image id, "melanoma" | "seborrheic_keratosis" | "nevus")]}:
    per split ``ISIC-2017_<part>_Data/`` (JPEGs and the metadata CSV), ``..._Part1_GroundTruth/`` (lowercase
    ``_segmentation.png`` masks, 0/255) and the Part 3 ground-truth CSV."""
    seed = 0
    for split, rows in splits.items():
        part = ISIC2017_PARTS[split]
        images, masks = root / f"ISIC-2017_{part}_Data", root / f"ISIC-2017_{part}_Part1_GroundTruth"
        images.mkdir(parents=True)
        masks.mkdir(parents=True)
        for image_id, _ in rows:
            image, mask = lesion(seed)
            seed += 1
            _save(image, images / f"{image_id}.jpg", "JPEG")
            _save(mask, masks / f"{image_id}_segmentation.png", "PNG")
        with open(images / f"ISIC-2017_{part}_Data_metadata.csv", "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(("image_id", "age_approximate", "sex"))
            writer.writerows((i, "55", "unknown") for i, _ in rows)
        with open(root / f"ISIC-2017_{part}_Part3_GroundTruth.csv", "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(("image_id", "melanoma", "seborrheic_keratosis"))
            writer.writerows((i, "1.0" if c == "melanoma" else "0.0", "1.0" if c == "seborrheic_keratosis" else "0.0")
                             for i, c in rows)


PH2_HEADER = ("||   Name   || Histological Diagnosis || Clinical Diagnosis || Asymmetry | Pigment Network | "
              "Dots/Globules | Streaks | Regression Areas | Blue-Whitish Veil || Colors ||")


def write_ph2(root, names):
    """A PH2 release of ``names`` [(IMDnnn, clinical diagnosis 0/1/2)]: ``PH2Dataset/PH2_dataset.txt`` and, per
    image, ``PH2 Dataset images/IMDnnn/IMDnnn_Dermoscopic_Image/IMDnnn.bmp`` and the 1-channel lesion BMP
    ``IMDnnn_lesion/IMDnnn_lesion.bmp``."""
    base = root / "PH2Dataset"
    lines = [PH2_HEADER]
    for i, (name, clinical) in enumerate(names):
        folder = base / "PH2 Dataset images" / name
        (folder / f"{name}_Dermoscopic_Image").mkdir(parents=True)
        (folder / f"{name}_lesion").mkdir(parents=True)
        image, mask = lesion(1000 + i, shape=(28, 36))
        _save(image, folder / f"{name}_Dermoscopic_Image" / f"{name}.bmp", "BMP")
        _save(mask, folder / f"{name}_lesion" / f"{name}_lesion.bmp", "BMP")
        lines.append(f"||  {name}  ||                        ||  {clinical}  ||  0  |  T  |  A  |  A  |  A  |  A  "
                     f"||  3 4  ||")
    (base / "PH2_dataset.txt").write_text("\n".join(lines) + "\n\nLegends: (drawn by the test)\n", encoding="latin-1")


TASK2_ATTRIBUTES = ("globules", "milia_like_cyst", "negative_network", "pigment_network", "streaks")
ISIC2018_PARTS = {"train": ("Training", "Training_GroundTruth_v3"),
                  "validation": ("Validation", "Validation_GroundTruth"), "test": ("Test", "Test_GroundTruth")}


def write_isic2018_task1_2(root, splits):
    """An ISIC 2018 task 1/2 release of ``splits`` {split: [image id]}: per split ``ISIC2018_Task1-2_<part>_Input/``
    (JPEGs, ATTRIBUTION/LICENSE), ``ISIC2018_Task1_<part>_GroundTruth/`` (``_segmentation.png`` masks, 0/255) and
    the task 2 folder (``_attribute_<name>.png`` for its five attributes; the training folder is ``..._v3``)."""
    seed = 500
    for split, ids in splits.items():
        part, task2 = ISIC2018_PARTS[split]
        folders = [root / f"ISIC2018_Task1-2_{part}_Input", root / f"ISIC2018_Task1_{part}_GroundTruth",
                   root / f"ISIC2018_Task2_{task2}"]
        for folder in folders:
            folder.mkdir(parents=True)
            (folder / "ATTRIBUTION.txt").write_text("drawn by the test\n")
            (folder / "LICENSE.txt").write_text("CC-0 (test data)\n")
        images, masks, attributes = folders
        for image_id in ids:
            image, mask = lesion(seed)
            seed += 1
            _save(image, images / f"{image_id}.jpg", "JPEG")
            _save(mask, masks / f"{image_id}_segmentation.png", "PNG")
            for k, name in enumerate(TASK2_ATTRIBUTES):
                part_of_lesion = mask if k == 3 else np.zeros_like(mask)  # a pigment network over the lesion
                _save(part_of_lesion, attributes / f"{image_id}_attribute_{name}.png", "PNG")
