"""``isic_challenge``: the ISIC challenge releases 2016-2020, read from the files as downloaded.

Configs: ``isic2016`` (part 1 masks, part 3 benign/malignant), ``isic2017`` (masks, melanoma / seborrheic
keratosis, metadata, superpixels), ``isic2018_task1_2`` (masks + the five attribute masks), ``isic2018_task3``
(HAM10000 seven classes, lesion groupings), ``isic2019`` (eight classes + UNK, metadata) and ``isic2020``
(benign/malignant, duplicates). Every file name, folder name and CSV header follows the official release; see
``MANUAL_DOWNLOAD_INSTRUCTIONS`` and datasets/isic_challenge/README.md.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Callable, Optional

from tfskin.classes import ATTRIBUTE_NAMES
from tfskin.data.tfds import common, instructions
from tfskin.data.tfds.base import DEFAULT_FRACTIONS, Record, SkinBuilder, SkinConfig, by_stem, match_rows, rows_by_id
from tfskin.data.tfds.common import ISIC_ID, BadInputError, MissingInputError, read_csv, read_headerless_csv

ISIC_JPG = rf"{ISIC_ID}\.jpg"
SEGMENTATION = rf"{ISIC_ID}_[Ss]egmentation\.png"  # 2016 capital S; 2017/2018 lowercase
SUPERPIXELS = rf"{ISIC_ID}_superpixels\.png"

LABELS_2016 = ("benign", "malignant")
LABELS_2017 = ("melanoma", "nevus", "seborrheic_keratosis")
LABELS_2018 = ("MEL", "NV", "BCC", "AKIEC", "BKL", "DF", "VASC")  # ISIC2018_Task3 GT column order
LABELS_2019 = ("MEL", "NV", "BCC", "AK", "BKL", "DF", "VASC", "SCC", "UNK")  # ISIC_2019 GT column order
LABELS_2020 = ("benign", "malignant")
MALIGNANT_2018 = frozenset({"MEL", "BCC"})
MALIGNANT_2019 = frozenset({"MEL", "BCC", "SCC"})

HEADER_2017 = ("image_id", "melanoma", "seborrheic_keratosis")
METADATA_2017 = ("image_id", "age_approximate", "sex")
HEADER_2018_TASK3 = ("image",) + LABELS_2018
GROUPINGS_2018 = ("image", "lesion_id", "diagnosis_confirm_type")
HEADER_2019 = ("image",) + LABELS_2019
METADATA_2019 = ("image", "age_approx", "anatom_site_general", "lesion_id", "sex")
HEADER_2020 = ("image_name", "patient_id", "sex", "age_approx", "anatom_site_general_challenge", "diagnosis",
               "benign_malignant", "target")
DUPLICATES_2020 = ("image_name_1", "image_name_2")

_INSTRUCTIONS = instructions.ISIC_CHALLENGE

_CITATION = """\
@inproceedings{gutman2016isic, title={Skin Lesion Analysis toward Melanoma Detection: A Challenge at ISBI 2016},
  author={Gutman, David and Codella, Noel C. F. and Celebi, Emre and others}, booktitle={arXiv:1605.01397},
  year={2016}}
@inproceedings{codella2018isic, title={Skin Lesion Analysis Toward Melanoma Detection: A Challenge at the 2017
  International Symposium on Biomedical Imaging (ISBI)}, author={Codella, Noel C. F. and others},
  booktitle={ISBI}, year={2018}}
@article{codella2019isic, title={Skin Lesion Analysis Toward Melanoma Detection 2018: A Challenge Hosted by the
  International Skin Imaging Collaboration (ISIC)}, author={Codella, Noel and others}, journal={arXiv:1902.03368},
  year={2019}}
@article{tschandl2018ham, title={The HAM10000 dataset, a large collection of multi-source dermatoscopic images of
  common pigmented skin lesions}, author={Tschandl, Philipp and Rosendahl, Cliff and Kittler, Harald},
  journal={Scientific Data}, volume={5}, pages={180161}, year={2018}}
