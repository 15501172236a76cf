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


def test_the_hygiene_checks_catch_a_bad_notebook(tmp_path):
    """The checks above can fail: feed them a notebook with each fault."""
    bad = {
        "cells": [
            {"cell_type": "code", "source": "x", "metadata": {}, "execution_count": 2,
             "outputs": [{"output_type": "error", "ename": "E", "evalue": "", "traceback": []}]},
            {"cell_type": "code", "source": "y", "metadata": {}, "execution_count": None,
             "outputs": [{"output_type": "stream", "name": "stdout", "text": "/home/alice/x"}]},
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
    ):
        with pytest.raises(AssertionError):
            check(path)
