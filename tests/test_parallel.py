"""Specifications of train_dqn_seeds / train_dqn_runs: batches of seeds in kept worker processes.

What the batching changes must not show in the results: every run is the one
``train_dqn`` gives with its config, whether it trained alone, in a batch, in
this process or in a worker.  The workers themselves must never outlive the
process that started them, and a script that forgets the ``__main__`` guard
gets told what to do.
"""

from __future__ import annotations

import dataclasses
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from dqn_helpers import DQNConfig, DQNHooks, parallel, train_dqn, train_dqn_runs, train_dqn_seeds
from dqn_helpers.parallel import _plan

ROOT = Path(__file__).resolve().parents[1]
TINY = dict(total_steps=400, learning_starts=100, buffer_size=1_000, batch_size=32, train_frequency=2,
            target_update_interval=50, exploration_steps=300, hidden_sizes=(16,), eval_interval=200,
            eval_episodes=2, keep_best=False, gradient_steps=1)


@pytest.fixture
def one_thread():
    """What every worker runs with; the in-process reference runs must match it."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _same_run(a, b) -> None:
    assert a.config == b.config
    for name in ("losses", "loss_steps", "episode_returns", "eval_returns"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


def test_seeds_batched_in_workers_are_the_runs_train_dqn_gives(one_thread):
    config = DQNConfig(**TINY)
    seeds = [4, 0, 7, 2, 9]
    results = train_dqn_seeds(config, seeds, n_workers=2, progress=False)
    assert [r.config.seed for r in results] == seeds
    for result in results:
        _same_run(result, train_dqn(result.config, progress=False))


def test_the_same_seeds_batched_or_one_by_one_give_the_same_runs_in_this_process(one_thread):
    config = DQNConfig(**TINY)
    batched = train_dqn_seeds(config, [0, 1, 2], n_workers=1, progress=False, batch=True)
    one_by_one = train_dqn_seeds(config, [0, 1, 2], n_workers=1, progress=False, batch=False)
    for a, b in zip(batched, one_by_one):
        _same_run(a, b)


def test_runs_of_several_experiments_are_batched_per_experiment_and_come_back_in_order(one_thread):
    base = DQNConfig(**TINY)
    configs = [dataclasses.replace(base, seed=s, gamma=g) for g in (0.9, 0.99) for s in (0, 1, 2)]
    configs.append(dataclasses.replace(base, seed=0, use_replay=False))  # a kind of its own: runs alone
    results = train_dqn_runs(configs, n_workers=2, progress=False)
    assert [r.config for r in results] == configs
    for i in (1, 4, 6):
        _same_run(results[i], train_dqn(configs[i], progress=False))


def test_plan_batches_runs_that_differ_only_in_seed_one_batch_per_worker():
    base = DQNConfig(**TINY)
    ten = [dataclasses.replace(base, seed=s) for s in range(10)]
    assert _plan(ten, 2, [None] * len(ten), batch=True) == [list(range(5)), list(range(5, 10))]
    assert _plan(ten[:5], 2, [None] * len(ten[:5]), batch=True) == [[0, 1, 2], [3, 4]]
    assert _plan(ten[:3], 1, [None] * len(ten[:3]), batch=True) == [[0, 1, 2]]
    assert _plan(ten[:3], 2, [None] * len(ten[:3]), batch=False) == [[0], [1], [2]]
    mixed = ten[:2] + [dataclasses.replace(base, seed=0, gamma=0.5), dataclasses.replace(base, seed=1, gamma=0.5)]
    assert _plan(mixed, 2, [None] * len(mixed), batch=True) == [[0], [1], [2], [3]]
    assert _plan(mixed, 1, [None] * len(mixed), batch=True) == [[0, 1], [2, 3]]
    per_episode = DQNHooks(should_train=lambda step, ended: ended)
    assert _plan(ten[:3], 1, [per_episode] * 3, batch=True) == [[0], [1], [2]]  # a per-seed schedule: one by one


def test_a_cap_of_one_worker_trains_every_seed_in_this_process_as_one_batch_and_changes_no_run(one_thread, monkeypatch):
    monkeypatch.setenv("DQN_HELPERS_MAX_WORKERS", "1")

    def no_pool(n_workers):
        raise AssertionError(f"a pool of {n_workers} workers started despite DQN_HELPERS_MAX_WORKERS=1")

    monkeypatch.setattr(parallel, "_worker_pool", no_pool)
    batches, batched = [], parallel.train_dqn_batched
    monkeypatch.setattr(parallel, "train_dqn_batched",
                        lambda configs, **kwargs: batches.append(len(configs)) or batched(configs, **kwargs))
    results = train_dqn_seeds(DQNConfig(**TINY), [3, 1, 4], n_workers=2, progress=False)
    assert batches == [3]  # one batch of all three seeds, not one per worker
    assert [r.config.seed for r in results] == [3, 1, 4]
    for result in results:
        _same_run(result, train_dqn(result.config, progress=False))


class _PoolAsked(Exception):
    pass


@pytest.mark.parametrize("value, workers", [(None, 4), ("", 4), ("2", 2), (" 3 ", 3), ("8", 4)])
def test_the_max_workers_variable_caps_the_pool_and_nothing_else(monkeypatch, value, workers):
    if value is None:
        monkeypatch.delenv("DQN_HELPERS_MAX_WORKERS", raising=False)
    else:
        monkeypatch.setenv("DQN_HELPERS_MAX_WORKERS", value)
    asked = []

    def pool(n_workers):
        asked.append(n_workers)
        raise _PoolAsked

    monkeypatch.setattr(parallel, "_worker_pool", pool)
    with pytest.raises(_PoolAsked):
        train_dqn_seeds(DQNConfig(**TINY), [0, 1, 2, 3], n_workers=4, progress=False)
    assert asked == [workers]


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5", "\u00b2"])
def test_a_bad_max_workers_variable_is_named_in_the_error(monkeypatch, value):
    monkeypatch.setenv("DQN_HELPERS_MAX_WORKERS", value)
    with pytest.raises(ValueError, match=r"DQN_HELPERS_MAX_WORKERS must be a positive int.*" + re.escape(repr(value))):
        train_dqn_seeds(DQNConfig(**TINY), [0, 1], n_workers=2, progress=False)


def test_each_run_may_have_its_own_hooks_and_runs_that_share_them_are_batched(one_thread):
    base = DQNConfig(**TINY)
    configs = [dataclasses.replace(base, seed=s) for s in (0, 1, 0, 1)]
    greedy, explore = DQNHooks(epsilon=lambda step, episode: 0.0), DQNHooks(epsilon=lambda step, episode: 1.0)
    per_run = [greedy, greedy, explore, explore]
    assert _plan(configs, 1, per_run, batch=True) == [[0, 1], [2, 3]]     # same config, other hooks: two batches
    results = train_dqn_runs(configs, n_workers=2, progress=False, hooks=per_run)
    for result, hooks in zip(results, per_run):
        _same_run(result, train_dqn(result.config, progress=False, hooks=hooks))
    assert not np.array_equal(results[0].episode_returns, results[2].episode_returns)
    here = train_dqn_runs(configs[:3], n_workers=1, progress=False, hooks=[greedy, None, explore])
    _same_run(here[1], train_dqn(configs[1], progress=False))
    _same_run(here[2], results[2])


@pytest.mark.parametrize("hooks, error, words", [
    ([DQNHooks()], ValueError, "hooks holds 1 entries but there are 2 configs"),
    ([DQNHooks(), "loss"], TypeError, r"hooks\[1\] must be a DQNHooks or None"),
    ("hooks", TypeError, "hooks must be a DQNHooks, a list of them"),
])
def test_per_run_hooks_of_the_wrong_length_or_type_get_a_clear_error(hooks, error, words):
    with pytest.raises(error, match=words):
        train_dqn_runs([DQNConfig(**TINY), DQNConfig(**{**TINY, "seed": 1})], n_workers=1, progress=False, hooks=hooks)


def test_a_should_train_hook_falls_back_to_one_run_per_seed_and_still_applies(one_thread):
    hooks = DQNHooks(should_train=lambda step, episode_ended: episode_ended)
    results = train_dqn_seeds(DQNConfig(**TINY), [0, 1], n_workers=2, progress=False, hooks=hooks)
    for result in results:
        _same_run(result, train_dqn(result.config, progress=False, hooks=hooks))
        assert np.isin(result.loss_steps, result.episode_end_steps).all()  # trained only when an episode ended


def test_in_this_process_the_callback_is_called_and_can_stop_every_run():
    seen = []

    def callback(steps):
        seen.append(steps)
        if steps >= 600:
            raise KeyboardInterrupt

    config = DQNConfig(**{**TINY, "total_steps": 100_000, "buffer_size": 10_000, "eval_interval": 0})
    results = train_dqn_seeds(config, [0, 1, 2], n_workers=1, progress=False, callback=callback)
    assert seen and seen == sorted(seen) and seen[-1] >= 600
    assert len(results) == 3 and all(r.interrupted and r.steps_done == results[0].steps_done for r in results)
    assert torch.is_grad_enabled()


def test_stopping_returns_the_batches_under_way():
    config = DQNConfig(**{**TINY, "total_steps": 1_000_000, "buffer_size": 10_000, "eval_interval": 0})

    def stop_once_running(steps):
        if steps > 0:
            raise KeyboardInterrupt

    results = train_dqn_seeds(config, seeds=[0, 1, 2, 3], n_workers=2, progress=False, callback=stop_once_running)
    assert [r.config.seed for r in results] == [0, 1, 2, 3]  # two batches, both under way
    assert all(r.interrupted and 0 < r.steps_done < 1_000_000 for r in results)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(seeds=5), TypeError, "seeds must be a list"),
        (dict(seeds="012"), TypeError, "seeds must be a list"),
        (dict(seeds=[0, 1], batch="yes"), TypeError, "batch must be True or False"),
        (dict(seeds=[0, 1], callback=3), TypeError, "callback must be a function"),
        (dict(seeds=[0, 1], n_workers=True), ValueError, "n_workers"),
    ],
)
def test_train_dqn_seeds_rejects_bad_arguments_by_name(kwargs, error, message):
    with pytest.raises(error, match=message):
        train_dqn_seeds(DQNConfig(**TINY), progress=False, **kwargs)


def _wait_until_gone(pids: list[int], seconds: float) -> float | None:
    """Seconds until every pid has exited (None if some are still alive after ``seconds``)."""
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        alive = []
        for pid in pids:
            try:
                with open(f"/proc/{pid}/stat") as f:
                    if f.read().rsplit(")", 1)[1].split()[0] != "Z":
                        alive.append(pid)
            except FileNotFoundError:
                pass
        if not alive:
            return time.perf_counter() - start
        time.sleep(0.1)
    return None


@pytest.mark.skipif(not Path("/proc").exists(), reason="reads /proc")
def test_idle_workers_end_soon_after_their_parent_is_killed(tmp_path):
    script = tmp_path / "parent.py"
    script.write_text(textwrap.dedent(f"""
        import sys, time
        from dqn_helpers import DQNConfig, parallel, train_dqn_seeds
        if __name__ == "__main__":
            train_dqn_seeds(DQNConfig(**{TINY!r}), [0, 1], n_workers=2, progress=False)
            print(" ".join(str(p) for p in parallel._pool.executor._processes), flush=True)
            time.sleep(600)
    """))
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        workers = [int(p) for p in parent.stdout.readline().split()]
        assert len(workers) == 2
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(timeout=10)
        gone_after = _wait_until_gone(workers, seconds=10)
        assert gone_after is not None, f"workers {workers} still alive 10 s after their parent was killed"
        assert gone_after < 3
    finally:
        if parent.poll() is None:
            parent.kill()


def test_a_script_without_the_main_guard_is_told_what_to_do(tmp_path):
    script = tmp_path / "unguarded.py"
    script.write_text(textwrap.dedent(f"""
        from dqn_helpers import DQNConfig, train_dqn_seeds
        train_dqn_seeds(DQNConfig(**{TINY!r}), [0, 1], n_workers=2, progress=False)
    """))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode != 0
    last_line = done.stderr.strip().splitlines()[-1]
    assert last_line.startswith("RuntimeError") and 'if __name__ == "__main__":' in last_line, done.stderr[-2000:]
    assert "n_workers=1" in last_line