@article{combalia2019bcn, title={BCN20000: Dermoscopic Lesions in the Wild}, author={Combalia, Marc and others},
  journal={arXiv:1908.02288}, year={2019}}
@article{rotemberg2021siim, title={A patient-centric dataset of images and metadata for identifying melanomas
  using clinical context}, author={Rotemberg, Veronica and others}, journal={Scientific Data}, volume={8},
  pages={34}, year={2021}}
"""


def _config(name, description, **kwargs) -> SkinConfig:
    return SkinConfig(name=name, description=description, **kwargs)


def _attribute_file(image_id: str, name: str) -> str:
    return f"{image_id}_attribute_{name}.png"


_ATTRIBUTE_FILE = re.compile(rf"{ISIC_ID}_attribute_({'|'.join(ATTRIBUTE_NAMES)})\.png")


class IsicChallenge(SkinBuilder):
    """ISIC challenge releases 2016-2020."""

    name = "isic_challenge"
    DESCRIPTION = ("ISIC skin-lesion analysis challenge releases (2016-2020): dermoscopic images with lesion "
                   "masks, dermoscopic attribute masks, diagnoses and metadata, read from the official files.")
    HOMEPAGE = "https://challenge.isic-archive.com/data/"
    CITATION = _CITATION
    MANUAL_DOWNLOAD_INSTRUCTIONS = _INSTRUCTIONS
    BUILDER_CONFIGS = [
        _config("isic2016", "ISBI 2016 part 1 lesion masks + part 3 benign/malignant; train 900 / test 379.",
                labels=LABELS_2016, has_malignant=True, has_mask=True, superpixels="slic"),
        _config("isic2017", "ISBI 2017 lesion masks, melanoma / seborrheic keratosis / nevus, age and sex, the "
                            "release's superpixels; train 2000 / validation 150 / test 600.",
                labels=LABELS_2017, has_malignant=True, has_mask=True, superpixels="file_or_slic"),
        _config("isic2018_task1_2", "ISIC 2018 task 1 lesion masks + task 2 attribute masks (all five per image, "
                                    "most empty); train 2594 / validation 100 / test 1000.",
                has_mask=True, has_attributes=True, superpixels="file_or_slic"),
        _config("isic2018_task3", "ISIC 2018 task 3 (HAM10000) seven diagnoses, lesion groupings; train 10015 / "
                                  "validation 193 / test 1512.",
                labels=LABELS_2018, has_malignant=True),
        _config("isic2019", "ISIC 2019 eight diagnoses + UNK, age/sex/site/lesion id; train 25331 (test 8238).",
                labels=LABELS_2019, has_malignant=True),
        _config("isic2020", "SIIM-ISIC 2020 benign/malignant with patient ids; the official training set split "
                            "80/10/10 by patient (duplicates kept together, second copies dropped).",
                labels=LABELS_2020, has_malignant=True, split_fractions=DEFAULT_FRACTIONS),
    ]

    def _records(self, tree, problems) -> dict:
        release = RELEASES[self.builder_config.release]
        out, state = {}, {}
        for files in release.splits:
            records = _split_records(release, files, tree, problems, state)
            if records is not None:
                out[files.split] = records
        if not release.duplicates:
            return out
        dropped = self._summary["duplicates_dropped"] = state["dropped"]
        if dropped:
            problems.note(f"dropped {len(dropped)} duplicate image(s): the second image of each pair in "
                          f"{DUPLICATES_FILE} (the same lesion photographed twice; the first copy is kept, so no "
                          f"image is counted twice or split across train and test)")
        return self._assign_splits(out.get("train", []))


def _benign_malignant(value: str):
    text = value.strip().lower()
    if text in LABELS_2016:
        return LABELS_2016.index(text)
    number = common.parse_float(text)
    return int(number) if number in (0.0, 1.0) else None


def _require_folder(tree, folder: str, download: str):
    if not tree.has_folder(re.escape(folder)):
        raise MissingInputError(f"{tree.root}: folder {folder} not found (download {download} into the manual "
                                f"folder, zipped or extracted){tree.hint()}")



# ---------------------------------------------------------------------------------------------------------------
# The releases as tables: per split, which folders and CSVs hold what, and per release how a CSV row becomes a
# label and metadata. One reader (``_split_records``) turns any of them into records.


@dataclasses.dataclass(frozen=True)
class Table:
    """A CSV of the release: ``pattern`` (file name), ``header`` (required columns; () = the header-less
    ``id,label`` CSV of ISIC 2016), ``optional`` columns, the id column, and where it lies."""

    pattern: str
    header: tuple = ()
    optional: tuple = ()
    id_column: str = "image"
    folder: Optional[str] = None  # a folder it lies under (None: anywhere)
    expected: Optional[str] = None  # how to name it when it is absent
    fallback: Optional["Table"] = None  # an older version of the file, read when this one is absent
    fallback_note: str = ""

    def read(self, tree, problems) -> tuple:
        """(file, {id: (line, row)}) of the first version present (the fallback with a note)."""
        ref = tree.find_one(self.pattern, self.folder, required=self.fallback is None, expected=self.expected)
        if ref is None:
            problems.note(self.fallback_note)
            return self.fallback.read(tree, problems)
        if not self.header:
            rows = {}
            for line, (image_id, value) in read_headerless_csv(ref, 2, ISIC_ID):
                if image_id in rows:
                    raise BadInputError(ref, f"line {line}: {image_id} repeats line {rows[image_id][0]}")
                rows[image_id] = (line, {"label": value})
            return ref, rows
        return ref, rows_by_id(ref, read_csv(ref, self.header, self.optional), self.id_column)


@dataclasses.dataclass(frozen=True)
class SplitFiles:
    """Where one split's files are: images, lesion masks, attribute masks, ground truth and metadata CSVs."""

    split: str
    images: str  # folder (and zip) of the ISIC_<id>.jpg images
    masks: Optional[str] = None  # folder (and zip) of the lesion masks
    attributes: Optional[str] = None  # folder (and zip) of the ISIC 2018 task 2 attribute masks
    truth: Optional[Table] = None
    meta: Optional[Table] = None
    images_folder: Optional[str] = None  # pattern of the image folder when it differs from ``images``


