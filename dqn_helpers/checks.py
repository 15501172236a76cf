"""Exercise checks: call one on your function and it tells you what is wrong.

Each notebook exercise is followed by a cell such as::

    from dqn_helpers.checks import check_td_target
    check_td_target(td_target)

A check runs your function on a few small cases whose answers are known.  When
an answer is wrong it raises an ``AssertionError`` whose message says which
case failed, what was expected, what you returned and, when the wrong answer
matches a classic mistake (bootstrapping past a terminal state, applying gamma
twice, evicting the newest transition...), which mistake it looks like.  When
every case passes it prints one line saying what it verified.

A function that still raises ``NotImplementedError`` (a student notebook not
yet filled in) lets that error through unchanged.

The checks use their own random generators and restore torch's global random
state, so calling one never changes the numbers the rest of a notebook sees.

This module imports nothing else of ``dqn_helpers``: it only needs numpy and torch.
"""

from __future__ import annotations

import copy
import numbers
import operator
import warnings
from collections.abc import Callable
from typing import Any, NoReturn

import numpy as np
import torch
from torch import nn

__all__ = [
    "check_dqn_loss",
    "check_epsilon_greedy",
    "check_expected_sarsa_update",
    "check_linear_schedule",
    "check_polyak_update",
    "check_q_learning_update",
    "check_replay_buffer",
    "check_sarsa_update",
    "check_target_network",
    "check_td_target",
]


# ----------------------------------------------------------------------------
# Small tools shared by the checks
# ----------------------------------------------------------------------------


def _fail(check: str, message: str) -> NoReturn:
    raise AssertionError(f"{check}: {message}")


def _require_callable(check: str, fn: object, what: str = "function") -> None:
    if not callable(fn):
        raise TypeError(f"{check} expects your {what} itself (e.g. {check}(my_{what})), got {type(fn).__name__} {fn!r}")


def _call(check: str, fn: Callable[..., Any], args: tuple, shown: str, hint: str = "") -> Any:
    """Call the learner's ``fn(*args)``; turn any crash into a message that names the case.

    ``NotImplementedError`` passes through: it means the exercise is not filled in yet.
    """
    try:
        return fn(*args)
    except NotImplementedError:
        raise
    except Exception as err:  # the learner's code may raise anything
        message = f"calling your function with {shown} raised {type(err).__name__}: {err}"
        if hint:
            message += f"\nHint: {hint}"
        raise AssertionError(f"{check}: {message}") from err


def _fmt(x: Any) -> str:
    """A short, readable rendering of a number, array or tensor for a message."""
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    if isinstance(x, np.ndarray):
        return np.array2string(x, precision=4, suppress_small=True, separator=", ")
    if isinstance(x, (float, np.floating)):
        return f"{float(x):.4g}"
    return repr(x)


def _diagnose(got: float, candidates: list[tuple[float, str]], atol: float = 1e-5) -> str:
    """The hint of the first classic mistake whose answer equals ``got``, else ''."""
    for value, hint in candidates:
        if np.allclose(got, value, atol=atol, rtol=1e-5):
            return f"\nThat is exactly what you get if {hint}"
    return ""


def _ok(check: str, verified: str) -> None:
    print(f"{check}: looks right. Verified: {verified}.")


def _as_action(check: str, action: Any, n_actions: int, case: str) -> int:
    """The learner's returned action as an int, or a message saying why it is not one."""
    if isinstance(action, (bool, np.bool_)) or isinstance(action, (float, np.floating)):
        _fail(
            check,
            f"{case}: you returned {action!r} ({type(action).__name__}), but an action is an integer index "
            f"0..{n_actions - 1}. Did you return the value max Q instead of the action argmax Q?",
        )
    try:
        value = operator.index(action)
    except TypeError:
        _fail(
            check,
            f"{case}: you returned {action!r} ({type(action).__name__}); return one integer action "
            f"0..{n_actions - 1}, e.g. int(np.argmax(q[state])).",
        )
    if not 0 <= value < n_actions:
        _fail(
            check,
            f"{case}: you returned action {value}, but q has only {n_actions} actions (0..{n_actions - 1}). "
            "Did you take the argmax over the whole table, or over states (axis 0), instead of over q[state]? "
            "Or draw a random action from range(n_states) instead of range(n_actions) = q.shape[1]?",
        )
    return value


# ----------------------------------------------------------------------------
# Tabular methods (notebooks 01-02)
# ----------------------------------------------------------------------------

# A small Q-table: 4 states x 3 actions, chosen so that the classic mistakes
# (wrong action in the bootstrap, wrong axis, no gamma ...) all give different numbers.
_Q_TABLE = np.array(
    [
        [0.0, 1.0, 0.5],
        [2.0, -1.0, 4.0],
        [0.5, 3.0, 5.0],
        [1.5, 0.0, -0.5],
    ]
)


def _tabular_case_text(q: np.ndarray, s: int, a: int, r: float, s2: int, term: bool, alpha: float,
                       gamma: float, a2: int | None = None) -> str:
    next_action = "" if a2 is None else f", next_action={a2}"
    return (
        f"q[{s}] = {_fmt(q[s])}, q[{s2}] = {_fmt(q[s2])}, state={s}, action={a}, reward={r}, "
        f"next_state={s2}{next_action}, terminated={term}, alpha={alpha}, gamma={gamma}"
    )


def _check_tabular_result(check: str, q_before: np.ndarray, q_after: np.ndarray, returned: Any,
                          s: int, a: int, expected: float, candidates: list[tuple[float, str]],
                          case: str) -> None:
    if np.array_equal(q_after, q_before):
        why = _diagnose(float(q_before[s, a]), candidates)
        if why:
            _fail(check, f"with {case}, q[{s}, {a}] should become {_fmt(expected)} but yours stays "
                         f"{_fmt(q_before[s, a])}.{why}")
        extra = ""
        if isinstance(returned, np.ndarray):
            extra = " You returned a new table instead:"
        _fail(
            check,
            f"with {case}, your function left the table q unchanged.{extra} The update must change q "
            "in place, e.g. q[state, action] += alpha * (td_target - q[state, action]); "
            "writing q = ... inside the function only rebinds a local name.",
        )
    changed = np.argwhere(~np.isclose(q_after, q_before))
    others = [tuple(int(i) for i in idx) for idx in changed if tuple(idx) != (s, a)]
    if others:
        _fail(
            check,
            f"with {case}, your function changed q at {others}; only q[{s}, {a}] (the state and action "
            "that were taken) should change.",
        )
    got = float(q_after[s, a])
    if not np.isclose(got, expected, atol=1e-6):
        _fail(
            check,
            f"with {case}, q[{s}, {a}] should become {_fmt(expected)} but yours is {_fmt(got)}."
            + _diagnose(got, candidates),
        )


