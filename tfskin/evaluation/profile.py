"""Where an experiment's evaluation time goes.

A :class:`Stopwatch` adds up wall-clock seconds per phase (``build``, ``trace``, ``train``, ``predict``,
``score``, ``io``; generation and feature extraction in sample scoring) with ``perf_counter``; a run stores
``watch.seconds`` as ``profile`` in its ``result.json`` (or step result). :func:`profile_summary` adds up every
profile of an experiment folder for the report's time line.
"""

import contextlib
import json
import time
from pathlib import Path

#: The phases of one classifier or segmenter run, in the order they happen.
RUN_PHASES = ("io", "build", "trace", "train", "predict", "score")


class Stopwatch:
    """Seconds per phase: ``with watch("train"): ...``; a phase entered twice adds up."""

    def __init__(self):
        self.seconds = {}

    @contextlib.contextmanager
    def __call__(self, phase: str):
        start = time.perf_counter()
        try:
            yield
        finally:
            self.add(phase, time.perf_counter() - start)

    def add(self, phase: str, seconds: float):
        self.seconds[phase] = self.seconds.get(phase, 0.0) + float(seconds)

    def total(self) -> float:
        return sum(self.seconds.values())


def _add_into(totals: dict, profile: dict):
    for phase, seconds in profile.items():
        if isinstance(seconds, (int, float)):
            totals[phase] = totals.get(phase, 0.0) + float(seconds)


def _read(path: Path):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def profile_summary(out_dir) -> dict:
    """Every profile under an experiment folder added up: ``{"steps": timing.json's seconds per step,
    "total_seconds", "runs": {"count", "seconds", "phases": {phase: seconds}, "precisions": [dtype policies]},
    "scoring": {phase: seconds}}``.

    ``runs`` sums the ``profile`` of each classifier/segmenter ``result.json`` (any depth), lists the
    precisions they trained in and counts the runs on a reused model (``reused``), ``scoring`` the
    ``profile`` of stored step results (``steps/*.json``, e.g. lunagariya's ``score_samples``). Missing files
    give empty sections, so a half-finished experiment can be summed too."""
    out = Path(out_dir)
    timing = _read(out / "timing.json") or {}
    runs = {"count": 0, "seconds": 0.0, "phases": {}, "precisions": [], "reused": 0}
    for path in sorted(out.rglob("result.json")):
        result = _read(path)
        if not isinstance(result, dict) or not isinstance(result.get("profile"), dict):
            continue
        runs["count"] += 1
        runs["seconds"] += float(result.get("seconds", 0.0))
        _add_into(runs["phases"], result["profile"])
        runs["reused"] += bool((result.get("engine") or {}).get("reused_model"))
        if result.get("precision") and result["precision"] not in runs["precisions"]:
            runs["precisions"].append(result["precision"])
    scoring = {}
    for path in sorted((out / "steps").glob("*.json")):
        stored = _read(path)
        result = stored.get("result") if isinstance(stored, dict) else None
        if isinstance(result, dict) and isinstance(result.get("profile"), dict):
            _add_into(scoring, result["profile"])
    return {"steps": dict(timing.get("steps", {})), "total_seconds": float(timing.get("total_seconds", 0.0)),
            "runs": runs, "scoring": scoring}


def _minutes(phases: dict) -> str:
    return ", ".join(f"{phase} {seconds / 60:.1f}" for phase, seconds in phases.items())


def profile_line(summary: dict) -> str:
    """One sentence for a report's time line from :func:`profile_summary` (empty when nothing was profiled)."""
    parts = []
    runs = summary.get("runs", {})
    if runs.get("count"):
        precision = ", ".join(runs.get("precisions", [])) or "not recorded"
        reused = f", {runs['reused']} on a reused, already traced model" if runs.get("reused") else ""
        parts.append(f"Evaluation: {runs['count']} model run(s){reused}, {runs['seconds'] / 60:.1f} min "
                     f"({_minutes(runs['phases'])} min); downstream models trained in {precision}.")
    if summary.get("scoring"):
        parts.append(f"Sample scoring: {_minutes(summary['scoring'])} min.")
    return " ".join(parts)
