"""How the studio turns slider moves into pictures (issue 13): every move is sent at once (no
waiting for an animation frame; the server keeps only the newest waiting request), changes made
in one go send one request, frames are drawn in a canvas exactly as decoded, and after a fast
drag the picture is always the frame of the last request. Behaviour only: no timings here
(bench/studio_latency.py measures them)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import register
from tests.imaging import photo

pytestmark = pytest.mark.browser

# records the preview socket's render requests and frame headers, before the page's handlers
SPY = """(() => {
  const W = window.WebSocket;
  window.__spy = { renders: [], frames: [] };
  window.WebSocket = class extends W {
    constructor(...args) {
      super(...args);
      if (!String(args[0]).includes('/ws/preview')) return;
      this.addEventListener('message', (e) => {
        if (typeof e.data === 'string') return;
        const n = new DataView(e.data).getUint32(0);
        window.__spy.frames.push(JSON.parse(new TextDecoder().decode(new Uint8Array(e.data, 4, n))));
      });
    }
    send(data) {
      if (typeof data === 'string' && data.startsWith('{"type":"render"')) window.__spy.renders.push(JSON.parse(data));
      return super.send(data);
    }
  };
})();"""

LAST = "window.__spy.renders[window.__spy.renders.length - 1].seq"
# the last request's final frame is in the picture (a coarse frame may come first: not that one)
SETTLED = """(() => {
  const seq = window.__spy.renders[window.__spy.renders.length - 1].seq;
  const final = window.__spy.frames.filter((h) => h.seq === seq && h.final).pop();
  const after = document.getElementById('after');
  return !!final && Number(after.dataset.seq) === seq && (after.dataset.final === 'true' || final.coarse);
})()"""


def open_studio(page, name: str = "tanners_ridge.jpg") -> None:
    page.add_init_script(SPY)
    register(page)
    page.set_input_files("#file", str(photo(name)))
    expect(page.locator("#after")).to_have_attribute("data-seq", re.compile(r"[1-9]\d*"))
    page.wait_for_function(SETTLED)


def test_a_fast_drag_sends_every_move_and_ends_on_the_last_requests_final_frame(page, server):
    open_studio(page)
    before = page.evaluate("window.__spy.renders.length")
    # 12 moves, each in a task of its own, a few ms apart: faster than frames can be made
    page.evaluate("""async () => {
      const el = document.getElementById('p-colors');
      for (let i = 0; i < 12; i++) {
        el.value = String(i % 2 ? 4 + i : 20 - i);
        el.dispatchEvent(new Event('input', { bubbles: true }));
        await new Promise((r) => setTimeout(r, 2));
      }
    }""")
    # every move went out at once (the server, not the page, drops the superseded ones)
    assert page.evaluate("window.__spy.renders.length") - before == 12
    last_move = page.evaluate(LAST)
    # the last move's final frame (a coarse one may come first)
    page.wait_for_function(
        f"(p => Number(p.dataset.seq) >= {last_move} && p.dataset.final === 'true')(document.getElementById('after'))"
    )
    state = page.evaluate("""async () => {
      const pic = document.getElementById('after');
      // one snapshot of the picture, taken before anything is awaited: a frame drawn meanwhile
      // (the page may ask again, e.g. when the picture's shown size changes) must not mix in
      const shown = { blob: pic.frame, seq: Number(pic.dataset.seq), final: pic.dataset.final,
                      size: [pic.width, pic.height], controls: window.ToonifyStudio.currentParams(),
                      pixels: pic.getContext('2d').getImageData(0, 0, pic.width, pic.height).data };
      const request = window.__spy.renders.find((r) => r.seq === shown.seq);
      const frame = window.__spy.frames.filter((h) => h.seq === shown.seq && h.final).pop();
      // the canvas holds exactly the decoded bytes of that frame
      const bitmap = await createImageBitmap(shown.blob);
      const c = document.createElement('canvas');
      c.width = bitmap.width; c.height = bitmap.height;
      c.getContext('2d').drawImage(bitmap, 0, 0);
      const a = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      const b = shown.pixels;
      let same = a.length === b.length;
      for (let i = 0; same && i < a.length; i++) same = a[i] === b[i];
      return { params: request.params, controls: shown.controls, final: shown.final, seq: shown.seq,
               frame, same, size: shown.size };
    }""")
    # the picture answers the last move (or a later request the page made for the same settings,
    # e.g. at a new shown size), with the settings on screen
    assert state["seq"] >= last_move and state["params"] == state["controls"]
    assert state["frame"] is not None and state["frame"]["final"]
    assert state["final"] == "true"
    assert state["same"], "the canvas does not hold the last frame's pixels"
    assert state["size"] == [state["frame"]["width"], state["frame"]["height"]]


def test_changes_made_in_one_go_send_one_request(page, server):
    open_studio(page)
    before = page.evaluate("window.__spy.renders.length")
    page.evaluate("""() => {
      for (const el of document.querySelectorAll('#controls input[type=range]')) {
        el.value = el.min;
        el.dispatchEvent(new Event('input', { bubbles: true }));
      }
    }""")
    page.wait_for_function(f"window.__spy.renders.length > {before}")
    page.wait_for_function(SETTLED)
    assert page.evaluate("window.__spy.renders.length") == before + 1
    page.click("#reset")
    page.wait_for_function(SETTLED)
    assert page.evaluate("window.__spy.renders.length") == before + 2


def test_frames_are_made_at_the_size_the_picture_is_shown(page, server):
    open_studio(page, "book-beside-flowers.jpg")  # 1536 x 2048: a 768 x 1024 preview
    state = page.evaluate("""() => {
      const pic = document.getElementById('pic'), after = document.getElementById('after');
      const last = window.__spy.renders[window.__spy.renders.length - 1];
      const header = window.__spy.frames.filter((h) => h.seq === last.seq && h.final).pop();
      return { shown: Math.max(pic.clientWidth, pic.clientHeight) * devicePixelRatio, side: last.side,
               frame: Math.max(after.width, after.height), coarse: header.coarse };
    }""")
    # at 1366 x 900 the picture is well under 1024 px: the frames are no larger than it, in 128 px steps
    assert state["side"] % 128 == 0 and state["shown"] <= state["side"] < state["shown"] + 128
    # (half that when the preview workers were saturated: a coarse final frame)
    assert state["frame"] == min(1024, state["side"]) // (2 if state["coarse"] else 1)
    # a taller window: the picture grows, and so do the frames
    seq = page.evaluate(LAST)
    page.set_viewport_size({"width": 1800, "height": 1300})
    page.wait_for_function(f"{LAST} > {seq}")
    page.wait_for_function(SETTLED)
    bigger = page.evaluate("window.__spy.renders[window.__spy.renders.length - 1].side")
    assert bigger > state["side"]
