"""Does discriminator augmentation (and the generator EMA) help a GAN on a small phantom set? Paired runs.

For every model x training-set size x setting x seed it trains one run (same real images and initial weights
across settings for a seed: the pair), keeping a generator EMA in every run, then scores the EMA generator and
the raw one (EMA off) of that same run on ``--samples`` images:

* KID (x 1e3) against held-out real phantoms (another data seed than the training images), on domain features:
  a small phantom classifier trained once on further held-out phantoms (``--features phantom-classifier``,
  cached in OUT), or any ``tfskin evaluate metrics`` feature network (``classifier:PATH``), and on pixels
  (32 x 32); the same figures for other real images and for one real image repeated are printed beside, so
  what a feature space can tell apart is on the page;
* sample diversity (``tfskin.diversity``): mean pairwise and nearest-neighbour distance, as a ratio to the same
  figure of as many real images (about 1: as varied as real images; near 0: mode collapse);
* the CAS ratio (``tfskin.evaluation.cas``, Ravuri & Vinyals 2019) where the samples carry a class: a small_cnn
  trained on ``--cas-per-class`` generated images of each of ``--cas-classes`` and tested on the held-out real
  phantoms, over the same classifier trained on as many of the run's own real training images per class. The
  real-trained reference is trained once per (training-set size, CAS seed) and reused by every run of that
  size (its draw and seed are the same, so the classifier is the same). Default cost: 50 images per class of
  NV, MEL, BCC and BKL (91% of the ISIC 2019 prior), small_cnn width 16 at 32x32, 8 epochs, no TTA, 1 repeat:
  two classifiers per run (EMA and raw), ~8 s each on a loaded 2-core CPU. Models whose samples carry no class
  (dcgan) get "-";
* the last ADA p.

The models, each with a CPU-sized default (``--preset`` / ``--steps`` replace them, for all models or per model
as ``MODEL=VALUE``):

* ``dcgan``: ``quick`` at 32x32, 1,000 steps of 32 images; unconditional, so no CAS;
* ``acgan``: ``quick`` at 32x32 (8 classes), 1,000 steps of 32; sampled per class through a ``run:``
  source (``tfskin.sources.RunDirSource``), the way ``tfskin evaluate metrics --cas`` draws it;
* ``progan``: the conditional progressive GAN's ``quick`` preset (8 classes, ``label_mode`` class), 750 steps
  of 16, with its blocks cut to the last ones that give a 4x4 base at the bench's size (``(128, 64, 32, 16)``
  at 32x32) and its fade-in schedule scaled to the steps: every fade-in and every stabilisation lasts
  steps x batch / (2 x stages) images, so the full resolution is faded in after (2 x stages - 2) / (2 x stages)
  of the run and trains at alpha 1 for the rest (750 steps: 1,500 images per phase, 32x32 faded in after 563
  steps); sampled per class like acgan;
* ``pix2pixhd``: ``quick`` at 32x32 (semantic + instance maps, 2 discriminator scales), 500 steps of 8. It
  does not sample from noise: it synthesizes one image from each label/instance map of further held-out
  phantoms (data seed 9003, the label-map path of ``tfskin labelmaps`` and the bissoto2018 reproduction),
  and each image carries the diagnosis of the phantom its map was drawn from, so CAS is scored on those
  (the phantom's class shows in its map's dermoscopic structures; its colours are the generator's).
  ``augment`` augments the discriminator's whole input: geometric transforms move the label map with the
  image, colour transforms change only the image's channels.

It prints one table: the median and range (min..max) over seeds per setting, and the median of the per-seed
paired difference to the first setting, then writes every number to OUT/bench_augment.json. Runs already
finished in OUT are reused, so a cut-off bench resumes. Numbers are measured, never asserted. The issue's full
design (dcgan, acgan, progan, pix2pixhd at 200 and 1,000 images, 3 seeds, ADA against none) with the CPU
defaults, 48 runs, about 66 CPU-minutes (measured at 200 images with 800/800/600/400 steps: 4.8 CPU-minutes
for one run of each of the four models and its scores, 5.4 scaled to the default steps; on 2 cores 35-70 minutes,
depending on how well TensorFlow spreads these small steps over them):

  python scripts/bench_augment.py --models dcgan acgan progan pix2pixhd --sizes 200 1000 --seeds 0 1 2 \\
      --settings none 'ada={"kind": "ada", "speed_images": 20000}' --out bench_augment_full

Every bench also writes ``OUT/samples_<n>.png`` per training-set size (a row per model, a column per setting,
the first seed's last sample grid); ``--sheets-only`` writes them from the runs in OUT without training or
scoring. ``--smoke`` checks every model end to end in a few minutes (3 steps, tiny samples, 2 CAS classes; the numbers
mean nothing). A setting is ``none``, ``ada``, ``diffaugment`` or ``NAME=JSON`` (an ``augment`` section, e.g.
``'ada20k={"kind": "ada", "speed_images": 20000}'``). ADA's default speed (p moves at most 1 per 500,000 images,
StyleGAN2-ADA's) leaves p below 0.07 in runs of these lengths (at most 32,000 images), so the full design
states a speed that lets p reach its cap within the run.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

from tfskin.diversity import FIGURES, diversity_ratio, sample_diversity  # noqa: E402

# phantom data seeds of the KID reference, the feature classifier and pix2pixHD's label maps
REAL_SEED, FEATURE_SEED, MAP_SEED = 9001, 9002, 9003
CLASSIFIER_EPOCHS = 15
CAS_SEED = 0
# Per model: the CPU-sized preset and steps (see the module docstring).
MODEL_DEFAULTS = {"dcgan": ("quick", 1000), "acgan": ("quick", 1000), "progan": ("quick", 750),
                  "pix2pixhd": ("quick", 500)}
SMOKE = {"steps": 3, "samples": 16, "seeds": [0], "ema_halflife": 16.0, "cas_per_class": 8, "cas_epochs": 1,
         "cas_classes": ["NV", "MEL"], "reference_images": 64, "classifier_examples": 128, "classifier_epochs": 1}


def parse_setting(text: str) -> tuple:
    name, _, spec = text.partition("=")
    return (name, json.loads(spec)) if spec else (name, {"kind": name})


def per_model(values, models, defaults: dict, convert=str) -> dict:
    """``VALUE`` (every model) and/or ``MODEL=VALUE`` items -> {model: value}, defaults elsewhere."""
    chosen = {m: defaults[m] for m in models}
    for item in values or []:
        model, eq, value = item.rpartition("=")
        for m in ([model] if eq else models):
            if m not in chosen:
                raise SystemExit(f"{item!r}: {m} is not among --models ({', '.join(models)})")
            chosen[m] = convert(value)
    return chosen


def phantoms(count: int, size: int, seed: int) -> dict:
    from tfskin.evaluation.real_data import load_arrays

    return load_arrays("phantoms", "train", (size, size), num_examples=count, seed=seed)


def feature_network(spec: str, size: int, out: Path, examples: int = 1000, epochs: int = CLASSIFIER_EPOCHS):
    """The KID feature network: ``phantom-classifier`` (trained once, cached under ``out``) or a spec."""
    from tfskin.evaluation.features import make_feature_network

    if spec != "phantom-classifier":
        return make_feature_network(spec)
    path = out / (f"feature_classifier_{size}_e{epochs}" + (f"_n{examples}" if examples != 1000 else ""))
    if not (path / "model.keras").exists():
        from tfskin.evaluation.classifier import ClassifierConfig, task_labels, train_classifier

        data = phantoms(examples, size, FEATURE_SEED)
        config = ClassifierConfig(task="multiclass", backbone="small_cnn", width=32, image_size=(size, size),
                                  epochs=epochs, learning_rate=0.01, tta=1, seed=0)
        labels = task_labels("multiclass", data["label"])
        keep = labels >= 0
        train_classifier(config, data["image"][keep], labels[keep]).save(path)
    return make_feature_network(f"classifier:{path}")


def classifier_accuracy(features, data: dict):
    """The feature classifier's 8-class accuracy on ``data`` and the majority-class share (None: no classifier)."""
    classifier = getattr(features, "classifier", None)
    if classifier is None:
        return None
    from tfskin.evaluation.classifier import task_labels

    labels = task_labels("multiclass", data["label"])
    keep = labels >= 0
    predicted = classifier.predict(data["image"][keep], tta=1).argmax(axis=1)
    return {"accuracy": float(np.mean(predicted == labels[keep])),
            "majority_share": float(np.bincount(labels[keep]).max() / keep.sum())}


