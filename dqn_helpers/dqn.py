"""Deep Q-Networks (Mnih et al., 2015): the training loop, its configuration and its result.

One loop, with the variants the notebooks compare as options of ``DQNConfig``:
learning online from the latest transition (``use_replay=False``), bootstrapping
from the network being trained (``use_target_network=False``), Double DQN
targets, Huber or squared loss, hard or Polyak target updates.  ``DQNHooks``
lets a notebook swap one piece of the loop (the replay buffer, what is stored
as ``terminated``, the TD target, the loss, the exploration rate, when to
train) for a function of its own, e.g. to show what a bug does.

    config = DQNConfig(env_id="CartPole-v1", seed=0)
    result = train_dqn(config)            # progress bar; Ctrl-C keeps what was learned
    result.solved_step()                  # first evaluation averaging >= 475, or None
    save_agent("cartpole.pt", result.q_net, config)

Layering: this module sits on top of the data structures
(:mod:`~dqn_helpers.replay_buffer`, :mod:`~dqn_helpers.networks`,
:mod:`~dqn_helpers.schedules`) and of :mod:`~dqn_helpers.envs` and
:mod:`~dqn_helpers.seeding`.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import gymnasium as gym
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from .envs import make_env
from .networks import NumpyGreedy, QNetwork
from .replay_buffer import ReplayBatch, ReplayBuffer
from .schedules import linear_schedule
from .seeding import check_seed, seed_everything

__all__ = [
    "DQNConfig",
    "DQNHooks",
    "DQNResult",
    "dqn_update",
    "evaluate_greedy",
    "greedy_policy",
    "load_agent",
    "make_target_network",
    "polyak_update",
    "save_agent",
    "train_dqn",
]


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
        def positive_int(name: str, minimum: int = 1) -> None:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise ValueError(f"{name} must be an int, got {type(value).__name__} {value!r}")
            if value < minimum:
                raise ValueError(f"{name} must be at least {minimum}, got {value}")

        def number_in(name: str, low: float, high: float, low_open: bool = False) -> None:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
                raise ValueError(f"{name} must be a number, got {type(value).__name__} {value!r}")
            if not (low < value if low_open else low <= value) or not value <= high or math.isnan(value):
                bracket = "(" if low_open else "["
                raise ValueError(f"{name} must be in {bracket}{low}, {high}], got {value}")

        if not isinstance(self.env_id, str):
            raise ValueError(f"env_id must be a Gymnasium id such as 'CartPole-v1', got {self.env_id!r}")
        if not isinstance(self.env_kwargs, dict):
            raise ValueError(f"env_kwargs must be a dict, got {type(self.env_kwargs).__name__}")
        for name in ("total_steps", "buffer_size", "batch_size", "train_frequency", "gradient_steps",
                     "target_update_interval", "eval_episodes"):
            positive_int(name)
        for name in ("learning_starts", "exploration_steps", "eval_interval", "eval_seed", "seed"):
            positive_int(name, minimum=0)
        number_in("learning_rate", 0.0, math.inf, low_open=True)
        number_in("lr_final_fraction", 0.0, 1.0)
        number_in("gamma", 0.0, 1.0)
        number_in("tau", 0.0, 1.0, low_open=True)
        number_in("epsilon_start", 0.0, 1.0)
        number_in("epsilon_end", 0.0, 1.0)
        if self.lr_decay_steps is not None:
            positive_int("lr_decay_steps")
        if self.max_grad_norm is not None:
            number_in("max_grad_norm", 0.0, math.inf, low_open=True)
        if self.loss not in ("huber", "mse"):
            raise ValueError(f"loss must be 'huber' or 'mse', got {self.loss!r}")
        try:
            self.hidden_sizes = tuple(int(h) for h in self.hidden_sizes)
        except (TypeError, ValueError):
            raise ValueError(f"hidden_sizes must be a sequence of positive ints, got {self.hidden_sizes!r}") from None
        if any(h < 1 for h in self.hidden_sizes):
            raise ValueError(f"hidden_sizes must be positive, got {self.hidden_sizes}")
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
        if not isinstance(self.device, str):
            self.device = str(self.device)

    def to_dict(self) -> dict[str, Any]:
        """The settings as a plain dict (what ``save_agent`` stores)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "DQNConfig":
        """Rebuild a config from ``to_dict()``'s output; unknown keys raise ``ValueError``."""
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
            if value is not None and not callable(value):
                raise TypeError(f"DQNHooks.{f.name} must be a function or None, got {type(value).__name__} {value!r}")


