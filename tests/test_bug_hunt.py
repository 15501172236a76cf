"""Notebook 06's bug hunt: the hidden pieces are wrong, the checks say how, the recommended checks catch them."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from dqn_helpers import checks
from dqn_helpers.bug_hunt import mystery_loss, mystery_td_target

B, N_ACTIONS = 8, 2


def _batch():
    g = torch.Generator().manual_seed(0)
    return dict(rewards=torch.ones(B), next_q_values=torch.randn(B, N_ACTIONS, generator=g),
                terminated=(torch.arange(B) % 3 == 0).float(), truncated=torch.zeros(B), gamma=0.98,
                q_values=torch.randn(B, N_ACTIONS, generator=g, requires_grad=True),
                actions=torch.randint(0, N_ACTIONS, (B,), generator=g))


# The notebook's hand batch (the cell before exercise 2): the first transition took action 0, not the best one.
HAND_Q_VALUES, HAND_ACTIONS = torch.tensor([[0.5, 1.5], [2.0, 1.0]]), torch.tensor([0, 0])


# The mystery TD target as the notebook's recommendation would have it written: each line of the
# module, with the assert the notebook recommends inserted where it says.
def td_target_with_the_recommended_assert(rewards, next_q_values, terminated, truncated, gamma):
    best_next = next_q_values.max()
    assert best_next.shape == rewards.shape, "one best next value per transition"
    return rewards + gamma * (1 - terminated) * best_next


def test_the_copy_with_the_assert_and_the_hand_written_loss_are_the_module_pieces_line_for_line():
    b = _batch()
    args = (b["rewards"], b["next_q_values"], b["terminated"], b["truncated"], b["gamma"])
    best = b["next_q_values"].max()
    torch.testing.assert_close(mystery_td_target(*args), b["rewards"] + b["gamma"] * (1 - b["terminated"]) * best)
    target = mystery_td_target(*args)
    torch.testing.assert_close(mystery_loss(b["q_values"], b["actions"], target),
                               F.smooth_l1_loss(b["q_values"].max(dim=1).values, target))


def test_the_recommended_assert_catches_the_target_bug():
    b = _batch()
    with pytest.raises(AssertionError, match="one best next value"):
        td_target_with_the_recommended_assert(b["rewards"], b["next_q_values"], b["terminated"], b["truncated"], b["gamma"])


def test_the_shape_of_the_target_alone_would_not_catch_the_target_bug():
    b = _batch()
    target = mystery_td_target(b["rewards"], b["next_q_values"], b["terminated"], b["truncated"], b["gamma"])
    assert target.shape == (B,)  # why the notebook asserts on best_next, not on the target


def test_the_loss_bug_passes_every_shape_assert_and_the_hand_batch_catches_it():
    b = _batch()
    q_fitted = b["q_values"].max(dim=1).values                    # what mystery_loss compares with the target
    assert q_fitted.shape == b["rewards"].shape == (B,)
    assert mystery_loss(b["q_values"], b["actions"], b["rewards"]).shape == ()
    target = torch.tensor([2.96, 1.0])
    right = F.smooth_l1_loss(HAND_Q_VALUES.gather(1, HAND_ACTIONS.unsqueeze(1)).squeeze(1), target)
    assert not torch.isclose(mystery_loss(HAND_Q_VALUES, HAND_ACTIONS, target), right)


def test_the_recommended_asserts_pass_on_the_fix():
    b = _batch()
    best_next = b["next_q_values"].max(dim=1).values
    assert best_next.shape == b["rewards"].shape
    q_taken = b["q_values"].gather(1, b["actions"].unsqueeze(1)).squeeze(1)
    assert q_taken.shape == b["rewards"].shape
    F.smooth_l1_loss(q_taken, b["rewards"] + b["gamma"] * (1 - b["terminated"]) * best_next).backward()


def test_the_checks_reject_the_hidden_pieces_and_name_their_bugs():
    with pytest.raises(AssertionError, match="one max over the whole batch"):
        checks.check_td_target(mystery_td_target)
    with pytest.raises(AssertionError, match=r"you use max_a Q\(s, a\)"):
        checks.check_dqn_loss(mystery_loss)
