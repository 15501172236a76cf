"""Every committed notebook is clean: executed in order, no errors, nothing of this machine."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
MAX_BYTES = 3_000_000
# An absolute path of this kind of machine (home folders, the work tree, temp
# folders) or a user name gives away where a notebook was run.
MACHINE_PATH = re.compile(r"(/(root|home|Users|work|tmp|var/folders)/[\w.-]+)|([A-Za-z]:\\\\Users\\\\)")
# A tqdm bar as text: "DQN:  45%|####5     | 27000/60000 [00:20<00:25, 1350.00step/s]".  Its first frame
# has "?" in the brackets ("0/60000 [00:00<?, ?step/s]"): nothing counted, no time, no rate.
PROGRESS_BAR = re.compile(r"\d+(?:\.\d+)?[kMG]?(?:/\d+(?:\.\d+)?[kMG]?)? \[(?P<times>[^\]]*)\]")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _code_cells(nb: dict) -> list[dict]:
    return [c for c in nb["cells"] if c["cell_type"] == "code" and "".join(c["source"]).strip()]


def test_there_are_notebooks():
    assert NOTEBOOKS, "notebooks/ holds no .ipynb files"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_was_executed_top_to_bottom_from_a_fresh_kernel(path):
    counts = [c.get("execution_count") for c in _code_cells(_load(path))]
    assert counts == list(range(1, len(counts) + 1)), (
        f"{path.name}: execution counts {counts}; run `make notebooks` to execute it from a fresh kernel"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_has_no_error_output(path):
    for i, cell in enumerate(_load(path)["cells"]):
        if "raises-exception" in cell.get("metadata", {}).get("tags", []):
            continue
        for out in cell.get("outputs", []):
            assert out["output_type"] != "error", f"{path.name} cell {i}: {out.get('ename')}: {out.get('evalue')}"
            if out["output_type"] == "stream" and out.get("name") == "stderr":
                text = "".join(out.get("text", ""))
                assert "Traceback" not in text, f"{path.name} cell {i} printed a traceback to stderr"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_shows_no_machine_path_or_user_name(path):
    nb = _load(path)
    for i, cell in enumerate(nb["cells"]):
        text = json.dumps(cell.get("outputs", [])) + json.dumps(cell.get("metadata", {}))
        match = MACHINE_PATH.search(text)
        assert match is None, f"{path.name} cell {i} shows {match.group(0)!r}"
    match = MACHINE_PATH.search(json.dumps(nb["metadata"]))
    assert match is None, f"{path.name} notebook metadata shows {match.group(0)!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_uses_the_python3_kernel_and_stays_small(path):
    nb = _load(path)
    assert nb["metadata"].get("kernelspec", {}).get("name") == "python3", f"{path.name}: kernel is not python3"
    size = path.stat().st_size
    assert size < MAX_BYTES, f"{path.name} is {size / 1e6:.1f} MB; keep notebooks under 3 MB"


def _saved_texts(out: dict) -> list[str]:
    """What a static viewer shows of an output as text (a stream: the last frame of each line)."""
    if out["output_type"] == "stream":  # a bar redraws itself after a carriage return
        text = "".join(out.get("text", "")).replace("\r\n", "\n")
        return [line.split("\r")[-1] for line in text.split("\n")]
    text = out.get("data", {}).get("text/plain", "")
    return ["".join(text)] if text else []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_saved_progress_bar_shows_where_it_finished(path):
    for i, cell in enumerate(_load(path)["cells"]):
        for out in cell.get("outputs", []):
            for text in _saved_texts(out):
                for bar in PROGRESS_BAR.finditer(text):
                    assert "?" not in bar["times"], (
                        f"{path.name} cell {i} saved the first frame of a progress bar ({text.strip()!r}); "
                        "make the bar with dqn_helpers.progress.progress_bar, whose saved text is its final state"
                    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_widget_view_comes_with_a_static_figure(path):
    for i, cell in enumerate(_load(path)["cells"]):
        outputs = cell.get("outputs", [])
        views = [o for o in outputs if WIDGET_VIEW in o.get("data", {})
                 and not PROGRESS_BAR.search("".join(o["data"].get("text/plain", "")))]
        pictures = [o for o in outputs if "image/png" in o.get("data", {})]
        assert not views or pictures, (
            f"{path.name} cell {i} shows a widget but no picture: a static viewer sees only "
            f"{''.join(views[0]['data'].get('text/plain', ''))[:60]!r}; draw the figure in the cell too"
        )


def test_the_static_view_checks_accept_a_finished_bar_and_an_explorer_with_its_picture(tmp_path):
    view = {WIDGET_VIEW: {"model_id": "x", "version_major": 2, "version_minor": 0}}
    good = {"cells": [
        {"cell_type": "code", "source": "train()", "metadata": {}, "execution_count": 1, "outputs": [
            {"output_type": "display_data", "metadata": {},
             "data": {**view, "text/plain": "DQN: 100%|##########| 60000/60000 [00:41<00:00, 1460.12step/s]"}}]},
        {"cell_type": "code", "source": "explore()", "metadata": {}, "execution_count": 2, "outputs": [
            {"output_type": "display_data", "metadata": {}, "data": {"image/png": "iVBOR", "text/plain": "<Figure>"}},
            {"output_type": "execute_result", "metadata": {}, "execution_count": 2,
             "data": {**view, "text/plain": "VBox(children=(HBox(...)))"}}]},
    ], "metadata": {"kernelspec": {"name": "python3"}}}
    path = tmp_path / "good.ipynb"
    path.write_text(json.dumps(good))
    test_every_saved_progress_bar_shows_where_it_finished(path)
    test_every_widget_view_comes_with_a_static_figure(path)


def test_the_hygiene_checks_catch_a_bad_notebook(tmp_path):
    """The checks above can fail: feed them a notebook with each fault."""
    bad = {
        "cells": [
            {"cell_type": "code", "source": "x", "metadata": {}, "execution_count": 2,
             "outputs": [{"output_type": "error", "ename": "E", "evalue": "", "traceback": []}]},
            {"cell_type": "code", "source": "y", "metadata": {}, "execution_count": None,
             "outputs": [{"output_type": "stream", "name": "stdout", "text": "/home/alice/x"}]},
            {"cell_type": "code", "source": "z", "metadata": {}, "execution_count": 3, "outputs": [
                {"output_type": "display_data", "metadata": {}, "data": {
                    WIDGET_VIEW: {"model_id": "a", "version_major": 2, "version_minor": 0},
                    "text/plain": "DQN:   0%|          | 0/60000 [00:00<?, ?step/s]"}},
                {"output_type": "execute_result", "metadata": {}, "execution_count": 3, "data": {
                    WIDGET_VIEW: {"model_id": "b", "version_major": 2, "version_minor": 0},
                    "text/plain": "VBox(children=(HBox(children=(FloatSlider(value=0.05)"}}]},
        ],
        "metadata": {"kernelspec": {"name": "other"}},
    }
    path = tmp_path / "bad.ipynb"
    path.write_text(json.dumps(bad))
    for check in (
        test_notebook_was_executed_top_to_bottom_from_a_fresh_kernel,
        test_notebook_has_no_error_output,
        test_notebook_shows_no_machine_path_or_user_name,
        test_notebook_uses_the_python3_kernel_and_stays_small,
        test_every_saved_progress_bar_shows_where_it_finished,
        test_every_widget_view_comes_with_a_static_figure,
    ):
        with pytest.raises(AssertionError):
            check(path)
