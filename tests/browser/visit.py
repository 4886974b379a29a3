"""Open one page of the served site in Chromium and record what a reader's browser saw."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

# Loads every lazy image (by scrolling it into view), then reports the ones that did not decode.
# Hidden ones too (a card's preview): loading="eager" makes every lazy image load now.
LOAD_IMAGES = """async () => {
  const images = [...document.images];
  const settled = img => img.complete ? null : Promise.race([
    new Promise(done => { img.addEventListener('load', done); img.addEventListener('error', done); }),
    new Promise(done => setTimeout(done, 10000))]);
  images.forEach(img => { img.loading = 'eager'; });
  await Promise.all(images.map(settled));
  return images.filter(img => !(img.naturalWidth > 0)).map(img => img.currentSrc || img.src);
}"""

# The page's width and the boxes of the text column and of every element that picks a column.
GEOMETRY = """() => {
  const box = el => { const r = el.getBoundingClientRect();
                      return {left: r.left, right: r.right, width: r.width}; };
  const text = document.querySelector('.d-body > p');
  const placed = [...document.querySelectorAll('.l-grid > .l-page, .l-grid > .l-screen, .l-grid > .l-gutter')];
  return {
    scrollWidth: document.scrollingElement.scrollWidth,
    innerWidth: window.innerWidth,
    clientWidth: document.documentElement.clientWidth,
    text: text ? box(text) : null,
    placed: placed.map(el => ({layout: [...el.classList].find(c => c.startsWith('l-')),
                               tag: el.tagName.toLowerCase(), ...box(el)})),
  };
}"""


@dataclass
class Visit:
    """What happened while one page loaded, and its geometry once loaded."""

    url: str
    width: int
    status: int | None = None
    console_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)
    broken_images: list[str] = field(default_factory=list)
    geometry: dict = field(default_factory=dict)
    screenshot: Path | None = None


def record(page, visit: Visit, origin: str) -> None:
    """Listen to the page's console and network for the problems a reader would hit."""
    def console(msg) -> None:
        where = msg.location.get("url", "")
        # The document's own status is checked on its own (the 404 page is meant to be a 404).
        if msg.type == "error" and not (where == visit.url and "Failed to load" in msg.text):
            visit.console_errors.append(f"{msg.text} ({where})")

    page.on("console", console)
    page.on("pageerror", lambda exc: visit.console_errors.append(f"uncaught: {exc}"))
    page.on("requestfailed", lambda req: visit.failed_requests.append(
        f"{req.url}: {req.failure}"))

    def response(resp) -> None:
        if resp.status >= 400 and resp.url != visit.url:
            visit.failed_requests.append(f"{resp.url}: HTTP {resp.status}")

    page.on("response", response)

    def route(route) -> None:
        url = urlsplit(route.request.url)
        if url.scheme in ("data", "blob") or f"{url.scheme}://{url.netloc}" == origin:
            route.continue_()
        else:
            visit.foreign_requests.append(route.request.url)
            route.abort()

    page.route("**/*", route)


def open_page(browser, url: str, width: int, javascript: bool = True):
    """A fresh context (no shared cache or cookies) and page of the given width."""
    context = browser.new_context(viewport={"width": width, "height": 800},
                                  java_script_enabled=javascript)
    return context, context.new_page()


def visit(browser, url: str, width: int, origin: str, screenshot: Path | None = None) -> Visit:
    """Load ``url`` at ``width`` px, wait for every image, measure it and take a screenshot."""
    result = Visit(url, width)
    context, page = open_page(browser, url, width)
    try:
        record(page, result, origin)
        response = page.goto(url, wait_until="load")
        result.status = response.status if response else None
        result.broken_images = page.evaluate(LOAD_IMAGES)
        page.wait_for_load_state("networkidle")
        result.geometry = page.evaluate(GEOMETRY)
        if screenshot is not None:
            page.screenshot(path=screenshot, full_page=True)
            result.screenshot = screenshot
    finally:
        context.close()
    return result
