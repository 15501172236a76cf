"""Creating Gymnasium environments, with errors a learner can act on."""

from __future__ import annotations

import difflib
import os
import tempfile

import gymnasium as gym

from .seeding import check_seed

__all__ = ["check_dqn_spaces", "make_env", "registered_env_ids"]


def registered_env_ids() -> list[str]:
    """All environment ids Gymnasium knows, sorted."""
    return sorted(gym.registry.keys())


def make_env(env_id: str, seed: int | None = None, render_mode: str | None = None, **kwargs) -> gym.Env:
    """Create a Gymnasium environment, seeded if ``seed`` is given.

    Args:
        env_id: a registered id such as ``"CartPole-v1"`` or ``"FrozenLake-v1"``.
        seed: if given, the environment's first ``reset`` uses it, and its
            action space is seeded with it too (so ``env.action_space.sample()``
            repeats).  Later resets without a seed continue the same stream.
        render_mode: ``None``, ``"rgb_array"`` (frames as arrays) or ``"ansi"`` (text).
        **kwargs: passed to ``gymnasium.make`` (e.g. ``map_name="8x8"``).

    Raises:
        ValueError: for an unknown ``env_id``, naming the closest known ids.
    """
    if not isinstance(env_id, str):
        raise TypeError(f"env_id must be a str such as 'CartPole-v1', got {type(env_id).__name__}")
    if env_id not in gym.registry:
        ids = registered_env_ids()
        close = difflib.get_close_matches(env_id, ids, n=3, cutoff=0.6)
        if not close:  # try the name without its version, e.g. "Taxi-v3" -> "Taxi-v4"
            base = env_id.split("-v")[0].lower()
            close = [i for i in ids if i.split("-v")[0].lower() == base][:3]
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise ValueError(f"env_id {env_id!r} is not a registered Gymnasium environment.{hint}")
    if seed is not None:
        seed = check_seed(seed)
    if render_mode is not None and not os.environ.get("XDG_RUNTIME_DIR"):
        # pygame (SDL) draws the frames and prints an error line without a
        # runtime folder; give it a private one so notebooks stay clean.
        os.environ["XDG_RUNTIME_DIR"] = tempfile.mkdtemp(prefix="sdl-runtime-")
    env = gym.make(env_id, render_mode=render_mode, **kwargs)
    if seed is not None:
        env.reset(seed=seed)
        env.action_space.seed(seed)
    return env


def check_dqn_spaces(env: gym.Env, env_id: str) -> tuple[tuple[int, ...], int, int]:
    """(obs_shape, n_actions, first action) of a Box-observation, Discrete-action env, else ValueError."""
    obs_space, action_space = env.observation_space, env.action_space
    if not isinstance(obs_space, gym.spaces.Box):
        raise ValueError(
            f"DQN here needs a Box (vector) observation space, but {env_id} has {obs_space}; "
            "for a Discrete one, wrap the environment to one-hot encode the observation"
        )
    if not isinstance(action_space, gym.spaces.Discrete):
        raise ValueError(
            f"DQN needs a Discrete action space (one Q-value per action), but {env_id} has {action_space}"
        )
    return tuple(obs_space.shape), int(action_space.n), int(action_space.start)
