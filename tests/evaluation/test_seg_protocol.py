"""The segmentation protocol: config validation, paired and nested real subsets, runs with a failure, resume,
the ensemble row and the report."""

import io
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from tfskin.errors import ConfigError
from tfskin.evaluation import seg_protocol as sp
from tfskin.evaluation import seg_report, stats
from tfskin.evaluation.results import run_dir_of

SIZE = 32
ENSEMBLE = "ensemble(real+two-step)"


def _config(png_dir="unused", **overrides):
    cfg = {
        "name": "tiny", "seed": 0, "repeats": 2, "reference": "real",
        "data": {"name": "phantoms", "image_size": [SIZE, SIZE], "train_pool": 24, "train_size": 12, "test_size": 8},
        "segmenter": {"width": 0.125, "batch_size": 4, "channels": "rgb"},
        "sources": {"pngs": f"png:{png_dir}"},
        "conditions": [{"name": "real", "real_steps": 3},
                       {"name": "two-step", "synthetic": "pngs", "synthetic_steps": 2, "real_steps": 1}],
        "ensemble": ["real", "two-step"],
    }
    cfg.update(overrides)
    return cfg


def _strict_json(path):
    def refuse(token):
        raise ValueError(f"{path} is not strict JSON: {token}")

    return json.loads(Path(path).read_text(), parse_constant=refuse)


def _finished_runs(log: str) -> list:
    return re.findall(r"\] (\S+) rep(\d+): done", log)


@pytest.fixture(scope="module")
def png_pairs(tmp_path_factory):
    """Eight phantom image+mask pairs as a png: source (x.png + x_mask.png)."""
    from tfskin.evaluation.real_data import load_arrays
    from tfskin.imaging import save_png

    folder = tmp_path_factory.mktemp("pairs")
    pairs = load_arrays("phantoms", "test", (SIZE, SIZE), num_examples=8, seed=7, features=("image", "mask"))
    for i, (image, mask) in enumerate(zip(pairs["image"], pairs["mask"], strict=True)):
        save_png(image, folder / f"s{i}.png")
        save_png(mask, folder / f"s{i}_mask.png")
    return folder


@pytest.fixture(scope="module")
def failed_once(png_pairs, tmp_path_factory):
    """The 2-condition x 2-repeat protocol with run two-step/rep1 failing: (output folder, summary, log)."""
    out = tmp_path_factory.mktemp("seg") / "protocol"
    real_execute = sp.execute_seg_run

    def fail_one(cfg, condition, repeat, run_dir):
        if (condition, repeat) == ("two-step", 1):
            raise RuntimeError("injected failure")
        return real_execute(cfg, condition, repeat, run_dir)

    log = io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sp, "execute_seg_run", fail_one)
        summary = sp.run_seg_protocol(_config(png_pairs), out, stream=log)
    return out, summary, log.getvalue()


