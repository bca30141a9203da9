"""The augmentation protocol: "did my synthetic data help, and how sure are we?"

A YAML file names the real data, the classifier, the synthetic sources and the conditions to compare
(Real, Synthetic, Real+Synthetic, Real+k x Synthetic, minority-class top-up, several sources at once), each
trained R times on fixed seeded splits. Repeat r of every condition uses the same real training subset and the
same classifier seed, so conditions are paired and compared with a paired t-test and a Wilcoxon signed-rank
test against a reference condition (Bissoto et al. 2018, Table 1, compares everything with its best condition
that way).

Runs are independent: ``run_protocol`` executes them in parallel processes, skips runs whose ``result.json``
already exists (resume), and keeps every run's outputs under ``OUT/runs/<condition>/rep<r>/``.

Config keys (see ``configs/augmentation_phantoms_cpu.yaml``)::

    name, seed, repeats (10), workers (1), metric (auc), reference (a condition name),
    engine (reuse | single: keep one traced classifier per shape and reset it per run, or build each afresh;
            the same numbers either way, see tfskin.evaluation.engine)
    data: {name, image_size, train_split, train_pool, train_size, test_split, test_size,
           ood_test: {name, split, size, seed} (optional)}
    classifier: ClassifierConfig fields (task, backbone, epochs, tta, ...; image_size comes from data)
    sources: {NAME: "run:DIR" | "savedmodel:DIR" | "png:DIR" | {type, path, label}}
    conditions:
      - name: real+dcgan
        real: true                     # include the real subset (default true)
        synthetic:                     # pieces, each from one source
          - {source: NAME, n: 200 | "1x" (times the real subset), select: random | "confidence:0.5" |
             "most_realistic:0.5" | "least_realistic:0.5", label: CLASS (optional)}
        topup: NAME                    # add synthetic minority-class images until the classes balance
    replicates:                        # optional: G replicates of the whole experiment; repeat r belongs to
      - data: {seed, train_split, train_pool, train_size, test_size, ood_test: {seed, ...}}   # replicate r % G,
        sources: {NAME: "run:DIR", ...}                          # whose data and sources override the above
    baseline, design                   # optional, for the report: the primary comparisons' arm; the design
                                       # (test_set, training_overlap, unit) the statistics must account for
"""

import hashlib
import json
import os
import time
import traceback
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import numpy as np

from tfskin.errors import ConfigError
from tfskin.evaluation.engine import DEFAULT_ENGINE, check_engine, release_process_pool
from tfskin.evaluation.errors import MissingFileError
from tfskin.evaluation.jsonio import write_json
from tfskin.evaluation.results import RESULT_FILE, collect_results, run_dir_of  # noqa: F401 (re-exported)
from tfskin.machine import usable_cores

ERROR_FILE = "error.txt"
GALLERY_FILE = "synthetic_examples.png"
GALLERY_SIZE = 16
SELECTIONS = ("random", "confidence", "most_realistic", "least_realistic")


# --- configuration -----------------------------------------------------------------------------------------

def _require(mapping, key, where):
    if key not in mapping:
        raise ConfigError(f"{where}: missing '{key}'")
    return mapping[key]


def _check_keys(mapping, allowed, where):
    unknown = sorted(set(mapping) - set(allowed))
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}; valid: {', '.join(sorted(allowed))}")


def parse_selection(text) -> tuple:
    """'random' | 'confidence:0.5' | 'most_realistic:0.25' | 'least_realistic:0.25' -> (policy, alpha)."""
    policy, _, alpha = str(text or "random").partition(":")
    policy = policy.strip()
    if policy not in SELECTIONS:
        raise ConfigError(f"selection {text!r}: policy must be one of {', '.join(SELECTIONS)}")
    if policy == "random":
        return policy, 1.0
    try:
        a = float(alpha) if alpha else 0.5
    except ValueError:
        raise ConfigError(f"selection {text!r}: alpha must be a number in (0, 1]") from None
    if not 0 < a <= 1:
        raise ConfigError(f"selection {text!r}: alpha must be in (0, 1]")
    return policy, a


