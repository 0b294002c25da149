"""Studio presets (apply, save, rename, delete), share links on the job page, the Batch link."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import assert_accessible, register
from tests.browser.test_studio import open_photo
from tests.imaging import photo

pytestmark = pytest.mark.browser


OWN_PRESETS = "async () => (await (await fetch('/presets?style=cartoon')).json()).filter((p) => !p.builtin)"


def slider(page: Page, name: str) -> float:
    return float(page.locator(f"#p-{name}").input_value())


def test_presets_apply_save_rename_delete(page: Page):
    register(page)
    open_photo(page)
    presets = page.locator("#preset-list")
    expect(presets.get_by_role("button", name=re.compile("^Apply preset"))).not_to_have_count(0)
    builtin = presets.locator("li.builtin").first
    name = builtin.locator(".preset-apply").inner_text()
    # one click sets the sliders to the preset's values and renders them
    stored = page.evaluate(
        "async (n) => (await (await fetch('/presets?style=cartoon')).json()).find((p) => p.name === n).params", name
    )
    seq = int(page.locator("#after").get_attribute("data-seq"))
    builtin.get_by_role("button", name=f"Apply preset {name}").click()
    for key, value in stored.items():
        control = page.locator(f"#p-{key}")
        if control.get_attribute("type") == "range":
            assert float(control.input_value()) == pytest.approx(float(value)), key
    expect(builtin.locator(".preset-apply")).to_have_attribute("aria-pressed", "true")
    page.wait_for_function(f"Number(document.getElementById('after').dataset.seq) > {seq}")
    expect(page).to_have_url(re.compile(f"colors={stored['colors']}"))

    # save the current settings (changed by a person) as an own preset
    page.locator("#p-colors").focus()
    page.keyboard.press("End")
    top = slider(page, "colors")
    page.fill("#preset-name", "My bold look")
    page.get_by_role("button", name="Save as preset").click()
    mine = presets.locator("li.own", has_text="My bold look")
    expect(mine).to_have_count(1)
    assert_accessible(page, "the studio with an own preset")
    # settings moved away, then the own preset brings them back
    page.get_by_role("button", name="Reset", exact=True).click()
    assert slider(page, "colors") != top
    mine.get_by_role("button", name="Apply preset My bold look").click()
    assert slider(page, "colors") == top
    # it is stored on the server for this style
    saved = page.evaluate(OWN_PRESETS)
    assert [(p["name"], p["params"]["colors"]) for p in saved] == [("My bold look", top)]

    # rename
    mine.get_by_role("button", name="Rename preset My bold look").click()
    page.get_by_role("textbox", name="New name for preset My bold look").fill("Poster")
    page.keyboard.press("Enter")
    expect(presets.locator("li.own .preset-apply")).to_have_text(["Poster"])
    # built-ins cannot be renamed or deleted
    expect(presets.locator("li.builtin").get_by_role("button", name=re.compile("^(Rename|Delete)"))).to_have_count(0)
    # another style has its own list
    page.locator("label.style-pick:has(input[value=sketch])").click()
    expect(page.locator("#controls")).to_have_attribute("data-style", "sketch")
    expect(presets.locator("li.own")).to_have_count(0)
    page.locator("label.style-pick:has(input[value=cartoon])").click()
    expect(presets.locator("li.own")).to_have_count(1)
    # delete
    presets.get_by_role("button", name="Delete preset Poster").click()
    expect(presets.locator("li.own")).to_have_count(0)
    saved = page.evaluate(OWN_PRESETS)
    assert saved == []


def finished_job(page: Page) -> str:
    """A finished job of this page's user, made over HTTP with the page's login cookie."""
    r = page.request.post(
        "/images/transform",
        multipart={
            "file": {
                "name": "falcon.jpg",
                "mimeType": "image/jpeg",
                "buffer": photo("prairie_falcon.jpg").read_bytes(),
            },
            "style": "cartoon",
        },
    )
    assert r.ok, r.text()
    uuid = r.json()["uuid"]
    page.goto(f"/gallery/{uuid}")
    expect(page.locator("#job-state")).to_have_text("done", timeout=60_000)
    return uuid


def test_share_create_copy_and_revoke(page: Page):
    register(page)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    uuid = finished_job(page)
    share = page.locator("#share")
    expect(share.locator("#share-list")).to_contain_text("No links yet")
    share.get_by_role("button", name="Share", exact=True).click()
    url_box = page.locator("#share-url")
    expect(url_box).to_be_visible()
    expect(url_box).to_have_value(re.compile(r"^http://.+/s/[A-Za-z0-9_-]{16,}$"))
    url = url_box.input_value()
    share.get_by_role("button", name="Copy link").click()
    expect(page.locator("#share-message")).to_have_text("Link copied.")
    assert page.evaluate("navigator.clipboard.readText()") == url
    expect(share.locator("#share-list li")).to_have_count(1)
    expect(share.locator("#share-list a")).to_have_attribute("href", url)
    assert_accessible(page, "a job page with a share link")
    # the link works for anyone (a fresh context without the login)
    other = page.context.browser.new_context()
    try:
        visitor = other.new_page()
        assert visitor.goto(url).status == 200
        # a second link, then revoke the first: its page is gone at once
        share.get_by_role("button", name="Share", exact=True).click()
        expect(share.locator("#share-list li")).to_have_count(2)
        share.get_by_role("button", name=f"Revoke the link {url}").click()
        expect(share.locator("#share-list li")).to_have_count(1)
        expect(share.locator("#share-list")).not_to_contain_text(url)
        assert visitor.goto(url).status == 404
    finally:
        other.close()
    listed = page.evaluate(f"async () => (await (await fetch('/images/{uuid}/shares')).json()).length")
    assert listed == 1


def test_batch_link_in_the_navigation(page: Page):
    register(page)
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Batch").click()
    expect(page).to_have_url(re.compile(r"/batch$"))
    expect(nav.get_by_role("link", name="Batch")).to_have_attribute("aria-current", "page")
