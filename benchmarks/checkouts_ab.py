"""One batched training run in two checkouts of this project, taking turns: CPU seconds, and whether the runs agree.

A change meant to make training faster without changing a single result is
checked by running the same workload with the code before and after it.  On a
shared, noisy machine, runs made one after the other at different times
compare badly; this script alternates the two checkouts, each run in a fresh
process (so neither inherits the other's imports or warm caches), and reports
each side's CPU seconds per round and their median, with a hash of every
seed's losses and evaluation returns (the same hash on both sides: the same
runs, bit for bit).

    git worktree add /tmp/before <commit>        # the code before the change
    python benchmarks/checkouts_ab.py /tmp/before .                  # every workload, 3 rounds
    python benchmarks/checkouts_ab.py /tmp/before . --only small --rounds 5

Workloads, 10 seeds each, one process, one torch thread:

* ``defaults``: ``DQNConfig()`` on CartPole-v1 (128x128, batch 128, Double DQN),
  20,000 steps: gradient steps dominated by arithmetic;
* ``small``: the settings of notebook 04's learners (64x64, batch 64, no target
  network, one gradient step per environment step, replay), 6,000 steps, with
  the package's replay buffer (notebook 04 hands its buffers in through a
  ``make_buffer`` hook): gradient steps dominated by per-operation overhead;
* ``online``: the same settings without replay (a batch of one), as notebook 03's
  learner but with ``keep_best=False``.  Checkouts that do not batch online runs
  train it one seed after the other.

The hash covers each seed's losses and evaluation returns (a change in any
weight shows in the losses that follow it).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

WORKLOADS = ("defaults", "small", "online")

# Runs in a fresh interpreter, with the checkout's dqn_helpers first on the path.
CHILD = r"""
import dataclasses, hashlib, json, sys, time
sys.path.insert(0, sys.argv[1])
import torch
torch.set_num_threads(1)
import dqn_helpers
from dqn_helpers import DQNConfig, train_dqn_seeds
from pathlib import Path
assert Path(dqn_helpers.__file__).resolve().is_relative_to(Path(sys.argv[1]).resolve()), dqn_helpers.__file__
workload = sys.argv[2]
LEARNER = dict(use_target_network=False, double_dqn=False, keep_best=False, train_frequency=1, gradient_steps=1,
               learning_starts=0, hidden_sizes=(64, 64), gamma=0.9, learning_rate=1e-3, lr_final_fraction=1.0,
               epsilon_end=0.05, exploration_steps=3_000, total_steps=6_000, eval_interval=500,
               log_diagnostics=True)
if workload == "defaults":
    config = DQNConfig(total_steps=20_000)
elif workload == "small":
    config = DQNConfig(buffer_size=50_000, batch_size=64, **LEARNER)
else:
    config = DQNConfig(use_replay=False, **LEARNER)
start = time.process_time()
runs = train_dqn_seeds(config, list(range(100, 110)), n_workers=1, progress=False)
cpu = time.process_time() - start
digest = hashlib.sha256(b"".join(r.losses.tobytes() + r.eval_returns.tobytes() for r in runs)).hexdigest()[:16]
print(json.dumps({"cpu": cpu, "hash": digest}))
"""


def run_once(checkout: Path, workload: str) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, str(checkout), workload], capture_output=True, text=True,
                         env={**os.environ, "DQN_HELPERS_MAX_WORKERS": "1"})
    if out.returncode != 0:
        raise SystemExit(f"the {workload} run in {checkout} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before", type=Path, help="a checkout of the code before the change")
    parser.add_argument("after", type=Path, help="a checkout of the code after it")
    parser.add_argument("--rounds", type=int, default=3, help="runs per checkout and workload (default 3)")
    parser.add_argument("--only", choices=WORKLOADS, action="append", help="a workload (may repeat; default: all)")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error(f"--rounds must be at least 1, got {args.rounds}")
    checkouts = {"before": args.before.resolve(), "after": args.after.resolve()}
    for label, path in checkouts.items():
        if not (path / "dqn_helpers" / "__init__.py").is_file():
            parser.error(f"{label}: {path} holds no dqn_helpers package")
    same_everywhere = True
    for workload in args.only or WORKLOADS:
        cpu = {label: [] for label in checkouts}
        hashes = {label: set() for label in checkouts}
        for round_ in range(args.rounds):
            order = list(checkouts) if round_ % 2 == 0 else list(checkouts)[::-1]  # neither always runs first
            for label in order:
                result = run_once(checkouts[label], workload)
                cpu[label].append(result["cpu"])
                hashes[label].add(result["hash"])
                print(f"{workload:>8} round {round_ + 1} {label:>6}: {result['cpu']:6.1f} CPU s  {result['hash']}",
                      flush=True)
        same = len(hashes["before"] | hashes["after"]) == 1
        same_everywhere &= same
        before, after = statistics.median(cpu["before"]), statistics.median(cpu["after"])
        print(f"{workload:>8}: median CPU s before {before:.1f}, after {after:.1f} ({after / before:.2f}x); "
              f"same runs: {'yes' if same else 'NO'}\n", flush=True)
    return 0 if same_everywhere else 1


if __name__ == "__main__":
    sys.exit(main())
