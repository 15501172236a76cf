"""Evaluating a policy: run whole episodes and collect their returns.

- :func:`evaluate` plays any ``policy(obs) -> action``, one episode after the other.
- :func:`q_net_policy` turns a Q-network into such a policy (the greedy action).
- :func:`evaluate_greedy` plays a Q-network's greedy policy on several episodes side
  by side, one forward pass per step for all of them (what training uses).
"""

from __future__ import annotations

from typing import Any, Callable

import gymnasium as gym
import numpy as np
import torch
from torch import nn

from .envs import check_dqn_spaces, episode_step_cap, make_env
from .networks import NumpyGreedy, QNetwork, one_blas_thread
from .validation import check_callable, check_device, check_int, check_seed, check_str, describe

__all__ = ["evaluate", "evaluate_greedy", "q_net_policy"]


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
        max_episode_steps: cut episodes after this many steps.  ``None``: the
            environment's own time limit, or, for an environment without one
            (such as CliffWalking-v1, where a poor policy can walk forever),
            ``DEFAULT_MAX_EPISODE_STEPS`` (10,000).

    Returns:
        A float array of shape ``(n_episodes,)``: the undiscounted return of
        each episode.

    Raises:
        ValueError: if ``n_episodes < 1`` or the policy returns an action the
            action space does not contain.
        TypeError: for arguments of the wrong kind (each names the argument).
    """
    check_callable(policy, "policy", "a function obs -> action")
    n_episodes = check_int(n_episodes, "n_episodes", minimum=1)
    seed = check_seed(seed)
    if max_episode_steps is not None:
        max_episode_steps = check_int(max_episode_steps, "max_episode_steps", minimum=1)
    if not isinstance(env_id, (str, gym.Env)):
        raise TypeError(f"env_id must be a Gymnasium id such as 'CartPole-v1' or a gymnasium.Env, got {describe(env_id)}")

    own_env = isinstance(env_id, str)
    env = make_env(env_id) if own_env else env_id
    max_episode_steps = episode_step_cap(env, max_episode_steps)
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


def q_net_policy(q_net: nn.Module, device: str | torch.device = "cpu") -> Callable[[np.ndarray], int]:
    """``policy(obs) -> int``: the action with the highest Q-value, for :func:`dqn_helpers.evaluate`."""
    check_callable(q_net, "q_net", "a Q-network (a torch.nn.Module)")
    device = check_device(device, "device")

    def policy(obs: np.ndarray) -> int:
        with torch.inference_mode():
            obs_t = torch.as_tensor(np.asarray(obs, dtype=np.float32).reshape(-1), device=device)
            return int(q_net(obs_t).argmax())

    return policy


class _GreedyEvaluator:
    """Runs ``n_episodes`` greedy episodes side by side, one forward pass per step for all of them."""

    def __init__(
        self,
        env_id: str,
        n_episodes: int,
        seed: int,
        env_kwargs: dict | None = None,
        max_episode_steps: int | None = None,
    ) -> None:
        self.envs = [make_env(env_id, **(env_kwargs or {})) for _ in range(n_episodes)]
        obs_shape, self.n_actions, self.action_start = check_dqn_spaces(self.envs[0], env_id)
        self.obs_dim = int(np.prod(obs_shape))
        self.env_id = env_id
        self.seed = seed
        # None when the environment has a time limit (it ends episodes itself: results unchanged).
        self.max_steps = episode_step_cap(self.envs[0], max_episode_steps)

    def _check_network(self, q_net: nn.Module) -> None:
        """The network must take this environment's observations and give one Q-value per action."""
        check_callable(q_net, "q_net", "a Q-network (a torch.nn.Module)")
        if isinstance(q_net, QNetwork) and (q_net.obs_dim, q_net.n_actions) != (self.obs_dim, self.n_actions):
            raise ValueError(
                f"q_net takes obs_dim={q_net.obs_dim} and gives n_actions={q_net.n_actions} Q-values, "
                f"but {self.env_id} has {self.obs_dim}-number observations and {self.n_actions} actions"
            )

    def __call__(self, q_net: nn.Module) -> np.ndarray:
        with one_blas_thread():  # a CPU QNetwork: the same returns whatever the number of cores, no spinning
            return self._play(q_net)

    def _play(self, q_net: nn.Module) -> np.ndarray:
        self._check_network(q_net)
        n = len(self.envs)
        on_cpu = all(p.device.type == "cpu" for p in q_net.parameters())
        numpy_greedy = NumpyGreedy(q_net) if on_cpu and isinstance(q_net, QNetwork) else None
        first = next(iter(q_net.parameters()), None) if isinstance(q_net, nn.Module) else None
        device = first.device if first is not None else torch.device("cpu")
        obs = np.stack([env.reset(seed=self.seed + i)[0].reshape(-1) for i, env in enumerate(self.envs)])
        obs = obs.astype(np.float32)
        returns = np.zeros(n, dtype=np.float64)
        active = np.arange(n)
        steps = 0
        while active.size:
            if numpy_greedy is not None:
                actions = numpy_greedy.q_values(obs[active]).argmax(axis=1)
            else:
                with torch.inference_mode():
                    q_values = q_net(torch.as_tensor(obs[active], device=device))
                if steps == 0 and tuple(q_values.shape) != (active.size, self.n_actions):
                    raise ValueError(
                        f"q_net maps a batch of {active.size} observations to shape {tuple(q_values.shape)}, "
                        f"but {self.env_id} needs ({active.size}, {self.n_actions}): one Q-value per action"
                    )
                actions = q_values.argmax(dim=1).cpu().numpy()
            steps += 1
            cut = self.max_steps is not None and steps >= self.max_steps
            still = []
            for i, action in zip(active, actions):
                next_obs, reward, terminated, truncated, _ = self.envs[i].step(int(action) + self.action_start)
                returns[i] += float(reward)
                obs[i] = next_obs.reshape(-1)
                if not (terminated or truncated or cut):
                    still.append(i)
            active = np.asarray(still, dtype=np.int64)
        return returns

    def close(self) -> None:
        for env in self.envs:
            env.close()