def test_config_errors_name_the_bad_key():
    sp.load_seg_protocol(_config())
    cases = [
        (dict(colour="red"), "protocol: unknown key.*colour"),
        (dict(data={"image_size": [30, 32]}), "divisible by 16"),
        (dict(data={"train_sizes": 5}), "data: unknown key.*train_sizes"),
        (dict(data={"train_size": 0}), "data.train_size must be an integer >= 1"),
        (dict(segmenter={"depth": 3}), "segmenter: unknown key.*depth"),
        (dict(segmenter={"seed": 3}), "segmenter: unknown key.*seed"),
        (dict(segmenter={"image_size": [64, 64]}), "segmenter.image_size"),
        (dict(segmenter={"variant": "cdnn9"}), "unknown CDNN variant 'cdnn9'"),
        (dict(segmenter={"variant": "cdnn1", "arch": "unet"}), "segmenter.variant"),
        (dict(sources={"pngs": "folder/"}), "sources.pngs"),
        (dict(conditions=[{"name": "real"}]), r"conditions\[0\]: missing 'real_steps'"),
        (dict(conditions=[{"name": "a", "real_steps": 2, "synthetic": "gan"}]),
         r"conditions\[0\].synthetic: unknown source 'gan'"),
        (dict(conditions=[{"name": "a", "real_steps": 2, "synthetic_steps": 5}]),
         r"conditions\[0\].synthetic_steps: 5 steps but the condition has no synthetic source"),
        (dict(conditions=[{"name": "a", "real": False, "real_steps": 2}]), r"conditions\[0\].real_steps"),
        (dict(conditions=[{"name": "a", "real": False}]), "trains on nothing"),
        (dict(conditions=[{"name": "a", "real_steps": 1, "train_size": -1}]), r"conditions\[0\].train_size"),
        (dict(conditions=[{"name": "a", "real_steps": 1, "epochs": 1}]), r"conditions\[0\]: unknown key.*epochs"),
        (dict(conditions=[{"name": "a", "real_steps": 1}, {"name": "a", "real_steps": 2}]), "repeated: a"),
        (dict(reference="missing"), "reference 'missing'"),
        (dict(metric="auc"), "metric 'auc'"),
        (dict(repeats=0), "repeats must be an integer >= 1"),
        (dict(ensemble=["real", "nope"]), "ensemble: unknown condition.*'nope'"),
        (dict(ensemble=["real"]), "ensemble: give at least two"),
    ]
    for overrides, message in cases:
        with pytest.raises(ConfigError, match=message):
            sp.load_seg_protocol(_config(**overrides))
    with pytest.raises(FileNotFoundError):
        sp.load_seg_protocol("no/such/protocol.yaml")


def test_defaults_and_variant_are_filled_in():
    cfg = sp.load_seg_protocol(_config(segmenter={"variant": "cdnn2", "width": 0.5}, reference=None,
                                       ensemble=[["real", "two-step"]]))
    cfg2 = sp.load_seg_protocol({k: v for k, v in _config().items() if k not in ("reference", "repeats")})
    assert cfg2["reference"] == "real" and cfg2["repeats"] == 10 and cfg2["workers"] == 1
    assert cfg2["metric"] == "jaccard" and cfg2["conditions"][0]["synthetic"] is None
    assert cfg["segmenter"]["channels"] == "rgb_hsv_lab" and cfg["segmenter"]["image_size"] == [SIZE, SIZE]
    assert cfg["segmenter"]["width"] == 0.5 and cfg["ensemble"] == [["real", "two-step"]]
    assert sp.load_seg_protocol(cfg) == cfg  # a resolved config (protocol.json) loads unchanged


def test_cpu_preset_is_valid_and_dry_runs(capsys):
    from tfskin.cli import main

    path = Path(__file__).parents[2] / "configs" / "segmentation_phantoms_cpu.yaml"
    cfg = sp.load_seg_protocol(path)
    assert cfg["repeats"] == 10 and cfg["segmenter"]["variant"] == "cdnn0"
    assert cfg["sources"]["dcgan_mask"] == "run:runs/dcgan-mask-quick"
    assert main(["evaluate", "segmentation", str(path), "--dry-run", "--repeats", "3"]) == 0
    assert "dry run: 6 runs" in capsys.readouterr().out


