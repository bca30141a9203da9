"""The segmentation protocol: "did the synthetic first phase help the segmenter, and how sure are we?"

The lesion-segmentation counterpart of :mod:`tfskin.evaluation.protocol` (Pollastri et al. 2020): a YAML file
names the real image+mask data, the segmenter (a CDNN variant of Pollastri et al.'s Table 1 or U-Net), the
synthetic image+mask sources and the conditions (real-only, synthetic-then-real, synthetic-only, smaller real
subsets), each trained R times. Repeat r of every condition uses the same real training subset (nested across
training sizes: a smaller subset lies inside a bigger one) and the same segmenter seed, so conditions are paired
and compared with a paired t-test and a Wilcoxon signed-rank test against a reference condition. Optional
ensembles average the probabilities of several conditions' repeat-r models and apply Pollastri et al.'s dual
threshold (0.8, then 0.4); they are computed from each run's saved test probabilities, without retraining.

Runs are independent, executed sequentially or in spawned processes; a run whose ``result.json`` exists is
skipped (resume) and a failing run leaves ``error.txt`` while the others continue. Outputs:
``OUT/runs/<condition>/rep<r>/{result.json, probs_test.npy[, probs_ood.npy]}`` and the ensembles'
``OUT/runs/ensemble(A+B)/rep<r>/result.json``.

Config keys (see ``configs/segmentation_phantoms_cpu.yaml``)::

    name, seed (0), repeats (10), workers (1), metric (jaccard | thresholded_jaccard | dice),
    reference (a condition name; default the first), output (default output folder, for the CLI),
    engine (reuse | single, as in the classifier protocol)
    data: {name, image_size [H, W] (divisible by 16), train_split, train_pool, train_size, test_split,
           test_size, ood_test: {name, split, size, seed} (optional), seed}
    segmenter: SegmenterConfig fields (arch, channels, loss, width, learning_rate, batch_size, augment) and
               optionally variant: cdnn0..cdnn6 (its channels and loss; image_size always comes from data)
    sources: {NAME: "run:DIR" | "savedmodel:DIR" | "png:DIR" | {type, path}}    (image+mask generators)
    conditions:
      - name: two-step
        real: true              # train on the real subset (default true); needs real_steps
        real_steps: 400         # batches of real pairs
        synthetic: NAME         # a source for the first phase (default none); needs synthetic_steps
        synthetic_steps: 400    # batches drawn fresh from the source before the real phase
        train_size: 100         # optional: this condition's real subset size (overrides data.train_size)
    ensemble: [A, B]  or  [[A, B], [A, B, C]]   (optional; reported as rows "ensemble(A+B)")
    replicates, baseline, design  (optional; as in the classifier protocol: repeat r uses replicate r % G's
                                   data and sources)
"""

import hashlib
import json
import os
import sys
import time
import traceback
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import numpy as np

from tfskin.errors import ConfigError
from tfskin.evaluation.engine import DEFAULT_ENGINE, check_engine, release_process_pool
from tfskin.evaluation.jsonio import write_json
from tfskin.evaluation.protocol import (
    ERROR_FILE,
    REPLICATE_KEYS,
    _check_keys,
    _require,
    _run_safely,
    _seed_for,
    _worker_init,
    check_replicates,
    data_of,
    engine_pool,
    read_config,
    replicate_fields,
    replicate_of,
    source_spec,
)
from tfskin.evaluation.results import RESULT_FILE, run_dir_of
from tfskin.evaluation.seg_report import SCORES, ensemble_name, eval_splits, write_seg_report
from tfskin.machine import usable_cores

RESULT_SCORES = (*SCORES, "share_below_0.6", "share_below_0.7", "num_images")
PROBS_FILE = "probs_{split}.npy"
SOURCE_SCHEMES = ("run", "savedmodel", "png", "serving")
# Changing these does not invalidate finished runs: more repeats or workers extend a protocol, ensembles are
# computed afresh from the runs' saved probabilities, and the design only describes the protocol.
FREE_ON_RESUME = ("workers", "repeats", "output", "ensemble", "design", "engine")

