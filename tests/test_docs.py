"""The README stays short and its links work; the docs site's pages and API targets exist.

These checks read files only: building the site (``mkdocs build --strict``) is `.ci/docs`'s job.
"""

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
MKDOCS = ROOT / "mkdocs.yml"
DOCS = ROOT / "docs"

README_MAX_LINES = 150
# [text](target) in Markdown; images too (the leading "!" is not needed to match)
MARKDOWN_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
API_DIRECTIVE = re.compile(r"^:::\s*([\w.]+)", re.MULTILINE)


def nav_pages(entry) -> list:
    """Every page path named in a mkdocs.yml ``nav`` (nested sections, titled or bare entries)."""
    if isinstance(entry, str):
        return [] if "://" in entry else [entry]
    if isinstance(entry, dict):
        return [page for value in entry.values() for page in nav_pages(value)]
    if isinstance(entry, list):
        return [page for item in entry for page in nav_pages(item)]
    return []


def relative_links(markdown: str) -> list:
    """Link targets that point into the repository (no URL scheme, not a bare #anchor), anchors dropped."""
    targets = []
    for target in MARKDOWN_LINK.findall(markdown):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE) or target.startswith("#"):
            continue
        targets.append(target.split("#", 1)[0])
    return targets


def module_exists(name: str) -> bool:
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


@pytest.fixture(scope="module")
def mkdocs_config() -> dict:
    return yaml.safe_load(MKDOCS.read_text())


def test_readme_is_short():
    lines = README.read_text().splitlines()
    assert len(lines) < README_MAX_LINES, (
        f"README.md has {len(lines)} lines; keep it under {README_MAX_LINES} and move detail into docs/")


def test_readme_relative_links_point_at_files():
    links = relative_links(README.read_text())
    assert links, "README.md links to no file in the repository (expected links into docs/)"
    missing = [link for link in links if not (ROOT / link).exists()]
    assert not missing, f"README.md links to files that do not exist: {missing}"


def test_every_nav_page_exists(mkdocs_config):
    docs_dir = ROOT / mkdocs_config.get("docs_dir", "docs")
    pages = nav_pages(mkdocs_config["nav"])
    assert pages, "mkdocs.yml names no pages"
    missing = [page for page in pages if not (docs_dir / page).is_file()]
    assert not missing, f"mkdocs.yml names pages that do not exist under {docs_dir.name}/: {missing}"


def test_every_docs_page_is_in_nav(mkdocs_config):
    named = set(nav_pages(mkdocs_config["nav"]))
    pages = {str(path.relative_to(DOCS)) for path in DOCS.rglob("*.md")}
    assert not pages - named, f"pages in docs/ that mkdocs.yml's nav leaves out: {sorted(pages - named)}"


def test_api_reference_targets_exist():
    """A module renamed or moved without its ``::: module`` line would fail the strict docs build in CI."""
    targets = {(page.name, name) for page in (DOCS / "api").glob("*.md")
               for name in API_DIRECTIVE.findall(page.read_text())}
    assert targets, "docs/api/ has no ::: directives"
    missing = sorted(f"{page}: {name}" for page, name in targets if not module_exists(name))
    assert not missing, f"API reference pages name modules that do not exist: {missing}"


@pytest.mark.parametrize("markdown, expected", [
    ("see [Serving](docs/serving.md#signatures) and [x](https://example.org)", ["docs/serving.md"]),
    ("[top](#install) ![logo](docs/logo.png) [m](mailto:a@b.c)", ["docs/logo.png"]),
])
def test_relative_links_parsing(markdown, expected):
    assert relative_links(markdown) == expected


def test_nav_pages_parsing():
    nav = ["index.md", {"Evaluation": [{"A": "a.md"}, "b.md"]}, {"Site": "https://example.org"}]
    assert nav_pages(nav) == ["index.md", "a.md", "b.md"]
