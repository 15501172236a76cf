"""Run DQN with several seeds (or several configurations): batched, and in parallel processes.

A claim about DQN needs several seeds: one run can be lucky.  Two things make
many seeds cheap on a laptop CPU:

- **Batching.** Runs that differ only in their seed train side by side as one
  computation (:func:`~dqn_helpers.batched.train_dqn_batched`): their networks'
  gradient steps share each operation (each matrix product too, except for a
  batch of one, online learning).  Each seed stays the same run as
  ``train_dqn`` with that seed.  Runs that cannot share a batch (other settings,
  a ``should_train`` hook, a replay ``batch_size`` that is not a multiple of 32)
  run one by one.
- **Processes.** Each batch (or single run) is single-threaded (a network this
  small trains fastest on one thread), so the seeds of a configuration are
  split into one batch per worker process, and a 2-core laptop keeps both cores
  busy.

Works in a script (under ``if __name__ == "__main__":``) and in Jupyter:
the worker processes are *spawned* (a fresh Python that imports this module),
so nothing depends on what the notebook kernel has defined.  The one exception
is ``hooks``: its functions travel by value (``cloudpickle``), so a hook defined
in a notebook cell runs in the workers too (it must not rely on the notebook's
global variables changing later).

Ctrl-C or Jupyter's stop button stops every run at its next step and returns
what each had learned (``interrupted=True``); runs that had not started are
left out.

The environment variable ``DQN_HELPERS_MAX_WORKERS`` caps ``n_workers`` for
every call (unset: no cap).  Set it where something else already keeps every
core busy: ``make test`` sets it to 1, because pytest-xdist runs two notebooks
at once on two cores, and two more worker processes per notebook would only
contend for the same cores (each seed's run is the same either way).

The worker processes are started once and kept for the next call (starting one
means importing torch, seconds of CPU); they end with the Python process that
started them (within about a second, however it ended: each worker watches
its parent), or with :func:`shutdown_workers`.
"""

from __future__ import annotations

import dataclasses
import importlib
import multiprocessing as mp
import os
import pickle
import signal
import threading
import time
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable, NamedTuple

import cloudpickle
import numpy as np
import torch

from .batched import can_batch, train_dqn_batched
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
    # An idle worker waits for work and never reaches a training callback: a thread
    # ends the process once its parent is gone (killed, crashed, a restarted kernel).
    threading.Thread(target=_exit_when_orphaned, name="orphan-watch", daemon=True).start()


_ORPHAN_POLL_SECONDS = 0.5


def _exit_when_orphaned() -> None:  # pragma: no cover - runs in the worker
    while os.getppid() == _parent_pid:
        time.sleep(_ORPHAN_POLL_SECONDS)
    os._exit(0)


_MAX_RUNS = 10_000  # slots in the shared step counter, so at most this many runs per call

_MAX_WORKERS_VARIABLE = "DQN_HELPERS_MAX_WORKERS"


def _worker_cap() -> int | None:
    """The most worker processes the environment variable ``DQN_HELPERS_MAX_WORKERS`` allows (``None``: unset)."""
    value = os.environ.get(_MAX_WORKERS_VARIABLE, "").strip()
    if not value:
        return None
    try:
        cap = int(value)
    except ValueError:
        cap = 0
    if cap < 1:
        raise ValueError(f"the environment variable {_MAX_WORKERS_VARIABLE} must be a positive int such as 1, "
                         f"or unset for no cap; got {value!r}")
    return cap


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


def _run_task(indices: list[int], configs: list[DQNConfig], hooks_bytes: bytes | None = None) -> list[bytes] | None:  # pragma: no cover - runs in the worker
    """Train ``configs`` (one run, or one batch of seeds) and report their steps in the slots ``indices``."""
    if _stop_event.is_set():  # stopped before these runs began
        return None

    def callback(step: int) -> None:
        if step % _REPORT_EVERY == 0:
            for index in indices:
                _step_counts[index] = step
            # Stop when asked, or when the parent is gone (a restarted kernel): no orphan keeps a core busy.
            if _stop_event.is_set() or os.getppid() != _parent_pid:
                raise KeyboardInterrupt

    hooks = pickle.loads(hooks_bytes) if hooks_bytes is not None else None
    results = _train_group(configs, hooks, progress=False, callback=callback)
    for index, result in zip(indices, results):
        _step_counts[index] = result.steps_done
    # Plain pickle: tensors travel by value, not through shared-memory handles.
    return [pickle.dumps(result) for result in results]


def _train_group(configs: list[DQNConfig], hooks: DQNHooks | None, progress: bool,
                 callback: Callable[[int], Any] | None, desc: str | None = None) -> list[DQNResult]:
    """One task: a batch of seeds as one computation, or a single run."""
    if len(configs) > 1:
        return train_dqn_batched(configs, progress=progress, callback=callback, hooks=hooks, desc=desc)
    return [train_dqn(configs[0], progress=progress, callback=callback, hooks=hooks)]


