"""Specifications of the DQN loop: config validation, train_dqn, its pieces, saving, seeds in parallel."""

import ast
import dataclasses
import inspect
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import torch

import dqn_helpers.dqn as dqn_module
from dqn_helpers import (
    DQNConfig,
    DQNHooks,
    DQNResult,
    QNetwork,
    ReplayBatch,
    ReplayBuffer,
    evaluate,
    evaluate_greedy,
    q_net_policy,
    load_agent,
    make_target_network,
    polyak_update,
    save_agent,
    train_dqn,
    train_dqn_runs,
    train_dqn_seeds,
)
from dqn_helpers.dqn import dqn_update

ROOT = Path(__file__).resolve().parents[1]

# A run short enough for a unit test: 600 steps, 3 evaluations of 2 episodes.
TINY = dict(total_steps=600, learning_starts=100, buffer_size=1_000, batch_size=32, train_frequency=2,
            target_update_interval=50, exploration_steps=300, hidden_sizes=(16,), eval_interval=200,
            eval_episodes=2, keep_best=False, gradient_steps=1)


# ----------------------------------------------------------------------------- config


def test_every_config_field_has_a_one_line_docstring():
    tree = ast.parse(textwrap.dedent(inspect.getsource(DQNConfig)))
    body = tree.body[0].body
    documented = set()
    for node, after in zip(body, body[1:]):
        if isinstance(node, ast.AnnAssign) and isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant):
            if isinstance(after.value.value, str) and after.value.value.strip():
                documented.add(node.target.id)
    fields = {f.name for f in dataclasses.fields(DQNConfig)}
    assert fields - documented == set()


def test_config_has_the_fields_the_issue_lists():
    names = {f.name for f in dataclasses.fields(DQNConfig)}
    assert {"env_id", "total_steps", "learning_rate", "buffer_size", "batch_size", "gamma", "learning_starts",
            "train_frequency", "target_update_interval", "tau", "epsilon_start", "epsilon_end",
            "exploration_steps", "hidden_sizes", "seed", "device", "loss", "max_grad_norm", "double_dqn",
            "gradient_steps", "eval_interval", "eval_episodes", "eval_seed", "use_replay",
            "use_target_network", "keep_best", "log_diagnostics", "lr_final_fraction", "lr_decay_steps"} <= names


@pytest.mark.parametrize(
    "kwargs, field",
    [
        (dict(batch_size=512, buffer_size=100), "batch_size"),
        (dict(learning_starts=2_000, total_steps=1_000), "learning_starts"),
        (dict(gamma=1.5), "gamma"),
        (dict(gamma=-0.1), "gamma"),
        (dict(learning_rate=0.0), "learning_rate"),
        (dict(tau=0.0), "tau"),
        (dict(epsilon_end=2.0), "epsilon_end"),
        (dict(loss="l1"), "loss"),
        (dict(total_steps=0), "total_steps"),
        (dict(batch_size=0), "batch_size"),  # a float batch_size is a TypeError: tests/test_bad_inputs.py
        (dict(max_grad_norm=-1.0), "max_grad_norm"),
        (dict(lr_decay_steps=0), "lr_decay_steps"),
        (dict(seed=10_003, eval_seed=10_000), "seed"),
    ],
)
def test_a_bad_config_raises_a_value_error_naming_the_field(kwargs, field):
    with pytest.raises(ValueError, match=field):
        DQNConfig(**kwargs)


def test_without_replay_the_buffer_and_batch_sizes_are_not_checked_against_each_other():
    DQNConfig(use_replay=False, batch_size=512, buffer_size=100)


def test_config_round_trips_through_a_plain_dict():
    config = DQNConfig(hidden_sizes=[32, 32], seed=3)
    assert config.hidden_sizes == (32, 32)
    assert DQNConfig.from_dict(config.to_dict()) == config
    with pytest.raises(ValueError, match="unknown"):
        DQNConfig.from_dict({"learning_rat": 0.1})


# ----------------------------------------------------------------------------- pieces


def constant_linear_net(bias: list[float]) -> QNetwork:
    """A QNetwork whose Q-values are `bias` whatever the observation."""
    net = QNetwork(2, len(bias), hidden_sizes=())
    with torch.no_grad():
        net.head.weight.zero_()
        net.head.bias.copy_(torch.tensor(bias))
    return net


