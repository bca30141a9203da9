"""Analytic forward multiply-accumulates (MACs) per image of the image-to-image GANs' networks at paper shapes.

Counts convolutions, transposed convolutions and dense layers (norms, activations, padding and pooling are
left out: a few percent at most). FLOPs = 2 x MACs. Transposed convolutions are counted two ways:
``zero_insert`` (output pixels x k^2 x C_in x C_out, the convention of common profilers and of the published
56.8 GMAC for CycleGAN's ResNet-9 generator at 256x256) and ``effective`` (input pixels x k^2 x C_in x C_out,
the multiplications actually needed). Usage: python scripts/flops.py [--only cyclegan|pix2pixhd]
"""

import argparse
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import keras  # noqa: E402


def _layer_macs(layer, output_shape, input_shape):
    if isinstance(layer, keras.layers.Conv2DTranspose):
        kh, kw = layer.kernel_size
        cin, cout = input_shape[-1], layer.filters
        per = kh * kw * cin * cout
        return output_shape[1] * output_shape[2] * per, input_shape[1] * input_shape[2] * per
    if isinstance(layer, keras.layers.Conv2D):
        kh, kw = layer.kernel_size
        cin, cout = input_shape[-1], layer.filters
        macs = output_shape[1] * output_shape[2] * kh * kw * cin // layer.groups * cout
        return macs, macs
    if isinstance(layer, keras.layers.Dense):
        macs = int(input_shape[-1]) * layer.units
        return macs, macs
    return 0, 0


def model_macs(model) -> dict:
    """{"zero_insert": MACs, "effective": MACs, "params": N} for one image through a functional model (nested
    functional models are counted through their own layers)."""
    zero_insert = effective = 0
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            inner = model_macs(layer)
            zero_insert += inner["zero_insert"]
            effective += inner["effective"]
            continue
        if not isinstance(layer, (keras.layers.Conv2D, keras.layers.Conv2DTranspose, keras.layers.Dense)):
            continue
        a, b = _layer_macs(layer, tuple(layer.output.shape), tuple(layer.input.shape))
        zero_insert += a
        effective += b
    return {"zero_insert": int(zero_insert), "effective": int(effective), "params": int(model.count_params())}


def _row(name, shape, model):
    m = model_macs(model)
    return {"network": name, "input": "x".join(str(d) for d in shape), "params": m["params"],
            "gmac": round(m["zero_insert"] / 1e9, 2), "gflop": round(2 * m["zero_insert"] / 1e9, 2),
            "gmac_effective": round(m["effective"] / 1e9, 2)}


def cyclegan_rows():
    from tfskin.models.cyclegan.networks import build_discriminator, build_generator
    from tfskin.registry import get_model

    rows = []
    for preset in ("paper256", "paper128"):
        chosen = get_model("cyclegan").preset(preset)
        config, shape = chosen.model_config, chosen.image_shape
        rows.append(_row(f"cyclegan {preset} generator (ResNet-{config.blocks(shape[:2])}), each of 2", shape,
                         build_generator(config, shape, "g")))
        rows.append(_row(f"cyclegan {preset} 70x70 PatchGAN discriminator, each of 2", shape,
                         build_discriminator(config, shape, "d")))
        keras.backend.clear_session()
    return rows


def pix2pixhd_rows():
    from tfskin.models.pix2pixhd.networks import build_discriminator, build_generator
    from tfskin.registry import get_model

    rows = []
    for preset in ("paper1024x512_instance", "paper1024x512_semantic"):
        chosen = get_model("pix2pixhd").preset(preset)
        config, (h, w) = chosen.model_config, chosen.image_shape[:2]
        rows.append(_row(f"pix2pixhd {preset} global generator", (h, w, config.input_channels),
                         build_generator(config, (h, w))))
        rows.append(_row(f"pix2pixhd {preset} {config.num_d}-scale discriminator (one pass, all scales)",
                         (h, w, config.input_channels + 3), build_discriminator(config, (h, w))))
        keras.backend.clear_session()
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("cyclegan", "pix2pixhd"))
    args = parser.parse_args(argv)
    rows = []
    if args.only in (None, "cyclegan"):
        rows += cyclegan_rows()
    if args.only in (None, "pix2pixhd"):
        rows += pix2pixhd_rows()
    print(json.dumps({"per_image_forward": rows, "counted": "conv, transposed conv, dense; FLOPs = 2 x MACs; "
                      "gmac uses the zero-insert convention for transposed convs, gmac_effective the real work"},
                     indent=2))


if __name__ == "__main__":
    main()
