"""Pollastri et al. 2020: do DCGAN and LAPGAN image+mask pairs help a lesion segmenter?

Steps, per replicate g (``tfskin.reproduce.replicates``): train the 4-channel (RGB + lesion mask) DCGAN and the
LAPGAN on the replicate's real training set S_g only, and a second LAPGAN on the small subset (the first
``small_train_size`` images of S_g) for the subset-size arms, so no arm's GAN saw more real images than the arm
itself. Then the segmentation protocol: real-only training against two-step training (batches drawn fresh from
a GAN first, then real batches, the same number of steps in total), for each GAN, on S_g and on the small
subset (the paper's training-subset-size study), with the paper's ensemble (mean probability of the DCGAN and
LAPGAN segmenters, dual threshold 0.8 / 0.4, the connected component at the lesion centre), scored by mean
Jaccard (the ISIC 2017 score the paper reports) and thresholded Jaccard (ISIC 2018).

The ``paper`` budget runs the whole of Table 2 and sections 5.2-5.3: every CDNN variant (CDNN0-6, one
segmentation protocol each under ``protocol/<variant>/``; CDNN4 real-only, as the paper dropped it), the "Both
GANs" arm (the first phase alternates DCGAN and LAPGAN batches), the subset study at 500 / 1000 / 1500 images
with a DCGAN and a LAPGAN trained on each subset of S_g (CDNN0), and the paper's ensemble: the mean
probability of the six variants it names (all but CDNN4) per arm (``tfskin.reproduce.variant_ensemble``).
"""

from pathlib import Path

from tfskin.reproduce.papers import PHANTOM_OOD, is_phantoms, protocol_data

TITLE = ("Pollastri, Bolelli, Paredes, Grana: Augmenting data with GANs to segment melanoma skin lesions "
         "(Multimedia Tools and Applications 2020)")
SUMMARY = ("Table 2: Jaccard of a CDNN segmenter trained on real data only vs two-step with DCGAN or LAPGAN "
           "image+mask pairs, the training-subset-size study and the dual-threshold ensemble")
REFERENCE = "Original data"
BASELINE = REFERENCE

PAPER_IMAGES = {"train": 1882, "test": 600}  # ISIC 2017 train without 118 non-dermoscopic, test

SETTINGS = {
    "smoke": {
        "image_size": (32, 48), "dcgan_preset": "tiny_mask", "dcgan_steps": 2, "lapgan_preset": "tiny",
        "lapgan_steps": 2, "gan_image_size": None, "train_size": 24, "small_train_size": 8, "test_size": 16,
        "ood_size": 16, "synthetic_steps": 3, "real_steps": 3, "gan_replicates": 2, "repeats": 2,
        "segmenter": {"variant": "cdnn0", "width": 0.125, "batch_size": 4},
    },
    "cpu": {
        "image_size": (48, 64), "dcgan_preset": "quick", "dcgan_steps": 1000, "lapgan_preset": "quick",
        "lapgan_steps": 1000, "gan_image_size": (48, 64), "train_size": 200, "small_train_size": 50,
        "test_size": 200, "ood_size": 200, "synthetic_steps": 80, "real_steps": 80, "gan_replicates": 3,
        "repeats": 9,
        "segmenter": {"variant": "cdnn0", "width": 0.125, "batch_size": 16, "learning_rate": 0.001},
    },
    "paper": {  # 192x256, 1,882 training images, 400 synthetic + 100 real epochs vs 400 real epochs, batch 16
        "image_size": (192, 256), "dcgan_preset": "paper192x256_mask", "dcgan_steps": None,
        "lapgan_preset": "paper192x256_mask", "lapgan_steps": None, "gan_image_size": None, "train_size": None,
        "small_train_size": 500, "test_size": None, "ood_size": None, "synthetic_steps": 47050,
        "real_steps": 11763, "real_only_steps": 47050, "gan_replicates": 10, "repeats": 10,
        "segmenter": {"variant": "cdnn0", "width": 1.0, "batch_size": 16, "learning_rate": 3e-4},
        "variants": ("cdnn0", "cdnn1", "cdnn2", "cdnn3", "cdnn4", "cdnn5", "cdnn6"), "real_only_variants": ("cdnn4",),
        "both_gans": True, "subsets": (500, 1000, 1500), "subset_gans": ("dcgan", "lapgan"),
        "ensemble_variants": ("cdnn0", "cdnn1", "cdnn2", "cdnn3", "cdnn5", "cdnn6"),
    },
}
GAN_ARMS = {"dcgan": "DCGAN", "lapgan": "LAPGAN"}
BOTH_GANS = "Both GANs"
VARIANT_SIZE = {"cdnn3": 0.5, "cdnn4": 2.0}  # Table 1: half and double CDNN0's 192x256


