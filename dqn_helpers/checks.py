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

Each check computes its expected answers itself, with numpy and torch only.  The one
exception is ``check_dqn_loop``, whose point is to compare your loop with ``train_dqn``:
its section imports the package inside its own functions.
"""

from __future__ import annotations

import copy
import numbers
import operator
import warnings
from collections.abc import Callable
from typing import Any, NamedTuple, NoReturn

import numpy as np
import torch
from torch import nn

__all__ = [
    "check_double_dqn_target",
    "check_dqn_loss",
    "check_episode_loop",
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


def _diagnose(got: Any, candidates: list[tuple[Any, str]], atol: float = 1e-5) -> str:
    """The hints of every classic mistake whose answer equals ``got``, else ''.

    When two mistakes give the same number on a case, both are named: the case
    cannot tell them apart, so the message must not pretend it can.
    """
    hints = []
    for value, hint in candidates:
        try:
            same = np.shape(got) == np.shape(value) and np.allclose(got, value, atol=atol, rtol=1e-5)
        except (TypeError, ValueError):
            same = False
        if same and hint not in hints:
            hints.append(hint)
    if not hints:
        return ""
    if len(hints) == 1:
        return f"\nThat is exactly what you get if {hints[0]}"
    return "\nThis case cannot tell apart these mistakes, each gives exactly your answer:\n" + "\n".join(
        f"- {h}" for h in hints)


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


def _half_done_update(s: int, a: int, r: float, alpha: float, gamma: float, mask: float,
                      bootstrap: Callable[[np.ndarray], float]) -> tuple[float, str]:
    """The answer of an update that changes ``q[s, a]`` before reading the bootstrap from it.

    Only a transition whose next state is the current one can show this mistake:
    ``q *= (1 - alpha)`` first, then ``q += alpha * (reward + gamma * bootstrap(q))``.
    """
    q_half = _Q_TABLE.copy()
    q_half[s, a] *= 1 - alpha
    return (q_half[s, a] + alpha * (r + gamma * bootstrap(q_half) * mask),
            "you change q[state, action] before computing the TD target: here next_state == state, so the "
            "bootstrap reads your half-done update. Compute td_target from the old table first, then update.")


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
        (1, 2, 1.0, 1, False, 0.5, 0.9),  # next_state == state, and `action` is its greedy action
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
            _half_done_update(s, a, r, alpha, gamma, mask, lambda q: q[s2].max()),
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
        (1, 2, 0.5, 1, 2, False, 0.5, 0.9),  # (next_state, next_action) == (state, action)
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
            _half_done_update(s, a, r, alpha, gamma, mask, lambda q: q[s2, a2]),
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
        (2, 2, 1.0, 2, False, 0.5, 0.9, 0.2),  # next_state == state, and `action` is its greedy action
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
            _half_done_update(s, a, r, alpha, gamma, mask,
                              lambda q: (1 - eps) * q[s2].max() + eps * q[s2].mean()),
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
            (on ties, the first of the best actions, as ``np.argmax`` gives).  All randomness must come
            from ``rng``, drawn as notebook 01 describes: first ``rng.random()`` to decide, then, only
            when exploring, ``rng.integers(n_actions)``.  (Notebook 01 checks that its loop with your
            function learns the very table ``dqn_helpers.tabular.q_learning`` learns, number for
            number, so the check asks for those exact draws.)

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

    # 5. The exact draws notebook 01 needs: ties go to the first best action, and the random numbers
    #    are rng.random(), then rng.integers(n_actions) only when exploring.
    tie_state = 3
    first_best = int(np.argmax(_EPS_TABLE[tie_state]))
    rng = np.random.default_rng(5)
    tie_actions = [act(tie_state, 0.0, rng) for _ in range(20)]
    if any(a != first_best for a in tie_actions):
        _fail(check, f"with q[{tie_state}] = {_fmt(_EPS_TABLE[tie_state])} (a tie) and epsilon=0 you returned actions "
                     f"{sorted(set(tie_actions))}. Breaking a tie at random is a fair epsilon-greedy, but notebook 01 "
                     "checks that your learner learns exactly the table of dqn_helpers.tabular.q_learning, which "
                     f"takes the first best action on a tie, as int(np.argmax(q[state])) does ({first_best} here).")
    rng_yours, rng_ref = np.random.default_rng(6), np.random.default_rng(6)
    states = [0, 1, 2, 3] * 25
    for k, state in enumerate(states):
        explore = rng_ref.random() < 0.3
        want = int(rng_ref.integers(n_actions)) if explore else int(np.argmax(_EPS_TABLE[state]))
        got_action = act(state, 0.3, rng_yours)
        if got_action != want:
            _fail(check, f"your choices are epsilon-greedy on average, but not drawn the way notebook 01 needs: "
                         f"with a generator made from seed 6, epsilon=0.3 and states {states[:k + 1][-4:]} ..., "
                         f"call {k + 1} returned {got_action} where rng.random() < epsilon, then "
                         f"rng.integers({n_actions}) only when exploring, gives {want}. Draw exactly those numbers, in "
                         "that order (no extra draws, no rng.choice over a list of actions, no draw when greedy), so "
                         "that your learner matches dqn_helpers.tabular.q_learning number for number.")
    _ok(check, "greedy with epsilon=0 (first best action on a tie), uniform over all actions with epsilon=1, "
               f"greedy {expected:.3f} of the time with epsilon={epsilon}, randomness only from rng, drawn as "
               "notebook 01 describes")


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
                (r + gamma * nq.max() * (1 - term),
                 "you take one max over the whole batch (next_q_values.max() with no dim), a single number that "
                 "broadcasts to every row; take one max per next state, next_q_values.max(dim=1).values."),
                (r + gamma * nq.argmax(dim=1).float() * (1 - term),
                 "you use argmax, the index of the best action, instead of max, its value."),
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
            wrong_rows = q_values.detach()[actions, 0] if int(actions.max()) < len(a_list) else None
            if wrong_rows is not None:
                for name, fn_loss in (("squared", lambda x: x**2),
                                      ("Huber", lambda x: torch.where(x.abs() < 1, 0.5 * x**2, x.abs() - 0.5))):
                    candidates.append((float(fn_loss(wrong_rows - target).mean()),
                                       f"you gather along dim 0 ({name} error): q_values.gather(0, ...) picks rows by "
                                       "action number. Gather along the action axis: q_values.gather(1, "
                                       "actions.unsqueeze(1)).squeeze(1)."))
            candidates.append((float(((q_values.detach()[:, actions] - target) ** 2).mean()),
                               "q_values[:, actions] picks a (B, B) block, not one value per row; use "
                               "q_values.gather(1, actions.unsqueeze(1)).squeeze(1) or "
                               "q_values[torch.arange(B), actions]."))
            why = _diagnose(got, candidates)
            _fail(check, f"with {shown}, Q(s, a) of the actions taken is {_fmt(chosen)}; the mean squared error "
                         f"is {float(accepted['mse']):.4f} and the Huber loss {float(accepted['huber']):.4f}, "
                         f"but your loss is {got:.4f}.{why}")
        try:
            loss.backward()
        except Exception as err:  # the learner's graph may not allow it
            raise AssertionError(f"{check}: with {shown}, loss.backward() on your loss raised {type(err).__name__}: "
                                 f"{err}. Build the loss from q_values with torch operations only.") from err
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


# After each add() the check overwrites the arrays it handed over, as a loop that reuses
# its observation arrays would: a buffer that keeps references instead of copies shows it.
_SCRIBBLE = -7.0


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
    if torch.any(batch.obs == _SCRIBBLE) or torch.any(batch.next_obs == _SCRIBBLE):
        _fail(check, "a sampled observation changed after add() returned: the check overwrote the arrays it had "
                     "passed to add(), and your buffer shows the new contents. It keeps references to the caller's "
                     "arrays; store copies (np.array(obs), or write into preallocated arrays: self.obs[i] = obs).")
    if not (torch.isfinite(batch.obs).all() and torch.isfinite(batch.next_obs).all()):
        _fail(check, "sample() returned NaN or infinite observations, which were never added: memory from np.empty "
                     "that was never written? Draw indices only from the filled part, range(len(self)).")
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
        obs.fill(_SCRIBBLE)  # the caller reuses its arrays
        next_obs.fill(_SCRIBBLE)

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

    add(buf, 3, obs_shape)  # exactly full: nothing may be evicted yet
    if length(buf) != capacity:
        early = (" Do you evict one transition too early (when the buffer becomes full, instead of when it is "
                 "full and one more comes)?") if length(buf) == capacity - 1 else ""
        _fail(check, f"after {capacity} adds to a buffer of capacity {capacity}, len(buffer) must be {capacity}; yours "
                     f"says {length(buf)}.{early}")
    seen = {i for _ in range(30) for i in _batch_ids(check, _sample(check, buf, 4), 4, obs_shape, 4)}
    if seen != {0, 1, 2, 3}:
        _fail(check, f"after exactly {capacity} adds to a buffer of capacity {capacity} all four transitions must be "
                     f"kept; 30 samples of 4 drew only transitions {[i + 1 for i in sorted(seen)]}. Do you evict "
                     "one transition too early (when the buffer becomes full instead of when it is full and one more "
                     "comes)?")
    add(buf, 4, obs_shape)
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
            with torch.no_grad():  # weights no freshly made network has, whatever its seed
                for p in q_net.parameters():
                    p.add_(0.5 * torch.rand_like(p))
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
                     "target_net.requires_grad_(False), so no optimizer step or backward pass touches them. "
                     "(target_net.eval() does not freeze anything, p.detach() returns a new tensor and leaves p "
                     "as it was, and copying under torch.no_grad() still copies requires_grad=True.)")
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
            (run(lambda s0, s1, d, t: s0 + min((t + 1) / d, 1.0) * (s1 - s0)),
             "you use t + 1: at t = 0 the value must still be `start` (and reach `end` at t = duration)."),
            (run(lambda s0, s1, d, t: s0 + min(t / (d + 1), 1.0) * (s1 - s0)),
             "you divide by duration + 1: the value should reach `end` exactly at t = duration."),
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


# ----------------------------------------------------------------------------
# The agent-environment loop (notebook 00)
# ----------------------------------------------------------------------------


class _StepAfterEnd(Exception):
    """Raised by the check's scripted environment when ``step`` is called after an episode ended."""


