"""Calls exported SavedModels the way a deployment does: plain TensorFlow, no tfskin. Run as a child process.

``python saved_model_child.py CASES.json`` where the file lists ``{"path", "signature", "inputs", "outputs"}``
objects: each SavedModel at ``path`` is loaded with ``tf.saved_model.load``, its ``signature`` is called on the
arrays of the ``.npz`` file ``inputs``, and the results are written to the ``.npz`` file ``outputs``. The last
line printed is JSON: whether tfskin was imported, and per case the SavedModel's signature names and the output
keys of its ``serving_default``. Several cases of one ``path`` load it once.
"""

import json
import sys

import numpy as np
import tensorflow as tf


def main(cases_file: str):
    with open(cases_file) as f:
        cases = json.load(f)
    loaded = {}
    report = []
    for case in cases:
        if case["path"] not in loaded:
            loaded[case["path"]] = tf.saved_model.load(case["path"])
        model = loaded[case["path"]]
        with np.load(case["inputs"], allow_pickle=True) as data:  # PNG bytes are object arrays
            inputs = {key: tf.constant(value) for key, value in data.items()}
        outputs = model.signatures[case["signature"]](**inputs)
        np.savez(case["outputs"], **{key: value.numpy() for key, value in outputs.items()})
        default = model.signatures["serving_default"]
        report.append({"signatures": sorted(model.signatures),
                       "default_outputs": sorted(default.structured_outputs)})
    print(json.dumps({"tfskin_imported": any(name.split(".")[0] == "tfskin" for name in sys.modules),
                      "cases": report}))


if __name__ == "__main__":
    main(sys.argv[1])