def _tabular_candidates(q: np.ndarray, s: int, a: int, r: float, s2: int, term: bool, alpha: float,
                        gamma: float, bootstrap: float, right_target: float) -> list[tuple[float, str]]:
    """Answers of the classic mistakes common to Q-learning and SARSA updates."""
    old = q[s, a]

    def new(target: float) -> float:
        return old + alpha * (target - old)

    mask = 0.0 if term else 1.0
    candidates = [
        (new(r + gamma * bootstrap), "you bootstrap from next_state even though the episode terminated: "
                                     "multiply the bootstrap term by (1 - terminated)."),
        (new(r + gamma**2 * bootstrap * mask), "gamma is applied twice (gamma**2); discount the next "
                                               "state's value once."),
        (new(r + bootstrap * mask), "gamma is missing: the next state's value must be discounted, "
                                    "reward + gamma * ..."),
        (right_target, "you set q[state, action] to the TD target itself; move it only a step alpha "
                       "towards it: q += alpha * (td_target - q)."),
        (old + alpha * right_target, "you add alpha * td_target; the step is alpha * (td_target - q[state, action]), "
                                     "the TD error."),
        (old - alpha * (right_target - old), "the sign is flipped: you move q away from the TD target."),
        (new(r + gamma * q[s].max() * mask), "you bootstrap from the current state's max; use next_state."),
    ]
    return [(v, h) for v, h in candidates if not np.isclose(v, new(right_target), atol=1e-6)]


def check_q_learning_update(fn: Callable[..., None]) -> None:
    """Check a tabular Q-learning update.

    Args:
        fn: ``fn(q, state, action, reward, next_state, terminated, alpha, gamma) -> None`` that
            updates the float Q-table ``q`` of shape ``(n_states, n_actions)`` in place:
            ``q[s, a] += alpha * (reward + gamma * max_a' q[next_state, a'] * (1 - terminated) - q[s, a])``.

    Raises:
        AssertionError: with a message naming the failing case and, when it is one, the classic mistake.
    """
    check = "check_q_learning_update"
    _require_callable(check, fn)
    cases = [
        # state, action, reward, next_state, terminated, alpha, gamma
        (0, 1, 1.0, 1, False, 0.5, 0.9),
        (2, 0, -1.0, 1, True, 0.5, 0.9),
        (1, 0, 1.0, 1, False, 0.1, 0.5),
        (3, 2, 0.5, 2, False, 1.0, 0.99),
    ]
    for s, a, r, s2, term, alpha, gamma in cases:
        q = _Q_TABLE.copy()
        case = _tabular_case_text(q, s, a, r, s2, term, alpha, gamma)
        returned = _call(check, fn, (q, s, a, r, s2, term, alpha, gamma), case)
        mask = 0.0 if term else 1.0
        target = r + gamma * _Q_TABLE[s2].max() * mask
        expected = _Q_TABLE[s, a] + alpha * (target - _Q_TABLE[s, a])
        candidates = [
            (_Q_TABLE[s, a] + alpha * (r + gamma * _Q_TABLE[s2, a] * mask - _Q_TABLE[s, a]),
             "you bootstrap from q[next_state, action], the action just taken (a SARSA-like target); "
             "Q-learning bootstraps from the best next action, max over q[next_state]."),
            (_Q_TABLE[s, a] + alpha * (r + gamma * _Q_TABLE[s2].mean() * mask - _Q_TABLE[s, a]),
             "you average q[next_state] over actions; Q-learning takes the max."),
            (_Q_TABLE[s, a] + alpha * (r + gamma * _Q_TABLE.max() * mask - _Q_TABLE[s, a]),
             "you take the max over the whole table; take it over q[next_state] only."),
            (_Q_TABLE[s, a] + alpha * (r + gamma * _Q_TABLE[:, s2].max() * mask - _Q_TABLE[s, a]),
             "you take the max over the wrong axis (a column of q); take it over the row q[next_state]."),
        ] + _tabular_candidates(_Q_TABLE, s, a, r, s2, term, alpha, gamma, _Q_TABLE[s2].max(), target)
        _check_tabular_result(check, _Q_TABLE, q, returned, s, a, expected, candidates, case)
    _ok(check, f"{len(cases)} updates, with the max over the next state, gamma once, no bootstrap after "
               "termination, a step of size alpha, in place")


def check_sarsa_update(fn: Callable[..., None]) -> None:
    """Check a tabular SARSA update.

    Args:
        fn: ``fn(q, state, action, reward, next_state, next_action, terminated, alpha, gamma) -> None``
            that updates ``q`` (n_states, n_actions) in place with the target
            ``reward + gamma * q[next_state, next_action] * (1 - terminated)``.

    Raises:
        AssertionError: with a message naming the failing case and, when it is one, the classic mistake.
    """
    check = "check_sarsa_update"
    _require_callable(check, fn)
    cases = [
        # state, action, reward, next_state, next_action, terminated, alpha, gamma
        (0, 1, 1.0, 1, 0, False, 0.5, 0.9),
        (2, 0, -1.0, 1, 0, True, 0.5, 0.9),
        (1, 0, 1.0, 1, 2, False, 0.1, 0.5),
        (3, 2, 0.5, 2, 0, False, 1.0, 0.99),
    ]
    for s, a, r, s2, a2, term, alpha, gamma in cases:
        q = _Q_TABLE.copy()
        case = _tabular_case_text(q, s, a, r, s2, term, alpha, gamma, a2)
        returned = _call(check, fn, (q, s, a, r, s2, a2, term, alpha, gamma), case)
        mask = 0.0 if term else 1.0
        target = r + gamma * _Q_TABLE[s2, a2] * mask
        expected = _Q_TABLE[s, a] + alpha * (target - _Q_TABLE[s, a])
        candidates = [
            (_Q_TABLE[s, a] + alpha * (r + gamma * _Q_TABLE[s2].max() * mask - _Q_TABLE[s, a]),
             "you bootstrap from the max over q[next_state] (that is Q-learning); SARSA uses the action "
             "actually taken next, q[next_state, next_action]."),
            (_Q_TABLE[s, a] + alpha * (r + gamma * _Q_TABLE[s2, a] * mask - _Q_TABLE[s, a]),
             "you bootstrap from q[next_state, action]; use next_action, the action chosen in next_state."),
            (_Q_TABLE[s, a] + alpha * (r + gamma * _Q_TABLE[a2, s2] * mask - _Q_TABLE[s, a]),
             "you index q[next_action, next_state]: rows are states, columns actions."),
        ] + _tabular_candidates(_Q_TABLE, s, a, r, s2, term, alpha, gamma, _Q_TABLE[s2, a2], target)
        _check_tabular_result(check, _Q_TABLE, q, returned, s, a, expected, candidates, case)
    _ok(check, f"{len(cases)} updates, bootstrapping from q[next_state, next_action], gamma once, no "
               "bootstrap after termination, a step of size alpha, in place")


