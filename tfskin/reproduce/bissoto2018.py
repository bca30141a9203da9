"""Bissoto et al. 2018, Table 1: do pix2pixHD (semantic + instance maps, or semantic only) and conditional PGAN
images help a melanoma classifier?

Steps: train pix2pixHD with instance maps, pix2pixHD with the semantic map only and the conditional progressive
GAN; synthesize one image per real training map with each pix2pixHD (the "Instance" and "Semantic" sets, labelled
with the diagnosis of the map's lesion) and draw PGAN samples; then the classifier protocol over Table 1's nine
training sets, 10 paired repeats, tested in distribution and on a shifted test set (the paper tested on the
Interactive Atlas of Dermoscopy, another source than its training data), every condition compared with
Real+Instance+PGAN as the paper does.
"""

from pathlib import Path

from tfskin.errors import BadInputError
from tfskin.reproduce.papers import PHANTOM_OOD, is_phantoms, protocol_data

TITLE = "Bissoto, Perez, Valle, Avila: Skin Lesion Synthesis with Generative Adversarial Networks (ISIC @ MICCAI 2018)"
SUMMARY = "Table 1: AUC of a melanoma classifier trained on real, synthetic and real+synthetic sets, 10 runs"
REFERENCE = "Real+Instance+PGAN"

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

SETTINGS = {
    "smoke": {
        "gan_image_size": 32, "pix2pixhd_preset": "tiny", "semantic_preset": "tiny_semantic", "pgan_preset": "tiny",
        "gan_steps": 2, "gan_examples": 64, "image_size": 32, "train_pool": 48, "train_size": 24, "test_size": 24,
        "ood_size": 24, "repeats": 2,
        "classifier": {"backbone": "small_cnn", "width": 4, "epochs": 1, "batch_size": 8, "tta": 1},
    },
    "cpu": {
        "gan_image_size": 32, "pix2pixhd_preset": "quick", "semantic_preset": "quick_semantic", "pgan_preset": "quick",
        "gan_steps": None, "pix2pixhd_steps": 400, "pgan_steps": 900, "gan_examples": 1000, "image_size": 32,
        "train_pool": 600, "train_size": 200, "test_size": 200, "ood_size": 200, "repeats": 10,
        "classifier": {"backbone": "small_cnn", "width": 16, "epochs": 8, "batch_size": 32, "learning_rate": 0.01,
                       "tta": 3},
    },
    "paper": {  # 2,346 training maps, 1024x512 pix2pixHD, 256x256 PGAN, Inception (v4 in the paper), TTA 50
        "gan_image_size": None, "pix2pixhd_preset": "paper1024x512_instance",
        "semantic_preset": "paper1024x512_semantic", "pgan_preset": "paper256", "gan_steps": None,
        "gan_examples": None, "image_size": 299, "train_pool": None, "train_size": None, "test_size": None,
        "ood_size": None, "repeats": 10,
        "classifier": {"backbone": "inception_resnet_v2", "weights": "imagenet", "epochs": 15, "batch_size": 32,
                       "learning_rate": 1e-3, "tta": 50},
    },
}


def datasets(data: str, ood: str = None) -> dict:
    """Phantoms for everything on phantoms; with real data the paper's: pix2pixHD on ISIC 2018 task 1/2's maps,
    PGAN and the classifier on ``data`` (the paper: ISIC 2018 task 2's training images, ISIC 2017 for PGAN),
    derm7pt (by default) standing in for the Interactive Atlas of Dermoscopy as the OOD test."""
    if is_phantoms(data):
        return {"pix2pixhd": data, "pgan": data, "classifier": data, "ood": ood or PHANTOM_OOD}
    return {"pix2pixhd": "isic2018_task1_2", "pgan": data, "classifier": data, "ood": ood or "derm7pt"}


