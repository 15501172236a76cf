"""Specifications of the exercise checks: each accepts a right answer and rejects the classic wrong ones.

Every wrong implementation below is a mistake learners really make.  For each
one the check must raise an ``AssertionError`` whose message names the mistake
(the ``match`` pattern), so that a learner who makes it is told what to fix.
"""

from __future__ import annotations

import copy
import random
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from torch import nn

from dqn_helpers import checks

# ----------------------------------------------------------------------------
# Tabular Q-learning
# ----------------------------------------------------------------------------


def q_learning_right(q, state, action, reward, next_state, terminated, alpha, gamma):
    td_target = reward + gamma * np.max(q[next_state]) * (1 - terminated)
    q[state, action] += alpha * (td_target - q[state, action])


def q_learning_right_with_if(q, state, action, reward, next_state, terminated, alpha, gamma):
    td_target = reward if terminated else reward + gamma * q[next_state].max()
    q[state, action] = (1 - alpha) * q[state, action] + alpha * td_target


def q_learning_no_terminal_mask(q, state, action, reward, next_state, terminated, alpha, gamma):
    q[state, action] += alpha * (reward + gamma * q[next_state].max() - q[state, action])


def q_learning_sarsa_like(q, state, action, reward, next_state, terminated, alpha, gamma):
    td_target = reward + gamma * q[next_state, action] * (1 - terminated)
    q[state, action] += alpha * (td_target - q[state, action])


def q_learning_gamma_twice(q, state, action, reward, next_state, terminated, alpha, gamma):
    td_target = reward + gamma * gamma * q[next_state].max() * (1 - terminated)
    q[state, action] += alpha * (td_target - q[state, action])


def q_learning_no_gamma(q, state, action, reward, next_state, terminated, alpha, gamma):
    td_target = reward + q[next_state].max() * (1 - terminated)
    q[state, action] += alpha * (td_target - q[state, action])


def q_learning_returns_a_copy(q, state, action, reward, next_state, terminated, alpha, gamma):
    q = q.copy()
    q_learning_right(q, state, action, reward, next_state, terminated, alpha, gamma)
    return q


def q_learning_no_alpha(q, state, action, reward, next_state, terminated, alpha, gamma):
    q[state, action] = reward + gamma * q[next_state].max() * (1 - terminated)


def q_learning_wrong_axis(q, state, action, reward, next_state, terminated, alpha, gamma):
    td_target = reward + gamma * q[:, next_state].max() * (1 - terminated)
    q[state, action] += alpha * (td_target - q[state, action])


def q_learning_updates_the_whole_row(q, state, action, reward, next_state, terminated, alpha, gamma):
    td_target = reward + gamma * q[next_state].max() * (1 - terminated)
    q[state] += alpha * (td_target - q[state])


def q_learning_sign_flipped(q, state, action, reward, next_state, terminated, alpha, gamma):
    td_target = reward + gamma * q[next_state].max() * (1 - terminated)
    q[state, action] -= alpha * (td_target - q[state, action])


def q_learning_crashes(q, state, action, reward, next_state, terminated, alpha, gamma):
    q[state, action] += alpha * (reward + gamma * q[next_state, :, 0].max())


def q_learning_unfinished(q, state, action, reward, next_state, terminated, alpha, gamma):
    raise NotImplementedError()


@pytest.mark.parametrize("fn", [q_learning_right, q_learning_right_with_if])
def test_q_learning_check_accepts_a_right_update(fn, capsys):
    checks.check_q_learning_update(fn)
    assert "looks right" in capsys.readouterr().out


