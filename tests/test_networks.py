"""Specifications of QNetwork, its NumPy greedy mirror, and linear_schedule."""

import numpy as np
import pytest
import torch
from torch import nn

from dqn_helpers import QNetwork, linear_schedule
from dqn_helpers.networks import NumpyGreedy


def test_q_network_maps_a_batch_of_observations_to_one_q_value_per_action():
    q_net = QNetwork(obs_dim=4, n_actions=3, hidden_sizes=(16, 8))
    out = q_net(torch.zeros(5, 4))
    assert out.shape == (5, 3) and out.dtype == torch.float32
    assert q_net(torch.zeros(4)).shape == (3,)


def test_q_network_has_the_hidden_layers_asked_for():
    q_net = QNetwork(4, 2, hidden_sizes=(32, 16, 8))
    widths = [m.out_features for m in q_net.modules() if isinstance(m, nn.Linear)]
    assert widths == [32, 16, 8, 2]
    assert [m.out_features for m in QNetwork(4, 2, hidden_sizes=()).modules() if isinstance(m, nn.Linear)] == [2]


def test_dueling_q_values_are_value_plus_centred_advantage():
    torch.manual_seed(0)
    q_net = QNetwork(4, 3, hidden_sizes=(8,), dueling=True)
    obs = torch.randn(6, 4)
    features = q_net.body(obs)
    value, advantage = q_net.value_head(features), q_net.advantage_head(features)
    expected = value + advantage - advantage.mean(dim=1, keepdim=True)
    torch.testing.assert_close(q_net(obs), expected)
    # the mean over actions of Q is V
    torch.testing.assert_close(q_net(obs).mean(dim=1, keepdim=True), value)


def test_q_network_rejects_observations_of_the_wrong_size():
    with pytest.raises(ValueError, match=r"expects \(batch, 4\)"):
        QNetwork(4, 2)(torch.zeros(3, 5))


@pytest.mark.parametrize("kwargs", [dict(obs_dim=0, n_actions=2), dict(obs_dim=4, n_actions=-1),
                                    dict(obs_dim=4, n_actions=2, hidden_sizes=(0,))])
def test_q_network_rejects_non_positive_sizes(kwargs):
    with pytest.raises(ValueError):
        QNetwork(**kwargs)


@pytest.mark.parametrize("dueling", [False, True])
def test_numpy_greedy_picks_the_same_action_as_the_torch_network(dueling):
    torch.manual_seed(1)
    q_net = QNetwork(4, 3, hidden_sizes=(16, 16), dueling=dueling)
    greedy = NumpyGreedy(q_net)
    obs = np.random.default_rng(0).normal(size=(200, 4)).astype(np.float32)
    with torch.no_grad():
        expected = q_net(torch.as_tensor(obs)).argmax(dim=1).numpy()
    assert [greedy(o) for o in obs] == expected.tolist()
    np.testing.assert_array_equal(greedy.q_values(obs).argmax(axis=1), expected)


def test_numpy_greedy_follows_the_network_as_an_optimizer_updates_it():
    torch.manual_seed(2)
    q_net = QNetwork(2, 2, hidden_sizes=(8,))
    greedy = NumpyGreedy(q_net)
    optimizer = torch.optim.Adam(q_net.parameters(), lr=0.1, fused=True)
    obs = torch.tensor([[1.0, -1.0]])
    for _ in range(30):  # push Q(obs, 0) far below Q(obs, 1), then the reverse
        target = torch.tensor([[-5.0, 5.0]])
        loss = ((q_net(obs) - target) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert greedy(obs[0].numpy()) == 1
    with torch.no_grad():
        np.testing.assert_allclose(greedy.q_values(obs[0].numpy()), q_net(obs)[0].numpy(), rtol=1e-5, atol=1e-5)


def test_linear_schedule_goes_from_start_to_end_then_stays():
    assert linear_schedule(1.0, 0.1, 100, 0) == 1.0
    assert linear_schedule(1.0, 0.1, 100, 50) == pytest.approx(0.55)
    assert linear_schedule(1.0, 0.1, 100, 100) == pytest.approx(0.1)
    assert linear_schedule(1.0, 0.1, 100, 10_000) == pytest.approx(0.1)
    assert linear_schedule(0.0, 1.0, 0, 0) == 1.0
    assert isinstance(linear_schedule(1, 0, 10, 5), float)


@pytest.mark.parametrize("duration, t", [(-1, 0), (10, -1)])
def test_linear_schedule_rejects_negative_durations_and_steps(duration, t):
    with pytest.raises(ValueError):
        linear_schedule(1.0, 0.0, duration, t)


def _openblas_threads() -> list[int]:
    """The threads of the OpenBLAS that NumPy's products use.

    SciPy's wheel brings its own copy of OpenBLAS (loaded by ``dqn_helpers.stats``), which NumPy's
    products never call; counting it made these tests depend on whether another test had imported SciPy.
    A conda NumPy and SciPy share one library, which is then NumPy's.
    """
    from threadpoolctl import threadpool_info

    libs = [lib for lib in threadpool_info() if lib["internal_api"] == "openblas"]
    numpys = [lib for lib in libs if "numpy" in lib["filepath"]] or libs
    return [lib["num_threads"] for lib in numpys]


def test_one_blas_thread_limits_numpys_blas_and_restores_it():
    from threadpoolctl import threadpool_limits

    from dqn_helpers.networks import one_blas_thread

    with threadpool_limits(limits=2, user_api="blas"):
        assert _openblas_threads() and set(_openblas_threads()) == {2}
        with one_blas_thread():
            assert set(_openblas_threads()) == {1}
        assert set(_openblas_threads()) == {2}


def test_a_greedy_evaluation_runs_numpys_products_on_one_thread(monkeypatch):
    # On more threads OpenBLAS splits a product of 100 observations through a 128x128 layer, spins, and rounds
    # it differently in the last bits: the evaluation must run on one thread whatever the caller's setting.
    from threadpoolctl import threadpool_limits

    from dqn_helpers import evaluate_greedy

    seen = []
    q_values = NumpyGreedy.q_values

    def recording(self, obs):
        seen.append(tuple(_openblas_threads()))
        return q_values(self, obs)

    monkeypatch.setattr(NumpyGreedy, "q_values", recording)
    torch.manual_seed(0)
    with threadpool_limits(limits=2, user_api="blas"):
        evaluate_greedy(QNetwork(4, 2, hidden_sizes=(128, 128)), "CartPole-v1", 100, seed=7)
    assert seen and set(seen) == {(1,)}
