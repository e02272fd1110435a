import pytest
import torch

from book import SITE, build_site

# The google.colab stand-in is for the Colab-like subprocesses only: imported here (as --doctest-modules would), it
# would shadow the real google namespace package and break google.protobuf, which ONNX export needs.
collect_ignore = ["colab_stub"]


def pytest_collection_modifyitems(config, items):
    """Tests that need the built book or a browser are ``slow``; tests marked ``cuda`` skip, with the reason, on a
    machine without a CUDA GPU (CI has none; Colab's GPU runtime does)."""
    skip = pytest.mark.skip(reason="needs a CUDA GPU (torch.cuda.is_available() is false)")
    for item in items:
        if {"site", "browser"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
        if "cuda" in item.keywords and not torch.cuda.is_available():
            item.add_marker(skip)

@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """The book built once per test session from the notebooks' stored outputs, warnings as errors."""
    result = build_site(tmp_path_factory.mktemp("config"))
    assert result.returncode == 0, f"jupyter-book build -W failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return SITE


@pytest.fixture(scope="session")
def browser():
    """Debian's headless Chromium, driven by Playwright (never a browser that Playwright downloads)."""
    from playwright.sync_api import sync_playwright

    from browser import launch

    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def rendered(site, browser):
    """The built book's pages, each opened once per width and read by every registered probe (browser.RenderedSite):
    the accessibility and figure checks share the page loads."""
    from book import serve

    from browser import RenderedSite

    server, url = serve(site)
    pages = RenderedSite(browser, url)
    yield pages
    pages.context.close()
    server.shutdown()
