"""dqn_helpers: the small package behind the q-to-dqn notebooks.

Each module is one idea a notebook teaches or uses:

- :mod:`~dqn_helpers.seeding`: ``seed_everything``
- :mod:`~dqn_helpers.envs`: ``make_env``
- :mod:`~dqn_helpers.evaluation`: ``evaluate``
- :mod:`~dqn_helpers.plotting`: ``plot_learning_curves``, ``moving_average``
- :mod:`~dqn_helpers.tabular`: ``value_iteration``, ``policy_value``, ``q_learning``, ``sarsa``,
  ``expected_sarsa`` (tabular ``greedy_policy`` lives there too: ``dqn_helpers.tabular.greedy_policy``)
- :mod:`~dqn_helpers.widgets`: ``q_learning_explorer`` (import it from there; it loads ipywidgets)
- :mod:`~dqn_helpers.checks`: ``check_*`` functions that test a learner's exercise answers
"""

from . import checks
from .envs import make_env
from .evaluation import evaluate
from .plotting import moving_average, plot_grid_path, plot_grid_policy, plot_learning_curves
from .seeding import seed_everything
from .tabular import (
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
    "evaluate",
    "make_env",
    "moving_average",
    "plot_learning_curves",
    "seed_everything",
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
]
