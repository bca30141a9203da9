"""The primary comparisons of an evaluation protocol and the verdict drawn from them.

Primary comparisons: every arm that trains on synthetic data (real + synthetic, or synthetic only) against the
baseline arm (``cfg["baseline"]``; default a condition named "Real", else the paper's reference). They form one
family over every test set: Holm-corrected together, with intervals at the family's Bonferroni level
1 - alpha/m, so an interval that excludes zero always comes with a significant Holm p. The test fits the design
(``cfg["design"]``): the paired t-test for independent replicates, Nadeau and Bengio's corrected resampled t-test
where replicates share training data, the GAN replicate as the unit when classifier repeats are nested in GAN
replicates, and the test-case bootstrap variance added when every replicate uses the same test set. Arms that
failed to learn are flagged and kept out of the verdict (they stay in the family count, as untestable
comparisons do, with p taken as 1).
"""

import zlib

import numpy as np

from tfskin.evaluation.stats import (
    bootstrap_ci,
    describe_test,
    detectable_difference,
    difference_test,
    finite_pairs,
    group_means,
    holm,
    t_interval,
    wilcoxon_pvalue,
)

ALPHA = 0.05
POWER = 0.8
N_BOOT = 2000  # percentile bootstrap draws over replicates
N_CASE_BOOT = 1000  # bootstrap resamples of a fixed test set
FAILED_AUC = 0.55  # mean AUC over replicates at or below this: the classifier did not learn
FAILED_JACCARD = 0.10  # mean Jaccard over replicates below this: the segmenter collapsed
DIRECTIONS = ("higher", "lower")


def seed_of(*parts) -> int:
    """A stable seed from names (the same report twice gives the same bootstrap draws)."""
    return zlib.crc32("/".join(map(str, parts)).encode())


def baseline_of(cfg, names) -> str:
    """The arm primary comparisons are against: ``cfg["baseline"]``, else "Real" if present, else the reference."""
    if cfg.get("baseline"):
        return cfg["baseline"]
    return "Real" if "Real" in names else cfg["reference"]


def design_of(cfg) -> dict:
    """The replicate design with defaults for protocol folders that predate it (same test set in every repeat,
    training overlap not recorded, one unit per repeat)."""
    design = dict(cfg.get("design") or {})
    recorded = bool(design)
    design.setdefault("test_set", "fixed")
    design.setdefault("training_overlap", None)
    design.setdefault("unit", "replicate")
    design["recorded"] = recorded
    return design


def test_train_ratio(design) -> float:
    """n_test / n_train of Nadeau and Bengio's correction; 0 without training overlap (or without its sizes)."""
    overlap = design.get("training_overlap") or {}
    if not overlap.get("n_train") or not overlap.get("n_test"):
        return 0.0
    return float(overlap["n_test"]) / float(overlap["n_train"])


def arm_kind(cfg, name) -> str:
    """'real only', 'real + synthetic' or 'synthetic only' (a segmentation ensemble counts its members)."""
    conds = {c["name"]: c for c in cfg["conditions"]}
    members = next((list(m) for m in cfg.get("ensemble") or () if f"ensemble({'+'.join(m)})" == name), [name])
    real = any(conds[m].get("real", True) for m in members)
    synthetic = any(bool(conds[m].get("synthetic")) or bool(conds[m].get("topup")) for m in members)
    if not synthetic:
        return "real only"
    return "real + synthetic" if real else "synthetic only"


def primary_arms(cfg, names, baseline) -> list:
    """Every arm holding synthetic data, in table order."""
    return [n for n in names if n != baseline and arm_kind(cfg, n) != "real only"]


# --- failed to learn -----------------------------------------------------------------------------------------

def failed_classifier(values, one_class_repeats: int, repeats_with_result: int, label: str = "AUC"):
    """Why a classifier arm failed to learn on a test set, or None: its mean AUC over the finite replicates is
    at or below FAILED_AUC, or it predicted a single class for every test image in at least half of its
    finished replicates (pass ``one_class_repeats`` 0 when the verdict's metric does not threshold, see
    ``thresholds``)."""
    v = np.asarray([x for x in values if x is not None and np.isfinite(x)], np.float64)
    if v.size and v.mean() <= FAILED_AUC:
        return f"mean {label} {v.mean():.3f} over {v.size} repeat(s) is at or below {FAILED_AUC} (chance is 0.5)"
    if repeats_with_result and 2 * one_class_repeats >= repeats_with_result:
        return (f"predicted one class for every test image in {one_class_repeats} of {repeats_with_result} "
                f"repeat(s)")
    return None


