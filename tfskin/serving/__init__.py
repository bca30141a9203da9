"""Serving: export trained generators as versioned SavedModels and serve them the way TensorFlow Serving does.

- ``export`` / ``signatures`` / ``card``: the SavedModel, its signatures (``generate``, ``generate_png``, ...) and
  ``assets.extra/tfskin_model_card.json``;
- ``repository`` / ``rest`` / ``grpc_service`` / ``server``: ``tfskin serve``, TF Serving's REST and gRPC APIs
  for ``<base>/<name>/<version>/`` (a development server; production is TF Serving, see ``export/``);
- ``client``: REST/gRPC client and the sampler behind the ``serving:`` evaluation source;
- ``models_config`` / ``config_protos``: TF Serving's config files; ``translate``: ``tfskin translate``;
- ``cli``: the subcommands (the only module here that may use training or model code).

Nothing here but ``cli`` imports ``tfskin.cli``, ``tfskin.evaluation``, ``tfskin.training`` or ``tfskin.models``.
"""
