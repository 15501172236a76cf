"""Write student versions of the notebooks: solutions removed, outputs cleared.

    python tools/make_student.py                      # notebooks/*.ipynb -> student/
    python tools/make_student.py --out /tmp/class notebooks/01_*.ipynb

In a solution notebook, the code a learner writes sits between two marker lines
(the nbgrader convention)::

    def epsilon_greedy(q, state, epsilon, rng):
        ### BEGIN SOLUTION
        if rng.random() < epsilon:
            ...
        ### END SOLUTION

The student version replaces each such region, markers included, by::

        # YOUR CODE HERE
        raise NotImplementedError()

at the indentation of the ``### BEGIN SOLUTION`` line, and clears every output
and execution count.  Everything else (markdown, other code, cell tags, the
other files in the notebooks folder) is copied unchanged.  Used by ``make student``.

For nbgrader, ``--nbgrader SOURCE`` writes the solution notebooks with nbgrader's
cell metadata instead (exercise cells as solution cells, the check after each as an
autograded test), one assignment folder per notebook; see docs/teaching.md.
"""

from __future__ import annotations

import argparse
import copy
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")
_MARKER = re.compile(r"^(?P<indent>[ \t]*)(?P<marker>### (BEGIN|END) SOLUTION)[ \t]*$")


class SolutionMarkerError(ValueError):
    """A cell's ``### BEGIN SOLUTION`` / ``### END SOLUTION`` lines do not pair up."""


@dataclass
class Region:
    """One solution region of a cell: the lines strictly between its two markers."""

    indent: str
    lines: list[str]


def split_solution(source: str, where: str = "cell") -> tuple[list[str | Region], list[Region]]:
    """Split a cell's source into plain lines and solution regions.

    Args:
        source: the cell's source text.
        where: names the cell in error messages (e.g. ``"01_tabular.ipynb cell 7"``).

    Returns:
        ``(parts, regions)``: ``parts`` is the source as a list of plain lines (``str``) and
        :class:`Region` objects in order; ``regions`` lists the regions alone.

    Raises:
        SolutionMarkerError: on an ``END`` without a ``BEGIN``, a nested ``BEGIN``, or a ``BEGIN``
            that is never closed.
    """
    parts: list[str | Region] = []
    regions: list[Region] = []
    current: Region | None = None
    for number, line in enumerate(source.split("\n"), 1):
        match = _MARKER.match(line)
        if match and match["marker"] == BEGIN:
            if current is not None:
                raise SolutionMarkerError(f"{where} line {number}: {BEGIN} inside another solution region")
            current = Region(indent=match["indent"], lines=[])
        elif match and match["marker"] == END:
            if current is None:
                raise SolutionMarkerError(f"{where} line {number}: {END} without a {BEGIN} before it")
            parts.append(current)
            regions.append(current)
            current = None
        elif current is not None:
            current.lines.append(line)
        else:
            parts.append(line)
    if current is not None:
        raise SolutionMarkerError(f"{where}: {BEGIN} is never closed by {END}")
    return parts, regions


def join(parts: list[str | Region], fill: str = "stub") -> str:
    """Rebuild a cell's source from :func:`split_solution` parts.

    Args:
        fill: ``"stub"`` puts the student stub in each region; ``"solution"`` puts the solution lines
            back without their markers (what a learner who solved the exercise would have).
    """
    lines: list[str] = []
    for part in parts:
        if isinstance(part, Region):
            lines += [part.indent + s for s in STUB] if fill == "stub" else part.lines
        else:
            lines.append(part)
    return "\n".join(lines)


def has_solution(source: str) -> bool:
    """Whether a cell's source holds a solution region."""
    return any(_MARKER.match(line) for line in source.split("\n"))


