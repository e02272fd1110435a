"""Open pages of the built site in headless Chromium (Debian's) and report everything that went wrong."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from urllib.parse import urldefrag, urljoin, urlparse

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# The flags keep Chromium from phoning home (component updates, sync, safe browsing): only the page's own
# requests reach the network layer, so any request to another host is the page's fault.
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-default-apps"]


@dataclass
class PageReport:
    url: str
    external: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    internal_links: set[str] = field(default_factory=set)

    @property
    def problems(self) -> list[str]:
        return ([f"external request: {u}" for u in self.external] + [f"failed request: {u}" for u in self.failed]
                + [f"console error: {m}" for m in self.console_errors])


def launch(playwright):
    if not shutil.which(CHROMIUM) and not shutil.os.path.exists(CHROMIUM):
        pytest.fail("Debian's chromium is not installed: `apt-get install chromium chromium-driver` (make setup)")
    return playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)


def open_page(browser, url: str) -> tuple[object, PageReport]:
    """Load ``url`` with every request to a host other than the page's own blocked and recorded."""
    report = PageReport(url)
    origin = urlparse(url).netloc
    context = browser.new_context()
    page = context.new_page()

    def route(r):
        netloc = urlparse(r.request.url).netloc
        if r.request.url.startswith(("data:", "blob:")) or netloc == origin:
            r.continue_()
        else:
            report.external.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("requestfailed", lambda req: report.external.count(req.url) or report.failed.append(req.url))
    page.on("response", lambda resp: resp.status >= 400 and report.failed.append(f"{resp.url} ({resp.status})"))
    page.on("console", lambda msg: msg.type == "error" and report.console_errors.append(msg.text))
    page.on("pageerror", lambda err: report.console_errors.append(str(err)))
    page.goto(url, wait_until="networkidle")
    for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
        target, _ = urldefrag(urljoin(url, href))
        if urlparse(target).netloc == origin:
            report.internal_links.add(target)
    return page, report


def report_for(browser, folder, page_name: str) -> PageReport:
    """Serve ``folder`` on 127.0.0.1, open ``page_name`` in it, and return what went wrong."""
    from book import serve

    server, url = serve(folder)
    try:
        page, report = open_page(browser, url + page_name)
        page.context.close()
    finally:
        server.shutdown()
    return report


# --- Pages opened once and measured: every check that reads a page of the built book reads it from here -------------
#
# Opening a page and waiting until it is drawn is most of a browser test's time, and many checks read the same page at
# the same width. Each test module registers what it reads (a probe: a function of the opened page) at import, and a
# test asks for a page at a width: the page is opened once, drawn, and every probe that applies runs on it, in light
# mode and then, if a probe asks for it, in dark mode (switched with the theme's own colour-mode button). A probe that
# fails keeps its error, which the tests that read it raise, so one broken probe fails only those tests.

VIEWPORT_HEIGHT = 900
MATH_MARK, WIDGET_VIEW = 'class="math', "application/vnd.jupyter.widget-view+json"

# Every widget view of the page drawn by the widget manager (into the output area that holds the view's script), then
# no change to the page for ``quiet`` ms: the manager draws a panel's children one after another, so the first drawn
# element does not mean the panel is done. Gives up waiting for quiet after ``limit`` ms (the checks then run).
WIDGETS_DRAWN = """() => [...document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]')]
    .every(s => s.parentElement.querySelector(':scope > .widget-subarea > *'))"""
PAGE_QUIET = """([quiet, limit]) => new Promise(resolve => {
  let timer;
  const done = () => { observer.disconnect(); clearTimeout(cap); resolve(true); };
  const observer = new MutationObserver(() => { clearTimeout(timer); timer = setTimeout(done, quiet); });
  observer.observe(document.documentElement, {childList: true, subtree: true, attributes: true, characterData: true});
  timer = setTimeout(done, quiet);
  const cap = setTimeout(done, limit);
})"""

# The theme's colour-mode button cycles auto, light, dark (with a light system setting): pressed until the mode is
# dark, it runs the theme's own switch (data-mode and data-theme on <html>, the dropdowns, localStorage), as when a
# reader presses it. Then the colour transitions that the switch started are waited for.
TO_DARK_MODE = """async () => {
  const button = document.querySelector('.theme-switch-button');
  if (!button) return null;
  for (let i = 0; i < 3 && document.documentElement.dataset.mode !== 'dark'; i++) button.click();
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  const transitions = document.getAnimations().filter(a => a instanceof CSSTransition);
  await Promise.all(transitions.map(a => a.finished.catch(() => 0)));
  return document.documentElement.dataset.theme;
}"""