class _ScriptedSpace:
    """A ``Discrete(2)``-like action space that notes whether it was sampled."""

    n = 2

    def __init__(self) -> None:
        self.sampled = 0

    def sample(self) -> int:
        self.sampled += 1
        return 0

    def seed(self, seed: int | None = None) -> list[int]:
        return [0 if seed is None else seed]

    def contains(self, x: Any) -> bool:
        return x in (0, 1)


class _ScriptedEnv:
    """An environment whose one episode is written in advance; it records every call.

    The observation at step t is ``[seed, label[t]]`` (float32); some labels repeat, so
    that a next observation can equal the current one, as in a real environment.
    """

    def __init__(self, labels: list[float], rewards: list[float], ending: str) -> None:
        self.labels, self.rewards, self.ending = labels, rewards, ending
        self.action_space = _ScriptedSpace()
        self.resets: list[Any] = []
        self.actions: list[Any] = []
        self.t = -1  # no reset yet
        self.seed_value = 0.0

    def _obs(self) -> np.ndarray:
        return np.array([self.seed_value, self.labels[self.t]], dtype=np.float32)

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[np.ndarray, dict]:
        self.resets.append(seed)
        self.seed_value = float(-1 if seed is None else seed)
        self.t = 0
        return self._obs(), {}

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict]:
        n = len(self.rewards)
        if self.t < 0:
            raise _StepAfterEnd("step() before reset()")
        if self.t >= n:
            raise _StepAfterEnd(f"the episode had already ended with terminated={self.ending == 'terminated'}, "
                                f"truncated={self.ending == 'truncated'}")
        if len(self.actions) > 100:
            raise _StepAfterEnd("more than 100 steps in one call")
        self.actions.append(action)
        reward = self.rewards[self.t]
        self.t += 1
        done = self.t == n
        return self._obs(), reward, done and self.ending == "terminated", done and self.ending == "truncated", {}

    def close(self) -> None:
        pass


