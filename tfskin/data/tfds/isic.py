"""``isic_challenge``: the ISIC challenge releases 2016-2020, read from the files as downloaded.

Configs: ``isic2016`` (part 1 masks, part 3 benign/malignant), ``isic2017`` (masks, melanoma / seborrheic
keratosis, metadata, superpixels), ``isic2018_task1_2`` (masks + the five attribute masks), ``isic2018_task3``
(HAM10000 seven classes, lesion groupings), ``isic2019`` (eight classes + UNK, metadata) and ``isic2020``
(benign/malignant, duplicates). Every file name, folder name and CSV header follows the official release; see
``MANUAL_DOWNLOAD_INSTRUCTIONS`` and datasets/isic_challenge/README.md.
"""

from __future__ import annotations

import re

from tfskin.data.classes import ATTRIBUTE_NAMES
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
        return getattr(self, f"_records_{self.builder_config.release}")(tree, problems)

    # ------------------------------------------------------------------ 2016

    def _records_isic2016(self, tree, problems) -> dict:
        out = {}
        for split, part in (("train", "Training"), ("test", "Test")):
            data = f"ISBI2016_ISIC_Part1_{part}_Data"
            truth = f"ISBI2016_ISIC_Part1_{part}_GroundTruth"
            images = by_stem(tree.find(ISIC_JPG, data))
            if not images:
                problems.note(f"{split}: no {data} images found; split left out")
                continue
            _require_folder(tree, truth, f"{truth}.zip")
            masks = by_stem(tree.find(SEGMENTATION, truth), "_[Ss]egmentation")
            table = tree.find_one(rf"ISBI2016_ISIC_Part3_{part}_GroundTruth\.csv")
            rows = {}
            for line, (image_id, value) in read_headerless_csv(table, 2, ISIC_ID):
                label = _benign_malignant(value)
                if label is None:
                    problems.bad(table, f"line {line}: label {value!r} is not benign/malignant (or 0/1)", split)
                    continue
                if image_id in rows:
                    raise BadInputError(table, f"line {line}: {image_id} repeats line {rows[image_id][0]}")
                rows[image_id] = (line, label)
            records = []
            for image_id in match_rows(images, rows, table, problems, split, data):
                mask = _required(masks, image_id, f"{truth}/{image_id}_Segmentation.png", images, problems, split)
                if mask is None:
                    continue
                label = rows[image_id][1]
                records.append(Record(key=images[image_id].name, image_id=image_id, image=images[image_id],
                                      mask=mask, label=label, malignant=label == 1,
                                      metadata=common.metadata(diagnosis=LABELS_2016[label])))
            out[split] = records
        return out

    # ------------------------------------------------------------------ 2017

    def _records_isic2017(self, tree, problems) -> dict:
        out = {}
        for split, part in (("train", "Training"), ("validation", "Validation"), ("test", "Test_v2")):
            data = f"ISIC-2017_{part}_Data"
            truth = f"ISIC-2017_{part}_Part1_GroundTruth"
            images = by_stem(tree.find(ISIC_JPG, data))
            if not images:
                problems.note(f"{split}: no {data} images found; split left out")
                continue
            _require_folder(tree, truth, f"{truth}.zip")
            masks = by_stem(tree.find(SEGMENTATION, truth), "_[Ss]egmentation")
            superpixels = by_stem(tree.find(SUPERPIXELS, data), "_superpixels")
            table = tree.find_one(rf"ISIC-2017_{part}_Part3_GroundTruth\.csv")
            rows = rows_by_id(table, read_csv(table, HEADER_2017), "image_id")
            meta_file = tree.find_one(rf"ISIC-2017_{part}_Data_metadata\.csv", data,
                                      expected=f"{data}/ISIC-2017_{part}_Data_metadata.csv (inside {data}.zip)")
            meta = rows_by_id(meta_file, read_csv(meta_file, METADATA_2017), "image_id")
            records = []
            for image_id in match_rows(images, rows, table, problems, split, data):
                line, row = rows[image_id]
                melanoma = common.parse_float(row["melanoma"])
                keratosis = common.parse_float(row["seborrheic_keratosis"])
                if melanoma not in (0.0, 1.0) or keratosis not in (0.0, 1.0) or melanoma + keratosis > 1:
                    problems.bad(table, f"line {line}: melanoma={row['melanoma']!r}, seborrheic_keratosis="
                                        f"{row['seborrheic_keratosis']!r}; expected 0/1 with at most one 1", split)
                    continue
                if image_id not in meta:
                    problems.bad(meta_file, f"no row for {image_id}", split)
                    continue
                mask = _required(masks, image_id, f"{truth}/{image_id}_segmentation.png", images, problems, split)
                if mask is None:
                    continue
                label = 0 if melanoma else (2 if keratosis else 1)
                m = meta[image_id][1]
                records.append(Record(key=images[image_id].name, image_id=image_id, image=images[image_id],
                                      mask=mask, superpixels=superpixels.get(image_id), label=label,
                                      malignant=label == 0,
                                      metadata=common.metadata(age=m["age_approximate"], sex=m["sex"],
                                                               diagnosis=LABELS_2017[label])))
            missing = sum(r.superpixels is None for r in records)
            if missing:
                problems.note(f"{split}: {missing} image(s) without {data}/ISIC_<id>_superpixels.png; their "
                              f"superpixels are computed with SLIC")
            out[split] = records
        return out

    # ------------------------------------------------------------------ 2018 task 1-2

    def _records_isic2018_task1_2(self, tree, problems) -> dict:
        out = {}
        task2 = {"train": "ISIC2018_Task2_Training_GroundTruth_v3",
                 "validation": "ISIC2018_Task2_Validation_GroundTruth",
                 "test": "ISIC2018_Task2_Test_GroundTruth"}
        attribute_file = re.compile(rf"{ISIC_ID}_attribute_({'|'.join(ATTRIBUTE_NAMES)})\.png")
        for split, part in (("train", "Training"), ("validation", "Validation"), ("test", "Test")):
            data = f"ISIC2018_Task1-2_{part}_Input"
            truth = f"ISIC2018_Task1_{part}_GroundTruth"
            images = by_stem(tree.find(ISIC_JPG, data))
            if not images:
                problems.note(f"{split}: no {data} images found; split left out")
                continue
            _require_folder(tree, truth, f"{truth}.zip")
            _require_folder(tree, task2[split], f"{task2[split]}.zip")
            masks = by_stem(tree.find(SEGMENTATION, truth), "_[Ss]egmentation")
            attributes = tree.find(attribute_file, task2[split])
            superpixels = by_stem(tree.find(SUPERPIXELS, data), "_superpixels")
            records = []
            for image_id, image in images.items():
                mask = _required(masks, image_id, f"{truth}/{image_id}_segmentation.png", images, problems, split)
                missing = [n for n in ATTRIBUTE_NAMES if _attribute_file(image_id, n) not in attributes]
                if missing:
                    problems.bad(f"{task2[split]}/{_attribute_file(image_id, missing[0])}",
                                 f"missing attribute mask(s) {', '.join(missing)} of {image.name}; the release has "
                                 f"all five per image (empty ones are all zero)", split)
                    continue
                if mask is None:
                    continue
                files = tuple(attributes[_attribute_file(image_id, n)] for n in ATTRIBUTE_NAMES)
                records.append(Record(key=image.name, image_id=image_id, image=image, mask=mask, attributes=files,
                                      superpixels=superpixels.get(image_id), metadata=common.metadata()))
            out[split] = records
        return out

    # ------------------------------------------------------------------ 2018 task 3

    def _records_isic2018_task3(self, tree, problems) -> dict:
        out = {}
        groupings = {}
        grouping_file = tree.find_one(r"ISIC2018_Task3_Training_LesionGroupings\.csv", required=False)
        if grouping_file is None:
            problems.note("ISIC2018_Task3_Training_LesionGroupings.csv not found: lesion_id and "
                          "diagnosis_confirm_type are left empty")
        else:
            groupings = rows_by_id(grouping_file, read_csv(grouping_file, GROUPINGS_2018), "image")
        for split, part in (("train", "Training"), ("validation", "Validation"), ("test", "Test")):
            data = f"ISIC2018_Task3_{part}_Input"
            images = by_stem(tree.find(ISIC_JPG, data))
            if not images:
                problems.note(f"{split}: no {data} images found; split left out")
                continue
            table = tree.find_one(rf"ISIC2018_Task3_{part}_GroundTruth\.csv",
                                  expected=f"ISIC2018_Task3_{part}_GroundTruth.csv (in "
                                           f"ISIC2018_Task3_{part}_GroundTruth.zip)")
            rows = rows_by_id(table, read_csv(table, HEADER_2018_TASK3), "image")
            records = []
            for image_id in match_rows(images, rows, table, problems, split, data):
                line, row = rows[image_id]
                label = common.one_hot_index(row, LABELS_2018)
                if label is None:
                    problems.bad(table, f"line {line}: {image_id} is not one-hot over {','.join(LABELS_2018)}", split)
                    continue
                group = groupings.get(image_id, (0, {}))[1] if split == "train" else {}
                records.append(Record(
                    key=images[image_id].name, image_id=image_id, image=images[image_id], label=label,
                    malignant=LABELS_2018[label] in MALIGNANT_2018,
                    metadata=common.metadata(lesion_id=group.get("lesion_id"), diagnosis=LABELS_2018[label],
                                             diagnosis_confirm_type=group.get("diagnosis_confirm_type"))))
            out[split] = records
        return out

    # ------------------------------------------------------------------ 2019

    def _records_isic2019(self, tree, problems) -> dict:
        out = {}
        image_file = rf"{ISIC_ID}(_downsampled)?\.jpg"
        parts = {
            "train": ("Training", HEADER_2019, (), METADATA_2019, ()),
            "test": ("Test", HEADER_2019, ("score_weight", "validation_weight"),
                     ("image", "age_approx", "anatom_site_general", "sex"), ("lesion_id",)),
        }
        for split, (part, header, extra, meta_header, meta_extra) in parts.items():
            data = f"ISIC_2019_{part}_Input"
            images = by_stem(tree.find(image_file, data))
            if not images:
                problems.note(f"{split}: no {data} images found; split left out")
                continue
            table = tree.find_one(rf"ISIC_2019_{part}_GroundTruth\.csv")
            rows = rows_by_id(table, read_csv(table, header, extra), "image")
            meta_file = tree.find_one(rf"ISIC_2019_{part}_Metadata\.csv")
            meta = rows_by_id(meta_file, read_csv(meta_file, meta_header, meta_extra), "image")
            records = []
            for image_id in match_rows(images, rows, table, problems, split, data):
                line, row = rows[image_id]
                label = common.one_hot_index(row, LABELS_2019)
                if label is None:
                    problems.bad(table, f"line {line}: {image_id} is not one-hot over {','.join(LABELS_2019)}", split)
                    continue
                if image_id not in meta:
                    problems.bad(meta_file, f"no row for {image_id}", split)
                    continue
                m = meta[image_id][1]
                lesion = m.get("lesion_id", "")
                records.append(Record(
                    key=images[image_id].name, image_id=image_id, image=images[image_id], label=label,
                    malignant=LABELS_2019[label] in MALIGNANT_2019,
                    metadata=common.metadata(age=m["age_approx"], sex=m["sex"], site=m["anatom_site_general"],
                                             lesion_id=lesion, diagnosis=LABELS_2019[label])))
            out[split] = records
        return out

    # ------------------------------------------------------------------ 2020

    def _records_isic2020(self, tree, problems) -> dict:
        images = by_stem(tree.find(ISIC_JPG, r"train|ISIC_2020_Training_JPEG"))
        if not images:
            raise MissingInputError(f"{tree.root}: no train/ISIC_<id>.jpg images (extract or keep "
                                    f"ISIC_2020_Training_JPEG.zip in the manual folder){tree.hint()}")
        table = tree.find_one(r"ISIC_2020_Training_GroundTruth_v2\.csv", required=False)
        header = HEADER_2020 + ("lesion_id",)
        if table is None:
            either = "ISIC_2020_Training_GroundTruth_v2.csv or ISIC_2020_Training_GroundTruth.csv"
            table = tree.find_one(r"ISIC_2020_Training_GroundTruth\.csv", expected=either)
            header = HEADER_2020
            problems.note("using ISIC_2020_Training_GroundTruth.csv (v1, no lesion ids)")
        rows = rows_by_id(table, read_csv(table, header), "image_name")
        pairs = []
        duplicates = tree.find_one(r"ISIC_2020_Training_Duplicates\.csv", required=False)
        if duplicates is None:
            problems.note("ISIC_2020_Training_Duplicates.csv not found: duplicate images are neither dropped nor "
                          "kept together")
        else:
            pairs = [(r["image_name_1"], r["image_name_2"]) for _, r in read_csv(duplicates, DUPLICATES_2020)]
        dropped = {second for _, second in pairs}
        partner = {}
        for first, second in pairs:
            partner.setdefault(first, first)
            partner[second] = partner[first]
        records = []
        for image_id in match_rows(images, rows, table, problems, "train", "train"):
            line, row = rows[image_id]
            target = common.parse_float(row["target"])
            verdict = row["benign_malignant"].lower()
            if target not in (0.0, 1.0) or verdict not in LABELS_2020 or LABELS_2020[int(target)] != verdict:
                problems.bad(table, f"line {line}: target={row['target']!r} and benign_malignant="
                                    f"{row['benign_malignant']!r} do not agree (0/benign or 1/malignant)", "train")
                continue
            if image_id in dropped:
                continue
            label = int(target)
            keys = (f"patient:{row['patient_id']}" if row["patient_id"] else "",
                    f"lesion:{row.get('lesion_id', '')}" if row.get("lesion_id") else "",
                    f"duplicate:{partner[image_id]}" if image_id in partner else "")
            records.append(Record(
                key=images[image_id].name, image_id=image_id, image=images[image_id], label=label,
                malignant=label == 1, group_keys=keys,
                metadata=common.metadata(age=row["age_approx"], sex=row["sex"],
                                         site=row["anatom_site_general_challenge"], lesion_id=row.get("lesion_id"),
                                         patient_id=row["patient_id"], diagnosis=row["diagnosis"])))
        self._summary["duplicates_dropped"] = sorted(dropped & set(images))
        if self._summary["duplicates_dropped"]:
            problems.note(f"dropped {len(self._summary['duplicates_dropped'])} duplicate image(s): the second image "
                          f"of each pair in {duplicates.name} (the same lesion photographed twice; the first copy "
                          f"is kept, so no image is counted twice or split across train and test)")
        return self._assign_splits(records)


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


def _required(found: dict, image_id: str, expected: str, images: dict, problems, split: str):
    ref = found.get(image_id)
    if ref is None:
        problems.bad(expected, f"missing; it is the lesion mask of {images[image_id].name}", split)
    return ref

