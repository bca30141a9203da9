"""``tfskin evaluate ...`` and ``tfskin data ...`` check the flags they can before TensorFlow is imported: a bad
value answers at once with one line naming the flag (exit status 2), and TensorFlow stays unimported. All cases
run in one child process, which reports after each case whether TensorFlow has been imported."""

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_OUT = ["--out", "{tmp}/out"]
# (argv, a pattern the one stderr line must match); {tmp} is a scratch folder holding one file, note.txt
CASES = [
    (["evaluate", "classify", *_OUT, "--data", "nope"], "--data: unknown dataset 'nope'"),
    (["evaluate", "classify", *_OUT, "--ood-data", "phantoms:colour=red"], "--ood-data: dataset 'phantoms:"),
    (["evaluate", "classify", *_OUT, "--task", "multiclass", "--classes", "MEL,FOO"], "--classes: .*'FOO'"),
    (["evaluate", "classify", *_OUT, "--image-size", "ax3"], "--image-size: image size 'ax3' is not N or HxW"),
    (["evaluate", "classify", *_OUT, "--weights", "{tmp}/none.h5"], "--weights: file .*none.h5 not found"),
    (["evaluate", "classify", *_OUT, "--synthetic", "png:{tmp}/none"], "--synthetic: PNG folder .*none not found"),
    (["evaluate", "classify", *_OUT, "--synthetic", "gan:{tmp}"], "--synthetic: unknown synthetic source type"),
    (["evaluate", "classify", *_OUT, "--epochs", "0"], "--epochs: must be >= 1"),
    (["evaluate", "classify", *_OUT, "--learning-rate", "0"], "--learning-rate: must be a finite number > 0"),
    (["evaluate", "segment", *_OUT, "--image-size", "40x64"], "--image-size: 40x64 must be divisible by 16"),
    (["evaluate", "segment", *_OUT, "--data", "nope"], "--data: unknown dataset 'nope'"),
    (["evaluate", "segment", *_OUT, "--synthetic", "run:{tmp}"], "--synthetic: .* is not a tfskin run directory"),
    (["evaluate", "segment", *_OUT, "--synthetic", "savedmodel:{tmp}"], "--synthetic: no SavedModel in"),
    (["evaluate", "segment", *_OUT, "--width", "-1"], "--width: must be a finite number > 0"),
    (["evaluate", "segment", *_OUT, "--steps", "0"], "--steps: must be >= 1"),
    (["evaluate", "metrics", "--synthetic", "png:{tmp}/none"], "--synthetic: PNG folder .*none not found"),
    (["evaluate", "metrics", "--synthetic", "png:{tmp}", "--real", "png:{tmp}/none"], "--real: PNG folder"),
    (["evaluate", "metrics", "--synthetic", "png:{tmp}", "--real", "nope"], "--real: unknown dataset 'nope'"),
    (["evaluate", "metrics", "--synthetic", "png:{tmp}", "--real-classes", "FOO"], "--real-classes: .*'FOO'"),
    (["evaluate", "metrics", "--synthetic", "png:{tmp}", "--features", "vgg"], "--features: unknown feature network"),
    (["evaluate", "metrics", "--synthetic", "png:{tmp}", "--features", "inception-graph:{tmp}/g.pb"],
     "--features: Inception graph .*g.pb not found"),
    (["evaluate", "metrics", "--synthetic", "png:{tmp}", "--features", "classifier:{tmp}/clf"],
     "--features: classifier .*clf not found"),
    (["evaluate", "metrics", "--synthetic", "png:{tmp}", "--real", "png:{tmp}", "--cas"],
     "--cas tests on a held-out real split"),
    (["evaluate", "metrics", "--synthetic", "png:{tmp}", "--n", "0"], "--n: must be >= 1"),
    (["evaluate", "metrics", "--synthetic", "serving:http://x"], "--synthetic: 'http://x' is not a TF Serving URL"),
    (["evaluate", "metrics", "--synthetic", "serving:http://h:8501/v1/models/g,label=FOO"], "--synthetic: .*'FOO'"),
    (["evaluate", "augmentation", "{tmp}/none.yaml"], "protocol config .*none.yaml not found"),
    (["evaluate", "segmentation", "{tmp}/note.txt"], "note.txt: a segmentation protocol config must be a mapping"),
    (["evaluate", "augmentation", "{tmp}/none.yaml", "--workers", "0"], "--workers: must be >= 1"),
    (["evaluate", "segmentation", "{tmp}/none.yaml", "--engine", "fast"], "--engine: invalid choice: 'fast'"),
    (["data", "build", "isic2099", "--manual-dir", "{tmp}"], "unknown real dataset 'isic2099'"),
    (["data", "build", "isic2019"], "--manual-dir is required"),
    (["data", "build", "isic2019", "--manual-dir", "{tmp}/absent"], "--manual-dir: manual folder .* does not exist"),
    (["data", "build", "isic2019", "--manual-dir", "{tmp}", "--exclude", "{tmp}/ids.txt"],
     "--exclude: exclusion list .*ids.txt not found"),
    (["data", "build", "isic2019", "--manual-dir", "{tmp}", "--workers", "-1"], "--workers: must be >= 0"),
    (["data", "inspect", "nope"], "unknown dataset 'nope'"),
    (["data", "inspect", "isic2016", "--data-dir", "{tmp}"], "isic2016 is not prepared in .*tfskin data build"),
    (["data", "inspect", "phantoms", "--image-size", "ax3"], "--image-size: image size 'ax3'"),
    (["data", "inspect", "phantoms", "--sample", "0"], "--sample: must be >= 1"),
    (["data", "preview", "nope", *_OUT], "unknown dataset 'nope'"),
    (["data", "preview", "phantoms", *_OUT, "--image-size", "ax3"], "--image-size: image size 'ax3'"),
    (["data", "preview", "phantoms", *_OUT, "--n", "0"], "--n and --columns must be >= 1"),
]
# Good flags pass the checks and reach the TensorFlow import.
VALID = [
    ["evaluate", "classify", *_OUT, "--task", "multiclass", "--classes", "MEL,NV", "--synthetic", "png:{tmp}"],
    ["evaluate", "segment", *_OUT, "--image-size", "48x64", "--synthetic", "alternate:png:{tmp}|png:{tmp}"],
    ["evaluate", "metrics", "--synthetic", "png:{tmp},label=MEL", "--synthetic",
     "serving:grpc://localhost:8500/dcgan/versions/2,label=MEL", "--real", "phantoms", "--cas",
     "--real-classes", "MEL"],
    ["evaluate", "augmentation", str(ROOT / "configs" / "augmentation_phantoms_cpu.yaml"), "--workers", "1",
     "--engine", "single"],
    ["data", "build", "ph2", "--manual-dir", str(ROOT / "datasets" / "ph2" / "dummy_data"), "--workers", "0"],
    ["data", "inspect", "phantoms", "--sample", "8"],
    ["data", "preview", "phantoms:domain=clinic", *_OUT, "--image-size", "48x64"],
]

