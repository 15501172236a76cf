"""Seeding: one call makes a run repeatable on one machine.

Python's ``random``, NumPy's global generator and torch (CPU and, when
present, CUDA) are all seeded from the same integer.  The environment is
seeded separately, through ``env.reset(seed=...)`` (see :mod:`dqn_helpers.envs`).
"""

from __future__ import annotations

import random

import numpy as np
import torch

from .validation import check_seed  # kept importable from here: other modules and notebooks use it

__all__ = ["seed_everything", "check_seed"]


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
