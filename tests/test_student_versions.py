"""Student versions: solutions out, outputs cleared, and each notebook stops at its first exercise.

``tools/make_student.py`` (``make student``) turns every solution notebook into a
student notebook.  These tests check it on a small made-up notebook, then on every
notebook of the series that has exercises: the student version is valid, holds no
solution line, stops at its first exercise with ``NotImplementedError`` when run,
and the solution, put back, passes that exercise's check.  Only the cells up to the
first exercise's check run here; nbval runs the whole solution notebooks.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from _tools import load_tool

ROOT = Path(__file__).resolve().parents[1]
make_student = load_tool("make_student")

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def _exercise_cells(nb: nbformat.NotebookNode) -> list[int]:
    return [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and make_student.has_solution(c.source)]


WITH_EXERCISES = [p for p in NOTEBOOKS if _exercise_cells(nbformat.read(p, as_version=4))]
CHECK_CALL = make_student.CHECK_CALL


# ----------------------------------------------------------------------------
# A small made-up notebook: two exercises, one inside a function, one at top level
# ----------------------------------------------------------------------------

SOLUTION_1 = """def double(x):
    \"\"\"Return twice x.\"\"\"
    ### BEGIN SOLUTION
    y = x + x
    return y
    ### END SOLUTION"""

SOLUTION_2 = """### BEGIN SOLUTION
answer = double(21)
### END SOLUTION
print("answer is set")"""


TOY_CHECK = """def check_double(fn):
    assert fn(3) == {expected}, "double(3) should be {expected}"
    print("check_double: looks right")

check_double(double)"""


def _toy_notebook(check_1: str = TOY_CHECK.format(expected=6)) -> nbformat.NotebookNode:
    nb = new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    nb.cells = [
        new_markdown_cell("# A toy notebook\nIt doubles numbers."),
        new_code_cell("import math\nbase = 2", execution_count=1,
                      outputs=[new_output("stream", name="stdout", text="ready\n")]),
        new_code_cell(SOLUTION_1, execution_count=2, metadata={"tags": ["exercise"]}),
        new_code_cell(check_1, execution_count=3,
                      outputs=[new_output("stream", name="stdout", text="looks right\n")]),
        new_markdown_cell("Now use it."),
        new_code_cell(SOLUTION_2, execution_count=4),
        new_code_cell("def check_answer(value):\n    assert value == 42\n\ncheck_answer(answer)", execution_count=5),
    ]
    return nb


def test_student_version_replaces_each_solution_by_the_stub_at_its_indentation():
    student = make_student.student_notebook(_toy_notebook())
    assert student.cells[2].source == (
        'def double(x):\n    """Return twice x."""\n    # YOUR CODE HERE\n    raise NotImplementedError()'
    )
    assert student.cells[5].source == '# YOUR CODE HERE\nraise NotImplementedError()\nprint("answer is set")'


def test_student_version_clears_every_output_and_keeps_everything_else():
    solution = _toy_notebook()
    student = make_student.student_notebook(solution)
    assert len(student.cells) == len(solution.cells)
    for before, after in zip(solution.cells, student.cells):
        assert after.cell_type == before.cell_type
        assert after.metadata == before.metadata
        if after.cell_type == "code":
            assert after.outputs == [] and after.execution_count is None
            if not make_student.has_solution(before.source):
                assert after.source == before.source
        else:
            assert after.source == before.source
    assert solution.cells[1].outputs, "making the student version must not change the solution notebook"
    nbformat.validate(student)


def test_putting_the_solution_back_gives_the_solution_without_its_markers():
    parts, regions = make_student.split_solution(SOLUTION_1)
    assert [r.lines for r in regions] == [["    y = x + x", "    return y"]]
    assert make_student.join(parts, "solution") == SOLUTION_1.replace("    ### BEGIN SOLUTION\n", "").replace(
        "\n    ### END SOLUTION", ""
    )


