"""Build the web book: README.md, notebooks 00-07 and docs/teaching.md as static HTML.

    python tools/build_book.py                  # -> build/book/html/  (open build/book/html/index.html)
    python tools/build_book.py --out /tmp/book

Sphinx with myst-nb and sphinx-book-theme (configured in docs/conf.py) renders the outputs
committed in the notebooks; it never executes them.  Any Sphinx warning (a broken link, a
missing image) fails the build.  Used by ``make book`` and by tests/test_book.py.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "build" / "book" / "html"


def build_book(out: Path = DEFAULT_OUT, quiet: bool = True) -> Path:
    """Build the book into ``out`` from scratch (its old content is removed); return ``out``.

    Sphinx's cache (``doctrees``) and myst-nb's copies of the outputs (``jupyter_execute``) go
    beside it, in ``out``'s parent folder, so that ``out`` holds only what a web server would publish.

    Raises:
        subprocess.CalledProcessError: the build failed or warned (Sphinx's messages are printed).
    """
    out = Path(out).resolve()
    doctrees = out.parent / "doctrees"
    for folder in (out, doctrees, out.parent / "jupyter_execute"):
        shutil.rmtree(folder, ignore_errors=True)
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-c", str(ROOT / "docs"), "-d", str(doctrees),
               "--fail-on-warning", "--keep-going", "--jobs", "auto"]
    if quiet:
        command.append("--quiet")
    subprocess.run(command + [str(ROOT), str(out)], check=True, cwd=ROOT)
    return out


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default: build/book/html/)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        out = build_book(args.out)
    except subprocess.CalledProcessError as err:
        print(f"error: the book did not build cleanly (sphinx exited with {err.returncode})", file=sys.stderr)
        return 1
    shown = out.relative_to(ROOT) if out.is_relative_to(ROOT) else out
    print(f"book: {shown}/index.html ({_size(out) / 1e6:.1f} MB, {time.perf_counter() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