def variants(s) -> tuple:
    """The CDNN variants the budget trains (the first is the primary: the verdict's and the subset study's)."""
    return tuple(s.get("variants") or (s["segmenter"]["variant"],))


def subsets(s) -> tuple:
    return tuple(s.get("subsets") or (s["small_train_size"],))


def subset_gans(s) -> tuple:
    return tuple(s.get("subset_gans") or ("lapgan",))


def subset_names(s, gan: str, n: int) -> tuple:
    """(GAN run name, protocol source name) of ``gan`` trained on the first ``n`` images of S_g."""
    if not s.get("subsets"):  # one small subset (smoke, cpu)
        return f"{gan}_mask_small", f"{gan}_small"
    return f"{gan}_mask_n{n}", f"{gan}_n{n}"


def source_gans(s) -> dict:
    """Each protocol source's GAN runs."""
    out = {"dcgan": ["dcgan_mask"], "lapgan": ["lapgan_mask"]}
    if s.get("both_gans"):
        out["both"] = ["dcgan_mask", "lapgan_mask"]
    for n in subsets(s):
        for gan in subset_gans(s):
            run, source = subset_names(s, gan, n)
            out[source] = [run]
    return out


def variant_image_size(s, variant: str) -> tuple:
    """The variant's input size (Table 1) scaled like the budget's CDNN0 size."""
    scale = VARIANT_SIZE.get(variant, 1.0)
    return tuple(int(round(v * scale / 16)) * 16 for v in s["image_size"])


def protocol_dir(exp, variant: str) -> Path:
    return exp.out / "protocol" if len(variants(exp.settings)) == 1 else exp.out / "protocol" / variant


def datasets(data: str, ood: str = None) -> dict:
    """Phantoms for everything on phantoms; with real data ISIC 2017 (or ``data``) with lesion masks, and
    PH2 (its masks) as the out-of-distribution test by default."""
    if is_phantoms(data):
        return {"gans": data, "segmenter": data, "ood": ood or PHANTOM_OOD}
    return {"gans": data, "segmenter": data, "ood": ood or "ph2"}


#: The DCGAN and the LAPGANs are compared as the paper trains them: the dcgan quick preset's generator EMA
#: (measured better for dcgan, not measured for lapgan) would favour one side of the comparison.
NO_EMA = {"halflife_images": 0}


