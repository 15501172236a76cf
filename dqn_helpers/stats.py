"""Intervals over seeds: how sure a handful of training runs lets us be.

A training run of DQN is one random draw: another seed gives another curve.  A
claim such as "Double DQN overestimates less" is a claim about the mean over
seeds, and ten seeds only estimate it.  These functions put a bootstrap
interval around that estimate, and around the difference between two agents.

We use :func:`scipy.stats.bootstrap` with the **percentile** method (the one
``rliable`` uses for its intervals over runs): with ten seeds and returns capped
at 500, many values tie, and the BCa method's correction is then unstable or
undefined, while the percentile interval stays honest about what it is: the
spread of the statistic over resampled sets of seeds.

- :func:`interval`: the mean (or the IQM, or the median) of one set of per-seed values, with its interval.
- :func:`difference`: the mean of A minus the mean of B, paired by seed or not, with its interval.
- :func:`iqm`: the interquartile mean (the mean of the middle 50%), robust to one wild seed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .validation import check_bool, check_choice, check_int, check_number, check_seed, describe

STATISTICS = ("mean", "iqm", "median")


def iqm(values, axis: int = -1) -> np.ndarray | float:
    """The interquartile mean: the mean of the middle 50% of the values, as ``rliable`` computes it.

    ``scipy.stats.trim_mean(values, 0.25)``: sort, drop the lowest and the highest
    quarter (rounded down: 2 of 10 at each end), average the rest.  One wild seed
    moves it less than it moves the mean.
    """
    from scipy.stats import trim_mean

    result = trim_mean(np.asarray(values, dtype=np.float64), 0.25, axis=axis)
    return float(result) if np.ndim(result) == 0 else result


_STATISTIC: dict[str, Callable] = {
    "mean": np.mean,
    "median": np.median,
    "iqm": iqm,
}


@dataclass(frozen=True)
class Interval:
    """An estimate over seeds with its bootstrap interval.

    ``estimate`` is the statistic on the values themselves; ``low``/``high`` the
    ``confidence`` percentile interval over ``n_resamples`` resampled sets of seeds.
    """

    estimate: float
    low: float
    high: float
    confidence: float
    n: int
    statistic: str
    label: str = ""
    n_b: int | None = None

    @property
    def width(self) -> float:
        return self.high - self.low

    def excludes(self, value: float = 0.0) -> bool:
        """True when ``value`` lies outside the interval (for a difference: a difference is detectable)."""
        return value < self.low or value > self.high

    def __str__(self) -> str:
        digits = _digits(self.low, self.high)
        label = f"{self.label}: " if self.label else ""
        return (f"{label}{self.statistic} {self.estimate:.{digits}f}, {self.confidence:.0%} interval "
                f"[{self.low:.{digits}f}, {self.high:.{digits}f}] over {self._seeds()}")

    def _seeds(self) -> str:
        return f"{self.n} seeds" if self.n_b is None else f"{self.n} and {self.n_b} seeds"


def _digits(low: float, high: float) -> int:
    width = abs(high - low)
    if width == 0 or not math.isfinite(width):
        return 1
    return int(min(4, max(0, 1 - math.floor(math.log10(width)))))


def _values(values, name: str, minimum: int = 2) -> np.ndarray:
    if isinstance(values, (str, bytes)) or values is None:
        raise TypeError(f"{name} must be a list or 1-d array of numbers (one per seed), got {describe(values)}")
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a list or 1-d array of numbers (one per seed), got {describe(values)}") from None
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-d (one number per seed), got shape {array.shape}")
    if len(array) < minimum:
        raise ValueError(f"{name} needs at least {minimum} values (one per seed) for an interval, got {len(array)}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must hold finite numbers, got {array[~np.isfinite(array)][:3]}")
    return array


def _bootstrap(data: tuple[np.ndarray, ...], statistic: Callable, paired: bool, confidence: float,
               n_resamples: int, seed: int) -> tuple[float, float]:
    flat = np.concatenate(data)
    if np.all(flat == flat[0]):                      # every value equal: no spread to resample
        value = float(statistic(*data))
        return value, value
    from scipy.stats import bootstrap                 # imported here: only the notebooks that need intervals pay for it

    result = bootstrap(data, statistic, paired=paired, vectorized=True, confidence_level=confidence,
                       n_resamples=n_resamples, method="percentile", rng=np.random.default_rng(seed))
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


def _check_common(statistic, confidence, n_resamples, seed):
    statistic = check_choice(statistic, "statistic", STATISTICS)
    confidence = check_number(confidence, "confidence", 0.0, 1.0, low_open=True, high_open=True)
    n_resamples = check_int(n_resamples, "n_resamples", minimum=100)
    seed = check_seed(seed)
    return statistic, confidence, n_resamples, seed


def interval(values, statistic: str = "mean", confidence: float = 0.95, n_resamples: int = 10_000,
             seed: int = 0, label: str = "") -> Interval:
    """The ``statistic`` of per-seed ``values`` with a percentile bootstrap interval.

    >>> print(interval([480, 500, 500, 470, 500, 495, 500, 460, 500, 500], label="kept agents"))
    kept agents: mean 490, 95% interval [481, 498] over 10 seeds
    """
    statistic, confidence, n_resamples, seed = _check_common(statistic, confidence, n_resamples, seed)
    data = _values(values, "values")
    function = _STATISTIC[statistic]
    low, high = _bootstrap((data,), function, False, confidence, n_resamples, seed)
    return Interval(float(function(data)), low, high, confidence, len(data), statistic, str(label))


def difference(a, b, paired: bool = False, statistic: str = "mean", confidence: float = 0.95,
               n_resamples: int = 10_000, seed: int = 0, label: str = "") -> Interval:
    """``statistic(a) - statistic(b)`` with a percentile bootstrap interval.

    ``paired=True`` when ``a[i]`` and ``b[i]`` share something that matters
    (the same training seed, the same evaluation episodes): the seeds are then
    resampled together, and ``a`` and ``b`` must have the same length.  When
    the interval holds 0, the data cannot tell A from B with this many seeds:
    ``result.excludes(0)`` is False.
    """
    statistic, confidence, n_resamples, seed = _check_common(statistic, confidence, n_resamples, seed)
    paired = check_bool(paired, "paired")
    a, b = _values(a, "a"), _values(b, "b")
    if paired and len(a) != len(b):
        raise ValueError(f"paired=True needs one value of a and one of b per seed: got {len(a)} and {len(b)}")
    function = _STATISTIC[statistic]
    if paired:
        if statistic != "mean":
            # The statistic of the per-seed differences (for the mean the two are equal).
            estimate = float(function(a - b))
            low, high = _bootstrap((a - b,), function, False, confidence, n_resamples, seed)
            return Interval(estimate, low, high, confidence, len(a), f"{statistic} of paired differences", str(label))
        estimate = float(np.mean(a - b))
        low, high = _bootstrap((a, b), lambda x, y, axis=-1: np.mean(x - y, axis=axis), True,
                               confidence, n_resamples, seed)
        return Interval(estimate, low, high, confidence, len(a), "mean paired difference", str(label))
    estimate = float(function(a) - function(b))
    low, high = _bootstrap((a, b), lambda x, y, axis=-1: function(x, axis=axis) - function(y, axis=axis), False,
                           confidence, n_resamples, seed)
    return Interval(estimate, low, high, confidence, len(a), f"difference of {statistic}s", str(label), len(b))
