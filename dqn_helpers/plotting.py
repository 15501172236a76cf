"""Plots shared by the notebooks: learning curves over several seeds."""

from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

__all__ = [
    "CLIFF_DIRECTIONS",
    "FROZEN_LAKE_DIRECTIONS",
    "moving_average",
    "plot_grid_path",
    "plot_grid_policy",
    "plot_learning_curves",
]


def moving_average(values: Sequence[float] | np.ndarray, window: int) -> np.ndarray:
    """Trailing moving average along the last axis.

    Element ``i`` is the mean of ``values[..., max(0, i - window + 1) : i + 1]``,
    so the output has the same shape as the input (the first points average
    fewer values).
    """
    if isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < 1:
        raise ValueError(f"window must be a positive int, got {window!r}")
    values = np.asarray(values, dtype=np.float64)
    csum = np.cumsum(values, axis=-1)
    out = csum.copy()
    out[..., window:] = csum[..., window:] - csum[..., :-window]
    counts = np.minimum(np.arange(1, values.shape[-1] + 1), window)
    return out / counts


def plot_learning_curves(
    curves: Mapping[str, np.ndarray] | np.ndarray,
    x: Sequence[float] | np.ndarray | None = None,
    *,
    ax: plt.Axes | None = None,
    smooth: int = 1,
    band: str = "std",
    xlabel: str = "episode",
    ylabel: str = "return",
    title: str | None = None,
) -> plt.Axes:
    """Plot the mean over seeds of one or more learning curves, with a band.

    Args:
        curves: an array of shape ``(n_seeds, n_points)``, or a mapping from a
            label (``"SARSA"``) to such an array.  One row per seed.
        x: the x values, shape ``(n_points,)``; defaults to ``1 .. n_points``.
        ax: the axes to draw on (a new figure if ``None``).
        smooth: trailing moving-average window applied to each seed first.
        band: ``"std"`` (mean plus or minus one standard deviation over seeds),
            ``"sem"`` (plus or minus one standard error of the mean, std / sqrt(n_seeds):
            how precisely the mean is known) or ``"minmax"`` (the lowest and highest seed).
        xlabel, ylabel, title: axis labels and title; give units.

    Returns:
        The axes.  The legend names each curve and its number of seeds.
    """
    if band not in ("std", "sem", "minmax"):
        raise ValueError(f"band must be 'std', 'sem' or 'minmax', got {band!r}")
    if not isinstance(curves, Mapping):
        curves = {"": curves}
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    for label, data in curves.items():
        try:
            data = np.asarray(data, dtype=np.float64)
        except ValueError as exc:
            raise ValueError(
                f"curves[{label!r}] must have one row per seed, all the same length"
            ) from exc
        if data.ndim == 1:
            data = data[None, :]
        if data.ndim != 2 or data.shape[1] == 0:
            raise ValueError(f"curves[{label!r}] must have shape (n_seeds, n_points), got {data.shape}")
        data = moving_average(data, smooth)
        xs = np.arange(1, data.shape[1] + 1) if x is None else np.asarray(x)
        if xs.shape != (data.shape[1],):
            raise ValueError(f"x has shape {xs.shape} but the curves have {data.shape[1]} points")
        mean = data.mean(axis=0)
        if band in ("std", "sem"):
            spread = data.std(axis=0) / (np.sqrt(data.shape[0]) if band == "sem" else 1.0)
            low, high = mean - spread, mean + spread
        else:
            low, high = data.min(axis=0), data.max(axis=0)
        n = data.shape[0]
        name = f"{label} ({n} seed{'s' if n != 1 else ''})".strip()
        (line,) = ax.plot(xs, mean, label=name)
        if n > 1:
            ax.fill_between(xs, low, high, color=line.get_color(), alpha=0.2, linewidth=0)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.legend()
    ax.grid(alpha=0.3)
    return ax


# Grid worlds: where each action moves, as (row change, column change).
FROZEN_LAKE_DIRECTIONS = ((0, -1), (1, 0), (0, 1), (-1, 0))  # left, down, right, up
CLIFF_DIRECTIONS = ((-1, 0), (0, 1), (1, 0), (0, -1))  # up, right, down, left


def _text(cell: str | bytes) -> str:
    return cell.decode() if isinstance(cell, bytes) else str(cell)


