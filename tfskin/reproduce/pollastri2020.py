"""Pollastri et al. 2020: do DCGAN and LAPGAN image+mask pairs help a lesion segmenter?

Steps, per replicate g (``tfskin.reproduce.replicates``): train the 4-channel (RGB + lesion mask) DCGAN and the
LAPGAN on the replicate's real training set S_g only, and a second LAPGAN on the small subset (the first
``small_train_size`` images of S_g) for the subset-size arms, so no arm's GAN saw more real images than the arm
itself. Then the segmentation protocol: real-only training against two-step training (batches drawn fresh from
a GAN first, then real batches, the same number of steps in total), for each GAN, on S_g and on the small
subset (the paper's training-subset-size study), with the paper's ensemble (mean probability of the DCGAN and
LAPGAN segmenters, dual threshold 0.8 / 0.4, the connected component at the lesion centre), scored by mean
Jaccard (the ISIC 2017 score the paper reports) and thresholded Jaccard (ISIC 2018).
"""

from pathlib import Path

from tfskin.reproduce.papers import PHANTOM_OOD, is_phantoms, protocol_data

TITLE = ("Pollastri, Bolelli, Paredes, Grana: Augmenting data with GANs to segment melanoma skin lesions "
         "(Multimedia Tools and Applications 2020)")
SUMMARY = ("Table 2: Jaccard of a CDNN segmenter trained on real data only vs two-step with DCGAN or LAPGAN "
           "image+mask pairs, the training-subset-size study and the dual-threshold ensemble")
REFERENCE = "Original data"
BASELINE = REFERENCE

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
    },
}


def datasets(data: str, ood: str = None) -> dict:
    """Phantoms for everything on phantoms; with real data ISIC 2017 (or ``data``) with lesion masks, and
    PH2 (its masks) as the out-of-distribution test by default."""
    if is_phantoms(data):
        return {"gans": data, "segmenter": data, "ood": ood or PHANTOM_OOD}
    return {"gans": data, "segmenter": data, "ood": ood or "ph2"}


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
    return resolve_config(model, s[f"{key}_preset"], data=data, train=train, model_overrides=overrides)


def gan_configs(exp, rep) -> dict:
    """Replicate ``rep``'s GAN runs: DCGAN and LAPGAN on S_g, LAPGAN on the small subset of S_g."""
    small = exp.settings["small_train_size"]
    return {"dcgan_mask": _gan_config(exp, rep, "dcgan", "dcgan"),
            "lapgan_mask": _gan_config(exp, rep, "lapgan", "lapgan"),
            "lapgan_mask_small": _gan_config(exp, rep, "lapgan", "lapgan", num_examples=small)}


def _sources(exp, rep) -> dict:
    gans = exp.out / "gans"
    return {"dcgan": f"run:{gans / 'dcgan_mask' / rep.tag}", "lapgan": f"run:{gans / 'lapgan_mask' / rep.tag}",
            "lapgan_small": f"run:{gans / 'lapgan_mask_small' / rep.tag}"}


SOURCE_GANS = {"dcgan": "dcgan_mask", "lapgan": "lapgan_mask", "lapgan_small": "lapgan_mask_small"}


def protocol_config(exp) -> dict:
    """Table 2's comparison, the subset-size study and the ensemble as a segmentation protocol."""
    from tfskin.reproduce.replicates import design, plan_replicates, protocol_replicates

    s = exp.settings
    total = s.get("real_only_steps") or s["synthetic_steps"] + s["real_steps"]  # real-only training length
    small = s["small_train_size"]
    conditions = [
        {"name": REFERENCE, "real_steps": total},
        {"name": "DCGAN", "synthetic": "dcgan", "synthetic_steps": s["synthetic_steps"], "real_steps": s["real_steps"]},
        {"name": "LAPGAN", "synthetic": "lapgan", "synthetic_steps": s["synthetic_steps"],
         "real_steps": s["real_steps"]},
        {"name": f"Original data, {small} images", "real_steps": total, "train_size": small},
        {"name": f"LAPGAN, {small} images", "synthetic": "lapgan_small", "synthetic_steps": s["synthetic_steps"],
         "real_steps": s["real_steps"], "train_size": small},
    ]
    data = protocol_data(exp, "segmenter", s["image_size"])
    return {"name": f"pollastri2020_{exp.budget}", "seed": 0, "repeats": s["repeats"], "workers": exp.workers,
            "metric": "jaccard", "reference": REFERENCE, "baseline": BASELINE, "design": design(exp), "data": data,
            "segmenter": dict(s["segmenter"]), "sources": _sources(exp, plan_replicates(exp)[0]),
            "conditions": conditions, "ensemble": [["DCGAN", "LAPGAN"]],
            "replicates": protocol_replicates(exp, lambda rep: _sources(exp, rep))}


def plan(exp) -> dict:
    """What ``run`` will do, resolved and validated without training: GAN run configs and the protocol."""
    from tfskin.evaluation.seg_protocol import load_seg_protocol
    from tfskin.reproduce.replicates import plan_replicates

    gans = {f"{name} ({rep.tag})": config for rep in plan_replicates(exp)
            for name, config in gan_configs(exp, rep).items()}
    return {"gans": gans, "protocol": load_seg_protocol(protocol_config(exp))}


