"""``tfskin data inspect``: counts per split and class, image-size histogram, empty-attribute counts.

Real datasets are read from their prepared TFDS files without decoding images (only labels, original sizes and
attribute flags); phantoms are counted from their label stream, and a sample of them is drawn for the
attribute counts.
"""

from __future__ import annotations

import collections

import numpy as np

from tfskin.classes import ATTRIBUTE_NAMES, CLASS_NAMES

TOP_SIZES = 8


def _size_histogram(counter: collections.Counter) -> dict:
    common = counter.most_common(TOP_SIZES)
    out = {size: count for size, count in common}
    rest = sum(counter.values()) - sum(out.values())
    if rest:
        out["other"] = rest
    return out


def inspect_phantoms(image_size=(64, 64), sample: int = 128, seed: int = 0) -> dict:
    from tfskin.data.phantoms import generate_phantoms, phantom_label_counts
    from tfskin.data.sources import PHANTOM_SPLIT_OFFSETS, PHANTOM_SPLIT_SIZES

    height, width = image_size
    splits = {}
    for split, size in PHANTOM_SPLIT_SIZES.items():
        counts = phantom_label_counts(size, seed, start=PHANTOM_SPLIT_OFFSETS[split])
        splits[split] = {"examples": int(size),
                         "classes": {name: int(c) for name, c in zip(CLASS_NAMES, counts, strict=True)},
                         "sizes": {f"{width}x{height}": int(size)}}
    drawn = generate_phantoms(sample, height, width, seed=seed, start=PHANTOM_SPLIT_OFFSETS["train"])
    present = (drawn["attributes"] >= 128).any(axis=(1, 2))
    splits["train"]["empty_attributes"] = _empty_counts(present)
    splits["train"]["empty_attributes_sample"] = sample
    return {"dataset": "phantoms", "classes": list(CLASS_NAMES), "splits": splits,
            "notes": [f"phantoms are drawn at the requested size; empty-attribute counts from {sample} drawn "
                      f"training examples"], "skipped": []}


def _empty_counts(present: np.ndarray) -> dict:
    out = {name: int((~present[:, k]).sum()) for k, name in enumerate(ATTRIBUTE_NAMES)}
    out["all_five"] = int((~present).all(axis=1).sum())
    return out


def inspect_prepared(name: str) -> dict:
    import tensorflow_datasets as tfds

    from tfskin.data.tfds.common import MissingInputError
    from tfskin.data.tfds.register import data_dir, get_builder

    builder = get_builder(name)
    if not builder.is_prepared():
        raise MissingInputError(f"dataset {name} is not prepared in {data_dir()}; run `tfskin data build {name} "
                                f"--manual-dir DIR`")
    cfg = builder.builder_config
    wanted = {"original_size": True}
    if cfg.labels:
        wanted["label"] = True
    if cfg.has_attributes:
        wanted["attribute_present"] = True
    splits = {}
    for split in builder.info.splits:
        ds = builder.as_dataset(split=split, shuffle_files=False, decoders=tfds.decode.PartialDecoding(wanted))
        classes, sizes, present = collections.Counter(), collections.Counter(), []
        examples = 0
        for ex in tfds.as_numpy(ds):
            examples += 1
            height, width = (int(v) for v in ex["original_size"])
            sizes[f"{width}x{height}"] += 1
            if cfg.labels:
                classes[cfg.labels[int(ex["label"])]] += 1
            if cfg.has_attributes:
                present.append(np.asarray(ex["attribute_present"], bool))
        entry = {"examples": examples, "sizes": _size_histogram(sizes)}
        if cfg.labels:
            entry["classes"] = {label: classes.get(label, 0) for label in cfg.labels}
        if cfg.has_attributes:
            entry["empty_attributes"] = _empty_counts(np.array(present).reshape(-1, len(ATTRIBUTE_NAMES)))
        splits[split] = entry
    summary = (builder.info.metadata or {}).get("tfskin", {})
    return {"dataset": name, "classes": list(cfg.labels), "splits": splits, "data_dir": str(builder.data_dir),
            "notes": summary.get("notes", []), "skipped": summary.get("skipped", []),
            "excluded": summary.get("excluded", []), "duplicates_dropped": summary.get("duplicates_dropped", [])}


def inspect_dataset(name: str, *, image_size=(64, 64), sample: int = 128) -> dict:
    """Statistics of a dataset (phantoms or a prepared real config) as a JSON-friendly dict."""
    if name == "phantoms":
        return inspect_phantoms(image_size, sample)
    return inspect_prepared(name)


def format_inspection(report: dict) -> str:
    """A plain-text rendering of ``inspect_dataset``'s report."""
    lines = [f"dataset {report['dataset']}" + (f" ({report['data_dir']})" if report.get("data_dir") else "")]
    for split, entry in report["splits"].items():
        lines.append(f"  {split}: {entry['examples']} examples")
        if entry.get("classes"):
            lines.append("    classes: " + ", ".join(f"{k} {v}" for k, v in entry["classes"].items()))
        lines.append("    image sizes (WxH): " + ", ".join(f"{k} {v}" for k, v in entry["sizes"].items()))
        if "empty_attributes" in entry:
            sample = f" (of {entry['empty_attributes_sample']} drawn)" if "empty_attributes_sample" in entry else ""
            lines.append(f"    empty attribute masks{sample}: " +
                         ", ".join(f"{k} {v}" for k, v in entry["empty_attributes"].items()))
    for note in report.get("notes", []):
        lines.append(f"  note: {note}")
    if report.get("excluded"):
        lines.append(f"  excluded by list: {len(report['excluded'])}")
    if report.get("duplicates_dropped"):
        dropped = report["duplicates_dropped"]
        lines.append(f"  duplicates dropped at build: {len(dropped)} ({', '.join(dropped[:5])}"
                     f"{' ...' if len(dropped) > 5 else ''})")
    if report.get("skipped"):
        lines.append(f"  skipped at build: {len(report['skipped'])}")
        lines += [f"    {s['file']}: {s['problem']}" for s in report["skipped"][:10]]
    return "\n".join(lines)
