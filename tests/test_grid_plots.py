"""Specifications of the grid-world pictures in dqn_helpers.plotting."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from dqn_helpers.plotting import CLIFF_DIRECTIONS, FROZEN_LAKE_DIRECTIONS, plot_grid_path, plot_grid_policy

LAKE = ["SFFF", "FHFH", "FFFH", "HFFG"]


def _arrows(ax):
    return [a for a in ax.texts if a.get_text() == "" and getattr(a, "arrow_patch", None) is not None]


def test_every_cell_but_holes_and_goal_gets_one_arrow_pointing_its_greedy_way():
    q = np.zeros((16, 4))
    q[:, 2] = 1.0  # always right
    ax = plot_grid_policy(q, LAKE, FROZEN_LAKE_DIRECTIONS)
    arrows = _arrows(ax)
    assert len(arrows) == 16 - 5  # 4 holes and the goal have none
    for arrow in arrows:
        (x_head, y_head), (x_tail, y_tail) = arrow.xy, arrow.xyann
        assert x_head > x_tail and y_head == y_tail
    assert sorted(t.get_text() for t in ax.texts if t.get_text()) == ["G", "H", "H", "H", "H"]
    plt.close("all")


def test_highlighted_cells_get_a_frame():
    highlight = np.zeros(16, dtype=bool)
    highlight[[0, 2]] = True
    ax = plot_grid_policy(np.zeros((16, 4)), LAKE, highlight=highlight)
    assert len(ax.patches) == 2
    plt.close("all")


def test_a_table_that_does_not_fit_the_map_is_refused_by_name():
    with pytest.raises(ValueError, match="q must have shape"):
        plot_grid_policy(np.zeros((12, 4)), LAKE)
    with pytest.raises(ValueError, match="directions"):
        plot_grid_policy(np.zeros((16, 4)), LAKE, directions=CLIFF_DIRECTIONS[:3])
    plt.close("all")


def test_a_path_is_drawn_through_the_cell_centres():
    _, ax = plt.subplots()
    plot_grid_path([36, 24, 25, 26], n_cols=12, ax=ax, label="walk")
    (line,) = ax.lines
    np.testing.assert_array_equal(line.get_xdata(), [0, 0, 1, 2])
    np.testing.assert_array_equal(line.get_ydata(), [3, 2, 2, 2])
    plt.close("all")


def test_the_sem_band_is_the_std_band_shrunk_by_the_square_root_of_the_seed_count():
    from dqn_helpers.plotting import plot_learning_curves

    curves = np.array([[0.0, 2.0], [2.0, 6.0], [4.0, 10.0], [6.0, 14.0]])  # 4 seeds
    heights = {}
    for band in ("std", "sem"):
        _, ax = plt.subplots()
        plot_learning_curves(curves, band=band, ax=ax)
        (poly,) = ax.collections
        ys = poly.get_paths()[0].vertices[:, 1]
        heights[band] = ys.max() - ys.min()
        plt.close("all")
    # Column means 3 and 8, standard deviations sqrt(5) and sqrt(20); sqrt(4 seeds) = 2.
    assert heights["std"] == pytest.approx((8 + np.sqrt(20)) - (3 - np.sqrt(5)))
    assert heights["sem"] == pytest.approx((8 + np.sqrt(20) / 2) - (3 - np.sqrt(5) / 2))
