"""Saving a trained agent to a file and loading it back.

``save_agent`` writes the network's weights and the run's ``DQNConfig`` as
plain tensors and dicts; ``load_agent`` reads them with ``weights_only=True``,
so loading a file runs no code from it.
"""

from __future__ import annotations

import pickle
import zipfile
from pathlib import Path

import torch

from .config import DQNConfig
from .networks import QNetwork
from .validation import check_device, check_path, describe

__all__ = ["load_agent", "save_agent"]

FORMAT = "dqn_helpers.agent/1"
_KEYS = ("obs_dim", "n_actions", "hidden_sizes", "dueling", "state_dict", "config")


def _check_network_matches_config(q_net: QNetwork, config: DQNConfig, where: str) -> None:
    """The network's layer sizes and head must be the ones ``config`` describes."""
    if tuple(q_net.hidden_sizes) != tuple(config.hidden_sizes) or q_net.dueling != config.dueling:
        raise ValueError(
            f"{where}: the network has hidden_sizes={tuple(q_net.hidden_sizes)}, dueling={q_net.dueling}, "
            f"but the config says hidden_sizes={tuple(config.hidden_sizes)}, dueling={config.dueling}; "
            "save the config the network was trained with (result.config)"
        )


def save_agent(path: str | Path, q_net: QNetwork, config: DQNConfig) -> None:
    """Save ``q_net``'s weights and ``config`` (as a plain dict) to ``path`` with ``torch.save``.

    Raises:
        TypeError: if ``q_net`` is not a :class:`QNetwork` or ``config`` not a :class:`DQNConfig`.
        ValueError: if the network's ``hidden_sizes`` or ``dueling`` disagree with the config's,
            or the folder of ``path`` does not exist.
    """
    path = check_path(path, "path")
    if not isinstance(q_net, QNetwork):
        raise TypeError(f"q_net must be a QNetwork, got {type(q_net).__name__}")
    if not isinstance(config, DQNConfig):
        raise TypeError(f"config must be a DQNConfig, got {type(config).__name__}")
    _check_network_matches_config(q_net, config, f"save_agent({str(path)!r})")
    if path.is_dir():
        raise ValueError(f"path {str(path)!r} is a folder; give a file name such as {str(path / 'agent.pt')!r}")
    if not path.parent.is_dir():
        raise ValueError(f"path {str(path)!r}: the folder {str(path.parent)!r} does not exist; create it first")
    payload = {
        "format": FORMAT,
        "obs_dim": q_net.obs_dim,
        "n_actions": q_net.n_actions,
        "hidden_sizes": list(q_net.hidden_sizes),
        "dueling": q_net.dueling,
        "state_dict": {k: v.detach().cpu() for k, v in q_net.state_dict().items()},
        "config": config.to_dict(),
    }
    torch.save(payload, path)


def load_agent(path: str | Path, device: str | torch.device = "cpu") -> tuple[QNetwork, DQNConfig]:
    """Load what :func:`save_agent` wrote: ``(q_net, config)``, read with ``weights_only=True``.

    Loading runs no code from the file.  A file that is missing gets a
    ``FileNotFoundError``; one that is empty, truncated, not a checkpoint at
    all, or written by something else than ``save_agent``, or whose weights
    or config do not fit together, gets a ``ValueError`` naming the file and
    what is wrong with it.
    """
    path = check_path(path, "path")
    device = check_device(device, "device")
    where = f"{str(path)!r}"
    if not path.exists():
        raise FileNotFoundError(f"no file {where}; save_agent(path, q_net, config) writes one")
    if path.is_dir():
        raise ValueError(f"{where} is a folder, not a file written by save_agent")
    if path.stat().st_size == 0:
        raise ValueError(f"{where} is empty (0 bytes): not a file written by save_agent")
    try:
        payload = torch.load(path, map_location=device, weights_only=True)
    except pickle.UnpicklingError as err:
        raise ValueError(
            f"{where} was not written by save_agent: it holds objects a safe (weights_only) load refuses "
            f"({str(err).splitlines()[0][:120]})"
        ) from None
    except (RuntimeError, EOFError, zipfile.BadZipFile, OSError, ValueError, KeyError, IndexError) as err:
        raise ValueError(
            f"{where} is not a readable checkpoint (truncated, damaged or not a torch file): "
            f"{type(err).__name__}: {str(err).splitlines()[0][:120] if str(err) else ''}"
        ) from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        found = sorted(map(str, payload))[:8] if isinstance(payload, dict) else describe(payload)
        raise ValueError(f"{where} was not written by dqn_helpers.save_agent (it holds {found})")
    missing = [key for key in _KEYS if key not in payload]
    if missing:
        raise ValueError(f"{where} is a damaged save_agent file: it lacks {missing}")
    if not isinstance(payload["config"], dict) or not isinstance(payload["state_dict"], dict):
        raise ValueError(f"{where} is a damaged save_agent file: its config or weights are not dicts")
    try:
        config = DQNConfig.from_dict(dict(payload["config"]))
    except (TypeError, ValueError) as err:
        raise ValueError(f"{where} holds a config DQNConfig refuses: {err}") from None
    try:
        q_net = QNetwork(payload["obs_dim"], payload["n_actions"], payload["hidden_sizes"], payload["dueling"])
    except (TypeError, ValueError) as err:
        raise ValueError(f"{where} describes a network QNetwork refuses: {err}") from None
    _check_network_matches_config(q_net, config, where)
    try:
        q_net.load_state_dict(payload["state_dict"])
    except RuntimeError as err:
        raise ValueError(f"{where}: the stored weights do not fit the network it describes: "
                         f"{' '.join(str(err).split())[:300]}") from None
    q_net.to(device)
    return q_net, config
