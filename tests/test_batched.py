"""Specifications of batched multi-seed training: each seed of a batch is the run train_dqn gives.

Tolerance: the issue asks for train_dqn's losses within float32 rounding for
at least the first 200 gradient steps and the same actions until then; we ask
``rtol=1e-5`` there (float32 has about 7 significant digits, and a few hundred
Adam steps compound rounding by far less than 100 ulp).  On this project's CPU
the batched operations round exactly as the single-network ones, so a second
test asks for bit-for-bit equality of the whole run: the notebooks' numbers do
not depend on how many seeds trained together.  Both with one torch thread, as
every worker process runs (with more threads, torch splits the batched and the
single products differently, and the rounding may differ).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from dqn_helpers import DQNConfig, DQNHooks, ReplayBuffer, train_dqn
from dqn_helpers.batched import can_batch, train_dqn_batched

# 350 gradient steps in 900 environment steps; small networks, so each run takes about a second.
SHORT = dict(total_steps=900, learning_starts=200, buffer_size=2_000, batch_size=32, train_frequency=2,
             gradient_steps=1, target_update_interval=100, exploration_steps=600, hidden_sizes=(32, 32),
             eval_interval=300, eval_episodes=3, lr_decay_steps=600)
SEEDS = [0, 1, 2]


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


class RecordingBuffer(ReplayBuffer):
    """The package's buffer, keeping every action it is handed (in the order added)."""

    made: dict[int, "RecordingBuffer"] = {}

    def __init__(self, capacity, obs_shape, seed):
        super().__init__(capacity, obs_shape, seed=seed)
        self.added_actions: list[int] = []
        RecordingBuffer.made[seed] = self

    def add(self, obs, action, reward, next_obs, terminated):
        self.added_actions.append(int(action))
        super().add(obs, action, reward, next_obs, terminated)


def _singles_and_batch(config: DQNConfig, hooks: DQNHooks | None = None, seeds=SEEDS):
    configs = [dataclasses.replace(config, seed=s) for s in seeds]
    singles = [train_dqn(c, progress=False, hooks=hooks) for c in configs]
    batched = train_dqn_batched(configs, progress=False, hooks=hooks)
    return singles, batched


def _actions_per_run(config: DQNConfig, extra_hooks: dict | None = None):
    """(single-run actions, batched-run actions, single results, batched results), recorded by the buffer."""
    hooks = DQNHooks(make_buffer=RecordingBuffer, **(extra_hooks or {}))
    RecordingBuffer.made = {}
    configs = [dataclasses.replace(config, seed=s) for s in SEEDS]
    singles, single_actions = [], []
    for c in configs:
        singles.append(train_dqn(c, progress=False, hooks=hooks))
        (buffer,) = RecordingBuffer.made.values()
        single_actions.append(buffer.added_actions)
        RecordingBuffer.made = {}
    batched = train_dqn_batched(configs, progress=False, hooks=hooks)
    batch_actions = [b.added_actions for b in RecordingBuffer.made.values()]  # made in seed order
    return single_actions, batch_actions, singles, batched


def _first_steps_env(result, n_gradient_steps: int) -> int:
    """The environment step of gradient step ``n_gradient_steps`` (the span the issue's guarantee covers)."""
    return int(result.loss_steps[n_gradient_steps - 1])


@pytest.mark.parametrize(
    "settings",
    [
        {},  # the defaults' algorithm: Double DQN, Huber, clipping, hard target copies, lr decay
        dict(double_dqn=False, loss="mse", max_grad_norm=None, tau=0.05, target_update_interval=1,
             lr_final_fraction=1.0, dueling=True, log_diagnostics=True),
        dict(use_target_network=False, keep_best=False, env_id="Acrobot-v1", hidden_sizes=(16,)),
        dict(use_replay=False, use_target_network=False, double_dqn=False, train_frequency=1),  # notebook 03's learner
    ],
    ids=["defaults", "dueling-mse-polyak-diagnostics", "acrobot-no-target", "online"],
)
def test_each_seed_of_a_batch_reproduces_train_dqn_for_its_first_200_gradient_steps(settings):
    config = DQNConfig(**{**SHORT, **settings})
    single_actions, batch_actions, singles, batched = _actions_per_run(config)
    for single, batch, acts_1, acts_n in zip(singles, batched, single_actions, batch_actions):
        assert single.losses.size >= 200
        np.testing.assert_allclose(batch.losses[:200], single.losses[:200], rtol=1e-5, atol=1e-7)
        until = _first_steps_env(single, 200)
        assert acts_n[:until] == acts_1[:until], f"seed {single.config.seed}: the actions differ before step {until}"


