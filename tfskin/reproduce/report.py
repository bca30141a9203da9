"""Paper-style reports: the paper's table with its published figures beside ours, each column marked
"published, ISIC" (with the table it comes from) or "measured, <data>", the verdict from the numbers, the time
the experiment took, and links to the full protocol reports behind every number."""

import json
import math
from pathlib import Path

from tfskin.evaluation.jsonio import write_json

REPORT_FILE = "report.md"
SUMMARY_FILE = "reproduce.json"


def markdown_table(columns, rows) -> list:
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    lines += ["| " + " | ".join("" if v is None else str(v) for v in row) + " |" for row in rows]
    return lines


def _finite(v) -> bool:
    return isinstance(v, (int, float)) and math.isfinite(v)


def mean_std(entry: dict, scale: float = 100.0, digits: int = 1, counts: bool = True) -> str:
    """'82.8 ± 0.8 (9/10)' from a summary entry with mean and std (scaled, e.g. AUC to %) and, where the entry
    lists its per-repeat values, how many finite repeats the mean is over out of all; '—' when missing."""
    total = len(entry.get("values") or ()) if entry else 0
    count = f" ({entry.get('n', 0)}/{total})" if counts and total else ""
    if not entry or not _finite(entry.get("mean")):
        return "—" + count
    std = entry.get("std")
    text = f"{entry['mean'] * scale:.{digits}f}"
    return text + (f" ± {std * scale:.{digits}f}" if _finite(std) else "") + count


def fmt_p(p) -> str:
    if not _finite(p):
        return "—"
    return f"{p:.1e}" if p < 1e-3 else f"{p:.3f}"


def published(paper: str) -> dict:
    """The paper's published tables by id (empty if the paper prints none we use)."""
    from tfskin.reproduce.published import published_tables

    return {t.id: t for t in published_tables(paper)}


def published_row(table, name: str) -> dict:
    """column -> value of the row of ``table`` whose first cell is ``name`` (empty if the paper has no such row)."""
    if table is None:
        return {}
    for row in table.rows:
        if str(row[0]).replace(" ", "").lower() == name.replace(" ", "").lower():
            return dict(zip(table.columns, row, strict=True))
    return {}


def published_section(paper: str) -> list:
    """Every published table of the paper, as printed, with its citation."""
    lines = []
    for table in published(paper).values():
        origin = (f"published in {table.quoted_from}, quoted by this paper" if table.quoted_from else
                  "published, ISIC" + (f"; test set: {table.setup['test_set']}" if table.setup.get("test_set") else ""))
        lines += [f"**{table.citation}** ({origin}). {table.caption}", ""]
        lines += markdown_table(table.columns, table.rows) + [""]
        if table.notes:
            lines += [f"_{table.notes}_", ""]
    return lines


PHASES = {"gan_replicates": "GAN replicates"}  # timing.json's "parallel" phases, as the report names them


def timing_line(exp) -> str:
    timing = exp.workflow.timing()
    total = timing["total_seconds"]
    parts = ", ".join(f"{k} {v / 60:.1f}" for k, v in timing["steps"].items())
    wall = "".join(f" Wall-clock time of the {PHASES.get(name, name)}: "
                   + ", ".join(f"{c['wall_seconds'] / 60:.1f} min in {c['workers']} process(es)" for c in calls)
                   + (" (one per call)." if len(calls) > 1 else ".")
                   for name, calls in timing.get("parallel", {}).items())
    return (f"Measured time: {total / 60:.1f} min of work in all calls together ({parts} min), on "
            f"{_machine()}.{wall}")


def _machine() -> str:
    import os
    import platform

    from tfskin.machine import usable_cores

    used, total = usable_cores(), os.cpu_count() or 1
    cores = f"{used} CPU core(s)" if used == total else f"{used} of the machine's {total} CPU cores"
    return f"{cores}, {platform.machine()}"


def header(exp, title: str, summary: str) -> list:
    from tfskin.reproduce.papers import paper_module

    module = paper_module(exp.paper)
    roles = ", ".join(f"{role}: `{name}`" for role, name in exp.datasets.items())
    return [f"# Reproducing {title}", "", f"{module.TITLE}. {summary}.", "",
            f"Budget **{exp.budget}**; data {roles}. Our figures are marked \"{exp.measured_on}\"; the paper's "
            f"\"published, ISIC\" with the table they come from. On phantoms the numbers test the method, not the "
            f"paper's claim: compare directions and sizes of effects, not absolute values.", ""]


