"""Fossen-Romsaas et al. 2020, Tables 2-3: do ACGAN images, ACGAN images refined by per-class CycleGANs, and
nevi translated to melanomas by a CycleGAN trained behind the Path-Rank-Filter help an 8-class classifier?

Steps: train the ACGAN (8 ISIC 2019 classes); train one CycleGAN per class that refines the ACGAN's class-c
samples towards real class-c images (experiment 1) and write the refined samples; train a classifier on real
data (the filter's ranker), then the NV -> MEL CycleGAN on the alpha fraction of melanomas it is most confident
about (experiment 2, the Path-Rank-Filter) and translate real nevi to melanomas; then the classifier protocol
(real, real + ACGAN, real + ACGAN->CycleGAN, real + NV->MEL) with paired repeats, per-class precision, recall
and F1, and paired tests per class against real-only training.
"""

from pathlib import Path

import numpy as np

from tfskin.reproduce.papers import PHANTOM_OOD, is_phantoms, protocol_data

TITLE = ("Fossen-Romsaas, Storm-Johannessen, Lundervold: Synthesizing skin lesion images using CycleGANs - a case "
         "study (NIK 2020)")
SUMMARY = ("Tables 2-3: per-class precision/recall of an 8-class classifier trained on real, real + ACGAN, real + "
           "ACGAN->CycleGAN and real + NV->MEL CycleGAN (Path-Rank-Filter) images")
REFERENCE = "Real"
CLASSES = ("MEL", "NV", "BCC", "AK", "BKL", "DF", "VASC", "SCC")

SETTINGS = {
    "smoke": {
        "gan_image_size": 32, "acgan_preset": "tiny", "acgan_steps": 2, "cyclegan_preset": "tiny",
        "cyclegan_steps": 2, "pipeline_classes": ("MEL", "NV"), "samples_per_class": 8, "gan_examples": 64,
        "nv_to_mel_steps": 2, "alpha": 0.5, "translated": 16, "image_size": 32, "train_pool": 64, "train_size": 48,
        "test_size": 32, "ood_size": 32, "synthetic_share": "0.5x", "repeats": 2, "selection_epochs": 1,
        "classifier": {"backbone": "small_cnn", "width": 4, "epochs": 1, "batch_size": 8, "tta": 1},
    },
    "cpu": {
        "gan_image_size": 32, "acgan_preset": "quick", "acgan_steps": 800, "cyclegan_preset": "quick",
        "cyclegan_steps": 80, "pipeline_classes": CLASSES, "samples_per_class": 60, "gan_examples": 1000,
        "nv_to_mel_steps": 300, "alpha": 0.5, "translated": 200, "image_size": 32, "train_pool": 800,
        "train_size": 400, "test_size": 300, "ood_size": 300, "synthetic_share": "0.5x", "repeats": 10,
        "selection_epochs": 8,
        "classifier": {"backbone": "small_cnn", "width": 16, "epochs": 8, "batch_size": 32, "learning_rate": 0.01,
                       "tta": 3},
    },
    "paper": {  # ACGAN 128x128, CycleGANs 256x256, ResNet-50 with a one-cycle schedule on ISIC 2019
        "gan_image_size": None, "acgan_preset": "paper128", "acgan_steps": None, "cyclegan_preset": "paper256",
        "cyclegan_steps": None, "pipeline_classes": CLASSES, "samples_per_class": 1000, "gan_examples": None,
        "nv_to_mel_steps": None, "alpha": 0.5, "translated": 4000, "image_size": 224, "train_pool": None,
        "train_size": None, "test_size": None, "ood_size": None, "synthetic_share": "0.25x", "repeats": 10,
        "selection_epochs": 15,
        "classifier": {"backbone": "resnet50", "weights": "imagenet", "epochs": 15, "batch_size": 32,
                       "learning_rate": 1e-3, "tta": 10},
    },
}


def datasets(data: str, ood: str = None) -> dict:
    """Phantoms for everything on phantoms; with real data ISIC 2019 (the paper's) or ``data``, derm7pt as OOD."""
    if is_phantoms(data):
        return {"gans": data, "classifier": data, "ood": ood or PHANTOM_OOD}
    return {"gans": data, "classifier": data, "ood": ood or "derm7pt"}