def run(exp) -> dict:
    from tfskin.evaluation.seg_protocol import run_seg_protocol
    from tfskin.reproduce.provenance import add_to_summary, example_ids, record_experiment
    from tfskin.reproduce.replicates import check_train_size, plan_replicates

    wf = exp.workflow
    check_train_size(exp)
    runs, subsets = {}, {}
    for rep in plan_replicates(exp):
        runs[rep.index] = {name: wf.train_gan(name, config, replicate=rep.index)
                           for name, config in gan_configs(exp, rep).items()}
        small = exp.settings["small_train_size"]
        subsets[rep.index] = {"lapgan_mask_small": example_ids(exp.datasets["gans"], rep.train_split,
                                                               rep.data_seed, small)}
    cfg = protocol_config(exp)
    wf.log(f"segmentation protocol: {len(cfg['conditions'])} conditions x {cfg['repeats']} repeats + the ensemble "
           f"({len(cfg['replicates'])} GAN replicates)")
    summary = wf.timed("evaluation", run_seg_protocol, cfg, exp.out / "protocol", workers=exp.workers,
                       stream=wf.stream)
    arms = {c["name"]: [SOURCE_GANS[c["synthetic"]]] if c.get("synthetic") else [] for c in cfg["conditions"]}
    extra = wf.timed("provenance", record_experiment, cfg, exp.out / "protocol", runs, arms, "jaccard",
                     subsets=subsets)
    write_report(exp, cfg, summary)
    return add_to_summary(exp, extra)


def _cell(entry) -> str:
    from tfskin.reproduce.report import mean_std

    return mean_std(entry, scale=1.0, digits=3)


def subset_study(rows: dict, full_size, small: int) -> list:
    """LAPGAN two-step against real-only at each training size, paired by repeat, Holm across the sizes."""
    from tfskin.evaluation.stats import holm, paired_tests

    pairs = [(full_size or "all", REFERENCE, "LAPGAN"),
             (small, f"Original data, {small} images", f"LAPGAN, {small} images")]
    out = []
    for size, real, gan in pairs:
        if real not in rows or gan not in rows:
            continue
        t = paired_tests(rows[gan]["jaccard"]["values"], rows[real]["jaccard"]["values"])
        difference = ("—" if t["n_pairs"] < 2 else
                      f"{t['mean_difference']:+.3f} ({t['ci_low']:+.3f}, {t['ci_high']:+.3f})")
        out.append({"size": size, "real": rows[real]["jaccard"], "gan": rows[gan]["jaccard"], "test": t,
                    "difference": difference, "pairs": t["n_pairs"]})
    for row, p in zip(out, holm([r["test"]["t_pvalue"] for r in out]), strict=True):
        row["p_holm"] = p
    return out


def write_report(exp, cfg, summary) -> dict:
    from tfskin.evaluation.seg_report import ensemble_name
    from tfskin.reproduce.report import (
        fmt_p,
        header,
        markdown_table,
        published,
        published_row,
        published_section,
        write_paper_report,
    )

    s = exp.settings
    splits = summary["splits"]
    small = s["small_train_size"]
    ens = ensemble_name(["DCGAN", "LAPGAN"])
    table2 = published("pollastri2020").get("table2")
    pub = published_row(table2, "CDNN0")
    rel = Path(summary["report"]).parent.relative_to(exp.out).as_posix()
    lines = header(exp, "Pollastri et al. 2020 — Table 2, the subset study and the ensemble", SUMMARY)
    lines += ["**Verdict (measured).** " + summary["verdict"], ""]
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
    test_rows = []
    for name in (REFERENCE, "DCGAN", "LAPGAN", ens, f"Original data, {small} images", f"LAPGAN, {small} images"):
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
    study = subset_study(splits["test"], s["train_size"], small)
    lines += ["## Training-subset-size study, mean Jaccard, in distribution", ""]
    lines += markdown_table(["real training pairs", "Original data", "LAPGAN two-step", "difference (95% CI)",
                             "p (t, Holm over the sizes)", "pairs"],
                            [[r["size"], _cell(r["real"]), _cell(r["gan"]), r["difference"], fmt_p(r["p_holm"]),
                              r["pairs"]] for r in study]) + [""]
    lines += [f"Each size compares LAPGAN two-step with real-only training on the same subsets (paired by repeat). "
              f"The paper's Figs. 8-9 plot this for 500 / 1000 / 1500 images; their values are not in the text. "
              f"Full protocol report: [{rel}/report.md]({rel}/report.md).", ""]
    for split, plot in summary.get("plots", {}).items():
        lines += [f"![mean Jaccard per condition, {split}, every repeat]({rel}/{plot})", ""]
    lines += ["## Published tables", ""] + published_section("pollastri2020")
    payload = {"verdict": summary["verdict"], "protocol_report": summary["report"],
               "subset_study": [{k: r[k] for k in ("size", "test", "p_holm")} for r in study],
               "runs_failed": summary["runs_failed"], "metric": "jaccard",
               "conditions": {n: {sp: {"mean": splits[sp][n]["jaccard"]["mean"], "std": splits[sp][n]["jaccard"]["std"]}
                                  for sp in splits} for n in splits["test"]}}
    return write_paper_report(exp, lines, payload)
