"""Bad inputs to every public function of dqn_helpers, and unusual good ones.

Each bad case is ``(function, call, error, name)``: ``call()`` must raise
``error`` (a ``TypeError`` for the wrong kind of value, a ``ValueError`` for
the right kind with a wrong value) and the message must name the argument
(``name``), so that a learner knows what to fix.  The good-but-unusual cases
(NumPy scalars, lists, tensors) must be accepted and normalized to plain
Python values, so that what is accepted also saves and loads back.

The tables are plain lists (``BAD_CASES``, ``CHECKPOINT_CASES``) so that they
can also be run against another copy of the package to count how many
inputs get a clear error.
"""

from __future__ import annotations

import math
import pickle
import re
import types

import gymnasium as gym
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from dqn_helpers import (  # noqa: E402
    DQNConfig,
    DQNHooks,
    QNetwork,
    ReplayBuffer,
    evaluate,
    evaluate_greedy,
    linear_schedule,
    load_agent,
    make_env,
    moving_average,
    plot_diagnostics,
    plot_grid_path,
    plot_grid_policy,
    plot_learning_curves,
    q_net_policy,
    save_agent,
    seed_everything,
    start_state_values,
    train_sb3_dqn,
    zoo_settings,
)
from dqn_helpers.envs import check_dqn_spaces  # noqa: E402
from dqn_helpers.networks import NumpyGreedy  # noqa: E402
from dqn_helpers.plotting import FROZEN_LAKE_DIRECTIONS  # noqa: E402
from dqn_helpers.tabular import (  # noqa: E402
    epsilon_greedy,
    greedy_path,
    greedy_policy,
    policy_value,
    q_learning,
    suboptimal_states,
    tabular_model,
    td_control,
    time_limit,
    value_iteration,
)
from dqn_helpers.widgets import q_learning_explorer, q_learning_figure  # noqa: E402

# ----------------------------------------------------------------------------- shared pieces

NET = QNetwork(4, 2, (8,))
FROZEN = gym.make("FrozenLake-v1")
FROZEN_EXACT = gym.make("FrozenLake-v1", is_slippery=False)
CARTPOLE = gym.make("CartPole-v1")
Q16 = np.zeros((16, 4))
POLICY16 = np.zeros(16, dtype=np.int64)
OBS = np.zeros(4, np.float32)
RNG = np.random.default_rng(0)


def _buffer(n_actions=None, filled=0):
    kwargs = {} if n_actions is None else {"n_actions": n_actions}
    buffer = ReplayBuffer(10, (4,), seed=0, **kwargs)
    for _ in range(filled):
        buffer.add(OBS, 0, 1.0, OBS, False)
    return buffer


def _add(**changes):
    arguments = dict(obs=OBS, action=1, reward=1.0, next_obs=OBS, terminated=False) | changes
    return lambda: _buffer().add(**arguments)


