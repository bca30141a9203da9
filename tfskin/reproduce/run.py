"""``reproduce(paper, out, ...)``: one paper's experiment end to end, resumable (see ``workflow``)."""

import json
import sys
from pathlib import Path

from tfskin.errors import ConfigError
from tfskin.evaluation.jsonio import write_json
from tfskin.reproduce.papers import Experiment, paper_module, settings_for
from tfskin.reproduce.workflow import Workflow

EXPERIMENT_FILE = "experiment.json"


def reproduce(paper: str, out_dir, *, data: str = "phantoms", ood_data: str = None, budget: str = "cpu",
              repeats: int = None, workers: int = 1, stream=None) -> dict:
    """Run (or resume) ``paper``'s experiment in ``out_dir``; returns the report's summary (``reproduce.json``)."""
    stream = stream or sys.stdout
    module = paper_module(paper)
    if repeats is not None and repeats < 2:
        raise ConfigError(f"--repeats {repeats}: paired tests need at least 2 repeats (the papers use 10)")
    if workers < 1:
        raise ConfigError(f"--workers {workers}: must be >= 1")
    settings = settings_for(module, budget, {"repeats": repeats})
    roles = module.datasets(data, ood_data)
    out = Path(out_dir)
    _check_same_experiment(out, {"paper": paper, "data": data, "budget": budget, "datasets": roles,
                                 "settings": settings})
    workflow = Workflow(out, stream)
    workflow.log(f"reproducing {paper} ({module.SUMMARY}); budget {budget}; data "
                 + ", ".join(f"{k}={v}" for k, v in roles.items()) + f"; output {out}")
    exp = Experiment(paper=paper, out=out, data=data, ood_data=roles.get("ood"), budget=budget, settings=settings,
                     workers=workers, workflow=workflow, datasets=roles)
    result = module.run(exp)
    workflow.log(f"report: {result['report']}")
    return result


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