def test_real_subsets_are_paired_across_conditions_and_nested_across_sizes():
    cfg = sp.load_seg_protocol(_config(ensemble=None, conditions=[{"name": "real", "real_steps": 1},
                                                                  {"name": "small", "real_steps": 1, "train_size": 5}]))
    real, small = cfg["conditions"]
    for repeat in (0, 1):
        big = sp.real_training_set(cfg, real, repeat)
        little = sp.real_training_set(cfg, small, repeat)
        assert len(big["indices"]) == 12 and len(little["indices"]) == 5
        assert set(little["indices"]) <= set(big["indices"])          # nested
        np.testing.assert_array_equal(big["image"][np.isin(big["indices"], little["indices"])], little["image"])
    assert not np.array_equal(sp.real_subset_indices(cfg, 0, 12), sp.real_subset_indices(cfg, 1, 12))
    assert sp.segmenter_config(cfg, 0).seed != sp.segmenter_config(cfg, 1).seed
    too_big = sp.load_seg_protocol(_config(ensemble=None, conditions=[{"name": "real", "real_steps": 1,
                                                                        "train_size": 25}]))
    with pytest.raises(ConfigError, match="train_size 25 exceeds the 24 images"):
        sp.real_training_set(too_big, too_big["conditions"][0], 0)


@pytest.mark.slow  # shares one 3-run protocol (about 15 s on 2 CPU cores)
def test_a_failing_run_is_missing_and_the_others_finish(failed_once):
    out, summary, log = failed_once
    assert sorted(_finished_runs(log)) == [("real", "0"), ("real", "1"), ("two-step", "0")]
    assert "two-step rep1: FAILED" in log
    assert [(f["condition"], f["repeat"]) for f in summary["failures"]] == [("two-step", 1)]
    assert "injected failure" in (run_dir_of(out, "two-step", 1) / "error.txt").read_text()
    rows = summary["splits"]["test"]
    assert rows["two-step"]["jaccard"]["repeats_finite"] == 1
    assert rows["two-step"]["jaccard"]["vs_reference"]["pairs"] == [0]
    assert rows[ENSEMBLE]["repeats_with_result"] == [0]          # repeat 1 lacks a member
    report = (out / "report.md").read_text()
    assert re.search(r"\| two-step \|.*\| 1/2 \|", report) and re.search(r"\| real \|.*\| 2/2 \|", report)
    assert "`two-step` repeat 1 failed: RuntimeError: injected failure" in report
    assert f"`{ENSEMBLE}`: repeat(s) 1 not computed" in report
    # the reference's mean in two-step's comparison is over the paired repeat 0 only
    test = rows["two-step"]["jaccard"]["vs_reference"]
    assert test["reference_mean"] == pytest.approx(rows["real"]["jaccard"]["values"][0])


@pytest.mark.slow  # shares one 3-run protocol (about 15 s on 2 CPU cores)
def test_runs_save_probabilities_and_the_ensemble_row_comes_from_them(failed_once):
    from tfskin.evaluation.real_data import load_arrays
    from tfskin.evaluation.segmenter import dual_threshold

    out, summary, _ = failed_once
    saved = [np.load(run_dir_of(out, c, 0) / "probs_test.npy") for c in ("real", "two-step")]
    assert saved[0].shape == (8, SIZE, SIZE) and saved[0].dtype == np.float16
    mean = (saved[0].astype(np.float32) + saved[1].astype(np.float32)) / 2
    truth = load_arrays("phantoms", "test", (SIZE, SIZE), num_examples=8, features=("image", "mask"))["mask"]
    expected = []
    for p, t in zip(mean, truth[..., 0] >= 128, strict=True):
        mask = dual_threshold(p, 0.8, 0.4)
        union = np.logical_or(mask, t).sum()
        expected.append(1.0 if union == 0 else np.logical_and(mask, t).sum() / union)
    ensemble = json.loads((run_dir_of(out, ENSEMBLE, 0) / "result.json").read_text())
    assert ensemble["members"] == ["real", "two-step"]
    assert ensemble["test"]["jaccard"] == pytest.approx(np.mean(expected), abs=1e-6)
    assert summary["splits"]["test"][ENSEMBLE]["jaccard"]["values"][0] == pytest.approx(np.mean(expected), abs=1e-6)


