"""Slider change to new frame on screen, in the studio page in Chromium.

    python bench/studio_latency.py [--moves 30] [--photo /work/shared/images/photos/book-beside-flowers.jpg]

Starts a `toonify serve` (SQLite, a temporary data folder), opens the studio in Debian's Chromium
(1366 x 900), loads a 12 MP photo and, for every style (effects.STYLES) and its first numeric
slider, moves the slider `--moves` times between two values. One move's latency is measured in
the page: from the `input` event to the new frame's <img> decoded and two animation frames
later (painted). Moves are one at a time (each waits for its frame), so the numbers are the
latency of an answer, not of a backlog. Prints the median and p95 per style; no pass or fail.
"""

from __future__ import annotations

import argparse
import pathlib
import statistics
import sys
import tempfile
import uuid

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import effects  # noqa: E402
from tests.browser.conftest import CHROMIUM_ARGS  # noqa: E402
from tests.conftest import make_server  # noqa: E402

PHOTO = ROOT.parent / "shared" / "images" / "photos" / "book-beside-flowers.jpg"

MOVE = """async ([name, value]) => {
  const el = document.getElementById('p-' + name);
  const after = document.getElementById('after');
  const seq0 = Number(after.dataset.seq || 0);
  const t0 = performance.now();
  el.value = String(value);
  el.dispatchEvent(new Event('input', { bubbles: true }));
  await new Promise((done) => {
    const check = () => (Number(after.dataset.seq || 0) > seq0 ? done() : requestAnimationFrame(check));
    check();
  });
  await after.decode();
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  return performance.now() - t0;
}"""


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    from playwright.sync_api import expect, sync_playwright

    ap = argparse.ArgumentParser()
    ap.add_argument("--moves", type=int, default=30)
    ap.add_argument("--photo", type=pathlib.Path, default=PHOTO)
    args = ap.parse_args()

    tmp = pathlib.Path(tempfile.mkdtemp(prefix="studio-bench-"))
    server = make_server("sqlite", tmp, TOONIFY_MAX_FILE_SIZE_MB="40").start()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1366, "height": 900}, base_url=server.url)
            page.set_default_timeout(60_000)
            page.goto("/register")
            page.fill("#email", f"bench{uuid.uuid4().hex[:8]}@example.com")
            page.fill("#password", "a good password")
            page.fill("#confirm", "a good password")
            page.click("button[type=submit]")
            page.wait_for_url("**/toonify")
            page.set_input_files("#file", str(args.photo))
            expect(page.locator("#after")).to_have_attribute("data-seq", "1")
            size = page.evaluate("[studio.dataset.sourceWidth, studio.dataset.sourceHeight]")
            print(f"photo {args.photo.name} {size[0]} x {size[1]}, preview 1024 px, {args.moves} moves per style")
            print(f"{'style':<14} {'slider':<16} {'median ms':>10} {'p95 ms':>8}")
            for style in effects.STYLES:
                if not page.locator(f"input[name=style][value={style}]").is_checked():
                    seq = page.evaluate("Number(document.getElementById('after').dataset.seq)")
                    page.locator(f"label.style-pick:has(input[value={style}])").click()
                    expect(page.locator("#controls")).to_have_attribute("data-style", style)
                    page.wait_for_function(f"Number(document.getElementById('after').dataset.seq) > {seq}")
                slider = next(p for p in effects.params(style) if p.type in ("int", "float"))
                low, high = slider.min + (slider.max - slider.min) * 0.25, slider.min + (slider.max - slider.min) * 0.75
                if slider.type == "int":
                    low, high = round(low), round(high)
                times = [page.evaluate(MOVE, [slider.name, high if i % 2 else low]) for i in range(args.moves)]
                print(f"{style:<14} {slider.name:<16} {statistics.median(times):>10.0f} {p95(times):>8.0f}")
            browser.close()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
