"""Shared pieces of the dataset builders: input errors, the skip-bad report, strict CSV reading, exclusion lists
and deterministic grouped splits. No TensorFlow here (worker processes import this module)."""

from __future__ import annotations

import csv
import hashlib
import io
import math
import re
from typing import Iterable, Optional, Sequence

from tfskin import errors

ISIC_ID = r"ISIC_\d{7}"
UNKNOWN_VALUES = frozenset({"", "unknown", "nan", "na", "n/a", "none"})
STANDARD_SPLITS = ("train", "validation", "test")


class BadInputError(errors.BadInputError):
    """A release file is missing, unreadable or not what the release contains; names the file and what was
    expected."""

    def __init__(self, file, problem: str):
        super().__init__(f"{file}: {problem}")
        self.file = str(file)
        self.problem = problem

    def __reduce__(self):  # picklable across worker processes
        return type(self), (self.file, self.problem)


class MissingInputError(errors.UserError, FileNotFoundError):
    """A folder or file the command needs is absent (a manual folder, a release file, a prepared dataset)."""


class BuildStateError(errors.UserError, RuntimeError):
    """The prepared-data folder is in a state that stops a build (another build of it is running, ...)."""


class BadInputsError(BadInputError):
    """Several bad inputs, all reported at once: ``problems`` is [(file, problem)]."""

    LIMIT = 50

    def __init__(self, problems):
        problems = [(str(f), p) for f, p in problems]
        lines = [f"  {f}: {p}" for f, p in problems[:self.LIMIT]]
        if len(problems) > self.LIMIT:
            lines.append(f"  ... and {len(problems) - self.LIMIT} more")
        summary = (f"{len(problems)} bad inputs, nothing was written (fix them, or pass --skip-bad to leave them out "
                   f"and list them in the build report):")
        errors.BadInputError.__init__(self, "\n".join([summary] + lines))
        self.file, self.problem = problems[0]
        self.problems = problems

    def __reduce__(self):
        return type(self), (self.problems,)


class Problems:
    """Bad inputs of one build: raised at once, or with ``skip_bad`` recorded (never dropped silently)."""

    def __init__(self, skip_bad: bool = False):
        self.skip_bad = skip_bad
        self.skipped: list = []
        self.notes: list = []
        self.errors: list = []  # without skip_bad: collected, then raised together by raise_errors()

    def bad(self, file, problem: str, split: Optional[str] = None, *, defer: bool = True):
        """A bad input: recorded as skipped (``skip_bad``), else collected (``defer``) or raised at once."""
        if not self.skip_bad:
            entry = (str(file), problem)
            if entry not in self.errors:
                self.errors.append(entry)
            if not defer:
                self.raise_errors()
            return
        entry = {"file": str(file), "problem": problem}
        if split:
            entry["split"] = split
        if entry not in self.skipped:
            self.skipped.append(entry)

    def raise_errors(self):
        """Raise every collected bad input at once (one BadInputError, or BadInputsError listing them all)."""
        if not self.errors:
            return
        if len(self.errors) == 1:
            raise BadInputError(*self.errors[0])
        raise BadInputsError(self.errors)

    def note(self, text: str):
        """Something the user should know that is not an error (an optional file is absent, ...)."""
        if text not in self.notes:
            self.notes.append(text)


