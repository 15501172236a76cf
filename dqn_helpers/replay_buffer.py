"""A replay buffer: a fixed-size memory of transitions, sampled uniformly.

DQN learns from *old* transitions as well as new ones.  The buffer keeps the
last ``capacity`` transitions ``(obs, action, reward, next_obs, terminated)``
in preallocated NumPy arrays used as a ring: when it is full, each new
transition overwrites the oldest one.  ``sample(batch_size)`` draws indices
uniformly (with replacement) and returns one torch tensor per field.

This module imports only the argument checks (:mod:`~dqn_helpers.validation`).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import torch

from .validation import check_bool, check_device, check_int, check_number, check_seed, check_shape, describe

__all__ = ["ReplayBatch", "ReplayBuffer"]


class ReplayBatch(NamedTuple):
    """A batch of ``B`` transitions, one torch tensor per field.

    Attributes:
        obs: ``(B, *obs_shape)`` float32, the observations the actions were taken in.
        actions: ``(B,)`` int64, the actions taken.
        rewards: ``(B,)`` float32, the rewards received.
        next_obs: ``(B, *obs_shape)`` float32, the observations that followed.
        terminated: ``(B,)`` float32, 1.0 where the episode *ended* at ``next_obs``
            (the pole fell), 0.0 otherwise.  A time-limit cut (``truncated``) is
            stored as 0.0: the state after it still has a future worth bootstrapping.
    """

    obs: torch.Tensor
    actions: torch.Tensor
    rewards: torch.Tensor
    next_obs: torch.Tensor
    terminated: torch.Tensor


_isfinite = math.isfinite
_REWARD_TYPES = (float, int, np.floating, np.integer)  # what add() takes without the full check


class ReplayBuffer:
    """A ring buffer of transitions that evicts the oldest one when full.

    Args:
        capacity: the most transitions kept, at least 1.
        obs_shape: the shape of one observation, e.g. ``(4,)`` for CartPole
            (an int ``n`` means ``(n,)``).
        seed: seeds the generator that picks sampled indices (``None``: unseeded).
        obs_dtype: how observations are stored (``np.float32``; ``np.uint8``
            saves memory for images).  ``sample`` always returns float32.
        device: where ``sample`` puts its tensors (``"cpu"`` or ``"cuda"``).
        n_actions: if given, ``add`` refuses actions outside ``0 .. n_actions - 1``
            (without it, only negative actions are refused).

    Example:
        >>> buffer = ReplayBuffer(capacity=10_000, obs_shape=(4,), seed=0)
        >>> buffer.add(obs, action, reward, next_obs, terminated)
        >>> batch = buffer.sample(64)   # batch.obs: (64, 4) float32
    """

    def __init__(
        self,
        capacity: int,
        obs_shape: tuple[int, ...] | int,
        seed: int | None = None,
        obs_dtype: np.dtype | type = np.float32,
        device: str | torch.device = "cpu",
        n_actions: int | None = None,
    ) -> None:
        self.capacity = check_int(capacity, "capacity", minimum=1)
        obs_shape = check_shape(obs_shape, "obs_shape")
        self.obs_shape: tuple[int, ...] = obs_shape
        if seed is not None and not isinstance(seed, (np.random.SeedSequence, np.random.Generator)):
            seed = check_seed(seed, "seed")
        try:
            obs_dtype = np.dtype(obs_dtype)
        except TypeError:
            raise TypeError(f"obs_dtype must be a NumPy dtype such as np.float32, got {describe(obs_dtype)}") from None
        if obs_dtype.kind not in "biuf":
            raise TypeError(f"obs_dtype must be a numeric NumPy dtype such as np.float32 or np.uint8, got {obs_dtype}")
        self.n_actions = None if n_actions is None else check_int(n_actions, "n_actions", minimum=1)
        self.device = torch.device(check_device(device, "device"))
        self._rng = np.random.default_rng(seed)
        self.obs = np.zeros((self.capacity, *obs_shape), dtype=obs_dtype)
        self.next_obs = np.zeros((self.capacity, *obs_shape), dtype=obs_dtype)
        self.actions = np.zeros(self.capacity, dtype=np.int64)
        self.rewards = np.zeros(self.capacity, dtype=np.float32)
        self.terminated = np.zeros(self.capacity, dtype=np.float32)
        self._next = 0  # the slot the next transition goes to
        self._size = 0  # how many slots hold a transition

    def __len__(self) -> int:
        """How many transitions the buffer holds (at most ``capacity``)."""
        return self._size

    def __repr__(self) -> str:
        return f"ReplayBuffer(capacity={self.capacity}, obs_shape={self.obs_shape}, holding={self._size})"

    def add(self, obs: np.ndarray, action: int, reward: float, next_obs: np.ndarray, terminated: bool) -> None:
        """Store one transition, overwriting the oldest one if the buffer is full.

        Args:
            obs, next_obs: arrays of shape ``obs_shape``.
            action: the action index (an int).
            reward: the reward received.
            terminated: whether the episode ended at ``next_obs`` (not a
                time-limit cut: pass ``truncated`` episodes as ``False``).

        Raises:
            ValueError: if ``obs`` or ``next_obs`` does not have shape ``obs_shape``, the
                action is negative (or, with ``n_actions``, too large), or the reward is
                NaN or infinite.
            TypeError: for an action that is not an int, a reward that is not a number,
                a ``terminated`` that is not a bool, or observations that are not numbers.

        The checks are kept cheap (this runs once per environment step); the
        observations' values are not checked for NaN.
        """
        obs = np.asarray(obs)
        next_obs = np.asarray(next_obs)
        if obs.shape != self.obs_shape:
            raise ValueError(f"obs has shape {obs.shape}, but this buffer stores observations of shape {self.obs_shape}")
        if next_obs.shape != self.obs_shape:
            raise ValueError(
                f"next_obs has shape {next_obs.shape}, but this buffer stores observations of shape {self.obs_shape}"
            )
        if obs.dtype.kind not in "biuf" or next_obs.dtype.kind not in "biuf":
            which = "obs" if obs.dtype.kind not in "biuf" else "next_obs"
            raise TypeError(f"{which} must hold numbers, got an array of dtype {(obs if which == 'obs' else next_obs).dtype}")
        if type(action) is not int:  # NumPy integers: a quick conversion; anything else: the full check
            action = int(action) if isinstance(action, np.integer) else check_int(action, "action", minimum=0)
        if action < 0 or (self.n_actions is not None and action >= self.n_actions):
            top = f"{self.n_actions - 1}" if self.n_actions is not None else "n_actions - 1"
            raise ValueError(f"action must be an action index in 0..{top}, got {action}")
        if not (isinstance(reward, _REWARD_TYPES) and type(reward) is not bool and _isfinite(reward)):
            reward = check_number(reward, "reward")
        if terminated is not True and terminated is not False:
            terminated = bool(terminated) if type(terminated) is np.bool_ else check_bool(terminated, "terminated")
        i = self._next
        self.obs[i] = obs
        self.actions[i] = action
        self.rewards[i] = reward
        self.next_obs[i] = next_obs
        self.terminated[i] = terminated
        self._next = (i + 1) % self.capacity
        if self._size < self.capacity:
            self._size += 1

    def sample(self, batch_size: int) -> ReplayBatch:
        """Draw ``batch_size`` stored transitions uniformly at random (with replacement).

        Returns:
            A :class:`ReplayBatch` of torch tensors on ``device``: ``obs`` and
            ``next_obs`` ``(batch_size, *obs_shape)`` float32, ``actions``
            ``(batch_size,)`` int64, ``rewards`` and ``terminated``
            ``(batch_size,)`` float32.

        Raises:
            ValueError: if ``batch_size`` is not positive or the buffer holds
                fewer than ``batch_size`` transitions.
        """
        idx = self.sample_indices(batch_size)
        obs, next_obs = self.obs[idx], self.next_obs[idx]
        if obs.dtype != np.float32:
            obs, next_obs = obs.astype(np.float32), next_obs.astype(np.float32)
        device = self.device
        return ReplayBatch(
            obs=torch.as_tensor(obs, device=device),
            actions=torch.as_tensor(self.actions[idx], device=device),
            rewards=torch.as_tensor(self.rewards[idx], device=device),
            next_obs=torch.as_tensor(next_obs, device=device),
            terminated=torch.as_tensor(self.terminated[idx], device=device),
        )

    def sample_indices(self, batch_size: int) -> np.ndarray:
        """The slots ``sample(batch_size)`` would read: ``(batch_size,)`` int64, drawn from this buffer's generator.

        ``sample`` calls it; :func:`~dqn_helpers.batched.train_dqn_batched` calls it to
        gather several buffers' samples into one array (the same draws as ``sample``).
        """
        batch_size = check_int(batch_size, "batch_size", minimum=1)
        if batch_size > self._size:
            raise ValueError(
                f"batch_size={batch_size} but the buffer holds only {self._size} transitions; "
                "add more (e.g. wait until learning_starts steps) before calling sample()"
            )
        return self._rng.integers(0, self._size, size=batch_size)
