"""The paper budget's GPU-hour estimate: FLOPs counted layer by layer, scaled by the planned steps, with its
basis stated."""

import dataclasses

import keras
import pytest

from tfskin.reproduce import gpu_hours


def test_network_macs_counts_convolutions_and_dense_layers():
    inputs = keras.Input((8, 8, 3))
    x = keras.layers.Conv2D(8, 3, padding="same")(inputs)
    x = keras.layers.Conv2DTranspose(4, 2, strides=2)(x)
    x = keras.layers.Flatten()(x)
    outputs = keras.layers.Dense(5)(x)
    model = keras.Model(inputs, outputs)
    conv = 8 * 8 * 3 * 3 * 3 * 8
    transposed = 16 * 16 * 2 * 2 * 8 * 4  # counted at output resolution
    dense = 16 * 16 * 4 * 5
    assert gpu_hours.network_macs(model) == conv + transposed + dense
    outer = keras.Model(inputs, model(inputs))  # a nested model is counted through its layers
    assert gpu_hours.network_macs(outer) == conv + transposed + dense


@pytest.mark.slow
def test_the_estimate_scales_with_the_planned_steps_and_states_its_basis(tmp_path):
    from tfskin.reproduce import pollastri2020
    from tfskin.reproduce.papers import Experiment, settings_for

    exp = Experiment(paper="pollastri2020", out=tmp_path, data="phantoms", ood_data=None, budget="cpu",
                     settings=settings_for(pollastri2020, "cpu"), workers=1, workflow=None,
                     datasets=pollastri2020.datasets("phantoms"))
    plan = pollastri2020.plan(exp)
    once = gpu_hours.estimate(plan, 200, 200)
    longer = {name: dataclasses.replace(c, train=dataclasses.replace(c.train, steps=2 * c.train.steps))
              for name, c in plan["gans"].items()}
    twice = gpu_hours.estimate({**plan, "gans": longer}, 200, 200)
    assert once["flops"]["gan_training"] > 0 and once["flops"]["evaluation"] > 0
    assert twice["flops"]["gan_training"] == pytest.approx(2 * once["flops"]["gan_training"])
    assert twice["flops"]["evaluation"] == pytest.approx(once["flops"]["evaluation"])
    assert "assumed" in once["basis"] and "TFLOP/s" in once["basis"]
    assert any(name.startswith("lapgan") for name in once["not_counted"])  # LAPGAN levels take any size
