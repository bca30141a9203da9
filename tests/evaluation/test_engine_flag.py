"""``tfskin evaluate augmentation|segmentation --engine reuse|single`` overrides the protocol config's engine
(checked on the resolved protocol that --dry-run prints: nothing is trained)."""

import json
from pathlib import Path

import pytest

from tfskin.cli import main

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
PROTOCOLS = [("augmentation", CONFIGS / "augmentation_phantoms_cpu.yaml"),
             ("segmentation", CONFIGS / "segmentation_phantoms_cpu.yaml")]


def _dry_run(capsys, *argv) -> dict:
    assert main(["evaluate", *argv, "--dry-run"]) == 0
    out = capsys.readouterr().out
    return json.loads(out[:out.rindex("\n(dry run:")])


@pytest.mark.parametrize(("command", "config"), PROTOCOLS)
def test_engine_flag_overrides_the_config(command, config, capsys):
    assert _dry_run(capsys, command, str(config))["engine"] == "reuse"  # the configs' default
    assert _dry_run(capsys, command, str(config), "--engine", "single")["engine"] == "single"


@pytest.mark.parametrize(("command", "config"), PROTOCOLS)
def test_engine_flag_reaches_a_protocol_that_sets_another(command, config, tmp_path, capsys):
    own = tmp_path / config.name
    own.write_text(config.read_text() + "engine: single\n")
    assert _dry_run(capsys, command, str(own))["engine"] == "single"
    assert _dry_run(capsys, command, str(own), "--engine", "reuse")["engine"] == "reuse"
