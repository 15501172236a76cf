"""Specifications of the foundation helpers: seeding, make_env, evaluate, plotting."""

import random

import matplotlib

matplotlib.use("Agg")

import gymnasium as gym
import numpy as np
import pytest
import torch

from dqn_helpers import evaluate, make_env, moving_average, plot_learning_curves, seed_everything


def test_seed_everything_repeats_python_numpy_and_torch_draws():
    draws = []
    for _ in range(2):
        rng = seed_everything(123)
        draws.append((random.random(), np.random.rand(), torch.rand(1).item(), rng.random()))
    assert draws[0] == draws[1]
    seed_everything(124)
    assert random.random() != draws[0][0]


def test_seed_everything_returns_a_numpy_generator():
    assert isinstance(seed_everything(0), np.random.Generator)


@pytest.mark.parametrize("bad", [-1, 1.5, "3", None, True])
def test_seed_everything_rejects_a_bad_seed_by_name(bad):
    with pytest.raises((TypeError, ValueError), match="seed"):
        seed_everything(bad)


def test_make_env_names_close_ids_for_a_typo():
    with pytest.raises(ValueError, match="CartPole-v1") as info:
        make_env("CartPool-v1")
    assert "CartPool-v1" in str(info.value)


def test_make_env_suggests_the_current_version_of_an_old_id():
    with pytest.raises(ValueError, match="Taxi-v4"):
        make_env("Taxi-v3")


def test_make_env_with_a_seed_repeats_the_first_observation_and_action_samples():
    firsts = []
    for _ in range(2):
        env = make_env("CartPole-v1", seed=7)
        obs, _ = env.reset()
        firsts.append((obs.tolist(), [env.action_space.sample() for _ in range(5)]))
        env.close()
    assert firsts[0] == firsts[1]


def test_make_env_passes_keyword_arguments_to_gymnasium():
    env = make_env("FrozenLake-v1", map_name="8x8")
    assert env.observation_space.n == 64
    env.close()


def test_evaluate_returns_one_return_per_episode_and_repeats_with_a_seed():
    env = make_env("CartPole-v1")
    left = lambda obs: 0  # noqa: E731
    a = evaluate(left, "CartPole-v1", n_episodes=5, seed=10)
    b = evaluate(left, "CartPole-v1", n_episodes=5, seed=10)
    assert a.shape == (5,) and a.dtype == np.float64
    np.testing.assert_array_equal(a, b)
    assert (a >= 8).all() and (a < 20).all()  # always pushing left falls over fast
    env.close()


def test_evaluate_matches_a_hand_written_episode_loop():
    policy = lambda obs: int(obs[2] > 0)  # noqa: E731  push towards the side the pole leans
    returns = evaluate(policy, "CartPole-v1", n_episodes=3, seed=100)
    env = gym.make("CartPole-v1")
    for i, expected in enumerate(returns):
        obs, _ = env.reset(seed=100 + i)
        total, done = 0.0, False
        while not done:
            obs, r, term, trunc, _ = env.step(policy(obs))
            total += r
            done = term or trunc
        assert total == expected


def test_evaluate_accepts_tensor_actions_and_an_env_object():
    env = make_env("FrozenLake-v1")
    returns = evaluate(lambda obs: torch.tensor(2), env, n_episodes=3, seed=0)
    assert returns.shape == (3,)
    assert set(returns.tolist()) <= {0.0, 1.0}


def test_evaluate_max_episode_steps_stops_an_endless_policy():
    # On CliffWalking (no time limit) always moving up from the start never ends.
    returns = evaluate(lambda obs: 0, "CliffWalking-v1", n_episodes=2, seed=0, max_episode_steps=30)
    np.testing.assert_array_equal(returns, [-30.0, -30.0])


@pytest.mark.parametrize("n", [0, -3])
def test_evaluate_rejects_too_few_episodes_by_name(n):
    with pytest.raises(ValueError, match="n_episodes"):
        evaluate(lambda obs: 0, "CartPole-v1", n_episodes=n, seed=0)


@pytest.mark.parametrize("bad_action", [2, -1, "left", 0.5])
def test_evaluate_rejects_an_invalid_action_naming_the_policy(bad_action):
    with pytest.raises(ValueError, match="policy returned action"):
        evaluate(lambda obs: bad_action, "CartPole-v1", n_episodes=1, seed=0)


def test_evaluate_rejects_a_policy_that_is_not_callable():
    with pytest.raises(TypeError, match="policy"):
        evaluate(0, "CartPole-v1", n_episodes=1, seed=0)


def test_moving_average_averages_a_trailing_window():
    np.testing.assert_allclose(moving_average([1, 2, 3, 4], 2), [1, 1.5, 2.5, 3.5])
    np.testing.assert_allclose(moving_average([[0, 2], [4, 4]], 5), [[0, 1], [4, 4]])
    with pytest.raises(ValueError, match="window"):
        moving_average([1, 2], 0)


def test_plot_learning_curves_draws_the_mean_and_names_the_seed_count():
    curves = {"a": np.array([[0.0, 1.0, 2.0], [2.0, 3.0, 4.0]]), "b": np.ones((3, 3))}
    ax = plot_learning_curves(curves, x=[10, 20, 30], xlabel="environment steps")
    lines = ax.get_lines()
    np.testing.assert_allclose(lines[0].get_ydata(), [1.0, 2.0, 3.0])
    np.testing.assert_allclose(lines[0].get_xdata(), [10, 20, 30])
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["a (2 seeds)", "b (3 seeds)"]
    assert len(ax.collections) == 2  # one shaded band per curve
    assert ax.get_xlabel() == "environment steps"
    assert ax.get_legend().get_title().get_text() == "line: mean; band: +-1 std over seeds"


def test_plot_learning_curves_names_its_band_and_clips_it_to_possible_values():
    curves = np.array([[0.0, 10.0, 500.0], [0.0, 490.0, 500.0], [30.0, 250.0, 400.0]])
    ax = plot_learning_curves(curves, band="std", clip=(0, 500), legend_loc="lower right")
    band = ax.collections[0].get_paths()[0].vertices[:, 1]
    assert band.min() >= 0 and band.max() <= 500
    unclipped = plot_learning_curves(curves, band="std").collections[0].get_paths()[0].vertices[:, 1]
    assert unclipped.min() < 0 and unclipped.max() > 500        # the same data goes out of range without clip
    assert plot_learning_curves(curves, band="minmax").get_legend().get_title().get_text() == (
        "line: mean; band: lowest to highest seed")


def test_plot_learning_curves_rejects_ragged_seeds_and_mismatched_x():
    with pytest.raises(ValueError, match="one row per seed"):
        plot_learning_curves({"a": [[1, 2], [1]]})
    with pytest.raises(ValueError, match="x has shape"):
        plot_learning_curves(np.ones((2, 3)), x=[1, 2])
