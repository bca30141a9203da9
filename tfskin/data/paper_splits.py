"""Papers' own re-splits of a prepared split: seeded, stratified by diagnosis, with the paper's exact sizes.

Fossen-Romsaas et al. 2020 split ISIC 2019's 25,331 training images at random into 20,264 / 2,533 / 2,534
images (train / validation / test), class by class (their Table 1). ``fossen2020_train``,
``fossen2020_validation`` and ``fossen2020_test`` name those parts of ``isic2019``'s ``train`` split wherever a
split is read (``load_examples("isic2019", "fossen2020_train[0:400]", ...)`` reads a block of one). On a smaller
training split (a subset, the test fixtures) the sizes shrink in proportion. The partition is a pure function of
the labels in stored order and the seed, so every process and every rerun reads the same parts.
"""

import dataclasses
import re

import numpy as np

from tfskin.errors import ConfigError


@dataclasses.dataclass(frozen=True)
class PaperSplit:
    """A seeded stratified partition of ``source`` (a split of one of ``datasets``) into named ``parts``."""

    source: str
    parts: tuple  # ((name, size on the full release), ...)
    seed: int
    datasets: tuple
    citation: str
    class_table: tuple = ()  # ((class name, (count per part)), ...): the paper's own table, used when it fits


PAPER_SPLITS = {
    "fossen2020": PaperSplit(source="train", parts=(("train", 20264), ("validation", 2533), ("test", 2534)),
                             seed=2020, datasets=("isic2019",),
                             citation="Fossen-Romsaas et al. 2020, Table 1 (ISIC 2019 training images)",
                             class_table=(("NV", (10300, 1287, 1288)), ("MEL", (3618, 452, 452)),
                                          ("BCC", (2658, 332, 333)), ("BKL", (2099, 262, 263)),
                                          ("AK", (694, 87, 86)), ("SCC", (502, 63, 63)), ("VASC", (202, 26, 25)),
                                          ("DF", (191, 24, 24)))),
}
_NAME = re.compile(r"^(?P<paper>[a-z0-9]+)_(?P<part>[a-z]+)(\[(?P<start>\d*):(?P<stop>\d*)\])?$")


def proportional_sizes(total: int, weights) -> np.ndarray:
    """``total`` split in proportion to ``weights`` (largest remainder; sums to ``total`` exactly)."""
    weights = np.asarray(weights, dtype=np.float64)
    exact = total * weights / weights.sum()
    sizes = np.floor(exact).astype(np.int64)
    order = np.argsort(-(exact - sizes), kind="stable")
    sizes[order[: total - sizes.sum()]] += 1
    return sizes


def stratified_partition(labels, sizes, seed: int, table: dict = None) -> list:
    """Positions of ``labels`` partitioned into ``len(sizes)`` parts: part i holds exactly ``sizes[i]`` positions
    (``sum(sizes)`` must equal ``len(labels)``) and every class is split as nearly in proportion as whole
    counts allow (or by ``table`` {label: counts per part} when given). Each part's positions are sorted;
    which positions of a class go where is drawn with ``seed``."""
    labels = np.asarray(labels)
    sizes = np.asarray(sizes, dtype=np.int64)
    if sizes.sum() != len(labels):
        raise ValueError(f"part sizes sum to {sizes.sum()}, not the {len(labels)} labels")
    classes, counts = np.unique(labels, return_counts=True)
    if table is not None:
        return _draw(labels, classes, np.array([table[c] for c in classes], dtype=np.int64), seed)
    exact = np.outer(counts, sizes) / max(len(labels), 1)  # (class, part) ideal counts
    table = np.floor(exact).astype(np.int64)
    row_need, col_need = counts - table.sum(1), sizes - table.sum(0)
    # Controlled rounding: hand out the remaining units by largest remainder, then wherever both still need one.
    for flat in np.argsort(-(exact - table), axis=None, kind="stable"):
        c, p = np.unravel_index(flat, table.shape)
        if row_need[c] > 0 and col_need[p] > 0:
            table[c, p] += 1
            row_need[c] -= 1
            col_need[p] -= 1
    while row_need.sum():
        c, p = int(np.flatnonzero(row_need)[0]), int(np.flatnonzero(col_need)[0])
        table[c, p] += 1
        row_need[c] -= 1
        col_need[p] -= 1
    return _draw(labels, classes, table, seed)


def _draw(labels, classes, table, seed: int) -> list:
    """Positions per part: class c's positions, shuffled with ``seed``, cut into ``table[c]`` counts."""
    rng = np.random.default_rng(seed)
    parts = [[] for _ in range(table.shape[1])]
    for c, cls in enumerate(classes):
        positions = rng.permutation(np.flatnonzero(labels == cls))
        bounds = np.concatenate([[0], np.cumsum(table[c])])
        for p in range(table.shape[1]):
            parts[p].append(positions[bounds[p]:bounds[p + 1]])
    return [np.sort(np.concatenate(p)).astype(np.int64) for p in parts]


def paper_partition(paper: str, labels, class_names=()) -> dict:
    """{part name: sorted positions} of ``paper``'s split over a source split with these labels (indices into
    ``class_names``, in stored order). On the full release (every class count equal to the paper's table) the
    paper's per-class counts are used; otherwise the sizes are the paper's when the source has the paper's size
    and proportional when it is smaller, and each class is split in proportion."""
    spec = PAPER_SPLITS[paper]
    names = [name for name, _ in spec.parts]
    full = [size for _, size in spec.parts]
    sizes = full if sum(full) == len(labels) else proportional_sizes(len(labels), full)
    table = _paper_table(spec, np.asarray(labels), class_names)
    return dict(zip(names, stratified_partition(labels, sizes, spec.seed, table), strict=True))


def _paper_table(spec: PaperSplit, labels, class_names):
    """{label: counts per part} from the paper's table when the labels' class counts are exactly the paper's."""
    if not spec.class_table or not class_names:
        return None
    wanted = {class_names.index(name): counts for name, counts in spec.class_table if name in class_names}
    present, counts = np.unique(labels, return_counts=True)
    have = dict(zip(present.tolist(), counts.tolist(), strict=True))
    if len(wanted) != len(spec.class_table) or have != {c: sum(v) for c, v in wanted.items()}:
        return None
    return wanted


def parse_paper_split(dataset: str, split: str):
    """(paper, part, slice) when ``split`` names a paper's part (``fossen2020_test``, ``fossen2020_train[0:400]``),
    else None. Raises ConfigError for a paper split of another dataset or an unknown part."""
    match = _NAME.match(str(split))
    if not match or match["paper"] not in PAPER_SPLITS:
        return None
    spec = PAPER_SPLITS[match["paper"]]
    base = dataset.partition(":")[0]
    if base not in spec.datasets:
        raise ConfigError(f"split {split!r} is {spec.citation}: it splits {', '.join(spec.datasets)}, not {base}")
    parts = [name for name, _ in spec.parts]
    if match["part"] not in parts:
        raise ConfigError(f"split {split!r}: {match['paper']} has parts {', '.join(parts)}")
    start = int(match["start"]) if match["start"] else None
    stop = int(match["stop"]) if match["stop"] else None
    return match["paper"], match["part"], slice(start, stop)


def paper_split_name(paper: str, part: str) -> str:
    return f"{paper}_{part}"