def _train_settings(steps):
    if not steps:
        return {"seed": 0}
    every = max(1, steps // 4)
    return {"steps": steps, "seed": 0, "checkpoint_every": every, "sample_every": every,
            "log_every": max(1, steps // 20)}


def _data(exp, name=None):
    s = exp.settings
    data = {"name": name or exp.datasets["gans"], "num_examples": s["gan_examples"]}
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


def train_ranker(exp, out_dir) -> str:
    """The Path-Rank-Filter's ranker: a classifier trained on the real pool, saved in ``out_dir``."""
    from tfskin.evaluation.classifier import ClassifierConfig, task_labels, train_classifier
    from tfskin.evaluation.real_data import load_arrays

    s = exp.settings
    size = (s["image_size"], s["image_size"])
    pool = load_arrays(exp.datasets["classifier"], "train", size, num_examples=s["train_pool"], seed=0)
    config = ClassifierConfig(**{**s["classifier"], "task": "multiclass", "image_size": size,
                                 "epochs": s["selection_epochs"], "seed": 1})
    labels = task_labels("multiclass", pool["label"])
    model = train_classifier(config, pool["image"][labels >= 0], labels[labels >= 0])
    model.save(Path(out_dir))
    return str(out_dir)


def translate_nevi(run_dir, out_dir, dataset: str, num: int) -> dict:
    """The first ``num`` real training nevi translated NV -> MEL, written as ``out_dir/MEL/*.png``."""
    from tfskin.evaluation.real_data import load_arrays
    from tfskin.imaging import save_png, to_uint8
    from tfskin.runs import load_trained_model

    config, model = load_trained_model(run_dir)
    size = tuple(config.data.image_size)
    pool = load_arrays(dataset, "train", size, num_examples=num * 20, seed=0)  # enough to hold num nevi
    nevi = pool["image"][pool["label"] == CLASSES.index("NV")][:num]
    translated = model.translate(nevi.astype(np.float32) / 255.0, "a_to_b")
    folder = Path(out_dir) / "MEL"
    folder.mkdir(parents=True, exist_ok=True)
    for i, image in enumerate(to_uint8(translated)):
        save_png(image, folder / f"nv_to_mel_{i:05d}.png")
    return {"MEL": len(translated), "image_size": list(size), "requested": num, "nevi_available": int(len(nevi))}


def protocol_config(exp, sources: dict) -> dict:
    s = exp.settings
    share = s["synthetic_share"]
    size = [s["image_size"], s["image_size"]]
    conditions = [
        {"name": "Real"},
        {"name": "Real+ACGAN", "synthetic": [{"source": "acgan", "n": share}]},
        {"name": "Real+ACGAN->CycleGAN", "synthetic": [{"source": "acgan_cyclegan", "n": share}]},
        {"name": f"Real+NV->MEL CycleGAN (PRF alpha={s['alpha']:g})",
         "synthetic": [{"source": "nv_to_mel", "n": share, "label": "MEL"}]},
    ]
    data = protocol_data(exp, "classifier", size)
    return {"name": f"fossen2020_{exp.budget}", "seed": 0, "repeats": s["repeats"], "workers": exp.workers,
            "metric": "macro_f1", "reference": REFERENCE, "data": data,
            "classifier": {"task": "multiclass", **s["classifier"]}, "sources": sources, "conditions": conditions}


def _nv_to_mel_config(exp, ranker: str):
    from tfskin.training import resolve_config

    s = exp.settings
    return resolve_config(
        "cyclegan", s["cyclegan_preset"], data=_data(exp), train=_train_settings(s["nv_to_mel_steps"]),
        model_overrides={"domain_a": "NV", "domain_b": "MEL", "filter_classifier": str(Path(ranker).resolve()),
                         "filter_alpha": s["alpha"], "filter_input_range": "0-255"})


def _sources(exp) -> dict:
    synthetic = exp.out / "synthetic"
    return {"acgan": f"run:{exp.out / 'gans' / 'acgan'}", "acgan_cyclegan": f"png:{synthetic / 'acgan_cyclegan'}",
            "nv_to_mel": f"png:{synthetic / 'nv_to_mel'}"}


def plan(exp) -> dict:
    """What ``run`` will do, resolved and validated without training: GAN run configs and the protocol."""
    from tfskin.evaluation.protocol import load_protocol
    from tfskin.training import resolve_config

    s = exp.settings
    gans = {"acgan": resolve_config("acgan", s["acgan_preset"], data=_data(exp),
                                    train=_train_settings(s["acgan_steps"])),
            "acgan_cyclegan (one per class: " + ",".join(s["pipeline_classes"]) + ")": resolve_config(
                "cyclegan", s["cyclegan_preset"], data={"name": exp.datasets["gans"]},
                train={"steps": s["cyclegan_steps"], "seed": 0}),
            "cyclegan_nv_to_mel_prf": _nv_to_mel_config(exp, exp.out / "ranker")}
    return {"gans": gans, "protocol": load_protocol(protocol_config(exp, _sources(exp)))}


def run(exp) -> dict:
    from tfskin.evaluation.protocol import run_protocol
    from tfskin.pipelines.acgan_cyclegan import train_pipeline
    from tfskin.training import resolve_config

    s, wf = exp.settings, exp.workflow
    acgan_run = wf.train_gan("acgan", resolve_config("acgan", s["acgan_preset"], data=_data(exp),
                                                     train=_train_settings(s["acgan_steps"])))
    pipeline_dir = exp.out / "gans" / "acgan_cyclegan"
    wf.step("train_acgan_cyclegan", lambda: str(train_pipeline(
        acgan_run, pipeline_dir, classes=list(s["pipeline_classes"]), cyclegan_preset=s["cyclegan_preset"],
        samples_per_class=s["samples_per_class"], steps=s["cyclegan_steps"], seed=0, resume=True,
        stream=wf.stream)))
    synthetic = exp.out / "synthetic"
    wf.step("sample_acgan_cyclegan", write_pipeline_samples, str(pipeline_dir), str(synthetic / "acgan_cyclegan"),
            list(s["pipeline_classes"]), s["samples_per_class"])
    ranker = wf.step("train_ranker", train_ranker, exp, str(exp.out / "ranker"))
    nv_run = wf.train_gan("cyclegan_nv_to_mel_prf", _nv_to_mel_config(exp, ranker))
    wf.step("translate_nevi", translate_nevi, nv_run, str(synthetic / "nv_to_mel"), exp.datasets["classifier"],
            s["translated"])
    cfg = protocol_config(exp, _sources(exp))
    wf.log(f"classifier protocol: {len(cfg['conditions'])} conditions x {cfg['repeats']} repeats")
    summary = wf.timed("evaluation", run_protocol, cfg, exp.out / "protocol", workers=exp.workers, stream=wf.stream)
    return write_report(exp, cfg, summary)


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
    from tfskin.reproduce.report import fmt_p, header, markdown_table, published_section, write_paper_report

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
    lines += [f"Macro F1 (the paper's 'accuracy', F1 across all classes), balanced accuracy, every repeat and the "
              f"synthetic images each condition used: [{rel}/report.md]({rel}/report.md).", ""]
    for split in splits:
        lines += [f"![macro F1 per condition, {split}, every repeat]({rel}/{split}_macro_f1.png)", ""]
    lines += ["## Published tables", ""] + published_section("fossen2020")
    payload = {"per_class": per_class, "verdict": summary["verdict"], "protocol_report": summary["report"],
               "runs_failed": summary["runs_failed"], "metric": "macro_f1",
               "conditions": {c: {sp: {"mean": summary["splits"][sp][c]["macro_f1"]["mean"],
                                      "std": summary["splits"][sp][c]["macro_f1"]["std"]} for sp in splits}
                              for c in summary["splits"]["test"]}}
    return write_paper_report(exp, lines, payload)


def _pct(entry) -> str:
    m = entry.get("mean")
    return "—" if m is None or not np.isfinite(m) else f"{m * 100:.0f}"


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
