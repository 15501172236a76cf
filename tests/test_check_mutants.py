"""Wrong answers, written as a learner would write them, that each exercise check must reject.

For every ``check_*`` of ``dqn_helpers.checks`` this file holds at least five wrong
implementations (mutants) and the part of the message that must name the mistake, plus
right implementations written in other idioms or with other data structures, which the
check must accept.  A check that lets a mutant through, crashes on it with anything but
its own ``AssertionError``, or blames the wrong mistake fails here.

``test_every_check_has_at_least_five_mutants`` counts them; run
``pytest -q tests/test_check_mutants.py -k count -s`` to print the counts.
"""

from __future__ import annotations

import collections
import copy
import random

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from dqn_helpers import checks

MUTANTS: dict[str, list[tuple[object, str]]] = {}
RIGHT: dict[str, list[object]] = {}


def mutant(check: str, message: str):
    """Register a wrong implementation that ``check`` must reject with ``message`` (a regex)."""

    def register(fn):
        MUTANTS.setdefault(check, []).append((fn, message))
        return fn

    return register


def right(check: str):
    def register(fn):
        RIGHT.setdefault(check, []).append(fn)
        return fn

    return register


# ----------------------------------------------------------------------------
# check_q_learning_update
# ----------------------------------------------------------------------------
QL = "check_q_learning_update"


@right(QL)
def ql_right(q, s, a, r, s2, term, alpha, gamma):
    q[s, a] += alpha * (r + gamma * np.max(q[s2]) * (1 - term) - q[s, a])


@right(QL)
def ql_right_two_lines_target_first(q, s, a, r, s2, term, alpha, gamma):
    target = r if term else r + gamma * q[s2].max()
    q[s, a] = (1 - alpha) * q[s, a] + alpha * target


@mutant(QL, r"change q\[state, action\] before computing the TD target")
def ql_updates_before_reading_the_bootstrap(q, s, a, r, s2, term, alpha, gamma):
    q[s, a] *= 1 - alpha
    q[s, a] += alpha * (r + gamma * q[s2].max() * (1 - term))


@mutant(QL, r"episode terminated")
def ql_no_terminal_mask(q, s, a, r, s2, term, alpha, gamma):
    q[s, a] += alpha * (r + gamma * q[s2].max() - q[s, a])


@mutant(QL, r"SARSA-like")
def ql_bootstraps_from_the_action_taken(q, s, a, r, s2, term, alpha, gamma):
    q[s, a] += alpha * (r + gamma * q[s2, a] * (1 - term) - q[s, a])


@mutant(QL, r"wrong axis")
def ql_max_over_a_column(q, s, a, r, s2, term, alpha, gamma):
    q[s, a] += alpha * (r + gamma * q[:, s2].max() * (1 - term) - q[s, a])


@mutant(QL, r"left the table q unchanged.*returned a new table")
def ql_returns_instead_of_mutating(q, s, a, r, s2, term, alpha, gamma):
    q = q.copy()
    q[s, a] += alpha * (r + gamma * q[s2].max() * (1 - term) - q[s, a])
    return q


@mutant(QL, r"gamma is applied twice")
def ql_gamma_twice(q, s, a, r, s2, term, alpha, gamma):
    q[s, a] += alpha * (r + gamma * gamma * q[s2].max() * (1 - term) - q[s, a])


@mutant(QL, r"raised IndexError")
def ql_indexes_past_the_table(q, s, a, r, s2, term, alpha, gamma):
    q[s, a] += alpha * (r + gamma * q[s2 + 4].max() * (1 - term) - q[s, a])


@mutant(QL, r"current state's max")
def ql_bootstraps_from_the_current_state(q, s, a, r, s2, term, alpha, gamma):
    q[s, a] += alpha * (r + gamma * q[s].max() * (1 - term) - q[s, a])


# ----------------------------------------------------------------------------
# check_sarsa_update
# ----------------------------------------------------------------------------
SA = "check_sarsa_update"


@right(SA)
def sarsa_right(q, s, a, r, s2, a2, term, alpha, gamma):
    td_target = r + gamma * q[s2, a2] * (not term)
    q[s, a] += alpha * (td_target - q[s, a])


@mutant(SA, r"that is Q-learning")
def sarsa_uses_the_max(q, s, a, r, s2, a2, term, alpha, gamma):
    q[s, a] += alpha * (r + gamma * q[s2].max() * (1 - term) - q[s, a])


@mutant(SA, r"change q\[state, action\] before computing the TD target")
def sarsa_updates_before_reading_the_bootstrap(q, s, a, r, s2, a2, term, alpha, gamma):
    q[s, a] -= alpha * q[s, a]
    q[s, a] += alpha * (r + gamma * q[s2, a2] * (1 - term))


