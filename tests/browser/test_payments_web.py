"""Unlock HD in the browser, with payments on.

Stripe.js comes from js.stripe.com, which cannot be reached here: Playwright serves a small
stand-in at that address that mounts a placeholder form and resolves confirmPayment; the card
payment itself happens on the fake Stripe server, which the Toonify server then asks.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from effects import io
from tests.browser.conftest import DESKTOP, register, shoot
from tests.imaging import photo

pytestmark = pytest.mark.browser

FAKE_STRIPE_JS = """
window.Stripe = function (publishableKey) {
  return {
    elements: function (opts) {
      window.__clientSecret = opts.clientSecret;
      return { create: function () { return { mount: function (sel) {
        document.querySelector(sel).innerHTML = '<div class="fake-card">Card •••• 4242</div>'; } }; } };
    },
    confirmPayment: async function () {
      return window.__decline
        ? { error: { message: "Your card was declined." } }
        : { paymentIntent: { status: "succeeded" } };
    },
  };
};
"""


@pytest.fixture()
def paid_page(browser, paid):
    server, fake = paid
    context = browser.new_context(viewport=DESKTOP, base_url=server.url, accept_downloads=True)
    context.route(
        "https://js.stripe.com/v3/",
        lambda route: route.fulfill(status=200, content_type="application/javascript", body=FAKE_STRIPE_JS),
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page, server, fake
    context.close()


def test_unlock_hd_without_a_reload(paid_page, tmp_path):
    page, server, fake = paid_page
    register(page)
    page.set_input_files("#file", str(photo("tanners_ridge.jpg")))
    expect(page.locator("#after")).to_have_attribute("data-seq", "1")
    page.click("#render")
    expect(page.locator("#job-link")).to_be_visible(timeout=60_000)
    page.click("#job-link")
    page.wait_for_url("**/gallery/*")
    expect(page.locator("#unlock")).to_contain_text("Unlock HD · 4.99 EUR")

    page.click("#unlock")
    expect(page.locator(".fake-card")).to_be_visible()
    pid = page.evaluate("window.__clientSecret").split("_secret_")[0]

    page.evaluate("window.__decline = true")
    page.click("#pay-submit")
    expect(page.locator("#pay-error")).to_have_text("Your card was declined.")
    expect(page.locator("#unlock")).to_be_enabled()  # a declined card leaves every way to try again open
    expect(page.locator("#pay-submit")).to_be_enabled()

    fake.confirm(pid)  # the card payment, made on Stripe's side
    page.evaluate("window.__decline = false")
    page.evaluate("window.__noReload = 1")
    page.click("#pay-submit")
    expect(page.locator("#pay-state")).to_have_text("Payment received: HD unlocked.")
    assert page.evaluate("window.__noReload") == 1  # same page: no reload happened
    expect(page.locator("#download-sd")).to_be_hidden()
    shoot(page, "unlock-hd", server.backend)
    with page.expect_download() as info:
        page.click("#download-hd")
    info.value.save_as(tmp_path / "hd.jpg")
    assert io.read_image(tmp_path / "hd.jpg").shape == io.read_image(photo("tanners_ridge.jpg")).shape

    page.goto("/gallery")
    expect(page.locator("article.shot .hd")).to_have_text("HD unlocked")
    page.goto("/dashboard")
    expect(page.locator("#stat-unlocked")).to_have_text("1")


def test_pages_do_not_mention_payment_when_it_is_off(page, server):
    register(page)
    for path in ("/toonify", "/gallery", "/dashboard"):
        page.goto(path)
        assert "Unlock" not in page.content() and "js.stripe.com" not in page.content()