def run_config(model: str, preset: str, steps: int, size: int, num_examples: int, setting: dict, seed: int,
               ema_halflife: float):
    """The run's config: the preset at ``size`` on ``num_examples`` phantoms (progan: blocks down to a 4x4 base,
    fade-in schedule scaled to ``steps``; see the module docstring)."""
    from tfskin.registry import get_model
    from tfskin.training import resolve_config

    overrides = {}
    if model == "progan":
        chosen = get_model(model).preset(preset)
        fitted = chosen.model_config.fitted_to((size, size), steps, chosen.train.get("batch_size", 16))
        overrides = {"feature_maps": fitted.feature_maps, "transition_images": fitted.transition_images,
                     "stabilise_images": fitted.stabilise_images}
    return resolve_config(model, preset, data={"num_examples": num_examples, "image_size": (size, size)},
                          train={"steps": steps, "seed": seed, "export_at_end": False, "sample_every": steps,
                                 "checkpoint_every": steps, "log_every": max(1, steps // 10)},
                          model_overrides=overrides, augment=setting, ema={"halflife_images": ema_halflife})


def train_run(config, run_dir: Path) -> dict:
    """Train one run (or reuse a finished one); returns what it logged at the end."""
    done = run_dir / "bench_run.json"
    if done.exists():
        return json.loads(done.read_text())
    from tfskin.training import train

    start, cpu = time.time(), time.process_time()
    result = train(config, run_dir, stream=open(os.devnull, "w"))
    # CPU seconds (all threads) beside wall seconds: wall time depends on what else shares the machine
    record = {"seconds": round(time.time() - start, 1), "cpu_seconds": round(time.process_time() - cpu, 1),
              "steps": config.train.steps, "seconds_per_step": round((time.time() - start) / config.train.steps, 3),
              "final_logs": {k: float(v) for k, v in result.final_logs.items()}}
    done.write_text(json.dumps(record, indent=2))
    return record


def write_sample_sheets(out: Path, models, sizes, settings, seed: int) -> list:
    """``OUT/samples_<n>.png`` per training-set size: a row per model, a column per setting, each cell the last
    sample grid its run wrote (the EMA generator's; pix2pixHD's panels: map, real, synthesized) for ``seed``.
    Runs not in OUT leave their cell empty. Returns the paths written."""
    from PIL import Image, ImageDraw

    written = []
    for n in sizes:
        cells = {}
        for model in models:
            for name in settings:
                grids = sorted((out / f"{model}_{n}_{name}_seed{seed}" / "samples").glob("step_*.png"))
                if grids:
                    cells[model, name] = Image.open(grids[-1]).convert("RGB")
        if not cells:
            continue
        label_w, label_h, pad = 90, 16, 6
        col_w = {name: max((im.width for (m, s), im in cells.items() if s == name), default=0) for name in settings}
        row_h = {m: max((im.height for (mm, s), im in cells.items() if mm == m), default=0) for m in models}
        sheet = Image.new("RGB", (label_w + sum(col_w.values()) + pad * len(settings),
                                  label_h + sum(row_h.values()) + pad * len(models)), "white")
        draw = ImageDraw.Draw(sheet)
        x = label_w
        for name in settings:
            draw.text((x, 2), f"{name} (seed {seed}, {n} images)", fill="black")
            x += col_w[name] + pad
        y = label_h
        for model in models:
            draw.text((2, y + row_h[model] // 2), model, fill="black")
            x = label_w
            for name in settings:
                if (model, name) in cells:
                    sheet.paste(cells[model, name], (x, y))
                x += col_w[name] + pad
            y += row_h[model] + pad
        path = out / f"samples_{n}.png"
        sheet.save(path)
        written.append(path)
    return written


def loaded_run_source(run_dir, config, model):
    """A ``run:DIR`` source (``tfskin.sources.RunDirSource``: per-class drawing through ``model.sample``, as
    ``tfskin evaluate metrics --cas`` draws) around a model already loaded, so the raw generator can be sampled
    as well as the EMA one."""
    from tfskin.sources import RunDirSource, SyntheticSource

    source = RunDirSource.__new__(RunDirSource)
    source.path, source.config, source.model = Path(run_dir), config, model
    source.classes = tuple(config.data.classes or ())
    SyntheticSource.__init__(source)
    source.has_masks, source.batch_size = False, 256
    return source


class LabelMapImages:
    """pix2pixHD's images: one per label/instance map of ``count`` held-out phantoms, with their diagnoses."""

    def __init__(self):
        self._maps = {}

    def maps(self, config, count: int) -> dict:
        from tfskin.inputs.label_maps import conditioned_examples

        data = config.data.replace(seed=MAP_SEED, num_examples=count, classes=None)
        key = (config.model_config, data)
        if key not in self._maps:
            maps = next(conditioned_examples(config.replace(data=data)).take(count).batch(count)
                        .as_numpy_iterator())
            real = phantoms(count, data.image_size[0], MAP_SEED)
            if not np.array_equal(maps["image"], real["image"]):  # the labels below must be these maps' own
                raise RuntimeError("pix2pixHD's label maps and the labelled phantoms disagree")
            self._maps[key] = {**maps, "label": real["label"]}
        return self._maps[key]

    def sample(self, config, model, count: int) -> dict:
        from tfskin.imaging import to_uint8

        maps = self.maps(config, count)
        images = []
        for start in range(0, count, 256):  # the model's inference path, on the maps' own boundary maps
            part = slice(start, start + 256)
            boundary = maps["boundary"][part] if model.config.use_instance else None
            images.append(to_uint8(model(maps["label_map"][part].astype(np.int32), boundary)["image"]))
        return {"image": np.concatenate(images), "label": maps["label"]}


class CachedTrainer:
    """A CAS trainer that trains once per (images, labels, seed): every run of a training-set size draws the
    same real images for the real-trained reference, so it is trained once and reused."""

    def __init__(self, trainer):
        self.trainer, self.cache, self.trained = trainer, {}, 0

    def __call__(self, images, labels, seed):
        import hashlib

        key = (hashlib.sha1(np.ascontiguousarray(images).tobytes()).hexdigest(),
               hashlib.sha1(np.ascontiguousarray(labels).tobytes()).hexdigest(), int(seed))
        if key not in self.cache:
            predict = self.trainer(images, labels, seed)
            memo = {}

            def cached_predict(x):
                digest = hashlib.sha1(np.ascontiguousarray(x).tobytes()).hexdigest()
                if digest not in memo:
                    memo[digest] = predict(x)
                return memo[digest]

            self.cache[key] = cached_predict
            self.trained += 1
        return self.cache[key]


class CasScorer:
    """The CAS ratio of a sampler against the held-out real phantoms (see the module docstring)."""

    def __init__(self, args, size: int, real_test: dict):
        from tfskin.evaluation.cas import small_cnn_trainer
        from tfskin.evaluation.classifier import ClassifierConfig

        # small_cnn as ``tfskin evaluate metrics --cas`` trains it (width 16, one-cycle peak 0.01), no TTA
        self.config = ClassifierConfig(task="multiclass", classes=tuple(args.cas_classes), image_size=(size, size),
                                       epochs=args.cas_epochs, width=16, learning_rate=0.01, tta=1, seed=CAS_SEED)
        self.trainer = CachedTrainer(small_cnn_trainer(self.config))
        self.args, self.real_test, self._real_train = args, real_test, {}

    def real_train(self, config) -> dict:
        """The run's own real training images (the reference classifier draws from them)."""
        data = config.data
        key = (data.name, data.split, data.image_size, data.num_examples, data.seed)
        if key not in self._real_train:
            from tfskin.evaluation.real_data import load_arrays

            self._real_train[key] = load_arrays(data.name, data.split, data.image_size,
                                                num_examples=data.num_examples, seed=data.seed)
        return self._real_train[key]

    def score(self, sources, real_train: dict) -> dict:
        from tfskin.evaluation.cas import ClassSampler, classification_accuracy_score

        sampler = ClassSampler(sources, self.args.cas_classes)
        return classification_accuracy_score(sampler, real_train, self.real_test, trainer=self.trainer,
                                             per_class=self.args.cas_per_class, repeats=self.args.cas_repeats,
                                             seed=CAS_SEED)


def cas_fields(result: dict) -> dict:
    """The CAS figures kept beside KID in every row (the full result goes to ``cas``)."""
    return {"cas_ratio": result["cas_ratio"]["mean"],
            # chance (AUC 0.5) is a ratio of 0.5 / real AUC, which differs per training-set size; this is 0 there
            "cas_ratio_above_chance": result["auc_ratio_above_chance"]["mean"],
            "cas_auc_synthetic": result["synthetic_auc"]["mean"],
            "cas_auc_real": result["real_auc"]["mean"],
            "cas_balanced_accuracy_ratio": result["balanced_accuracy_ratio"]["mean"]}


def image_scores(images, networks: dict, real_images) -> dict:
    """KID (x 1e3) per feature network and diversity ratios of ``images`` against the held-out real ones."""
    from tfskin.evaluation.generative import kid

    ratios = diversity_ratio(sample_diversity(images), sample_diversity(real_images[:len(images)]))
    return {**{f"kid_{name}_x1e3": 1e3 * kid(real_features, network(images))["kid"]
               for name, (network, real_features) in networks.items()},
            **{f"diversity_{name}": ratios[name] for name in FIGURES}}


def score_run(run_dir: Path, networks: dict, real_images, num: int, cas, label_maps: LabelMapImages) -> dict:
    """Scores of the EMA generator and the raw one of a finished run (CAS where its samples carry a class)."""
    from tfskin.imaging import to_uint8
    from tfskin.runs import load_trained_model
    from tfskin.sources import ArraySource

    scores = {}
    for generator, raw in (("ema", False), ("raw", True)):
        config, model = load_trained_model(run_dir, precision="float32", raw_generator=raw)
        if getattr(model, "input_kind", None) == "label_maps":
            pool = label_maps.sample(config, model, max(num, label_map_count(cas)))
            images, source = pool["image"][:num], ArraySource(pool["image"], pool["label"], name="pix2pixHD")
        else:
            images = to_uint8(model.sample(num, seed=12345)["image"])
            source = loaded_run_source(run_dir, config, model) if model.conditional else None
        scores[generator] = image_scores(images, networks, real_images)
        if source is not None and cas is not None:
            result = cas.score([source], cas.real_train(config))
            scores[generator].update(cas_fields(result), cas=result)
    return scores


def label_map_count(cas) -> int:
    """pix2pixHD's map pool: enough maps for ``per_class`` images of the rarest CAS class (ISIC 2019 prior)."""
    if cas is None:
        return 0
    from tfskin.classes import ISIC2019_CLASS_COUNTS

    total = sum(ISIC2019_CLASS_COUNTS.values())
    rarest = min(ISIC2019_CLASS_COUNTS[c] for c in cas.args.cas_classes) / total
    return int(min(4096, np.ceil(1.2 * cas.args.cas_per_class / rarest)))


METRICS = ("kid_domain_x1e3", "kid_pixels_x1e3", "diversity_mean_pairwise", "diversity_mean_nearest", "cas_ratio")


def summarise(rows: list, settings: list) -> list:
    """Table lines: median [min..max] over seeds and the median paired difference to the first setting; "-"
    where a model's samples carry no class (no CAS)."""
    lines = [f"{'model':9} {'n':>5} {'setting':14} {'G':4} {'seeds':>5} " +
             " ".join(f"{m:>32}" for m in METRICS) + f" {'last p':>6}"]
    groups = sorted({(r["model"], r["num_examples"]) for r in rows})
    for model, n in groups:
        for setting in settings:
            for generator in ("ema", "raw"):
                mine = [r for r in rows if (r["model"], r["num_examples"], r["setting"]) == (model, n, setting)]
                if not mine:
                    continue
                cells = []
                for m in METRICS:
                    if any(m not in r["scores"][generator] for r in mine):
                        cells.append(f"{'-':>32}")
                        continue
                    values = np.array([r["scores"][generator][m] for r in mine])
                    cell = f"{np.median(values):.3g} [{values.min():.3g}..{values.max():.3g}]"
                    base = {r["seed"]: r["scores"][generator][m] for r in rows
                            if (r["model"], r["num_examples"], r["setting"]) == (model, n, settings[0])}
                    paired = [r["scores"][generator][m] - base[r["seed"]] for r in mine if r["seed"] in base]
                    if setting != settings[0] and paired:
                        cell += f" d{np.median(paired):+.3g}"
                    cells.append(f"{cell:>32}")
                p = [r["final_logs"].get("ada_p", float("nan")) for r in mine]
                lines.append(f"{model:9} {n:>5} {setting:14} {generator:4} {len(mine):>5} " + " ".join(cells) +
                             f" {np.median(p):6.2f}")
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", nargs="+", default=["dcgan"], choices=sorted(MODEL_DEFAULTS))
    parser.add_argument("--preset", nargs="+", help="PRESET or MODEL=PRESET (default: quick for each)")
    parser.add_argument("--steps", nargs="+", help="STEPS or MODEL=STEPS (default per model: see above)")
    parser.add_argument("--sizes", nargs="+", type=int, default=[200], help="training images (phantoms)")
    parser.add_argument("--settings", nargs="+", default=["none", "ada"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--image-size", type=int, default=32)
    parser.add_argument("--ema-halflife", type=float, default=2000.0, help="images (every run keeps an EMA)")
    parser.add_argument("--samples", type=int, default=256, help="generated images scored per generator")
    parser.add_argument("--features", default="phantom-classifier")
    parser.add_argument("--cas-classes", nargs="+", default=["NV", "MEL", "BCC", "BKL"])
    parser.add_argument("--cas-per-class", type=int, default=50, help="images per class for each CAS classifier")
    parser.add_argument("--cas-repeats", type=int, default=1)
    parser.add_argument("--cas-epochs", type=int, default=8)
    parser.add_argument("--no-cas", action="store_true", help="skip the CAS ratio")
    parser.add_argument("--smoke", action="store_true",
                        help="every model end to end in minutes: 3 steps, 16 samples, one seed, tiny CAS")
    parser.add_argument("--sheets-only", action="store_true",
                        help="only write OUT/samples_<n>.png from the runs already in OUT (no training or scoring)")
    parser.add_argument("--out", type=Path, default=Path("bench_augment_runs"))
    args = parser.parse_args(argv)
    reference_count, classifier = 2 * max(512, args.samples), (1000, CLASSIFIER_EPOCHS)
    if args.smoke:
        for key in ("samples", "seeds", "ema_halflife", "cas_per_class", "cas_epochs", "cas_classes"):
            setattr(args, key, SMOKE[key])
        args.steps = args.steps or [str(SMOKE["steps"])]
        reference_count = SMOKE["reference_images"]
        classifier = (SMOKE["classifier_examples"], SMOKE["classifier_epochs"])
    presets = per_model(args.preset, args.models, {m: d[0] for m, d in MODEL_DEFAULTS.items()})
    steps = per_model(args.steps, args.models, {m: d[1] for m, d in MODEL_DEFAULTS.items()}, int)
    settings = [parse_setting(s) for s in args.settings]
    args.out.mkdir(parents=True, exist_ok=True)
    if args.sheets_only:
        for path in write_sample_sheets(args.out, args.models, args.sizes, [n for n, _ in settings], args.seeds[0]):
            print(f"wrote {path}")
        return
    features = feature_network(args.features, args.image_size, args.out, *classifier)
    pixels = feature_network("pixels:32", args.image_size, args.out)
    held_out_data = phantoms(reference_count, args.image_size, REAL_SEED)
    held_out = held_out_data["image"]
    real, other_real = held_out[:len(held_out) // 2], held_out[len(held_out) // 2:]
    accuracy = classifier_accuracy(features, held_out_data)
    networks = {"domain": (features, features(real)), "pixels": (pixels, pixels(real))}
    # what the figures read for real images and for one real image repeated (complete mode collapse)
    references = {"real images (other held-out phantoms)": image_scores(other_real[:args.samples], networks, real),
                  "one real image repeated": image_scores(np.repeat(other_real[:1], args.samples, 0), networks,
                                                          real)}
    cas = None if args.no_cas else CasScorer(args, args.image_size, held_out_data)
    label_maps = LabelMapImages()
    rows = []
    for model in args.models:
        for n in args.sizes:
            for seed in args.seeds:
                for name, augment in settings:
                    run_dir = args.out / f"{model}_{n}_{name}_seed{seed}"
                    config = run_config(model, presets[model], steps[model], args.image_size, n, augment, seed,
                                        args.ema_halflife)
                    record = train_run(config, run_dir)
                    start, cpu = time.time(), time.process_time()
                    scores = score_run(run_dir, networks, real, args.samples, cas, label_maps)
                    rows.append({"model": model, "preset": presets[model], "num_examples": n, "setting": name,
                                 "augment": augment, "seed": seed, **record,
                                 "score_seconds": round(time.time() - start, 1),
                                 "score_cpu_seconds": round(time.process_time() - cpu, 1), "scores": scores})
                    print(json.dumps({k: v for k, v in rows[-1].items() if k != "scores"} |
                                     {"scores": {g: {k: v for k, v in sc.items() if k != "cas"}
                                                 for g, sc in scores.items()}}), flush=True)
    lines = summarise(rows, [name for name, _ in settings])
    cas_text = ("no CAS" if cas is None else
                f"CAS ratio = AUC of a small_cnn ({args.cas_epochs} epochs) trained on {args.cas_per_class} "
                f"generated images per class of {', '.join(args.cas_classes)} / the same trained on as many of the "
                f"run's real training images, both tested on the held-out phantoms, {args.cas_repeats} repeat(s), "
                f"chance = 0.5 / the real-trained AUC (in the JSON: cas_auc_real, cas_ratio_above_chance); "
                f"- = samples carry no class")
    header = (", ".join(f"{m} {presets[m]} {steps[m]} steps" for m in args.models) +
              f" at {args.image_size}x{args.image_size}, EMA half-life "
              f"{args.ema_halflife:g} images (G: ema = the EMA generator, raw = EMA off, same run); KID x1e3 on "
              f"domain = {features.describe().get('feature_network', args.features)} and on pixels at 32x32, vs "
              f"{len(real)} held-out phantoms, "
              f"{args.samples} samples; diversity: ratio to as many real images; {cas_text}; median [min..max] "
              f"over seeds, d = median paired difference to {settings[0][0]}")
    reference_lines = [f"  {name}: " + ", ".join(f"{k} {v:.3g}" for k, v in scores.items())
                       for name, scores in references.items()]
    print(header)
    print("\n".join(lines))
    if accuracy:
        print(f"domain features: the phantom classifier's 8-class accuracy on the held-out phantoms "
              f"{accuracy['accuracy']:.2f} (majority class {accuracy['majority_share']:.2f})")
    print("the same figures for reference:")
    print("\n".join(reference_lines))
    if cas is not None:
        print(f"CAS: {cas.trainer.trained} small_cnn classifiers trained (real-trained references reused per size)")
    for path in write_sample_sheets(args.out, args.models, args.sizes, [n for n, _ in settings], args.seeds[0]):
        print(f"samples: {path}")
    (args.out / "bench_augment.json").write_text(json.dumps(
        {"header": header, "table": lines, "references": references, "feature_classifier": accuracy,
         "cas_classifier": None if cas is None else cas.config.to_dict(), "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