@mutant(SA, r"episode terminated")
def sarsa_no_terminal_mask(q, s, a, r, s2, a2, term, alpha, gamma):
    q[s, a] += alpha * (r + gamma * q[s2, a2] - q[s, a])


@mutant(SA, r"next_action, the action chosen in next_state")
def sarsa_uses_the_current_action(q, s, a, r, s2, a2, term, alpha, gamma):
    q[s, a] += alpha * (r + gamma * q[s2, a] * (1 - term) - q[s, a])


@mutant(SA, r"rows are states, columns actions")
def sarsa_indices_swapped(q, s, a, r, s2, a2, term, alpha, gamma):
    q[s, a] += alpha * (r + gamma * q[a2, s2] * (1 - term) - q[s, a])


@mutant(SA, r"set q\[state, action\] to the TD target itself")
def sarsa_no_step_size(q, s, a, r, s2, a2, term, alpha, gamma):
    q[s, a] = r + gamma * q[s2, a2] * (1 - term)


@mutant(SA, r"only q\[\d, \d\] .* should change")
def sarsa_updates_the_whole_row(q, s, a, r, s2, a2, term, alpha, gamma):
    q[s] += alpha * (r + gamma * q[s2, a2] * (1 - term) - q[s, a])


# ----------------------------------------------------------------------------
# check_expected_sarsa_update
# ----------------------------------------------------------------------------
ES = "check_expected_sarsa_update"


@right(ES)
def es_right_with_probabilities(q, s, a, r, s2, term, alpha, gamma, eps):
    n = q.shape[1]
    pi = np.full(n, eps / n)
    pi[np.argmax(q[s2])] += 1 - eps
    q[s, a] += alpha * (r + gamma * (pi @ q[s2]) * (1 - term) - q[s, a])


@right(ES)
def es_right_closed_form(q, s, a, r, s2, term, alpha, gamma, eps):
    expectation = (1 - eps) * q[s2].max() + eps * q[s2].mean()
    q[s, a] += alpha * (r + (0.0 if term else gamma * expectation) - q[s, a])


@mutant(ES, r"that is Q-learning")
def es_uses_the_max(q, s, a, r, s2, term, alpha, gamma, eps):
    q[s, a] += alpha * (r + gamma * q[s2].max() * (1 - term) - q[s, a])


@mutant(ES, r"average q\[next_state\] uniformly")
def es_uniform(q, s, a, r, s2, term, alpha, gamma, eps):
    q[s, a] += alpha * (r + gamma * q[s2].mean() * (1 - term) - q[s, a])


@mutant(ES, r"epsilon and 1 - epsilon are swapped")
def es_swapped_weights(q, s, a, r, s2, term, alpha, gamma, eps):
    q[s, a] += alpha * (r + gamma * (eps * q[s2].max() + (1 - eps) * q[s2].mean()) * (1 - term) - q[s, a])


@mutant(ES, r"never picks the greedy action")
def es_explores_only_non_greedy(q, s, a, r, s2, term, alpha, gamma, eps):
    row = q[s2]
    others = (row.sum() - row.max()) / (len(row) - 1)
    q[s, a] += alpha * (r + gamma * ((1 - eps) * row.max() + eps * others) * (1 - term) - q[s, a])


@mutant(ES, r"change q\[state, action\] before computing the TD target")
def es_updates_before_reading_the_bootstrap(q, s, a, r, s2, term, alpha, gamma, eps):
    q[s, a] *= 1 - alpha
    q[s, a] += alpha * (r + gamma * ((1 - eps) * q[s2].max() + eps * q[s2].mean()) * (1 - term))


@mutant(ES, r"episode terminated")
def es_no_terminal_mask(q, s, a, r, s2, term, alpha, gamma, eps):
    q[s, a] += alpha * (r + gamma * ((1 - eps) * q[s2].max() + eps * q[s2].mean()) - q[s, a])


@mutant(ES, r"raised TypeError")
def es_calls_the_table(q, s, a, r, s2, term, alpha, gamma, eps):
    q[s, a] += alpha * (r + gamma * q(s2).max() - q[s, a])


# ----------------------------------------------------------------------------
# check_epsilon_greedy
# ----------------------------------------------------------------------------
EG = "check_epsilon_greedy"


@right(EG)
def eg_right(q, state, epsilon, rng):
    if rng.random() < epsilon:
        return int(rng.integers(q.shape[1]))
    return int(np.argmax(q[state]))


@right(EG)
def eg_right_choice_and_numpy_int(q, state, epsilon, rng):
    explore = rng.random() <= epsilon  # the same draws; equal to 0.0 has probability 2**-53
    return rng.choice(q.shape[1]) if explore else q[state].argmax()


@mutant(EG, r"Breaking a tie at random is a fair epsilon-greedy")
def eg_random_tie_break(q, state, epsilon, rng):
    if rng.random() < epsilon:
        return int(rng.integers(q.shape[1]))
    return int(rng.choice(np.flatnonzero(q[state] == q[state].max())))