def check_episode_loop(fn: Callable[..., float]) -> None:
    """Check a function that plays one whole episode and returns its return.

    Args:
        fn: ``fn(env, policy, seed) -> float``: ``env.reset(seed=seed)``, then
            ``env.step(policy(obs))`` with the current observation until ``terminated or truncated``;
            returns the sum of the rewards of every step (the last one included).

    Raises:
        AssertionError: with a message naming the failing episode and, when it is one, the classic mistake.
    """
    check = "check_episode_loop"
    _require_callable(check, fn)
    cases = [
        # seed, labels of the observations (one more than steps), rewards, how the episode ends
        (3, [0.0, 1.0, 1.0, 2.0, 3.0, 4.0], [1.0, 0.5, 2.0, -1.0, 3.0], "terminated"),
        (11, [5.0, 6.0, 7.0, 7.0, 8.0], [2.0, 2.0, -0.5, 1.25], "truncated"),
        (0, [9.0, 10.0, 11.0, 12.0], [0.25, 1.0, 0.5], "terminated"),
    ]
    for seed, labels, rewards, ending in cases:
        env = _ScriptedEnv(labels, rewards, ending)
        seen: list[np.ndarray] = []
        given: list[int] = []

        def policy(obs: Any) -> int:
            seen.append(np.array(obs, dtype=np.float32, copy=True))
            action = int(np.asarray(obs).ravel()[-1]) % 2
            given.append(action)
            return action

        n = len(rewards)
        shown = (f"an episode of {n} steps (seed={seed}) with rewards {rewards}, ending with "
                 f"{ending}=True on step {n}")
        try:
            got = fn(env, policy, seed)
        except NotImplementedError:
            raise
        except _StepAfterEnd as err:
            if "before reset" in str(err):
                _fail(check, f"in {shown}, you called env.step() before env.reset(seed=seed); an episode starts "
                             "with a reset.")
            if "more than 100" in str(err):
                _fail(check, f"in {shown}, your loop kept stepping (over 100 steps): stop when terminated or "
                             "truncated is True.")
            only = "truncated" if ending == "terminated" else "terminated"
            _fail(check, f"in {shown}, your loop called env.step() again after the episode ended ({err}). Stop as "
                         f"soon as `terminated or truncated` is True; a loop that stops only on {only} (or on "
                         "`terminated and truncated`) runs past this ending.")
        except Exception as err:  # the learner's code may raise anything
            raise AssertionError(f"{check}: calling your function on {shown} raised {type(err).__name__}: {err}\n"
                                 "Hint: obs, info = env.reset(seed=seed), and obs, reward, terminated, truncated, "
                                 "info = env.step(action): five values.") from err
        if not env.resets:
            _fail(check, f"in {shown}, your function never called env.reset(seed=seed).")
        if env.resets[0] != seed or any(r is not None and r != seed for r in env.resets):
            zero = " (seed=0 is a seed too: test `seed is None`, not `if seed:`)" if seed == 0 else ""
            _fail(check, f"in {shown}, you called env.reset with seed={env.resets[0]!r}; pass the seed you were "
                         f"given, env.reset(seed=seed), so the episode can be repeated{zero}.")
        if len(env.resets) > 1:
            _fail(check, f"in {shown}, you called env.reset {len(env.resets)} times; reset once, at the start of "
                         "the episode (a reset in the middle starts a new episode).")
        if len(env.actions) < n:
            _fail(check, f"in {shown}, your loop stopped after {len(env.actions)} steps, before the episode ended: "
                         "keep stepping until terminated or truncated is True.")
        if not seen:
            extra = " (you sampled env.action_space instead)" if env.action_space.sampled else ""
            _fail(check, f"in {shown}, your function never called policy(obs){extra}: the agent is the policy "
                         "you were given, action = policy(obs).")
        expected_obs = [np.array([seed, label], dtype=np.float32) for label in labels[:n]]
        if len(seen) != n or not all(np.array_equal(a, b) for a, b in zip(seen, expected_obs)):
            if len(seen) == n and all(np.array_equal(a, expected_obs[0]) for a in seen):
                _fail(check, f"in {shown}, policy was given the first observation at every step: after each step "
                             "move on, obs = next_obs.")
            k = next((i for i, (a, b) in enumerate(zip(seen, expected_obs)) if not np.array_equal(a, b)),
                     min(len(seen), n))
            _fail(check, f"in {shown}, the policy should be called once per step with the current observation; "
                         f"it was called {len(seen)} times, and at step {k + 1} it got "
                         f"{_fmt(seen[k]) if k < len(seen) else 'nothing'} instead of {_fmt(expected_obs[k])} "
                         "(the observation the last reset or step returned).")
        if [a if isinstance(a, (int, np.integer)) else a for a in env.actions] != given:
            _fail(check, f"in {shown}, the actions you passed to env.step were {env.actions}, but policy(obs) "
                         f"returned {given}: step with the policy's action.")
        if isinstance(got, (bool, np.bool_)) or not isinstance(got, (numbers.Real, np.number)):
            tup = " Return only the sum of the rewards." if isinstance(got, tuple) else ""
            _fail(check, f"in {shown}, you returned {got!r} ({type(got).__name__}); return the episode's return, "
                         f"the sum of its rewards, a float.{tup}")
        total = float(sum(rewards))
        if not np.isclose(float(got), total, atol=1e-9):
            candidates = [
                (float(n), "you count the steps; sum the rewards (on CartPole both give the same number, here "
                           "they do not)."),
                (float(rewards[-1]), "you return the last reward only; add every step's reward, "
                                     "episode_return += reward."),
                (float(sum(rewards[:-1])), "the last step's reward is missing: add the reward before you "
                                           "check whether the episode ended."),
                (float(sum(rewards[1:])), "the first step's reward is missing."),
            ]
            _fail(check, f"in {shown}, the return is {total:g}, yours is {float(got):g}."
                  + _diagnose(float(got), candidates, atol=1e-9))
    _ok(check, f"{len(cases)} episodes (ending terminated and truncated, seed 0 included): reset once with the "
               "seed, the policy called on the current observation, stopped at the end, every reward summed")


# ----------------------------------------------------------------------------
# Double DQN (notebook 07)
# ----------------------------------------------------------------------------


class _Batch(NamedTuple):
    """The fields of a replay batch the target needs (like ``dqn_helpers.ReplayBatch``)."""

    obs: torch.Tensor
    actions: torch.Tensor
    rewards: torch.Tensor
    next_obs: torch.Tensor
    terminated: torch.Tensor


def _double_case() -> tuple[nn.Module, nn.Module, _Batch]:
    """Two small networks that disagree about the best next action in most rows, and a batch."""
    with torch.random.fork_rng():
        torch.manual_seed(7)
        q_net, target_net = _example_net(3, 3), _example_net(3, 3)
        next_obs = torch.randn(6, 3)
        obs = torch.randn(6, 3)
    obs[2] = next_obs[2]  # one transition whose next state is the current one
    target_net.requires_grad_(False)
    batch = _Batch(obs=obs, actions=torch.tensor([0, 2, 1, 1, 0, 2]),
                   rewards=torch.tensor([1.0, 0.5, -1.0, 2.0, 0.0, 1.5]),
                   next_obs=next_obs, terminated=torch.tensor([0.0, 1.0, 0.0, 0.0, 1.0, 0.0]))
    return q_net, target_net, batch


