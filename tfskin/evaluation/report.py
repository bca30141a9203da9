"""The augmentation protocol's report: a plain-language verdict, mean +/- std per condition, paired differences
with 95% confidence intervals, paired t and Wilcoxon tests against the reference condition with a Holm correction
across the comparisons, per-class precision/recall, laid out like Bissoto et al. 2018, Table 1, and
Fossen-Romsaas et al. 2020, Tables 2-3; Markdown, plots (every repeat drawn), a gallery of the synthetic images
each condition trained on, CSV and strict JSON.
It is written from whatever runs have finished, so a half-finished or partly failed protocol still reports what
it has and says what is missing.

Missing repeats: a repeat that failed (no result) or gave NaN counts as missing for that condition. The mean,
standard deviation and paired difference of a condition are over the repeats that both it and the reference
completed, so the mean and the difference always describe the same pairs; the table shows how many repeats
completed (e.g. 3/5) and the report lists what was left out.

The verdict speaks only about the primary comparisons (:mod:`tfskin.evaluation.comparisons`): every arm holding
synthetic data against the baseline, one Holm family over both test sets, intervals at the family's level, the
test the design calls for, and arms that failed to learn flagged and left out. The comparison with the paper's
reference is kept as a secondary table that does not feed the verdict.
"""

import csv
from pathlib import Path

import numpy as np

from tfskin.evaluation import comparisons as cmp
from tfskin.evaluation.jsonio import write_json
from tfskin.evaluation.results import collect_results, failed_runs, run_dir_of
from tfskin.evaluation.stats import case_resample_weights, holm, paired_tests, summarize

METRICS = ("auc", "balanced_accuracy", "macro_f1", "accuracy")
ALPHA = cmp.ALPHA
PREDICTIONS_FILE = "predictions.npz"
SPLIT_TITLES = {"test": "Test set (in distribution)", "ood": "Out-of-distribution test set"}


def _finite(v) -> bool:
    return v is not None and bool(np.isfinite(v))


def _values(results, condition, split, metric, repeats):
    by_rep = {r["repeat"]: r for r in results if r["condition"] == condition and split in r}
    return [by_rep[i][split].get(metric) if i in by_rep else None for i in range(repeats)]


def summarize_split(cfg, results, split) -> dict:
    """Per-condition summaries, paired tests against the reference and Holm-adjusted p-values for one split."""
    repeats = int(cfg["repeats"])
    reference = cfg["reference"]
    names = [c["name"] for c in cfg["conditions"]]
    rows = {}
    for cond in names:
        entry = {}
        sizes = [r["train_size"] for r in results if r["condition"] == cond]
        entry["train_size"] = int(np.round(np.mean(sizes))) if sizes else None
        entry["repeats_done"] = len(sizes)
        entry["repeats_with_result"] = sorted(r["repeat"] for r in results if r["condition"] == cond and split in r)
        for metric in METRICS:
            vals = _values(results, cond, split, metric, repeats)
            ref = _values(results, reference, split, metric, repeats)
            if cond == reference:
                pairs = [i for i, v in enumerate(vals) if _finite(v)]
            else:
                pairs = [i for i, (a, b) in enumerate(zip(vals, ref, strict=True)) if _finite(a) and _finite(b)]
            entry[metric] = {**summarize([vals[i] for i in pairs]), "values": vals, "repeats_used": pairs,
                             "repeats_finite": int(sum(_finite(v) for v in vals)),
                             "all_finite": summarize(vals)}
            if cond != reference:
                entry[metric]["vs_reference"] = paired_tests(vals, ref)
        per_class = {}
        for r in results:
            if r["condition"] == cond and split in r:
                for name, s in r[split].get("per_class", {}).items():
                    per_class.setdefault(name, {"precision": [], "recall": [], "f1": []})
                    for key in ("precision", "recall", "f1"):
                        per_class[name][key].append(s[key])
        entry["per_class"] = {name: {k: summarize(v)["mean"] for k, v in d.items()} for name, d in per_class.items()}
        rows[cond] = entry
    others = [c for c in names if c != reference]
    for metric in METRICS:  # Holm across the comparisons with the reference, per metric and test
        for test in ("t_pvalue", "wilcoxon_pvalue"):
            adjusted = holm([rows[c][metric]["vs_reference"][test] for c in others])
            for c, p in zip(others, adjusted, strict=True):
                rows[c][metric]["vs_reference"][f"{test}_holm"] = p
    return rows


