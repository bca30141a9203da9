"""TensorFlow Datasets builders for real dermoscopy releases, read exactly as users download them.

One module per family (``isic``, ``ham10000``, ``ph2``, ``derm7pt``, ``dermofit``, ``isic_archive``); ``register``
exposes every config as a tfskin data source. Importing this package imports nothing heavy.
"""