@pytest.mark.slow  # shares one 3-run protocol (about 15 s on 2 CPU cores)
def test_rerun_redoes_only_missing_runs_and_reports(failed_once, tmp_path):
    source, _, _ = failed_once
    out = tmp_path / "protocol"
    shutil.copytree(source, out)
    (run_dir_of(out, "real", 0) / "result.json").unlink()
    kept = run_dir_of(out, "real", 1) / "result.json"
    kept_mtime = kept.stat().st_mtime_ns
    log = io.StringIO()
    summary = sp.run_seg_protocol(json.loads((out / "protocol.json").read_text()), out, stream=log)
    text = log.getvalue()
    assert "2 run(s) to do, 2 already finished" in text
    assert sorted(_finished_runs(text)) == [("real", "0"), ("two-step", "1")]
    assert kept.stat().st_mtime_ns == kept_mtime and not summary["failures"]
    assert not (run_dir_of(out, "two-step", 1) / "error.txt").exists()
    _check_complete_report(out, summary)


def _check_complete_report(out: Path, summary: dict):
    rows = summary["splits"]["test"]
    assert list(rows) == ["real", "two-step", ENSEMBLE]
    assert all(rows[name]["jaccard"]["repeats_finite"] == 2 for name in rows)
    others = [rows[name]["jaccard"]["vs_reference"] for name in ("two-step", ENSEMBLE)]
    for test, adjusted in zip(others, stats.holm([t["t_pvalue"] for t in others]), strict=True):
        assert test["n_pairs"] == 2
        assert test["t_pvalue_holm"] == adjusted or (np.isnan(adjusted) and np.isnan(test["t_pvalue_holm"]))
    report = (out / "report.md").read_text()
    assert report.startswith("# Segmentation protocol: tiny") and "**Verdict.** " in report
    verdict = report.split("**Verdict.** ")[1].split("\n")[0]
    assert "'real'" in verdict and "2 replicates" in verdict and "Holm" in verdict
    assert "## Test set (in distribution)" in report and "family of 2 primary comparison(s)" in verdict
    for header in ("mean Jaccard (ISIC 2017 score)", "thresholded Jaccard (ISIC 2018 score)", "| Dice |",
                   "95% CI", "p (paired t)", "p (Wilcoxon)"):
        assert header in report
    for name in rows:
        assert re.search(rf"\| {re.escape(name)} \|.*\| 2/2 \|", report)
    mean = rows["real"]["jaccard"]["mean"]
    assert f"{mean:.3f} ± " in report.split("| real |")[1].split("\n")[0]
    assert (out / "jaccard_by_condition.png").is_file()
    strict = _strict_json(out / "summary.json")
    assert strict["splits"]["test"]["two-step"]["dice"]["repeats_finite"] == 2
    csv_rows = (out / "summary.csv").read_text().splitlines()
    assert len(csv_rows) == 1 + 3 * 3  # header + (3 rows x 3 scores)
    for name in ("real", "two-step"):
        result = _strict_json(run_dir_of(out, name, 0) / "result.json")
        assert set(sp.RESULT_SCORES) <= set(result["test"]) and result["train_size"] == 12
    pair = [_strict_json(run_dir_of(out, n, 1) / "result.json") for n in ("real", "two-step")]
    assert pair[0]["train_subset_sha256"] == pair[1]["train_subset_sha256"]
    assert pair[0]["segmenter_seed"] == pair[1]["segmenter_seed"]


@pytest.mark.slow  # shares one 3-run protocol (about 15 s on 2 CPU cores)
def test_a_changed_config_is_refused_but_more_repeats_are_not(failed_once):
    out, _, _ = failed_once
    saved = json.loads((out / "protocol.json").read_text())
    changed = {**saved, "segmenter": {**saved["segmenter"], "width": 0.25}}
    with pytest.raises(ConfigError, match=r"different settings \(segmenter\)"):
        sp.run_seg_protocol(changed, out, stream=io.StringIO())
    sp._check_resume(sp.load_seg_protocol({**saved, "repeats": 3, "ensemble": None}), out)


