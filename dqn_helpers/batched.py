"""Many seeds of one DQN configuration, trained side by side as one batched computation.

A claim about DQN needs many seeds, and on a CPU a small Q-network spends most
of each gradient step on per-operation overhead, not on arithmetic.  So instead
of running N seeds one after the other, :func:`train_dqn_batched` steps N
independent runs in lockstep and does their gradient steps *together*: the N
networks' weights are stacked into ``(N, out, in)`` tensors, and one batched
matrix product (``torch.baddbmm``) computes all N forward passes at once (for
a batch of one, online learning, the products run seed by seed: see
:func:`_linear`; the rest of the step, and the Adam step, is still shared).

Each seed is still an independent run of :func:`~dqn_helpers.train_dqn`:

- its own initial weights (those ``train_dqn`` gives with that seed), its own
  exploration and replay random streams, its own environment and episodes;
- its own TD targets, loss, gradient-norm clipping and Adam state (Adam works
  element by element, so one Adam over the stacked tensors is N Adams);
- its own evaluations, ``keep_best`` and diagnostics.

On this project's CPU the result is the *same run*, bit for bit, as
``train_dqn`` with that seed (``tests/test_batched.py`` checks it): every
batched operation was chosen to round exactly as the single-network one does
(the first layer's weight gradient is why :class:`_BatchedLinear` writes its
own backward pass; vector lanes are why the output biases are not stacked:
see :class:`_StackedQNetworks`).  On other hardware the two may round differently; the test
then allows float32 rounding for the first few hundred gradient steps.

What cannot be batched falls back to one ``train_dqn`` per seed (the caller,
:func:`~dqn_helpers.train_dqn_seeds`, does this; see :func:`can_batch`):

- ``DQNHooks.should_train``: it may decide per seed (e.g. at the end of each
  episode), so the seeds would no longer train at the same steps;
- with replay, a ``batch_size`` that is not a multiple of 32: operations over
  the stacked batch (the mean of a seed's losses above all, a reduction) would
  then put part of a seed's transitions in other vector lanes than a single
  run does, and may round them differently.  Such runs would still be sound
  DQN runs, but no longer the same runs as ``train_dqn``'s, so they are not
  batched.

Online learning (``use_replay=False``: a batch of one, the latest transition)
is batched.  Its matrix products run seed by seed (see :func:`_linear`); a
seed's share of every other operation is one element, so its reductions (the
mean of one loss) are exact, and what remains is IEEE arithmetic (additions,
products, divisions, absolute values, comparisons), which rounds the same in a
vector lane as in the scalar loop.  ``tests/test_batched.py`` checks such runs
bit for bit, with 3 seeds and with 17 (torch's elementwise CPU kernels work in
chunks of 16 floats on AVX2, so 17 seeds reach their vector path).

Hooks that can apply do: ``make_buffer``, ``stored_done`` and ``epsilon`` are
called per seed as in ``train_dqn``; ``td_target`` gets per-seed views of the
stacked networks; ``loss`` gets each seed's slice of the batched Q-values.
Hooks that use the *global* random state (``random``, ``np.random``, torch's)
share one stream across the seeds of a batch, unlike separate runs.

Time: every seed of a batch shares one wall clock.  ``DQNResult.seconds`` and
``eval_seconds`` of a batched seed count its share of it (the batch's seconds
divided by N), so ``steps_per_second`` stays "environment steps per second of
one core" and compares with a single run's.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import time
from collections.abc import Sequence
from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .config import DQNConfig, DQNHooks
from .dqn import (DQNResult, _checked_arguments, _epsilon, _Evaluation, _import_lazy_modules, _LearningRateDecay,
                  _make_buffer, _reset, _RunLog, make_target_network)
from .envs import check_dqn_spaces, make_env
from .evaluation import q_net_policy
from .networks import NumpyGreedy, QNetwork
from .progress import progress_bar
from .replay_buffer import ReplayBatch, ReplayBuffer
from .seeding import seed_everything

__all__ = ["can_batch", "train_dqn_batched"]


# --------------------------------------------------------------------------- N networks as one


class _BatchedLinear(torch.autograd.Function):
    """``y[n] = x[n] @ W[n].T + b[n]`` for N stacked layers, with the backward pass ``nn.Linear`` uses.

    Autograd's own backward of ``baddbmm`` computes the weight gradient as
    ``(x.T @ grad).T``; ``nn.Linear`` computes ``grad.T @ x``.  The two round
    differently, so this function spells out the second.
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(x, weight)
        return torch.baddbmm(bias.unsqueeze(1), x, weight.transpose(1, 2))  # (N, B, out)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        x, weight = ctx.saved_tensors
        grad_x = torch.bmm(grad, weight) if ctx.needs_input_grad[0] else None  # (N, B, in)
        grad_weight = torch.bmm(grad.transpose(1, 2), x)  # (N, out, in)
        grad_bias = grad.sum(dim=1)  # (N, out)
        return grad_x, grad_weight, grad_bias