def one_transition_batch(reward: float, terminated: float, action: int = 0) -> ReplayBatch:
    return ReplayBatch(torch.zeros(1, 2), torch.tensor([action]), torch.tensor([reward]), torch.zeros(1, 2),
                       torch.tensor([terminated]))


@pytest.mark.parametrize("terminated, expected_target", [(0.0, 1.0 + 0.9 * 3.0), (1.0, 1.0)])
def test_td_target_bootstraps_from_the_target_network_unless_terminated(terminated, expected_target):
    q_net = constant_linear_net([0.5, 0.0])
    target_net = constant_linear_net([2.0, 3.0])
    optimizer = torch.optim.SGD(q_net.parameters(), lr=0.0)
    loss = dqn_update(q_net, target_net, optimizer, one_transition_batch(1.0, terminated), gamma=0.9, loss="mse",
                      max_grad_norm=None)
    assert loss == pytest.approx((expected_target - 0.5) ** 2)


def test_double_dqn_lets_the_online_network_choose_the_next_action():
    q_net = constant_linear_net([0.0, 1.0])  # online prefers action 1
    target_net = constant_linear_net([5.0, 2.0])  # target values action 1 at 2.0 (its own max is 5.0)
    optimizer = torch.optim.SGD(q_net.parameters(), lr=0.0)
    batch = one_transition_batch(0.0, 0.0)
    double = dqn_update(q_net, target_net, optimizer, batch, gamma=1.0, loss="mse", max_grad_norm=None,
                        double_dqn=True)
    plain = dqn_update(q_net, target_net, optimizer, batch, gamma=1.0, loss="mse", max_grad_norm=None)
    assert double == pytest.approx((2.0 - 0.0) ** 2)
    assert plain == pytest.approx((5.0 - 0.0) ** 2)


def test_huber_loss_is_linear_for_large_td_errors():
    q_net, target_net = constant_linear_net([0.0, 0.0]), constant_linear_net([0.0, 0.0])
    optimizer = torch.optim.SGD(q_net.parameters(), lr=0.0)
    loss = dqn_update(q_net, target_net, optimizer, one_transition_batch(10.0, 1.0), gamma=0.9, loss="huber")
    assert loss == pytest.approx(10.0 - 0.5)


def test_target_network_is_a_frozen_copy_sharing_no_parameters():
    q_net = QNetwork(4, 2, (8,))
    target_net = make_target_network(q_net)
    obs = torch.randn(3, 4)
    torch.testing.assert_close(target_net(obs), q_net(obs))
    assert all(not p.requires_grad for p in target_net.parameters())
    assert not {p.data_ptr() for p in target_net.parameters()} & {p.data_ptr() for p in q_net.parameters()}


def test_polyak_update_moves_the_target_a_fraction_tau_towards_the_online_network():
    q_net, target_net = constant_linear_net([1.0, 1.0]), constant_linear_net([0.0, 2.0])
    polyak_update(target_net, q_net, tau=0.25)
    torch.testing.assert_close(target_net.head.bias, torch.tensor([0.25, 1.75]))
    polyak_update(target_net, q_net, tau=1.0)
    torch.testing.assert_close(target_net.head.bias, q_net.head.bias)


def test_evaluate_greedy_gives_the_same_returns_as_evaluate_with_the_greedy_policy():
    torch.manual_seed(0)
    q_net = QNetwork(4, 2, (16,))
    with torch.no_grad():
        q_net.head.weight.copy_(torch.tensor([[0.0] * 16, [1.0] * 16]))  # make the policy state-dependent
    side_by_side = evaluate_greedy(q_net, "CartPole-v1", n_episodes=4, seed=500)
    one_by_one = evaluate(q_net_policy(q_net), "CartPole-v1", n_episodes=4, seed=500)
    np.testing.assert_array_equal(side_by_side, one_by_one)


# ----------------------------------------------------------------------------- train_dqn


@pytest.fixture(scope="module")
def tiny_result() -> DQNResult:
    return train_dqn(DQNConfig(**TINY), progress=False)


