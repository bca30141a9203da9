"""Multi-model pipelines: trained tfskin models chained into one sampler (and one SavedModel)."""

PIPELINES = ("acgan_cyclegan",)
