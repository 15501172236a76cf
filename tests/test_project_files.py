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


def _all_dependencies() -> set[str]:
    """The runtime dependencies and every extra: what `make` installs (`-e .[test,docs]`)."""
    project = _pyproject()["project"]
    deps = set(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        deps |= set(extra)
    return deps


def _name(requirement: str) -> str:
    return re.split(r"[\[=<>!~ ;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_lists_the_same_dependencies_as_pyproject():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_lists = [d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d]
    assert len(pip_lists) == 1, "environment.yml needs one pip: section"
    conda_pip = {line for line in pip_lists[0] if not line.startswith("-e")}
    expected = _all_dependencies()
    assert conda_pip == expected, (
        "environment.yml and pyproject.toml (dependencies and extras) disagree: "
        f"only in environment.yml {sorted(conda_pip - expected)}, only in pyproject.toml {sorted(expected - conda_pip)}"
    )
    assert "-e ." in pip_lists[0], "environment.yml must install dqn_helpers itself (-e .)"


def test_every_dependency_is_pinned():
    for dep in _all_dependencies():
        assert "==" in dep, f"{dep} is not pinned with =="


def test_a_plain_install_of_the_package_pulls_no_test_or_book_tool():
    runtime = {_name(dep) for dep in _pyproject()["project"]["dependencies"]}
    for tool in ("pytest", "pytest-xdist", "nbval", "playwright", "hypothesis", "sphinx", "myst-nb"):
        assert tool not in runtime, f"{tool} is a runtime dependency; move it to the [test] or [docs] extra"
    extras = _pyproject()["project"]["optional-dependencies"]
    assert {"pytest", "playwright", "hypothesis", "nbval"} <= {_name(d) for d in extras["test"]}
    assert {"sphinx", "myst-nb", "sphinx-book-theme"} <= {_name(d) for d in extras["docs"]}


def test_the_makefile_installs_the_test_and_docs_extras():
    assert '-e ".[test,docs]"' in (ROOT / "Makefile").read_text()


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
        assert re.fullmatch(r"(<\s*)?\d+(\.\d+)?(-\d+(\.\d+)?)?", minutes), f"{file}: minutes {minutes!r} is not a number or a range"


def test_ci_runs_exactly_the_readme_test_command():
    ci = [l.strip() for l in (ROOT / ".ci/run").read_text().splitlines() if l.strip() and not l.startswith("#")]
    assert "make test" in ci, ".ci/run must run `make test`"
    assert "make test" in (ROOT / "README.md").read_text()