@pytest.mark.parametrize(
    "source, message",
    [
        ("### END SOLUTION\nx = 1", "without a ### BEGIN SOLUTION"),
        ("### BEGIN SOLUTION\nx = 1", "never closed"),
        ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION", "inside another"),
    ],
)
def test_unpaired_solution_markers_are_reported_with_the_cell(source, message):
    nb = _toy_notebook()
    nb.cells[1].source = source
    with pytest.raises(make_student.SolutionMarkerError, match=rf"toy.ipynb cell 1 .*{message}|toy.ipynb cell 1: .*{message}"):
        make_student.student_notebook(nb, "toy.ipynb")


def test_make_student_writes_every_notebook_and_copies_the_files_beside_them(tmp_path):
    source = tmp_path / "notebooks"
    source.mkdir()
    nbformat.write(_toy_notebook(), source / "01_toy.ipynb")
    nbformat.write(_toy_notebook(), source / "02_toy.ipynb")
    (source / "data.csv").write_text("x\n1\n")
    out = tmp_path / "student"
    assert make_student.main([str(source / "01_toy.ipynb"), str(source / "02_toy.ipynb"), "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["01_toy.ipynb", "02_toy.ipynb", "data.csv"]
    for path in out.glob("*.ipynb"):
        text = path.read_text()
        assert "BEGIN SOLUTION" not in text and "x + x" not in text


def test_nbgrader_metadata_marks_exercises_as_solution_cells_and_checks_as_graded_tests():
    nb = make_student.nbgrader_notebook(_toy_notebook(), "01")
    meta = [c.metadata.get("nbgrader") for c in nb.cells]
    assert meta[2]["solution"] and not meta[2]["grade"] and meta[2]["grade_id"] == "01-exercise-1"
    assert meta[3]["grade"] and meta[3]["locked"] and meta[3]["points"] == 1 and meta[3]["grade_id"] == "01-check-1"
    assert meta[5]["solution"] and meta[5]["grade_id"] == "01-exercise-2"
    assert meta[6]["grade"] and meta[6]["grade_id"] == "01-check-2"
    assert meta[0] is None and meta[1] is None and meta[4] is None
    assert len({m["grade_id"] for m in meta if m}) == 4
    nbformat.validate(nb)


# ----------------------------------------------------------------------------
# Running a student notebook up to its first exercise
# ----------------------------------------------------------------------------


def run_first_exercise(solution: nbformat.NotebookNode, student: nbformat.NotebookNode, cwd: Path) -> str:
    """Run ``student`` up to its first exercise's check; then the solution, put back, and its check.

    Returns the check cell's printed output with the solution in place.  Fails the test if a cell
    before the first exercise fails, if the student version does not stop there with
    ``NotImplementedError``, or if the solution does not pass its check.
    """
    first = _exercise_cells(solution)[0]
    check = next(
        (i for i in range(first + 1, len(solution.cells))
         if solution.cells[i].cell_type == "code" and CHECK_CALL.search(solution.cells[i].source)),
        None,
    )
    assert check is not None, f"exercise cell {first} has no check cell (a call to check_...) after it"
    nb = nbformat.from_dict(student)
    client = NotebookClient(nb, timeout=600, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(cwd)}})
    with client.setup_kernel():
        for i in range(first):
            if nb.cells[i].cell_type == "code":
                try:
                    client.execute_cell(nb.cells[i], i)
                except CellExecutionError as err:
                    pytest.fail(f"cell {i}, before the first exercise, failed in the student version: {err.ename}: {err.evalue}")
        stopped = None
        for i in range(first, check + 1):
            if nb.cells[i].cell_type == "code":
                try:
                    client.execute_cell(nb.cells[i], i)
                except CellExecutionError as err:
                    stopped = (i, err.ename)
                    break
        assert stopped is not None, f"the student version ran through its first exercise (cells {first}-{check}) without stopping"
        assert stopped[1] == "NotImplementedError", f"the student version stopped at cell {stopped[0]} with {stopped[1]}, not NotImplementedError"
        # Put the solution back (as a learner who solved it would) and run the exercise and its check again.
        solved_parts, _ = make_student.split_solution(solution.cells[first].source)
        nb.cells[first].source = make_student.join(solved_parts, "solution")
        for i in range(first, check + 1):
            if nb.cells[i].cell_type == "code":
                try:
                    client.execute_cell(nb.cells[i], i)
                except CellExecutionError as err:
                    pytest.fail(f"with the solution put back, cell {i} failed: {err.ename}: {err.evalue}")
    return "".join(o.get("text", "") for o in nb.cells[check].outputs if o.output_type == "stream")


