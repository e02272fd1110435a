"""Every page of the built book in a real browser: no outside requests, no errors, maths typeset, figures drawn."""

from urllib.parse import urlparse

import pytest
from playwright.sync_api import sync_playwright

from book import serve, toc_pages
from browser import launch, open_page


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


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
    server, url = serve(tmp_path)
    try:
        page, report = open_page(browser, url + "cdn.html")
        page.context.close()
    finally:
        server.shutdown()
    assert report.external == ["https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js"]
    assert report.problems


def test_check_catches_a_missing_local_file(browser, tmp_path):
    (tmp_path / "broken.html").write_text('<html><body><script src="missing.js"></script></body></html>')
    server, url = serve(tmp_path)
    try:
        page, report = open_page(browser, url + "broken.html")
        page.context.close()
    finally:
        server.shutdown()
    assert any("missing.js" in p for p in report.problems)
