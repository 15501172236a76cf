"""Plots shared by the notebooks: learning curves over several seeds, grid worlds, DQN diagnostics.

Every function checks what it is given first (with :mod:`~dqn_helpers.validation`),
so a wrong argument gets a message naming it rather than a matplotlib traceback.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

from .validation import check_choice, check_int, check_number, check_str, describe

__all__ = [
    "CLIFF_DIRECTIONS",
    "DIAGNOSTIC_LABELS",
    "FROZEN_LAKE_DIRECTIONS",
    "moving_average",
    "plot_diagnostics",
    "plot_grid_path",
    "plot_grid_policy",
    "plot_learning_curves",
]


def _numbers(values: object, name: str) -> np.ndarray:
    """``values`` as a float64 array, or a TypeError (not numbers) / ValueError (ragged) naming ``name``."""
    try:
        raw = np.asarray(values)
    except ValueError:
        raise ValueError(f"{name} must be numbers in rows of equal length, got {describe(values)}") from None
    if raw.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be numbers (a list or an array), got {describe(values)}")
    return raw.astype(np.float64)


def _check_axes(ax: object, name: str = "ax", optional: bool = True) -> None:
    if ax is None and optional:
        return
    if not isinstance(ax, plt.Axes):
        none = " or None" if optional else ""
        raise TypeError(f"{name} must be a matplotlib Axes (e.g. from plt.subplots()){none}, got {describe(ax)}")


def _check_text(value: object, name: str, optional: bool = False) -> None:
    if value is None and optional:
        return
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str{' or None' if optional else ''}, got {describe(value)}")


def moving_average(values: Sequence[float] | np.ndarray, window: int) -> np.ndarray:
    """Trailing moving average along the last axis.

    Element ``i`` is the mean of ``values[..., max(0, i - window + 1) : i + 1]``,
    so the output has the same shape as the input (the first points average
    fewer values).
    """
    window = check_int(window, "window", minimum=1)
    values = _numbers(values, "values")
    if values.ndim == 0:
        raise ValueError(f"values must be a sequence of numbers (at least 1-d), got the single number {values}")
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
    clip: tuple[float, float] | None = None,
    legend_loc: str = "best",
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
        xlabel, ylabel, title: axis labels and title; give units, and let the title state the finding.
        clip: ``(low, high)``, the possible values (``(0, 500)`` for CartPole returns): a ``"std"`` or
            ``"sem"`` band is cut there, so that it never shows an impossible value.
        legend_loc: where the legend goes (matplotlib's ``loc``: ``"lower right"``, ...); call
            ``ax.legend`` again only with ``title=ax.get_legend().get_title().get_text()``, or the band's name is lost.

    Returns:
        The axes.  The legend names each curve and its number of seeds; its title names the band.
    """
    band = check_choice(band, "band", ("std", "sem", "minmax"))
    smooth = check_int(smooth, "smooth", minimum=1)
    _check_axes(ax)
    _check_text(xlabel, "xlabel")
    _check_text(ylabel, "ylabel")
    _check_text(title, "title", optional=True)
    if clip is not None:
        if isinstance(clip, (str, bytes)) or not hasattr(clip, "__len__") or len(clip) != 2:
            raise TypeError(f"clip must be a (low, high) pair of numbers, got {describe(clip)}")
        clip = (check_number(clip[0], "clip[0]", finite=False), check_number(clip[1], "clip[1]", finite=False))
        if clip[0] >= clip[1]:
            raise ValueError(f"clip must be (low, high) with low < high, got {clip}")
    if not isinstance(curves, Mapping):
        curves = {"": curves}
    if len(curves) == 0:
        raise ValueError("curves must hold at least one curve, got an empty mapping")
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    for label, data in curves.items():
        data = _numbers(data, f"curves[{label!r}] (one row per seed, all the same length)")
        if data.ndim == 1:
            data = data[None, :]
        if data.ndim != 2 or data.shape[1] == 0:
            raise ValueError(f"curves[{label!r}] must have shape (n_seeds, n_points), got {data.shape}")
        data = moving_average(data, smooth)
        xs = np.arange(1, data.shape[1] + 1) if x is None else _numbers(x, "x")
        if xs.shape != (data.shape[1],):
            raise ValueError(f"x has shape {xs.shape} but the curves have {data.shape[1]} points")
        mean = data.mean(axis=0)
        if band in ("std", "sem"):
            spread = data.std(axis=0) / (np.sqrt(data.shape[0]) if band == "sem" else 1.0)
            low, high = mean - spread, mean + spread
        else:
            low, high = data.min(axis=0), data.max(axis=0)
        if clip is not None:
            low, high = np.clip(low, *clip), np.clip(high, *clip)
        n = data.shape[0]
        name = f"{label} ({n} seed{'s' if n != 1 else ''})".strip()
        (line,) = ax.plot(xs, mean, label=name)
        if n > 1:
            ax.fill_between(xs, low, high, color=line.get_color(), alpha=0.2, linewidth=0)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.legend(title=BAND_NAMES[band], title_fontsize="small", loc=check_str(legend_loc, "legend_loc"))
    ax.grid(alpha=0.3)
    return ax


