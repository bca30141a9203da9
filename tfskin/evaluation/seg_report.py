"""The segmentation protocol's report: a plain-language verdict, then per test set a table of mean +/- std of the
mean Jaccard (ISIC 2017 score), the thresholded Jaccard (ISIC 2018 score) and Dice per condition and ensemble,
with the paired difference to the reference, its 95% confidence interval, paired t and Wilcoxon p-values and
their Holm adjustment across the comparisons; Markdown, a plot with every repeat, CSV and strict JSON.

The verdict speaks only about the primary comparisons (:mod:`tfskin.evaluation.comparisons`): every row holding
synthetic data against the baseline (or against the real-only row with the same real subset size), one Holm
family over both test sets; a collapsed segmenter (mean Jaccard below FAILED_JACCARD) is flagged and left out.
The comparison with the paper's reference stays as a secondary table.

Written from whatever runs finished. A repeat that failed (no result) or gave NaN counts as missing; a row's
mean, standard deviation and difference are over the repeats that both it and the reference completed, so they
describe the same pairs, and the table shows how many repeats completed (k/R), as in
:mod:`tfskin.evaluation.report`.
"""

import csv
from pathlib import Path

import numpy as np

from tfskin.evaluation import comparisons as cmp
from tfskin.evaluation.jsonio import write_json
from tfskin.evaluation.report import SPLIT_TITLES, gan_replicate_groups
from tfskin.evaluation.results import collect_results, failed_runs
from tfskin.evaluation.stats import holm, paired_tests, summarize

SCORES = ("jaccard", "thresholded_jaccard", "dice")  # what the report compares (higher is better)
SCORE_LABELS = {"jaccard": "mean Jaccard (ISIC 2017 score)",
                "thresholded_jaccard": "thresholded Jaccard (ISIC 2018 score)", "dice": "Dice"}
TESTS = ("t_pvalue", "wilcoxon_pvalue")


def _finite(v) -> bool:
    return v is not None and bool(np.isfinite(v))


def _num(x, signed=False) -> str:
    if not _finite(x):
        return "n/a"
    return f"{x:+.3f}" if signed else f"{x:.3f}"


def ensemble_name(members) -> str:
    return f"ensemble({'+'.join(members)})"


def row_names(cfg) -> list:
    """The report's rows: every condition, then every ensemble."""
    return [c["name"] for c in cfg["conditions"]] + [ensemble_name(m) for m in cfg["ensemble"]]


def eval_splits(cfg) -> list:
    """The test sets every run is scored on: 'test', plus 'ood' when configured."""
    return ["test"] + (["ood"] if cfg["data"]["ood_test"] else [])


# --- numbers -----------------------------------------------------------------------------------------------

def _values(results, name, split, score, repeats) -> list:
    by_rep = {r["repeat"]: r for r in results if r["condition"] == name and split in r}
    return [by_rep[i][split].get(score) if i in by_rep else None for i in range(repeats)]


def _score_entry(values, reference_values, is_reference) -> dict:
    """Mean/std over the repeats paired with the reference (all finite repeats for the reference itself)."""
    if is_reference:
        pairs = [i for i, v in enumerate(values) if _finite(v)]
    else:
        pairs = [i for i, (a, b) in enumerate(zip(values, reference_values, strict=True)) if _finite(a) and _finite(b)]
    entry = {**summarize([values[i] for i in pairs]), "values": values, "repeats_used": pairs,
             "repeats_finite": int(sum(_finite(v) for v in values)), "all_finite": summarize(values)}
    if not is_reference:
        entry["vs_reference"] = paired_tests(values, reference_values)
    return entry


def _row(cfg, results, split, name) -> dict:
    repeats, reference = int(cfg["repeats"]), cfg["reference"]
    mine = [r for r in results if r["condition"] == name and r["repeat"] < repeats]
    sizes = [r["train_size"] for r in mine if r.get("train_size") is not None]
    row = {"train_size": int(round(np.mean(sizes))) if sizes else None, "repeats_done": len(mine),
           "repeats_with_result": sorted(r["repeat"] for r in mine if split in r)}
    for score in SCORES:
        row[score] = _score_entry(_values(results, name, split, score, repeats),
                                  _values(results, reference, split, score, repeats), name == reference)
    return row