DUPLICATES_FILE = "ISIC_2020_Training_Duplicates.csv"


def _read_duplicates(tree, problems, images: dict, state: dict) -> set:
    """ISIC 2020's duplicate pairs: the second image of each pair is dropped, the first kept; both share a
    group key so they land in one split. Fills ``state`` (partner, dropped); returns the ids to drop."""
    state["partner"], state["dropped"] = {}, []
    ref = tree.find_one(r"ISIC_2020_Training_Duplicates\.csv", required=False)
    if ref is None:
        problems.note(f"{DUPLICATES_FILE} not found: duplicate images are neither dropped nor kept together")
        return set()
    pairs = [(r["image_name_1"], r["image_name_2"]) for _, r in read_csv(ref, DUPLICATES_2020)]
    for first, second in pairs:
        state["partner"].setdefault(first, first)
        state["partner"][second] = state["partner"][first]
    dropped = {second for _, second in pairs}
    state["dropped"] = sorted(dropped & set(images))
    return dropped


@dataclasses.dataclass(frozen=True)
class Release:
    """One ISIC challenge release: its splits' files and how a ground-truth row becomes an example."""

    splits: tuple
    labels: tuple = ()
    label: Optional[Callable] = None  # row -> class index, or None when the row is not valid
    label_problem: Optional[Callable] = None  # (line, image id, row) -> what is wrong with the row
    malignant: Callable = lambda label: False
    metadata: Callable = lambda label, row, meta, extra: common.metadata()
    group_keys: Callable = lambda row, image_id, extra: ()
    image_file: str = ISIC_JPG
    superpixels: bool = False
    groupings: Optional[Table] = None  # ISIC 2018 task 3's lesion groupings (train only)
    groupings_note: str = ""
    duplicates: bool = False  # ISIC 2020: drop the second image of each duplicate pair
    required_images: Optional[str] = None  # the error when no image is found at all (seeded-split releases)
    superpixel_note: bool = False


