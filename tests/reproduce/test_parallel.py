"""A paper's GAN replicates in parallel worker processes (``tfskin.reproduce.parallel``): the same results as in
one process, log lines forwarded with the replicate's tag, a failed or killed replicate named with its log, a
rerun redoing only what is missing, and ``timing.json`` sums that stay right when processes add times at once."""

import io
import json
import multiprocessing

import pytest

from tfskin.errors import ConfigError, UserError
from tfskin.machine import usable_cores
from tfskin.reproduce.papers import Experiment
from tfskin.reproduce.parallel import ReplicateFailedError, resolve_workers, run_replicates
from tfskin.reproduce.replicates import Replicate
from tfskin.reproduce.workflow import Workflow

from .parallel_children import add_times, toy_replicate


def _replicates(count: int) -> list:
    return [Replicate(index=g, train_split="train", data_seed=10 + g, ood_seed=20 + g, gan_seed=30 + g, n_train=8)
            for g in range(count)]


def _experiment(out, workers: int, **settings):
    stream = io.StringIO()
    exp = Experiment(paper="lunagariya", out=out, data="phantoms", ood_data=None, budget="smoke",
                     settings=settings, workers=workers, workflow=Workflow(out, stream), datasets={})
    return exp, stream


def test_workers_resolve_auto_to_the_usable_cores_and_refuse_nonsense(tmp_path):
    assert resolve_workers("auto", "cpu") == resolve_workers(None, "paper") == usable_cores() >= 1
    assert resolve_workers("auto", "smoke") == 1  # seconds of GAN work: less than a worker's start-up
    assert resolve_workers("3", "smoke") == 3 and resolve_workers(2, "cpu") == 2
    from tfskin.reproduce.run import reproduce

    plan = reproduce("lunagariya", tmp_path, budget="cpu", workers=8, dry_run=True)
    assert plan["workers"] == {"gan_replicates": 3, "evaluation": 8}  # capped by the cpu budget's 3 replicates
    for bad in ("0", "-1", "two", "1.5"):
        with pytest.raises(ConfigError, match="--workers"):
            resolve_workers(bad)


def test_the_cli_refuses_bad_workers_before_importing_tensorflow():
    import subprocess
    import sys

    code = ("import sys; from tfskin.cli import main\n"
            "print('exit', main(['reproduce', 'lunagariya', '--workers', '0']), 'tensorflow' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert "exit 2 False" in done.stdout, done.stdout + done.stderr
    assert "--workers 0: must be >= 1" in done.stderr


def test_timing_sums_stay_right_when_processes_add_times_at_once(tmp_path):
    """Four processes each add 0.25 s sixty times; an unlocked read-modify-write loses some of the additions."""
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=add_times, args=(str(tmp_path), w, 60)) for w in range(4)]
    for p in processes:
        p.start()
    for p in processes:
        p.join(timeout=120)
        assert p.exitcode == 0
    timing = json.loads((tmp_path / "timing.json").read_text())
    assert timing["steps"] == {"s0": 30.0, "s1": 30.0}  # 2 workers x 60 x 0.25 each
    assert timing["total_seconds"] == 60.0


def test_one_worker_runs_in_this_process(tmp_path):
    exp, _ = _experiment(tmp_path, 1)
    import os

    results = run_replicates(exp, toy_replicate, _replicates(2), workers=1)
    assert sorted(results) == [0, 1] and {r["pid"] for r in results.values()} == {os.getpid()}
    assert results[1]["square"] == 1 and results[1]["seed"] == 31