# What each band of plot_learning_curves shows, as its legend says it.
BAND_NAMES = {
    "std": "line: mean; band: +-1 std over seeds",
    "sem": "line: mean; band: +-1 standard error",
    "minmax": "line: mean; band: lowest to highest seed",
}


# Grid worlds: where each action moves, as (row change, column change).
FROZEN_LAKE_DIRECTIONS = ((0, -1), (1, 0), (0, 1), (-1, 0))  # left, down, right, up
CLIFF_DIRECTIONS = ((-1, 0), (0, 1), (1, 0), (0, -1))  # up, right, down, left


def _text(cell: str | bytes) -> str:
    return cell.decode() if isinstance(cell, bytes) else str(cell)


def _grid_rows(desc: object) -> list[str]:
    """The map as one str per row (from strings, bytes, or FrozenLake's array of byte letters)."""
    if isinstance(desc, (str, bytes)):
        raise TypeError(f"desc must be one string per row, e.g. ['SFFF', 'FHFH'], got a single {type(desc).__name__} {desc!r}")
    try:
        rows = [_text(row) if isinstance(row, (str, bytes)) else "".join(_text(c) for c in row) for row in desc]
    except TypeError:
        raise TypeError(f"desc must be one string per row, e.g. ['SFFF', 'FHFH'], got {describe(desc)}") from None
    if not rows or not rows[0]:
        raise ValueError("desc must have at least one row and one column")
    if len({len(row) for row in rows}) != 1:
        raise ValueError(f"desc must have rows of equal length, got lengths {[len(row) for row in rows]}")
    return rows


