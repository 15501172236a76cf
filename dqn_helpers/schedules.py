"""Schedules: a number that changes with the step count (epsilon, learning rate).

This module imports only the argument checks (:mod:`~dqn_helpers.validation`).
"""

from __future__ import annotations

import math

from .validation import check_int, check_number

__all__ = ["linear_schedule"]


def linear_schedule(start: float, end: float, duration: int, t: int) -> float:
    """The value at step ``t`` of a line from ``start`` to ``end`` over ``duration`` steps.

    ``value(t) = start + (end - start) * min(t / duration, 1)``: it equals
    ``start`` at ``t = 0``, ``end`` at ``t = duration``, and stays at ``end``
    afterwards.  ``duration = 0`` means ``end`` from the start.

    Example: epsilon from 1.0 to 0.05 over the first 10,000 steps is
    ``linear_schedule(1.0, 0.05, 10_000, step)``.

    Raises:
        ValueError: if ``duration`` or ``t`` is negative, or ``start`` or ``end`` is NaN or infinite.
        TypeError: if ``duration`` or ``t`` is not an int, or ``start`` or ``end`` not a number.
    """
    # Called once per training step: plain ints and finite floats skip the full checks.
    if not (type(duration) is int and type(t) is int and duration >= 0 and t >= 0):
        duration = check_int(duration, "duration", minimum=0)
        t = check_int(t, "t", minimum=0)
    if not (type(start) is float and type(end) is float and math.isfinite(start) and math.isfinite(end)):
        start = check_number(start, "start")
        end = check_number(end, "end")
    if t >= duration:
        return float(end)
    return float(start + (end - start) * (t / duration))
