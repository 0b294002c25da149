"""The studio as a photo app, in Chromium at 1366 x 900 and 390 x 844: the picture stays on
screen whatever moves, the action bar is always reachable, the preview survives a dropped
socket and a reload, bad files leave the viewer intact, axe-core finds nothing, and the whole
journey works from the keyboard. Screenshots of every page go to test-output/screenshots/.
"""

from __future__ import annotations

import re
import struct
import zlib
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Page, expect

import effects
from tests.browser.conftest import DESKTOP, PHONE, assert_accessible, register, shoot
from tests.conftest import drop_database, make_server
from tests.imaging import photo

pytestmark = pytest.mark.browser

SEQ = "Number(document.getElementById('after').dataset.seq || 0)"


def frame(page: Page) -> tuple[int, str, str]:
    """(seq, pixels drawn, hash of the bytes) of the preview frame now shown (drawn in a canvas)."""
    return tuple(
        page.evaluate("""async () => {
        const pic = document.getElementById('after');
        const bytes = await pic.frame.arrayBuffer();
        const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
        const hex = Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
        const px = pic.getContext('2d').getImageData(0, 0, pic.width, pic.height).data;
        const drawn = Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', px)).slice(0, 8)).join('.');
        return [Number(pic.dataset.seq || 0), drawn, hex];
    }""")
    )


def open_photo(page: Page, name: str = "tanners_ridge.jpg") -> None:
    page.set_input_files("#file", str(photo(name)))
    expect(page.locator("#after")).to_have_attribute("data-seq", re.compile(r"[1-9]\d*"))
    expect(page.locator("#render")).to_have_attribute("aria-disabled", "false")


def inside_viewport(page: Page, selector: str) -> None:
    box = page.locator(selector).bounding_box()
    size = page.viewport_size
    assert box is not None, f"{selector} is not displayed"
    assert box["x"] >= 0 and box["y"] >= 0, f"{selector} starts off screen: {box}"
    assert box["x"] + box["width"] <= size["width"] + 0.5, f"{selector} runs off the right: {box}"
    assert box["y"] + box["height"] <= size["height"] + 0.5, f"{selector} runs off the bottom: {box}"


def change(page: Page, p) -> None:
    """Change one control to a different value, the way a person would."""
    control = page.locator(f"#p-{p.name}")
    if p.type == "bool":
        control.click()
    elif p.type == "choice":
        current = control.input_value()
        control.select_option(next(c for c in p.choices if c != current))
    else:
        at_max = float(control.input_value()) >= float(p.max)
        control.focus()
        page.keyboard.press("Home" if at_max else "End")