def thresholds(metric: str) -> bool:
    """Whether ``metric`` scores the predicted classes (macro-F1, accuracy, ...) rather than the ranking of the
    probabilities (AUC). Only then does predicting one class for every test image decide the score: a classifier
    with a good ranking whose melanoma probabilities all stay below 0.5 (common at a 15% melanoma share) has a
    sound AUC."""
    return metric != "auc"


def failed_segmenter(values, label: str = "mean Jaccard"):
    """Why a segmenter arm collapsed on a test set, or None: mean Jaccard over the finite replicates below
    FAILED_JACCARD."""
    v = np.asarray([x for x in values if x is not None and np.isfinite(x)], np.float64)
    if v.size and v.mean() < FAILED_JACCARD:
        return f"{label} {v.mean():.3f} over {v.size} repeat(s) is below {FAILED_JACCARD} (the segmenter collapsed)"
    return None


# --- per replicate --------------------------------------------------------------------------------------------

#: What the per-replicate table scores and where its failed-to-learn line lies, per kind of protocol.
REPLICATE_LINES = {"auc": ("AUC", FAILED_AUC, "at or below"), "jaccard": ("mean Jaccard", FAILED_JACCARD, "below")}


def _fails(mean, metric) -> bool:
    _, line, side = REPLICATE_LINES[metric]
    return mean <= line if side == "at or below" else mean < line


def per_replicate_means(values, replicates: int) -> list:
    """The mean of each replicate's finite values (repeat r belongs to replicate r % ``replicates``, as in the
    protocol), in replicate order; None for a replicate without one."""
    out = []
    for g in range(replicates):
        v = [x for r, x in enumerate(values) if r % replicates == g and x is not None and np.isfinite(x)]
        out.append(float(np.mean(v)) if v else None)
    return out


def replicate_record(cfg, values_by_split, metric: str) -> dict:
    """{"metric", "replicates", "splits": {split: {arm: per-replicate means}}} of a protocol with two or more
    replicates (``cfg["replicates"]``), else {}; ``values_by_split[split][arm]``: per-repeat values of
    ``metric`` (one of REPLICATE_LINES: the failed-to-learn metric)."""
    replicates = len(cfg.get("replicates") or [])
    if replicates < 2:
        return {}
    return {"metric": metric, "replicates": replicates,
            "splits": {split: {arm: per_replicate_means(v, replicates) for arm, v in arms.items()}
                       for split, arms in values_by_split.items()}}


def replicate_lines(record: dict, num, split_titles: dict, label: str = None) -> list:
    """The per-replicate tables (one per test set) and a sentence for each arm whose replicates fall on both
    sides of the failed-to-learn line, or all below it; [] for an empty record. ``num`` formats a score
    (``label``, e.g. "AUC (%)", names its unit)."""
    if not record:
        return []
    metric, g = record["metric"], record["replicates"]
    default_label, line, side = REPLICATE_LINES[metric]
    label = label or default_label
    lines = ["## Per replicate", "",
             f"Each arm's {label} averaged over the repeats of each replicate (its own real training set, GANs "
             f"and synthetic images); ⚠ marks a replicate {side} the failed-to-learn line ({num(line)}). An arm whose "
             f"replicates disagree learned in some and not in others; where it is a synthetic-only arm and the "
             f"real arm learned in every replicate, that points at the failing replicates' GANs.", ""]
    for split, arms in record["splits"].items():
        notes = []
        lines += [f"{split_titles.get(split, split)}:", "",
                  "| Arm | " + " | ".join(f"r{i}" for i in range(g)) + " |", "|---" * (g + 1) + "|"]
        for arm, means in arms.items():
            cells = ["n/a" if m is None else num(m) + (" ⚠" if _fails(m, metric) else "") for m in means]
            lines.append(f"| {arm} | " + " | ".join(cells) + " |")
            known = [(i, m) for i, m in enumerate(means) if m is not None]
            low = [(i, m) for i, m in known if _fails(m, metric)]
            if low and len(low) == len(known):
                notes.append(f"`{arm}`: every replicate {side} the line.")
            elif low:
                high = [(i, m) for i, m in known if not _fails(m, metric)]
                notes.append(f"`{arm}`: replicate(s) {', '.join(f'r{i} ({num(m)})' for i, m in low)} {side} the "
                             f"line, {', '.join(f'r{i} ({num(m)})' for i, m in high)} above it.")
        lines += [""] + notes + ([""] if notes else [])
    return lines