def _plan(configs: list[DQNConfig], n_workers: int, hooks: list[DQNHooks | None], batch: bool) -> list[list[int]]:
    """Split run indices into tasks: runs that differ only in seed (same hooks too) are batched, one batch per worker.

    ``hooks`` holds each run's hooks.  A group of ``k`` batchable runs becomes
    ``min(k, n_workers)`` batches of near-equal size (so every core gets a
    share of every experiment); any other run is a task of its own.  Tasks keep
    the order of ``configs``.
    """
    groups: dict[Any, list[int]] = {}
    tasks: list[list[int]] = []
    for i, config in enumerate(configs):
        key = dataclasses.replace(config, seed=0)
        key = (repr(key), id(hooks[i]))  # configs hold a dict (env_kwargs): compare by value, not by hash
        groups.setdefault(key, []).append(i)
    for indices in groups.values():
        members = [configs[i] for i in indices]
        if batch and len(indices) > 1 and can_batch(members, hooks[indices[0]]):
            n_chunks = min(len(indices), n_workers)
            size, extra = divmod(len(indices), n_chunks)
            start = 0
            for c in range(n_chunks):
                stop = start + size + (1 if c < extra else 0)
                tasks.append(indices[start:stop])
                start = stop
        else:
            tasks.extend([i] for i in indices)
    return sorted(tasks, key=lambda task: task[0])


_MAIN_GUARD = (
    "the worker processes could not start. In a script, call train_dqn_seeds / train_dqn_runs under "
    "`if __name__ == \"__main__\":` (each worker is a fresh Python that imports your script, and without the "
    "guard it would start training again), or pass n_workers=1 to train in this process"
)


def train_dqn_seeds(
    config: DQNConfig,
    seeds: Sequence[int],
    n_workers: int = 2,
    progress: bool = True,
    callback: Callable[[int], Any] | None = None,
    hooks: DQNHooks | None = None,
    batch: bool = True,
) -> list[DQNResult]:
    """Train ``config`` once per seed, the seeds batched and spread over ``n_workers`` processes.

    Args:
        config: the settings; its ``seed`` is replaced by each of ``seeds``.
        seeds: distinct non-negative ints.
        n_workers: processes to use (each single-threaded); 1 runs in this process.
            The environment variable ``DQN_HELPERS_MAX_WORKERS``, if set,
            caps it (``make test`` sets 1; the results are the same).
        progress: one progress bar over all runs' environment steps.
        callback: called here about twice a second as ``callback(steps)`` with
            the environment steps done so far, all runs together; raising
            ``KeyboardInterrupt`` in it stops every run as Ctrl-C does.
        hooks: replacements for pieces of the loop, passed to every run
            (sent to the workers with ``cloudpickle``).
        batch: train the seeds of each worker side by side as one computation
            (:func:`~dqn_helpers.batched.train_dqn_batched`; the same runs,
            about twice as fast); ``False`` runs them one by one.

    Returns:
        One :class:`DQNResult` per seed that ran, in the order of ``seeds``.
        After Ctrl-C, the runs under way come back with ``interrupted=True``
        and runs never started are missing.
    """
    if not isinstance(config, DQNConfig):
        raise TypeError(f"config must be a DQNConfig, got {type(config).__name__}")
    if isinstance(seeds, (str, bytes)) or not isinstance(seeds, Sequence):
        raise TypeError(f"seeds must be a list of non-negative ints, got {type(seeds).__name__} {seeds!r}")
    seeds = [check_seed(s, "each seed") for s in seeds]
    if not seeds:
        raise ValueError("seeds must name at least one seed")
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be distinct, got {seeds}")
    configs = [dataclasses.replace(config, seed=s) for s in seeds]  # re-validates each
    return train_dqn_runs(configs, n_workers, progress, callback, hooks, desc=f"DQN x{len(configs)} seeds",
                          batch=batch)


