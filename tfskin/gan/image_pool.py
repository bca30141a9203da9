"""The image history pool of Shrivastava et al. 2017, as CycleGAN uses it to update its discriminators.

The discriminator sees, for each new fake image, with probability 1/2 the image itself and with probability 1/2
a fake generated at an earlier step (which the new one then replaces in the pool). While the pool is not yet
full, new images are stored and returned unchanged. Size 0 turns the pool off.

State lives in non-trainable variables (so checkpoints carry it and a resumed run continues exactly), and the
random choices are stateless, drawn from (seed, step): the pool's behaviour is a pure function of the run's
seed and step. Under ``tf.distribute`` every replica gathers the global batch of fakes, applies the same
query to it (same draws, same pool contents on every replica) and keeps its own slice, so a run split over N
replicas sees exactly what a single device sees for the same global batch.

This is training-step machinery (``tf.*``), not a network.
"""

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="tfskin")
class ImagePool(keras.layers.Layer):
    """``pool(images, seed)`` -> images for the discriminator; updates the pool. ``images``: (B, H, W, C)."""

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
        images = tf.cast(images, tf.float32)
        replica = tf.distribute.get_replica_context()
        num_replicas = 1 if replica is None else replica.num_replicas_in_sync
        local = images
        if num_replicas > 1:
            images = replica.all_gather(local, axis=0)
        out = self._query(images, tf.cast(seed, tf.int64))
        if num_replicas > 1:
            per_replica = tf.shape(local)[0]
            start = tf.cast(replica.replica_id_in_sync_group, tf.int32) * per_replica
            out = out[start:start + per_replica]
        return out

    def _query(self, images, seed):
        n = tf.shape(images)[0]
        size = self.size
        count = tf.convert_to_tensor(self.count)
        pool = tf.convert_to_tensor(self.images)
        position = tf.range(n)
        # Images that fit into the free slots are stored and passed through.
        fill = position < size - count
        fill_slot = count + position
        # Each remaining image is swapped, with probability 1/2, for a distinct random slot that was already
        # full before this batch (distinct, so no two writes hit the same slot).
        coin = tf.random.stateless_uniform([n], seed=tf.random.experimental.stateless_fold_in(seed, 0))
        keys = tf.random.stateless_uniform([size], seed=tf.random.experimental.stateless_fold_in(seed, 1))
        keys = tf.where(tf.range(size) < count, keys, 2.0 + tf.cast(tf.range(size), tf.float32))
        order = tf.cast(tf.argsort(keys), tf.int32)  # full slots in random order, then the free ones
        later = tf.cumsum(tf.cast(~fill, tf.int32), exclusive=True)  # rank among the non-filling images
        swap_slot = tf.gather(order, tf.minimum(later, size - 1))
        swap = (~fill) & (coin < 0.5) & (later < count)
        returned = tf.where(tf.reshape(swap, [-1, 1, 1, 1]), tf.gather(pool, swap_slot), images)
        write = fill | swap
        slots = tf.boolean_mask(tf.where(fill, fill_slot, swap_slot), write)
        new_pool = tf.tensor_scatter_nd_update(pool, slots[:, tf.newaxis], tf.boolean_mask(images, write))
        self.images.assign(new_pool)
        self.count.assign(tf.minimum(count + n, size))
        return returned

    def reset(self):
        self.images.assign(tf.zeros_like(self.images))
        self.count.assign(0)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "size": self.size, "image_shape": self.image_shape}
