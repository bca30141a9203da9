"""Add conditioning inputs to example dicts (real or phantom): label, instance and boundary maps, channel stacks.

``with_conditioning(load_examples("phantoms", ...), ("label_map", "boundary"))`` works on any source that yields
``image`` and ``mask`` (and ``attributes`` for attribute labels). Examples without ``valid`` are taken to have no
padding (phantoms are drawn at the target size); examples without ``superpixels`` get SLIC superpixels
computed on the fly (slow: prepare real datasets with stored superpixels instead).
"""

from __future__ import annotations

import tensorflow as tf

from tfskin.data import channels as channel_ops
from tfskin.data.instances import boundary_map, instance_map, slic_superpixels_tf
from tfskin.data.labelmaps import semantic_label_map
from tfskin.data.superpixels import PAPER_SLIC, SlicParams

CONDITIONING_FEATURES = ("valid", "label_map", "superpixels", "instance_map", "boundary", "rgb_mask",
                         "cdnn_rgb_hsv_l", "cdnn_rgb_hsv_lab")


def add_conditioning(example: dict, features, *, slic_params: SlicParams = PAPER_SLIC) -> dict:
    """A copy of ``example`` with the requested conditioning ``features`` added (see CONDITIONING_FEATURES)."""
    features = tuple(features)
    unknown = sorted(set(features) - set(CONDITIONING_FEATURES))
    if unknown:
        raise ValueError(f"unknown conditioning feature(s) {', '.join(unknown)}; valid: "
                         f"{', '.join(CONDITIONING_FEATURES)}")
    out = dict(example)
    image = example["image"]
    if "valid" not in out:
        out["valid"] = tf.ones(tf.concat([tf.shape(image)[:-1], [1]], 0), tf.uint8)
    needs_labels = {"label_map", "instance_map", "boundary"} & set(features)
    if needs_labels and "label_map" not in out:
        if "mask" not in example:
            raise ValueError("label maps need a lesion mask; this dataset has none")
        out["label_map"] = semantic_label_map(example["mask"], example.get("attributes"), out["valid"])
    if {"superpixels", "instance_map", "boundary"} & set(features) and "superpixels" not in out:
        out["superpixels"] = slic_superpixels_tf(image, out["valid"], slic_params)
    if {"instance_map", "boundary"} & set(features) and "instance_map" not in out:
        out["instance_map"] = instance_map(out["superpixels"], out["label_map"])
    if "boundary" in features:
        out["boundary"] = boundary_map(out["instance_map"])
    if "rgb_mask" in features:
        if "mask" not in example:
            raise ValueError("an RGB + mask stack needs a lesion mask; this dataset has none")
        out["rgb_mask"] = channel_ops.rgb_mask_stack(image, example["mask"])
    if "cdnn_rgb_hsv_l" in features:
        out["cdnn_rgb_hsv_l"] = channel_ops.cdnn_input(image, "rgb_hsv_l")
    if "cdnn_rgb_hsv_lab" in features:
        out["cdnn_rgb_hsv_lab"] = channel_ops.cdnn_input(image, "rgb_hsv_lab")
    keep = set(example) | set(features)
    return {k: v for k, v in out.items() if k in keep}


def with_conditioning(examples: tf.data.Dataset, features, *, slic_params: SlicParams = PAPER_SLIC,
                      num_parallel_calls=tf.data.AUTOTUNE) -> tf.data.Dataset:
    """``examples.map(add_conditioning)``: deterministic, parallel across cores."""
    features = tuple(features)
    return examples.map(lambda ex: add_conditioning(ex, features, slic_params=slic_params),
                        num_parallel_calls=num_parallel_calls, deterministic=True)
