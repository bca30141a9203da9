"""Provenance a reader can check, and the invariants of a replicate, checked in code.

For every replicate ``reproduce.json`` gets ``{"index", "real_train_ids", "gans": {NAME: {"seed",
"train_ids"}}, "arms": {ARM: {"real_ids", "synthetic_from", "n_synthetic"}}, "test_ids": {"in_distribution",
"out_of_distribution"}}`` and ``"values": {SPLIT: {ARM: [one per replicate]}}``. Ids are strings: the file stem
for real data, ``<index>@<seed>`` for phantoms (a phantom is a pure function of its generator seed and index).

The ids are not copied from the plan: a GAN's come from the data section of the config it was trained with,
an arm's from the real pool positions its runs recorded, so a GAN trained on an image outside S_g, or an arm
whose real images differ from S_g, raises ``ProvenanceError``.
"""

import json
import math
from pathlib import Path

import numpy as np

from tfskin.reproduce.papers import is_phantoms


class ProvenanceError(RuntimeError):
    """A replicate broke an invariant of the design (its GANs or arms saw other real images than S_g)."""


def phantom_id(index: int, seed: int) -> str:
    return f"{int(index)}@{int(seed)}"


def example_ids(name: str, split: str, seed: int, num_examples=None, classes=None) -> list:
    """The ids of the examples ``load_examples(name, split, seed=seed, num_examples=...)`` yields."""
    if is_phantoms(name):
        from tfskin.data.sources import PHANTOM_SPLIT_OFFSETS, PHANTOM_SPLIT_SIZES, split_dataset_name

        n = PHANTOM_SPLIT_SIZES[split] if num_examples is None else int(num_examples)
        indices = PHANTOM_SPLIT_OFFSETS[split] + np.arange(n)
        if classes:
            from tfskin.classes import class_index
            from tfskin.data.phantoms import phantom_labels

            prior = split_dataset_name(name)[1].get("class_prior")
            labels = phantom_labels(n, seed, int(PHANTOM_SPLIT_OFFSETS[split]), prior)
            indices = indices[np.isin(labels, [class_index(c) for c in classes])]
        return [phantom_id(i, seed) for i in indices]
    from tfskin.evaluation.real_data import load_arrays

    arrays = load_arrays(name, split, (32, 32), num_examples=num_examples, seed=seed,
                         features=("file_name", "label"), classes=classes)
    return [Path(f.decode() if isinstance(f, bytes) else str(f)).stem for f in arrays["file_name"]]


def gan_train_ids(run_dir) -> dict:
    """The seed and training-example ids of a GAN run, read from the config it was trained with."""
    from tfskin.runs import read_run_config

    config = read_run_config(run_dir)
    d = config.data
    return {"seed": int(config.train.seed),
            "train_ids": example_ids(d.name, d.split, d.seed, d.num_examples, d.classes)}


def protocol_ids(cfg, repeat: int) -> dict:
    """Pool, test and OOD ids of a repeat's replicate, from the protocol's own data block."""
    from tfskin.evaluation.protocol import data_of

    data = {"train_split": "train", "test_split": "test", "seed": 0, **data_of(cfg, repeat)}
    out = {"pool": example_ids(data["name"], data["train_split"], data["seed"], data.get("train_pool")),
           "test": example_ids(data["name"], data["test_split"], data["seed"], data.get("test_size"))}
    ood = data.get("ood_test")
    if ood:
        out["ood"] = example_ids(ood.get("name", data["name"]), ood.get("split", "test"),
                                 ood.get("seed", data["seed"]), ood.get("size"))
    return out


def _require(ok: bool, message: str):
    if not ok:
        raise ProvenanceError(message)


def check_gan(name: str, gan: dict, s_ids: list, where: str):
    """A GAN of replicate ``where`` trained on S_g only (every image of S_g, none outside)."""
    outside = sorted(set(gan["train_ids"]) - set(s_ids))
    _require(not outside, f"{where}: GAN {name} trained on {len(outside)} image(s) outside the replicate's real "
                          f"training set, e.g. {outside[:3]}")
    _require(set(gan["train_ids"]) == set(s_ids), f"{where}: GAN {name} trained on {len(set(gan['train_ids']))} "
                                                  f"of the replicate's {len(set(s_ids))} real images")