@pytest.mark.parametrize(
    "settings",
    [{}, dict(dueling=True, double_dqn=False, log_diagnostics=True, loss="mse", tau=0.1),
     dict(use_target_network=False, env_id="Acrobot-v1", max_grad_norm=1.0, batch_size=64),
     dict(env_id="Acrobot-v1", hidden_sizes=(64, 64), dueling=True, tau=0.05, target_update_interval=2),
     # Online learning, a batch of one: its elementwise operations run on one transition per seed.
     dict(use_replay=False, use_target_network=False, double_dqn=False, train_frequency=1, log_diagnostics=True),
     dict(use_replay=False, dueling=True, loss="mse", max_grad_norm=None, batch_size=100)],
    ids=["defaults", "dueling-diagnostics", "acrobot-no-target", "acrobot-dueling-polyak", "online",
         "online-dueling-mse-target"],
)
def test_on_this_cpu_a_batched_seed_is_the_same_run_bit_for_bit(settings):
    singles, batched = _singles_and_batch(DQNConfig(**{**SHORT, **settings}))
    for single, batch in zip(singles, batched):
        _assert_same_run(batch, single)


def _assert_same_run(batch, single) -> None:
    """Every array, diagnostic, network and count of two results equal, bit for bit."""
    assert batch.config == single.config
    seed = single.config.seed
    for name in ("losses", "loss_steps", "episode_returns", "episode_end_steps", "eval_steps",
                 "eval_returns", "eval_episode_returns"):
        np.testing.assert_array_equal(getattr(batch, name), getattr(single, name), err_msg=f"seed {seed}: {name}")
    assert batch.diagnostics.keys() == single.diagnostics.keys()
    for name in single.diagnostics:
        np.testing.assert_array_equal(batch.diagnostics[name], single.diagnostics[name], err_msg=f"seed {seed}: {name}")
    assert batch.best_eval_step == single.best_eval_step and batch.steps_done == single.steps_done
    for mine, theirs in ((batch.q_net, single.q_net), (batch.last_q_net, single.last_q_net)):
        for key, value in theirs.state_dict().items():
            assert torch.equal(mine.state_dict()[key], value), (seed, key)


def test_hooks_apply_to_every_seed_of_a_batch():
    """make_buffer, stored_done, epsilon, td_target and loss hooks: the batch gives what single runs give."""

    def stored_done(terminated, truncated):
        return terminated or truncated  # one of notebook 06's bugs

    def epsilon(step, episode):
        return max(0.05, 1.0 - 0.1 * episode)

    def td_target(batch, q_net, target_net, gamma):
        return batch.rewards + gamma * (1.0 - batch.terminated) * target_net(batch.next_obs).max(dim=1).values

    def loss(q_values, actions, target):
        return ((q_values.gather(1, actions.unsqueeze(1)).squeeze(1) - target) ** 2).mean()

    config = DQNConfig(**SHORT)
    hooks = dict(stored_done=stored_done, epsilon=epsilon, td_target=td_target, loss=loss)
    single_actions, batch_actions, singles, batched = _actions_per_run(config, hooks)
    assert batch_actions == single_actions
    for single, batch in zip(singles, batched):
        np.testing.assert_array_equal(batch.losses, single.losses)
        np.testing.assert_array_equal(batch.episode_returns, single.episode_returns)


def test_a_batch_can_be_stopped_and_every_seed_keeps_what_it_learned():
    config = DQNConfig(**{**SHORT, "log_diagnostics": True})

    def stop(step):
        if step == 555:
            raise KeyboardInterrupt

    results = train_dqn_batched([dataclasses.replace(config, seed=s) for s in SEEDS], progress=False, callback=stop)
    assert [r.config.seed for r in results] == SEEDS
    for r in results:
        assert r.interrupted and r.steps_done == 555
        assert r.losses.size == r.loss_steps.size == r.diagnostics["q_mean"].size > 0
        assert r.eval_steps.tolist() == [300] and r.eval_episode_returns.shape == (1, 3)
    assert torch.is_grad_enabled()
    again = train_dqn_batched([dataclasses.replace(config, seed=s) for s in SEEDS[:2]], progress=False)
    assert all(r.steps_done == SHORT["total_steps"] and not r.interrupted for r in again)


def test_a_batched_seeds_seconds_are_its_share_of_the_wall_clock():
    results = train_dqn_batched([DQNConfig(**{**SHORT, "total_steps": 400, "seed": s}) for s in SEEDS],
                                progress=False)
    assert len({r.seconds for r in results}) == 1  # one clock for the batch
    assert all(0 < r.eval_seconds[-1] <= r.seconds for r in results)


