"""ACGAN -> per-class CycleGAN refinement (Fossen-Romsaas et al. 2020, figure 4).

Training: a trained ACGAN run draws ``samples_per_class`` class-c samples (fixed seed) into
``<pipeline>/domain_a/<C>/``; for each class c a CycleGAN learns to translate them (domain A, a folder) to the
real class-c images of the ACGAN's dataset (domain B, the class name). ``pipeline.json`` records the runs.

Sampling: ACGAN(noise, c) -> resize to the CycleGAN's size -> CycleGAN_c (A -> B). ``export_pipeline`` writes
both stages as one SavedModel whose ``generate(noise, label)`` runs them (the per-class CycleGANs are selected
per example by ``label``; a class without a CycleGAN passes the resized ACGAN image through).
"""

import json
import sys
from pathlib import Path

import numpy as np

from tfskin.errors import BadInputError

PIPELINE_FILE = "pipeline.json"


def _class_names(acgan_config):
    return tuple(acgan_config.model_config.class_names)


def train_pipeline(acgan_run, out_dir, *, classes=None, cyclegan_preset: str = "quick",
                   samples_per_class: int = 500, steps: int = None, batch_size: int = None, seed: int = 0,
                   resume: bool = False, stream=None) -> Path:
    """Train one CycleGAN per class on top of a trained ACGAN run; returns the pipeline directory."""
    from tfskin.gan.conditional import class_index_of
    from tfskin.imaging import save_png, to_uint8
    from tfskin.training import load_trained_model, resolve_config, train

    stream = stream or sys.stdout
    out_dir = Path(out_dir)
    acgan_config, acgan = load_trained_model(acgan_run)
    if acgan_config.model != "acgan":
        raise BadInputError(f"{acgan_run} is a {acgan_config.model} run, not an acgan run")
    names = _class_names(acgan_config)
    chosen = [names[class_index_of(names, c)] for c in (classes or names)]
    record = {"pipeline": "acgan_cyclegan", "acgan_run": str(Path(acgan_run).resolve()), "cyclegans": {}}
    for class_name in chosen:
        folder = out_dir / "domain_a" / class_name
        if not folder.is_dir() or not any(folder.glob("*.png")):  # ACGAN class-c samples, drawn once
            samples = acgan.sample(samples_per_class, seed=seed, label=class_name)["image"]
            for i, image in enumerate(to_uint8(samples)):
                save_png(image, folder / f"acgan_{class_name}_{i:05d}.png")
        train_overrides = {"seed": seed, "steps": steps, "batch_size": batch_size}
        config = resolve_config(
            "cyclegan", cyclegan_preset, data=_same_real_images(acgan_config.data),
            train=train_overrides,
            model_overrides={"domain_a": f"folder:{folder.resolve()}", "domain_b": class_name},
        )
        run_dir = out_dir / f"cyclegan_{class_name}"
        print(f"[acgan_cyclegan] class {class_name}: CycleGAN {folder} -> real {class_name}, run {run_dir}",
              file=stream, flush=True)
        train(config, run_dir, resume=resume and (run_dir / "checkpoints").is_dir(), stream=stream)
        record["cyclegans"][class_name] = str(run_dir.resolve())
    path = out_dir / PIPELINE_FILE
    previous = json.loads(path.read_text()) if path.is_file() else {}
    record["cyclegans"] = {**previous.get("cyclegans", {}), **record["cyclegans"]}
    path.write_text(json.dumps(record, indent=2, sort_keys=True))
    return out_dir


def _same_real_images(data) -> dict:
    """The CycleGANs' real side (domain B) reads exactly the examples the ACGAN trained on."""
    return {"name": data.name, "split": data.split, "seed": data.seed, "num_examples": data.num_examples}


class AcganCycleganPipeline:
    """A trained pipeline: the ACGAN and its per-class CycleGANs, loaded from a pipeline directory."""

    def __init__(self, pipeline_dir):
        from tfskin.training import load_trained_model

        path = Path(pipeline_dir) / PIPELINE_FILE
        if not path.is_file():
            raise BadInputError(f"{pipeline_dir} is not an acgan_cyclegan pipeline (no {PIPELINE_FILE})")
        record = json.loads(path.read_text())
        self.acgan_config, self.acgan = load_trained_model(record["acgan_run"])
        self.class_names = _class_names(self.acgan_config)
        self.cyclegans = {name: load_trained_model(run)[1] for name, run in sorted(record["cyclegans"].items())}
        sizes = {tuple(m.image_size) for m in self.cyclegans.values()}
        if len(sizes) != 1:
            raise BadInputError(f"the pipeline's CycleGANs differ in image size: {sorted(sizes)}")
        self.image_size = sizes.pop()

    def sample(self, n: int, class_name, seed: int = 0, batch_size: int = 64) -> dict:
        """``n`` refined samples of one class: {"image": [0, 1] (n, H, W, 3), "acgan_image", "label"}."""
        from keras import ops

        from tfskin.gan.conditional import class_index_of

        label = class_index_of(self.class_names, class_name)
        name = self.class_names[label]
        if name not in self.cyclegans:
            raise BadInputError(f"no CycleGAN for class {name} in this pipeline; it has {', '.join(self.cyclegans)}")
        raw = self.acgan.sample(n, seed=seed, label=label)["image"]
        resized = ops.convert_to_numpy(ops.image.resize(raw, self.image_size, interpolation="bilinear"))
        refined = self.cyclegans[name].translate(np.clip(resized, 0, 1), "a_to_b", batch_size=batch_size)
        return {"image": refined, "acgan_image": raw, "label": np.full((n,), label, np.int32)}


def export_pipeline(pipeline_dir, model_dir, version: int = None) -> Path:
    """One SavedModel with ``generate(noise, label)`` -> {image, acgan_image, image_png_bytes}."""
    import keras
    import tensorflow as tf

    from tfskin.serving.export import export_model
    from tfskin.serving.signatures import _png_batch

    pipeline = AcganCycleganPipeline(pipeline_dir)
    acgan, h, w = pipeline.acgan, *pipeline.image_size
    refiners = [pipeline.cyclegans.get(name) for name in pipeline.class_names]

    class _Chain(keras.layers.Layer):
        """Holds both stages so ExportArchive tracks every variable."""

        def __init__(self):
            super().__init__(name="acgan_cyclegan")
            self.acgan = acgan
            for name, model in pipeline.cyclegans.items():
                setattr(self, f"cyclegan_{name}", model)
            self.built = True  # both stages are trained, built models

        def export_signatures(self):
            noise_spec = tf.TensorSpec([None, acgan.config.latent_dim], tf.float32, name="noise")
            label_spec = tf.TensorSpec([None], tf.int32, name="label")

            def generate(noise, label):
                raw = tf.cast(acgan(noise, label, training=False)["image"], tf.float32)
                resized = tf.clip_by_value(tf.image.resize(raw, (h, w), method="bilinear"), 0.0, 1.0)
                options = [resized if m is None else tf.cast(m(resized, training=False)["image"], tf.float32)
                           for m in refiners]
                stacked = tf.stack(options, axis=1)  # (B, K, H, W, 3)
                image = tf.gather(stacked, label, axis=1, batch_dims=1)
                return {"image": image, "acgan_image": raw, "image_png_bytes": _png_batch(image)}

            return {"generate": (generate, [noise_spec, label_spec])}

    return export_model(_Chain(), model_dir, version=version)
