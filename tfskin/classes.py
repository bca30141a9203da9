"""Label vocabularies shared by every dataset and model (ISIC 2019 classes, ISIC 2018 task-2 attributes), below
both: data pipelines and model configs name classes from here."""

from tfskin.errors import ConfigError

# The eight diagnostic classes of ISIC 2019, in the order of its ground-truth CSV columns.
CLASS_NAMES = ("MEL", "NV", "BCC", "AK", "BKL", "DF", "VASC", "SCC")

# Training-set counts per class in ISIC 2019 (25,331 images); used as the default phantom prior.
ISIC2019_CLASS_COUNTS = {
    "MEL": 4522, "NV": 12875, "BCC": 3323, "AK": 867,
    "BKL": 2624, "DF": 239, "VASC": 253, "SCC": 628,
}

# Classes counted as malignant for the binary benign/malignant task (AK is pre-malignant: benign here).
MALIGNANT_CLASSES = frozenset({"MEL", "BCC", "SCC"})

# ISIC 2018 task 2 attribute masks, in the order tfskin stacks them.
ATTRIBUTE_NAMES = ("pigment_network", "negative_network", "streaks", "milia_like_cyst", "globules")

# The ids of the semantic label maps that condition pix2pixHD (see ``tfskin.data.labelmaps``).
LABEL_NAMES = ("padding", "skin", "lesion") + ATTRIBUTE_NAMES
NUM_LABELS = len(LABEL_NAMES)  # 8, pix2pixHD's --label_nc


def class_index(name: str) -> int:
    """Index of an ISIC 2019 class name; raises ValueError listing the valid names."""
    try:
        return CLASS_NAMES.index(name.upper())
    except ValueError:
        raise ConfigError(f"unknown class {name!r}; valid classes: {', '.join(CLASS_NAMES)}") from None


def default_class_prior() -> tuple:
    """ISIC 2019's class frequencies as probabilities in CLASS_NAMES order."""
    total = sum(ISIC2019_CLASS_COUNTS.values())
    return tuple(ISIC2019_CLASS_COUNTS[c] / total for c in CLASS_NAMES)