def test_phone_picture_stays_in_view_while_every_control_of_every_style_moves(phone, server):
    page = phone
    register(page)
    open_photo(page, "book-beside-flowers.jpg")  # a tall photo: the hardest case on a phone
    # the header is one row and the page itself does not scroll
    assert page.locator("header.topbar").bounding_box()["height"] <= 60
    assert page.evaluate("(n => n.scrollWidth <= n.clientWidth)(document.querySelector('nav'))")  # every link shows
    expect(page.locator(".if-mouse")).to_be_hidden()  # no "drop a photo" on a touch screen
    for style in effects.STYLES:
        if not page.locator(f"input[name=style][value={style}]").is_checked():
            seq = page.evaluate(SEQ)
            page.locator(f"label.style-pick:has(input[value={style}])").click()
            expect(page.locator("#controls")).to_have_attribute("data-style", style)
            page.wait_for_function(f"{SEQ} > {seq}")
            inside_viewport(page, "#pic")
        changed_bytes = 0
        for p in effects.params(style):
            seq, _, digest = frame(page)
            change(page, p)
            inside_viewport(page, "#pic")
            page.wait_for_function(f"{SEQ} > {seq}")
            inside_viewport(page, "#pic")
            new_seq, _, new_digest = frame(page)
            assert new_seq > seq, f"{style}.{p.name}: the picture did not change"
            changed_bytes += new_digest != digest
        assert changed_bytes >= 1, f"{style}: no control changed the pixels"
        assert page.evaluate("document.scrollingElement.scrollTop") == 0


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_render_progress_and_download_are_on_screen_without_scrolling(browser, server, size):
    context = browser.new_context(viewport=size, base_url=server.url, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(20_000)
    try:
        register(page)
        for selector in ("#render", ".progress", "#download", "#choose"):
            expect(page.locator(selector)).to_be_in_viewport(ratio=1)
        open_photo(page, "book-beside-flowers.jpg")
        inside_viewport(page, "#pic")
        page.click("#render")
        expect(page.locator("#badge")).to_be_visible(timeout=60_000)  # the result, in the picture area
        for selector in ("#render", ".progress", "#download", "#pic"):
            expect(page.locator(selector)).to_be_in_viewport(ratio=1)
        expect(page.locator(".progress")).to_have_attribute("aria-valuenow", "100")
        expect(page.locator("#download")).to_have_attribute("href", re.compile(r"/images/.+/processed"))
        assert page.evaluate("document.scrollingElement.scrollHeight <= innerHeight")
        # 1:1 zoom on the full-size result
        page.click("#zoom-toggle")
        expect(page.locator("#zoom")).to_be_visible()
        page.wait_for_function("document.getElementById('zoom-img').naturalWidth > 0")
        natural = page.evaluate("document.getElementById('zoom-img').naturalWidth")
        shown = page.locator("#zoom-img").bounding_box()["width"]
        assert natural == 1536 and abs(shown - natural) < 1  # drawn at 100 %
        page.click("#zoom-toggle")
        expect(page.locator("#pic")).to_be_visible()
    finally:
        context.close()


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def idle_server(request, tmp_path_factory):
    """A server that closes websockets idle for 2 s."""
    srv = make_server(request.param, tmp_path_factory.mktemp("idle-" + request.param), TOONIFY_WS_IDLE_TIMEOUT="2")
    srv.start()
    yield srv
    srv.stop()
    drop_database(srv)


def test_preview_comes_back_after_the_server_closes_the_socket(browser, idle_server):
    context = browser.new_context(viewport=DESKTOP, base_url=idle_server.url)
    page = context.new_page()
    page.set_default_timeout(20_000)
    try:
        register(page)
        open_photo(page)
        # the server closes the idle socket; the page reconnects and re-opens the photo by itself
        page.wait_for_function("Number(document.getElementById('studio').dataset.reconnects || 0) >= 1")
        seq, _, digest = frame(page)
        page.focus("#p-colors")
        page.keyboard.press("Home")
        page.wait_for_function(f"{SEQ} > {seq}")
        _, _, new_digest = frame(page)
        assert new_digest != digest
        expect(page.locator("#message")).to_be_hidden()
        expect(page.locator("#render")).to_have_attribute("aria-disabled", "false")
    finally:
        context.close()


def test_a_reload_during_a_render_restores_photo_style_settings_and_the_render(page, server):
    register(page)
    open_photo(page, "book-beside-flowers.jpg")
    page.locator("label.style-pick:has(input[value=pop_art])").click()
    expect(page.locator("#controls")).to_have_attribute("data-style", "pop_art")
    page.select_option("#p-palette", "neon")
    page.focus("#p-levels")
    page.keyboard.press("Home")
    expect(page).to_have_url(re.compile(r"levels=2"))
    page.click("#render")
    expect(page).to_have_url(re.compile(r"render=[0-9a-f-]{36}"))
    before = parse_qs(urlparse(page.url).query)
    page.reload()
    after = parse_qs(urlparse(page.url).query)
    # the same state; the photo is the stored upload, or (once the render is done) the job's original
    assert after.pop("photo") in (before["photo"], before["render"])
    assert after == {k: v for k, v in before.items() if k != "photo"}
    expect(page.locator("input[name=style][value=pop_art]")).to_be_checked()
    expect(page.locator("#p-palette")).to_have_value("neon")
    expect(page.locator("#p-levels")).to_have_value("2")
    expect(page.locator("#pic")).to_be_visible()
    page.wait_for_function("document.getElementById('before').naturalWidth === 1536")  # the same photo
    expect(page.locator(".progress")).to_have_attribute("aria-valuenow", "100", timeout=60_000)
    expect(page.locator("#badge")).to_be_visible()
    expect(page.locator("#download")).to_have_attribute("href", re.compile(r"/processed"))
    # after the reload the live preview works on the same photo
    seq = page.evaluate(SEQ)
    page.focus("#p-levels")
    page.keyboard.press("End")
    page.wait_for_function(f"{SEQ} > {seq}")
    expect(page.locator("#badge")).to_be_hidden()


# Forces the race a reload can meet: the job socket's messages (DONE, then the finished result)
# are held until the first preview frame has arrived; the result's decode is slowed down, and
# the preview frame is handed to the page while the result is still decoding.
RACE = """(() => {
  const W = window.WebSocket, decode = window.createImageBitmap.bind(window);
  const jobs = [], previews = [];
  let slowNext = false, released = false;
  window.__race = { held: 0, jobHeld: 0, slowed: 0 };
  window.createImageBitmap = (blob, ...rest) => {
    if (!slowNext) return decode(blob, ...rest);
    slowNext = false;
    window.__race.slowed += 1;
    return new Promise((r) => setTimeout(r, 800)).then(() => decode(blob, ...rest));
  };
  const release = () => {
    if (released) return;
    released = true;
    jobs.splice(0).forEach((f) => f());
    setTimeout(() => previews.splice(0).forEach((f) => f()), 100);
  };
  setTimeout(release, 10000);  // no preview frame came: let the job through (the test then fails)
  window.WebSocket = class extends W {
    set onmessage(handler) {
      const jobSocket = String(this.url).includes('/ws/jobs/');
      super.onmessage = (e) => {
        const binary = typeof e.data !== 'string';
        if (jobSocket && !released) {
          window.__race.jobHeld += 1;
          return jobs.push(() => { slowNext = binary; handler(e); });
        }
        if (jobSocket && binary) slowNext = true;  // the finished result
        if (!jobSocket && binary && !released) {
          window.__race.held += 1;
          previews.push(() => handler(e));
          return release();
        }
        handler(e);
      };
    }
    get onmessage() { return super.onmessage; }
  };
})();"""


def test_the_finished_result_is_shown_over_a_preview_of_the_same_settings_that_decoded_first(page, server):
    register(page)
    open_photo(page, "book-beside-flowers.jpg")
    page.click("#render")
    expect(page.locator("#badge")).to_be_visible(timeout=60_000)
    page.add_init_script(RACE)
    page.reload()
    expect(page.locator(".progress")).to_have_attribute("aria-valuenow", "100", timeout=20_000)
    race = page.evaluate("window.__race")
    # the race took place: the job's messages waited for a preview frame, the result's decode was
    # the slow one, and a preview frame was handed over during it
    assert race["jobHeld"] >= 2 and race["slowed"] == 1 and race["held"] >= 1, race
    expect(page.locator("#badge")).to_be_visible()
    page.wait_for_timeout(1500)  # every held frame has been handed over and decoded by now
    expect(page.locator("#badge")).to_be_visible()
    expect(page.locator("#after")).to_have_attribute("aria-label", "The finished picture")


def _corrupt_png() -> bytes:
    """A PNG whose header is fine and whose pixel data is garbage (the chunk CRCs are right)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", 64, 64, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", b"not zlib data" * 20) + chunk(b"IEND", b"")


@pytest.mark.parametrize("kind", ["text named .jpg", "corrupt png"])
def test_a_bad_file_leaves_the_previous_photo_and_the_viewer_intact(page, server, tmp_path, kind):
    register(page)
    open_photo(page)
    before_src = page.get_attribute("#before", "src")
    seq = page.evaluate(SEQ)
    bad = tmp_path / ("notes.jpg" if kind.startswith("text") else "broken.png")
    bad.write_bytes(b"shopping list: eggs, milk\n" * 40 if kind.startswith("text") else _corrupt_png())
    page.set_input_files("#file", str(bad))
    message = page.locator("#message")
    expect(message).to_be_visible()
    expect(message).to_contain_text(f"“{bad.name}” could not be opened")
    expect(message).to_contain_text("Your previous photo is still here.")
    assert page.get_attribute("#before", "src") == before_src
    assert page.evaluate(SEQ) == seq
    expect(page.locator("#pic")).to_be_visible()
    assert page.evaluate("document.getElementById('before').naturalWidth") > 0  # no broken image
    assert page.evaluate("document.getElementById('after').width") > 1  # a frame is drawn
    expect(page.locator("#render")).to_have_attribute("aria-disabled", "false")
    # and the previous photo still previews
    page.focus("#p-colors")
    page.keyboard.press("Home")
    page.wait_for_function(f"{SEQ} > {seq}")


def test_no_accessibility_violations_on_any_page_or_state(browser, server):
    for size, label in ((DESKTOP, "desktop"), (PHONE, "phone")):
        context = browser.new_context(viewport=size, base_url=server.url, accept_downloads=True)
        page = context.new_page()
        page.set_default_timeout(20_000)
        try:
            page.goto("/login")
            assert_accessible(page, f"login ({label})")
            page.goto("/register")
            assert_accessible(page, f"register ({label})")
            page.fill("#email", "not an email")
            page.click("button[type=submit]")
            expect(page.locator("#email-error")).to_be_visible()
            assert_accessible(page, f"register with errors ({label})")
            register(page)
            assert_accessible(page, f"studio, empty ({label})")
            open_photo(page)
            assert_accessible(page, f"studio with a photo ({label})")
            page.set_input_files("#file", str(photo("density_plot.png")).replace("density_plot.png", "README.md"))
            expect(page.locator("#message")).to_be_visible()
            assert_accessible(page, f"studio with a message ({label})")
            page.click("#render")
            expect(page.locator("#badge")).to_be_visible(timeout=60_000)
            assert_accessible(page, f"studio with the result ({label})")
            page.click("#zoom-toggle")
            expect(page.locator("#zoom")).to_be_visible()
            assert_accessible(page, f"studio zoomed to 100 % ({label})")
            page.goto("/gallery")
            assert_accessible(page, f"gallery ({label})")
            page.click("article.shot .thumb")
            page.wait_for_url("**/gallery/*")
            assert_accessible(page, f"job page ({label})")
            page.goto("/dashboard")
            page.wait_for_function("window.Chart && Chart.getChart('styles')")
            assert_accessible(page, f"dashboard ({label})")
            page.goto("/account")
            assert_accessible(page, f"account ({label})")
        finally:
            context.close()


def tab_to(page: Page, selector: str, visited: list[str], limit: int = 80) -> None:
    """Press Tab until `selector` has the focus, noting every element focused on the way."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        visited.append(page.evaluate("document.activeElement.id || document.activeElement.tagName"))
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}; focused: {visited[-20:]}")


