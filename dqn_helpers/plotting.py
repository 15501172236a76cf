"""Plots shared by the notebooks: learning curves over several seeds."""

from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

__all__ = ["moving_average", "plot_learning_curves"]


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
        band: ``"std"`` (mean plus or minus one standard deviation over seeds)
            or ``"minmax"`` (the lowest and highest seed).
        xlabel, ylabel, title: axis labels and title; give units.

    Returns:
        The axes.  The legend names each curve and its number of seeds.
    """
    if band not in ("std", "minmax"):
        raise ValueError(f"band must be 'std' or 'minmax', got {band!r}")
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
        if band == "std":
            low, high = mean - data.std(axis=0), mean + data.std(axis=0)
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
