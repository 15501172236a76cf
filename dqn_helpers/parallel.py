"""Run DQN with several seeds (or several configurations), in parallel processes.

A claim about DQN needs several seeds: one run can be lucky.  Each run is
single-threaded (a network this small trains fastest on one thread), so a
2-core laptop runs two seeds at a time.  Works in a script and in Jupyter:
the worker processes are *spawned* (a fresh Python that imports this module),
so nothing depends on what the notebook kernel has defined.  The one exception
is ``hooks``: its functions travel by value (``cloudpickle``), so a hook defined
in a notebook cell runs in the workers too (it must not rely on the notebook's
global variables changing later).

Ctrl-C or Jupyter's stop button stops every run at its next step and returns
what each had learned (``interrupted=True``); runs that had not started are
left out.

The worker processes are started once and kept for the next call (starting one
means importing torch, seconds of CPU); they end with the Python process that
started them, or with :func:`shutdown_workers`.
"""

from __future__ import annotations

import dataclasses
import importlib
import multiprocessing as mp
import os
import pickle
import signal
from collections.abc import Sequence
from typing import Any, Callable, NamedTuple
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait

import cloudpickle
import torch

from .dqn import DQNConfig, DQNHooks, DQNResult, train_dqn
from .progress import progress_bar
from .seeding import check_seed

__all__ = ["shutdown_workers", "train_dqn_runs", "train_dqn_seeds"]

_REPORT_EVERY = 250  # environment steps between a worker's progress reports / stop checks

# Set in each worker process by _init_worker.
_stop_event = None
_step_counts = None
_parent_pid = None


def _init_worker(stop_event, step_counts) -> None:  # pragma: no cover - runs in the worker
    global _stop_event, _step_counts, _parent_pid
    _stop_event, _step_counts = stop_event, step_counts
    _parent_pid = os.getppid()
    torch.set_num_threads(1)
    # torch's optimizers import torch._dynamo on their first step (1-3 s): do it
    # now, so that each run's `seconds` measure training, not start-up.
    importlib.import_module("torch._dynamo")

    # Ctrl-C reaches the whole process group in a terminal: let the parent decide.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


_MAX_RUNS = 10_000  # slots in the shared step counter, so at most this many runs per call

class _Pool(NamedTuple):
    executor: ProcessPoolExecutor
    n_workers: int
    stop_event: Any  # multiprocessing Event: set to stop every run at its next report
    step_counts: Any  # multiprocessing RawArray: environment steps done, one slot per run of the current call


# One pool of workers per process, kept between calls: starting a worker (a fresh
# Python importing torch) costs seconds of CPU, and a notebook trains many times.
_pool: _Pool | None = None


def _worker_pool(n_workers: int) -> _Pool:
    """The kept pool of ``n_workers`` spawned workers (made anew if the size differs or a worker died)."""
    global _pool
    if _pool is not None and (_pool.n_workers != n_workers or getattr(_pool.executor, "_broken", False)):
        shutdown_workers()
    if _pool is None:
        ctx = mp.get_context("spawn")
        stop_event, step_counts = ctx.Event(), ctx.RawArray("q", _MAX_RUNS)
        executor = ProcessPoolExecutor(  # workers start when the first runs are submitted
            max_workers=n_workers, mp_context=ctx, initializer=_init_worker, initargs=(stop_event, step_counts)
        )
        _pool = _Pool(executor, n_workers, stop_event, step_counts)
    return _pool


def shutdown_workers() -> None:
    """Stop the worker processes that :func:`train_dqn_runs` keeps between calls (they restart when needed)."""
    global _pool
    if _pool is not None:
        _pool.executor.shutdown(wait=True, cancel_futures=True)
        _pool = None


def _run_one(index: int, config: DQNConfig, hooks_bytes: bytes | None = None) -> bytes | None:  # pragma: no cover - runs in the worker
    if _stop_event.is_set():  # stopped before this run began
        return None

    def callback(step: int) -> None:
        if step % _REPORT_EVERY == 0:
            _step_counts[index] = step
            # Stop when asked, or when the parent is gone (a restarted kernel): no orphan keeps a core busy.
            if _stop_event.is_set() or os.getppid() != _parent_pid:
                raise KeyboardInterrupt

    hooks = pickle.loads(hooks_bytes) if hooks_bytes is not None else None
    result = train_dqn(config, progress=False, callback=callback, hooks=hooks)
    _step_counts[index] = result.steps_done
    # Plain pickle: tensors travel by value, not through shared-memory handles.
    return pickle.dumps(result)


