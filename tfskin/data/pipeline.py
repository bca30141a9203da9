"""tf.data pipelines that turn example dicts into model batches.

Images are scaled to [-1, 1]; a 4-channel model gets the lesion mask stacked as a fourth channel (also in
[-1, 1]). Sources already deliver the requested size (phantoms are drawn at it; real datasets resize with an
aspect-preserving pad in their loader), so no resizing happens here.

Everything random is stateless and keyed by (seed, step): batch ``k`` of a run is the same whether the run
was resumed at step ``k`` or not, and whether it is split over replicas or not.
"""

import tensorflow as tf

from tfskin.classes import default_class_prior

AUTOTUNE = tf.data.AUTOTUNE


def to_model_images(example: dict, channels: int) -> tf.Tensor:
    """uint8 image (+ mask) -> float32 in [-1, 1] with ``channels`` channels."""
    image = tf.cast(example["image"], tf.float32) / 127.5 - 1.0
    if channels == 4:
        if "mask" not in example:
            raise ValueError("a 4-channel (RGB + mask) model needs a dataset with lesion masks")
        mask = tf.cast(example["mask"], tf.float32) / 127.5 - 1.0
        image = tf.concat([image, mask], axis=-1)
    return image


def random_flips(images: tf.Tensor, seed) -> tf.Tensor:
    """Per-image random horizontal/vertical flips, plus transposes when square (all 8 dihedral poses)."""
    batch = tf.shape(images)[0]
    draws = tf.random.stateless_uniform([3, batch], seed=seed)
    flip_lr = tf.reshape(draws[0] < 0.5, [-1, 1, 1, 1])
    flip_ud = tf.reshape(draws[1] < 0.5, [-1, 1, 1, 1])
    images = tf.where(flip_lr, tf.reverse(images, axis=[2]), images)
    images = tf.where(flip_ud, tf.reverse(images, axis=[1]), images)
    if images.shape[1] is not None and images.shape[1] == images.shape[2]:
        transpose = tf.reshape(draws[2] < 0.5, [-1, 1, 1, 1])
        images = tf.where(transpose, tf.transpose(images, [0, 2, 1, 3]), images)
    return images


#: Where the sub-seeds of "uniform" latents start: they are folded in from here, apart from the other kinds (which
#: take 1, 2, ... by sorted name), so adding uniform draws (augmentation) changes no other latent's numbers.
UNIFORM_STREAM = 2**31 - 1


def draw_latents(spec: dict, batch_size: int, seed) -> dict:
    """Random model inputs from a model's ``latent_spec()``, drawn statelessly from ``seed``.

    kinds: "normal" (standard normal), "uniform" (U[0, 1), e.g. augmentation draws) and ("categorical",
    num_classes, prior). Each latent has its own sub-seed: the index of its name among the non-uniform names (sorted)
    for normal and categorical latents, and among the uniform names in a separate stream for uniform ones."""
    out = {}
    uniform = sorted(name for name, (_, kind) in spec.items() if kind == "uniform")
    others = sorted(name for name in spec if name not in uniform)
    for j, name in enumerate(uniform):
        shape, _ = spec[name]
        stream = tf.random.experimental.stateless_fold_in(seed, UNIFORM_STREAM)
        sub_seed = tf.random.experimental.stateless_fold_in(stream, j + 1)
        out[name] = tf.random.stateless_uniform([batch_size, *shape], seed=sub_seed)
    for i, name in enumerate(others):
        shape, kind = spec[name]
        sub_seed = tf.random.experimental.stateless_fold_in(seed, i + 1)
        if kind == "normal":
            out[name] = tf.random.stateless_normal([batch_size, *shape], seed=sub_seed)
        elif isinstance(kind, tuple) and kind[0] == "categorical":
            _, num_classes, prior = kind
            if prior == "isic2019":
                prior = default_class_prior()
            logits = tf.math.log(tf.constant(prior or [1.0] * num_classes, tf.float32))[tf.newaxis]
            out[name] = tf.reshape(
                tf.random.stateless_categorical(tf.tile(logits, [batch_size, 1]), 1, seed=sub_seed, dtype=tf.int32),
                [batch_size],
            )
        else:
            raise ValueError(f"unknown latent kind {kind!r} for {name!r}")
    return out


def gan_batches(
    examples: tf.data.Dataset,
    *,
    batch_size: int,
    channels: int = 3,
    seed: int = 0,
    augment: bool = True,
    latent_spec: dict = None,
    start_step: int = 0,
    shuffle_buffer: int = 4096,
    with_labels: bool = True,
) -> tf.data.Dataset:
    """An endless, deterministic stream of GAN training batches, starting at ``start_step``.

    Each batch is ``{"images": float32 (B, H, W, C) in [-1, 1], "labels": int32 (B,), **latents}``.
    """
    latent_spec = latent_spec or {}
    ds = examples.shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=True).repeat()
    if start_step:
        ds = ds.skip(start_step * batch_size)
    ds = ds.batch(batch_size, drop_remainder=True)
    ds = ds.enumerate(start=start_step)

    def prepare(step, example):
        step_seed = tf.stack([tf.constant(seed, tf.int64), step])
        images = to_model_images(example, channels)
        if augment:
            images = random_flips(images, tf.random.experimental.stateless_fold_in(step_seed, 0))
        batch = {"images": images}
        if with_labels and "label" in example:
            batch["labels"] = tf.cast(example["label"], tf.int32)
        batch.update(draw_latents(latent_spec, batch_size, step_seed))
        return batch

    ds = ds.map(prepare, num_parallel_calls=AUTOTUNE, deterministic=True)
    return ds.prefetch(AUTOTUNE)
