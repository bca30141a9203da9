"""Does synthetic data help? Downstream classifier/segmenter evaluators, generative metrics, memorization
checks and the repeated-runs augmentation protocol. Submodules are imported on demand (TensorFlow-free
modules such as ``metrics``, ``generative`` and ``stats`` stay cheap to import)."""