def check_expected_sarsa_update(fn: Callable[..., None]) -> None:
    """Check a tabular Expected SARSA update under an epsilon-greedy policy.

    Args:
        fn: ``fn(q, state, action, reward, next_state, terminated, alpha, gamma, epsilon) -> None``
            that updates ``q`` (n_states, n_actions) in place with the target
            ``reward + gamma * sum_a' pi(a' | next_state) q[next_state, a'] * (1 - terminated)``, where
            ``pi`` is epsilon-greedy in ``q``: ``(1 - epsilon) * max q[next_state] + epsilon * mean q[next_state]``.

    Raises:
        AssertionError: with a message naming the failing case and, when it is one, the classic mistake.
    """
    check = "check_expected_sarsa_update"
    _require_callable(check, fn)
    cases = [
        # state, action, reward, next_state, terminated, alpha, gamma, epsilon
        (0, 1, 1.0, 1, False, 0.5, 0.9, 0.3),
        (2, 0, -1.0, 1, True, 0.5, 0.9, 0.3),
        (1, 2, 0.0, 2, False, 1.0, 1.0, 0.6),
        (3, 0, 0.5, 0, False, 0.2, 0.95, 0.1),
    ]
    for s, a, r, s2, term, alpha, gamma, eps in cases:
        q = _Q_TABLE.copy()
        case = _tabular_case_text(q, s, a, r, s2, term, alpha, gamma) + f", epsilon={eps}"
        returned = _call(check, fn, (q, s, a, r, s2, term, alpha, gamma, eps), case)
        mask = 0.0 if term else 1.0
        row = _Q_TABLE[s2]
        expectation = (1 - eps) * row.max() + eps * row.mean()
        target = r + gamma * expectation * mask
        expected = _Q_TABLE[s, a] + alpha * (target - _Q_TABLE[s, a])

        def new(value: float) -> float:
            return _Q_TABLE[s, a] + alpha * (r + gamma * value * mask - _Q_TABLE[s, a])

        others = (row.sum() - row.max()) / (len(row) - 1)
        candidates = [
            (new(row.max()), "you bootstrap from the max (that is Q-learning); Expected SARSA weights every "
                             "next action by its epsilon-greedy probability."),
            (new(row.mean()), "you average q[next_state] uniformly; the greedy action gets 1 - epsilon more "
                              "probability than the others."),
            (new(eps * row.max() + (1 - eps) * row.mean()),
             "epsilon and 1 - epsilon are swapped: the greedy action's extra probability is 1 - epsilon."),
            (new((1 - eps) * row.max() + eps * others),
             "exploration in your policy never picks the greedy action; epsilon-greedy explores uniformly "
             "over ALL actions, so each gets epsilon / n_actions and the greedy one 1 - epsilon on top."),
            (new(row[a]), "you bootstrap from q[next_state, action]; take the expectation over next actions."),
        ] + _tabular_candidates(_Q_TABLE, s, a, r, s2, term, alpha, gamma, expectation, target)
        _check_tabular_result(check, _Q_TABLE, q, returned, s, a, expected, candidates, case)
    _ok(check, f"{len(cases)} updates, bootstrapping from the epsilon-greedy expectation over next actions, "
               "gamma once, no bootstrap after termination, a step of size alpha, in place")


# States of this table have distinct greedy actions that differ from the argmax
# over the wrong axis; state 3 has a tie between actions 0 and 1.
_EPS_TABLE = np.array(
    [
        [0.0, 0.5, 1.0],
        [2.0, -1.0, 0.0],
        [-2.0, -0.5, -1.0],
        [1.0, 1.0, 0.0],
    ]
)


