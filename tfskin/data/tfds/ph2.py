"""``ph2``: the PH2 dermoscopic image database (Universidade do Porto), BMP images and lesion masks.

The masks are 1-channel BMPs, which TensorFlow cannot decode to one channel; they are decoded in Python (PIL)
during preparation and stored as PNG. ``PH2_dataset.txt`` rows are ``||``-separated: name, histological
diagnosis, clinical diagnosis (0 common nevus, 1 atypical nevus, 2 melanoma), the ``|``-separated criteria
(asymmetry, pigment network, dots/globules, streaks, regression areas, blue-whitish veil) and colours.
No official split: seeded 80/10/10 by image.
"""

from __future__ import annotations

import re

from tfskin.data.tfds import common, instructions
from tfskin.data.tfds.base import DEFAULT_FRACTIONS, Record, SkinBuilder, SkinConfig
from tfskin.data.tfds.common import BadInputError

LABELS = ("common_nevus", "atypical_nevus", "melanoma")
CRITERIA = ("asymmetry", "pigment_network", "dots_globules", "streaks", "regression_areas", "blue_whitish_veil",
            "colors", "histological_diagnosis")
IMAGE_ID = r"IMD\d{3}"
IMAGES_FOLDER = "PH2 Dataset images"

_INSTRUCTIONS = instructions.PH2

_CITATION = """\
@inproceedings{mendonca2013ph2, title={PH2 - A dermoscopic image database for research and benchmarking},
  author={Mendon{\\c{c}}a, Teresa and Ferreira, Pedro M. and Marques, Jorge S. and Marcal, Andre R. S. and
  Rozeira, Jorge}, booktitle={35th Annual International Conference of the IEEE EMBS}, pages={5437--5440},
  year={2013}}
"""


def parse_ph2_table(ref) -> list:
    """[(line, {name, label, criteria...})] from PH2_dataset.txt (header line first; other lines ignored)."""
    lines = ref.read_bytes().decode("latin-1").splitlines()
    content = [(i + 1, line) for i, line in enumerate(lines) if line.strip()]
    if not content or "name" not in content[0][1].lower() or "||" not in content[0][1]:
        raise BadInputError(ref, "the first line should be the ||-separated header (Name || Histological "
                                 f"Diagnosis || Clinical Diagnosis || ...), found {content[0][1][:60]!r}"
                            if content else "empty file")
    rows = []
    for line_no, line in content[1:]:
        fields = [f.strip() for f in line.split("||")]
        if fields and fields[0] == "":
            fields = fields[1:]
        if fields and fields[-1] == "":
            fields = fields[:-1]
        if not fields or not re.fullmatch(IMAGE_ID, fields[0]):
            continue  # legend / notes after the table
        if len(fields) != 5:
            raise BadInputError(ref, f"line {line_no}: {len(fields)} ||-separated fields, expected 5 (name, "
                                     f"histological diagnosis, clinical diagnosis, criteria, colours)")
        criteria = [c.strip() for c in fields[3].split("|")]
        if len(criteria) != 6:
            raise BadInputError(ref, f"line {line_no}: {len(criteria)} |-separated criteria, expected 6")
        rows.append((line_no, {"name": fields[0], "histological": fields[1], "clinical": fields[2],
                               "criteria": criteria, "colors": fields[4]}))
    if not rows:
        raise BadInputError(ref, "no IMDnnn rows found")
    return rows


class Ph2(SkinBuilder):
    """PH2: 200 dermoscopic images (80 common nevi, 80 atypical nevi, 40 melanomas) with lesion masks."""

    name = "ph2"
    DESCRIPTION = ("PH2 dermoscopic image database: 200 BMP images (768x560) with lesion masks, clinical "
                   "diagnosis and dermoscopic criteria.")
    HOMEPAGE = "https://www.fc.up.pt/addi/ph2%20database.html"
    CITATION = _CITATION
    MANUAL_DOWNLOAD_INSTRUCTIONS = _INSTRUCTIONS
    BUILDER_CONFIGS = [
        SkinConfig(name="ph2", description="Clinical diagnosis as label, lesion masks, SLIC superpixels, criteria "
                                           "texts; seeded 80/10/10 split by image.",
                   labels=LABELS, has_malignant=True, has_mask=True, superpixels="slic", criteria=CRITERIA,
                   split_fractions=DEFAULT_FRACTIONS),
    ]

    def _records(self, tree, problems) -> dict:
        table = tree.find_one(r"PH2_dataset\.txt")
        images = tree.find(rf"{IMAGE_ID}\.bmp", rf"{IMAGE_ID}_Dermoscopic_Image")
        masks = tree.find(rf"{IMAGE_ID}_lesion\.bmp", rf"{IMAGE_ID}_lesion")
        records, seen = [], set()
        for line, row in parse_ph2_table(table):
            name = row["name"]
            if name in seen:
                raise BadInputError(table, f"line {line}: {name} appears twice")
            seen.add(name)
            folder = f"{IMAGES_FOLDER}/{name}"
            image, mask = images.get(f"{name}.bmp"), masks.get(f"{name}_lesion.bmp")
            if image is None:
                problems.bad(table, f"line {line}: {name} has no image {folder}/{name}_Dermoscopic_Image/{name}.bmp")
                continue
            if mask is None:
                problems.bad(f"{folder}/{name}_lesion/{name}_lesion.bmp", f"missing; it is the mask of {name}.bmp")
                continue
            clinical = common.parse_float(row["clinical"])
            if clinical not in (0.0, 1.0, 2.0):
                problems.bad(table, f"line {line}: clinical diagnosis {row['clinical']!r} is not 0, 1 or 2")
                continue
            label = int(clinical)
            values = dict(zip(CRITERIA, row["criteria"] + [row["colors"], row["histological"]], strict=True))
            records.append(Record(key=image.name, image_id=name, image=image, mask=mask, label=label,
                                  malignant=label == 2, criteria=values,
                                  metadata=common.metadata(diagnosis=LABELS[label])))
        for image_name in sorted(set(images) - {f"{n}.bmp" for n in seen}):
            problems.bad(images[image_name], f"{image_name} has no row in {table.name}")
        return self._assign_splits(records)