def train_dqn_runs(
    configs: Sequence[DQNConfig],
    n_workers: int = 2,
    progress: bool = True,
    callback: Callable[[int], Any] | None = None,
    hooks: DQNHooks | Sequence[DQNHooks | None] | None = None,
    desc: str | None = None,
    batch: bool = True,
) -> list[DQNResult]:
    """Train each of ``configs`` (seed included) once, over ``n_workers`` processes; results in their order.

    Like :func:`train_dqn_seeds`, for runs whose settings differ: several
    experiments in one pool keep every core busy until the last run.  Runs
    that differ only in seed (and share the same hooks) are batched (see
    :func:`_plan`).  ``hooks`` is one :class:`DQNHooks` for every run, or a list
    with one entry (a ``DQNHooks`` or ``None``) per config, so that experiments
    that swap different pieces still share one pool.  ``desc`` labels the
    progress bar; the other arguments are those of :func:`train_dqn_seeds`.
    """
    if isinstance(configs, DQNConfig) or not isinstance(configs, Sequence):
        raise TypeError(f"configs must be a list of DQNConfig objects, got {type(configs).__name__}")
    configs = list(configs)
    if not configs:
        raise ValueError("configs must hold at least one DQNConfig")
    for config in configs:
        if not isinstance(config, DQNConfig):
            raise TypeError(f"configs must hold DQNConfig objects, got a {type(config).__name__}")
    if isinstance(n_workers, bool) or not isinstance(n_workers, (int, np.integer)) or n_workers < 1:
        raise ValueError(f"n_workers must be a positive int, got {n_workers!r}")
    n_workers = int(n_workers)
    cap = _worker_cap()
    if cap is not None:
        n_workers = min(n_workers, cap)
    run_hooks = _hooks_per_run(hooks, len(configs))
    if not isinstance(batch, (bool, np.bool_)):
        raise TypeError(f"batch must be True or False, got {type(batch).__name__} {batch!r}")
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be a function callback(steps) or None, got {type(callback).__name__}")
    if getattr(mp.current_process(), "_inheriting", False):
        raise RuntimeError(_MAIN_GUARD)  # we are a worker importing a script that lacks the guard
    if len(configs) > _MAX_RUNS:
        raise ValueError(f"at most {_MAX_RUNS:,} runs per call, got {len(configs):,}")

    tasks = _plan(configs, n_workers, run_hooks, bool(batch))
    if n_workers == 1 or len(tasks) == 1:
        return _run_here(configs, tasks, progress, callback, run_hooks)

    pool, _, stop_event, step_counts = _worker_pool(n_workers)
    stop_event.clear()
    for i in range(len(configs)):
        step_counts[i] = 0
    counted = lambda: sum(step_counts[: len(configs)])  # noqa: E731
    total = sum(c.total_steps for c in configs)
    results: dict[int, bytes] = {}
    bar = progress_bar(total=total, disable=not progress, desc=desc or f"DQN x{len(configs)} runs", unit="step",
                       mininterval=0.5)
    futures: dict[Future, list[int]] = {}

    def collect(future: Future) -> None:
        pickled = future.result()
        if pickled is not None:
            results.update(zip(futures[future], pickled))

    try:
        # By value: functions defined in a notebook (its __main__) do not exist in a spawned worker.
        pickled_hooks = {id(h): cloudpickle.dumps(h) for h in run_hooks if h is not None}
        futures = {pool.submit(_run_task, task, [configs[i] for i in task],
                               pickled_hooks.get(id(run_hooks[task[0]]))): task for task in tasks}
        pending = set(futures)
        try:
            while pending:
                done, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
                for future in done:
                    collect(future)
                bar.update(counted() - bar.n)
                if callback is not None:
                    callback(int(counted()))
        except KeyboardInterrupt:
            stop_event.set()
            for future in pending:
                future.cancel()  # only runs that have not started
            for future in pending:
                if not future.cancelled():
                    collect(future)
    except BrokenProcessPool as error:
        shutdown_workers()
        raise RuntimeError(_MAIN_GUARD) from error
    finally:
        leftover = [f for f in futures if not f.done()]
        if leftover:  # an error here or in a run: stop the other runs, so that no worker keeps a core busy
            stop_event.set()
            for future in leftover:
                future.cancel()
            wait(leftover)
        bar.update(counted() - bar.n)
        bar.close()
    return [pickle.loads(results[i]) for i in sorted(results)]


def _hooks_per_run(hooks: object, n_runs: int) -> list[DQNHooks | None]:
    """``hooks`` as one entry per run: a single DQNHooks (or None) serves every run, a list gives each its own."""
    if hooks is None or isinstance(hooks, DQNHooks):
        return [hooks] * n_runs
    if isinstance(hooks, (list, tuple)):
        if len(hooks) != n_runs:
            raise ValueError(f"hooks holds {len(hooks)} entries but there are {n_runs} configs: give one DQNHooks "
                             "(or None) per config, or a single DQNHooks for all")
        for i, entry in enumerate(hooks):
            if entry is not None and not isinstance(entry, DQNHooks):
                raise TypeError(f"hooks[{i}] must be a DQNHooks or None, got {type(entry).__name__}")
        return list(hooks)
    raise TypeError(f"hooks must be a DQNHooks, a list of them (one per config) or None, got {type(hooks).__name__}")


def _run_here(configs: list[DQNConfig], tasks: list[list[int]], progress: bool,
              callback: Callable[[int], Any] | None, hooks: list[DQNHooks | None]) -> list[DQNResult]:
    """In this process: one task after the other (each a batch of seeds or a single run)."""
    results: dict[int, DQNResult] = {}
    done_before = 0
    for task in tasks:
        task_callback = _progress_callback(callback, done_before, len(task)) if callback is not None else None
        group = _train_group([configs[i] for i in task], hooks[task[0]], progress, task_callback)
        results.update(zip(task, group))
        done_before += sum(r.steps_done for r in group)
        if any(r.interrupted for r in group):
            break
    return [results[i] for i in sorted(results)]


def _progress_callback(callback: Callable[[int], Any], done_before: int, width: int) -> Callable[[int], None]:
    """A run's ``callback(step)`` that reports ``callback(steps of all runs so far)`` every few hundred steps."""

    def report(step: int) -> None:
        if step % _REPORT_EVERY == 0:
            callback(done_before + step * width)

    return report
