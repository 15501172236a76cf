"""Numbers in a notebook's prose that none of its cells shows (CONTRIBUTING.md, evidence rule 7).

    python tools/prose_numbers.py                      # every notebook in notebooks/
    python tools/prose_numbers.py notebooks/03_*.ipynb

Prints each unbacked number with its markdown cell's index and the words around
it.  ``tests/test_prose_numbers.py`` runs the same functions and fails on any.

A number in a markdown cell is *backed* when a code cell's source or output of the
same notebook shows it, or when the markdown cell lists it as cited in an HTML
comment, invisible to readers: ``<!-- cited: 316.8 1968 -->``.

Matching is generous, but never loose about the digits written:

- separators are ignored: "1,008" is 1008, and so is ``1_008`` in code;
- a shown number backs a stated one that it rounds to, if it has at least as many
  decimals: an output 0.7402 (or 0.740) backs "0.74", an output 0.74 does not back "0.740";
- "95%" is backed by 95 or by 0.95, and an output "95%" backs 0.95;
- signs are ignored ("-13" is backed by 13), since a hyphen in prose is often a range:
  "14,000-28,000" is two numbers.

Not counted: inline code and fenced code, ``$...$`` and ``$$...$$`` math (but math that is only
a number, "$0.730$", is a number), HTML comments and
tags, link targets and URLs, four-digit years 1900-2099, references such as
"notebook 03", "Exercise 3", "bug 3a", "section 11.3", "Algorithm 1", "Table 3",
"Example 6.6", "Figure 6.4" (and lists of them: "notebooks 03-07"), numbered-list
markers, and the number at the start of a heading ("# 05 · Target networks").
Numbers attached to a word ("CartPole-v1", "float32", "4x4"'s second 4) are names, not claims.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]

# A number: digits with optional thousands separators (1,008 / 10_000), optional decimals,
# optional exponent.  Not glued to a word or a decimal point before it.
_NUMBER = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+(?![\d])|\d+(?:_\d+)*)(\.\d+)?(?:[eE]([+-]?\d+))?(\s?%)?")

_CITED = re.compile(r"<!--\s*cited:(.*?)-->", re.S | re.I)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_FENCE = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)
_CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1", re.S)
_DISPLAY_MATH = re.compile(r"\$\$.+?\$\$", re.S)
_INLINE_MATH = re.compile(r"(?<![\\$])\$(?!\s)[^$\n]+?(?<![\s\\])\$")
_MATH_NUMBER = re.compile(r"\$\s*[-+−]?\s*[\d.,{}]+\s*(?:\\?%)?\s*\$")
_LINK_TARGET = re.compile(r"\]\([^)\s]*(?:\s+\"[^\"]*\")?\)|^\s*\[[^\]]+\]:\s*\S+.*$", re.M)
_URL = re.compile(r"\b(?:https?|ftp)://\S+|\bwww\.\S+")
_TAG = re.compile(r"<[^>\n]+>")
_HEADING_NUMBER = re.compile(r"^(\s*#{1,6}\s+)\d+(?:\.\d+)*", re.M)
_LIST_MARKER = re.compile(r"^(\s*(?:>\s*)?)\d+[.)](?=\s)", re.M)
_REF_WORDS = (r"notebooks?|exercises?|bugs?|sections?|§|algorithms?|tables?|examples?|figures?|figs?\.|"
              r"chapters?|equations?|eqs?\.|issues?|pages?|pp?\.")
_REF_ID = r"\(?\d+[a-z]?(?:\.\d+)*\)?"
_REFERENCE = re.compile(rf"(?<![\w])(?:{_REF_WORDS})\s*{_REF_ID}(?:\s*(?:,|and|or|to|-|–|&)\s*{_REF_ID})*", re.I)
_YEAR = re.compile(r"(?<![\w.,])(?:19|20)\d\d(?![\w]|[.,]\d)")


@dataclass(frozen=True)
class Number:
    """A number as written: its value (no sign), its count of decimals, and whether it had a % sign."""

    value: Decimal
    decimals: int
    percent: bool = False


@dataclass(frozen=True)
class Unbacked:
    """A number of a markdown cell that no cell of its notebook shows."""

    cell: int  # index of the markdown cell in the notebook
    text: str  # the number as written
    snippet: str  # the words around it, the number in «»

    def __str__(self) -> str:
        return f"cell {self.cell}: {self.text!r} in \"{self.snippet}\""


def _parse(match: re.Match) -> Number:
    digits, frac, exponent, percent = match.groups()
    value = Decimal(digits.replace(",", "").replace("_", "") + (frac or ""))
    decimals = len(frac) - 1 if frac else 0
    if exponent:
        value = value.scaleb(int(exponent))
        decimals = max(decimals - int(exponent), 0)
    return Number(value, decimals, bool(percent))


def numbers_in(text: str) -> list[Number]:
    """Every number in ``text`` (code or output), as written.

    A shown "95%" also yields 0.95, so that it backs a stated 0.95.
    """
    found = []
    for match in _NUMBER.finditer(text):
        number = _parse(match)
        found.append(Number(number.value, number.decimals))
        if number.percent:
            found.append(Number(number.value / 100, number.decimals + 2))
    return found


def backs(shown: Number, stated: Number) -> bool:
    """Whether a shown number backs a stated one: it rounds to it, and has at least as many decimals."""
    candidates = [stated] + ([Number(stated.value / 100, stated.decimals + 2)] if stated.percent else [])
    for want in candidates:
        half_unit = Decimal(5).scaleb(-want.decimals - 1)
        if shown.decimals >= want.decimals and abs(shown.value - want.value) <= half_unit:
            return True
    return False


def _blank(pattern: re.Pattern, text: str) -> str:
    """Replace each match by as many spaces (keeping positions, and lines)."""
    return pattern.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)


def prose_of(markdown: str) -> tuple[str, list[Number]]:
    """The markdown with every exempt part blanked out, and the numbers it lists as cited."""
    cited = [n for m in _CITED.finditer(markdown) for n in numbers_in(m.group(1))]
    text = markdown
    for pattern in (_COMMENT, _FENCE, _CODE_SPAN, _DISPLAY_MATH, _LINK_TARGET, _URL, _TAG):
        text = _blank(pattern, text)
    # Math is exempt, but math that is only a number ("$0.730$", "$-13$") is a number typeset.
    text = _INLINE_MATH.sub(lambda m: m.group(0) if _MATH_NUMBER.fullmatch(m.group(0)) else
                            re.sub(r"[^\n]", " ", m.group(0)), text)
    text = _HEADING_NUMBER.sub(lambda m: m.group(1) + " " * (len(m.group(0)) - len(m.group(1))), text)
    text = _LIST_MARKER.sub(lambda m: m.group(1) + " " * (len(m.group(0)) - len(m.group(1))), text)
    for pattern in (_REFERENCE, _YEAR):
        text = _blank(pattern, text)
    return text, cited


def stated_numbers(markdown: str) -> list[tuple[str, Number, str]]:
    """The numbers a markdown cell states, each as (as written, parsed, snippet); cited ones left out."""
    text, cited = prose_of(markdown)
    stated = []
    for match in _NUMBER.finditer(text):
        number = _parse(match)
        if any(backs(c, number) for c in cited):
            continue
        start, end = match.span()
        snippet = markdown[max(0, start - 60):start] + "«" + match.group(0).strip() + "»" + markdown[end:end + 40]
        stated.append((match.group(0).strip(), number, re.sub(r"\s+", " ", snippet).strip()))
    return stated


def _output_text(output: dict) -> str:
    if output.get("output_type") == "stream":
        return "".join(output.get("text", ""))
    if output.get("output_type") == "error":
        return output.get("ename", "") + " " + output.get("evalue", "")
    data = output.get("data", {})
    return "\n".join("".join(value) for mime, value in data.items()
                     if mime.startswith("text/") and isinstance(value, (str, list)))


def shown_numbers(nb: nbformat.NotebookNode) -> list[Number]:
    """Every number in the notebook's code cells: their sources and their text outputs."""
    texts = []
    for cell in nb.cells:
        if cell.cell_type == "code":
            texts.append(cell.source)
            texts.extend(_output_text(output) for output in cell.get("outputs", []))
    return numbers_in("\n".join(texts))


def unbacked_numbers(nb: nbformat.NotebookNode) -> list[Unbacked]:
    """The numbers of the notebook's markdown cells that no code cell shows and no cell cites."""
    shown = shown_numbers(nb)
    by_integer: dict[int, list[Number]] = {}
    for number in shown:
        by_integer.setdefault(int(number.value), []).append(number)
    found = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        for text, number, snippet in stated_numbers(cell.source):
            # a shown number that rounds to this one has the same integer part, or one off at the rounding edge
            wants = [number.value] + ([number.value / 100] if number.percent else [])
            pool = [n for w in wants for k in (int(w) - 1, int(w), int(w) + 1) for n in by_integer.get(k, [])]
            if not any(backs(n, number) for n in pool):
                found.append(Unbacked(index, text, snippet))
    return found


def report(path: Path) -> list[Unbacked]:
    return unbacked_numbers(nbformat.read(path, as_version=4))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/*.ipynb")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    total = 0
    for path in paths:
        found = report(path)
        total += len(found)
        print(f"{path.name}: {len(found)} unbacked number(s)")
        for item in found:
            print(f"  {item}")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
