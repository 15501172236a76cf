"""Saving a trained agent to a file and loading it back.

``save_agent`` writes the network's weights and the run's ``DQNConfig`` as
plain tensors and dicts; ``load_agent`` reads them with ``weights_only=True``,
so loading a file runs no code from it.
"""

from __future__ import annotations

from pathlib import Path

import torch

from .config import DQNConfig
from .networks import QNetwork

__all__ = ["load_agent", "save_agent"]


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
