"""Run a notebook on another draw of training seeds and report whether its asserts still hold (evidence rule 8).

    python tools/other_seeds.py notebooks/05_target_network.ipynb "range(100, 110)" "range(200, 210)"

Replaces the text ``OLD`` by ``NEW`` in the notebook's code cells (it must occur at least once), executes the
copy from a fresh kernel in the notebook's folder (so relative paths still work), and prints "all asserts
hold" or the error of the first failing cell.  The notebook itself is not changed; ``--out PATH`` keeps the
executed copy, to read its numbers.  Exits 1 when an assert (or anything else) fails.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parents[1]


def run_on_other_seeds(path: Path, old: str, new: str, timeout: int = 1800) -> tuple[bool, nbformat.NotebookNode, str]:
    """Execute ``path`` with ``old`` replaced by ``new`` in its code cells; (every cell ran, the notebook, message)."""
    nb = nbformat.read(path, as_version=4)
    hits = [c for c in nb.cells if c.cell_type == "code" and old in c.source]
    if not hits:
        raise ValueError(f"{old!r} occurs in no code cell of {path.name}: nothing to replace")
    for cell in hits:
        cell.source = cell.source.replace(old, new)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.resolve().parent)}})
    try:
        client.execute()
    except CellExecutionError as error:
        return False, nb, str(error).strip().splitlines()[-1]
    return True, nb, f"replaced in {len(hits)} cell(s)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebook", type=Path)
    parser.add_argument("old", help='text to replace in the code cells, e.g. "range(100, 110)"')
    parser.add_argument("new", help='its replacement, e.g. "range(200, 210)"')
    parser.add_argument("--out", type=Path, help="write the executed copy here")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    ok, nb, message = run_on_other_seeds(args.notebook, args.old, args.new)
    if args.out:
        nbformat.write(nb, args.out)
    seconds = time.perf_counter() - start
    if ok:
        print(f"{args.notebook.name} with {args.new!r} for {args.old!r}: all asserts hold ({message}; {seconds:.0f} s)")
        return 0
    print(f"{args.notebook.name} with {args.new!r} for {args.old!r}: FAILED after {seconds:.0f} s: {message}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
