"""The image history pool of Shrivastava et al. 2017, as CycleGAN uses it to update its discriminators.

The discriminator sees, for each new fake image, with probability 1/2 the image itself and with probability 1/2
a fake generated at an earlier step (which the new one then replaces in the pool). While the pool is not yet
full, new images are stored and returned unchanged. Size 0 turns the pool off.

State lives in non-trainable variables (so checkpoints carry it and a resumed run continues exactly), and the
random choices are stateless, drawn from a (2,) integer seed (CycleGAN's: run seed and step): the pool's
behaviour is a pure function of its state and the seed. The query is ``keras.ops`` with static shapes, so it
runs in a ``tf.function`` and under ``jax.jit`` alike. The draws are backend-specific (:func:`fold_seed`,
``stateless_uniform``): TensorFlow's stateless RNG on the TensorFlow backend, ``jax.random`` on JAX; a seed gives the
same choices every time on one backend, but not the same choices on both.

Under ``tf.distribute`` every replica gathers the global batch of fakes, applies the same query to it (same
draws, same pool contents on every replica) and keeps its own slice, so a run split over N replicas sees exactly
what a single device sees for the same global batch. Under JAX's ``keras.distribution.DataParallel`` the step
is one program over the global batch: nothing to gather.
"""

import keras
from keras import ops


def _on_tensorflow() -> bool:
    return keras.backend.backend() == "tensorflow"


def step_seed(seed: int, step):
    """The (2,) seed ``[seed, step]`` in the backend's seed dtype (int64 on TensorFlow, uint32 on JAX)."""
    if _on_tensorflow():
        return ops.stack([ops.convert_to_tensor(seed, "int64"), ops.cast(step, "int64")])
    return ops.stack([ops.convert_to_tensor(int(seed) % 2**32, "uint32"), ops.cast(step, "uint32")])


def fold_seed(seed, data: int):
    """A new (2,) seed from ``seed`` and the integer ``data`` (``stateless_fold_in`` / ``jax.random.fold_in``)."""
    return _random("fold", seed, data)


def stateless_uniform(shape, seed):
    """``shape`` floats uniform in [0, 1), a pure function of the (2,) ``seed``."""
    return _random("uniform", seed, shape)


def _random(what, seed, arg):
    """The backend dispatch of the pool's stateless draws: TensorFlow's stateless RNG, or ``jax.random`` with
    the seed as the key's data (threefry, two uint32 words)."""
    if _on_tensorflow():
        import tensorflow as tf

        seed = tf.cast(seed, tf.int64)
        if what == "fold":
            return tf.random.experimental.stateless_fold_in(seed, arg)
        return tf.random.stateless_uniform(arg, seed=seed)
    import jax

    key = jax.random.wrap_key_data(ops.cast(seed, "uint32"), impl="threefry2x32")
    if what == "fold":
        return jax.random.key_data(jax.random.fold_in(key, arg))
    return jax.random.uniform(key, arg, dtype="float32")


@keras.saving.register_keras_serializable(package="tfskin")
class ImagePool(keras.layers.Layer):
    """``pool(images, seed)`` -> images for the discriminator; updates the pool. ``images``: (B, H, W, C);
    ``seed``: (2,) integers."""

    def __init__(self, size: int, image_shape, **kwargs):
        super().__init__(**kwargs)
        self.size = int(size)
        self.image_shape = tuple(int(d) for d in image_shape)
        if self.size < 0:
            raise ValueError(f"pool size must be >= 0, got {size}")
        self.images = self.add_weight(
            shape=(max(self.size, 1), *self.image_shape), initializer="zeros", trainable=False,
            aggregation="only_first_replica", name="images", dtype="float32",
        )
        self.count = self.add_weight(
            shape=(), initializer="zeros", dtype="int32", trainable=False, aggregation="only_first_replica",
            name="count",
        )
        self.built = True

    def call(self, images, seed):
        if self.size == 0:
            return images
        images = ops.cast(images, "float32")
        if not _on_tensorflow():
            return self._query(images, seed)
        import tensorflow as tf

        replica = tf.distribute.get_replica_context()
        num_replicas = 1 if replica is None else replica.num_replicas_in_sync
        if num_replicas == 1:
            return self._query(images, seed)
        local = images
        out = self._query(replica.all_gather(local, axis=0), seed)
        per_replica = tf.shape(local)[0]
        start = tf.cast(replica.replica_id_in_sync_group, tf.int32) * per_replica
        return out[start:start + per_replica]

    def _query(self, images, seed):
        n = ops.shape(images)[0]
        size = self.size
        count = ops.convert_to_tensor(self.count)
        pool = ops.convert_to_tensor(self.images)
        position = ops.arange(n, dtype="int32")
        # Images that fit into the free slots are stored and passed through.
        fill = position < size - count
        fill_slot = count + position
        # Each remaining image is swapped, with probability 1/2, for a distinct random slot that was already
        # full before this batch (distinct, so no two writes hit the same slot).
        coin = stateless_uniform([n], fold_seed(seed, 0))
        slot_ids = ops.arange(size, dtype="int32")
        keys = stateless_uniform([size], fold_seed(seed, 1))
        keys = ops.where(slot_ids < count, keys, 2.0 + ops.cast(slot_ids, "float32"))
        order = ops.cast(ops.argsort(keys), "int32")  # full slots in random order, then the free ones
        rest = ops.cast(ops.logical_not(fill), "int32")
        later = ops.cumsum(rest) - rest  # rank among the non-filling images
        swap_slot = ops.take(order, ops.minimum(later, size - 1))
        swap = ops.logical_not(fill) & (coin < 0.5) & (later < count)
        returned = ops.where(ops.reshape(swap, [-1, 1, 1, 1]), ops.take(pool, swap_slot, axis=0), images)
        # The writes, without dynamic shapes: image i writes slot s where match[i, s]; a slot has one writer
        # at most (fill slots are the free ones, swap slots distinct full ones).
        target = ops.where(fill, fill_slot, swap_slot)
        match = ops.expand_dims(fill | swap, 1) & (ops.expand_dims(target, 1) == ops.expand_dims(slot_ids, 0))
        written = ops.reshape(ops.any(match, axis=0), [-1, 1, 1, 1])
        writer = ops.argmax(ops.cast(match, "int32"), axis=0)
        self.images.assign(ops.where(written, ops.take(images, writer, axis=0), pool))
        self.count.assign(ops.minimum(count + n, size))
        return returned

    def reset(self):
        self.images.assign(ops.zeros_like(self.images))
        self.count.assign(0)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "size": self.size, "image_shape": self.image_shape}