def evaluate_greedy(
    q_net: nn.Module,
    env_id: str,
    n_episodes: int,
    seed: int,
    env_kwargs: dict | None = None,
    max_episode_steps: int | None = None,
) -> np.ndarray:
    """The returns ``(n_episodes,)`` of the greedy policy of ``q_net``; episode ``i`` resets with ``seed + i``.

    ``q_net`` maps observations ``(B, obs_dim)`` to Q-values ``(B, n_actions)``
    (a :class:`QNetwork`, or any such ``nn.Module``).

    ``max_episode_steps`` cuts each episode after that many steps.  ``None``
    (the default) keeps the environment's own time limit (CartPole-v1: 500),
    and for an environment without one (CliffWalking-v1) cuts at
    ``DEFAULT_MAX_EPISODE_STEPS`` = 10,000 steps, so that a greedy policy that
    walks in circles still ends.

    Gives the same returns as ``evaluate(q_net_policy(q_net), env_id, n_episodes, seed)``,
    faster: the episodes run side by side and share one forward pass per step.
    """
    check_callable(q_net, "q_net", "a Q-network (a torch.nn.Module)")
    env_id = check_str(env_id, "env_id", example="CartPole-v1")
    n_episodes = check_int(n_episodes, "n_episodes", minimum=1)
    seed = check_seed(seed)
    if env_kwargs is not None and not isinstance(env_kwargs, dict):
        raise TypeError(f"env_kwargs must be a dict of gymnasium.make keyword arguments or None, got {describe(env_kwargs)}")
    evaluator = _GreedyEvaluator(env_id, n_episodes, seed, env_kwargs, max_episode_steps)
    try:
        return evaluator(q_net)
    finally:
        evaluator.close()
