"""Every setting of a DQN run (``DQNConfig``) and the pieces of its loop one may swap (``DQNHooks``).

``DQNConfig`` is a dataclass with one documented field per setting; it checks
its values when made, so a typo fails here and not minutes into training.
``DQNHooks`` names the pieces of :func:`~dqn_helpers.train_dqn`'s loop a
notebook can replace with a function of its own.

This module sits below the loop (:mod:`~dqn_helpers.dqn`) and imports only
the replay buffer's batch type and the argument checks (:mod:`~dqn_helpers.validation`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Callable

import torch
from torch import nn

from .replay_buffer import ReplayBatch
from .validation import (
    check_bool,
    check_callable,
    check_choice,
    check_device,
    check_int,
    check_int_tuple,
    check_number,
    check_plain_data,
    check_str,
    describe,
)

__all__ = ["DQNConfig", "DQNHooks"]


# --------------------------------------------------------------------------- configuration


@dataclass
class DQNConfig:
    """Every setting of one DQN run.  The defaults are tuned for CartPole-v1
    (see ``benchmarks/README.md`` for how and what they reach)."""

    env_id: str = "CartPole-v1"
    """Gymnasium id; the environment needs a Box observation space and a Discrete action space."""
    env_kwargs: dict = field(default_factory=dict)
    """Extra keyword arguments for ``gymnasium.make`` (training and evaluation environments alike)."""
    total_steps: int = 50_000
    """How many environment steps to train for (the budget)."""
    learning_rate: float = 2.3e-3
    """Adam's step size at the start of training."""
    lr_final_fraction: float = 0.05
    """The learning rate falls linearly to ``learning_rate * lr_final_fraction`` (1.0: constant)."""
    lr_decay_steps: int | None = 30_000
    """Environment steps the learning-rate decay takes; it then stays at its final value (None: ``total_steps``)."""
    buffer_size: int = 50_000
    """How many transitions the replay buffer keeps (the oldest is evicted first)."""
    batch_size: int = 128
    """How many transitions one gradient step learns from."""
    gamma: float = 0.98
    """Discount factor in [0, 1]: how much a reward one step later is worth."""
    learning_starts: int = 1_000
    """Environment steps of pure collection before the first gradient step."""
    train_frequency: int = 64
    """Environment steps between two rounds of gradient steps."""
    gradient_steps: int = 16
    """Gradient steps per round (so ``gradient_steps / train_frequency`` updates per environment step)."""
    target_update_interval: int = 64
    """Every this many environment steps the target network moves towards the online one (see ``tau``)."""
    tau: float = 1.0
    """Target update ``target <- tau * online + (1 - tau) * target``; 1.0 is a hard copy, < 1 a Polyak average."""
    epsilon_start: float = 1.0
    """Exploration rate (probability of a uniformly random action) at step 0."""
    epsilon_end: float = 0.04
    """Exploration rate after ``exploration_steps`` steps, kept until the end."""
    exploration_steps: int = 8_000
    """Environment steps over which epsilon falls linearly from ``epsilon_start`` to ``epsilon_end``."""
    hidden_sizes: tuple[int, ...] = (128, 128)
    """Widths of the Q-network's hidden layers."""
    dueling: bool = False
    """Use a dueling head (value + advantage streams) in the Q-network."""
    loss: str = "huber"
    """``"huber"`` (smooth L1: linear for TD errors beyond 1) or ``"mse"`` (squared error)."""
    max_grad_norm: float | None = 10.0
    """Clip the gradient's global norm to this before each step (``None``: no clipping)."""
    double_dqn: bool = True
    """Double DQN targets: the online network picks the next action, the target network values it."""
    use_replay: bool = True
    """False: learn online from the latest transition only (a batch of one; ``buffer_size`` and ``batch_size`` unused)."""
    use_target_network: bool = True
    """False: bootstrap from the network being trained itself (no frozen copy)."""
    eval_interval: int = 2_000
    """Evaluate the greedy policy every this many environment steps (0: never)."""
    eval_episodes: int = 10
    """Episodes per evaluation."""
    eval_seed: int = 10_000
    """Evaluation episode ``i`` resets with ``eval_seed + i``; keep these apart from ``seed``."""
    keep_best: bool = True
    """Return the network of the best evaluation (the latest among equals) as ``q_net`` instead of the last one."""
    log_diagnostics: bool = False
    """Also log, per gradient step, the mean Q(s, a), the mean |TD error| and the gradient norm before clipping."""
    seed: int = 0
    """Seeds the network's initial weights, exploration, replay sampling and the training environment."""
    device: str = "cpu"
    """Where the networks live: ``"cpu"`` (fastest for these small networks) or ``"cuda"``."""

    def __post_init__(self) -> None:
        # Every field is checked and normalized to a plain Python value (np.int64(3) -> 3,
        # [64, 64] -> (64, 64)), so that whatever is accepted here saves and loads back.
        self.env_id = check_str(self.env_id, "env_id", example="CartPole-v1")
        if not isinstance(self.env_kwargs, dict):
            raise TypeError(f"env_kwargs must be a dict of gymnasium.make keyword arguments, got {describe(self.env_kwargs)}")
        self.env_kwargs = check_plain_data(self.env_kwargs, "env_kwargs")
        for name in ("total_steps", "buffer_size", "batch_size", "train_frequency", "gradient_steps",
                     "target_update_interval", "eval_episodes"):
            setattr(self, name, check_int(getattr(self, name), name, minimum=1))
        for name in ("learning_starts", "exploration_steps", "eval_interval", "eval_seed", "seed"):
            setattr(self, name, check_int(getattr(self, name), name, minimum=0))
        if self.lr_decay_steps is not None:
            self.lr_decay_steps = check_int(self.lr_decay_steps, "lr_decay_steps", minimum=1)
        self.learning_rate = check_number(self.learning_rate, "learning_rate", 0.0, low_open=True)
        for name in ("lr_final_fraction", "gamma", "epsilon_start", "epsilon_end"):
            setattr(self, name, check_number(getattr(self, name), name, 0.0, 1.0))
        self.tau = check_number(self.tau, "tau", 0.0, 1.0, low_open=True)
        if self.max_grad_norm is not None:
            self.max_grad_norm = check_number(self.max_grad_norm, "max_grad_norm", 0.0, low_open=True)
        self.loss = check_choice(self.loss, "loss", ("huber", "mse"))
        self.hidden_sizes = check_int_tuple(self.hidden_sizes, "hidden_sizes", minimum=1, example="(128, 128)")
        for name in ("dueling", "double_dqn", "use_replay", "use_target_network", "keep_best", "log_diagnostics"):
            setattr(self, name, check_bool(getattr(self, name), name))
        self.device = check_device(self.device, "device")
        if self.use_replay and self.batch_size > self.buffer_size:
            raise ValueError(
                f"batch_size={self.batch_size} is larger than buffer_size={self.buffer_size}: "
                "the buffer could never fill one batch"
            )
        if self.learning_starts > self.total_steps:
            raise ValueError(
                f"learning_starts={self.learning_starts} is beyond total_steps={self.total_steps}: "
                "training would end before the first gradient step"
            )
        if self.eval_seed <= self.seed < self.eval_seed + self.eval_episodes:
            raise ValueError(
                f"seed={self.seed} is one of the evaluation seeds eval_seed..eval_seed+eval_episodes-1 "
                f"({self.eval_seed}..{self.eval_seed + self.eval_episodes - 1}); keep training and evaluation seeds apart"
            )

    def to_dict(self) -> dict[str, Any]:
        """The settings as a plain dict (what ``save_agent`` stores)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "DQNConfig":
        """Rebuild a config from ``to_dict()``'s output; unknown keys raise ``ValueError``."""
        if not isinstance(values, dict):
            raise TypeError(f"values must be a dict of DQNConfig fields (from to_dict()), got {describe(values)}")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown DQNConfig fields: {unknown}")
        return cls(**values)


