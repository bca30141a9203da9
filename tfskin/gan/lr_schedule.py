"""The GAN optimizers of a run: Adam for both players, constant or constant-then-linear-decay (CycleGAN and
pix2pixHD: constant for N epochs, then linearly to 0)."""

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


def adam_pair(optimizer_config, total_steps: int) -> tuple:
    """(generator, discriminator) Adam optimizers of an ``OptimizerConfig`` for a run of ``total_steps``: constant
    rates, or constant then linearly decaying to 0 at ``total_steps`` when ``constant_fraction`` < 1."""
    constant, decay = optimizer_config.schedule_steps(total_steps)

    def adam(rate):
        rate = ConstantThenLinearDecay(rate, constant, decay) if decay else rate
        return keras.optimizers.Adam(rate, beta_1=optimizer_config.beta_1, beta_2=optimizer_config.beta_2)

    return adam(optimizer_config.generator_learning_rate), adam(optimizer_config.discriminator_learning_rate)