def replicate_record(cfg, results: list, g: int, gans: dict, arms_synthetic: dict, maps: dict = None,
                     subsets: dict = None) -> dict:
    """The provenance entry of replicate ``g``, checked: ``gans`` {NAME: run_dir}; ``arms_synthetic``
    {ARM: [GAN names its synthetic images come from]}; ``maps`` {GAN: ids of the label maps it synthesized
    from}; ``subsets`` {GAN: ids} for GANs trained on a stated part of S_g (the subset-size arms)."""
    from tfskin.evaluation.protocol import replicate_of

    repeats = [r for r in range(int(cfg["repeats"])) if replicate_of(cfg, r) == g]
    ids = protocol_ids(cfg, repeats[0])
    s_ids = ids["pool"]
    where = f"replicate {g}"
    _require(len(set(s_ids)) == len(s_ids), f"{where}: repeated ids in the real training set")
    gan_entries = {}
    for name, run_dir in gans.items():
        entry = gan_train_ids(run_dir)
        wanted = (subsets or {}).get(name, s_ids)
        _require(set(wanted) <= set(s_ids), f"{where}: the subset GAN {name} is not inside S_g")
        check_gan(name, entry, wanted, where)
        gan_entries[name] = entry
    for name, map_ids in (maps or {}).items():
        outside = sorted(set(map_ids) - set(s_ids))
        _require(not outside, f"{where}: {name} synthesized from {len(outside)} label map(s) outside S_g")
    test_overlap = set(ids["test"]) & set(s_ids) | set(ids.get("ood", [])) & set(s_ids)
    _require(not test_overlap, f"{where}: {len(test_overlap)} test image(s) are also training images")
    shared = set(ids["test"]) & set(ids.get("ood", []))
    _require(not shared, f"{where}: the shifted-domain test set re-renders {len(shared)} in-distribution lesions")
    arms = {}
    for cond in cfg["conditions"]:
        name = cond["name"]
        runs = [r for r in results if r.get("condition") == name and r.get("repeat") in repeats]
        real_ids = None
        for run in runs:
            if "real_pool_indices" not in run:
                continue
            ids_run = sorted(s_ids[i] for i in run["real_pool_indices"])
            expected = _expected_real(cfg, cond, s_ids)
            _require(ids_run == expected, f"{where}: arm {name!r} (repeat {run['repeat']}) trained on "
                                          f"{len(ids_run)} real images, not the replicate's {len(expected)}")
            real_ids = ids_run
        n_syn = [_n_synthetic(cfg, run) for run in runs]
        arms[name] = {"real_ids": real_ids if real_ids is not None else _expected_real(cfg, cond, s_ids),
                      "synthetic_from": list(arms_synthetic.get(name, [])),
                      "n_synthetic": int(np.mean(n_syn)) if n_syn else None}
    return {"index": g, "real_train_ids": list(s_ids), "gans": gan_entries, "arms": arms,
            "test_ids": {"in_distribution": ids["test"], "out_of_distribution": ids.get("ood", [])}}


def _n_synthetic(cfg, run) -> int:
    """Synthetic images a run trained on: its training set's (classifier) or its GAN batches' (segmenter)."""
    if "train_composition" in run:
        return sum(v for k, v in run["train_composition"].items() if k != "real")
    return int((run.get("steps") or {}).get("synthetic", 0)) * int(cfg.get("segmenter", {}).get("batch_size", 0))


def _expected_real(cfg, cond, s_ids) -> list:
    """The real ids an arm must train on: all of S_g, a stated first part of it (subset-size arms), or none."""
    if not cond.get("real", True):
        return []
    size = cond.get("train_size")
    return sorted(s_ids[:size] if size else s_ids)


def values_per_replicate(cfg, results: list, metric: str, splits) -> dict:
    """{SPLIT: {ARM: [one value per replicate]}}: the mean of the replicate's finished repeats (None if none)."""
    from tfskin.evaluation.protocol import replicate_of

    g_count = len(cfg.get("replicates") or [None])
    names = [c["name"] for c in cfg["conditions"]] + sorted({r["condition"] for r in results
                                                            if r["condition"].startswith("ensemble(")})
    out = {}
    for split in splits:
        out[split] = {}
        for name in names:
            per = [[] for _ in range(g_count)]
            for r in results:
                value = (r.get(split) or {}).get(metric) if r.get("condition") == name else None
                if isinstance(value, (int, float)) and math.isfinite(value):
                    per[replicate_of(cfg, r["repeat"])].append(float(value))
            out[split][name] = [float(np.mean(v)) if v else None for v in per]
    return out


def add_to_summary(exp, extra: dict) -> dict:
    """Add ``extra`` to the experiment's ``reproduce.json`` (written by the report) and return it whole."""
    from tfskin.evaluation.jsonio import write_json
    from tfskin.reproduce.report import SUMMARY_FILE

    path = Path(exp.out) / SUMMARY_FILE
    payload = {**json.loads(path.read_text()), **extra}
    write_json(path, payload)
    return payload


def record_experiment(cfg, protocol_dir, gans: dict, arms_synthetic: dict, metric: str, maps: dict = None,
                      subsets: dict = None) -> dict:
    """``replicates`` (checked, see ``replicate_record``) and per-replicate ``values`` of a finished protocol;
    ``gans`` / ``maps`` / ``subsets`` are keyed by replicate index. ``cfg`` is read back from the protocol's own
    ``protocol.json`` (what ran, defaults filled in) when the folder has one."""
    from tfskin.evaluation.results import collect_results

    saved = Path(protocol_dir) / "protocol.json"
    if saved.is_file():
        cfg = json.loads(saved.read_text())
    results = collect_results(protocol_dir)
    splits = ["test"] + (["ood"] if cfg["data"].get("ood_test") else [])
    count = len(cfg.get("replicates") or [None])
    replicates = [replicate_record(cfg, results, g, gans[g], arms_synthetic, (maps or {}).get(g),
                                   (subsets or {}).get(g)) for g in range(count)]
    return {"replicates": replicates, "values": values_per_replicate(cfg, results, metric, splits),
            "baseline": cfg.get("baseline"), "design": cfg.get("design")}