@mutant(EG, r"not drawn the way notebook 01 needs")
def eg_draws_the_action_first(q, state, epsilon, rng):
    random_action = int(rng.integers(q.shape[1]))
    return random_action if rng.random() < epsilon else int(np.argmax(q[state]))


@mutant(EG, r"reversed")
def eg_epsilon_compared_the_wrong_way(q, state, epsilon, rng):
    if rng.random() > epsilon:
        return int(rng.integers(q.shape[1]))
    return int(np.argmax(q[state]))


@mutant(EG, r"wrong axis")
def eg_argmax_over_states(q, state, epsilon, rng):
    if rng.random() < epsilon:
        return int(rng.integers(q.shape[1]))
    return int(np.argmax(q, axis=0)[state])


@mutant(EG, r"upper bound is excluded")
def eg_off_by_one_random_action(q, state, epsilon, rng):
    if rng.random() < epsilon:
        return int(rng.integers(0, q.shape[1] - 1))
    return int(np.argmax(q[state]))


@mutant(EG, r"value max Q instead of the action")
def eg_returns_the_value(q, state, epsilon, rng):
    if rng.random() < epsilon:
        return int(rng.integers(q.shape[1]))
    return float(np.max(q[state]))


_python_random = random.Random()


@mutant(EG, r"other than rng")
def eg_uses_python_random(q, state, epsilon, rng):
    if _python_random.random() < epsilon:
        return _python_random.randrange(q.shape[1])
    return int(np.argmax(q[state]))


@mutant(EG, r"raised IndexError")
def eg_indexes_a_missing_state(q, state, epsilon, rng):
    if rng.random() < epsilon:
        return int(rng.integers(q.shape[1]))
    return int(np.argmax(q[state + q.shape[0]]))


# ----------------------------------------------------------------------------
# check_td_target
# ----------------------------------------------------------------------------
TD = "check_td_target"


@right(TD)
def td_right(rewards, next_q_values, terminated, truncated, gamma):
    return rewards + gamma * (1 - terminated) * next_q_values.max(dim=1).values


@right(TD)
def td_right_amax_and_where(rewards, next_q_values, terminated, truncated, gamma):
    best = torch.amax(next_q_values, dim=-1)
    return torch.where(terminated.bool(), rewards, rewards + gamma * best)


@mutant(TD, r"one max over the whole batch")
def td_max_without_dim(rewards, next_q_values, terminated, truncated, gamma):
    return rewards + gamma * (1 - terminated) * next_q_values.max()


@mutant(TD, r"bootstrap through terminal transitions")
def td_no_terminal_mask(rewards, next_q_values, terminated, truncated, gamma):
    return rewards + gamma * next_q_values.max(dim=1).values


@mutant(TD, r"stop bootstrapping on truncation too")
def td_masks_with_done(rewards, next_q_values, terminated, truncated, gamma):
    done = torch.clamp(terminated + truncated, max=1)
    return rewards + gamma * (1 - done) * next_q_values.max(dim=1).values


@mutant(TD, r"\(B, 1\) target broadcasts wrongly")
def td_keepdim(rewards, next_q_values, terminated, truncated, gamma):
    best = next_q_values.max(dim=1, keepdim=True).values
    return (rewards + gamma * (1 - terminated)).unsqueeze(1) * 0 + rewards.unsqueeze(1) + gamma * best * (1 - terminated).unsqueeze(1)


@mutant(TD, r"argmax, the index of the best action")
def td_argmax_instead_of_max(rewards, next_q_values, terminated, truncated, gamma):
    return rewards + gamma * (1 - terminated) * next_q_values.argmax(dim=1)


@mutant(TD, r"changed its input `rewards` in place")
def td_adds_into_rewards(rewards, next_q_values, terminated, truncated, gamma):
    rewards += gamma * (1 - terminated) * next_q_values.max(dim=1).values
    return rewards


@mutant(TD, r"raised TypeError")
def td_max_tuple(rewards, next_q_values, terminated, truncated, gamma):
    return rewards + gamma * (1 - terminated) * next_q_values.max(dim=1)


@mutant(TD, r"mask is reversed")
def td_mask_reversed(rewards, next_q_values, terminated, truncated, gamma):
    return rewards + gamma * terminated * next_q_values.max(dim=1).values


# ----------------------------------------------------------------------------
# check_dqn_loss
# ----------------------------------------------------------------------------
LO = "check_dqn_loss"


@right(LO)
def loss_right_huber_gather(q_values, actions, td_target):
    return F.smooth_l1_loss(q_values.gather(1, actions.unsqueeze(1)).squeeze(1), td_target)


@right(LO)
def loss_right_mse_fancy_index(q_values, actions, td_target):
    q_taken = q_values[torch.arange(len(actions)), actions]
    return ((td_target - q_taken) ** 2).mean()