def check_double_dqn_target(fn: Callable[..., torch.Tensor]) -> None:
    """Check a Double DQN TD target, written as a ``DQNHooks.td_target``.

    Args:
        fn: ``fn(batch, q_net, target_net, gamma) -> Tensor (B,)`` with ``batch.rewards`` (B,),
            ``batch.next_obs`` (B, obs_dim) and ``batch.terminated`` (B,) float32 tensors:
            ``rewards + gamma * (1 - terminated) * target_net(next_obs)[i, argmax_a q_net(next_obs)[i, a]]``,
            the online network choosing the next action and the target network valuing it, with no
            gradient (a constant for the loss).

    Raises:
        AssertionError: with a message naming what is wrong and, when it is one, the classic mistake.
    """
    check = "check_double_dqn_target"
    _require_callable(check, fn)
    hint = ("q_net(batch.next_obs).argmax(dim=1, keepdim=True) is (B, 1); target_net(batch.next_obs).gather(1, "
            "that).squeeze(1) is (B,).")
    for gamma in (0.9, 0.5):
        q_net, target_net, batch = _double_case()
        kept = [t.clone() for t in batch]
        online_before = copy.deepcopy(q_net.state_dict())
        target_before = copy.deepcopy(target_net.state_dict())
        shown = f"a batch of {len(batch.rewards)} transitions, gamma={gamma}"
        got = _call(check, fn, (batch, q_net, target_net, gamma), shown, hint)
        for name, before, after in zip(_Batch._fields, kept, batch):
            if not torch.equal(before, after):
                _fail(check, f"your function changed batch.{name} in place; compute new tensors instead.")
        for net, before, name in ((q_net, online_before, "q_net"), (target_net, target_before, "target_net")):
            if any(not torch.equal(v, before[k]) for k, v in net.state_dict().items()):
                _fail(check, f"your function changed {name}'s weights; computing a target only reads the networks.")
        if not isinstance(got, torch.Tensor):
            _fail(check, f"with {shown}, you returned {type(got).__name__}; return a torch tensor of shape (B,).")
        batch_size = len(batch.rewards)
        if tuple(got.shape) != (batch_size,):
            why = ""
            if tuple(got.shape) == (batch_size, 1):
                why = " You kept gather's column: .squeeze(1) it."
            elif tuple(got.shape) == (batch_size, batch_size):
                why = " A (B, 1) column added to (B,) rewards broadcasts to (B, B): .squeeze(1) the gathered values."
            _fail(check, f"with {shown}, the target must have shape ({batch_size},), yours has {tuple(got.shape)}.{why}")
        if got.requires_grad:
            _fail(check, f"with {shown}, your target is connected to the networks' gradients (requires_grad=True): "
                         "the target is a constant for the loss. Compute it under torch.no_grad() (or .detach() "
                         "it), or loss.backward() would also push q_net through its own target.")
        if got.dtype != torch.float32:
            _fail(check, f"the target should be float32, yours is {got.dtype}.")
        with torch.no_grad():
            online_next, target_next = q_net(batch.next_obs), target_net(batch.next_obs)
            online_now = q_net(batch.obs)
        r, term = batch.rewards, batch.terminated
        mask = 1 - term
        pick = online_next.argmax(dim=1)
        rows = torch.arange(batch_size)
        expected = r + gamma * mask * target_next[rows, pick]
        if torch.allclose(got, expected, atol=1e-5):
            continue
        candidates = [
            (r + gamma * mask * target_next.max(dim=1).values,
             "you take the target network's own max: that is plain DQN's target. Double DQN lets the online "
             "network choose, argmax_a q_net(next_obs), and the target network value that choice."),
            (r + gamma * mask * online_next.max(dim=1).values,
             "you choose and value with the online network (q_net's max): the target network must value the action."),
            (r + gamma * mask * online_next[rows, target_next.argmax(dim=1)],
             "the roles are swapped: the target network chooses and the online network values. The online "
             "network q_net chooses, the target network values."),
            (r + gamma * target_next[rows, pick],
             "you bootstrap through terminal transitions: multiply by (1 - terminated)."),
            (r + gamma * term * target_next[rows, pick], "the mask is reversed: (1 - terminated), not terminated."),
            ((r + gamma * target_next[rows, pick]) * mask,
             "you mask the reward too: a terminal transition's target is its reward, r + gamma * (1 - terminated) * ..."),
            (r + gamma * mask * target_next[rows, online_now.argmax(dim=1)],
             "the online network chooses at batch.obs; it must choose at batch.next_obs, the state the target "
             "looks ahead from."),
            (r + mask * target_next[rows, pick], "gamma is missing."),
            (r + gamma * mask * target_next[rows, online_next.argmin(dim=1)], "you use argmin: choose the best, argmax."),
        ]
        why = _diagnose(got.detach().numpy(), [(v.numpy(), h) for v, h in candidates])
        _fail(check, f"with {shown} the targets should be {_fmt(expected)}, yours are {_fmt(got)}.{why}")
    _ok(check, "shape (B,), the online network chooses at next_obs and the target network values, (1 - terminated) "
               "mask, no gradient, batch and networks untouched")


# ----------------------------------------------------------------------------
# The whole DQN loop (notebook 05): check_dqn_loop goes below this line.
# (Written by the owner of notebook 05 and dqn.py; keep this section for it.)
# ----------------------------------------------------------------------------
# ============================================================================
# check_dqn_loop (notebook 05): a learner's whole DQN loop against train_dqn.
# Unlike the checks above, this one needs the package itself (the environment,
# the network, the buffer and train_dqn as the reference): it imports them
# when called, so importing this module still needs only numpy and torch.
# ============================================================================

import contextlib  # noqa: E402  (this section's own imports, kept with it)
import random  # noqa: E402

__all__.append("check_dqn_loop")


def _loop_check_config() -> Any:
    """A short CartPole run where every piece of the loop shows: a time limit of 20 steps (many
    truncations), clipping that bites (max_grad_norm=1), learning_starts a multiple of train_frequency,
    a learning rate that is not Adam's default, and a seed whose rng makes an off-by-one epsilon visible."""
    from .config import DQNConfig

    return DQNConfig(
        env_id="CartPole-v1", env_kwargs={"max_episode_steps": 20}, total_steps=800, learning_rate=2e-3,
        lr_final_fraction=1.0, buffer_size=1_000, batch_size=32, gamma=0.9, learning_starts=100,
        train_frequency=4, gradient_steps=2, target_update_interval=40, tau=1.0, epsilon_start=1.0,
        epsilon_end=0.05, exploration_steps=300, hidden_sizes=(32, 32), loss="huber", max_grad_norm=1.0,
        double_dqn=False, use_replay=True, use_target_network=True, eval_interval=0, keep_best=False, seed=0,
    )


class _LoopStop(BaseException):
    """Raised inside the learner's loop by the check's pieces to stop it (a BaseException, so that a
    learner's ``except Exception`` cannot swallow it)."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message


def _flat_parameters(net: nn.Module) -> np.ndarray:
    return torch.cat([p.detach().reshape(-1) for p in net.parameters()]).numpy().copy()


class _LoopRecord:
    """Everything one run of a loop did, in order; a window ``w`` is the time after the ``w``-th env.step."""

    def __init__(self) -> None:
        self.n_steps = 0
        self.draws: dict[int, list[tuple[str, Any]]] = {}  # window -> [(method, result)]
        self.actions: list[int] = []  # step t -> actions[t - 1]
        self.acting: list[tuple[np.ndarray, int]] = []  # NumPy Q-values and torch's argmax where it acted
        self.flags: list[tuple[bool, bool]] = []  # (terminated, truncated) of each step
        self.resets: list[tuple[int, Any]] = []  # (window, seed)
        self.adds: list[tuple[int, Any, Any, Any, Any, Any]] = []  # (window, obs, action, reward, next_obs, terminated)
        self.samples: list[tuple[int, Any, np.ndarray | None]] = []  # (window, batch_size, q_net's weights)
        self.losses: list[float] = []
        self.episode_returns: list[float] = []
        self.sample_limit: int | None = None
        self.light = False  # True: skip what only the diagnosis of a learner's action needs


class _RecordingBuffer:
    """A :class:`~dqn_helpers.ReplayBuffer` that notes every ``add`` and ``sample`` (and the weights at each sample)."""

    def __new__(cls, capacity: int, obs_shape: tuple[int, ...], seed: int, record: _LoopRecord,
                q_net: nn.Module | None, reference: bool) -> Any:
        from .replay_buffer import ReplayBuffer

        class Recording(ReplayBuffer):
            def add(self, obs, action, reward, next_obs, terminated):  # noqa: ANN001, ANN202
                window = len(record.adds) + 1 if reference else record.n_steps
                record.adds.append((window, np.array(obs, dtype=np.float32, copy=True), action, reward,
                                    np.array(next_obs, dtype=np.float32, copy=True), terminated))
                return super().add(obs, action, reward, next_obs, terminated)

            def sample(self, batch_size):  # noqa: ANN001, ANN202
                window = len(record.adds) if reference else record.n_steps
                record.samples.append((window, batch_size, None if q_net is None else _flat_parameters(q_net)))
                if record.sample_limit is not None and len(record.samples) > record.sample_limit:
                    raise _LoopStop()
                return super().sample(batch_size)

        return Recording(capacity, obs_shape, seed=seed)


class _RecordingRng:
    """The run's NumPy ``Generator``, noting each draw and the window it was made in."""

    def __init__(self, rng: np.random.Generator, record: _LoopRecord) -> None:
        self._rng, self._record = rng, record

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._rng, name)
        if not callable(attribute):
            return attribute

        def draw(*args: Any, **kwargs: Any) -> Any:
            value = attribute(*args, **kwargs)
            self._record.draws.setdefault(self._record.n_steps, []).append((name, value))
            return value

        return draw