# --------------------------------------------------------------------------- result


@dataclass
class DQNResult:
    """What :func:`train_dqn` learned and measured.

    Arrays are NumPy; ``*_steps`` count environment steps since the start.
    """

    config: DQNConfig
    """The settings of the run."""
    q_net: QNetwork
    """The agent to keep: the last network, or the best evaluated one if ``config.keep_best``."""
    last_q_net: QNetwork
    """The network at the end of training (the same object as ``q_net`` unless ``keep_best``)."""
    episode_returns: np.ndarray
    """``(n_episodes,)`` float: the return of each finished training episode (exploration included)."""
    episode_end_steps: np.ndarray
    """``(n_episodes,)`` int: the environment step at which each training episode ended."""
    eval_steps: np.ndarray
    """``(n_evals,)`` int: the environment step of each evaluation."""
    eval_returns: np.ndarray
    """``(n_evals,)`` float: the mean greedy return of each evaluation."""
    eval_episode_returns: np.ndarray
    """``(n_evals, eval_episodes)`` float: every evaluation episode's return."""
    eval_seconds: np.ndarray
    """``(n_evals,)`` float: wall-clock seconds since ``train_dqn`` started, at the end of each evaluation."""
    losses: np.ndarray
    """``(n_gradient_steps,)`` float: the loss of each gradient step."""
    loss_steps: np.ndarray
    """``(n_gradient_steps,)`` int: the environment step of each gradient step."""
    steps_done: int
    """Environment steps taken (``total_steps`` unless interrupted)."""
    seconds: float
    """Wall-clock seconds the whole call took."""
    interrupted: bool = False
    """True if training was stopped early (Ctrl-C, the Jupyter stop button)."""
    best_eval_step: int | None = None
    """With ``keep_best``: the step of the evaluation whose network ``q_net`` is."""
    diagnostics: dict[str, np.ndarray] = field(default_factory=dict)
    """With ``log_diagnostics``: per gradient step ``"q_mean"``, ``"td_error_abs"``, ``"grad_norm"``."""

    def solved_step(self, threshold: float = 475.0) -> int | None:
        """The step of the first evaluation whose mean return reached ``threshold`` (None if none did)."""
        hits = np.flatnonzero(self.eval_returns >= threshold)
        return int(self.eval_steps[hits[0]]) if hits.size else None

    def solved_seconds(self, threshold: float = 475.0) -> float | None:
        """Wall-clock seconds from the start until that first evaluation ended (None if never)."""
        hits = np.flatnonzero(self.eval_returns >= threshold)
        return float(self.eval_seconds[hits[0]]) if hits.size else None

    @property
    def steps_per_second(self) -> float:
        """Environment steps per wall-clock second, evaluations included."""
        return self.steps_done / self.seconds if self.seconds > 0 else float("nan")

    @property
    def final_eval_return(self) -> float | None:
        """The mean return of the last evaluation (None if there was none)."""
        return float(self.eval_returns[-1]) if self.eval_returns.size else None


# --------------------------------------------------------------------------- pieces


def make_target_network(q_net: nn.Module) -> nn.Module:
    """A frozen copy of ``q_net``: same outputs now, no shared parameters, ``requires_grad=False``."""
    target_net = copy.deepcopy(q_net)
    for param in target_net.parameters():
        param.requires_grad_(False)
    return target_net


@torch.no_grad()
def polyak_update(target_net: nn.Module, q_net: nn.Module, tau: float) -> None:
    """In place: ``target <- tau * online + (1 - tau) * target`` for every parameter (tau=1: copy)."""
    if not 0.0 < tau <= 1.0:
        raise ValueError(f"tau must be in (0, 1], got {tau}")
    targets = list(target_net.parameters())
    onlines = list(q_net.parameters())
    if tau == 1.0:
        torch._foreach_copy_(targets, onlines)
    else:
        torch._foreach_lerp_(targets, onlines, tau)


