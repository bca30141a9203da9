"""Where the augmentation protocol keeps each run's result, and reading them back (shared by the protocol, which
writes them, and the report, which reads them; neither imports the other for this)."""

import json
from pathlib import Path

RESULT_FILE = "result.json"


def run_dir_of(out_dir, condition: str, repeat: int) -> Path:
    return Path(out_dir) / "runs" / condition / f"rep{repeat:02d}"


def collect_results(out_dir) -> list:
    """Every finished run's result.json under OUT/runs (a run without one is unfinished or failed)."""
    return [json.loads(p.read_text()) for p in sorted(Path(out_dir).glob(f"runs/*/rep*/{RESULT_FILE}"))]


def failed_runs(out_dir) -> list:
    """(condition, repeat, first line of the error) of every run that left an ``error.txt`` and no result."""
    failed = []
    for path in sorted(Path(out_dir).glob("runs/*/rep*/error.txt")):
        if (path.parent / RESULT_FILE).is_file():
            continue
        lines = path.read_text().splitlines() or [""]
        failed.append((path.parent.parent.name, int(path.parent.name[3:]), lines[0]))
    return failed