def read_config(path_or_dict, kind: str = "protocol") -> dict:
    """A ``kind`` config as a plain mapping: a copy of a dict, or a YAML file read with clear errors."""
    if isinstance(path_or_dict, dict):
        cfg, where = json.loads(json.dumps(path_or_dict)), ""
    else:
        import yaml

        path = Path(path_or_dict)
        if not path.is_file():
            raise MissingFileError(f"{kind} config {path} not found")
        try:
            cfg = yaml.safe_load(path.read_text())
        except yaml.YAMLError as err:
            raise ConfigError(f"{path}: not valid YAML: {err}") from None
        where = f"{path}: "
    if not isinstance(cfg, dict):
        raise ConfigError(f"{where}a {kind} config must be a mapping")
    return cfg


def load_protocol(path_or_dict) -> dict:
    """Read and validate a protocol config (YAML path or dict); returns it with defaults filled in."""
    cfg = read_config(path_or_dict)
    _check_keys(cfg, {"name", "seed", "repeats", "workers", "metric", "reference", "data", "classifier", "sources",
                      "conditions", "selection_classifier", "realism_features", "output", "engine", *REPLICATE_KEYS},
                "protocol")
    cfg.setdefault("name", "augmentation")
    cfg.setdefault("seed", 0)
    cfg.setdefault("repeats", 10)
    cfg.setdefault("workers", 1)
    cfg.setdefault("metric", "auc")
    cfg.setdefault("realism_features", "pixels:32")
    cfg["engine"] = check_engine(cfg.get("engine", DEFAULT_ENGINE))
    data = cfg.setdefault("data", {})
    _check_keys(data, {"name", "image_size", "train_split", "train_pool", "train_size", "test_split", "test_size",
                       "ood_test", "seed"}, "data")
    data.setdefault("name", "phantoms")
    data["image_size"] = list(data.get("image_size", [64, 64]))
    data.setdefault("train_split", "train")
    data.setdefault("test_split", "test")
    data.setdefault("seed", 0)
    if data.get("ood_test"):
        _check_keys(data["ood_test"], {"name", "split", "size", "seed", "label"}, "data.ood_test")
    from tfskin.evaluation.classifier import ClassifierConfig

    clf = dict(cfg.setdefault("classifier", {}))
    clf["image_size"] = tuple(data["image_size"])
    clf.setdefault("seed", cfg["seed"])
    cfg["classifier"] = ClassifierConfig.from_dict(clf).to_dict()  # validates
    sources = cfg.setdefault("sources", {}) or {}
    for name, spec in sources.items():
        if isinstance(spec, str) and not spec.startswith(("run:", "savedmodel:", "png:", "serving:")):
            raise ConfigError(f"sources.{name}: {spec!r} is not SCHEME:PATH")
    conditions = _require(cfg, "conditions", "protocol")
    if not conditions:
        raise ConfigError("protocol: no conditions")
    names = []
    for i, cond in enumerate(conditions):
        where = f"conditions[{i}]"
        _check_keys(cond, {"name", "real", "synthetic", "topup"}, where)
        name = _require(cond, "name", where)
        if "/" in name or name in names:
            raise ConfigError(f"{where}: condition names must be unique and contain no '/': {name!r}")
        names.append(name)
        cond.setdefault("real", True)
        cond["synthetic"] = list(cond.get("synthetic") or [])
        for j, piece in enumerate(cond["synthetic"]):
            _check_keys(piece, {"source", "n", "select", "label"}, f"{where}.synthetic[{j}]")
            if _require(piece, "source", f"{where}.synthetic[{j}]") not in sources:
                raise ConfigError(f"{where}.synthetic[{j}]: unknown source {piece['source']!r}; defined: "
                                  f"{', '.join(sources) or 'none'}")
            piece.setdefault("n", "1x")
            piece["select"] = piece.get("select", "random")
            policy, _ = parse_selection(piece["select"])
            if policy == "confidence" and not cfg.get("selection_classifier"):
                raise ConfigError(f"{where}: confidence selection needs 'selection_classifier: DIR' (a saved tfskin "
                                  f"classifier, e.g. from `tfskin evaluate classify --save DIR`)")
        if cond.get("topup") and cond["topup"] not in sources:
            raise ConfigError(f"{where}: unknown topup source {cond['topup']!r}")
        if not cond["real"] and not cond["synthetic"] and not cond.get("topup"):
            raise ConfigError(f"{where}: condition {name!r} trains on nothing")
    cfg.setdefault("reference", names[0])
    if cfg["reference"] not in names:
        raise ConfigError(f"reference {cfg['reference']!r} is not a condition; conditions: {', '.join(names)}")
    if int(cfg["repeats"]) < 1 or int(cfg["workers"]) < 1:
        raise ConfigError("repeats and workers must be >= 1")
    check_replicates(cfg, DATA_KEYS)
    return cfg


