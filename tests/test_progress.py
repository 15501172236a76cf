"""dqn_helpers.progress: a bar's saved notebook output shows where it finished, not its first frame."""

from __future__ import annotations

import io
import re

import nbformat
import pytest
from tqdm import tqdm as std_tqdm

from dqn_helpers.progress import progress_bar

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def test_outside_jupyter_progress_bar_is_a_plain_tqdm_that_counts():
    out = io.StringIO()
    bar = progress_bar(total=5, desc="DQN", unit="step", file=out)
    assert isinstance(bar, std_tqdm)
    bar.update(5)
    bar.close()
    assert "DQN: 100%" in out.getvalue() and "5/5" in out.getvalue()


def test_progress_bar_wraps_an_iterable_and_can_be_disabled():
    assert list(progress_bar(range(3), desc="seeds", file=io.StringIO())) == [0, 1, 2]
    out = io.StringIO()
    with progress_bar(total=3, disable=True, file=out) as bar:
        bar.update(3)
    assert out.getvalue() == ""


def _run_in_a_kernel(source: str) -> list[dict]:
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    return nb.cells[0].outputs


def test_a_finished_bar_saves_its_final_state_and_keeps_the_live_widget():
    outputs = _run_in_a_kernel(
        "from dqn_helpers.progress import progress_bar\n"
        "bar = progress_bar(total=40, desc='DQN', unit='step')\n"
        "for _ in range(40):\n"
        "    bar.update(1)\n"
        "bar.close()\n"
        "stopped = progress_bar(total=100, desc='stopped', unit='step')\n"
        "stopped.update(30)\n"
        "stopped.close()\n"
        "for seed in progress_bar(range(3), desc='seeds'):\n"
        "    pass\n"
    )
    bars = [o for o in outputs if WIDGET_VIEW in o.get("data", {})]
    texts = [o["data"]["text/plain"] for o in bars]
    assert len(bars) == 3, f"expected three widget bars, got outputs {outputs}"
    assert re.match(r"DQN: 100%\|.*\| 40/40 \[\d\d:\d\d<00:00, .*step/s\]", texts[0]), texts[0]
    assert re.match(r"stopped:\s+30%\|.*\| 30/100 \[\d\d:\d\d<", texts[1]), texts[1]
    assert re.match(r"seeds: 100%\|.*\| 3/3 \[", texts[2]), texts[2]
    assert all("?" not in text for text in texts), f"a saved bar still shows its first frame: {texts}"