def test_keyboard_only_journey(page, server):
    # the chooser is answered by a handler set before anything happens (expect_file_chooser,
    # set up just before the key press, missed the chooser now and then on a loaded machine)
    choosers = []
    page.on("filechooser", lambda ch: (choosers.append(ch), ch.set_files(str(photo("tanners_ridge.jpg")))))
    register(page)
    visited: list[str] = []
    page.evaluate("document.activeElement.blur()")
    # choose a photo: the button opens the file chooser from the keyboard
    tab_to(page, "#choose", visited)
    page.keyboard.press("Enter")
    expect(page.locator("#pic")).to_be_visible()
    assert len(choosers) == 1
    expect(page.locator("#after")).to_have_attribute("data-seq", re.compile(r"[1-9]"))
    # style: the radio group is one Tab stop; arrows pick another style
    tab_to(page, "input[name=style]:checked", visited)
    page.keyboard.press("ArrowRight")
    second = effects.STYLES[1]
    expect(page.locator("#controls")).to_have_attribute("data-style", second)
    # a slider
    first = effects.params(second)[0]
    seq = page.evaluate(SEQ)
    tab_to(page, f"#p-{first.name}", visited)
    page.keyboard.press("End")
    page.wait_for_function(f"{SEQ} > {seq}")
    # compare: the divider on the picture is a slider
    page.evaluate("document.activeElement.blur()")
    tab_to(page, "#divider", visited)
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    expect(page.locator("#divider")).to_have_attribute("aria-valuenow", "46")
    page.keyboard.press("Home")
    expect(page.locator("#divider")).to_have_attribute("aria-valuenow", "0")
    page.keyboard.press("End")
    expect(page.locator("#divider")).to_have_attribute("aria-valuenow", "100")
    # render, then download: the focus moves to Download when the picture is ready
    tab_to(page, "#change", visited)  # "Change photo" is a Tab stop
    tab_to(page, "#render", visited)
    page.keyboard.press("Enter")
    expect(page.locator("#download")).to_be_focused(timeout=60_000)
    with page.expect_download() as info:
        page.keyboard.press("Enter")
    assert info.value.suggested_filename == f"toonify-{second}-hd-tanners_ridge.jpg"
    assert "file" not in visited  # the hidden file input is never a Tab stop


