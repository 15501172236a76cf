"""Notebook 06's bug hunt: the hidden pieces are wrong, the checks say how, the recommended asserts catch them."""

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


# The mystery pieces as the notebook's recommendation would have them written: each line of the
# module, with the two asserts the notebook recommends inserted where it says.
def td_target_with_the_recommended_assert(rewards, next_q_values, terminated, truncated, gamma):
    best_next = next_q_values.max()
    assert best_next.shape == rewards.shape, "one best next value per transition"
    return rewards + gamma * (1 - terminated) * best_next


def loss_with_the_recommended_assert(q_values, actions, td_target):
    q_taken = q_values.gather(1, actions.unsqueeze(1))
    assert q_taken.shape == td_target.shape, "Q(s, a) and its target must have the same shape"
    return ((q_taken - td_target) ** 2).mean()


def test_the_copies_with_asserts_are_the_module_pieces_line_for_line():
    b = _batch()
    args = (b["rewards"], b["next_q_values"], b["terminated"], b["truncated"], b["gamma"])
    best = b["next_q_values"].max()
    torch.testing.assert_close(mystery_td_target(*args), b["rewards"] + b["gamma"] * (1 - b["terminated"]) * best)
    q_taken = b["q_values"].gather(1, b["actions"].unsqueeze(1))
    target = mystery_td_target(*args)
    torch.testing.assert_close(mystery_loss(b["q_values"], b["actions"], target), ((q_taken - target) ** 2).mean())


def test_the_recommended_asserts_catch_both_hidden_bugs():
    b = _batch()
    with pytest.raises(AssertionError, match="one best next value"):
        td_target_with_the_recommended_assert(b["rewards"], b["next_q_values"], b["terminated"], b["truncated"], b["gamma"])
    with pytest.raises(AssertionError, match="same shape"):
        loss_with_the_recommended_assert(b["q_values"], b["actions"], torch.zeros(B))


def test_the_shape_of_the_target_alone_would_not_catch_the_first_bug():
    b = _batch()
    target = mystery_td_target(b["rewards"], b["next_q_values"], b["terminated"], b["truncated"], b["gamma"])
    assert target.shape == (B,)  # why the notebook asserts on best_next, not on the target


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
    with pytest.raises(AssertionError, match=r"\(B, B\)"):
        checks.check_dqn_loss(mystery_loss)
