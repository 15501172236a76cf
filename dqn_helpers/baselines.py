"""A library's DQN under our yardstick: Stable-Baselines3 with the RL Zoo settings.

Stable-Baselines3 (SB3) is a maintained library of RL algorithms; the RL
Baselines3 Zoo publishes tuned hyper-parameters for it.  To compare its DQN
with ours fairly, both are measured the same way: every ``eval_interval``
environment steps the greedy policy plays ``eval_episodes`` episodes that reset
with seeds ``eval_seed, eval_seed + 1, ...`` (never a training seed), scored by
our own evaluation code, not the library's.

    settings, budget = zoo_settings("CartPole-v1")
    result = train_sb3_dqn("CartPole-v1", settings, total_steps=budget, seed=0)
    result.solved_step(475.0), result.final_eval_return, result.seconds

Stable-Baselines3 is imported only when a run starts, so importing this
module costs nothing.  Layering: this module sits beside :mod:`~dqn_helpers.dqn`
at the top (it uses :func:`~dqn_helpers.evaluation.evaluate` and
its own few-line greedy policy: SB3's ``q_net`` wants a batch dimension).
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from torch import nn

from .evaluation import evaluate
from .validation import check_bool, check_int, check_seed, check_str, describe

__all__ = ["RL_ZOO_DQN", "SB3Result", "batch_greedy_policy", "train_sb3_dqn", "zoo_settings"]

# RL Baselines3 Zoo, hyperparams/dqn.yml (DLR-RM/rl-baselines3-zoo), DQN entries for the two
# classic-control tasks we use.  ``n_timesteps`` is the Zoo's training budget; every other key
# is a keyword argument of ``stable_baselines3.DQN`` (the Zoo writes policy_kwargs as a string).
RL_ZOO_DQN: dict[str, dict[str, Any]] = {
    "CartPole-v1": dict(
        n_timesteps=50_000,
        learning_rate=2.3e-3,
        batch_size=64,
        buffer_size=100_000,
        learning_starts=1_000,
        gamma=0.99,
        target_update_interval=10,
        train_freq=256,
        gradient_steps=128,
        exploration_fraction=0.16,
        exploration_final_eps=0.04,
        policy_kwargs=dict(net_arch=[256, 256]),
    ),
    "Acrobot-v1": dict(
        n_timesteps=100_000,
        learning_rate=6.3e-4,
        batch_size=128,
        buffer_size=50_000,
        learning_starts=0,
        gamma=0.99,
        target_update_interval=250,
        train_freq=4,
        gradient_steps=-1,
        exploration_fraction=0.12,
        exploration_final_eps=0.1,
        policy_kwargs=dict(net_arch=[256, 256]),
    ),
}


def zoo_settings(env_id: str) -> tuple[dict[str, Any], int]:
    """The RL Zoo's DQN settings for ``env_id``: ``(keyword arguments for SB3's DQN, n_timesteps)``.

    Returns a fresh copy each call (safe to modify).  Raises ``ValueError``
    for an environment this module has no Zoo entry for.
    """
    if not isinstance(env_id, str):
        raise TypeError(f"env_id must be a str, one of {sorted(RL_ZOO_DQN)}, got {describe(env_id)}")
    if env_id not in RL_ZOO_DQN:
        raise ValueError(f"env_id must be one of {sorted(RL_ZOO_DQN)} (the Zoo entries stored here), got {env_id!r}")
    settings = copy.deepcopy(RL_ZOO_DQN[env_id])
    budget = int(settings.pop("n_timesteps"))
    return settings, budget


@dataclass
class SB3Result:
    """What :func:`train_sb3_dqn` measured.  ``*_steps`` count environment steps since the start."""

    env_id: str
    """The Gymnasium id trained on."""
    settings: dict[str, Any]
    """The keyword arguments given to ``stable_baselines3.DQN``."""
    seed: int
    """The training seed."""
    model: Any
    """The trained ``stable_baselines3.DQN``; ``model.q_net`` maps ``(B, obs_dim)`` to ``(B, n_actions)``."""
    eval_steps: np.ndarray
    """``(n_evals,)`` int: the environment step of each evaluation."""
    eval_returns: np.ndarray
    """``(n_evals,)`` float: the mean greedy return of each evaluation."""
    eval_episode_returns: np.ndarray
    """``(n_evals, eval_episodes)`` float: every evaluation episode's return."""
    eval_seconds: np.ndarray
    """``(n_evals,)`` float: wall-clock seconds since the start, at the end of each evaluation."""
    steps_done: int
    """Environment steps trained."""
    seconds: float
    """Wall-clock seconds of the whole run (model construction, training and evaluations)."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Room for a caller's own measurements."""

    def solved_step(self, threshold: float) -> int | None:
        """The step of the first evaluation whose mean return reached ``threshold`` (None if none did)."""
        hits = np.flatnonzero(self.eval_returns >= threshold)
        return int(self.eval_steps[hits[0]]) if hits.size else None

    def solved_seconds(self, threshold: float) -> float | None:
        """Wall-clock seconds from the start until that first evaluation ended (None if never)."""
        hits = np.flatnonzero(self.eval_returns >= threshold)
        return float(self.eval_seconds[hits[0]]) if hits.size else None

    @property
    def final_eval_return(self) -> float | None:
        """The mean return of the last evaluation (None if there was none)."""
        return float(self.eval_returns[-1]) if self.eval_returns.size else None


