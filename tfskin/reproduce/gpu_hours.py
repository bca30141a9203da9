"""Estimated GPU hours of a paper's plan, from FLOP counts of every planned training step.

Forward multiply-accumulates (MACs) per image are counted as ``scripts/flops.py`` counts them: convolutions,
transposed convolutions (at output resolution) and dense layers of each functional network, built at the
planned shapes (norms, activations and pooling left out). A training step costs 3 x (2 x forward MACs) per
network call (forward + backward ~ 3 forwards, as ``scripts/bench_gpu.py`` estimates): per image, a GAN step
calls each generator once (CycleGAN: 3 times: translation, cycle, identity) and each discriminator 3 times
(real and fake for its update, fake for the generator's; ProGAN's WGAN-GP critic 5 times). Classifier epochs
see every training image (real + synthetic), segmenter steps their batches; predictions cost one forward per
test image (times the test-time augmentation replicas). The FLOPs are divided by a stated sustained
throughput, an assumption (``ASSUMED_MFU`` of an H100 SXM's dense bf16 peak): no GPU figure of
``scripts/bench_gpu.py`` is recorded in this project yet, so treat the hours as an order of magnitude.
Networks that are not functional Keras models (ProGAN's) or are built for any image size (LAPGAN's levels)
cannot be walked layer by layer and are reported as not counted, so their papers' hours are a lower bound.
"""

PEAK_TFLOPS = 989.0  # H100 SXM dense bf16 tensor-core peak (scripts/bench_gpu.py's MFU denominator)
ASSUMED_MFU = 0.3  # sustained share of the peak assumed for these convolutional networks
GAN_CALLS = {"cyclegan": (3, 3), "progan": (1, 5), "progan_frozen": (1, 5)}  # (generator, discriminator) calls
DEFAULT_CALLS = (1, 3)


def basis() -> str:
    return (f"FLOP counts of every planned training step (scripts/flops.py's counting: conv, transposed conv, "
            f"dense; training = 3 x forward) against an assumed {ASSUMED_MFU:.0%} of an H100's {PEAK_TFLOPS:g} "
            f"TFLOP/s dense bf16 peak ({PEAK_TFLOPS * ASSUMED_MFU:.0f} TFLOP/s sustained); not a measurement")


def network_macs(model) -> int:
    """Forward MACs per image of a functional Keras model (nested models counted through their layers); raises
    ValueError for a model that is not functional."""
    import keras

    total = 0
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            total += network_macs(layer)
            continue
        if not isinstance(layer, (keras.layers.Conv2D, keras.layers.Conv2DTranspose, keras.layers.Dense)):
            continue
        try:
            out_shape, in_shape = tuple(layer.output.shape), tuple(layer.input.shape)
        except (AttributeError, ValueError) as err:
            raise ValueError(f"{model.name}: layer {layer.name} has no static shape ({err})") from None
        if None in out_shape[1:] or None in in_shape[1:]:
            raise ValueError(f"{model.name}: layer {layer.name} has no static spatial shape")
        if isinstance(layer, keras.layers.Dense):
            total += int(in_shape[-1]) * layer.units
            continue
        kh, kw = layer.kernel_size
        groups = getattr(layer, "groups", 1) or 1
        total += int(out_shape[1]) * int(out_shape[2]) * kh * kw * int(in_shape[-1]) // groups * layer.filters
    return int(total)


def _gan_macs(config, cache: dict) -> tuple:
    """(MACs per image of one training step's network calls, networks not counted) for a GAN run config."""
    import keras

    from tfskin.registry import get_model

    key = (config.model, config.preset, tuple(config.data.image_shape))  # overrides here change no layer
    if key not in cache:
        model = get_model(config.model).build(config.model_config, config.data.image_shape, seed=0)
        g_calls, d_calls = GAN_CALLS.get(config.model, DEFAULT_CALLS)
        macs, skipped = 0, []
        for calls, networks in ((g_calls, model.generator_networks), (d_calls, model.discriminator_networks)):
            for net in networks:
                try:
                    macs += calls * network_macs(net)
                except (ValueError, AttributeError):  # subclassed, or built for any size (LAPGAN's levels)
                    skipped.append(net.name)
        cache[key] = (macs, skipped)
        keras.backend.clear_session()
    return cache[key]