class _RecordingEnv:
    """The run's environment: notes resets, actions and what the network would have done there."""

    def __init__(self, env: Any, record: _LoopRecord, q_net: nn.Module, total_steps: int) -> None:
        from .networks import NumpyGreedy

        self.env, self.record, self.q_net, self.total_steps = env, record, q_net, total_steps
        self.greedy = NumpyGreedy(q_net)
        self.action_space, self.observation_space = env.action_space, env.observation_space
        self._obs, self._done = None, True

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[np.ndarray, dict]:
        self.record.resets.append((self.record.n_steps, seed))
        obs, info = self.env.reset(seed=seed, options=options)
        self._obs, self._done = obs, False
        return obs, info

    def step(self, action: Any) -> tuple:
        t = self.record.n_steps + 1
        if self._done:
            if self._obs is None:
                raise _LoopStop(f"your loop called env.step before env.reset: start with obs, _ = "
                                f"env.reset(seed=config.seed).")
            raise _LoopStop(f"at environment step {t} your loop called env.step although the episode had ended "
                            f"at step {t - 1} (terminated={self.record.flags[-1][0]}, "
                            f"truncated={self.record.flags[-1][1]}): reset when terminated or truncated.")
        if t > self.total_steps:
            raise _LoopStop(f"your loop took more than config.total_steps = {self.total_steps} environment steps: "
                            f"loop over steps 1..total_steps, for step in range(1, config.total_steps + 1).")
        if isinstance(action, torch.Tensor) and action.numel() == 1:
            action = action.item()
        try:
            if isinstance(action, (bool, np.bool_, float, np.floating)):
                raise TypeError
            action = operator.index(action)
        except TypeError:
            raise _LoopStop(f"at environment step {t} your loop called env.step({action!r}) "
                            f"({type(action).__name__}); an action is one int, e.g. int(rng.integers(n_actions)) "
                            f"or greedy(obs).") from None
        if not self.record.light:
            q_values = self.greedy.q_values(self._obs)
            with torch.no_grad():
                torch_choice = int(self.q_net(torch.as_tensor(np.asarray(self._obs, dtype=np.float32))).argmax())
            self.record.acting.append((q_values, torch_choice))
        self.record.actions.append(action)
        out = self.env.step(action)
        self.record.n_steps = t
        self.record.flags.append((bool(out[2]), bool(out[3])))
        self._obs, self._done = out[0], bool(out[2] or out[3])
        return out

    def close(self) -> None:
        self.env.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.env, name)


def _loop_pieces(config: Any, record: _LoopRecord) -> tuple[Any, nn.Module, Any, _RecordingRng]:
    """env, q_net, buffer, rng, made with the same random draws as train_dqn makes them."""
    from .envs import make_env
    from .networks import QNetwork
    from .seeding import seed_everything

    rng = seed_everything(config.seed)
    env = make_env(config.env_id, **config.env_kwargs)
    q_net = QNetwork(int(np.prod(env.observation_space.shape)), int(env.action_space.n), config.hidden_sizes)
    buffer = _RecordingBuffer(config.buffer_size, (q_net.obs_dim,), int(rng.integers(2**31)), record, q_net, False)
    return _RecordingEnv(env, record, q_net, config.total_steps), q_net, buffer, _RecordingRng(rng, record)


_REFERENCE_RECORDS: dict[str, _LoopRecord] = {}


def _record_reference(config: Any) -> _LoopRecord:
    """train_dqn itself, with a buffer that takes notes and a TD-target hook doing the loop's own arithmetic.

    The record of a config is kept for the next call: it is read, never changed."""
    key = repr(config)
    if key not in _REFERENCE_RECORDS:
        _REFERENCE_RECORDS[key] = _run_reference(config)
    return _REFERENCE_RECORDS[key]


def _run_reference(config: Any) -> _LoopRecord:
    from .config import DQNHooks
    from .dqn import train_dqn

    record = _LoopRecord()
    weights: list[np.ndarray] = []

    def td_target(batch: Any, q_net: nn.Module, target_net: nn.Module, gamma: float) -> torch.Tensor:
        weights.append(_flat_parameters(q_net))
        next_value = target_net(batch.next_obs).max(dim=1).values  # (B,), as dqn_update computes it
        return batch.rewards + gamma * (1.0 - batch.terminated) * next_value

    hooks = DQNHooks(make_buffer=lambda capacity, shape, seed: _RecordingBuffer(capacity, shape, seed, record, None, True),
                     td_target=td_target)
    result = train_dqn(config, progress=False, hooks=hooks)
    record.samples = [(w, b, q) for (w, b, _), q in zip(record.samples, weights)]
    record.actions = [int(add[2]) for add in record.adds]
    record.losses = result.losses.tolist()
    record.episode_returns = result.episode_returns.tolist()
    record.n_steps = result.steps_done
    return record


def _reference_draws(config: Any, n_steps: int) -> list[tuple[float, float, int | None]]:
    """(rng.random(), epsilon, random action or None) of each step of train_dqn, from its generator alone."""
    from .schedules import linear_schedule

    rng = np.random.default_rng(config.seed)
    rng.integers(2**31)  # the buffer's seed
    draws = []
    for t in range(1, n_steps + 1):
        u = rng.random()
        epsilon = linear_schedule(config.epsilon_start, config.epsilon_end, config.exploration_steps, t - 1)
        draws.append((u, epsilon, int(rng.integers(2)) if u < epsilon else None))
    return draws


