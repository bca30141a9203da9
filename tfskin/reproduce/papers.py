"""The papers ``tfskin reproduce`` reruns, their budgets, and what every experiment is handed.

A paper module (``tfskin/reproduce/<key>.py``) defines ``TITLE``, ``SUMMARY``, ``SETTINGS`` (one dict per
budget: ``smoke`` for tests, ``cpu`` for a 2-core CPU in under an hour, ``paper`` for the papers' sizes on a
GPU), ``datasets(data, ood)`` (the dataset of each role), ``run(experiment) -> dict``, and for its GAN work
``replicate_parts(experiment)`` (the parts of one replicate's GAN work that can run at the same time, the longest
first) and ``replicate_gans(experiment, replicate, part) -> dict`` (``tfskin.reproduce.parallel`` runs them).
Papers are imported on use, so listing them costs nothing.
"""

import dataclasses
import importlib
from pathlib import Path

from tfskin.errors import ConfigError

PAPERS = {
    "bissoto2018": "Bissoto et al. 2018: pix2pixHD (instance / semantic maps) and conditional PGAN images for a "
                   "melanoma classifier (Table 1), in and out of distribution",
    "pollastri2020": "Pollastri et al. 2020: DCGAN and LAPGAN image+mask pairs for a lesion segmenter, two-step "
                     "training, training-subset sizes, the dual-threshold ensemble",
    "fossen2020": "Fossen-Romsaas et al. 2020: ACGAN and ACGAN->CycleGAN images for an 8-class classifier, "
                  "per-class precision/recall (Tables 2-3), NV->MEL CycleGAN with the Path-Rank-Filter",
    "lunagariya": "Lunagariya & Patel: DCGAN and phase-frozen progressive GAN sample quality (colour-histogram "
                  "distances, FID/KID) at a fixed sample count",
}
BUDGETS = ("smoke", "cpu", "paper")
PHANTOMS = "phantoms"
PHANTOM_OOD = "phantoms:domain=clinic"
OFFICIAL_SPLITS = {"train": "train", "test": "test"}


def paper_module(key: str):
    if key not in PAPERS:
        raise ConfigError(f"unknown paper {key!r}; choose one of {', '.join(PAPERS)}")
    return importlib.import_module(f"tfskin.reproduce.{key}")


def is_phantoms(data: str) -> bool:
    return data.partition(":")[0] == PHANTOMS


@dataclasses.dataclass
class Experiment:
    """What a paper's ``run`` gets: where to write, which data, which budget's settings, the step runner."""

    paper: str
    out: Path
    data: str
    ood_data: str  # None: no out-of-distribution test
    budget: str
    settings: dict
    workers: int
    workflow: object  # tfskin.reproduce.workflow.Workflow
    datasets: dict  # role -> dataset name
    splits: dict = dataclasses.field(default_factory=lambda: dict(OFFICIAL_SPLITS))  # role -> split of the data
    engine: str = None  # how the evaluation trains its many small models (None: the protocol's default, reuse)

    @property
    def measured_on(self) -> str:
        """How the report marks our figures: 'measured, phantoms' or 'measured, <dataset>'."""
        return f"measured, {'phantoms' if is_phantoms(self.data) else self.data}"


def real_splits(module, data: str) -> dict:
    """The splits a paper reads from ``data``: its own re-split where the module defines one
    (``splits(data)``, e.g. Fossen-Romsaas et al.'s of ISIC 2019), else the release's train and test."""
    own = getattr(module, "splits", None)
    return {**OFFICIAL_SPLITS, **(own(data) if own else {})}


def settings_for(module, budget: str, overrides: dict = None) -> dict:
    if budget not in BUDGETS:
        raise ConfigError(f"unknown budget {budget!r}; choose one of {', '.join(BUDGETS)}")
    settings = {**module.SETTINGS[budget]}
    for key, value in (overrides or {}).items():
        if value is not None:
            settings[key] = value
    return settings


def protocol_data(exp, role: str, image_size) -> dict:
    """The ``data`` block of an evaluation protocol: the ``role`` dataset at ``image_size`` with the budget's
    pool, subset and test sizes, and the out-of-distribution test set when the experiment has one (each
    replicate overrides the pool, subset and seeds: ``tfskin.reproduce.replicates``)."""
    s = exp.settings
    data = {"name": exp.datasets[role], "image_size": list(image_size), "train_pool": s.get("train_pool"),
            "train_size": s["train_size"], "test_size": s["test_size"], "train_split": exp.splits["train"],
            "test_split": exp.splits["test"]}
    if exp.datasets.get("ood"):
        data["ood_test"] = {"name": exp.datasets["ood"], "split": "test", "size": s["ood_size"]}
    return data