# --- the family ---------------------------------------------------------------------------------------------

def primary_family(cfg, values, *, metric, arms, baseline, failed=None, groups=None, case_draws=None,
                   alpha: float = ALPHA, arm_baselines=None) -> dict:
    """The primary comparisons of ``metric`` over every split in ``values`` ({split: {arm: [one per repeat]}}).

    ``failed``: {split: {arm: reason}}. ``groups``: the GAN replicate of each repeat (unit gan_replicate).
    ``case_draws(split, arm, repeat_indices)``: that arm's metric on N_CASE_BOOT resamples of the test cases,
    (J, N_CASE_BOOT), or None; given for a fixed test set. ``arm_baselines``: {arm: the real-only arm with the
    same real data} where that is not ``baseline`` (e.g. a smaller real subset). Returns {"comparisons": [...],
    "size", "alpha", "ci_level", "tests", "design", ...}."""
    design = design_of(cfg)
    ratio = test_train_ratio(design)
    failed = failed or {}
    splits = list(values)
    size = len(arms) * len(splits)
    level = 1.0 - alpha / size if size else 1.0 - alpha
    comparisons = []
    for split in splits:
        for arm in arms:
            base = (arm_baselines or {}).get(arm, baseline)
            comparisons.append(_compare(values[split][arm], values[split][base], arm=arm, baseline=base,
                                        split=split, metric=metric, ratio=ratio, level=level,
                                        alpha_each=alpha / max(size, 1), groups=groups, case_draws=case_draws,
                                        failed=failed.get(split, {})))
    testable = [c["p"] if c["status"] == "tested" else float("nan") for c in comparisons]
    for c, p in zip(comparisons, holm(testable, count_untested=True), strict=True):
        c["p_holm"] = p if np.isfinite(p) else None
        if c["status"] == "tested":
            c["status"] = ("unclear" if p >= alpha else DIRECTIONS[0] if c["diff"] > 0 else DIRECTIONS[1])
        c["family"] = "primary"
    case_note = None
    if design["test_set"] == "fixed":
        with_cases = sum(c["test_cases_bootstrapped"] for c in comparisons)
        case_note = (None if not size or with_cases == size else
                     "Not included here: the runs keep no per-case predictions to resample, so intervals and tests "
                     "leave the test-set sampling variance out" if case_draws is None else
                     f"Only {with_cases} of {size} comparison(s) include it: the others lack predictions.npz in "
                     f"some run (or their test labels differ between runs), so their intervals and tests leave "
                     f"the test-set sampling variance out")
    detectable = [c["detectable"] for c in comparisons
                  if c["detectable"] is not None and c["status"] != "failed to learn"]
    return {"comparisons": comparisons, "size": size, "alpha": alpha, "alpha_each": alpha / size if size else alpha,
            "ci_level": level, "metric": metric, "baseline": baseline, "splits": splits, "arms": list(arms),
            "design": design, "test_train_ratio": ratio, "tests": sorted({c["test"] for c in comparisons}),
            "untested": [(c["a"], c["split"]) for c in comparisons if c["status"] == "untested"],
            "failed_to_learn": [(c["a"], c["split"], c["reason"]) for c in comparisons
                                if c["status"] == "failed to learn"],
            "detectable": {"median": float(np.median(detectable)) if detectable else None,
                           "min": min(detectable) if detectable else None,
                           "max": max(detectable) if detectable else None, "power": POWER},
            "case_bootstrap": case_note,
            "bootstrap": {"draws": N_BOOT, "case_resamples": N_CASE_BOOT, "seed": "crc32 of 'split/arm/baseline'"}}