def plot_grid_policy(
    q: np.ndarray,
    desc: Sequence[str] | np.ndarray,
    directions: Sequence[tuple[int, int]] = FROZEN_LAKE_DIRECTIONS,
    *,
    ax: plt.Axes | None = None,
    highlight: np.ndarray | None = None,
    vmin: float | None = None,
    vmax: float | None = None,
    title: str | None = None,
    colorbar_label: str = "max_a Q(s, a)",
) -> plt.Axes:
    """Draw a grid world's Q-table: colour = ``max_a Q(s, a)``, arrow = greedy action.

    Args:
        q: Q-table of shape ``(n_rows * n_cols, n_actions)``, states numbered
            row by row (as FrozenLake and CliffWalking do).
        desc: the map, one string per row (``["SFFF", "FHFH", ...]``, or
            FrozenLake's ``env.unwrapped.desc``).  Cells marked ``H`` (hole),
            ``G`` (goal) or ``C`` (cliff) end the episode or are never stood on:
            they are grey, with a letter and no arrow.
        directions: for each action, the ``(row change, column change)`` it
            aims at (``FROZEN_LAKE_DIRECTIONS``, ``CLIFF_DIRECTIONS``).
        ax: axes to draw on (a new figure if ``None``).
        highlight: optional bool array ``(n_states,)``; those cells get a red frame
            (e.g. where two policies disagree).
        vmin, vmax: colour range (share it between two panels you compare).
        title, colorbar_label: texts.

    Returns:
        The axes.
    """
    rows = [_text(row) if isinstance(row, (str, bytes)) else "".join(_text(c) for c in row) for row in desc]
    n_rows, n_cols = len(rows), len(rows[0])
    q = np.asarray(q, dtype=np.float64)
    if q.ndim != 2 or q.shape[0] != n_rows * n_cols:
        raise ValueError(f"q must have shape ({n_rows * n_cols}, n_actions) for a {n_rows}x{n_cols} map, got {q.shape}")
    if len(directions) != q.shape[1]:
        raise ValueError(f"directions has {len(directions)} entries but q has {q.shape[1]} actions")
    if ax is None:
        _, ax = plt.subplots(figsize=(max(3.5, 0.45 * n_cols + 1.5), max(3.0, 0.45 * n_rows + 1.0)))
    values = q.max(axis=1).reshape(n_rows, n_cols)
    ends = np.array([[letter in "HGC" for letter in row] for row in rows])
    cmap = plt.get_cmap("viridis").with_extremes(bad="0.85")  # grey: cells where no action is chosen
    image = ax.imshow(np.ma.masked_array(values, ends), cmap=cmap, vmin=vmin, vmax=vmax)
    plt.colorbar(image, ax=ax, label=colorbar_label, fraction=0.046, pad=0.04)
    greedy = q.argmax(axis=1)
    for s in range(n_rows * n_cols):
        r, c = divmod(s, n_cols)
        letter = rows[r][c]
        if letter in "HGC":
            ax.text(c, r, letter, ha="center", va="center", color="black", fontsize=11, fontweight="bold")
            continue
        dr, dc = directions[greedy[s]]
        ax.annotate("", xy=(c + 0.35 * dc, r + 0.35 * dr), xytext=(c - 0.35 * dc, r - 0.35 * dr),
                    arrowprops=dict(arrowstyle="->", color="white", lw=1.8))
        if highlight is not None and highlight[s]:
            ax.add_patch(plt.Rectangle((c - 0.47, r - 0.47), 0.94, 0.94, fill=False, edgecolor="red", lw=2.5))
    ax.set_xticks(range(n_cols))
    ax.set_yticks(range(n_rows))
    ax.set_xlabel("column")
    ax.set_ylabel("row")
    if title:
        ax.set_title(title)
    return ax


def plot_grid_path(
    states: Sequence[int],
    n_cols: int,
    *,
    ax: plt.Axes,
    label: str | None = None,
    offset: float = 0.0,
    **line_kwargs,
) -> plt.Axes:
    """Draw a walk through a grid (states numbered row by row) as a line on ``ax``.

    Args:
        states: the visited states, e.g. ``greedy_path(env, policy)``.
        n_cols: the grid's width.
        ax: axes that already show the grid (e.g. from :func:`plot_grid_policy`).
        label: legend text.
        offset: shift the line up (negative) or down (positive) by this many
            cells, so that two paths along the same row stay apart.
        **line_kwargs: passed to ``ax.plot`` (``color``, ``lw``, ...).
    """
    rows, cols = np.divmod(np.asarray(states, dtype=int), n_cols)
    ax.plot(cols, rows + offset, marker="o", markersize=3, label=label, **line_kwargs)
    return ax
