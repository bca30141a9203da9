"""Image-to-image GANs (CycleGAN, pix2pixHD): an image or a label map in, an image out."""

from pathlib import Path

from tfskin.errors import BadInputError
from tfskin.gan.base import GAN
from tfskin.gan.panels import PanelGrid

#: Examples shown in the panel grid (one row each).
PANEL_SAMPLES = 8


class ImageToImageGAN(GAN):
    """A generator of images from images (or maps): nothing to sample from noise, and a panel grid of inputs and
    outputs during training. (Their papers' constant-then-linear learning-rate decay is the run's
    ``optimizer.constant_fraction``.)

    Subclasses set ``panel_prefix`` and implement ``panels(inputs)`` (see ``tfskin.gan.panels.panel_grid``);
    ``inference_hint`` says what to use instead of sampling.
    """

    panel_prefix: str = "panels"
    inference_hint: str = "use `tfskin translate` or the translate signatures of its export"

    def sample(self, num: int, seed=None, label=None) -> dict:
        raise BadInputError(f"{self.model_name} does not sample from noise: {self.inference_hint}")

    def panels(self, inputs) -> list:
        """Panel groups of [0, 1] arrays for the panel grid."""
        raise NotImplementedError

    def training_callbacks(self, run_config, run_dir, inputs, stream=None) -> list:
        """The panel grid (``samples/<panel_prefix>_step_*.png``) on the first ``PANEL_SAMPLES`` examples, drawn
        like the sample grid by the EMA generator when the run keeps one."""
        fixed = inputs.preview(PANEL_SAMPLES)
        run_dir = Path(run_dir)

        def render():
            with self.inference_weights():
                return self.panels(fixed)

        return [PanelGrid(render, run_dir, run_config.train.sample_every, self.panel_prefix,
                          log_dir=run_dir / "logs" / self.panel_prefix)]
