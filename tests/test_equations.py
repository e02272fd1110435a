"""Equations are cited by label, and the build numbers them: per chapter, "(2.5)", the same in the text and at the
equation. No text, stub, feedback or docstring types an equation number of the book.
"""

import json
import re
from pathlib import Path

import pytest

from book import ROOT, toc_pages

# "equation (2.4)", "equations (1.2) and (1.3)", "eq. 4": a typed number, allowed only for the paper's own equations
# ("the paper's equation (2)", "paper equation 7").
CITED = re.compile(r"\b(?:equations?|eqs?\.)\s*\(?\d", re.I)
# "(2.4)" alone, in the book's per-chapter style (chapters 1 to 8)
BARE = re.compile(r"(?<![\w.(])\([1-8]\.\d{1,2}\)")
LABELLED = re.compile(r"^\$\$ \((eq-[\w-]+)\)\s*$", re.M)


def texts() -> dict[str, str]:
    """Every text a reader meets: notebook cells (Markdown and code, outputs left out), the book's Markdown pages, the
    README, and the package's and benchmarks' source (docstrings, comments and the messages they print)."""
    found = {}
    for path in sorted((ROOT / "book").glob("*.ipynb")):
        for i, cell in enumerate(json.loads(path.read_text())["cells"]):
            found[f"{path.name} cell {i}"] = "".join(cell["source"])
    for path in [*sorted((ROOT / "book").glob("*.md")), ROOT / "README.md", *sorted((ROOT / "mobilenet_course").rglob("*.py")),
                 *sorted((ROOT / "benchmarks").glob("*.py"))]:
        found[str(path.relative_to(ROOT))] = path.read_text()
    return found


def typed_equation_numbers(text: str) -> list[str]:
    hits = []
    for match in CITED.finditer(text):
        before = text[max(0, match.start() - 12):match.start()]
        if "paper" not in before:
            hits.append(text[max(0, match.start() - 30):match.end() + 10])
    hits += [text[max(0, m.start() - 30):m.end()] for m in BARE.finditer(text)]
    return hits


def test_the_check_finds_typed_numbers_and_allows_the_papers():
    assert typed_equation_numbers("Work it out from equations (1.2) and (1.3).")
    assert typed_equation_numbers("Use equation 4 here") and typed_equation_numbers("as (2.4) shows")
    assert not typed_equation_numbers("the paper's equation (2), and paper equation 7")
    assert not typed_equation_numbers("np.float32(0.5) and 1.91% of (1.19%)")


def test_no_text_or_docstring_types_an_equation_number():
    typed = {where: hits for where, text in texts().items() if (hits := typed_equation_numbers(text))}
    assert not typed, f"cite equations by label ({{eq}}`eq-...` in Markdown, :eq:`eq-...` in docstrings): {typed}"


def test_every_labelled_equation_is_in_a_chapter_and_labels_are_unique():
    labels = [label for path in sorted((ROOT / "book").glob("*.ipynb"))
              for cell in json.loads(path.read_text())["cells"] if cell["cell_type"] == "markdown"
              for label in LABELLED.findall("".join(cell["source"]))]
    assert len(labels) >= 10 and len(labels) == len(set(labels)), labels


def equations_and_references(site: Path) -> tuple[dict[str, tuple[str, str]], list[tuple[str, str, str, str]]]:
    """(label -> (page, shown number)) for every numbered equation of the site, and (page, target page, label,
    shown text) for every link to one."""
    from bs4 import BeautifulSoup

    equations, references = {}, []
    for page in toc_pages():
        html = site / f"{page}.html"
        soup = BeautifulSoup(html.read_text(), "html.parser")
        for block in soup.select("div.math[id^=equation-]"):
            number = block.select_one("span.eqno")
            assert number is not None, f"{page}: equation {block['id']} has no number"
            for anchor in number.select("a.headerlink"):  # the pilcrow link beside the number
                anchor.decompose()
            equations[block["id"].removeprefix("equation-")] = (page, number.get_text(strip=True))
        for link in soup.select("a[href*='#equation-']"):
            if "headerlink" in (link.get("class") or []):
                continue
            target, _, anchor = link["href"].partition("#equation-")
            target_page = (html.parent / target).resolve() if target else html.resolve()
            references.append((page, str(target_page.relative_to(site.resolve()).with_suffix("")), anchor,
                               link.get_text(strip=True)))
    return equations, references


def test_every_equation_reference_resolves_to_a_numbered_equation_of_its_chapter(site):
    equations, references = equations_and_references(site)
    assert len(equations) >= 10 and len(references) >= 20, (len(equations), len(references))
    chapters = {page: i for i, page in enumerate(toc_pages()[1:9], start=1)}
    for label, (page, number) in equations.items():
        assert re.fullmatch(rf"\({chapters[page]}\.\d+\)", number), f"{label} on {page} is numbered {number}"
    for page, target, label, shown in references:
        assert label in equations, f"{page} links to equation {label!r}, which no page has"
        assert (target, shown) == equations[label], f"{page} shows {shown} for {label}, which is {equations[label]}"
    api = {label for page, _, label, _ in references if page.endswith("api")}
    assert {"eq-reduction", "eq-standard-cost"} <= api, f"the API page's docstrings cite equations by label: {api}"