def _gan_config(exp, model, preset, dataset, steps_key):
    from tfskin.training import resolve_config

    s = exp.settings
    data = {"name": dataset, "num_examples": s["gan_examples"]}
    if s["gan_image_size"]:
        data["image_size"] = (s["gan_image_size"], s["gan_image_size"])
    steps = s.get(steps_key) or s["gan_steps"]
    train = {"steps": steps, "seed": 0}
    if steps:
        every = max(1, steps // 4)
        train.update(checkpoint_every=every, sample_every=every, log_every=max(1, steps // 20))
    return resolve_config(model, preset, data=data, train=train)


def synthesize_from_maps(run_dir, out_dir, num: int) -> dict:
    """One pix2pixHD image per real training map of the run's data (the first ``num``), written as
    ``out_dir/<CLASS>/map_<i>.png`` so each image carries its map's diagnosis. Returns counts per class."""
    import numpy as np

    from tfskin.classes import CLASS_NAMES
    from tfskin.evaluation.real_data import load_arrays
    from tfskin.imaging import save_png, to_uint8
    from tfskin.inputs.label_maps import conditioned_examples
    from tfskin.runs import load_trained_model

    config, model = load_trained_model(run_dir)
    data = config.data
    labels = load_arrays(data.name, data.split, data.image_size, num_examples=num, seed=data.seed)["label"]
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
    return counts


def protocol_config(exp, sources: dict) -> dict:
    """The classifier protocol of Table 1 as a tfskin augmentation protocol."""
    s = exp.settings
    size = [s["image_size"], s["image_size"]]
    conditions = []
    for name, real, pieces in CONDITIONS:
        conditions.append({"name": name, "real": real,
                           "synthetic": [{"source": src, "n": f"{times}x"} for src, times in pieces]})
    data = protocol_data(exp, "classifier", size)
    return {"name": f"bissoto2018_{exp.budget}", "seed": 0, "repeats": s["repeats"], "workers": exp.workers,
            "metric": "auc", "reference": REFERENCE, "data": data,
            "classifier": {"task": "melanoma", **s["classifier"]}, "sources": sources, "conditions": conditions}


def gan_configs(exp) -> dict:
    """The three GAN runs: pix2pixHD with instance maps, pix2pixHD semantic-only, the conditional PGAN."""
    s, d = exp.settings, exp.datasets
    return {"pix2pixhd_instance": _gan_config(exp, "pix2pixhd", s["pix2pixhd_preset"], d["pix2pixhd"],
                                              "pix2pixhd_steps"),
            "pix2pixhd_semantic": _gan_config(exp, "pix2pixhd", s["semantic_preset"], d["pix2pixhd"],
                                              "pix2pixhd_steps"),
            "pgan": _gan_config(exp, "progan", s["pgan_preset"], d["pgan"], "pgan_steps")}


def _sources(exp) -> dict:
    synthetic = exp.out / "synthetic"
    return {"instance": f"png:{synthetic / 'instance'}", "semantic": f"png:{synthetic / 'semantic'}",
            "pgan": f"run:{exp.out / 'gans' / 'pgan'}"}


def plan(exp) -> dict:
    """What ``run`` will do, resolved and validated without training: GAN run configs and the protocol."""
    from tfskin.evaluation.protocol import load_protocol

    return {"gans": gan_configs(exp), "protocol": load_protocol(protocol_config(exp, _sources(exp)))}


def run(exp) -> dict:
    """Train the three GANs, synthesize, run the classifier protocol, write the paper-style report."""
    from tfskin.evaluation.protocol import run_protocol

    wf = exp.workflow
    runs = {name: wf.train_gan(name, config) for name, config in gan_configs(exp).items()}
    synthetic = exp.out / "synthetic"
    n_maps = exp.settings["train_pool"] or exp.settings["gan_examples"]
    for name in ("instance", "semantic"):
        wf.step(f"synthesize_{name}", synthesize_from_maps, runs[f"pix2pixhd_{name}"], synthetic / name, n_maps)
    cfg = protocol_config(exp, _sources(exp))
    wf.log(f"classifier protocol: {len(cfg['conditions'])} conditions x {cfg['repeats']} repeats")
    summary = wf.timed("evaluation", run_protocol, cfg, exp.out / "protocol", workers=exp.workers, stream=wf.stream)
    from tfskin.reproduce.report import classifier_paper_report

    return classifier_paper_report(exp, cfg, summary, paper="bissoto2018", metric="auc",
                                   published_table="table1", published_split="ood",
                                   note="The published figures are AUC (%) of an Inception-v4 trained on the 2,346 "
                                        "training images of ISIC 2018 task 2 (real) and tested on the Interactive "
                                        "Atlas of Dermoscopy (900 images, another source), so they sit beside our "
                                        "out-of-distribution column.")
