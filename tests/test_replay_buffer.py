"""Specifications of ReplayBuffer: a FIFO ring of transitions, sampled uniformly."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dqn_helpers import ReplayBatch, ReplayBuffer


def add_numbered(buffer: ReplayBuffer, k: int) -> None:
    """Add transition number k: every field encodes k, so a sample says which transition it was."""
    obs = np.full(buffer.obs_shape, k, dtype=np.float32)
    buffer.add(obs, k, float(k), obs + 0.5, k % 2 == 0)


def sampled_numbers(batch: ReplayBatch) -> np.ndarray:
    return batch.actions.numpy()


def many_samples(buffer: ReplayBuffer, rounds: int = 100) -> set[int]:
    """The transition numbers seen in `rounds` samples of the whole buffer size."""
    return {int(k) for _ in range(rounds) for k in sampled_numbers(buffer.sample(len(buffer)))}


def test_sample_returns_torch_tensors_with_the_documented_shapes_and_dtypes():
    buffer = ReplayBuffer(10, (4,), seed=0)
    for k in range(5):
        add_numbered(buffer, k)
    batch = buffer.sample(3)
    assert isinstance(batch, ReplayBatch)
    assert batch.obs.shape == (3, 4) and batch.obs.dtype == torch.float32
    assert batch.next_obs.shape == (3, 4) and batch.next_obs.dtype == torch.float32
    assert batch.actions.shape == (3,) and batch.actions.dtype == torch.int64
    assert batch.rewards.shape == (3,) and batch.rewards.dtype == torch.float32
    assert batch.terminated.shape == (3,) and batch.terminated.dtype == torch.float32


def test_each_sampled_row_keeps_its_fields_together():
    buffer = ReplayBuffer(8, (2,), seed=1)
    for k in range(8):
        add_numbered(buffer, k)
    batch = buffer.sample(8)
    k = batch.actions.numpy()
    np.testing.assert_array_equal(batch.obs.numpy(), np.repeat(k[:, None], 2, axis=1).astype(np.float32))
    np.testing.assert_array_equal(batch.next_obs.numpy(), batch.obs.numpy() + 0.5)
    np.testing.assert_array_equal(batch.rewards.numpy(), k.astype(np.float32))
    np.testing.assert_array_equal(batch.terminated.numpy(), (k % 2 == 0).astype(np.float32))


def test_len_counts_transitions_up_to_the_capacity():
    buffer = ReplayBuffer(3, 1)
    assert len(buffer) == 0
    for k in range(5):
        add_numbered(buffer, k)
        assert len(buffer) == min(k + 1, 3)


def test_buffer_evicts_the_oldest_transition_when_full():
    buffer = ReplayBuffer(3, (1,), seed=0)
    for k in range(4):  # 0 is the oldest and must go
        add_numbered(buffer, k)
    assert many_samples(buffer) == {1, 2, 3}


def test_same_seed_gives_the_same_samples():
    batches = []
    for _ in range(2):
        buffer = ReplayBuffer(20, (1,), seed=42)
        for k in range(20):
            add_numbered(buffer, k)
        batches.append(sampled_numbers(buffer.sample(10)))
    np.testing.assert_array_equal(*batches)


def test_sample_covers_every_stored_transition():
    buffer = ReplayBuffer(5, (1,), seed=3)
    for k in range(5):
        add_numbered(buffer, k)
    assert many_samples(buffer) == set(range(5))


def test_uint8_observations_come_back_as_float32():
    buffer = ReplayBuffer(4, (2, 2), obs_dtype=np.uint8, seed=0)
    obs = np.full((2, 2), 200, dtype=np.uint8)
    buffer.add(obs, 1, 1.0, obs, False)
    batch = buffer.sample(1)
    assert batch.obs.dtype == torch.float32 and batch.obs.shape == (1, 2, 2)
    assert batch.obs.max().item() == 200.0


# ----------------------------------------------------------------------------- bad input


def test_sampling_more_than_is_stored_raises_a_clear_value_error():
    buffer = ReplayBuffer(100, (4,))
    for k in range(10):
        add_numbered(buffer, k)
    with pytest.raises(ValueError, match=r"batch_size=32 .* only 10 transitions"):
        buffer.sample(32)


def test_sampling_an_empty_buffer_raises_a_value_error():
    with pytest.raises(ValueError, match="batch_size"):
        ReplayBuffer(10, (4,)).sample(1)


@pytest.mark.parametrize("capacity", [-5, 0])
def test_a_non_positive_capacity_raises_a_value_error(capacity):
    with pytest.raises(ValueError, match="capacity"):
        ReplayBuffer(capacity, (4,))


def test_a_non_integer_capacity_raises_a_type_error():
    with pytest.raises(TypeError, match="capacity"):
        ReplayBuffer(10.5, (4,))


@pytest.mark.parametrize("field", ["obs", "next_obs"])
def test_an_observation_of_the_wrong_shape_raises_a_value_error(field):
    buffer = ReplayBuffer(10, (4,))
    good, bad = np.zeros(4, np.float32), np.zeros(3, np.float32)
    args = {"obs": good, "next_obs": good, field: bad}
    with pytest.raises(ValueError, match=rf"{field} has shape \(3,\).*\(4,\)"):
        buffer.add(args["obs"], 0, 0.0, args["next_obs"], False)
    assert len(buffer) == 0  # nothing half-stored


def test_a_non_positive_batch_size_raises_a_value_error():
    buffer = ReplayBuffer(10, (1,))
    add_numbered(buffer, 0)
    with pytest.raises(ValueError, match="batch_size"):
        buffer.sample(0)


# ----------------------------------------------------------------------------- properties

capacities = st.integers(min_value=1, max_value=12)
n_adds = st.integers(min_value=1, max_value=40)


@settings(max_examples=60, deadline=None)
@given(capacity=capacities, n=n_adds, seed=st.integers(0, 2**16))
def test_property_only_the_last_capacity_transitions_can_be_sampled(capacity, n, seed):
    """FIFO eviction and nothing sampled that was not stored."""
    buffer = ReplayBuffer(capacity, (3,), seed=seed)
    for k in range(n):
        add_numbered(buffer, k)
    kept = set(range(max(0, n - capacity), n))
    batch = buffer.sample(len(buffer))
    assert set(sampled_numbers(batch).tolist()) <= kept
    assert len(buffer) == len(kept)


@settings(max_examples=60, deadline=None)
@given(capacity=capacities, n=n_adds)
def test_property_no_slot_is_lost_at_wrap_around(capacity, n):
    """After any number of adds, the stored slots hold exactly the newest min(n, capacity) transitions."""
    buffer = ReplayBuffer(capacity, (3,))
    for k in range(n):
        add_numbered(buffer, k)
    stored = sorted(buffer.actions[: len(buffer)].tolist())
    assert stored == list(range(max(0, n - capacity), n))
    # the storage arrays agree with each other slot by slot
    np.testing.assert_array_equal(buffer.obs[: len(buffer), 0], buffer.actions[: len(buffer)].astype(np.float32))
    np.testing.assert_array_equal(buffer.rewards[: len(buffer)], buffer.actions[: len(buffer)].astype(np.float32))


@settings(max_examples=40, deadline=None)
@given(capacity=capacities, n=n_adds, batch_size=st.integers(1, 64), seed=st.integers(0, 2**16))
def test_property_sample_never_fails_when_enough_is_stored_and_always_fails_otherwise(capacity, n, batch_size, seed):
    buffer = ReplayBuffer(capacity, (1,), seed=seed)
    for k in range(n):
        add_numbered(buffer, k)
    if batch_size <= len(buffer):
        assert buffer.sample(batch_size).actions.shape == (batch_size,)
    else:
        with pytest.raises(ValueError):
            buffer.sample(batch_size)