def check_epsilon_greedy(fn: Callable[..., int]) -> None:
    """Check an epsilon-greedy action choice.

    Args:
        fn: ``fn(q, state, epsilon, rng) -> int`` with ``q`` a float table (n_states, n_actions)
            and ``rng`` a ``np.random.Generator``: with probability ``epsilon`` a uniformly random
            action (any of the n_actions, the greedy one included), else ``argmax q[state]``
            (with ties, any of the best actions).  All randomness must come from ``rng``.

    Raises:
        AssertionError: with a message naming the failing case and, when it is one, the classic mistake.
    """
    check = "check_epsilon_greedy"
    _require_callable(check, fn)
    n_states, n_actions = _EPS_TABLE.shape
    hint = "q[state] is the row of action values; np.argmax(q[state]) is the greedy action."

    def act(state: int, epsilon: float, rng: np.random.Generator) -> int:
        q = _EPS_TABLE.copy()
        case = f"q[{state}] = {_fmt(q[state])}, state={state}, epsilon={epsilon}"
        action = _call(check, fn, (q, state, epsilon, rng), case, hint)
        if not np.array_equal(q, _EPS_TABLE):
            _fail(check, f"with {case}, your function changed q; choosing an action must only read it.")
        return _as_action(check, action, n_actions, f"with {case}")

    # 1. epsilon = 0: always greedy.
    rng = np.random.default_rng(0)
    for state in range(n_states):
        best = set(np.flatnonzero(_EPS_TABLE[state] == _EPS_TABLE[state].max()).tolist())
        actions = [act(state, 0.0, rng) for _ in range(20)]
        if set(actions) <= best:
            continue
        case = f"with q[{state}] = {_fmt(_EPS_TABLE[state])}, state={state}, epsilon=0"
        if len(best) == 1 and len(set(actions)) > 1:
            _fail(check, f"{case} the choice must never explore, but over 20 calls yours returned actions "
                         f"{sorted(set(actions))}. Do you always explore, or is the comparison with epsilon "
                         "reversed? Explore only when rng.random() < epsilon.")
        action = next(a for a in actions if a not in best)
        wrong_axis = {int(np.argmax(_EPS_TABLE[:, state])), int(np.argmax(_EPS_TABLE, axis=0)[state])}
        if action in wrong_axis:
            why = " That is an argmax over the wrong axis (over states): take np.argmax(q[state])."
        elif action == int(np.argmin(_EPS_TABLE[state])):
            why = " That is the argmin: the greedy action has the largest value."
        else:
            why = " With epsilon = 0 the choice must be the greedy action, argmax q[state]."
        _fail(check, f"{case} the greedy action is {sorted(best)} but you returned {action}.{why}")

    # 2. epsilon = 1: always a uniformly random action, the greedy one included.
    rng = np.random.default_rng(1)
    n_draws = 3000
    greedy = int(np.argmax(_EPS_TABLE[1]))
    counts = np.bincount([act(1, 1.0, rng) for _ in range(n_draws)], minlength=n_actions)
    freq = counts / n_draws
    if freq[greedy] == 1.0:
        _fail(check, f"with epsilon=1 every action must be random, but yours always returned the greedy "
                     f"action {greedy} of state 1. Does your function ever explore? (compare rng.random() < epsilon)")
    if freq.min() < 0.25 or freq.max() > 0.42:
        never = [int(i) for i in np.flatnonzero(counts == 0)]
        extra = ""
        if never == [greedy]:
            extra = (" The greedy action is never chosen: exploring picks uniformly among ALL actions, "
                     "rng.integers(n_actions), the greedy one included.")
        elif never:
            extra = (f" Actions {never} are never chosen: draw from all n_actions = q.shape[1] actions, "
                     "rng.integers(q.shape[1]) (the upper bound is excluded).")
        _fail(check, f"with epsilon=1 each of the {n_actions} actions should come up about 1/{n_actions} of "
                     f"the time; over {n_draws} calls yours gave frequencies {_fmt(freq)}.{extra}")

    # 3. epsilon = 0.2: greedy with probability 1 - epsilon + epsilon / n_actions.
    rng = np.random.default_rng(2)
    epsilon = 0.2
    n_draws = 4000
    actions = np.array([act(1, epsilon, rng) for _ in range(n_draws)])
    got = float(np.mean(actions == greedy))
    expected = 1 - epsilon + epsilon / n_actions
    if abs(got - expected) > 0.04:
        candidates = [
            (1.0, "it never explores."),
            (1 / n_actions, "it always explores."),
            (epsilon + (1 - epsilon) / n_actions, "it explores with probability 1 - epsilon instead of epsilon "
                                                  "(is the comparison rng.random() < epsilon reversed?)."),
            (1 - epsilon, "it never picks the greedy action when exploring; exploring draws uniformly among "
                          "ALL actions, the greedy one included."),
        ]
        why = ""
        for value, text in candidates:
            if abs(got - value) < 0.03:
                why = f" That is what you get if {text}"
                break
        _fail(check, f"with epsilon={epsilon} and {n_actions} actions the greedy action should be chosen with "
                     f"probability 1 - epsilon + epsilon/{n_actions} = {expected:.3f}; over {n_draws} calls "
                     f"yours chose it {got:.3f} of the time.{why}")

    # 4. All randomness from rng: the same seed gives the same choices.
    runs = []
    for _ in range(2):
        rng = np.random.default_rng(3)
        runs.append([act(0, 0.5, rng) for _ in range(200)])
    if runs[0] != runs[1]:
        _fail(check, "two runs with generators made from the same seed chose different actions, so your "
                     "function draws random numbers from somewhere other than rng (np.random.* or Python's "
                     "random module?). Use rng.random() and rng.integers(...) so a seed repeats a run.")
    _ok(check, "greedy with epsilon=0 (ties allowed), uniform over all actions with epsilon=1, "
               f"greedy {expected:.3f} of the time with epsilon={epsilon}, randomness only from rng")


# ----------------------------------------------------------------------------
# Deep Q-learning pieces (notebooks 03-06)
# ----------------------------------------------------------------------------


def _td_case(seed_shift: int = 0) -> list[dict]:
    f32 = torch.float32
    return [
        dict(
            rewards=torch.tensor([1.0, 0.5, -1.0, 2.0, 0.0], dtype=f32),
            next_q_values=torch.tensor(
                [[1.0, 3.0, 2.0], [2.0, 0.0, -1.0], [0.5, 0.25, 4.0], [-1.0, -2.0, -0.5], [1.5, 1.0, 0.0]],
                dtype=f32),
            terminated=torch.tensor([0.0, 1.0, 0.0, 0.0, 1.0], dtype=f32),
            truncated=torch.tensor([0.0, 0.0, 1.0, 0.0, 1.0], dtype=f32),
            gamma=0.9,
        ),
        dict(
            rewards=torch.tensor([0.0, 1.0], dtype=f32),
            next_q_values=torch.tensor([[1.0, -2.0, 0.5, 3.0], [2.0, 2.5, -1.0, 0.0]], dtype=f32),
            terminated=torch.tensor([0.0, 0.0], dtype=f32),
            truncated=torch.tensor([1.0, 0.0], dtype=f32),
            gamma=0.5,
        ),
    ]


