"""Fossen-Romsaas et al. 2020, Tables 2-3: do ACGAN images, ACGAN images refined by per-class CycleGANs, and
nevi translated to melanomas by a CycleGAN trained behind the Path-Rank-Filter help an 8-class classifier?

Steps, per replicate g (``tfskin.reproduce.replicates``), everything on the replicate's real training set S_g
only: train the ACGAN (8 ISIC 2019 classes); train one CycleGAN per class that refines the ACGAN's class-c
samples towards S_g's class-c images (experiment 1) and write the refined samples; train a classifier on S_g
(the filter's ranker), then the NV -> MEL CycleGAN on the alpha fraction of S_g's melanomas it is most confident
about (experiment 2, the Path-Rank-Filter) and translate S_g's nevi to melanomas. Then the classifier protocol
(real, real + ACGAN, real + ACGAN->CycleGAN, real + NV->MEL; every arm's real images are exactly S_g) with
per-class precision, recall and F1, and paired tests per class against real-only training.
"""

from pathlib import Path

import numpy as np

from tfskin.reproduce.papers import PHANTOM_OOD, is_phantoms, protocol_data

TITLE = ("Fossen-Romsaas, Storm-Johannessen, Lundervold: Synthesizing skin lesion images using CycleGANs - a case "
         "study (NIK 2020)")
SUMMARY = ("Tables 2-3: per-class precision/recall of an 8-class classifier trained on real, real + ACGAN, real + "
           "ACGAN->CycleGAN and real + NV->MEL CycleGAN (Path-Rank-Filter) images")
REFERENCE = "Real"
BASELINE = "Real"
CLASSES = ("MEL", "NV", "BCC", "AK", "BKL", "DF", "VASC", "SCC")

PAPER_IMAGES = {"train": 20264, "test": 2534}  # Table 1

SETTINGS = {
    "smoke": {
        "gan_image_size": 32, "acgan_preset": "tiny", "acgan_steps": 2, "cyclegan_preset": "tiny",
        "cyclegan_steps": 2, "pipeline_classes": ("MEL", "NV"), "samples_per_class": 8, "nv_to_mel_steps": 2,
        "alphas": (0.5,), "translated": 16, "image_size": 32, "train_size": 48, "test_size": 32, "ood_size": 32,
        "synthetic_share": "0.5x", "gan_replicates": 2, "repeats": 2, "selection_epochs": 1,
        "classifier": {"backbone": "small_cnn", "width": 4, "epochs": 1, "batch_size": 8, "tta": 1},
    },
    "cpu": {
        "gan_image_size": 32, "acgan_preset": "quick", "acgan_steps": 800, "cyclegan_preset": "quick",
        "cyclegan_steps": 80, "pipeline_classes": CLASSES, "samples_per_class": 60, "nv_to_mel_steps": 300,
        "alphas": (0.5,), "translated": 200, "image_size": 32, "train_size": 400, "test_size": 300, "ood_size": 300,
        "synthetic_share": "0.5x", "gan_replicates": 3, "repeats": 9, "selection_epochs": 8,
        "classifier": {"backbone": "small_cnn", "width": 16, "epochs": 8, "batch_size": 32, "learning_rate": 0.01,
                       "tta": 3},
    },
    # paper: ACGAN 128x128, CycleGANs 256x256, ResNet-50 with a one-cycle schedule on the paper's ISIC 2019 split;
    # Table 3's alpha sweep (one NV -> MEL CycleGAN per alpha), 4,000 translated melanomas added (Table 3's row)
    "paper": {
        "gan_image_size": None, "acgan_preset": "paper128", "acgan_steps": None, "cyclegan_preset": "paper256",
        "cyclegan_steps": None, "pipeline_classes": CLASSES, "samples_per_class": 1000, "nv_to_mel_steps": None,
        "alphas": (1 / 8, 1 / 4, 1 / 2, 1.0), "translated": 4000, "nv_to_mel_n": 4000, "image_size": 224,
        "train_size": None, "test_size": None,
        "ood_size": None, "synthetic_share": "0.25x", "gan_replicates": 10, "repeats": 10, "selection_epochs": 15,
        "classifier": {"backbone": "resnet50", "weights": "imagenet", "epochs": 15, "batch_size": 32,
                       "learning_rate": 1e-3, "tta": 10},
    },
}