def summarize_split(cfg, results, split) -> dict:
    """Per-row summaries, paired tests against the reference and Holm-adjusted p-values (across the comparisons
    with the reference, per score and test) for one test set."""
    rows = {name: _row(cfg, results, split, name) for name in row_names(cfg)}
    others = [name for name in rows if name != cfg["reference"]]
    for score in SCORES:
        for test in TESTS:
            adjusted = holm([rows[name][score]["vs_reference"][test] for name in others])
            for name, p in zip(others, adjusted, strict=True):
                rows[name][score]["vs_reference"][f"{test}_holm"] = p
    return rows


# --- words -------------------------------------------------------------------------------------------------

def failed_to_learn(cfg, results, split) -> dict:
    """{row: reason} of the rows whose segmenter collapsed on ``split`` (mean Jaccard below FAILED_JACCARD)."""
    repeats = int(cfg["repeats"])
    flagged = {}
    for name in row_names(cfg):
        reason = cmp.failed_segmenter(_values(results, name, split, "jaccard", repeats), SCORE_LABELS["jaccard"])
        if reason:
            flagged[name] = reason
    return flagged


def _real_size(cfg, name):
    cond = next((c for c in cfg["conditions"] if c["name"] == name), None)
    return None if cond is None else (cond.get("train_size") or cfg["data"].get("train_size"))


def arm_baselines(cfg, arms, baseline) -> dict:
    """{arm: the real-only condition with the arm's own real subset size} where that is not the baseline's, so
    every primary comparison holds the real data equal."""
    out = {}
    for arm in arms:
        size = _real_size(cfg, arm)
        if size is None or size == _real_size(cfg, baseline):
            continue
        same = [c["name"] for c in cfg["conditions"]
                if cmp.arm_kind(cfg, c["name"]) == "real only" and _real_size(cfg, c["name"]) == size]
        if same:
            out[arm] = same[0]
    return out


def primary_family(cfg, results, rows_by_split, failed) -> dict:
    """The verdict's family for the segmentation protocol (comparisons.primary_family on the primary score; the
    run folders keep no per-image scores, so a fixed test set cannot be bootstrapped here)."""
    names = row_names(cfg)
    baseline = cmp.baseline_of(cfg, names)
    arms = cmp.primary_arms(cfg, names, baseline)
    values = {split: {n: rows[n][cfg["metric"]]["values"] for n in names} for split, rows in rows_by_split.items()}
    return cmp.primary_family(cfg, values, metric=cfg["metric"], arms=arms, baseline=baseline, failed=failed,
                              groups=gan_replicate_groups(cfg, results), arm_baselines=arm_baselines(cfg, arms,
                                                                                                    baseline))


def verdict(cfg, family) -> str:
    """One plain-language paragraph from the primary family: which rows holding synthetic data differ from the
    baseline, in which direction, how sure."""
    return " ".join(cmp.verdict_sentences(cfg, family, _num, SCORE_LABELS[cfg["metric"]]))


def _flag(name, flagged) -> str:
    return f"{name} ⚠ failed to learn" if name in flagged else name


def _training_text(cfg, name) -> str:
    for members in cfg["ensemble"]:
        if ensemble_name(members) == name:
            return f"mean of {' + '.join(members)}, dual threshold 0.8/0.4"
    cond = next(c for c in cfg["conditions"] if c["name"] == name)
    parts = []
    if cond["synthetic"]:
        parts.append(f"{cond['synthetic_steps']} synthetic ({cond['synthetic']})")
    if cond["real"]:
        parts.append(f"{cond['real_steps']} real")
    return "steps: " + " then ".join(parts)


