"""Dataset names, options and class names checked without TensorFlow (the CLI checks its flags before
importing it): ``phantoms[:domain=NAME]`` and the real datasets registered by ``tfskin.data.tfds.register``."""

from tfskin.classes import CLASS_NAMES, class_index
from tfskin.data.tfds.source_table import SOURCES as _SOURCES
from tfskin.data.tfds.source_table import source_names
from tfskin.errors import ConfigError

IN_MEMORY_DATASETS = ("phantoms",)  # registered by tfskin.data.sources (a TensorFlow module)


def split_dataset_name(name: str) -> tuple:
    """``phantoms:domain=clinic,melanoma=0.3`` -> ("phantoms", {"domain": "clinic", "class_prior": (...)}):
    phantoms take ``domain=NAME`` and class shares ``melanoma=P`` or ``<CLASS>=P`` (ISIC 2019 class names, e.g.
    ``nv=0.5``; the other classes keep their ISIC 2019 proportions). A real dataset takes one option,
    ``diagnoses=NAME`` (``isic2018_task1_2:diagnoses=isic2019``): its images labelled with ISIC 2019 classes
    joined by image id from prepared dataset NAME, the images without one left out."""
    base, _, rest = str(name).partition(":")
    if not rest:
        return base, {}
    if base != "phantoms":
        key, eq, value = (part.strip() for part in rest.partition("="))
        if key == "diagnoses" and eq and value and "," not in value and ":" not in value:
            return base, {"diagnoses": value}  # labels joined by image id (tfskin.data.diagnoses)
        raise ConfigError(f"dataset {name!r}: only phantoms take options (phantoms:domain=NAME,melanoma=P); a real "
                          f"dataset takes diagnoses=NAME (its labels joined by image id from dataset NAME)")
    options, shares = {}, {}
    for item in rest.split(","):
        key, eq, value = (part.strip() for part in item.partition("="))
        if not eq or not value:
            raise ConfigError(f"dataset {name!r}: phantoms take domain=NAME and class shares such as melanoma=0.3")
        if key == "domain":
            options["domain"] = value
            continue
        cls = "MEL" if key.lower() == "melanoma" else key.upper()
        if cls not in CLASS_NAMES:
            raise ConfigError(f"dataset {name!r}: unknown option {key!r}; phantoms take domain=NAME and class "
                              f"shares melanoma=P or CLASS=P ({', '.join(CLASS_NAMES)})")
        try:
            shares[cls] = float(value)
        except ValueError:
            raise ConfigError(f"dataset {name!r}: {key}={value!r} is not a number") from None
    from tfskin.data.phantoms import get_domain, prior_with_shares

    if "domain" in options:
        get_domain(options["domain"])  # fails early, listing the valid domains
    if shares:
        options["class_prior"] = prior_with_shares(shares)
    return base, options


def label_indices(name: str, classes) -> list:
    """The dataset's own label indices selected by class names: its own names (e.g. ``nevus``) or ISIC 2019
    names (``NV``) mapped onto its vocabulary. Raises ValueError naming the valid choices."""
    from tfskin.data.tfds.register import class_names, isic2019_labels

    split_dataset_name(name)  # checks the options; joined diagnoses (NAME:diagnoses=SOURCE) bring ISIC 2019's names
    own = tuple(class_names(name))
    to_isic = isic2019_labels(name)
    indices = []
    for wanted in classes:
        if wanted in own:
            indices.append(own.index(wanted))
            continue
        try:
            isic = class_index(wanted)
        except ValueError:
            isic = None
        matches = [i for i, mapped in enumerate(to_isic) if isic is not None and mapped == isic]
        if not matches:
            choices = sorted(set(own) | {CLASS_NAMES[m] for m in to_isic if m >= 0})
            raise ConfigError(f"dataset {name!r} has no class {wanted!r}; valid classes: {', '.join(choices)}")
        indices.extend(matches)
    return indices


def check_dataset(name: str, classes=None):
    """Raise ``ConfigError`` unless ``name`` is a known dataset (with valid options) and ``classes`` are among its
    classes: what ``load_examples`` would reject, checked before any work (``--dry-run`` included)."""
    import tfskin.data.tfds.register  # noqa: F401  (registers the real datasets, lazily)

    base, _ = split_dataset_name(name)
    if base not in _SOURCES and base not in IN_MEMORY_DATASETS:
        valid = sorted(set(source_names()) | set(IN_MEMORY_DATASETS))
        raise ConfigError(f"unknown dataset {name!r}; valid datasets: {', '.join(valid)}")
    if classes:
        label_indices(base, classes)
