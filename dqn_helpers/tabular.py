"""Tabular methods: value iteration (the ground truth) and TD control with a Q-table.

Everything here works on environments with a finite set of states and of
actions (``gymnasium.spaces.Discrete`` for both), such as ``FrozenLake-v1``,
``Taxi-v4`` and ``CliffWalking-v1``.

- :func:`value_iteration` solves the Bellman optimality equation on the
  environment's own model (``env.unwrapped.P``) and returns ``Q*``.
- :func:`policy_value` computes, exactly, what a fixed policy earns (within a
  time limit if you give one).
- :func:`q_learning`, :func:`sarsa` and :func:`expected_sarsa` learn a Q-table
  from experience.  They are one loop, :func:`td_control`, that differs only
  in the TD target (``rule``).
- :func:`greedy_policy` reads the greedy action of every state off a Q-table.

Speed.  The learners are plain Python loops.  When the environment carries its
transition table (``env.unwrapped.P``, as Gymnasium's toy-text environments
do) they draw each transition from that table themselves, exactly as the
environment's ``step`` would, random number for random number, instead of
going through ``env.step`` and its wrappers; ``use_model=False`` steps the
environment instead and gives the same Q-table (see the tests).  The learner
never reads the probabilities: it only sees sampled transitions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Literal, NamedTuple

import gymnasium as gym
import numpy as np

from .envs import time_limit  # defined there (evaluation needs it too); part of this module's API as before
from .validation import check_bool, check_callable, check_choice, check_int, check_number, check_positive_int, check_seed, describe

__all__ = [
    "TabularModel",
    "TDResult",
    "epsilon_greedy",
    "expected_sarsa",
    "greedy_path",
    "greedy_policy",
    "policy_value",
    "q_learning",
    "sarsa",
    "suboptimal_states",
    "tabular_model",
    "td_control",
    "time_limit",
    "value_iteration",
]

Rule = Literal["q_learning", "sarsa", "expected_sarsa"]
RULES = ("q_learning", "sarsa", "expected_sarsa")


# ---------------------------------------------------------------------------
# Checking what comes in
# ---------------------------------------------------------------------------
def _check_discrete(env: gym.Env) -> tuple[int, int]:
    """Return ``(n_states, n_actions)`` or raise if a space is not ``Discrete``."""
    if not isinstance(env, gym.Env):
        raise TypeError(f"env must be a gymnasium.Env (from make_env or gym.make), got {type(env).__name__}")
    for name, space in (("observation_space", env.observation_space), ("action_space", env.action_space)):
        if not isinstance(space, gym.spaces.Discrete):
            raise ValueError(
                f"env.{name} must be Discrete (a finite set numbered 0..n-1) for a Q-table, got {space}; "
                "tabular methods need environments such as FrozenLake-v1, Taxi-v4 or CliffWalking-v1"
            )
        if space.start != 0:
            raise ValueError(f"env.{name} must number its elements from 0, got start={space.start}")
    return int(env.observation_space.n), int(env.action_space.n)


def _q_table(q: object, name: str = "q") -> np.ndarray:
    """``q`` as a float64 array of shape ``(n_states, n_actions)`` with no NaN, else a clear error."""
    try:
        table = np.asarray(q)
    except ValueError:  # rows of different lengths
        raise ValueError(f"{name} must have shape (n_states, n_actions), rows of equal length, got {describe(q)}") from None
    if table.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a Q-table of numbers, shape (n_states, n_actions), got {describe(q)}")
    table = table.astype(np.float64, copy=False)
    if table.ndim != 2 or table.shape[0] == 0 or table.shape[1] == 0:
        raise ValueError(f"{name} must have shape (n_states, n_actions), got {table.shape}")
    if np.isnan(table).any():
        raise ValueError(f"{name} holds NaN at {np.argwhere(np.isnan(table))[0].tolist()}")
    return table


def _policy_array(policy: object, n_states: int, n_actions: int) -> np.ndarray:
    """``policy`` as an int array ``(n_states,)`` of actions in ``0..n_actions-1``, else a clear error."""
    array = np.asarray(policy)
    if array.dtype == bool or not np.issubdtype(array.dtype, np.integer):
        raise TypeError(f"policy must be an int array of shape ({n_states},) (e.g. greedy_policy(q)), got dtype {array.dtype}")
    if array.shape != (n_states,):
        raise ValueError(f"policy must be an int array of shape ({n_states},), got shape {array.shape}")
    if array.min() < 0 or array.max() >= n_actions:
        raise ValueError(f"policy holds actions outside 0..{n_actions - 1}")
    return array


# ---------------------------------------------------------------------------
# The environment's model
# ---------------------------------------------------------------------------
@dataclass
class TabularModel:
    """The environment's transition table ``env.unwrapped.P`` as arrays.

    Attributes:
        reward: expected immediate reward ``r(s, a)``, shape ``(n_states, n_actions)``, float64.
        transition: probability of moving to ``s'`` *and going on* (not
            terminated), shape ``(n_states, n_actions, n_states)``, float64.
            Rows sum to less than 1 where an episode can end.
        initial: the start-state distribution, shape ``(n_states,)``.
    """

    reward: np.ndarray
    transition: np.ndarray
    initial: np.ndarray


def _model_table(env: gym.Env):
    """``env.unwrapped.P`` if the environment has one and steps by it, else ``None``."""
    inner = env.unwrapped
    table = getattr(inner, "P", None)
    if table is None or getattr(inner, "initial_state_distrib", None) is None:
        return None
    if getattr(inner, "fickle_passenger", False):  # Taxi's fickle passenger moves outside P
        return None
    return table


def tabular_model(env: gym.Env) -> TabularModel:
    """Read the environment's own model (``env.unwrapped.P``) into arrays.

    Raises:
        ValueError: if a space is not ``Discrete`` or the environment has no
            transition table (only model-based methods need one).
    """
    n_states, n_actions = _check_discrete(env)
    table = _model_table(env)
    if table is None:
        raise ValueError(
            f"env {env.spec.id if env.spec else env} has no transition table env.unwrapped.P; "
            "value iteration needs the model (toy-text environments such as FrozenLake-v1 have one)"
        )
    reward = np.zeros((n_states, n_actions))
    transition = np.zeros((n_states, n_actions, n_states))
    for s in range(n_states):
        for a in range(n_actions):
            for prob, next_s, r, terminated in table[s][a]:
                reward[s, a] += prob * r
                if not terminated:
                    transition[s, a, next_s] += prob
    initial = np.asarray(env.unwrapped.initial_state_distrib, dtype=np.float64).copy()
    return TabularModel(reward=reward, transition=transition, initial=initial)


# ---------------------------------------------------------------------------
# Dynamic programming: the ground truth
# ---------------------------------------------------------------------------
def value_iteration(
    env: gym.Env,
    gamma: float,
    tol: float = 1e-10,
    *,
    horizon: int | None = None,
    max_iterations: int = 100_000,
) -> np.ndarray:
    """Solve the Bellman optimality equation by repeated backups.

    .. math:: Q(s,a) \\leftarrow r(s,a) + \\gamma \\sum_{s'} p(s' \\mid s,a)\\, \\max_{a'} Q(s',a')

    where the sum runs over transitions that do not end the episode.

    Args:
        env: an environment with ``Discrete`` spaces and a transition table
            ``env.unwrapped.P``.
        gamma: discount factor in ``[0, 1]``.  ``gamma = 1`` converges when
            every policy ends its episodes (or, as on FrozenLake, rewards come
            only at the end).
        tol: stop when no entry of Q moves by more than this.
        horizon: if given, do exactly ``horizon`` backups from ``Q = 0``
            instead: the result is the optimal Q with ``horizon`` steps left
            (a time limit), and ``tol`` is ignored.
        max_iterations: give up (``RuntimeError``) after this many backups.

    Returns:
        ``Q*``, float64 array of shape ``(n_states, n_actions)``.
    """
    gamma = check_number(gamma, "gamma", 0.0, 1.0)
    tol = check_number(tol, "tol", 0.0, np.inf, low_open=True)
    if horizon is not None:
        horizon = check_positive_int(horizon, "horizon")
    max_iterations = check_positive_int(max_iterations, "max_iterations")
    model = tabular_model(env)
    q = np.zeros_like(model.reward)
    for iteration in range(horizon or max_iterations):
        new_q = model.reward + gamma * model.transition @ q.max(axis=1)
        delta = np.abs(new_q - q).max()
        q = new_q
        if horizon is None and delta < tol:
            return q
    if horizon is None:
        raise RuntimeError(f"value iteration did not converge to tol={tol:g} in {max_iterations} backups")
    return q


def policy_value(
    env: gym.Env | TabularModel,
    policy: np.ndarray,
    gamma: float = 1.0,
    *,
    horizon: int | None = None,
    tol: float = 1e-10,
    max_iterations: int = 100_000,
) -> np.ndarray:
    """Exact expected return of a deterministic policy, state by state.

    Args:
        env: an environment with a transition table, as for :func:`value_iteration`,
            or its :func:`tabular_model` (faster when you call this often).
        policy: the action taken in each state, int array of shape ``(n_states,)``
            (for example ``greedy_policy(q)``).
        gamma: discount factor in ``[0, 1]``.
        horizon: the number of steps the episode may still last (e.g. the
            environment's time limit, ``time_limit(env)``); ``None`` for no limit.

    Returns:
        ``V``, float64 array of shape ``(n_states,)``: the expected
        (discounted) return from each state.  ``model.initial @ V`` is the
        expected return of a whole episode.
    """
    gamma = check_number(gamma, "gamma", 0.0, 1.0)
    if horizon is not None:
        horizon = check_positive_int(horizon, "horizon")
    tol = check_number(tol, "tol", 0.0, low_open=True)
    max_iterations = check_positive_int(max_iterations, "max_iterations")
    model = env if isinstance(env, TabularModel) else tabular_model(env)
    n_states, n_actions = model.reward.shape
    policy = _policy_array(policy, n_states, n_actions)
    states = np.arange(n_states)
    reward, transition = model.reward[states, policy], model.transition[states, policy]
    v = np.zeros(n_states)
    for _ in range(horizon or max_iterations):
        new_v = reward + gamma * transition @ v
        delta = np.abs(new_v - v).max()
        v = new_v
        if horizon is None and delta < tol:
            return v
    if horizon is None:
        raise RuntimeError(f"policy evaluation did not converge in {max_iterations} sweeps; give a horizon")
    return v


def greedy_policy(q: np.ndarray) -> np.ndarray:
    """The greedy action of every state: ``argmax_a q[s, a]`` (the first one on ties).

    Args:
        q: Q-table, shape ``(n_states, n_actions)``.

    Returns:
        int64 array of shape ``(n_states,)``.
    """
    return _q_table(q).argmax(axis=1).astype(np.int64)


def greedy_path(env: gym.Env, policy: np.ndarray, max_steps: int = 100) -> list[int]:
    """The states a deterministic environment visits under ``policy``, from its start.

    Args:
        env: an environment whose every move has one outcome (``CliffWalking-v1``,
            ``FrozenLake-v1`` with ``is_slippery=False``, ``Taxi-v4``) and one start state.
        policy: int array ``(n_states,)``, e.g. ``greedy_policy(q)``.
        max_steps: stop after this many moves (a policy may walk in circles).

    Returns:
        The visited states, start first, goal (or the state after ``max_steps``) last.
    """
    n_states, n_actions = _check_discrete(env)
    policy = _policy_array(policy, n_states, n_actions)
    max_steps = check_positive_int(max_steps, "max_steps")
    table = _model_table(env)
    initial = np.asarray(getattr(env.unwrapped, "initial_state_distrib", []))
    if table is None or np.count_nonzero(initial) != 1:
        raise ValueError("greedy_path needs an environment with a transition table and a single start state")
    state = int(initial.argmax())
    path = [state]
    for _ in range(max_steps):
        outcomes = table[state][int(policy[state])]
        if len(outcomes) != 1:
            raise ValueError(f"state {state} has {len(outcomes)} possible outcomes; greedy_path needs a deterministic env")
        _, state, _, terminated = outcomes[0]
        path.append(int(state))
        if terminated:
            break
    return path


def epsilon_greedy(q: np.ndarray, state: int, epsilon: float, rng: np.random.Generator) -> int:
    """Pick an action: uniformly at random with probability ``epsilon``, else greedily.

    The loop in :func:`td_control` acts exactly like this, drawing the same
    random numbers in the same order: first ``rng.random()``, then (when
    exploring) ``rng.integers(n_actions)``.

    Args:
        q: Q-table, float array of shape ``(n_states, n_actions)``.
        state: the current state, an int in ``0 .. n_states - 1``.
        epsilon: exploration rate in ``[0, 1]``.
        rng: a NumPy ``Generator``.

    Returns:
        The action, an int; on ties the first greedy action.
    """
    q = _q_table(q)
    state = check_int(state, "state", minimum=0, maximum=q.shape[0] - 1)
    epsilon = check_number(epsilon, "epsilon", 0.0, 1.0)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a NumPy Generator (np.random.default_rng(seed)), got {describe(rng)}")
    if rng.random() < epsilon:
        return int(rng.integers(q.shape[1]))
    return int(np.argmax(q[state]))


def suboptimal_states(q: np.ndarray, q_star: np.ndarray, tol: float = 1e-9) -> np.ndarray:
    """Where the greedy action of ``q`` is worse than the best one, judged by ``q_star``.

    Two greedy policies may disagree where actions tie under ``Q*`` (both are
    optimal there); this flags only the states where the action ``q`` picks
    loses value: ``q_star[s, argmax q[s]] < max_a q_star[s, a] - tol``.

    Args:
        q, q_star: Q-tables of the same shape ``(n_states, n_actions)``.

    Returns:
        bool array of shape ``(n_states,)``.
    """
    q, q_star = _q_table(q, "q"), _q_table(q_star, "q_star")
    tol = check_number(tol, "tol", 0.0)
    if q.shape != q_star.shape:
        raise ValueError(f"q and q_star must have the same shape (n_states, n_actions), got {q.shape} and {q_star.shape}")
    chosen = q_star[np.arange(q.shape[0]), greedy_policy(q)]
    return chosen < q_star.max(axis=1) - tol


# ---------------------------------------------------------------------------
# Learning from experience: one TD-control loop, three targets
# ---------------------------------------------------------------------------
class TDResult(NamedTuple):
    """What :func:`td_control` returns; unpacks as ``q, returns = ...``.

    Attributes:
        q: the learned Q-table, float64 ``(n_states, n_actions)``.
        returns: the undiscounted return of each training episode (with
            exploration), float64 ``(n_episodes,)``.
    """

    q: np.ndarray
    returns: np.ndarray


def _model_stepper(env: gym.Env, table, env_seed: int):
    """``reset()`` and ``step(s, a)`` that sample from ``table`` as the env's own step does.

    Gymnasium's toy-text environments draw one uniform number per reset and
    per step and pick the first outcome whose cumulative probability exceeds
    it; this does the same with a generator seeded as ``env.reset(seed=env_seed)``
    would seed theirs, so the two give identical episodes.
    """
    env_rng = np.random.default_rng(env_seed)
    uniform = env_rng.random
    initial_cum = np.cumsum(env.unwrapped.initial_state_distrib).tolist()
    n_states, n_actions = env.observation_space.n, env.action_space.n
    outcomes = [[None] * n_actions for _ in range(n_states)]  # outcomes[s][a] = (cumulative probs, results)
    for s in range(n_states):
        for a in range(n_actions):
            row = table[s][a]
            cumulative = np.cumsum([prob for prob, *_ in row]).tolist()
            outcomes[s][a] = (cumulative, [(int(s2), float(r), bool(term)) for _, s2, r, term in row])

    def pick(cumulative: list[float]) -> int:
        u = uniform()
        for i, c in enumerate(cumulative):
            if c > u:
                return i
        return 0  # as np.argmax of an all-False array

    def reset() -> int:
        return pick(initial_cum)

    def step(state: int, action: int) -> tuple[int, float, bool, bool]:
        cumulative, results = outcomes[state][action]
        next_state, reward, terminated = results[pick(cumulative)]
        return next_state, reward, terminated, False

    return reset, step


def _env_stepper(env: gym.Env, env_seed: int):
    """``reset()`` and ``step(s, a)`` that go through ``env`` itself."""
    first = [True]

    def reset() -> int:
        obs, _ = env.reset(seed=env_seed) if first[0] else env.reset()
        first[0] = False
        return int(obs)

    def step(state: int, action: int) -> tuple[int, float, bool, bool]:
        next_obs, reward, terminated, truncated, _ = env.step(action)
        return int(next_obs), float(reward), bool(terminated), bool(truncated)

    return reset, step


def td_control(
    env: gym.Env,
    n_episodes: int,
    alpha: float,
    gamma: float,
    epsilon: float,
    seed: int,
    *,
    rule: Rule = "q_learning",
    epsilon_decay: float = 1.0,
    epsilon_min: float = 0.0,
    q_init: float | np.ndarray = 0.0,
    max_episode_steps: int | None = None,
    use_model: bool = True,
    callback: Callable[[int, np.ndarray], None] | None = None,
) -> TDResult:
    """Learn a Q-table with epsilon-greedy exploration and a one-step TD update.

    Each step, with ``td_target = reward + gamma * bootstrap`` (``bootstrap = 0``
    when the episode *terminated*; a time limit does not cut it):

    .. math:: Q(s,a) \\leftarrow Q(s,a) + \\alpha\\,(\\text{td\\_target} - Q(s,a))

    ``rule`` picks the bootstrap from the next state ``s'``:

    - ``"q_learning"``: ``max_a' Q(s', a')`` (off-policy: the greedy policy's value);
    - ``"sarsa"``: ``Q(s', a')`` for the action ``a'`` the agent will take next
      (on-policy: chosen, as in Sutton & Barto, before the update);
    - ``"expected_sarsa"``: the mean of ``Q(s', .)`` under the epsilon-greedy policy.

    Args:
        env: an environment with ``Discrete`` observation and action spaces.
        n_episodes: number of training episodes, at least 1.
        alpha: step size in ``(0, 1]``.
        gamma: discount factor in ``[0, 1]``.
        epsilon: exploration rate in ``[0, 1]`` of the first episode.
        seed: non-negative int.  Exploration draws from
            ``np.random.default_rng(seed).spawn(1)[0]``; the environment is
            reset with ``seed`` at the first episode (its own stream after).
        rule: ``"q_learning"``, ``"sarsa"`` or ``"expected_sarsa"``.
        epsilon_decay: after each episode ``epsilon`` is multiplied by this,
            in ``(0, 1]`` (1 keeps it constant) ...
        epsilon_min: ... but never goes below this, in ``[0, 1]``.
        q_init: initial Q-values, a number or an array ``(n_states, n_actions)``.
        max_episode_steps: cut episodes after this many steps (truncation);
            default: the environment's own time limit, if any.
        use_model: sample transitions from ``env.unwrapped.P`` when the env has
            one (fast; the same episodes as ``env.step``).  ``False`` always
            steps ``env``.
        callback: called as ``callback(episode, q)`` after each episode, with a
            copy of the table so far (episodes count from 0).

    Returns:
        ``TDResult(q, returns)``: the Q-table ``(n_states, n_actions)`` and the
        undiscounted return of each episode ``(n_episodes,)``, both float64.

    Raises:
        ValueError: naming the argument, for a non-discrete space or a number
            out of its range.
    """
    n_states, n_actions = _check_discrete(env)
    n_episodes = check_positive_int(n_episodes, "n_episodes")
    alpha = check_number(alpha, "alpha", 0.0, 1.0, low_open=True)
    gamma = check_number(gamma, "gamma", 0.0, 1.0)
    epsilon = check_number(epsilon, "epsilon", 0.0, 1.0)
    epsilon_decay = check_number(epsilon_decay, "epsilon_decay", 0.0, 1.0, low_open=True)
    epsilon_min = check_number(epsilon_min, "epsilon_min", 0.0, 1.0)
    seed = check_seed(seed)
    rule = check_choice(rule, "rule", RULES)
    use_model = check_bool(use_model, "use_model")
    check_callable(callback, "callback", "a function callback(episode, q)", optional=True)
    if max_episode_steps is None:
        max_episode_steps = time_limit(env)
    else:
        max_episode_steps = check_positive_int(max_episode_steps, "max_episode_steps")
    try:
        q_start = np.asarray(q_init, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"q_init must be a number or an array of shape ({n_states}, {n_actions}), got {describe(q_init)}") from None
    if np.isnan(q_start).any():
        raise ValueError("q_init must not hold NaN")
    if q_start.ndim and q_start.shape != (n_states, n_actions):
        raise ValueError(f"q_init must be a number or an array of shape ({n_states}, {n_actions}), got {q_start.shape}")
    # The table lives in Python lists while learning: reading one entry of a
    # list is several times faster than of a NumPy array.  Same numbers.
    q = np.broadcast_to(q_start, (n_states, n_actions)).tolist()

    table = _model_table(env) if use_model else None
    reset, step = _model_stepper(env, table, seed) if table is not None else _env_stepper(env, seed)
    rng = np.random.default_rng(seed).spawn(1)[0]
    uniform, integers = rng.random, rng.integers
    returns = np.zeros(n_episodes)
    limit = max_episode_steps or np.inf

    def act(state: int, eps: float) -> int:  # epsilon-greedy, as in the notebook's exercise
        if uniform() < eps:
            return int(integers(n_actions))
        row = q[state]
        return row.index(max(row))  # the first greedy action, as np.argmax

    for episode in range(n_episodes):
        eps = max(epsilon_min, epsilon * epsilon_decay**episode)
        state = reset()
        action = act(state, eps)
        steps, total = 0, 0.0
        while True:
            next_state, reward, terminated, truncated = step(state, action)
            steps += 1
            total += reward
            if rule == "sarsa":
                next_action = act(next_state, eps)
            if terminated:
                bootstrap = 0.0
            elif rule == "q_learning":
                bootstrap = max(q[next_state])
            elif rule == "sarsa":
                bootstrap = q[next_state][next_action]
            else:  # expected SARSA: greedy with prob 1 - eps, uniform with prob eps
                row = q[next_state]
                bootstrap = (1.0 - eps) * max(row) + eps * sum(row) / n_actions
            td_target = reward + gamma * bootstrap
            q[state][action] += alpha * (td_target - q[state][action])
            if terminated or truncated or steps >= limit:
                break
            if rule != "sarsa":
                next_action = act(next_state, eps)
            state, action = next_state, next_action
        returns[episode] = total
        if callback is not None:
            callback(episode, np.array(q))
    return TDResult(np.array(q), returns)


def q_learning(env: gym.Env, n_episodes: int, alpha: float, gamma: float, epsilon: float, seed: int,
               **kwargs) -> TDResult:
    """Q-learning: :func:`td_control` with ``rule="q_learning"`` (same arguments)."""
    return td_control(env, n_episodes, alpha, gamma, epsilon, seed, rule="q_learning", **kwargs)


def sarsa(env: gym.Env, n_episodes: int, alpha: float, gamma: float, epsilon: float, seed: int,
          **kwargs) -> TDResult:
    """SARSA: :func:`td_control` with ``rule="sarsa"`` (same arguments)."""
    return td_control(env, n_episodes, alpha, gamma, epsilon, seed, rule="sarsa", **kwargs)


def expected_sarsa(env: gym.Env, n_episodes: int, alpha: float, gamma: float, epsilon: float, seed: int,
                   **kwargs) -> TDResult:
    """Expected SARSA: :func:`td_control` with ``rule="expected_sarsa"`` (same arguments)."""
    return td_control(env, n_episodes, alpha, gamma, epsilon, seed, rule="expected_sarsa", **kwargs)
