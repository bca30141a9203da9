"""The augmentation protocol's report: mean +/- std per condition, paired tests against the reference
condition, per-class precision/recall, laid out like 000 Table 1 and 003 Tables 2-3; Markdown + plots + CSV +
JSON, written from whatever runs have finished (so a half-finished protocol still reports what it has)."""

import csv
import json
from pathlib import Path

import numpy as np

from tfskin.evaluation.stats import paired_tests, summarize

METRICS = ("auc", "balanced_accuracy", "macro_f1", "accuracy")


def _values(results, condition, split, metric, repeats):
    by_rep = {r["repeat"]: r for r in results if r["condition"] == condition and split in r}
    return [by_rep[i][split].get(metric) if i in by_rep else None for i in range(repeats)]


def summarize_split(cfg, results, split) -> dict:
    """Per-condition summaries and paired tests against the reference for one test split."""
    repeats = int(cfg["repeats"])
    reference = cfg["reference"]
    rows = {}
    for cond in (c["name"] for c in cfg["conditions"]):
        entry = {}
        sizes = [r["train_size"] for r in results if r["condition"] == cond]
        entry["train_size"] = int(np.round(np.mean(sizes))) if sizes else None
        entry["repeats_done"] = len(sizes)
        for metric in METRICS:
            vals = _values(results, cond, split, metric, repeats)
            entry[metric] = {**summarize(vals), "values": vals}
            if cond != reference:
                ref = _values(results, reference, split, metric, repeats)
                pairs = [(a, b) for a, b in zip(vals, ref, strict=True) if a is not None and b is not None]
                entry[metric]["vs_reference"] = paired_tests([a for a, _ in pairs], [b for _, b in pairs])
        per_class = {}
        for r in results:
            if r["condition"] == cond and split in r:
                for name, s in r[split]["per_class"].items():
                    per_class.setdefault(name, {"precision": [], "recall": [], "f1": []})
                    for key in ("precision", "recall", "f1"):
                        per_class[name][key].append(s[key])
        entry["per_class"] = {name: {k: float(np.mean(v)) for k, v in d.items()} for name, d in per_class.items()}
        rows[cond] = entry
    return rows


def _fmt_p(p):
    if p is None or not np.isfinite(p):
        return "n/a"
    return f"{p:.2g}" if p >= 1e-3 else f"{p:.1e}"


def _table(cfg, rows, metric) -> list:
    ref = cfg["reference"]
    label = metric.upper() if metric == "auc" else metric.replace("_", " ")
    lines = [f"| Training data | {label} (%) | Training data size | difference vs {ref} (pp) | p (paired t) | "
             f"p (Wilcoxon) | repeats |", "| --- | --- | --- | --- | --- | --- | --- |"]
    for cond, entry in rows.items():
        m = entry[metric]
        value = f"{100 * m['mean']:.1f} ± {100 * m['std']:.1f}" if m["n"] else "n/a"
        if cond == ref:
            diff, pt, pw = "(reference)", "—", "—"
        else:
            t = m.get("vs_reference", {})
            diff = f"{100 * t['mean_difference']:+.1f}" if t.get("n_pairs") else "n/a"
            pt, pw = _fmt_p(t.get("t_pvalue")), _fmt_p(t.get("wilcoxon_pvalue"))
        lines.append(f"| {cond} | {value} | {entry['train_size'] or 'n/a'} | {diff} | {pt} | {pw} | "
                     f"{entry['repeats_done']}/{cfg['repeats']} |")
    return lines


def _per_class_table(rows) -> list:
    names = []
    for entry in rows.values():
        names += [n for n in entry["per_class"] if n not in names]
    if not names:
        return []
    lines = ["| Training data | " + " | ".join(f"{n} prec/rec" for n in names) + " | macro F1 |",
             "| --- |" + " --- |" * (len(names) + 1)]
    for cond, entry in rows.items():
        cells = [f"{entry['per_class'][n]['precision']:.3f}/{entry['per_class'][n]['recall']:.3f}"
                 if n in entry["per_class"] else "n/a" for n in names]
        f1 = entry["macro_f1"]
        f1_text = f"{f1['mean']:.3f}" if f1["n"] else "n/a"
        lines.append(f"| {cond} | " + " | ".join(cells) + f" | {f1_text} |")
    return lines


