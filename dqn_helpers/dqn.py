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

Reading order: ``train_dqn`` is the loop notebook 05 has the learner write
(Algorithm 1: act, store, learn, update the target), step for step and in the
same order; with ``double_dqn=False``, ``lr_final_fraction=1.0``,
``keep_best=False`` and ``eval_interval=0`` the learner's loop gives the same
numbers bit for bit.  What is not the algorithm sits in marked blocks of the
loop and in small helpers after it: ``_Evaluation`` (periodic greedy
evaluation and ``keep_best``), ``_LearningRateDecay``, ``_RunLog`` (the logs,
and the warning when training diverges), the progress bar, the callback, and
what keeps a stop (Ctrl-C) harmless.

Layering: this module sits on top of the data structures
(:mod:`~dqn_helpers.replay_buffer`, :mod:`~dqn_helpers.networks`,
:mod:`~dqn_helpers.schedules`), of :mod:`~dqn_helpers.config` (the settings),
:mod:`~dqn_helpers.evaluation`, :mod:`~dqn_helpers.envs` and
:mod:`~dqn_helpers.seeding`.  Saving and loading agents: :mod:`~dqn_helpers.agents`.
"""

from __future__ import annotations

import contextlib
import copy
import importlib
import math
import signal
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .config import DQNConfig, DQNHooks
from .envs import check_dqn_spaces, make_env
from .evaluation import _GreedyEvaluator, q_net_policy
from .networks import NumpyGreedy, QNetwork
from .progress import progress_bar
from .replay_buffer import ReplayBatch, ReplayBuffer
from .schedules import linear_schedule
from .seeding import seed_everything
from .validation import check_bool, check_callable, check_choice, check_number, describe

__all__ = [
    "DQNConfig",  # defined in config.py, re-exported here: the loop's settings
    "DQNHooks",
    "DQNResult",
    "dqn_update",
    "make_target_network",
    "polyak_update",
    "train_dqn",
]


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
    diverged_step: int | None = None
    """The environment step of the first NaN or infinite loss (or logged mean Q-value); None if training never diverged."""

    def solved_step(self, threshold: float = 475.0) -> int | None:
        """The step of the first evaluation whose mean return reached ``threshold`` (None if none did)."""
        threshold = check_number(threshold, "threshold")
        hits = np.flatnonzero(self.eval_returns >= threshold)
        return int(self.eval_steps[hits[0]]) if hits.size else None

    def solved_seconds(self, threshold: float = 475.0) -> float | None:
        """Wall-clock seconds from the start until that first evaluation ended (None if never)."""
        threshold = check_number(threshold, "threshold")
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
    if not isinstance(q_net, nn.Module):
        raise TypeError(f"q_net must be a torch nn.Module (e.g. a QNetwork), got {type(q_net).__name__}")
    target_net = copy.deepcopy(q_net)
    for param in target_net.parameters():
        param.requires_grad_(False)
    return target_net


@torch.no_grad()
def polyak_update(target_net: nn.Module, q_net: nn.Module, tau: float) -> None:
    """In place: ``target <- tau * online + (1 - tau) * target`` for every parameter (tau=1: copy)."""
    tau = check_number(tau, "tau", 0.0, 1.0, low_open=True)
    for name, net in (("target_net", target_net), ("q_net", q_net)):
        if not isinstance(net, nn.Module):
            raise TypeError(f"{name} must be a torch nn.Module, got {type(net).__name__}")
    targets = list(target_net.parameters())
    onlines = list(q_net.parameters())
    if [t.shape for t in targets] != [o.shape for o in onlines]:
        raise ValueError("target_net and q_net must have the same architecture (parameters of the same shapes, "
                         "in the same order); make the target with make_target_network(q_net)")
    if tau == 1.0:
        torch._foreach_copy_(targets, onlines)
    else:
        torch._foreach_lerp_(targets, onlines, tau)


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
    _check_update_arguments(q_net, target_net, optimizer, batch, gamma, loss, max_grad_norm, double_dqn,
                            diagnostics, td_target_fn, loss_fn)
    return _dqn_update(q_net, target_net, optimizer, batch, gamma, loss, max_grad_norm, double_dqn, diagnostics,
                       td_target_fn, loss_fn)


def _check_update_arguments(q_net, target_net, optimizer, batch, gamma, loss, max_grad_norm, double_dqn,
                            diagnostics, td_target_fn, loss_fn) -> None:
    """dqn_update's arguments, checked once per call from outside (train_dqn calls _dqn_update directly)."""
    for name, value in (("q_net", q_net), ("target_net", target_net)):
        if not isinstance(value, nn.Module):
            raise TypeError(f"{name} must be a torch nn.Module (e.g. a QNetwork), got {describe(value)}")
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a torch.optim.Optimizer (e.g. torch.optim.Adam(q_net.parameters())), "
                        f"got {describe(optimizer)}")
    fields = ("obs", "actions", "rewards", "next_obs", "terminated")
    if not all(isinstance(getattr(batch, f, None), torch.Tensor) for f in fields):
        raise TypeError("batch must be a ReplayBatch (from ReplayBuffer.sample): tensors obs, actions, rewards, "
                        f"next_obs and terminated, got {describe(batch)}")
    check_number(gamma, "gamma", 0.0, 1.0)
    check_choice(loss, "loss", ("huber", "mse"))
    if max_grad_norm is not None:
        check_number(max_grad_norm, "max_grad_norm", 0.0, low_open=True)
    check_bool(double_dqn, "double_dqn")
    if diagnostics is not None and not isinstance(diagnostics, dict):
        raise TypeError(f"diagnostics must be None or a dict of lists, got {describe(diagnostics)}")
    check_callable(td_target_fn, "td_target_fn", optional=True)
    check_callable(loss_fn, "loss_fn", optional=True)
    n = batch.rewards.shape[0] if batch.rewards.ndim == 1 else None
    if n is None or any(t.shape[:1] != (n,) for t in (batch.obs, batch.actions, batch.next_obs, batch.terminated)):
        raise ValueError("batch must hold one row per transition in every field: got obs "
                         f"{tuple(batch.obs.shape)}, actions {tuple(batch.actions.shape)}, rewards "
                         f"{tuple(batch.rewards.shape)}, next_obs {tuple(batch.next_obs.shape)}, terminated "
                         f"{tuple(batch.terminated.shape)}")
    if batch.actions.dtype != torch.int64:
        raise TypeError(f"batch.actions must be int64 action indices, got {batch.actions.dtype}")
    with torch.no_grad():
        n_actions = q_net(batch.obs[:1]).shape[-1]
    if n and (int(batch.actions.min()) < 0 or int(batch.actions.max()) >= n_actions):
        raise ValueError(f"batch.actions must be in [0, {n_actions - 1}] (q_net has {n_actions} outputs), got "
                         f"values from {int(batch.actions.min())} to {int(batch.actions.max())}")