TOP_KEYS = {"name", "seed", "repeats", "workers", "metric", "reference", "output", "data", "segmenter", "sources",
            "conditions", "ensemble", "engine", *REPLICATE_KEYS}
DATA_KEYS = {"name", "image_size", "train_split", "train_pool", "train_size", "test_split", "test_size",
             "ood_test", "seed"}
OOD_KEYS = {"name", "split", "size", "seed"}
CONDITION_KEYS = {"name", "real", "synthetic", "synthetic_steps", "real_steps", "train_size"}


# --- configuration -----------------------------------------------------------------------------------------

def _count(value, where, minimum=0, allow_none=False):
    """An integer >= ``minimum`` (None passes when allowed), or a ConfigError naming ``where``."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or int(value) != value or value < minimum:
        raise ConfigError(f"{where} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _image_size(value) -> list:
    size = [value, value] if isinstance(value, int) else list(value or [])
    if len(size) != 2:
        raise ConfigError(f"data.image_size must be [height, width], got {value!r}")
    return [_count(v, "data.image_size", minimum=16) for v in size]


def _check_data(data) -> dict:
    _check_keys(data, DATA_KEYS, "data")
    data.setdefault("name", "phantoms")
    data["image_size"] = _image_size(data.get("image_size", [64, 64]))
    data.setdefault("train_split", "train")
    data.setdefault("test_split", "test")
    data.setdefault("seed", 0)
    for key in ("train_pool", "train_size", "test_size"):
        data[key] = _count(data.get(key), f"data.{key}", minimum=1, allow_none=True)
    if data.get("ood_test"):
        ood = data["ood_test"]
        if not isinstance(ood, dict):
            raise ConfigError("data.ood_test must be a mapping {name, split, size, seed}")
        _check_keys(ood, OOD_KEYS, "data.ood_test")
        ood.setdefault("name", data["name"])
        ood.setdefault("split", "test")
        ood.setdefault("seed", data["seed"])
        ood["size"] = _count(ood.get("size"), "data.ood_test.size", minimum=1, allow_none=True)
    else:
        data["ood_test"] = None
    return data


def _check_segmenter(values, image_size) -> dict:
    """Resolve the segmenter settings (optionally from a CDNN variant) and validate them."""
    import dataclasses

    from tfskin.evaluation.segmenter import SegmenterConfig

    if not isinstance(values, dict):
        raise ConfigError(f"segmenter must be a mapping of SegmenterConfig fields, got {values!r}")
    fields = {f.name for f in dataclasses.fields(SegmenterConfig)}
    _check_keys(values, (fields - {"seed"}) | {"variant"}, "segmenter")
    if values.get("image_size") is not None and list(values["image_size"]) != list(image_size):
        raise ConfigError(f"segmenter.image_size {values['image_size']} differs from data.image_size {image_size}: "
                          f"leave it out (the segmenter works at the data's size)")
    settings = {k: v for k, v in values.items() if k != "variant"}
    settings["image_size"] = tuple(image_size)
    variant = values.get("variant")
    if variant:
        if settings.pop("arch", "cdnn") != "cdnn":
            raise ConfigError(f"segmenter.variant {variant!r} is a CDNN variant: leave out segmenter.arch or set "
                              f"it to cdnn")
        config = SegmenterConfig.variant(str(variant), **settings)
    else:
        config = SegmenterConfig.from_dict(settings)
    resolved = config.to_dict()
    resolved.pop("seed")  # set per repeat from the protocol seed
    resolved["image_size"] = list(resolved["image_size"])
    return {"variant": variant, **resolved}


def _check_sources(sources) -> dict:
    if not isinstance(sources, dict):
        raise ConfigError("sources must be a mapping {NAME: SCHEME:PATH}")
    for name, spec in sources.items():
        if isinstance(spec, dict):
            if "type" not in spec or "path" not in spec:
                raise ConfigError(f"sources.{name}: a mapping source needs 'type' and 'path'")
        elif not (isinstance(spec, str) and spec.partition(":")[0] in SOURCE_SCHEMES and ":" in spec):
            raise ConfigError(f"sources.{name}: {spec!r} is not SCHEME:PATH with a scheme of "
                              f"{', '.join(SOURCE_SCHEMES)}")
    return sources


def _check_condition(cond, where, sources) -> dict:
    if not isinstance(cond, dict):
        raise ConfigError(f"{where} must be a mapping with a 'name'")
    _check_keys(cond, CONDITION_KEYS, where)
    name = _require(cond, "name", where)
    if not isinstance(name, str) or not name or "/" in name or name.startswith("ensemble("):
        raise ConfigError(f"{where}.name: {name!r} must be a non-empty string without '/' (and not ensemble(...))")
    cond.setdefault("real", True)
    if not isinstance(cond["real"], bool):
        raise ConfigError(f"{where}.real must be true or false, got {cond['real']!r}")
    cond.setdefault("synthetic", None)
    if cond["synthetic"] is not None and cond["synthetic"] not in sources:
        raise ConfigError(f"{where}.synthetic: unknown source {cond['synthetic']!r}; defined: "
                          f"{', '.join(sources) or 'none'}")
    for key, used in (("real_steps", cond["real"]), ("synthetic_steps", cond["synthetic"] is not None)):
        if used:
            cond[key] = _count(_require(cond, key, where), f"{where}.{key}", minimum=1)
        elif cond.get(key):
            what = "real: false" if key == "real_steps" else "no synthetic source"
            raise ConfigError(f"{where}.{key}: {cond[key]} steps but the condition has {what}")
        else:
            cond[key] = 0
    cond["train_size"] = _count(cond.get("train_size"), f"{where}.train_size", minimum=1, allow_none=True)
    if cond["train_size"] and not cond["real"]:
        raise ConfigError(f"{where}.train_size: the condition trains on no real data (real: false)")
    if not cond["real"] and cond["synthetic"] is None:
        raise ConfigError(f"{where}: condition {name!r} trains on nothing (real: false and no synthetic source)")
    return cond


def _check_conditions(conditions, sources) -> list:
    if not isinstance(conditions, list) or not conditions:
        raise ConfigError("conditions: give a non-empty list of conditions")
    checked = [_check_condition(c, f"conditions[{i}]", sources) for i, c in enumerate(conditions)]
    names = [c["name"] for c in checked]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConfigError(f"conditions: names must be unique; repeated: {', '.join(duplicates)}")
    return checked


def _check_ensembles(value, names) -> list:
    """None, [A, B] or [[A, B], ...] -> a list of member lists."""
    if not value:
        return []
    if not isinstance(value, list):
        raise ConfigError("ensemble must be a list of condition names, or a list of such lists")
    groups = [value] if all(isinstance(v, str) for v in value) else value
    for i, members in enumerate(groups):
        where = f"ensemble[{i}]" if groups is value else "ensemble"
        if not isinstance(members, list) or len(members) < 2 or len(set(members)) != len(members):
            raise ConfigError(f"{where}: give at least two different condition names, got {members!r}")
        unknown = [m for m in members if m not in names]
        if unknown:
            raise ConfigError(f"{where}: unknown condition(s) {', '.join(map(repr, unknown))}; conditions: "
                              f"{', '.join(names)}")
    return [list(g) for g in groups]


def load_seg_protocol(path_or_dict) -> dict:
    """Read and validate a segmentation protocol config (YAML path or dict); returns it with defaults filled in
    (plain JSON types). A ConfigError names the bad key."""
    cfg = read_config(path_or_dict, "segmentation protocol")
    _check_keys(cfg, TOP_KEYS, "protocol")
    cfg.setdefault("name", "segmentation")
    cfg.setdefault("seed", 0)
    cfg["repeats"] = _count(cfg.get("repeats", 10), "repeats", minimum=1)
    cfg["workers"] = _count(cfg.get("workers", 1), "workers", minimum=1)
    cfg["engine"] = check_engine(cfg.get("engine", DEFAULT_ENGINE))
    cfg.setdefault("metric", "jaccard")
    if cfg["metric"] not in SCORES:
        raise ConfigError(f"metric {cfg['metric']!r} is not one of {', '.join(SCORES)}")
    cfg["data"] = _check_data(cfg.get("data") or {})
    cfg["segmenter"] = _check_segmenter(cfg.get("segmenter") or {}, cfg["data"]["image_size"])
    cfg["sources"] = _check_sources(cfg.get("sources") or {})
    cfg["conditions"] = _check_conditions(_require(cfg, "conditions", "protocol"), cfg["sources"])
    names = [c["name"] for c in cfg["conditions"]]
    if cfg.get("reference") is None:
        cfg["reference"] = names[0]
    if cfg["reference"] not in names:
        raise ConfigError(f"reference {cfg['reference']!r} is not a condition; conditions: {', '.join(names)}")
    cfg["ensemble"] = _check_ensembles(cfg.get("ensemble"), names)
    check_replicates(cfg, DATA_KEYS)
    return json.loads(json.dumps(cfg))


# --- data and seeds ----------------------------------------------------------------------------------------

_CACHE: dict = {}


def _dataset(cfg, part: str, repeat: int = 0) -> dict:
    """'pool', 'test' or 'ood' images and masks of a repeat's replicate at the protocol's image size (cached per
    process)."""
    data = data_of(cfg, repeat)
    key = (part, json.dumps(data, sort_keys=True))
    if key not in _CACHE:
        from tfskin.evaluation.real_data import load_arrays

        size = tuple(data["image_size"])
        feats = ("image", "mask")
        if part == "pool":
            arrays = load_arrays(data["name"], data["train_split"], size, num_examples=data["train_pool"],
                                 seed=data["seed"], features=feats)
        elif part == "test":
            arrays = load_arrays(data["name"], data["test_split"], size, num_examples=data["test_size"],
                                 seed=data["seed"], features=feats)
        else:
            ood = data["ood_test"]
            arrays = load_arrays(ood["name"], ood["split"], size, num_examples=ood["size"], seed=ood["seed"],
                                 features=feats)
        _CACHE[key] = arrays
    return _CACHE[key]


def condition_of(cfg, name) -> dict:
    return next(c for c in cfg["conditions"] if c["name"] == name)


def train_size_of(cfg, condition, repeat: int = 0) -> int:
    """The real subset size of a condition (its own train_size, else data.train_size, else the whole pool);
    0 for a condition without real data."""
    if not condition["real"]:
        return 0
    pool = len(_dataset(cfg, "pool", repeat)["image"])
    size = condition["train_size"] or data_of(cfg, repeat)["train_size"] or pool
    if size > pool:
        raise ConfigError(f"condition {condition['name']!r}: train_size {size} exceeds the {pool} images of the "
                          f"training pool (data.train_pool)")
    return size


def real_subset_indices(cfg, repeat: int, size: int) -> np.ndarray:
    """Pool indices of repeat ``repeat``'s real training subset of ``size`` images: the first ``size`` of a
    permutation seeded by (seed, repeat), so every condition of a repeat shares it and a smaller subset lies
    inside a bigger one. Sorted. With replicates the pool is the replicate's own random draw and a subset is
    its first ``size`` images, the same in every repeat of the replicate (what a GAN trained on the replicate's
    data with ``num_examples=size`` reads)."""
    pool = len(_dataset(cfg, "pool", repeat)["image"])
    if cfg.get("replicates"):
        return np.arange(min(size, pool))
    order = np.random.default_rng(_seed_for(cfg["seed"], "real-subset", repeat)).permutation(pool)
    return np.sort(order[:size])


def real_training_set(cfg, condition, repeat: int) -> dict:
    """The real images, masks and pool indices a condition trains on in a repeat (empty without real data)."""
    pool = _dataset(cfg, "pool", repeat)
    idx = real_subset_indices(cfg, repeat, train_size_of(cfg, condition, repeat))
    return {"image": pool["image"][idx], "mask": pool["mask"][idx], "indices": idx}


def segmenter_config(cfg, repeat: int):
    """The segmenter settings of a repeat: the same seed for every condition of the repeat."""
    from tfskin.evaluation.segmenter import SegmenterConfig

    settings = {k: v for k, v in cfg["segmenter"].items() if k != "variant"}
    return SegmenterConfig.from_dict({**settings, "seed": _seed_for(cfg["seed"], "segmenter", repeat) % (2 ** 31)})


def _source(cfg, name, repeat: int = 0):
    spec = source_spec(cfg, name, repeat)
    key = ("source", json.dumps(spec, sort_keys=True))
    if key not in _CACHE:
        from tfskin.sources import make_source

        _CACHE[key] = make_source(spec)
    return _CACHE[key]


# --- scores and probabilities ------------------------------------------------------------------------------

def truth_masks(masks) -> np.ndarray:
    """Ground-truth masks as float32 0/1 (N, H, W, 1) (uint8 0/255 or 0/1 in, as datasets store them)."""
    m = np.asarray(masks)
    if m.ndim == 3:
        m = m[..., np.newaxis]
    on = m >= 128 if m.dtype == np.uint8 and m.max(initial=0) > 1 else m > 0.5
    return on.astype(np.float32)


def scores(truth, probability) -> dict:
    """The per-run scores of the protocol: mean Jaccard (ISIC 2017), thresholded Jaccard (ISIC 2018), Dice and
    the shares of images below 0.6 / 0.7 Jaccard, at threshold 0.5."""
    from tfskin.evaluation.metrics import segmentation_report

    report = segmentation_report(truth, np.asarray(probability, np.float32))
    return {k: report[k] for k in RESULT_SCORES}


def _save_probabilities(path: Path, probs):
    """Save (N, H, W) float16 probabilities atomically (a reader never sees half a file)."""
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    with open(tmp, "wb") as f:
        np.save(f, np.asarray(probs, np.float16).reshape(np.shape(probs)[:3]))
    os.replace(tmp, path)


def _subset_digest(indices) -> str:
    return hashlib.sha256(np.asarray(indices, np.int64).tobytes()).hexdigest()[:16]


# --- one run -----------------------------------------------------------------------------------------------

def execute_seg_run(cfg: dict, condition_name: str, repeat: int, out_dir) -> dict:
    """Train and evaluate one (condition, repeat); saves the test probabilities and writes ``result.json``
    last, so a run without it is redone."""
    from tfskin.evaluation.profile import Stopwatch
    from tfskin.evaluation.segmenter import predict_masks, train_segmenter

    run_dir = Path(out_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    watch = Stopwatch()
    condition = condition_of(cfg, condition_name)
    seg_cfg = segmenter_config(cfg, repeat)
    with watch("io"):
        real = real_training_set(cfg, condition, repeat)
        source = _source(cfg, condition["synthetic"], repeat) if condition["synthetic"] else None
    model, history = train_segmenter(seg_cfg, real["image"], real["mask"], real_steps=condition["real_steps"],
                                     synthetic_source=source, synthetic_steps=condition["synthetic_steps"],
                                     watch=watch, pool=engine_pool(cfg))
    result = {"condition": condition_name, "repeat": repeat, "segmenter_seed": seg_cfg.seed,
              "train_size": int(len(real["indices"])), "train_subset_sha256": _subset_digest(real["indices"]),
              "steps": {"synthetic": condition["synthetic_steps"], "real": condition["real_steps"]},
              "synthetic_source": condition["synthetic"], **replicate_fields(cfg, repeat, real["indices"])}
    for split in eval_splits(cfg):
        with watch("io"):
            data = _dataset(cfg, split, repeat)
        with watch("predict"):
            probs = predict_masks(model, data["image"])
        with watch("io"):
            _save_probabilities(run_dir / PROBS_FILE.format(split=split), probs)
        with watch("score"):
            result[split] = scores(truth_masks(data["mask"]), probs)
    result["final_train_loss"] = float(np.mean(history["loss"][-10:])) if history["loss"] else float("nan")
    result["precision"] = history["precision"]
    result["seconds"] = time.perf_counter() - start
    result["profile"] = watch.seconds  # build, generate, trace, train, predict, score, io
    result["engine"] = {"name": cfg.get("engine", DEFAULT_ENGINE),
                        **{k: history[k] for k in ("reused_model", "train_traces")}}
    write_json(run_dir / RESULT_FILE, result)
    return result


# --- ensembles ---------------------------------------------------------------------------------------------

def ensemble_result(cfg, out_dir, members, repeat: int) -> dict:
    """Pollastri et al.'s ensemble of the members' repeat-``repeat`` models from their saved probabilities: the
    mean probability, the dual threshold (0.8, biggest object, 0.4) and the protocol's scores per test split."""
    from tfskin.evaluation.segmenter import dual_threshold

    start = time.perf_counter()
    run_dirs = [run_dir_of(out_dir, m, repeat) for m in members]
    member_results = [json.loads((d / RESULT_FILE).read_text()) for d in run_dirs]
    result = {"condition": ensemble_name(members), "repeat": repeat, "members": list(members),
              "member_train_sizes": [r["train_size"] for r in member_results], "train_size": None,
              "post_processing": "mean probability, dual threshold 0.8 / 0.4 (Pollastri et al. 2020, section 5.2)"}
    if cfg.get("replicates"):
        result["gan_replicate"] = replicate_of(cfg, repeat)
    for split in eval_splits(cfg):
        mean = np.mean([np.load(d / PROBS_FILE.format(split=split)).astype(np.float32) for d in run_dirs], axis=0)
        masks = np.stack([dual_threshold(p) for p in mean]) if len(mean) else mean > 0
        result[split] = scores(truth_masks(_dataset(cfg, split, repeat)["mask"]), masks[..., np.newaxis])
    result["seconds"] = time.perf_counter() - start
    return result


