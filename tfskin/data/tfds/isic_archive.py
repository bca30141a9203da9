"""``isic_archive``: what ``isic image download OUTDIR`` (isic-cli) writes.

``OUTDIR/<isic_id>.jpg`` (flat), ``OUTDIR/metadata.csv`` (``isic_id,attribution,copyright_license`` then the
sorted union of the metadata fields of the downloaded images: the columns vary with the query, missing values are
empty cells), ``attribution.txt`` and ``licenses/`` (ignored), and hidden ``.isic-partial.*`` temp files (ignored).

Labels map the archive's diagnosis text onto the ISIC 2019 classes + UNK, by keyword, from the most specific of
``diagnosis_5`` ... ``diagnosis_1`` (or the legacy ``diagnosis`` column); see ``diagnosis_class``. ``malignant``
is ``diagnosis_1 == "Malignant"`` (or legacy ``benign_malignant == "malignant"``). Seeded 80/10/10 splits keep
every image of a lesion and of a patient in one split.
"""

from __future__ import annotations

import re

from tfskin.classes import CLASS_NAMES
from tfskin.data.tfds import common, instructions
from tfskin.data.tfds.base import DEFAULT_FRACTIONS, Record, SkinBuilder, SkinConfig, match_rows, rows_by_id
from tfskin.data.tfds.common import BadInputError, MissingInputError, read_csv

LABELS = CLASS_NAMES + ("UNK",)
FIRST_COLUMNS = ("isic_id", "attribution", "copyright_license")
DIAGNOSIS_COLUMNS = ("diagnosis_5", "diagnosis_4", "diagnosis_3", "diagnosis_2", "diagnosis_1", "diagnosis")
# Keyword -> ISIC 2019 class, first match wins (checked against the lower-cased diagnosis text).
_KEYWORDS = (
    ("melanoma", "MEL"), ("basal cell", "BCC"), ("squamous cell", "SCC"), ("actinic keratosis", "AK"),
    ("solar or actinic", "AK"), ("seborrheic keratosis", "BKL"), ("lichen planus like keratosis", "BKL"),
    ("lentigo", "BKL"), ("dermatofibroma", "DF"), ("angioma", "VASC"), ("angiokeratoma", "VASC"),
    ("pyogenic granuloma", "VASC"), ("vascular", "VASC"), ("nevus", "NV"),
)

_INSTRUCTIONS = instructions.ISIC_ARCHIVE

_CITATION = """\
@misc{isic_archive, title={The ISIC Archive}, author={{International Skin Imaging Collaboration}},
  howpublished={\\url{https://www.isic-archive.com}}}
"""


def diagnosis_class(diagnosis: str) -> int:
    """Index into LABELS (ISIC 2019 classes + UNK) of an archive diagnosis text, by keyword."""
    text = diagnosis.lower()
    for keyword, name in _KEYWORDS:
        if keyword in text:
            return LABELS.index(name)
    return LABELS.index("UNK")


class IsicArchive(SkinBuilder):
    """Images and metadata downloaded from the ISIC archive with isic-cli."""

    name = "isic_archive"
    DESCRIPTION = ("Images and metadata downloaded from the ISIC archive with isic-cli (`isic image download`), "
                   "with diagnoses mapped onto the ISIC 2019 classes.")
    HOMEPAGE = "https://www.isic-archive.com"
    CITATION = _CITATION
    MANUAL_DOWNLOAD_INSTRUCTIONS = _INSTRUCTIONS
    BUILDER_CONFIGS = [
        SkinConfig(name="isic_archive", description="ISIC 2019 classes + UNK by diagnosis keyword; seeded 80/10/10 "
                                                    "split keeping lesions and patients together.",
                   labels=LABELS, has_malignant=True,
                   split_fractions=DEFAULT_FRACTIONS),
    ]

    def _records(self, tree, problems) -> dict:
        candidates = tree.locate(r"metadata\.csv")
        if len(candidates) != 1:
            where = ", ".join(str(ref) for _, ref in candidates) or "none"
            raise MissingInputError(f"{tree.root}: expected one metadata.csv written by `isic image download`, "
                                    f"found {where}{tree.hint()}")
        parts, table = candidates[0]
        folder = parts[:-1]
        images = {}
        for rel, ref in tree.under(folder).items():
            match = re.fullmatch(rf"({common.ISIC_ID})\.(jpe?g|png)", rel, re.IGNORECASE)
            if match:
                images[match.group(1)] = ref
        header = _header(table)
        rows = rows_by_id(table, read_csv(table, FIRST_COLUMNS, header[3:]), "isic_id")
        records = []
        for image_id in match_rows(images, rows, table, problems, "", "/".join(folder) or "."):
            row = rows[image_id][1]
            diagnosis = next((row[c] for c in DIAGNOSIS_COLUMNS if row.get(c)), "")
            malignant = row.get("diagnosis_1", "").lower() == "malignant" or \
                row.get("benign_malignant", "").lower() == "malignant"
            lesion, patient = row.get("lesion_id", ""), row.get("patient_id", "")
            records.append(Record(
                key=images[image_id].name, image_id=image_id, image=images[image_id],
                label=diagnosis_class(diagnosis), malignant=malignant,
                group_keys=(f"lesion:{lesion}" if lesion else "", f"patient:{patient}" if patient else ""),
                metadata=common.metadata(age=row.get("age_approx", ""), sex=row.get("sex"),
                                         site=row.get("anatom_site_general"), lesion_id=lesion, patient_id=patient,
                                         diagnosis=diagnosis,
                                         diagnosis_confirm_type=row.get("diagnosis_confirm_type"))))
        return self._assign_splits(records)


def _header(table) -> list:
    """The header of metadata.csv; isic-cli writes isic_id, attribution, copyright_license first."""
    first = table.read_bytes().decode("utf-8-sig").splitlines()[:1]
    header = [c.strip() for c in first[0].split(",")] if first else []
    if header[:3] != list(FIRST_COLUMNS):
        raise BadInputError(table, f"isic-cli's metadata.csv starts with {','.join(FIRST_COLUMNS)}; found "
                                   f"{','.join(header[:3]) or 'an empty file'}")
    return header
