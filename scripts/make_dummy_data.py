#!/usr/bin/env python
"""Write the TFDS dummy data of every tfskin builder: tiny drawn images in the exact release layouts.

    python scripts/make_dummy_data.py            # rewrites datasets/*/dummy_data/

Images are drawn here (a skin background with an elliptic lesion and attribute blobs), never copied. File and
folder names, CSV headers and value encodings follow /work/shared/reference/data_formats.md. Output is
deterministic. Ids of releases without official splits are chosen so the seeded grouped split gives every split
at least one example.
"""

from __future__ import annotations

import argparse
import csv
import io
import shutil
import sys
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tfskin.classes import ATTRIBUTE_NAMES  # noqa: E402
from tfskin.data.superpixels import encode_superpixel_rgb  # noqa: E402
from tfskin.data.tfds.common import grouped_splits  # noqa: E402

FRACTIONS = (("train", 0.8), ("validation", 0.1), ("test", 0.1))
ZIP_TIME = (2020, 1, 1, 0, 0, 0)
SMALL = (24, 32)  # height, width: most ISIC images are landscape 3:4


# ----------------------------------------------------------------------------------------------- drawing

def draw(seed: int, size=SMALL, attributes: str = "some"):
    """(RGB uint8 image, lesion bool mask, attribute bool masks (H, W, 5)) of a drawn lesion."""
    rng = np.random.default_rng(seed)
    h, w = size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    skin = np.array([225, 180, 150]) + rng.integers(-20, 20, 3)
    image = skin + rng.normal(0, 6, (h, w, 3))
    cy, cx = h / 2 + rng.uniform(-h / 10, h / 10), w / 2 + rng.uniform(-w / 10, w / 10)
    ry, rx = h * rng.uniform(0.22, 0.32), w * rng.uniform(0.22, 0.32)
    lesion = ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1.0
    brown = np.array([120, 70, 40]) + rng.integers(-20, 20, 3)
    image[lesion] = brown + rng.normal(0, 10, (int(lesion.sum()), 3))
    attrs = np.zeros((h, w, len(ATTRIBUTE_NAMES)), bool)
    if attributes != "none":
        for k in range(len(ATTRIBUTE_NAMES)):
            if attributes == "some" and rng.random() < 0.5:
                continue  # empty attribute masks are the norm in ISIC 2018
            ay, ax = cy + rng.uniform(-ry / 2, ry / 2), cx + rng.uniform(-rx / 2, rx / 2)
            blob = ((yy - ay) / max(ry / 3, 1.5)) ** 2 + ((xx - ax) / max(rx / 3, 1.5)) ** 2 <= 1.0
            attrs[..., k] = blob & lesion
            image[attrs[..., k]] = image[attrs[..., k]] * 0.6 + np.array([40, 30, 90]) * 0.4 * (k + 1) / 5
    return np.clip(image, 0, 255).astype(np.uint8), lesion, attrs


def jpeg(array) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def png(array, mode=None) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array, mode).save(buffer, format="PNG")
    return buffer.getvalue()


def bmp(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="BMP")
    return buffer.getvalue()


def mask_png(mask) -> bytes:
    return png(mask.astype(np.uint8) * 255, "L")


class Tree:
    """Writes files below a dummy_data folder, or into a zip stored there."""

    def __init__(self, root: Path):
        self.root = root

    def write(self, rel: str, data):
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode() if isinstance(data, str) else data)

    def csv(self, rel: str, rows, header=None):
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        if header:
            writer.writerow(header)
        writer.writerows(rows)
        self.write(rel, buffer.getvalue())

    def zip(self, rel: str, members: dict):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name in sorted(members):
                info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                data = members[name]
                archive.writestr(info, data.encode() if isinstance(data, str) else data)
        self.write(rel, buffer.getvalue())


LEGAL = {"ATTRIBUTION.txt": "Dummy data drawn by scripts/make_dummy_data.py\n",
         "LICENSE.txt": "CC-0 (dummy data)\n"}


def with_legal(tree: Tree, folder: str):
    for name, text in LEGAL.items():
        tree.write(f"{folder}/{name}", text)


