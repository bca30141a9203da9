"""Papers are cited by their authors in everything a user reads (code, CLI help, configs, docs), never by a
bare three-digit number such as ``002`` that means nothing outside the project's notes."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# "002" standing alone, not part of a number such as 0.002, 2,000 or 1_000_003
BARE_PAPER_NUMBER = re.compile(r"(?<![\d.,_])\b00[0-3]\b(?![.,_]?\d)")


def _user_facing_files():
    yield from (ROOT / "tfskin").rglob("*.py")
    yield from (ROOT / "configs").glob("*.yaml")
    yield from (ROOT / "docs").glob("*.md")


def bare_paper_numbers(text: str) -> list[int]:
    """1-based numbers of the lines that cite a paper by a bare number."""
    return [i for i, line in enumerate(text.splitlines(), 1) if BARE_PAPER_NUMBER.search(line)]


def test_the_pattern_tells_citations_from_numbers():
    assert bare_paper_numbers("a CDNN variant of 002 Table 1\n002's dual threshold\n(000 Table 1, 003 Tables)") \
        == [1, 2, 3]
    assert bare_paper_numbers("drift 0.001, 2,000 images, seed * 1_000_003, 40_000_000 weights, 0.002 for 10") == []


def test_no_paper_is_cited_by_number():
    hits = [f"{path.relative_to(ROOT)}:{line}" for path in _user_facing_files()
            for line in bare_paper_numbers(path.read_text(encoding="utf-8"))]
    assert not hits, f"cite papers by author and year, e.g. 'Pollastri et al. 2020, Table 1': {hits}"