@pytest.mark.parametrize(
    "fn, message",
    [
        (q_learning_no_terminal_mask, r"terminated"),
        (q_learning_sarsa_like, r"SARSA-like.*max over q\[next_state\]"),
        (q_learning_gamma_twice, r"gamma is applied twice"),
        (q_learning_no_gamma, r"gamma is missing"),
        (q_learning_returns_a_copy, r"unchanged.*in place"),
        (q_learning_no_alpha, r"only a step alpha"),
        (q_learning_wrong_axis, r"wrong axis"),
        (q_learning_updates_the_whole_row, r"only q\[\d, \d\].*should change"),
        (q_learning_sign_flipped, r"sign is flipped"),
        (q_learning_crashes, r"raised IndexError"),
    ],
    ids=lambda v: v.__name__ if callable(v) else "",
)
def test_q_learning_check_rejects_a_classic_mistake_with_a_teaching_message(fn, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_q_learning_update(fn)


def test_a_check_lets_an_unfinished_exercise_raise_not_implemented_error():
    with pytest.raises(NotImplementedError):
        checks.check_q_learning_update(q_learning_unfinished)


@pytest.mark.parametrize("name", sorted(checks.__all__))
def test_a_check_given_something_that_is_not_a_function_says_so(name):
    result_of_calling = q_learning_right(np.zeros((2, 2)), 0, 0, 1.0, 1, False, 0.5, 0.9)  # None
    with pytest.raises(TypeError, match=rf"{name} expects your (function|class) itself"):
        getattr(checks, name)(result_of_calling)


def test_the_checks_reference_answers_are_written_in_checks_py_itself():
    """Each check computes its expected answer itself, with numpy and torch, never with the package's own code.

    The one exception is check_dqn_loop, whose point is to compare a learner's loop with train_dqn: its
    section imports the package inside its own functions (never at module level).
    """
    import ast
    from pathlib import Path

    tree = ast.parse(Path(checks.__file__).read_text())
    loop_section = {"_loop_check_config", "_RecordingBuffer", "_RecordingEnv", "_loop_pieces", "_run_reference",
                    "_reference_draws", "_mini_dqn_loop", "_epsilon_hint", "check_dqn_loop"}

    def our_imports(node):
        return [
            ast.unparse(n) for n in ast.walk(node)
            if isinstance(n, ast.ImportFrom) and (n.level > 0 or (n.module or "").startswith("dqn_helpers"))
            or isinstance(n, ast.Import) and any(a.name.startswith("dqn_helpers") for a in n.names)
        ]

    ours = [imp for node in tree.body if getattr(node, "name", None) not in loop_section for imp in our_imports(node)]
    assert ours == [], f"checks.py should only need numpy and torch, but imports {ours}"
    assert any(our_imports(node) for node in tree.body if getattr(node, "name", None) in loop_section)


# ----------------------------------------------------------------------------
# Tabular SARSA
# ----------------------------------------------------------------------------


def sarsa_right(q, state, action, reward, next_state, next_action, terminated, alpha, gamma):
    td_target = reward + gamma * q[next_state, next_action] * (1 - terminated)
    q[state, action] += alpha * (td_target - q[state, action])


def sarsa_uses_the_max(q, state, action, reward, next_state, next_action, terminated, alpha, gamma):
    td_target = reward + gamma * q[next_state].max() * (1 - terminated)
    q[state, action] += alpha * (td_target - q[state, action])


def sarsa_no_terminal_mask(q, state, action, reward, next_state, next_action, terminated, alpha, gamma):
    q[state, action] += alpha * (reward + gamma * q[next_state, next_action] - q[state, action])


def sarsa_uses_the_current_action(q, state, action, reward, next_state, next_action, terminated, alpha, gamma):
    td_target = reward + gamma * q[next_state, action] * (1 - terminated)
    q[state, action] += alpha * (td_target - q[state, action])


def sarsa_gamma_twice(q, state, action, reward, next_state, next_action, terminated, alpha, gamma):
    td_target = reward + gamma**2 * q[next_state, next_action] * (1 - terminated)
    q[state, action] += alpha * (td_target - q[state, action])


def sarsa_indices_swapped(q, state, action, reward, next_state, next_action, terminated, alpha, gamma):
    td_target = reward + gamma * q[next_action, next_state] * (1 - terminated)
    q[state, action] += alpha * (td_target - q[state, action])


def test_sarsa_check_accepts_a_right_update(capsys):
    checks.check_sarsa_update(sarsa_right)
    assert "looks right" in capsys.readouterr().out


@pytest.mark.parametrize(
    "fn, message",
    [
        (sarsa_uses_the_max, r"that is Q-learning"),
        (sarsa_no_terminal_mask, r"terminated"),
        (sarsa_uses_the_current_action, r"use next_action"),
        (sarsa_gamma_twice, r"gamma is applied twice"),
        (sarsa_indices_swapped, r"rows are states"),
    ],
    ids=lambda v: v.__name__ if callable(v) else "",
)
def test_sarsa_check_rejects_a_classic_mistake_with_a_teaching_message(fn, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_sarsa_update(fn)


# ----------------------------------------------------------------------------
# Tabular Expected SARSA
# ----------------------------------------------------------------------------


def expected_sarsa_right(q, state, action, reward, next_state, terminated, alpha, gamma, epsilon):
    n_actions = q.shape[1]
    probs = np.full(n_actions, epsilon / n_actions)
    probs[np.argmax(q[next_state])] += 1 - epsilon
    td_target = reward + gamma * (probs @ q[next_state]) * (1 - terminated)
    q[state, action] += alpha * (td_target - q[state, action])


def expected_sarsa_uses_the_max(q, state, action, reward, next_state, terminated, alpha, gamma, epsilon):
    q_learning_right(q, state, action, reward, next_state, terminated, alpha, gamma)


def expected_sarsa_uniform(q, state, action, reward, next_state, terminated, alpha, gamma, epsilon):
    td_target = reward + gamma * q[next_state].mean() * (1 - terminated)
    q[state, action] += alpha * (td_target - q[state, action])


def expected_sarsa_swapped_weights(q, state, action, reward, next_state, terminated, alpha, gamma, epsilon):
    value = epsilon * q[next_state].max() + (1 - epsilon) * q[next_state].mean()
    q[state, action] += alpha * (reward + gamma * value * (1 - terminated) - q[state, action])


def expected_sarsa_no_terminal_mask(q, state, action, reward, next_state, terminated, alpha, gamma, epsilon):
    expected_sarsa_right(q, state, action, reward, next_state, False, alpha, gamma, epsilon)


def expected_sarsa_explores_only_non_greedy(q, state, action, reward, next_state, terminated, alpha, gamma, epsilon):
    row = q[next_state]
    others = np.delete(row, np.argmax(row)).mean()
    value = (1 - epsilon) * row.max() + epsilon * others
    q[state, action] += alpha * (reward + gamma * value * (1 - terminated) - q[state, action])


def test_expected_sarsa_check_accepts_a_right_update(capsys):
    checks.check_expected_sarsa_update(expected_sarsa_right)
    assert "looks right" in capsys.readouterr().out


@pytest.mark.parametrize(
    "fn, message",
    [
        (expected_sarsa_uses_the_max, r"that is Q-learning"),
        (expected_sarsa_uniform, r"average q\[next_state\] uniformly"),
        (expected_sarsa_swapped_weights, r"epsilon and 1 - epsilon are swapped"),
        (expected_sarsa_no_terminal_mask, r"terminated"),
        (expected_sarsa_explores_only_non_greedy, r"never picks the greedy action"),
    ],
    ids=lambda v: v.__name__ if callable(v) else "",
)
def test_expected_sarsa_check_rejects_a_classic_mistake_with_a_teaching_message(fn, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_expected_sarsa_update(fn)


# ----------------------------------------------------------------------------
# Epsilon-greedy
# ----------------------------------------------------------------------------


def eps_right(q, state, epsilon, rng):
    if rng.random() < epsilon:
        return int(rng.integers(q.shape[1]))
    return int(np.argmax(q[state]))


def eps_right_random_tie_break(q, state, epsilon, rng):
    if rng.random() < epsilon:
        return rng.integers(q.shape[1])  # a numpy integer is an action too
    best = np.flatnonzero(q[state] == q[state].max())
    return int(rng.choice(best))


def eps_never_explores(q, state, epsilon, rng):
    return int(np.argmax(q[state]))


def eps_always_explores(q, state, epsilon, rng):
    return int(rng.integers(q.shape[1]))


def eps_wrong_axis(q, state, epsilon, rng):
    if rng.random() < epsilon:
        return int(rng.integers(q.shape[1]))
    return int(np.argmax(q[:, state]))


def eps_argmax_over_whole_table(q, state, epsilon, rng):
    if rng.random() < epsilon:
        return int(rng.integers(q.shape[1]))
    return int(np.argmax(q))


def eps_reversed_comparison(q, state, epsilon, rng):
    if rng.random() > epsilon:
        return int(rng.integers(q.shape[1]))
    return int(np.argmax(q[state]))


def eps_returns_the_value(q, state, epsilon, rng):
    if rng.random() < epsilon:
        return int(rng.integers(q.shape[1]))
    return np.max(q[state])


def eps_explores_only_non_greedy(q, state, epsilon, rng):
    greedy = int(np.argmax(q[state]))
    if rng.random() < epsilon:
        return int(rng.choice([a for a in range(q.shape[1]) if a != greedy]))
    return greedy


def eps_off_by_one_random(q, state, epsilon, rng):
    if rng.random() < epsilon:
        return int(rng.integers(q.shape[1] - 1))
    return int(np.argmax(q[state]))


def eps_random_over_states(q, state, epsilon, rng):
    if rng.random() < epsilon:
        return int(rng.integers(q.shape[0]))
    return int(np.argmax(q[state]))


_unseeded = random.Random()  # stands for Python's global random module, without touching it


def eps_ignores_rng(q, state, epsilon, rng):
    if _unseeded.random() < epsilon:
        return _unseeded.randrange(q.shape[1])
    return int(np.argmax(q[state]))


@pytest.mark.parametrize("fn", [eps_right])
def test_epsilon_greedy_check_accepts_a_right_choice(fn, capsys):
    checks.check_epsilon_greedy(fn)
    assert "looks right" in capsys.readouterr().out


@pytest.mark.parametrize(
    "fn, message",
    [
        (eps_never_explores, r"ever explore"),
        (eps_always_explores, r"epsilon=0 .*never explore"),
        (eps_wrong_axis, r"wrong axis"),
        (eps_argmax_over_whole_table, r"whole table"),
        (eps_reversed_comparison, r"reversed"),
        (eps_returns_the_value, r"value max Q instead of the action"),
        (eps_explores_only_non_greedy, r"greedy action is never chosen"),
        (eps_off_by_one_random, r"upper bound is excluded"),
        (eps_random_over_states, r"range\(n_states\)"),
        (eps_ignores_rng, r"other than rng"),
        (eps_right_random_tie_break, r"Breaking a tie at random is a fair epsilon-greedy"),
    ],
    ids=lambda v: v.__name__ if callable(v) else "",
)
def test_epsilon_greedy_check_rejects_a_classic_mistake_with_a_teaching_message(fn, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_epsilon_greedy(fn)


def test_epsilon_greedy_check_rejects_a_choice_that_changes_the_table():
    def writes_to_q(q, state, epsilon, rng):
        q[state] += 0.0 * q[state] + 1.0
        return eps_right(q, state, epsilon, rng)

    with pytest.raises(AssertionError, match="changed q"):
        checks.check_epsilon_greedy(writes_to_q)


# ----------------------------------------------------------------------------
# TD target (DQN)
# ----------------------------------------------------------------------------


def td_right(rewards, next_q_values, terminated, truncated, gamma):
    return rewards + gamma * next_q_values.max(dim=1).values * (1 - terminated)


def td_no_terminal_mask(rewards, next_q_values, terminated, truncated, gamma):
    return rewards + gamma * next_q_values.max(dim=1).values


def td_masks_on_truncation(rewards, next_q_values, terminated, truncated, gamma):
    done = torch.maximum(terminated, truncated)
    return rewards + gamma * next_q_values.max(dim=1).values * (1 - done)


def td_masks_on_truncation_product(rewards, next_q_values, terminated, truncated, gamma):
    return rewards + gamma * next_q_values.max(dim=1).values * (1 - terminated) * (1 - truncated)


def td_gamma_twice(rewards, next_q_values, terminated, truncated, gamma):
    return rewards + gamma * gamma * next_q_values.max(dim=1).values * (1 - terminated)


def td_no_gamma(rewards, next_q_values, terminated, truncated, gamma):
    return rewards + next_q_values.max(dim=1).values * (1 - terminated)


def td_keepdim(rewards, next_q_values, terminated, truncated, gamma):
    best = next_q_values.max(dim=1, keepdim=True).values  # (B, 1)
    return rewards.unsqueeze(1) + gamma * best * (1 - terminated.unsqueeze(1))


def td_broadcasts_to_a_matrix(rewards, next_q_values, terminated, truncated, gamma):
    best = next_q_values.max(dim=1, keepdim=True).values  # (B, 1) + (B,) -> (B, B)
    return rewards + gamma * best * (1 - terminated)


def td_max_over_the_batch(rewards, next_q_values, terminated, truncated, gamma):
    return rewards + gamma * next_q_values.max(dim=0).values * (1 - terminated)


def td_mean_instead_of_max(rewards, next_q_values, terminated, truncated, gamma):
    return rewards + gamma * next_q_values.mean(dim=1) * (1 - terminated)


def td_changes_rewards_in_place(rewards, next_q_values, terminated, truncated, gamma):
    rewards += gamma * next_q_values.max(dim=1).values * (1 - terminated)
    return rewards


def td_float64(rewards, next_q_values, terminated, truncated, gamma):
    return td_right(rewards, next_q_values, terminated, truncated, gamma).double()


def td_numpy(rewards, next_q_values, terminated, truncated, gamma):
    return td_right(rewards, next_q_values, terminated, truncated, gamma).numpy()


def td_bitwise_not_on_floats(rewards, next_q_values, terminated, truncated, gamma):
    return rewards + gamma * next_q_values.max(dim=1).values * (~terminated)


def test_td_target_check_accepts_a_right_target(capsys):
    checks.check_td_target(td_right)
    assert "looks right" in capsys.readouterr().out


def test_td_target_check_accepts_a_target_built_with_torch_where():
    def with_where(rewards, next_q_values, terminated, truncated, gamma):
        best = next_q_values.amax(dim=1)
        return torch.where(terminated.bool(), rewards, rewards + gamma * best)

    checks.check_td_target(with_where)


@pytest.mark.parametrize(
    "fn, message",
    [
        (td_no_terminal_mask, r"bootstrap through terminal"),
        (td_masks_on_truncation, r"truncation too.*not a terminal state"),
        (td_masks_on_truncation_product, r"truncation too"),
        (td_gamma_twice, r"gamma is applied twice"),
        (td_no_gamma, r"gamma is missing"),
        (td_keepdim, r"shape \(5, 1\).*without keepdim"),
        (td_broadcasts_to_a_matrix, r"\(B, B\).*broadcasting"),
        (td_max_over_the_batch, r"(?s)raised RuntimeError.*dim=1"),
        (td_mean_instead_of_max, r"average"),
        (td_changes_rewards_in_place, r"changed its input `rewards`"),
        (td_float64, r"float32"),
        (td_numpy, r"return a torch tensor"),
        (td_bitwise_not_on_floats, r"raised (RuntimeError|TypeError)"),
    ],
    ids=lambda v: v.__name__ if callable(v) else "",
)
def test_td_target_check_rejects_a_classic_mistake_with_a_teaching_message(fn, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_td_target(fn)


# ----------------------------------------------------------------------------
# DQN loss
# ----------------------------------------------------------------------------


def loss_mse(q_values, actions, td_target):
    q_taken = q_values.gather(1, actions.unsqueeze(1)).squeeze(1)
    return nn.functional.mse_loss(q_taken, td_target)


def loss_huber(q_values, actions, td_target):
    q_taken = q_values[torch.arange(len(actions)), actions]
    return nn.functional.smooth_l1_loss(q_taken, td_target)


def loss_half_mse(q_values, actions, td_target):
    q_taken = q_values.gather(1, actions.unsqueeze(1)).squeeze(1)
    return 0.5 * ((q_taken - td_target) ** 2).mean()


def loss_broadcasts_column_against_row(q_values, actions, td_target):
    q_taken = q_values.gather(1, actions.unsqueeze(1))  # (B, 1) against (B,)
    return ((q_taken - td_target) ** 2).mean()


def loss_huber_broadcasts(q_values, actions, td_target):
    q_taken = q_values.gather(1, actions.unsqueeze(1))  # (B, 1)
    return nn.functional.smooth_l1_loss(q_taken, td_target.expand(len(actions), -1))


def loss_mse_loss_with_a_column(q_values, actions, td_target):
    return nn.functional.mse_loss(q_values.gather(1, actions.unsqueeze(1)), td_target)


def loss_uses_the_max(q_values, actions, td_target):
    return nn.functional.mse_loss(q_values.max(dim=1).values, td_target)


def loss_sums(q_values, actions, td_target):
    q_taken = q_values.gather(1, actions.unsqueeze(1)).squeeze(1)
    return ((q_taken - td_target) ** 2).sum()


def loss_not_reduced(q_values, actions, td_target):
    q_taken = q_values.gather(1, actions.unsqueeze(1)).squeeze(1)
    return nn.functional.mse_loss(q_taken, td_target, reduction="none")


def loss_detached(q_values, actions, td_target):
    return loss_mse(q_values.detach(), actions, td_target)


def loss_item(q_values, actions, td_target):
    return loss_mse(q_values, actions, td_target).item()


def loss_indexes_a_block(q_values, actions, td_target):
    return ((q_values[:, actions] - td_target) ** 2).mean()


def loss_float_actions(q_values, actions, td_target):
    return q_values.gather(1, actions.float().unsqueeze(1)).squeeze(1).sub(td_target).pow(2).mean()


@pytest.mark.parametrize("fn", [loss_mse, loss_huber, loss_half_mse])
def test_dqn_loss_check_accepts_mse_and_huber(fn, capsys):
    checks.check_dqn_loss(fn)
    assert "looks right" in capsys.readouterr().out


@pytest.mark.parametrize(
    "fn, message",
    [
        (loss_broadcasts_column_against_row, r"\(B, 1\).*broadcasts.*\(B, B\)"),
        (loss_huber_broadcasts, r"torch warned.*broadcasts to \(B, B\)"),
        (loss_mse_loss_with_a_column, r"torch warned.*broadcasts to \(B, B\)"),
        (loss_uses_the_max, r"max_a Q\(s, a\)"),
        (loss_sums, r"sum over the batch"),
        (loss_not_reduced, r"must be a scalar"),
        (loss_detached, r"not connected to q_values"),
        (loss_item, r"no \.item\(\)"),
        (loss_indexes_a_block, r"\(B, B\) block"),
        (loss_float_actions, r"(?s)raised RuntimeError.*gather"),
    ],
    ids=lambda v: v.__name__ if callable(v) else "",
)
def test_dqn_loss_check_rejects_a_classic_mistake_with_a_teaching_message(fn, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_dqn_loss(fn)


# ----------------------------------------------------------------------------
# Replay buffer
# ----------------------------------------------------------------------------


class BufferRight:
    """A ring buffer of preallocated arrays: the reference answer."""

    def __init__(self, capacity, obs_shape, seed=None):
        self.capacity = capacity
        self.obs = np.zeros((capacity, *obs_shape), dtype=np.float32)
        self.next_obs = np.zeros((capacity, *obs_shape), dtype=np.float32)
        self.actions = np.zeros(capacity, dtype=np.int64)
        self.rewards = np.zeros(capacity, dtype=np.float32)
        self.terminated = np.zeros(capacity, dtype=np.float32)
        self.position = 0
        self.size = 0
        self.rng = np.random.default_rng(seed)

    def add(self, obs, action, reward, next_obs, terminated):
        i = self.position
        self.obs[i], self.actions[i], self.rewards[i] = obs, action, reward
        self.next_obs[i], self.terminated[i] = next_obs, terminated
        self.position = (self.position + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def __len__(self):
        return self.size

    def _index(self, batch_size):
        return self.rng.integers(0, self.size, size=batch_size)

    def sample(self, batch_size):
        idx = self._index(batch_size)
        return SimpleNamespace(
            obs=torch.as_tensor(self.obs[idx]),
            actions=torch.as_tensor(self.actions[idx]),
            rewards=torch.as_tensor(self.rewards[idx]),
            next_obs=torch.as_tensor(self.next_obs[idx]),
            terminated=torch.as_tensor(self.terminated[idx]),
        )


class BufferFromADeque:
    """Another right answer: a deque with maxlen, sampled without replacement."""

    def __init__(self, capacity, obs_shape, seed=None):
        from collections import deque

        self.data = deque(maxlen=capacity)
        self.rng = np.random.default_rng(seed)

    def add(self, obs, action, reward, next_obs, terminated):
        self.data.append((np.array(obs), action, reward, np.array(next_obs), terminated))

    def __len__(self):
        return len(self.data)

    def sample(self, batch_size):
        rows = [self.data[i] for i in self.rng.choice(len(self.data), size=batch_size, replace=False)]
        obs, actions, rewards, next_obs, terminated = zip(*rows)
        return SimpleNamespace(
            obs=torch.as_tensor(np.stack(obs), dtype=torch.float32),
            actions=torch.as_tensor(actions, dtype=torch.int64),
            rewards=torch.as_tensor(rewards, dtype=torch.float32),
            next_obs=torch.as_tensor(np.stack(next_obs), dtype=torch.float32),
            terminated=torch.as_tensor(terminated, dtype=torch.float32),
        )


class BufferEvictsTheNewest(BufferRight):
    def add(self, obs, action, reward, next_obs, terminated):
        super().add(obs, action, reward, next_obs, terminated)
        self.position = min(self.size, self.capacity - 1)  # once full, keeps overwriting the last slot


class BufferStopsAddingWhenFull(BufferRight):
    def add(self, obs, action, reward, next_obs, terminated):
        if self.size < self.capacity:
            super().add(obs, action, reward, next_obs, terminated)


class BufferThatGrows(BufferFromADeque):
    def __init__(self, capacity, obs_shape, seed=None):
        super().__init__(capacity, obs_shape, seed)
        self.data = []


class BufferSamplesEmptySlots(BufferRight):
    def _index(self, batch_size):
        return self.rng.integers(0, self.capacity, size=batch_size)


class BufferWithMisalignedFields(BufferRight):
    def sample(self, batch_size):
        batch = super().sample(batch_size)
        batch.rewards = torch.as_tensor(self.rewards[self._index(batch_size)])
        return batch


class BufferWithFloatActions(BufferRight):
    def sample(self, batch_size):
        batch = super().sample(batch_size)
        batch.actions = batch.actions.float()
        return batch


class BufferWithColumnRewards(BufferRight):
    def sample(self, batch_size):
        batch = super().sample(batch_size)
        batch.rewards = batch.rewards.unsqueeze(1)
        return batch


class BufferReturningNumpy(BufferRight):
    def sample(self, batch_size):
        batch = super().sample(batch_size)
        batch.obs = batch.obs.numpy()
        return batch


class BufferWithBoolTerminated(BufferRight):
    def sample(self, batch_size):
        batch = super().sample(batch_size)
        batch.terminated = batch.terminated.bool()
        return batch


class BufferIgnoringTheSeed(BufferRight):
    def _index(self, batch_size):
        return np.random.default_rng().integers(0, self.size, size=batch_size)


class BufferWithAnOffByOneWrap(BufferRight):
    def add(self, obs, action, reward, next_obs, terminated):
        super().add(obs, action, reward, next_obs, terminated)
        if self.position == 0:
            self.position = 1  # never writes slot 0 again


@pytest.mark.parametrize("cls", [BufferRight, BufferFromADeque])
def test_replay_buffer_check_accepts_a_right_buffer(cls, capsys):
    checks.check_replay_buffer(cls)
    assert "looks right" in capsys.readouterr().out


@pytest.mark.parametrize(
    "cls, message",
    [
        (BufferEvictsTheNewest, r"first transition must be gone; yours still holds it.*evicting the newest"),
        (BufferStopsAddingWhenFull, r"first transition must be gone.*newest\) one is missing"),
        (BufferThatGrows, r"must stay 4; yours says 5"),
        (BufferSamplesEmptySlots, r"never added: draw indices only from the filled part"),
        (BufferWithMisalignedFields, r"do not belong to that row"),
        (BufferWithFloatActions, r"batch.actions has dtype torch.float32.*int64"),
        (BufferWithColumnRewards, r"batch.rewards of shape \(2, 1\)"),
        (BufferReturningNumpy, r"batch.obs is a ndarray; return torch tensors"),
        (BufferWithBoolTerminated, r"batch.terminated has dtype torch.bool"),
        (BufferIgnoringTheSeed, r"same seed.*default_rng\(seed\)"),
        (BufferWithAnOffByOneWrap, r"first transition must be gone.*first in, first out"),
    ],
    ids=lambda v: v.__name__ if isinstance(v, type) else "",
)
def test_replay_buffer_check_rejects_a_classic_mistake_with_a_teaching_message(cls, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_replay_buffer(cls)


# ----------------------------------------------------------------------------
# Target network and its updates
# ----------------------------------------------------------------------------


def target_right(q_net):
    target_net = copy.deepcopy(q_net)
    target_net.requires_grad_(False)
    return target_net


def target_right_by_state_dict(q_net):
    target_net = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2))
    target_net.load_state_dict(q_net.state_dict())
    for p in target_net.parameters():
        p.requires_grad = False
    return target_net


def target_same_object(q_net):
    return q_net


def target_shallow_copy(q_net):
    target_net = copy.copy(q_net)  # a new Module whose parameters are q_net's own tensors
    return target_net


def target_shares_the_layers(q_net):
    return nn.Sequential(*q_net)  # new container, same layers, same parameters


def target_not_frozen(q_net):
    return copy.deepcopy(q_net)


def target_freezes_the_online_net(q_net):
    q_net.requires_grad_(False)
    return copy.deepcopy(q_net)


def target_fresh_weights(q_net):
    return nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2)).requires_grad_(False)


def target_returns_a_state_dict(q_net):
    return copy.deepcopy(q_net.state_dict())


def test_target_network_check_accepts_a_frozen_deep_copy(capsys):
    checks.check_target_network(target_right)
    checks.check_target_network(target_right_by_state_dict)
    assert "looks right" in capsys.readouterr().out


def test_target_network_check_works_with_the_learners_own_network():
    class QNetwork(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(nn.Linear(3, 8), nn.Tanh())
            self.head = nn.Linear(8, 5)

        def forward(self, x):
            return self.head(self.body(x))

    checks.check_target_network(target_right, QNetwork())
    with pytest.raises(AssertionError, match="shares parameters"):
        checks.check_target_network(target_shallow_copy, QNetwork())


@pytest.mark.parametrize(
    "fn, message",
    [
        (target_same_object, r"returned q_net itself"),
        (target_shallow_copy, r"shares parameters .* deep copy"),
        (target_shares_the_layers, r"shares parameters"),
        (target_not_frozen, r"still require gradients"),
        (target_freezes_the_online_net, r"freeze the copy, not the online network"),
        (target_fresh_weights, r"same Q-values as q_net.*Copy the weights"),
        (target_returns_a_state_dict, r"return the target network, an nn.Module"),
    ],
    ids=lambda v: v.__name__ if callable(v) else "",
)
def test_target_network_check_rejects_a_classic_mistake_with_a_teaching_message(fn, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_target_network(fn)


def polyak_right(target_net, q_net, tau):
    with torch.no_grad():
        for t, o in zip(target_net.parameters(), q_net.parameters()):
            t.mul_(1 - tau).add_(tau * o)


def polyak_right_with_lerp(target_net, q_net, tau):
    with torch.no_grad():
        for t, o in zip(target_net.parameters(), q_net.parameters()):
            t.lerp_(o, tau)


def polyak_swapped(target_net, q_net, tau):
    with torch.no_grad():
        for t, o in zip(target_net.parameters(), q_net.parameters()):
            t.copy_((1 - tau) * o + tau * t)


def polyak_rebinds(target_net, q_net, tau):
    for t, o in zip(target_net.parameters(), q_net.parameters()):
        t = tau * o + (1 - tau) * t  # noqa: F841  rebinding the loop variable changes nothing


def polyak_hard_copy(target_net, q_net, tau):
    target_net.load_state_dict(q_net.state_dict())


def polyak_moves_the_online_net(target_net, q_net, tau):
    with torch.no_grad():
        for t, o in zip(target_net.parameters(), q_net.parameters()):
            o.copy_(tau * t + (1 - tau) * o)


def polyak_without_no_grad(target_net, q_net, tau):
    for t, o in zip(target_net.parameters(), q_net.parameters()):
        t.mul_(1 - tau).add_(tau * o)


def polyak_forgets_to_shrink(target_net, q_net, tau):
    with torch.no_grad():
        for t, o in zip(target_net.parameters(), q_net.parameters()):
            t.add_(tau * o)


@pytest.mark.parametrize("fn", [polyak_right, polyak_right_with_lerp])
def test_polyak_check_accepts_a_right_soft_update(fn, capsys):
    checks.check_polyak_update(fn)
    assert "looks right" in capsys.readouterr().out


@pytest.mark.parametrize(
    "fn, message",
    [
        (polyak_swapped, r"tau and 1 - tau are swapped"),
        (polyak_rebinds, r"left target_net unchanged.*in place"),
        (polyak_hard_copy, r"hard update"),
        (polyak_moves_the_online_net, r"changed q_net"),
        (polyak_without_no_grad, r"torch.no_grad\(\)"),
        (polyak_forgets_to_shrink, r"without shrinking"),
    ],
    ids=lambda v: v.__name__ if callable(v) else "",
)
def test_polyak_check_rejects_a_classic_mistake_with_a_teaching_message(fn, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_polyak_update(fn)


# ----------------------------------------------------------------------------
# Linear schedule
# ----------------------------------------------------------------------------


def schedule_right(start, end, duration, t):
    fraction = min(t / duration, 1.0)
    return start + fraction * (end - start)


def schedule_right_numpy(start, end, duration, t):
    return float(np.interp(t, [0, duration], [start, end]))


def schedule_overshoots(start, end, duration, t):
    return start + t / duration * (end - start)


def schedule_off_by_one(start, end, duration, t):
    return start + min(t / (duration - 1), 1.0) * (end - start)


def schedule_swapped(start, end, duration, t):
    return end + min(t / duration, 1.0) * (start - end)


def schedule_integer_division(start, end, duration, t):
    return start + min(t // duration, 1) * (end - start)


def schedule_clamps_the_value_downwards_only(start, end, duration, t):
    return max(end, start + t / duration * (end - start))


def schedule_returns_a_tensor(start, end, duration, t):
    return torch.tensor(schedule_right(start, end, duration, t))


def schedule_returns_a_string(start, end, duration, t):
    return f"{schedule_right(start, end, duration, t):.3f}"


@pytest.mark.parametrize("fn", [schedule_right, schedule_right_numpy])
def test_linear_schedule_check_accepts_a_right_schedule(fn, capsys):
    checks.check_linear_schedule(fn)
    assert "looks right" in capsys.readouterr().out


@pytest.mark.parametrize(
    "fn, message",
    [
        (schedule_overshoots, r"keep going past `duration`"),
        (schedule_off_by_one, r"duration - 1"),
        (schedule_swapped, r"start and end are swapped"),
        (schedule_integer_division, r"integer division"),
        (schedule_clamps_the_value_downwards_only, r"only works for a decreasing schedule"),
        (schedule_returns_a_tensor, r"return a float"),
        (schedule_returns_a_string, r"return a float"),
    ],
    ids=lambda v: v.__name__ if callable(v) else "",
)
def test_linear_schedule_check_rejects_a_classic_mistake_with_a_teaching_message(fn, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_linear_schedule(fn)


# ----------------------------------------------------------------------------
# The checks themselves behave
# ----------------------------------------------------------------------------


def test_checks_leave_torch_and_numpy_global_random_state_alone():
    torch.manual_seed(5)
    np.random.seed(5)
    expected = (torch.rand(3), np.random.rand(3))
    torch.manual_seed(5)
    np.random.seed(5)
    checks.check_target_network(target_right)
    checks.check_polyak_update(polyak_right)
    checks.check_replay_buffer(BufferRight)
    checks.check_epsilon_greedy(eps_right)
    assert torch.equal(torch.rand(3), expected[0])
    assert np.array_equal(np.random.rand(3), expected[1])


def test_every_check_in_the_contract_is_exported():
    names = {"check_q_learning_update", "check_sarsa_update", "check_epsilon_greedy", "check_td_target",
             "check_dqn_loss", "check_replay_buffer", "check_target_network", "check_polyak_update",
             "check_linear_schedule"}
    assert names <= set(checks.__all__)
    for name in names:
        assert callable(getattr(checks, name))
