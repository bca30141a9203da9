"""Benchmark the phantom generator: prints JSON with examples/s for N examples at SIZE x SIZE in one process.

Usage: python scripts/bench_phantoms.py [--n 1000] [--size 128] [--seed 0]
"""

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from tfskin.data.phantoms import generate_phantoms  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    generate_phantoms(2, args.size, args.size, seed=args.seed, start=10**9)  # warm caches
    t0 = time.perf_counter()
    batch = generate_phantoms(args.n, args.size, args.size, seed=args.seed)
    seconds = time.perf_counter() - t0
    s = args.size
    print(json.dumps({
        f"phantoms_per_s_{s}": round(args.n / seconds, 1),
        f"seconds_for_{args.n}_{s}": round(seconds, 3),
        "n": args.n,
        "mean_lesion_fraction": round(float((batch["mask"] > 0).mean()), 4),
    }))


if __name__ == "__main__":
    main()
