"""The published book: it builds with warnings as errors, every page of the toc has its HTML, nothing is external."""

import re

import pytest

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
    html = (site / f"{page}.html").read_text()
    assert f"colab.research.google.com/github/mobilenet-course/mobilenet-course/blob/main/{page}.ipynb" in html