def pick_groups(make_keys, quotas: dict, start: int = 0, make_id=lambda i: f"x{i}") -> list:
    """Candidate group numbers (from ``start``) whose seeded split fills ``quotas`` {split: count}; a group is
    keyed like the builder keys it (``make_keys``, else its image id ``make_id``)."""
    chosen, left = [], dict(quotas)
    i = start
    while any(left.values()):
        split = grouped_splits([make_id(i)], [make_keys(i)], FRACTIONS)[0]
        if left.get(split, 0) > 0:
            left[split] -= 1
            chosen.append((i, split))
        i += 1
    return chosen


# ----------------------------------------------------------------------------------------------- ISIC challenge

def isic_challenge(tree: Tree):
    seed = 100
    # 2016: part 1 images + capital-S masks; part 3 labels without header; test data as a zip.
    labels16 = {"ISIC_0000000": "benign", "ISIC_0000001": "malignant", "ISIC_0000002": "benign"}
    for i, image_id in enumerate(labels16):
        image, lesion, _ = draw(seed + i, (30, 40) if i == 1 else SMALL)
        tree.write(f"ISBI2016_ISIC_Part1_Training_Data/{image_id}.jpg", jpeg(image))
        tree.write(f"ISBI2016_ISIC_Part1_Training_GroundTruth/{image_id}_Segmentation.png", mask_png(lesion))
    tree.csv("ISBI2016_ISIC_Part3_Training_GroundTruth.csv", labels16.items())
    test16 = {"ISIC_0000003": "0.0", "ISIC_0000004": "1.0"}
    members = {}
    for i, image_id in enumerate(test16):
        image, lesion, _ = draw(seed + 10 + i)
        members[f"ISBI2016_ISIC_Part1_Test_Data/{image_id}.jpg"] = jpeg(image)
        tree.write(f"ISBI2016_ISIC_Part1_Test_GroundTruth/{image_id}_Segmentation.png", mask_png(lesion))
    tree.zip("ISBI2016_ISIC_Part1_Test_Data.zip", members)
    tree.csv("ISBI2016_ISIC_Part3_Test_GroundTruth.csv", test16.items())

    # 2017: data folders with superpixels and metadata CSV; lowercase masks; Part3 CSV with header; Test_v2.
    parts17 = {"Training": ["ISIC_0000010", "ISIC_0000011", "ISIC_0000012"],
               "Validation": ["ISIC_0000013", "ISIC_0000014"], "Test_v2": ["ISIC_0000015", "ISIC_0000016"]}
    labels17 = [("1.0", "0.0"), ("0.0", "1.0"), ("0.0", "0.0")]
    for p, (part, ids) in enumerate(parts17.items()):
        gt, meta = [], []
        for i, image_id in enumerate(ids):
            image, lesion, _ = draw(seed + 20 + 5 * p + i, (32, 32) if image_id == "ISIC_0000011" else SMALL)
            tree.write(f"ISIC-2017_{part}_Data/{image_id}.jpg", jpeg(image))
            if part == "Training" or image_id == "ISIC_0000015":
                blocks = (np.arange(image.shape[0])[:, None] // 8) * 8 + np.arange(image.shape[1])[None, :] // 8
                tree.write(f"ISIC-2017_{part}_Data/{image_id}_superpixels.png", png(encode_superpixel_rgb(blocks)))
            tree.write(f"ISIC-2017_{part}_Part1_GroundTruth/{image_id}_segmentation.png", mask_png(lesion))
            gt.append((image_id, *labels17[(p + i) % 3]))
            meta.append((image_id, "unknown" if i == 1 else str(35 + 5 * i), "unknown" if p == 1 else
                         ("female" if i % 2 else "male")))
        tree.csv(f"ISIC-2017_{part}_Part3_GroundTruth.csv", gt, ["image_id", "melanoma", "seborrheic_keratosis"])
        tree.csv(f"ISIC-2017_{part}_Data/ISIC-2017_{part}_Data_metadata.csv", meta,
                 ["image_id", "age_approximate", "sex"])

    # 2018 task 1-2: all five attribute masks per image (some all zero); one exactly 2:1 image.
    parts18 = {"Training": ["ISIC_0000020", "ISIC_0000021", "ISIC_0000022"], "Validation": ["ISIC_0000023"],
               "Test": ["ISIC_0000024"]}
    task2 = {"Training": "ISIC2018_Task2_Training_GroundTruth_v3",
             "Validation": "ISIC2018_Task2_Validation_GroundTruth",
             "Test": "ISIC2018_Task2_Test_GroundTruth"}
    for p, (part, ids) in enumerate(parts18.items()):
        for folder in (f"ISIC2018_Task1-2_{part}_Input", f"ISIC2018_Task1_{part}_GroundTruth", task2[part]):
            with_legal(tree, folder)
        for i, image_id in enumerate(ids):
            size = (16, 32) if image_id == "ISIC_0000022" else SMALL
            kind = "none" if image_id == "ISIC_0000021" else ("all" if image_id == "ISIC_0000020" else "some")
            image, lesion, attrs = draw(seed + 40 + 5 * p + i, size, kind)
            tree.write(f"ISIC2018_Task1-2_{part}_Input/{image_id}.jpg", jpeg(image))
            tree.write(f"ISIC2018_Task1_{part}_GroundTruth/{image_id}_segmentation.png", mask_png(lesion))
            for k, name in enumerate(ATTRIBUTE_NAMES):
                tree.write(f"{task2[part]}/{image_id}_attribute_{name}.png", mask_png(attrs[..., k]))

    # 2018 task 3: one-hot float GT inside folders; lesion groupings top level.
    names18 = ["MEL", "NV", "BCC", "AKIEC", "BKL", "DF", "VASC"]
    parts3 = {"Training": ["ISIC_0024306", "ISIC_0024307", "ISIC_0024308", "ISIC_0024309"],
              "Validation": ["ISIC_0034321", "ISIC_0034322"], "Test": ["ISIC_0034524", "ISIC_0034525"]}
    groupings = []
    for p, (part, ids) in enumerate(parts3.items()):
        rows = []
        for i, image_id in enumerate(ids):
            image, _, _ = draw(seed + 60 + 5 * p + i, (30, 40))
            tree.write(f"ISIC2018_Task3_{part}_Input/{image_id}.jpg", jpeg(image))
            label = (2 * p + i) % len(names18)
            rows.append((image_id, *["1.0" if k == label else "0.0" for k in range(len(names18))]))
            if part == "Training":
                groupings.append((image_id, f"HAM_{7000 + i // 2:07d}",
                                  ["histopathology", "serial imaging showing no change"][i % 2]))
        with_legal(tree, f"ISIC2018_Task3_{part}_Input")
        tree.csv(f"ISIC2018_Task3_{part}_GroundTruth/ISIC2018_Task3_{part}_GroundTruth.csv", rows,
                 ["image"] + names18)
    tree.csv("ISIC2018_Task3_Training_LesionGroupings.csv", groupings, ["image", "lesion_id", "diagnosis_confirm_type"])

    # 2019: _downsampled ids, metadata with empty cells, UNK column; test with weights.
    names19 = ["MEL", "NV", "BCC", "AK", "BKL", "DF", "VASC", "SCC", "UNK"]
    train19 = [("ISIC_0000030", "MEL", "55", "anterior torso", "MSK4_0010001", "male"),
               ("ISIC_0000017_downsampled", "NV", "", "", "", ""),
               ("ISIC_0024310", "BKL", "40", "upper extremity", "HAM_0003001", "female"),
               ("ISIC_0053455", "SCC", "70", "head/neck", "BCN_0000123", "male"),
               ("ISIC_0053456", "DF", "30", "lower extremity", "BCN_0000124", "female")]
    for i, (image_id, *_) in enumerate(train19):
        image, _, _ = draw(seed + 80 + i, (32, 32) if i == 1 else SMALL)
        tree.write(f"ISIC_2019_Training_Input/{image_id}.jpg", jpeg(image))
    with_legal(tree, "ISIC_2019_Training_Input")
    tree.csv("ISIC_2019_Training_GroundTruth.csv",
             [(r[0], *["1.0" if n == r[1] else "0.0" for n in names19]) for r in train19], ["image"] + names19)
    tree.csv("ISIC_2019_Training_Metadata.csv", [(r[0], *r[2:]) for r in train19],
             ["image", "age_approx", "anatom_site_general", "lesion_id", "sex"])
    test19 = [("ISIC_0034330", "UNK", "45", "posterior torso", "female"), ("ISIC_0034331", "MEL", "", "", "male")]
    for i, (image_id, *_) in enumerate(test19):
        tree.write(f"ISIC_2019_Test_Input/{image_id}.jpg", jpeg(draw(seed + 90 + i)[0]))
    tree.csv("ISIC_2019_Test_GroundTruth.csv",
             [(r[0], *["1.0" if n == r[1] else "0.0" for n in names19], "1.0", "0.0") for r in test19],
             ["image"] + names19 + ["score_weight", "validation_weight"])
    tree.csv("ISIC_2019_Test_Metadata.csv", [(r[0], *r[2:]) for r in test19],
             ["image", "age_approx", "anatom_site_general", "sex"])

    # 2020: train/ folder, GT v1 and v2 (v2 adds lesion_id), duplicates list.
    def patient_keys(i):
        return (f"lesion:IL_{5000000 + 3 * i}", f"patient:IP_{1000000 + i}")

    rows_v2 = []
    image_number = 2637011
    for n, (i, _) in enumerate(pick_groups(patient_keys, {"train": 4, "validation": 1, "test": 1})):
        for j in range(2 if n == 0 else 1):
            image_id = f"ISIC_{image_number:07d}"
            image_number += 7919
            tree.write(f"train/{image_id}.jpg", jpeg(draw(seed + 200 + len(rows_v2))[0]))
            target = 1 if (n + j) % 3 == 0 else 0
            rows_v2.append([image_id, f"IP_{1000000 + i}", f"IL_{5000000 + 3 * i}", "" if n == 2 else "female",
                            "" if n == 2 else str(40 + 5 * n), "" if n == 3 else "torso",
                            "melanoma" if target else "nevus", "malignant" if target else "benign", str(target)])
    duplicate = f"ISIC_{image_number:07d}"  # second copy of the first image: dropped by the builder
    tree.write(f"train/{duplicate}.jpg", jpeg(draw(seed + 200)[0]))
    rows_v2.append([duplicate] + rows_v2[0][1:])
    header_v2 = ["image_name", "patient_id", "lesion_id", "sex", "age_approx", "anatom_site_general_challenge",
                 "diagnosis", "benign_malignant", "target"]
    tree.csv("ISIC_2020_Training_GroundTruth_v2.csv", rows_v2, header_v2)
    tree.csv("ISIC_2020_Training_GroundTruth.csv", [r[:2] + r[3:] for r in rows_v2],
             header_v2[:2] + header_v2[3:])
    tree.csv("ISIC_2020_Training_Duplicates.csv", [(rows_v2[0][0], duplicate)], ["image_name_1", "image_name_2"])


# ----------------------------------------------------------------------------------------------- HAM10000

def ham10000(tree: Tree):
    dx = ["nv", "mel", "bkl", "bcc", "akiec", "vasc", "df"]
    rows, masks = [], {}
    number = 24306
    for n, (i, _) in enumerate(pick_groups(lambda i: (f"lesion:HAM_{i:07d}",),
                                           {"train": 3, "validation": 1, "test": 1})):
        for _ in range(2 if n == 0 else 1):  # the first lesion has two images
            image_id = f"ISIC_{number:07d}"
            number += 1
            image, lesion, _ = draw(300 + number, (30, 40))
            tree.write(f"HAM10000_images_part_{1 + len(rows) % 2}/{image_id}.jpg", jpeg(image))
            masks[f"HAM10000_segmentations_lesion_tschandl/{image_id}_segmentation.png"] = mask_png(lesion)
            rows.append((f"HAM_{i:07d}", image_id, dx[n], ["histo", "follow_up", "consensus"][n % 3],
                         "" if n == 2 else f"{45 + 5 * n}.0", "unknown" if n == 3 else "male",
                         "unknown" if n == 1 else "back", "vidir_modern"))
    tree.csv("HAM10000_metadata.csv", rows,
             ["lesion_id", "image_id", "dx", "dx_type", "age", "sex", "localization", "dataset"])
    tree.zip("HAM10000_segmentations_lesion_tschandl.zip", masks)


# ----------------------------------------------------------------------------------------------- PH2

def ph2(tree: Tree):
    lines = ["||   Name   || Histological Diagnosis || Clinical Diagnosis || Asymmetry | Pigment Network | "
             "Dots/Globules | Streaks | Regression Areas | Blue-Whitish Veil || Colors ||"]
    folder = "PH2Dataset/PH2 Dataset images"
    for n, (i, _) in enumerate(pick_groups(lambda i: (), {"train": 3, "validation": 1, "test": 1}, start=2,
                                           make_id=lambda i: f"IMD{i:03d}")):
        name = f"IMD{i:03d}"
        image, lesion, _ = draw(400 + i, (28, 38))
        tree.write(f"{folder}/{name}/{name}_Dermoscopic_Image/{name}.bmp", bmp(Image.fromarray(image)))
        mask = Image.fromarray(lesion.astype(np.uint8) * 255, "L")
        tree.write(f"{folder}/{name}/{name}_lesion/{name}_lesion.bmp", bmp(mask.convert("1") if n == 0 else mask))
        clinical = n % 3
        histology = "Melanoma" if clinical == 2 else ""
        lines.append(f"||  {name}  ||  {histology:<22}||  {clinical}  ||  {n % 3}  |  {'AT' if n % 2 else 'T'}  |  "
                     f"A  |  {'P' if clinical == 2 else 'A'}  |  A  |  A  ||  {3 + n % 2} 4  ||")
    lines += ["", "Legends: (illustrative dummy file)"]
    tree.write("PH2Dataset/PH2_dataset.txt", "\n".join(lines) + "\n")


# ----------------------------------------------------------------------------------------------- derm7pt

def derm7pt(tree: Tree):
    header = ["case_num", "diagnosis", "seven_point_score", "pigment_network", "streaks", "pigmentation",
              "regression_structures", "dots_and_globules", "blue_whitish_veil", "vascular_structures",
              "level_of_diagnostic_difficulty", "elevation", "location", "sex", "management", "clinic", "derm",
              "case_id", "notes"]
    diagnoses = ["clark nevus", "melanoma (less than 0.76 mm)", "basal cell carcinoma", "seborrheic keratosis",
                 "blue nevus", "melanoma (in situ)", "vascular lesion"]
    rows = []
    for i, diagnosis in enumerate(diagnoses):
        derm = "NEL/Nel026.jpg" if i == 0 else f"NEL/Nel{30 + i:03d}.jpg"
        clinic = "NEL/NEL025.JPG" if i == 0 else f"NEL/NEL{40 + i:03d}.JPG"
        tree.write(f"release_v0/images/{derm}", jpeg(draw(500 + i, (30, 40))[0]))
        tree.write(f"release_v0/images/{clinic}", jpeg(draw(600 + i, (24, 32))[0]))
        rows.append([i + 1, diagnosis, i % 4, ["absent", "typical", "atypical"][i % 3], "absent",
                     "diffuse regular", "absent", "regular", "absent" if i % 2 else "present", "absent",
                     "low", "flat", ["back", "abdomen", "head neck"][i % 3], "female" if i % 2 else "male",
                     "clinical follow up", clinic, derm, "", ""])
    tree.csv("release_v0/meta/meta.csv", rows, header)
    for name, indexes in (("train", [0, 2, 4, 6]), ("valid", [1, 5]), ("test", [3])):
        tree.csv(f"release_v0/meta/{name}_indexes.csv", [[k] for k in indexes], ["indexes"])


# ----------------------------------------------------------------------------------------------- Dermofit

def dermofit(tree: Tree):
    classes = ["AK", "BCC", "MEL", "ML", "SK", "SCC"]

    def keys(i):
        code = classes[i % len(classes)]
        return (f"lesion:{code}/{code[0]}{i}",)

    for n, (i, _) in enumerate(pick_groups(keys, {"train": 3, "validation": 1, "test": 1})):
        code = classes[i % len(classes)]
        lesion_dir = f"{code[0]}{i}"
        image, lesion, _ = draw(700 + i, (26, 36) if n % 2 else (36, 26))
        tree.write(f"Dermofit/{code}/{lesion_dir}/{lesion_dir}.png", png(image))
        tree.write(f"Dermofit/{code}/{lesion_dir}/{lesion_dir}mask.png", mask_png(lesion))
    tree.write("__MACOSX/Dermofit/AK/._A0.png", b"\x00\x05\x16\x07")  # macOS resource-fork junk: ignored


# ----------------------------------------------------------------------------------------------- isic-cli

def isic_archive(tree: Tree):
    out = "isic_download"
    header = ["isic_id", "attribution", "copyright_license", "age_approx", "anatom_site_general",
              "diagnosis_1", "diagnosis_2", "diagnosis_3", "diagnosis_confirm_type", "image_type", "lesion_id",
              "patient_id", "pixels_x", "pixels_y", "sex"]
    diagnoses = [("Benign", "Benign melanocytic proliferations", "Nevus"),
                 ("Malignant", "Malignant melanocytic proliferations (Melanoma)", "Melanoma Invasive"),
                 ("Malignant", "Malignant adnexal epithelial proliferations - Follicular", "Basal cell carcinoma"),
                 ("Benign", "Benign epidermal proliferations", "Seborrheic keratosis"),
                 ("Indeterminate", "", ""),
                 ("Benign", "Benign soft tissue proliferations - Vascular", "Hemangioma")]
    rows = []
    number = 9000001

    def keys(i):
        return (f"lesion:IL_{7000000 + i}", f"patient:IP_{8000000 + i}")

    for n, (i, _) in enumerate(pick_groups(keys, {"train": 4, "validation": 1, "test": 1})):
        for _ in range(2 if n == 0 else 1):
            image_id = f"ISIC_{number:07d}"
            number += 13
            image, _, _ = draw(800 + number % 1000, (30, 40) if n % 2 else SMALL)
            tree.write(f"{out}/{image_id}.jpg", jpeg(image))
            d1, d2, d3 = diagnoses[n % len(diagnoses)]
            rows.append([image_id, "Dummy Attribution" if n % 2 else "Anonymous", "CC-BY" if n % 2 else "CC-0",
                         "" if n == 3 else str(30 + 5 * n), "" if n == 2 else "posterior torso", d1, d2, d3,
                         "histopathology" if n % 2 else "", "dermoscopic", f"IL_{7000000 + i}",
                         "" if n == 4 else f"IP_{8000000 + i}", str(image.shape[1]), str(image.shape[0]),
                         "" if n == 1 else "female"])
    tree.csv(f"{out}/metadata.csv", rows, header)
    tree.write(f"{out}/attribution.txt", "Dummy Attribution\nAnonymous\n")
    tree.write(f"{out}/licenses/CC-BY.txt", "CC-BY (dummy)\n")
    tree.write(f"{out}/licenses/CC-0.txt", "CC-0 (dummy)\n")
    tree.write(f"{out}/.isic-partial.4242.jpg", b"partial download")


WRITERS = {"isic_challenge": isic_challenge, "ham10000": ham10000, "ph2": ph2, "derm7pt": derm7pt,
           "dermofit": dermofit, "isic_archive": isic_archive}


def write_dummy_data(datasets_dir: Path, names=None) -> dict:
    """Rewrite ``<datasets_dir>/<name>/dummy_data`` for each builder; returns {name: bytes written}."""
    sizes = {}
    for name in names or WRITERS:
        root = datasets_dir / name / "dummy_data"
        if root.exists():
            shutil.rmtree(root)
        WRITERS[name](Tree(root))
        sizes[name] = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
    return sizes


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets-dir", default=str(ROOT / "datasets"))
    parser.add_argument("names", nargs="*", help=f"builders (default: all of {', '.join(WRITERS)})")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.names) - set(WRITERS))
    if unknown:
        parser.error(f"unknown builder(s) {', '.join(unknown)}; valid: {', '.join(WRITERS)}")
    sizes = write_dummy_data(Path(args.datasets_dir), args.names or None)
    for name, size in sizes.items():
        print(f"{name}: {size / 1024:.1f} KiB")
    print(f"total: {sum(sizes.values()) / 1024:.1f} KiB")


if __name__ == "__main__":
    main()
