"""``reproduce(paper, out, ...)``: one paper's experiment end to end, resumable (see ``workflow``)."""

import json
import sys
from pathlib import Path

from tfskin.errors import ConfigError
from tfskin.evaluation.jsonio import write_json
from tfskin.reproduce.papers import Experiment, paper_module, real_splits, settings_for
from tfskin.reproduce.parallel import resolve_workers
from tfskin.reproduce.workflow import Workflow

EXPERIMENT_FILE = "experiment.json"


def reproduce(paper: str, out_dir, *, data: str = "phantoms", ood_data: str = None, budget: str = "cpu",
              repeats: int = None, workers="auto", engine: str = None, dry_run: bool = False,
              gpu_hours: bool = False, stream=None) -> dict:
    """Run (or resume) ``paper``'s experiment in ``out_dir``; returns the report's summary (``reproduce.json``).
    ``workers``: processes at once (``"auto"``: one per usable CPU core, 1 at the smoke budget) for the GAN
    replicates (at most one per replicate: ``tfskin.reproduce.parallel``) and for the evaluation's runs; 1 runs
    everything in this process.
    ``engine``: how the evaluation trains its classifiers and segmenters (``tfskin.evaluation.engine``: reuse, the
    default, or single, one fresh model per run); both give the same numbers, so it may change on resume.
    ``dry_run``: resolve and validate every GAN config and the evaluation protocol, write nothing, and return
    the plan as JSON-able text; with ``gpu_hours`` also its estimated GPU hours (``tfskin.reproduce.gpu_hours``:
    builds every network once to count its FLOPs, seconds to a minute)."""
    stream = stream or sys.stdout
    module = paper_module(paper)
    if repeats is not None and repeats < 2:
        raise ConfigError(f"--repeats {repeats}: paired tests need at least 2 repeats (the papers use 10)")
    workers = resolve_workers(workers, budget)
    if engine is not None:
        from tfskin.evaluation.engine import check_engine

        engine = check_engine(engine)
    settings = settings_for(module, budget, {"repeats": repeats})
    replicates = settings.get("gan_replicates")
    if repeats is not None and replicates and repeats % replicates:
        raise ConfigError(f"--repeats {repeats}: the {budget} budget has {replicates} GAN replicates, each holding "
                          f"the same number of classifier repeats; give a multiple of {replicates}")
    roles = module.datasets(data, ood_data)
    splits = real_splits(module, data)
    out = Path(out_dir)
    if dry_run:
        exp = Experiment(paper=paper, out=out, data=data, ood_data=roles.get("ood"), budget=budget,
                         settings=settings, workers=workers, workflow=None, datasets=roles, splits=splits)
        plan = module.plan(exp)
        described = describe_plan(plan, settings, roles)
        tasks = int(settings.get("gan_replicates") or 1) * len(module.replicate_parts(exp) or (None,))
        described["workers"] = {"gan_replicates": min(workers, tasks), "gan_tasks": tasks, "evaluation": workers}
        if gpu_hours:
            from tfskin.reproduce.gpu_hours import estimate

            images = getattr(module, "PAPER_IMAGES", {"train": 0, "test": 0})
            described["estimated_gpu_hours"] = estimate(plan, images["train"], images["test"])
        return described
    _check_same_experiment(out, {"paper": paper, "data": data, "budget": budget, "datasets": roles,
                                 "settings": settings})
    workflow = Workflow(out, stream)
    workflow.log(f"reproducing {paper} ({module.SUMMARY}); budget {budget}; data "
                 + ", ".join(f"{k}={v}" for k, v in roles.items()) + f"; output {out}; {workers} worker(s)"
                 + (f"; {engine} engine" if engine else ""))
    exp = Experiment(paper=paper, out=out, data=data, ood_data=roles.get("ood"), budget=budget, settings=settings,
                     workers=workers, workflow=workflow, datasets=roles, splits=splits, engine=engine)
    result = module.run(exp)
    workflow.log(f"report: {result['report']}")
    return result


def describe_plan(plan: dict, settings: dict, roles: dict) -> dict:
    """The plan as plain data: each GAN's model, preset, image size, steps and batch; the evaluation's
    conditions and repeats."""
    out = {"datasets": roles, "settings": json.loads(json.dumps(settings)), "gans": {}}
    for name, config in plan["gans"].items():
        out["gans"][name] = {"model": config.model, "preset": config.preset, "data": config.data.name,
                             "image_size": list(config.data.image_size), "steps": config.train.steps,
                             "batch_size": config.train.batch_size}
    if "protocol" in plan:
        protocol = plan["protocol"]
        out["evaluation"] = {"conditions": [c["name"] for c in protocol["conditions"]],
                             "repeats": protocol["repeats"], "reference": protocol["reference"],
                             "data": protocol["data"], "runs": len(protocol["conditions"]) * protocol["repeats"],
                             "baseline": protocol.get("baseline"), "design": protocol.get("design"),
                             "gan_replicates": len(protocol.get("replicates") or [None])}
    if len(plan.get("protocols") or {}) > 1:  # one protocol per network variant (pollastri2020's CDNN0-6)
        out["evaluation"]["variants"] = {
            name: {"conditions": [c["name"] for c in p["conditions"]], "image_size": p["data"]["image_size"],
                   "runs": len(p["conditions"]) * p["repeats"]} for name, p in plan["protocols"].items()}
        out["evaluation"]["runs"] = sum(v["runs"] for v in out["evaluation"]["variants"].values())
    if "scoring" in plan:
        out["evaluation"] = plan["scoring"]
    missing = sorted({name.partition(":")[0] for name in roles.values() if name and not _prepared(name)})
    if missing:
        out["not_prepared"] = {name: f"tfskin data build {name} --manual-dir DIR" for name in missing}
    return out


def _prepared(name: str) -> bool:
    """Whether a dataset can be read now (phantoms always; a real one once ``tfskin data build`` made it)."""
    from tfskin.data.sources import split_dataset_name

    base, _ = split_dataset_name(name)
    if base == "phantoms":
        return True
    from tfskin.data.tfds.catalog import has_prepared_folder

    if not has_prepared_folder(base):  # nothing there: no builder (TFDS would warn about missing folders)
        return False
    from tfskin.data.tfds.register import get_builder

    return get_builder(base).is_prepared()


def _check_same_experiment(out: Path, wanted: dict):
    """A folder holds one experiment: resuming with other data, budget or settings would mix results."""
    path = out / EXPERIMENT_FILE
    wanted = json.loads(json.dumps(wanted))
    if path.is_file():
        saved = json.loads(path.read_text())
        free = ("repeats",)  # more repeats extend an experiment
        strip = lambda d: {**d, "settings": {k: v for k, v in d["settings"].items() if k not in free}}  # noqa: E731
        if strip(saved) != strip(wanted):
            changed = sorted(k for k in wanted if saved.get(k) != wanted[k])
            raise ConfigError(f"{out} holds a {saved['paper']} experiment with other settings ({', '.join(changed)} "
                              f"differ); use another --out or delete it to start over")
    out.mkdir(parents=True, exist_ok=True)
    write_json(path, wanted)
