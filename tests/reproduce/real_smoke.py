"""A paper's smoke budget run in-process on prepared real data (the real-layout tests build the releases)."""

import io

from tfskin.reproduce.papers import Experiment, real_splits, settings_for
from tfskin.reproduce.workflow import Workflow


def run_smoke(module, paper: str, out, data: str, ood: str = None, **overrides) -> tuple:
    """(summary, report text) of ``module``'s smoke budget on ``data`` (``ood``: the paper's default when None),
    its settings updated by ``overrides``."""
    settings = {**settings_for(module, "smoke"), **overrides}
    datasets = module.datasets(data, ood)
    exp = Experiment(paper=paper, out=out, data=data, ood_data=datasets.get("ood"), budget="smoke",
                     settings=settings, workers=1, workflow=Workflow(out, io.StringIO()), datasets=datasets,
                     splits=real_splits(module, data))
    summary = module.run(exp)
    return summary, (out / "report.md").read_text()