def greedy_policy(q_net: nn.Module, device: str | torch.device = "cpu") -> Callable[[np.ndarray], int]:
    """``policy(obs) -> int``: the action with the highest Q-value, for :func:`dqn_helpers.evaluate`."""

    def policy(obs: np.ndarray) -> int:
        with torch.inference_mode():
            obs_t = torch.as_tensor(np.asarray(obs, dtype=np.float32).reshape(-1), device=device)
            return int(q_net(obs_t).argmax())

    return policy


def dqn_update(
    q_net: nn.Module,
    target_net: nn.Module,
    optimizer: torch.optim.Optimizer,
    batch: ReplayBatch,
    gamma: float,
    loss: str = "huber",
    max_grad_norm: float | None = 10.0,
    double_dqn: bool = False,
    diagnostics: dict[str, list[float]] | None = None,
    td_target_fn: Callable[..., torch.Tensor] | None = None,
    loss_fn: Callable[..., torch.Tensor] | None = None,
) -> float:
    """One gradient step of DQN on ``batch``; returns the loss as a float.

    ``td_target = r + gamma * (1 - terminated) * Q_target(s', a*)`` with
    ``a* = argmax_a Q_target(s', a)`` (or ``argmax_a Q(s', a)`` for Double DQN),
    and the loss is Huber or squared error between ``Q(s, a)`` and ``td_target``,
    averaged over the batch.  Pass ``target_net=q_net`` to bootstrap from the
    network being trained.  If ``diagnostics`` is a dict of lists, appends the
    batch's mean Q(s, a), mean |TD error| and the gradient norm before clipping.
    ``td_target_fn`` and ``loss_fn`` replace the target and the loss (see :class:`DQNHooks`).
    """
    with torch.no_grad():
        if td_target_fn is None:
            next_q_target = target_net(batch.next_obs)  # (B, n_actions)
            if double_dqn:
                next_actions = q_net(batch.next_obs).argmax(dim=1, keepdim=True)  # (B, 1)
                next_value = next_q_target.gather(1, next_actions).squeeze(1)  # (B,)
            else:
                next_value = next_q_target.max(dim=1).values  # (B,)
            td_target = batch.rewards + gamma * (1.0 - batch.terminated) * next_value  # (B,)
        else:
            td_target = td_target_fn(batch, q_net, target_net, gamma)
            if not isinstance(td_target, torch.Tensor) or td_target.shape != batch.rewards.shape:
                raise ValueError(
                    f"the td_target hook must return a Tensor of shape {tuple(batch.rewards.shape)} (one target per "
                    f"transition), got {getattr(td_target, 'shape', type(td_target).__name__)}"
                )
    if loss_fn is None:
        q_value = q_net(batch.obs).gather(1, batch.actions.unsqueeze(1)).squeeze(1)  # (B,)
        if loss == "huber":
            loss_t = F.smooth_l1_loss(q_value, td_target)
        else:
            loss_t = F.mse_loss(q_value, td_target)
    else:
        q_values = q_net(batch.obs)  # (B, n_actions)
        loss_t = loss_fn(q_values, batch.actions, td_target)
        if not isinstance(loss_t, torch.Tensor) or loss_t.ndim != 0:
            raise ValueError(
                f"the loss hook must return a scalar Tensor, got {getattr(loss_t, 'shape', type(loss_t).__name__)}"
            )
        q_value = q_values.gather(1, batch.actions.unsqueeze(1)).squeeze(1)  # (B,), for the diagnostics
    optimizer.zero_grad(set_to_none=True)
    loss_t.backward()
    if max_grad_norm is not None or diagnostics is not None:
        grad_norm = nn.utils.clip_grad_norm_(
            q_net.parameters(), max_grad_norm if max_grad_norm is not None else math.inf, foreach=True
        )
    optimizer.step()
    if diagnostics is not None:
        diagnostics["q_mean"].append(q_value.detach().mean().item())
        diagnostics["td_error_abs"].append((td_target - q_value.detach()).abs().mean().item())
        diagnostics["grad_norm"].append(grad_norm.item())
    return loss_t.item()


def _check_spaces(env: gym.Env, env_id: str) -> tuple[tuple[int, ...], int, int]:
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


