import pytest
import torch

from book import SITE, build_site


def pytest_collection_modifyitems(config, items):
    """Tests marked ``cuda`` skip, with the reason, on a machine without a CUDA GPU (CI has none; Colab's GPU does)."""
    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU (torch.cuda.is_available() is false)")
    for item in items:
        if "cuda" in item.keywords:
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