@pytest.mark.slow
def test_replicates_in_processes_give_the_in_process_results(tmp_path):
    """Three replicates on two workers (the third waits for a free one); results as one process gives them,
    each child with cores // 2 TensorFlow threads, its log lines on the parent's stream tagged ``[r<g>]``."""
    alone, _ = _experiment(tmp_path / "one", 1)
    expected = run_replicates(alone, toy_replicate, _replicates(3), workers=1)
    exp, stream = _experiment(tmp_path / "two", 2)
    results = run_replicates(exp, toy_replicate, _replicates(3), workers=2)
    drop = lambda r: {k: v for k, v in r.items() if k not in ("pid", "threads")}  # noqa: E731
    assert {g: drop(r) for g, r in results.items()} == {g: drop(r) for g, r in expected.items()}
    assert len({r["pid"] for r in results.values()}) == 3  # one process per replicate
    assert {r["threads"] for r in results.values()} == {max(1, usable_cores() // 2)}
    log = stream.getvalue()
    for g in range(3):
        assert f"[r{g}] " in log and f"toy r{g} starting" in log and f"b_r{g}: done" in log
        assert f"toy r{g} starting" in (tmp_path / "two" / "logs" / f"r{g}.log").read_text()
    assert "3 in 2 worker processes" in log
    parallel = json.loads((tmp_path / "two" / "timing.json").read_text())["parallel"]["gan_replicates"]
    assert [c["workers"] for c in parallel] == [2] and parallel[0]["wall_seconds"] > 0


@pytest.mark.slow
def test_a_failed_replicate_stops_the_experiment_and_a_rerun_does_only_the_rest(tmp_path):
    exp, stream = _experiment(tmp_path, 2, modes={"r1": "fail"})
    with pytest.raises(ReplicateFailedError) as failed:
        run_replicates(exp, toy_replicate, _replicates(2), workers=2)
    message = str(failed.value)
    assert isinstance(failed.value, UserError)
    assert "replicate r1 failed: ValueError: boom in r1" in message and str(tmp_path / "logs" / "r1.log") in message
    assert "Traceback" in (tmp_path / "logs" / "r1.log").read_text()

    exp, stream = _experiment(tmp_path, 2)
    results = run_replicates(exp, toy_replicate, _replicates(2), workers=2)
    log = stream.getvalue()
    for step in ("a_r0", "b_r0", "a_r1"):
        assert f"{step}: already done, skipped" in log, step
    assert "b_r1: running" in log and "b_r0: running" not in log
    kept = (tmp_path / "logs" / "r1.log").read_text()  # both attempts, the failure's traceback included
    assert kept.count("replicate r1 starts ---") == 2 and "boom in r1" in kept and "Traceback" not in log
    assert results[1] == {**results[1], "square": 1, "seed": 31}


@pytest.mark.slow
def test_a_killed_replicate_is_named(tmp_path):
    exp, _ = _experiment(tmp_path, 2, modes={"r1": "kill"})
    with pytest.raises(ReplicateFailedError, match=r"replicate r1 failed: its process was killed by SIGKILL; its "
                                                   r"log: .*r1\.log"):
        run_replicates(exp, toy_replicate, _replicates(2), workers=2)


def _generator_weights(run_dir) -> list:
    from tfskin.runs import load_trained_model

    return load_trained_model(run_dir)[1].generator.get_weights()


@pytest.mark.slow
def test_lunagariya_replicate_trained_in_a_worker_matches_the_one_process_run(tmp_path, lunagariya_smoke):
    """lunagariya at the smoke budget in one process (the session's run: ``lunagariya_smoke``); then a copy with
    replicate r1's GANs and the scoring removed, resumed with 2 workers: r0 is skipped in its worker, r1 is
    retrained in its own (1 thread instead of 2). r1's DCGAN generator and the scores match. Measured: the DCGAN
    generator weights differ by <= 3e-7 between 1 and 2 threads (float reductions in another order), so 1e-5 is
    the tolerance. The phase-frozen PGAN is left out: at the smoke budget two runs of it in separate processes
    with the same thread count already differ by ~0.1 in generator weights, so it cannot tell the engines
    apart."""
    import shutil

    import numpy as np

    from tfskin.reproduce.run import reproduce

    one, expected = lunagariya_smoke  # read only
    two = tmp_path / "two"
    shutil.copytree(one, two)
    for model in ("dcgan", "progan_frozen"):
        shutil.rmtree(two / "gans" / model / "r1")
        (two / "steps" / f"train_{model}_r1.json").unlink()
    for step in ("score_samples", "sample_grids"):
        (two / "steps" / f"{step}.json").unlink()
    r0_checkpoints = sorted(p.name for p in (two / "gans" / "dcgan" / "r0" / "checkpoints").iterdir())
    stream = io.StringIO()
    got = reproduce("lunagariya", two, budget="smoke", workers=2, stream=stream)
    log = stream.getvalue()
    assert "GAN replicates: 2 in 2 worker processes" in log
    assert "[r0] " in log and "train_dcgan_r0: already done, skipped" in log
    assert "[r1] " in log and "train_dcgan_r1: running" in log and "train_progan_frozen_r1: running" in log
    assert sorted(p.name for p in (two / "gans" / "dcgan" / "r0" / "checkpoints").iterdir()) == r0_checkpoints

    dcgan_r1 = [_generator_weights(folder / "gans" / "dcgan" / "r1") for folder in (one, two)]
    for a, b in zip(*dcgan_r1, strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-5)
    for row in ("DCGAN", "Real, held out (floor)"):
        for key in ("js_divergence", "wasserstein", "fid", "kid", "precision", "recall"):
            want = [d[key] for d in expected["scores"]["rows"][row]["draws"]]
            have = [d[key] for d in got["scores"]["rows"][row]["draws"]]
            np.testing.assert_allclose(have, want, rtol=1e-4, atol=1e-6, err_msg=f"{row} {key}")
    timing = json.loads((two / "timing.json").read_text())
    assert set(timing["steps"]) == set(expected["timing"]["steps"])
    assert timing["steps"]["train_dcgan_r1"] > expected["timing"]["steps"]["train_dcgan_r1"]  # both calls' times
    assert timing["total_seconds"] == pytest.approx(sum(timing["steps"].values()))
    assert [c["workers"] for c in timing["parallel"]["gan_replicates"]] == [1, 2]  # one record per call
    assert "Wall-clock time of the GAN replicates: " in (two / "report.md").read_text()
