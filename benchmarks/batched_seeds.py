"""Batched multi-seed training against one run at a time: environment steps per CPU-second, wall time, memory.

For each workload (an environment, a network shape, a step budget) it trains
the same N seeds four ways, one after the other in this one process's run:

* ``pool``: today's way before batching, one ``train_dqn`` per seed in the
  kept worker pool (``train_dqn_seeds(..., batch=False)``);
* ``batched``: ``train_dqn_seeds(..., batch=True)``: the seeds of each worker
  side by side as one computation;

each on 1 core (``n_workers=1``: in this process) and on 2 cores
(``n_workers=2``: two worker processes).  It measures wall time and CPU time
(this process plus the workers, read from ``/proc``), and checks that both
ways gave the same runs, seed by seed.  Then, in fresh processes, the peak
resident memory (RSS) of one batched N-seed run and of one single run.

    python benchmarks/batched_seeds.py                       # CartPole 10 x 50k; Acrobot and 64x64 10 x 20k
    python benchmarks/batched_seeds.py --quick               # 4 seeds x 3k steps, to try the script
    python benchmarks/batched_seeds.py --json results.json
    python benchmarks/batched_seeds.py --phases              # where one batched run's time goes, and nothing else
    python benchmarks/batched_seeds.py --cap                 # a notebook's train_dqn_seeds, with and without
                                                             # DQN_HELPERS_MAX_WORKERS=1, and nothing else

Linux only (CPU time of the workers comes from /proc).  Timings depend on the
machine and its load; the ratio of the two ways, measured side by side, less so.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

import numpy as np  # noqa: E402
import torch  # noqa: E402

from dqn_helpers import DQNConfig, parallel, train_dqn_seeds  # noqa: E402

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def _worker_pids() -> list[int]:
    pool = parallel._pool
    return list(pool.executor._processes) if pool is not None else []


def _measure(config: DQNConfig, seeds: list[int], n_workers: int, batch: bool) -> dict:
    if n_workers > 1:  # start the workers (and import torch there) before the clock
        train_dqn_seeds(dataclasses.replace(config, total_steps=config.learning_starts + 64, eval_interval=0),
                        seeds[:n_workers], n_workers=n_workers, progress=False, batch=False)
    pids = _worker_pids() if n_workers > 1 else []
    cpu_before = time.process_time() + sum(_cpu_seconds(p) for p in pids)
    wall = time.perf_counter()
    results = train_dqn_seeds(config, seeds, n_workers=n_workers, progress=False, batch=batch)
    wall = time.perf_counter() - wall
    cpu = time.process_time() + sum(_cpu_seconds(p) for p in pids) - cpu_before
    steps = sum(r.steps_done for r in results)
    return dict(n_workers=n_workers, batch=batch, wall_s=wall, cpu_s=cpu, steps=steps,
                steps_per_cpu_s=steps / cpu, results=results)


def _same_runs(a: list, b: list) -> bool:
    return all(np.array_equal(x.losses, y.losses) and np.array_equal(x.eval_returns, y.eval_returns)
               for x, y in zip(a, b))


_MEMORY_PROBE = """
import dataclasses, resource, sys, torch
torch.set_num_threads(1)
from dqn_helpers import DQNConfig, train_dqn
from dqn_helpers.batched import train_dqn_batched
n, steps, env_id, hidden = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], tuple(int(h) for h in sys.argv[4].split("x"))
config = DQNConfig(env_id=env_id, total_steps=steps, hidden_sizes=hidden)
if n == 1:
    train_dqn(config, progress=False)
else:
    train_dqn_batched([dataclasses.replace(config, seed=s) for s in range(n)], progress=False)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)  # KiB on Linux
