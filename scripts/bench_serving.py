"""Latency and throughput of `tfskin serve`: REST and gRPC, float (`generate`) and PNG (`generate_png`)
signatures, batches of 1, 16 and 64. Prints JSON; numbers are measured, never asserted.

    python scripts/bench_serving.py [--model-base export/models --model dcgan] [--preset quick] [--requests 40]

Without --model-base, an untrained DCGAN of --preset (default quick: 64x64 RGB) is exported to a temporary
folder (latency does not depend on the weights). The server runs as a subprocess (`tfskin serve`, loopback,
free ports); one client sends requests one after another through `tfskin.serving.client.ServingClient`
(JSON or protobuf decoding included), after a few warm-up requests per case.
"""

import argparse
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _export_untrained(preset: str, root: Path) -> Path:
    from tfskin.serving.export import export_model
    from tfskin.training import build_model, resolve_config

    model = build_model(resolve_config("dcgan", preset))
    export_model(model, root / "models" / "dcgan", card={"preset": preset, "note": "untrained, for benchmarks"})
    return root / "models"


def _percentile(values, q):
    return float(np.percentile(np.asarray(values) * 1000.0, q))


def _bench_case(client, signature, latent_dim, batch, requests, warmup):
    noise = np.random.default_rng(0).standard_normal((batch, latent_dim)).astype(np.float32)
    wanted = ["image_png_bytes"] if signature.endswith("_png") else ["image"]
    for _ in range(warmup):
        client.predict(signature, {"noise": noise}, output_filter=wanted)
    latencies = []
    started = time.perf_counter()
    for _ in range(requests):
        t = time.perf_counter()
        out = client.predict(signature, {"noise": noise}, output_filter=wanted)
        latencies.append(time.perf_counter() - t)
        assert len(out[wanted[0]]) == batch
    total = time.perf_counter() - started
    return {"p50_ms": round(_percentile(latencies, 50), 2), "p99_ms": round(_percentile(latencies, 99), 2),
            "images_per_s": round(batch * requests / total, 1), "requests": requests}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-base", help="serve this base instead of a temporary untrained export")
    parser.add_argument("--model", default="dcgan", help="model name under --model-base")
    parser.add_argument("--preset", default="quick", help="DCGAN preset of the temporary export")
    parser.add_argument("--requests", type=int, default=40, help="timed requests per case (batch 64: a quarter)")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--batches", default="1,16,64")
    args = parser.parse_args(argv)

    from tfskin.serving.client import ServingClient

    tmp = tempfile.TemporaryDirectory(prefix="bench_serving_")
    base = Path(args.model_base) if args.model_base else _export_untrained(args.preset, Path(tmp.name))
    rest_port, grpc_port = _free_port(), _free_port()
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", CUDA_VISIBLE_DEVICES="")
    log = open(Path(tmp.name) / "serve.log", "w")
    server = subprocess.Popen([sys.executable, "-m", "tfskin.cli", "serve", "--model-base", str(base),
                               "--port", str(rest_port), "--grpc-port", str(grpc_port), "--poll-seconds", "0"],
                              stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        status_url = f"http://127.0.0.1:{rest_port}/v1/models/{args.model}"
        for _ in range(300):
            try:
                if urllib.request.urlopen(status_url, timeout=2).status == 200:
                    break
            except OSError:
                time.sleep(0.3)
        clients = {"rest": ServingClient(status_url), "grpc": ServingClient(f"grpc://127.0.0.1:{grpc_port}/"
                                                                            f"{args.model}")}
        signatures = clients["rest"].signatures()
        latent_dim = int(signatures["generate"].inputs["noise"][1][-1])
        image_shape = signatures["generate"].outputs["image"][1][1:]
        results = []
        for protocol, client in clients.items():
            for signature in ("generate", "generate_png"):
                for batch in (int(b) for b in args.batches.split(",")):
                    requests = args.requests if batch < 64 else max(5, args.requests // 4)
                    case = _bench_case(client, signature, latent_dim, batch, requests, args.warmup)
                    results.append({"protocol": protocol, "signature": signature, "batch": batch, **case})
                    print(f"{protocol:4} {signature:12} batch {batch:3}: p50 {case['p50_ms']:8.2f} ms  p99 "
                          f"{case['p99_ms']:8.2f} ms  {case['images_per_s']:8.1f} images/s", file=sys.stderr)
        print(json.dumps({"model": args.model, "image_shape": image_shape, "latent_dim": latent_dim,
                          "server": "tfskin serve (subprocess, loopback)", "client": "tfskin.serving.client",
                          "cpu_count": os.cpu_count(), "python": platform.python_version(), "results": results},
                         indent=2))
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
        tmp.cleanup()


if __name__ == "__main__":
    main()