def _gan_config(exp, rep, model, key, num_examples=None):
    """Replicate ``rep``'s ``model`` run on S_g (or on its first ``num_examples`` images: the small subset)."""
    from tfskin.reproduce.replicates import gan_data
    from tfskin.training import resolve_config

    s = exp.settings
    data = gan_data(rep, exp.datasets["gans"], channels=4)
    if num_examples:
        data["num_examples"] = num_examples
    if s["gan_image_size"]:
        data["image_size"] = tuple(s["gan_image_size"])
    steps = s[f"{key}_steps"]
    train = {"seed": rep.gan_seed}
    if steps:
        every = max(1, steps // 4)
        train.update(steps=steps, checkpoint_every=every, sample_every=every, log_every=max(1, steps // 20))
    overrides = {}
    if model == "dcgan" and s[f"{key}_preset"] == "quick":  # 48x64 needs the dense projection (3x4 start)
        overrides = {"generator_input": "dense", "discriminator_output": "dense"}
    return resolve_config(model, s[f"{key}_preset"], data=data, train=train, model_overrides=overrides, ema=NO_EMA)


def gan_configs(exp, rep) -> dict:
    """Replicate ``rep``'s GAN runs: DCGAN and LAPGAN on S_g, and each subset GAN on the first n images of S_g
    (smoke / cpu: a LAPGAN on the small subset; paper: a DCGAN and a LAPGAN on each of 500 / 1000 / 1500)."""
    s = exp.settings
    out = {"dcgan_mask": _gan_config(exp, rep, "dcgan", "dcgan"),
           "lapgan_mask": _gan_config(exp, rep, "lapgan", "lapgan")}
    for n in subsets(s):
        for gan in subset_gans(s):
            out[subset_names(s, gan, n)[0]] = _gan_config(exp, rep, gan, gan, num_examples=n)
    return out


def _sources(exp, rep) -> dict:
    gans = exp.out / "gans"
    out = {source: f"run:{gans / runs[0] / rep.tag}" for source, runs in source_gans(exp.settings).items()
           if len(runs) == 1}
    if exp.settings.get("both_gans"):
        out["both"] = {"type": "alternate", "path": f"{out['dcgan']}|{out['lapgan']}"}
    return out


SOURCE_GANS = {"dcgan": "dcgan_mask", "lapgan": "lapgan_mask", "lapgan_small": "lapgan_mask_small"}


def _conditions(s, variant: str) -> list:
    """Table 2's arms for ``variant`` (real only for CDNN4, as in the paper), and on the primary variant the
    subset-size study."""
    total = s.get("real_only_steps") or s["synthetic_steps"] + s["real_steps"]  # real-only training length
    two_step = {"synthetic_steps": s["synthetic_steps"], "real_steps": s["real_steps"]}
    conditions = [{"name": REFERENCE, "real_steps": total}]
    if variant not in (s.get("real_only_variants") or ()):
        conditions += [{"name": "DCGAN", "synthetic": "dcgan", **two_step},
                       {"name": "LAPGAN", "synthetic": "lapgan", **two_step}]
        if s.get("both_gans"):
            conditions.append({"name": BOTH_GANS, "synthetic": "both", **two_step})
    if variant == variants(s)[0]:
        for n in subsets(s):
            conditions.append({"name": f"Original data, {n} images", "real_steps": total, "train_size": n})
            conditions += [{"name": f"{GAN_ARMS[gan]}, {n} images", "synthetic": subset_names(s, gan, n)[1],
                            "train_size": n, **two_step} for gan in subset_gans(s)]
    return conditions


def protocol_config(exp, variant: str = None) -> dict:
    """Table 2's comparison for one CDNN variant (default the primary), with the subset-size study and the
    DCGAN+LAPGAN ensemble on the primary, as a segmentation protocol."""
    from tfskin.reproduce.replicates import design, plan_replicates, protocol_replicates

    s = exp.settings
    variant = variant or variants(s)[0]
    conditions = _conditions(s, variant)
    names = {c["name"] for c in conditions}
    data = protocol_data(exp, "segmenter", variant_image_size(s, variant))
    name = f"pollastri2020_{exp.budget}" + ("" if len(variants(s)) == 1 else f"_{variant}")
    return {"name": name, "seed": 0, "repeats": s["repeats"], "workers": exp.workers,
            "metric": "jaccard", "reference": REFERENCE, "baseline": BASELINE, "design": design(exp), "data": data,
            "segmenter": {**s["segmenter"], "variant": variant}, "sources": _sources(exp, plan_replicates(exp)[0]),
            "conditions": conditions, "ensemble": [["DCGAN", "LAPGAN"]] if {"DCGAN", "LAPGAN"} <= names else [],
            "replicates": protocol_replicates(exp, lambda rep: _sources(exp, rep))}


def plan(exp) -> dict:
    """What ``run`` will do, resolved and validated without training: GAN run configs and the protocols (the
    primary variant's as ``protocol``, every variant's under ``protocols``)."""
    from tfskin.evaluation.seg_protocol import load_seg_protocol
    from tfskin.reproduce.replicates import plan_replicates

    gans = {f"{name} ({rep.tag})": config for rep in plan_replicates(exp)
            for name, config in gan_configs(exp, rep).items()}
    protocols = {v: load_seg_protocol(protocol_config(exp, v)) for v in variants(exp.settings)}
    return {"gans": gans, "protocol": protocols[variants(exp.settings)[0]], "protocols": protocols}


def ensemble_arms(exp) -> list:
    """The arms whose cross-variant ensemble is computed: those every ensembled variant ran."""
    s = exp.settings
    chosen = s.get("ensemble_variants") or ()
    if not chosen:
        return []
    names = [[c["name"] for c in _conditions(s, v)] for v in chosen]
    return [n for n in names[0] if all(n in other for other in names) and "images" not in n]


def replicate_parts(exp) -> list:
    """The parts of a replicate's GAN work that can run at the same time: one per GAN of ``gan_configs``, the
    LAPGANs (the longer) first."""
    from tfskin.reproduce.replicates import plan_replicates

    return sorted(gan_configs(exp, plan_replicates(exp)[0]), key=lambda name: not name.startswith("lapgan"))


def replicate_gans(exp, rep, part: str) -> dict:
    """Replicate ``rep``'s GAN ``part`` (a name of ``gan_configs``: the image+mask DCGAN or LAPGAN, or a
    subset-study GAN), trained on S_g or its subset only; returns {GAN: run folder}."""
    configs = gan_configs(exp, rep)
    if part not in configs:
        raise ValueError(f"pollastri2020 has no replicate part {part!r}; parts: {', '.join(configs)}")
    return {part: exp.workflow.train_gan(part, configs[part], replicate=rep.index)}


def run(exp) -> dict:
    from tfskin.evaluation.seg_protocol import run_seg_protocol
    from tfskin.reproduce.parallel import run_replicates
    from tfskin.reproduce.provenance import add_to_summary, example_ids, record_experiment
    from tfskin.reproduce.replicates import check_train_size, plan_replicates
    from tfskin.reproduce.variant_ensemble import FOLDER, run_variant_ensembles

    wf, s = exp.workflow, exp.settings
    check_train_size(exp)
    runs = run_replicates(exp, replicate_gans, plan_replicates(exp), exp.workers, replicate_parts(exp))
    subset_ids = {}
    for rep in plan_replicates(exp):
        subset_ids[rep.index] = {subset_names(s, gan, n)[0]: example_ids(exp.datasets["gans"], rep.train_split,
                                                                          rep.data_seed, n)
                                 for n in subsets(s) for gan in subset_gans(s)}
    gans_of = source_gans(s)
    summaries, cfgs, extras = {}, {}, {}
    for variant in variants(s):
        cfg = cfgs[variant] = protocol_config(exp, variant)
        wf.log(f"segmentation protocol {variant}: {len(cfg['conditions'])} conditions x {cfg['repeats']} repeats "
               f"({len(cfg['replicates'])} GAN replicates)")
        folder = protocol_dir(exp, variant)
        summaries[variant] = wf.timed("evaluation", run_seg_protocol, cfg, folder, workers=exp.workers,
                                      engine=exp.engine, stream=wf.stream)
        arms = {c["name"]: list(gans_of[c["synthetic"]]) if c.get("synthetic") else [] for c in cfg["conditions"]}
        extras[variant] = wf.timed("provenance", record_experiment, cfg, folder, runs, arms, "jaccard",
                                   subsets=subset_ids)
    ensembles = {}
    if s.get("ensemble_variants"):
        members = [(v, cfgs[v], protocol_dir(exp, v)) for v in s["ensemble_variants"]]
        ensembles = wf.timed("evaluation", run_variant_ensembles, members, ensemble_arms(exp), s["repeats"],
                             exp.out / FOLDER)
    primary = variants(s)[0]
    write_report(exp, cfgs[primary], summaries[primary], summaries, ensembles)
    extra = dict(extras[primary])
    if len(variants(s)) > 1:
        extra["values_by_variant"] = {v: e["values"] for v, e in extras.items()}
    return add_to_summary(exp, extra)


def _cell(entry) -> str:
    from tfskin.reproduce.report import mean_std

    return mean_std(entry, scale=1.0, digits=3)


def subset_study(rows: dict, full_size, sizes, gans) -> list:
    """Each subset GAN's two-step arm against real-only at each training size (and on all of S_g), paired by
    repeat, Holm across the sizes and GANs."""
    from tfskin.evaluation.stats import holm, paired_tests

    pairs = [(full_size or "all", gan, REFERENCE, GAN_ARMS[gan]) for gan in gans]
    pairs += [(n, gan, f"Original data, {n} images", f"{GAN_ARMS[gan]}, {n} images") for n in sizes for gan in gans]
    out = []
    for size, gan_key, real, gan in pairs:
        if real not in rows or gan not in rows:
            continue
        t = paired_tests(rows[gan]["jaccard"]["values"], rows[real]["jaccard"]["values"])
        difference = ("—" if t["n_pairs"] < 2 else
                      f"{t['mean_difference']:+.3f} ({t['ci_low']:+.3f}, {t['ci_high']:+.3f})")
        out.append({"size": size, "gan": GAN_ARMS[gan_key], "real": rows[real]["jaccard"],
                    "synthetic": rows[gan]["jaccard"], "test": t, "difference": difference, "pairs": t["n_pairs"]})
    for row, p in zip(out, holm([r["test"]["t_pvalue"] for r in out], count_untested=True), strict=True):
        row["p_holm"] = p
    return out


def table2_lines(exp, summaries: dict) -> list:
    """Table 2 for every variant: the published Jaccard and ours (mean ± std over repeats, in distribution)."""
    from tfskin.reproduce.report import markdown_table, published, published_row

    table2 = published("pollastri2020").get("table2")
    arms = ((REFERENCE, "original_data"), ("DCGAN", "dcgan_augmented"), ("LAPGAN", "lapgan_augmented"),
            (BOTH_GANS, "both_gans_augmented"))
    rows = []
    for variant, summary in summaries.items():
        pub = published_row(table2, variant.upper())
        test = summary["splits"]["test"]
        rows.append([variant.upper()] + [f"{pub[col]:.3f}" if pub.get(col) is not None else "—" for _, col in arms]
                    + [_cell(test[arm]["jaccard"]) if arm in test else "not run" for arm, _ in arms])
    columns = ["network"] + [f"{arm}, published" for arm, _ in arms] + [f"{arm}, {exp.measured_on}" for arm, _ in arms]
    return (["## Table 2, every CDNN variant, mean Jaccard, in distribution", "",
             "Published: one network per cell on the ISIC 2017 test set; ours: mean ± std over repeats. CDNN4 "
             "trains on real data only, as in the paper (dropped for its low score). Each variant's full report: "
             "`protocol/<variant>/report.md`.", ""] + markdown_table(columns, rows) + [""])


def ensemble_lines(exp, ensembles: dict) -> tuple:
    """The cross-variant ensemble per arm against the real-only ensemble (paired by repeat, Holm across arms)."""
    from tfskin.reproduce.report import fmt_p, markdown_table
    from tfskin.reproduce.variant_ensemble import compare_with

    if not ensembles:
        return [], {}
    members = ", ".join(v.upper() for v in exp.settings["ensemble_variants"])
    rows, payload = [], {}
    for split, title in (("test", "in distribution"), ("ood", "out of distribution")):
        if not any(split in by for by in ensembles.values()):
            continue
        compared = compare_with(ensembles, REFERENCE, split)
        payload[split] = compared
        for arm, entry in compared.items():
            t = entry["test"]
            rows.append([title, arm, _cell(entry["summary"]), f"{entry['summary']['n']}/{exp.settings['repeats']}",
                         "reference" if t is None else f"{t['mean_difference']:+.3f} ({t['ci_low']:+.3f}, "
                         f"{t['ci_high']:+.3f})", "—" if t is None else fmt_p(entry.get("p_holm"))])
    lines = ["## The paper's ensemble (section 5.2), mean Jaccard", "",
             f"Per arm, the mean probability of {members} (repeat r of each), dual threshold 0.8 / 0.4, scored at "
             f"{exp.settings['image_size'][0]}x{exp.settings['image_size'][1]}. The paper picked each network's "
             f"best arm (its bold marks, chosen on the test set); we ensemble each arm alike instead, so no choice "
             f"is made on the test set. Differences to the real-only ensemble are paired by repeat (t-test, Holm "
             f"across the arms).", ""]
    lines += markdown_table(["test set", "arm", "mean Jaccard", "repeats", f"difference to {REFERENCE} (95% CI)",
                             "p (t, Holm)"], rows) + [""]
    return lines, payload


def write_report(exp, cfg, summary, summaries: dict = None, ensembles: dict = None) -> dict:
    from tfskin.evaluation.seg_report import ensemble_name
    from tfskin.reproduce.report import (
        fmt_p,
        header,
        markdown_table,
        published,
        published_row,
        published_section,
        replicate_section,
        write_paper_report,
    )

    s = exp.settings
    splits = summary["splits"]
    ens = ensemble_name(["DCGAN", "LAPGAN"])
    table2 = published("pollastri2020").get("table2")
    pub = published_row(table2, "CDNN0")
    rel = Path(summary["report"]).parent.relative_to(exp.out).as_posix()
    lines = header(exp, "Pollastri et al. 2020 — Table 2, the subset study and the ensemble", SUMMARY)
    verdict_of = "" if len(variants(s)) == 1 else f" ({variants(s)[0].upper()}, the paper's baseline network)"
    lines += [f"**Verdict (measured{verdict_of}).** " + summary["verdict"], ""]
    columns = ["CDNN0", "Original data", "DCGAN", "LAPGAN", "ensemble DCGAN+LAPGAN (dual threshold)"]
    rows = [[f"published, ISIC 2017 test ({table2.citation if table2 else 'Table 2'}), Jaccard",
             pub.get("original_data", "—"), pub.get("dcgan_augmented", "—"), pub.get("lapgan_augmented", "—"),
             "not in the text"]]
    for split, title in (("test", "in distribution"), ("ood", "out of distribution")):
        if split not in splits:
            continue
        r = splits[split]
        for score, label in (("jaccard", "mean Jaccard (ISIC 2017 score)"),
                             ("thresholded_jaccard", "thresholded Jaccard (ISIC 2018 score)")):
            rows.append([f"{exp.measured_on}, {title}, {label}", _cell(r[REFERENCE][score]), _cell(r["DCGAN"][score]),
                         _cell(r["LAPGAN"][score]), _cell(r[ens][score])])
    lines += ["## Table 2 (CDNN0 row), side by side", ""] + markdown_table(columns, rows) + [""]
    real_only = s.get("real_only_steps") or s["synthetic_steps"] + s["real_steps"]
    lines += [f"Ours: a {s['segmenter']['width']:g}-width CDNN0 at {s['image_size'][0]}x{s['image_size'][1]}, "
              f"{s['train_size'] or 'all'} real training pairs per repeat, two-step = {s['synthetic_steps']} GAN "
              f"batches then {s['real_steps']} real batches against {real_only} real batches; mean ± std over "
              f"{cfg['repeats']} paired repeats.", ""]
    if summaries and len(summaries) > 1:
        lines += table2_lines(exp, summaries)
    test_rows = []
    for name in [c["name"] for c in cfg["conditions"]] + [ens]:
        if name not in splits["test"]:
            continue
        e = splits["test"][name]["jaccard"]
        vs = e.get("vs_reference")
        test_rows.append([name, _cell(e), f"{len(splits['test'][name]['repeats_with_result'])}/{cfg['repeats']}",
                          "reference" if not vs else f"{vs['mean_difference']:+.3f} ({vs['ci_low']:+.3f}, "
                          f"{vs['ci_high']:+.3f})", "—" if not vs else fmt_p(vs.get("t_pvalue_holm"))])
    lines += ["## Every condition, mean Jaccard, in distribution", ""]
    lines += markdown_table(["Condition", "mean Jaccard", "repeats", f"difference to {REFERENCE} (95% CI)",
                             "p (t, Holm)"], test_rows) + [""]
    study = subset_study(splits["test"], s["train_size"], subsets(s), subset_gans(s))
    lines += ["## Training-subset-size study, mean Jaccard, in distribution", ""]
    lines += markdown_table(["real training pairs", "GAN (trained on those pairs)", "Original data", "GAN two-step",
                             "difference (95% CI)", "p (t, Holm over the sizes and GANs)", "pairs"],
                            [[r["size"], r["gan"], _cell(r["real"]), _cell(r["synthetic"]), r["difference"],
                              fmt_p(r["p_holm"]), r["pairs"]] for r in study]) + [""]
    lines += [f"Each size compares two-step training with a GAN trained on that subset against real-only training "
              f"on the same subset (paired by repeat). The paper's Figs. 8-9 plot this for 500 / 1000 / 1500 "
              f"images; their values are not in the text. Full protocol report: [{rel}/report.md]({rel}/report.md).",
              ""]
    ens_lines, ens_payload = ensemble_lines(exp, ensembles)
    lines += ens_lines
    lines += replicate_section(summary)
    for split, plot in summary.get("plots", {}).items():
        lines += [f"![mean Jaccard per condition, {split}, every repeat]({rel}/{plot})", ""]
    lines += ["## Published tables", ""] + published_section("pollastri2020")
    payload = {"verdict": summary["verdict"], "protocol_report": summary["report"],
               "subset_study": [{k: r[k] for k in ("size", "gan", "test", "p_holm")} for r in study],
               "runs_failed": [f for x in (summaries or {"": summary}).values() for f in x["runs_failed"]],
               "metric": "jaccard",
               "conditions": {n: {sp: {"mean": splits[sp][n]["jaccard"]["mean"], "std": splits[sp][n]["jaccard"]["std"]}
                                  for sp in splits} for n in splits["test"]}}
    if summaries and len(summaries) > 1:
        payload["variants"] = {v: {n: {"mean": x["splits"]["test"][n]["jaccard"]["mean"],
                                       "std": x["splits"]["test"][n]["jaccard"]["std"]}
                                   for n in x["splits"]["test"]} for v, x in summaries.items()}
    if ens_payload:
        payload["variant_ensemble"] = ens_payload
    return write_paper_report(exp, lines, payload)
