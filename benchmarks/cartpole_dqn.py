"""CartPole-v1 DQN benchmark: how fast, and how stably, does the default DQNConfig solve CartPole?

The yardstick (issue 4), the same for every agent measured:

* every 2,000 environment steps, the greedy policy plays 10 evaluation
  episodes that reset with seeds 10,000..10,009 (training uses seeds 0..n-1);
* "solved step": the first evaluation whose mean return is at least 475;
* budget: 50,000 environment steps; one thread per run;
* per seed: solved step, seconds to solve (wall clock from the start of the
  run to the end of that evaluation, evaluations included), final evaluation
  mean, environment steps per second; then medians.

On top of the yardstick, the agent each run *returns* plays 20 episodes on
held-out seeds 20,000..20,019 that no evaluation used ("held-out" column).

Usage:
    python benchmarks/cartpole_dqn.py                      # ours, 5 seeds
    python benchmarks/cartpole_dqn.py --compare sb3        # also Stable-Baselines3 DQN, RL Zoo settings
    python benchmarks/cartpole_dqn.py --workers 2 --set learning_rate=0.002 --set tau=0.01

Runs go to a pool of spawned processes (``--workers``, default 1: timings
are cleanest with one run at a time); ours and SB3's runs alternate so that
both see the same machine load.  Timings are noisy on a shared machine.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import json
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

from dqn_helpers.baselines import zoo_settings  # noqa: E402

EVAL_INTERVAL = 2_000
EVAL_EPISODES = 10
EVAL_SEED = 10_000
TEST_EPISODES = 20
TEST_SEED = 20_000
THRESHOLD = 475.0

# RL Baselines3 Zoo, hyperparams/dqn.yml, "CartPole-v1": the one copy lives in dqn_helpers.baselines.
SB3_ZOO_CARTPOLE, _ZOO_BUDGET = zoo_settings("CartPole-v1")


def _init_worker() -> None:
    import torch

    torch.set_num_threads(1)
    # torch's optimizers import torch._dynamo on their first step (about 1-3 s
    # here).  Import it before any clock starts, for every agent alike: it is
    # start-up cost, like `import torch`, not training time.
    import torch._dynamo  # noqa: F401


def _row(algo: str, seed: int, result, held_out: float, extra: dict | None = None) -> dict:
    """One run's numbers; ``result`` is a DQNResult or an SB3Result (they share these fields and methods)."""
    return dict(
        algo=algo,
        seed=seed,
        solved_step=result.solved_step(THRESHOLD),
        solved_seconds=result.solved_seconds(THRESHOLD),
        final_eval=float(result.eval_returns[-1]),
        held_out=float(held_out),
        steps_per_second=result.steps_done / result.seconds,
        seconds=result.seconds,
        eval_steps=[int(s) for s in result.eval_steps],
        eval_returns=[float(r) for r in result.eval_returns],
        **(extra or {}),
    )


def run_ours(seed: int, steps: int, overrides: dict) -> dict:
    from dqn_helpers import DQNConfig, evaluate_greedy, train_dqn

    config = DQNConfig(total_steps=steps, seed=seed, eval_interval=EVAL_INTERVAL, eval_episodes=EVAL_EPISODES,
                       eval_seed=EVAL_SEED, **overrides)
    result = train_dqn(config, progress=False)
    held_out = evaluate_greedy(result.q_net, "CartPole-v1", TEST_EPISODES, TEST_SEED).mean()
    extra = {}
    if config.keep_best:
        extra["best_eval_step"] = result.best_eval_step
        extra["held_out_last"] = float(evaluate_greedy(result.last_q_net, "CartPole-v1", TEST_EPISODES,
                                                       TEST_SEED).mean())
    return _row("ours", seed, result, held_out, extra)


def run_sb3(seed: int, steps: int, overrides: dict) -> dict:
    """SB3's DQN with the Zoo settings (``overrides`` are DQNConfig fields: they do not apply here)."""
    from dqn_helpers import evaluate_greedy
    from dqn_helpers.baselines import train_sb3_dqn

    result = train_sb3_dqn("CartPole-v1", SB3_ZOO_CARTPOLE, steps, seed=seed, eval_interval=EVAL_INTERVAL,
                           eval_episodes=EVAL_EPISODES, eval_seed=EVAL_SEED)
    held_out = evaluate_greedy(result.model.q_net, "CartPole-v1", TEST_EPISODES, TEST_SEED).mean()
    return _row("sb3", seed, result, held_out)


def _run(task: tuple[str, int, int, dict]) -> dict:
    algo, seed, steps, overrides = task
    return run_ours(seed, steps, overrides) if algo == "ours" else run_sb3(seed, steps, overrides)


# ----------------------------------------------------------------------------- report


