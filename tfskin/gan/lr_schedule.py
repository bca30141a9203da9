"""Constant-then-linear-decay learning rate (CycleGAN and pix2pixHD: constant for N epochs, then linearly to 0)."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="tfskin")
class ConstantThenLinearDecay(keras.optimizers.schedules.LearningRateSchedule):
    """``initial`` for ``constant_steps`` optimizer steps, then linearly down to 0 over ``decay_steps``."""

    def __init__(self, initial: float, constant_steps: int, decay_steps: int):
        self.initial = float(initial)
        self.constant_steps = int(constant_steps)
        self.decay_steps = int(decay_steps)

    def __call__(self, step):
        step = ops.cast(step, "float32")
        progress = ops.clip((step - self.constant_steps) / max(self.decay_steps, 1), 0.0, 1.0)
        return self.initial * (1.0 - progress)

    def get_config(self):
        return {"initial": self.initial, "constant_steps": self.constant_steps, "decay_steps": self.decay_steps}


def with_decay(optimizer, constant_steps: int, decay_steps: int):
    """The same optimizer with its float learning rate replaced by the schedule (unchanged if ``decay_steps``
    is 0 or it already has a schedule). Wrapped (loss-scale) optimizers are handled by the GAN base later."""
    if not decay_steps or optimizer is None:
        return optimizer
    inner = getattr(optimizer, "inner_optimizer", optimizer)
    config = inner.get_config()
    if isinstance(config.get("learning_rate"), dict):  # already a schedule (e.g. restored from .keras)
        return optimizer
    config["learning_rate"] = ConstantThenLinearDecay(float(config["learning_rate"]), constant_steps, decay_steps)
    return inner.__class__.from_config(config)
