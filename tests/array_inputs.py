"""A run's input object over images held in memory, for tests of the quality baselines and sample diversity."""

import tensorflow as tf

from tfskin.inputs.images import RunInputs


class ArrayInputs(RunInputs):
    """``RunInputs`` whose examples are the given (N, H, W, 3) uint8 images."""

    def __init__(self, images):
        super().__init__(None)
        self.images = images

    def load_examples(self):
        return tf.data.Dataset.from_tensor_slices({"image": self.images})
