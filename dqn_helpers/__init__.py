"""dqn_helpers: the small package behind the q-to-dqn notebooks.

Each module is one idea a notebook teaches or uses:

- :mod:`~dqn_helpers.seeding`: ``seed_everything``
- :mod:`~dqn_helpers.envs`: ``make_env``
- :mod:`~dqn_helpers.evaluation`: ``evaluate``, ``evaluate_greedy``, ``q_net_policy``
- :mod:`~dqn_helpers.plotting`: ``plot_learning_curves``, ``moving_average``
- :mod:`~dqn_helpers.replay_buffer`: ``ReplayBuffer``, ``ReplayBatch``
- :mod:`~dqn_helpers.networks`: ``QNetwork``
- :mod:`~dqn_helpers.schedules`: ``linear_schedule``
- :mod:`~dqn_helpers.config`: ``DQNConfig``, ``DQNHooks`` (every setting of a run, the pieces one may swap)
- :mod:`~dqn_helpers.dqn`: ``train_dqn``, ``DQNResult``, ``dqn_update``, ``make_target_network``, ``polyak_update``
- :mod:`~dqn_helpers.agents`: ``save_agent``, ``load_agent``
- :mod:`~dqn_helpers.parallel`: ``train_dqn_seeds`` and ``train_dqn_runs`` (several runs in parallel processes)
- :mod:`~dqn_helpers.stats`: ``interval``, ``difference``, ``iqm`` (bootstrap intervals over seeds; import them from there)
- :mod:`~dqn_helpers.diagnostics`: ``start_state_values`` (Q at the start state vs the return obtained)
- :mod:`~dqn_helpers.baselines`: ``train_sb3_dqn``, ``zoo_settings`` (Stable-Baselines3's DQN, RL Zoo settings)
- :mod:`~dqn_helpers.tabular`: ``value_iteration``, ``policy_value``, ``q_learning``, ``sarsa``,
  ``expected_sarsa`` (tabular ``greedy_policy`` lives there too: ``dqn_helpers.tabular.greedy_policy``)
- :mod:`~dqn_helpers.widgets`: ``q_learning_explorer`` (import it from there; it loads ipywidgets)
- :mod:`~dqn_helpers.checks`: ``check_*`` functions that test a learner's exercise answers
"""

from . import checks
from .baselines import RL_ZOO_DQN, SB3Result, train_sb3_dqn, zoo_settings
from .agents import load_agent, save_agent
from .config import DQNConfig, DQNHooks
from .dqn import DQNResult, dqn_update, make_target_network, polyak_update, train_dqn
from .diagnostics import StartStateValues, start_state_values
from .envs import make_env
from .evaluation import evaluate, evaluate_greedy, q_net_policy
from .networks import QNetwork
from .parallel import train_dqn_runs, train_dqn_seeds
from .plotting import moving_average, plot_diagnostics, plot_grid_path, plot_grid_policy, plot_learning_curves
from .replay_buffer import ReplayBatch, ReplayBuffer
from .schedules import linear_schedule
from .seeding import seed_everything
from .tabular import (
    epsilon_greedy,
    expected_sarsa,
    greedy_path,
    policy_value,
    q_learning,
    sarsa,
    suboptimal_states,
    tabular_model,
    td_control,
    value_iteration,
)

__all__ = [
    "DQNConfig",
    "DQNHooks",
    "DQNResult",
    "QNetwork",
    "ReplayBatch",
    "ReplayBuffer",
    "dqn_update",
    "evaluate_greedy",
    "q_net_policy",
    "linear_schedule",
    "load_agent",
    "make_target_network",
    "polyak_update",
    "save_agent",
    "train_dqn",
    "train_dqn_runs",
    "train_dqn_seeds",
    "evaluate",
    "make_env",
    "moving_average",
    "plot_learning_curves",
    "seed_everything",
    "epsilon_greedy",
    "expected_sarsa",
    "greedy_path",
    "plot_grid_path",
    "plot_grid_policy",
    "policy_value",
    "q_learning",
    "sarsa",
    "suboptimal_states",
    "tabular_model",
    "td_control",
    "value_iteration",
    "RL_ZOO_DQN",
    "SB3Result",
    "StartStateValues",
    "plot_diagnostics",
    "start_state_values",
    "train_sb3_dqn",
    "zoo_settings",
]