def train_dqn_seeds(
    config: DQNConfig,
    seeds: Sequence[int],
    n_workers: int = 2,
    progress: bool = True,
    callback: Callable[[int], Any] | None = None,
    hooks: DQNHooks | None = None,
) -> list[DQNResult]:
    """Train ``config`` once per seed, ``n_workers`` runs at a time; results in the order of ``seeds``.

    Args:
        config: the settings; its ``seed`` is replaced by each of ``seeds``.
        seeds: distinct non-negative ints.
        n_workers: processes to use (each single-threaded); 1 runs in this process.
        progress: one progress bar over all runs' environment steps.
        callback: called here about twice a second as ``callback(steps)`` with
            the environment steps done so far, all runs together; raising
            ``KeyboardInterrupt`` in it stops every run as Ctrl-C does.
        hooks: replacements for pieces of the loop, passed to every run's
            :func:`train_dqn` (sent to the workers with ``cloudpickle``).

    Returns:
        One :class:`DQNResult` per seed that ran.  After Ctrl-C, the runs under
        way come back with ``interrupted=True`` and runs never started are missing.
    """
    if not isinstance(config, DQNConfig):
        raise TypeError(f"config must be a DQNConfig, got {type(config).__name__}")
    seeds = [check_seed(s, "each seed") for s in seeds]
    if not seeds:
        raise ValueError("seeds must name at least one seed")
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be distinct, got {seeds}")
    configs = [dataclasses.replace(config, seed=s) for s in seeds]  # re-validates each
    return train_dqn_runs(configs, n_workers, progress, callback, hooks, desc=f"DQN x{len(configs)} seeds")


def train_dqn_runs(
    configs: Sequence[DQNConfig],
    n_workers: int = 2,
    progress: bool = True,
    callback: Callable[[int], Any] | None = None,
    hooks: DQNHooks | None = None,
    desc: str | None = None,
) -> list[DQNResult]:
    """Train each of ``configs`` (seed included) once, ``n_workers`` runs at a time; results in their order.

    Like :func:`train_dqn_seeds`, for runs whose settings differ: several
    experiments in one pool keep every core busy until the last run, where one
    pool per experiment leaves a core idle while the last run of each finishes.
    ``desc`` labels the progress bar; the other arguments are those of
    :func:`train_dqn_seeds`.
    """
    configs = list(configs)
    if not configs:
        raise ValueError("configs must hold at least one DQNConfig")
    for config in configs:
        if not isinstance(config, DQNConfig):
            raise TypeError(f"configs must hold DQNConfig objects, got a {type(config).__name__}")
    if isinstance(n_workers, bool) or not isinstance(n_workers, int) or n_workers < 1:
        raise ValueError(f"n_workers must be a positive int, got {n_workers!r}")
    if hooks is not None and not isinstance(hooks, DQNHooks):
        raise TypeError(f"hooks must be a DQNHooks or None, got {type(hooks).__name__}")

    if n_workers == 1 or len(configs) == 1:
        return _run_here(configs, progress, hooks)

    if len(configs) > _MAX_RUNS:
        raise ValueError(f"at most {_MAX_RUNS:,} runs per call, got {len(configs):,}")
    pool, _, stop_event, step_counts = _worker_pool(n_workers)
    stop_event.clear()
    for i in range(len(configs)):
        step_counts[i] = 0
    counted = lambda: sum(step_counts[: len(configs)])  # noqa: E731
    total = sum(c.total_steps for c in configs)
    results: dict[int, bytes | None] = {}
    bar = progress_bar(total=total, disable=not progress, desc=desc or f"DQN x{len(configs)} runs", unit="step",
                       mininterval=0.5)
    futures: dict[Future, int] = {}
    try:
        # By value: functions defined in a notebook (its __main__) do not exist in a spawned worker.
        hooks_bytes = cloudpickle.dumps(hooks) if hooks is not None else None
        futures = {pool.submit(_run_one, i, c, hooks_bytes): i for i, c in enumerate(configs)}
        pending = set(futures)
        try:
            while pending:
                done, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
                for future in done:
                    results[futures[future]] = future.result()
                bar.update(counted() - bar.n)
                if callback is not None:
                    callback(int(counted()))
        except KeyboardInterrupt:
            stop_event.set()
            for future in pending:
                future.cancel()  # only runs that have not started
            for future in pending:
                if not future.cancelled():
                    results[futures[future]] = future.result()
    finally:
        leftover = [f for f in futures if not f.done()]
        if leftover:  # an error here or in a run: stop the other runs, so that no worker keeps a core busy
            stop_event.set()
            for future in leftover:
                future.cancel()
            wait(leftover)
        bar.update(counted() - bar.n)
        bar.close()
    return [pickle.loads(results[i]) for i in sorted(results) if results[i] is not None]


def _run_here(configs: list[DQNConfig], progress: bool, hooks: DQNHooks | None = None) -> list[DQNResult]:
    """Sequential fallback: one run after the other in this process."""
    results = []
    for config in configs:
        result = train_dqn(config, progress=progress, hooks=hooks)
        results.append(result)
        if result.interrupted:
            break
    return results
