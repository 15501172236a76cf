"""Specification of dqn_helpers.baselines: Stable-Baselines3's DQN measured with our yardstick."""

import numpy as np
import pytest

from dqn_helpers.baselines import RL_ZOO_DQN, SB3Result, batch_greedy_policy, train_sb3_dqn, zoo_settings

pytest.importorskip("stable_baselines3")

TINY = dict(learning_rate=1e-3, batch_size=16, buffer_size=1_000, learning_starts=100, train_freq=4,
            gradient_steps=1, target_update_interval=50, policy_kwargs=dict(net_arch=[16]))


def test_zoo_settings_give_sb3_keywords_and_the_zoo_budget_separately():
    settings, budget = zoo_settings("CartPole-v1")
    assert budget == RL_ZOO_DQN["CartPole-v1"]["n_timesteps"]
    assert "n_timesteps" not in settings
    assert settings["policy_kwargs"] == {"net_arch": [256, 256]}


def test_zoo_settings_are_a_copy_the_caller_may_change():
    settings, _ = zoo_settings("Acrobot-v1")
    settings["policy_kwargs"]["net_arch"].append(1)
    settings["learning_rate"] = 0.5
    again, _ = zoo_settings("Acrobot-v1")
    assert again["policy_kwargs"]["net_arch"] == [256, 256]
    assert again["learning_rate"] == RL_ZOO_DQN["Acrobot-v1"]["learning_rate"]


def test_zoo_settings_name_the_known_environments_for_an_unknown_one():
    with pytest.raises(ValueError, match="env_id must be one of"):
        zoo_settings("Pong-v5")


def test_a_short_run_is_evaluated_every_interval_on_the_evaluation_seeds():
    result = train_sb3_dqn("CartPole-v1", TINY, total_steps=600, seed=3, eval_interval=200, eval_episodes=2)
    assert isinstance(result, SB3Result)
    assert result.eval_steps.tolist() == [200, 400, 600]
    assert result.eval_episode_returns.shape == (3, 2)
    np.testing.assert_allclose(result.eval_returns, result.eval_episode_returns.mean(axis=1))
    assert np.all(np.diff(result.eval_seconds) >= 0) and result.seconds >= result.eval_seconds[-1]
    assert result.steps_done == 600 and result.final_eval_return == result.eval_returns[-1]
    # The last evaluation scores the returned model on seeds 10,000 and 10,001, as our evaluate() does.
    from dqn_helpers import evaluate

    again = evaluate(batch_greedy_policy(result.model.q_net), "CartPole-v1", 2, 10_000)
    np.testing.assert_array_equal(again, result.eval_episode_returns[-1])


def test_the_same_seed_gives_the_same_run():
    first = train_sb3_dqn("CartPole-v1", TINY, total_steps=300, seed=1, eval_interval=150, eval_episodes=2)
    second = train_sb3_dqn("CartPole-v1", TINY, total_steps=300, seed=1, eval_interval=150, eval_episodes=2)
    np.testing.assert_array_equal(first.eval_episode_returns, second.eval_episode_returns)


def test_solved_step_is_the_first_evaluation_reaching_the_threshold():
    result = SB3Result("CartPole-v1", {}, 0, None, np.array([10, 20, 30]), np.array([5.0, 9.0, 7.0]),
                       np.zeros((3, 1)), np.array([1.0, 2.0, 3.0]), 30, 3.5)
    assert result.solved_step(9.0) == 20 and result.solved_seconds(9.0) == 2.0
    assert result.solved_step(6.0) == 20
    assert result.solved_step(10.0) is None and result.solved_seconds(10.0) is None


def test_the_run_restores_torch_thread_count():
    import torch

    before = torch.get_num_threads()
    train_sb3_dqn("CartPole-v1", TINY, total_steps=120, seed=0, eval_interval=120, eval_episodes=1, threads=1)
    assert torch.get_num_threads() == before


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(settings=TINY, total_steps=None), "total_steps must be given"),
        (dict(settings=TINY, total_steps=0), "total_steps must be a positive int"),
        (dict(settings=TINY, total_steps=100, eval_interval=0), "eval_interval"),
        (dict(settings=TINY, total_steps=100, eval_episodes=0), "eval_episodes"),
        (dict(settings=TINY, total_steps=100, seed=10_003), "keep training and evaluation seeds apart"),
        (dict(settings=TINY | {"learning_rat": 1e-3}, total_steps=100), "does not take: \\['learning_rat'\\]"),
        (dict(settings=TINY | {"seed": 4}, total_steps=100), "must not contain 'seed'"),
        (dict(settings=TINY, total_steps=100, threads=0), "threads"),
    ],
)
def test_bad_arguments_are_named_in_the_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        train_sb3_dqn("CartPole-v1", **kwargs)


def test_settings_of_the_wrong_kind_are_a_type_error():
    with pytest.raises(TypeError, match="settings must be a dict"):
        train_sb3_dqn("CartPole-v1", [1, 2], total_steps=100)


def test_batch_greedy_policy_picks_the_argmax_of_a_batch_of_one():
    import torch
    from torch import nn

    class Fixed(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.tensor([[0.0, 1.0, -1.0]]))

        def forward(self, obs):
            assert obs.shape == (1, 2), "the policy must pass a batch of one"
            return obs.sum(dim=1, keepdim=True) * self.w

    policy = batch_greedy_policy(Fixed())
    assert policy(np.array([1.0, 2.0])) == 1
    assert policy(np.array([-1.0, -2.0])) == 2
