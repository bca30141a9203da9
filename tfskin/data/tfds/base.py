"""The base of every tfskin dataset builder: common features, streaming parallel preparation, the skip-bad
report, exclusion lists and bounded memory.

A family builder lists its configs (``SkinConfig``) and implements ``_records(tree, problems)``, returning
``{split: [Record]}`` found in the manual-download folder; the base turns records into TFDS examples.

Stored features (per config, see ``SkinConfig``): ``image``; ``file_name`` (the source file, also the example
key); ``original_size`` (height, width in the release); ``metadata`` (age -1 when unknown, sex, site, lesion_id,
patient_id, diagnosis, diagnosis_confirm_type; '' when unknown); and where the release has them ``mask``
(0/255), ``attributes`` (five 0/255 masks) with ``attribute_present``, ``superpixels`` (uint16 ids), ``label``
(``ClassLabel`` with the dataset's own names), ``malignant``, extra images and ``criteria`` texts.

Preparation streams: records are small, each example is decoded, checked, shrunk and encoded in a worker
process (``processing.prepare``) with a bounded number in flight, and TFDS's in-memory shuffle buffer is capped
at ``SHUFFLE_BUFFER_BYTES`` (it spills to disk buckets beyond that), so peak memory does not grow with the
dataset.
"""

from __future__ import annotations

import contextlib
import dataclasses
import inspect
import re
import sys
from typing import Optional

import numpy as np
import tensorflow_datasets as tfds
from etils import epath

from tfskin import errors
from tfskin.classes import ATTRIBUTE_NAMES
from tfskin.data.superpixels import PAPER_SLIC, SlicParams
from tfskin.data.tfds import catalog
from tfskin.data.tfds.common import (
    METADATA_KEYS,
    BadInputError,
    MissingInputError,
    Problems,
    excluded,
    grouped_splits,
    read_exclusions,
)
from tfskin.data.tfds.files import ManualTree
from tfskin.data.tfds.parallel import default_workers, ordered_map
from tfskin.data.tfds.processing import Task, check, prepare

SHUFFLE_BUFFER_BYTES = 64 << 20
DEFAULT_FRACTIONS = (("train", 0.8), ("validation", 0.1), ("test", 0.1))
SUPERPIXEL_MODES = ("none", "slic", "file_or_slic")
SUPERPIXEL_BUILD_MODES = ("store", "defer")  # compute at build time, or when first loaded (see load_real)
_PLACEHOLDER_SUPERPIXELS = None  # 1x1 uint16 PNG stored when superpixels are deferred


@dataclasses.dataclass(eq=False)
class SkinConfig(tfds.core.BuilderConfig):
    """One dataset config: which features it stores and how examples are prepared."""

    labels: tuple = ()  # ClassLabel names, () = unlabelled
    has_malignant: bool = False
    has_mask: bool = False
    has_attributes: bool = False
    superpixels: str = "none"  # none | slic (compute) | file_or_slic (release files, else compute)
    slic: SlicParams = PAPER_SLIC
    slic_fit: tuple = (512, 1024)  # SLIC runs on the image shrunk to fit this (h, w), as the paper's 1024x512 maps
    max_side: int = 1024  # images are stored shrunk to this longer side (0 = as released)
    extra_images: tuple = ()  # names of further RGB image features (derm7pt: clinical_image)
    criteria: tuple = ()  # names of per-example text features stored under "criteria"
    split_fractions: tuple = ()  # ((split, fraction), ...) for seeded grouped splits; () = official splits
    split_seed: int = 0
    layout: str = ""  # which release layout to read (default: the config name); lets custom configs reuse one

    @property
    def release(self) -> str:
        return self.layout or self.name

    def __post_init__(self):
        if self.superpixels not in SUPERPIXEL_MODES:
            raise ValueError(f"superpixels must be one of {', '.join(SUPERPIXEL_MODES)}, got {self.superpixels!r}")


@dataclasses.dataclass
class Record:
    """One example before preparation: its files, labels and metadata."""

    key: str  # unique, the source file name (or a relative path when names repeat)
    image_id: str  # what exclusion lists match
    image: object  # FileRef
    mask: object = None
    attributes: Optional[tuple] = None
    superpixels: object = None
    extra_images: tuple = ()
    label: Optional[int] = None
    malignant: Optional[bool] = None
    metadata: dict = dataclasses.field(default_factory=dict)
    criteria: dict = dataclasses.field(default_factory=dict)
    group_keys: tuple = ()  # namespaced keys ("lesion:...", "patient:...") that must not cross splits
    empty_mask: bool = False


