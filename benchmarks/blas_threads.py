"""NumPy's BLAS threads when another busy process holds the other core: why evaluations use one thread.

    python benchmarks/blas_threads.py                  # batch 100, 2,000 products per process (about 20 s)
    python benchmarks/blas_threads.py --batch 40 --repeats 5000

Each process times ``repeats`` forward passes of a batch of observations through two 128x128 layers with
NumPy (what ``NumpyGreedy`` does for a greedy evaluation of ``batch`` episodes), with OpenBLAS on its default
thread count and on one thread (``dqn_helpers.networks.one_blas_thread``): first one process alone, then two
at once, as two notebooks (or pytest-xdist's two workers) run on a 2-core machine; the processes start
their timed loops together (each waits for a go line once it has imported everything).  It prints wall and CPU
seconds per process, and whether one and two threads give the same bits.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time

import numpy as np

CHILD = "--child"


def products(batch: int, repeats: int, one_thread: bool) -> dict:
    from threadpoolctl import threadpool_info

    from dqn_helpers.networks import one_blas_thread

    rng = np.random.default_rng(0)
    obs = rng.standard_normal((batch, 128)).astype(np.float32)
    weight = rng.standard_normal((128, 128)).astype(np.float32) / 16

    def run():
        threads = [lib["num_threads"] for lib in threadpool_info() if lib["internal_api"] == "openblas"]
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(repeats):
            out = np.maximum(obs @ weight.T, 0.0) @ weight.T
        return dict(threads=threads, wall=time.perf_counter() - wall, cpu=time.process_time() - cpu,
                    checksum=hashlib.sha256(out.tobytes()).hexdigest())

    print("ready", flush=True)
    sys.stdin.readline()  # the go line: every process is imported and waiting
    if one_thread:
        with one_blas_thread():
            return run()
    return run()


def at_once(n: int, batch: int, repeats: int, one_thread: bool) -> list[dict]:
    args = [sys.executable, __file__, CHILD, str(batch), str(repeats), str(int(one_thread))]
    procs = [subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) for _ in range(n)]
    for p in procs:
        if p.stdout.readline().strip() != "ready":
            raise RuntimeError("a benchmark process failed to start")
    for p in procs:
        p.stdin.write("go\n")
        p.stdin.flush()
    return [json.loads(p.communicate()[0]) for p in procs]


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == CHILD:
        print(json.dumps(products(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1")))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=100, help="observations per product (default 100)")
    parser.add_argument("--repeats", type=int, default=2_000, help="forward passes per process (default 2,000)")
    args = parser.parse_args()
    if args.batch < 1 or args.repeats < 1:
        parser.error("--batch and --repeats must be positive")
    print(f"{os.cpu_count()} cores; batch {args.batch} x 128 through two 128x128 layers, {args.repeats:,} times")
    checksums = {}
    for processes in (1, 2):
        for one_thread in (False, True):
            runs = at_once(processes, args.batch, args.repeats, one_thread)
            checksums[one_thread] = runs[0]["checksum"]
            label = "one thread" if one_thread else "default threads"
            print(f"{processes} process{'es' if processes > 1 else ''} at once, {label:>15} "
                  f"(OpenBLAS threads {runs[0]['threads']}): " +
                  ", ".join(f"{r['wall']:.2f} s wall / {r['cpu']:.2f} s CPU" for r in runs))
    print("one and default threads give the same bits:", checksums[True] == checksums[False])


if __name__ == "__main__":
    main()
