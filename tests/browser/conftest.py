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
DESKTOP, PHONE = {"width": 1280, "height": 900}, {"width": 390, "height": 844}


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


def shoot(page: Page, name: str, backend: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
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
