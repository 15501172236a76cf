"""Specifications of DQNHooks: pieces of train_dqn's loop replaced by a notebook's own functions."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from dqn_helpers import DQNConfig, DQNHooks, ReplayBuffer, linear_schedule, train_dqn, train_dqn_seeds

ROOT = Path(__file__).resolve().parents[1]

# A run short enough for a unit test (plain DQN targets, so a hand-written target can match them).
TINY = DQNConfig(total_steps=400, learning_starts=100, buffer_size=500, batch_size=32, train_frequency=4,
                 gradient_steps=1, target_update_interval=50, exploration_steps=200, hidden_sizes=(16,),
                 eval_interval=200, eval_episodes=2, keep_best=False, double_dqn=False, log_diagnostics=True)


def _plain_td_target(batch, q_net, target_net, gamma):
    return batch.rewards + gamma * (1.0 - batch.terminated) * target_net(batch.next_obs).max(dim=1).values


def _huber_loss(q_values, actions, td_target):
    return F.smooth_l1_loss(q_values.gather(1, actions.unsqueeze(1)).squeeze(1), td_target)


def _same_run(a, b) -> bool:
    return (np.array_equal(a.episode_returns, b.episode_returns) and np.array_equal(a.losses, b.losses)
            and all(torch.equal(p, q) for p, q in zip(a.q_net.parameters(), b.q_net.parameters())))


def test_hooks_that_restate_the_loop_reproduce_it_bit_for_bit():
    config = TINY
    restated = DQNHooks(
        make_buffer=lambda capacity, obs_shape, seed: ReplayBuffer(capacity, obs_shape, seed=seed),
        stored_done=lambda terminated, truncated: terminated,
        td_target=_plain_td_target,
        loss=_huber_loss,
        epsilon=lambda step, episode: linear_schedule(config.epsilon_start, config.epsilon_end,
                                                      config.exploration_steps, step),
        should_train=lambda step, episode_ended: step % config.train_frequency == 0,
    )
    assert _same_run(train_dqn(config, progress=False, hooks=restated), train_dqn(config, progress=False))


def test_every_hook_is_called_with_what_its_docstring_promises():
    calls = {name: [] for name in ("make_buffer", "stored_done", "td_target", "loss", "epsilon", "should_train")}

    def make_buffer(capacity, obs_shape, seed):
        calls["make_buffer"].append((capacity, obs_shape, seed))
        return ReplayBuffer(capacity, obs_shape, seed=seed)

    def stored_done(terminated, truncated):
        calls["stored_done"].append((terminated, truncated))
        return terminated

    def td_target(batch, q_net, target_net, gamma):
        calls["td_target"].append((batch.rewards.shape, gamma, torch.is_grad_enabled()))
        return _plain_td_target(batch, q_net, target_net, gamma)

    def loss(q_values, actions, td_target):
        calls["loss"].append((q_values.shape, actions.dtype, td_target.shape))
        return _huber_loss(q_values, actions, td_target)

    def epsilon(step, episode):
        calls["epsilon"].append((step, episode))
        return 0.5

    def should_train(step, episode_ended):
        calls["should_train"].append((step, episode_ended))
        return episode_ended

    result = train_dqn(TINY, progress=False, hooks=DQNHooks(make_buffer, stored_done, td_target, loss, epsilon,
                                                            should_train))
    n_steps = TINY.total_steps
    assert calls["make_buffer"] == [(TINY.buffer_size, (4,), calls["make_buffer"][0][2])]
    assert len(calls["stored_done"]) == n_steps
    assert [s for s, _ in calls["epsilon"]] == list(range(n_steps))  # 0-based steps
    episodes = np.array([e for _, e in calls["epsilon"]])
    assert episodes[0] == 1 and episodes[-1] == len(result.episode_returns) + 1
    assert set(np.diff(episodes)) <= {0, 1}
    # should_train is asked from learning_starts on; rounds run exactly when an episode ended there.
    asked = calls["should_train"]
    assert asked and all(step >= TINY.learning_starts for step, _ in asked)
    n_rounds = sum(ended for _, ended in asked)
    assert n_rounds > 0 and len(result.losses) == n_rounds * TINY.gradient_steps
    assert set(result.loss_steps) <= set(result.episode_end_steps)
    assert len(calls["td_target"]) == len(calls["loss"]) == len(result.losses)
    assert calls["td_target"][0] == (torch.Size([TINY.batch_size]), TINY.gamma, False)  # under no_grad
    assert calls["loss"][0] == (torch.Size([TINY.batch_size, 2]), torch.int64, torch.Size([TINY.batch_size]))


def test_stored_done_decides_what_the_buffer_stores_as_terminated():
    buffers = []

    def make_buffer(capacity, obs_shape, seed):
        buffers.append(ReplayBuffer(capacity, obs_shape, seed=seed))
        return buffers[-1]

    # A 15-step time limit, so that many episodes are cut (random play lasts about 22 steps).
    config = DQNConfig(**{**TINY.__dict__, "env_kwargs": {"max_episode_steps": 15}, "eval_interval": 0})
    stored_ones = {}
    for name, stored_done in [("default", None), ("every end", lambda terminated, truncated: terminated or truncated)]:
        result = train_dqn(config, progress=False, hooks=DQNHooks(make_buffer=make_buffer, stored_done=stored_done))
        assert len(buffers[-1]) == config.total_steps  # it holds every transition
        stored_ones[name] = buffers[-1].terminated.sum()
        n_episodes = len(result.episode_returns)
    assert stored_ones["every end"] == n_episodes  # falls and time-limit cuts alike
    assert stored_ones["default"] < stored_ones["every end"]  # cuts are not stored as terminal


def test_epsilon_hook_sets_the_exploration_rate():
    greedy_only = train_dqn(TINY, progress=False, hooks=DQNHooks(epsilon=lambda step, episode: 0.0))
    explore_only = train_dqn(TINY, progress=False, hooks=DQNHooks(epsilon=lambda step, episode: 1.0))
    # An untrained greedy network repeats one action in CartPole and falls fast; random play lasts longer.
    assert greedy_only.episode_returns[:5].mean() < explore_only.episode_returns[:5].mean()


@pytest.mark.parametrize("field", ["make_buffer", "stored_done", "td_target", "loss", "epsilon", "should_train"])
def test_a_hook_that_is_not_a_function_raises_a_type_error_naming_it(field):
    with pytest.raises(TypeError, match=f"DQNHooks.{field} must be a function"):
        DQNHooks(**{field: 0.5})


def test_train_dqn_and_train_dqn_seeds_reject_hooks_that_are_not_dqnhooks():
    with pytest.raises(TypeError, match="hooks must be a DQNHooks"):
        train_dqn(TINY, progress=False, hooks={"loss": _huber_loss})
    with pytest.raises(TypeError, match="hooks must be a DQNHooks"):
        train_dqn_seeds(TINY, [0, 1], hooks=_huber_loss)


def test_a_td_target_hook_of_the_wrong_shape_raises_a_value_error():
    wrong = DQNHooks(td_target=lambda batch, q_net, target_net, gamma: target_net(batch.next_obs))  # (B, 2)
    with pytest.raises(ValueError, match="td_target hook must return a Tensor of shape"):
        train_dqn(TINY, progress=False, hooks=wrong)


def test_a_loss_hook_that_is_not_a_scalar_raises_a_value_error():
    per_sample = DQNHooks(loss=lambda q_values, actions, td_target: (q_values.max(dim=1).values - td_target) ** 2)
    with pytest.raises(ValueError, match="loss hook must return a scalar"):
        train_dqn(TINY, progress=False, hooks=per_sample)


def test_hooks_defined_in_a_notebooks_main_reach_the_spawned_workers(tmp_path):
    # A spawned worker cannot import a notebook's __main__: the hooks must travel by value.
    script = tmp_path / "hooks_in_main.py"
    script.write_text(textwrap.dedent(f"""
        from dqn_helpers import DQNConfig, DQNHooks, train_dqn_seeds

        def never_train(step, episode_ended):
            return False

        def short_episodes(terminated, truncated):
            return terminated or truncated

        if __name__ == "__main__":
            config = DQNConfig(**{{**{TINY.__dict__!r}, "eval_interval": 0}})
            results = train_dqn_seeds(config, [0, 1], n_workers=2, progress=False,
                                      hooks=DQNHooks(should_train=never_train, stored_done=short_episodes))
            assert len(results) == 2 and all(r.losses.size == 0 for r in results), "never_train did not run"
            print("hooks ran in", len(results), "workers")
    """))
    done = subprocess.run([sys.executable, str(script)], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr[-3000:]
    assert "hooks ran in 2 workers" in done.stdout