def check_td_target(fn: Callable[..., torch.Tensor]) -> None:
    """Check a batched DQN TD target.

    Args:
        fn: ``fn(rewards, next_q_values, terminated, truncated, gamma) -> Tensor (B,)`` with
            ``rewards`` (B,) float32, ``next_q_values`` (B, n_actions) float32 (from the target
            network), ``terminated`` and ``truncated`` (B,) float32 (1.0 = true).  The target is
            ``rewards + gamma * max_a next_q_values * (1 - terminated)``: a time limit
            (truncation) must not cut the bootstrap.

    Raises:
        AssertionError: with a message naming the failing case and, when it is one, the classic mistake.
    """
    check = "check_td_target"
    _require_callable(check, fn)
    hint = ("next_q_values has shape (B, n_actions): the max over actions is next_q_values.max(dim=1).values, "
            "shape (B,); terminated and truncated are float32 tensors of 1.0/0.0, so (1 - terminated) is the mask.")
    for k, case in enumerate(_td_case()):
        originals = {name: (v.clone() if isinstance(v, torch.Tensor) else v) for name, v in case.items()}
        r, nq, term, trunc, gamma = (case[n] for n in ("rewards", "next_q_values", "terminated", "truncated", "gamma"))
        batch, n_actions = nq.shape
        shown = (f"rewards={_fmt(r)}, next_q_values={_fmt(nq)}, terminated={_fmt(term)}, "
                 f"truncated={_fmt(trunc)}, gamma={gamma}")
        got = _call(check, fn, (r.clone(), nq.clone(), term.clone(), trunc.clone(), gamma), shown, hint)
        # Run again on the very tensors we keep, to see whether the function changes its inputs.
        _call(check, fn, (r, nq, term, trunc, gamma), shown, hint)
        for name, value in originals.items():
            if isinstance(value, torch.Tensor) and not torch.equal(value, case[name]):
                _fail(check, f"your function changed its input `{name}` in place; compute a new tensor "
                             "(e.g. rewards + ..., not rewards += ...).")
        if not isinstance(got, torch.Tensor):
            _fail(check, f"with {shown}, you returned {type(got).__name__}; return a torch tensor of shape "
                         f"({batch},), one target per transition.")
        got = got.detach()
        best = nq.max(dim=1).values
        expected = r + gamma * best * (1 - term)
        if tuple(got.shape) != (batch,):
            why = ""
            if tuple(got.shape) == (batch, 1):
                why = " A (B, 1) target broadcasts wrongly against (B,) tensors: use .max(dim=1).values without keepdim, or .squeeze(1)."
            elif tuple(got.shape) == (batch, batch):
                why = " A (B, B) result comes from adding a (B, 1) tensor to a (B,) one (broadcasting); keep every tensor (B,)."
            elif tuple(got.shape) == (n_actions,):
                why = " That is the max over the batch (dim=0); take it over actions, dim=1."
            elif tuple(got.shape) == (batch, n_actions):
                why = " You forgot the max over actions: max_a Q_target(next_obs, a)."
            _fail(check, f"with a batch of {batch} transitions and {n_actions} actions the target must have shape "
                         f"({batch},), yours has shape {tuple(got.shape)}.{why}")
        if got.dtype != torch.float32:
            _fail(check, f"the target should be float32 like the inputs, yours is {got.dtype}; did you build "
                         "a float64 tensor (torch.tensor(..., dtype=torch.float64) or from numpy)?")
        if not torch.allclose(got, expected, atol=1e-5):
            wrong_rows = torch.nonzero(~torch.isclose(got, expected, atol=1e-5)).flatten().tolist()
            candidates = [
                (r + gamma * best, "you bootstrap through terminal transitions: multiply the bootstrap by "
                                   "(1 - terminated), so a terminal transition's target is just its reward."),
                (r + gamma * best * (1 - torch.maximum(term, trunc)),
                 "you stop bootstrapping on truncation too. A time limit is not a terminal state: the "
                 "future after a truncated step still has value, so mask with (1 - terminated) only."),
                (r + gamma * best * (1 - trunc), "you mask with truncated instead of terminated."),
                (r + gamma * best * (1 - term) * (1 - trunc),
                 "you stop bootstrapping on truncation too. A time limit is not a terminal state: mask "
                 "with (1 - terminated) only."),
                (r + gamma**2 * best * (1 - term), "gamma is applied twice (gamma**2)."),
                (r + best * (1 - term), "gamma is missing: rewards + gamma * ..."),
                (r + gamma * nq.mean(dim=1) * (1 - term), "you average next_q_values over actions; take the max."),
                (r + gamma * nq[:, 0] * (1 - term), "you take the first column instead of the max over actions."),
                (gamma * best * (1 - term), "the reward is missing."),
                (r + gamma * best * term, "the mask is reversed: multiply by (1 - terminated), not terminated."),
            ]
            why = _diagnose(got.numpy(), [(v.numpy(), h) for v, h in candidates])
            _fail(check, f"with {shown} the targets should be {_fmt(expected)}, yours are {_fmt(got)} "
                         f"(rows {wrong_rows} differ).{why}")
    _ok(check, "targets of shape (B,), max over actions, gamma once, no bootstrap after termination, "
               "bootstrap kept after truncation, inputs untouched")


def _loss_values(chosen: torch.Tensor, target: torch.Tensor) -> dict[str, torch.Tensor]:
    diff = chosen - target
    return {
        "mse": (diff**2).mean(),
        "half_mse": 0.5 * (diff**2).mean(),
        "huber": nn.functional.smooth_l1_loss(chosen, target),
    }


def check_dqn_loss(fn: Callable[..., torch.Tensor]) -> None:
    """Check a DQN loss.

    Args:
        fn: ``fn(q_values, actions, td_target) -> scalar Tensor`` with ``q_values`` (B, n_actions)
            float32 from the online network, ``actions`` (B,) int64 and ``td_target`` (B,) float32.
            The loss compares ``Q(s, a)`` of the actions taken with the targets, averaged over the
            batch: mean squared error (also accepted halved) or Huber / smooth L1 (delta 1).

    Raises:
        AssertionError: with a message naming the failing case and, when it is one, the classic mistake.
    """
    check = "check_dqn_loss"
    _require_callable(check, fn)
    hint = ("gather the value of each taken action: q_values.gather(1, actions.unsqueeze(1)).squeeze(1) has "
            "shape (B,), like td_target.")
    cases = [
        ([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0], [2.5, 0.5, 1.0], [-0.5, 4.0, 0.0]], [1, 2, 0, 1], [1.5, 0.0, 2.3, 6.5]),
        ([[0.5, -2.0], [3.0, 1.0]], [0, 1], [2.0, 1.2]),
    ]
    for q_list, a_list, t_list in cases:
        q_values = torch.tensor(q_list, dtype=torch.float32, requires_grad=True)
        actions = torch.tensor(a_list, dtype=torch.int64)
        target = torch.tensor(t_list, dtype=torch.float32)
        shown = f"q_values={_fmt(q_values)}, actions={_fmt(actions)}, td_target={_fmt(target)}"
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            loss = _call(check, fn, (q_values, actions, target.clone()), shown, hint)
        for w in caught:
            if "target size" in str(w.message):
                _fail(check, f"with {shown}, torch warned: \"{w.message}\" Q(s, a) and td_target must both have "
                             "shape (B,): a (B, 1) tensor against a (B,) one broadcasts to (B, B) and mixes every "
                             "prediction with every target. Squeeze Q(s, a) with .squeeze(1).")
        if not isinstance(loss, torch.Tensor):
            _fail(check, f"with {shown}, you returned {type(loss).__name__} {loss!r}; return the loss as a torch "
                         "tensor (no .item()), so that loss.backward() can train the network.")
        if loss.numel() != 1 or loss.dim() != 0:
            _fail(check, f"with {shown}, your loss has shape {tuple(loss.shape)}; it must be a scalar, the mean "
                         "over the batch (reduction='mean', or .mean()).")
        if not loss.requires_grad:
            _fail(check, f"with {shown}, your loss is not connected to q_values (requires_grad is False): did you "
                         "call .detach(), .item() or torch.no_grad() on the Q-values? Only the target is detached.")
        chosen = q_values.detach()[torch.arange(len(a_list)), actions]
        accepted = _loss_values(chosen, target)
        got = float(loss.detach())
        if not any(np.isclose(got, float(v), atol=1e-5) for v in accepted.values()):
            col = chosen.unsqueeze(1)  # (B, 1)
            candidates = []
            for name, fn_loss in (("squared", lambda x: x**2),
                                  ("Huber", lambda x: torch.where(x.abs() < 1, 0.5 * x**2, x.abs() - 0.5))):
                candidates += [
                    (float(fn_loss(col - target).mean()),
                     f"Q(s,a) has shape (B, 1) and td_target (B,): subtracting them broadcasts to a (B, B) "
                     f"matrix, mixing every prediction with every target ({name} error). Squeeze Q(s,a) to (B,) "
                     "(.squeeze(1)) before comparing."),
                    (float(fn_loss(q_values.detach() - target.unsqueeze(1)).mean()),
                     f"you compare every action's Q-value with the target ({name} error); gather Q(s, a) of "
                     "the action taken first."),
                    (float(fn_loss(q_values.detach().max(dim=1).values - target).mean()),
                     f"you use max_a Q(s, a) ({name} error); the loss uses Q(s, a) of the action actually "
                     "taken: gather with actions."),
                    (float(fn_loss(chosen - target).sum()),
                     f"you sum over the batch ({name} error); take the mean, so the step size does not grow "
                     "with the batch size."),
                ]
            candidates.append((float(((q_values.detach()[:, actions] - target) ** 2).mean()),
                               "q_values[:, actions] picks a (B, B) block, not one value per row; use "
                               "q_values.gather(1, actions.unsqueeze(1)).squeeze(1) or "
                               "q_values[torch.arange(B), actions]."))
            why = _diagnose(got, candidates)
            _fail(check, f"with {shown}, Q(s, a) of the actions taken is {_fmt(chosen)}; the mean squared error "
                         f"is {float(accepted['mse']):.4f} and the Huber loss {float(accepted['huber']):.4f}, "
                         f"but your loss is {got:.4f}.{why}")
        loss.backward()
        grad = q_values.grad
        if grad is None:
            _fail(check, "after loss.backward(), q_values has no gradient: keep the loss connected to q_values.")
        mask = torch.zeros_like(grad, dtype=torch.bool)
        mask[torch.arange(len(a_list)), actions] = True
        if torch.any(grad[~mask] != 0):
            _fail(check, "after loss.backward(), Q-values of actions that were not taken got a gradient; only "
                         "Q(s, a) of the taken action should be pushed towards the target.")
        if loss.dtype != torch.float32:
            _fail(check, f"the loss should be float32 like q_values, yours is {loss.dtype}.")
    _ok(check, "a scalar averaged over the batch, Q(s, a) of the actions taken (shape (B,), no broadcasting), "
               "gradient only into those Q-values")