def protocol_statistics(out, payload: dict) -> dict:
    """The comparisons, their family and the failed-to-learn flags from the protocol's summary.json (the
    protocol report's folder, else ``out/protocol``); empty when there is none (e.g. no classifier protocol)."""
    report = payload.get("protocol_report")
    path = (Path(report).parent if report else Path(out) / "protocol") / "summary.json"
    if not path.is_file():
        return {}
    summary = json.loads(path.read_text())
    return {k: summary[k] for k in ("comparisons", "family", "failed_to_learn", "baseline", "per_replicate")
            if k in summary}


def write_paper_report(exp, lines: list, payload: dict) -> dict:
    """report.md and reproduce.json (strict JSON) in the experiment folder; returns the payload. reproduce.json
    also carries the protocol's comparisons (primary family and the paper's secondary ones), so every number in
    the verdict is there with its test, family and Holm p."""
    from tfskin.evaluation.profile import profile_line, profile_summary

    out = Path(exp.out)
    profile = profile_summary(out)
    lines = lines + ["", timing_line(exp), profile_line(profile), ""]
    (out / REPORT_FILE).write_text("\n".join(lines))
    payload = {"paper": exp.paper, "budget": exp.budget, "datasets": exp.datasets, "timing": exp.workflow.timing(),
               "profile": profile,
               **protocol_statistics(out, payload), **payload, "report": str(out / REPORT_FILE)}
    write_json(out / SUMMARY_FILE, payload)
    return payload


def classifier_paper_report(exp, cfg, summary, *, paper: str, metric: str, published_table: str,
                            published_split: str, note: str = "") -> dict:
    """A classifier protocol's result laid out like the paper's table: one row per condition, the published
    figures and ours (in distribution and, if run, out of distribution) side by side."""
    from tfskin.reproduce.papers import paper_module

    module = paper_module(paper)
    table = published(paper).get(published_table)
    splits = summary["splits"]
    measured = exp.measured_on
    ref = cfg["reference"]
    compare = "ood" if "ood" in splits else "test"
    where = ", OOD" if compare == "ood" else ""
    columns = ["Training data", f"AUC (%) published, ISIC ({table.citation if table else 'n/a'})",
               "p published", f"AUC (%) {measured}, in distribution (finite/total repeats)"]
    if "ood" in splits:
        columns.append(f"AUC (%) {measured}, out of distribution (finite/total repeats)")
    columns += [f"difference to the paper's reference {ref} (pp, 95% CI){where}", f"p (t, Holm){where}",
                "train size", "failed to learn"]
    flagged = summary.get("failed_to_learn") or {}
    rows = []
    for cond in cfg["conditions"]:
        name = cond["name"]
        pub = published_row(table, name)
        test = splits["test"][name]
        failed_on = [split for split in splits if name in flagged.get(split, {})]
        row = [name, _published_mean_std(pub), fmt_p(_published_p(pub)), mean_std(test[metric])]
        if "ood" in splits:
            row.append(mean_std(splits["ood"][name][metric]))
        vs = splits[compare][name][metric].get("vs_reference")
        if vs:
            row += [f"{vs['mean_difference'] * 100:+.1f} ({vs['ci_low'] * 100:+.1f}, {vs['ci_high'] * 100:+.1f})"
                    if _finite(vs.get("mean_difference")) else "—", fmt_p(vs.get("t_pvalue_holm"))]
        else:
            row += ["reference", "—"]
        row += [test["train_size"], f"⚠ {', '.join(failed_on)}" if failed_on else ""]
        rows.append(row)
    protocol_dir = Path(summary["report"]).parent
    rel = protocol_dir.relative_to(exp.out).as_posix()
    lines = header(exp, f"{module.TITLE.split(':')[0]} — {module.SUMMARY.split(':')[0]}", module.SUMMARY)
    lines += ["**Verdict (measured).** " + summary["verdict"], ""]
    if note:
        lines += [note, ""]
    lines += [f"## {module.SUMMARY.split(':')[0]}, side by side", ""] + markdown_table(columns, rows) + [""]
    lines += flag_lines(flagged)
    lines += [f"Differences and p-values in this table are the paper's own comparison (secondary; not in the "
              f"verdict): against **{ref}**, the paper's reference, which {_holds(cfg, ref)}; paired by repeat, "
              f"Holm-corrected across the {len(cfg['conditions']) - 1} comparisons. The published p-values are the "
              f"paper's uncorrected paired t-tests.", ""]
    lines += primary_section(cfg, summary, metric)
    lines += replicate_section(summary)
    for split in splits:
        lines += [f"![{metric} per condition, {split}, every repeat]({rel}/{split}_{metric}.png)", ""]
    lines += [f"Full protocol report (per-class figures, galleries of the synthetic images each condition used, "
              f"failures): [{rel}/report.md]({rel}/report.md).", ""]
    lines += ["## Published tables", ""] + published_section(paper)
    payload = {"conditions": {c["name"]: {split: {"mean": splits[split][c["name"]][metric]["mean"],
                                                  "std": splits[split][c["name"]][metric]["std"]}
                                          for split in splits} for c in cfg["conditions"]},
               "metric": metric, "verdict": summary["verdict"], "protocol_report": summary["report"],
               "runs_failed": summary["runs_failed"]}
    return write_paper_report(exp, lines, payload)