def _linear(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """N linear layers at once: ``(N, B, in) -> (N, B, out)``.

    A matrix product with one row (a batch of one transition) or one column (the
    dueling head's value) takes a matrix-vector path in the math library, which
    rounds differently from the batched product: those layers run seed by seed,
    as ``nn.Linear`` would, so that the result stays the single run's.
    """
    if x.shape[1] == 1 or weight.shape[1] == 1:
        return torch.stack([F.linear(x[i], weight[i], bias[i]) for i in range(x.shape[0])])
    if not (torch.is_grad_enabled() and weight.requires_grad):  # no backward pass: the forward alone
        return torch.baddbmm(bias.unsqueeze(1), x, weight.transpose(1, 2))
    return _BatchedLinear.apply(x, weight, bias)


# Elementwise kernels (Adam's update, Polyak's lerp) run in vector lanes and finish a
# tensor's tail one element at a time, and the two paths can round differently.  A
# stacked parameter keeps every seed's elements in the lanes a single run uses only if
# each seed's share is a whole number of lanes; 64 floats covers every vector width.
_LANES = 64


class _StackedQNetworks:
    """N :class:`QNetwork` s of one shape, trained as one.

    Each parameter whose size is a multiple of ``_LANES`` floats (every weight
    matrix and hidden bias of the usual shapes) is one stacked ``(N, *shape)``
    tensor; a smaller one (the output bias: one float per action) stays one
    tensor per seed, stacked on the fly in the forward pass, so that Adam and
    Polyak updates round it exactly as in a single run.

    ``params`` lists every tensor the optimizer updates.  ``nets[i]`` is a
    ``QNetwork`` whose parameters are *views* of seed ``i``'s weights: it
    follows every in-place update, for acting, evaluating and hooks.
    """

    def __init__(self, nets: Sequence[QNetwork], requires_grad: bool) -> None:
        first = nets[0]
        self.n = len(nets)
        self.dueling = first.dueling
        self.names = [name for name, _ in first.named_parameters()]  # the order of QNetwork.parameters()
        self.weights: list[torch.Tensor | list[torch.Tensor]] = []  # per name: stacked, or one per seed
        for name in self.names:
            per_seed = [dict(net.named_parameters())[name].detach() for net in nets]
            if per_seed[0].numel() % _LANES == 0:
                self.weights.append(torch.stack(per_seed).requires_grad_(requires_grad))
            else:
                self.weights.append([w.clone().requires_grad_(requires_grad) for w in per_seed])
        self.params = [t for w in self.weights for t in (w if isinstance(w, list) else [w])]
        self.nets = [self._view(first, i) for i in range(self.n)]

    def seed_tensors(self, i: int, grads: bool = False) -> list[torch.Tensor]:
        """Seed ``i``'s parameters (or their gradients), in the order of ``QNetwork.parameters()``."""
        out = []
        for w in self.weights:
            t = w[i] if isinstance(w, list) else w
            t = t.grad if grads else t.detach()
            out.append(t if isinstance(w, list) else t[i])
        return out

    def _view(self, template: QNetwork, i: int) -> QNetwork:
        """A QNetwork sharing seed ``i``'s parameters (no copy)."""
        view = copy.deepcopy(template)
        for name, tensor in zip(self.names, self.seed_tensors(i)):
            owner_path, _, attr = name.rpartition(".")
            view.get_submodule(owner_path)._parameters[attr] = nn.Parameter(tensor, requires_grad=False)
        return view

    def __call__(self, obs: torch.Tensor) -> torch.Tensor:
        """Q-values ``(N, B, n_actions)`` for observations ``(N, B, obs_dim)``."""
        stacked = [torch.stack(w) if isinstance(w, list) else w for w in self.weights]
        layers = list(zip(stacked[0::2], stacked[1::2]))
        heads = 2 if self.dueling else 1
        h = obs
        for weight, bias in layers[:-heads]:
            h = torch.relu(_linear(h, weight, bias))
        if not self.dueling:
            weight, bias = layers[-1]
            return _linear(h, weight, bias)
        (value_w, value_b), (adv_w, adv_b) = layers[-2:]
        value = _linear(h, value_w, value_b)  # (N, B, 1)
        advantage = _linear(h, adv_w, adv_b)  # (N, B, n_actions)
        return value + advantage - advantage.mean(dim=-1, keepdim=True)

    def state_dict(self, i: int) -> dict[str, torch.Tensor]:
        """Seed ``i``'s weights as a ``QNetwork`` state dict (copies)."""
        return {name: t.clone() for name, t in zip(self.names, self.seed_tensors(i))}


# --------------------------------------------------------------------------- one update for N seeds


def _sample(buffers: Sequence[Any], batch_size: int) -> tuple[ReplayBatch, list[Any]]:
    """Each buffer's sample, stacked: ``(batch with fields (N, B, ...), the N per-seed batches)``.

    Package buffers (float32, on the CPU) are gathered straight into the stacked
    arrays, with the same index draws as their ``sample``; any other buffer (a
    ``make_buffer`` hook's) is sampled as ``train_dqn`` samples it, and stacked.
    """
    if all(type(b) is ReplayBuffer and b.obs.dtype == np.float32 and b.device.type == "cpu" for b in buffers):
        indices = [b.sample_indices(batch_size) for b in buffers]
        fields = []
        for name in ReplayBatch._fields:
            first = getattr(buffers[0], name)
            stacked = np.empty((len(buffers), batch_size, *first.shape[1:]), dtype=first.dtype)
            for i, (b, idx) in enumerate(zip(buffers, indices)):
                np.take(getattr(b, name), idx, axis=0, out=stacked[i])
            fields.append(torch.from_numpy(stacked))
        batch = ReplayBatch(*fields)
        return batch, [ReplayBatch(*(f[i] for f in fields)) for i in range(len(buffers))]
    per_seed = [b.sample(batch_size) for b in buffers]
    return ReplayBatch(*(torch.stack([getattr(b, f) for b in per_seed]) for f in ReplayBatch._fields)), per_seed


def _batched_update(
    online: _StackedQNetworks,
    target: _StackedQNetworks,
    optimizer: torch.optim.Optimizer,
    batch: ReplayBatch,
    batches: Sequence[Any],
    config: DQNConfig,
    hooks: DQNHooks,
    diagnostics: list[dict[str, list[float]]] | None,
) -> list[float]:
    """One gradient step of every seed: ``dqn_update`` for N stacked networks; returns the N losses.

    ``batch`` holds every seed's sample stacked (fields ``(N, B, ...)``), ``batches`` the same per seed.
    """
    n = len(batches)
    with torch.no_grad():
        if hooks.td_target is None:
            next_q_target = target(batch.next_obs)  # (N, B, n_actions)
            if config.double_dqn:
                next_actions = online(batch.next_obs).argmax(dim=2, keepdim=True)  # (N, B, 1)
                next_value = next_q_target.gather(2, next_actions).squeeze(2)  # (N, B)
            else:
                next_value = next_q_target.max(dim=2).values  # (N, B)
            td_target = batch.rewards + config.gamma * (1.0 - batch.terminated) * next_value  # (N, B)
        else:
            per_seed = []
            for i, seed_batch in enumerate(batches):
                t = hooks.td_target(seed_batch, online.nets[i], target.nets[i], config.gamma)
                if not isinstance(t, torch.Tensor) or t.shape != seed_batch.rewards.shape:
                    raise ValueError(
                        f"the td_target hook must return a Tensor of shape {tuple(seed_batch.rewards.shape)} (one "
                        f"target per transition), got {getattr(t, 'shape', type(t).__name__)}"
                    )
                per_seed.append(t)
            td_target = torch.stack(per_seed)
    q_values = online(batch.obs)  # (N, B, n_actions)
    q_value = q_values.gather(2, batch.actions.unsqueeze(2)).squeeze(2)  # (N, B)
    if hooks.loss is None:
        if config.loss == "huber":
            losses = F.smooth_l1_loss(q_value, td_target, reduction="none").mean(dim=1)  # (N,)
        else:
            losses = F.mse_loss(q_value, td_target, reduction="none").mean(dim=1)
    else:
        per_seed = []
        for i in range(n):
            loss_i = hooks.loss(q_values[i], batch.actions[i], td_target[i])
            if not isinstance(loss_i, torch.Tensor) or loss_i.ndim != 0:
                raise ValueError(
                    f"the loss hook must return a scalar Tensor, got {getattr(loss_i, 'shape', type(loss_i).__name__)}"
                )
            per_seed.append(loss_i)
        losses = torch.stack(per_seed)
    optimizer.zero_grad(set_to_none=True)
    losses.sum().backward()  # each seed's parameters get the gradient of its own loss
    grad_norm = None
    if config.max_grad_norm is not None or diagnostics is not None:
        # clip_grad_norm_ per seed: the norm of the per-parameter norms, then scale by max_norm / (norm + 1e-6) <= 1.
        per_seed = [online.seed_tensors(i, grads=True) for i in range(n)]
        norms = torch._foreach_norm([g for grads in per_seed for g in grads], 2)
        grad_norm = torch.linalg.vector_norm(torch.stack(norms).view(n, -1), 2, dim=1)  # (N,)
        max_norm = config.max_grad_norm if config.max_grad_norm is not None else math.inf
        scale = torch.clamp(max_norm / (grad_norm + 1e-6), max=1.0)
        for w in online.weights:
            if isinstance(w, list):
                for i, leaf in enumerate(w):
                    leaf.grad.mul_(scale[i])
            else:
                w.grad.mul_(scale.view(n, *([1] * (w.ndim - 1))))
    optimizer.step()
    if diagnostics is not None:
        with torch.no_grad():
            q_detached = q_value.detach()
            rows = zip(q_detached.mean(dim=1).tolist(), (td_target - q_detached).abs().mean(dim=1).tolist(),
                       grad_norm.tolist())
        for logs, (q_mean, td_abs, norm) in zip(diagnostics, rows):
            logs["q_mean"].append(q_mean)
            logs["td_error_abs"].append(td_abs)
            logs["grad_norm"].append(norm)
    return losses.detach().tolist()


# --------------------------------------------------------------------------- which runs can share a batch


def can_batch(configs: Sequence[DQNConfig], hooks: DQNHooks | None = None) -> bool:
    """Whether ``configs`` can train as one batch: the same settings but the seed, and no per-seed schedule."""
    configs = list(configs)
    if not configs:
        return False
    first = dataclasses.replace(configs[0], seed=0)
    if any(dataclasses.replace(c, seed=0) != first for c in configs[1:]):
        return False
    if len({c.seed for c in configs}) != len(configs):
        return False
    if hooks is not None and hooks.should_train is not None:
        return False
    return not first.use_replay or first.batch_size % _BATCH_LANES == 0  # without replay a batch is one transition


# With replay, a seed's share of an operation over the batch (the mean of its losses,
# a reduction, above all) rounds as in a single run when it fills whole vector lanes
# (see _LANES).  Without replay it is one element (see the module's docstring).
_BATCH_LANES = 32


# --------------------------------------------------------------------------- the loop, N seeds at a time


class _Seed:
    """Everything of one seed's run that is not batched: its environment, random stream, buffer, logs, evaluations."""

    def __init__(self, config: DQNConfig, hooks: DQNHooks, started: float, n_seeds: int) -> None:
        self.config = config
        # The same calls, in the same order, as train_dqn: the same initial weights and random streams.
        self.rng = seed_everything(config.seed)
        self.env = make_env(config.env_id, **config.env_kwargs)
        obs_shape, self.n_actions, self.action_start = check_dqn_spaces(self.env, config.env_id)
        self.obs_dim = int(np.prod(obs_shape))
        self.flatten = len(obs_shape) != 1
        self.device = torch.device(config.device)
        self.q_net = QNetwork(self.obs_dim, self.n_actions, config.hidden_sizes, config.dueling).to(self.device)
        self.target_net = make_target_network(self.q_net) if config.use_target_network else self.q_net
        self.buffer = _make_buffer(config, hooks, (self.obs_dim,), int(self.rng.integers(2**31)), self.device)
        self.log = _RunLog(config.log_diagnostics)
        self.evaluation = _Evaluation(config, started, share=n_seeds) if config.eval_interval > 0 else None
        self.episode_return = 0.0
        self.obs: np.ndarray | None = None
        self.greedy: Callable[[np.ndarray], int] | None = None

    def new_network(self) -> QNetwork:
        return QNetwork(self.obs_dim, self.n_actions, self.config.hidden_sizes, self.config.dueling).to(self.device)

    def close(self) -> None:
        self.env.close()
        if self.evaluation is not None:
            self.evaluation.close()


def train_dqn_batched(
    configs: Sequence[DQNConfig],
    progress: bool = True,
    callback: Callable[[int], Any] | None = None,
    hooks: DQNHooks | None = None,
    desc: str | None = None,
) -> list[DQNResult]:
    """Train each of ``configs`` (the same settings, distinct seeds) side by side, as one batched computation.

    Args:
        configs: DQN settings that differ only in ``seed`` (see :func:`can_batch`).
        progress: show one progress bar (environment steps, all seeds together).
        callback: called as ``callback(step)`` after every environment step of
            the lockstep (``step`` is each seed's step); raising
            ``KeyboardInterrupt`` in it stops every seed, as Ctrl-C does.
        hooks: replacements for pieces of the loop (a :class:`DQNHooks`;
            ``should_train`` cannot be batched).
        desc: the progress bar's label.

    Returns:
        One :class:`DQNResult` per config, in their order: each the run
        ``train_dqn(config)`` gives (see the module's docstring for how exactly).
        After Ctrl-C every seed comes back with ``interrupted=True``, its
        arrays of consistent lengths; grad mode is left as it was found.  A
        seed whose loss turns NaN or infinite warns and sets ``diverged_step``,
        as in ``train_dqn``.
    """
    if isinstance(configs, DQNConfig) or not isinstance(configs, Sequence) or not configs:
        raise TypeError("configs must be a non-empty sequence of DQNConfig")
    configs = list(configs)
    for config in configs:
        if not isinstance(config, DQNConfig):
            raise TypeError(f"configs must hold DQNConfig objects, got a {type(config).__name__}")
    hooks = _checked_arguments(configs[0], progress, callback, hooks)[1]
    if not can_batch(configs, hooks):
        raise ValueError(
            "these runs cannot share a batch: they must differ only in seed (distinct seeds), have (with replay) a "
            f"batch_size that is a multiple of {_BATCH_LANES}, and set no should_train hook; train them with "
            "train_dqn_seeds, which falls back to one run at a time"
        )
    _import_lazy_modules()
    config = configs[0]
    n = len(configs)
    started = time.perf_counter()
    grad_mode_before = torch.is_grad_enabled()
    seeds = [_Seed(c, hooks, started, n) for c in configs]
    device = seeds[0].device
    online = _StackedQNetworks([s.q_net for s in seeds], requires_grad=True)
    target = _StackedQNetworks([s.target_net for s in seeds], requires_grad=False) if config.use_target_network else online
    for s, view in zip(seeds, online.nets):
        s.q_net = view
        s.greedy = NumpyGreedy(view) if device.type == "cpu" else q_net_policy(view, device)
    optimizer = torch.optim.Adam(online.params, lr=config.learning_rate, fused=device.type in ("cpu", "cuda"))
    lr_decay = _LearningRateDecay(config, optimizer)  # the same schedule for every seed: they train in lockstep
    batch_size = config.batch_size if config.use_replay else 1
    logs = [s.log.diagnostics for s in seeds] if config.log_diagnostics else None

    bar = progress_bar(total=config.total_steps * n, disable=not progress, desc=desc or f"DQN x{n} seeds (batched)",
                       unit="step", mininterval=0.5)
    steps_done, interrupted = 0, False
    try:
        torch.set_grad_enabled(True)
        for s in seeds:
            s.obs = _reset(s.env, s.flatten, seed=s.config.seed)
        for step in range(1, config.total_steps + 1):
            # Act, store, move on: each seed on its own, exactly as train_dqn.
            for s in seeds:
                if s.rng.random() < _epsilon(s.config, hooks, step, len(s.log.episode_returns)):
                    action = int(s.rng.integers(s.n_actions))
                else:
                    action = s.greedy(s.obs)
                next_obs, reward, terminated, truncated, _ = s.env.step(action + s.action_start)
                if s.flatten:
                    next_obs = next_obs.reshape(-1)
                stored = terminated if hooks.stored_done is None else bool(hooks.stored_done(terminated, truncated))
                s.buffer.add(s.obs, action, reward, next_obs, stored)
                s.episode_return += float(reward)
                if terminated or truncated:
                    s.log.end_episode(s.episode_return, step)
                    s.episode_return = 0.0
                    s.obs = _reset(s.env, s.flatten)
                else:
                    s.obs = next_obs
            steps_done = step

            # Learn: every seed's round of gradient steps together (their buffers hold the same count).
            if step >= config.learning_starts and step % config.train_frequency == 0 and len(seeds[0].buffer) >= batch_size:
                lr_decay.apply(step)
                for _ in range(config.gradient_steps):
                    batch, batches = _sample([s.buffer for s in seeds], batch_size)
                    losses = _batched_update(online, target, optimizer, batch, batches, config, hooks, logs)
                    for s, loss in zip(seeds, losses):
                        s.log.add_loss(loss, step)

            # Update the target networks, all at once.
            if config.use_target_network and step >= config.learning_starts and step % config.target_update_interval == 0:
                with torch.no_grad():
                    if config.tau == 1.0:
                        torch._foreach_copy_(target.params, online.params)
                    else:
                        torch._foreach_lerp_(target.params, online.params, config.tau)

            # ---- Beside the algorithm: evaluation (and keep_best), progress, the caller's callback.
            if config.eval_interval > 0 and (step % config.eval_interval == 0 or step == config.total_steps):
                for s in seeds:
                    s.evaluation.run(s.q_net, step)
                bar.set_postfix(eval_return=f"{np.mean([s.evaluation.last_mean for s in seeds]):.1f}", refresh=False)
            if step % 500 == 0:
                bar.update(500 * n)
            if callback is not None:
                callback(step)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        torch.set_grad_enabled(grad_mode_before)  # a stop inside a no_grad block must not leave autograd off
        bar.update(steps_done * n - bar.n)
        bar.close()
        for s in seeds:
            s.close()

    seconds = (time.perf_counter() - started) / n  # each seed's share of the wall clock
    results = []
    for i, s in enumerate(seeds):
        last = s.new_network()
        last.load_state_dict(online.state_dict(i))
        kept = s.evaluation.kept_network(s.new_network) if s.evaluation is not None and config.keep_best else None
        results.append(s.log.result(s.config, last, kept, s.evaluation, steps_done, seconds, interrupted))
    return results