# --- replicates of the whole experiment --------------------------------------------------------------------

REPLICATE_KEYS = ("replicates", "baseline", "design")
DATA_KEYS = ("name", "image_size", "train_split", "train_pool", "train_size", "test_split", "test_size", "ood_test",
             "seed")


def check_replicates(cfg, data_keys):
    """Validate the optional ``replicates`` list (each {data, sources} overriding the protocol's) and
    ``baseline``; shared with the segmentation protocol."""
    replicates = cfg.get("replicates")
    if replicates is None:
        return
    if not isinstance(replicates, list) or not replicates:
        raise ConfigError("replicates must be a non-empty list of {data, sources} mappings")
    for g, entry in enumerate(replicates):
        where = f"replicates[{g}]"
        if not isinstance(entry, dict):
            raise ConfigError(f"{where} must be a mapping {{data, sources}}")
        _check_keys(entry, {"data", "sources"}, where)
        _check_keys(entry.get("data") or {}, set(data_keys) - {"name", "image_size"}, f"{where}.data")
        unknown = sorted(set(entry.get("sources") or {}) - set(cfg["sources"]))
        if unknown:
            raise ConfigError(f"{where}.sources: {', '.join(unknown)} not among the protocol's sources")
    if int(cfg["repeats"]) < len(replicates):
        raise ConfigError(f"repeats ({cfg['repeats']}) must be at least the number of replicates ({len(replicates)})")
    names = [c["name"] for c in cfg["conditions"]]
    if cfg.get("baseline") is not None and cfg["baseline"] not in names:
        raise ConfigError(f"baseline {cfg['baseline']!r} is not a condition; conditions: {', '.join(names)}")


def replicate_of(cfg, repeat: int) -> int:
    """The replicate repeat ``repeat`` belongs to (repeats cycle through the replicates); 0 without any."""
    replicates = cfg.get("replicates") or []
    return int(repeat) % len(replicates) if replicates else 0


def data_of(cfg, repeat: int = 0) -> dict:
    """The ``data`` block of a repeat: the protocol's, with its replicate's overrides."""
    data = cfg["data"]
    replicates = cfg.get("replicates") or []
    if not replicates:
        return data
    over = replicates[replicate_of(cfg, repeat)].get("data") or {}
    merged = {**data, **{k: v for k, v in over.items() if k != "ood_test"}}
    if over.get("ood_test") and data.get("ood_test"):
        merged["ood_test"] = {**data["ood_test"], **over["ood_test"]}
    return merged


def source_spec(cfg, name: str, repeat: int = 0):
    """The spec of source ``name`` in a repeat (its replicate's GAN when the replicate names one)."""
    replicates = cfg.get("replicates") or []
    if replicates:
        own = replicates[replicate_of(cfg, repeat)].get("sources") or {}
        if name in own:
            return own[name]
    return cfg["sources"][name]


# --- one run -----------------------------------------------------------------------------------------------

def _seed_for(*parts) -> int:
    digest = hashlib.sha256("/".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:4], "little")


_CACHE: dict = {}


def _real_sets(cfg, repeat: int = 0) -> dict:
    """The real training pool, test set and optional OOD test set of a repeat's replicate (cached per process)."""
    from tfskin.evaluation.real_data import load_arrays

    data = data_of(cfg, repeat)
    key = json.dumps(data, sort_keys=True)
    if key not in _CACHE:
        size = tuple(data["image_size"])
        sets = {
            "pool": load_arrays(data["name"], data["train_split"], size, num_examples=data.get("train_pool"),
                                seed=data["seed"]),
            "test": load_arrays(data["name"], data["test_split"], size, num_examples=data.get("test_size"),
                                seed=data["seed"]),
        }
        ood = data.get("ood_test")
        if ood:
            sets["ood"] = load_arrays(ood.get("name", data["name"]), ood.get("split", "test"), size,
                                      num_examples=ood.get("size"), seed=ood.get("seed", data["seed"]))
        _CACHE[key] = sets
    return _CACHE[key]