def _split_records(release: Release, files: SplitFiles, tree, problems, state: dict) -> Optional[list]:
    """The records of one split (None when its images are absent: the split is left out with a note)."""
    split = files.split
    images = by_stem(tree.find(release.image_file, files.images_folder or files.images))
    if not images:
        if release.required_images:
            raise MissingInputError(f"{tree.root}: {release.required_images}{tree.hint()}")
        problems.note(f"{split}: no {files.images} images found; split left out")
        return None
    for folder in (files.masks, files.attributes):
        if folder:
            _require_folder(tree, folder, f"{folder}.zip")
    masks = by_stem(tree.find(SEGMENTATION, files.masks), "_[Ss]egmentation") if files.masks else {}
    attributes = tree.find(_ATTRIBUTE_FILE, files.attributes) if files.attributes else {}
    superpixels = by_stem(tree.find(SUPERPIXELS, files.images), "_superpixels") if release.superpixels else {}
    extra = {}
    if release.groupings is not None and split == "train":
        ref = tree.find_one(release.groupings.pattern, required=False)
        if ref is None:
            problems.note(release.groupings_note)
        else:
            extra["groupings"] = rows_by_id(ref, read_csv(ref, release.groupings.header), release.groupings.id_column)
    if files.truth is not None:
        table, rows = files.truth.read(tree, problems)
        ids = match_rows(images, rows, table, problems, split, files.images)
    else:
        table, rows, ids = None, {}, list(images)
    meta_file, meta = files.meta.read(tree, problems) if files.meta is not None else (None, {})
    dropped = _read_duplicates(tree, problems, images, state) if release.duplicates else set()
    extra["partner"] = state.get("partner", {})
    records = []
    for image_id in ids:
        image = images[image_id]
        line, row = rows.get(image_id, (0, {}))
        label = None
        if release.label is not None:
            label = release.label(row)
            if label is None:
                problems.bad(table, release.label_problem(line, image_id, row), split)
                continue
        if image_id in dropped:
            continue
        if files.meta is not None and image_id not in meta:
            problems.bad(meta_file, f"no row for {image_id}", split)
            continue
        usable = True
        mask = None
        if files.masks:
            mask = masks.get(image_id)
            if mask is None:
                problems.bad(f"{files.masks}/{image_id}_{'S' if 'ISBI2016' in files.masks else 's'}egmentation.png",
                             f"missing; it is the lesion mask of {image.name}", split)
                usable = False
        attribute_files = None
        if files.attributes:
            missing = [n for n in ATTRIBUTE_NAMES if _attribute_file(image_id, n) not in attributes]
            if missing:
                problems.bad(f"{files.attributes}/{_attribute_file(image_id, missing[0])}",
                             f"missing attribute mask(s) {', '.join(missing)} of {image.name}; the release has "
                             f"all five per image (empty ones are all zero)", split)
                usable = False
            else:
                attribute_files = tuple(attributes[_attribute_file(image_id, n)] for n in ATTRIBUTE_NAMES)
        if not usable:
            continue
        meta_row = meta[image_id][1] if files.meta is not None else {}
        records.append(Record(
            key=image.name, image_id=image_id, image=image, mask=mask, attributes=attribute_files,
            superpixels=superpixels.get(image_id), label=label,
            malignant=None if label is None else release.malignant(label),
            group_keys=release.group_keys(row, image_id, extra),
            metadata=release.metadata(label, row, meta_row, dict(extra, image_id=image_id, split=split))))
    if release.superpixels and release.superpixel_note:
        missing = sum(r.superpixels is None for r in records)
        if missing:
            problems.note(f"{split}: {missing} image(s) without {files.images}/ISIC_<id>_superpixels.png; their "
                          f"superpixels are computed with SLIC")
    return records


