"""The built book for every reader: on a phone (390 px) and a laptop (1280 px), in dark mode, with a screen reader
(axe-core), and loading only the scripts a page uses."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from book import ROOT, serve, toc_pages
from browser import RenderedSite, probe

PAGES = [page + ".html" for page in toc_pages()] + ["genindex.html"]
WIDTHS = [390, 1280]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
EXPLORER_PAGE, PICKER_PAGE, BENCH_PAGE = ("book/04_width_multiplier.html", "book/06_model_family.html",
                                          "book/08_benchmarking.html")


def extension(name: str):
    """A module of book/_ext, imported from its file (it is a Sphinx extension, not part of the package)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "book" / "_ext" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def measured_alone(browser, folder: Path, page_name: str, width: int, probes: list[str]):
    """For a negative control: ``page_name`` of ``folder`` opened and read by ``probes`` as the book's pages are."""
    server, url = serve(folder)
    pages = RenderedSite(browser, url)
    try:
        return pages.measured(page_name, width, only=probes)
    finally:
        pages.context.close()
        server.shutdown()


# --- Phones: nothing wider than the screen, no equation cut off ----------------------------------------------------

# Display equations whose content is wider than their box, and how each shows the rest: an equation is cut off
# unless the box that holds the overflow scrolls (overflow-x auto or scroll) and shows a cue (a background: the
# scroll shadows of book/_static/mc-site.css), and no box around it clips it first.
CUT_OFF_EQUATIONS = """() => {
  const out = [];
  for (const math of document.querySelectorAll('div.math')) {
    const box = math.querySelector('mjx-container') || math;
    const name = math.id || (math.textContent || '').trim().slice(0, 40);
    if (math.scrollWidth > math.clientWidth + 1 && getComputedStyle(math).overflowX !== 'visible' && box !== math)
      out.push(name + ': clipped by its div.math (' + math.scrollWidth + ' > ' + math.clientWidth + ' px)');
    if (box.scrollWidth <= box.clientWidth + 1) continue;
    const style = getComputedStyle(box);
    if (!['auto', 'scroll'].includes(style.overflowX))
      out.push(name + ': ' + box.scrollWidth + ' px in ' + box.clientWidth + ' px, overflow-x ' + style.overflowX);
    else if (style.backgroundImage === 'none')
      out.push(name + ': scrolls (' + box.scrollWidth + ' px in ' + box.clientWidth + ' px) with no visible cue');
  }
  return out;
}"""

PAGE_WIDTH = "() => [document.documentElement.scrollWidth, window.innerWidth]"


@probe("page_width", widths=WIDTHS)
def page_width(page):
    return page.evaluate(PAGE_WIDTH)


@probe("cut_off_equations", widths=WIDTHS)
def cut_off_equations(page):
    return page.evaluate(CUT_OFF_EQUATIONS)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("page_name", PAGES)
def test_page_fits_the_screen_and_equations_scroll(rendered, page_name, width):
    measured = rendered.measured(page_name, width)
    scroll_width, inner_width = measured["page_width"]
    cut_off = measured["cut_off_equations"]
    assert scroll_width <= inner_width, f"{page_name} at {width} px is {scroll_width} px wide: it pans sideways"
    assert not cut_off, f"{page_name} at {width} px: display equations cut off:\n" + "\n".join(cut_off)


def test_width_checks_catch_a_cut_off_equation_and_a_wide_page(browser, tmp_path):
    # The negative control: an equation that overflows a box which clips it, one that scrolls with no cue, and a
    # page made wider than the screen.
    (tmp_path / "wide.html").write_text(
        '<html><body style="margin:0"><div class="math" id="clipped" style="overflow:hidden;width:200px">'
        '<mjx-container style="display:block;overflow:hidden"><span style="display:inline-block;width:600px">x</span>'
        '</mjx-container></div><div class="math" id="bare" style="width:200px"><mjx-container '
        'style="display:block;overflow-x:auto"><span style="display:inline-block;width:600px">y</span></mjx-container>'
        '</div><pre style="width:900px">wide</pre></body></html>')
    measured = measured_alone(browser, tmp_path, "wide.html", 390, ["page_width", "cut_off_equations"])
    scroll_width, inner_width = measured["page_width"]
    cut_off = measured["cut_off_equations"]
    assert scroll_width > inner_width
    assert any(c.startswith("clipped:") and "overflow-x hidden" in c for c in cut_off), cut_off
    assert any(c.startswith("bare:") and "no visible cue" in c for c in cut_off), cut_off


