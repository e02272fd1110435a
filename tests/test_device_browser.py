"""Chapter 8's "measure on this device" in Debian's Chromium, on the built site served locally: ONNX Runtime Web runs
the package's models with threads where the page is cross-origin isolated and on one thread where it is not, gives
PyTorch's logits, fills the results table and the plot, fetches nothing before Run and nothing from elsewhere, and
works at 390 px with the keyboard alone."""

from __future__ import annotations

import contextlib
import shutil

import numpy as np
import pytest

import mobilenet_course as mc
from mobilenet_course import browser as browser_models
from mobilenet_course import family

from book import serve
from browser import open_page

PAGE = "book/08_benchmarking.html"
HEAVY = ("onnxruntime-web", "_static/models/", "coi-serviceworker")
API = "typeof window.mobilenetCourse?.measure === 'function'"


def fetched(page) -> list[str]:
    return page.evaluate("performance.getEntriesByType('resource').map(e => e.name)")


def costs(alpha: float, resolution: int) -> tuple[int, int]:
    layers = family.family_costs(alpha, resolution)
    return sum(c.mult_adds for c in layers), sum(c.params for c in layers)


def measure(page, alpha: float, resolution: int) -> dict:
    return page.evaluate("r => mobilenetCourse.measure(r)",
                         {"alpha": alpha, "resolution": resolution, "runs": 10, "warmup": 2, "minTimeMs": 0})


@contextlib.contextmanager
def chapter(site, browser, *, isolated: bool):
    """Chapter 8 served with or without the isolation headers, opened with every request to another host blocked;
    afterwards, nothing may have gone wrong (no external or failed request, no console error)."""
    server, url = serve(site, isolated=isolated)
    try:
        page, report = open_page(browser, url + PAGE)
        page.wait_for_function(API, timeout=30_000)
        yield page
        page.context.close()
    finally:
        server.shutdown()
    assert not report.problems, report.problems


def test_isolated_page_measures_with_threads_and_gives_pytorchs_logits(site, browser):
    with chapter(site, browser, isolated=True) as page:
        assert not [u for u in fetched(page) if any(h in u for h in HEAVY)], "runtime or model fetched before Run"
        cores = page.evaluate("navigator.hardwareConcurrency")
        assert page.evaluate("self.crossOriginIsolated") is True
        for alpha, resolution in [(0.25, 128), (0.5, 160)]:
            row = measure(page, alpha, resolution)
            assert row["model"] == mc.names.model_name(alpha, resolution)
            assert row["median_ms"] > 0 and row["p10_ms"] <= row["median_ms"] <= row["p90_ms"], row
            assert row["threads"] == min(cores, 8) and row["machine"]["cross_origin_isolated"] is True, row
            assert (row["mult_adds"], row["params"]) == costs(alpha, resolution)
            assert row["path"] == "onnxruntime-web wasm" and row["runs"] >= 10
        for alpha, resolution in [(0.25, 128), (1.0, 224)]:
            got = np.array(page.evaluate("r => mobilenetCourse.logits(r)", {"alpha": alpha, "resolution": resolution}))
            expected = browser_models.reference_model(alpha, resolution)(browser_models.fixed_input(resolution))
            difference = np.abs(got - expected.detach().numpy()[0]).max()
            assert got.shape == (1000,) and difference < 1e-4, (alpha, resolution, difference)
        with pytest.raises(Exception, match=r"alpha must be one of the browser models' widths \[1,0.75,0.5,0.25\]"):
            page.evaluate("mobilenetCourse.measure({alpha: 0.3, resolution: 128})")