# A transition's number i is written into every field, so that a sampled row
# shows which transition it came from and whether its fields belong together.
def _transition(i: int, obs_shape: tuple[int, ...]) -> tuple[np.ndarray, int, float, np.ndarray, bool]:
    obs = np.full(obs_shape, float(i + 1), dtype=np.float32)
    next_obs = obs + 0.5
    return obs, i % 2, 10.0 * (i + 1), next_obs, i % 3 == 2


def _sample(check: str, buf: Any, batch_size: int) -> Any:
    hint = "sample(batch_size) draws batch_size stored transitions at random and returns them as torch tensors."
    return _call(check, buf.sample, (batch_size,), f"buffer.sample({batch_size})", hint)


def _batch_ids(check: str, batch: Any, batch_size: int, obs_shape: tuple[int, ...], n_added: int) -> list[int]:
    """Check a batch's types, shapes and dtypes and that each row is one real transition; return their numbers."""
    want = {
        "obs": ((batch_size, *obs_shape), torch.float32),
        "actions": ((batch_size,), torch.int64),
        "rewards": ((batch_size,), torch.float32),
        "next_obs": ((batch_size, *obs_shape), torch.float32),
        "terminated": ((batch_size,), torch.float32),
    }
    for name, (shape, dtype) in want.items():
        if not hasattr(batch, name):
            _fail(check, f"the object sample() returns has no attribute `{name}`; it needs obs, actions, rewards, "
                         "next_obs and terminated (a small dataclass or NamedTuple does it).")
        value = getattr(batch, name)
        if not isinstance(value, torch.Tensor):
            _fail(check, f"batch.{name} is a {type(value).__name__}; return torch tensors "
                         "(torch.as_tensor(array)), ready for the network.")
        if tuple(value.shape) != shape:
            extra = ""
            if tuple(value.shape) == (batch_size, 1):
                extra = " A (B, 1) column broadcasts wrongly against (B,) tensors in the TD target: store it flat."
            _fail(check, f"with obs_shape={obs_shape}, sample({batch_size}) gave batch.{name} of shape "
                         f"{tuple(value.shape)}; expected {shape}.{extra}")
        if value.dtype != dtype:
            why = " (gather() needs int64 indices)" if name == "actions" else ""
            _fail(check, f"batch.{name} has dtype {value.dtype}; expected {dtype}{why}.")
    obs = batch.obs.reshape(batch_size, -1)[:, 0]
    if torch.any(obs == 0):
        _fail(check, "sample() returned an all-zero observation that was never added: draw indices only from the "
                     "filled part of the buffer, range(len(self)), not range(capacity).")
    ids = [int(round(float(v))) - 1 for v in obs]
    for row, i in enumerate(ids):
        if not 0 <= i < n_added:
            _fail(check, f"sample() returned an observation that was never added ({float(obs[row])}).")
        _, action, reward, next_obs, terminated = _transition(i, obs_shape)
        ok = (
            int(batch.actions[row]) == action
            and np.isclose(float(batch.rewards[row]), reward)
            and np.allclose(batch.next_obs[row].numpy(), next_obs)
            and float(batch.terminated[row]) == float(terminated)
        )
        if not ok:
            _fail(check, "in a sampled batch, the action/reward/next_obs/terminated of a row do not belong to that "
                         "row's obs: draw one set of indices and use it for every array.")
    return ids