def write_report(cfg, out_dir) -> dict:
    """Write report.md, summary.json, summary.csv, runs.csv and plots from the finished runs."""
    from tfskin.evaluation.plots import conditions_png
    from tfskin.evaluation.protocol import collect_results

    out = Path(out_dir)
    results = collect_results(out)
    metric = cfg["metric"]
    splits = ["test"] + (["ood"] if cfg["data"].get("ood_test") else [])
    summary = {"name": cfg["name"], "reference": cfg["reference"], "metric": metric, "repeats": cfg["repeats"],
               "runs_finished": len(results), "runs_total": len(cfg["conditions"]) * int(cfg["repeats"]),
               "splits": {}}
    md = [f"# Augmentation protocol: {cfg['name']}", ""]
    clf = cfg["classifier"]
    data = cfg["data"]
    md += [f"Task **{clf['task']}**, classifier `{clf['backbone']}` ({clf['epochs']} epochs, one-cycle "
           f"{'on' if clf['one_cycle'] else 'off'}, class weights {clf['class_weight']}, test-time augmentation "
           f"{clf['tta']} replicas), images {data['image_size'][0]}x{data['image_size'][1]}. Real data "
           f"`{data['name']}`: training subsets of {data.get('train_size') or 'all'} drawn from "
           f"{data.get('train_pool') or 'all'} `{data['train_split']}` examples with a fixed seed per repeat (the "
           f"same subset for every condition); test `{data['test_split']}` ({data.get('test_size') or 'all'})"
           + (f", out-of-distribution test `{data['ood_test'].get('name', data['name'])}/"
              f"{data['ood_test'].get('split', 'test')}`" if data.get("ood_test") else "") + ".",
           f"{cfg['repeats']} repeats per condition, paired tests against **{cfg['reference']}** over repeats "
           f"(runs finished: {len(results)}/{summary['runs_total']}).", ""]
    if cfg.get("sources"):
        md += ["Synthetic sources:", ""] + [f"- `{k}`: `{v}`" for k, v in cfg["sources"].items()] + [""]
    for split in splits:
        rows = summarize_split(cfg, results, split)
        summary["splits"][split] = rows
        title = "Test set" if split == "test" else "Out-of-distribution test set"
        md += [f"## {title}", ""] + _table(cfg, rows, metric) + [""]
        if metric != "balanced_accuracy":
            md += ["Balanced accuracy:", ""] + _table(cfg, rows, "balanced_accuracy") + [""]
        md += ["Per-class precision/recall (mean over repeats):", ""] + _per_class_table(rows) + [""]
        plot = conditions_png({c: [v for v in e[metric]["values"] if v is not None] for c, e in rows.items()},
                              out / f"{split}_{metric}.png", metric=metric.upper())
        md += [f"![{metric} per condition]({plot.name})", ""]
    md += ["## How to read this", "",
           "- Mean ± sample standard deviation over repeats; every repeat of every condition uses the same real "
           "training subset and classifier seed, so the tests are paired.",
           "- With R repeats the Wilcoxon signed-rank test cannot go below p = 2/2^R (0.25 for 3 repeats): use "
           "10 repeats (the papers' setting) before claiming significance.",
           "- A gain on the in-distribution test set alone is weak evidence; check the out-of-distribution set "
           "where one is configured.", ""]
    report_path = out / "report.md"
    report_path.write_text("\n".join(md))
    summary["report"] = str(report_path)
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=float))
    with open(out / "summary.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["split", "condition", "train_size", "repeats", "metric", "mean", "std", "t_pvalue",
                    "wilcoxon_pvalue", "mean_difference"])
        for split, rows in summary["splits"].items():
            for cond, entry in rows.items():
                for m in METRICS:
                    t = entry[m].get("vs_reference", {})
                    w.writerow([split, cond, entry["train_size"], entry["repeats_done"], m, entry[m]["mean"],
                                entry[m]["std"], t.get("t_pvalue", ""), t.get("wilcoxon_pvalue", ""),
                                t.get("mean_difference", "")])
    with open(out / "runs.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["condition", "repeat", "train_size", "split", *METRICS, "seconds"])
        for r in results:
            for split in splits:
                if split in r:
                    w.writerow([r["condition"], r["repeat"], r["train_size"], split,
                                *[r[split].get(m) for m in METRICS], round(r.get("seconds", 0), 1)])
    return summary