def test_train_dqn_returns_a_result_with_consistent_logs(tiny_result):
    r = tiny_result
    assert r.steps_done == 600 and not r.interrupted
    np.testing.assert_array_equal(r.eval_steps, [200, 400, 600])
    assert r.eval_returns.shape == (3,) and r.eval_episode_returns.shape == (3, 2)
    np.testing.assert_allclose(r.eval_returns, r.eval_episode_returns.mean(axis=1))
    assert np.all(np.diff(r.eval_seconds) >= 0) and r.seconds >= r.eval_seconds[-1]
    # CartPole pays 1 per step, so finished episodes' returns add up to the step the last one ended at
    assert r.episode_returns.sum() == r.episode_end_steps[-1]
    assert np.all(np.diff(r.episode_end_steps) > 0)
    # one gradient step every train_frequency (2) steps from learning_starts (100) on
    update_steps = [s for s in range(100, 601) if s % 2 == 0]
    np.testing.assert_array_equal(r.loss_steps, update_steps)
    assert r.losses.shape == (len(update_steps),) and np.all(np.isfinite(r.losses))
    assert isinstance(r.q_net, QNetwork) and r.q_net is r.last_q_net


def test_train_dqn_is_repeatable_with_the_same_seed(tiny_result):
    again = train_dqn(DQNConfig(**TINY), progress=False)
    np.testing.assert_array_equal(again.losses, tiny_result.losses)
    np.testing.assert_array_equal(again.episode_returns, tiny_result.episode_returns)
    other = train_dqn(DQNConfig(**{**TINY, "seed": 1}), progress=False)
    assert not np.array_equal(other.losses, tiny_result.losses)


def test_solved_step_is_the_first_evaluation_reaching_the_threshold(tiny_result):
    r = dataclasses.replace(tiny_result, eval_returns=np.array([100.0, 480.0, 490.0]))
    assert r.solved_step() == 400 and r.solved_step(threshold=485) == 600 and r.solved_step(threshold=500) is None
    assert r.solved_seconds() == r.eval_seconds[1]


def test_a_time_limit_cut_is_stored_with_its_real_next_obs_and_keeps_the_bootstrap(monkeypatch):
    added = []

    class RecordingBuffer(ReplayBuffer):
        def add(self, obs, action, reward, next_obs, terminated):
            added.append((np.array(obs), np.array(next_obs), bool(terminated)))
            super().add(obs, action, reward, next_obs, terminated)

    monkeypatch.setattr(dqn_module, "ReplayBuffer", RecordingBuffer)
    # Five steps are too few for the pole to fall: every episode is cut by the time limit.
    config = DQNConfig(**{**TINY, "total_steps": 50, "learning_starts": 50, "eval_interval": 0},
                       env_kwargs={"max_episode_steps": 5})
    result = train_dqn(config, progress=False)
    np.testing.assert_array_equal(result.episode_returns, [5.0] * 10)
    assert not any(terminated for _, _, terminated in added)
    for k in range(4, 45, 5):  # the last step of an episode, then the first of the next
        _, next_obs_at_cut, _ = added[k]
        first_obs_of_next, _, _ = added[k + 1]
        assert not np.array_equal(next_obs_at_cut, first_obs_of_next)  # the real next_obs, not the reset one
        np.testing.assert_array_equal(added[k - 1][1], added[k][0])  # within an episode, next_obs -> obs


def test_train_dqn_rejects_an_env_without_box_observations():
    with pytest.raises(ValueError, match="Box"):
        train_dqn(DQNConfig(**{**TINY, "env_id": "FrozenLake-v1"}), progress=False)


def test_train_dqn_rejects_an_env_without_discrete_actions():
    with pytest.raises(ValueError, match="Discrete"):
        train_dqn(DQNConfig(**{**TINY, "env_id": "Pendulum-v1"}), progress=False)


def test_keyboard_interrupt_returns_what_was_learned_so_far():
    def stop_at_250(step):
        if step == 250:
            raise KeyboardInterrupt

    result = train_dqn(DQNConfig(**TINY), progress=False, callback=stop_at_250)
    assert result.interrupted and result.steps_done == 250
    np.testing.assert_array_equal(result.eval_steps, [200])
    assert result.losses.size > 0 and isinstance(result.q_net, QNetwork)


def test_keyboard_interrupt_from_inside_the_environment_is_caught_too():
    calls = []
    real_make_env = dqn_module.make_env

    def make_env_that_breaks(env_id, **kwargs):
        env = real_make_env(env_id, **kwargs)
        inner_step = env.step

        def step(action):
            calls.append(action)
            if len(calls) == 123:
                raise KeyboardInterrupt  # as if Ctrl-C landed inside env.step
            return inner_step(action)

        env.step = step
        return env

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(dqn_module, "make_env", make_env_that_breaks)
        result = train_dqn(DQNConfig(**{**TINY, "eval_interval": 0}), progress=False)
    assert result.interrupted and result.steps_done == 122


