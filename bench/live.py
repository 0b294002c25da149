"""Slider-to-frame latency over /ws/preview, alone, under batch load, and with many sessions.

    python bench/live.py [--renders 120] [--skip-load] [--skip-sessions]

1. Per style: one request every 30 ms (a person dragging), 1024 px preview of a 12 MP photo;
   latency = request sent -> final frame for that seq received. Superseded requests get no
   frame (latest wins) and are counted as skipped.
2. The same while another process keeps the jobs lane busy with 12 MP uploads.
3. 500 idle sessions + 20 active ones: server memory (RSS of the server and of its workers)
   and the active sessions' latency.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import pathlib
import statistics
import sys
import tempfile
import threading
import time

import httpx
import websockets

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from app.live.frames import unpack  # noqa: E402
from tests.conftest import make_server, new_user, upload  # noqa: E402

PHOTOS = ROOT.parent / "shared" / "images" / "photos"
STYLES = ["cartoon", "sketch", "color_pencil", "oil_painting", "watercolor", "pop_art"]
SLIDER = {
    "cartoon": ("line_width", 0.5, 5),
    "sketch": ("pencil_size", 2, 20),
    "color_pencil": ("coverage", 0.2, 1),
    "oil_painting": ("brush_size", 3, 12),
    "watercolor": ("bleed", 1, 12),
    "pop_art": ("dot_size", 3, 20),
}


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] if values else float("nan")


async def drag(url: str, token: str, style: str, renders: int, photo: str = "book-beside-flowers.jpg"):
    """Returns (latencies in ms of the frames received, count of requests sent)."""
    async with websockets.connect(f"{url}/ws/preview?token={token}", max_size=None, ping_timeout=None) as ws:
        await ws.send((PHOTOS / photo).read_bytes())
        json.loads(await ws.recv())
        sent: dict[int, float] = {}
        latencies: list[float] = []
        coarse = [0]
        done = asyncio.Event()

        async def reader():
            while True:
                msg = await ws.recv()
                if isinstance(msg, bytes):
                    header, _ = unpack(msg)
                    if header["final"]:
                        coarse[0] += header.get("coarse", False)
                        latencies.append((time.perf_counter() - sent[header["seq"]]) * 1000)
                        if header["seq"] == renders:
                            done.set()
                            return

        task = asyncio.create_task(reader())
        name, lo, hi = SLIDER[style]
        for seq in range(1, renders + 1):
            value = lo + (hi - lo) * (seq % 40) / 40
            sent[seq] = time.perf_counter()
            await ws.send(json.dumps({"type": "render", "seq": seq, "style": style, "params": {name: round(value, 2)}}))
            await asyncio.sleep(0.03)
        await asyncio.wait_for(done.wait(), 60)
        task.cancel()
        return latencies, renders, coarse[0]


def report(label: str, latencies: list[float], sent: int, coarse: int = 0) -> None:
    print(
        f"{label:<26} median {statistics.median(latencies):6.1f} ms   p95 {pct(latencies, 95):6.1f} ms   "
        f"frames {len(latencies)}/{sent} ({coarse} coarse)"
    )


def keep_jobs_busy(url: str, stop: threading.Event) -> None:
    with httpx.Client(base_url=url, timeout=120) as c:
        user = new_user(c)
        photo = PHOTOS / "japanese-shop.jpg"
        while not stop.is_set():
            jobs = [upload(c, user["headers"], photo, style=s).json()["uuid"] for s in STYLES[:3]]
            for j in jobs:
                while not stop.is_set() and c.get(f"/images/{j}", headers=user["headers"]).json()["status"] not in (
                    "DONE",
                    "FAILED",
                ):
                    time.sleep(0.1)


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


async def sessions(url: str, token: str, pid: int) -> None:
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
        f"500 idle sessions: server process {base:.0f} -> {with_idle:.0f} MB "
        f"({(with_idle - base) * 1024 / 500:.0f} KB per idle session); server + workers {rss_mb(pid):.0f} MB"
    )
    results = await asyncio.gather(*[drag(url, token, STYLES[i % 6], 60, "prairie_falcon.jpg") for i in range(20)])
    lat = [x for r in results for x in r[0]]
    report("20 active + 500 idle", lat, sum(r[1] for r in results), sum(r[2] for r in results))
    print(f"after: server process {own_rss_mb(pid):.0f} MB, server + workers {rss_mb(pid):.0f} MB (was {base_all:.0f})")
    for ws in idle:
        await ws.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--renders", type=int, default=120)
    ap.add_argument("--skip-load", action="store_true")
    ap.add_argument("--skip-sessions", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        srv = make_server("sqlite", pathlib.Path(tmp))
        srv.start()
        try:
            with httpx.Client(base_url=srv.url) as c:
                token = new_user(c)["tokens"]["access_token"]
            print(f"{args.renders} renders per style, one every 30 ms, 1024 px preview of a 12 MP photo")
            for style in STYLES:
                report(style, *asyncio.run(drag(srv.ws_url, token, style, args.renders)))
            if not args.skip_load:
                stop = threading.Event()
                loader = threading.Thread(target=keep_jobs_busy, args=(srv.url, stop), daemon=True)
                loader.start()
                time.sleep(2)
                print("while 12 MP jobs keep the jobs lane busy:")
                for style in STYLES:
                    report(style + " (loaded)", *asyncio.run(drag(srv.ws_url, token, style, args.renders)))
                stop.set()
                loader.join(60)
            if not args.skip_sessions:
                asyncio.run(sessions(srv.ws_url, token, srv.proc.pid))
        except BaseException:
            print(srv.log_tail()[-2500:])
            raise
        finally:
            srv.stop()


if __name__ == "__main__":
    main()
