"""Creating Gymnasium environments, with errors a learner can act on."""

from __future__ import annotations

import difflib
import os
import tempfile

import gymnasium as gym

from .validation import check_int, check_seed, describe

__all__ = ["DEFAULT_MAX_EPISODE_STEPS", "check_dqn_spaces", "episode_step_cap", "make_env", "registered_env_ids",
           "time_limit"]

DEFAULT_MAX_EPISODE_STEPS = 10_000
"""Where an evaluation cuts an episode of an environment that has no time limit of its own."""


def registered_env_ids() -> list[str]:
    """All environment ids Gymnasium knows, sorted."""
    return sorted(gym.registry.keys())


def _render_modes(env_id: str) -> list[str] | None:
    """The render modes the environment class declares, or ``None`` if they cannot be read without making it."""
    entry_point = gym.spec(env_id).entry_point
    try:
        creator = gym.envs.registration.load_env_creator(entry_point) if isinstance(entry_point, str) else entry_point
    except Exception:  # an entry point that does not import: gym.make will say so itself
        return None
    modes = getattr(creator, "metadata", {}).get("render_modes")
    return list(modes) if modes is not None else None


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
        ValueError: for an unknown ``env_id``, naming the closest known ids, or a
            ``render_mode`` the environment does not offer.
        TypeError: for a keyword argument the environment does not take.
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
    if render_mode is not None:
        if not isinstance(render_mode, str):
            raise TypeError(f"render_mode must be None or a str such as 'rgb_array', got {describe(render_mode)}")
        modes = _render_modes(env_id)
        if modes is not None and render_mode not in modes:
            raise ValueError(f"render_mode must be None or one of {modes} for {env_id}, got {render_mode!r}")
    if render_mode is not None and not os.environ.get("XDG_RUNTIME_DIR"):
        # pygame (SDL) draws the frames and prints an error line without a
        # runtime folder; give it a private one so notebooks stay clean.
        os.environ["XDG_RUNTIME_DIR"] = tempfile.mkdtemp(prefix="sdl-runtime-")
    try:
        env = gym.make(env_id, render_mode=render_mode, **kwargs)
    except TypeError as err:
        if not kwargs:
            raise
        raise TypeError(f"{env_id} does not take the keyword arguments {sorted(kwargs)} as given: {err}") from None
    if seed is not None:
        env.reset(seed=seed)
        env.action_space.seed(seed)
    return env


def time_limit(env: gym.Env) -> int | None:
    """The step limit of the ``TimeLimit`` wrapper around ``env``, or ``None``."""
    if not isinstance(env, gym.Env):
        raise TypeError(f"env must be a gymnasium.Env (from make_env or gym.make), got {type(env).__name__}")
    while isinstance(env, gym.Wrapper):
        if isinstance(env, gym.wrappers.TimeLimit):
            return int(env._max_episode_steps)
        env = env.env
    return None


def episode_step_cap(env: gym.Env, max_episode_steps: int | None) -> int | None:
    """How many steps an evaluation episode may take: ``max_episode_steps`` if given, else
    ``None`` when ``env`` has a time limit of its own (it ends episodes itself), else
    :data:`DEFAULT_MAX_EPISODE_STEPS` (so that a policy that walks in circles still stops)."""
    if max_episode_steps is not None:
        return check_int(max_episode_steps, "max_episode_steps", minimum=1)
    return None if time_limit(env) is not None else DEFAULT_MAX_EPISODE_STEPS


def check_dqn_spaces(env: gym.Env, env_id: str) -> tuple[tuple[int, ...], int, int]:
    """(obs_shape, n_actions, first action) of a Box-observation, Discrete-action env, else ValueError."""
    if not isinstance(env, gym.Env):
        raise TypeError(f"env must be a gymnasium.Env, got {type(env).__name__}")
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