def _median(values: list[float | None]) -> float | None:
    """Median with a missing value (not solved) counted as worse than any number; None if it falls there."""
    ranked = sorted(values, key=lambda v: (v is None, v if v is not None else 0.0))
    n = len(ranked)
    middle = ranked[(n - 1) // 2 : n // 2 + 1]
    if any(v is None for v in middle):
        return None
    return float(statistics.mean(middle))


def _fmt(value, spec: str = ".0f", missing: str = "not solved") -> str:
    return missing if value is None else format(value, spec)


def summarize(rows: list[dict]) -> dict:
    return dict(
        n=len(rows),
        n_solved=sum(r["solved_step"] is not None for r in rows),
        solved_step=_median([r["solved_step"] for r in rows]),
        solved_seconds=_median([r["solved_seconds"] for r in rows]),
        final_eval=_median([r["final_eval"] for r in rows]),
        min_final_eval=min(r["final_eval"] for r in rows),
        held_out=_median([r["held_out"] for r in rows]),
        min_held_out=min(r["held_out"] for r in rows),
        steps_per_second=_median([r["steps_per_second"] for r in rows]),
    )


def print_table(algo: str, rows: list[dict]) -> dict:
    title = {"ours": "dqn_helpers DQNConfig()", "sb3": "Stable-Baselines3 DQN, RL Zoo CartPole-v1 settings"}[algo]
    print(f"\n{title}")
    print(f"{'seed':>4} | {'solved step':>11} | {'s to solve':>10} | {'final eval':>10} | {'held-out':>8} | {'steps/s':>7}")
    print("-" * 68)
    for r in sorted(rows, key=lambda r: r["seed"]):
        print(f"{r['seed']:>4} | {_fmt(r['solved_step']):>11} | {_fmt(r['solved_seconds'], '.1f'):>10} | "
              f"{r['final_eval']:>10.1f} | {r['held_out']:>8.1f} | {r['steps_per_second']:>7.0f}")
    s = summarize(rows)
    print("-" * 68)
    print(f"{'med':>4} | {_fmt(s['solved_step']):>11} | {_fmt(s['solved_seconds'], '.1f'):>10} | "
          f"{s['final_eval']:>10.1f} | {s['held_out']:>8.1f} | {s['steps_per_second']:>7.0f}")
    print(f"solved {s['n_solved']} of {s['n']} seeds; lowest final eval {s['min_final_eval']:.1f}; "
          f"lowest held-out {s['min_held_out']:.1f}")
    return s


def _parse_overrides(pairs: list[str]) -> dict:
    from dqn_helpers import DQNConfig

    names = {f.name for f in dataclasses.fields(DQNConfig)}
    overrides = {}
    for pair in pairs:
        key, _, text = pair.partition("=")
        if key not in names:
            raise SystemExit(f"--set {pair}: {key!r} is not a DQNConfig field")
        try:
            overrides[key] = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            overrides[key] = text
    return overrides


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="training seeds 0..N-1 (default 5)")
    parser.add_argument("--steps", type=int, default=50_000, help="environment steps per run (default 50,000)")
    parser.add_argument("--compare", choices=["sb3"], help="also run Stable-Baselines3's DQN (installed with the project)")
    parser.add_argument("--workers", type=int, default=1, help="runs at a time, one thread each (default 1)")
    parser.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                        help="override a DQNConfig field for our runs (repeatable)")
    parser.add_argument("--json", type=Path, help="also write every run's numbers here")
    args = parser.parse_args(argv)
    overrides = _parse_overrides(args.set)

    algos = ["ours"] + (["sb3"] if args.compare else [])
    if args.compare:
        try:
            import stable_baselines3  # noqa: F401
        except ImportError:
            raise SystemExit("--compare sb3 needs Stable-Baselines3: run `make setup` (it is in pyproject.toml)") from None
    tasks = [(algo, seed, args.steps, overrides) for seed in range(args.seeds) for algo in algos]
    print(f"CartPole-v1, {args.seeds} seeds x {args.steps:,} steps, {args.workers} run(s) at a time, "
          f"one thread each; overrides: {overrides or 'none'}", flush=True)
    started = time.perf_counter()
    with ProcessPoolExecutor(args.workers, mp_context=get_context("spawn"), initializer=_init_worker) as pool:
        rows = []
        for row in pool.map(_run, tasks):
            rows.append(row)
            print(f"  {row['algo']:>4} seed {row['seed']}: solved at {_fmt(row['solved_step'])}, "
                  f"final eval {row['final_eval']:.1f}, {row['steps_per_second']:.0f} steps/s", flush=True)
    wall = time.perf_counter() - started

    summaries = {algo: print_table(algo, [r for r in rows if r["algo"] == algo]) for algo in algos}
    ours = summaries["ours"]
    if args.compare:
        sb3 = summaries["sb3"]
        print("\nours / SB3 (medians):")
        print(f"  steps per second: {ours['steps_per_second'] / sb3['steps_per_second']:.2f}x")
        if ours["solved_step"] and sb3["solved_step"]:
            print(f"  solved step:      {ours['solved_step'] / sb3['solved_step']:.2f}x")
        if ours["solved_seconds"] and sb3["solved_seconds"]:
            print(f"  seconds to solve: {ours['solved_seconds'] / sb3['solved_seconds']:.2f}x")
    print(f"\nwall clock for the whole benchmark: {wall:.0f} s")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(dict(args=vars(args) | {"json": str(args.json)}, overrides=overrides,
                                             rows=rows, summaries=summaries, wall_seconds=wall), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
