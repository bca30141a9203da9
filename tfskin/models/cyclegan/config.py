"""CycleGAN settings (Zhu et al. 2017), including where its two unpaired domains come from."""

from dataclasses import dataclass
from typing import Optional

from tfskin.config import ConfigError, ModelConfig, flag

INPUT_RANGES = ("0-255", "0-1")


@dataclass(frozen=True)
class CycleGANConfig(ModelConfig):
    """Two ResNet generators G: A -> B and F: B -> A, two 70x70 PatchGANs, LSGAN + cycle + identity losses.

    Domains (see ``tfskin.inputs.domains``): ``domain_a`` / ``domain_b`` are a class name of the run's dataset
    (``NV``, ``MEL``), ``folder:PATH`` (a folder of images), or, for domain A only, a generator
    (``run:RUN_DIR`` or ``savedmodel:DIR``, optionally ``,label=CLASS``): ``domain_a_samples`` of its samples
    (drawn once, with the run's seed) are the A images, so CycleGAN refines that generator's class towards real
    ``domain_b`` images (experiment 1 of the NIK 2020 case study).

    Path-Rank-Filter (experiment 2): with ``filter_classifier`` set, only the ``filter_alpha`` fraction of domain B
    that the classifier gives the highest probability of class ``filter_class`` (default: ``domain_b``) is kept.
    ``filter_input_range`` is the pixel range the classifier expects (tfskin classifiers take 0-255).

    The paper's learning rate (constant for 100 epochs, then linearly to 0 over 100) is the run's
    ``optimizer.constant_fraction`` (0.5).
    """

    generator_filters: int = 64
    downsamplings: int = 2
    residual_blocks: Optional[int] = None  # None: 9 at >= 256 px, 6 below (the paper's choice)
    discriminator_filters: int = 64
    discriminator_layers: int = 3
    lambda_cycle: float = 10.0
    lambda_identity: float = 0.5  # times lambda_cycle
    pool_size: int = 50
    domain_a: str = flag("NV", "--domain-a", "domain A: a class (NV), folder:PATH, run:RUN_DIR or "
                                            "savedmodel:DIR[,label=CLASS] (a generator's samples)")
    domain_b: str = flag("MEL", "--domain-b", "domain B: a class (MEL) or folder:PATH")
    domain_a_samples: int = flag(1000, "--domain-a-samples", "how many samples of a generator domain A uses",
                                 parse=int)
    filter_classifier: Optional[str] = flag(
        None, "--classifier", "Path-Rank-Filter: the folder `tfskin evaluate classify --out` wrote, a saved tfskin "
                              "classifier dir, or a .keras model", path=True)
    filter_alpha: float = flag(1.0, "--alpha", "Path-Rank-Filter: fraction of domain B kept (0 < alpha <= 1)",
                               parse=float)
    filter_class: Optional[str] = flag(None, "--filter-class", "Path-Rank-Filter: class ranked by (default: "
                                                               "--domain-b)")
    filter_input_range: str = "0-255"

    def check_image_shape(self, image_size, channels: int):
        h, w = image_size
        factor = 2 ** self.downsamplings
        if h % factor or w % factor:
            raise ConfigError(f"cyclegan: image size {h}x{w} must be divisible by 2**{self.downsamplings} = {factor}")
        if channels != 3:
            raise ConfigError(f"cyclegan: translates RGB images (channels 3), got {channels}")

    def __post_init__(self):
        if not 0.0 < self.filter_alpha <= 1.0:
            raise ConfigError(f"cyclegan: filter_alpha must be in (0, 1], got {self.filter_alpha}")
        if self.filter_input_range not in INPUT_RANGES:
            raise ConfigError(f"cyclegan: filter_input_range must be one of {', '.join(INPUT_RANGES)}")
        if self.pool_size < 0 or self.lambda_cycle < 0 or self.lambda_identity < 0:
            raise ConfigError("cyclegan: pool_size, lambda_cycle and lambda_identity must be >= 0")
        if self.residual_blocks is not None and self.residual_blocks < 0:
            raise ConfigError("cyclegan: residual_blocks must be >= 0")
        if self.domain_a_samples < 1:
            raise ConfigError("cyclegan: domain_a_samples must be >= 1")
        for name in ("domain_a", "domain_b"):
            if not getattr(self, name):
                raise ConfigError(f"cyclegan: {name} is empty")
        if self.domain_b.split(":", 1)[0] in ("run", "savedmodel", "png"):
            raise ConfigError("cyclegan: only domain A can be a generator; domain B must be real images "
                              "(a class name or folder:PATH)")

    def blocks(self, image_size) -> int:
        """Residual blocks of the generators for ``image_size`` images."""
        if self.residual_blocks is not None:
            return self.residual_blocks
        return 9 if min(image_size) >= 256 else 6
