"""Does the network believe what it earns?  Q at the start state versus the return obtained from there.

A Q-network's ``max_a Q(s0, a)`` claims how much discounted reward the
greedy policy will collect from the start state ``s0``.  Playing that greedy
episode and adding up ``gamma**t * reward_t`` says how much it actually
collects.  The difference is the *overestimation* (positive) or
underestimation (negative) at ``s0`` that van Hasselt et al. (2016) measured.

This module imports only :mod:`~dqn_helpers.envs` and :mod:`~dqn_helpers.validation`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from .envs import check_dqn_spaces, episode_step_cap, make_env
from .validation import check_int, check_number, check_seed, check_str, describe

__all__ = ["StartStateValues", "start_state_values"]


@dataclass
class StartStateValues:
    """Per greedy episode, what the network predicted at its start state and what it got.

    All arrays have shape ``(n_episodes,)``, dtype float64.
    """

    q_start: np.ndarray
    """``max_a Q(s0, a)``: the network's estimate of the discounted return from the start state."""
    discounted_return: np.ndarray
    """``sum_t gamma**t * reward_t`` of the greedy episode that followed."""
    episode_return: np.ndarray
    """The undiscounted return of the same episode."""
    gamma: float
    """The discount used."""

    @property
    def gap(self) -> np.ndarray:
        """``q_start - discounted_return``: positive means the network overestimates."""
        return self.q_start - self.discounted_return


def start_state_values(
    q_net: nn.Module,
    env_id: str,
    n_episodes: int,
    seed: int,
    gamma: float,
    env_kwargs: dict | None = None,
    max_episode_steps: int | None = None,
) -> StartStateValues:
    """Play ``n_episodes`` greedy episodes; compare ``max_a Q(s0, a)`` with the discounted return.

    Args:
        q_net: maps observations ``(B, obs_dim)`` float32 to Q-values ``(B, n_actions)``
            (our :class:`~dqn_helpers.QNetwork`, or Stable-Baselines3's ``model.q_net``).
        env_id: a Gymnasium id with a Box observation space and a Discrete action space.
        n_episodes: how many episodes; episode ``i`` resets with ``seed + i``.
        seed: the first reset seed (use evaluation seeds, not training seeds).
        gamma: the discount the network was trained with, in [0, 1].
        env_kwargs: extra keyword arguments for ``gymnasium.make``.
        max_episode_steps: cut each episode after this many steps; ``None`` keeps the
            environment's time limit, or cuts at ``DEFAULT_MAX_EPISODE_STEPS`` (10,000)
            for an environment without one.

    Returns:
        A :class:`StartStateValues`.  At a time limit the episode's discounted return
        stops there, while a network trained to bootstrap through time limits may
        value the start state as if it went on (CartPole-v1, gamma 0.99: a perfect
        500-step episode is worth ``(1 - 0.99**500) / 0.01 = 99.3``, an endless one 100).
    """
    if not isinstance(q_net, nn.Module):
        raise TypeError(f"q_net must be a torch.nn.Module, got {type(q_net).__name__}")
    env_id = check_str(env_id, "env_id", example="CartPole-v1")
    n_episodes = check_int(n_episodes, "n_episodes", minimum=1)
    seed = check_seed(seed)
    gamma = check_number(gamma, "gamma", 0.0, 1.0)
    if env_kwargs is not None and not isinstance(env_kwargs, dict):
        raise TypeError(f"env_kwargs must be a dict of gymnasium.make keyword arguments or None, got {describe(env_kwargs)}")
    env = make_env(env_id, **(env_kwargs or {}))
    try:
        _, n_actions, _ = check_dqn_spaces(env, env_id)
        max_steps = episode_step_cap(env, max_episode_steps)
    except (TypeError, ValueError):
        env.close()
        raise
    first = next(iter(q_net.parameters()), None)
    device = first.device if first is not None else torch.device("cpu")
    q_start = np.zeros(int(n_episodes))
    discounted = np.zeros(int(n_episodes))
    undiscounted = np.zeros(int(n_episodes))
    try:
        for i in range(int(n_episodes)):
            obs, _ = env.reset(seed=seed + i)
            t, done = 0, False
            while not done:
                with torch.inference_mode():
                    q_values = q_net(torch.as_tensor(np.asarray(obs, np.float32).reshape(1, -1), device=device)).detach()
                if t == 0:
                    if q_values.shape[-1] != n_actions or q_values.numel() != n_actions:
                        raise ValueError(
                            f"q_net maps one observation to shape {tuple(q_values.shape)}, "
                            f"but {env_id} needs (1, {n_actions}): one Q-value per action"
                        )
                    q_start[i] = float(q_values.max())
                obs, reward, terminated, truncated, _ = env.step(int(q_values.argmax()))
                discounted[i] += gamma**t * float(reward)
                undiscounted[i] += float(reward)
                t += 1
                done = terminated or truncated or (max_steps is not None and t >= max_steps)
    finally:
        env.close()
    return StartStateValues(q_start, discounted, undiscounted, gamma)
