"""Seeding: one call makes a run repeatable on one machine.

Python's ``random``, NumPy's global generator and torch (CPU and, when
present, CUDA) are all seeded from the same integer.  The environment is
seeded separately, through ``env.reset(seed=...)`` (see :mod:`dqn_helpers.envs`).
"""

from __future__ import annotations

import random

import numpy as np
import torch

__all__ = ["seed_everything", "check_seed"]


def check_seed(seed: object, name: str = "seed") -> int:
    """Return ``seed`` if it is a non-negative ``int``, else raise a clear error."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"{name} must be a non-negative int, got {type(seed).__name__} {seed!r}")
    if seed < 0:
        raise ValueError(f"{name} must be a non-negative int, got {seed}")
    return int(seed)


def seed_everything(seed: int) -> np.random.Generator:
    """Seed Python, NumPy and torch, and return a fresh NumPy ``Generator``.

    Args:
        seed: a non-negative integer.

    Returns:
        ``numpy.random.default_rng(seed)``: pass it around instead of using the
        global NumPy state, so that one part of a notebook cannot change the
        random numbers another part sees.

    Same seed, same machine, same results.  Across machines (another CPU, a
    GPU) floating-point rounding may differ, so trained numbers can differ too.
    """
    seed = check_seed(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return np.random.default_rng(seed)