def student_notebook(nb: nbformat.NotebookNode, name: str = "notebook") -> nbformat.NotebookNode:
    """Return a student copy of ``nb``: solutions replaced by the stub, outputs cleared.

    Args:
        nb: a notebook (nbformat v4), left unchanged.
        name: names the notebook in error messages.
    """
    nb = copy.deepcopy(nb)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            if has_solution(cell.source):
                parts, _ = split_solution(cell.source, f"{name} cell {i}")
                cell.source = join(parts, "stub")
            cell.outputs = []
            cell.execution_count = None
            cell.metadata.pop("execution", None)
    # Saved widget views belong to the outputs we cleared.
    nb.metadata.pop("widgets", None)
    return nb


CHECK_CALL = re.compile(r"\bcheck_\w+\(")


def nbgrader_notebook(nb: nbformat.NotebookNode, stem: str, points: float = 1.0) -> nbformat.NotebookNode:
    """Return a copy of the solution notebook ``nb`` with nbgrader cell metadata added.

    Each exercise cell becomes an nbgrader *solution* cell and the check cell after it (the next
    code cell that calls ``check_...(``) an autograded *test* cell worth ``points``; ids are
    ``{stem}-exercise-{k}`` and ``{stem}-check-{k}``.  Put the result in an nbgrader course's
    ``source/<assignment>/`` folder and run ``nbgrader generate_assignment <assignment>``.
    """
    nb = copy.deepcopy(nb)
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    k = 0
    for i in code:
        cell = nb.cells[i]
        if not has_solution(cell.source):
            continue
        k += 1
        cell.metadata["nbgrader"] = dict(grade=False, grade_id=f"{stem}-exercise-{k}", locked=False,
                                         schema_version=3, solution=True, task=False)
        following = [j for j in code if j > i]
        if following and CHECK_CALL.search(nb.cells[following[0]].source):
            nb.cells[following[0]].metadata["nbgrader"] = dict(
                grade=True, grade_id=f"{stem}-check-{k}", locked=True, points=points,
                schema_version=3, solution=False, task=False)
    return nb


def make_student(paths: list[Path], out: Path) -> list[Path]:
    """Write the student version of each notebook in ``paths`` into ``out``; return the written paths.

    Other files beside the notebooks (data, pictures) are copied too, so the student notebooks find
    them at the same relative paths.
    """
    out.mkdir(parents=True, exist_ok=True)
    written = []
    folders = {p.parent for p in paths}
    for folder in folders:
        for extra in sorted(folder.iterdir()):
            if extra.suffix == ".ipynb" or extra.name.startswith(".") or extra.name == "__pycache__":
                continue
            target = out / extra.name
            if extra.is_dir():
                shutil.copytree(extra, target, dirs_exist_ok=True)
            else:
                shutil.copy2(extra, target)
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        student = student_notebook(nb, path.name)
        nbformat.validate(student)
        target = out / path.name
        nbformat.write(student, target)
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/[0-9][0-9]_*.ipynb")
    parser.add_argument("--out", type=Path, default=ROOT / "student", help="output folder (default: student/)")
    parser.add_argument("--nbgrader", type=Path, metavar="SOURCE",
                        help="instead, write the solution notebooks with nbgrader cell metadata into "
                             "SOURCE/<notebook name>/ (an nbgrader course's source/ folder)")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if not paths:
        print("no notebooks found", file=sys.stderr)
        return 1
    if args.nbgrader:
        for path in paths:
            folder = args.nbgrader / path.stem
            folder.mkdir(parents=True, exist_ok=True)
            nb = nbgrader_notebook(nbformat.read(path, as_version=4), path.stem[:2])
            nbformat.write(nb, folder / path.name)
            print(f"wrote {folder / path.name}")
        return 0
    try:
        written = make_student([p.resolve() for p in paths], args.out.resolve())
    except SolutionMarkerError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    for source, path in zip(paths, written):
        n = sum(has_solution(c.source) for c in nbformat.read(source, as_version=4).cells if c.cell_type == "code")
        shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        print(f"wrote {shown} ({n} exercise cell{'s' if n != 1 else ''})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