def test_keep_best_returns_the_best_evaluated_network_and_the_last_one():
    result = train_dqn(DQNConfig(**{**TINY, "keep_best": True}), progress=False)
    best = int(np.flatnonzero(result.eval_returns == result.eval_returns.max())[-1])
    assert result.best_eval_step == result.eval_steps[best]
    assert result.last_q_net is not result.q_net
    again = evaluate_greedy(result.q_net, "CartPole-v1", 2, result.config.eval_seed)
    assert again.mean() == pytest.approx(result.eval_returns[best])


@pytest.mark.parametrize("variant", [dict(use_replay=False), dict(use_target_network=False),
                                     dict(tau=0.05, target_update_interval=1), dict(loss="mse", max_grad_norm=None),
                                     dict(dueling=True, double_dqn=False), dict(lr_final_fraction=0.0),
                                     dict(lr_final_fraction=0.1, lr_decay_steps=150)])
def test_every_variant_trains_without_error(variant):
    result = train_dqn(DQNConfig(**{**TINY, "total_steps": 300, "eval_interval": 0, **variant}), progress=False)
    assert result.losses.size > 0 and np.all(np.isfinite(result.losses))


def test_diagnostics_are_logged_once_per_gradient_step_when_asked():
    result = train_dqn(DQNConfig(**{**TINY, "total_steps": 300, "log_diagnostics": True}), progress=False)
    assert set(result.diagnostics) == {"q_mean", "td_error_abs", "grad_norm"}
    assert all(v.shape == result.losses.shape for v in result.diagnostics.values())
    assert np.all(result.diagnostics["grad_norm"] >= 0)


# ----------------------------------------------------------------------------- save / load


def test_save_and_load_agent_round_trip(tmp_path, tiny_result):
    path = tmp_path / "agent.pt"
    save_agent(path, tiny_result.q_net, tiny_result.config)
    q_net, config = load_agent(path)
    assert config == tiny_result.config
    obs = torch.randn(7, 4)
    torch.testing.assert_close(q_net(obs), tiny_result.q_net(obs))


def test_load_agent_rejects_a_file_save_agent_did_not_write(tmp_path):
    path = tmp_path / "other.pt"
    torch.save({"weights": torch.zeros(3)}, path)
    with pytest.raises(ValueError, match="save_agent"):
        load_agent(path)


# ----------------------------------------------------------------------------- several seeds


def test_train_dqn_seeds_in_processes_matches_runs_in_this_process():
    config = DQNConfig(**{**TINY, "total_steps": 300})
    results = train_dqn_seeds(config, seeds=[3, 4], n_workers=2, progress=False)
    assert [r.config.seed for r in results] == [3, 4]
    here = train_dqn(dataclasses.replace(config, seed=4), progress=False)
    np.testing.assert_array_equal(results[1].losses, here.losses)
    np.testing.assert_array_equal(results[1].eval_returns, here.eval_returns)


def test_train_dqn_runs_trains_different_configs_in_one_pool_in_their_order():
    short = DQNConfig(**{**TINY, "total_steps": 300, "seed": 2})
    configs = [short, dataclasses.replace(short, use_target_network=False), dataclasses.replace(short, seed=5)]
    results = train_dqn_runs(configs, n_workers=2, progress=False)
    assert [r.config for r in results] == configs
    here = train_dqn(configs[1], progress=False)
    np.testing.assert_array_equal(results[1].losses, here.losses)
    assert not np.array_equal(results[0].losses, results[1].losses)  # the target network made a difference


@pytest.mark.parametrize(
    "configs, n_workers, error, message",
    [
        ([], 2, ValueError, "at least one"),
        ([DQNConfig(**TINY), {"seed": 1}], 2, TypeError, "DQNConfig objects, got a dict"),
        ([DQNConfig(**TINY)], 0, ValueError, "n_workers"),
    ],
)
def test_train_dqn_runs_rejects_bad_arguments(configs, n_workers, error, message):
    with pytest.raises(error, match=message):
        train_dqn_runs(configs, n_workers=n_workers, progress=False)


def test_the_worker_processes_are_kept_for_the_next_call():
    from dqn_helpers import parallel

    config = DQNConfig(**{**TINY, "total_steps": 200, "eval_interval": 0})
    first = train_dqn_seeds(config, seeds=[0, 1], n_workers=2, progress=False)
    pids = set(parallel._pool.executor._processes)
    second = train_dqn_seeds(config, seeds=[0, 1], n_workers=2, progress=False)
    assert set(parallel._pool.executor._processes) == pids and len(pids) == 2
    for a, b in zip(first, second):  # a worker's earlier run leaves nothing behind
        np.testing.assert_array_equal(a.losses, b.losses)
    parallel.shutdown_workers()
    assert parallel._pool is None