def _mini_dqn_loop(config: Any, env: Any, q_net: nn.Module, buffer: Any, rng: Any, mistake: str | None = None,
                   losses: list[float] | None = None) -> tuple[list[float], list[float]]:
    """The loop as notebook 05 writes it, with one classic ``mistake`` made on purpose (None: none).

    Only used to name a learner's mistake: the one whose run reproduces the learner's run exactly."""
    import torch.nn.functional as F

    from .networks import NumpyGreedy
    from .schedules import linear_schedule

    losses = [] if losses is None else losses
    target_net = q_net if mistake in ("target_is_q_net", "target_carries_gradients") else copy.deepcopy(q_net)
    for param in target_net.parameters() if target_net is not q_net else ():
        param.requires_grad_(False)
    lr = 1e-3 if mistake == "default_learning_rate" else config.learning_rate
    optimizer = torch.optim.Adam(q_net.parameters(), lr=lr, fused=mistake != "unfused_adam")
    greedy = NumpyGreedy(q_net)

    def copy_target() -> None:
        if target_net is not q_net:
            with torch.no_grad():
                for target_param, param in zip(target_net.parameters(), q_net.parameters()):
                    target_param.copy_(param)

    def gradient_step(batch: Any) -> float:
        with contextlib.nullcontext() if mistake == "target_carries_gradients" else torch.no_grad():
            if mistake == "double_dqn":
                best = q_net(batch.next_obs).argmax(dim=1, keepdim=True)
                next_value = target_net(batch.next_obs).gather(1, best).squeeze(1)
            else:
                next_value = target_net(batch.next_obs).max(dim=1).values
            mask = 1.0 if mistake == "no_terminated_mask" else 1.0 - batch.terminated
            td_target = batch.rewards + config.gamma * mask * next_value
        q_values = q_net(batch.obs)
        if mistake == "max_instead_of_taken_action":
            q_taken = q_values.max(dim=1).values
        else:
            q_taken = q_values.gather(1, batch.actions.unsqueeze(1)).squeeze(1)
        loss = (F.mse_loss if mistake == "mse_loss" else F.smooth_l1_loss)(q_taken, td_target)
        if mistake != "no_zero_grad":
            optimizer.zero_grad()
        loss.backward()
        if mistake != "no_clipping":
            nn.utils.clip_grad_norm_(q_net.parameters(), config.max_grad_norm)
        optimizer.step()
        return loss.item()

    episode_returns, episode_return = [], 0.0
    obs, _ = env.reset(seed=config.seed)
    for step in range(1, config.total_steps + 1):
        epsilon = linear_schedule(config.epsilon_start, config.epsilon_end, config.exploration_steps, step - 1)
        action = int(rng.integers(env.action_space.n)) if rng.random() < epsilon else greedy(obs)
        next_obs, reward, terminated, truncated, _ = env.step(action)
        buffer.add(obs, action, reward, next_obs, terminated)
        episode_return += reward
        if terminated or truncated:
            episode_returns.append(episode_return)
            obs, _ = env.reset()
            episode_return = 0.0
        else:
            obs = next_obs
        update_target = step % config.target_update_interval == 0
        if mistake == "target_update_before_training" and update_target:
            copy_target()
        if step >= config.learning_starts and step % config.train_frequency == 0:
            for _ in range(config.gradient_steps):
                losses.append(gradient_step(buffer.sample(config.batch_size)))
        if mistake == "target_update_every_step" or (update_target and mistake not in (
                "target_never_updated", "target_update_before_training")):
            copy_target()
    return losses, episode_returns


_LOOP_MISTAKES = {
    "no_terminated_mask": "your TD target bootstraps past the end of an episode: multiply the next value by "
                          "(1 - batch.terminated), so that a fall is worth its reward alone.",
    "target_is_q_net": "your TD target comes from q_net itself, not from the frozen target network (or your "
                       "target_net is q_net, not a copy): compute it with target_net = make_target_network(q_net).",
    "target_carries_gradients": "gradients flow into the TD target: it is computed from q_net outside "
                                "torch.no_grad(), so backward() also pushes the target towards the prediction. "
                                "Compute it from target_net, under torch.no_grad().",
    "target_update_before_training": "your target network is updated one round too early: before the gradient "
                                     "steps of the same environment step. Update it after them, when step % "
                                     "target_update_interval == 0.",
    "target_never_updated": "your target network never changes: copy q_net into it (polyak_update with tau) "
                            "every target_update_interval environment steps.",
    "target_update_every_step": "your target network is updated after every environment step, not every "
                                "target_update_interval steps.",
    "mse_loss": "you use the squared error; DQN here uses the Huber loss, F.smooth_l1_loss (config.loss).",
    "max_instead_of_taken_action": "your prediction is max_a Q(s, a); it must be Q(s, a) of the action taken: "
                                   "q_net(batch.obs).gather(1, batch.actions.unsqueeze(1)).squeeze(1).",
    "no_clipping": "the gradient is not clipped (or it is clipped after optimizer.step()): call "
                   "nn.utils.clip_grad_norm_(q_net.parameters(), config.max_grad_norm) between backward() and step().",
    "no_zero_grad": "gradients add up from one step to the next: call optimizer.zero_grad() before backward().",
    "unfused_adam": "your Adam rounds differently from train_dqn's: make it with "
                    "torch.optim.Adam(q_net.parameters(), lr=config.learning_rate, fused=True).",
    "default_learning_rate": "your Adam uses its default learning rate 1e-3, not config.learning_rate.",
    "double_dqn": "you use the Double DQN target (the online network picks the next action); this loop is "
                  "Algorithm 1, whose target is max_a' Q_target(s', a').",
}


def _loop_result(check: str, returned: Any) -> tuple[list[float], list[float]]:
    """The learner's ``(losses, episode_returns)`` as two lists of floats, or a message."""
    if not isinstance(returned, (tuple, list)) or len(returned) != 2:
        _fail(check, f"your loop returned {type(returned).__name__} {_fmt(returned)[:80]}; return two lists: "
                     "return losses, episode_returns.")
    out = []
    for name, values in zip(("losses", "episode_returns"), returned):
        try:
            out.append([float(v) for v in values])
        except (TypeError, ValueError, RuntimeError):
            _fail(check, f"your loop's {name} should be a list of numbers (loss.item(), not the loss tensor), "
                         f"got {type(values).__name__}.")
    return out[0], out[1]


def _run_learner_loop(check: str, fn: Callable[..., Any], config: Any) -> _LoopRecord:
    record = _LoopRecord()
    env, q_net, buffer, rng = _loop_pieces(config, record)
    try:
        returned = fn(config, env, q_net, buffer, rng)
    except NotImplementedError:
        raise
    except _LoopStop as stop:
        _fail(check, stop.message)
    except Exception as err:  # the learner's code may raise anything
        _fail(check, f"your loop raised {type(err).__name__} at environment step {record.n_steps + 1}: {err}")
    finally:
        env.close()
    record.losses, record.episode_returns = _loop_result(check, returned)
    return record


def _replay_mistake(config: Any, mistake: str, n_samples: int) -> _LoopRecord:
    """The first ``n_samples`` gradient steps of the loop with ``mistake`` made."""
    record = _LoopRecord()
    record.sample_limit, record.light = n_samples, True
    env, q_net, buffer, rng = _loop_pieces(config, record)
    try:
        _mini_dqn_loop(config, env, q_net, buffer, rng, mistake, losses=record.losses)
    except _LoopStop:
        pass
    finally:
        env.close()
    return record


# Which mistakes can show first as a wrong loss (on right weights), which as a wrong update (after a right loss).
_LOSS_MISTAKES = ("no_terminated_mask", "target_is_q_net", "target_update_before_training", "target_never_updated",
                  "target_update_every_step", "mse_loss", "max_instead_of_taken_action", "double_dqn")
_UPDATE_MISTAKES = ("target_carries_gradients", "no_clipping", "no_zero_grad", "unfused_adam", "default_learning_rate")