def _main_table(cfg, rows, flagged=()) -> list:
    ref, metric = cfg["reference"], cfg["metric"]
    label = SCORE_LABELS[metric]
    lines = [f"| Condition | training | real images | {' | '.join(SCORE_LABELS[s] for s in SCORES)} | repeats | "
             f"difference in {label} vs {ref} | 95% CI | p (paired t) | p (Wilcoxon) |",
             "|" + " --- |" * (len(SCORES) + 8)]
    for name, row in rows.items():
        cells = [f"{_num(row[s]['mean'])} ± {_num(row[s]['std'])}" if row[s]["n"] else "n/a" for s in SCORES]
        if name == ref:
            comparison = ["(reference)", "—", "—", "—"]
        else:
            t = row[metric]["vs_reference"]
            comparison = [_num(t["mean_difference"], True),
                          f"{_num(t['ci_low'], True)} to {_num(t['ci_high'], True)}" if _finite(t["ci_low"]) else "n/a",
                          *(f"{cmp.fmt_p(t[k])} (Holm {cmp.fmt_p(t.get(k + '_holm'))})" for k in TESTS)]
        size = row["train_size"] if row["train_size"] is not None else "—"
        lines.append(f"| {_flag(name, flagged)} | {_training_text(cfg, name)} | {size} | {' | '.join(cells)} | "
                     f"{row[metric]['repeats_finite']}/{cfg['repeats']} | {' | '.join(comparison)} |")
    return lines


def _differences_table(cfg, rows, flagged=()) -> list:
    ref = cfg["reference"]
    lines = [f"| Condition | {' | '.join(f'difference in {SCORE_LABELS[s]} [95% CI], Holm p' for s in SCORES)} |",
             "|" + " --- |" * (len(SCORES) + 1)]
    for name, row in rows.items():
        if name == ref:
            continue
        cells = []
        for score in SCORES:
            t = row[score]["vs_reference"]
            cells.append(f"{_num(t['mean_difference'], True)} [{_num(t['ci_low'], True)}, "
                         f"{_num(t['ci_high'], True)}], {cmp.fmt_p(t.get('t_pvalue_holm'))}")
        lines.append(f"| {_flag(name, flagged)} | {' | '.join(cells)} |")
    return lines


def _missing_lines(cfg, rows_by_split, failures) -> list:
    metric, ref, repeats = cfg["metric"], cfg["reference"], int(cfg["repeats"])
    lines = [f"- `{name}` repeat {rep} failed: {error}" for name, rep, error in failures]
    ensembles = {ensemble_name(m) for m in cfg["ensemble"]}
    for split, rows in rows_by_split.items():
        for name, row in rows.items():
            m = row[metric]
            for i in row["repeats_with_result"]:
                if not _finite(m["values"][i]):
                    lines.append(f"- `{name}` repeat {i}: {SCORE_LABELS[metric]} on `{split}` is NaN (null in "
                                 f"the JSON)")
            if name in ensembles and split == "test":
                absent = [i for i in range(repeats) if i not in row["repeats_with_result"]]
                if absent:
                    lines.append(f"- `{name}`: repeat(s) {', '.join(map(str, absent))} not computed (a member run "
                                 f"has no result)")
            if name != ref and 0 < m["vs_reference"]["n_pairs"] < repeats:
                lines.append(f"- `{name}` on `{split}`: mean, std and difference are over the "
                             f"{m['vs_reference']['n_pairs']} repeats it and `{ref}` both completed (repeats "
                             f"{', '.join(map(str, m['vs_reference']['pairs']))}), not over all {repeats}")
    return lines


def _setup_lines(cfg, finished, total, failures, family) -> list:
    seg, data = cfg["segmenter"], cfg["data"]
    net = (f"CDNN variant `{seg['variant']}`" if seg.get("variant") else f"`{seg['arch']}`")
    ood = data["ood_test"]
    return [
        f"Segmenter {net} (channels {seg['channels']}, loss {seg['loss']}, width {seg['width']}, batch "
        f"{seg['batch_size']}, learning rate {seg['learning_rate']}, augmentation "
        f"{'on' if seg['augment'] else 'off'}), "
        f"images {data['image_size'][0]}x{data['image_size'][1]}. Real data `{data['name']}`: training subsets of "
        f"{data.get('train_size') or 'all'} (unless a condition sets its own) drawn from "
        f"{data.get('train_pool') or 'all'} `{data['train_split']}` pairs with a fixed seed per repeat, the same "
        f"subset for every condition of a repeat and nested across sizes; test `{data['test_split']}` "
        f"({data.get('test_size') or 'all'})"
        + (f", out-of-distribution test `{ood['name']}/{ood['split']}` ({ood.get('size') or 'all'})" if ood else "")
        + ".",
        f"{cfg['repeats']} repeats per condition, paired by repeat (same real subset and segmenter seed). Primary "
        f"comparisons: every row holding synthetic data against **{family['baseline']}** ({family['size']} in the "
        f"family, every test set together); the paper's own comparison against **{cfg['reference']}** is a "
        f"secondary table. Runs finished: {finished}/{total}, failed: {len(failures)}.", ""]