def real_subset_indices(cfg, repeat: int) -> np.ndarray:
    """The fixed seeded real training subset of a repeat (the same for every condition)."""
    pool = _real_sets(cfg, repeat)["pool"]
    n = len(pool["image"])
    size = min(int(data_of(cfg, repeat).get("train_size") or n), n)
    rng = np.random.default_rng(_seed_for(cfg["seed"], "real-subset", repeat))
    return np.sort(rng.permutation(n)[:size])


def _source(cfg, name, repeat: int = 0):
    spec = source_spec(cfg, name, repeat)
    key = ("source", json.dumps(spec, sort_keys=True))
    if key not in _CACHE:
        from tfskin.sources import make_source

        _CACHE[key] = make_source(spec)
    return _CACHE[key]


def _task_labels_of(batch_labels, source, piece_label, clf_cfg) -> np.ndarray:
    from tfskin.classes import class_index
    from tfskin.evaluation.classifier import task_label_of_classes, task_labels

    task, classes = clf_cfg.task, clf_cfg.classes
    if piece_label:
        return np.full(len(batch_labels), task_labels(task, [class_index(piece_label)], classes)[0])
    y = task_labels(task, batch_labels, classes)
    if np.any(y < 0) and source.classes:
        y[y < 0] = task_label_of_classes(task, source.classes, classes)
    if np.any(y < 0):
        raise ConfigError(f"source {source.describe()} does not say which {task} class its images are; give the "
                          f"piece (or the source) a 'label'")
    return y


def _select(cfg, policy, alpha, images, labels, n, real_images):
    """Keep ``n`` of the candidates by policy: random, the classifier's most confident, or the most / least
    realistic by nearest-real-neighbour distance in ``realism_features``."""
    if policy == "random" or len(images) <= n:
        return np.arange(min(n, len(images)))
    if policy == "confidence":
        key = ("selector", cfg["selection_classifier"])
        if key not in _CACHE:
            from tfskin.evaluation.classifier import load_classifier

            _CACHE[key] = load_classifier(cfg["selection_classifier"])
        probs = _CACHE[key].predict(images, tta=1)
        score = probs[np.arange(len(labels)), labels]
    else:
        from tfskin.evaluation.features import make_feature_network
        from tfskin.evaluation.memorization import nearest_neighbours

        net = make_feature_network(cfg["realism_features"])
        _, dist = nearest_neighbours(net(images), net(real_images))
        score = -dist if policy == "most_realistic" else dist
    return np.argsort(-score, kind="stable")[:n]


def build_training_set(cfg, condition: dict, repeat: int) -> dict:
    """Images, task labels and provenance of one condition's training set for one repeat."""
    from tfskin.evaluation.classifier import ClassifierConfig, task_labels
    from tfskin.evaluation.real_data import resize_images

    clf_cfg = ClassifierConfig.from_dict(cfg["classifier"])
    size = tuple(cfg["data"]["image_size"])
    pool = _real_sets(cfg, repeat)["pool"]
    idx = real_subset_indices(cfg, repeat)
    real_images, real_labels = pool["image"][idx], task_labels(clf_cfg.task, pool["label"][idx], clf_cfg.classes)
    keep = real_labels >= 0  # multiclass subsets drop other classes
    real_images, real_labels = real_images[keep], real_labels[keep]
    images, labels, origin = [], [], []
    real_index = idx[keep] if condition["real"] else idx[:0]
    if condition["real"]:
        images.append(real_images)
        labels.append(real_labels)
        origin += ["real"] * len(real_labels)
    for j, piece in enumerate(condition["synthetic"]):
        n = piece["n"]
        n = int(round(float(str(n)[:-1]) * len(real_labels))) if str(n).endswith("x") else int(n)
        policy, alpha = parse_selection(piece["select"])
        source = _source(cfg, piece["source"], repeat)
        candidates = int(np.ceil(n / alpha))
        batch = source.sample(candidates, seed=_seed_for(cfg["seed"], "synthetic", piece["source"], repeat, j))
        syn = resize_images(batch["image"], size)
        y = _task_labels_of(batch["label"], source, piece.get("label"), clf_cfg)
        chosen = _select(cfg, policy, alpha, syn, y, n, real_images)
        images.append(syn[chosen])
        labels.append(y[chosen])
        origin += [piece["source"]] * len(chosen)
    if condition.get("topup"):
        source = _source(cfg, condition["topup"], repeat)
        current = np.concatenate(labels) if labels else np.zeros(0, np.int64)
        counts = np.bincount(current, minlength=len(_task_names(clf_cfg)))
        target_label = _task_labels_of(np.full(1, -1), source, None, clf_cfg)[0]
        need = int(counts.max() - counts[target_label])
        if need > 0:
            batch = source.sample(need, seed=_seed_for(cfg["seed"], "topup", condition["topup"], repeat))
            images.append(resize_images(batch["image"], size))
            labels.append(np.full(need, target_label, np.int64))
            origin += [condition["topup"]] * need
    return {"image": np.concatenate(images), "label": np.concatenate(labels), "origin": np.array(origin),
            "real_index": real_index}


