"""Batch page and API-token section in a real browser (Debian's Chromium via Playwright)."""

from __future__ import annotations

import io as _io
import zipfile

import pytest
from playwright.sync_api import expect

from effects import io
from tests.browser.conftest import register, shoot
from tests.imaging import photo

pytestmark = pytest.mark.browser

WAIT = 30_000  # ms: a deadline for what the page shows next, not an expectation of speed


def test_a_batch_from_the_form_to_download_all(page, server, tmp_path):
    page.set_default_timeout(60_000)  # deadlines, not expectations: two cores are shared
    register(page)
    page.goto("/batch")
    page.select_option("#batch-style", "watercolor")
    expect(page.locator("#batch-preset option", has_text="Wet wash")).to_have_count(1, timeout=WAIT)
    page.select_option("#batch-preset", label="Wet wash")
    notes = tmp_path / "notes.txt"
    notes.write_text("not a picture")
    page.set_input_files("#batch-files", [str(photo("denali.webp")), str(notes), str(photo("portrait.jpg"))])
    page.click("#batch-submit")
    page.wait_for_url("**/batch/*", timeout=60_000)  # the upload proves each photo decodes first
    expect(page.locator("h1")).to_contain_text("Watercolor · Wet wash", timeout=WAIT)
    # progress arrives over the job websockets: no reload
    expect(page.locator("#batch-status")).to_have_text("partial", timeout=60_000)
    expect(page.locator("#batch-done")).to_have_text("2", timeout=WAIT)
    cards = page.locator("[data-job]")
    expect(cards).to_have_count(3, timeout=WAIT)
    failed = cards.nth(1)
    expect(failed.locator("[data-role=status]")).to_have_text("failed", timeout=WAIT)
    expect(failed.locator("[data-role=error]")).to_contain_text("JPEG, PNG or WebP", timeout=WAIT)
    expect(cards.nth(0).locator("img")).to_have_attribute(
        "src", "/images/" + cards.nth(0).get_attribute("data-job") + "/thumbnail?kind=result", timeout=WAIT
    )
    failed.locator("[data-role=retry]").click()
    expect(failed.locator("[data-role=error]")).to_contain_text("upload the photo again", timeout=WAIT)
    shoot(page, "batch", server.backend)

    with page.expect_download() as info:
        page.click("#batch-zip")
    archive = zipfile.ZipFile(_io.BytesIO(info.value.path().read_bytes()))
    names = archive.namelist()
    assert len(names) == 2 and "denali" in names[0] and "portrait" in names[1]
    assert all(io.decode(archive.read(n)).size for n in names)


def test_api_tokens_on_the_account_page(page, server):
    register(page)
    page.goto("/account")
    section = page.locator("#api-tokens")
    expect(section).to_contain_text("No tokens yet.", timeout=WAIT)
    page.fill("#token-name", "backup script")
    page.select_option("#token-scope", "write")
    page.click("#api-tokens button.primary")
    expect(page.locator("#new-token")).to_contain_text("will not be shown again", timeout=WAIT)
    secret = page.locator("#new-token input").input_value()
    assert secret.startswith("tfy_")
    r = page.request.get("/users/me", headers={"Authorization": f"Bearer {secret}"})
    assert r.status == 200
    expect(section).to_contain_text("backup script · write", timeout=WAIT)
    shoot(page, "account-tokens", server.backend)
    page.once("dialog", lambda d: d.accept())
    page.click("#api-tokens button.link")
    expect(page.locator("#api-tokens")).to_contain_text("Token revoked.", timeout=WAIT)
    expect(page.locator("#api-tokens")).to_contain_text("No tokens yet.", timeout=WAIT)
    r = page.request.get("/users/me", headers={"Authorization": f"Bearer {secret}"})
    assert r.status == 401