def wait_until_drawn(page) -> None:
    """Wait, after the page's load event, until its maths is typeset, its widgets drawn and its fonts loaded."""
    html = page.content()
    if MATH_MARK in html:
        page.wait_for_selector("mjx-container", state="attached", timeout=30_000)
        page.wait_for_function("() => !window.MathJax || !MathJax.startup || MathJax.startup.promise",
                               timeout=30_000)
        page.evaluate("() => window.MathJax && MathJax.startup ? MathJax.startup.promise.then(() => true) : null")
    if WIDGET_VIEW in html:
        page.wait_for_selector(".jupyter-widgets, .mc-widget", state="attached", timeout=30_000)
        page.wait_for_function(WIDGETS_DRAWN, timeout=30_000)
        page.evaluate(PAGE_QUIET, [300, 5_000])
    page.evaluate("() => document.fonts.ready.then(() => true)")


def open_drawn(context, url: str, width: int = 1280):
    """A new page of ``context`` at ``width`` px showing ``url``, once drawn (see :func:`wait_until_drawn`)."""
    page = context.new_page()
    page.set_viewport_size({"width": width, "height": VIEWPORT_HEIGHT})
    page.goto(url, wait_until="load")
    wait_until_drawn(page)
    return page


@dataclass(frozen=True)
class Probe:
    name: str
    collect: object                        # page -> what the checks read (JSON-like)
    pages: frozenset | None = None         # the pages it reads (paths under the site), None for every page
    widths: tuple = (390, 1280)
    modes: tuple = ("light",)
    last: bool = False                     # runs after the others of its mode (it may change the page)

    def applies(self, page_name: str, width: int) -> bool:
        return (self.pages is None or page_name in self.pages) and width in self.widths


PROBES: dict[str, Probe] = {}


def probe(name: str, *, pages=None, widths=(390, 1280), modes=("light",), last: bool = False):
    """Register the decorated function (page -> data) as the probe ``name``."""
    def register(collect):
        PROBES[name] = Probe(name, collect, frozenset(pages) if pages is not None else None, tuple(widths),
                             tuple(modes), last)
        return collect
    return register


class ProbeError(Exception):
    """A probe (or the opening of its page) failed; the original error is its cause."""


@dataclass
class Measured:
    """What the probes read on one page at one width, by mode; ``theme`` is <html data-theme> in each mode."""
    page_name: str
    width: int
    results: dict = field(default_factory=dict)   # (mode, probe name) -> data, or the exception it raised
    theme: dict = field(default_factory=dict)

    def get(self, name: str, mode: str = "light"):
        if (mode, name) not in self.results:
            raise KeyError(f"probe {name!r} did not run on {self.page_name} at {self.width} px in {mode} mode")
        result = self.results[mode, name]
        if isinstance(result, BaseException):
            raise ProbeError(f"probe {name!r} failed on {self.page_name} at {self.width} px in {mode} mode: "
                             f"{type(result).__name__}: {result}") from result
        return result

    def __getitem__(self, name: str):
        return self.get(name)


class RenderedSite:
    """Pages of the site at ``base_url``, each opened once per width in one browser context and measured.

    The context's local storage is cleared before every page's scripts run, so each page starts as in a fresh context
    (the theme's default colour mode); pages share only the browser's HTTP cache.
    """

    def __init__(self, browser, base_url: str):
        self.base_url = base_url
        self.context = browser.new_context(viewport={"width": 1280, "height": VIEWPORT_HEIGHT})
        self.context.add_init_script("try { localStorage.clear(); } catch (e) {}")
        self.cache: dict[tuple[str, int], Measured] = {}

    def open(self, page_name: str, width: int = 1280):
        """A page of its own (the caller closes it), for a check that changes what it shows."""
        return open_drawn(self.context, self.base_url + page_name, width)

    def measured(self, page_name: str, width: int, only: list[str] | None = None) -> Measured:
        """Every registered probe that applies to ``page_name`` at ``width`` (or those named in ``only``), read once."""
        key = (page_name, width) if only is None else (page_name, width, tuple(only))
        if key not in self.cache:
            probes = ([PROBES[name] for name in only] if only is not None
                      else [p for p in PROBES.values() if p.applies(page_name, width)])
            self.cache[key] = self._measure(page_name, width, probes)
        return self.cache[key]

    def _measure(self, page_name: str, width: int, probes: list[Probe]) -> Measured:
        measured = Measured(page_name, width)
        try:
            page = open_drawn(self.context, self.base_url + page_name, width)
        except Exception as error:  # noqa: BLE001 -- every test that reads the page reports it
            measured.results.update({(mode, p.name): error for p in probes for mode in p.modes})
            return measured
        try:
            for mode in ("light", "dark"):
                todo = sorted((p for p in probes if mode in p.modes), key=lambda p: p.last)
                if not todo:
                    continue
                if mode == "dark" and page.evaluate(TO_DARK_MODE) is None:
                    error = RuntimeError(f"{page_name} has no colour-mode button to switch to dark mode")
                    measured.results.update({(mode, p.name): error for p in todo})
                    continue
                measured.theme[mode] = page.evaluate("document.documentElement.dataset.theme")
                for p in todo:
                    try:
                        measured.results[mode, p.name] = p.collect(page)
                    except Exception as error:  # noqa: BLE001 -- kept for the tests that read this probe
                        measured.results[mode, p.name] = error
        finally:
            page.close()
        return measured