def _compare(a_values, b_values, *, arm, baseline, split, metric, ratio, level, alpha_each, groups, case_draws,
             failed) -> dict:
    a, b, idx = finite_pairs(a_values, b_values)
    d = a - b
    g = [groups[i] for i in idx] if groups is not None else None
    draws = None
    if case_draws is not None and idx.size:
        da, db = case_draws(split, arm, idx), case_draws(split, baseline, idx)
        if da is not None and db is not None:
            draws = da - db
            # a resample without one of the classes leaves the metric undefined: drop that resample everywhere
            draws = draws[:, np.all(np.isfinite(draws), axis=0)]
            draws = draws if draws.shape[1] >= 2 else None
    if g is not None:
        units = group_means(d, g)[1]
        unit_draws = None if draws is None else np.stack([group_means(col, g)[1] for col in draws.T], axis=1)
    else:
        units, unit_draws = d, draws
    extra = float(np.var(unit_draws.mean(axis=0), ddof=1)) if unit_draws is not None and units.size else 0.0
    t = difference_test(units, test_train_ratio=ratio, extra_variance=extra)
    low, high = t_interval(t["mean"], t["se"], t["df"], level)
    boot = bootstrap_ci(d, level, groups=g, case_draws=draws, n_boot=N_BOOT, seed=seed_of(split, arm, baseline))
    reason = failed.get(arm) or (f"the baseline '{baseline}' failed to learn: {failed[baseline]}"
                                 if baseline in failed else None)
    status = "failed to learn" if reason else ("tested" if np.isfinite(t["p"]) else "untested")
    if status == "untested":
        reason = (f"only {units.size} paired unit(s)" if units.size < 2 else
                  "every paired difference is the same, so the test has no variance")
    detectable = detectable_difference(t["se"], t["df"], alpha_each, POWER)
    return {"a": arm, "b": baseline, "split": split, "metric": metric, "diff": t["mean"],
            "ci": [low, high], "ci_level": level, "ci_bootstrap": list(boot), "p": t["p"],
            "wilcoxon_p": wilcoxon_pvalue(units), "test": describe_test(ratio, extra),
            "n_pairs": int(idx.size), "pairs": idx.tolist(), "units": int(units.size),
            "unit": "gan_replicate" if g is not None else "replicate", "se": t["se"], "df": t["df"],
            "detectable": detectable if np.isfinite(detectable) else None, "status": status, "reason": reason,
            "test_cases_bootstrapped": draws is not None}


# --- words ----------------------------------------------------------------------------------------------------

def fmt_p(p) -> str:
    """A p-value as the evaluation reports print it ("n/a" when missing or not finite)."""
    if p is None or not np.isfinite(p):
        return "n/a"
    return f"{p:.2g}" if p >= 1e-3 else f"{p:.1e}"


def describe(c, num, unit_label) -> str:
    return (f"'{c['a']}' ({num(c['diff'], True)} {unit_label}, {100 * c['ci_level']:.3g}% CI {num(c['ci'][0], True)} "
            f"to {num(c['ci'][1], True)}, Holm p = {fmt_p(c['p_holm'])}, {c['units']} {c['unit'].replace('_', ' ')}s)")


SPLIT_WHERE = {"test": "on the in-distribution test set", "ood": "on the out-of-distribution test set"}