# --------------------------------------------------------------------------- hooks


@dataclass
class DQNHooks:
    """Optional replacements for pieces of :func:`train_dqn`'s loop; ``None`` keeps the loop's own.

    Each field is a function the loop calls instead of its built-in step, so a
    notebook can plug in a piece written in its own cells (a buggy one, to see
    what it does, or a learner's own) and keep everything else identical.
    Unset hooks cost nothing.  :func:`~dqn_helpers.train_dqn_seeds` sends hooks
    to its worker processes by value (with ``cloudpickle``), so functions
    defined in a notebook cell work there too.
    """

    make_buffer: Callable[[int, tuple[int, ...], int], Any] | None = None
    """``make_buffer(capacity, obs_shape, seed) -> buffer`` with ``.add(obs, action, reward, next_obs, terminated)``, ``len()`` and ``.sample(batch_size)`` returning a :class:`~dqn_helpers.ReplayBatch`-like object."""
    stored_done: Callable[[bool, bool], bool] | None = None
    """``stored_done(terminated, truncated) -> bool``: what the buffer stores as ``terminated`` (default: ``terminated``)."""
    td_target: Callable[[ReplayBatch, nn.Module, nn.Module, float], torch.Tensor] | None = None
    """``td_target(batch, q_net, target_net, gamma) -> (B,) float Tensor``, called under ``torch.no_grad()`` (replaces the config's DQN / Double DQN target)."""
    loss: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor] | None = None
    """``loss(q_values (B, n_actions), actions (B,) int64, td_target (B,)) -> scalar Tensor`` (replaces ``config.loss``)."""
    epsilon: Callable[[int, int], float] | None = None
    """``epsilon(step, episode) -> float`` in [0, 1]: exploration rate before environment step ``step`` (0-based) of training episode ``episode`` (1-based)."""
    should_train: Callable[[int, bool], bool] | None = None
    """``should_train(step, episode_ended) -> bool``: run a round of ``gradient_steps`` updates after environment step ``step`` (1-based)? Default: every ``train_frequency`` steps.  Never before ``learning_starts`` or a full batch."""

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            check_callable(value, f"DQNHooks.{f.name}", optional=True)