def _label_2017(row) -> Optional[int]:
    melanoma = common.parse_float(row["melanoma"])
    keratosis = common.parse_float(row["seborrheic_keratosis"])
    if melanoma not in (0.0, 1.0) or keratosis not in (0.0, 1.0) or melanoma + keratosis > 1:
        return None
    return 0 if melanoma else (2 if keratosis else 1)


def _label_2020(row) -> Optional[int]:
    target = common.parse_float(row["target"])
    verdict = row["benign_malignant"].lower()
    if target not in (0.0, 1.0) or verdict not in LABELS_2020 or LABELS_2020[int(target)] != verdict:
        return None
    return int(target)


def _metadata_2018_task3(label, row, meta, extra):
    group = extra.get("groupings", {}).get(extra["image_id"], (0, {}))[1] if extra["split"] == "train" else {}
    return common.metadata(lesion_id=group.get("lesion_id"), diagnosis=LABELS_2018[label],
                           diagnosis_confirm_type=group.get("diagnosis_confirm_type"))


def _group_keys_2020(row, image_id, extra) -> tuple:
    partner = extra.get("partner", {})
    return (f"patient:{row['patient_id']}" if row["patient_id"] else "",
            f"lesion:{row.get('lesion_id', '')}" if row.get("lesion_id") else "",
            f"duplicate:{partner[image_id]}" if image_id in partner else "")


def _one_hot_problem(labels):
    return lambda line, image_id, row: f"line {line}: {image_id} is not one-hot over {','.join(labels)}"


_2016 = (("train", "Training"), ("test", "Test"))
_2017 = (("train", "Training"), ("validation", "Validation"), ("test", "Test_v2"))
_2018 = (("train", "Training"), ("validation", "Validation"), ("test", "Test"))
_TASK2 = {"Training": "ISIC2018_Task2_Training_GroundTruth_v3", "Validation": "ISIC2018_Task2_Validation_GroundTruth",
          "Test": "ISIC2018_Task2_Test_GroundTruth"}
_GT_2020_V1 = Table(r"ISIC_2020_Training_GroundTruth\.csv", HEADER_2020, id_column="image_name",
                    expected="ISIC_2020_Training_GroundTruth_v2.csv or ISIC_2020_Training_GroundTruth.csv")