@right(LO)
def loss_right_half_mse_one_hot(q_values, actions, td_target):
    q_taken = (q_values * F.one_hot(actions, q_values.shape[1])).sum(dim=1)
    return 0.5 * F.mse_loss(q_taken, td_target, reduction="mean") * 2 / 2


@mutant(LO, r"you use max_a Q\(s, a\)")
def loss_max_instead_of_gather(q_values, actions, td_target):
    return F.mse_loss(q_values.max(dim=1).values, td_target)


@mutant(LO, r"torch warned")
def loss_mse_of_a_column(q_values, actions, td_target):
    return F.mse_loss(q_values.gather(1, actions.unsqueeze(1)), td_target)


@mutant(LO, r"broadcasts to a \(B, B\) matrix")
def loss_by_hand_of_a_column(q_values, actions, td_target):
    return ((q_values.gather(1, actions.unsqueeze(1)) - td_target) ** 2).mean()


@mutant(LO, r"you sum over the batch")
def loss_sums(q_values, actions, td_target):
    return F.mse_loss(q_values.gather(1, actions.unsqueeze(1)).squeeze(1), td_target, reduction="sum")


@mutant(LO, r"no .item\(\)")
def loss_item(q_values, actions, td_target):
    return F.mse_loss(q_values.gather(1, actions.unsqueeze(1)).squeeze(1), td_target).item()


@mutant(LO, r"requires_grad is False")
def loss_detaches_the_q_values(q_values, actions, td_target):
    return F.mse_loss(q_values.detach().gather(1, actions.unsqueeze(1)).squeeze(1), td_target)


@mutant(LO, r"gather along dim 0")
def loss_gathers_along_the_batch(q_values, actions, td_target):
    return F.mse_loss(q_values.gather(0, actions.unsqueeze(1)).squeeze(1), td_target)


@mutant(LO, r"picks a \(B, B\) block")
def loss_column_indexing(q_values, actions, td_target):
    return ((q_values[:, actions] - td_target) ** 2).mean()


@mutant(LO, r"raised RuntimeError")
def loss_gather_without_unsqueeze(q_values, actions, td_target):
    return F.mse_loss(q_values.gather(1, actions).squeeze(1), td_target)


# ----------------------------------------------------------------------------
# check_replay_buffer
# ----------------------------------------------------------------------------
RB = "check_replay_buffer"


class _Batch(collections.namedtuple("_Batch", "obs actions rewards next_obs terminated")):
    pass


def _to_batch(obs, actions, rewards, next_obs, terminated):
    return _Batch(torch.as_tensor(np.asarray(obs, dtype=np.float32)), torch.as_tensor(np.asarray(actions, dtype=np.int64)),
                  torch.as_tensor(np.asarray(rewards, dtype=np.float32)),
                  torch.as_tensor(np.asarray(next_obs, dtype=np.float32)),
                  torch.as_tensor(np.asarray(terminated, dtype=np.float32)))