# A case that gets as far as the CLI's TensorFlow import stops there (code "reached the TensorFlow import")
# instead of running the command: tfskin.runtime (which imports TensorFlow) is replaced by a stub whose
# import_tensorflow_quietly stops the case.
_CHILD = textwrap.dedent("""
    import contextlib, io, json, sys, types

    class ReachedTensorFlow(BaseException):
        pass

    def stop():
        raise ReachedTensorFlow()

    sys.modules["tfskin.runtime"] = types.SimpleNamespace(import_tensorflow_quietly=stop)
    from tfskin.cli import main
    results = []
    for argv in json.loads(sys.argv[1]):
        err = io.StringIO()
        try:
            with contextlib.redirect_stderr(err):
                code = main(argv)
        except ReachedTensorFlow:
            code = "reached the TensorFlow import"
        results.append({"argv": argv, "code": code, "stderr": err.getvalue(),
                        "tensorflow_imported": "tensorflow" in sys.modules})
    print(json.dumps(results))
""")


def _run_cases(tmp_path, argvs) -> list:
    (tmp_path / "note.txt").write_text("not a protocol\n")
    cases = [[arg.replace("{tmp}", str(tmp_path)) for arg in argv] for argv in argvs]
    proc = subprocess.run([sys.executable, "-c", _CHILD, json.dumps(cases)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = json.loads(proc.stdout.strip().splitlines()[-1])
    assert len(results) == len(argvs)
    return results


def test_evaluate_and_data_flag_errors_come_before_tensorflow(tmp_path):
    results = _run_cases(tmp_path, [argv for argv, _ in CASES])
    for result, (_, pattern) in zip(results, CASES, strict=True):
        lines = result["stderr"].strip().splitlines()
        assert result["code"] == 2 and len(lines) == 1, result
        assert re.match(rf"tfskin {result['argv'][0]}( \w+)?: error: ", lines[0]), result
        assert re.search(pattern, lines[0]), (pattern, result)
        assert not result["tensorflow_imported"], result


def test_good_flags_pass_the_checks(tmp_path):
    for result in _run_cases(tmp_path, VALID):
        assert result["code"] == "reached the TensorFlow import" and result["stderr"] == "", result
        assert not result["tensorflow_imported"], result