RELEASES = {
    "isic2016": Release(
        splits=tuple(SplitFiles(split, images=f"ISBI2016_ISIC_Part1_{part}_Data",
                                masks=f"ISBI2016_ISIC_Part1_{part}_GroundTruth",
                                truth=Table(rf"ISBI2016_ISIC_Part3_{part}_GroundTruth\.csv"))
                     for split, part in _2016),
        labels=LABELS_2016, label=lambda row: _benign_malignant(row["label"]),
        label_problem=lambda line, image_id, row: f"line {line}: label {row['label']!r} is not benign/malignant "
                                                  f"(or 0/1)",
        malignant=lambda label: label == 1,
        metadata=lambda label, row, meta, extra: common.metadata(diagnosis=LABELS_2016[label])),
    "isic2017": Release(
        splits=tuple(SplitFiles(split, images=f"ISIC-2017_{part}_Data", masks=f"ISIC-2017_{part}_Part1_GroundTruth",
                                truth=Table(rf"ISIC-2017_{part}_Part3_GroundTruth\.csv", HEADER_2017,
                                            id_column="image_id"),
                                meta=Table(rf"ISIC-2017_{part}_Data_metadata\.csv", METADATA_2017, id_column="image_id",
                                           folder=f"ISIC-2017_{part}_Data",
                                           expected=f"ISIC-2017_{part}_Data/ISIC-2017_{part}_Data_metadata.csv "
                                                    f"(inside ISIC-2017_{part}_Data.zip)"))
                     for split, part in _2017),
        labels=LABELS_2017, label=_label_2017,
        label_problem=lambda line, image_id, row: f"line {line}: melanoma={row['melanoma']!r}, seborrheic_keratosis="
                                                  f"{row['seborrheic_keratosis']!r}; expected 0/1 with at most one 1",
        malignant=lambda label: label == 0, superpixels=True, superpixel_note=True,
        metadata=lambda label, row, meta, extra: common.metadata(age=meta["age_approximate"], sex=meta["sex"],
                                                                 diagnosis=LABELS_2017[label])),
    "isic2018_task1_2": Release(
        splits=tuple(SplitFiles(split, images=f"ISIC2018_Task1-2_{part}_Input",
                                masks=f"ISIC2018_Task1_{part}_GroundTruth", attributes=_TASK2[part])
                     for split, part in _2018),
        superpixels=True),
    "isic2018_task3": Release(
        splits=tuple(SplitFiles(split, images=f"ISIC2018_Task3_{part}_Input",
                                truth=Table(rf"ISIC2018_Task3_{part}_GroundTruth\.csv", HEADER_2018_TASK3,
                                            expected=f"ISIC2018_Task3_{part}_GroundTruth.csv (in "
                                                     f"ISIC2018_Task3_{part}_GroundTruth.zip)"))
                     for split, part in _2018),
        labels=LABELS_2018, label=lambda row: common.one_hot_index(row, LABELS_2018),
        label_problem=_one_hot_problem(LABELS_2018), malignant=lambda label: LABELS_2018[label] in MALIGNANT_2018,
        metadata=_metadata_2018_task3,
        groupings=Table(r"ISIC2018_Task3_Training_LesionGroupings\.csv", GROUPINGS_2018),
        groupings_note="ISIC2018_Task3_Training_LesionGroupings.csv not found: lesion_id and diagnosis_confirm_type "
                       "are left empty"),
    "isic2019": Release(
        splits=(SplitFiles("train", images="ISIC_2019_Training_Input",
                           truth=Table(r"ISIC_2019_Training_GroundTruth\.csv", HEADER_2019),
                           meta=Table(r"ISIC_2019_Training_Metadata\.csv", METADATA_2019)),
                SplitFiles("test", images="ISIC_2019_Test_Input",
                           truth=Table(r"ISIC_2019_Test_GroundTruth\.csv", HEADER_2019,
                                       ("score_weight", "validation_weight")),
                           meta=Table(r"ISIC_2019_Test_Metadata\.csv",
                                      ("image", "age_approx", "anatom_site_general", "sex"), ("lesion_id",)))),
        labels=LABELS_2019, image_file=rf"{ISIC_ID}(_downsampled)?\.jpg",
        label=lambda row: common.one_hot_index(row, LABELS_2019), label_problem=_one_hot_problem(LABELS_2019),
        malignant=lambda label: LABELS_2019[label] in MALIGNANT_2019,
        metadata=lambda label, row, meta, extra: common.metadata(
            age=meta["age_approx"], sex=meta["sex"], site=meta["anatom_site_general"],
            lesion_id=meta.get("lesion_id", ""), diagnosis=LABELS_2019[label])),
    "isic2020": Release(
        splits=(SplitFiles("train", images="train", images_folder=r"train|ISIC_2020_Training_JPEG",
                           truth=Table(r"ISIC_2020_Training_GroundTruth_v2\.csv", HEADER_2020 + ("lesion_id",),
                                       id_column="image_name", fallback=_GT_2020_V1,
                                       fallback_note="using ISIC_2020_Training_GroundTruth.csv (v1, no lesion "
                                                     "ids)")),),
        labels=LABELS_2020, label=_label_2020,
        label_problem=lambda line, image_id, row: f"line {line}: target={row['target']!r} and benign_malignant="
                                                  f"{row['benign_malignant']!r} do not agree (0/benign or "
                                                  f"1/malignant)",
        malignant=lambda label: label == 1, group_keys=_group_keys_2020,
        metadata=lambda label, row, meta, extra: common.metadata(
            age=row["age_approx"], sex=row["sex"], site=row["anatom_site_general_challenge"],
            lesion_id=row.get("lesion_id"), patient_id=row["patient_id"], diagnosis=row["diagnosis"]),
        duplicates=True,
        required_images="no train/ISIC_<id>.jpg images (extract or keep ISIC_2020_Training_JPEG.zip in the manual "
                        "folder)"),
}