HOW_TO_READ = [
    "## How to read this", "",
    "- Mean ± sample standard deviation over repeats of the per-run scores. The mean Jaccard is the mean of the "
    "per-image Jaccard indices (the ISIC 2017 challenge score); the thresholded Jaccard counts images below 0.65 "
    "as 0 (the ISIC 2018 score); Dice is the mean per-image Dice. Masks are thresholded at 0.5; ensembles use "
    "the dual threshold (0.8, biggest object, 0.4) on the members' mean probability.",
    "- Every repeat of every condition uses the same real training subset and segmenter seed, so the tests are "
    "paired. A repeat that failed or gave NaN is left out of that row's mean and of its pairs with the reference "
    "(the repeats column shows how many completed).",
    "- In the secondary tables (the paper's comparison) the difference is the mean paired difference to the "
    "paper's reference, with a 95% Student-t confidence interval; p-values: the paired t-test and the Wilcoxon "
    "signed-rank test, raw and (marked Holm) Holm-adjusted across the comparisons with that reference, per score "
    "and test set. They do not feed the verdict.",
    "- With R repeats the Wilcoxon signed-rank test cannot go below p = 2/2^R (0.25 for 3 repeats, 0.002 for "
    "10): use 10 repeats before claiming significance.", ""]


def _secondary_heading(cfg) -> str:
    ref = cfg["reference"]
    kind = cmp.arm_kind(cfg, ref)
    holds = "holds no synthetic data" if kind == "real only" else f"holds synthetic data ({kind})"
    return (f"The paper's comparison (secondary, not in the verdict): every row against the paper's reference "
            f"**{ref}**, which {holds}; difference = row - {ref}.")


# --- files -------------------------------------------------------------------------------------------------

def _plot_name(split, metric) -> str:
    return f"{metric}_by_condition.png" if split == "test" else f"{split}_{metric}_by_condition.png"


