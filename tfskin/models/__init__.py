"""One folder per GAN family; each registers itself with tfskin.registry when imported."""