def _decode_text(ref) -> str:
    data = ref.read_bytes()
    for encoding in ("utf-8-sig", "latin-1"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise BadInputError(ref, "not a text file")


def read_csv(ref, required: Sequence[str], optional: Iterable[str] = (), *, delimiter: str = ",") -> list:
    """Rows of a CSV with a header as [(line number, {column: stripped value})].

    The header must hold every ``required`` column, and no column outside ``required`` + ``optional`` (in any
    order); otherwise a BadInputError names the file, the expected and the found columns.
    """
    rows = [(i + 1, row) for i, row in enumerate(csv.reader(io.StringIO(_decode_text(ref)), delimiter=delimiter))
            if any(cell.strip() for cell in row)]
    optional = tuple(optional)
    expected = ",".join(required) + (f" (optional: {','.join(optional)})" if optional else "")
    if not rows:
        raise BadInputError(ref, f"empty file; expected a header {expected}")
    header = [cell.strip() for cell in rows[0][1]]
    missing = [c for c in required if c not in header]
    unknown = [c for c in header if c not in required and c not in optional]
    if missing or unknown or len(set(header)) != len(header):
        raise BadInputError(ref, f"unexpected CSV header {','.join(header)!r}; the release uses {expected}")
    out = []
    for line, row in rows[1:]:
        if len(row) != len(header):
            raise BadInputError(ref, f"line {line}: {len(row)} fields, the header has {len(header)}")
        out.append((line, {k: v.strip() for k, v in zip(header, row, strict=True)}))
    return out


def read_headerless_csv(ref, columns: int, first_cell: str) -> list:
    """Rows of a header-less CSV as [(line number, [values])]; the first row must already be data (its first cell
    fully matching ``first_cell``), so a CSV with an added header row is refused."""
    rows = [(i + 1, [c.strip() for c in row])
            for i, row in enumerate(csv.reader(io.StringIO(_decode_text(ref)))) if any(c.strip() for c in row)]
    if not rows:
        raise BadInputError(ref, "empty file")
    line, first = rows[0]
    if not re.fullmatch(first_cell, first[0]):
        raise BadInputError(ref, f"the release file has no header row and starts with an image id; found "
                                 f"{','.join(first)!r} on line {line}")
    for line, row in rows:
        if len(row) != columns:
            raise BadInputError(ref, f"line {line}: {len(row)} fields, expected {columns}")
    return rows


def parse_float(text: str) -> Optional[float]:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def one_hot_index(row: dict, names: Sequence[str]) -> Optional[int]:
    """Index of the single 1 among ``row[name]`` ("1.0"/"1"), all others 0; None if the row is not one-hot."""
    values = [parse_float(row[n]) for n in names]
    if any(v not in (0.0, 1.0) for v in values) or sum(values) != 1.0:
        return None
    return values.index(1.0)


def age(text: str) -> float:
    """Age in years, -1.0 when unknown."""
    value = parse_float(text) if text.strip().lower() not in UNKNOWN_VALUES else None
    return -1.0 if value is None or value < 0 else value


def text(value) -> str:
    """Metadata text, '' when unknown."""
    value = "" if value is None else str(value).strip()
    return "" if value.lower() in UNKNOWN_VALUES else value


METADATA_KEYS = ("age", "sex", "site", "lesion_id", "patient_id", "diagnosis", "diagnosis_confirm_type")


def metadata(**values) -> dict:
    """The metadata dict every builder stores: age (float, -1 unknown) and texts ('' unknown)."""
    unknown = set(values) - set(METADATA_KEYS)
    if unknown:
        raise KeyError(f"unknown metadata keys {sorted(unknown)}")  # a bug in a builder, not a user error
    out = {k: text(values.get(k)) for k in METADATA_KEYS if k != "age"}
    out["age"] = age(str(values.get("age", "")))
    return out


def read_exclusions(path) -> set:
    """Image ids listed in a text file (one per line; '#' starts a comment; extensions are ignored)."""
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError as err:
        raise MissingInputError(f"exclusion list {path}: {err.strerror}") from None
    ids = set()
    for line in lines:
        entry = line.split("#", 1)[0].strip()
        if entry:
            ids.add(re.sub(r"\.(jpe?g|png|bmp|tiff?)$", "", entry, flags=re.IGNORECASE))
    return ids


def excluded(image_id: str, exclusions: set) -> Optional[str]:
    """The exclusion-list entry matching ``image_id`` (also without ISIC 2019's ``_downsampled``), or None."""
    for candidate in (image_id, image_id.replace("_downsampled", "")):
        if candidate in exclusions:
            return candidate
    return None


def _unit_hash(seed: int, key: str) -> float:
    digest = hashlib.sha256(f"{seed}/{key}".encode()).hexdigest()
    return int(digest[:15], 16) / float(16 ** 15)


def grouped_splits(ids: Sequence[str], group_keys: Sequence[Iterable[str]], fractions: Sequence[tuple],
                   seed: int = 0) -> list:
    """Split name per record, keeping every record that shares a group key (lesion id, patient id, duplicate pair,
    ...) in one split.

    Records are joined into groups through any shared non-empty key; each group is placed by a seeded hash of
    its smallest key (its image id when it has none), so the assignment does not depend on file order and
    groups do not move when another image is excluded. ``fractions`` is ((split name, fraction), ...).
    """
    parent = list(range(len(ids)))

    def root(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_with_key: dict = {}
    for i, keys in enumerate(group_keys):
        for key in keys:
            if not key:
                continue
            j = first_with_key.setdefault(key, i)
            a, b = root(i), root(j)
            if a != b:
                parent[max(a, b)] = min(a, b)
    smallest: dict = {}  # per group: its smallest group key, else its smallest image id
    for i, (image_id, keys) in enumerate(zip(ids, group_keys, strict=True)):
        r = root(i)
        for key in [(0, k) for k in keys if k] or [(1, f"id:{image_id}")]:
            if r not in smallest or key < smallest[r]:
                smallest[r] = key
    total = sum(f for _, f in fractions)
    out = []
    for i in range(len(ids)):
        u = _unit_hash(seed, smallest[root(i)][1]) * total
        acc = 0.0
        for name, fraction in fractions:
            acc += fraction
            if u < acc:
                out.append(name)
                break
        else:
            out.append(fractions[-1][0])
    return out
