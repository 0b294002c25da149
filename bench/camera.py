"""Live camera over /ws/preview: sustained fps and frame latency per style (no pass/fail).

    python bench/camera.py [--seconds 6] [--styles cartoon,sketch]

One client per style sends 640 x 480 JPEG camera frames (a photo with a little moving noise,
as a webcam gives) as fast as frames come back: one frame in flight, the next sent when the
previous one's styled frame arrives. fps = frames received per second; latency = frame sent ->
styled frame received (p50/p95), which includes JPEG encode on the client side of the socket,
the server's decode, the style, its encode and the transfer. A second run keeps two frames in
flight, as the studio does, and counts frames the server dropped (latest wins).
Goal on the 2-core reference machine: >= 15 fps per style, p95 <= 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import pathlib
import platform
import statistics
import struct
import sys
import tempfile
import time

import cv2
import httpx
import numpy as np
import websockets

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import effects  # noqa: E402
from app.live.frames import unpack  # noqa: E402
from tests.conftest import make_server, new_user  # noqa: E402

PHOTO = ROOT / "tests" / "photos" / "prairie_falcon.jpg"


def cpu() -> str:
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def frames(n: int = 30) -> list[bytes]:
    """n 640 x 480 camera-like JPEG frames: the photo cropped to 4:3 with fresh sensor noise."""
    image = cv2.imread(str(PHOTO))
    h, w = image.shape[:2]
    cw = min(w, h * 4 // 3)
    image = cv2.resize(image[:, (w - cw) // 2 : (w - cw) // 2 + cw], (640, 480), interpolation=cv2.INTER_AREA)
    rng = np.random.default_rng(1)
    out = []
    for _ in range(n):
        noisy = np.clip(image + rng.normal(0, 2.0, image.shape), 0, 255).astype(np.uint8)
        out.append(cv2.imencode(".jpg", noisy, [cv2.IMWRITE_JPEG_QUALITY, 80])[1].tobytes())
    return out


def message(seq: int, style: str, image: bytes) -> bytes:
    head = json.dumps({"type": "camera", "seq": seq, "style": style, "params": {}}).encode()
    return struct.pack(">I", len(head)) + head + image


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))] if values else float("nan")


async def run(url: str, token: str, style: str, seconds: float, in_flight: int, images: list[bytes]) -> dict:
    async with websockets.connect(f"{url}/ws/preview?token={token}", max_size=None, ping_timeout=None) as ws:
        sent: dict[int, float] = {}
        latencies, server_ms, seq, received = [], [], 0, 0

        async def send_one():
            nonlocal seq
            seq += 1
            sent[seq] = time.perf_counter()
            await ws.send(message(seq, style, images[seq % len(images)]))

        # warm-up: the worker's first frame of a style builds its textures
        await send_one()
        while True:
            m = await ws.recv()
            if isinstance(m, bytes):
                break
        t0 = time.perf_counter()
        last_answered = seq
        for _ in range(in_flight):
            await send_one()
        while time.perf_counter() - t0 < seconds:
            m = await ws.recv()
            if not isinstance(m, bytes):
                raise RuntimeError(m)
            header, _ = unpack(m)
            now = time.perf_counter()
            latencies.append((now - sent[header["seq"]]) * 1000)
            server_ms.append(header["render_ms"])
            received += 1
            last_answered = header["seq"]
            while seq - last_answered < in_flight:  # frames before the answered one were dropped
                await send_one()
        elapsed = time.perf_counter() - t0
        return {
            "fps": received / elapsed,
            "p50": pct(latencies, 50),
            "p95": pct(latencies, 95),
            "render": statistics.median(server_ms),
            "sent": seq - 1,
            "received": received,
        }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=6.0)
    ap.add_argument("--styles", default=",".join(effects.STYLES))
    ap.add_argument("--url", help="a running server (default: start one)")
    args = ap.parse_args()
    styles = args.styles.split(",")
    print(f"CPU: {cpu()}; cores: {os.cpu_count()}; load average: {os.getloadavg()[0]:.2f}")
    print("640 x 480 camera frames, JPEG q80 in, q75 out; 2 preview workers")
    images = frames()
    with tempfile.TemporaryDirectory() as tmp:
        srv = None
        url = args.url
        if not url:
            srv = make_server("sqlite", pathlib.Path(tmp))
            srv.start()
            url = srv.url
        try:
            with httpx.Client(base_url=url, timeout=60) as c:
                token = new_user(c)["tokens"]["access_token"]
            ws_url = url.replace("http", "ws", 1)
            for in_flight in (1, 2):
                print(f"\n{in_flight} frame(s) in flight:")
                print(f"{'style':<14}{'fps':>7}{'p50 ms':>9}{'p95 ms':>9}{'render ms':>11}{'dropped':>9}")
                for style in styles:
                    r = asyncio.run(run(ws_url, token, style, args.seconds, in_flight, images))
                    dropped = r["sent"] - r["received"] - in_flight
                    print(
                        f"{style:<14}{r['fps']:>7.1f}{r['p50']:>9.0f}{r['p95']:>9.0f}{r['render']:>11.0f}"
                        f"{max(0, dropped):>9}",
                        flush=True,
                    )
        finally:
            if srv:
                srv.stop()


if __name__ == "__main__":
    main()
