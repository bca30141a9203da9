"""Download instructions of every real dataset (plain text, no imports: the CLI prints them without loading
TensorFlow). The builders' ``MANUAL_DOWNLOAD_INSTRUCTIONS`` are made from these texts."""

ISIC_GENERAL = """\
Download the files of the config you want from https://challenge.isic-archive.com/data/ (they are served from
https://isic-archive.s3.amazonaws.com/challenges/<year>/<file>) into one folder and pass it as the manual
folder (`tfskin data build CONFIG --manual-dir DIR`, or `tfds build --manual_dir DIR`). Keep the zips or extract
them, in any sub-folder: files are found by name, recursively, inside zips too. Splits whose files are absent
are left out. Zips of other releases in the same folder are not opened.
"""

ISIC_CONFIGS = {
    "isic2016": """\
isic2016: ISBI2016_ISIC_Part1_Training_Data.zip, ISBI2016_ISIC_Part1_Training_GroundTruth.zip,
  ISBI2016_ISIC_Part3_Training_GroundTruth.csv; test: ISBI2016_ISIC_Part1_Test_Data.zip,
  ISBI2016_ISIC_Part1_Test_GroundTruth.zip, ISBI2016_ISIC_Part3_Test_GroundTruth.csv.
""",
    "isic2017": """\
isic2017: ISIC-2017_{Training,Validation,Test_v2}_Data.zip, ISIC-2017_{...}_Part1_GroundTruth.zip,
  ISIC-2017_{...}_Part3_GroundTruth.csv (the data zips hold the *_metadata.csv and *_superpixels.png files).
""",
    "isic2018_task1_2": """\
isic2018_task1_2: ISIC2018_Task1-2_{Training,Validation,Test}_Input.zip,
  ISIC2018_Task1_{Training,Validation,Test}_GroundTruth.zip, ISIC2018_Task2_Training_GroundTruth_v3.zip,
  ISIC2018_Task2_{Validation,Test}_GroundTruth.zip.
""",
    "isic2018_task3": """\
isic2018_task3: ISIC2018_Task3_{Training,Validation,Test}_Input.zip,
  ISIC2018_Task3_{Training,Validation,Test}_GroundTruth.zip, ISIC2018_Task3_Training_LesionGroupings.csv.
""",
    "isic2019": """\
isic2019: ISIC_2019_Training_Input.zip, ISIC_2019_Training_GroundTruth.csv, ISIC_2019_Training_Metadata.csv;
  test: ISIC_2019_Test_Input.zip, ISIC_2019_Test_GroundTruth.csv, ISIC_2019_Test_Metadata.csv.
""",
    "isic2020": """\
isic2020: ISIC_2020_Training_JPEG.zip (extracts to train/), ISIC_2020_Training_GroundTruth_v2.csv (or
  ISIC_2020_Training_GroundTruth.csv), ISIC_2020_Training_Duplicates.csv.
""",
}

ISIC_CHALLENGE = ISIC_GENERAL + "\n" + "".join(ISIC_CONFIGS.values())

HAM10000 = """\
From https://doi.org/10.7910/DVN/DBW86T download HAM10000_images_part_1.zip, HAM10000_images_part_2.zip and
HAM10000_metadata (choose "original format" to get the CSV, HAM10000_metadata.csv; the tab-separated
HAM10000_metadata.tab also works), and optionally HAM10000_segmentations_lesion_tschandl.zip (lesion masks).
Put them in one folder (zipped or extracted, any sub-folder) and pass it as the manual folder.
"""

PH2 = """\
Request and download PH2Dataset.rar from https://www.fc.up.pt/addi/ph2%20database.html, extract it (e.g.
`unrar x PH2Dataset.rar` or `7z x PH2Dataset.rar`) and put the PH2Dataset folder (with PH2_dataset.txt and
"PH2 Dataset images/IMDnnn/...") in the manual folder. A .zip of that folder (PH2Dataset.zip) works too; RAR
archives are not read.
"""

DERM7PT = """\
Register at https://derm.cs.sfu.ca and download release_v0.zip; put the zip (or the extracted release_v0 folder
with images/ and meta/) in the manual folder.
"""

DERMOFIT_LAYOUT = "<root>/<CLASS>/<LESION>/<LESION>.png + <LESION>mask.png"
DERMOFIT_LABELS = ("AK", "BCC", "DF", "IEC", "MEL", "ML", "PYO", "SCC", "SK", "VASC")
DERMOFIT = f"""\
Obtain the Dermofit Image Library (licence from the University of Edinburgh,
https://licensing.edinburgh-innovations.ed.ac.uk/product/dermofit-image-library) and put its folders (or zips)
in the manual folder. Expected layout (partly unconfirmed): {DERMOFIT_LAYOUT}, <CLASS> one of
{', '.join(DERMOFIT_LABELS)}.
"""

ISIC_ARCHIVE = """\
pip install isic-cli, then download images and metadata with a query, e.g.
    isic image download --search 'image_type:dermoscopic' --limit 1000 OUTDIR
(or --collections ID). Pass OUTDIR (or a folder holding it) as the manual folder.
"""

BY_BUILDER = {"isic_challenge": ISIC_CHALLENGE, "ham10000": HAM10000, "ph2": PH2, "derm7pt": DERM7PT,
              "dermofit": DERMOFIT, "isic_archive": ISIC_ARCHIVE}


def for_config(builder: str, config: str) -> str:
    """The instructions of one config: for the ISIC challenge releases, the general part and that year's files."""
    if builder == "isic_challenge":
        return ISIC_GENERAL + "\n" + ISIC_CONFIGS[config]
    return BY_BUILDER[builder]
