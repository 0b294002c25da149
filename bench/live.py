"""Live preview latency over /ws/preview: every control of every style, alone and under 12 MP job load.

    python bench/live.py [--steps 24] [--interval 30] [--drops 3] [--skip-load] [--sessions] [--browser]

Starts a real server (SQLite, a temporary data folder, 2 job workers, 2 preview workers) and:

1. First preview after a drop: send a 12 MP JPEG over a new session, ask for the default render;
   time from the first byte sent to the `final` frame (per style, `--drops` times each).
2. Sweep: for every style in effects.STYLES and every parameter in effects.params(style), drag it
   from one end to the other and back (`--steps` values), one request every `--interval` ms,
   1024 px preview of the 12 MP photo. Latency = request sent -> its `final` frame. Superseded
   requests get no frame (latest wins) and are counted as skipped.
3. The same sweep while another thread keeps the jobs lane busy with 12 MP uploads in every style.
4. (`--sessions`) 500 idle sessions + 20 active ones: server memory and the active sessions' latency.
5. (`--browser`) slider-to-screen in Chromium (Playwright): time from a slider's input event to
   the preview <img> showing the new frame.

Goals (issue 13) are printed beside the numbers; the bench never passes or fails. The machine is
shared: run it a few times and compare medians.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import pathlib
import sys
import tempfile
import threading
import time

import httpx
import websockets

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import effects  # noqa: E402
from app.live.frames import unpack  # noqa: E402
from bench._common import big_photos, machine, median, pct, sweep_values  # noqa: E402
from tests.conftest import make_server, new_user, upload  # noqa: E402

GOAL_ALONE_P95 = 33.0
GOAL_LOADED_P95 = 100.0
GOAL_FIRST = 250.0
FIRST_ANY: list[float] = []  # ms to the first frame of any kind, per drop


async def first_preview(url: str, token: str, data: bytes, style: str) -> tuple[float, float]:
    """(ms from sending the photo to `ready`, ms from sending the photo to the first final frame).
    The time to the first frame of any kind (a coarse one, when the server sends one first) is
    appended to FIRST_ANY."""
    async with websockets.connect(f"{url}/ws/preview?token={token}", max_size=None, ping_timeout=None) as ws:
        t0 = time.perf_counter()
        await ws.send(data)
        msg = json.loads(await ws.recv())
        if msg["type"] != "ready":
            raise RuntimeError(f"the server did not take the photo: {msg}")
        ready = (time.perf_counter() - t0) * 1000
        await ws.send(json.dumps({"type": "render", "seq": 1, "style": style, "params": {}}))
        first = None
        while True:
            msg = await ws.recv()
            if isinstance(msg, bytes) and first is None:
                first = (time.perf_counter() - t0) * 1000
                FIRST_ANY.append(first)
            if isinstance(msg, bytes) and unpack(msg)[0]["final"]:
                return ready, (time.perf_counter() - t0) * 1000


async def sweep(url: str, token: str, data: bytes, style: str, steps: int, interval: float) -> dict:
    """Drag every control of `style`; returns {param: (latencies ms, sent, coarse frames, worker render ms)}."""
    results = {}
    async with websockets.connect(f"{url}/ws/preview?token={token}", max_size=None, ping_timeout=None) as ws:
        await ws.send(data)
        msg = json.loads(await ws.recv())
        if msg["type"] != "ready":
            raise RuntimeError(f"the server did not take the photo: {msg}")
        seq = 0
        # the first render of a style builds its layers: not part of a slider drag
        seq += 1
        await ws.send(json.dumps({"type": "render", "seq": seq, "style": style, "params": {}}))
        while not (isinstance(m := await ws.recv(), bytes) and unpack(m)[0]["seq"] == seq and unpack(m)[0]["final"]):
            pass  # a coarse frame may come first: the drag starts after the final one
        for param in effects.params(style):
            sent: dict[int, float] = {}
            latencies: list[float] = []
            coarse = [0]
            worker: list[float] = []
            values = sweep_values(param, steps)
            last = seq + len(values)
            done = asyncio.Event()

            async def reader(sent=sent, latencies=latencies, coarse=coarse, last=last, done=done, worker=worker):
                while True:
                    msg = await ws.recv()
                    if isinstance(msg, bytes):
                        header, _ = unpack(msg)
                        if header["final"] and header["seq"] in sent:
                            coarse[0] += bool(header.get("coarse"))
                            latencies.append((time.perf_counter() - sent[header["seq"]]) * 1000)
                            worker.append(header["render_ms"])
                            if header["seq"] == last:
                                done.set()
                                return

            task = asyncio.create_task(reader())
            t_next = time.perf_counter()
            for value in values:
                seq += 1
                sent[seq] = time.perf_counter()
                msg = {"type": "render", "seq": seq, "style": style, "params": {param.name: value}}
                await ws.send(json.dumps(msg))
                t_next += interval / 1000
                await asyncio.sleep(max(0.0, t_next - time.perf_counter()))
            await asyncio.wait_for(done.wait(), 120)
            task.cancel()
            results[param.name] = (latencies, len(values), coarse[0], worker)
            await asyncio.sleep(0.1)
    return results


def report_sweep(label: str, per_style: dict[str, dict], goal: float) -> None:
    print(f"\n{label}: request -> final frame, ms (goal p95 <= {goal:.0f} ms)")
    print("(worker = the render_ms the server reports: render + encode in the preview worker)")
    print(f"{'style':<14}{'p50':>7}{'p95':>8}{'frames':>10}  {'worker p50/p95':>15}  worst control (p95)")
    everything, work = [], []
    for style, params in per_style.items():
        lat = [x for r in params.values() for x in r[0]]
        rend = [x for r in params.values() for x in r[3]]
        everything += lat
        work += rend
        sent = sum(r[1] for r in params.values())
        coarse = sum(r[2] for r in params.values())
        worst = max(params.items(), key=lambda kv: pct(kv[1][0], 95))
        print(
            f"{style:<14}{median(lat):7.1f}{pct(lat, 95):8.1f}{len(lat):>5}/{sent:<4}  "
            f"{median(rend):7.1f}/{pct(rend, 95):<7.1f}  {worst[0]} "
            f"{pct(worst[1][0], 95):.1f}" + (f"  ({coarse} coarse)" if coarse else "")
        )
    print(
        f"{'all':<14}{median(everything):7.1f}{pct(everything, 95):8.1f}{'':>10}  "
        f"{median(work):7.1f}/{pct(work, 95):.1f}"
    )
    print(
        "  per control p50/p95: "
        + "; ".join(
            f"{s}.{p} {median(r[0]):.0f}/{pct(r[0], 95):.0f}"
            for s, params in per_style.items()
            for p, r in params.items()
        )
    )


def keep_jobs_busy(url: str, photo: pathlib.Path, stop: threading.Event) -> None:
    """Upload 12 MP jobs in every style, two at a time, until stopped."""
    with httpx.Client(base_url=url, timeout=120) as c:
        user = new_user(c)
        i = 0
        while not stop.is_set():
            jobs = []
            for _ in range(2):
                style = effects.STYLES[i % len(effects.STYLES)]
                i += 1
                jobs.append(upload(c, user["headers"], photo, style=style).json()["uuid"])
            for j in jobs:
                while not stop.is_set():
                    if c.get(f"/images/{j}", headers=user["headers"]).json()["status"] in ("DONE", "FAILED"):
                        break
                    time.sleep(0.05)


def rss_mb(pid: int) -> float:
    total = 0
    pids = [pid] + [int(p) for p in pathlib.Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    for p in pids:
        for line in pathlib.Path(f"/proc/{p}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024


def own_rss_mb(pid: int) -> float:
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def drag_one(url: str, token: str, data: bytes, style: str, renders: int) -> tuple[list[float], int]:
    """A session dragging the first numeric control of `style` (for the many-sessions test)."""
    param = next(p for p in effects.params(style) if p.type in ("int", "float"))
    values = (sweep_values(param, 24) * renders)[:renders]
    async with websockets.connect(f"{url}/ws/preview?token={token}", max_size=None, ping_timeout=None) as ws:
        await ws.send(data)
        json.loads(await ws.recv())
        sent: dict[int, float] = {}
        latencies: list[float] = []
        done = asyncio.Event()

        async def reader():
            while True:
                msg = await ws.recv()
                if isinstance(msg, bytes):
                    header, _ = unpack(msg)
                    if header["final"]:
                        latencies.append((time.perf_counter() - sent[header["seq"]]) * 1000)
                        if header["seq"] == renders:
                            done.set()
                            return

        task = asyncio.create_task(reader())
        for seq, value in enumerate(values, 1):
            sent[seq] = time.perf_counter()
            await ws.send(json.dumps({"type": "render", "seq": seq, "style": style, "params": {param.name: value}}))
            await asyncio.sleep(0.03)
        await asyncio.wait_for(done.wait(), 120)
        task.cancel()
        return latencies, renders


async def sessions(url: str, token: str, pid: int, data: bytes) -> None:
    base, base_all = own_rss_mb(pid), rss_mb(pid)
    idle = []
    for _ in range(500):
        ws = await websockets.connect(f"{url}/ws/preview?token={token}", max_size=None, ping_timeout=None)
        await ws.send(json.dumps({"type": "ping"}))
        await ws.recv()
        idle.append(ws)
    await asyncio.sleep(0.5)
    with_idle = own_rss_mb(pid)
    print(
        f"\n500 idle sessions: server process {base:.0f} -> {with_idle:.0f} MB "
        f"({(with_idle - base) * 1024 / 500:.0f} KB per idle session); server + workers {rss_mb(pid):.0f} MB"
    )
    styles = effects.STYLES
    results = await asyncio.gather(*[drag_one(url, token, data, styles[i % len(styles)], 60) for i in range(20)])
    lat = [x for r in results for x in r[0]]
    print(
        f"20 active + 500 idle: p50 {median(lat):.1f} ms, p95 {pct(lat, 95):.1f} ms, "
        f"frames {len(lat)}/{sum(r[1] for r in results)}"
    )
    print(f"after: server process {own_rss_mb(pid):.0f} MB, server + workers {rss_mb(pid):.0f} MB (was {base_all:.0f})")
    for ws in idle:
        await ws.close()


def browser(url: str, photo: pathlib.Path, moves: int = 6) -> None:
    """Slider-to-screen in Chromium: a slider's input event -> the new frame decoded in #after and
    painted (the next animation frame), for every range control of every style."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("\nbrowser: playwright is not installed (pip install playwright); skipped")
        return
    args = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]
    measure = """async ([id, moves]) => {
      const img = document.getElementById('after'), slider = document.getElementById(id), out = [];
      const lo = +slider.min, hi = +slider.max;
      for (let i = 0; i < moves; i++) {
        const before = Number(img.dataset.seq || 0), t0 = performance.now();
        slider.value = lo + (hi - lo) * ((i % moves) + 1) / (moves + 1);
        slider.dispatchEvent(new Event('input', {bubbles: true}));
        const ok = await new Promise(res => {
          const limit = setTimeout(() => res(false), 5000);
          const check = () => Number(img.dataset.seq || 0) > before
              ? (clearTimeout(limit), res(true)) : requestAnimationFrame(check);
          check();
        });
        if (ok) {
          await img.decode().catch(() => {});
          await new Promise(r => requestAnimationFrame(r));
          out.push(performance.now() - t0);
        }
        await new Promise(r => setTimeout(r, 250));
      }
      return out;
    }"""
    everything = []
    print("\nbrowser (Chromium): slider input -> new frame painted, ms")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path="/usr/bin/chromium", args=args)
        page = b.new_page(base_url=url, viewport={"width": 1280, "height": 900})
        page.goto("/register")
        page.fill("#full_name", "Bench")
        page.fill("#email", f"bench{time.time_ns()}@example.com")
        page.fill("#password", "a good password")
        page.fill("#confirm", "a good password")
        page.click("button[type=submit]")
        page.wait_for_url("**/toonify")
        t0 = time.perf_counter()
        page.set_input_files("#file", str(photo))
        page.wait_for_function("Number(document.getElementById('after').dataset.seq || 0) > 0", timeout=30000)
        print(
            f"first preview in the page (file chosen -> first frame shown): {(time.perf_counter() - t0) * 1000:.0f} ms"
        )
        for style in effects.STYLES:
            page.click(f"label.style-pick:has(input[value={style}])")
            page.wait_for_selector(f"#controls[data-style={style}]")
            page.wait_for_timeout(800)
            lat = []
            for param in effects.params(style):
                if param.type in ("int", "float"):
                    lat += page.evaluate(measure, [f"p-{param.name}", moves])
            everything += lat
            print(f"{style:<14} p50 {median(lat):6.1f}   p95 {pct(lat, 95):6.1f}   ({len(lat)} moves)")
        b.close()
    print(f"{'all':<14} p50 {median(everything):6.1f}   p95 {pct(everything, 95):6.1f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=24, help="values per control drag (up and back)")
    ap.add_argument("--interval", type=float, default=30.0, help="ms between requests")
    ap.add_argument("--drops", type=int, default=3, help="first-preview drops per style")
    ap.add_argument("--skip-load", action="store_true")
    ap.add_argument("--skip-alone", action="store_true")
    ap.add_argument("--sessions", action="store_true", help="also run 500 idle + 20 active sessions")
    ap.add_argument("--browser", action="store_true", help="also measure slider-to-screen in Chromium")
    ap.add_argument("--look-ahead", action="store_true", help="preview workers look ahead along drags")
    args = ap.parse_args()
    print(machine())
    photo = big_photos()[0]
    data = photo.read_bytes()
    print(f"photo: {photo} ({len(data) / 1e6:.1f} MB)")
    with tempfile.TemporaryDirectory() as tmp:
        extra = {"TOONIFY_PREVIEW_LOOK_AHEAD": "1"} if args.look_ahead else {}
        srv = make_server("sqlite", pathlib.Path(tmp), **extra)
        srv.start()
        try:
            with httpx.Client(base_url=srv.url) as c:
                user = new_user(c)
                token = user["tokens"]["access_token"]
            firsts, readies = [], []
            print(f"\nfirst preview after dropping {photo.name} (goal <= {GOAL_FIRST:.0f} ms)")
            for style in effects.STYLES:
                got = [asyncio.run(first_preview(srv.ws_url, token, data, style)) for _ in range(args.drops)]
                readies += [r for r, _ in got]
                firsts += [f for _, f in got]
                print(
                    f"{style:<14} ready {median([r for r, _ in got]):6.1f}   frame {median([f for _, f in got]):6.1f}"
                )
            print(
                f"{'all':<14} ready {median(readies):6.1f}   frame p50 {median(firsts):.1f} p95 {pct(firsts, 95):.1f}"
                f"   (first frame of any kind p50 {median(FIRST_ANY):.1f} p95 {pct(FIRST_ANY, 95):.1f})"
            )
            if not args.skip_alone:
                per_style = {
                    s: asyncio.run(sweep(srv.ws_url, token, data, s, args.steps, args.interval)) for s in effects.STYLES
                }
                report_sweep(f"every control, one request every {args.interval:.0f} ms", per_style, GOAL_ALONE_P95)
            if not args.skip_load:
                stop = threading.Event()
                loader = threading.Thread(target=keep_jobs_busy, args=(srv.url, big_photos()[-1], stop), daemon=True)
                loader.start()
                time.sleep(2)
                per_style = {
                    s: asyncio.run(sweep(srv.ws_url, token, data, s, args.steps, args.interval)) for s in effects.STYLES
                }
                stop.set()
                loader.join(60)
                report_sweep("the same while 12 MP jobs keep the job workers busy", per_style, GOAL_LOADED_P95)
            if args.sessions:
                asyncio.run(sessions(srv.ws_url, token, srv.proc.pid, data))
            if args.browser:
                browser(srv.url, photo)
        except BaseException:
            print(srv.log_tail()[-2500:])
            raise
        finally:
            srv.stop()


if __name__ == "__main__":
    main()
