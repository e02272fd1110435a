"""The cost explorer in the static book: its JavaScript computes what mc.costs.profile computes, with no kernel."""

import shutil

import mobilenet_course as mc
from book import serve
from browser import open_page

PAGE = "book/04_width_multiplier.html"


def explorer_readings(browser, url, settings):
    """Open the page, apply each (alpha, resolution) with the sliders, read the mult-adds and params shown."""
    page, report = open_page(browser, url + PAGE)
    page.wait_for_selector(".mc-cost-explorer .mc-mult-adds[data-value]", timeout=20_000)
    readings = []
    for alpha, resolution in settings:
        page.eval_on_selector(".mc-cost-explorer .mc-alpha",
                              f"e => {{ e.value = '{alpha}'; e.dispatchEvent(new Event('input')); }}")
        if resolution in (224, 192, 160, 128):
            page.click(f".mc-cost-explorer button[data-resolution='{resolution}']")
        else:
            page.eval_on_selector(".mc-cost-explorer .mc-resolution",
                                  f"e => {{ e.value = '{resolution}'; e.dispatchEvent(new Event('input')); }}")
        readings.append((int(page.get_attribute(".mc-cost-explorer .mc-mult-adds", "data-value")),
                         int(page.get_attribute(".mc-cost-explorer .mc-params", "data-value")),
                         page.inner_text(".mc-cost-explorer .mc-name")))
    page.context.close()
    return readings, report


# 0.62 and 0.33 give fractional channel counts (32 * 0.62 = 19.84), so rounding is exercised too.
SETTINGS = [(0.5, 224), (0.5, 128), (0.75, 200), (0.25, 160), (0.62, 224), (0.33, 181)]


def expected(settings):
    out = []
    for alpha, resolution in settings:
        p = mc.costs.profile(mc.MobileNetV1(alpha=alpha, resolution=resolution))
        out.append((p.mult_adds, p.params, mc.model_name(alpha, resolution)))
    return out


def test_static_explorer_sliders_match_profile(browser, site):
    server, url = serve(site)
    try:
        readings, report = explorer_readings(browser, url, SETTINGS)
    finally:
        server.shutdown()
    assert not report.problems, report.problems
    assert readings == expected(SETTINGS)


def test_broken_javascript_is_caught(browser, site, tmp_path):
    # The negative control: round channels up instead of down in the explorer's JavaScript (inside the widget
    # state stored in the page) and the same comparison must fail.
    copy = tmp_path / "site"
    shutil.copytree(site, copy)
    page = copy / PAGE
    text = page.read_text()
    assert text.count("Math.floor(c * alpha)") >= 1  # once per explorer whose state the page stores
    page.write_text(text.replace("Math.floor(c * alpha)", "Math.ceil(c * alpha)"))
    server, url = serve(copy)
    try:
        readings, _ = explorer_readings(browser, url, SETTINGS)
    finally:
        server.shutdown()
    assert readings != expected(SETTINGS)


BENCH_PAGE = "book/08_benchmarking.html"


def benchmark_panel_in(browser, folder):
    """Open chapter 8 of the site in ``folder``: the panel's button labels, its images' widths, and the page report."""
    server, url = serve(folder)
    try:
        page, report = open_page(browser, url + BENCH_PAGE)
        page.wait_for_timeout(2000)  # the widget manager renders after the page has loaded
        buttons = page.eval_on_selector_all(".widget-button", "els => els.map(e => e.textContent.trim())")
        widths = page.eval_on_selector_all(".widget-html img.mc-plot", "els => els.map(e => e.naturalWidth)")
        page.context.close()
    finally:
        server.shutdown()
    return buttons, widths, report


def test_static_benchmark_panel_shows_the_stored_results(browser, site):
    buttons, widths, report = benchmark_panel_in(browser, site)
    assert not report.problems, report.problems
    assert "Measure" in buttons, f"the panel's controls did not render: buttons {buttons}"
    assert widths and widths[0] > 300, f"the stored-results plot did not render: image widths {widths}"


def test_panel_needs_the_mathjax_stand_in(browser, site, tmp_path):
    # The negative control: without the MathJax 2 stand-in of mc-widgets-config.js, every labelled standard control
    # throws (MathJax 3 has no MathJax.Hub), and the page check above must see it.
    copy = tmp_path / "site"
    shutil.copytree(site, copy)
    config = copy / "_static" / "mc-widgets-config.js"
    text = config.read_text()
    cut = text.index('document.addEventListener("DOMContentLoaded"')
    config.write_text(text[:cut])
    _, _, report = benchmark_panel_in(browser, copy)
    assert any("reading 'Queue'" in problem for problem in report.problems), report.problems