def _classifier_macs(cfg: dict, cache: dict) -> int:
    from tfskin.evaluation.classifier import ClassifierConfig, build_classifier, task_class_names

    values = {**cfg["classifier"], "weights": "none", "image_size": tuple(cfg["data"]["image_size"])}
    key = ("classifier", repr(sorted(values.items())))
    if key not in cache:
        config = ClassifierConfig.from_dict(values)
        cache[key] = network_macs(build_classifier(config, len(task_class_names(config.task, config.classes))))
    return cache[key]


def _segmenter_macs(cfg: dict, cache: dict) -> int:
    from tfskin.evaluation.segmenter import SegmenterConfig, build_segmenter

    values = {k: v for k, v in cfg["segmenter"].items() if k != "variant"}
    values["image_size"] = tuple(cfg["data"]["image_size"])
    key = ("segmenter", repr(sorted(values.items())))
    if key not in cache:
        cache[key] = network_macs(build_segmenter(SegmenterConfig.from_dict(values)))
    return cache[key]


def _count(n, real: int) -> int:
    return int(round(float(str(n)[:-1]) * real)) if str(n).endswith("x") else int(n)


def classifier_flops(cfg: dict, n_train: int, n_test: int, cache: dict) -> float:
    """Every (condition, repeat) of a classifier protocol: training epochs over real + synthetic images, then
    test-time-augmented predictions."""
    macs = _classifier_macs(cfg, cache)
    c = cfg["classifier"]
    total = 0.0
    for cond in cfg["conditions"]:
        real = n_train if cond.get("real", True) else 0
        images = real + sum(_count(p.get("n", "1x"), n_train) for p in cond.get("synthetic") or [])
        total += c.get("epochs", 15) * images * 6 * macs + n_test * c.get("tta", 50) * 2 * macs
    return total * int(cfg["repeats"])


def segmenter_flops(cfg: dict, n_test: int, cache: dict) -> float:
    """Every (condition, repeat) of a segmentation protocol: its synthetic and real batches, then predictions."""
    macs = _segmenter_macs(cfg, cache)
    batch = cfg["segmenter"]["batch_size"]
    steps = sum(c.get("synthetic_steps", 0) + c.get("real_steps", 0) for c in cfg["conditions"])
    return (steps * batch * 6 * macs + len(cfg["conditions"]) * n_test * 2 * macs) * int(cfg["repeats"])


def _hours(value: float) -> float:
    """Hours to 0.1 h, or to two significant digits below 10 h (a small plan is not 0 hours)."""
    return round(value, 1) if value >= 10 else float(f"{value:.2g}")


def estimate(plan: dict, n_train: int, n_test: int) -> dict:
    """GPU hours of ``plan`` (a paper module's ``plan(exp)``); ``n_train`` / ``n_test``: the real training and
    test images per replicate where the budget says "all of the split"."""
    cache = {}
    hours_per_flop = 1.0 / (PEAK_TFLOPS * ASSUMED_MFU * 1e12) / 3600
    gan_flops, skipped = 0.0, set()
    for config in plan["gans"].values():
        macs, missing = _gan_macs(config, cache)
        skipped.update(f"{config.model}: {net}" for net in missing)
        gan_flops += config.train.steps * config.train.batch_size * 6 * macs
    eval_flops = 0.0
    protocols = plan.get("protocols") or ({"": plan["protocol"]} if "protocol" in plan else {})
    for cfg in protocols.values():
        data = cfg["data"]
        train = data.get("train_size") or n_train
        test = (data.get("test_size") or n_test) + ((data.get("ood_test") or {}).get("size") or 0)
        eval_flops += (segmenter_flops(cfg, test, cache) if "segmenter" in cfg
                       else classifier_flops(cfg, train, test, cache))
    out = {"gpu_hours": _hours((gan_flops + eval_flops) * hours_per_flop),
           "gan_training_hours": _hours(gan_flops * hours_per_flop),
           "evaluation_hours": _hours(eval_flops * hours_per_flop), "basis": basis(),
           "flops": {"gan_training": gan_flops, "evaluation": eval_flops},
           "real_images_assumed": {"train": n_train, "test": n_test}}
    if skipped:
        out["not_counted"] = sorted(skipped)
    return out
