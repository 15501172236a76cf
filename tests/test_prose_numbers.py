"""Numbers in the prose come from the cells (CONTRIBUTING.md, the evidence standard, rule 7).

Every number a markdown cell of a notebook states must be shown by a code cell of the
same notebook (its source or its output), or be listed as cited in that markdown cell:
``<!-- cited: 316.8 1968 -->``.  The matching rules are in ``tools/prose_numbers.py``,
which also prints every unbacked number of the series (``python tools/prose_numbers.py``).
A markdown table is prose too: a summary table that no output backs fails here, which is
how a stale table (one that contradicts the numbers it summarises) is caught.

The first tests prove on small made-up notebooks that the check can fail; the last one
runs it on every notebook of the series.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from _tools import load_tool

ROOT = Path(__file__).resolve().parents[1]
prose_numbers = load_tool("prose_numbers")

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def notebook(markdown: str, code: str = "", printed: str = "") -> nbformat.NotebookNode:
    """A made-up notebook: one code cell (source ``code``, printing ``printed``), then one markdown cell."""
    cell = new_code_cell(code, execution_count=1)
    if printed:
        cell.outputs = [new_output("stream", name="stdout", text=printed)]
    return new_notebook(cells=[cell, new_markdown_cell(markdown)])


def unbacked(markdown: str, code: str = "", printed: str = "") -> list[str]:
    return [item.text for item in prose_numbers.unbacked_numbers(notebook(markdown, code, printed))]


# ----------------------------------------------------------------------------
# The check on made-up notebooks
# ----------------------------------------------------------------------------

def test_a_number_an_output_shows_passes():
    assert unbacked("The agent reaches 0.74 of the goals.", printed="success 0.74\n") == []


def test_a_number_no_cell_shows_fails_and_names_the_cell_and_sentence():
    nb = notebook("It balances for 316.8 steps on average.", printed="mean 22.5\n")
    (item,) = prose_numbers.unbacked_numbers(nb)
    assert (item.cell, item.text) == (1, "316.8")
    assert "balances for «316.8» steps" in item.snippet


def test_a_number_in_code_source_counts_as_shown():
    assert unbacked("We train for 10,000 episodes.", code="n_episodes = 10_000") == []


def test_a_cited_number_passes_and_only_in_its_own_cell():
    assert unbacked("Nature reported 316.8 on Breakout. <!-- cited: 316.8 -->") == []
    nb = notebook("Nature reported 316.8. <!-- cited: 316.8 -->")
    nb.cells.append(new_markdown_cell("Again 316.8."))
    assert [(i.cell, i.text) for i in prose_numbers.unbacked_numbers(nb)] == [(2, "316.8")]


def test_numbers_in_code_spans_math_links_and_comments_are_exempt():
    markdown = ("Call `evaluate(n=37)`, with $\\gamma = 0.37$ and $$\\sum_{t=0}^{37} r_t$$, "
                "see [the docs](https://example.org/v37/page?x=37) or https://example.org/37. <!-- 37 -->")
    assert unbacked(markdown) == []


def test_math_that_is_only_a_number_is_a_number():
    assert unbacked("The success rate drops to $0.730$.") == ["0.730"]
    assert unbacked("The success rate drops to $0.730$.", printed="0.730\n") == []


def test_references_years_list_markers_and_heading_numbers_are_exempt():
    markdown = ("# 05 · Target networks\n\n"
                "1. As notebook 03 showed, and notebooks 04-07 use (Exercise 3, bug 3a, section 11.3),\n"
                "2. see Algorithm 1, Table 3, Example 6.6 and Figure 6.4 of Sutton & Barto (2018);\n"
                "3. Mnih et al., 2015, on CartPole-v1 in float32.\n")
    assert unbacked(markdown) == []


def test_separators_rounding_and_percent_match_generously():
    assert unbacked("1,008 losses", printed="1008\n") == []
    assert unbacked("about 0.74", printed="0.7402\n") == []
    assert unbacked("about 0.74", printed="0.740\n") == []
    assert unbacked("95% of seeds", printed="0.95\n") == []
    assert unbacked("95% of seeds", printed="95\n") == []
    assert unbacked("a rate of 0.95", printed="95.0%\n") == []
    assert unbacked("18,000 steps", printed="18000\n") == []
    assert unbacked("a return of -13", printed="-13.0\n") == []


def test_matching_is_honest_about_the_digits_written():
    assert unbacked("about 0.74", printed="0.7462\n") == ["0.74"]  # rounds to 0.75
    assert unbacked("exactly 0.740", printed="0.74\n") == ["0.740"]  # fewer digits shown than stated
    assert unbacked("1,008 losses", printed="1,009\n") == ["1,008"]
    assert unbacked("95% of seeds", printed="0.9\n") == ["95%"]


def test_a_range_is_two_numbers():
    assert unbacked("between 14,000-28,000 steps", printed="14000\n") == ["28,000"]
    assert unbacked("between 14,000-28,000 steps", printed="14000 28000\n") == []


def test_a_table_is_scanned_so_a_stale_summary_row_fails():
    table = ("| method | mean return |\n|---|---:|\n"
             "| DQN | 412.3 |\n| DQN, no target network | 187.0 |\n")
    printed = "DQN 412.3\nDQN, no target network 201.4\n"  # the run changed; the table did not
    assert unbacked(table, printed=printed) == ["187.0"]
    assert unbacked(table, printed="DQN 412.3\nDQN, no target network 187.0\n") == []


def test_failure_message_says_where_and_how_to_fix():
    nb = notebook("It balances for 316.8 steps.")
    message = failure_message(prose_numbers.unbacked_numbers(nb))
    assert "cell 1" in message and "316.8" in message and "cited" in message


# ----------------------------------------------------------------------------
# The series
# ----------------------------------------------------------------------------

def failure_message(found: list) -> str:
    lines = [f"{len(found)} number(s) in markdown cells that no code cell or output of this notebook shows:"]
    lines += [f"  {item}" for item in found]
    lines.append("Fix each one: print it from a code cell (a measurement), or, if it is cited (a paper's value, "
                 "a definition, an estimate), list it in that markdown cell as <!-- cited: 316.8 -->. "
                 "Report them all with: python tools/prose_numbers.py notebooks/NAME.ipynb")
    return "\n".join(lines)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_number_in_the_prose_is_shown_or_cited(path: Path):
    found = prose_numbers.report(path)
    if found:
        pytest.fail(failure_message(found), pytrace=False)
