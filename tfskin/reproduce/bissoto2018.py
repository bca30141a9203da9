"""Bissoto et al. 2018, Table 1: do pix2pixHD (semantic + instance maps, or semantic only) and conditional PGAN
images help a melanoma classifier?

Steps, per replicate g (``tfskin.reproduce.replicates``): train pix2pixHD with instance maps, pix2pixHD with the
semantic map only and the conditional progressive GAN, all on the replicate's real training set S_g only;
synthesize one image per real training map of S_g with each pix2pixHD (the "Instance" and "Semantic" sets,
labelled with the diagnosis of the map's lesion) and draw PGAN samples; then the classifier protocol over Table
1's nine training sets (every arm's real images are exactly S_g), tested in distribution and on a shifted test
set of other lesions (the paper tested on the Interactive Atlas of Dermoscopy, another source than its training
data). The primary comparisons are against Real (cfg ``baseline``); the paper's own, against Real+Instance+PGAN,
stays its ``reference``.
"""

from pathlib import Path

from tfskin.errors import BadInputError
from tfskin.reproduce.papers import PHANTOM_OOD, is_phantoms, protocol_data

TITLE = "Bissoto, Perez, Valle, Avila: Skin Lesion Synthesis with Generative Adversarial Networks (ISIC @ MICCAI 2018)"
SUMMARY = "Table 1: AUC of a melanoma classifier trained on real, synthetic and real+synthetic sets, 10 runs"
REFERENCE = "Real+Instance+PGAN"
BASELINE = "Real"
GANS = {"instance": "pix2pixhd_instance", "semantic": "pix2pixhd_semantic", "pgan": "pgan"}  # source -> GAN

# Table 1's training sets: (name, include the real set, [(source, times the real set's size)]).
CONDITIONS = (
    ("Real", True, ()),
    ("Instance", False, (("instance", 1),)),
    ("Semantic", False, (("semantic", 1),)),
    ("PGAN", False, (("pgan", 1),)),
    ("Real+Instance", True, (("instance", 1),)),
    ("Real+Semantic", True, (("semantic", 1),)),
    ("Real+PGAN", True, (("pgan", 1),)),
    ("Real+2xPGAN", True, (("pgan", 2),)),
    ("Real+Instance+PGAN", True, (("instance", 1), ("pgan", 1))),
)

PAPER_IMAGES = {"train": 2346, "test": 900}  # the paper's train set and the Atlas test set

SETTINGS = {
    "smoke": {
        "gan_image_size": 32, "pix2pixhd_preset": "tiny", "semantic_preset": "tiny_semantic", "pgan_preset": "tiny",
        "gan_steps": 2, "image_size": 32, "train_size": 24, "test_size": 24, "ood_size": 24, "gan_replicates": 2,
        "repeats": 2,
        "classifier": {"backbone": "small_cnn", "width": 4, "epochs": 1, "batch_size": 8, "tta": 1},
    },
    "cpu": {
        "gan_image_size": 32, "pix2pixhd_preset": "quick", "semantic_preset": "quick_semantic", "pgan_preset": "quick",
        "gan_steps": None, "pix2pixhd_steps": 800, "pgan_steps": 900, "pgan_fit_schedule": True, "image_size": 32,
        "train_size": 200, "test_size": 200, "ood_size": 200, "gan_replicates": 3, "repeats": 9,
        "classifier": {"backbone": "small_cnn", "width": 16, "epochs": 8, "batch_size": 32, "learning_rate": 0.01,
                       "tta": 3},
    },
    "paper": {  # 2,346 training maps, 1024x512 pix2pixHD, 256x256 PGAN, Inception (v4 in the paper), TTA 50
        "gan_image_size": None, "pix2pixhd_preset": "paper1024x512_instance",
        "semantic_preset": "paper1024x512_semantic", "pgan_preset": "paper256", "gan_steps": None,
        "image_size": 299, "train_size": None, "test_size": None, "ood_size": None, "gan_replicates": 10,
        "repeats": 10,
        "classifier": {"backbone": "inception_resnet_v2", "weights": "imagenet", "epochs": 15, "batch_size": 32,
                       "learning_rate": 1e-3, "tta": 50},
    },
}


