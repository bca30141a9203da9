"""A paper's GAN replicates in parallel worker processes (``tfskin.reproduce.parallel``): the same results as in
one process, log lines forwarded with the replicate's tag, a failed or killed replicate named with its log, a
rerun redoing only what is missing, and ``timing.json`` sums that stay right when processes add times at once."""

import io
import json
import multiprocessing
import os
import re

import pytest

from tfskin.errors import ConfigError, UserError
from tfskin.machine import usable_cores
from tfskin.reproduce.papers import Experiment
from tfskin.reproduce.parallel import (
    ReplicateFailedError,
    Task,
    merge_parts,
    plan_tasks,
    resolve_workers,
    run_replicates,
)
from tfskin.reproduce.replicates import Replicate
from tfskin.reproduce.workflow import Workflow

from .parallel_children import add_times, toy_part, toy_replicate


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
    # capped by the cpu budget's 3 replicates x 2 GANs, each GAN its own task
    assert plan["workers"] == {"gan_replicates": 6, "gan_tasks": 6, "evaluation": 8}
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


def test_parts_start_longest_first_across_replicates_and_merge_per_replicate(tmp_path):
    reps = _replicates(2)
    assert [t.tag for t in plan_tasks(reps, ("long", "short"))] == ["r0-long", "r1-long", "r0-short", "r1-short"]
    assert [t.tag for t in plan_tasks(reps)] == ["r0", "r1"]
    assert merge_parts([{"runs": {"a": 1}, "maps": {"a": [1]}}, {"runs": {"b": 2}}, {"seed": 3}]) == {
        "runs": {"a": 1, "b": 2}, "maps": {"a": [1]}, "seed": 3}
    with pytest.raises(ValueError, match="'seed'"):
        merge_parts([{"seed": 1}, {"seed": 2}])
    exp, stream = _experiment(tmp_path, 1)
    results = run_replicates(exp, toy_part, reps, workers=1, parts=("long", "short"))
    assert results[1]["parts"]["long"]["value"] == 14 and results[1]["parts"]["short"]["value"] == 15
    assert results[0]["seed"] == 30
    log = stream.getvalue()  # in one process: replicate by replicate, its parts in order
    assert log.index("toy r0 part short") < log.index("toy r1 part long")
    assert Task(reps[0], "x").tag == "r0-x" and Task(reps[0]).tag == "r0"


@pytest.mark.slow
def test_parts_in_processes_give_the_in_process_results(tmp_path):
    """One replicate's two parts run in two processes at once, as ``r0-long`` and ``r0-short``; the merged
    results are the ones a single process gives."""
    alone, _ = _experiment(tmp_path / "one", 1)
    expected = run_replicates(alone, toy_part, _replicates(1), workers=1, parts=("long", "short"))
    exp, stream = _experiment(tmp_path / "two", 2)
    results = run_replicates(exp, toy_part, _replicates(1), workers=2, parts=("long", "short"))
    pids = {part: results[0]["parts"][part].pop("pid") for part in ("long", "short")}
    for part in ("long", "short"):
        expected[0]["parts"][part].pop("pid")
    assert results == expected
    assert len(set(pids.values())) == 2  # a process per part
    log = stream.getvalue()
    assert "1 x 2 parts (long, short) in 2 worker processes" in log
    assert "[r0-short] " in log and "replicate r0-long: GAN work done" in log
    assert "toy r0 part short" in (tmp_path / "two" / "logs" / "r0-short.log").read_text()


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
    assert "replicate r0: GAN work already done (no worker started)" in log  # r0 finished before r1 failed
    assert "a_r1: already done, skipped" in log
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
    replicate r1's GANs and the scoring removed, resumed with 2 workers: r0's GANs are skipped in their workers,
    r1's are retrained each in its own (1 thread instead of 2). r1's generators and the scores match. Measured:
    the DCGAN generator weights differ by <= 3e-7 between 1 and 2 threads (float reductions in another order), so
    1e-5 is the tolerance."""
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
    assert "GAN replicates: 2 x 2 parts (progan_frozen, dcgan) in 2 worker processes" in log
    assert "[r0-dcgan] " in log and "train_dcgan_r0: already done, skipped" in log
    assert re.search(r"\[r1-dcgan\] .*train_dcgan_r1: running", log)
    assert re.search(r"\[r1-progan_frozen\] .*train_progan_frozen_r1: running", log)
    assert sorted(p.name for p in (two / "gans" / "dcgan" / "r0" / "checkpoints").iterdir()) == r0_checkpoints

    for model in ("dcgan", "progan_frozen"):
        r1 = [_generator_weights(folder / "gans" / model / "r1") for folder in (one, two)]
        for a, b in zip(*r1, strict=True):
            np.testing.assert_allclose(a, b, rtol=0, atol=1e-5, err_msg=model)
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


@pytest.mark.slow
def test_a_rerun_of_finished_work_starts_no_worker_until_a_step_marker_is_gone(tmp_path, monkeypatch):
    exp, _ = _experiment(tmp_path, 2)
    first = run_replicates(exp, toy_part, _replicates(2), workers=2, parts=("long", "short"))

    started = []
    real_start = multiprocessing.process.BaseProcess.start

    def counting_start(process):
        started.append(process.name)
        real_start(process)

    monkeypatch.setattr(multiprocessing.process.BaseProcess, "start", counting_start)
    exp, stream = _experiment(tmp_path, 2)
    assert run_replicates(exp, toy_part, _replicates(2), workers=2, parts=("long", "short")) == first
    assert started == [] and "replicate r1-short: GAN work already done (no worker started)" in stream.getvalue()

    (tmp_path / "steps" / "short_r1.json").unlink()  # redo one step: only its task gets a worker
    exp, stream = _experiment(tmp_path, 2)
    again = run_replicates(exp, toy_part, _replicates(2), workers=2, parts=("long", "short"))
    assert started == ["tfskin-replicate-r1-short"] and "short_r1: running" in stream.getvalue()
    assert again[1]["parts"]["short"]["value"] == first[1]["parts"]["short"]["value"]

    marker = tmp_path / "steps" / "long_r0.json"  # a step written again (e.g. redone in one process)
    os.utime(marker, ns=(marker.stat().st_atime_ns, marker.stat().st_mtime_ns + 1_000_000))
    exp, _ = _experiment(tmp_path, 2)
    run_replicates(exp, toy_part, _replicates(2), workers=2, parts=("long", "short"))
    assert started == ["tfskin-replicate-r1-short", "tfskin-replicate-r0-long"]
