"""The published book: it builds with warnings as errors, every page of the toc has its HTML, nothing is external."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from book import ROOT, toc_pages


def test_every_toc_page_has_html(site):
    # Jupyter Book 2 reads no _config.yml, builds nothing and exits 0: this is what catches it.
    missing = [page for page in toc_pages() if not (site / f"{page}.html").is_file()]
    assert not missing, f"pages in _toc.yml without HTML: {missing}"
    assert (site / "index.html").is_file()


def test_every_chapter_notebook_is_in_the_toc():
    notebooks = {str(p.relative_to(ROOT).with_suffix("")) for p in (ROOT / "book").glob("*.ipynb")}
    assert notebooks <= set(toc_pages()), f"notebooks missing from _toc.yml: {notebooks - set(toc_pages())}"


def test_pages_reference_no_external_scripts_or_styles(site):
    external = re.compile(r'<(?:script|link|img)[^>]+(?:src|href)="(https?:)?//', re.I)
    offenders = {p.name: external.findall(p.read_text()) for p in site.rglob("*.html") if external.search(p.read_text())}
    assert not offenders, f"pages that load files from another host: {offenders}"


def test_site_serves_its_own_front_end_files(site):
    for path in ["offline/mathjax/tex-mml-chtml.js", "offline/require.js", "offline/html-manager/embed-amd.js",
                 "offline/anywidget/index.js", "mc-widgets-config.js"]:
        assert (site / "_static" / path).is_file(), f"_static/{path} missing from the built site"


CHAPTERS = sorted(str(p.relative_to(ROOT).with_suffix("")) for p in (ROOT / "book").glob("[0-9]*.ipynb"))


@pytest.mark.parametrize("page", CHAPTERS)
def test_chapter_has_colab_launch_link(site, page):
    # The Colab button opens the chapter's Colab edition (colab/NAME.ipynb, plain Markdown), not the MyST notebook.
    import json

    from mobilenet_course.colab_edition import myst_left

    html = (site / f"{page}.html").read_text()
    links = re.findall(r'href="(https://colab\.research\.google\.com/[^"]+)"', html)
    name = Path(page).name
    expected = f"https://colab.research.google.com/github/mobilenet-course/mobilenet-course/blob/main/colab/{name}.ipynb"
    assert links == [expected], f"{page}: Colab links {links}, expected one to {expected}"
    edition = ROOT / "colab" / f"{name}.ipynb"
    assert edition.is_file(), f"the Colab button opens {edition.relative_to(ROOT)}, which does not exist"
    cells = json.loads(edition.read_text())["cells"]
    left = [f"cell {i}: {found}" for i, cell in enumerate(cells) if cell["cell_type"] == "markdown"
            for found in myst_left("".join(cell["source"]))]
    assert not left, f"{edition.relative_to(ROOT)} holds MyST that Colab shows as raw text: {left}"


def tiny_book(folder: Path, code: str) -> None:
    """A one-notebook book with the course's execution report and a 5-second cell limit."""
    import nbformat

    (folder / "_config.yml").write_text(yaml.safe_dump({
        "title": "tiny", "execute": {"execute_notebooks": "cache", "timeout": 5},
        "sphinx": {"local_extensions": {"execution_report": str(ROOT / "book" / "_ext")},
                   "config": {"nb_execution_show_tb": True}}}))  # as the course's _config.yml
    (folder / "_toc.yml").write_text("format: jb-book\nroot: chapter\n")
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Chapter"),
                                               nbformat.v4.new_code_cell(code)])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, folder / "chapter.ipynb")


def jupyter_book_build(folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(Path(sys.executable).with_name("jupyter-book")), "build", str(folder), "-W"],
                          capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_build_prints_each_notebooks_time_and_uses_the_cache(tmp_path):
    tiny_book(tmp_path, "print(6 * 7)")
    first = jupyter_book_build(tmp_path)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert re.search(r"chapter\s+[\d.]+\s+executed in this build", first.stdout), first.stdout[-3000:]
    second = jupyter_book_build(tmp_path)
    assert re.search(r"chapter\s+[\d.]+\s+from the execution cache", second.stdout), second.stdout[-3000:]


@pytest.mark.slow
def test_cell_timeout_names_the_notebook_the_cell_and_what_to_do(tmp_path):
    tiny_book(tmp_path, "import time\ntime.sleep(60)  # a cell too slow for the limit")
    result = jupyter_book_build(tmp_path)
    assert result.returncode != 0
    out = result.stdout + result.stderr
    assert "A notebook cell ran past the execution time limit." in out, out[-3000:]
    assert "chapter.ipynb" in out and "time.sleep(60)  # a cell too slow for the limit" in out, out[-3000:]
    assert "raise `execute: timeout`" in out and "make book" in out


def test_bibliography_is_author_year_as_the_text_cites_with_links(site):
    import pybtex.database
    from bs4 import BeautifulSoup

    from mobilenet_course.bibliography import author_year

    entries = pybtex.database.parse_file(str(ROOT / "book" / "references.bib")).entries
    page = BeautifulSoup((site / "book" / "bibliography.html").read_text(), "html.parser")
    listed = {}
    for citation in page.select("div.citation"):
        label = citation.select_one("span.label").get_text(strip=True).strip("[] ")
        listed[label] = citation
    assert set(listed) == {author_year(e) for e in entries.values()}, "one entry per .bib entry, labelled as cited"
    for key, entry in entries.items():
        citation = listed[author_year(entry)]
        links = {a["href"] for a in citation.select("a[href]")}
        assert entry.fields["title"].replace("{", "").replace("}", "") in citation.get_text(" ", strip=True), \
            f"{key}: the title is not printed as written"
        if "eprint" in entry.fields:
            assert f"https://arxiv.org/abs/{entry.fields['eprint']}" in links, f"{key}: no arXiv link"
        if "doi" in entry.fields:
            assert f"https://doi.org/{entry.fields['doi']}" in links, f"{key}: no DOI link"
    cited = 0
    for name in toc_pages():
        for link in BeautifulSoup((site / f"{name}.html").read_text(), "html.parser").select("a[href*='bibliography.html#']"):
            text, around = " ".join(link.get_text().split()), link.parent.get_text()
            assert text in listed, f"{name}: cites {text!r}, which the bibliography does not list under that label"
            assert re.search(r"\([^()]*" + re.escape(text) + r"[^()]*\)", around), f"{name}: {text!r} not in (...)"
            cited += 1
    assert cited >= 10, cited