def _dqn_update(
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
    """dqn_update without the argument checks: the training loop's hot path."""
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


# --------------------------------------------------------------------------- the loop

_NO_HOOKS = DQNHooks()


def train_dqn(
    config: DQNConfig | None = None,
    progress: bool = True,
    callback: Callable[[int], Any] | None = None,
    hooks: DQNHooks | None = None,
) -> DQNResult:
    """Train a DQN agent as ``config`` says and return what it learned.

    The loop is the one notebook 05 has the learner write (Mnih et al. 2015,
    Algorithm 1): act epsilon-greedily, store the transition, learn from
    mini-batches sampled from the buffer, update the target network.  What
    is not the algorithm (evaluation and ``keep_best``, the learning-rate
    decay, the logs, the progress bar, the callback) sits in small helpers
    below and in marked blocks of the loop.

    Args:
        config: the settings (default: ``DQNConfig()``, tuned for CartPole-v1).
        progress: show a ``tqdm`` progress bar.
        callback: called as ``callback(step)`` after every environment step;
            raising ``KeyboardInterrupt`` in it stops training as Ctrl-C does.
        hooks: optional replacements for pieces of the loop (a :class:`DQNHooks`);
            ``None`` or an unset field keeps the loop's own piece.

    Returns:
        A :class:`DQNResult`.  Stopping with Ctrl-C (or Jupyter's stop button)
        returns what was learned so far, with ``interrupted=True`` and arrays
        of consistent lengths; autograd's grad mode is left as it was found.

    Raises:
        TypeError: if ``config``, ``hooks``, ``progress`` or ``callback`` has the wrong type.
        ValueError: if the environment does not have a Box observation space
            and a Discrete action space.

    Warns:
        RuntimeWarning: once, if a loss (or, with ``log_diagnostics``, a mean
            Q-value) becomes NaN or infinite: training has diverged.  Training
            goes on (so that runs keep their shapes), and
            ``result.diverged_step`` names the environment step.

    Correctness notes: the TD target bootstraps unless the episode
    *terminated*; at a time-limit cut (``truncated``) the real next
    observation is stored with ``terminated=False``, so its value still counts.
    """
    config, hooks = _checked_arguments(config, progress, callback, hooks)
    _import_lazy_modules()
    started = time.perf_counter()

    # ---- Initialize (Algorithm 1).  This order fixes every random draw of the run:
    # the seed, then the network's weights (torch's generator), then the buffer's seed (rng's first draw).
    rng = seed_everything(config.seed)
    env = make_env(config.env_id, **config.env_kwargs)
    obs_shape, n_actions, action_start = check_dqn_spaces(env, config.env_id)
    obs_dim = int(np.prod(obs_shape))
    flatten = len(obs_shape) != 1
    device = torch.device(config.device)
    q_net = QNetwork(obs_dim, n_actions, config.hidden_sizes, config.dueling).to(device)
    target_net = make_target_network(q_net) if config.use_target_network else q_net
    # fused=True: one kernel for all parameters instead of a Python loop over them (faster on CPU too).
    optimizer = torch.optim.Adam(q_net.parameters(), lr=config.learning_rate, fused=device.type in ("cpu", "cuda"))
    greedy = NumpyGreedy(q_net) if device.type == "cpu" else q_net_policy(q_net, device)
    batch_size = config.batch_size if config.use_replay else 1
    buffer = _make_buffer(config, hooks, (obs_dim,), int(rng.integers(2**31)), device)

    # ---- Beside the algorithm: what it records, evaluates, decays and shows.
    log = _RunLog(config.log_diagnostics)
    evaluation = _Evaluation(config, started) if config.eval_interval > 0 else None
    lr_decay = _LearningRateDecay(config, optimizer)
    bar = progress_bar(total=config.total_steps, disable=not progress, desc="DQN", unit="step", mininterval=0.5)
    grad_mode_before = torch.is_grad_enabled()
    steps_done, interrupted = 0, False
    try:
        torch.set_grad_enabled(True)
        obs = _reset(env, flatten, seed=config.seed)
        episode_return = 0.0
        for step in range(1, config.total_steps + 1):
            # Act: epsilon-greedy.  Skip the forward pass when the coin says explore.
            epsilon = _epsilon(config, hooks, step, len(log.episode_returns))
            if rng.random() < epsilon:
                action = int(rng.integers(n_actions))
            else:
                action = greedy(obs)
            next_obs, reward, terminated, truncated, _ = env.step(action + action_start)
            steps_done = step
            if flatten:
                next_obs = next_obs.reshape(-1)

            # Store the real next_obs even at a time limit; only `terminated` stops the bootstrap.
            stored_terminated = terminated if hooks.stored_done is None else bool(hooks.stored_done(terminated, truncated))
            buffer.add(obs, action, reward, next_obs, stored_terminated)

            # Move on: the next observation, or a new episode.
            episode_return += float(reward)
            episode_ended = terminated or truncated
            if episode_ended:
                log.end_episode(episode_return, step)
                episode_return = 0.0
                obs = _reset(env, flatten)
            else:
                obs = next_obs

            # Learn: a round of gradient steps, each on a mini-batch sampled from the buffer.
            if (
                step >= config.learning_starts
                and _train_now(config, hooks, step, episode_ended)
                and len(buffer) >= batch_size
            ):
                lr_decay.apply(step)
                for _ in range(config.gradient_steps):
                    batch = buffer.sample(batch_size)
                    loss = _dqn_update(q_net, target_net, optimizer, batch, config.gamma, config.loss,
                                      config.max_grad_norm, config.double_dqn, log.diagnostics, hooks.td_target,
                                      hooks.loss)
                    log.add_loss(loss, step)

            # Update the target network: theta^- <- tau * theta + (1 - tau) * theta^- (tau = 1: a copy).
            if config.use_target_network and step >= config.learning_starts and step % config.target_update_interval == 0:
                polyak_update(target_net, q_net, config.tau)

            # ---- Beside the algorithm: evaluation (and keep_best), progress, the caller's callback.
            if evaluation is not None and (step % config.eval_interval == 0 or step == config.total_steps):
                evaluation.run(q_net, step)
                bar.set_postfix(eval_return=f"{evaluation.last_mean:.1f}", refresh=False)
            if step % 500 == 0:
                bar.update(500)
            if callback is not None:
                callback(step)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        torch.set_grad_enabled(grad_mode_before)
        bar.update(steps_done - bar.n)
        bar.close()
        env.close()
        if evaluation is not None:
            evaluation.close()

    kept = None
    if evaluation is not None and config.keep_best:
        kept = evaluation.kept_network(lambda: QNetwork(obs_dim, n_actions, config.hidden_sizes, config.dueling).to(device))
    return log.result(config, q_net, kept, evaluation, steps_done, time.perf_counter() - started, interrupted)


# --------------------------------------------------------------------------- the loop's small helpers


def _checked_arguments(
    config: Any, progress: Any, callback: Any, hooks: Any
) -> tuple[DQNConfig, DQNHooks]:
    if config is None:
        config = DQNConfig()
    if not isinstance(config, DQNConfig):
        raise TypeError(f"config must be a DQNConfig, got {type(config).__name__}")
    if not isinstance(progress, (bool, np.bool_)):
        raise TypeError(f"progress must be True or False, got {type(progress).__name__} {progress!r}")
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be a function callback(step) or None, got {type(callback).__name__}")
    if hooks is None:
        hooks = _NO_HOOKS
    elif not isinstance(hooks, DQNHooks):
        raise TypeError(f"hooks must be a DQNHooks or None, got {type(hooks).__name__}")
    return config, hooks


# Imported lazily by the first fused-Adam step.  A Ctrl-C in the middle of such an import leaves
# half-imported modules behind (e.g. "module 'sympy' has no attribute 'printing'" in every later
# call, until the kernel restarts), so they are imported up front, with Ctrl-C held back meanwhile.
_LAZY_MODULES = ("torch._dynamo", "torch.profiler._cupti_monitor")


def _import_lazy_modules() -> None:
    missing = [name for name in _LAZY_MODULES if name not in sys.modules]
    if not missing:
        return
    with _interrupts_held_back():
        for name in missing:
            try:
                importlib.import_module(name)
            except ImportError:  # another torch build may not have it: nothing to protect then
                pass


@contextlib.contextmanager
def _interrupts_held_back() -> Iterator[None]:
    """Run the block with SIGINT (Ctrl-C, Jupyter's stop) held back; deliver it when the block ends."""
    held: list[int] = []
    previous = None
    if threading.current_thread() is threading.main_thread():
        try:
            previous = signal.signal(signal.SIGINT, lambda signum, frame: held.append(signum))
        except (ValueError, OSError):  # no signal handling here (e.g. an embedded interpreter)
            previous = None
    try:
        yield
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
            if held and previous is not signal.SIG_IGN:
                if callable(previous):
                    previous(signal.SIGINT, None)  # the usual handler: raises KeyboardInterrupt
                else:
                    raise KeyboardInterrupt


def _make_buffer(config: DQNConfig, hooks: DQNHooks, obs_shape: tuple[int, ...], seed: int, device: torch.device) -> Any:
    capacity = config.buffer_size if config.use_replay else 1
    if hooks.make_buffer is None:
        return ReplayBuffer(capacity, obs_shape, seed=seed, device=device)
    return hooks.make_buffer(capacity, obs_shape, seed)


def _reset(env: Any, flatten: bool, seed: int | None = None) -> np.ndarray:
    """A new episode's first observation; the first reset of a run also seeds the action space."""
    if seed is None:
        obs, _ = env.reset()
    else:
        obs, _ = env.reset(seed=seed)
        env.action_space.seed(seed)
    return obs.reshape(-1) if flatten else obs


def _epsilon(config: DQNConfig, hooks: DQNHooks, step: int, episodes_done: int) -> float:
    """The exploration rate before environment step ``step`` (1-based): the schedule at ``step - 1`` steps taken."""
    if hooks.epsilon is None:
        return linear_schedule(config.epsilon_start, config.epsilon_end, config.exploration_steps, step - 1)
    epsilon = hooks.epsilon(step - 1, episodes_done + 1)
    if type(epsilon) is not float or not 0.0 <= epsilon <= 1.0:      # the fast path: a float in range
        try:
            epsilon = check_number(epsilon, "the epsilon hook's return value", 0.0, 1.0)
        except (TypeError, ValueError) as error:
            raise type(error)(f"{error} (DQNHooks.epsilon(step={step - 1}, episode={episodes_done + 1}) must "
                              "return the exploration rate, a number in [0, 1])") from None
    return epsilon


def _train_now(config: DQNConfig, hooks: DQNHooks, step: int, episode_ended: bool) -> bool:
    if hooks.should_train is None:
        return step % config.train_frequency == 0
    answer = hooks.should_train(step, episode_ended)
    if type(answer) is not bool:
        try:
            answer = check_bool(answer, "the should_train hook's return value")
        except TypeError as error:
            raise TypeError(f"{error} (DQNHooks.should_train(step={step}, episode_ended={episode_ended}) must "
                            "return True to train now or False)") from None
    return answer


class _LearningRateDecay:
    """Sets Adam's learning rate before each round: linear from ``learning_rate`` to its final fraction."""

    def __init__(self, config: DQNConfig, optimizer: torch.optim.Optimizer) -> None:
        self.active = config.lr_final_fraction != 1.0
        self.start, self.end = config.learning_rate, config.learning_rate * config.lr_final_fraction
        self.steps = config.lr_decay_steps if config.lr_decay_steps is not None else config.total_steps
        self.optimizer = optimizer

    def apply(self, step: int) -> None:
        if self.active:
            lr = linear_schedule(self.start, self.end, self.steps, step)
            for group in self.optimizer.param_groups:
                group["lr"] = lr


class _Evaluation:
    """The periodic greedy evaluations, and with ``keep_best`` a copy of the best network's weights."""

    def __init__(self, config: DQNConfig, started: float, share: int = 1) -> None:
        self.evaluator = _GreedyEvaluator(config.env_id, config.eval_episodes, config.eval_seed, config.env_kwargs)
        self.keep_best = config.keep_best
        self.n_episodes = config.eval_episodes
        self.started = started
        self.share = share  # seeds sharing the wall clock (a batched run): seconds count 1/share of it
        self.steps: list[int] = []
        self.returns: list[np.ndarray] = []
        self.seconds: list[float] = []
        self.best = {"mean": -math.inf, "state": None, "step": None}

    def run(self, q_net: nn.Module, step: int) -> None:
        returns = self.evaluator(q_net)
        self.steps.append(step)
        self.returns.append(returns)
        self.seconds.append((time.perf_counter() - self.started) / self.share)
        if self.keep_best and returns.mean() >= self.best["mean"]:
            self.best.update(mean=returns.mean(), step=step, state=copy.deepcopy(q_net.state_dict()))

    @property
    def last_mean(self) -> float:
        return float(self.returns[-1].mean())

    def kept_network(self, make_network: Callable[[], nn.Module]) -> nn.Module | None:
        """A new network holding the best evaluation's weights (None if no evaluation finished)."""
        if self.best["state"] is None:
            return None
        network = make_network()
        network.load_state_dict(self.best["state"])
        return network

    def close(self) -> None:
        self.evaluator.close()


class _RunLog:
    """What a run records: episodes, losses, diagnostics, and the first sign of divergence."""

    def __init__(self, log_diagnostics: bool) -> None:
        self.episode_returns: list[float] = []
        self.episode_end_steps: list[int] = []
        self.losses: list[float] = []
        self.loss_steps: list[int] = []
        self.diagnostics = {"q_mean": [], "td_error_abs": [], "grad_norm": []} if log_diagnostics else None
        self.diverged_step: int | None = None

    def end_episode(self, episode_return: float, step: int) -> None:
        self.episode_returns.append(episode_return)
        self.episode_end_steps.append(step)

    def add_loss(self, loss: float, step: int) -> None:
        self.losses.append(loss)
        self.loss_steps.append(step)
        if self.diverged_step is None and not (
            math.isfinite(loss) and (self.diagnostics is None or math.isfinite(self.diagnostics["q_mean"][-1]))
        ):
            self.diverged_step = step
            what = f"the loss is {loss}" if not math.isfinite(loss) else f"the mean Q-value is {self.diagnostics['q_mean'][-1]}"
            warnings.warn(
                f"train_dqn: training diverged at environment step {step:,} (gradient step {len(self.losses):,}): "
                f"{what}. Every later loss, Q-value and evaluation is meaningless. Look for a NaN or infinite "
                "reward or observation, a learning rate too large, or a target network updated too often; "
                "result.diverged_step holds this step.",
                RuntimeWarning,
                stacklevel=3,
            )

    def result(
        self,
        config: DQNConfig,
        q_net: nn.Module,
        kept: nn.Module | None,
        evaluation: _Evaluation | None,
        steps_done: int,
        seconds: float,
        interrupted: bool,
    ) -> DQNResult:
        # A stop can land between two appends that belong together: keep only complete entries.
        n_episodes = min(len(self.episode_returns), len(self.episode_end_steps))
        diagnostics = self.diagnostics or {}
        n_losses = min([len(self.losses), len(self.loss_steps)] + [len(v) for v in diagnostics.values()])
        ev_steps, ev_returns, ev_seconds = (evaluation.steps, evaluation.returns, evaluation.seconds) \
            if evaluation is not None else ([], [], [])
        n_evals = min(len(ev_steps), len(ev_returns), len(ev_seconds))
        return DQNResult(
            config=config,
            q_net=kept if kept is not None else q_net,
            last_q_net=q_net,
            episode_returns=np.asarray(self.episode_returns[:n_episodes], dtype=np.float64),
            episode_end_steps=np.asarray(self.episode_end_steps[:n_episodes], dtype=np.int64),
            eval_steps=np.asarray(ev_steps[:n_evals], dtype=np.int64),
            eval_returns=np.asarray([r.mean() for r in ev_returns[:n_evals]], dtype=np.float64),
            eval_episode_returns=np.asarray(ev_returns[:n_evals], dtype=np.float64).reshape(n_evals, config.eval_episodes),
            eval_seconds=np.asarray(ev_seconds[:n_evals], dtype=np.float64),
            losses=np.asarray(self.losses[:n_losses], dtype=np.float64),
            loss_steps=np.asarray(self.loss_steps[:n_losses], dtype=np.int64),
            steps_done=int(steps_done),
            seconds=seconds,
            interrupted=interrupted,
            best_eval_step=evaluation.best["step"] if evaluation is not None and config.keep_best else None,
            diagnostics={k: np.asarray(v[:n_losses], dtype=np.float64) for k, v in diagnostics.items()},
            diverged_step=self.diverged_step,
        )