def _directions(directions: object) -> list[tuple[int, int]]:
    """One (row change, column change) pair of ints per action."""
    if isinstance(directions, (str, bytes)) or not hasattr(directions, "__len__"):
        raise TypeError(f"directions must be a sequence of (row change, column change) pairs, got {describe(directions)}")
    pairs = []
    for i, pair in enumerate(directions):
        if isinstance(pair, (str, bytes)) or not hasattr(pair, "__len__") or len(pair) != 2:
            raise TypeError(f"directions[{i}] must be a (row change, column change) pair, got {describe(pair)}")
        pairs.append((check_number(pair[0], f"directions[{i}][0]"), check_number(pair[1], f"directions[{i}][1]")))
    return pairs


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
    rows = _grid_rows(desc)
    n_rows, n_cols = len(rows), len(rows[0])
    q = _numbers(q, "q")
    if q.ndim != 2 or q.shape[0] != n_rows * n_cols:
        raise ValueError(f"q must have shape ({n_rows * n_cols}, n_actions) for a {n_rows}x{n_cols} map, got {q.shape}")
    directions = _directions(directions)
    if len(directions) != q.shape[1]:
        raise ValueError(f"directions has {len(directions)} entries but q has {q.shape[1]} actions")
    if np.isnan(q).any():
        raise ValueError("q holds NaN: there is no greedy action to draw there")
    if highlight is not None:
        highlight = np.asarray(highlight)
        if highlight.shape != (n_rows * n_cols,) or highlight.dtype != bool:
            raise ValueError(f"highlight must be a bool array of shape ({n_rows * n_cols},), got {highlight.dtype} {highlight.shape}")
    for name, bound in (("vmin", vmin), ("vmax", vmax)):
        if bound is not None:
            check_number(bound, name)
    if vmin is not None and vmax is not None and not float(vmin) < float(vmax):
        raise ValueError(f"vmin must be below vmax, got vmin={vmin}, vmax={vmax}")
    _check_axes(ax)
    _check_text(title, "title", optional=True)
    _check_text(colorbar_label, "colorbar_label")
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
    n_cols = check_int(n_cols, "n_cols", minimum=1)
    _check_axes(ax, optional=False)
    offset = check_number(offset, "offset")
    _check_text(label, "label", optional=True)
    if isinstance(states, (str, bytes)):
        raise TypeError(f"states must be a sequence of state numbers, got {describe(states)}")
    states_array = np.asarray(states)
    if states_array.ndim != 1 or states_array.size == 0:
        raise ValueError(f"states must be a non-empty 1-d sequence of state numbers, got shape {states_array.shape}")
    if states_array.dtype == bool or not np.issubdtype(states_array.dtype, np.integer):
        raise TypeError(f"states must be ints (state numbers), got dtype {states_array.dtype}")
    if states_array.min() < 0:
        raise ValueError(f"states must be non-negative state numbers, got {states_array.min()}")
    rows, cols = np.divmod(states_array.astype(int), n_cols)
    ax.plot(cols, rows + offset, marker="o", markersize=3, label=label, **line_kwargs)
    return ax


# What train_dqn logs per gradient step with DQNConfig(log_diagnostics=True), and how to label it.
DIAGNOSTIC_LABELS = {
    "q_mean": "mean Q(s, a) on the batch",
    "td_error_abs": "mean |TD error| on the batch",
    "grad_norm": "gradient norm (before clipping)",
}


