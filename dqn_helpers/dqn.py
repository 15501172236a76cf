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

Layering: this module sits on top of the data structures
(:mod:`~dqn_helpers.replay_buffer`, :mod:`~dqn_helpers.networks`,
:mod:`~dqn_helpers.schedules`), of :mod:`~dqn_helpers.config` (the settings),
:mod:`~dqn_helpers.evaluation`, :mod:`~dqn_helpers.envs` and
:mod:`~dqn_helpers.seeding`.  Saving and loading agents: :mod:`~dqn_helpers.agents`.
"""

from __future__ import annotations

import copy
import math
import time
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
    obs_shape, n_actions, action_start = check_dqn_spaces(env, config.env_id)
    obs_dim = int(np.prod(obs_shape))
    flatten = len(obs_shape) != 1
    device = torch.device(config.device)

    q_net = QNetwork(obs_dim, n_actions, config.hidden_sizes, config.dueling).to(device)
    target_net = make_target_network(q_net) if config.use_target_network else q_net
    # fused=True: one kernel for all parameters instead of a Python loop over them (faster on CPU too).
    optimizer = torch.optim.Adam(q_net.parameters(), lr=config.learning_rate, fused=device.type in ("cpu", "cuda"))
    greedy = NumpyGreedy(q_net) if device.type == "cpu" else q_net_policy(q_net, device)
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

    bar = progress_bar(total=config.total_steps, disable=not progress, desc="DQN", unit="step", mininterval=0.5)
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


