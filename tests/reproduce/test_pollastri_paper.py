"""pollastri2020 at the paper budget: CDNN0-6 (CDNN4 real-only), "Both GANs" (the first phase alternates the
two GANs), subsets 500 / 1000 / 1500 with their own DCGAN and LAPGAN, and the ensemble of the six variants the
paper names; planned without training, the ensemble computed from saved probabilities, and (slow) the whole
structure run end to end at smoke sizes."""

import io
import json

import numpy as np
import pytest

from tfskin.reproduce import pollastri2020
from tfskin.reproduce.papers import Experiment, settings_for
from tfskin.reproduce.replicates import plan_replicates


def _experiment(tmp_path, budget="paper", settings=None):
    return Experiment(paper="pollastri2020", out=tmp_path, data="phantoms", ood_data=None, budget=budget,
                      settings=settings or settings_for(pollastri2020, budget), workers=1, workflow=None,
                      datasets=pollastri2020.datasets("phantoms"))


def test_the_paper_budget_plans_every_variant_both_gans_the_subsets_and_the_ensemble(tmp_path):
    from tfskin.evaluation.choices import CDNN_VARIANTS
    from tfskin.reproduce.published import published_table

    exp = _experiment(tmp_path)
    plan = pollastri2020.plan(exp)
    table2 = published_table("pollastri2020", "table2")
    assert sorted(plan["protocols"]) == sorted(CDNN_VARIANTS) == sorted(r[0].lower() for r in table2.rows)
    for variant, cfg in plan["protocols"].items():
        names = [c["name"] for c in cfg["conditions"]]
        assert tuple(cfg["data"]["image_size"]) == CDNN_VARIANTS[variant]["image_size"], variant
        assert cfg["segmenter"]["channels"] == CDNN_VARIANTS[variant]["channels"]
        assert cfg["segmenter"]["loss"] == CDNN_VARIANTS[variant]["loss"]
        published = dict(zip(table2.columns, next(r for r in table2.rows if r[0].lower() == variant), strict=True))
        gan_arms = [n for n in ("DCGAN", "LAPGAN", "Both GANs") if n in names]
        assert bool(gan_arms) == (published["dcgan_augmented"] is not None), variant  # CDNN4: real only
    primary = [c for c in plan["protocols"]["cdnn0"]["conditions"]]
    for n in (500, 1000, 1500):
        arms = {c["name"]: c for c in primary if c.get("train_size") == n}
        assert set(arms) == {f"Original data, {n} images", f"DCGAN, {n} images", f"LAPGAN, {n} images"}
    both = next(c for c in primary if c["name"] == "Both GANs")
    rep = plan_replicates(exp)[1]
    source = plan["protocols"]["cdnn0"]["replicates"][1]["sources"][both["synthetic"]]
    assert source["type"] == "alternate" and source["path"].split("|") == [
        f"run:{tmp_path / 'gans' / g / rep.tag}" for g in ("dcgan_mask", "lapgan_mask")]
    configs = pollastri2020.gan_configs(exp, rep)
    for n in (500, 1000, 1500):
        for gan in ("dcgan", "lapgan"):
            assert configs[f"{gan}_mask_n{n}"].data.num_examples == n and configs[f"{gan}_mask_n{n}"].model == gan
    ensemble = published_table("pollastri2020", "ensemble")
    members = dict(ensemble.rows)["members"].lower().replace(" ", "").split(",")
    assert list(exp.settings["ensemble_variants"]) == members
    assert pollastri2020.ensemble_arms(exp) == ["Original data", "DCGAN", "LAPGAN", "Both GANs"]


def test_both_gans_alternates_its_sources_batch_by_batch():
    from tfskin.sources import AlternatingSource, ArraySource

    zeros = ArraySource(np.zeros((4, 8, 8, 3), np.uint8), mask=np.zeros((4, 8, 8, 1), np.uint8))
    ones = ArraySource(np.full((4, 8, 8, 3), 255, np.uint8), mask=np.full((4, 8, 8, 1), 255, np.uint8))
    both = AlternatingSource([zeros, ones])
    assert both.has_masks
    firsts = [int(both.sample(2, seed=1_000_003 * 7 + step)["image"].max()) for step in range(6)]
    assert firsts == [255, 0, 255, 0, 255, 0]  # consecutive step seeds take turns


def _fake_protocol(root, size, probs_of, truth, arm="Original data"):
    from tfskin.evaluation.jsonio import write_json
    from tfskin.evaluation.results import run_dir_of

    cfg = {"data": {"name": "phantoms", "image_size": list(size), "test_split": "test", "test_size": len(truth),
                    "seed": 0, "ood_test": None}, "repeats": 1}
    run_dir = run_dir_of(root, arm, 0)
    run_dir.mkdir(parents=True)
    np.save(run_dir / "probs_test.npy", probs_of.astype(np.float16))
    write_json(run_dir / "result.json", {"condition": arm, "repeat": 0})
    return cfg