TASK1_2 = "isic2018_task1_2"
DEFAULT_DIAGNOSES = "isic2019"


def datasets(data: str, ood: str = None) -> dict:
    """Phantoms for everything on phantoms. With real data the paper's images: ISIC 2018 task 1/2 (its maps for
    pix2pixHD; the PGAN and the classifier on the same images, so every arm and GAN of a replicate sees one S_g),
    labelled by joining their ids to the diagnoses of ``data`` (``--data isic2019``, ``isic_archive``, or
    ``isic2018_task1_2:diagnoses=NAME``; plain ``isic2018_task1_2`` takes ISIC 2019's), images without one left
    out; derm7pt (by default) stands in for the Interactive Atlas of Dermoscopy as the OOD test."""
    from tfskin.data.names import split_dataset_name

    if is_phantoms(data):
        return {"pix2pixhd": data, "pgan": data, "classifier": data, "ood": ood or PHANTOM_OOD}
    base, options = split_dataset_name(data)
    source = options.get("diagnoses", DEFAULT_DIAGNOSES) if base == TASK1_2 else data
    joined = f"{TASK1_2}:diagnoses={source}"
    return {"pix2pixhd": joined, "pgan": joined, "classifier": joined, "diagnoses": source, "ood": ood or "derm7pt"}


