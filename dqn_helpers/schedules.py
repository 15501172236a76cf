"""Schedules: a number that changes with the step count (epsilon, learning rate).

This module imports nothing else from ``dqn_helpers``.
"""

from __future__ import annotations

__all__ = ["linear_schedule"]


def linear_schedule(start: float, end: float, duration: int, t: int) -> float:
    """The value at step ``t`` of a line from ``start`` to ``end`` over ``duration`` steps.

    ``value(t) = start + (end - start) * min(t / duration, 1)``: it equals
    ``start`` at ``t = 0``, ``end`` at ``t = duration``, and stays at ``end``
    afterwards.  ``duration = 0`` means ``end`` from the start.

    Example: epsilon from 1.0 to 0.05 over the first 10,000 steps is
    ``linear_schedule(1.0, 0.05, 10_000, step)``.

    Raises:
        ValueError: if ``duration`` or ``t`` is negative.
    """
    if duration < 0:
        raise ValueError(f"duration must be a non-negative number of steps, got {duration}")
    if t < 0:
        raise ValueError(f"t must be a non-negative step count, got {t}")
    if t >= duration:
        return float(end)
    return float(start + (end - start) * (t / duration))
