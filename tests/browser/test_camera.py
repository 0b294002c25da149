"""The studio's live camera in Chromium with its fake camera (a moving test pattern)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from tests.browser.conftest import CHROMIUM_ARGS, PHONE, assert_accessible, register

pytestmark = pytest.mark.browser

CAMERA_ARGS = [*CHROMIUM_ARGS, "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=CAMERA_ARGS)
        yield b
        b.close()


@pytest.fixture()
def page(browser, server):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, base_url=server.url)
    context.grant_permissions(["camera"], origin=server.url)
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    yield pg
    context.close()


def shown(page: Page) -> tuple[int, str, str]:
    """(seq, style, SHA-256 of the bytes) of the camera frame on screen."""
    return tuple(
        page.evaluate("""async () => {
        const img = document.getElementById('camera-out');
        if (!img.src) return [0, '', ''];
        const bytes = await (await fetch(img.src)).arrayBuffer();
        const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
        const hex = Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
        return [Number(img.dataset.seq), img.dataset.style, hex];
    }""")
    )


def wait_for_new_frame(page: Page, after_seq: int, style: str | None = None) -> tuple[int, str, str]:
    page.wait_for_function(
        "([s, style]) => { const i = document.getElementById('camera-out');"
        " return Number(i.dataset.seq || 0) > s && (!style || i.dataset.style === style); }",
        arg=[after_seq, style],
    )
    return shown(page)


def test_camera_streams_styled_frames_and_snap_renders_a_job(page: Page):
    register(page)
    camera = page.get_by_role("button", name=re.compile("Camera")).first
    expect(camera).to_be_visible()
    camera.click()
    expect(page.locator("#camera")).to_be_visible()
    expect(page.locator("#camera-out")).to_be_visible()
    first = wait_for_new_frame(page, 0)
    assert first[1] == "cartoon"
    # the fake camera's picture moves: frames change over time
    page.wait_for_function(
        "async (h) => { const i = document.getElementById('camera-out');"
        " const b = await (await fetch(i.src)).arrayBuffer();"
        " const d = new Uint8Array(await crypto.subtle.digest('SHA-256', b));"
        " return Array.from(d, (x) => x.toString(16).padStart(2, '0')).join('') !== h; }",
        arg=first[2],
        polling=100,
    )
    # the fps readout shows a number above 0
    page.wait_for_function("Number(document.getElementById('studio').dataset.fps || 0) > 0")
    expect(page.locator("#fps")).to_have_text(re.compile(r"^(?!0\.0 )\d+\.\d fps$"))
    # the frame lies inside the viewer
    stage, out = page.locator("#stage").bounding_box(), page.locator("#camera-out").bounding_box()
    assert out["width"] > 100 and stage["x"] <= out["x"] and out["x"] + out["width"] <= stage["x"] + stage["width"] + 1
    # a style change applies to the camera frames
    seq = shown(page)[0]
    page.locator("label.style-pick:has(input[value=sketch])").click()
    sketch = wait_for_new_frame(page, seq, "sketch")
    assert sketch[1] == "sketch"
    # Snap: the camera's picture becomes the photo; Render makes a job that finishes
    page.get_by_role("button", name="Snap").click()
    expect(page.locator("#camera")).to_be_hidden()
    expect(page.locator("#after")).to_have_attribute("data-seq", re.compile(r"[1-9]\d*"))
    assert page.evaluate("Number(document.getElementById('studio').dataset.sourceWidth)") >= 640
    expect(page.locator("#render")).to_have_attribute("aria-disabled", "false")
    page.locator("#render").click()
    expect(page.locator("#job-status")).to_have_text(re.compile("Done"), timeout=60_000)
    expect(page.locator("#job-link")).to_have_attribute("href", re.compile(r"^/gallery/[0-9a-f-]{36}$"))
    href = page.locator("#job-link").get_attribute("href")
    page.goto(href)
    expect(page.locator("#job-state")).to_have_text("done")
    expect(page.locator("h1")).to_contain_text("camera-")


def test_stop_camera_releases_it(page: Page):
    register(page)
    page.get_by_role("button", name=re.compile("Camera")).first.click()
    wait_for_new_frame(page, 0)
    assert_accessible(page, "the studio with the camera on")
    # on a phone the live picture and its buttons are on screen
    page.set_viewport_size(PHONE)
    for selector in ("#camera-out", "#snap", "#camera-stop", "#fps"):
        box = page.locator(selector).bounding_box()
        assert box and box["x"] >= 0 and box["y"] >= 0, selector
        assert box["x"] + box["width"] <= PHONE["width"] + 0.5 and box["y"] + box["height"] <= PHONE["height"], selector
    page.set_viewport_size({"width": 1366, "height": 900})
    page.get_by_role("button", name="Stop camera").click()
    expect(page.locator("#camera")).to_be_hidden()
    assert page.evaluate("document.getElementById('camera-video').srcObject") is None
    expect(page.locator("#empty")).to_be_visible()
