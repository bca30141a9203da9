"""``derm7pt``: the seven-point checklist dataset (release_v0), dermoscopic + clinical image per case, with the
official train/valid/test index files.

``meta/meta.csv`` lists each case; its ``derm`` and ``clinic`` columns are image paths relative to ``images/``
with mixed-case extensions (``NEL/Nel026.jpg``, ``NEL/NEL025.JPG``); ``meta/{train,valid,test}_indexes.csv``
hold 0-based row positions into meta.csv in a column ``indexes``. Images keep their black border (the official
helper crops 25 px; crop downstream if wanted).
"""

from __future__ import annotations

from tfskin.data.tfds import common, instructions
from tfskin.data.tfds.base import Record, SkinBuilder, SkinConfig
from tfskin.data.tfds.common import BadInputError, MissingInputError, read_csv

LABELS = (
    "basal cell carcinoma", "blue nevus", "clark nevus", "combined nevus", "congenital nevus", "dermal nevus",
    "dermatofibroma", "lentigo", "melanoma", "melanoma (in situ)", "melanoma (less than 0.76 mm)",
    "melanoma (0.76 to 1.5 mm)", "melanoma (more than 1.5 mm)", "melanoma metastasis", "melanosis",
    "miscellaneous", "recurrent nevus", "reed or spitz nevus", "seborrheic keratosis", "vascular lesion",
)
CRITERIA = ("seven_point_score", "pigment_network", "streaks", "pigmentation", "regression_structures",
            "dots_and_globules", "blue_whitish_veil", "vascular_structures", "level_of_diagnostic_difficulty",
            "elevation", "management")
HEADER = ("case_num", "diagnosis", "seven_point_score", "pigment_network", "streaks", "pigmentation",
          "regression_structures", "dots_and_globules", "blue_whitish_veil", "vascular_structures",
          "level_of_diagnostic_difficulty", "elevation", "location", "sex", "management", "clinic", "derm")
OPTIONAL = ("case_id", "notes")
SPLIT_FILES = (("train", "train_indexes.csv"), ("validation", "valid_indexes.csv"), ("test", "test_indexes.csv"))

_INSTRUCTIONS = instructions.DERM7PT

_CITATION = """\
@article{kawahara2019seven, title={Seven-Point Checklist and Skin Lesion Classification using Multitask
  Multimodal Neural Nets}, author={Kawahara, Jeremy and Daneshvar, Sara and Argenziano, Giuseppe and
  Hamarneh, Ghassan}, journal={IEEE Journal of Biomedical and Health Informatics}, volume={23}, number={2},
  pages={538--546}, year={2019}}
"""


class Derm7pt(SkinBuilder):
    """derm7pt: 1011 cases, each a dermoscopic and a clinical image, diagnosis and seven-point criteria."""

    name = "derm7pt"
    DESCRIPTION = ("Seven-point checklist dataset (Interactive Atlas of Dermoscopy): per case a dermoscopic "
                   "and a clinical image, the diagnosis and the seven-point criteria.")
    HOMEPAGE = "https://derm.cs.sfu.ca"
    CITATION = _CITATION
    MANUAL_DOWNLOAD_INSTRUCTIONS = _INSTRUCTIONS
    BUILDER_CONFIGS = [
        SkinConfig(name="derm7pt", description="Dermoscopic image as image, clinical image as clinical_image; "
                                               "diagnosis label; official train 413 / valid 203 / test 395.",
                   labels=LABELS, has_malignant=True, extra_images=("clinical_image",), criteria=CRITERIA),
    ]

    def _records(self, tree, problems) -> dict:
        found = tree.locate(r"meta\.csv", "meta")
        if len(found) != 1:
            where = ", ".join(str(ref) for _, ref in found) or "none"
            raise MissingInputError(f"{tree.root}: expected one release_v0/meta/meta.csv, found {where}{tree.hint()}")
        parts, table = found[0]
        root = parts[:-2]  # .../release_v0
        meta_files = tree.under(root + ("meta",))
        images = tree.under(root + ("images",))
        lower = {}
        for rel in images:
            lower.setdefault(rel.lower(), rel)
        cases = read_csv(table, HEADER, OPTIONAL)
        out, used = {}, {}
        for split, file_name in SPLIT_FILES:
            index_file = meta_files.get(file_name)
            if index_file is None:
                raise MissingInputError(f"{'/'.join(root + ('meta', file_name))}: missing (official split index)")
            records = []
            for line, row in read_csv(index_file, ("indexes",), ("",)):
                position = common.parse_float(row["indexes"])
                if position is None or position != int(position) or not 0 <= position < len(cases):
                    raise BadInputError(index_file, f"line {line}: index {row['indexes']!r} is not a row of "
                                                    f"meta.csv (0..{len(cases) - 1})")
                position = int(position)
                if position in used:
                    raise BadInputError(index_file, f"line {line}: case row {position} is already in {used[position]}")
                used[position] = split
                record = self._record(cases[position], table, images, lower, root, problems, split)
                if record is not None:
                    records.append(record)
            out[split] = records
        return out

    def _record(self, case, table, images, lower, root, problems, split):
        line, row = case
        files = {}
        for column in ("derm", "clinic"):
            rel = row[column].replace("\\", "/")
            ref = images.get(rel) or images.get(lower.get(rel.lower(), ""))
            if ref is None:
                problems.bad(table, f"line {line}: {column} image {'/'.join(root + ('images', rel))} not found", split)
                return None
            files[column] = (rel, ref)
        diagnosis = row["diagnosis"]
        if diagnosis not in LABELS:
            problems.bad(table, f"line {line}: diagnosis {diagnosis!r} is not one of the release's {len(LABELS)} "
                                f"diagnoses", split)
            return None
        rel, derm = files["derm"]
        return Record(
            key=rel, image_id=derm.stem, image=derm, extra_images=(("clinical_image", files["clinic"][1]),),
            label=LABELS.index(diagnosis),
            malignant=diagnosis.startswith("melanoma") or diagnosis == "basal cell carcinoma",
            criteria={name: row[name] for name in CRITERIA},
            metadata=common.metadata(sex=row["sex"], site=row["location"], diagnosis=diagnosis,
                                     lesion_id=row["case_num"]))