class _ThreeOutputs(nn.Module):
    """Any nn.Module that maps (B, 4) to (B, 3): the wrong number of Q-values for CartPole."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(4, 3)

    def forward(self, obs):
        return self.linear(obs)


def _fake_result():
    return types.SimpleNamespace(diagnostics={"q_mean": np.arange(5.0)}, loss_steps=np.arange(5))


def _axes():
    fig, ax = plt.subplots()
    plt.close(fig)
    return ax


# ----------------------------------------------------------------------------- the table of bad inputs

BAD_CASES: list[tuple[str, str, object, type, str]] = []
"""``(function, case id, call, expected error, name the message must hold)``."""


def bad(function: str, case: str, call, error: type, name: str) -> None:
    BAD_CASES.append((function, case, call, error, name))


# --- DQNConfig: every field, generated from a table of kinds.
INT_FIELDS = {  # field: smallest allowed value
    "total_steps": 1, "buffer_size": 1, "batch_size": 1, "train_frequency": 1, "gradient_steps": 1,
    "target_update_interval": 1, "eval_episodes": 1, "learning_starts": 0, "exploration_steps": 0,
    "eval_interval": 0, "eval_seed": 0, "seed": 0, "lr_decay_steps": 1,
}
for field, smallest in INT_FIELDS.items():
    for case, value, error in [("str", "10", TypeError), ("bool", True, TypeError), ("float", 2.5, TypeError),
                               ("float 1e3", 1e3, TypeError), ("below", smallest - 1, ValueError),
                               ("list", [10], TypeError), ("nan", math.nan, TypeError)]:
        bad("DQNConfig", f"{field}={case}", lambda f=field, v=value: DQNConfig(**{f: v}), error, field)
    if field != "lr_decay_steps":
        bad("DQNConfig", f"{field}=None", lambda f=field: DQNConfig(**{f: None}), TypeError, field)

FLOAT_FIELDS = {  # field: a value out of its range
    "learning_rate": 0.0, "lr_final_fraction": 1.5, "gamma": 1.01, "tau": 0.0,
    "epsilon_start": -0.1, "epsilon_end": 2.0, "max_grad_norm": -1.0,
}
for field, outside in FLOAT_FIELDS.items():
    cases = [("nan", math.nan, ValueError), ("str", "0.1", TypeError), ("bool", True, TypeError),
             ("out of range", outside, ValueError), ("complex", 1j, TypeError), ("np nan", np.float32("nan"), ValueError)]
    cases.append(("inf", math.inf, ValueError))  # even where no upper bound applies: inf is no learning rate
    if field != "max_grad_norm":
        cases.append(("None", None, TypeError))
    for case, value, error in cases:
        bad("DQNConfig", f"{field}={case}", lambda f=field, v=value: DQNConfig(**{f: v}), error, field)

for field in ("dueling", "double_dqn", "use_replay", "use_target_network", "keep_best", "log_diagnostics"):
    for case, value in [("'False'", "False"), ("0", 0), ("1", 1), ("None", None), ("1.0", 1.0)]:
        bad("DQNConfig", f"{field}={case}", lambda f=field, v=value: DQNConfig(**{f: v}), TypeError, field)

for case, value, error in [
    ("'128'", "128", TypeError), ("128", 128, TypeError), ("None", None, TypeError), ("[0]", [0], ValueError),
    ("[-4]", [-4], ValueError), ("[2.5]", [2.5], TypeError), ("[True]", [True], TypeError),
    ("set", {64, 32}, TypeError), ("2-d array", np.ones((2, 2), dtype=int), ValueError), ("['64']", ["64"], TypeError),
]:
    bad("DQNConfig", f"hidden_sizes={case}", lambda v=value: DQNConfig(hidden_sizes=v), error, "hidden_sizes")
for case, value, error in [("'l1'", "l1", ValueError), ("None", None, TypeError), ("1", 1, TypeError)]:
    bad("DQNConfig", f"loss={case}", lambda v=value: DQNConfig(loss=v), error, "loss")
for case, value, error in [("None", None, TypeError), ("3", 3, TypeError), ("''", "", ValueError)]:
    bad("DQNConfig", f"env_id={case}", lambda v=value: DQNConfig(env_id=v), error, "env_id")
for case, value in [("None", None), ("list of pairs", [("a", 1)]), ("a function inside", {"f": print}),
                    ("int key", {1: 2}), ("object inside", {"x": object()})]:
    bad("DQNConfig", f"env_kwargs={case}", lambda v=value: DQNConfig(env_kwargs=v), TypeError, "env_kwargs")
for case, value, error in [("'gpu'", "gpu", ValueError), ("3", 3, TypeError), ("None", None, TypeError)]:
    bad("DQNConfig", f"device={case}", lambda v=value: DQNConfig(device=v), error, "device")
bad("DQNConfig", "batch > buffer", lambda: DQNConfig(batch_size=512, buffer_size=100), ValueError, "batch_size")
bad("DQNConfig", "learning_starts > total", lambda: DQNConfig(learning_starts=2_000, total_steps=1_000), ValueError,
    "learning_starts")
bad("DQNConfig", "seed among eval seeds", lambda: DQNConfig(seed=10_003), ValueError, "seed")
bad("DQNConfig.from_dict", "a list", lambda: DQNConfig.from_dict([1, 2]), TypeError, "values")
bad("DQNConfig.from_dict", "unknown key", lambda: DQNConfig.from_dict({"learning_rat": 0.1}), ValueError,
    "learning_rat")
bad("DQNHooks", "td_target=3", lambda: DQNHooks(td_target=3), TypeError, "td_target")
bad("DQNHooks", "loss='huber'", lambda: DQNHooks(loss="huber"), TypeError, "loss")

# --- seed_everything
for case, value, error in [("-1", -1, ValueError), ("'0'", "0", TypeError), ("1.5", 1.5, TypeError),
                           ("True", True, TypeError), ("None", None, TypeError)]:
    bad("seed_everything", case, lambda v=value: seed_everything(v), error, "seed")

# --- QNetwork and NumpyGreedy
for arg in ("obs_dim", "n_actions"):
    for case, value, error in [("'4'", "4", TypeError), ("0", 0, ValueError), ("True", True, TypeError),
                               ("4.0", 4.0, TypeError), ("None", None, TypeError)]:
        arguments = dict(obs_dim=4, n_actions=2) | {arg: value}
        bad("QNetwork", f"{arg}={case}", lambda a=arguments: QNetwork(**a), error, arg)
for case, value, error in [("'64'", "64", TypeError), ("64", 64, TypeError), ("[0]", [0], ValueError),
                           ("None", None, TypeError), ("[64.0]", [64.0], TypeError)]:
    bad("QNetwork", f"hidden_sizes={case}", lambda v=value: QNetwork(4, 2, v), error, "hidden_sizes")
for case, value in [("'yes'", "yes"), ("1", 1)]:
    bad("QNetwork", f"dueling={case}", lambda v=value: QNetwork(4, 2, (8,), v), TypeError, "dueling")
bad("QNetwork.forward", "a NumPy array", lambda: NET(np.zeros((2, 4), np.float32)), TypeError, "obs")
bad("QNetwork.forward", "float64 tensor", lambda: NET(torch.zeros(2, 4, dtype=torch.float64)), TypeError, "obs")
bad("QNetwork.forward", "wrong width", lambda: NET(torch.zeros(2, 3)), ValueError, "obs")
bad("QNetwork.forward", "0-d tensor", lambda: NET(torch.tensor(1.0)), ValueError, "obs")
bad("NumpyGreedy", "not a QNetwork", lambda: NumpyGreedy(nn.Linear(4, 2)), TypeError, "q_net")
bad("NumpyGreedy", "wrong obs width", lambda: NumpyGreedy(NET)(np.zeros(3)), ValueError, "obs")
bad("NumpyGreedy", "strings", lambda: NumpyGreedy(NET)(np.array(["a", "b", "c", "d"])), TypeError, "obs")

# --- ReplayBuffer
for case, value, error in [("'10'", "10", TypeError), ("0", 0, ValueError), ("-1", -1, ValueError),
                           ("True", True, TypeError), ("2.5", 2.5, TypeError), ("None", None, TypeError)]:
    bad("ReplayBuffer", f"capacity={case}", lambda v=value: ReplayBuffer(v, (4,)), error, "capacity")
for case, value, error in [("'4'", "4", TypeError), ("(0,)", (0,), ValueError), ("(-1,)", (-1,), ValueError),
                           ("None", None, TypeError), ("(2.5,)", (2.5,), TypeError), ("[True]", [True], TypeError)]:
    bad("ReplayBuffer", f"obs_shape={case}", lambda v=value: ReplayBuffer(10, v), error, "obs_shape")
for case, value, error in [("-1", -1, ValueError), ("'0'", "0", TypeError), ("1.5", 1.5, TypeError)]:
    bad("ReplayBuffer", f"seed={case}", lambda v=value: ReplayBuffer(10, (4,), seed=v), error, "seed")
for case, value in [("'bogus'", "bogus"), ("object", object), ("str", str)]:
    bad("ReplayBuffer", f"obs_dtype={case}", lambda v=value: ReplayBuffer(10, (4,), obs_dtype=v), TypeError, "obs_dtype")
for case, value, error in [("'gpu'", "gpu", ValueError), ("5", 5, TypeError)]:
    bad("ReplayBuffer", f"device={case}", lambda v=value: ReplayBuffer(10, (4,), device=v), error, "device")
bad("ReplayBuffer.add", "obs of the wrong shape", _add(obs=np.zeros(3)), ValueError, "obs")
bad("ReplayBuffer.add", "next_obs of the wrong shape", _add(next_obs=np.zeros(5)), ValueError, "next_obs")
bad("ReplayBuffer.add", "obs None", _add(obs=None), ValueError, "obs")
bad("ReplayBuffer.add", "obs of strings", _add(obs=np.array(["a"] * 4)), TypeError, "obs")
for case, value, error in [("-1", -1, ValueError), ("2.5", 2.5, TypeError), ("'1'", "1", TypeError),
                           ("True", True, TypeError), ("None", None, TypeError), ("np.float32", np.float32(1.0), TypeError),
                           ("np -3", np.int64(-3), ValueError), ("array (1,)", np.array([1]), TypeError)]:
    bad("ReplayBuffer.add", f"action={case}", _add(action=value), error, "action")
for case, value, error in [("nan", math.nan, ValueError), ("inf", math.inf, ValueError), ("-inf", -math.inf, ValueError),
                           ("'1'", "1", TypeError), ("None", None, TypeError), ("True", True, TypeError),
                           ("np nan", np.float32("nan"), ValueError)]:
    bad("ReplayBuffer.add", f"reward={case}", _add(reward=value), error, "reward")
for case, value in [("'False'", "False"), ("2", 2), ("None", None), ("0.5", 0.5)]:
    bad("ReplayBuffer.add", f"terminated={case}", _add(terminated=value), TypeError, "terminated")
for case, value, error in [("0", 0, ValueError), ("-1", -1, ValueError), ("'2'", "2", TypeError),
                           ("2.5", 2.5, TypeError), ("True", True, TypeError), ("more than held", 5, ValueError)]:
    bad("ReplayBuffer.sample", case, lambda v=value: _buffer(filled=3).sample(v), error, "batch_size")

# --- linear_schedule
GOOD_SCHEDULE = dict(start=1.0, end=0.05, duration=100, t=10)
for arg, values in {
    "start": [("'1'", "1", TypeError), ("nan", math.nan, ValueError), ("None", None, TypeError), ("inf", math.inf, ValueError)],
    "end": [("nan", math.nan, ValueError), ("'0'", "0", TypeError), ("True", True, TypeError)],
    "duration": [("-1", -1, ValueError), ("2.5", 2.5, TypeError), ("'10'", "10", TypeError), ("True", True, TypeError),
                 ("None", None, TypeError)],
    "t": [("-1", -1, ValueError), ("0.5", 0.5, TypeError), ("'3'", "3", TypeError), ("None", None, TypeError)],
}.items():
    for case, value, error in values:
        arguments = GOOD_SCHEDULE | {arg: value}
        bad("linear_schedule", f"{arg}={case}", lambda a=arguments: linear_schedule(**a), error, arg)

# --- moving_average
for case, value, error in [("0", 0, ValueError), ("-2", -2, ValueError), ("2.5", 2.5, TypeError),
                           ("'3'", "3", TypeError), ("True", True, TypeError), ("None", None, TypeError)]:
    bad("moving_average", f"window={case}", lambda v=value: moving_average([1.0, 2.0, 3.0], v), error, "window")
for case, value, error in [("'abc'", "abc", TypeError), ("ragged", [[1, 2], [3]], ValueError),
                           ("one number", 5.0, ValueError), ("None", None, TypeError), ("strings", ["a", "b"], TypeError)]:
    bad("moving_average", f"values={case}", lambda v=value: moving_average(v, 2), error, "values")

# --- plot_learning_curves
CURVES = np.ones((2, 5))
for case, kwargs, error, name in [
    ("band='bogus'", dict(band="bogus"), ValueError, "band"), ("band=None", dict(band=None), TypeError, "band"),
    ("smooth=0", dict(smooth=0), ValueError, "smooth"), ("smooth='2'", dict(smooth="2"), TypeError, "smooth"),
    ("ax='axes'", dict(ax="axes"), TypeError, "ax"), ("x too short", dict(x=[1, 2]), ValueError, "x"),
    ("x strings", dict(x=list("abcde")), TypeError, "x"), ("xlabel=3", dict(xlabel=3), TypeError, "xlabel"),
    ("title=5", dict(title=5), TypeError, "title"), ("clip=500", dict(clip=500), TypeError, "clip"),
    ("clip reversed", dict(clip=(500, 0)), ValueError, "clip"), ("clip nan", dict(clip=(float("nan"), 1)), ValueError, "clip"),
    ("legend_loc=1", dict(legend_loc=1), TypeError, "legend_loc"),
]:
    bad("plot_learning_curves", case, lambda k=kwargs: plot_learning_curves(CURVES, **k), error, name)
bad("plot_learning_curves", "ragged curves", lambda: plot_learning_curves({"a": [[1, 2], [3]]}), ValueError, "curves")
bad("plot_learning_curves", "string curves", lambda: plot_learning_curves({"a": [["x", "y"]]}), TypeError, "curves")
bad("plot_learning_curves", "no curves", lambda: plot_learning_curves({}), ValueError, "curves")

# --- plot_grid_policy
for case, kwargs, error, name in [
    ("q of the wrong shape", dict(q=np.zeros((15, 4))), ValueError, "q"),
    ("q strings", dict(q=[["a"] * 4] * 16), TypeError, "q"),
    ("q NaN", dict(q=np.full((16, 4), np.nan)), ValueError, "q"),
    ("desc one str", dict(desc="SFFF"), TypeError, "desc"),
    ("desc ragged", dict(desc=["SFFF", "FHF", "FFFH", "HFFG"]), ValueError, "desc"),
    ("desc empty", dict(desc=[]), ValueError, "desc"),
    ("desc 5", dict(desc=5), TypeError, "desc"),
    ("directions too few", dict(directions=FROZEN_LAKE_DIRECTIONS[:3]), ValueError, "directions"),
    ("directions str", dict(directions="lrud"), TypeError, "directions"),
    ("directions bad pair", dict(directions=[(0, 1), (1,), (0, -1), (-1, 0)]), TypeError, "directions"),
    ("highlight wrong shape", dict(highlight=np.zeros(3, bool)), ValueError, "highlight"),
    ("vmin '0'", dict(vmin="0"), TypeError, "vmin"),
    ("vmin > vmax", dict(vmin=1.0, vmax=0.0), ValueError, "vmin"),
    ("ax 'x'", dict(ax="x"), TypeError, "ax"),
    ("title 3", dict(title=3), TypeError, "title"),
]:
    arguments = dict(q=Q16, desc=["SFFF", "FHFH", "FFFH", "HFFG"]) | kwargs
    bad("plot_grid_policy", case, lambda a=arguments: plot_grid_policy(**a), error, name)

# --- plot_grid_path
for case, kwargs, error, name in [
    ("states str", dict(states="abc"), TypeError, "states"), ("states floats", dict(states=[0.5, 1.5]), TypeError, "states"),
    ("states empty", dict(states=[]), ValueError, "states"), ("states negative", dict(states=[-1, 0]), ValueError, "states"),
    ("n_cols 0", dict(n_cols=0), ValueError, "n_cols"), ("n_cols '4'", dict(n_cols="4"), TypeError, "n_cols"),
    ("n_cols 2.5", dict(n_cols=2.5), TypeError, "n_cols"), ("ax None", dict(ax=None), TypeError, "ax"),
    ("offset 'x'", dict(offset="x"), TypeError, "offset"), ("offset nan", dict(offset=math.nan), ValueError, "offset"),
]:
    bad("plot_grid_path", case, lambda k=kwargs: plot_grid_path(**(dict(states=[0, 1, 2], n_cols=4, ax=_axes()) | k)),
        error, name)

# --- plot_diagnostics
for case, kwargs, error, name in [
    ("keys one str", dict(keys="q_mean"), TypeError, "keys"), ("keys empty", dict(keys=[]), TypeError, "keys"),
    ("keys [1]", dict(keys=[1]), TypeError, "keys"), ("n_bins 0", dict(n_bins=0), ValueError, "n_bins"),
    ("n_bins '4'", dict(n_bins="4"), TypeError, "n_bins"), ("band 'x'", dict(band="x"), ValueError, "band"),
    ("reference not pairs", dict(reference={"q_mean": 5}), TypeError, "reference"),
    ("unknown key", dict(keys=("nope",)), ValueError, "nope"),
]:
    bad("plot_diagnostics", case, lambda k=kwargs: plot_diagnostics([_fake_result()], **k), error, name)
bad("plot_diagnostics", "results []", lambda: plot_diagnostics([]), ValueError, "results")
bad("plot_diagnostics", "not results", lambda: plot_diagnostics([object()]), TypeError, "result")

# --- make_env, check_dqn_spaces, time_limit
for case, value, error in [("None", None, TypeError), ("3", 3, TypeError), ("typo", "CartPol-v1", ValueError),
                           ("''", "", ValueError)]:
    bad("make_env", f"env_id={case}", lambda v=value: make_env(v), error, "env_id")
for case, value, error in [("-1", -1, ValueError), ("'0'", "0", TypeError), ("1.5", 1.5, TypeError),
                           ("True", True, TypeError)]:
    bad("make_env", f"seed={case}", lambda v=value: make_env("CartPole-v1", seed=v), error, "seed")
bad("make_env", "render_mode=3", lambda: make_env("CartPole-v1", render_mode=3), TypeError, "render_mode")
bad("make_env", "render_mode='bogus'", lambda: make_env("CartPole-v1", render_mode="bogus"), ValueError, "render_mode")
bad("make_env", "unknown keyword", lambda: make_env("CartPole-v1", foo=1), TypeError, "foo")
bad("check_dqn_spaces", "a str, not an env", lambda: check_dqn_spaces("CartPole-v1", "CartPole-v1"), TypeError, "env")
bad("check_dqn_spaces", "Discrete observations", lambda: check_dqn_spaces(FROZEN, "FrozenLake-v1"), ValueError, "Box")
bad("time_limit", "a str", lambda: time_limit("CartPole-v1"), TypeError, "env")

# --- evaluate
GOOD_EVALUATE = dict(policy=lambda obs: 0, env_id="CartPole-v1", n_episodes=1, seed=0)
for arg, values in {
    "policy": [("None", None, TypeError), ("3", 3, TypeError)],
    "env_id": [("None", None, TypeError), ("3", 3, TypeError), ("unknown", "NoSuchEnv-v0", ValueError)],
    "n_episodes": [("0", 0, ValueError), ("'2'", "2", TypeError), ("True", True, TypeError), ("2.5", 2.5, TypeError)],
    "seed": [("-1", -1, ValueError), ("'0'", "0", TypeError), ("None", None, TypeError)],
    "max_episode_steps": [("0", 0, ValueError), ("'10'", "10", TypeError), ("2.5", 2.5, TypeError)],
}.items():
    for case, value, error in values:
        arguments = GOOD_EVALUATE | {arg: value}
        bad("evaluate", f"{arg}={case}", lambda a=arguments: evaluate(**a), error, arg)
bad("evaluate", "action outside the space", lambda: evaluate(lambda obs: 5, "CartPole-v1", 1, 0), ValueError, "action")

# --- evaluate_greedy
GOOD_GREEDY = dict(q_net=NET, env_id="CartPole-v1", n_episodes=1, seed=0)
for arg, values in {
    "q_net": [("None", None, TypeError), ("3", 3, TypeError), ("3 inputs", QNetwork(3, 2), ValueError),
              ("3 actions", QNetwork(4, 3), ValueError), ("module with 3 outputs", _ThreeOutputs(), ValueError)],
    "env_id": [("None", None, TypeError), ("3", 3, TypeError), ("unknown", "NoSuch-v0", ValueError)],
    "n_episodes": [("0", 0, ValueError), ("'1'", "1", TypeError), ("True", True, TypeError), ("None", None, TypeError)],
    "seed": [("-1", -1, ValueError), ("1.5", 1.5, TypeError)],
    "env_kwargs": [("[1]", [1], TypeError), ("'x'", "x", TypeError)],
}.items():
    for case, value, error in values:
        arguments = GOOD_GREEDY | {arg: value}
        bad("evaluate_greedy", f"{arg}={case}", lambda a=arguments: evaluate_greedy(**a), error, arg)
bad("evaluate_greedy", "Discrete observations", lambda: evaluate_greedy(NET, "FrozenLake-v1", 1, 0), ValueError, "Box")
bad("q_net_policy", "q_net=3", lambda: q_net_policy(3), TypeError, "q_net")
bad("q_net_policy", "device='gpu'", lambda: q_net_policy(NET, device="gpu"), ValueError, "device")

# --- start_state_values
GOOD_START = dict(q_net=NET, env_id="CartPole-v1", n_episodes=1, seed=0, gamma=0.99)
for arg, values in {
    "q_net": [("a lambda", lambda obs: obs, TypeError), ("module with 3 outputs", _ThreeOutputs(), ValueError)],
    "env_id": [("3", 3, TypeError), ("unknown", "NoSuch-v0", ValueError)],
    "n_episodes": [("0", 0, ValueError), ("'1'", "1", TypeError)],
    "seed": [("-1", -1, ValueError)],
    "gamma": [("nan", math.nan, ValueError), ("1.5", 1.5, ValueError), ("'0.9'", "0.9", TypeError),
              ("None", None, TypeError), ("True", True, TypeError)],
    "env_kwargs": [("'x'", "x", TypeError)],
}.items():
    for case, value, error in values:
        arguments = GOOD_START | {arg: value}
        bad("start_state_values", f"{arg}={case}", lambda a=arguments: start_state_values(**a), error, arg)

# --- tabular: value_iteration, policy_value, greedy_policy, greedy_path, epsilon_greedy, suboptimal_states
for arg, values in {
    "gamma": [("nan", math.nan, ValueError), ("1.5", 1.5, ValueError), ("'0.9'", "0.9", TypeError), ("None", None, TypeError)],
    "tol": [("0", 0.0, ValueError), ("nan", math.nan, ValueError), ("-1", -1.0, ValueError), ("'x'", "x", TypeError)],
    "horizon": [("0", 0, ValueError), ("2.5", 2.5, TypeError), ("'5'", "5", TypeError)],
    "max_iterations": [("0", 0, ValueError), ("'10'", "10", TypeError)],
}.items():
    for case, value, error in values:
        arguments = dict(env=FROZEN, gamma=0.9) | {arg: value}
        bad("value_iteration", f"{arg}={case}", lambda a=arguments: value_iteration(**a), error, arg)
bad("value_iteration", "env a str", lambda: value_iteration("FrozenLake-v1", 0.9), TypeError, "env")
bad("value_iteration", "env CartPole", lambda: value_iteration(CARTPOLE, 0.9), ValueError, "observation_space")
for case, kwargs, error, name in [
    ("policy shape", dict(policy=np.zeros(15, int)), ValueError, "policy"),
    ("policy floats", dict(policy=np.zeros(16)), TypeError, "policy"),
    ("policy bools", dict(policy=np.zeros(16, bool)), TypeError, "policy"),
    ("policy out of range", dict(policy=np.full(16, 4)), ValueError, "policy"),
    ("policy strings", dict(policy=np.array(["a"] * 16)), TypeError, "policy"),
    ("gamma nan", dict(gamma=math.nan), ValueError, "gamma"),
    ("horizon 0", dict(horizon=0), ValueError, "horizon"),
    ("tol nan", dict(tol=math.nan), ValueError, "tol"),
    ("max_iterations 0", dict(max_iterations=0), ValueError, "max_iterations"),
    ("env a str", dict(env="FrozenLake-v1"), TypeError, "env"),
]:
    arguments = dict(env=FROZEN, policy=POLICY16) | kwargs
    bad("policy_value", case, lambda a=arguments: policy_value(**a), error, name)
for case, value, error in [("1-d", np.zeros(4), ValueError), ("strings", [["a", "b"]], TypeError),
                           ("ragged", [[1, 2], [3]], ValueError), ("NaN", np.full((2, 2), np.nan), ValueError),
                           ("no states", np.zeros((0, 4)), ValueError), ("None", None, TypeError)]:
    bad("greedy_policy", case, lambda v=value: greedy_policy(v), error, "q")
for case, kwargs, error, name in [
    ("policy shape", dict(policy=np.zeros(3, int)), ValueError, "policy"),
    ("policy floats", dict(policy=np.zeros(16)), TypeError, "policy"),
    ("max_steps 0", dict(max_steps=0), ValueError, "max_steps"),
    ("max_steps '3'", dict(max_steps="3"), TypeError, "max_steps"),
    ("env CartPole", dict(env=CARTPOLE), ValueError, "observation_space"),
]:
    arguments = dict(env=FROZEN_EXACT, policy=POLICY16) | kwargs
    bad("greedy_path", case, lambda a=arguments: greedy_path(**a), error, name)
for case, kwargs, error, name in [
    ("q 1-d", dict(q=np.zeros(4)), ValueError, "q"), ("state -1", dict(state=-1), ValueError, "state"),
    ("state 99", dict(state=99), ValueError, "state"), ("state 1.5", dict(state=1.5), TypeError, "state"),
    ("state '0'", dict(state="0"), TypeError, "state"), ("epsilon 1.5", dict(epsilon=1.5), ValueError, "epsilon"),
    ("epsilon nan", dict(epsilon=math.nan), ValueError, "epsilon"), ("epsilon '0.1'", dict(epsilon="0.1"), TypeError, "epsilon"),
    ("rng None", dict(rng=None), TypeError, "rng"), ("rng a seed", dict(rng=0), TypeError, "rng"),
]:
    arguments = dict(q=Q16, state=0, epsilon=0.1, rng=RNG) | kwargs
    bad("epsilon_greedy", case, lambda a=arguments: epsilon_greedy(**a), error, name)
bad("suboptimal_states", "shapes differ", lambda: suboptimal_states(Q16, np.zeros((16, 3))), ValueError, "q_star")
bad("suboptimal_states", "q strings", lambda: suboptimal_states([["a"] * 4] * 16, Q16), TypeError, "q")
bad("suboptimal_states", "tol -1", lambda: suboptimal_states(Q16, Q16, tol=-1.0), ValueError, "tol")
bad("suboptimal_states", "tol nan", lambda: suboptimal_states(Q16, Q16, tol=math.nan), ValueError, "tol")
bad("tabular_model", "env CartPole", lambda: tabular_model(CARTPOLE), ValueError, "observation_space")
bad("tabular_model", "env a str", lambda: tabular_model("FrozenLake-v1"), TypeError, "env")

# --- td_control / q_learning
GOOD_TD = dict(env=FROZEN, n_episodes=2, alpha=0.1, gamma=0.9, epsilon=0.1, seed=0)
for arg, values in {
    "n_episodes": [("0", 0, ValueError), ("'10'", "10", TypeError), ("True", True, TypeError), ("2.5", 2.5, TypeError)],
    "alpha": [("0", 0.0, ValueError), ("1.5", 1.5, ValueError), ("nan", math.nan, ValueError), ("'0.1'", "0.1", TypeError)],
    "gamma": [("nan", math.nan, ValueError), ("-0.1", -0.1, ValueError)],
    "epsilon": [("1.5", 1.5, ValueError), ("None", None, TypeError)],
    "epsilon_decay": [("0", 0.0, ValueError), ("1.5", 1.5, ValueError)],
    "epsilon_min": [("-0.1", -0.1, ValueError)],
    "seed": [("-1", -1, ValueError), ("'0'", "0", TypeError)],
    "rule": [("'qlearning'", "qlearning", ValueError), ("None", None, TypeError)],
    "max_episode_steps": [("0", 0, ValueError), ("1.5", 1.5, TypeError)],
    "q_init": [("wrong shape", np.zeros((3, 3)), ValueError), ("'abc'", "abc", TypeError), ("nan", math.nan, ValueError)],
    "use_model": [("'yes'", "yes", TypeError), ("1", 1, TypeError)],
    "callback": [("3", 3, TypeError)],
    "env": [("CartPole", CARTPOLE, ValueError), ("a str", "FrozenLake-v1", TypeError)],
}.items():
    for case, value, error in values:
        arguments = GOOD_TD | {arg: value}
        bad("td_control", f"{arg}={case}", lambda a=arguments: td_control(**a), error,
            "observation_space" if arg == "env" and error is ValueError else arg)
bad("q_learning", "alpha=2", lambda: q_learning(FROZEN, 2, 2.0, 0.9, 0.1, 0), ValueError, "alpha")

# --- widgets and baselines
bad("q_learning_figure", "n_episodes '10'", lambda: q_learning_figure(FROZEN, n_episodes="10"), TypeError, "n_episodes")
bad("q_learning_figure", "env CartPole", lambda: q_learning_figure(CARTPOLE), ValueError, "env")
bad("q_learning_explorer", "env CartPole", lambda: q_learning_explorer(CARTPOLE), ValueError, "env")
bad("q_learning_explorer", "seed -1", lambda: q_learning_explorer(FROZEN, seed=-1), ValueError, "seed")
bad("zoo_settings", "a list", lambda: zoo_settings(["CartPole-v1"]), TypeError, "env_id")
bad("zoo_settings", "no entry", lambda: zoo_settings("Pong-v5"), ValueError, "env_id")
bad("train_sb3_dqn", "env_id 3", lambda: train_sb3_dqn(3), TypeError, "env_id")
bad("train_sb3_dqn", "total_steps '100'", lambda: train_sb3_dqn("CartPole-v1", total_steps="100"), TypeError, "total_steps")
bad("train_sb3_dqn", "progress 'yes'", lambda: train_sb3_dqn("CartPole-v1", total_steps=100, progress="yes"), TypeError,
    "progress")
bad("train_sb3_dqn", "threads 0", lambda: train_sb3_dqn("CartPole-v1", total_steps=100, threads=0), ValueError, "threads")

# --- save_agent (checkpoint files are in CHECKPOINT_CASES below)
SMALL = DQNConfig(hidden_sizes=(8,))
bad("save_agent", "path 3", lambda: save_agent(3, NET, SMALL), TypeError, "path")
bad("save_agent", "path None", lambda: save_agent(None, NET, SMALL), TypeError, "path")
bad("save_agent", "q_net a str", lambda: save_agent("x.pt", "net", SMALL), TypeError, "q_net")
bad("save_agent", "config a dict", lambda: save_agent("x.pt", NET, SMALL.to_dict()), TypeError, "config")
bad("save_agent", "config sizes differ", lambda: save_agent("x.pt", NET, DQNConfig()), ValueError, "hidden_sizes")
bad("save_agent", "folder missing", lambda: save_agent("no/such/folder/x.pt", NET, SMALL), ValueError, "folder")
bad("load_agent", "path 3", lambda: load_agent(3), TypeError, "path")
bad("load_agent", "device 'gpu'", lambda: load_agent("x.pt", device="gpu"), ValueError, "device")


# ----------------------------------------------------------------------------- checkpoint files


def _saved(path, mutate=None):
    """Write a good checkpoint at ``path``, then let ``mutate(payload)`` spoil it."""
    save_agent(path, NET, SMALL)
    if mutate is not None:
        payload = torch.load(path, weights_only=True)
        mutate(payload)
        torch.save(payload, path)
    return path


def _truncated(path):
    _saved(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def _set(*keys_and_value):
    *keys, value = keys_and_value

    def mutate(payload):
        target = payload
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value

    return mutate


CHECKPOINT_CASES: list[tuple[str, object, type, str]] = [
    # (case, make(path) -> path to load, error, text the message must hold)
    ("missing", lambda p: p, FileNotFoundError, "agent.pt"),
    ("empty", lambda p: (p.write_bytes(b""), p)[1], ValueError, "empty"),
    ("truncated", _truncated, ValueError, "agent.pt"),
    ("a text file", lambda p: (p.write_text("hello, I am not a checkpoint\n"), p)[1], ValueError, "agent.pt"),
    ("a plain torch.save of a dict", lambda p: (torch.save({"weights": torch.zeros(3)}, p), p)[1], ValueError, "save_agent"),
    ("a torch.save of a list", lambda p: (torch.save([1, 2], p), p)[1], ValueError, "save_agent"),
    ("a pickled network", lambda p: (torch.save(NET, p), p)[1], ValueError, "save_agent"),
    ("a plain pickle", lambda p: (p.write_bytes(pickle.dumps({"a": 1})), p)[1], ValueError, "agent.pt"),
    ("a folder", lambda p: (p.mkdir(), p)[1], ValueError, "folder"),
    ("config sizes differ from the weights", lambda p: _saved(p, _set("config", "hidden_sizes", [16])), ValueError,
     "hidden_sizes"),
    ("config dueling differs", lambda p: _saved(p, _set("config", "dueling", True)), ValueError, "dueling"),
    ("weights of the wrong shape", lambda p: _saved(p, _set("state_dict", "head.weight", torch.zeros(2, 3))),
     ValueError, "weights"),
    ("a bad config value", lambda p: _saved(p, _set("config", "seed", "x")), ValueError, "seed"),
    ("an unknown config field", lambda p: _saved(p, _set("config", "learning_rat", 0.1)), ValueError, "learning_rat"),
    ("a key missing", lambda p: _saved(p, lambda payload: payload.pop("state_dict")), ValueError, "state_dict"),
    ("bad sizes", lambda p: _saved(p, _set("obs_dim", 0)), ValueError, "obs_dim"),
]


# ----------------------------------------------------------------------------- the tests


def _message_names(error: BaseException, name: str) -> bool:
    return re.search(re.escape(name), str(error)) is not None


@pytest.mark.parametrize(
    "call, error, name",
    [pytest.param(call, error, name, id=f"{function}: {case}") for function, case, call, error, name in BAD_CASES],
)
def test_a_bad_input_gets_a_clear_error_naming_the_argument(call, error, name):
    with pytest.raises(error) as info:
        call()
    assert type(info.value) in (TypeError, ValueError, FileNotFoundError), f"not the package's own error: {info.value!r}"
    assert _message_names(info.value, name), f"the message does not name {name!r}: {info.value}"
    plt.close("all")


@pytest.mark.parametrize(
    "make, error, text", [pytest.param(make, error, text, id=case) for case, make, error, text in CHECKPOINT_CASES]
)
def test_a_bad_checkpoint_file_gets_the_packages_own_error(tmp_path, make, error, text):
    path = make(tmp_path / "agent.pt")
    with pytest.raises(error) as info:
        load_agent(path)
    assert type(info.value) is error
    assert text in str(info.value), info.value
    assert "agent.pt" in str(info.value), f"the message does not name the file: {info.value}"


def test_the_suite_tries_more_than_two_hundred_bad_inputs():
    assert len(BAD_CASES) + len(CHECKPOINT_CASES) > 200


# ----------------------------------------------------------------------------- unusual but good inputs


def test_numpy_scalars_in_a_config_become_python_values_and_save_and_load_back(tmp_path):
    config = DQNConfig(seed=np.int64(3), total_steps=np.int32(2_000), gamma=np.float32(0.5),
                       learning_rate=np.float64(1e-3), hidden_sizes=np.array([8]), dueling=np.bool_(False),
                       double_dqn=np.bool_(True), env_kwargs={"max_episode_steps": np.int64(100)},
                       max_grad_norm=torch.tensor(5.0), device=torch.device("cpu"))
    assert type(config.seed) is int and config.seed == 3
    assert type(config.total_steps) is int and type(config.gamma) is float and config.gamma == 0.5
    assert config.hidden_sizes == (8,) and type(config.hidden_sizes[0]) is int
    assert type(config.dueling) is bool and type(config.double_dqn) is bool
    assert type(config.env_kwargs["max_episode_steps"]) is int
    assert type(config.max_grad_norm) is float and config.device == "cpu"
    path = tmp_path / "agent.pt"
    save_agent(path, NET, config)
    q_net, loaded = load_agent(path)  # weights_only=True inside
    assert loaded == config
    torch.testing.assert_close(q_net(torch.ones(3, 4)), NET(torch.ones(3, 4)))


@pytest.mark.parametrize("sizes", [[64, 32], (64, 32), np.array([64, 32]), torch.tensor([64, 32]), range(64, 0, -32)])
def test_hidden_sizes_as_a_list_array_tensor_or_range_become_a_tuple_of_ints(sizes):
    for made in (DQNConfig(hidden_sizes=sizes).hidden_sizes, QNetwork(4, 2, sizes).hidden_sizes):
        assert made == (64, 32) and all(type(h) is int for h in made)


def test_numpy_and_tensor_scalars_are_accepted_across_the_package():
    net = QNetwork(np.int64(4), torch.tensor(2), (8,), np.bool_(True))
    assert (net.obs_dim, net.n_actions, net.dueling) == (4, 2, True)
    buffer = ReplayBuffer(np.int64(10), np.int64(4), seed=np.int64(0), n_actions=2)
    buffer.add(OBS, np.int64(1), np.float32(0.5), OBS, np.bool_(True))
    buffer.add(OBS.tolist(), torch.tensor(0), 1, OBS, False)
    assert buffer.actions[:2].tolist() == [1, 0] and buffer.rewards[:2].tolist() == [0.5, 1.0]
    assert buffer.terminated[:2].tolist() == [1.0, 0.0]
    assert buffer.sample(np.int64(2)).obs.shape == (2, 4)
    assert linear_schedule(np.float32(1.0), 0, np.int64(10), np.int64(5)) == pytest.approx(0.5)
    assert linear_schedule(1, 0, 10, 5) == linear_schedule(1.0, 0.0, 10, 5) == 0.5
    assert moving_average(np.arange(4), np.int64(2)).tolist() == [0.0, 0.5, 1.5, 2.5]
    assert make_env("CartPole-v1", seed=np.int64(3)) is not None
    returns = evaluate_greedy(NET, "CartPole-v1", np.int64(2), np.int32(10_000))
    assert returns.shape == (2,)
    assert evaluate(lambda obs: np.int64(0), "CartPole-v1", np.int64(1), seed=np.int64(0)).shape == (1,)
    assert isinstance(seed_everything(np.int64(1)), np.random.Generator)
    q, _ = q_learning(FROZEN, np.int64(2), np.float32(0.5), np.float64(0.9), 0.1, np.int64(0))
    assert q.shape == (16, 4)
    assert epsilon_greedy(Q16, np.int64(3), np.float32(0.0), np.random.default_rng(0)) == 0


def test_an_action_beyond_n_actions_is_refused_when_the_buffer_knows_the_number_of_actions():
    with pytest.raises(ValueError, match=r"action must be an action index in 0\.\.1, got 2"):
        _buffer(n_actions=2).add(OBS, 2, 1.0, OBS, False)
    with pytest.raises(ValueError, match="n_actions"):
        ReplayBuffer(10, (4,), n_actions=0)


def test_an_int_given_as_a_float_gets_a_hint_how_to_write_it():
    with pytest.raises(TypeError, match="write it as an int: 100_000"):
        DQNConfig(total_steps=1e5)


def test_a_string_hidden_sizes_is_refused_rather_than_split_into_digits():
    with pytest.raises(TypeError, match=r"hidden_sizes .* got str '128'; for one number n write \(n,\)"):
        DQNConfig(hidden_sizes="128")


# ----------------------------------------------------------------------------- evaluations end


class _EndlessCorridor(gym.Env):
    """A Box-observation, two-action environment that never ends an episode (no time limit)."""

    observation_space = gym.spaces.Box(-1.0, 1.0, (4,), np.float32)
    action_space = gym.spaces.Discrete(2)

    def __init__(self, render_mode=None):
        self.render_mode = render_mode

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        return np.zeros(4, np.float32), {}

    def step(self, action):
        return np.zeros(4, np.float32), 1.0, False, False, {}


ENDLESS_ID = "tests/EndlessCorridor-v0"
if ENDLESS_ID not in gym.registry:
    gym.register(ENDLESS_ID, entry_point=_EndlessCorridor, max_episode_steps=None)


def test_a_greedy_evaluation_of_an_env_without_a_time_limit_ends_at_the_default_cap():
    from dqn_helpers.envs import DEFAULT_MAX_EPISODE_STEPS

    assert time_limit(make_env(ENDLESS_ID)) is None
    returns = evaluate_greedy(NET, ENDLESS_ID, n_episodes=2, seed=0)
    np.testing.assert_array_equal(returns, [DEFAULT_MAX_EPISODE_STEPS] * 2)  # reward 1 per step


def test_max_episode_steps_cuts_every_evaluation_of_an_endless_env():
    np.testing.assert_array_equal(evaluate_greedy(NET, ENDLESS_ID, 3, 0, max_episode_steps=25), [25.0] * 3)
    np.testing.assert_array_equal(evaluate(lambda obs: 0, ENDLESS_ID, 2, 0, max_episode_steps=7), [7.0, 7.0])
    values = start_state_values(NET, ENDLESS_ID, 1, 0, gamma=0.5, max_episode_steps=3)
    assert values.episode_return.tolist() == [3.0] and values.discounted_return.tolist() == [1.75]


def test_a_time_limit_of_its_own_is_kept_cartpole_returns_are_unchanged():
    net = QNetwork(4, 2, (8,))
    with torch.no_grad():
        net.head.bias.copy_(torch.tensor([0.0, 1e6]))  # always push right: short episodes
    fast = evaluate_greedy(net, "CartPole-v1", 3, 10_000)
    one_by_one = evaluate(q_net_policy(net), "CartPole-v1", 3, 10_000)
    np.testing.assert_array_equal(fast, one_by_one)
    assert time_limit(make_env("CartPole-v1")) == 500


# ----------------------------------------------------------------------------- the loop's pieces (dqn.py)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: dqn_pieces.polyak_update(_net(), _net(), "0.5"), TypeError, "tau"),
        (lambda: dqn_pieces.polyak_update(_net(), _net(), float("nan")), ValueError, "tau"),
        (lambda: dqn_pieces.polyak_update(_net(), _net(), 0.0), ValueError, "tau"),
        (lambda: dqn_pieces.polyak_update(_net(), _net(hidden=(8,)), 0.5), ValueError, "same architecture"),
        (lambda: dqn_pieces.polyak_update("net", _net(), 0.5), TypeError, "target_net"),
        (lambda: dqn_pieces.make_target_network("net"), TypeError, "q_net"),
    ],
)
def test_the_target_network_pieces_reject_nonsense_by_name(call, error, message):
    with pytest.raises(error, match=message):
        call()


def _net(hidden=(4,)):
    from dqn_helpers import QNetwork

    return QNetwork(4, 2, hidden)


import dqn_helpers.dqn as dqn_pieces  # noqa: E402


# --- dqn_update (public: checked; train_dqn's own calls skip the checks)
def _update_pieces():
    import torch as _torch
    from dqn_helpers import QNetwork, ReplayBuffer, dqn_update
    buffer = ReplayBuffer(16, (4,), seed=0)
    for i in range(16):
        buffer.add(np.full(4, i, dtype=np.float32), i % 2, 1.0, np.full(4, i + 1, dtype=np.float32), False)
    q_net = QNetwork(4, 2, (8,))
    return dqn_update, q_net, _torch.optim.Adam(q_net.parameters()), buffer.sample(8)


@pytest.mark.parametrize("change, error, words", [
    (dict(q_net="net"), TypeError, "q_net must be a torch nn.Module"),
    (dict(optimizer=None), TypeError, "optimizer must be"),
    (dict(batch=(1, 2)), TypeError, "batch must be a ReplayBatch"),
    (dict(gamma="0.9"), TypeError, "gamma"),
    (dict(gamma=1.5), ValueError, "gamma"),
    (dict(gamma=float("nan")), ValueError, "gamma"),
    (dict(loss="l1"), ValueError, "loss"),
    (dict(max_grad_norm=0), ValueError, "max_grad_norm"),
    (dict(double_dqn="False"), TypeError, "double_dqn"),
    (dict(diagnostics=[]), TypeError, "diagnostics"),
    (dict(td_target_fn=3), TypeError, "td_target_fn"),
    (dict(actions=5), ValueError, r"batch.actions must be in \[0, 1\]"),
    (dict(actions=-1), ValueError, "batch.actions must be in"),
    (dict(short_rewards=True), ValueError, "one row per transition"),
])
def test_dqn_update_rejects_bad_arguments_by_name(change, error, words):
    import torch as _torch
    dqn_update, q_net, optimizer, batch = _update_pieces()
    if "actions" in change:
        batch = batch._replace(actions=_torch.full_like(batch.actions, change.pop("actions")))
    if change.pop("short_rewards", False):
        batch = batch._replace(rewards=batch.rewards[:3])
    kwargs = dict(q_net=q_net, target_net=q_net, optimizer=optimizer, batch=batch, gamma=0.9)
    kwargs.update(change)
    before = [p.detach().clone() for p in q_net.parameters()]
    with pytest.raises(error, match=words):
        dqn_update(**kwargs)
    assert all(np.array_equal(a, b.detach()) for a, b in zip(before, q_net.parameters())), "no step on bad input"


def test_dqn_update_still_steps_on_good_input():
    dqn_update, q_net, optimizer, batch = _update_pieces()
    before = [p.detach().clone() for p in q_net.parameters()]
    loss = dqn_update(q_net, q_net, optimizer, batch, gamma=np.float64(0.9), double_dqn=np.bool_(True))
    assert np.isfinite(loss) and any(not np.array_equal(a, b.detach()) for a, b in zip(before, q_net.parameters()))


@pytest.mark.parametrize("hook, error, words", [
    (dict(epsilon=lambda step, episode: "0.1"), TypeError, "epsilon hook's return value"),
    (dict(epsilon=lambda step, episode: 1.5), ValueError, "epsilon hook's return value"),
    (dict(epsilon=lambda step, episode: None), TypeError, "epsilon hook's return value"),
    (dict(should_train=lambda step, ended: "yes"), TypeError, "should_train hook's return value"),
    (dict(should_train=lambda step, ended: None), TypeError, "should_train hook's return value"),
])
def test_a_hook_that_returns_nonsense_gets_a_clear_error(hook, error, words):
    from dqn_helpers import DQNConfig, DQNHooks, train_dqn
    config = DQNConfig(total_steps=200, learning_starts=50, batch_size=32, train_frequency=4, gradient_steps=1,
                       buffer_size=200, hidden_sizes=(8,), eval_interval=0, keep_best=False)
    with pytest.raises(error, match=words):
        train_dqn(config, progress=False, hooks=DQNHooks(**hook))


def test_hooks_may_return_numpy_scalars():
    from dqn_helpers import DQNConfig, DQNHooks, train_dqn
    config = DQNConfig(total_steps=200, learning_starts=50, batch_size=32, train_frequency=4, gradient_steps=1,
                       buffer_size=200, hidden_sizes=(8,), eval_interval=0, keep_best=False)
    hooks = DQNHooks(epsilon=lambda step, episode: np.float32(0.2), should_train=lambda step, ended: np.bool_(step % 4 == 0))
    assert len(train_dqn(config, progress=False, hooks=hooks).losses) > 0
