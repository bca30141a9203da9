"""Inputs of the label-map-to-image family (pix2pixHD): images with their semantic label maps [and boundary
maps], from the label-map code of ``tfskin.data`` (labelmaps, instances, conditioning). Whether instance maps are
used and how many SLIC superpixels phantoms get are read from the run's model config."""

import functools

import tensorflow as tf

from tfskin.data.conditioning import with_conditioning
from tfskin.data.labelmaps import colorize
from tfskin.data.pipeline import AUTOTUNE, random_flips
from tfskin.data.sources import load_examples
from tfskin.data.superpixels import PAPER_SLIC
from tfskin.inputs.images import RunInputs


def conditioning_features(model_config) -> tuple:
    return ("label_map", "boundary", "instance_map") if model_config.use_instance else ("label_map",)


@functools.lru_cache(maxsize=4)
def conditioned_examples(config) -> tf.data.Dataset:
    """``{"image", "label_map"[, "boundary", "instance_map"]}`` examples of a run (``RunConfig``).

    Phantoms (drawn at the target size, with lesion and attribute masks) get their maps computed here, SLIC
    superpixels included, and are cached in memory; prepared real datasets (``isic2018_task1_2``) deliver them
    from their loader (stored superpixels where the release has them)."""
    m, data = config.model_config, config.data
    wanted = conditioning_features(m)
    if data.name.partition(":")[0] == "phantoms":  # any acquisition domain (phantoms:domain=clinic)
        ds = load_examples(data.name, data.split, data.image_size, seed=data.seed, num_examples=data.num_examples,
                           features=("image", "mask", "attributes"), classes=data.classes)
        slic = PAPER_SLIC if m.slic_segments == PAPER_SLIC.n_segments else \
            PAPER_SLIC.__class__(**{**PAPER_SLIC.to_dict(), "n_segments": m.slic_segments})
        ds = with_conditioning(ds, wanted, slic_params=slic)
        keep = ("image",) + wanted
        return ds.map(lambda ex: {k: ex[k] for k in keep}).cache()
    return load_examples(data.name, data.split, data.image_size, seed=data.seed, num_examples=data.num_examples,
                         features=("image",) + wanted, classes=data.classes)


def make_batches(config, start_step):
    """Endless, deterministic (seed, step) batches; flips are applied to image and maps together."""
    seed, batch_size = config.train.seed, config.train.batch_size
    use_instance = config.model_config.use_instance
    ds = conditioned_examples(config).map(
        lambda ex: {k: v for k, v in ex.items() if k != "instance_map"})
    ds = ds.shuffle(config.data.shuffle_buffer, seed=seed, reshuffle_each_iteration=True).repeat()
    if start_step:
        ds = ds.skip(start_step * batch_size)
    ds = ds.batch(batch_size, drop_remainder=True).enumerate(start=start_step)

    def prepare(step, ex):
        images = tf.cast(ex["image"], tf.float32) / 127.5 - 1.0
        stack = [images, tf.cast(ex["label_map"], tf.float32)]
        if use_instance:
            stack.append(tf.cast(ex["boundary"], tf.float32))
        x = tf.concat(stack, axis=-1)
        if config.data.augment:
            x = random_flips(x, tf.random.experimental.stateless_fold_in(
                tf.stack([tf.constant(seed, tf.int64), step]), 0))
        batch = {"images": x[..., :3], "label_map": tf.cast(tf.round(x[..., 3:4]), tf.int32)}
        if use_instance:
            batch["boundary"] = x[..., 4:5]
        return batch

    return ds.map(prepare, num_parallel_calls=AUTOTUNE, deterministic=True).prefetch(AUTOTUNE)


class LabelMaps(RunInputs):
    """Batches of ``images`` in [-1, 1] with their ``label_map`` (int ids) [and ``boundary``], flipped together;
    the preview holds the first examples' maps, their real images (``real``, [0, 1]) and the colour rendering
    of their label maps (``label_map_rgb``, [0, 1]) for the panel grid."""

    def load_examples(self):
        return conditioned_examples(self.run_config)

    def batches(self, start_step: int):
        return make_batches(self.run_config, start_step)

    def preview(self, num: int) -> dict:
        batch = next(iter(self.examples.take(num).batch(num)))
        out = {"label_map": tf.cast(batch["label_map"], tf.int32),
               "real": tf.cast(batch["image"], tf.float32) / 255.0,
               "label_map_rgb": colorize(batch["label_map"].numpy()) / 255.0}
        if self.run_config.model_config.use_instance:
            out["boundary"] = tf.cast(batch["boundary"], tf.float32)
        return out