def splits(data: str) -> dict:
    """ISIC 2019: the paper's own split of its training images (Table 1: 20,264 / 2,533 / 2,534, seeded and
    stratified by diagnosis; ``tfskin.data.paper_splits``), train for S_g and test for the test set; the
    validation part is left unused (every GAN trains on S_g only)."""
    from tfskin.data.paper_splits import paper_split_name

    if data.partition(":")[0] != "isic2019":
        return {}
    return {"train": paper_split_name("fossen2020", "train"), "test": paper_split_name("fossen2020", "test")}


def datasets(data: str, ood: str = None) -> dict:
    """Phantoms for everything on phantoms; with real data ISIC 2019 (the paper's) or ``data``, derm7pt as OOD."""
    if is_phantoms(data):
        return {"gans": data, "classifier": data, "ood": ood or PHANTOM_OOD}
    return {"gans": data, "classifier": data, "ood": ood or "derm7pt"}


def _train_settings(steps, seed: int = 0):
    if not steps:
        return {"seed": seed}
    every = max(1, steps // 4)
    return {"steps": steps, "seed": seed, "checkpoint_every": every, "sample_every": every,
            "log_every": max(1, steps // 20)}


def _data(exp, rep):
    from tfskin.reproduce.replicates import gan_data

    s = exp.settings
    data = gan_data(rep, exp.datasets["gans"])
    if s["gan_image_size"]:
        data["image_size"] = (s["gan_image_size"], s["gan_image_size"])
    return data


def write_pipeline_samples(pipeline_dir, out_dir, classes, per_class: int) -> dict:
    """``per_class`` refined samples of each class as ``out_dir/<CLASS>/*.png``; returns counts."""
    from tfskin.imaging import save_png, to_uint8
    from tfskin.pipelines.acgan_cyclegan import AcganCycleganPipeline

    pipeline = AcganCycleganPipeline(pipeline_dir)
    counts = {}
    for k, name in enumerate(classes):
        images = pipeline.sample(per_class, name, seed=1000 + k)["image"]
        folder = Path(out_dir) / name
        folder.mkdir(parents=True, exist_ok=True)
        for i, image in enumerate(to_uint8(images)):
            save_png(image, folder / f"refined_{i:05d}.png")
        counts[name] = len(images)
    return counts


def _real_set(exp, rep, size) -> dict:
    """S_g at ``size``: the images (and labels) of replicate ``rep``'s real training set."""
    from tfskin.evaluation.real_data import load_arrays

    return load_arrays(exp.datasets["classifier"], rep.train_split, size, num_examples=rep.n_train,
                       seed=rep.data_seed)


def train_ranker(exp, rep, out_dir) -> str:
    """The Path-Rank-Filter's ranker: a classifier trained on S_g, saved in ``out_dir``."""
    from tfskin.evaluation.classifier import ClassifierConfig, task_labels, train_classifier

    s = exp.settings
    size = (s["image_size"], s["image_size"])
    pool = _real_set(exp, rep, size)
    config = ClassifierConfig(**{**s["classifier"], "task": "multiclass", "image_size": size,
                                 "epochs": s["selection_epochs"], "seed": 1})
    labels = task_labels("multiclass", pool["label"])
    model = train_classifier(config, pool["image"][labels >= 0], labels[labels >= 0])
    model.save(Path(out_dir))
    return str(out_dir)


def translate_nevi(run_dir, out_dir, num: int) -> dict:
    """The first ``num`` nevi of the run's own training images (S_g) translated NV -> MEL, written as
    ``out_dir/MEL/*.png``."""
    from tfskin.evaluation.real_data import load_arrays
    from tfskin.imaging import save_png, to_uint8
    from tfskin.runs import load_trained_model

    config, model = load_trained_model(run_dir)
    d = config.data
    size = tuple(d.image_size)
    pool = load_arrays(d.name, d.split, size, num_examples=d.num_examples, seed=d.seed)
    nevi = pool["image"][pool["label"] == CLASSES.index("NV")][:num]
    translated = model.translate(nevi.astype(np.float32) / 255.0, "a_to_b")
    folder = Path(out_dir) / "MEL"
    folder.mkdir(parents=True, exist_ok=True)
    for i, image in enumerate(to_uint8(translated)):
        save_png(image, folder / f"nv_to_mel_{i:05d}.png")
    return {"MEL": len(translated), "image_size": list(size), "requested": num, "nevi_available": int(len(nevi))}


NV_TO_MEL = "cyclegan_nv_to_mel_prf"


def nv_to_mel_name(settings, alpha: float, base: str = NV_TO_MEL) -> str:
    """The NV -> MEL CycleGAN's (or its source's) name for ``alpha``: the plain name with one alpha, suffixed
    ``_alpha<a>`` in Table 3's sweep."""
    return base if len(settings["alphas"]) == 1 else f"{base}_alpha{alpha:g}"


def nv_to_mel_arm(alpha: float) -> str:
    return f"Real+NV->MEL CycleGAN (PRF alpha={alpha:g})"


def protocol_config(exp) -> dict:
    from tfskin.reproduce.replicates import design, plan_replicates, protocol_replicates

    s = exp.settings
    share = s["synthetic_share"]
    size = [s["image_size"], s["image_size"]]
    conditions = [
        {"name": "Real"},
        {"name": "Real+ACGAN", "synthetic": [{"source": "acgan", "n": share}]},
        {"name": "Real+ACGAN->CycleGAN", "synthetic": [{"source": "acgan_cyclegan", "n": share}]},
    ]
    conditions += [{"name": nv_to_mel_arm(a), "synthetic": [{"source": nv_to_mel_name(s, a, "nv_to_mel"),
                                                             "n": s.get("nv_to_mel_n") or share, "label": "MEL"}]}
                   for a in s["alphas"]]
    data = protocol_data(exp, "classifier", size)
    return {"name": f"fossen2020_{exp.budget}", "seed": 0, "repeats": s["repeats"], "workers": exp.workers,
            "metric": "macro_f1", "reference": REFERENCE, "baseline": BASELINE, "design": design(exp), "data": data,
            "classifier": {"task": "multiclass", **s["classifier"]},
            "sources": _sources(exp, plan_replicates(exp)[0]), "conditions": conditions,
            "replicates": protocol_replicates(exp, lambda rep: _sources(exp, rep))}


def arms_synthetic(cfg, settings) -> dict:
    """Each arm's GANs (the sources of its synthetic images)."""
    gans = {"acgan": ["acgan"], "acgan_cyclegan": ["acgan", "acgan_cyclegan"]}
    gans.update({nv_to_mel_name(settings, a, "nv_to_mel"): [nv_to_mel_name(settings, a)] for a in settings["alphas"]})
    return {c["name"]: sorted({g for piece in c.get("synthetic", []) for g in gans[piece["source"]]})
            for c in cfg["conditions"]}


def _nv_to_mel_config(exp, rep, ranker: str, alpha: float):
    from tfskin.training import resolve_config

    s = exp.settings
    return resolve_config(
        "cyclegan", s["cyclegan_preset"], data=_data(exp, rep),
        train=_train_settings(s["nv_to_mel_steps"], rep.gan_seed),
        model_overrides={"domain_a": "NV", "domain_b": "MEL", "filter_classifier": str(Path(ranker).resolve()),
                         "filter_alpha": alpha, "filter_input_range": "0-255"})


def _sources(exp, rep) -> dict:
    synthetic = exp.out / "synthetic" / rep.tag
    out = {"acgan": f"run:{exp.out / 'gans' / 'acgan' / rep.tag}",
           "acgan_cyclegan": f"png:{synthetic / 'acgan_cyclegan'}"}
    for a in exp.settings["alphas"]:
        name = nv_to_mel_name(exp.settings, a, "nv_to_mel")
        out[name] = f"png:{synthetic / name}"
    return out


def _acgan_config(exp, rep):
    from tfskin.training import resolve_config

    s = exp.settings
    return resolve_config("acgan", s["acgan_preset"], data=_data(exp, rep),
                          train=_train_settings(s["acgan_steps"], rep.gan_seed))


def plan(exp) -> dict:
    """What ``run`` will do, resolved and validated without training: GAN run configs and the protocol."""
    from tfskin.evaluation.protocol import load_protocol
    from tfskin.reproduce.replicates import gan_data, plan_replicates
    from tfskin.training import resolve_config

    s = exp.settings
    gans = {}
    for rep in plan_replicates(exp):
        real = {k: v for k, v in gan_data(rep, exp.datasets["gans"]).items() if k != "image_size"}
        gans.update({
            f"acgan ({rep.tag})": _acgan_config(exp, rep),
            f"acgan_cyclegan ({rep.tag}; one per class: " + ",".join(s["pipeline_classes"]) + ")": resolve_config(
                "cyclegan", s["cyclegan_preset"], data=real, train={"steps": s["cyclegan_steps"], "seed": 0}),
        })
        gans.update({f"{nv_to_mel_name(s, a)} ({rep.tag})": _nv_to_mel_config(exp, rep, exp.out / "ranker" / rep.tag, a)
                     for a in s["alphas"]})
    return {"gans": gans, "protocol": load_protocol(protocol_config(exp))}


#: A replicate's two independent chains (``replicate_gans``' parts), the longer first.
REPLICATE_PARTS = ("acgan_cyclegan", "nv_to_mel")


def replicate_parts(exp) -> tuple:
    """The parts of a replicate's GAN work that can run at the same time: the ACGAN and its per-class CycleGANs;
    the ranker and the NV -> MEL CycleGAN(s) (the ranker is trained on real images only)."""
    return REPLICATE_PARTS


def replicate_gans(exp, rep, part: str) -> dict:
    """Part ``part`` of replicate ``rep``'s GAN work, all on S_g: ``acgan_cyclegan``, the ACGAN and its
    per-class CycleGANs with their samples; ``nv_to_mel``, the ranker and the NV -> MEL CycleGAN per alpha with
    the translated nevi. Returns {GAN name: run folder} of the runs provenance checks."""
    s, wf, tag = exp.settings, exp.workflow, rep.tag
    synthetic = exp.out / "synthetic" / tag
    if part == "acgan_cyclegan":
        from tfskin.pipelines.acgan_cyclegan import train_pipeline

        acgan_run = wf.train_gan("acgan", _acgan_config(exp, rep), replicate=rep.index)
        pipeline_dir = exp.out / "gans" / "acgan_cyclegan" / tag
        wf.step(f"train_acgan_cyclegan_{tag}", lambda: str(train_pipeline(
            acgan_run, pipeline_dir, classes=list(s["pipeline_classes"]), cyclegan_preset=s["cyclegan_preset"],
            samples_per_class=s["samples_per_class"], steps=s["cyclegan_steps"], seed=rep.gan_seed % 100_000,
            resume=True, stream=wf.stream)))
        wf.step(f"sample_acgan_cyclegan_{tag}", write_pipeline_samples, str(pipeline_dir),
                str(synthetic / "acgan_cyclegan"), list(s["pipeline_classes"]), s["samples_per_class"])
        return {"acgan": acgan_run,
                **{f"acgan_cyclegan_{c}": str(pipeline_dir / f"cyclegan_{c}") for c in s["pipeline_classes"]}}
    if part != "nv_to_mel":
        raise ValueError(f"fossen2020 has no replicate part {part!r}; parts: {', '.join(REPLICATE_PARTS)}")
    ranker = wf.step(f"train_ranker_{tag}", train_ranker, exp, rep, str(exp.out / "ranker" / tag))
    runs = {}
    for alpha in s["alphas"]:  # one NV -> MEL CycleGAN per alpha (Table 3), all behind the same ranker
        name, folder = nv_to_mel_name(s, alpha), nv_to_mel_name(s, alpha, "nv_to_mel")
        runs[name] = wf.train_gan(name, _nv_to_mel_config(exp, rep, ranker, alpha), replicate=rep.index)
        step = "translate_nevi" if len(s["alphas"]) == 1 else f"translate_nevi_alpha{alpha:g}"
        wf.step(f"{step}_{tag}", translate_nevi, runs[name], str(synthetic / folder), s["translated"])
    return runs


def run(exp) -> dict:
    from tfskin.evaluation.protocol import run_protocol
    from tfskin.reproduce.parallel import run_replicates
    from tfskin.reproduce.provenance import add_to_summary, record_experiment
    from tfskin.reproduce.replicates import check_train_size, plan_replicates

    wf = exp.workflow
    check_train_size(exp)
    runs = run_replicates(exp, replicate_gans, plan_replicates(exp), exp.workers, replicate_parts(exp))
    cfg = protocol_config(exp)
    wf.log(f"classifier protocol: {len(cfg['conditions'])} conditions x {cfg['repeats']} repeats "
           f"({len(cfg['replicates'])} GAN replicates)")
    summary = wf.timed("evaluation", run_protocol, cfg, exp.out / "protocol", workers=exp.workers,
                       engine=exp.engine, stream=wf.stream)
    extra = wf.timed("provenance", record_experiment, cfg, exp.out / "protocol", runs,
                     arms_synthetic(cfg, exp.settings), "macro_f1")
    write_report(exp, cfg, summary)
    return add_to_summary(exp, extra)


def per_class_tests(cfg, results, split: str) -> dict:
    """condition -> class -> F1 summary and paired tests against the reference, Holm-corrected across every
    (condition, class) comparison."""
    from tfskin.evaluation.stats import holm, paired_tests, summarize

    repeats = int(cfg["repeats"])

    def f1s(condition, name):
        by_rep = {r["repeat"]: r for r in results if r["condition"] == condition and split in r}
        return [by_rep[i][split]["per_class"].get(name, {}).get("f1") if i in by_rep else None
                for i in range(repeats)]

    def pr(condition, name, key):
        vals = [r[split]["per_class"].get(name, {}).get(key) for r in results
                if r["condition"] == condition and split in r]
        return summarize(vals)

    names = [c["name"] for c in cfg["conditions"]]
    out = {}
    for cond in names:
        out[cond] = {}
        for name in CLASSES:
            entry = {"f1": summarize(f1s(cond, name)), "precision": pr(cond, name, "precision"),
                     "recall": pr(cond, name, "recall")}
            if cond != cfg["reference"]:
                entry["vs_reference"] = paired_tests(f1s(cond, name), f1s(cfg["reference"], name))
            out[cond][name] = entry
    keys = [(c, n) for c in names if c != cfg["reference"] for n in CLASSES]
    adjusted = holm([out[c][n]["vs_reference"]["t_pvalue"] for c, n in keys])
    for (c, n), p in zip(keys, adjusted, strict=True):
        out[c][n]["vs_reference"]["t_pvalue_holm"] = p
    return out


def write_report(exp, cfg, summary) -> dict:
    from tfskin.evaluation.results import collect_results
    from tfskin.reproduce.report import (
        fmt_p,
        header,
        markdown_table,
        published_section,
        replicate_section,
        write_paper_report,
    )

    results = collect_results(exp.out / "protocol")
    splits = list(summary["splits"])
    rel = Path(summary["report"]).parent.relative_to(exp.out).as_posix()
    lines = header(exp, "Fossen-Romsaas et al. 2020 — Tables 2-3", SUMMARY)
    lines += ["**Verdict (measured, macro F1).** " + summary["verdict"], ""]
    per_class = {}
    for split in splits:
        per_class[split] = tests = per_class_tests(cfg, results, split)
        title = "in distribution" if split == "test" else "out of distribution"
        rows = []
        for cond in tests:
            row = [cond]
            for name in CLASSES:
                e = tests[cond][name]
                row.append(f"{_pct(e['precision'])} / {_pct(e['recall'])}")
            rows.append(row)
        lines += [f"## Per-class precision / recall (%), {exp.measured_on}, {title}", "",
                  "Mean over repeats; the paper's Table 2 (published, ISIC 2019, one run per model) is below.", ""]
        lines += markdown_table(["Training data", *CLASSES], rows) + [""]
        lines += _f1_test_lines(cfg, tests, fmt_p) + [""]
    lines += accuracy_lines(exp, summary, splits)
    lines += alpha_sweep_lines(exp, summary, per_class["test"])
    lines += replicate_section(summary)
    lines += [f"Balanced accuracy, every repeat and the synthetic images each condition used: "
              f"[{rel}/report.md]({rel}/report.md).", ""]
    for split in splits:
        lines += [f"![macro F1 per condition, {split}, every repeat]({rel}/{split}_macro_f1.png)", ""]
    lines += ["## Published tables", ""] + published_section("fossen2020")
    payload = {"per_class": per_class, "verdict": summary["verdict"], "protocol_report": summary["report"],
               "runs_failed": summary["runs_failed"], "metric": "macro_f1",
               "conditions": {c: {sp: {"mean": summary["splits"][sp][c]["macro_f1"]["mean"],
                                      "std": summary["splits"][sp][c]["macro_f1"]["std"]} for sp in splits}
                              for c in summary["splits"]["test"]}}
    return write_paper_report(exp, lines, payload)


def accuracy_lines(exp, summary, splits) -> list:
    """Table 2's 'Accuracy' beside ours: the paper's caption calls it 'the F1 score across all classes', which
    for one label per image is the micro F1, i.e. plain accuracy; our macro F1 (every class weighs the same,
    the verdict's metric) stands beside it."""
    from tfskin.reproduce.report import markdown_table, mean_std, published, published_row

    table = published("fossen2020").get("table2")
    columns = ["Training data", "accuracy (%), published (ISIC 2019 test, one run)"]
    columns += [f"{m}, {exp.measured_on}, {'in distribution' if sp == 'test' else 'out of distribution'}"
                for sp in splits for m in ("accuracy", "macro F1")]
    published_acc = {"Real": published_row(table, "ISIC-0").get("accuracy") if table else None}
    rows = []
    for cond in summary["splits"]["test"]:
        acc = published_acc.get(cond)
        row = [cond, "—" if acc is None else f"{acc * 100:.1f}"]
        for sp in splits:
            entry = summary["splits"][sp][cond]
            row += [mean_std(entry.get("accuracy")), mean_std(entry.get("macro_f1"))]
        rows.append(row)
    return (["## Accuracy (Table 2's column) and macro F1", "",
             "Table 2's 'Accuracy' is, by its caption, the F1 score across all classes: with one label per image that "
             "is the micro F1, i.e. plain accuracy, so it is compared with our accuracy; macro F1 (each class "
             "weighs the same; our verdict's metric) stands beside it. Mean ± std over repeats, in %.", ""]
            + markdown_table(columns, rows) + [""])


def alpha_sweep_lines(exp, summary, tests) -> list:
    """Table 3 beside ours: per alpha, MEL precision / recall and accuracy of Real + NV->MEL, in distribution,
    with the published cells at the same number of added melanomas (when Table 3 has that row)."""
    from tfskin.reproduce.report import markdown_table, mean_std, published, published_row

    s = exp.settings
    added = s.get("nv_to_mel_n") or s["synthetic_share"]
    table = published("fossen2020").get("table3")
    pub = published_row(table, str(added)) if isinstance(added, int) else {}
    real = published_row(table, "ISIC-0")
    rows = []
    for name, alpha in [("Real", None)] + [(nv_to_mel_arm(a), a) for a in s["alphas"]]:
        if name not in tests:
            continue
        key = "1" if alpha is None else _alpha_key(alpha)
        ref = real if alpha is None else pub
        cells = [ref.get(f"{m}@alpha={key}") for m in ("acc", "mel_precision", "mel_recall")]
        entry = summary["splits"]["test"][name]
        rows.append([name, *("—" if c is None else f"{c * 100:.1f}" for c in cells),
                     mean_std(entry.get("accuracy")), _pct(tests[name]["MEL"]["precision"], 1),
                     _pct(tests[name]["MEL"]["recall"], 1)])
    where = f"Table 3's row {added}" if pub else f"no Table 3 row for {added} added images"
    return ([f"## Table 3: the alpha sweep (Path-Rank-Filter), {exp.measured_on}, in distribution", "",
             f"Each alpha trains its own NV -> MEL CycleGAN on the alpha fraction of S_g's melanomas the ranker is "
             f"most confident about; {added} translated melanomas are added to S_g ({where}). Published: one "
             f"classifier per cell; ours: mean ± std over repeats (MEL precision / recall: mean), in %.", ""]
            + markdown_table(["Training data", "accuracy, published", "MEL precision, published",
                              "MEL recall, published", "accuracy, ours", "MEL precision, ours", "MEL recall, ours"],
                             rows) + [""])


def _alpha_key(alpha: float) -> str:
    """Table 3's column label of ``alpha`` (1/8, 1/4, 1/2, 1)."""
    from fractions import Fraction

    return str(Fraction(alpha).limit_denominator(64))


def _pct(entry, digits: int = 0) -> str:
    m = entry.get("mean")
    return "—" if m is None or not np.isfinite(m) else f"{m * 100:.{digits}f}"


def _f1_test_lines(cfg, tests, fmt_p) -> list:
    from tfskin.reproduce.report import markdown_table

    rows = []
    for cond, by_class in tests.items():
        if cond == cfg["reference"]:
            continue
        row = [cond]
        for name in CLASSES:
            t = by_class[name]["vs_reference"]
            d = t["mean_difference"]
            row.append("—" if not np.isfinite(d) else f"{d * 100:+.1f} (p {fmt_p(t['t_pvalue_holm'])})")
        rows.append(row)
    return ([f"Per-class F1 difference to **{cfg['reference']}** in points (paired by repeat; t-test p, Holm-corrected "
             f"across all {len(rows) * len(CLASSES)} condition x class comparisons):", ""]
            + markdown_table(["Training data", *CLASSES], rows))