class RingBuffer:
    """Right: preallocated arrays and a write index that wraps around."""

    def __init__(self, capacity, obs_shape, seed=None):
        self.capacity, self.size, self.index = capacity, 0, 0
        self.rng = np.random.default_rng(seed)
        self.obs = np.zeros((capacity, *obs_shape), np.float32)
        self.next_obs = np.zeros((capacity, *obs_shape), np.float32)
        self.actions = np.zeros(capacity, np.int64)
        self.rewards = np.zeros(capacity, np.float32)
        self.terminated = np.zeros(capacity, np.float32)

    def __len__(self):
        return self.size

    def add(self, obs, action, reward, next_obs, terminated):
        i = self.index
        self.obs[i], self.actions[i], self.rewards[i], self.next_obs[i], self.terminated[i] = (
            obs, action, reward, next_obs, terminated)
        self.index = (i + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def sample(self, batch_size):
        idx = self.rng.integers(0, self.size, size=batch_size)
        return _to_batch(self.obs[idx], self.actions[idx], self.rewards[idx], self.next_obs[idx], self.terminated[idx])


right(RB)(RingBuffer)


@right(RB)
class DequeBuffer:
    """Right: a deque with maxlen, copying the arrays it is given."""

    def __init__(self, capacity, obs_shape, seed=None):
        self.memory = collections.deque(maxlen=capacity)
        self.rng = np.random.default_rng(seed)

    def __len__(self):
        return len(self.memory)

    def add(self, obs, action, reward, next_obs, terminated):
        self.memory.append((np.array(obs), action, reward, np.array(next_obs), terminated))

    def sample(self, batch_size):
        picked = [self.memory[i] for i in self.rng.integers(len(self.memory), size=batch_size)]
        return _to_batch(*zip(*picked))


@right(RB)
class ListBuffer:
    """Right: a list that drops its first element when full."""

    def __init__(self, capacity, obs_shape, seed=None):
        self.capacity, self.items = capacity, []
        self.rng = np.random.default_rng(seed)

    def __len__(self):
        return len(self.items)

    def add(self, obs, action, reward, next_obs, terminated):
        if len(self.items) == self.capacity:
            self.items.pop(0)
        self.items.append((obs.copy(), action, reward, next_obs.copy(), terminated))

    def sample(self, batch_size):
        idx = self.rng.choice(len(self.items), size=batch_size)
        return _to_batch(*zip(*[self.items[i] for i in idx]))


@mutant(RB, r"the fourth was overwritten by the fifth: are you evicting the newest")
class NewestOutBuffer(ListBuffer):
    def add(self, obs, action, reward, next_obs, terminated):
        if len(self.items) == self.capacity:
            self.items.pop()  # pop() takes the newest
        self.items.append((obs.copy(), action, reward, next_obs.copy(), terminated))


@mutant(RB, r"keeps references to the caller's arrays")
class ReferenceKeepingBuffer(DequeBuffer):
    def add(self, obs, action, reward, next_obs, terminated):
        self.memory.append((obs, action, reward, next_obs, terminated))


@mutant(RB, r"evict one transition too early")
class EvictsAtCapacityBuffer(ListBuffer):
    def add(self, obs, action, reward, next_obs, terminated):
        self.items.append((obs.copy(), action, reward, next_obs.copy(), terminated))
        if len(self.items) >= self.capacity:
            self.items.pop(0)


@mutant(RB, r"never added: draw indices only from the filled part")
class SamplesTheWholeCapacity(RingBuffer):
    def sample(self, batch_size):
        idx = self.rng.integers(0, self.capacity, size=batch_size)
        return _to_batch(self.obs[idx], self.actions[idx], self.rewards[idx], self.next_obs[idx], self.terminated[idx])


@mutant(RB, r"NaN or infinite observations")
class EmptyArraysBuffer(RingBuffer):
    def __init__(self, capacity, obs_shape, seed=None):
        super().__init__(capacity, obs_shape, seed)
        self.obs = np.full((capacity, *obs_shape), np.nan, np.float32)  # stands for np.empty's leftovers

    def sample(self, batch_size):
        idx = self.rng.integers(0, self.capacity, size=batch_size)
        return _to_batch(self.obs[idx], self.actions[idx], self.rewards[idx], self.next_obs[idx], self.terminated[idx])


@mutant(RB, r"do not belong to that row's obs")
class TwoIndexDrawsBuffer(RingBuffer):
    def sample(self, batch_size):
        idx = self.rng.integers(0, self.size, size=batch_size)
        other = self.rng.integers(0, self.size, size=batch_size)
        return _to_batch(self.obs[idx], self.actions[other], self.rewards[other], self.next_obs[other],
                         self.terminated[other])


@mutant(RB, r"len\(buffer\) must stay 4")
class GrowingBuffer(ListBuffer):
    def add(self, obs, action, reward, next_obs, terminated):
        self.items.append((obs.copy(), action, reward, next_obs.copy(), terminated))


@mutant(RB, r"batch.actions has dtype torch.float32")
class FloatActionsBuffer(RingBuffer):
    def sample(self, batch_size):
        b = super().sample(batch_size)
        return b._replace(actions=b.actions.float())


@mutant(RB, r"same seed .* drew different samples")
class GlobalRandomBuffer(RingBuffer):
    def sample(self, batch_size):
        idx = np.random.randint(0, self.size, size=batch_size)
        return _to_batch(self.obs[idx], self.actions[idx], self.rewards[idx], self.next_obs[idx], self.terminated[idx])


# ----------------------------------------------------------------------------
# check_target_network
# ----------------------------------------------------------------------------
TN = "check_target_network"


@right(TN)
def tn_right_deepcopy(q_net):
    target = copy.deepcopy(q_net)
    for p in target.parameters():
        p.requires_grad = False
    return target


@right(TN)
def tn_right_new_net_and_load_state_dict(q_net):
    target = nn.Sequential(*(copy.deepcopy(m) for m in q_net))
    target.load_state_dict(q_net.state_dict())
    return target.requires_grad_(False)


@mutant(TN, r"returned q_net itself")
def tn_returns_the_same_network(q_net):
    return q_net


@mutant(TN, r"shares parameters")
def tn_shallow_copy(q_net):
    return copy.copy(q_net)


@mutant(TN, r"still require gradients")
def tn_forgets_to_freeze(q_net):
    return copy.deepcopy(q_net)


@mutant(TN, r"target_net.eval\(\) does not freeze")
def tn_eval_is_not_frozen(q_net):
    return copy.deepcopy(q_net).eval()


@mutant(TN, r"freeze the copy, not the online network")
def tn_freezes_the_online_network(q_net):
    target = copy.deepcopy(q_net)
    q_net.requires_grad_(False)
    return target


@mutant(TN, r"Copy the weights")
def tn_new_network_without_the_weights(q_net):
    return nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2)).requires_grad_(False)


