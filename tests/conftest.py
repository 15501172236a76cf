"""Shared test set-up.

One torch thread in every test process: the networks here are tiny, and with
pytest-xdist running two test processes (each beside notebook kernels and worker
processes) on two cores, torch's default of one thread per core makes the
threads wait for each other: a 15-second test took five minutes that way.  The
worker processes of train_dqn_seeds and the notebooks use one thread too.
"""

import torch

torch.set_num_threads(1)