def _name_the_mistake(config: Any, learner: _LoopRecord, k: int, candidates: tuple[str, ...]) -> str:
    """The classic mistakes whose runs reproduce the learner's up to gradient step ``k`` (and a little beyond)."""
    n = min(k + 3, len(learner.samples), len(learner.losses))
    matches = []
    for mistake in candidates:
        hint = _LOOP_MISTAKES[mistake]
        replay = _replay_mistake(config, mistake, n)
        if (len(replay.losses) >= n and len(replay.samples) >= n
                and replay.losses[:n] == learner.losses[:n]
                and all(np.array_equal(a[2], b[2]) for a, b in zip(replay.samples[:n], learner.samples[:n]))):
            matches.append(hint)
    if not matches:
        return ("\nNone of the classic mistakes (terminated mask, target network and its updates, loss, "
                "clipping, zero_grad, Adam's settings) reproduces it; compare your gradient step line by line "
                "with the algorithm above.")
    if len(matches) == 1:
        return f"\nThat is exactly what a loop gives when {matches[0]}"
    return "\nThese mistakes each reproduce your run exactly:\n" + "\n".join(f"- {m}" for m in matches)


def _describe_draws(draws: list[tuple[str, Any]]) -> str:
    return ", ".join(f"rng.{name}() -> {_fmt(value)}" for name, value in draws) or "no draw from rng"


def _compare_acting(check: str, config: Any, learner: _LoopRecord, reference: _LoopRecord,
                    ref_draws: list[tuple[float, float, int | None]], t: int) -> None:
    """Step ``t``'s epsilon-greedy choice: the draws from rng, then the action."""
    u, epsilon, random_action = ref_draws[t - 1]
    expected = [("random", u)] + ([("integers", random_action)] if random_action is not None else [])
    draws = learner.draws.get(t - 1, [])
    action, ref_action = learner.actions[t - 1], reference.actions[t - 1]
    where = f"at environment step {t}"
    rule = (f"epsilon = linear_schedule(epsilon_start, epsilon_end, exploration_steps, step - 1) = {epsilon:.4f} "
            f"(step - 1 = {t - 1} steps taken before this one)")
    if [name for name, _ in draws] != [name for name, _ in expected] or (draws and draws[0][1] != u):
        if draws and draws[0][0] == "random" and draws[0][1] == u and len(draws) <= 2:
            if random_action is not None and len(draws) == 1:
                greedy_action = int(np.argmax(learner.acting[t - 1][0]))
                other_source = ("draw the random action with rng.integers(n_actions), not with "
                                "env.action_space.sample(), np.random or random")
                if action != greedy_action:
                    _fail(check, f"{where} rng.random() gave {u:.4f} < {rule}, so the agent explores, and you "
                                 f"took a random action without drawing it from rng: {other_source}.")
                _fail(check, f"{where} rng.random() gave {u:.4f} < {rule}, so the agent explores, but your loop "
                             f"drew nothing more from rng and took the greedy action {action}: either your "
                             f"epsilon is too small here, or you explored without rng ({other_source})."
                             f"{_epsilon_hint(config, t, u, explored=False)}")
            if random_action is None and len(draws) == 2 and draws[1][0] == "integers":
                _fail(check, f"{where} rng.random() gave {u:.4f} >= {rule}, so the agent acts greedily, but you "
                             f"drew a random action.{_epsilon_hint(config, t, u, explored=True)}")
        _fail(check, f"{where} train_dqn draws {_describe_draws(expected)}; your loop drew {_describe_draws(draws)}. "
                     "Draw only from the rng passed to your loop, in this order: rng.random() < epsilon, then "
                     "(to explore) rng.integers(n_actions); not np.random, random or env.action_space.sample().")
    if action != ref_action:
        if random_action is not None:
            _fail(check, f"{where} you drew the random action {random_action} but stepped with {action}.")
        q_values, torch_choice = learner.acting[t - 1]
        order = np.sort(q_values)
        gap = float(order[-1] - order[-2]) if order.size > 1 else float("inf")
        if action == torch_choice and gap <= 1e-5 * max(1.0, float(np.abs(q_values).max())):
            _fail(check, f"{where} the two best Q-values are a near tie, {_fmt(q_values)} (apart by {gap:.2g}), and "
                         f"your torch forward pass rounded them the other way from train_dqn's NumPy one: act with "
                         f"greedy = NumpyGreedy(q_net), greedy(obs), which computes the same argmax with NumPy.")
        _fail(check, f"{where} the agent acts greedily, and Q(obs, .) = {_fmt(q_values)} so the greedy action is "
                     f"{ref_action}; you took {action}. Take argmax_a Q(obs, a) of the current obs with q_net "
                     f"(not the target network, not argmin).")


def _epsilon_hint(config: Any, t: int, u: float, explored: bool) -> str:
    from .schedules import linear_schedule

    def eps(n: int) -> float:
        return linear_schedule(config.epsilon_start, config.epsilon_end, config.exploration_steps, max(n, 0))

    if (u < eps(t)) == explored:
        return (" That is what epsilon = linear_schedule(..., step) gives: an off-by-one, the schedule's t counts "
                "the steps taken before this one, step - 1.")
    if (u < eps(t - 2)) == explored:
        return " That is what a schedule one step behind gives (step - 2, or a step counter advanced late)."
    if explored and u < config.epsilon_start:
        return " Does your epsilon ever decay? It should fall linearly over exploration_steps environment steps."
    return " Check your epsilon schedule: it counts environment steps, not episodes or gradient steps."


def _compare_transition(check: str, learner: _LoopRecord, reference: _LoopRecord, t: int) -> None:
    """Step ``t``'s stored transition."""
    mine = [a for a in learner.adds if a[0] == t]
    where = f"at environment step {t}"
    if len(mine) != 1:
        _fail(check, f"{where} your loop stored {len(mine)} transitions; store exactly one per step, "
                     "buffer.add(obs, action, reward, next_obs, terminated), right after env.step.")
    _, obs, action, reward, next_obs, terminated = mine[0]
    _, ref_obs, ref_action, ref_reward, ref_next, ref_terminated = reference.adds[t - 1]
    term, trunc = learner.flags[t - 1]
    if not np.array_equal(obs, ref_obs):
        why = ""
        if t >= 2 and np.array_equal(obs, reference.adds[t - 2][1]):
            why = " It is the observation of step t - 1: after storing, move on with obs = next_obs."
        elif np.array_equal(obs, ref_next):
            why = " It is the next observation: store the one the action was taken in."
        _fail(check, f"{where} the stored obs {_fmt(obs)} is not the observation the action was taken in, "
                     f"{_fmt(ref_obs)}.{why}")
    try:
        same_action = operator.index(action) == ref_action
    except TypeError:
        same_action = False
    if not same_action:
        _fail(check, f"{where} you stored action {action!r}, but the action taken was {ref_action}.")
    try:
        same_reward = float(reward) == float(ref_reward)
        stored_terminated = float(terminated)
    except (TypeError, ValueError, RuntimeError):
        _fail(check, f"{where} store the reward and terminated as numbers, got {reward!r} and {terminated!r}.")
    if not same_reward:
        _fail(check, f"{where} you stored reward {reward!r}; env.step returned {ref_reward!r}.")
    if not np.array_equal(next_obs, ref_next):
        why = ""
        if t < len(reference.adds) and np.array_equal(next_obs, reference.adds[t][1]) and (term or trunc):
            why = (" It is the first observation of the next episode: store the real next_obs that env.step "
                   "returned, then reset.")
        _fail(check, f"{where} the stored next_obs {_fmt(next_obs)} is not what env.step returned, "
                     f"{_fmt(ref_next)}.{why}")
    if stored_terminated != float(ref_terminated):
        if trunc and not term:
            _fail(check, f"{where} the time limit cut the episode (truncated=True, terminated=False) and you stored "
                         "terminated=True: that stops the bootstrap at a state that still had a future. Store "
                         "terminated alone.")
        _fail(check, f"{where} you stored terminated={terminated!r}, but env.step said terminated={term}.")