@mutant(TN, r"return the target network, an nn.Module")
def tn_returns_the_state_dict(q_net):
    return copy.deepcopy(q_net.state_dict())


@mutant(TN, r"raised AttributeError")
def tn_calls_a_missing_method(q_net):
    return q_net.clone()


# ----------------------------------------------------------------------------
# check_polyak_update
# ----------------------------------------------------------------------------
PO = "check_polyak_update"


@right(PO)
def polyak_right_mul_add(target_net, q_net, tau):
    with torch.no_grad():
        for t, o in zip(target_net.parameters(), q_net.parameters()):
            t.mul_(1 - tau).add_(tau * o)


@right(PO)
def polyak_right_load_state_dict(target_net, q_net, tau):
    online = q_net.state_dict()
    target_net.load_state_dict({k: tau * online[k] + (1 - tau) * v for k, v in target_net.state_dict().items()})


@right(PO)
def polyak_right_data_lerp(target_net, q_net, tau):
    for t, o in zip(target_net.parameters(), q_net.parameters()):
        t.data.lerp_(o.data, tau)


@mutant(PO, r"tau and 1 - tau are swapped")
def polyak_swapped(target_net, q_net, tau):
    with torch.no_grad():
        for t, o in zip(target_net.parameters(), q_net.parameters()):
            t.copy_((1 - tau) * o + tau * t)


@mutant(PO, r"left target_net unchanged")
def polyak_rebinds_the_loop_variable(target_net, q_net, tau):
    for t, o in zip(target_net.parameters(), q_net.parameters()):
        t = tau * o + (1 - tau) * t  # noqa: F841


@mutant(PO, r"tracked by autograd")
def polyak_without_no_grad(target_net, q_net, tau):
    for t, o in zip(target_net.parameters(), q_net.parameters()):
        t.mul_(1 - tau).add_(tau * o)


@mutant(PO, r"changed q_net")
def polyak_moves_the_online_network(target_net, q_net, tau):
    with torch.no_grad():
        for t, o in zip(target_net.parameters(), q_net.parameters()):
            o.copy_(tau * o + (1 - tau) * t)


@mutant(PO, r"without shrinking the target")
def polyak_forgets_one_minus_tau(target_net, q_net, tau):
    with torch.no_grad():
        for t, o in zip(target_net.parameters(), q_net.parameters()):
            t.add_(tau * o)


@mutant(PO, r"off by up to")
def polyak_only_the_weights(target_net, q_net, tau):
    with torch.no_grad():
        for (name, t), o in zip(target_net.named_parameters(), q_net.parameters()):
            if name.endswith("weight"):
                t.mul_(1 - tau).add_(tau * o)


@mutant(PO, r"raised AttributeError")
def polyak_zips_the_networks(target_net, q_net, tau):
    for t, o in zip(target_net, q_net):
        t.weight.data.lerp_(o.weight.data, tau)


# ----------------------------------------------------------------------------
# check_linear_schedule
# ----------------------------------------------------------------------------
LS = "check_linear_schedule"


@right(LS)
def schedule_right(start, end, duration, t):
    return start + min(t / duration, 1.0) * (end - start)


@right(LS)
def schedule_right_numpy_interp(start, end, duration, t):
    return float(np.interp(t, [0, duration], [start, end]))


@mutant(LS, r"keep going past `duration`")
def schedule_not_clamped(start, end, duration, t):
    return start + t / duration * (end - start)


@mutant(LS, r"you use t \+ 1")
def schedule_off_by_one_step(start, end, duration, t):
    return start + min((t + 1) / duration, 1.0) * (end - start)


@mutant(LS, r"divide by duration - 1")
def schedule_divides_by_duration_minus_one(start, end, duration, t):
    return start + min(t / (duration - 1), 1.0) * (end - start)


@mutant(LS, r"only works for a decreasing schedule")
def schedule_clamps_with_max(start, end, duration, t):
    return max(end, start + t / duration * (end - start))


@mutant(LS, r"start and end are swapped")
def schedule_swapped(start, end, duration, t):
    return end + min(t / duration, 1.0) * (start - end)