# --- axe-core: no critical or serious violation that the course causes --------------------------------------------

# How ownership is decided: every critical or serious violation fails the test, except those listed here, which come
# from the theme (pydata-sphinx-theme 0.17 / sphinx-book-theme 1.3) or a Sphinx extension, cannot be fixed soundly
# from the course's CSS or JavaScript, and are listed with the reason. Each entry is (axe rule id, a regular
# expression that the node's CSS selector must match). The course's own fixes are in book/_static/mc-site.{css,js},
# book/_ext/accessible_pages.py and mobilenet_course/static.
THEIRS: list[tuple[str, str, str]] = [
    # (none left: the theme's search and colour-mode buttons and myst-nb's cell toggles are fixed by the course)
]


def axe_violations(page) -> list[dict]:
    """Run axe-core (node_modules/axe-core, injected into the page) and return its violations."""
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: run `npm ci` in the repository root (axe-core is a devDependency)")
    if not page.evaluate("() => typeof axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    return page.evaluate("() => axe.run(document, { resultTypes: ['violations'] }).then(r => r.violations)")


def course_problems(violations: list[dict]) -> list[str]:
    """The critical and serious violations not in :data:`THEIRS`, one line per element."""
    problems = []
    for violation in violations:
        if violation["impact"] not in ("critical", "serious"):
            continue
        for node in violation["nodes"]:
            target = " ".join(map(str, node["target"]))
            if any(rule == violation["id"] and re.search(pattern, target) for rule, pattern, _ in THEIRS):
                continue
            problems.append(f"{violation['impact']} {violation['id']} at {target}: {node['html'][:160]}\n"
                            f"    {(node.get('failureSummary') or '').splitlines()[-1:]}")
    return problems


# axe runs last on a page (it adds its script), in light mode and then in dark mode, on the laptop width.
probe("axe", pages=PAGES, widths=[1280], modes=["light", "dark"], last=True)(axe_violations)


@pytest.mark.parametrize("page_name", PAGES)
def test_no_serious_accessibility_violation(rendered, page_name):
    measured = rendered.measured(page_name, 1280)
    violations = measured.get("axe")
    assert measured.theme["light"] == "light"
    problems = course_problems(violations)
    assert not problems, f"{page_name}: axe-core found\n" + "\n".join(problems)


@pytest.mark.parametrize("page_name", PAGES)
def test_no_serious_accessibility_violation_in_dark_mode(rendered, page_name):
    measured = rendered.measured(page_name, 1280)
    violations = measured.get("axe", "dark")
    assert measured.theme["dark"] == "dark"
    problems = course_problems(violations)
    assert not problems, f"{page_name} in dark mode: axe-core found\n" + "\n".join(problems)


def test_axe_check_catches_an_image_without_alt_text(browser, tmp_path):
    # The negative control: a page with an unnamed image and low-contrast text must fail the same filter.
    (tmp_path / "bad.html").write_text(
        '<html lang="en"><head><title>bad</title></head><body><main><h1>Bad</h1>'
        '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
        '<p style="color:#cccccc;background:#ffffff">faint text</p></main></body></html>')
    problems = course_problems(measured_alone(browser, tmp_path, "bad.html", 1280, ["axe"])["axe"])
    assert any("critical image-alt" in p for p in problems), problems
    assert any("serious color-contrast" in p for p in problems), problems


# --- The widgets: names, live regions, dark mode -------------------------------------------------------------------

def contrast(foreground: str, background: str) -> float:
    """WCAG contrast ratio of two CSS colours given as ``rgb(r, g, b)`` (as getComputedStyle returns them)."""
    def luminance(colour: str) -> float:
        channels = [int(v) / 255 for v in re.findall(r"[\d.]+", colour)[:3]]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted([luminance(foreground), luminance(background)], reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_contrast_matches_the_wcag_examples():
    assert contrast("rgb(0, 0, 0)", "rgb(255, 255, 255)") == pytest.approx(21)
    assert contrast("rgb(204, 204, 204)", "rgb(206, 214, 221)") == pytest.approx(1.09, abs=0.01)  # the old dots
    assert contrast("rgb(118, 118, 118)", "rgb(255, 255, 255)") == pytest.approx(4.54, abs=0.01)


# The colour a reader sees behind an element: the first opaque background among it and its ancestors.
BACKGROUND_OF = """e => {
  for (let n = e; n; n = n.parentElement) {
    const c = getComputedStyle(n).backgroundColor;
    if (c && c !== 'transparent' && !/rgba\\(.*,\\s*0\\)$/.test(c)) return c;
  }
  return 'rgb(255, 255, 255)';
}"""



def widget_and_background(page, widget: str, drawn: str):
    """The page's first ``widget`` once ``drawn`` shows inside it, and the colour behind that widget."""
    page.wait_for_selector(f"{widget} {drawn}", timeout=20_000)
    element = page.locator(widget).first
    return element, element.evaluate(BACKGROUND_OF)


@probe("budget_picker_colours", pages=[PICKER_PAGE], widths=[1280], modes=["light", "dark"])
def budget_picker_colours(page):
    widget, background = widget_and_background(page, ".mc-budget-picker", "circle.mc-dot")
    text = widget.evaluate("e => getComputedStyle(e).color")
    # Every dot: its mark is its fill, or (an open ring, out of budget) its stroke.
    dots = page.eval_on_selector_all(".mc-budget-picker circle.mc-dot", """els => els.map(e => {
        const s = getComputedStyle(e);
        return [e.getAttribute('class'), s.fill === 'none' ? s.stroke : s.fill]; })""")
    labels = page.eval_on_selector_all(".mc-budget-picker svg text", "els => els.map(e => getComputedStyle(e).fill)")
    return {"background": background, "text": text, "dots": dots, "labels": labels}


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_budget_picker_dots_and_text_are_readable(rendered, mode):
    measured = rendered.measured(PICKER_PAGE, 1280)
    colours = measured.get("budget_picker_colours", mode)
    assert measured.theme[mode] == mode
    background, text, dots, labels = (colours[k] for k in ("background", "text", "dots", "labels"))
    assert {kind.split()[-1] for kind, _ in dots} >= {"mc-dot-out", "mc-dot-best"}, dots
    assert contrast(text, background) >= 4.5, f"widget text {text} on {background}"
    for label in labels:
        assert contrast(label, background) >= 4.5, f"axis label {label} on {background}"
    for kind, colour in dots:
        assert contrast(colour, background) >= 3, f"{kind} dot {colour} on {background}: 3:1 needed for a plot mark"


@probe("cost_explorer_colours", pages=[EXPLORER_PAGE], widths=[1280], modes=["light", "dark"])
def cost_explorer_colours(page):
    widget, background = widget_and_background(page, ".mc-cost-explorer", ".mc-mult-adds[data-value]")
    colours = widget.evaluate("""e => [...e.querySelectorAll('label, th, td, output, .mc-legend-item, svg text')]
        .map(n => [n.tagName + ' ' + (n.textContent || '').trim().slice(0, 30),
                   n.tagName === 'text' ? getComputedStyle(n).fill : getComputedStyle(n).color])""")
    return {"background": background, "colours": colours}


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_cost_explorer_text_is_readable(rendered, mode):
    measured = rendered.measured(EXPLORER_PAGE, 1280)
    read = measured.get("cost_explorer_colours", mode)
    assert measured.theme[mode] == mode
    background, colours = read["background"], read["colours"]
    assert len(colours) > 10, colours
    for what, colour in colours:
        assert contrast(colour, background) >= 4.5, f"{what}: {colour} on {background}"


# The two checks below change what the widget shows: each opens the page for itself.

def test_cost_explorer_controls_are_named_and_results_announced(rendered):
    page = rendered.open(EXPLORER_PAGE)
    explorer = page.locator(".mc-cost-explorer").first
    explorer.locator(".mc-mult-adds[data-value]").wait_for(timeout=20_000)
    # Sliders named by their labels, and only by them (the preset buttons are not part of the name).
    assert explorer.get_by_role("slider", name="width multiplier α", exact=True).count() == 1
    assert explorer.get_by_role("slider", name="resolution", exact=True).count() == 1
    for r in (224, 192, 160, 128):
        assert explorer.get_by_role("button", name=f"Set resolution to {r} px", exact=True).count() == 1
    status = explorer.locator("[aria-live='polite']")
    assert status.count() == 1
    assert status.inner_text() == "", "nothing is announced before the reader changes anything"
    explorer.get_by_role("button", name="Set resolution to 160 px").click()
    page.wait_for_function("e => e.textContent.includes('MobileNet-160')", arg=status.element_handle(),
                           timeout=5_000)
    announced = status.text_content()
    name, mult_adds = explorer.locator(".mc-name").inner_text(), explorer.locator(".mc-mult-adds").inner_text()
    assert explorer.get_by_role("button", name="Set resolution to 160 px").get_attribute("aria-pressed") == "true"
    page.close()
    assert name.endswith("-MobileNet-160"), name
    assert announced.startswith(f"{name}: {mult_adds} mult-adds"), (announced, name, mult_adds)


def test_budget_picker_answer_is_a_live_region(rendered):
    page = rendered.open(PICKER_PAGE)
    picker = page.locator(".mc-budget-picker").first
    answer = picker.locator(".mc-answer")
    assert answer.get_attribute("aria-live") == "polite"
    picker.get_by_label("max million mult-adds").fill("100")
    page.wait_for_function("e => e.dataset.best && e.textContent.includes('Best within budget')",
                           arg=answer.element_handle(), timeout=5_000)
    chart = picker.get_by_role("img")
    label = chart.get_attribute("aria-label")
    best = answer.get_attribute("data-best")
    page.close()
    assert best and best in label, (best, label)


@probe("measure_buttons", pages=[BENCH_PAGE], widths=[1280])
def measure_buttons(page):
    """Every "Measure" button of the page (the chapter's benchmark panel and its exercise): whether it is disabled,
    the note that aria-describedby points to, its title; and the alt text of the panel's plots."""
    page.locator("button.widget-button", has_text="Measure").first.wait_for(timeout=20_000)
    page.wait_for_selector("button.widget-button[data-mc-static]", timeout=5_000)
    buttons = []
    for button in page.locator("button.widget-button", has_text="Measure").all():
        note_id = button.get_attribute("aria-describedby")
        buttons.append({"disabled": button.is_disabled(), "note_id": note_id,
                        "note": page.locator(f"#{note_id}").inner_text() if note_id else "",
                        "title": button.get_attribute("title") or ""})
    alts = [img.get_attribute("alt") or "" for img in page.locator("img.mc-plot").all()]
    return {"buttons": buttons, "alts": alts}


def test_static_measure_button_is_disabled_with_a_reason(rendered):
    read = rendered.measured(BENCH_PAGE, 1280)["measure_buttons"]
    buttons, alts = read["buttons"], read["alts"]
    assert buttons, "no Measure button on the benchmarking chapter"
    for i, button in enumerate(buttons, 1):
        assert button["disabled"], f"Measure button {i}: it needs a kernel; in the static book it must not look ready"
        note = button["note"]
        assert "kernel" in note and "Colab" in note, f"Measure button {i}: note {button['note_id']!r}: {note!r}"
        assert button["title"] == note, f"Measure button {i}: its title does not give the reason: {button['title']!r}"
    assert len({b["note_id"] for b in buttons}) == len(buttons), "two Measure buttons share one note"
    assert alts and alts[0].startswith("Plot of median latency"), f"the panel's plot has no text alternative: {alts}"


# --- Pages load only what they use ---------------------------------------------------------------------------------

WIDGET_SCRIPTS = ("offline/require.js", "mc-widgets-config.js", "offline/html-manager/embed-amd.js")
MATHJAX = "offline/mathjax/tex-mml-chtml.js"


def loaded_scripts(html: str) -> list[str]:
    return re.findall(r'<script[^>]*\bsrc="([^"]+)"', html)


@pytest.mark.parametrize("page_name", PAGES + ["search.html"])
def test_page_loads_widget_manager_and_mathjax_only_where_used(site, page_name):
    html = (site / page_name).read_text()
    scripts = loaded_scripts(html)
    has_widgets = "application/vnd.jupyter.widget-view+json" in html
    has_math = re.search(r'class="math[ "]', html) is not None
    for name in WIDGET_SCRIPTS:
        assert any(s.split("?")[0].endswith(name) for s in scripts) == has_widgets, (
            f"{page_name}: {name} {'missing' if has_widgets else 'loaded'}; widget views on the page: {has_widgets}")
    assert any(s.split("?")[0].endswith(MATHJAX) for s in scripts) == has_math, (
        f"{page_name}: MathJax {'missing' if has_math else 'loaded'}; maths on the page: {has_math}")


def test_widget_and_math_pages_exist_for_the_check_above(site):
    # The check above would pass vacuously if no page had widgets or maths.
    pages = {name: (site / name).read_text() for name in PAGES}
    assert sum("application/vnd.jupyter.widget-view+json" in html for html in pages.values()) >= 3
    assert sum('class="math' in html for html in pages.values()) >= 8
    assert "widget-state+json" not in pages["book/07_training.html"] or \
        "widget-view+json" in pages["book/07_training.html"], "chapter 7 keeps widget state it does not show"


class Script:
    """Stands in for Sphinx's _JavaScript: a filename and attributes."""

    def __init__(self, filename, **attributes):
        self.filename, self.attributes = filename, attributes


class Config:
    nb_ipywidgets_js = {"offline/require.js": {}, "mc-widgets-config.js": {}, "offline/html-manager/embed-amd.js": {}}
    mathjax_path = "offline/mathjax/tex-mml-chtml.js"


class App:
    config = Config()


def scripts_kept(body: str) -> list[str]:
    offline_assets = extension("offline_assets")
    # Sphinx's builder keeps a local script's path under _static/.
    scripts = [Script("_static/doctools.js"), Script(None, body='window.MathJax = {"options": {}}'),
               Script("_static/offline/mathjax/tex-mml-chtml.js", defer="defer"),
               Script(None, type="application/vnd.jupyter.widget-state+json", body="{}"),
               Script("_static/offline/require.js"), Script("_static/mc-widgets-config.js"),
               Script("_static/offline/html-manager/embed-amd.js", crossorigin="anonymous")]
    context = {"script_files": scripts, "body": body}
    offline_assets.drop_unused_assets(App(), "page", "page.html", context, None)
    return [s.filename or s.attributes.get("type") or s.attributes["body"][:15] for s in context["script_files"]]


def test_drop_unused_assets_keeps_what_a_page_uses():
    widget = '<script type="application/vnd.jupyter.widget-view+json">{}</script>'
    math = '<span class="math notranslate nohighlight">\\(x\\)</span>'
    everything = ["_static/doctools.js", "window.MathJax ", "_static/offline/mathjax/tex-mml-chtml.js",
                  "application/vnd.jupyter.widget-state+json", "_static/offline/require.js",
                  "_static/mc-widgets-config.js", "_static/offline/html-manager/embed-amd.js"]
    assert scripts_kept(widget + math) == everything
    assert scripts_kept("<p>prose</p>") == everything[:1]
    assert scripts_kept(math) == everything[:3]
    assert scripts_kept(widget) == everything[:1] + everything[3:]
    assert scripts_kept('<p class="mathematics">not maths</p>') == everything[:1]


def test_body_fixes_name_the_cell_toggles_and_list_the_citations():
    accessible_pages = extension("accessible_pages")
    body = ('<summary aria-label="Toggle hidden content">\n<p class="collapsed">Show code cell source</p></summary>'
            '<div role="list" class="citation-list"><div class="citation" id="id1" role="doc-biblioentry">'
            '<span class="label">Ho17</span></div></div>')
    fixed = accessible_pages.fix_body(body)
    assert "aria-label" not in fixed and "<summary>\n<p" in fixed
    assert 'role="doc-biblioentry"' not in fixed and 'id="id1" role="listitem"' in fixed
    assert accessible_pages.fix_body("<p>plain</p>") == "<p>plain</p>"


def test_site_css_and_js_are_in_the_static_folder():
    for name in ("mc-site.css", "mc-site.js"):
        assert (ROOT / "book" / "_static" / name).is_file()
    config = (ROOT / "_config.yml").read_text()
    assert "accessible_pages: book/_ext" in config