@contextlib.contextmanager
def bounded_shuffle_buffer(limit: int = SHUFFLE_BUFFER_BYTES):
    """Cap TFDS's in-memory shuffle buffer (1 GB by default) so large builds spill to disk early."""
    from tensorflow_datasets.core import shuffle

    previous = shuffle.MAX_MEM_BUFFER_SIZE
    shuffle.MAX_MEM_BUFFER_SIZE = min(previous, limit)
    try:
        yield
    finally:
        shuffle.MAX_MEM_BUFFER_SIZE = previous


class LocalDatasetInfo(tfds.core.DatasetInfo):
    """The DatasetInfo of a dataset built from the user's own files. TFDS looks for pre-computed info of a
    not-yet-prepared dataset on its GCS bucket, and makes an empty ``/tmp/tmp*tfds`` folder for it that it never
    removes (one per builder made before preparing); nothing of tfskin's is on that bucket, so skip the lookup."""

    def initialize_from_bucket(self) -> None:
        return None


class SkinBuilder(tfds.core.GeneratorBasedBuilder, skip_registration=True):
    """Base of the tfskin builders (not registered itself)."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "Initial release."}
    DESCRIPTION = ""
    HOMEPAGE = ""
    CITATION = ""

    @tfds.core.utils.classproperty
    @classmethod
    def code_path(cls):
        """The file defining the builder. (TFDS 4.9.10's own lookup needs the ``importlib_resources`` backport,
        which current etils no longer installs; a plain file lookup is equivalent for installed packages.)"""
        try:
            return epath.Path(inspect.getfile(cls))
        except (TypeError, OSError):
            return None

    def __init__(self, *, skip_bad: bool = False, exclude=None, workers: Optional[int] = None,
                 progress: bool = False, superpixels: str = "store", **kwargs):
        """``skip_bad``: record bad inputs instead of failing; ``exclude``: path of an id list to leave out;
        ``workers``: preparation processes (default ``$TFSKIN_PREPARE_WORKERS`` or the cores); ``progress``: show
        a progress bar per split; ``superpixels``: ``store`` computes SLIC superpixels while building (configs
        that have them), ``defer`` leaves them to be computed at the requested size when first loaded."""
        if superpixels not in SUPERPIXEL_BUILD_MODES:
            raise errors.ConfigError(f"superpixels must be one of {', '.join(SUPERPIXEL_BUILD_MODES)}, "
                                     f"got {superpixels!r}")
        self._skip_bad = skip_bad
        self._exclude = exclude
        self._workers = default_workers() if workers is None else int(workers)
        self._progress = progress
        self._superpixels = superpixels
        self._problems = Problems(skip_bad)
        self._summary: dict = {}
        super().__init__(**kwargs)

    # ------------------------------------------------------------------ features

    def _features(self) -> dict:
        cfg = self.builder_config
        text = tfds.features.Text
        features = {
            "image": tfds.features.Image(shape=(None, None, 3), doc="RGB, longer side <= max_side"),
            "file_name": text(doc="source file name in the release (the example key)"),
            "original_size": tfds.features.Tensor(shape=(2,), dtype=np.int32, doc="(height, width) as released"),
            "metadata": tfds.features.FeaturesDict(
                {k: (np.float32 if k == "age" else text()) for k in METADATA_KEYS}),
        }
        if cfg.has_mask:
            features["mask"] = tfds.features.Image(shape=(None, None, 1), doc="lesion mask, 0/255")
        if cfg.has_attributes:
            features["attributes"] = tfds.features.FeaturesDict(
                {name: tfds.features.Image(shape=(None, None, 1)) for name in ATTRIBUTE_NAMES})
            features["attribute_present"] = tfds.features.Tensor(shape=(len(ATTRIBUTE_NAMES),), dtype=np.bool_)
        if cfg.superpixels != "none":
            features["superpixels"] = tfds.features.Image(shape=(None, None, 1), dtype=np.uint16,
                                                          doc="superpixel ids at the stored size")
        if cfg.labels:
            features["label"] = tfds.features.ClassLabel(names=list(cfg.labels))
        if cfg.has_malignant:
            features["malignant"] = np.bool_
        for name in cfg.extra_images:
            features[name] = tfds.features.Image(shape=(None, None, 3))
        if cfg.criteria:
            features["criteria"] = tfds.features.FeaturesDict({name: text() for name in cfg.criteria})
        return features

    def _info(self) -> tfds.core.DatasetInfo:
        return LocalDatasetInfo(
            builder=self,
            description=self.DESCRIPTION,
            features=tfds.features.FeaturesDict(self._features()),
            homepage=self.HOMEPAGE,
            citation=self.CITATION,
            metadata=tfds.core.MetadataDict(),
        )

    # ------------------------------------------------------------------ records

    def _records(self, tree: ManualTree, problems: Problems) -> dict:
        """{split name: [Record]} from the manual-download folder (implemented per family)."""
        raise NotImplementedError

    def _assign_splits(self, records: list) -> dict:
        """Seeded grouped splits (``SkinConfig.split_fractions``) for releases without official ones."""
        cfg = self.builder_config
        names = grouped_splits([r.image_id for r in records], [r.group_keys for r in records],
                               cfg.split_fractions, cfg.split_seed)
        out = {name: [] for name, _ in cfg.split_fractions}
        for record, name in zip(records, names, strict=True):
            out[name].append(record)
        return out

    def _apply_exclusions(self, splits: dict) -> dict:
        if not self._exclude:
            return splits
        ids = self._exclude if isinstance(self._exclude, (set, frozenset)) else read_exclusions(self._exclude)
        used, removed = set(), []
        for name in splits:
            kept = []
            for record in splits[name]:
                hit = excluded(record.image_id, ids)
                if hit is None:
                    kept.append(record)
                else:
                    used.add(hit)
                    removed.append(record.key)
            splits[name] = kept
        self._summary["excluded"] = sorted(removed)
        unused = sorted(ids - used)
        if unused:
            self._problems.note(f"{len(unused)} id(s) of the exclusion list are not in this dataset: "
                                f"{', '.join(unused[:10])}{' ...' if len(unused) > 10 else ''}")
        return splits

    # ------------------------------------------------------------------ generation

    def _split_generators(self, dl_manager):
        cfg = self.builder_config
        self._problems = Problems(self._skip_bad)
        self._summary = {"config": cfg.name, "manual_dir": str(dl_manager.manual_dir),
                         "skip_bad": self._skip_bad, "exclude": str(self._exclude) if self._exclude else None}
        if cfg.superpixels != "none":
            self._summary["superpixels"] = "deferred" if self._superpixels == "defer" else "stored"
        tree = ManualTree(dl_manager.manual_dir, archives=catalog.ARCHIVES.get(cfg.release))
        for note in tree.notes:
            self._problems.note(note)
        splits = self._apply_exclusions(self._records(tree, self._problems))
        splits = self._check(splits)
        self._problems.raise_errors()  # every bad input found so far, at once, before anything is written
        for name in [n for n, records in splits.items() if not records]:
            self._problems.note(f"split {name!r} has no examples and is left out")
            del splits[name]
        if not splits:
            raise MissingInputError(f"{dl_manager.manual_dir}: no examples of {self.name}/{cfg.name} found; "
                                    f"`tfskin data build {cfg.name} --instructions` lists the files it reads"
                                    f"{tree.hint()}")
        self._store_summary()
        return {name: self._generate_examples(records, name) for name, records in splits.items()}

    def _check(self, splits: dict) -> dict:
        """Check every example's files from their headers (readable, sizes agree) before the long preparation:
        without --skip-bad all problems are collected and raised together; with it the examples are dropped."""
        total = sum(len(records) for records in splits.values())
        bar = None
        if self._progress and total:
            from tqdm import tqdm

            bar = tqdm(total=total, desc=f"{self.builder_config.name} checking files", unit=" images",
                       file=sys.stderr, mininterval=0.5)
        out = {}
        try:
            for split, records in splits.items():
                kept = []
                tasks = (self._task(r) for r in records)
                for record, (_, problems) in zip(records, ordered_map(check, tasks, workers=self._workers,
                                                                      num_tasks=len(records)), strict=True):
                    if bar is not None:
                        bar.update(1)
                    if isinstance(problems, BadInputError):
                        problems = [(problems.file, problems.problem)]
                    for file, problem in problems:
                        self._problems.bad(file, problem, split)
                    if not problems:
                        kept.append(record)
                if records and not kept and self._skip_bad:
                    first = self._problems.skipped[-1] if self._problems.skipped else {"file": "?", "problem": "?"}
                    raise BadInputError(first["file"], f"all {len(records)} example(s) of split {split!r} are bad "
                                                       f"inputs, nothing to write (e.g. {first['problem']})")
                out[split] = kept
        finally:
            if bar is not None:
                bar.close()
        return out

    def _task(self, record: Record) -> Task:
        cfg = self.builder_config
        compute = cfg.superpixels != "none" and self._superpixels == "store"
        return Task(key=record.key, image=record.image, mask=record.mask, attributes=record.attributes,
                    superpixels=record.superpixels if cfg.superpixels == "file_or_slic" and compute else None,
                    extra_images=record.extra_images, max_side=cfg.max_side,
                    slic=cfg.slic if compute else None, slic_fit=tuple(cfg.slic_fit),
                    empty_mask=record.empty_mask)

    def _generate_examples(self, records, split: str):
        by_key = {r.key: r for r in records}
        bar = None
        if self._progress:
            from tqdm import tqdm

            bar = tqdm(total=len(records), desc=f"{self.builder_config.name} {split}", unit=" images",
                       file=sys.stderr, mininterval=0.5)
        tasks = (self._task(r) for r in records)
        written = 0
        try:
            for task, result in ordered_map(prepare, tasks, workers=self._workers, num_tasks=len(records)):
                if bar is not None:
                    bar.update(1)
                if isinstance(result, BadInputError):
                    self._problems.bad(result.file, result.problem, split, defer=False)
                    continue
                written += 1
                yield task.key, self._example(by_key[task.key], result)
            if not written:
                first = self._problems.skipped[-1]
                raise BadInputError(first["file"], f"all {len(records)} example(s) of split {split!r} are bad "
                                                   f"inputs, nothing to write (e.g. {first['problem']})")
        finally:
            if bar is not None:
                bar.close()
            self._store_summary()

    def _example(self, record: Record, prepared) -> dict:
        cfg = self.builder_config
        example = {
            "image": prepared.image,
            "file_name": record.key,
            "original_size": np.asarray(prepared.original_size, np.int32),
            "metadata": {k: record.metadata.get(k, -1.0 if k == "age" else "") for k in METADATA_KEYS},
        }
        if cfg.has_mask:
            example["mask"] = prepared.mask
        if cfg.has_attributes:
            example["attributes"] = dict(zip(ATTRIBUTE_NAMES, prepared.attributes, strict=True))
            example["attribute_present"] = np.asarray(prepared.attribute_present, np.bool_)
        if cfg.superpixels != "none":
            example["superpixels"] = prepared.superpixels if prepared.superpixels is not None else _placeholder()
        if cfg.labels:
            example["label"] = int(record.label)
        if cfg.has_malignant:
            example["malignant"] = bool(record.malignant)
        for name in cfg.extra_images:
            example[name] = prepared.extra_images[name]
        if cfg.criteria:
            example["criteria"] = {name: record.criteria.get(name, "") for name in cfg.criteria}
        return example

    def _store_summary(self):
        self._summary["skipped"] = list(self._problems.skipped)
        self._summary["notes"] = list(self._problems.notes)
        self.info.metadata["tfskin"] = dict(self._summary)

    @property
    def build_summary(self) -> dict:
        """Skipped files, notes and exclusions of the last preparation by this builder object."""
        return dict(self._summary)

    def _download_and_prepare(self, dl_manager, download_config):
        with bounded_shuffle_buffer():
            return super()._download_and_prepare(dl_manager, download_config)


def _placeholder() -> bytes:
    """The superpixel feature of an example whose superpixels are deferred: a 1x1 uint16 PNG (id 0)."""
    global _PLACEHOLDER_SUPERPIXELS
    if _PLACEHOLDER_SUPERPIXELS is None:
        import io

        from PIL import Image

        buffer = io.BytesIO()
        Image.fromarray(np.zeros((1, 1), np.uint16)).save(buffer, format="PNG")
        _PLACEHOLDER_SUPERPIXELS = buffer.getvalue()
    return _PLACEHOLDER_SUPERPIXELS


def match_rows(images: dict, rows: dict, table, problems: Problems, split: str, image_folder: str) -> list:
    """Ids present both as an image and as a table row, in id order.

    ``images``: {id: FileRef}; ``rows``: {id: (line, row)} of ``table``. A row without an image and an image
    without a row are bad inputs (raised, or recorded with --skip-bad).
    """
    for image_id in sorted(set(rows) - set(images)):
        problems.bad(table, f"line {rows[image_id][0]}: {image_id} has no image {image_folder}/{image_id}.* in the "
                            f"manual folder", split)
    for image_id in sorted(set(images) - set(rows)):
        problems.bad(images[image_id], f"{image_id} has no row in {table.name}", split)
    return sorted(set(images) & set(rows))


def rows_by_id(table, rows: list, column: str) -> dict:
    """{id: (line, row)} from ``read_csv`` rows; a repeated id is an error."""
    out = {}
    for line, row in rows:
        image_id = row[column]
        if image_id in out:
            raise BadInputError(table, f"line {line}: {image_id} repeats line {out[image_id][0]}")
        out[image_id] = (line, row)
    return out


def by_stem(found: dict, suffix: str = "") -> dict:
    """{id: FileRef} from ``ManualTree.find`` results, the id being the file stem minus the regex ``suffix``."""
    return {re.sub(f"(?:{suffix})$", "", ref.stem) if suffix else ref.stem: ref for ref in found.values()}