def _fake_result(out, name, repeat, jaccard):
    from tfskin.evaluation.jsonio import write_json

    scores = {"jaccard": jaccard, "thresholded_jaccard": jaccard, "dice": jaccard, "share_below_0.6": 0.0,
              "share_below_0.7": 0.0, "num_images": 8}
    write_json(run_dir_of(out, name, repeat) / "result.json",
               {"condition": name, "repeat": repeat, "train_size": 12, "test": scores})


def test_report_verdict_follows_the_numbers(tmp_path):
    """Report-only: hand-written results where 'better' beats the reference in every repeat, 'same' does not
    differ and 'gappy' has a NaN repeat."""
    cfg = sp.load_seg_protocol(_config(repeats=4, ensemble=None, conditions=[
        {"name": "real", "real_steps": 1}, *({"name": n, "real_steps": 1, "synthetic": "pngs", "synthetic_steps": 1}
                                            for n in ("better", "same", "gappy"))]))
    reference = [0.60, 0.62, 0.58, 0.61]
    for r, ref in enumerate(reference):
        _fake_result(tmp_path, "real", r, ref)
        _fake_result(tmp_path, "better", r, ref + 0.10 + 0.002 * r)
        _fake_result(tmp_path, "same", r, ref + (0.02 if r % 2 else -0.021))
        _fake_result(tmp_path, "gappy", r, float("nan") if r == 2 else ref + 0.05)
    summary = seg_report.write_seg_report(cfg, tmp_path)
    rows = summary["splits"]["test"]
    assert rows["better"]["jaccard"]["vs_reference"]["mean_difference"] == pytest.approx(0.103)
    assert rows["gappy"]["jaccard"]["repeats_finite"] == 3 and rows["gappy"]["jaccard"]["repeats_used"] == [0, 1, 3]
    assert rows["gappy"]["jaccard"]["mean"] == pytest.approx(np.mean([0.65, 0.67, 0.66]))
    verdict = summary["verdict"]
    assert "adding synthetic data helped ('real' is the baseline): 'better' (+0.103" in verdict
    assert "'same' (-0.001" in verdict.split("did not differ clearly")[1].split("compatible with no effect")[0]
    assert "cannot go below p = 0.12" in verdict
    report = (tmp_path / "report.md").read_text()
    assert re.search(r"\| gappy \|.*\| 3/4 \|", report)
    assert "`gappy` repeat 2: mean Jaccard (ISIC 2017 score) on `test` is NaN" in report
    assert _strict_json(tmp_path / "summary.json")["splits"]["test"]["gappy"]["jaccard"]["values"][2] is None


@pytest.mark.slow
def test_workers_run_in_spawned_processes(png_pairs, tmp_path):
    cfg = _config(png_pairs, repeats=1, workers=2)
    summary = sp.run_seg_protocol(cfg, tmp_path / "protocol", stream=io.StringIO())
    assert summary["runs_finished"] == 2 and not summary["failures"]
    assert summary["splits"]["test"][ENSEMBLE]["repeats_with_result"] == [0]


@pytest.mark.slow
def test_cli_exits_1_when_a_run_fails(tmp_path, capsys):
    """A condition whose real subset cannot be drawn fails in every repeat; the reference still runs."""
    import yaml

    from tfskin.cli import main

    cfg = _config(repeats=1, sources={}, ensemble=None, conditions=[
        {"name": "real", "real_steps": 1}, {"name": "too big", "real_steps": 1, "train_size": 25}])
    path = tmp_path / "protocol.yaml"
    path.write_text(yaml.safe_dump(cfg))
    assert main(["evaluate", "segmentation", str(path), "--out", str(tmp_path / "out")]) == 1
    printed = capsys.readouterr().out
    assert "run too big/rep0 failed: ConfigError" in printed and "**Verdict.**" in printed
    assert (run_dir_of(tmp_path / "out", "real", 0) / "result.json").is_file()