def _pct(x, signed=False):
    if x is None or not np.isfinite(x):
        return "n/a"
    return f"{100 * x:+.1f}" if signed else f"{100 * x:.1f}"


def _metric_label(metric):
    return metric.upper() if metric == "auc" else metric.replace("_", " ")


def _table(cfg, rows, metric, flagged=()) -> list:
    ref = cfg["reference"]
    lines = [f"| Training data | synthetic data | {_metric_label(metric)} (%) | Training data size | difference vs "
             f"{ref} (pp) | 95% CI (pp) | p (paired t) | p (Wilcoxon) | repeats |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for cond, entry in rows.items():
        m = entry[metric]
        value = f"{_pct(m['mean'])} ± {_pct(m['std'])}" if m["n"] else "n/a"
        if cond == ref:
            diff, ci, pt, pw = "(reference)", "—", "—", "—"
        else:
            t = m["vs_reference"]
            diff = _pct(t["mean_difference"], signed=True) if t["n_pairs"] else "n/a"
            ci = f"{_pct(t['ci_low'], True)} to {_pct(t['ci_high'], True)}" if _finite(t["ci_low"]) else "n/a"
            pt = f"{cmp.fmt_p(t['t_pvalue'])} (Holm {cmp.fmt_p(t.get('t_pvalue_holm'))})"
            pw = f"{cmp.fmt_p(t['wilcoxon_pvalue'])} (Holm {cmp.fmt_p(t.get('wilcoxon_pvalue_holm'))})"
        lines.append(f"| {_flag(cond, flagged)} | {cmp.arm_kind(cfg, cond)} | {value} | "
                     f"{entry['train_size'] or 'n/a'} | {diff} | {ci} | {pt} | {pw} | "
                     f"{m['repeats_finite']}/{cfg['repeats']} |")
    return lines


def _per_class_table(rows, flagged=()) -> list:
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
        lines.append(f"| {_flag(cond, flagged)} | " + " | ".join(cells) + f" | {f1_text} |")
    return lines


def _secondary_heading(cfg, family) -> str:
    ref = cfg["reference"]
    kind = cmp.arm_kind(cfg, ref)
    holds = "holds no synthetic data" if kind == "real only" else f"holds synthetic data ({kind})"
    return (f"The paper's comparison (secondary, not in the verdict): every arm against the paper's reference "
            f"**{ref}**, which {holds}; difference = arm - {ref}, so a negative difference means {ref} scored "
            f"higher" + (f" (for an arm without synthetic data: the arm with synthetic data, {ref}, scored higher)."
                         if kind != "real only" else "."))


def _missing_lines(cfg, rows_by_split, failures) -> list:
    metric = cfg["metric"]
    lines = []
    for cond, rep, error in failures:
        lines.append(f"- `{cond}` repeat {rep} failed: {error}")
    for split, rows in rows_by_split.items():
        for cond, entry in rows.items():
            m = entry[metric]
            nan = [i for i in entry["repeats_with_result"] if not _finite(m["values"][i])]
            for i in nan:
                lines.append(f"- `{cond}` repeat {i}: {_metric_label(metric)} on `{split}` is NaN (null in the JSON)")
            if cond != cfg["reference"] and 0 < m["vs_reference"]["n_pairs"] < int(cfg["repeats"]):
                lines.append(f"- `{cond}` on `{split}`: mean, std and difference are over the "
                             f"{m['vs_reference']['n_pairs']} repeats it and `{cfg['reference']}` both completed "
                             f"(repeats {', '.join(map(str, m['vs_reference']['pairs']))}), not over all "
                             f"{cfg['repeats']}")
    return lines


def _gallery(cfg, results, out: Path) -> list:
    lines = []
    for cond in cfg["conditions"]:
        if not cond["synthetic"] and not cond.get("topup"):
            continue
        mine = sorted((r for r in results if r["condition"] == cond["name"] and r.get("synthetic_gallery")),
                      key=lambda r: r["repeat"])
        if not mine:
            lines += [f"- `{cond['name']}`: no finished run with synthetic images yet", ""]
            continue
        r = mine[0]
        path = (run_dir_of(out, cond["name"], r["repeat"]) / r["synthetic_gallery"]).relative_to(out)
        composition = ", ".join(f"{k}: {v}" for k, v in r["train_composition"].items())
        lines += [f"`{cond['name']}`, repeat {r['repeat']} ({composition}); the first synthetic images it "
                  f"trained on:", "", f"![synthetic images of {cond['name']}]({path.as_posix()})", ""]
    return lines


# --- the primary family --------------------------------------------------------------------------------------

def _predictions(out, condition, repeat, split):
    path = run_dir_of(out, condition, repeat) / split / PREDICTIONS_FILE
    if not path.is_file():
        return None
    with np.load(path) as f:
        return np.asarray(f["labels"]), np.asarray(f["probabilities"])


def _one_class(out, result, split) -> bool:
    """Every test prediction of the run is the same class (from predictions.npz; else from the per-class
    recalls in result.json: one class at recall 1, every other at 0)."""
    pred = _predictions(out, result["condition"], result["repeat"], split)
    if pred is not None:
        return len(pred[1]) > 0 and np.unique(pred[1].argmax(axis=1)).size == 1
    recalls = [c.get("recall") for c in result[split].get("per_class", {}).values() if c.get("support", 1)]
    return len(recalls) > 1 and sorted(recalls) == [0.0] * (len(recalls) - 1) + [1.0]


def failed_to_learn(cfg, results, out, split) -> dict:
    """{arm: reason} of the arms that failed to learn on ``split`` (see comparisons.failed_classifier)."""
    repeats = int(cfg["repeats"])
    count_one_class = cmp.thresholds(cfg.get("metric", "auc"))
    flagged = {}
    for cond in [c["name"] for c in cfg["conditions"]]:
        mine = [r for r in results if r["condition"] == cond and split in r]
        one_class = sum(_one_class(out, r, split) for r in mine) if count_one_class else 0
        reason = cmp.failed_classifier(_values(results, cond, split, "auc", repeats), one_class, len(mine))
        if reason:
            flagged[cond] = reason
    return flagged


def _case_draws(out, metric):
    """case_draws(split, arm, repeats) for comparisons.primary_family: the metric on the same N_CASE_BOOT
    resamples of the test cases for every run, from its predictions.npz; None where a run has no predictions
    or its test labels differ from the other runs' (then the test set is not fixed)."""
    from tfskin.evaluation.resampled_metrics import METRICS, metric_draws

    cache, labels, weights = {}, {}, {}

    def draws(split, arm, repeats):
        if metric not in METRICS:
            return None
        rows = []
        for rep in repeats:
            key = (split, arm, int(rep))
            if key not in cache:
                pred = _predictions(out, arm, int(rep), split)
                y = None if pred is None else pred[0]
                if y is not None and split not in labels:
                    labels[split] = y
                    weights[split] = case_resample_weights(len(y), cmp.N_CASE_BOOT, cmp.seed_of("cases", split))
                same = y is not None and np.array_equal(y, labels[split])
                cache[key] = metric_draws(y, pred[1], weights[split], metric) if same else None
            if cache[key] is None:
                return None
            rows.append(cache[key])
        return np.stack(rows)

    return draws


def gan_replicate_groups(cfg, results):
    """The GAN replicate of each repeat (design unit gan_replicate), else None."""
    if cmp.design_of(cfg)["unit"] != "gan_replicate":
        return None
    of = {r["repeat"]: r.get("gan_replicate") for r in results}
    return [of.get(i) for i in range(int(cfg["repeats"]))]


def primary_family(cfg, results, out, splits, failed) -> dict:
    """The verdict's family for the classifier protocol (comparisons.primary_family on the primary metric)."""
    names = [c["name"] for c in cfg["conditions"]]
    baseline = cmp.baseline_of(cfg, names)
    repeats, metric = int(cfg["repeats"]), cfg["metric"]
    values = {split: {n: _values(results, n, split, metric, repeats) for n in names} for split in splits}
    fixed = cmp.design_of(cfg)["test_set"] == "fixed"
    return cmp.primary_family(cfg, values, metric=metric, arms=cmp.primary_arms(cfg, names, baseline),
                              baseline=baseline, failed=failed, groups=gan_replicate_groups(cfg, results),
                              case_draws=_case_draws(out, metric) if fixed else None)


def _flag(name, flagged) -> str:
    return f"{name} ⚠ failed to learn" if name in flagged else name


def _flag_lines(flagged, split) -> list:
    return [f"⚠ `{name}` failed to learn on `{split}`: {reason}; it is left out of the verdict."
            for name, reason in flagged.items()]


def write_report(cfg, out_dir) -> dict:
    """Write report.md, summary.json, summary.csv, runs.csv and plots from the finished runs."""
    from tfskin.evaluation.plots import conditions_png

    out = Path(out_dir)
    results = collect_results(out)
    failures = failed_runs(out)
    metric = cfg["metric"]
    splits = ["test"] + (["ood"] if cfg["data"].get("ood_test") else [])
    summary = {"name": cfg["name"], "reference": cfg["reference"], "metric": metric, "repeats": cfg["repeats"],
               "runs_finished": len(results), "runs_total": len(cfg["conditions"]) * int(cfg["repeats"]),
               "runs_failed": [{"condition": c, "repeat": r, "error": e} for c, r, e in failures],
               "splits": {}}
    rows_by_split = {split: summarize_split(cfg, results, split) for split in splits}
    summary["splits"] = rows_by_split
    flagged = {split: failed_to_learn(cfg, results, out, split) for split in splits}
    family = primary_family(cfg, results, out, splits, flagged)
    summary["baseline"] = family["baseline"]
    summary["failed_to_learn"] = flagged
    summary["family"] = {k: v for k, v in family.items() if k != "comparisons"}
    summary["comparisons"] = cmp.comparison_records(family) + cmp.secondary_records(rows_by_split, metric,
                                                                                      cfg["reference"])
    summary["significance"] = {"test": ", ".join(family["tests"]) + " (Wilcoxon signed-rank alongside)",
                               "alpha": ALPHA, "correction": f"Holm across the {family['size']} primary "
                               f"comparison(s) (every arm with synthetic data vs {family['baseline']!r}, every "
                               f"test set)", "ci": f"{100 * family['ci_level']:.3g}% (Bonferroni level of the "
                               f"family) t interval of the test; percentile bootstrap beside it",
                               "secondary": f"paired t-test vs the paper's reference {cfg['reference']!r}, Holm per "
                                            f"metric and test set (does not feed the verdict)"}
    summary["verdict"] = " ".join(cmp.verdict_sentences(cfg, family, _pct, "pp " + _metric_label(metric)))
    names = [c["name"] for c in cfg["conditions"]]
    summary["per_replicate"] = cmp.replicate_record(
        cfg, {split: {n: _values(results, n, split, "auc", int(cfg["repeats"])) for n in names} for split in splits},
        "auc")
    clf = cfg["classifier"]
    data = cfg["data"]
    md = [f"# Augmentation protocol: {cfg['name']}", "", "**Verdict.** " + summary["verdict"], ""]
    md += [f"Task **{clf['task']}**, classifier `{clf['backbone']}` ({clf['epochs']} epochs, one-cycle "
           f"{'on' if clf['one_cycle'] else 'off'}, class weights {clf['class_weight']}, test-time augmentation "
           f"{clf['tta']} replicas), images {data['image_size'][0]}x{data['image_size'][1]}. Real data "
           f"`{data['name']}`: training subsets of {data.get('train_size') or 'all'} drawn from "
           f"{data.get('train_pool') or 'all'} `{data['train_split']}` examples with a fixed seed per repeat (the "
           f"same subset for every condition); test `{data['test_split']}` ({data.get('test_size') or 'all'})"
           + (f", out-of-distribution test `{data['ood_test'].get('name', data['name'])}/"
              f"{data['ood_test'].get('split', 'test')}`" if data.get("ood_test") else "") + ".",
           f"{cfg['repeats']} repeats per condition, paired by repeat. Primary comparisons: every arm holding "
           f"synthetic data against **{family['baseline']}** ({family['size']} in the family, both test sets "
           f"together); the paper's own comparison against **{cfg['reference']}** is a secondary table (runs "
           f"finished: {len(results)}/{summary['runs_total']}, failed: {len(failures)}).", ""]
    missing = _missing_lines(cfg, rows_by_split, failures)
    if missing:
        md += ["Missing or failed repeats (a condition's mean and its difference are over the same pairs):", ""]
        md += missing + [""]
    if cfg.get("sources"):
        md += ["Synthetic sources:", ""] + [f"- `{k}`: `{v}`" for k, v in cfg["sources"].items()] + [""]
    label = "pp " + _metric_label(metric)
    for split in splits:
        rows, flags = rows_by_split[split], flagged[split]
        md += [f"## {SPLIT_TITLES[split]}", ""]
        md += [f"Primary comparisons ({_metric_label(metric)}, difference = arm - {family['baseline']}, in pp):", ""]
        md += cmp.primary_table(cfg, family, split, _pct, label) + [""]
        md += _flag_lines(flags, split) + ([""] if flags else [])
        md += [_secondary_heading(cfg, family), ""] + _table(cfg, rows, metric, flags) + [""]
        if metric != "balanced_accuracy":
            md += ["Balanced accuracy (against the paper's reference as well):", ""]
            md += _table(cfg, rows, "balanced_accuracy", flags) + [""]
        md += ["Per-class precision/recall (mean over repeats):", ""] + _per_class_table(rows, flags) + [""]
        plot = conditions_png({c: e[metric]["values"] for c, e in rows.items()}, out / f"{split}_{metric}.png",
                              metric=_metric_label(metric))
        md += [f"![{metric} per condition, every repeat]({plot.name})", ""]
    md += cmp.replicate_lines(summary["per_replicate"], _pct, SPLIT_TITLES, "AUC (%)")
    gallery = _gallery(cfg, results, out)
    if gallery:
        md += ["## Synthetic images each condition used", ""] + gallery
    md += ["## Statistics", "", *cmp.how_lines(family), ""]
    md += ["## How to read this", "",
           "- Mean ± sample standard deviation over repeats; every repeat of every condition uses the same real "
           "training subset and classifier seed, so the tests are paired. A repeat that failed or gave NaN is left "
           "out of that condition's mean and of its pairs with the reference (the repeats column shows how many "
           "completed).",
           "- In the secondary tables (the paper's comparison) the difference is the mean paired difference to the "
           "paper's reference in percentage points, with a 95% Student-t confidence interval; p-values: the paired "
           "t-test and the Wilcoxon signed-rank test, raw and (marked Holm) Holm-adjusted across the comparisons "
           "with that reference. They do not feed the verdict.",
           "- With R repeats the Wilcoxon signed-rank test cannot go below p = 2/2^R (0.25 for 3 repeats, "
           "0.002 for 10): use 10 repeats (the papers' setting) before claiming significance.",
           "- Macro F1, balanced accuracy and macro AUC average over the classes present in the test labels.",
           "- A gain on the in-distribution test set alone is weak evidence; check the out-of-distribution set "
           "where one is configured.", ""]
    report_path = out / "report.md"
    report_path.write_text("\n".join(md))
    summary["report"] = str(report_path)
    write_json(out / "summary.json", summary)
    with open(out / "summary.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["split", "condition", "train_size", "repeats_finite", "metric", "mean", "std", "mean_difference",
                    "ci_low", "ci_high", "t_pvalue", "t_pvalue_holm", "wilcoxon_pvalue", "wilcoxon_pvalue_holm"])
        for split, rows in summary["splits"].items():
            for cond, entry in rows.items():
                for m in METRICS:
                    t = entry[m].get("vs_reference", {})
                    w.writerow([split, cond, entry["train_size"], entry[m]["repeats_finite"], m, entry[m]["mean"],
                                entry[m]["std"], *(t.get(k, "") for k in (
                                    "mean_difference", "ci_low", "ci_high", "t_pvalue", "t_pvalue_holm",
                                    "wilcoxon_pvalue", "wilcoxon_pvalue_holm"))])
    with open(out / "runs.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["condition", "repeat", "train_size", "split", *METRICS, "seconds"])
        for r in results:
            for split in splits:
                if split in r:
                    w.writerow([r["condition"], r["repeat"], r["train_size"], split,
                                *[r[split].get(m) for m in METRICS], round(r.get("seconds", 0), 1)])
    return summary
