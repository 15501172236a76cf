"""The Q-network: an MLP from an observation to one Q-value per action.

``QNetwork(obs_dim, n_actions, hidden_sizes)`` maps a batch of observations
``(B, obs_dim)`` to Q-values ``(B, n_actions)``.  With ``dueling=True`` the last
layer is split into a state value ``V(s)`` and advantages ``A(s, a)``, combined
as ``Q = V + A - mean_a A`` (Wang et al., 2016).

``NumpyGreedy`` computes the same greedy action with NumPy for *one*
observation at a time.  For a network this small, PyTorch spends most of a
single-observation forward pass on per-call overhead (about 50 us here against
under 10 us for the NumPy arithmetic), and the training loop picks one action
per environment step.

``one_blas_thread()`` is a context in which NumPy's matrix products run on one
thread: evaluations use it (see its docstring for why).

Of dqn_helpers, this module imports only the argument checks (:mod:`~dqn_helpers.validation`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from threadpoolctl import ThreadpoolController
from torch import nn

from .validation import check_bool, check_int, check_int_tuple

__all__ = ["QNetwork", "NumpyGreedy", "one_blas_thread"]


class QNetwork(nn.Module):
    """A multi-layer perceptron with ReLU activations that outputs Q-values.

    Args:
        obs_dim: the length of one (flat) observation, e.g. 4 for CartPole.
        n_actions: how many discrete actions, e.g. 2 for CartPole.
        hidden_sizes: the width of each hidden layer, e.g. ``(64, 64)``;
            ``()`` makes a linear model.
        dueling: split the output into a value stream and an advantage stream.

    Shapes:
        ``forward(obs)``: ``(B, obs_dim)`` float32 -> ``(B, n_actions)`` float32
        (a single ``(obs_dim,)`` observation gives ``(n_actions,)``).
    """

    def __init__(
        self,
        obs_dim: int,
        n_actions: int,
        hidden_sizes: Sequence[int] = (64, 64),
        dueling: bool = False,
    ) -> None:
        super().__init__()
        self.obs_dim = check_int(obs_dim, "obs_dim", minimum=1)
        self.n_actions = check_int(n_actions, "n_actions", minimum=1)
        self.hidden_sizes = check_int_tuple(hidden_sizes, "hidden_sizes", minimum=1)
        self.dueling = check_bool(dueling, "dueling")
        layers: list[nn.Module] = []
        width = self.obs_dim
        for size in self.hidden_sizes:
            layers += [nn.Linear(width, size), nn.ReLU()]
            width = size
        self.body = nn.Sequential(*layers)
        if self.dueling:
            self.value_head = nn.Linear(width, 1)
            self.advantage_head = nn.Linear(width, self.n_actions)
        else:
            self.head = nn.Linear(width, self.n_actions)

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        """Q-values ``(B, n_actions)`` for observations ``(B, obs_dim)``."""
        if not isinstance(obs, torch.Tensor):
            raise TypeError(
                f"obs must be a torch.Tensor, got {type(obs).__name__}; "
                "convert it with torch.as_tensor(obs, dtype=torch.float32)"
            )
        if obs.ndim == 0 or obs.shape[-1] != self.obs_dim:
            raise ValueError(
                f"obs has shape {tuple(obs.shape)}, but this QNetwork expects (batch, {self.obs_dim}) observations"
            )
        weight = self.head.weight if not self.dueling else self.value_head.weight
        if obs.dtype != weight.dtype:
            raise TypeError(
                f"obs has dtype {obs.dtype} but the network's weights are {weight.dtype}; "
                f"convert it with obs.to({weight.dtype})"
            )
        features = self.body(obs)
        if not self.dueling:
            return self.head(features)
        value = self.value_head(features)  # (B, 1)
        advantage = self.advantage_head(features)  # (B, n_actions)
        return value + advantage - advantage.mean(dim=-1, keepdim=True)

    def extra_repr(self) -> str:
        return f"obs_dim={self.obs_dim}, n_actions={self.n_actions}, dueling={self.dueling}"


class NumpyGreedy:
    """The greedy action of a :class:`QNetwork` for one observation, computed with NumPy.

    It reads the network's weights through NumPy *views* of the same memory,
    so it follows the network as an optimizer updates it in place (as
    ``torch.optim`` optimizers and ``load_state_dict`` do).  Make a new one
    if you replace the parameters themselves (e.g. ``q_net.to("cuda")``).

    Args:
        q_net: a CPU :class:`QNetwork`.

    Call:
        ``greedy(obs)`` with ``obs`` of shape ``(obs_dim,)`` returns
        ``argmax_a Q(obs, a)`` as an ``int`` (the lowest index on a tie, as
        ``torch.argmax`` does).
    """

    def __init__(self, q_net: QNetwork) -> None:
        if not isinstance(q_net, QNetwork):
            raise TypeError(f"q_net must be a QNetwork, got {type(q_net).__name__}")
        if any(p.device.type != "cpu" for p in q_net.parameters()):
            raise ValueError("NumpyGreedy needs a network on the CPU")
        linears = [m for m in q_net.body if isinstance(m, nn.Linear)]
        self._layers = [(m.weight.detach().numpy(), m.bias.detach().numpy()) for m in linears]
        self._dueling = q_net.dueling
        self._obs_dim = q_net.obs_dim
        head = q_net.advantage_head if q_net.dueling else q_net.head
        # With dueling, argmax Q = argmax A: V and the mean of A shift every action alike.
        self._head = (head.weight.detach().numpy(), head.bias.detach().numpy())

    def q_values(self, obs: np.ndarray) -> np.ndarray:
        """Q-values ``(n_actions,)`` for ``obs`` ``(obs_dim,)``, or ``(B, n_actions)`` for ``(B, obs_dim)``.

        For a dueling network these are the advantages, which have the same argmax.
        """
        try:
            h = np.asarray(obs, dtype=np.float32)
        except (TypeError, ValueError):
            raise TypeError(f"obs must be an array of numbers of shape ({self._obs_dim},), got {type(obs).__name__}") from None
        if h.ndim not in (1, 2) or h.shape[-1] != self._obs_dim:
            raise ValueError(
                f"obs has shape {h.shape}, but this network expects ({self._obs_dim},) or (batch, {self._obs_dim})"
            )
        for weight, bias in self._layers:
            h = h @ weight.T + bias
            np.maximum(h, 0.0, out=h)
        weight, bias = self._head
        return h @ weight.T + bias

    def __call__(self, obs: np.ndarray) -> int:
        return int(self.q_values(obs).argmax())


_blas_controller: ThreadpoolController | None = None


def one_blas_thread():
    """A context (``with one_blas_thread(): ...``) in which NumPy's BLAS uses one thread.

    NumPy's OpenBLAS splits a large enough matrix product (measured here: a batch of
    40 observations through a 128x128 layer, but not one of 20) over as many threads
    as the machine has cores, and its threads wait for each other by spinning.  When
    another busy process holds the other core (two notebooks at once,
    pytest-xdist, a shared server), such products ran 3 to 10 times slower than on
    one thread on this project's 2-core machine, and in some runs over 20 times
    (``benchmarks/blas_threads.py``).  The split also changes the rounding: a batch
    of 100 gave results on 2 threads that differed in the last bits from those on
    1, so a greedy evaluation could depend on the number of cores.  On one thread it
    does not.  Alone on an idle machine, one thread took about 1.2 times the
    wall time of two for these products, and less CPU time.
    """
    global _blas_controller
    if _blas_controller is None:  # made once: it looks up the loaded libraries (about 1 ms)
        _blas_controller = ThreadpoolController()
    return _blas_controller.limit(limits=1, user_api="blas")
