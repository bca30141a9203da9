"""``tfskin reproduce --engine`` reaches the evaluation protocol of every paper that trains classifiers or
segmenters (the GAN work and the protocol are replaced by recorders: only the wiring is under test)."""

import pytest

from tfskin.errors import ConfigError
from tfskin.reproduce.run import reproduce


class _Stop(Exception):
    pass


@pytest.mark.parametrize("paper, runner", [("bissoto2018", "tfskin.evaluation.protocol.run_protocol"),
                                           ("fossen2020", "tfskin.evaluation.protocol.run_protocol"),
                                           ("pollastri2020", "tfskin.evaluation.seg_protocol.run_seg_protocol")])
@pytest.mark.parametrize("engine", ["single", None])
def test_the_engine_flag_reaches_the_protocol(tmp_path, monkeypatch, paper, runner, engine):
    seen = {}

    def fake_replicates(exp, fn, reps, workers, parts=None):
        return {rep.index: {"runs": {}, "maps": {}} for rep in reps}

    def fake_protocol(cfg, out_dir, *, workers=None, engine=None, stream=None):
        seen["engine"] = engine
        raise _Stop

    monkeypatch.setattr("tfskin.reproduce.parallel.run_replicates", fake_replicates)
    monkeypatch.setattr(runner, fake_protocol)
    with pytest.raises(_Stop):
        reproduce(paper, tmp_path / "out", budget="smoke", workers=1, engine=engine)
    assert seen == {"engine": engine}


def test_an_unknown_engine_is_refused_before_anything_runs(tmp_path):
    with pytest.raises(ConfigError, match="engine 'batched' is not one of reuse, single"):
        reproduce("bissoto2018", tmp_path / "out", budget="smoke", workers=1, engine="batched")
    assert not (tmp_path / "out").exists()