class _GreedyEvaluator:
    """Runs ``n_episodes`` greedy episodes side by side, one forward pass per step for all of them."""

    def __init__(self, env_id: str, n_episodes: int, seed: int, env_kwargs: dict | None = None) -> None:
        self.envs = [make_env(env_id, **(env_kwargs or {})) for _ in range(n_episodes)]
        _, _, self.action_start = _check_spaces(self.envs[0], env_id)
        self.seed = seed

    def __call__(self, q_net: nn.Module) -> np.ndarray:
        n = len(self.envs)
        on_cpu = all(p.device.type == "cpu" for p in q_net.parameters())
        numpy_greedy = NumpyGreedy(q_net) if on_cpu and isinstance(q_net, QNetwork) else None
        device = next(q_net.parameters()).device
        obs = np.stack([env.reset(seed=self.seed + i)[0].reshape(-1) for i, env in enumerate(self.envs)])
        obs = obs.astype(np.float32)
        returns = np.zeros(n, dtype=np.float64)
        active = np.arange(n)
        while active.size:
            if numpy_greedy is not None:
                actions = numpy_greedy.q_values(obs[active]).argmax(axis=1)
            else:
                with torch.inference_mode():
                    actions = q_net(torch.as_tensor(obs[active], device=device)).argmax(dim=1).cpu().numpy()
            still = []
            for i, action in zip(active, actions):
                next_obs, reward, terminated, truncated, _ = self.envs[i].step(int(action) + self.action_start)
                returns[i] += float(reward)
                obs[i] = next_obs.reshape(-1)
                if not (terminated or truncated):
                    still.append(i)
            active = np.asarray(still, dtype=np.int64)
        return returns

    def close(self) -> None:
        for env in self.envs:
            env.close()


def evaluate_greedy(
    q_net: nn.Module, env_id: str, n_episodes: int, seed: int, env_kwargs: dict | None = None
) -> np.ndarray:
    """The returns ``(n_episodes,)`` of the greedy policy of ``q_net``; episode ``i`` resets with ``seed + i``.

    ``q_net`` maps observations ``(B, obs_dim)`` to Q-values ``(B, n_actions)``
    (a :class:`QNetwork`, or any such ``nn.Module``).

    Gives the same returns as ``evaluate(greedy_policy(q_net), env_id, n_episodes, seed)``,
    faster: the episodes run side by side and share one forward pass per step.
    """
    if isinstance(n_episodes, bool) or not isinstance(n_episodes, (int, np.integer)) or n_episodes < 1:
        raise ValueError(f"n_episodes must be a positive int, got {n_episodes!r}")
    seed = check_seed(seed)
    evaluator = _GreedyEvaluator(env_id, int(n_episodes), seed, env_kwargs)
    try:
        return evaluator(q_net)
    finally:
        evaluator.close()


# --------------------------------------------------------------------------- the loop

_NO_HOOKS = DQNHooks()


