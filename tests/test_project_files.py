"""The project's set-up files agree with each other and with the notebooks."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_environment_yml_lists_the_same_dependencies_as_pyproject():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_lists = [d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d]
    assert len(pip_lists) == 1, "environment.yml needs one pip: section"
    conda_pip = {line for line in pip_lists[0] if not line.startswith("-e")}
    assert conda_pip == set(_pyproject()["project"]["dependencies"]), (
        "environment.yml and pyproject.toml disagree: "
        f"only in environment.yml {sorted(conda_pip - set(_pyproject()['project']['dependencies']))}, "
        f"only in pyproject.toml {sorted(set(_pyproject()['project']['dependencies']) - conda_pip)}"
    )
    assert "-e ." in pip_lists[0], "environment.yml must install dqn_helpers itself (-e .)"


def test_every_dependency_is_pinned():
    for dep in _pyproject()["project"]["dependencies"]:
        assert "==" in dep, f"{dep} is not pinned with =="


def _readme_table() -> list[tuple[str, str, str, str]]:
    """Rows (title, file, what you learn, minutes) of the README's notebook table."""
    rows = []
    for line in (ROOT / "README.md").read_text().splitlines():
        m = re.match(r"\|\s*\[(?P<title>[^\]]+)\]\(notebooks/(?P<file>[^)]+)\)\s*\|(?P<learn>[^|]+)\|(?P<min>[^|]+)\|", line)
        if m:
            rows.append((m["title"].strip(), m["file"], m["learn"].strip(), m["min"].strip()))
    return rows


def test_readme_table_lists_exactly_the_notebooks_in_order():
    files = [row[1] for row in _readme_table()]
    assert files == NOTEBOOKS, f"README table lists {files}, notebooks/ holds {NOTEBOOKS}"


def test_readme_table_titles_match_each_notebooks_heading_and_give_minutes():
    for title, file, learn, minutes in _readme_table():
        nb = json.loads((ROOT / "notebooks" / file).read_text())
        first = "".join(nb["cells"][0]["source"]).splitlines()[0]
        assert first == f"# {title}", f"{file}: README says {title!r}, the notebook's heading is {first!r}"
        assert learn, f"{file}: say in the README what the notebook teaches"
        assert re.fullmatch(r"(<\s*)?\d+(\.\d+)?", minutes), f"{file}: minutes {minutes!r} is not a number"


def test_ci_runs_exactly_the_readme_test_command():
    ci = [l.strip() for l in (ROOT / ".ci/run").read_text().splitlines() if l.strip() and not l.startswith("#")]
    assert "make test" in ci, ".ci/run must run `make test`"
    assert "make test" in (ROOT / "README.md").read_text()
