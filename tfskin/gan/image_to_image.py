"""Image-to-image GANs (CycleGAN, pix2pixHD): an image or a label map in, an image out."""

from pathlib import Path

from tfskin.errors import BadInputError
from tfskin.gan.base import GAN
from tfskin.gan.lr_schedule import with_decay
from tfskin.gan.panels import PanelGrid

#: Examples shown in the panel grid (one row each).
PANEL_SAMPLES = 8


class ImageToImageGAN(GAN):
    """A generator of images from images (or maps): nothing to sample from noise, a panel grid of inputs and
    outputs during training, and the paper's constant-then-linear learning-rate decay
    (``config.constant_steps`` then ``config.decay_steps``) on both optimizers.

    Subclasses set ``panel_prefix`` and implement ``panels(inputs)`` (see ``tfskin.gan.panels.panel_grid``);
    ``inference_hint`` says what to use instead of sampling.
    """

    panel_prefix: str = "panels"
    inference_hint: str = "use `tfskin translate` or the translate signatures of its export"

    def compile(self, generator_optimizer, discriminator_optimizer, **kwargs):
        """As the base, with the constant-then-linear learning-rate decay of the config applied to both."""
        decay = (self.config.constant_steps, self.config.decay_steps)
        super().compile(with_decay(generator_optimizer, *decay), with_decay(discriminator_optimizer, *decay),
                        **kwargs)

    def sample(self, num: int, seed=None, label=None) -> dict:
        raise BadInputError(f"{self.model_name} does not sample from noise: {self.inference_hint}")

    def panels(self, inputs) -> list:
        """Panel groups of [0, 1] arrays for the panel grid."""
        raise NotImplementedError

    def training_callbacks(self, run_config, run_dir, examples, stream=None) -> list:
        """The panel grid (``samples/<panel_prefix>_step_*.png``) on the first ``PANEL_SAMPLES`` examples."""
        fixed = self.preview_inputs(examples, PANEL_SAMPLES, run_config.train.seed)
        run_dir = Path(run_dir)
        return [PanelGrid(lambda: self.panels(fixed), run_dir, run_config.train.sample_every, self.panel_prefix,
                          log_dir=run_dir / "logs" / self.panel_prefix)]