def _gan_config(exp, rep, model, preset, dataset, steps_key):
    from tfskin.reproduce.replicates import gan_data
    from tfskin.training import resolve_config

    s = exp.settings
    data = gan_data(rep, dataset)
    if s["gan_image_size"]:
        data["image_size"] = (s["gan_image_size"], s["gan_image_size"])
    steps = s.get(steps_key) or s["gan_steps"]
    train = {"steps": steps, "seed": rep.gan_seed}
    if steps:
        every = max(1, steps // 4)
        train.update(checkpoint_every=every, sample_every=every, log_every=max(1, steps // 20))
    overrides = {}
    if model == "progan" and s.get("pgan_fit_schedule"):
        overrides = _fitted_schedule(preset, data["image_size"], steps)
    return resolve_config(model, preset, data=data, train=train, model_overrides=overrides)


def _fitted_schedule(preset, image_size, steps) -> dict:
    """The PGAN preset's blocks and phase lengths fitted to grow from 4x4 to ``image_size`` within ``steps``."""
    from tfskin.registry import get_model

    chosen = get_model("progan").preset(preset)
    fitted = chosen.model_config.fitted_to(image_size, steps, chosen.train.get("batch_size", 16))
    return {"feature_maps": fitted.feature_maps, "transition_images": fitted.transition_images,
            "stabilise_images": fitted.stabilise_images}


def synthesize_from_maps(run_dir, out_dir, num: int) -> dict:
    """One pix2pixHD image per real training map of the run's data (the first ``num``: the run's own training
    images), written as ``out_dir/<CLASS>/map_<i>.png`` so each image carries its map's diagnosis. Returns counts
    per class and the ids of the maps used."""
    import numpy as np

    from tfskin.classes import CLASS_NAMES
    from tfskin.evaluation.real_data import load_arrays
    from tfskin.imaging import save_png, to_uint8
    from tfskin.inputs.label_maps import conditioned_examples
    from tfskin.runs import load_trained_model

    config, model = load_trained_model(run_dir)
    data = config.data
    from tfskin.reproduce.provenance import example_ids

    labels = load_arrays(data.name, data.split, data.image_size, num_examples=num, seed=data.seed)["label"]
    ids = example_ids(data.name, data.split, data.seed, num)
    counts = {CLASS_NAMES[c]: int(k) for c, k in enumerate(np.bincount(labels[labels >= 0], minlength=8)) if k}
    if not counts:
        raise BadInputError(f"{data.name} gives its label maps no diagnosis, so the synthetic images cannot be "
                            f"labelled for the classifier; pix2pixHD needs a dataset with maps and diagnoses")
    for name, k in counts.items():
        # the class-``name`` examples among the first ``num`` (num_examples counts before the class filter)
        class_config = config.replace(data=data.replace(classes=(name,), num_examples=num))
        maps = next(conditioned_examples(class_config).take(k).batch(k).as_numpy_iterator())
        instances = maps.get("instance_map") if model.config.use_instance else None
        images = model.synthesize(maps["label_map"][..., 0].astype(np.int32),
                                  None if instances is None else instances[..., 0])
        folder = Path(out_dir) / name
        folder.mkdir(parents=True, exist_ok=True)
        for i, image in enumerate(images):
            save_png(to_uint8(image), folder / f"map_{i:05d}.png")
    return {"counts": counts, "map_ids": [i for i, y in zip(ids, labels, strict=True) if y >= 0]}


def protocol_config(exp) -> dict:
    """The classifier protocol of Table 1 as a tfskin augmentation protocol, with one replicate per GAN
    replicate (its S_g and its GANs' images)."""
    from tfskin.reproduce.replicates import design, plan_replicates, protocol_replicates

    s = exp.settings
    size = [s["image_size"], s["image_size"]]
    conditions = []
    for name, real, pieces in CONDITIONS:
        conditions.append({"name": name, "real": real,
                           "synthetic": [{"source": src, "n": f"{times}x"} for src, times in pieces]})
    data = protocol_data(exp, "classifier", size)
    return {"name": f"bissoto2018_{exp.budget}", "seed": 0, "repeats": s["repeats"], "workers": exp.workers,
            "metric": "auc", "reference": REFERENCE, "baseline": BASELINE, "design": design(exp), "data": data,
            "classifier": {"task": "melanoma", **s["classifier"]},
            "sources": _sources(exp, plan_replicates(exp)[0]), "conditions": conditions,
            "replicates": protocol_replicates(exp, lambda rep: _sources(exp, rep))}


def gan_configs(exp, rep) -> dict:
    """Replicate ``rep``'s three GAN runs, each on S_g only: pix2pixHD with instance maps, pix2pixHD
    semantic-only, the conditional PGAN."""
    s, d = exp.settings, exp.datasets
    return {"pix2pixhd_instance": _gan_config(exp, rep, "pix2pixhd", s["pix2pixhd_preset"], d["pix2pixhd"],
                                              "pix2pixhd_steps"),
            "pix2pixhd_semantic": _gan_config(exp, rep, "pix2pixhd", s["semantic_preset"], d["pix2pixhd"],
                                              "pix2pixhd_steps"),
            "pgan": _gan_config(exp, rep, "progan", s["pgan_preset"], d["pgan"], "pgan_steps")}


def _sources(exp, rep) -> dict:
    synthetic = exp.out / "synthetic" / rep.tag
    return {"instance": f"png:{synthetic / 'instance'}", "semantic": f"png:{synthetic / 'semantic'}",
            "pgan": f"run:{exp.out / 'gans' / 'pgan' / rep.tag}"}


def plan(exp) -> dict:
    """What ``run`` will do, resolved and validated without training: GAN run configs and the protocol."""
    from tfskin.evaluation.protocol import load_protocol
    from tfskin.reproduce.replicates import plan_replicates

    gans = {f"{name} ({rep.tag})": config for rep in plan_replicates(exp)
            for name, config in gan_configs(exp, rep).items()}
    return {"gans": gans, "protocol": load_protocol(protocol_config(exp))}


def arms_synthetic() -> dict:
    """Each arm's GANs (the sources of its synthetic images)."""
    return {name: sorted({GANS[src] for src, _ in pieces}) for name, _, pieces in CONDITIONS}


#: A replicate's GANs (``replicate_gans``' parts), none feeding another; the longest first.
REPLICATE_PARTS = ("pgan", "instance", "semantic")


def replicate_parts(exp) -> tuple:
    """The parts of a replicate's GAN work that can run at the same time: one per GAN."""
    return REPLICATE_PARTS


def replicate_gans(exp, rep, part: str) -> dict:
    """Part ``part`` of replicate ``rep``'s GAN work: ``pgan`` trains the PGAN on S_g; ``instance`` and
    ``semantic`` train that pix2pixHD on S_g, then make one image per map of S_g with it. Returns {"runs": {GAN:
    run folder}, "maps": {pix2pixHD GAN: the ids of the maps used}} (no "maps" for the PGAN)."""
    if part not in REPLICATE_PARTS:
        raise ValueError(f"bissoto2018 has no replicate part {part!r}; parts: {', '.join(REPLICATE_PARTS)}")
    wf = exp.workflow
    gan = "pgan" if part == "pgan" else f"pix2pixhd_{part}"
    run = wf.train_gan(gan, gan_configs(exp, rep)[gan], replicate=rep.index)
    if part == "pgan":
        return {"runs": {gan: run}}
    made = wf.step(f"synthesize_{part}_{rep.tag}", synthesize_from_maps, run, exp.out / "synthetic" / rep.tag / part,
                   rep.n_train)
    return {"runs": {gan: run}, "maps": {gan: made["map_ids"]}}


def run(exp) -> dict:
    """Per replicate: train the three GANs on S_g, synthesize; then the classifier protocol over every replicate,
    the provenance checks and the paper-style report."""
    from tfskin.evaluation.protocol import run_protocol
    from tfskin.reproduce.parallel import run_replicates
    from tfskin.reproduce.replicates import check_train_size, plan_replicates

    wf = exp.workflow
    check_train_size(exp)
    done = run_replicates(exp, replicate_gans, plan_replicates(exp), exp.workers, replicate_parts(exp))
    runs = {g: r["runs"] for g, r in done.items()}
    maps = {g: r["maps"] for g, r in done.items()}
    cfg = protocol_config(exp)
    wf.log(f"classifier protocol: {len(cfg['conditions'])} conditions x {cfg['repeats']} repeats "
           f"({len(cfg['replicates'])} GAN replicates)")
    summary = wf.timed("evaluation", run_protocol, cfg, exp.out / "protocol", workers=exp.workers,
                       engine=exp.engine, stream=wf.stream)
    from tfskin.reproduce.provenance import add_to_summary, record_experiment
    from tfskin.reproduce.report import classifier_paper_report

    extra = wf.timed("provenance", record_experiment, cfg, exp.out / "protocol", runs, arms_synthetic(), "auc",
                     maps=maps)
    joined = None if is_phantoms(exp.data) else wf.step("diagnosis_coverage", _coverage, exp.datasets["classifier"])
    classifier_paper_report(exp, cfg, summary, paper="bissoto2018", metric="auc", published_table="table1",
                            published_split="ood",
                            note="The published figures are AUC (%) of an Inception-v4 trained on the 2,346 "
                                 "training images of ISIC 2018 task 2 (real) and tested on the Interactive "
                                 "Atlas of Dermoscopy (900 images, another source), so they sit beside our "
                                 "out-of-distribution column." + coverage_note(joined))
    if joined:
        extra["diagnoses"] = joined
    return add_to_summary(exp, extra)


def _coverage(name: str) -> dict:
    from tfskin.data.tfds.register import diagnosis_coverage

    return {split: diagnosis_coverage(name, split) for split in ("train", "test")}


def coverage_note(joined) -> str:
    """One sentence: where the diagnoses came from and how many images had none (left out)."""
    if not joined:
        return ""
    t, e = joined["train"], joined["test"]
    return (f" ISIC 2018 task 1/2 ships no diagnosis: each image is labelled by joining its id to "
            f"{t['diagnoses_from']}; {t['left_out']} of {t['with_diagnosis'] + t['left_out']} training and "
            f"{e['left_out']} of {e['with_diagnosis'] + e['left_out']} test images had none and were left out.")
