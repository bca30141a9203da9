"""``tfskin reproduce``: each paper's experiment end to end at the smoke budget (tiny shapes, 2 repeats), the
structure of its paper-style report, and resume: after deleting one repeat's result a rerun redoes only it."""

import io
import json

import pytest
from tiny_runs import copy_experiment

from tfskin.errors import ConfigError
from tfskin.evaluation.results import run_dir_of
from tfskin.reproduce.papers import BUDGETS, PAPERS, paper_module, settings_for
from tfskin.reproduce.run import reproduce
from tfskin.reproduce.workflow import Workflow


def _strict_json(path):
    def refuse(name):
        raise AssertionError(f"{path}: bare {name} is not JSON")

    return json.loads(path.read_text(), parse_constant=refuse)


def _results(protocol_dir) -> dict:
    return {p: p.stat().st_mtime_ns for p in sorted((protocol_dir / "runs").glob("*/rep*/result.json"))}


def _run(paper, out):
    stream = io.StringIO()
    result = reproduce(paper, out, budget="smoke", stream=stream)
    return result, stream.getvalue()


# --- no TensorFlow work ------------------------------------------------------------------------------------

def test_every_paper_has_every_budget_and_a_valid_module():
    for key in PAPERS:
        module = paper_module(key)
        assert set(module.SETTINGS) == set(BUDGETS), key
        assert module.TITLE and module.SUMMARY and callable(module.run)
        assert "ood" not in module.datasets("phantoms") or module.datasets("phantoms")["ood"].startswith("phantoms")


def test_unknown_paper_budget_or_too_few_repeats_fail_clearly(tmp_path):
    with pytest.raises(ConfigError, match="unknown paper 'nope'.*bissoto2018"):
        paper_module("nope")
    with pytest.raises(ConfigError, match="unknown budget 'huge'.*smoke, cpu, paper"):
        settings_for(paper_module("lunagariya"), "huge")
    with pytest.raises(ConfigError, match="at least 2 repeats"):
        reproduce("bissoto2018", tmp_path, budget="smoke", repeats=1)


def test_workflow_runs_a_step_once_and_keeps_its_time(tmp_path):
    calls = []
    wf = Workflow(tmp_path, stream=io.StringIO())
    assert wf.step("a", lambda x: calls.append(x) or {"value": x}, 3) == {"value": 3}
    again = Workflow(tmp_path, stream=io.StringIO())
    assert again.step("a", lambda x: calls.append(x) or {"value": x}, 4) == {"value": 3}
    assert calls == [3] and again.ran == []
    assert again.timed("evaluation", lambda: 7) == 7 and again.timed("evaluation", lambda: 8) == 8  # every call
    timing = again.timing()
    assert set(timing["steps"]) == {"a", "evaluation"}
    assert timing["total_seconds"] == pytest.approx(timing["steps"]["a"] + timing["steps"]["evaluation"])


def test_a_folder_holds_one_experiment(tmp_path):
    (tmp_path / "experiment.json").write_text(json.dumps(
        {"paper": "lunagariya", "data": "phantoms", "budget": "cpu", "datasets": {}, "settings": {}}))
    with pytest.raises(ConfigError, match="other settings .*budget"):
        reproduce("lunagariya", tmp_path, budget="smoke")


@pytest.mark.parametrize("paper", sorted(PAPERS))
def test_every_budget_plan_resolves_and_validates_without_writing(paper, tmp_path):
    """The paper budget (GPU sizes) is checked too: every GAN config resolves and the protocol validates."""
    for budget in BUDGETS:
        plan = reproduce(paper, tmp_path / "out", budget=budget, dry_run=True)
        assert plan["gans"] and all(g["steps"] > 0 and g["batch_size"] > 0 for g in plan["gans"].values()), budget
        assert plan["evaluation"] and "not_prepared" not in plan
        if "runs" in plan["evaluation"]:
            evaluation = plan["evaluation"]
            assert evaluation["gan_replicates"] >= (2 if budget == "smoke" else 3)
            assert evaluation["repeats"] % evaluation["gan_replicates"] == 0  # K classifier repeats per replicate
            nested = evaluation["repeats"] > evaluation["gan_replicates"]
            assert evaluation["design"]["unit"] == ("gan_replicate" if nested else "replicate")
    assert not (tmp_path / "out").exists()
    real = reproduce(paper, tmp_path / "out", data="isic2019", budget="cpu", dry_run=True)
    assert "isic2019" in real["not_prepared"] and "tfskin data build isic2019" in real["not_prepared"]["isic2019"]