def test_an_error_in_a_run_reaches_the_caller_and_the_workers_stay_usable():
    def bad_target(batch, q_net, target_net, gamma):
        return batch.rewards[:1]

    config = DQNConfig(**{**TINY, "total_steps": 300, "eval_interval": 0})
    with pytest.raises(ValueError, match="td_target hook must return"):
        train_dqn_seeds(config, seeds=[0, 1, 2], n_workers=2, progress=False, hooks=DQNHooks(td_target=bad_target))
    results = train_dqn_seeds(config, seeds=[0, 1], n_workers=2, progress=False)
    assert [r.steps_done for r in results] == [300, 300] and not any(r.interrupted for r in results)


def test_train_dqn_seeds_rejects_repeated_seeds():
    with pytest.raises(ValueError, match="distinct"):
        train_dqn_seeds(DQNConfig(**TINY), seeds=[1, 1])


def test_stopping_train_dqn_seeds_returns_the_runs_under_way():
    config = DQNConfig(**{**TINY, "total_steps": 1_000_000, "buffer_size": 10_000, "eval_interval": 0})

    def stop_once_running(steps):
        if steps > 0:
            raise KeyboardInterrupt  # what Ctrl-C / the stop button raises in the waiting loop

    results = train_dqn_seeds(config, seeds=[0, 1, 2], n_workers=2, progress=False, callback=stop_once_running,
                              batch=False)  # one run per task, so that one task is still queued
    assert 1 <= len(results) <= 2  # the third run never started
    assert all(r.interrupted and 0 < r.steps_done < 1_000_000 for r in results)


def test_train_dqn_seeds_works_inside_a_jupyter_kernel(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    code = (
        "from dqn_helpers import DQNConfig, train_dqn_seeds\n"
        f"config = DQNConfig(**{TINY!r})\n"
        "results = train_dqn_seeds(config, seeds=[0, 1], n_workers=2, progress=True)\n"
        "assert [r.config.seed for r in results] == [0, 1]\n"
        "assert all(r.steps_done == 600 for r in results)\n"
    )
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(ROOT)}})
    client.execute()  # raises CellExecutionError if the cell failed
    outputs = nb.cells[0].outputs
    assert not [o for o in outputs if o.output_type == "error"]


# ----------------------------------------------------------------------------- stops, divergence (issue 14)

# Smaller still: a run of about a second, with every log a stop could tear.
INTERRUPTIBLE = dict(TINY, total_steps=300, learning_starts=50, buffer_size=300, batch_size=16, eval_interval=100,
                     log_diagnostics=True, keep_best=True)


def _assert_consistent(result):
    assert result.losses.shape == result.loss_steps.shape
    for name, values in result.diagnostics.items():
        assert values.shape == result.losses.shape, name
    assert result.episode_returns.shape == result.episode_end_steps.shape
    n = result.eval_steps.size
    assert result.eval_returns.shape == (n,) and result.eval_seconds.shape == (n,)
    assert result.eval_episode_returns.shape == (n, result.config.eval_episodes)


def test_a_stop_that_leaves_grad_mode_off_is_undone_when_train_dqn_returns():
    def stop_inside_no_grad(step):
        if step == 120:
            torch.set_grad_enabled(False)  # where a Ctrl-C inside torch.no_grad().__exit__ leaves it
            raise KeyboardInterrupt

    result = train_dqn(DQNConfig(**INTERRUPTIBLE), progress=False, callback=stop_inside_no_grad)
    assert result.interrupted and torch.is_grad_enabled()
    assert not train_dqn(DQNConfig(**INTERRUPTIBLE), progress=False).interrupted


def test_train_dqn_trains_inside_no_grad_and_leaves_grad_mode_as_it_found_it():
    with torch.no_grad():
        result = train_dqn(DQNConfig(**INTERRUPTIBLE), progress=False)
        assert not torch.is_grad_enabled()
    plain = train_dqn(DQNConfig(**INTERRUPTIBLE), progress=False)
    np.testing.assert_array_equal(result.losses, plain.losses)