def _ensemble_is_current(path: Path, member_dirs) -> bool:
    member_files = [d / RESULT_FILE for d in member_dirs]
    return path.is_file() and path.stat().st_mtime_ns >= max(f.stat().st_mtime_ns for f in member_files)


def update_ensembles(cfg, out_dir) -> list:
    """(Re)compute every ensemble repeat whose members all finished and changed since; drop those whose
    members did not all finish. Returns (name, repeat, error) of the ensembles that failed."""
    failures = []
    for members in cfg["ensemble"]:
        name = ensemble_name(members)
        for repeat in range(int(cfg["repeats"])):
            run_dir = run_dir_of(out_dir, name, repeat)
            member_dirs = [run_dir_of(out_dir, m, repeat) for m in members]
            if not all((d / RESULT_FILE).is_file() for d in member_dirs):
                (run_dir / RESULT_FILE).unlink(missing_ok=True)
                continue
            if _ensemble_is_current(run_dir / RESULT_FILE, member_dirs):
                continue
            try:
                write_json(run_dir / RESULT_FILE, ensemble_result(cfg, out_dir, members, repeat))
                (run_dir / ERROR_FILE).unlink(missing_ok=True)
            except Exception as err:  # noqa: BLE001 - reported like a failed run
                run_dir.mkdir(parents=True, exist_ok=True)
                (run_dir / ERROR_FILE).write_text(f"{type(err).__name__}: {err}\n{traceback.format_exc()}")
                failures.append((name, repeat, f"{type(err).__name__}: {err}"))
    return failures