def check_dqn_loop(fn: Callable[..., Any]) -> None:
    """Check a complete DQN loop ``fn(config, env, q_net, buffer, rng) -> (losses, episode_returns)`` against train_dqn.

    The check makes the pieces as ``train_dqn`` makes them (same seeds, same
    order of random draws), runs your loop and ``train_dqn`` on a short
    CartPole run (800 steps, a time limit of 20 steps so that truncations
    happen), and compares them step by step: the random draws and the action,
    the stored transition, when and how much the loop samples, the network's
    weights before each gradient step, each loss, and the episode returns.  At
    the first difference it says which step, which quantity, and, when one of
    the classic mistakes reproduces your run exactly, which mistake.
    """
    check = "check_dqn_loop"
    _require_callable(check, fn)
    states = random.getstate(), np.random.get_state(), torch.get_rng_state()
    try:
        config = _loop_check_config()
        reference = _record_reference(config)
        learner = _run_learner_loop(check, fn, config)
        _compare_loops(check, config, learner, reference)
    finally:
        random.setstate(states[0])
        np.random.set_state(states[1])
        torch.set_rng_state(states[2])
    _ok(check, f"the same actions, stored transitions, mini-batches, weights, {len(reference.losses)} losses and "
               f"{len(reference.episode_returns)} episode returns as train_dqn, bit for bit, over "
               f"{config.total_steps:,} CartPole steps (with {sum(t for _, t in learner.flags)} time-limit cuts)")


def _compare_loops(check: str, config: Any, learner: _LoopRecord, reference: _LoopRecord) -> None:
    if not learner.resets or learner.resets[0] != (0, config.seed):
        _fail(check, f"start with obs, _ = env.reset(seed=config.seed); your first reset was "
                     f"{'env.reset(seed=%r)' % learner.resets[0][1] if learner.resets else 'missing'}.")
    ref_draws = _reference_draws(config, reference.n_steps)
    k = 0  # the next gradient step to compare
    for t in range(1, reference.n_steps + 1):
        if t > learner.n_steps:
            _fail(check, f"your loop stopped after {learner.n_steps} environment steps; it should take "
                         f"config.total_steps = {config.total_steps}.")
        _compare_acting(check, config, learner, reference, ref_draws, t)
        _compare_transition(check, learner, reference, t)
        mine = [s for s in learner.samples if s[0] == t]
        ref = [s for s in reference.samples if s[0] == t]
        if len(mine) != len(ref):
            _fail(check, _sampling_message(config, t, len(mine), len(ref)))
        for (_, batch_size, weights), (_, ref_batch_size, ref_weights) in zip(mine, ref):
            if batch_size != ref_batch_size:
                _fail(check, f"at environment step {t} you sampled a batch of {batch_size!r}; sample "
                             f"config.batch_size = {ref_batch_size}.")
            where = f"at environment step {t}, gradient step {k + 1}"
            if not np.array_equal(weights, ref_weights):
                if k == 0:
                    _fail(check, f"{where}: q_net's weights changed before the first gradient step. Train the "
                                 "q_net passed to your loop, and only with optimizer.step().")
                _fail(check, f"{where}: the loss of gradient step {k} was right, but the weights it left behind "
                             f"differ from train_dqn's: the update itself differs (backward, clipping, "
                             f"optimizer.step()).{_name_the_mistake(config, learner, k, _UPDATE_MISTAKES)}")
            if k >= len(learner.losses):
                _fail(check, f"your loop returned {len(learner.losses)} losses for {len(learner.samples)} "
                             "sampled mini-batches: append loss.item() once per gradient step.")
            if learner.losses[k] != reference.losses[k]:
                _fail(check, f"{where}: your loss is {learner.losses[k]:.6g}, train_dqn's {reference.losses[k]:.6g}, "
                             f"on the same mini-batch and the same weights: the TD target, the loss or the target "
                             f"network differs.{_name_the_mistake(config, learner, k, _LOSS_MISTAKES)}")
            k += 1
    if len(learner.losses) != len(reference.losses):
        _fail(check, f"your loop returned {len(learner.losses)} losses; it took {len(reference.losses)} gradient "
                     "steps: append loss.item() once per gradient step, nothing else.")
    mine, ref = np.array(learner.episode_returns), np.array(reference.episode_returns)
    if not np.array_equal(mine, ref):
        ends = [t for t, (term, trunc) in enumerate(learner.flags, 1) if term or trunc]
        n = min(mine.size, ref.size)
        first = int(np.flatnonzero(mine[:n] != ref[:n])[0]) if np.any(mine[:n] != ref[:n]) else n
        hint = ""
        n_terminated = sum(term for term, _ in learner.flags)
        if mine.size == n_terminated < ref.size:
            hint = " You count an episode only when it terminated: a time-limit cut (truncated) ends one too."
        elif first < n and mine[first] > ref[first]:
            hint = " Reset the running return to 0 when an episode ends."
        _fail(check, f"every step matched, but your episode_returns differ from the episodes' returns: you returned "
                     f"{mine.size} of them, there were {len(ends)} episodes; first difference at episode "
                     f"{first + 1}: yours {_fmt(mine[first]) if first < mine.size else 'missing'}, expected "
                     f"{_fmt(ref[first]) if first < ref.size else 'none'}.{hint}")


def _sampling_message(config: Any, t: int, mine: int, ref: int) -> str:
    rule = (f"train_dqn takes config.gradient_steps = {config.gradient_steps} gradient steps, each on "
            f"buffer.sample(config.batch_size), after every step with step >= learning_starts = "
            f"{config.learning_starts} and step % train_frequency = {config.train_frequency} == 0 (steps counted "
            f"from 1)")
    if ref == 0 and t < config.learning_starts:
        return f"at environment step {t} you sampled {mine} mini-batches, before learning_starts. {rule}."
    if ref == 0:
        return f"at environment step {t} you sampled {mine} mini-batches; train_dqn does not train there. {rule}."
    if mine == 0:
        hint = ""
        if t == config.learning_starts:
            hint = " Starting one round late looks like step > learning_starts where step >= learning_starts belongs."
        return f"at environment step {t} train_dqn trains and your loop sampled nothing. {rule}.{hint}"
    return f"at environment step {t} you sampled {mine} mini-batches, train_dqn {ref}. {rule}."