def train_dqn(
    config: DQNConfig | None = None,
    progress: bool = True,
    callback: Callable[[int], Any] | None = None,
    hooks: DQNHooks | None = None,
) -> DQNResult:
    """Train a DQN agent as ``config`` says and return what it learned.

    Args:
        config: the settings (default: ``DQNConfig()``, tuned for CartPole-v1).
        progress: show a ``tqdm`` progress bar.
        callback: called as ``callback(step)`` after every environment step;
            raising ``KeyboardInterrupt`` in it stops training as Ctrl-C does.
        hooks: optional replacements for pieces of the loop (a :class:`DQNHooks`);
            ``None`` or an unset field keeps the loop's own piece.

    Returns:
        A :class:`DQNResult`.  Stopping with Ctrl-C (or Jupyter's stop button)
        returns what was learned so far, with ``interrupted=True``.

    Raises:
        ValueError: if the environment does not have a Box observation space
            and a Discrete action space.

    Correctness notes: the TD target bootstraps unless the episode
    *terminated*; at a time-limit cut (``truncated``) the real next
    observation is stored with ``terminated=False``, so its value still counts.
    """
    if config is None:
        config = DQNConfig()
    if not isinstance(config, DQNConfig):
        raise TypeError(f"config must be a DQNConfig, got {type(config).__name__}")
    if hooks is None:
        hooks = _NO_HOOKS
    elif not isinstance(hooks, DQNHooks):
        raise TypeError(f"hooks must be a DQNHooks or None, got {type(hooks).__name__}")
    started = time.perf_counter()
    rng = seed_everything(config.seed)
    env = make_env(config.env_id, **config.env_kwargs)
    obs_shape, n_actions, action_start = _check_spaces(env, config.env_id)
    obs_dim = int(np.prod(obs_shape))
    flatten = len(obs_shape) != 1
    device = torch.device(config.device)

    q_net = QNetwork(obs_dim, n_actions, config.hidden_sizes, config.dueling).to(device)
    target_net = make_target_network(q_net) if config.use_target_network else q_net
    # fused=True: one kernel for all parameters instead of a Python loop over them (faster on CPU too).
    optimizer = torch.optim.Adam(q_net.parameters(), lr=config.learning_rate, fused=device.type in ("cpu", "cuda"))
    greedy = NumpyGreedy(q_net) if device.type == "cpu" else greedy_policy(q_net, device)
    capacity, batch_size = (config.buffer_size, config.batch_size) if config.use_replay else (1, 1)
    buffer_seed = int(rng.integers(2**31))
    if hooks.make_buffer is None:
        buffer = ReplayBuffer(capacity, (obs_dim,), seed=buffer_seed, device=device)
    else:
        buffer = hooks.make_buffer(capacity, (obs_dim,), buffer_seed)
    stored_done, epsilon_hook, should_train = hooks.stored_done, hooks.epsilon, hooks.should_train
    evaluator = (
        _GreedyEvaluator(config.env_id, config.eval_episodes, config.eval_seed, config.env_kwargs)
        if config.eval_interval > 0 else None
    )
    diagnostics = {"q_mean": [], "td_error_abs": [], "grad_norm": []} if config.log_diagnostics else None

    episode_returns: list[float] = []
    episode_end_steps: list[int] = []
    eval_steps: list[int] = []
    eval_all: list[np.ndarray] = []
    eval_seconds: list[float] = []
    losses: list[float] = []
    loss_steps: list[int] = []
    best = {"mean": -math.inf, "state": None, "step": None}

    def run_evaluation(step: int) -> None:
        returns = evaluator(q_net)
        eval_steps.append(step)
        eval_all.append(returns)
        eval_seconds.append(time.perf_counter() - started)
        if config.keep_best and returns.mean() >= best["mean"]:
            best.update(mean=returns.mean(), step=step, state=copy.deepcopy(q_net.state_dict()))

    bar = tqdm(total=config.total_steps, disable=not progress, desc="DQN", unit="step", mininterval=0.5)
    steps_done, interrupted = 0, False
    episode_return = 0.0
    exploration = config.epsilon_start, config.epsilon_end, config.exploration_steps
    lr_final = config.learning_rate * config.lr_final_fraction
    lr_decay_steps = config.lr_decay_steps if config.lr_decay_steps is not None else config.total_steps
    try:
        obs, _ = env.reset(seed=config.seed)
        env.action_space.seed(config.seed)
        if flatten:
            obs = obs.reshape(-1)
        for step in range(1, config.total_steps + 1):
            # Act: epsilon-greedy.  Skip the forward pass when the coin says explore.
            if epsilon_hook is None:
                epsilon = linear_schedule(*exploration, step - 1)
            else:
                epsilon = epsilon_hook(step - 1, len(episode_returns) + 1)
            if rng.random() < epsilon:
                action = int(rng.integers(n_actions))
            else:
                action = greedy(obs)
            next_obs, reward, terminated, truncated, _ = env.step(action + action_start)
            steps_done = step
            if flatten:
                next_obs = next_obs.reshape(-1)
            # Store the real next_obs even at a time limit; only `terminated` stops the bootstrap.
            buffer.add(obs, action, reward, next_obs,
                       terminated if stored_done is None else bool(stored_done(terminated, truncated)))
            episode_return += float(reward)
            episode_ended = terminated or truncated
            if episode_ended:
                episode_returns.append(episode_return)
                episode_end_steps.append(step)
                episode_return = 0.0
                obs, _ = env.reset()
                if flatten:
                    obs = obs.reshape(-1)
            else:
                obs = next_obs

            # Learn.
            if (
                step >= config.learning_starts
                and (step % config.train_frequency == 0 if should_train is None else should_train(step, episode_ended))
                and len(buffer) >= batch_size
            ):
                if config.lr_final_fraction != 1.0:
                    lr = linear_schedule(config.learning_rate, lr_final, lr_decay_steps, step)
                    for group in optimizer.param_groups:
                        group["lr"] = lr
                for _ in range(config.gradient_steps):
                    batch = buffer.sample(batch_size)
                    losses.append(
                        dqn_update(q_net, target_net, optimizer, batch, config.gamma, config.loss,
                                   config.max_grad_norm, config.double_dqn, diagnostics, hooks.td_target, hooks.loss)
                    )
                    loss_steps.append(step)
            if config.use_target_network and step >= config.learning_starts and step % config.target_update_interval == 0:
                polyak_update(target_net, q_net, config.tau)

            if evaluator is not None and (step % config.eval_interval == 0 or step == config.total_steps):
                run_evaluation(step)
                bar.set_postfix(eval_return=f"{eval_all[-1].mean():.1f}", refresh=False)
            if step % 500 == 0:
                bar.update(500)
            if callback is not None:
                callback(step)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        bar.update(steps_done - bar.n)
        bar.close()
        env.close()
        if evaluator is not None:
            evaluator.close()

    last_q_net = q_net
    returned = q_net
    if config.keep_best and best["state"] is not None:
        returned = QNetwork(obs_dim, n_actions, config.hidden_sizes, config.dueling).to(device)
        returned.load_state_dict(best["state"])
    n_eval_cols = config.eval_episodes
    return DQNResult(
        config=config,
        q_net=returned,
        last_q_net=last_q_net,
        episode_returns=np.asarray(episode_returns, dtype=np.float64),
        episode_end_steps=np.asarray(episode_end_steps, dtype=np.int64),
        eval_steps=np.asarray(eval_steps, dtype=np.int64),
        eval_returns=np.asarray([r.mean() for r in eval_all], dtype=np.float64),
        eval_episode_returns=np.asarray(eval_all, dtype=np.float64).reshape(len(eval_all), n_eval_cols),
        eval_seconds=np.asarray(eval_seconds, dtype=np.float64),
        losses=np.asarray(losses, dtype=np.float64),
        loss_steps=np.asarray(loss_steps, dtype=np.int64),
        steps_done=int(steps_done),
        seconds=time.perf_counter() - started,
        interrupted=interrupted,
        best_eval_step=best["step"] if config.keep_best else None,
        diagnostics={k: np.asarray(v, dtype=np.float64) for k, v in (diagnostics or {}).items()},
    )