def test_the_toy_student_notebook_stops_at_its_first_exercise_and_the_solution_passes(tmp_path):
    solution = _toy_notebook()
    output = run_first_exercise(solution, make_student.student_notebook(solution), tmp_path)
    assert "looks right" in output


def test_running_up_to_the_first_exercise_fails_when_the_solution_does_not_pass_its_check(tmp_path):
    solution = _toy_notebook(check_1=TOY_CHECK.format(expected=7))
    with pytest.raises(pytest.fail.Exception, match="with the solution put back, cell 3 failed"):
        run_first_exercise(solution, make_student.student_notebook(solution), tmp_path)


# ----------------------------------------------------------------------------
# The notebooks of the series
# ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def student_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("student")
    make_student.make_student(NOTEBOOKS, out)
    return out


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if re.match(r"0[1-6]_", p.name)], ids=lambda p: p.name)
def test_notebooks_01_to_06_each_have_two_to_four_exercises(path):
    n = len(_exercise_cells(nbformat.read(path, as_version=4)))
    assert 2 <= n <= 4, f"{path.name} has {n} exercise cells (### BEGIN SOLUTION ... ### END SOLUTION); plan two to four"


@pytest.mark.parametrize("path", WITH_EXERCISES, ids=lambda p: p.name)
def test_each_exercise_is_followed_by_a_cell_that_calls_its_check(path):
    nb = nbformat.read(path, as_version=4)
    for i in _exercise_cells(nb):
        following = [c for c in nb.cells[i + 1:] if c.cell_type == "code"]
        assert following and CHECK_CALL.search(following[0].source), (
            f"{path.name} cell {i}: the next code cell should call a check, check_<thing>(your_function)"
        )


@pytest.mark.parametrize("path", WITH_EXERCISES, ids=lambda p: p.name)
def test_student_notebook_is_valid_cleared_and_holds_no_solution_line(path, student_dir):
    solution = nbformat.read(path, as_version=4)
    student_path = student_dir / path.name
    student = nbformat.read(student_path, as_version=4)
    nbformat.validate(student)
    assert "SOLUTION" not in "".join(c.source for c in student.cells if c.cell_type == "code")
    assert all(c.outputs == [] and c.execution_count is None for c in student.cells if c.cell_type == "code")
    for i in _exercise_cells(solution):
        parts, regions = make_student.split_solution(solution.cells[i].source)
        kept = {p.strip() for p in parts if isinstance(p, str)}
        student_lines = {line.strip() for line in student.cells[i].source.split("\n")}
        for region in regions:
            leaked = [line for line in region.lines if line.strip() and line.strip() not in kept and line.strip() in student_lines]
            assert not leaked, f"{path.name} cell {i}: the student version still shows solution lines {leaked}"
        assert "raise NotImplementedError()" in student.cells[i].source
    for i, (before, after) in enumerate(zip(solution.cells, student.cells)):
        if not (before.cell_type == "code" and make_student.has_solution(before.source)):
            assert after.source == before.source, f"{path.name} cell {i} changed in the student version"


@pytest.mark.parametrize("path", WITH_EXERCISES, ids=lambda p: p.name)
def test_student_notebook_stops_at_its_first_exercise_and_the_solution_passes_its_check(path, student_dir):
    solution = nbformat.read(path, as_version=4)
    student = nbformat.read(student_dir / path.name, as_version=4)
    output = run_first_exercise(solution, student, student_dir)
    assert "looks right" in output, f"{path.name}: the first exercise's check printed {output!r}"
