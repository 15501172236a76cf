"""Interactive explorers for the notebooks (ipywidgets sliders that re-train and redraw).

Every explorer has a plain function behind it that draws one figure
(:func:`q_learning_figure`), so that a notebook viewed without a widget
front end (GitHub, nbval) can still show the picture.
"""

from __future__ import annotations

import time

import gymnasium as gym
import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np

from .plotting import FROZEN_LAKE_DIRECTIONS, plot_grid_policy
from .validation import check_int, check_seed
from .tabular import (
    greedy_policy,
    policy_value,
    q_learning,
    suboptimal_states,
    tabular_model,
    time_limit,
    value_iteration,
)

__all__ = ["q_learning_explorer", "q_learning_figure"]

DEFAULTS = dict(alpha=0.05, gamma=0.99, epsilon=1.0, epsilon_decay=0.999, n_episodes=4000)
N_CHECKPOINTS = 40


def q_learning_figure(
    env: gym.Env,
    alpha: float = DEFAULTS["alpha"],
    gamma: float = DEFAULTS["gamma"],
    epsilon: float = DEFAULTS["epsilon"],
    epsilon_decay: float = DEFAULTS["epsilon_decay"],
    n_episodes: int = DEFAULTS["n_episodes"],
    *,
    seed: int = 0,
    epsilon_min: float = 0.05,
) -> tuple[plt.Figure, dict]:
    """Train Q-learning on a FrozenLake map and draw what it learned beside the curve.

    Left: the learned Q-table on the grid (colour ``max_a Q``, arrows the
    greedy policy, red frames where its action is not optimal under ``Q*``).
    Right: the success rate of the greedy policy, computed exactly from the
    environment's model under its time limit, every ``n_episodes / 40``
    episodes, with the optimum dashed.

    Args:
        env: a ``FrozenLake-v1`` environment (any map).
        alpha, gamma, epsilon, epsilon_decay, n_episodes, seed, epsilon_min:
            passed to :func:`~dqn_helpers.tabular.q_learning`.

    Returns:
        ``(figure, stats)`` where ``stats`` holds ``q`` (the learned table),
        ``success`` (final greedy success rate), ``optimum`` and ``seconds``
        (training time).
    """
    n_episodes = check_int(n_episodes, "n_episodes", minimum=1)
    if not hasattr(getattr(env, "unwrapped", None), "desc"):
        raise ValueError(f"env must be a FrozenLake-v1 environment (one with a map, env.unwrapped.desc), got {env!r}")
    model = tabular_model(env)
    horizon = time_limit(env)
    q_star = value_iteration(env, 1.0)
    q_star_policy = greedy_policy(q_star)
    optimum = float(model.initial @ policy_value(model, q_star_policy, horizon=horizon))
    every = max(1, n_episodes // N_CHECKPOINTS)
    episodes, success = [], []

    def track(episode: int, q: np.ndarray) -> None:
        if (episode + 1) % every == 0:
            episodes.append(episode + 1)
            success.append(model.initial @ policy_value(model, greedy_policy(q), horizon=horizon))

    start = time.perf_counter()
    q, _ = q_learning(env, n_episodes, alpha, gamma, epsilon, seed,
                      epsilon_decay=epsilon_decay, epsilon_min=epsilon_min, callback=track)
    seconds = time.perf_counter() - start

    desc = env.unwrapped.desc
    worse = suboptimal_states(q, q_star)
    fig, (ax_grid, ax_curve) = plt.subplots(1, 2, figsize=(10, 4), gridspec_kw=dict(width_ratios=[1, 1.3]))
    plot_grid_policy(q, desc, FROZEN_LAKE_DIRECTIONS, ax=ax_grid, highlight=worse, vmin=0, vmax=1,
                     title=f"learned policy: {worse.sum()} state(s) not optimal (red)")
    ax_curve.plot(episodes, success, label="greedy policy of Q (1 seed)")
    ax_curve.axhline(optimum, color="k", ls="--", label=f"optimum {optimum:.3f}")
    ax_curve.set_xlabel("training episode")
    ax_curve.set_ylabel(f"success rate within {horizon} steps")
    ax_curve.set_ylim(0, 1)
    ax_curve.set_title(f"alpha={alpha:g}, gamma={gamma:g}, epsilon={epsilon:g}, decay={epsilon_decay:g}: "
                       f"{success[-1]:.3f}", fontsize=10)
    ax_curve.legend(loc="lower right")
    ax_curve.grid(alpha=0.3)
    fig.tight_layout()
    return fig, dict(q=q, success=float(success[-1]), optimum=optimum, seconds=seconds)


def q_learning_explorer(env: gym.Env, *, seed: int = 0) -> widgets.VBox:
    """Sliders for alpha, gamma, epsilon, its decay and the number of episodes.

    Releasing a slider re-trains Q-learning (``seed`` fixed, so only the
    slider changes the result) and redraws :func:`q_learning_figure` below
    the sliders.  Display the returned widget in a notebook.
    """
    if not hasattr(getattr(env, "unwrapped", None), "desc"):
        raise ValueError(f"env must be a FrozenLake-v1 environment (one with a map, env.unwrapped.desc), got {env!r}")
    seed = check_seed(seed)
    style = dict(description_width="initial")
    layout = widgets.Layout(width="320px")

    def slider(cls, description, value, low, high, step, fmt=None):
        extra = dict(readout_format=fmt) if fmt else {}
        return cls(value=value, min=low, max=high, step=step, description=description,
                   continuous_update=False, style=style, layout=layout, **extra)

    controls = dict(
        alpha=slider(widgets.FloatSlider, "alpha (step size)", DEFAULTS["alpha"], 0.01, 1.0, 0.01),
        gamma=slider(widgets.FloatSlider, "gamma (discount)", DEFAULTS["gamma"], 0.5, 1.0, 0.01),
        epsilon=slider(widgets.FloatSlider, "epsilon (start)", DEFAULTS["epsilon"], 0.0, 1.0, 0.05),
        epsilon_decay=slider(widgets.FloatSlider, "epsilon decay / episode", DEFAULTS["epsilon_decay"],
                             0.99, 1.0, 0.0005, ".4f"),
        n_episodes=slider(widgets.IntSlider, "episodes", DEFAULTS["n_episodes"], 500, 6000, 500),
    )

    def redraw(**values) -> None:
        fig, _ = q_learning_figure(env, seed=seed, **values)
        plt.show()
        plt.close(fig)

    output = widgets.interactive_output(redraw, controls)
    sliders = list(controls.values())
    return widgets.VBox([widgets.HBox(sliders[:3]), widgets.HBox(sliders[3:]), output])
