"""Browser fixtures: Debian's Chromium driven by Playwright, and page helpers."""

from __future__ import annotations

import pathlib
import uuid

import pytest
from playwright.sync_api import Page, sync_playwright

ROOT = pathlib.Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-output" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP, PHONE = {"width": 1366, "height": 900}, {"width": 390, "height": 844}
AXE = pathlib.Path(__file__).parent / "vendor" / "axe.min.js"


@pytest.fixture(scope="session", autouse=True)
def _postgres_admin_off_the_event_loop():
    """Servers made while a browser is open (a second parameter of a fixture) create their
    PostgreSQL database with asyncio.run, which cannot run inside Playwright's event loop:
    those calls run in a thread of their own."""
    from concurrent.futures import ThreadPoolExecutor

    import tests.conftest as shared

    original = shared._pg_admin

    def in_a_thread(sql: str) -> None:
        with ThreadPoolExecutor(1) as pool:
            pool.submit(original, sql).result()

    shared._pg_admin = in_a_thread
    yield
    shared._pg_admin = original


@pytest.fixture(scope="module")
def browser():
    executable = "/usr/bin/chromium"
    assert pathlib.Path(executable).exists(), "Debian's chromium is required: bash .ci/test.sh installs it"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture()
def page(browser, server):
    context = browser.new_context(viewport=DESKTOP, base_url=server.url, accept_downloads=True)
    pg = context.new_page()
    pg.set_default_timeout(20_000)
    yield pg
    context.close()


@pytest.fixture()
def phone(browser, server):
    """A phone-sized page with touch (390 x 844)."""
    context = browser.new_context(
        viewport=PHONE, base_url=server.url, accept_downloads=True, has_touch=True, is_mobile=True
    )
    pg = context.new_page()
    pg.set_default_timeout(20_000)
    yield pg
    context.close()


def axe_violations(page: Page) -> list[dict]:
    """axe-core's violations on the page as it is now (every rule axe runs by default)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    return page.evaluate("""async () => {
        const r = await axe.run(document, { resultTypes: ['violations'] });
        return r.violations.map(v => ({
            id: v.id, help: v.help, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5),
        }));
    }""")


def assert_accessible(page: Page, state: str) -> None:
    """No axe-core violations, and nothing wider than the screen (no sideways scrolling)."""
    found = axe_violations(page)
    assert not found, f"axe-core violations on {state}: {found}"
    width = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
    assert width[0] <= width[1], f"{state}: the page is {width[0]} px wide on a {width[1]} px screen"


def shoot(page: Page, name: str, backend: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        # let resize observers (the studio's picture, the charts) lay out at the new size
        page.evaluate("new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")
        page.screenshot(path=str(SHOTS / f"{name}-{label}-{backend}.png"), full_page=True)
    page.set_viewport_size(DESKTOP)


def register(page: Page, password: str = "a good password") -> str:
    email = f"b{uuid.uuid4().hex[:8]}@example.com"
    page.goto("/register")
    page.fill("#full_name", "Browser Tester")
    page.fill("#email", email)
    page.fill("#password", password)
    page.fill("#confirm", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/toonify")
    return email