# --- the protocol ------------------------------------------------------------------------------------------

def _check_resume(cfg, out: Path):
    """Refuse an output folder holding a protocol with other settings (repeats, workers and ensembles may
    change)."""
    path = out / "protocol.json"
    if not path.is_file():
        return
    saved = json.loads(path.read_text())
    if {k: v for k, v in saved.items() if k not in FREE_ON_RESUME} != \
            {k: v for k, v in cfg.items() if k not in FREE_ON_RESUME}:
        changed = sorted(k for k in set(saved) | set(cfg) if k not in FREE_ON_RESUME and saved.get(k) != cfg.get(k))
        raise ConfigError(f"{out} holds a segmentation protocol with different settings ({', '.join(changed)}); "
                          f"use another output folder or delete it to start over (only "
                          f"{', '.join(FREE_ON_RESUME)} may change on resume)")


def pending_runs(cfg, out_dir) -> list:
    """(condition, repeat) of every run without a result.json, repeat by repeat."""
    return [(c["name"], r) for r in range(int(cfg["repeats"])) for c in cfg["conditions"]
            if not (run_dir_of(out_dir, c["name"], r) / RESULT_FILE).is_file()]


def _progress(stream, cond, rep, err, start):
    status = "FAILED" if err else "done"
    print(f"  [{time.perf_counter() - start:7.1f} s] {cond} rep{rep}: {status}", file=stream, flush=True)


