"""Evaluating a policy: run whole episodes and collect their returns."""

from __future__ import annotations

from typing import Any, Callable

import gymnasium as gym
import numpy as np

from .envs import make_env
from .seeding import check_seed

__all__ = ["evaluate"]


def _as_action(action: Any, space: gym.Space) -> Any:
    """For a discrete space, accept a one-element tensor or array as the action."""
    if isinstance(space, gym.spaces.Discrete) and hasattr(action, "item"):
        if getattr(action, "size", None) == 1 or getattr(action, "numel", lambda: 0)() == 1:
            return action.item()
    return action


def evaluate(
    policy: Callable[[Any], Any],
    env_id: str | gym.Env,
    n_episodes: int,
    seed: int,
    max_episode_steps: int | None = None,
) -> np.ndarray:
    """Run ``policy`` for ``n_episodes`` whole episodes; return their returns.

    Args:
        policy: a function ``policy(obs) -> action``, called once per step.
        env_id: a Gymnasium id such as ``"CartPole-v1"``, or an environment
            you made yourself (it is reset, not closed).
        n_episodes: how many episodes, at least 1.
        seed: episode ``i`` starts from ``env.reset(seed=seed + i)``, so the
            same seed gives the same start states whatever the policy.
            Keep evaluation seeds apart from training seeds.
        max_episode_steps: cut episodes after this many steps (useful for
            environments without a time limit, such as CliffWalking, where a
            poor greedy policy could walk forever).

    Returns:
        A float array of shape ``(n_episodes,)``: the undiscounted return of
        each episode.

    Raises:
        ValueError: if ``n_episodes < 1`` or the policy returns an action the
            action space does not contain.
    """
    if not callable(policy):
        raise TypeError(f"policy must be a function obs -> action, got {type(policy).__name__}")
    if isinstance(n_episodes, bool) or not isinstance(n_episodes, (int, np.integer)):
        raise TypeError(f"n_episodes must be an int, got {type(n_episodes).__name__}")
    if n_episodes < 1:
        raise ValueError(f"n_episodes must be at least 1, got {n_episodes}")
    seed = check_seed(seed)
    if max_episode_steps is not None and max_episode_steps < 1:
        raise ValueError(f"max_episode_steps must be at least 1 or None, got {max_episode_steps}")

    own_env = isinstance(env_id, str)
    env = make_env(env_id) if own_env else env_id
    if not isinstance(env, gym.Env):
        raise TypeError(f"env_id must be a Gymnasium id or a gymnasium.Env, got {type(env_id).__name__}")
    returns = np.zeros(int(n_episodes), dtype=np.float64)
    try:
        for episode in range(int(n_episodes)):
            obs, _ = env.reset(seed=seed + episode)
            done, steps = False, 0
            while not done:
                action = _as_action(policy(obs), env.action_space)
                if not env.action_space.contains(action):
                    raise ValueError(
                        f"policy returned action {action!r} ({type(action).__name__}), "
                        f"which is not in the action space {env.action_space}"
                    )
                obs, reward, terminated, truncated, _ = env.step(action)
                returns[episode] += float(reward)
                steps += 1
                done = terminated or truncated or (
                    max_episode_steps is not None and steps >= max_episode_steps
                )
    finally:
        if own_env:
            env.close()
    return returns
