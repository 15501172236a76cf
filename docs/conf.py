"""Sphinx configuration of the web book: README.md, notebooks 00-07 and docs/teaching.md.

Built by ``make book`` (``tools/build_book.py``), with the repository root as the source folder
and this folder as the configuration folder.  The book shows the outputs committed in the
notebooks and never executes them: what a reader sees is what CI executed.  Nothing on a page is
fetched from outside the book: MathJax is copied from the ``sphinx-mathjax-offline`` package into
``_static/mathjax``, and the hooks below take out what a notebook output would load from the web.

What the hooks change, in the book only (the committed files stay as they are):

- README.md (the front page) gets the book's table of contents at its end;
- each chapter gets a line under its title to download the notebook and its student version
  (written by ``tools/make_student.py`` into ``downloads/`` of the build);
- a saved widget view is shown by its text if it is a progress bar, and left out otherwise (an
  explorer: the hygiene test makes sure its cell also holds the static figure);
- ``<link>`` and ``<script src>`` tags to other sites are removed from HTML outputs (matplotlib's
  animation asks a CDN for Font Awesome; the theme's own Font Awesome draws its buttons).
"""

from __future__ import annotations

import importlib.metadata
import json
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

project = "q-to-dqn"
author = "the q-to-dqn authors"
copyright = "the q-to-dqn authors"

root_doc = "README"
CHAPTERS = sorted(p.relative_to(ROOT).with_suffix("").as_posix() for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
INSTRUCTOR_PAGES = ["docs/teaching", "CONTRIBUTING"]
include_patterns = ["README.md", "CONTRIBUTING.md", "docs/teaching.md", "notebooks/[0-9][0-9]_*.ipynb"]
# Folders Sphinx must not even walk (the virtual environment alone holds tens of thousands of files).
exclude_patterns = [".*", "build", "docs/_build", "student", "benchmarks", "dqn_helpers", "tests", "tools",
                    "node_modules", "**/.ipynb_checkpoints", "**/__pycache__"]

extensions = ["myst_nb", "sphinx.ext.mathjax"]
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3
nb_execution_mode = "off"  # never execute: render the committed outputs
nb_ipywidgets_js = {}  # no widget manager from a CDN; widget views are handled in _clean_outputs
# A README code block quotes "PyTorch's": Pygments retries it in relaxed mode, which renders it right.
suppress_warnings = ["misc.highlighting_failure"]

html_theme = "sphinx_book_theme"
html_title = "q-to-dqn: from a Q-table to a deep Q-network"
html_theme_options = {
    "use_download_button": False,  # each chapter has its own download line
    "use_fullscreen_button": False,
    "use_repository_button": False,
    "show_toc_level": 2,
    "navigation_with_keys": False,
}
# pydata-sphinx-theme reads the colour mode from the page context; unset, it logs a console error.
html_context = {"default_mode": "auto"}
html_last_updated_fmt = None
html_copy_source = False  # the notebooks are offered once, in downloads/ (see _download_cell)
html_show_sourcelink = False

# MathJax 3 from the sphinx-mathjax-offline package (its folder name has a hyphen, so it is found
# through its distribution's file list rather than imported).  Only the files a page loads are copied.
mathjax_path = "mathjax/tex-chtml.js"
MATHJAX_PARTS = ["tex-chtml.js", "output/chtml", "input/tex/extensions", "a11y", "ui", "adaptors"]


def _mathjax_folder() -> Path:
    dist = importlib.metadata.distribution("sphinx-mathjax-offline")
    for file in dist.files or []:
        if file.as_posix().endswith("static/mathjax/tex-chtml.js"):
            return Path(dist.locate_file(file)).parent
    raise FileNotFoundError("sphinx-mathjax-offline is installed without static/mathjax/tex-chtml.js")


PROGRESS_BAR = re.compile(r"\d+(\.\d+)?[kMG]?(/\d+(\.\d+)?[kMG]?)? \[[\d:]+")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
EXTERNAL_TAG = re.compile(r"""<(link|script)\b[^>]*\b(href|src)\s*=\s*["']?(https?:)?//[^>]*>(\s*</script>)?""", re.I)


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else value


def _clean_outputs(cell: dict) -> None:
    """Progress bars as their text, other widget views out, no external tags in HTML."""
    kept = []
    for out in cell.get("outputs", []):
        data = out.get("data", {})
        if WIDGET_VIEW in data:
            if not PROGRESS_BAR.search(_text(data.get("text/plain", ""))):
                continue
            del data[WIDGET_VIEW]
        if "text/html" in data:
            data["text/html"] = EXTERNAL_TAG.sub("", _text(data["text/html"]))
        kept.append(out)
    cell["outputs"] = kept


def _download_cell(docname: str) -> dict:
    name = Path(docname).name
    line = (f'<p class="chapter-downloads">Download this chapter: '
            f'<a class="reference download" href="../downloads/{name}.ipynb" download>the notebook</a> '
            f'(with its outputs) · <a class="reference download" href="../downloads/student/{name}.ipynb" '
            f'download="{name}_student.ipynb">the student version</a> (exercises to fill in, no outputs).</p>')
    return {"cell_type": "markdown", "id": "book-downloads", "metadata": {}, "source": line}


def _on_source_read(app, docname: str, source: list[str]) -> None:
    if docname == root_doc:
        source[0] += ("\n\n```{toctree}\n:hidden:\n:caption: Chapters\n\n" + "\n".join(CHAPTERS) + "\n```\n"
                      "\n```{toctree}\n:hidden:\n:caption: For instructors and authors\n\n"
                      + "\n".join(INSTRUCTOR_PAGES) + "\n```\n")
    elif docname in CHAPTERS:
        nb = json.loads(source[0])
        nb.get("metadata", {}).pop("widgets", None)
        for cell in nb["cells"]:
            _clean_outputs(cell)
        nb["cells"].insert(1, _download_cell(docname))
        source[0] = json.dumps(nb)


def _on_build_finished(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    out = Path(app.outdir)
    mathjax = _mathjax_folder()
    for part in MATHJAX_PARTS:
        src, dst = mathjax / part, out / "_static" / "mathjax" / part
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True)
        else:
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
    from make_student import make_student

    notebooks = [ROOT / f"{c}.ipynb" for c in CHAPTERS]
    downloads = out / "downloads"
    downloads.mkdir(exist_ok=True)
    for path in notebooks:
        shutil.copy2(path, downloads / path.name)
    make_student(notebooks, downloads / "student")
    # A plain index.html for servers and file:// readers that open a folder.
    (out / "index.html").write_text(
        f'<!DOCTYPE html><meta charset="utf-8"><title>{project}</title>'
        f'<meta http-equiv="refresh" content="0; url={root_doc}.html"><a href="{root_doc}.html">{html_title}</a>\n')


def setup(app):
    app.connect("source-read", _on_source_read)
    app.connect("build-finished", _on_build_finished)
