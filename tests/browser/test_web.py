"""The web pages in a real browser: Debian's Chromium driven by Playwright, against the server.

Screenshots of every page at desktop and phone width go to test-output/screenshots/.
"""

from __future__ import annotations

import hashlib
import re

import pytest
from playwright.sync_api import Page, expect

from effects import io
from tests.browser.conftest import register, shoot
from tests.imaging import photo

pytestmark = pytest.mark.browser


def frame_digest(page: Page) -> tuple[int, str]:
    """The seq and a hash of the bytes of the preview frame now shown."""
    seq = int(page.get_attribute("#after", "data-seq") or 0)
    data = page.evaluate("""async () => {
        return Array.from(new Uint8Array(await document.getElementById('after').frame.arrayBuffer()));
    }""")
    return seq, hashlib.sha256(bytes(data)).hexdigest()


def test_register_validation_and_wrong_password(page, server):
    page.goto("/register")
    page.fill("#email", "not an email")
    page.fill("#password", "short")
    page.click("button[type=submit]")
    expect(page.locator("#email-error")).to_contain_text("email address")
    expect(page.locator("#password-error")).to_contain_text("8 characters")
    email = register(page)
    page.click("text=Log out")
    page.wait_for_url("**/login")
    page.fill("#email", email)
    page.fill("#password", "the wrong one")
    page.click("button[type=submit]")
    expect(page.locator(".banner")).to_have_text("Wrong email or password.")
    shoot(page, "login", server.backend)
    # the login cookie is HttpOnly: page scripts cannot read a token
    page.fill("#password", "a good password")
    page.click("button[type=submit]")
    page.wait_for_url("**/toonify")
    assert page.evaluate("document.cookie") == ""


def test_toonify_preview_render_download_gallery_dashboard(page, server, tmp_path):
    register(page)
    page.goto("/dashboard")
    before_total = int(page.inner_text("#stat-total"))
    page.goto("/toonify")
    page.set_input_files("#file", str(photo("tanners_ridge.jpg")))
    expect(page.locator("#after")).to_have_attribute("data-seq", re.compile(r"\d+"))
    seq1, digest1 = frame_digest(page)

    # move a slider with the keyboard; a new frame arrives and its pixels differ
    page.focus("#p-colors")
    page.keyboard.press("Home")
    page.wait_for_function(f"Number(document.getElementById('after').dataset.seq) > {seq1}")
    seq2, digest2 = frame_digest(page)
    assert seq2 > seq1 and digest2 != digest1

    # another style swaps in its own sliders (generated from the spec) and re-renders
    page.click("label.style-pick:has(input[value=pop_art])")
    expect(page.locator("#controls")).to_have_attribute("data-style", "pop_art")
    page.wait_for_function(f"Number(document.getElementById('after').dataset.seq) > {seq2}")
    page.check("#p-grid")
    shoot(page, "toonify", server.backend)

    # full size: a real progress bar to 100 % and a download of the full-size image
    page.click("#render")
    expect(page.locator(".progress")).to_have_attribute("aria-valuenow", "100", timeout=60_000)
    expect(page.locator("#download")).to_be_visible()
    with page.expect_download() as info:
        page.click("#download")
    path = tmp_path / "result.jpg"
    info.value.save_as(path)
    assert io.read_image(path).shape == io.read_image(photo("tanners_ridge.jpg")).shape

    # the gallery has it, as a small thumbnail
    page.goto("/gallery")
    cards = page.locator("article.shot")
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text("Pop art")
    expect(cards.first).to_contain_text("tanners_ridge.jpg")
    expect(page.locator("#gallery-count")).to_contain_text("1 picture ")
    thumb = page.locator("article.shot img").first
    assert page.evaluate("(img) => img.naturalWidth", thumb.element_handle()) <= 360
    shoot(page, "gallery", server.backend)
    page.click("article.shot .thumb")
    page.wait_for_url("**/gallery/*")
    expect(page.locator("text=Download result")).to_be_visible()
    page.go_back()

    page.goto("/dashboard")
    expect(page.locator("#stat-total")).to_have_text(str(before_total + 1))
    expect(page.locator("canvas#per-day")).to_be_visible()
    assert page.evaluate("Chart.getChart('styles').data.datasets[0].data.reduce((a, b) => a + b, 0)") == 1
    shoot(page, "dashboard", server.backend)

    # delete with confirmation; the card goes, the dashboard follows
    page.goto("/gallery")
    page.once("dialog", lambda d: d.accept())
    page.click("article.shot [aria-label^=Delete]")
    expect(page.locator("article.shot")).to_have_count(0)
    expect(page.locator("#gallery-count")).to_contain_text("0 pictures")  # the count follows at once
    page.goto("/gallery")
    expect(page.locator(".empty")).to_contain_text("No pictures yet")
    page.goto("/dashboard")
    expect(page.locator("#stat-total")).to_have_text(str(before_total))


def test_reopen_a_job_and_account_pages(page, server):
    register(page)
    page.goto("/toonify")
    page.set_input_files("#file", str(photo("portrait.jpg")))
    expect(page.locator("#after")).to_have_attribute("data-seq", re.compile(r"\d+"))
    page.click("#render")
    expect(page.locator("#badge")).to_be_visible(timeout=60_000)
    page.goto("/gallery")
    page.click("article.shot [aria-label^=Tweak]")
    page.wait_for_url("**/toonify?*")
    expect(page.locator("#after")).to_have_attribute("data-seq", re.compile(r"\d+"))

    page.goto("/account")
    page.fill("#full_name", "Renamed Person")
    page.click("#profile-form button")
    expect(page.locator("#profile-form .ok")).to_have_text("Profile saved.")
    page.fill("#current_password", "wrong password")
    page.fill("#new_password", "another good one")
    page.fill("#confirm", "another good one")
    page.click("#password-form button")
    expect(page.locator("#password-form .error")).to_contain_text("current password")
    page.fill("#current_password", "a good password")
    page.fill("#new_password", "another good one")
    page.fill("#confirm", "another good one")
    page.click("#password-form button")
    expect(page.locator("#password-form .ok")).to_contain_text("Password changed")
    page.goto("/gallery")  # still logged in on this browser after the change
    expect(page.locator("h1")).to_have_text("Gallery")
    shoot(page, "account", server.backend)


def test_a_too_large_photo_is_refused_in_words(page, server, tmp_path):
    register(page)
    big = tmp_path / "big.jpg"
    big.write_bytes(b"\xff\xd8\xff" + bytes(11 * 1024 * 1024))
    page.goto("/toonify")
    page.set_input_files("#file", str(big))
    expect(page.locator("#message")).to_contain_text("the limit is 10 MB")