def test_cli_rejects_an_unknown_paper(capsys):
    from tfskin.cli import main

    assert main(["reproduce", "nope"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "bissoto2018" in err[0]


# --- smoke runs --------------------------------------------------------------------------------------------

def _check_provenance(summary, gans: set, real_arm):
    """reproduce.json's replicates: each GAN trained on exactly its replicate's S_g, the real arm on S_g, fresh
    real and test sets per replicate (phantoms), the shifted test set of other lesions; one value per replicate."""
    replicates = summary["replicates"]
    assert [r["index"] for r in replicates] == [0, 1]
    for record in replicates:
        s_ids = sorted(record["real_train_ids"])
        assert gans <= set(record["gans"])
        for name in gans:
            assert sorted(record["gans"][name]["train_ids"]) == s_ids, name
        if real_arm:
            assert record["arms"][real_arm]["real_ids"] == s_ids
        tests = record["test_ids"]
        assert tests["in_distribution"] and not set(tests["in_distribution"]) & set(tests["out_of_distribution"])
    assert not set(replicates[0]["real_train_ids"]) & set(replicates[1]["real_train_ids"])
    assert all(len(per_arm) == 2 for split in summary["values"].values() for per_arm in split.values())
    assert summary["design"]["test_set"] == "resampled" and summary["design"]["training_overlap"] is None


@pytest.mark.slow
def test_bissoto2018_smoke_report_and_resume(tmp_path):
    out = tmp_path / "bissoto"
    result, log = _run("bissoto2018", out)
    report = (out / "report.md").read_text()
    for name in ("Real", "Instance", "Semantic", "PGAN", "Real+Instance", "Real+Semantic", "Real+PGAN",
                 "Real+2xPGAN", "Real+Instance+PGAN"):
        assert f"| {name} |" in report, name
    assert "published, ISIC (Bissoto et al. 2018, Table 1)" in report and "| Real+Instance+PGAN | 84.7 ± 0.5 |" \
        in report
    assert "measured, phantoms, out of distribution" in report and "**Verdict (measured).**" in report
    assert "Holm" in report and "Measured time:" in report
    summary = _strict_json(out / "reproduce.json")
    assert set(summary["conditions"]) == {c[0] for c in paper_module("bissoto2018").CONDITIONS}
    assert summary["runs_failed"] == [] and result["report"] == str(out / "report.md")
    synthetic = sorted(p.parent.name for p in (out / "synthetic" / "r0" / "instance").glob("*/*.png"))
    assert synthetic and set(synthetic) <= set(paper_module("fossen2020").CLASSES)
    _check_provenance(summary, gans={"pix2pixhd_instance", "pix2pixhd_semantic", "pgan"}, real_arm="Real")
    per_replicate = summary["per_replicate"]  # each arm's AUC per GAN replicate, both test sets
    assert per_replicate["replicates"] == 2 and set(per_replicate["splits"]) == {"test", "ood"}
    assert set(per_replicate["splits"]["ood"]) == set(summary["conditions"])
    assert "## Per replicate" in report and "| PGAN | " in report.split("## Per replicate")[1]

    before = _results(out / "protocol")
    assert len(before) == 9 * 2
    deleted = run_dir_of(out / "protocol", "Real+PGAN", 1) / "result.json"
    deleted.unlink()
    _, log = _run("bissoto2018", out)
    after = _results(out / "protocol")
    assert set(after) == set(before)
    assert [p for p in after if after[p] != before[p]] == [deleted]
    assert "1 run(s) to do, 17 already finished" in log
    assert "train_pix2pixhd_instance_r1: already done, skipped" in log and "synthesize_instance_r0: already done" in log


@pytest.mark.slow
def test_fossen2020_smoke_report_and_resume(tmp_path):
    out = tmp_path / "fossen"
    _run("fossen2020", out)
    report = (out / "report.md").read_text()
    assert "| Training data | MEL | NV | BCC | AK | BKL | DF | VASC | SCC |" in report
    for name in ("Real", "Real+ACGAN", "Real+ACGAN->CycleGAN", "Real+NV->MEL CycleGAN (PRF alpha=0.5)"):
        assert f"| {name} |" in report, name
    assert "Per-class F1 difference to **Real**" in report and "Fossen-Romsaas et al. 2020, Table 2" in report
    summary = _strict_json(out / "reproduce.json")
    assert set(summary["per_class"]) == {"test", "ood"}
    assert set(summary["per_class"]["test"]["Real+ACGAN"]) == set(paper_module("fossen2020").CLASSES)
    kept = _strict_json(out / "gans" / "cyclegan_nv_to_mel_prf" / "r1" / "domains.json")
    assert kept["path_rank_filter"]["alpha"] == 0.5
    assert sorted(p.name for p in (out / "gans" / "acgan_cyclegan" / "r0").glob("cyclegan_*")) == ["cyclegan_MEL",
                                                                                                    "cyclegan_NV"]
    _check_provenance(summary, gans={"acgan", "acgan_cyclegan_MEL", "acgan_cyclegan_NV", "cyclegan_nv_to_mel_prf"},
                      real_arm="Real")
    assert summary["per_replicate"]["metric"] == "auc" and "## Per replicate" in report

    before = _results(out / "protocol")
    deleted = run_dir_of(out / "protocol", "Real", 0) / "result.json"
    deleted.unlink()
    _, log = _run("fossen2020", out)
    after = _results(out / "protocol")
    assert [p for p in after if after[p] != before[p]] == [deleted]
    assert "train_acgan_cyclegan_r0: already done, skipped" in log and "1 run(s) to do" in log


@pytest.mark.slow
def test_pollastri2020_smoke_report_and_resume(tmp_path, pollastri_smoke):
    out = tmp_path / "pollastri"
    copy_experiment(pollastri_smoke[0], out)  # the session's run (its GANs also seed test_pollastri_paper.py's)
    report = (out / "report.md").read_text()
    assert "| published, ISIC 2017 test (Pollastri et al. 2020, Table 2), Jaccard | 0.746 | 0.751 | 0.739 |" in report
    assert "mean Jaccard (ISIC 2017 score)" in report and "thresholded Jaccard (ISIC 2018 score)" in report
    for name in ("Original data", "DCGAN", "LAPGAN", "ensemble(DCGAN+LAPGAN)", "Original data, 8 images",
                 "LAPGAN, 8 images"):
        assert f"| {name} |" in report, name
    summary = _strict_json(out / "reproduce.json")
    assert "ensemble(DCGAN+LAPGAN)" in summary["conditions"]
    assert [r["size"] for r in summary["subset_study"]] == [24, 8] and "Training-subset-size study" in report
    _check_provenance(summary, gans={"dcgan_mask", "lapgan_mask"}, real_arm="Original data")
    assert summary["per_replicate"]["metric"] == "jaccard" and "## Per replicate" in report
    for record in summary["replicates"]:
        small = record["gans"]["lapgan_mask_small"]["train_ids"]
        assert len(small) == 8 and set(small) <= set(record["real_train_ids"])
        assert sorted(record["arms"]["LAPGAN, 8 images"]["real_ids"]) == sorted(small)

    before = {p: t for p, t in _results(out / "protocol").items() if "ensemble" not in str(p)}
    deleted = run_dir_of(out / "protocol", "Original data", 1) / "result.json"
    deleted.unlink()
    _, log = _run("pollastri2020", out)
    after = {p: t for p, t in _results(out / "protocol").items() if "ensemble" not in str(p)}
    assert set(after) == set(before) and [p for p in after if after[p] != before[p]] == [deleted]
    assert "train_dcgan_mask_r0: already done, skipped" in log


@pytest.mark.slow
def test_lunagariya_smoke_report_and_resume(tmp_path, lunagariya_smoke):
    out = tmp_path / "lunagariya"
    copy_experiment(lunagariya_smoke[0], out)  # the session's run (tests/reproduce/test_parallel.py reads it too)
    report = (out / "report.md").read_text()
    for row in ("DCGAN", "Phase-frozen PGAN", "Real, held out (floor)"):
        assert f"| {row} |" in report, row
    assert "colour JS divergence" in report and "FID (pixels 8x8)" in report
    assert "publishes no such figures" in report
    scores = _strict_json(out / "reproduce.json")["scores"]
    assert all(len(r["draws"]) == 2 * 2 for r in scores["rows"].values())  # 2 replicates x 2 draws
    _check_provenance(_strict_json(out / "reproduce.json"), gans={"dcgan", "progan_frozen"}, real_arm=None)
    floor = scores["rows"]["Real, held out (floor)"]["js_divergence"]["mean"]
    assert floor < scores["rows"]["DCGAN"]["js_divergence"]["mean"]  # 2 training steps: far from real
    (out / "steps" / "score_samples.json").unlink()
    _, log = _run("lunagariya", out)
    assert "train_dcgan_r1: already done, skipped" in log and "score_samples: running" in log
    assert "sample_grids: already done, skipped" in log