def test_can_batch_says_which_runs_share_a_batch():
    config = DQNConfig(**SHORT)
    same = [dataclasses.replace(config, seed=s) for s in SEEDS]
    assert can_batch(same)
    assert not can_batch(same[:1] + [dataclasses.replace(config, seed=5, gamma=0.9)])  # another setting
    assert not can_batch([config, config])  # the same seed twice
    assert not can_batch(same, DQNHooks(should_train=lambda step, ended: ended))  # per-seed schedule
    assert not can_batch([dataclasses.replace(c, batch_size=100) for c in same])  # not whole vector lanes
    assert can_batch([dataclasses.replace(c, use_replay=False, batch_size=100) for c in same])  # one transition each
    assert can_batch([dataclasses.replace(c, batch_size=64, dueling=True) for c in same])
    assert not can_batch([])


@pytest.mark.parametrize(
    "configs, hooks, error, message",
    [
        ([], None, TypeError, "non-empty sequence of DQNConfig"),
        ([{"seed": 0}], None, TypeError, "DQNConfig"),
        ([DQNConfig(**SHORT), DQNConfig(**{**SHORT, "gamma": 0.5, "seed": 1})], None, ValueError, "differ only in seed"),
        ([DQNConfig(**{**SHORT, "batch_size": 48}), DQNConfig(**{**SHORT, "batch_size": 48, "seed": 1})], None,
         ValueError, "cannot share a batch"),
        ([DQNConfig(**SHORT), DQNConfig(**{**SHORT, "seed": 1})], "hooks", TypeError, "hooks must be a DQNHooks"),
    ],
)
def test_train_dqn_batched_rejects_what_it_cannot_batch(configs, hooks, error, message):
    with pytest.raises(error, match=message):
        train_dqn_batched(configs, progress=False, hooks=hooks)


def test_a_seed_that_diverges_warns_and_names_its_step_as_train_dqn_does():
    def loss_that_turns_nan(q_values, actions, target):
        chosen = q_values.gather(1, actions.unsqueeze(1)).squeeze(1)
        return ((chosen - target) ** 2).mean() * (float("nan") if target.sum() > 0 else 1.0)

    config = DQNConfig(**SHORT)
    hooks = DQNHooks(loss=loss_that_turns_nan)
    with pytest.warns(RuntimeWarning, match="diverged"):
        batched = train_dqn_batched([dataclasses.replace(config, seed=s) for s in SEEDS], progress=False, hooks=hooks)
    with pytest.warns(RuntimeWarning, match="diverged"):
        single = train_dqn(dataclasses.replace(config, seed=SEEDS[0]), progress=False, hooks=hooks)
    assert all(r.diverged_step is not None for r in batched)
    assert batched[0].diverged_step == single.diverged_step


def test_a_td_target_hook_gets_each_seeds_own_sample_from_the_package_buffers():
    """Without a make_buffer hook the seeds' samples are gathered into one stacked batch; the hook sees seed i's alone."""
    shapes = set()

    def td_target(batch, q_net, target_net, gamma):
        shapes.add((tuple(batch.obs.shape), tuple(batch.rewards.shape)))
        return batch.rewards + gamma * (1.0 - batch.terminated) * target_net(batch.next_obs).max(dim=1).values

    singles, batched = _singles_and_batch(DQNConfig(**SHORT), DQNHooks(td_target=td_target))
    assert shapes == {((SHORT["batch_size"], 4), (SHORT["batch_size"],))}
    for single, batch in zip(singles, batched):
        np.testing.assert_array_equal(batch.losses, single.losses)
        np.testing.assert_array_equal(batch.episode_returns, single.episode_returns)


def test_seventeen_online_seeds_in_one_batch_are_the_single_runs_bit_for_bit():
    """With 17 seeds the elementwise kernels over one transition per seed run partly in vector lanes, not only in
    their scalar loop (chunks of 16 floats on AVX2): the runs must still be train_dqn's."""
    config = DQNConfig(**{**SHORT, "total_steps": 250, "learning_starts": 50, "eval_interval": 125,
                          "eval_episodes": 2, "use_replay": False, "use_target_network": False, "double_dqn": False,
                          "train_frequency": 1, "log_diagnostics": True})
    singles, batched = _singles_and_batch(config, seeds=range(17))
    for single, batch in zip(singles, batched):
        assert single.losses.size == config.total_steps - config.learning_starts + 1  # steps 50-250 each learn
        _assert_same_run(batch, single)