"""


def _peak_rss_mib(n: int, steps: int, env_id: str, hidden: tuple[int, ...]) -> float:
    out = subprocess.run([sys.executable, "-c", _MEMORY_PROBE, str(n), str(steps), env_id,
                          "x".join(str(h) for h in hidden)], capture_output=True, text=True, check=True, cwd=ROOT)
    return int(out.stdout.strip().splitlines()[-1]) / 1024


def _phases(config: DQNConfig, seeds: list[int]) -> dict[str, float]:
    """Wall seconds of one batched run (in this process), split into its gradient steps, its sampling,
    its evaluations and the rest (acting, environment steps, buffers, logs), by timing those functions."""
    from dqn_helpers import batched, dqn

    spent = dict(update=0.0, sample=0.0, evaluation=0.0)

    def timed(key, function):
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[key] += time.perf_counter() - start
        return wrapper

    with contextlib.ExitStack() as patches:
        for key, owner, name in (("update", batched, "_batched_update"), ("sample", batched, "_sample"),
                                 ("evaluation", dqn._Evaluation, "run")):
            patches.enter_context(mock.patch.object(owner, name, timed(key, getattr(owner, name))))
        start = time.perf_counter()
        batched.train_dqn_batched([dataclasses.replace(config, seed=s) for s in seeds], progress=False)
        total = time.perf_counter() - start
    return dict(total=total, **spent, rest=total - sum(spent.values()))


def _under_cap(config: DQNConfig, seeds: list[int]) -> dict[str, dict]:
    """A notebook's first ``train_dqn_seeds(config, seeds, n_workers=2)``, its workers' start-up included,
    against the same call under ``DQN_HELPERS_MAX_WORKERS=1`` (one batch, in this process): wall and CPU seconds."""
    out = {}
    # Capped first, so that it, not the other way, pays this process's first-call imports (as a notebook would).
    for label, cap in (("cap 1", "1"), ("2 workers", None)):
        parallel.shutdown_workers()  # a fresh pool: its workers' CPU since they started is the call's
        with mock.patch.dict(os.environ):
            os.environ.pop(parallel._MAX_WORKERS_VARIABLE, None)
            if cap is not None:
                os.environ[parallel._MAX_WORKERS_VARIABLE] = cap
            cpu_before, wall = time.process_time(), time.perf_counter()
            results = train_dqn_seeds(config, seeds, n_workers=2, progress=False)
            wall = time.perf_counter() - wall
            cpu = time.process_time() - cpu_before + sum(_cpu_seconds(p) for p in _worker_pids())
        out[label] = dict(wall_s=wall, cpu_s=cpu, results=results)
    parallel.shutdown_workers()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--quick", action="store_true", help="4 seeds x 3,000 steps per workload")
    parser.add_argument("--only", choices=["cartpole", "acrobot", "64x64"], action="append",
                        help="run only these workloads (repeatable)")
    parser.add_argument("--steps", type=int, help="environment steps per run for every workload (default: 50k CartPole, 20k others)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--phases", action="store_true",
                        help="only split one batched run's wall time (each workload, 1 core) into its parts")
    parser.add_argument("--cap", action="store_true",
                        help="only compare train_dqn_seeds(n_workers=2) with and without DQN_HELPERS_MAX_WORKERS=1")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    n_seeds = 4 if args.quick else args.seeds
    seeds = list(range(n_seeds))
    workloads = {
        "cartpole": DQNConfig(total_steps=3_000 if args.quick else 50_000),
        "acrobot": DQNConfig(env_id="Acrobot-v1", total_steps=3_000 if args.quick else 20_000),
        "64x64": DQNConfig(hidden_sizes=(64, 64), total_steps=3_000 if args.quick else 20_000),
    }
    if args.steps:
        workloads = {k: dataclasses.replace(v, total_steps=args.steps) for k, v in workloads.items()}
    if args.phases:
        print(f"{n_seeds} seeds, one batched run per workload on 1 core; shares of its wall time")
        phases = {}
        for name, config in workloads.items():
            if not args.only or name in args.only:
                phases[name] = parts = _phases(config, seeds)
                shares = ", ".join(f"{k} {v / parts['total']:.0%}" for k, v in parts.items() if k != "total")
                print(f"{name:>10} | {config.total_steps:,} steps | {parts['total']:.1f} s | {shares}", flush=True)
        if args.json:
            args.json.write_text(json.dumps(dict(seeds=n_seeds, phases_s=phases), indent=1))
        return 0
    if args.cap:
        print(f"{n_seeds} seeds, train_dqn_seeds(n_workers=2) under DQN_HELPERS_MAX_WORKERS=1, then from a cold pool")
        capped = {}
        for name, config in workloads.items():
            if not args.only or name in args.only:
                ways = _under_cap(config, seeds)
                same = _same_runs(ways["2 workers"]["results"], ways["cap 1"]["results"])
                capped[name] = {k: {"wall_s": v["wall_s"], "cpu_s": v["cpu_s"]} for k, v in ways.items()}
                capped[name]["same_runs"] = same
                two, one = ways["2 workers"], ways["cap 1"]
                print(f"{name:>10} | {config.total_steps:,} steps | 2 workers: {two['wall_s']:.1f} s wall, "
                      f"{two['cpu_s']:.1f} CPU-s | cap 1: {one['wall_s']:.1f} s wall, {one['cpu_s']:.1f} CPU-s | "
                      f"CPU {two['cpu_s'] / one['cpu_s']:.2f}x | same runs {same}", flush=True)
        if args.json:
            args.json.write_text(json.dumps(dict(seeds=n_seeds, cap=capped), indent=1))
        return 0
    rows = []
    print(f"{n_seeds} seeds each; machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start")
    print(f"{'workload':>10} | {'cores':>5} | {'way':>7} | {'wall s':>7} | {'CPU s':>7} | {'steps/CPU-s':>11} | same runs")
    for name, config in workloads.items():
        if args.only and name not in args.only:
            continue
        for n_workers in (1, 2):
            pool = _measure(config, seeds, n_workers, batch=False)
            batched = _measure(config, seeds, n_workers, batch=True)
            same = _same_runs(pool["results"], batched["results"])
            for m in (pool, batched):
                way = "batched" if m["batch"] else "pool"
                print(f"{name:>10} | {n_workers:>5} | {way:>7} | {m['wall_s']:>7.1f} | {m['cpu_s']:>7.1f} | "
                      f"{m['steps_per_cpu_s']:>11,.0f} | {same}", flush=True)
            ratio = batched["steps_per_cpu_s"] / pool["steps_per_cpu_s"]
            print(f"{'':>10}   batched / pool: {ratio:.2f}x steps per CPU-second, "
                  f"{pool['wall_s'] / batched['wall_s']:.2f}x faster by the wall clock", flush=True)
            rows.append(dict(workload=name, n_workers=n_workers, seeds=n_seeds, total_steps=config.total_steps,
                             hidden_sizes=list(config.hidden_sizes), env_id=config.env_id, same_runs=same,
                             ratio_steps_per_cpu_s=ratio,
                             **{f"{k}_{key}": m[key] for k, m in (("pool", pool), ("batched", batched))
                                for key in ("wall_s", "cpu_s", "steps_per_cpu_s")}))
        parallel.shutdown_workers()
    memory_steps = 3_000 if args.quick else 20_000
    single = _peak_rss_mib(1, memory_steps, "CartPole-v1", (128, 128))
    many = _peak_rss_mib(n_seeds, memory_steps, "CartPole-v1", (128, 128))
    print(f"peak RSS, CartPole {memory_steps:,} steps: one single run {single:.0f} MiB; one batched run of "
          f"{n_seeds} seeds {many:.0f} MiB (against {n_seeds} single runs in {n_seeds} processes: "
          f"{n_seeds * single:.0f} MiB; in 2 workers at a time: {2 * single:.0f} MiB)")
    if args.json:
        args.json.write_text(json.dumps(dict(rows=rows, peak_rss_mib=dict(single=single, batched=many,
                                                                          seeds=n_seeds)), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
