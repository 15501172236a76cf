"""Notebook 06's bug hunt: a DQN training function with two hidden bugs.

Do the hunt in notebook 06 before you read on: run the function, read its
diagnostics next to the correct agent's, probe the two pieces on small batches
you can work out by hand, and write your fix.  The bugs are below, in plain sight.

Both pieces have the signatures of notebook 03's exercises, and
:func:`train_mystery` plugs them into the package loop through ``DQNHooks``
(everything else is ``train_dqn``'s own), so a fixed pair can be trained the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F

from .config import DQNConfig, DQNHooks
from .dqn import DQNResult
from .parallel import train_dqn_seeds

__all__ = ["mystery_loss", "mystery_td_target", "train_mystery"]


def mystery_td_target(rewards: torch.Tensor, next_q_values: torch.Tensor, terminated: torch.Tensor,
                      truncated: torch.Tensor, gamma: float) -> torch.Tensor:
    """The hunt's TD target: ``rewards`` (B,), ``next_q_values`` (B, n_actions), masks (B,) -> (B,)."""
    best_next = next_q_values.max()
    return rewards + gamma * (1 - terminated) * best_next


def mystery_loss(q_values: torch.Tensor, actions: torch.Tensor, td_target: torch.Tensor) -> torch.Tensor:
    """The hunt's loss: ``q_values`` (B, n_actions), ``actions`` (B,) int64, ``td_target`` (B,) -> scalar."""
    q_taken = q_values.max(dim=1).values
    return F.smooth_l1_loss(q_taken, td_target)


def train_mystery(config: DQNConfig, seeds: Sequence[int],
                  td_target_fn: Callable[..., torch.Tensor] = mystery_td_target,
                  loss_fn: Callable[..., torch.Tensor] = mystery_loss, n_workers: int = 2) -> list[DQNResult]:
    """Train ``config`` on each seed with this TD target and this loss in place of the loop's own.

    Args:
        config: the run's settings (notebook 06's ``BASE``).
        seeds: the seeds, one run each, ``n_workers`` at a time.
        td_target_fn: ``fn(rewards, next_q_values, terminated, truncated, gamma) -> (B,)``, called with the
            target network's ``next_q_values``; the buffer stores no ``truncated``, so it gets zeros.
        loss_fn: ``fn(q_values, actions, td_target) -> scalar Tensor``.

    Returns:
        One :class:`~dqn_helpers.DQNResult` per seed.
    """

    def td_target(batch, q_net, target_net, gamma):
        no_cut = torch.zeros_like(batch.rewards)
        return td_target_fn(batch.rewards, target_net(batch.next_obs), batch.terminated, no_cut, gamma)

    return train_dqn_seeds(config, list(seeds), n_workers=n_workers, hooks=DQNHooks(td_target=td_target, loss=loss_fn))