def verdict_sentences(cfg, family, num, unit_label) -> list:
    """The verdict from the primary family only, one sentence group per test set."""
    base = family["baseline"]
    if not family["arms"]:
        return [f"No arm holds synthetic data besides the baseline {base!r}, so nothing was compared."]
    out = []
    for split in family["splits"]:
        where = SPLIT_WHERE.get(split, f"on `{split}`").capitalize()
        mine = [c for c in family["comparisons"] if c["split"] == split]
        for kind, higher, lower in (("real + synthetic", "adding synthetic data helped", "adding synthetic data hurt"),
                                    ("synthetic only", "synthetic data alone beat the real data",
                                     "synthetic data alone fell short of the real data")):
            for status, words in (("higher", higher), ("lower", lower)):
                chosen = [c for c in mine if c["status"] == status and arm_kind(cfg, c["a"]) == kind]
                if chosen:
                    out.append(f"{where}, {words} ({base!r} is the baseline): "
                               + "; ".join(describe(c, num, unit_label) for c in chosen) + ".")
        unclear = [c for c in mine if c["status"] == "unclear"]
        if unclear:
            largest = max(unclear, key=lambda c: abs(c["diff"]))
            decided = any(c["status"] in DIRECTIONS for c in mine)
            lead = "the other arm(s) did not differ clearly from" if decided else "no arm differed clearly from"
            out.append(f"{where}, {lead} {base!r}; the largest of these differences is "
                       f"{describe(largest, num, unit_label)}, compatible with no effect.")
    if not any(c["status"] in (*DIRECTIONS, "unclear") for c in family["comparisons"]):
        out.append(f"None of the {family['size']} primary comparison(s) could be judged: each is untested or "
                   f"involves a model that failed to learn, so this run says nothing about synthetic data.")
    flagged = family["failed_to_learn"]
    if flagged:
        out.append("Left out of the verdict because a model failed to learn: "
                   + "; ".join(f"'{a}' on `{s}` ({r})" for a, s, r in flagged) + ".")
    if family["untested"]:
        out.append("Untested (still counted in the family): "
                   + "; ".join(f"'{a}' on `{s}`" for a, s in family["untested"]) + ".")
    units = max((c["units"] for c in family["comparisons"]), default=0)
    if units:
        floor = 2.0 / 2 ** units
        out.append(f"With {units} paired {family['comparisons'][0]['unit'].replace('_', ' ')}s the Wilcoxon test "
                   f"cannot go below p = {floor:.2g}"
                   + (", so it cannot confirm any difference at the 5% level." if floor >= ALPHA else "."))
    out.append(family_sentence(family, num, unit_label))
    return out


def family_sentence(family, num, unit_label) -> str:
    det = family["detectable"]
    power = (f" With the observed spread of the differences the design could detect a difference of "
             f"{num(det['median'])} {unit_label} (median over the family; range {num(det['min'])} to "
             f"{num(det['max'])}) with {int(100 * POWER)}% power at the family's level alpha/m = "
             f"{family['alpha_each']:.2g}." if det["median"] is not None else
             " Too few paired replicates to say how small a difference the design could detect.")
    return (f"A difference counts only when the Holm-corrected p is below {family['alpha']} across the family of "
            f"{family['size']} primary comparison(s) ({len(family['arms'])} arm(s) against {family['baseline']!r} "
            f"x {len(family['splits'])} test set(s), {family['metric']}); intervals are at the family's Bonferroni "
            f"level {100 * family['ci_level']:.3g}%, so one that excludes zero is always significant."
            + power)


def primary_table(cfg, family, split, num, label) -> list:
    """The family's comparisons on one test set, one row each."""
    return [f"| Arm | kind | difference in {label} vs {family['baseline']} | {100 * family['ci_level']:.3g}% CI "
             f"(test) | {100 * family['ci_level']:.3g}% CI (bootstrap) | p | p (Holm, family of {family['size']}) | "
             f"p (Wilcoxon) | test | units | outcome |",
             "|" + " --- |" * 11, *_primary_rows(cfg, family, split, num)]


def _primary_rows(cfg, family, split, num) -> list:
    rows = []
    for c in family["comparisons"]:
        if c["split"] != split:
            continue
        outcome = {"higher": "higher than the baseline", "lower": "lower than the baseline"}.get(c["status"],
                                                                                                c["status"])
        if c["status"] in ("failed to learn", "untested"):
            outcome += f" ({c['reason']})"
        name = c["a"] + (" ⚠ failed to learn" if c["status"] == "failed to learn" else "")
        name += f" (vs {c['b']}, the same real data)" if c["b"] != family["baseline"] else ""
        rows.append(f"| {name} | {arm_kind(cfg, c['a'])} | {num(c['diff'], True)} | {num(c['ci'][0], True)} to "
                    f"{num(c['ci'][1], True)} | {num(c['ci_bootstrap'][0], True)} to "
                    f"{num(c['ci_bootstrap'][1], True)} | {fmt_p(c['p'])} | {fmt_p(c['p_holm'])} | "
                    f"{fmt_p(c['wilcoxon_p'])} | {c['test']} | {c['units']} {c['unit'].replace('_', ' ')}(s) | "
                    f"{outcome} |")
    return rows