def check_replay_buffer(cls: type) -> None:
    """Check a replay buffer class.

    Args:
        cls: ``cls(capacity, obs_shape, seed=None)`` with ``add(obs, action, reward, next_obs, terminated)``,
            ``len(buffer)`` and ``sample(batch_size)`` returning an object whose attributes ``obs``
            (B, *obs_shape) float32, ``actions`` (B,) int64, ``rewards`` (B,) float32, ``next_obs``
            (B, *obs_shape) float32 and ``terminated`` (B,) float32 are torch tensors.  When full, adding
            a transition evicts the OLDEST one.  Sampling draws from ``np.random.default_rng(seed)``.

    Raises:
        AssertionError: with a message naming the failing step and, when it is one, the classic mistake.
    """
    check = "check_replay_buffer"
    _require_callable(check, cls, "class")
    capacity, obs_shape = 4, (2,)
    hint = "the buffer is built as ReplayBuffer(capacity, obs_shape, seed=...)."
    buf = _call(check, cls, (capacity, obs_shape, 0), f"capacity={capacity}, obs_shape={obs_shape}, seed=0", hint)

    def add(buffer: Any, i: int, shape: tuple[int, ...]) -> None:
        obs, action, reward, next_obs, terminated = _transition(i, shape)
        _call(check, buffer.add, (obs, action, reward, next_obs, terminated),
              f"buffer.add(obs, action={action}, reward={reward}, next_obs, terminated={terminated})")

    def length(buffer: Any) -> int:
        try:
            return len(buffer)
        except TypeError as err:
            raise AssertionError(f"{check}: len(buffer) failed ({err}); define __len__ returning how many "
                                 "transitions are stored.") from err

    if length(buf) != 0:
        _fail(check, f"a new buffer should hold 0 transitions; len(buffer) = {length(buf)}.")
    for i in range(3):
        add(buf, i, obs_shape)
    if length(buf) != 3:
        _fail(check, f"after 3 adds to a buffer of capacity {capacity}, len(buffer) must be 3; yours says "
                     f"{length(buf)}.")
    seen = {i for _ in range(20) for i in _batch_ids(check, _sample(check, buf, 2), 2, obs_shape, 3)}
    if seen != {0, 1, 2}:
        _fail(check, f"after 3 adds, 20 samples of 2 drew only transitions {sorted(seen)}; every stored transition "
                     "should be drawn now and then.")

    for i in range(3, 5):
        add(buf, i, obs_shape)
    if length(buf) != capacity:
        _fail(check, f"after 5 adds to a buffer of capacity {capacity}, len(buffer) must stay {capacity}; yours says "
                     f"{length(buf)}. A full buffer overwrites its oldest transition instead of growing.")
    seen = {i for _ in range(30) for i in _batch_ids(check, _sample(check, buf, 4), 4, obs_shape, 5)}
    if 0 in seen:
        if 4 not in seen:
            why = (" and the fifth (newest) one is missing: when full, add() must overwrite the oldest slot; "
                   "keep a write position that wraps around, position = (position + 1) % capacity.")
        elif 3 not in seen:
            why = (" while the fourth was overwritten by the fifth: are you evicting the newest? Overwrite the "
                   "oldest (first in, first out).")
        else:
            why = ": the oldest transition must be evicted to make room (first in, first out)."
        _fail(check, f"after 5 adds to a buffer of capacity {capacity} the first transition must be gone; yours "
                     f"still holds it{why}")
    if seen != {1, 2, 3, 4}:
        _fail(check, f"after 5 adds to a buffer of capacity {capacity} it should hold transitions 2-5 (the four "
                     f"newest); 30 samples of 4 drew only transitions {[i + 1 for i in sorted(seen)]}.")
    for i in range(5, 10):
        add(buf, i, obs_shape)
    seen = {i for _ in range(30) for i in _batch_ids(check, _sample(check, buf, 4), 4, obs_shape, 10)}
    if seen != {6, 7, 8, 9}:
        _fail(check, f"after 10 adds to a buffer of capacity {capacity} it should hold transitions 7-10 (the four "
                     f"newest); samples drew transitions {[i + 1 for i in sorted(seen)]}. Does the write position "
                     "wrap around more than once?")

    # Another shape, and the same seed repeats the same samples.
    other_shape = (4,)
    draws = []
    for _ in range(2):
        buf = _call(check, cls, (10, other_shape, 7), f"capacity=10, obs_shape={other_shape}, seed=7", hint)
        for i in range(10):
            add(buf, i, other_shape)
        draws.append([_batch_ids(check, _sample(check, buf, 5), 5, other_shape, 10) for _ in range(3)])
    if draws[0] != draws[1]:
        _fail(check, "two buffers built with the same seed and filled alike drew different samples: sample() "
                     "must draw from a generator made from `seed`, e.g. self.rng = np.random.default_rng(seed), "
                     "not from np.random.* or Python's random module.")
    _ok(check, "len, FIFO eviction of the oldest when full, samples of real transitions with aligned fields, "
               "tensor shapes and dtypes, same seed gives the same samples")


def _example_net(in_features: int = 4, n_actions: int = 2) -> nn.Module:
    return nn.Sequential(nn.Linear(in_features, 16), nn.ReLU(), nn.Linear(16, n_actions))


def _input_size(net: nn.Module) -> int:
    for module in net.modules():
        if isinstance(module, nn.Linear):
            return module.in_features
    raise TypeError("the network given to the check has no nn.Linear layer to tell its input size")


def check_target_network(fn: Callable[[nn.Module], nn.Module], q_net: nn.Module | None = None) -> None:
    """Check a function that makes a target network.

    Args:
        fn: ``fn(q_net) -> nn.Module``: a copy of ``q_net`` with the same weights, sharing no parameter
            with it, and frozen (``requires_grad`` False on every parameter of the copy; ``q_net`` stays
            trainable).
        q_net: the network to copy (its first ``nn.Linear`` tells the input size); by default a small MLP.

    Raises:
        AssertionError: with a message naming what is wrong.
    """
    check = "check_target_network"
    _require_callable(check, fn)
    with torch.random.fork_rng():
        torch.manual_seed(0)
        if q_net is None:
            q_net = _example_net()
        x = torch.randn(5, _input_size(q_net))
    snapshot = copy.deepcopy(q_net.state_dict())
    target = _call(check, fn, (q_net,), "q_net")
    if not isinstance(target, nn.Module):
        _fail(check, f"you returned {type(target).__name__}; return the target network, an nn.Module "
                     "(copy.deepcopy(q_net) makes one).")
    if target is q_net:
        _fail(check, "you returned q_net itself: the target network must be a separate copy, or it moves with "
                     "every gradient step and stops being a fixed target.")
    for name, value in q_net.state_dict().items():
        if not torch.equal(value, snapshot[name]):
            _fail(check, f"making the target changed q_net's `{name}`; only read q_net.")
    if not all(p.requires_grad for p in q_net.parameters()):
        _fail(check, "q_net's parameters no longer require gradients: freeze the copy, not the online network "
                     "(set requires_grad_(False) on the target's parameters after copying).")
    online_ids = {id(p) for p in q_net.parameters()}
    online_ptrs = {p.data_ptr() for p in q_net.parameters()}
    shared = [n for n, p in target.named_parameters() if id(p) in online_ids or p.data_ptr() in online_ptrs]
    if shared:
        _fail(check, f"the target shares parameters {shared} with q_net (same tensors), so it changes whenever "
                     "q_net is trained. Make a deep copy: copy.deepcopy(q_net), or a new network plus "
                     "load_state_dict(q_net.state_dict()).")
    trainable = [n for n, p in target.named_parameters() if p.requires_grad]
    if trainable:
        _fail(check, f"the target's parameters {trainable} still require gradients; freeze them with "
                     "target_net.requires_grad_(False), so no optimizer step or backward pass touches them.")
    with torch.no_grad():
        try:
            same = torch.allclose(target(x), q_net(x))
        except Exception as err:
            raise AssertionError(f"{check}: calling your target network on a batch of shape {tuple(x.shape)} "
                                 f"raised {type(err).__name__}: {err}") from err
    if not same:
        _fail(check, "at creation the target network must compute the same Q-values as q_net; yours differs. "
                     "Copy the weights (copy.deepcopy or load_state_dict), do not just build a new network.")
    with torch.no_grad():
        for p in q_net.parameters():
            p.add_(1.0)
        moved = not torch.allclose(target(x), q_net(x))
        q_net.load_state_dict(snapshot)
    if not moved:
        _fail(check, "after changing q_net's weights the target network changed too: they are still linked.")
    _ok(check, "a separate copy with equal outputs, sharing no parameter, frozen, q_net still trainable")


