"""tools/other_seeds.py: a notebook's asserts, run again on another draw of seeds (evidence rule 8)."""

from pathlib import Path

import nbformat
import pytest

from _tools import load_tool

other_seeds = load_tool("other_seeds")


def _notebook(tmp_path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("A claim about seeds."),
                nbformat.v4.new_code_cell("SEEDS = list(range(100, 103))"),
                nbformat.v4.new_code_cell('assert max(SEEDS) < 250, "the claim needs small seeds"\nprint("held")')]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / "claim.ipynb"
    nbformat.write(nb, path)
    return path


def test_an_assert_that_holds_on_the_other_seeds_passes_and_one_that_does_not_fails(tmp_path):
    path = _notebook(tmp_path)
    before = path.read_text()
    assert other_seeds.main([str(path), "range(100, 103)", "range(200, 203)"]) == 0
    ok, nb, message = other_seeds.run_on_other_seeds(path, "range(100, 103)", "range(300, 303)")
    assert not ok and "the claim needs small seeds" in message
    assert path.read_text() == before, "the notebook itself is not changed"
    assert other_seeds.main([str(path), "range(100, 103)", "range(300, 303)", "--out", str(tmp_path / "o.ipynb")]) == 1
    assert "range(300, 303)" in (tmp_path / "o.ipynb").read_text()


def test_a_replacement_that_matches_nothing_is_refused(tmp_path):
    with pytest.raises(ValueError, match="occurs in no code cell"):
        other_seeds.run_on_other_seeds(_notebook(tmp_path), "range(0, 5)", "range(5, 10)")
