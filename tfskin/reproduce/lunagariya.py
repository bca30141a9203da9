"""Lunagariya & Patel: how good are a DCGAN's and a phase-frozen progressive GAN's 64x64 samples?

Steps, per replicate g (``tfskin.reproduce.replicates``): train the DCGAN (the report's 7.1.1 layout) and the
progressive GAN trained phase by phase, 16 -> 32 -> 64, earlier phases frozen (7.2), both on the replicate's
real training set S_g only; draw a fixed number of samples from each, several times with different seeds; score
them against S_g's images by the colour-histogram measures the report's MelanoGANs survey names (Jensen-Shannon
divergence of the colour histograms, Wasserstein distance) and by FID / KID / precision-recall. Held-out real
images (the replicate's own test draw) scored the same way give the floor a perfect generator would reach at
this sample count. Figures are mean ± std over every draw of every replicate.
"""

import numpy as np

from tfskin.reproduce.papers import is_phantoms

TITLE = "Lunagariya, Patel: Skin Lesion Synthesis using GANs (student report)"
SUMMARY = ("Sample quality of the DCGAN and the phase-frozen progressive GAN: colour-histogram JS divergence and "
           "Wasserstein distance, FID/KID and precision/recall at a fixed sample count")
FEATURE_CACHE_DIR = "features"  # extracted features by content hash: a rerun of the scoring reads them back
MODELS = (("DCGAN", "dcgan", "dcgan"), ("Phase-frozen PGAN", "progan_frozen", "pgan"))  # (row, model, settings key)

PAPER_IMAGES = {"train": 2000, "test": 0}  # ISIC 2017's training images; no classifier test

SETTINGS = {
    "smoke": {"dcgan_preset": "tiny", "pgan_preset": "tiny", "dcgan_steps": 2, "pgan_steps": None,
              "train_size": 64, "gan_replicates": 2, "repeats": 2, "samples": 32, "draws": 2, "features": "pixels:8",
              "kid_subsets": 10},
    "cpu": {"dcgan_preset": "quick", "pgan_preset": "quick", "dcgan_steps": 1200, "pgan_steps": None,
            "train_size": 2000, "gan_replicates": 3, "repeats": 3, "samples": 500, "draws": 3, "features": "pixels:16",
            "kid_subsets": 100},
    "paper": {"dcgan_preset": "paper64", "pgan_preset": "paper64", "dcgan_steps": None, "pgan_steps": None,
              "train_size": None, "gan_replicates": 5, "repeats": 5, "samples": 2000, "draws": 5,
              "features": "keras-inception-v3", "kid_subsets": 100},
}


def datasets(data: str, ood: str = None) -> dict:
    """One dataset: the GANs train on it and their samples are compared with it (ISIC 2017 or 2018 in reports
    like this one); no out-of-distribution test."""
    return {"gans": data, "real": data}


#: The DCGAN and the phase-frozen PGAN are compared as the paper trains them: the dcgan quick preset's generator
#: EMA (measured better for dcgan, not measured for progan_frozen) would favour one side of the comparison.
NO_EMA = {"halflife_images": 0}


