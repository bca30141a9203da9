"""``--precision auto``: the hardware decision table, its resolution per run into config.json and the first log
line, and the test presets that pin float32."""

import io
import json

import pytest

from tfskin import runtime
from tfskin.config import TrainConfig
from tfskin.errors import ConfigError
from tfskin.registry import get_model, model_names
from tfskin.training import resolve_config, train


@pytest.mark.parametrize("gpus, tpu, flags, expected", [
    ((), True, (), "mixed_bfloat16"),
    (((8, 0),), False, (), "mixed_bfloat16"),
    (((9, 0), (8, 6)), False, (), "mixed_bfloat16"),
    (((7, 5),), False, ("amx_bf16",), "mixed_float16"),  # a GPU decides, not the host CPU
    (((8, 0), (7, 0)), False, (), "mixed_float16"),  # the oldest GPU decides
    ((None,), False, (), "mixed_float16"),  # capability unknown: the safe choice
    ((), False, ("avx2", "amx_bf16", "amx_tile"), "mixed_bfloat16"),
    ((), False, ("avx512f", "avx512_bf16"), "mixed_bfloat16"),
    ((), False, ("avx2", "avx512f"), "float32"),
    ((), False, (), "float32"),
])
def test_decision_table(gpus, tpu, flags, expected):
    name, reason = runtime.choose_precision(gpus, tpu, frozenset(flags))
    assert name == expected
    assert reason.startswith("auto: ")


def test_cpu_flags_read_from_cpuinfo(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nmodel name\t: X\nflags\t\t: fpu avx2 amx_bf16 amx_tile\n\n"
                       "processor\t: 1\nflags\t\t: fpu\n")
    assert runtime.cpu_flags(str(cpuinfo)) == {"fpu", "avx2", "amx_bf16", "amx_tile"}
    assert runtime.cpu_flags(str(tmp_path / "missing")) == frozenset()


def test_auto_is_the_default_and_is_resolved_per_run(monkeypatch):
    assert TrainConfig().precision == "auto"
    monkeypatch.setattr(runtime, "cpu_flags", lambda path="/proc/cpuinfo": frozenset({"avx512_bf16"}))
    config = resolve_config("dcgan", "quick")
    assert (config.train.precision, config.train.precision_reason) == (
        "mixed_bfloat16", "auto: CPU has avx512_bf16 (native bfloat16)")
    monkeypatch.setattr(runtime, "cpu_flags", lambda path="/proc/cpuinfo": frozenset({"avx2"}))
    config = resolve_config("dcgan", "quick")
    assert config.train.precision == "float32"
    assert "lacks amx_bf16/avx512_bf16" in config.train.precision_reason
    assert json.loads(config.to_json())["train"]["precision_reason"] == config.train.precision_reason


def test_explicit_precision_is_kept_and_unknown_is_a_config_error():
    config = resolve_config("dcgan", "quick", train={"precision": "mixed_float16"})
    assert (config.train.precision, config.train.precision_reason) == ("mixed_float16", "requested")
    with pytest.raises(ConfigError, match="train.precision 'bf16'"):
        TrainConfig(precision="bf16")


def test_every_preset_is_auto_except_the_test_presets_which_pin_float32():
    for name in model_names():
        for preset in get_model(name).presets.values():
            precision = preset.train.get("precision", TrainConfig().precision)
            assert precision == ("float32" if preset.name.startswith("tiny") else "auto"), (name, preset.name)


def test_resolved_choice_and_reason_in_config_json_and_first_log_line(tmp_path, monkeypatch):
    monkeypatch.setattr(runtime, "cpu_flags", lambda path="/proc/cpuinfo": frozenset({"amx_bf16"}))
    config = resolve_config("dcgan", "tiny", train={"precision": "auto", "steps": 2, "export_at_end": False})
    stream = io.StringIO()
    train(config, tmp_path / "run", stream=stream)
    saved = json.loads((tmp_path / "run" / "config.json").read_text())["train"]
    assert saved["precision"] == "mixed_bfloat16"
    assert saved["precision_reason"] == "auto: CPU has amx_bf16 (native bfloat16)"
    first = stream.getvalue().splitlines()[0]
    assert "precision mixed_bfloat16 (auto: CPU has amx_bf16 (native bfloat16))" in first, first
