"""``ham10000``: the HAM10000 release of Harvard Dataverse (doi:10.7910/DVN/DBW86T), with Tschandl's lesion
masks when present; seeded 80/10/10 splits that keep every image of a lesion in one split."""

from __future__ import annotations

from tfskin.data.tfds import common, instructions
from tfskin.data.tfds.base import DEFAULT_FRACTIONS, Record, SkinBuilder, SkinConfig, by_stem, match_rows, rows_by_id
from tfskin.data.tfds.common import ISIC_ID, MissingInputError, read_csv

# HAM10000 "dx" codes, ordered like the ISIC 2018 task 3 / ISIC 2019 columns so the index is the same class.
LABELS = ("mel", "nv", "bcc", "akiec", "bkl", "df", "vasc")
MALIGNANT = frozenset({"mel", "bcc"})
HEADER = ("lesion_id", "image_id", "dx", "dx_type", "age", "sex", "localization")
OPTIONAL = ("dataset",)  # added in the current Dataverse version
MASK_FOLDER = "HAM10000_segmentations_lesion_tschandl"

_INSTRUCTIONS = instructions.HAM10000

_CITATION = """\
@article{tschandl2018ham, title={The HAM10000 dataset, a large collection of multi-source dermatoscopic images of
  common pigmented skin lesions}, author={Tschandl, Philipp and Rosendahl, Cliff and Kittler, Harald},
  journal={Scientific Data}, volume={5}, pages={180161}, year={2018}}
@article{tschandl2020segmentation, title={Human--computer collaboration for skin cancer recognition},
  author={Tschandl, Philipp and others}, journal={Nature Medicine}, volume={26}, pages={1229--1234}, year={2020}}
"""


class Ham10000(SkinBuilder):
    """HAM10000: 10,015 dermoscopic images, seven diagnoses, lesion ids, optional lesion masks."""

    name = "ham10000"
    DESCRIPTION = ("HAM10000 (Human Against Machine with 10000 training images): dermoscopic images of pigmented "
                   "lesions with seven diagnoses, lesion ids and, when downloaded, Tschandl's lesion masks.")
    HOMEPAGE = "https://doi.org/10.7910/DVN/DBW86T"
    CITATION = _CITATION
    MANUAL_DOWNLOAD_INSTRUCTIONS = _INSTRUCTIONS
    BUILDER_CONFIGS = [
        SkinConfig(name="ham10000", description="Seven diagnoses; masks all-zero (metadata has_masks=False) when "
                                                "the segmentation zip is absent; 80/10/10 by lesion id.",
                   labels=LABELS, has_malignant=True, has_mask=True,
                   split_fractions=DEFAULT_FRACTIONS),
    ]

    def _records(self, tree, problems) -> dict:
        images = by_stem(tree.find(rf"{ISIC_ID}\.jpg", r"HAM10000_images_part_[12]"))
        if not images:
            raise MissingInputError(f"{tree.root}: no HAM10000_images_part_1/ or _part_2/ ISIC_<id>.jpg images"
                                    f"{tree.hint()}")
        table = tree.find_one(r"HAM10000_metadata(\.csv|\.tab)?",
                              expected="HAM10000_metadata.csv (or HAM10000_metadata.tab)")
        delimiter = "\t" if table.name.endswith(".tab") else ","
        rows = rows_by_id(table, read_csv(table, HEADER, OPTIONAL, delimiter=delimiter), "image_id")
        has_masks = tree.has_folder(MASK_FOLDER)
        masks = by_stem(tree.find(rf"{ISIC_ID}_segmentation\.png", MASK_FOLDER), "_segmentation")
        if not has_masks:
            problems.note(f"{MASK_FOLDER} not found: masks are stored empty (has_masks=False)")
        self._summary["has_masks"] = has_masks
        records = []
        for image_id in match_rows(images, rows, table, problems, "", "HAM10000_images_part_[12]"):
            line, row = rows[image_id]
            dx = row["dx"].lower()
            if dx not in LABELS:
                problems.bad(table, f"line {line}: dx {row['dx']!r} is not one of {', '.join(LABELS)}")
                continue
            mask = masks.get(image_id)
            if has_masks and mask is None:
                problems.bad(f"{MASK_FOLDER}/{image_id}_segmentation.png", f"missing; it is the lesion mask of "
                                                                          f"{images[image_id].name}")
                continue
            records.append(Record(
                key=images[image_id].name, image_id=image_id, image=images[image_id], mask=mask,
                empty_mask=not has_masks, label=LABELS.index(dx), malignant=dx in MALIGNANT,
                group_keys=(f"lesion:{row['lesion_id']}" if row["lesion_id"] else "",),
                metadata=common.metadata(age=row["age"], sex=row["sex"], site=row["localization"],
                                         lesion_id=row["lesion_id"], diagnosis=dx,
                                         diagnosis_confirm_type=row["dx_type"])))
        return self._assign_splits(records)