def test_the_variant_ensemble_averages_every_member_at_the_first_members_size(tmp_path):
    from tfskin.evaluation.real_data import load_arrays
    from tfskin.reproduce.variant_ensemble import ensemble_repeat

    truth = load_arrays("phantoms", "test", (32, 48), num_examples=3, features=("mask",))["mask"][..., 0] >= 128
    small = truth[:, ::2, ::2]  # a half-size member's view of the same masks
    right = _fake_protocol(tmp_path / "a", (32, 48), truth.astype(np.float32), truth)
    also_right = _fake_protocol(tmp_path / "b", (16, 24), small.astype(np.float32), small)
    wrong = _fake_protocol(tmp_path / "c", (32, 48), 1.0 - truth, truth)
    alone = ensemble_repeat([("cdnn0", right, tmp_path / "a")], "Original data", 0)
    resized = ensemble_repeat([("cdnn0", right, tmp_path / "a"), ("cdnn3", also_right, tmp_path / "b")],
                              "Original data", 0)
    mixed = ensemble_repeat([("cdnn0", right, tmp_path / "a"), ("cdnn1", wrong, tmp_path / "c")],
                            "Original data", 0)
    assert alone["test"]["jaccard"] == pytest.approx(1.0)
    assert resized["test"]["jaccard"] > 0.85  # the half-size member, upsampled, still agrees
    assert mixed["test"]["jaccard"] < 0.5  # a mean of 0.5 everywhere: the whole image is kept
    assert ensemble_repeat([("cdnn0", right, tmp_path / "a")], "DCGAN", 0) is None  # no such run yet


SHARED_GANS = ("dcgan_mask", "lapgan_mask")


def _seed_with_smoke_gans(exp, smoke_out):
    """Copy the smoke run's DCGAN and LAPGAN of every replicate (and their finished-step markers) into ``exp``'s
    folder, so its workflow skips training them; their configs must be exactly the ones ``exp`` plans."""
    import shutil

    from tfskin.runs import read_run_config

    planned = pollastri2020.plan(exp)["gans"]
    for rep in plan_replicates(exp):
        for name in SHARED_GANS:
            run = exp.out / "gans" / name / rep.tag
            shutil.copytree(smoke_out / "gans" / name / rep.tag, run)
            assert read_run_config(run).to_json() == planned[f"{name} ({rep.tag})"].to_json(), (name, rep.tag)
            marker = f"steps/train_{name}_{rep.tag}.json"
            shutil.copy(smoke_out / marker, exp.out / marker)


@pytest.mark.e2e
def test_the_paper_structure_runs_end_to_end_at_smoke_sizes(tmp_path, pollastri_smoke):
    """Two variants, Both GANs, a subset DCGAN and the cross-variant ensemble at smoke sizes (CDNN4's real-only
    arm is checked in the plan test). The DCGAN and LAPGAN are the smoke run's (the same configs, checked; their
    training is tested there): only the subset DCGANs are trained here."""
    from tfskin.reproduce.workflow import Workflow

    settings = {**settings_for(pollastri2020, "smoke"), "variants": ("cdnn0", "cdnn1"), "both_gans": True,
                "subsets": (8,), "subset_gans": ("dcgan",), "ensemble_variants": ("cdnn0", "cdnn1")}
    exp = _experiment(tmp_path / "out", budget="smoke", settings=settings)
    (exp.out / "steps").mkdir(parents=True)
    _seed_with_smoke_gans(exp, pollastri_smoke[0])
    log = io.StringIO()
    exp.workflow = Workflow(exp.out, log)
    summary = pollastri2020.run(exp)
    assert "train_lapgan_mask_r1: already done, skipped" in log.getvalue()
    report = (exp.out / "report.md").read_text()
    assert "## Table 2, every CDNN variant" in report and "| CDNN1 | 0.759 | 0.753 | 0.764 | 0.752 |" in report
    assert "## The paper's ensemble (section 5.2)" in report
    assert [(r["size"], r["gan"]) for r in summary["subset_study"]] == [(24, "DCGAN"), (8, "DCGAN")]
    ensemble = summary["variant_ensemble"]["test"]
    assert set(ensemble) == {"Original data", "DCGAN", "LAPGAN", "Both GANs"}
    assert all(e["summary"]["n"] == settings["repeats"] for e in ensemble.values())
    for record in summary["replicates"]:
        assert record["arms"]["Both GANs"]["synthetic_from"] == ["dcgan_mask", "lapgan_mask"]
        subset = record["gans"]["dcgan_mask_n8"]["train_ids"]
        assert len(subset) == 8 and sorted(record["arms"]["DCGAN, 8 images"]["real_ids"]) == sorted(subset)
    saved = json.loads((exp.out / "protocol" / "cdnn1" / "protocol.json").read_text())
    assert saved["segmenter"]["channels"] == "rgb"
    assert set(summary["values_by_variant"]) == {"cdnn0", "cdnn1"}
