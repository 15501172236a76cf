"""Specifications of dqn_helpers.tabular: value iteration and the TD-control loop."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from dqn_helpers.tabular import (
    expected_sarsa,
    greedy_path,
    greedy_policy,
    policy_value,
    q_learning,
    sarsa,
    suboptimal_states,
    tabular_model,
    td_control,
    time_limit,
    value_iteration,
)

LEFT, DOWN, RIGHT, UP = 0, 1, 2, 3  # FrozenLake's actions
CLIFF_UP = 0  # CliffWalking's actions: 0 up, 1 right, 2 down, 3 left
CLIFF_START = 36


@pytest.fixture
def slippery():
    env = gym.make("FrozenLake-v1")
    yield env
    env.close()


@pytest.fixture
def ice():  # not slippery: every move goes where it is told
    env = gym.make("FrozenLake-v1", is_slippery=False)
    yield env
    env.close()


@pytest.fixture
def cliff():
    env = gym.make("CliffWalking-v1")
    yield env
    env.close()


def _bellman_backup(env: gym.Env, q: np.ndarray, gamma: float) -> np.ndarray:
    """One Bellman optimality backup written straight from env.unwrapped.P."""
    out = np.zeros_like(q)
    for s, actions in env.unwrapped.P.items():
        for a, outcomes in actions.items():
            out[s, a] = sum(p * (r + (0.0 if term else gamma * q[s2].max())) for p, s2, r, term in outcomes)
    return out


# --- value iteration --------------------------------------------------------
def test_value_iteration_on_deterministic_ice_discounts_the_goal_by_the_shortest_path():
    env = gym.make("FrozenLake-v1", is_slippery=False)
    gamma = 0.9
    q = value_iteration(env, gamma)
    assert q.shape == (16, 4) and q.dtype == np.float64
    # Six moves reach the goal from the start; the reward 1 comes on the sixth.
    assert q[0].max() == pytest.approx(gamma**5)
    assert q[14, RIGHT] == pytest.approx(1.0)  # the step into the goal


@pytest.mark.parametrize("gamma", [0.5, 0.99, 1.0])
def test_value_iteration_returns_a_fixed_point_of_the_bellman_optimality_equation(slippery, gamma):
    q = value_iteration(slippery, gamma, tol=1e-12)
    np.testing.assert_allclose(_bellman_backup(slippery, q, gamma), q, atol=1e-9)


def test_value_iteration_with_a_horizon_of_one_gives_the_expected_immediate_reward(slippery):
    q1 = value_iteration(slippery, 1.0, horizon=1)
    np.testing.assert_allclose(q1, tabular_model(slippery).reward)
    assert q1[14, RIGHT] == pytest.approx(1 / 3)  # slips into the goal one time in three


def test_value_iteration_with_a_time_limit_never_beats_the_unlimited_optimum(slippery):
    unlimited = value_iteration(slippery, 1.0).max(axis=1)
    limited = value_iteration(slippery, 1.0, horizon=100).max(axis=1)
    assert (limited <= unlimited + 1e-12).all()
    assert limited[0] < unlimited[0]  # 100 steps are not always enough on slippery ice


def test_policy_value_of_the_optimal_greedy_policy_equals_the_optimal_value(slippery):
    q = value_iteration(slippery, 0.95)
    v = policy_value(slippery, greedy_policy(q), gamma=0.95)
    np.testing.assert_allclose(v, q.max(axis=1), atol=1e-8)


def test_greedy_policy_of_taxi_q_star_earns_exactly_its_predicted_return():
    env = gym.make("Taxi-v4")  # deterministic: one start state, one return
    q = value_iteration(env, 1.0)
    policy = greedy_policy(q)
    for seed in range(10):
        obs, _ = env.reset(seed=seed)
        start, total, done = obs, 0.0, False
        while not done:
            obs, reward, terminated, truncated, _ = env.step(int(policy[obs]))
            total += reward
            done = terminated or truncated
        assert total == pytest.approx(q[start].max())
    env.close()


def test_greedy_policy_takes_the_first_best_action_per_state():
    q = np.array([[0.0, 2.0, 2.0], [-1.0, -3.0, -2.0]])
    policy = greedy_policy(q)
    np.testing.assert_array_equal(policy, [1, 0])
    assert policy.dtype == np.int64


def test_time_limit_reads_the_wrapper_of_the_registered_environment(slippery, cliff):
    assert time_limit(slippery) == 100
    assert time_limit(cliff) is None


# --- the TD-control loop ------------------------------------------------------
@pytest.mark.parametrize("rule", ["q_learning", "sarsa", "expected_sarsa"])
@pytest.mark.parametrize("env_id", ["FrozenLake-v1", "Taxi-v4"])
def test_sampling_from_the_model_gives_the_same_run_as_stepping_the_environment(env_id, rule):
    env = gym.make(env_id)
    kwargs = dict(rule=rule, epsilon_decay=0.99, q_init=1.0)
    fast = td_control(env, 150, 0.2, 0.95, 0.3, seed=4, **kwargs)
    slow = td_control(env, 150, 0.2, 0.95, 0.3, seed=4, use_model=False, **kwargs)
    np.testing.assert_array_equal(fast.q, slow.q)
    np.testing.assert_array_equal(fast.returns, slow.returns)
    assert (fast.q != 1.0).any()  # something was learned
    env.close()


def test_same_seed_same_q_table_and_another_seed_another(slippery):
    a = q_learning(slippery, 200, 0.1, 0.99, 0.5, seed=1)
    b = q_learning(slippery, 200, 0.1, 0.99, 0.5, seed=1)
    c = q_learning(slippery, 200, 0.1, 0.99, 0.5, seed=2)
    np.testing.assert_array_equal(a.q, b.q)
    assert not np.array_equal(a.q, c.q)


def test_q_learning_from_random_behaviour_learns_q_star_on_deterministic_ice(ice):
    # Off-policy: the behaviour is uniformly random (epsilon = 1), yet the
    # table converges to the optimal Q (alpha = 1 is exact when nothing is random).
    gamma = 0.9
    q, _ = q_learning(ice, 3000, alpha=1.0, gamma=gamma, epsilon=1.0, seed=0)
    q_star = value_iteration(ice, gamma)
    desc = ice.unwrapped.desc.ravel()
    ongoing = np.array([c in b"SF" for c in desc])  # holes and the goal are never left
    np.testing.assert_allclose(q[ongoing], q_star[ongoing], atol=1e-9)


def test_expected_sarsa_without_exploration_is_q_learning(slippery):
    a = q_learning(slippery, 300, 0.1, 0.99, 0.0, seed=3, q_init=0.5)
    b = expected_sarsa(slippery, 300, 0.1, 0.99, 0.0, seed=3, q_init=0.5)
    np.testing.assert_array_equal(a.q, b.q)


def test_returns_hold_one_undiscounted_return_per_episode(cliff):
    q, returns = sarsa(cliff, 50, 0.5, 1.0, 0.1, seed=0)
    assert returns.shape == (50,) and returns.dtype == np.float64
    assert (returns <= -13).all()  # the shortest walk costs 13 steps of -1
    assert q.shape == (48, 4)


def test_callback_sees_every_episode_and_the_last_call_the_final_table(slippery):
    seen = []
    q, _ = q_learning(slippery, 20, 0.5, 0.9, 0.5, seed=0, callback=lambda i, table: seen.append((i, table)))
    assert [i for i, _ in seen] == list(range(20))
    np.testing.assert_array_equal(seen[-1][1], q)


def test_max_episode_steps_cuts_episodes(cliff):
    _, returns = q_learning(cliff, 30, 0.5, 1.0, 1.0, seed=0, max_episode_steps=1)
    assert set(returns.tolist()) <= {-1.0, -100.0}


def test_a_time_limit_does_not_cut_the_bootstrap(cliff):
    # One step up from the start, then the limit: the target still adds gamma * max Q(next).
    q, _ = q_learning(cliff, 1, alpha=1.0, gamma=1.0, epsilon=0.0, seed=0, q_init=-5.0, max_episode_steps=1)
    assert q[CLIFF_START, CLIFF_UP] == pytest.approx(-1.0 + -5.0)


def test_termination_cuts_the_bootstrap(ice):
    # Down from the start, then right into the hole at state 5: nothing follows a hole.
    q_init = np.full((16, 4), 2.0)
    q_init[0, DOWN] = q_init[4, RIGHT] = 3.0
    q, returns = q_learning(ice, 1, alpha=1.0, gamma=0.9, epsilon=0.0, seed=0, q_init=q_init)
    assert returns[0] == 0.0
    assert q[4, RIGHT] == 0.0  # reward 0 and no bootstrap
    assert q[0, DOWN] == pytest.approx(0.9 * 3.0)  # state 4 was not terminal: bootstrap from it


def test_q_learning_walks_the_cliff_edge_and_sarsa_keeps_away(cliff):
    # Sutton & Barto, Example 6.6: greedy paths of the Q-tables averaged over runs
    # (one SARSA run's table is noisy with alpha = 0.5; its greedy policy may circle).
    q_q = np.mean([q_learning(cliff, 500, 0.5, 1.0, 0.1, seed=s).q for s in range(5)], axis=0)
    q_s = np.mean([sarsa(cliff, 500, 0.5, 1.0, 0.1, seed=s).q for s in range(5)], axis=0)
    v_q = policy_value(cliff, greedy_policy(q_q), horizon=100)[CLIFF_START]
    v_s = policy_value(cliff, greedy_policy(q_s), horizon=100)[CLIFF_START]
    assert v_q == -13.0  # along the edge: 13 steps
    assert -100 < v_s < -13.0  # reaches the goal, by a longer way


# --- bad input ---------------------------------------------------------------
class _BoxActions(gym.Env):
    observation_space = gym.spaces.Discrete(3)
    action_space = gym.spaces.Box(-1.0, 1.0, shape=(1,))


@pytest.mark.parametrize(
    "env_factory, name",
    [(lambda: gym.make("CartPole-v1"), "observation_space"), (_BoxActions, "action_space")],
)
def test_a_non_discrete_space_is_refused_by_name(env_factory, name):
    env = env_factory()
    with pytest.raises(ValueError, match=name):
        q_learning(env, 10, 0.1, 0.9, 0.1, seed=0)
    with pytest.raises(ValueError, match=name):
        value_iteration(env, 0.9)


@pytest.mark.parametrize(
    "name, value",
    [("alpha", 0.0), ("alpha", 1.5), ("alpha", -0.1), ("gamma", -0.01), ("gamma", 1.01),
     ("epsilon", -0.1), ("epsilon", 1.2), ("epsilon_decay", 0.0), ("epsilon_min", 2.0)],
)
@pytest.mark.parametrize("learner", [q_learning, sarsa, expected_sarsa])
def test_a_rate_out_of_its_range_is_refused_by_name(slippery, learner, name, value):
    kwargs = dict(n_episodes=5, alpha=0.1, gamma=0.9, epsilon=0.1, seed=0)
    kwargs[name] = value
    with pytest.raises(ValueError, match=name):
        learner(slippery, **kwargs)


def test_value_iteration_refuses_a_gamma_out_of_range(slippery):
    with pytest.raises(ValueError, match="gamma"):
        value_iteration(slippery, 1.5)


def test_an_unknown_rule_or_a_misshapen_q_init_is_refused(slippery):
    with pytest.raises(ValueError, match="rule"):
        td_control(slippery, 5, 0.1, 0.9, 0.1, seed=0, rule="monte_carlo")
    with pytest.raises(ValueError, match="q_init"):
        q_learning(slippery, 5, 0.1, 0.9, 0.1, seed=0, q_init=np.zeros((4, 4)))


def test_an_environment_without_a_model_cannot_be_solved_by_value_iteration():
    class NoModel(gym.Env):
        observation_space = gym.spaces.Discrete(2)
        action_space = gym.spaces.Discrete(2)

    with pytest.raises(ValueError, match="transition table"):
        value_iteration(NoModel(), 0.9)


def test_greedy_path_follows_the_policy_from_the_start_to_the_goal(cliff):
    q = value_iteration(cliff, 1.0)
    path = greedy_path(cliff, greedy_policy(q))
    assert path[0] == CLIFF_START and path[-1] == 47
    assert len(path) == 14  # 13 moves along the cliff edge
    with pytest.raises(ValueError, match="deterministic"):
        greedy_path(gym.make("FrozenLake-v1"), np.zeros(16, dtype=int))


def test_policy_value_accepts_the_model_in_place_of_the_env(slippery):
    policy = np.full(16, DOWN)
    np.testing.assert_array_equal(
        policy_value(slippery, policy, horizon=100), policy_value(tabular_model(slippery), policy, horizon=100)
    )


def test_suboptimal_states_ignores_ties_and_flags_losing_actions():
    q_star = np.array([[1.0, 1.0, 0.0], [2.0, 0.5, 0.0]])
    q = np.array([[0.0, 3.0, 0.0], [0.0, 1.0, 0.0]])  # state 0: a tie, fine; state 1: worse
    np.testing.assert_array_equal(suboptimal_states(q, q_star), [False, True])
    assert not suboptimal_states(q_star, q_star).any()


def test_epsilon_greedy_is_greedy_at_zero_and_uniform_at_one():
    from dqn_helpers.tabular import epsilon_greedy

    q = np.array([[0.0, 5.0, 1.0]])
    rng = np.random.default_rng(0)
    assert all(epsilon_greedy(q, 0, 0.0, rng) == 1 for _ in range(20))
    counts = np.bincount([epsilon_greedy(q, 0, 1.0, rng) for _ in range(3000)], minlength=3)
    assert (np.abs(counts / 3000 - 1 / 3) < 0.04).all()


def test_a_hand_written_sarsa_loop_with_epsilon_greedy_learns_the_same_table_as_sarsa(cliff):
    from dqn_helpers.tabular import epsilon_greedy

    alpha, gamma, epsilon, seed = 0.5, 1.0, 0.1, 3
    q = np.zeros((48, 4))
    rng = np.random.default_rng(seed).spawn(1)[0]
    for episode in range(30):
        obs, _ = cliff.reset(seed=seed) if episode == 0 else cliff.reset()
        action = epsilon_greedy(q, obs, epsilon, rng)
        terminated = False
        while not terminated:
            next_obs, reward, terminated, _, _ = cliff.step(action)
            next_action = epsilon_greedy(q, next_obs, epsilon, rng)
            td_target = reward + gamma * q[next_obs, next_action] * (1 - terminated)
            q[obs, action] += alpha * (td_target - q[obs, action])
            obs, action = next_obs, next_action
    np.testing.assert_array_equal(sarsa(cliff, 30, alpha, gamma, epsilon, seed=seed).q, q)