def test_page_without_isolation_runs_one_thread_then_the_service_worker_isolates_it(site, browser):
    with chapter(site, browser, isolated=False) as page:
        assert page.evaluate("self.crossOriginIsolated") is False
        widget = page.locator(".mc-device-benchmark")
        widget.locator("button.mc-run").click()
        page.wait_for_function("document.querySelector('.mc-device-benchmark .mc-device-status')"
                               ".textContent.startsWith('Done')", timeout=60_000)
        assert widget.locator(".mc-results tr").count() == 2, "one row measured, under the header"
        assert "ran on one thread" in widget.locator(".mc-device-status").inner_text()
        page.wait_for_function("document.querySelector('.mc-device-benchmark .mc-sr-only').textContent"
                               ".includes('ran on one thread')", timeout=5_000)  # said to screen readers too
        row = page.evaluate("window.mobilenetCourse.measure({alpha: 0.25, resolution: 128, runs: 5, minTimeMs: 0})")
        assert row["threads"] == 1 and row["machine"]["cross_origin_isolated"] is False, row
        # Pressing Run installed coi-serviceworker: reloaded, the page is isolated and gets threads.
        assert page.evaluate("navigator.serviceWorker.ready.then(r => r.active.scriptURL)").endswith(
            "/" + browser_models.SERVICE_WORKER)
        page.reload(wait_until="networkidle")
        page.wait_for_function(API, timeout=30_000)
        assert page.evaluate("self.crossOriginIsolated") is True, "the service worker did not isolate the page"
        row = measure(page, 0.25, 128)
        assert row["threads"] == min(page.evaluate("navigator.hardwareConcurrency"), 8), row


def test_widget_works_at_390_px_with_the_keyboard_and_plots_the_row(site, browser):
    server, url = serve(site, isolated=True)
    try:
        context = browser.new_context(viewport={"width": 390, "height": 844})
        page = context.new_page()
        page.goto(url + PAGE, wait_until="networkidle")
        page.wait_for_function(API, timeout=30_000)
        widget = page.locator(".mc-device-benchmark")
        widget.scroll_into_view_if_needed()
        overflow = widget.evaluate("e => e.scrollWidth - e.clientWidth")
        assert overflow <= 1, f"the widget is {overflow} px wider than its box at 390 px"
        box = widget.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box
        before = widget.locator("circle.mc-dot-best").count()
        stored = widget.locator("circle.mc-dot-out").count()
        assert stored > 0, "the stored rows are plotted before anything is measured"
        widget.locator("select").first.focus()  # width: the last option is 0.25 already; choose 0.5 by keyboard
        page.keyboard.press("ArrowUp")
        page.keyboard.press("Tab")  # resolution
        page.keyboard.press("Tab")  # the grid checkbox
        page.keyboard.press("Tab")  # Run
        assert page.evaluate("document.activeElement.textContent") == "Run"
        page.keyboard.press("Enter")
        page.keyboard.press("Enter")  # a second press while it runs is ignored, and the focus stays on Run
        page.wait_for_function("document.querySelectorAll('.mc-device-benchmark circle.mc-dot-best').length > 0",
                               timeout=60_000)
        assert widget.locator("circle.mc-dot-best").count() == before + 1
        assert "0.5-MobileNet-128" in widget.locator(".mc-results").inner_text()
        assert widget.locator("button.mc-copy").get_attribute("aria-disabled") == "false"
        assert page.evaluate("document.activeElement.textContent") == "Run", "Run kept the keyboard focus"
        context.close()
    finally:
        server.shutdown()


def test_new_assets_stay_within_40_mb(site):
    files = [p for folder in (site / "_static/offline/onnxruntime-web", site / browser_models.MODELS_DIR)
             for p in folder.rglob("*") if p.is_file()] + [site / browser_models.SERVICE_WORKER]
    total = sum(p.stat().st_size for p in files)
    assert len(files) >= 4 + 3 + 1 and total <= 40e6, f"{total / 1e6:.1f} MB in {len(files)} files"



def test_outside_the_book_the_widget_says_where_to_run_it(site, browser, tmp_path):
    """As in Jupyter or Colab, a page without Sphinx's site root (``data-content_root``): one line, no Run button."""
    copy = tmp_path / "site"
    shutil.copytree(site, copy)
    page_file = copy / PAGE
    html = page_file.read_text()
    assert 'data-content_root="../"' in html
    page_file.write_text(html.replace('data-content_root="../"', "", 1))
    server, url = serve(copy)
    try:
        page, _ = open_page(browser, url + PAGE)
        widget = page.locator(".mc-device-benchmark")
        text = widget.inner_text(timeout=20_000)
        assert "published book" in text and "benchmark_panel()" in text, text
        assert widget.locator("button").count() == 0 and widget.locator(".mc-device-status").count() == 1
        assert page.evaluate("typeof window.mobilenetCourse") == "undefined"
        assert not [u for u in fetched(page) if any(h in u for h in HEAVY)]
        page.context.close()
    finally:
        server.shutdown()
