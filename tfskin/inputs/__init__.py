"""What a run feeds its GAN, one input object per family, built by the runner and handed to ``fit`` (the model
only declares its family's ``input_kind`` and its random inputs, ``latent_spec``; it never loads data).

* ``noise_and_images``: real images (+ mask) and noise (DCGAN, DDGAN, LAPGAN, the phase-frozen progressive GAN);
* ``labelled_images``: the same with real and fake class labels (ACGAN, the conditional progressive GAN);
* ``unpaired_domains``: two image domains from their source and Path-Rank-Filter steps (CycleGAN);
* ``label_maps``: images with their semantic label maps [and boundary maps] (pix2pixHD).
"""

from tfskin.errors import ConfigError


def build_inputs(kind: str, run_config, latent_spec: dict = None):
    """The input object of family ``kind`` for ``run_config``; ``latent_spec``: the model's random inputs."""
    from tfskin.inputs.images import LabelledImages, NoiseAndImages
    from tfskin.inputs.label_maps import LabelMaps
    from tfskin.inputs.unpaired import UnpairedDomains

    if kind == "noise_and_images":
        return NoiseAndImages(run_config, latent_spec or {})
    if kind == "labelled_images":
        return LabelledImages(run_config, latent_spec or {})
    if kind == "unpaired_domains":
        return UnpairedDomains(run_config)
    if kind == "label_maps":
        return LabelMaps(run_config)
    raise ConfigError(f"no input object for input kind {kind!r}; known: noise_and_images, labelled_images, "
                      f"unpaired_domains, label_maps")