# --------------------------------------------------------------------------- saving


def save_agent(path: str | Path, q_net: QNetwork, config: DQNConfig) -> None:
    """Save ``q_net``'s weights and ``config`` (as a plain dict) to ``path`` with ``torch.save``."""
    if not isinstance(q_net, QNetwork):
        raise TypeError(f"q_net must be a QNetwork, got {type(q_net).__name__}")
    if not isinstance(config, DQNConfig):
        raise TypeError(f"config must be a DQNConfig, got {type(config).__name__}")
    payload = {
        "format": "dqn_helpers.agent/1",
        "obs_dim": q_net.obs_dim,
        "n_actions": q_net.n_actions,
        "hidden_sizes": list(q_net.hidden_sizes),
        "dueling": q_net.dueling,
        "state_dict": {k: v.detach().cpu() for k, v in q_net.state_dict().items()},
        "config": config.to_dict(),
    }
    torch.save(payload, Path(path))


def load_agent(path: str | Path, device: str | torch.device = "cpu") -> tuple[QNetwork, DQNConfig]:
    """Load what :func:`save_agent` wrote: ``(q_net, config)``, read with ``weights_only=True``."""
    payload = torch.load(Path(path), map_location=device, weights_only=True)
    if not isinstance(payload, dict) or payload.get("format") != "dqn_helpers.agent/1":
        raise ValueError(f"{path} was not written by dqn_helpers.save_agent")
    q_net = QNetwork(payload["obs_dim"], payload["n_actions"], tuple(payload["hidden_sizes"]), payload["dueling"])
    q_net.load_state_dict(payload["state_dict"])
    q_net.to(device)
    config_values = dict(payload["config"])
    config_values["hidden_sizes"] = tuple(config_values["hidden_sizes"])
    return q_net, DQNConfig.from_dict(config_values)