def _binned_diagnostic(result: object, key: str, edges: np.ndarray) -> np.ndarray:
    diagnostics = getattr(result, "diagnostics", None)
    steps = getattr(result, "loss_steps", None)
    if not isinstance(diagnostics, Mapping) or steps is None:
        raise TypeError(
            f"each result must have .diagnostics (a dict) and .loss_steps, like a DQNResult; got {type(result).__name__}"
        )
    if key not in diagnostics or len(diagnostics[key]) == 0:
        raise ValueError(
            f"a result has no {key!r} diagnostics: train with DQNConfig(log_diagnostics=True) "
            f"(logged: {sorted(diagnostics)})"
        )
    values = np.asarray(diagnostics[key], dtype=np.float64)
    steps = np.asarray(steps, dtype=np.float64)
    if steps.shape != values.shape:
        raise ValueError(f"loss_steps has shape {steps.shape} but diagnostics[{key!r}] has {values.shape}")
    which = np.clip(np.searchsorted(edges, steps, side="right") - 1, 0, len(edges) - 2)
    sums = np.bincount(which, weights=values, minlength=len(edges) - 1)
    counts = np.bincount(which, minlength=len(edges) - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def plot_diagnostics(
    results: Mapping[str, Sequence[object]] | Sequence[object] | object,
    keys: Sequence[str] = ("q_mean", "td_error_abs", "grad_norm"),
    *,
    n_bins: int = 40,
    reference: Mapping[str, tuple[float, str]] | None = None,
    axes: Sequence[plt.Axes] | None = None,
    band: str = "std",
    title: str | None = None,
) -> np.ndarray:
    """Plot DQN's training diagnostics (Q magnitude, TD error, gradient norm) over environment steps.

    Args:
        results: one result, a list of results (one per seed), or a mapping from a
            label (``"DQN"``) to such a list.  A result is a ``DQNResult`` trained with
            ``log_diagnostics=True`` (anything with ``.diagnostics``, a dict of
            ``(n_gradient_steps,)`` arrays, and ``.loss_steps`` of the same shape).
        keys: which diagnostics, one panel each (see ``DIAGNOSTIC_LABELS``).
        n_bins: each seed's values are averaged over this many equal windows of
            environment steps (all results share the windows), then shown as the mean
            over seeds with a band.
        reference: optional ``{key: (value, label)}``: a dashed horizontal line on that
            panel, e.g. ``{"q_mean": (99.3, "return of a perfect episode")}``.
        axes: one axes per key (a new row of panels if ``None``).
        band: ``"std"``, ``"sem"`` or ``"minmax"``, as in :func:`plot_learning_curves`.
        title: a title over the whole figure (state the finding).

    Returns:
        A NumPy array of the axes, one per key.
    """
    if not isinstance(results, Mapping):
        if isinstance(results, (list, tuple)):
            results = {"": list(results)}
        else:
            results = {"": [results]}
    if isinstance(keys, str) or not isinstance(keys, (list, tuple)) or len(keys) == 0:
        raise TypeError(f"keys must be a non-empty list or tuple of diagnostic names such as ('q_mean',), got {describe(keys)}")
    for i, key in enumerate(keys):
        check_str(key, f"keys[{i}]", example="q_mean")
    n_bins = check_int(n_bins, "n_bins", minimum=1)
    band = check_choice(band, "band", ("std", "sem", "minmax"))
    _check_text(title, "title", optional=True)
    if reference is not None:
        if not isinstance(reference, Mapping):
            raise TypeError(f"reference must be a dict {{key: (value, label)}} or None, got {describe(reference)}")
        for key, entry in reference.items():
            if not isinstance(entry, (tuple, list)) or len(entry) != 2:
                raise TypeError(f"reference[{key!r}] must be a (value, label) pair, got {describe(entry)}")
            check_number(entry[0], f"reference[{key!r}][0]")
            _check_text(entry[1], f"reference[{key!r}][1]")
    groups = {label: list(group) for label, group in results.items()}
    if any(len(group) == 0 for group in groups.values()):
        raise ValueError("every label in results needs at least one result")
    for result in (r for group in groups.values() for r in group):
        if not isinstance(getattr(result, "diagnostics", None), Mapping) or not hasattr(result, "loss_steps"):
            raise TypeError(
                "each result must have .diagnostics (a dict) and .loss_steps, like a DQNResult; "
                f"got {type(result).__name__}"
            )
    all_steps = [np.asarray(getattr(r, "loss_steps", []), dtype=np.float64) for g in groups.values() for r in g]
    non_empty = [s for s in all_steps if s.size]
    if not non_empty:
        raise ValueError("no result has any gradient steps logged (loss_steps is empty)")
    low, high = min(s.min() for s in non_empty), max(s.max() for s in non_empty)
    edges = np.linspace(low, high if high > low else low + 1.0, int(n_bins) + 1)
    centers = (edges[:-1] + edges[1:]) / 2
    if axes is None:
        fig, axes = plt.subplots(1, len(keys), figsize=(4.2 * len(keys), 3.6), squeeze=False)
        axes = axes[0]
    axes = np.asarray(axes, dtype=object).reshape(-1)
    if len(axes) != len(keys):
        raise ValueError(f"axes must hold one axes per key ({len(keys)}), got {len(axes)}")
    for ax, key in zip(axes, keys):
        curves = {label: np.stack([_binned_diagnostic(r, key, edges) for r in group]) for label, group in groups.items()}
        plot_learning_curves(curves, centers, ax=ax, band=band, xlabel="environment steps",
                             ylabel=DIAGNOSTIC_LABELS.get(key, key))
        if reference and key in reference:
            value, label = reference[key]
            ax.axhline(value, color="black", linestyle="--", linewidth=1, label=label)
            ax.legend(fontsize="small", title=BAND_NAMES[band], title_fontsize="small")  # keep the band's name
    if title:
        axes[0].figure.suptitle(title)
        axes[0].figure.tight_layout()
    return axes
