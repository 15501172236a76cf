"""A progress bar that leaves its final state in a saved notebook.

``tqdm.auto`` in Jupyter draws a widget.  A saved notebook keeps, beside the widget,
a plain-text picture of the bar, and that text is taken when the bar is first shown:
``DQN:   0%|          | 0/60000 [00:00<?, ?step/s]``.  Static viewers (GitHub, the
web book, nbval) show that first frame forever.

:func:`progress_bar` returns a ``tqdm`` bar that behaves the same while it runs (a live
widget in Jupyter, a text bar in a terminal) and, when it closes, replaces its saved
output by its final state: ``DQN: 100%|██████████| 60000/60000 [00:41<00:00, 1460step/s]``
(or the steps reached, if the run stopped early).

    bar = progress_bar(total=60_000, desc="DQN", unit="step")
    for step in range(60_000):
        ...
        bar.update(1)
    bar.close()

    for seed in progress_bar(range(10), desc="seeds"):
        ...

Layering: imports nothing of ours; the training loops use it.
"""

from __future__ import annotations

from typing import Any, Iterable

from tqdm.auto import tqdm as _auto_tqdm
from tqdm.notebook import tqdm as _notebook_tqdm

__all__ = ["progress_bar"]

_WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


class _NotebookBar(_notebook_tqdm):
    """``tqdm.notebook.tqdm`` shown through a display handle, so that ``close`` can update it.

    On close the output gets the same widget (still live in JupyterLab) and, as its
    ``text/plain``, the finished bar instead of the first frame.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from IPython.display import display

        kwargs["display"] = False  # displayed below, with a handle
        super().__init__(*args, **kwargs)
        self._handle = None
        if not self.disable:
            self._model_id = self.container.model_id
            self._handle = display(self.container, display_id=True)
            self.displayed = True

    def close(self) -> None:
        was_open = not self.disable
        super().close()
        if was_open and self._handle is not None:
            final = self.format_meter(**self.format_dict)
            self._handle.update(
                {_WIDGET_VIEW: {"version_major": 2, "version_minor": 0, "model_id": self._model_id},
                 "text/plain": final},
                raw=True,
            )
            self._handle = None


def progress_bar(
    iterable: Iterable | None = None,
    *,
    total: int | None = None,
    desc: str | None = None,
    unit: str = "it",
    disable: bool = False,
    mininterval: float = 0.1,
    **kwargs: Any,
) -> _auto_tqdm:
    """A ``tqdm`` progress bar whose saved notebook output shows where it finished.

    Args:
        iterable: wrap it, as ``tqdm(iterable)`` does; ``None`` for a bar you ``update()`` yourself.
        total: the expected number of steps (default: ``len(iterable)`` when it has one).
        desc: the label before the bar, e.g. ``"DQN"``.
        unit: what one step counts, e.g. ``"step"`` or ``"episode"``.
        disable: ``True`` shows nothing (e.g. ``disable=not progress``).
        mininterval: seconds between two redraws at most.
        **kwargs: any other ``tqdm`` argument (``leave``, ``position``, ...).

    Returns:
        A ``tqdm.notebook.tqdm`` in a Jupyter kernel, a plain ``tqdm.tqdm`` elsewhere (a terminal,
        a worker process).  Use it as any tqdm bar: ``update(n)``, ``set_postfix``, ``close()``
        (or a ``with`` block); iterating to the end closes it.
    """
    bar_class = _NotebookBar if issubclass(_auto_tqdm, _notebook_tqdm) else _auto_tqdm
    return bar_class(iterable, total=total, desc=desc, unit=unit, disable=disable,
                     mininterval=mininterval, **kwargs)