def _holds(cfg, name) -> str:
    from tfskin.evaluation.comparisons import arm_kind

    kind = arm_kind(cfg, name)
    return "holds no synthetic data" if kind == "real only" else f"holds synthetic data ({kind})"


def flag_lines(flagged: dict) -> list:
    """One plain line per arm that failed to learn (on any test set)."""
    lines = [f"⚠ `{name}` failed to learn on `{split}`: {reason}; it is left out of the verdict."
             for split, arms in flagged.items() for name, reason in arms.items()]
    return lines + [""] if lines else []


def primary_section(cfg, summary, metric: str, num=None, label: str = None) -> list:
    """The verdict's comparisons (every arm with synthetic data against the baseline, one Holm family) as
    tables per test set, from the protocol summary; empty for a summary without them."""
    from tfskin.evaluation import comparisons as cmp

    if "family" not in summary:
        return []
    family = {**summary["family"], "comparisons": [c for c in summary["comparisons"] if c["family"] == "primary"]}
    num = num or (lambda x, signed=False: "n/a" if not _finite(x) else f"{100 * x:+.1f}" if signed
                  else f"{100 * x:.1f}")
    label = label or "pp " + (metric.upper() if metric == "auc" else metric.replace("_", " "))
    lines = [f"## Primary comparisons: does synthetic data help against {family['baseline']}?", ""]
    for split in family["splits"]:
        lines += [f"{'In distribution' if split == 'test' else 'Out of distribution'}:", ""]
        lines += cmp.primary_table(cfg, family, split, num, label) + [""]
    lines += [cmp.family_sentence(family, num, label), ""]
    return lines


def replicate_section(summary) -> list:
    """The protocol's per-replicate table (each arm's failed-to-learn score per replicate), in percent for AUC;
    empty for a protocol without replicates."""
    from tfskin.evaluation.comparisons import replicate_lines
    from tfskin.evaluation.report import SPLIT_TITLES

    record = summary.get("per_replicate") or {}
    percent = record.get("metric") == "auc"
    return replicate_lines(record, (lambda x: f"{100 * x:.1f}") if percent else (lambda x: f"{x:.3f}"),
                           SPLIT_TITLES, "AUC (%)" if percent else None)


def _published_mean_std(pub: dict) -> str:
    mean = next((v for k, v in pub.items() if "mean" in k.lower() or k.lower().startswith("auc")), None)
    std = next((v for k, v in pub.items() if "std" in k.lower()), None)
    if mean is None:
        return "—"
    return f"{mean}" + (f" ± {std}" if std is not None else "")


def _published_p(pub: dict):
    return next((v for k, v in pub.items() if k.lower().startswith("p")), None)


def load_summary(path) -> dict:
    return json.loads(Path(path).read_text())
