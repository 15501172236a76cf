"""Shared test set-up.

One torch thread in every test process: the networks here are tiny, and with
pytest-xdist running two test processes (each beside notebook kernels and worker
processes) on two cores, torch's default of one thread per core makes the
threads wait for each other: a 15-second test took five minutes that way.  The
worker processes of train_dqn_seeds and the notebooks use one thread too.

`make test` caps the notebooks' worker processes (DQN_HELPERS_MAX_WORKERS=1:
pytest-xdist already keeps both cores busy); the unit tests run without the
cap, so that they test what a learner gets by default, worker processes included.
"""

import pytest
import torch

torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _no_worker_cap(monkeypatch):
    monkeypatch.delenv("DQN_HELPERS_MAX_WORKERS", raising=False)
