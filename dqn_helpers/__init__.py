"""dqn_helpers: the small package behind the q-to-dqn notebooks.

Each module is one idea a notebook teaches or uses:

- :mod:`~dqn_helpers.seeding`: ``seed_everything``
- :mod:`~dqn_helpers.envs`: ``make_env``
- :mod:`~dqn_helpers.evaluation`: ``evaluate``
- :mod:`~dqn_helpers.plotting`: ``plot_learning_curves``, ``moving_average``
- :mod:`~dqn_helpers.checks`: ``check_*`` functions that test a learner's exercise answers
"""

from . import checks
from .envs import make_env
from .evaluation import evaluate
from .plotting import moving_average, plot_learning_curves
from .seeding import seed_everything

__all__ = [
    "evaluate",
    "make_env",
    "moving_average",
    "plot_learning_curves",
    "seed_everything",
]