def _config(exp, rep, model, preset, steps):
    from tfskin.reproduce.replicates import gan_data
    from tfskin.training import resolve_config

    train = {"seed": rep.gan_seed}
    if steps:
        every = max(1, steps // 4)
        train.update(steps=steps, checkpoint_every=every, sample_every=every, log_every=max(1, steps // 20))
    return resolve_config(model, preset, data=gan_data(rep, exp.datasets["gans"]), train=train, ema=NO_EMA)


def gan_configs(exp, rep) -> dict:
    s = exp.settings
    return {model: _config(exp, rep, model, s[f"{key}_preset"], s[f"{key}_steps"]) for _, model, key in MODELS}


def score_samples(exp, run_dirs: dict) -> dict:
    """Every model's samples (``draws`` seeds of ``samples`` images per replicate) and held-out real images
    scored against the replicate's real training images; per row the per-draw figures and their mean and std.
    ``run_dirs``: {replicate index: {row: run folder}}. ``profile``: seconds spent loading (modules, sources, real
    images, the feature network), generating, extracting features, on colour histograms and on the metric
    arithmetic, summed over replicates."""
    per_replicate = [_score_replicate(exp, int(g), rows) for g, rows in sorted(run_dirs.items())]
    first = per_replicate[0]
    rows = {}
    from tfskin.evaluation.stats import summarize

    for row in first["rows"]:
        draws = [d for rep in per_replicate for d in rep["rows"][row]["draws"]]
        rows[row] = {"draws": draws, **{k: summarize([d[k] for d in draws]) for k in
                                        ("js_divergence", "wasserstein", "fid", "kid", "precision", "recall")}}
    profile = {}
    for rep in per_replicate:
        for phase, seconds in rep["profile"].items():
            profile[phase] = profile.get(phase, 0.0) + seconds
    return {**{k: v for k, v in first.items() if k not in ("rows", "profile")}, "rows": rows,
            "replicates": len(per_replicate), "test_ids": [rep["test_ids"] for rep in per_replicate],
            "profile": profile}


def _score_replicate(exp, g: int, run_dirs: dict) -> dict:
    """One replicate's rows: its GANs' samples and its held-out real images against its S_g."""
    from tfskin.evaluation.profile import Stopwatch

    watch = Stopwatch()
    with watch("load"):
        from tfskin import color_stats
        from tfskin.evaluation.features import make_feature_network
        from tfskin.evaluation.generative import generative_metrics
        from tfskin.evaluation.real_data import load_arrays
        from tfskin.evaluation.stats import summarize
        from tfskin.reproduce.provenance import example_ids
        from tfskin.reproduce.replicates import plan_replicates
        from tfskin.sources import make_source

    s = exp.settings
    n, draws = s["samples"], s["draws"]
    rep = plan_replicates(exp)[g]
    with watch("load"):
        sources = {row: make_source(f"run:{path}") for row, path in run_dirs.items()}
        size = tuple(next(iter(sources.values())).config.data.image_size)
        real = load_arrays(exp.datasets["real"], rep.train_split, size, num_examples=min(n, rep.n_train or n),
                           seed=rep.data_seed)["image"]
        held_out = load_arrays(exp.datasets["real"], "test", size, num_examples=n * draws,
                               seed=rep.data_seed)["image"]
        net = make_feature_network(s["features"]).cache_on_disk(exp.out / FEATURE_CACHE_DIR)
    with watch("features"):
        real_features = net(real)
    rows = {}
    candidates = {row: (lambda d, src=src: src.sample(n, seed=d)["image"]) for row, src in sources.items()}
    candidates["Real, held out (floor)"] = lambda d: np.roll(held_out, -d * n, axis=0)[:n]
    for row, draw in candidates.items():
        per_draw = []
        for d in range(draws):
            with watch("generate"):
                images = draw(d)
            with watch("colour"):
                colour = color_stats.colour_distances(real, images)
            with watch("features"):
                fake_features = net(images)
            with watch("metrics"):
                gen = generative_metrics(real_features, fake_features, feature_network=net.name,
                                         comparable_to_papers=net.comparable_to_papers, kid_subsets=s["kid_subsets"],
                                         seed=d)
            per_draw.append({"replicate": g, "js_divergence": colour["js_divergence"]["mean"],
                             "wasserstein": colour["wasserstein"]["mean"], "fid": gen["fid"], "kid": gen["kid"],
                             "precision": gen["precision"], "recall": gen["recall"], "num_synthetic": len(images),
                             "kid_subset_size": gen["subset_size"]})
        rows[row] = {"draws": per_draw, **{k: summarize([p[k] for p in per_draw]) for k in
                                           ("js_divergence", "wasserstein", "fid", "kid", "precision", "recall")}}
    return {"rows": rows, "num_real": int(len(real)), "samples": n, "draws": draws, "feature_network": net.name,
            "comparable_to_papers": bool(net.comparable_to_papers), "image_size": list(size),
            "test_ids": example_ids(exp.datasets["real"], "test", rep.data_seed, n * draws), "profile": watch.seconds}


def _grid(exp, run_dirs: dict) -> dict:
    """A picture of each model's samples (the first draw's first 32) beside real images."""
    from tfskin.evaluation.real_data import load_arrays
    from tfskin.imaging import save_png, tile
    from tfskin.sources import make_source

    out = {}
    for row, path in run_dirs.items():
        images = make_source(f"run:{path}").sample(32, seed=0)["image"]
        out[row] = save_png(tile(images, columns=8), exp.out / f"samples_{row.split()[0].lower()}.png").name
    size = images.shape[1:3]
    real = load_arrays(exp.datasets["real"], "train", size, num_examples=32, seed=0)["image"]
    out["Real"] = save_png(tile(real, columns=8), exp.out / "samples_real.png").name
    return out


def plan(exp) -> dict:
    """What ``run`` will do, resolved and validated without training: GAN run configs and the scoring."""
    from tfskin.reproduce.replicates import design, plan_replicates

    s = exp.settings
    gans = {f"{model} ({rep.tag})": config for rep in plan_replicates(exp)
            for model, config in gan_configs(exp, rep).items()}
    scoring = {k: s[k] for k in ("samples", "draws", "features", "kid_subsets")}
    return {"gans": gans, "scoring": {**scoring, "gan_replicates": s["gan_replicates"], "design": design(exp)}}


def replicate_parts(exp) -> list:
    """The parts of a replicate's GAN work that can run at the same time: one per GAN (the phase-frozen PGAN, the
    longer, first)."""
    return sorted((model for _, model, _ in MODELS), key=lambda model: model != "progan_frozen")


def replicate_gans(exp, rep, part: str) -> dict:
    """Replicate ``rep``'s GAN ``part`` (a model name of ``MODELS``), trained on S_g only; returns {row: run
    folder}."""
    rows = {model: row for row, model, _ in MODELS}
    if part not in rows:
        raise ValueError(f"lunagariya has no replicate part {part!r}; parts: {', '.join(rows)}")
    return {rows[part]: exp.workflow.train_gan(part, gan_configs(exp, rep)[part], replicate=rep.index)}


def run(exp) -> dict:
    from tfskin.reproduce.parallel import run_replicates
    from tfskin.reproduce.replicates import check_train_size, plan_replicates

    wf = exp.workflow
    check_train_size(exp)
    run_dirs = run_replicates(exp, replicate_gans, plan_replicates(exp), exp.workers, replicate_parts(exp))
    scores = wf.step("score_samples", score_samples, exp, run_dirs)
    grids = wf.step("sample_grids", _grid, exp, run_dirs[0])
    return write_report(exp, scores, grids, run_dirs)


def provenance(exp, scores, run_dirs) -> dict:
    """Per replicate: S_g, each GAN's seed and training ids (checked against S_g) and the held-out test ids;
    per row the replicate means of every measure (``values``: {measure: {row: [one per replicate]}})."""
    from tfskin.reproduce.provenance import check_gan, example_ids, gan_train_ids
    from tfskin.reproduce.replicates import plan_replicates

    replicates = []
    for rep in plan_replicates(exp):
        s_ids = example_ids(exp.datasets["gans"], rep.train_split, rep.data_seed, rep.n_train)
        gans = {}
        for row, model, _ in MODELS:
            gans[model] = gan_train_ids(run_dirs[rep.index][row])
            check_gan(model, gans[model], s_ids, f"replicate {rep.index}")
        arms = {row: {"real_ids": [], "synthetic_from": [model], "n_synthetic": scores["samples"]}
                for row, model, _ in MODELS}
        replicates.append({"index": rep.index, "real_train_ids": s_ids, "gans": gans, "arms": arms,
                           "test_ids": {"in_distribution": scores["test_ids"][rep.index],
                                        "out_of_distribution": []}})
    values = {}
    for key in ("js_divergence", "wasserstein", "fid", "kid", "precision", "recall"):
        values[key] = {row: [float(np.mean([d[key] for d in e["draws"] if d["replicate"] == g]))
                             for g in range(len(replicates))] for row, e in scores["rows"].items()}
    return {"replicates": replicates, "values": values}


def _cell(entry, digits) -> str:
    m, sd = entry.get("mean"), entry.get("std")
    if m is None or not np.isfinite(m):
        return "—"
    return f"{m:.{digits}f} ± {sd:.{digits}f}"


def verdict(scores) -> str:
    rows = scores["rows"]
    models = [r for r, _, _ in MODELS if r in rows]
    floor = rows.get("Real, held out (floor)")
    parts = []
    for key, label, digits in (("js_divergence", "colour JS divergence", 4), ("fid", "FID", 2)):
        ranked = sorted(models, key=lambda r: rows[r][key]["mean"])
        best, other = ranked[0], ranked[-1]
        b, o = rows[best][key], rows[other][key]
        separated = b["mean"] + b["std"] < o["mean"] - o["std"]
        parts.append(f"by {label} the {best} is closer to the real images ({b['mean']:.{digits}f} vs "
                     f"{o['mean']:.{digits}f}; "
                     + ("the spread over draws does not overlap" if separated else
                        "the spreads over draws overlap, so the order is not clear") + ")")
    floor_text = (f" Held-out real images score {floor['js_divergence']['mean']:.4f} (JS) and FID "
                  f"{floor['fid']['mean']:.2f} at the same count, the floor no generator can beat."
                  if floor else "")
    return ("Measured over " + f"{scores.get('replicates', 1)} GAN replicate(s) x {scores['draws']} draws of "
            f"{scores['samples']} samples each: " + "; ".join(parts)
            + "." + floor_text + " The report publishes no such figures for its own models, so there is nothing "
            "to compare with but the ranking.")


def write_report(exp, scores, grids, run_dirs) -> dict:
    from tfskin.reproduce.report import header, markdown_table, published_section, write_paper_report

    lines = header(exp, "Lunagariya & Patel — sample quality", SUMMARY)
    lines += ["**Verdict (measured).** " + verdict(scores), ""]
    columns = ["Samples", "colour JS divergence", "Wasserstein (0..255)", f"FID ({scores['feature_network']})",
               "KID", "precision", "recall"]
    rows = [[row, _cell(e["js_divergence"], 4), _cell(e["wasserstein"], 2), _cell(e["fid"], 2),
             _cell(e["kid"], 4), _cell(e["precision"], 3), _cell(e["recall"], 3)]
            for row, e in scores["rows"].items()]
    lines += [f"## Sample quality, {exp.measured_on}", "",
              f"Mean ± std over {scores.get('replicates', 1)} GAN replicates x {scores['draws']} draws of "
              f"{scores['samples']} samples ({scores['image_size'][0]}x{scores['image_size'][1]}); each replicate's "
              f"GANs trained on its own real images only and are scored against {scores['num_real']} of them; "
              f"features: {scores['feature_network']} (comparable to published FIDs: "
              f"{'yes' if scores['comparable_to_papers'] else 'no'}). JS divergence: mean over R, G, B of the "
              f"Jensen-Shannon divergence of the colour histograms; Wasserstein: mean over channels of the "
              f"Wasserstein-1 distance of intensities.", ""]
    lines += markdown_table(columns, rows) + [""]
    lines += [f"![{row} samples]({name})" for row, name in grids.items()] + [""]
    lines += ["## Published tables", ""] + published_section("lunagariya")
    if not is_phantoms(exp.data):
        lines += ["", f"Real data: `{exp.data}`."]
    from tfskin.reproduce.replicates import design

    payload = {"scores": scores, "verdict": verdict(scores), "grids": grids, "runs_failed": [],
               "design": design(exp), **provenance(exp, scores, run_dirs)}
    return write_paper_report(exp, lines, payload)