def test_a_stop_between_a_diagnostic_and_its_loss_leaves_arrays_of_one_length(monkeypatch):
    calls = []
    real_add_loss = dqn_module._RunLog.add_loss

    def add_loss_interrupted(self, loss, step):
        calls.append(step)
        if len(calls) == 40:  # dqn_update has appended the diagnostics; the loss is not in yet
            raise KeyboardInterrupt
        real_add_loss(self, loss, step)

    monkeypatch.setattr(dqn_module._RunLog, "add_loss", add_loss_interrupted)
    result = train_dqn(DQNConfig(**INTERRUPTIBLE), progress=False)
    assert result.interrupted and result.losses.size == 39
    _assert_consistent(result)


def test_many_stops_at_random_moments_leave_the_kernel_able_to_train(capsys):
    """100 interrupts, each at a random moment of a run, as Ctrl-C or the stop button deliver them."""
    import _thread
    import threading

    config = DQNConfig(**INTERRUPTIBLE)
    train_dqn(config, progress=False)  # the first run of a process pays for one-time set-up: do not time it
    t0 = time.perf_counter()
    train_dqn(config, progress=False)
    duration = time.perf_counter() - t0  # how long one run takes here
    rng = np.random.default_rng(0)
    n_interrupted = 0
    for i in range(100):
        timer = threading.Timer(float(rng.uniform(0, 1.2 * duration)), _thread.interrupt_main)
        try:
            try:
                timer.start()  # inside the try: on a busy machine a short timer can fire before start() returns
                result = train_dqn(config, progress=False)
                n_interrupted += result.interrupted
                _assert_consistent(result)
            finally:
                timer.join()
            time.sleep(0.01)  # an interrupt that came after the run is delivered here at the latest
        except KeyboardInterrupt:
            pass  # the stop landed outside the loop (before it started, or after the run returned)
        assert torch.is_grad_enabled() and not torch.is_inference_mode_enabled(), f"interrupt {i}"
        fresh = train_dqn(DQNConfig(**{**INTERRUPTIBLE, "total_steps": 120, "eval_interval": 60}), progress=False)
        assert not fresh.interrupted and fresh.losses.size > 0, f"interrupt {i}"
        _assert_consistent(fresh)
    with capsys.disabled():
        print(f"\n100 random interrupts, {n_interrupted} inside a run's loop; every next train_dqn trained")
    assert n_interrupted >= 50


_FIRST_CALL = """
import _thread, sys, threading
from dqn_helpers import DQNConfig, train_dqn
tiny = DQNConfig(total_steps=200, learning_starts=50, batch_size=16, buffer_size=200, hidden_sizes=(16,),
                 eval_interval=0, train_frequency=2, gradient_steps=1)
assert "torch._dynamo" not in sys.modules
timer = threading.Timer(float(sys.argv[1]), _thread.interrupt_main)
try:
    timer.start()
    train_dqn(tiny, progress=False)
except KeyboardInterrupt:
    pass
try:
    timer.join()
except KeyboardInterrupt:
    pass
try:
    result = train_dqn(tiny, progress=False)
except KeyboardInterrupt:  # the first run ended before the timer: the stop landed here instead
    result = train_dqn(tiny, progress=False)
assert not result.interrupted and result.losses.size > 0
print("trained again")
"""


@pytest.mark.parametrize("delay", [0.0, 0.05, 0.2, 0.5, 1.0, 2.0])
def test_a_stop_during_the_first_calls_lazy_imports_does_not_break_torch(delay):
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", _FIRST_CALL, str(delay)], capture_output=True, text=True,
                          timeout=300, cwd=ROOT)
    assert done.returncode == 0 and "trained again" in done.stdout, done.stderr[-2000:]


def test_diverged_training_is_reported_with_its_step():
    calls = []

    def td_target_that_goes_nan(batch, q_net, target_net, gamma):
        calls.append(1)
        target = batch.rewards + gamma * (1.0 - batch.terminated) * target_net(batch.next_obs).max(dim=1).values
        return target * float("nan") if len(calls) >= 5 else target

    with pytest.warns(RuntimeWarning, match=r"training diverged at environment step [\d,]+ \(gradient step 5\)"):
        result = train_dqn(DQNConfig(**{**TINY, "eval_interval": 0}), progress=False,
                           hooks=DQNHooks(td_target=td_target_that_goes_nan))
    assert result.diverged_step == result.loss_steps[4]
    assert np.isnan(result.losses[4]) and np.all(np.isfinite(result.losses[:4]))


def test_a_healthy_run_has_no_diverged_step(tiny_result):
    assert tiny_result.diverged_step is None