def test_screenshots_of_every_page(browser, server):
    """Every page at both sizes, in its interesting state (test-output/screenshots/)."""
    context = browser.new_context(viewport=DESKTOP, base_url=server.url, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(20_000)
    try:
        page.goto("/login")
        shoot(page, "login", server.backend)
        page.goto("/register")
        shoot(page, "register", server.backend)
        register(page)
        shoot(page, "studio-empty", server.backend)
        open_photo(page, "book-beside-flowers.jpg")
        shoot(page, "studio-portrait", server.backend)
        open_photo(page, "tanners_ridge.jpg")
        page.locator("label.style-pick:has(input[value=pop_art])").click()
        expect(page.locator("#controls")).to_have_attribute("data-style", "pop_art")
        page.click("#render")
        expect(page.locator("#badge")).to_be_visible(timeout=60_000)
        shoot(page, "studio-result", server.backend)
        page.goto("/gallery")
        shoot(page, "gallery", server.backend)
        page.click("article.shot .thumb")
        page.wait_for_url("**/gallery/*")
        shoot(page, "job", server.backend)
        page.goto("/dashboard")
        page.wait_for_function("window.Chart && Chart.getChart('styles')")
        shoot(page, "dashboard", server.backend)
        page.goto("/account")
        shoot(page, "account", server.backend)
    finally:
        context.close()


def test_back_after_logout_and_after_login_shows_no_stale_page(page, server):
    email = register(page)
    page.goto("/gallery")
    expect(page.locator("h1")).to_have_text("Gallery")
    page.click("text=Log out")
    page.wait_for_url("**/login")
    page.go_back()  # the gallery is not kept: the server is asked and sends the login page
    page.wait_for_url(re.compile(r":\d+/login\?next=/gallery$"))
    expect(page.locator("h1")).to_have_text("Log in")
    page.fill("#email", email)
    page.fill("#password", "a good password")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r":\d+/gallery$"))
    page.go_back()  # not the login form again: a signed-in person is sent on
    expect(page.locator("h1")).not_to_have_text("Log in")
    assert "/login" not in page.url


def test_the_job_page_follows_a_render_over_the_websocket(page, server):
    import httpx

    from tests.conftest import upload

    email = register(page)
    with httpx.Client(base_url=server.url) as c:
        tokens = c.post("/auth/login", json={"email": email, "password": "a good password"}).json()
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        job = upload(c, headers, photo("book-beside-flowers.jpg"), style="oil_painting").json()
    sockets = []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    page.goto(f"/gallery/{job['uuid']}")
    # whether it was still rendering or not, the page ends showing the result without polling
    expect(page.locator("text=Download result")).to_be_visible(timeout=60_000)
    assert 'hx-trigger="every' not in page.content()
    if sockets:
        assert sockets[0].endswith(f"/ws/jobs/{job['uuid']}")