def check_polyak_update(fn: Callable[..., None]) -> None:
    """Check a soft (Polyak) target update.

    Args:
        fn: ``fn(target_net, q_net, tau) -> None`` that updates every parameter of ``target_net`` in
            place: ``target <- tau * online + (1 - tau) * target``, leaving ``q_net`` unchanged.

    Raises:
        AssertionError: with a message naming the failing case and, when it is one, the classic mistake.
    """
    check = "check_polyak_update"
    _require_callable(check, fn)
    hint = ("update in place under torch.no_grad(), e.g. target_param.mul_(1 - tau).add_(tau * online_param) "
            "for each pair of zip(target_net.parameters(), q_net.parameters()).")
    with torch.random.fork_rng():
        torch.manual_seed(1)
        q_net = _example_net()
        target_net = _example_net()
    target_net.requires_grad_(False)

    def flat(net: nn.Module) -> torch.Tensor:
        return torch.cat([p.detach().flatten() for p in net.parameters()]).clone()

    for tau in (0.1, 0.25, 1.0):
        online, old = flat(q_net), flat(target_net)
        _call(check, fn, (target_net, q_net, tau), f"tau={tau}", hint)
        grads = [n for n, p in target_net.named_parameters() if p.requires_grad or p.grad_fn is not None]
        if grads:
            _fail(check, f"after the update, target parameters {grads} are tracked by autograd: do the update "
                         "under torch.no_grad(), so the target stays a constant.")
        if not torch.equal(flat(q_net), online):
            _fail(check, f"with tau={tau} your function changed q_net; only the target network moves "
                         "(towards q_net).")
        new = flat(target_net)
        expected = tau * online + (1 - tau) * old
        if torch.allclose(new, expected, atol=1e-6):
            continue
        if torch.equal(new, old):
            _fail(check, f"with tau={tau} your function left target_net unchanged. Assigning to a loop variable "
                         "(param = ...) or building a new network does not change target_net: update its "
                         "parameters in place (param.copy_(...), or mul_ and add_) under torch.no_grad().")
        candidates = [
            ((1 - tau) * online + tau * old, "tau and 1 - tau are swapped: tau is the (small) weight of the "
                                             "online network."),
            (online, "you copied q_net (a hard update); a soft update moves the target only a fraction tau."),
            (tau * online + old, "you add tau * online without shrinking the target by (1 - tau)."),
        ]
        why = _diagnose(new.numpy(), [(v.numpy(), h) for v, h in candidates if not torch.allclose(v, expected)])
        worst = float((new - expected).abs().max())
        _fail(check, f"with tau={tau} every target parameter should become tau * online + (1 - tau) * target; "
                     f"yours is off by up to {worst:.4g}.{why}")
    _ok(check, "target <- tau * online + (1 - tau) * target in place for tau = 0.1, 0.25 and 1, q_net untouched")


def check_linear_schedule(fn: Callable[..., float]) -> None:
    """Check a linear schedule (for epsilon, say).

    Args:
        fn: ``fn(start, end, duration, t) -> float``: ``start`` at ``t = 0``, moving linearly to ``end``
            at ``t = duration``, then constant at ``end``.  It must work whether the schedule goes down
            (epsilon) or up.

    Raises:
        AssertionError: with a message naming the failing case and, when it is one, the classic mistake.
    """
    check = "check_linear_schedule"
    _require_callable(check, fn)
    cases = [
        (1.0, 0.05, 100, t) for t in (0, 25, 50, 99, 100, 150, 1000)
    ] + [
        (0.0, 1.0, 10, t) for t in (0, 5, 10, 20)
    ] + [(0.5, 0.5, 10, 3)]
    got_all, expected_all = [], []
    for start, end, duration, t in cases:
        shown = f"start={start}, end={end}, duration={duration}, t={t}"
        got = _call(check, fn, (start, end, duration, t), shown)
        if isinstance(got, (bool, np.bool_)) or not isinstance(got, (numbers.Real, np.number)):
            _fail(check, f"with {shown} you returned {got!r} ({type(got).__name__}); return a float.")
        got_all.append(float(got))
        expected_all.append(start + min(t / duration, 1.0) * (end - start))
    got_all, expected_all = np.array(got_all), np.array(expected_all)
    if not np.allclose(got_all, expected_all, atol=1e-9):
        # Compare the whole run with each classic mistake's run: one case alone can be ambiguous.
        def run(rule: Callable[[float, float, int, int], float]) -> np.ndarray:
            return np.array([rule(*c) for c in cases])

        candidates = [
            (run(lambda s0, s1, d, t: s0 + t / d * (s1 - s0)),
             "you keep going past `duration`: clamp the fraction, min(t / duration, 1), so the value stays at `end`."),
            (run(lambda s0, s1, d, t: s0 + min(t / (d - 1), 1.0) * (s1 - s0)),
             "you divide by duration - 1: the value should reach `end` exactly at t = duration."),
            (run(lambda s0, s1, d, t: s1 + min(t / d, 1.0) * (s0 - s1)), "start and end are swapped."),
            (run(lambda s0, s1, d, t: s0 + min(t // d, 1) * (s1 - s0)),
             "t // duration is integer division: use t / duration."),
            (run(lambda s0, s1, d, t: max(s1, s0 + t / d * (s1 - s0))),
             "you clamp with max(end, value), which only works for a decreasing schedule; clamp the fraction "
             "instead: min(t / duration, 1)."),
            (run(lambda s0, s1, d, t: min(s1, s0 + t / d * (s1 - s0))),
             "you clamp with min(end, value), which only works for an increasing schedule; clamp the fraction "
             "instead: min(t / duration, 1)."),
        ]
        k = int(np.flatnonzero(~np.isclose(got_all, expected_all, atol=1e-9))[0])
        start, end, duration, t = cases[k]
        why = _diagnose(got_all, candidates, atol=1e-9)
        _fail(check, f"with start={start}, end={end}, duration={duration}, t={t} the value should be "
                     f"{expected_all[k]:.4g}, yours is {got_all[k]:.4g}.{why}")
    _ok(check, f"{len(cases)} cases, decreasing and increasing, exact at t = 0 and t = duration, constant after")
