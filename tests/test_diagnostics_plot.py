"""Specification of the overestimation measure (dqn_helpers.diagnostics) and plotting.plot_diagnostics."""

from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from dqn_helpers.diagnostics import StartStateValues, start_state_values  # noqa: E402
from dqn_helpers.plotting import plot_diagnostics  # noqa: E402


class ConstantQ(nn.Module):
    """Q(s, a) = values[a] for every state (a batch of them)."""

    def __init__(self, values):
        super().__init__()
        self.values = nn.Parameter(torch.tensor(values, dtype=torch.float32))

    def forward(self, obs):
        return self.values.expand(obs.shape[0], -1)


def fake_result(steps, **diagnostics):
    return SimpleNamespace(loss_steps=np.asarray(steps), diagnostics={k: np.asarray(v, float) for k, v in diagnostics.items()})


# ----------------------------------------------------------------------------- start_state_values


def test_q_start_is_the_largest_q_value_at_the_first_observation():
    values = start_state_values(ConstantQ([3.0, 7.0]), "CartPole-v1", n_episodes=2, seed=10_000, gamma=0.99)
    np.testing.assert_array_equal(values.q_start, [7.0, 7.0])


def test_discounted_return_weights_reward_t_by_gamma_to_the_t():
    # Always pushing right ends CartPole after a few steps with reward 1 each.
    values = start_state_values(ConstantQ([0.0, 1.0]), "CartPole-v1", n_episodes=3, seed=10_000, gamma=0.9)
    lengths = values.episode_return
    assert np.all(lengths > 0) and np.all(lengths < 100)
    np.testing.assert_allclose(values.discounted_return, (1 - 0.9**lengths) / (1 - 0.9))


def test_gamma_one_gives_the_undiscounted_return():
    values = start_state_values(ConstantQ([1.0, 0.0]), "CartPole-v1", n_episodes=2, seed=10_000, gamma=1.0)
    np.testing.assert_allclose(values.discounted_return, values.episode_return)


def test_gap_is_positive_when_the_network_overestimates():
    values = StartStateValues(np.array([10.0, 2.0]), np.array([4.0, 5.0]), np.array([4.0, 5.0]), 1.0)
    np.testing.assert_array_equal(values.gap, [6.0, -3.0])


def test_episode_i_resets_with_seed_plus_i():
    first = start_state_values(ConstantQ([0.0, 1.0]), "CartPole-v1", n_episodes=3, seed=10_000, gamma=0.99)
    shifted = start_state_values(ConstantQ([0.0, 1.0]), "CartPole-v1", n_episodes=2, seed=10_001, gamma=0.99)
    np.testing.assert_array_equal(first.episode_return[1:], shifted.episode_return)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(q_net=lambda obs: obs), TypeError, "q_net must be a torch.nn.Module"),
        (dict(n_episodes=0), ValueError, "n_episodes must be a positive int"),
        (dict(gamma=1.5), ValueError, "gamma must be in \\[0, 1\\]"),
        (dict(env_id="NoSuchEnv-v0"), ValueError, "NoSuchEnv"),
    ],
)
def test_bad_arguments_are_named(kwargs, error, message):
    arguments = dict(q_net=ConstantQ([0.0, 1.0]), env_id="CartPole-v1", n_episodes=1, seed=0, gamma=0.99) | kwargs
    with pytest.raises(error, match=message):
        start_state_values(**arguments)


# ----------------------------------------------------------------------------- plot_diagnostics


def test_one_panel_per_diagnostic_with_one_curve_per_label():
    runs = [fake_result([100, 200, 300, 400], q_mean=[1, 2, 3, 4], td_error_abs=[1, 1, 1, 1], grad_norm=[5, 5, 5, 5])
            for _ in range(3)]
    axes = plot_diagnostics({"DQN": runs, "Double DQN": runs[:2]}, n_bins=2)
    assert len(axes) == 3
    labels = [t.get_text() for t in axes[0].get_legend().get_texts()]
    assert labels == ["DQN (3 seeds)", "Double DQN (2 seeds)"]
    assert axes[0].get_xlabel() == "environment steps"
    plt.close("all")


def test_values_are_averaged_within_each_window_of_steps():
    run = fake_result([0, 10, 20, 30], q_mean=[1.0, 3.0, 10.0, 20.0])
    ax = plot_diagnostics([run], keys=["q_mean"], n_bins=2)[0]
    x, y = ax.get_lines()[0].get_data()
    np.testing.assert_allclose(x, [7.5, 22.5])
    np.testing.assert_allclose(y, [2.0, 15.0])
    plt.close("all")


def test_seeds_are_averaged_point_by_point():
    a = fake_result([0, 10], q_mean=[1.0, 2.0])
    b = fake_result([0, 10], q_mean=[3.0, 6.0])
    ax = plot_diagnostics([a, b], keys=["q_mean"], n_bins=2)[0]
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), [2.0, 4.0])
    plt.close("all")


def test_a_reference_value_is_drawn_as_a_dashed_line():
    run = fake_result([0, 10], q_mean=[1.0, 2.0])
    ax = plot_diagnostics([run], keys=["q_mean"], reference={"q_mean": (99.3, "perfect episode")})[0]
    dashed = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert len(dashed) == 1 and dashed[0].get_ydata()[0] == 99.3
    assert "perfect episode" in [t.get_text() for t in ax.get_legend().get_texts()]
    assert ax.get_legend().get_title().get_text() == "line: mean; band: +-1 std over seeds", "the band keeps its name"
    plt.close("all")


def test_a_run_without_diagnostics_says_how_to_log_them():
    run = fake_result([0, 10], q_mean=[1.0, 2.0])
    with pytest.raises(ValueError, match="log_diagnostics=True"):
        plot_diagnostics([run], keys=["grad_norm"])
    with pytest.raises(TypeError, match="like a DQNResult"):
        plot_diagnostics([object()])
    with pytest.raises(ValueError, match="n_bins"):
        plot_diagnostics([run], keys=["q_mean"], n_bins=0)
    plt.close("all")


def test_plots_a_real_training_run():
    from dqn_helpers import DQNConfig, train_dqn

    result = train_dqn(DQNConfig(total_steps=400, learning_starts=100, eval_interval=0, log_diagnostics=True,
                                 hidden_sizes=(8,)), progress=False)
    axes = plot_diagnostics(result, n_bins=5)
    for ax in axes:
        assert np.all(np.isfinite(ax.get_lines()[0].get_ydata()))
    plt.close("all")
