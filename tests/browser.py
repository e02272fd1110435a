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