@mutant(LS, r"integer division")
def schedule_integer_division(start, end, duration, t):
    return start + min(t // duration, 1) * (end - start)


@mutant(LS, r"return a float")
def schedule_returns_a_list(start, end, duration, t):
    return [start + min(t / duration, 1.0) * (end - start)]


@mutant(LS, r"raised TypeError")
def schedule_indexes_a_float(start, end, duration, t):
    return start + t / duration * (end - start) if t <= duration else end[-1]


# ----------------------------------------------------------------------------
# check_episode_loop
# ----------------------------------------------------------------------------
EL = "check_episode_loop"


@right(EL)
def episode_right(env, policy, seed):
    obs, info = env.reset(seed=seed)
    episode_return, done = 0.0, False
    while not done:
        obs, reward, terminated, truncated, info = env.step(policy(obs))
        episode_return += reward
        done = terminated or truncated
    return episode_return


@right(EL)
def episode_right_list_of_rewards(env, policy, seed):
    rewards = []
    obs, _ = env.reset(seed=seed)
    while True:
        next_obs, reward, terminated, truncated, _ = env.step(policy(obs))
        rewards.append(reward)
        if terminated or truncated:
            return float(np.sum(rewards))
        obs = next_obs


@mutant(EL, r"stops only on truncated")
def episode_stops_only_on_truncation(env, policy, seed):
    obs, _ = env.reset(seed=seed)
    total, truncated = 0.0, False
    while not truncated:
        obs, reward, terminated, truncated, _ = env.step(policy(obs))
        total += reward
    return total


@mutant(EL, r"stops only on terminated")
def episode_stops_only_on_termination(env, policy, seed):
    obs, _ = env.reset(seed=seed)
    total, terminated = 0.0, False
    while not terminated:
        obs, reward, terminated, truncated, _ = env.step(policy(obs))
        total += reward
    return total


@mutant(EL, r"called env.reset with seed=None")
def episode_without_a_seed(env, policy, seed):
    obs, _ = env.reset()
    total, done = 0.0, False
    while not done:
        obs, reward, terminated, truncated, _ = env.step(policy(obs))
        total, done = total + reward, terminated or truncated
    return total


@mutant(EL, r"seed=0 is a seed too")
def episode_if_seed(env, policy, seed):
    obs, _ = env.reset(seed=seed) if seed else env.reset()
    total, done = 0.0, False
    while not done:
        obs, reward, terminated, truncated, _ = env.step(policy(obs))
        total, done = total + reward, terminated or truncated
    return total


@mutant(EL, r"you count the steps")
def episode_counts_steps(env, policy, seed):
    obs, _ = env.reset(seed=seed)
    steps, done = 0, False
    while not done:
        obs, reward, terminated, truncated, _ = env.step(policy(obs))
        steps, done = steps + 1, terminated or truncated
    return float(steps)


@mutant(EL, r"last step's reward is missing")
def episode_breaks_before_adding_the_reward(env, policy, seed):
    obs, _ = env.reset(seed=seed)
    total = 0.0
    while True:
        obs, reward, terminated, truncated, _ = env.step(policy(obs))
        if terminated or truncated:
            break
        total += reward
    return total


@mutant(EL, r"first observation at every step")
def episode_never_moves_on(env, policy, seed):
    obs, _ = env.reset(seed=seed)
    total, done = 0.0, False
    while not done:
        next_obs, reward, terminated, truncated, _ = env.step(policy(obs))
        total, done = total + reward, terminated or truncated
    return total


@mutant(EL, r"never called policy\(obs\) \(you sampled env.action_space")
def episode_acts_at_random(env, policy, seed):
    env.reset(seed=seed)
    total, done = 0.0, False
    while not done:
        _, reward, terminated, truncated, _ = env.step(env.action_space.sample())
        total, done = total + reward, terminated or truncated
    return total


@mutant(EL, r"(?i)return only the sum")
def episode_returns_a_tuple(env, policy, seed):
    return episode_right(env, policy, seed), 0


@mutant(EL, r"(?s)raised ValueError.*five values")
def episode_unpacks_four_values(env, policy, seed):
    obs, _ = env.reset(seed=seed)
    obs, reward, done, info = env.step(policy(obs))
    return reward


# ----------------------------------------------------------------------------
# check_double_dqn_target
# ----------------------------------------------------------------------------
DD = "check_double_dqn_target"


@right(DD)
def double_right(batch, q_net, target_net, gamma):
    with torch.no_grad():
        next_actions = q_net(batch.next_obs).argmax(dim=1, keepdim=True)  # (B, 1)
        next_value = target_net(batch.next_obs).gather(1, next_actions).squeeze(1)  # (B,)
        return batch.rewards + gamma * (1 - batch.terminated) * next_value


@right(DD)
def double_right_detach_and_index(batch, q_net, target_net, gamma):
    pick = q_net(batch.next_obs).detach().argmax(dim=-1)
    value = target_net(batch.next_obs).detach()[torch.arange(len(pick)), pick]
    return torch.where(batch.terminated > 0, batch.rewards, batch.rewards + gamma * value)


@mutant(DD, r"plain DQN's target")
def double_is_plain_dqn(batch, q_net, target_net, gamma):
    with torch.no_grad():
        return batch.rewards + gamma * (1 - batch.terminated) * target_net(batch.next_obs).max(dim=1).values


@mutant(DD, r"choose and value with the online network")
def double_without_the_target_network(batch, q_net, target_net, gamma):
    with torch.no_grad():
        return batch.rewards + gamma * (1 - batch.terminated) * q_net(batch.next_obs).max(dim=1).values


@mutant(DD, r"roles are swapped")
def double_target_chooses(batch, q_net, target_net, gamma):
    with torch.no_grad():
        pick = target_net(batch.next_obs).argmax(dim=1, keepdim=True)
        return batch.rewards + gamma * (1 - batch.terminated) * q_net(batch.next_obs).gather(1, pick).squeeze(1)


@mutant(DD, r"bootstrap through terminal transitions")
def double_no_terminal_mask(batch, q_net, target_net, gamma):
    with torch.no_grad():
        pick = q_net(batch.next_obs).argmax(dim=1, keepdim=True)
        return batch.rewards + gamma * target_net(batch.next_obs).gather(1, pick).squeeze(1)


@mutant(DD, r"requires_grad=True")
def double_forgets_no_grad(batch, q_net, target_net, gamma):
    pick = q_net(batch.next_obs).argmax(dim=1, keepdim=True)
    value = q_net(batch.next_obs).gather(1, pick).squeeze(1) * 0 + target_net(batch.next_obs).gather(1, pick).squeeze(1)
    return batch.rewards + gamma * (1 - batch.terminated) * value


@mutant(DD, r"\(B, 1\) column added to \(B,\) rewards broadcasts")
def double_forgets_to_squeeze(batch, q_net, target_net, gamma):
    with torch.no_grad():
        pick = q_net(batch.next_obs).argmax(dim=1, keepdim=True)
        return batch.rewards + gamma * (1 - batch.terminated) * target_net(batch.next_obs).gather(1, pick)


@mutant(DD, r"chooses at batch.obs")
def double_chooses_at_the_current_state(batch, q_net, target_net, gamma):
    with torch.no_grad():
        pick = q_net(batch.obs).argmax(dim=1, keepdim=True)
        return batch.rewards + gamma * (1 - batch.terminated) * target_net(batch.next_obs).gather(1, pick).squeeze(1)


@mutant(DD, r"mask the reward too")
def double_masks_the_reward(batch, q_net, target_net, gamma):
    with torch.no_grad():
        pick = q_net(batch.next_obs).argmax(dim=1, keepdim=True)
        return (batch.rewards + gamma * target_net(batch.next_obs).gather(1, pick).squeeze(1)) * (1 - batch.terminated)


@mutant(DD, r"raised RuntimeError")
def double_gathers_without_unsqueeze(batch, q_net, target_net, gamma):
    with torch.no_grad():
        pick = q_net(batch.next_obs).argmax(dim=1)
        return batch.rewards + gamma * (1 - batch.terminated) * target_net(batch.next_obs).gather(1, pick)


# ----------------------------------------------------------------------------
# The tests
# ----------------------------------------------------------------------------

ALL_CHECKS = sorted(name for name in checks.__all__ if name.startswith("check_") and name != "check_dqn_loop")
MUTANT_CASES = [(name, fn, message) for name, entries in MUTANTS.items() for fn, message in entries]
RIGHT_CASES = [(name, fn) for name, entries in RIGHT.items() for fn in entries]


def test_every_check_has_at_least_five_mutants_and_a_right_variant():
    counts = {name: len(MUTANTS.get(name, [])) for name in ALL_CHECKS}
    print("\nmutants rejected per check:", counts, "| right variants:", {n: len(RIGHT.get(n, [])) for n in ALL_CHECKS})
    assert all(n >= 5 for n in counts.values()), counts
    assert all(RIGHT.get(name) for name in ALL_CHECKS)


@pytest.mark.parametrize("check, fn, message", MUTANT_CASES, ids=[f"{c}-{f.__name__}" for c, f, _ in MUTANT_CASES])
def test_the_check_rejects_the_mutant_naming_its_mistake(check, fn, message):
    with torch.random.fork_rng():
        torch.manual_seed(0)
        np.random.seed(0)
        with pytest.raises(AssertionError, match=message) as caught:
            getattr(checks, check)(fn)
    assert str(caught.value).startswith(check + ":"), "the message should name the check"


@pytest.mark.parametrize("check, fn", RIGHT_CASES, ids=[f"{c}-{f.__name__}" for c, f in RIGHT_CASES])
def test_the_check_accepts_a_right_variant(check, fn, capsys):
    getattr(checks, check)(fn)
    assert "looks right" in capsys.readouterr().out


def test_two_mistakes_that_give_the_same_number_are_both_named():
    hint = checks._diagnose(2.0, [(2.0, "mistake A"), (3.0, "mistake B"), (2.0, "mistake C")])
    assert "cannot tell apart" in hint and "mistake A" in hint and "mistake C" in hint and "mistake B" not in hint
