"""Specifications of dqn_helpers.widgets: the Q-learning explorer and its static figure."""

import matplotlib

matplotlib.use("Agg")

import gymnasium as gym
import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import pytest

from dqn_helpers.widgets import q_learning_explorer, q_learning_figure


@pytest.fixture
def env():
    env = gym.make("FrozenLake-v1")
    yield env
    env.close()


def test_the_figure_shows_the_learned_grid_and_the_success_curve(env):
    fig, stats = q_learning_figure(env, n_episodes=500)
    assert len(fig.axes) >= 2  # grid (plus its colour bar) and curve
    assert stats["q"].shape == (16, 4)
    assert 0.0 <= stats["success"] <= stats["optimum"] + 1e-12
    assert stats["optimum"] == pytest.approx(0.740, abs=0.001)
    plt.close(fig)


def test_the_figure_follows_its_hyper_parameters(env):
    _, slow = q_learning_figure(env, alpha=0.05, n_episodes=500)
    _, fast = q_learning_figure(env, alpha=0.9, n_episodes=500)
    assert not np.array_equal(slow["q"], fast["q"])
    plt.close("all")


def test_the_explorer_has_five_sliders_that_update_on_release(env):
    explorer = q_learning_explorer(env)
    sliders = [w for box in explorer.children if isinstance(box, widgets.HBox) for w in box.children]
    assert len(sliders) == 5
    names = " ".join(s.description for s in sliders)
    for word in ("alpha", "gamma", "epsilon", "decay", "episodes"):
        assert word in names
    assert all(not s.continuous_update for s in sliders)
    assert isinstance(explorer.children[-1], widgets.Output)
    plt.close("all")