def _write_csvs(out: Path, cfg, rows_by_split, results):
    stats_keys = ("mean_difference", "ci_low", "ci_high", "t_pvalue", "t_pvalue_holm", "wilcoxon_pvalue",
                  "wilcoxon_pvalue_holm")
    with open(out / "summary.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["split", "condition", "train_size", "score", "repeats_finite", "mean", "std", *stats_keys])
        for split, rows in rows_by_split.items():
            for name, row in rows.items():
                for score in SCORES:
                    t = row[score].get("vs_reference", {})
                    w.writerow([split, name, row["train_size"], score, row[score]["repeats_finite"],
                                row[score]["mean"], row[score]["std"], *(t.get(k, "") for k in stats_keys)])
    names = set(row_names(cfg))
    with open(out / "runs.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["condition", "repeat", "train_size", "split", *SCORES, "share_below_0.7", "seconds"])
        for r in results:
            for split in rows_by_split:
                if r["condition"] in names and split in r:
                    w.writerow([r["condition"], r["repeat"], r.get("train_size"), split,
                                *(r[split].get(s) for s in (*SCORES, "share_below_0.7")),
                                round(r.get("seconds", 0), 1)])


def write_seg_report(cfg, out_dir) -> dict:
    """Write report.md, summary.json (strict JSON), summary.csv, runs.csv and ``<metric>_by_condition.png``
    (``ood_<metric>_by_condition.png`` for the OOD set) from the finished runs; returns the summary."""
    from tfskin.evaluation.plots import conditions_png

    out = Path(out_dir)
    names, repeats, metric = row_names(cfg), int(cfg["repeats"]), cfg["metric"]
    results = [r for r in collect_results(out) if r["condition"] in names and r["repeat"] < repeats]
    failures = [(c, r, e) for c, r, e in failed_runs(out) if c in names and r < repeats]
    condition_names = {c["name"] for c in cfg["conditions"]}
    finished = sum(r["condition"] in condition_names for r in results)
    total = len(condition_names) * repeats
    rows_by_split = {split: summarize_split(cfg, results, split) for split in eval_splits(cfg)}
    flagged = {split: failed_to_learn(cfg, results, split) for split in rows_by_split}
    family = primary_family(cfg, results, rows_by_split, flagged)
    summary = {"name": cfg["name"], "reference": cfg["reference"], "metric": metric,
               "metric_label": SCORE_LABELS[metric], "score_labels": SCORE_LABELS, "repeats": repeats,
               "runs_finished": finished, "runs_total": total, "ensembles": [ensemble_name(m) for m in cfg["ensemble"]],
               "runs_failed": [{"condition": c, "repeat": r, "error": e} for c, r, e in failures],
               "significance": {"test": ", ".join(family["tests"]) + " (Wilcoxon signed-rank alongside)",
                                "alpha": family["alpha"],
                                "correction": f"Holm across the {family['size']} primary comparison(s) (every row "
                                              f"with synthetic data vs {family['baseline']!r}, every test set)",
                                "ci": f"{100 * family['ci_level']:.3g}% (Bonferroni level of the family) t interval "
                                      f"of the test; percentile bootstrap beside it",
                                "secondary": f"paired t-test vs the paper's reference {cfg['reference']!r}, Holm per "
                                             f"score and test set (does not feed the verdict)"},
               "baseline": family["baseline"], "failed_to_learn": flagged,
               "family": {k: v for k, v in family.items() if k != "comparisons"},
               "comparisons": cmp.comparison_records(family) + cmp.secondary_records(rows_by_split, metric,
                                                                                     cfg["reference"]),
               "splits": rows_by_split, "verdict": verdict(cfg, family),
               "per_replicate": cmp.replicate_record(
                   cfg, {split: {n: _values(results, n, split, "jaccard", repeats) for n in names}
                         for split in rows_by_split}, "jaccard")}
    md = [f"# Segmentation protocol: {cfg['name']}", "", "**Verdict.** " + summary["verdict"], ""]
    md += _setup_lines(cfg, finished, total, failures, family)
    missing = _missing_lines(cfg, rows_by_split, failures)
    if missing:
        md += ["Missing or failed repeats (a row's mean and its difference are over the same pairs):", "", *missing, ""]
    if cfg["sources"]:
        md += ["Synthetic sources:", "", *(f"- `{k}`: `{v}`" for k, v in cfg["sources"].items()), ""]
    summary["plots"] = {}
    for split, rows in rows_by_split.items():
        plot = conditions_png({n: r[metric]["values"] for n, r in rows.items()}, out / _plot_name(split, metric),
                              metric=SCORE_LABELS[metric])
        summary["plots"][split] = plot.name
        flags = flagged[split]
        md += [f"## {SPLIT_TITLES[split]}", "",
               f"Primary comparisons ({SCORE_LABELS[metric]}, difference = row - {family['baseline']}):", "",
               *cmp.primary_table(cfg, family, split, _num, SCORE_LABELS[metric]), ""]
        md += [f"⚠ `{n}` failed to learn on `{split}`: {r}; it is left out of the verdict." for n, r in flags.items()]
        md += [""] if flags else []
        md += [_secondary_heading(cfg), "", *_main_table(cfg, rows, flags), ""]
        if len(rows) > 1:
            md += [f"Paired differences vs {cfg['reference']} in every score (Holm-adjusted paired t p):", "",
                   *_differences_table(cfg, rows, flags), ""]
        md += [f"![{SCORE_LABELS[metric]} per condition, every repeat]({plot.name})", ""]
    md += cmp.replicate_lines(summary["per_replicate"], _num, SPLIT_TITLES)
    md += ["## Statistics", "", *cmp.how_lines(family), ""]
    md += HOW_TO_READ
    report_path = out / "report.md"
    report_path.write_text("\n".join(md))
    summary["report"] = str(report_path)
    write_json(out / "summary.json", summary)
    _write_csvs(out, cfg, rows_by_split, results)
    return summary
