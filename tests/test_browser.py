"""Every page of the built book in a real browser: no outside requests, no errors, maths typeset, figures drawn."""

from urllib.parse import urlparse

import pytest
from book import serve, toc_pages
from browser import open_page, report_for


@pytest.fixture(scope="module")
def base_url(site):
    server, url = serve(site)
    yield url
    server.shutdown()


@pytest.mark.parametrize("page_name", toc_pages())
def test_page_loads_offline_with_maths_and_figures(browser, base_url, site, page_name):
    page, report = open_page(browser, base_url + page_name + ".html")
    assert not report.problems, "\n".join(report.problems)
    html = (site / f"{page_name}.html").read_text()
    if 'class="math' in html:
        page.wait_for_selector("mjx-container", state="attached", timeout=20_000)
        assert page.locator("mjx-container").count() >= html.count('class="math')
        assert not page.locator("mjx-merror").count(), "MathJax could not typeset an expression"
    for img in page.locator("main img").all():
        assert img.evaluate("i => i.complete && i.naturalWidth > 0"), f"figure not drawn: {img.get_attribute('src')}"
    for link in report.internal_links:
        path = urlparse(link).path.lstrip("/") or "index.html"
        assert (site / path).exists() or (site / path / "index.html").exists(), f"broken link on {page_name}: {link}"
    page.context.close()


def test_check_catches_a_page_that_uses_a_cdn(browser, tmp_path):
    # The negative control: the same check on a page that loads MathJax from a CDN must fail.
    (tmp_path / "cdn.html").write_text(
        '<html><head><script src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js"></script></head>'
        "<body><p>$$x^2$$</p></body></html>")
    report = report_for(browser, tmp_path, "cdn.html")
    assert report.external == ["https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js"]
    assert report.problems


def test_check_catches_a_missing_local_file(browser, tmp_path):
    (tmp_path / "broken.html").write_text('<html><body><script src="missing.js"></script></body></html>')
    report = report_for(browser, tmp_path, "broken.html")
    assert any("missing.js" in p for p in report.problems)


def test_solutions_are_hidden_until_opened(browser, base_url):
    page, report = open_page(browser, base_url + "book/01_standard_convolution.html")
    # A discussion exercise's solution: a sphinx-exercise dropdown.
    solution = page.locator(".solution.dropdown").first
    answer = solution.locator("p").last
    assert not answer.is_visible()
    solution.locator(".toggle-button").first.click()
    answer.wait_for(state="visible", timeout=5_000)
    # A checked exercise: its stub shown, its solution code a folded cell with its "Correct!" output inside.
    stub = page.locator("div.cell").filter(has_text="def layer_cost():").first
    assert stub.is_visible() and "..." in stub.inner_text()
    folded = page.locator("details.hide").filter(has_text="params = 5 * 5 * 64 * 128")
    assert folded.count() == 1 and not folded.evaluate("d => d.open")
    assert not folded.get_by_text("Correct!").is_visible()
    folded.locator("summary").click()
    folded.get_by_text("Correct!").first.wait_for(state="visible", timeout=5_000)
    assert not report.problems, report.problems
    page.context.close()