def how_lines(family) -> list:
    """The statistics, stated: tests, family, intervals, power formula, failed-to-learn rule."""
    design = family["design"]
    overlap = design.get("training_overlap") if family["test_train_ratio"] > 0 else None
    unknown = bool(design.get("training_overlap")) and not overlap
    lines = [
        f"- Primary comparisons: every arm holding synthetic data against the baseline **{family['baseline']}**, "
        f"on every test set; the family is all {family['size']} of them (the verdict speaks about exactly these). "
        f"Holm's correction runs over the whole family; a comparison that cannot be tested (too few pairs, no "
        f"variance) or whose arm failed to learn stays in the count with p taken as 1.",
        f"- Test: {', '.join(family['tests']) or 'none'}"
        + (f" (Nadeau-Bengio: variance of the mean difference s^2 (1/J + n_test/n_train), n_test/n_train = "
           f"{overlap['n_test']}/{overlap['n_train']}, because replicates share training data)" if overlap else
           " (replicates share training data, but the protocol does not record n_train and n_test, so no "
           "Nadeau-Bengio correction could be applied: the test is anti-conservative)" if unknown else
           " (replicates independent)") + "; Wilcoxon signed-rank beside it."
        + (" The unit is the GAN replicate: classifier repeats nested in a GAN replicate are averaged first; the "
           "bootstrap is nested (GAN replicates, then repeats within each)." if design["unit"] == "gan_replicate"
           else ""),
        f"- Intervals: the test's own t interval at the Bonferroni level 1 - alpha/m = "
        f"{100 * family['ci_level']:.3g}% (it excludes zero only when p < alpha/m, which makes the Holm p < "
        f"alpha), and a percentile bootstrap interval at the same level ({N_BOOT} draws) as a check.",
    ]
    if design["test_set"] == "fixed":
        lines.append(f"- Fixed test set: every replicate uses the same test images, so their sampling variance is "
                     f"estimated by resampling the test cases ({N_CASE_BOOT} resamples, the same for every arm and "
                     f"replicate, the metric recomputed from each run's per-case predictions; a resample that "
                     f"leaves the metric undefined, e.g. without a melanoma, is dropped). It is folded in "
                     f"twice: its variance (of the mean difference over resamples) is added to the test's variance, "
                     f"and the bootstrap draws replicates and test cases together. "
                     + (family["case_bootstrap"] + "." if family["case_bootstrap"] else ""))
    if not design["recorded"]:
        lines.append("- The protocol folder records no design; it is read as one unit per repeat, the same test "
                     "set in every repeat, and no training-overlap correction.")
    lines += [
        f"- Smallest detectable difference: (t_(1-a/2, df) + t_({POWER}, df)) x SE with a = alpha/m, df = units - 1 "
        f"and SE the standard error the test uses (from the observed spread of the differences); "
        f"{int(100 * POWER)}% power.",
        f"- Failed to learn: a classifier arm whose mean AUC over its finite replicates is at or below {FAILED_AUC}, "
        f"or that predicts one class for every test image in at least half of its replicates; a segmenter arm "
        f"whose mean Jaccard is below {FAILED_JACCARD}. Judged per test set; flagged in every table and left out "
        f"of the verdict (a baseline that failed takes every comparison on that test set with it).",
    ]
    return lines


def comparison_records(family) -> list:
    """The comparisons as reproduce.json lists them."""
    keys = ("a", "b", "split", "metric", "diff", "ci", "ci_level", "ci_bootstrap", "p", "p_holm", "wilcoxon_p",
            "test", "family", "status", "reason", "n_pairs", "pairs", "units", "unit", "se", "df", "detectable")
    return [{k: c[k] for k in keys} for c in family["comparisons"]]


def secondary_records(rows_by_split, metric, reference) -> list:
    """The paper's own comparisons (every arm against its reference; Holm per test set) as comparison records."""
    out = []
    for split, rows in rows_by_split.items():
        for name, row in rows.items():
            t = row[metric].get("vs_reference")
            if t is None:
                continue
            out.append({"a": name, "b": reference, "split": split, "metric": metric, "diff": t["mean_difference"],
                        "ci": [t["ci_low"], t["ci_high"]], "ci_level": t["ci_level"], "p": t["t_pvalue"],
                        "p_holm": t.get("t_pvalue_holm"), "wilcoxon_p": t["wilcoxon_pvalue"],
                        "test": "paired t-test", "family": "secondary (the paper's reference; Holm per test set)",
                        "n_pairs": t["n_pairs"], "pairs": t["pairs"]})
    return out
