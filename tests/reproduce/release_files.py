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
