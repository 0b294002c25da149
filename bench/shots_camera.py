"""Screenshots of the camera studio, the preset picker, the batch page and a share page
(desktop 1366 x 900 and phone 390 x 844, JPEG quality 80) into docs/screenshots/.

    python bench/shots_camera.py
"""

from __future__ import annotations

import pathlib
import re
import sys
import tempfile

from playwright.sync_api import expect, sync_playwright

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.browser.conftest import CHROMIUM_ARGS, DESKTOP, PHONE, register  # noqa: E402
from tests.conftest import make_server  # noqa: E402
from tests.imaging import photo  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
ARGS = [*CHROMIUM_ARGS, "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]


def settle(page):
    page.evaluate("new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")


def main() -> None:
    srv = make_server("sqlite", pathlib.Path(tempfile.mkdtemp()))
    srv.start()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
                phone = label == "phone"
                ctx = browser.new_context(viewport=size, base_url=srv.url, has_touch=phone, is_mobile=phone)
                ctx.grant_permissions(["camera"], origin=srv.url)
                page = ctx.new_page()
                page.set_default_timeout(60_000)
                register(page)
                # the camera studio, in the pop art style
                page.locator("label.style-pick:has(input[value=pop_art])").click()
                expect(page.locator("#controls")).to_have_attribute("data-style", "pop_art")
                page.locator("#camera-empty").click()
                page.wait_for_function("Number(document.getElementById('studio').dataset.fps || 0) > 5")
                page.wait_for_function("document.getElementById('camera-out').dataset.style === 'pop_art'")
                settle(page)
                page.screenshot(path=str(OUT / f"camera-{label}.jpg"), type="jpeg", quality=80)
                page.get_by_role("button", name="Stop camera").click()
                # the preset picker, with a photo and an own preset
                page.locator("label.style-pick:has(input[value=cartoon])").click()
                expect(page.locator("#controls")).to_have_attribute("data-style", "cartoon")
                page.set_input_files("#file", str(photo("tanners_ridge.jpg")))
                expect(page.locator("#after")).to_have_attribute("data-seq", re.compile(r"[1-9]"))
                page.fill("#preset-name", "Bold outlines")
                page.get_by_role("button", name="Save as preset").click()
                expect(page.locator("#preset-list li.own")).to_have_count(1)
                page.locator("#preset-list li.builtin .preset-apply").nth(1).click()
                page.locator("#presets").scroll_into_view_if_needed()
                page.wait_for_function(
                    "document.getElementById('after').dataset.seq && "
                    "new URLSearchParams(location.search).get('colors') !== null"
                )
                page.wait_for_timeout(600)  # the preview frame for the applied preset
                page.screenshot(path=str(OUT / f"presets-{label}.jpg"), type="jpeg", quality=80)
                # the batch page
                page.goto("/batch")
                settle(page)
                page.screenshot(path=str(OUT / f"batch-{label}.jpg"), type="jpeg", quality=80, full_page=True)
                # a share page: a finished job, shared
                r = page.request.post(
                    "/images/transform",
                    multipart={
                        "file": {
                            "name": "falcon.jpg",
                            "mimeType": "image/jpeg",
                            "buffer": photo("prairie_falcon.jpg").read_bytes(),
                        },
                        "style": "watercolor",
                    },
                )
                uuid = r.json()["uuid"]
                page.goto(f"/gallery/{uuid}")
                expect(page.locator("#job-state")).to_have_text("done")
                page.get_by_role("button", name="Share", exact=True).click()
                expect(page.locator("#share-url")).to_be_visible()
                page.locator("#share").scroll_into_view_if_needed()
                page.screenshot(path=str(OUT / f"share-job-{label}.jpg"), type="jpeg", quality=80)
                url = page.locator("#share-url").input_value()
                visitor = browser.new_context(viewport=size, has_touch=phone, is_mobile=phone).new_page()
                visitor.goto(url)
                visitor.wait_for_load_state("networkidle")
                visitor.screenshot(path=str(OUT / f"share-page-{label}.jpg"), type="jpeg", quality=80, full_page=True)
                visitor.context.close()
                ctx.close()
            browser.close()
    finally:
        srv.stop()
    for f in sorted(OUT.glob("*.jpg")):
        print(f.name, f.stat().st_size // 1024, "KB")


if __name__ == "__main__":
    main()