def batch_greedy_policy(q_net: nn.Module) -> Any:
    """``policy(obs) -> int``: argmax of ``q_net`` for one observation, passed as a batch of one.

    For networks that need a batch dimension, such as SB3's ``model.q_net``:
    ``obs`` ``(obs_dim,)`` becomes ``(1, obs_dim)`` float32 on the network's device.
    """
    device = next(q_net.parameters()).device

    def policy(obs: np.ndarray) -> int:
        with torch.inference_mode():
            obs_t = torch.as_tensor(np.asarray(obs, dtype=np.float32).reshape(1, -1), device=device)
            return int(q_net(obs_t).argmax())

    return policy


def _check_count(value: Any, name: str, minimum: int) -> int:
    return check_int(value, name, minimum=minimum)


def train_sb3_dqn(
    env_id: str,
    settings: dict[str, Any] | None = None,
    total_steps: int | None = None,
    seed: int = 0,
    eval_interval: int = 2_000,
    eval_episodes: int = 10,
    eval_seed: int = 10_000,
    progress: bool = False,
    threads: int | None = 1,
) -> SB3Result:
    """Train Stable-Baselines3's DQN on ``env_id`` and evaluate it with our yardstick.

    Args:
        env_id: a Gymnasium id with a Box observation space and a Discrete action space.
        settings: keyword arguments for ``stable_baselines3.DQN`` (``learning_rate``,
            ``train_freq``, ``policy_kwargs``, ...); ``None`` takes the RL Zoo's
            entry for ``env_id`` (see :func:`zoo_settings`).
        total_steps: environment steps to train; ``None`` takes the Zoo's budget
            (only when ``settings`` is ``None``).
        seed: the training seed (SB3's ``seed=``: network, exploration, environment).
        eval_interval: evaluate the greedy policy every this many environment steps
            (and once at the end if ``total_steps`` is not a multiple of it).
        eval_episodes: episodes per evaluation.
        eval_seed: evaluation episode ``i`` resets with ``eval_seed + i``; must not
            make ``seed`` one of the evaluation seeds.
        progress: SB3's own progress bar (needs ``tqdm`` and ``rich``).
        threads: torch threads during the run (restored afterwards); ``None`` leaves
            torch's setting alone.  One thread is several times faster for networks
            this small on a busy 2-core machine (threads wait for each other).

    Returns:
        An :class:`SB3Result` (arrays as NumPy).  The greedy action is the argmax of
        ``model.q_net``, played by :func:`dqn_helpers.evaluate` as for our agents.

    Raises:
        ValueError: bad counts or seeds, an unknown ``env_id`` without ``settings``,
            or a ``settings`` key that is not a keyword of ``stable_baselines3.DQN``.
        ImportError: if Stable-Baselines3 is not installed.
    """
    env_id = check_str(env_id, "env_id", example="CartPole-v1")
    if settings is None:
        settings, zoo_budget = zoo_settings(env_id)
        total_steps = zoo_budget if total_steps is None else total_steps
    elif not isinstance(settings, dict):
        raise TypeError(f"settings must be a dict of stable_baselines3.DQN keyword arguments, got {type(settings).__name__}")
    else:
        settings = copy.deepcopy(settings)
    if total_steps is None:
        raise ValueError("total_steps must be given when settings are (only the Zoo entries carry a budget)")
    total_steps = _check_count(total_steps, "total_steps", 1)
    eval_interval = _check_count(eval_interval, "eval_interval", 1)
    eval_episodes = _check_count(eval_episodes, "eval_episodes", 1)
    seed = check_seed(seed, "seed")
    eval_seed = check_seed(eval_seed, "eval_seed")
    if eval_seed <= seed < eval_seed + eval_episodes:
        raise ValueError(
            f"seed={seed} is one of the evaluation seeds {eval_seed}..{eval_seed + eval_episodes - 1}; "
            "keep training and evaluation seeds apart"
        )
    progress = check_bool(progress, "progress")
    for reserved in ("policy", "env", "seed", "device", "verbose"):
        if reserved in settings:
            raise ValueError(f"settings must not contain {reserved!r}: train_sb3_dqn sets it itself")

    try:
        from stable_baselines3 import DQN
        from stable_baselines3.common.callbacks import BaseCallback
    except ImportError as exc:  # pragma: no cover - SB3 is a dependency of the project
        raise ImportError("train_sb3_dqn needs Stable-Baselines3: pip install stable-baselines3") from exc

    import inspect

    known = set(inspect.signature(DQN.__init__).parameters) - {"self"}
    unknown = sorted(set(settings) - known)
    if unknown:
        raise ValueError(f"settings has keys that stable_baselines3.DQN does not take: {unknown}")

    if threads is not None:
        threads = _check_count(threads, "threads", 1)
    started = time.perf_counter()
    log: dict[str, list] = {"steps": [], "episodes": [], "seconds": []}

    def run_evaluation(model: Any, step: int) -> None:
        returns = evaluate(batch_greedy_policy(model.q_net), env_id, eval_episodes, eval_seed)
        log["steps"].append(step)
        log["episodes"].append(returns)
        log["seconds"].append(time.perf_counter() - started)

    class _Evaluate(BaseCallback):
        """Calls our evaluation every ``eval_interval`` environment steps (SB3 calls _on_step once per step)."""

        def _on_step(self) -> bool:
            if self.num_timesteps % eval_interval == 0:
                run_evaluation(self.model, self.num_timesteps)
            return True

    threads_before = torch.get_num_threads()
    env = gym.make(env_id)
    try:
        if threads is not None:
            torch.set_num_threads(threads)
        model = DQN("MlpPolicy", env, seed=seed, device="cpu", verbose=0, **settings)
        model.learn(total_timesteps=total_steps, callback=_Evaluate(), progress_bar=progress)
        steps_done = int(model.num_timesteps)  # SB3 collects train_freq steps at a time: may pass total_steps
        if not log["steps"] or log["steps"][-1] != steps_done:
            run_evaluation(model, steps_done)
    finally:
        torch.set_num_threads(threads_before)
        env.close()
    seconds = time.perf_counter() - started
    episodes = np.asarray(log["episodes"], dtype=np.float64).reshape(len(log["episodes"]), eval_episodes)
    return SB3Result(
        env_id=env_id,
        settings=settings,
        seed=seed,
        model=model,
        eval_steps=np.asarray(log["steps"], dtype=np.int64),
        eval_returns=episodes.mean(axis=1),
        eval_episode_returns=episodes,
        eval_seconds=np.asarray(log["seconds"], dtype=np.float64),
        steps_done=steps_done,
        seconds=seconds,
    )