def _execute(cfg, out: Path, todo, workers: int, stream) -> list:
    """Run ``todo`` sequentially (one worker) or in spawned processes; returns (condition, repeat, error)."""
    start = time.perf_counter()
    failures = []
    if workers == 1:
        for cond, rep in todo:
            _, err = _run_safely(cfg, cond, rep, run_dir_of(out, cond, rep), execute_seg_run)
            _progress(stream, cond, rep, err, start)
            if err:
                failures.append((cond, rep, err))
        release_process_pool()  # the kept models of this call's runs
        return failures
    import multiprocessing

    threads = max(1, usable_cores() // workers)
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                             initializer=_worker_init, initargs=(threads,)) as pool:
        futures = {pool.submit(_run_safely, cfg, cond, rep, run_dir_of(out, cond, rep), execute_seg_run): (cond, rep)
                   for cond, rep in todo}
        for future in as_completed(futures):
            cond, rep = futures[future]
            _, err = future.result()
            _progress(stream, cond, rep, err, start)
            if err:
                failures.append((cond, rep, err))
    return failures


def run_seg_protocol(config, out_dir, *, workers: int = None, engine: str = None, stream=None) -> dict:
    """Run every (condition, repeat) not finished yet, update the ensembles, write the report; returns the
    report's summary plus ``failures`` (this call's failed runs and ensembles). ``workers`` and ``engine``
    override the config's."""
    stream = stream or sys.stdout
    cfg = load_seg_protocol(config if engine is None else {**read_config(config), "engine": engine})
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    _check_resume(cfg, out)
    write_json(out / "protocol.json", cfg)
    workers = _count(workers or cfg["workers"], "workers", minimum=1)
    todo = pending_runs(cfg, out)
    total = len(cfg["conditions"]) * cfg["repeats"]
    print(f"segmentation protocol {cfg['name']}: {len(todo)} run(s) to do, {total - len(todo)} already finished; "
          f"{workers} worker(s), {cfg['engine']} engine; output {out}", file=stream, flush=True)
    start = time.perf_counter()
    failures = _execute(cfg, out, todo, workers, stream) if todo else []
    failures += update_ensembles(cfg, out)
    summary = write_seg_report(cfg, out)
    summary["failures"] = [{"condition": c, "repeat": r, "error": e.splitlines()[0]} for c, r, e in failures]
    summary["wall_seconds_this_call"] = time.perf_counter() - start
    for c, r, e in failures:
        print(f"run {c}/rep{r} failed: {e.splitlines()[0]}", file=stream)
    print(f"report: {summary['report']}", file=stream, flush=True)
    return summary