def replicate_fields(cfg, repeat: int, real_index) -> dict:
    """What a run's result records of its replicate: the GAN replicate it belongs to (when the protocol has
    replicates) and the pool positions of the real images it trained on (provenance checks read them)."""
    fields = {"real_pool_indices": [int(i) for i in np.asarray(real_index)]}
    if cfg.get("replicates"):
        fields["gan_replicate"] = replicate_of(cfg, repeat)
    return fields


def _task_names(clf_cfg):
    from tfskin.evaluation.classifier import task_class_names

    return task_class_names(clf_cfg.task, clf_cfg.classes)


def _atomic_json(path: Path, payload):
    write_json(path, payload)


def _save_gallery(train: dict, path: Path):
    """The first GALLERY_SIZE synthetic images of a training set as a PNG grid (none for real-only sets)."""
    synthetic = np.flatnonzero(train["origin"] != "real")[:GALLERY_SIZE]
    if synthetic.size == 0:
        return None
    from tfskin.imaging import save_png, tile

    return save_png(tile(train["image"][synthetic], columns=8), path).name


def execute_run(cfg: dict, condition_name: str, repeat: int, out_dir) -> dict:
    """Train and evaluate one (condition, repeat); writes ``result.json`` last, so a run without it is redone."""
    from tfskin.evaluation.classifier import ClassifierConfig, evaluate_classifier, task_labels, train_classifier
    from tfskin.evaluation.profile import Stopwatch

    run_dir = Path(out_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    watch = Stopwatch()
    condition = next(c for c in cfg["conditions"] if c["name"] == condition_name)
    base = ClassifierConfig.from_dict(cfg["classifier"])
    clf_cfg = base.replace(seed=_seed_for(cfg["seed"], "classifier", repeat) % (2 ** 31))
    with watch("io"):
        train = build_training_set(cfg, condition, repeat)
        gallery = _save_gallery(train, run_dir / GALLERY_FILE)
    model = train_classifier(clf_cfg, train["image"], train["label"], watch=watch, pool=engine_pool(cfg))
    with watch("io"):
        sets = _real_sets(cfg, repeat)
    result = {"condition": condition_name, "repeat": repeat, "classifier_seed": clf_cfg.seed,
              **replicate_fields(cfg, repeat, train["real_index"]),
              "train_size": int(len(train["label"])),
              "train_composition": {str(k): int(v) for k, v in
                                    zip(*np.unique(train["origin"], return_counts=True), strict=True)},
              "train_class_counts": np.bincount(train["label"], minlength=len(model.class_names)).tolist(),
              "synthetic_gallery": gallery}
    for split in ("test", "ood"):
        if split not in sets:
            continue
        y = task_labels(clf_cfg.task, sets[split]["label"], clf_cfg.classes)
        keep = y >= 0
        report = evaluate_classifier(model, sets[split]["image"][keep], y[keep], out_dir=run_dir / split,
                                     seed=_seed_for(cfg["seed"], "tta", repeat), watch=watch)
        result[split] = {k: v for k, v in report.items() if not k.endswith("_png")}
    result["precision"] = model.precision
    result["seconds"] = time.perf_counter() - start
    result["profile"] = watch.seconds  # build, trace, train, predict, score, io (the rest of seconds: setup)
    result["engine"] = {"name": cfg.get("engine", DEFAULT_ENGINE), **model.engine}
    result["final_train_loss"] = model.history.get("loss", [float("nan")])[-1]
    _atomic_json(run_dir / RESULT_FILE, result)
    return result


def engine_pool(cfg):
    """This process's model pool under the ``reuse`` engine; None under ``single``."""
    from tfskin.evaluation.engine import process_pool

    return process_pool() if cfg.get("engine", DEFAULT_ENGINE) == "reuse" else None


def _worker_init(threads: int):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from tfskin.runtime import import_tensorflow_quietly

    import_tensorflow_quietly()  # keep each worker's TensorFlow start-up chatter off the terminal
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    except RuntimeError:
        pass


def _run_safely(cfg, condition, repeat, run_dir, execute=None):
    """Run one (condition, repeat) with ``execute`` (default ``execute_run``; the segmentation protocol passes
    its own); a failure is written to ``error.txt`` (the report shows the run as failed) and returned, and the
    other runs continue."""
    error_path = Path(run_dir) / ERROR_FILE
    try:
        result = (execute or execute_run)(cfg, condition, repeat, run_dir)
    except Exception as err:  # noqa: BLE001 - reported per run; other runs continue
        message = f"{type(err).__name__}: {err}\n{traceback.format_exc()}"
        error_path.parent.mkdir(parents=True, exist_ok=True)
        error_path.write_text(message)
        return None, message
    error_path.unlink(missing_ok=True)
    return result, None


def run_protocol(config, out_dir, *, workers: int = None, engine: str = None, stream=None) -> dict:
    """Run every (condition, repeat) not finished yet, in parallel, then write the report. Returns the summary.
    ``workers`` and ``engine`` override the config's (both may change when a protocol is resumed)."""
    import sys

    stream = stream or sys.stdout
    cfg = load_protocol(config if engine is None else {**read_config(config), "engine": engine})
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    config_path = out / "protocol.json"
    if config_path.is_file():
        saved = json.loads(config_path.read_text())
        cfg = json.loads(json.dumps(cfg, default=float))  # tuples -> lists, as saved
        # more repeats or workers extend a protocol (the design only describes it; the engines give the same
        # numbers); nothing else may change
        free = ("workers", "repeats", "output", "design", "engine")
        if {k: v for k, v in saved.items() if k not in free} != {k: v for k, v in cfg.items() if k not in free}:
            raise ConfigError(f"{out} holds a protocol with different settings; use another output folder or "
                              f"delete it to start over (only repeats and workers may change on resume)")
    _atomic_json(config_path, cfg)
    workers = int(workers or cfg["workers"])
    todo, done = [], 0
    for repeat in range(int(cfg["repeats"])):
        for cond in cfg["conditions"]:
            if (run_dir_of(out, cond["name"], repeat) / RESULT_FILE).is_file():
                done += 1
            else:
                todo.append((cond["name"], repeat))
    print(f"protocol {cfg['name']}: {len(todo)} run(s) to do, {done} already finished; {workers} worker(s), "
          f"{cfg['engine']} engine; output {out}", file=stream, flush=True)
    start = time.perf_counter()
    failures = []
    if todo and workers == 1:
        for cond, rep in todo:
            _, err = _run_safely(cfg, cond, rep, run_dir_of(out, cond, rep))
            _progress(stream, cond, rep, err, start)
            if err:
                failures.append((cond, rep, err))
        release_process_pool()  # the kept models of this call's runs
    elif todo:
        import multiprocessing

        threads = max(1, usable_cores() // workers)
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                 initializer=_worker_init, initargs=(threads,)) as pool:
            futures = {pool.submit(_run_safely, cfg, cond, rep, run_dir_of(out, cond, rep)): (cond, rep)
                       for cond, rep in todo}
            for future in as_completed(futures):
                cond, rep = futures[future]
                _, err = future.result()
                _progress(stream, cond, rep, err, start)
                if err:
                    failures.append((cond, rep, err))
    from tfskin.evaluation.report import write_report

    summary = write_report(cfg, out)
    summary["failures"] = [{"condition": c, "repeat": r, "error": e.splitlines()[0]} for c, r, e in failures]
    summary["wall_seconds_this_call"] = time.perf_counter() - start
    for c, r, e in failures:
        print(f"run {c}/rep{r} failed: {e}", file=stream)
    print(f"report: {summary['report']}", file=stream, flush=True)
    return summary


def _progress(stream, cond, rep, err, start):
    status = "FAILED" if err else "done"
    print(f"  [{time.perf_counter() - start:7.1f} s] {cond} rep{rep}: {status}", file=stream, flush=True)


