"""Jobs per second and upload-to-DONE latency: embedded vs a cluster with 1 and 2 workers.

    python bench/cluster.py [--jobs 12]

Embedded: one `toonify serve` on PostgreSQL with a pool of 1 job worker. Cluster: SeaweedFS,
one web node and 1 then 2 `toonify worker --concurrency 1` processes, on the local PostgreSQL
and Redis (throwaway database, own key prefix). Uploads the 12 MP photos round-robin with up
to 8 in flight. Prints numbers and the machine; no pass or fail.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import os
import pathlib
import platform
import statistics
import sys
import tempfile
import time
import uuid

import httpx

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import effects  # noqa: E402
from tests.cluster.conftest import BUCKET_KEYS, REDIS_URL, Weed, Worker, _forget_redis  # noqa: E402
from tests.conftest import Server, drop_database, make_server, new_user, upload, wait_done  # noqa: E402

SHARED = ROOT.parent / "shared" / "images" / "photos"
NAMES = ("book-beside-flowers.jpg", "japanese-shop.jpg")
PHOTOS = [SHARED / n if (SHARED / n).exists() else ROOT / "tests" / "photos" / n for n in NAMES]
STYLES = list(effects.STYLES)


def cpu_model() -> str:
    for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def measure(url: str, jobs: int) -> tuple[float, list[float]]:
    with httpx.Client(base_url=url, timeout=120) as c:
        user = new_user(c)

    def one(i: int) -> float:
        t = time.perf_counter()
        with httpx.Client(base_url=url, timeout=120) as ci:
            job = upload(ci, user["headers"], PHOTOS[i % 2], style=STYLES[i % 6]).json()
            assert wait_done(ci, user["headers"], job["uuid"], 600)["status"] == "DONE"
        return time.perf_counter() - t

    one(0)  # warm-up
    t0 = time.perf_counter()
    with cf.ThreadPoolExecutor(8) as ex:
        latencies = list(ex.map(one, range(jobs)))
    return time.perf_counter() - t0, sorted(latencies)


def report(name: str, jobs: int, wall: float, lat: list[float]) -> None:
    print(
        f"{name:<22} {jobs} jobs in {wall:6.1f} s = {jobs / wall:5.2f} jobs/s; "
        f"upload-to-DONE median {statistics.median(lat):6.2f} s, p90 {lat[int(0.9 * (len(lat) - 1))]:6.2f} s, "
        f"max {lat[-1]:6.2f} s",
        flush=True,
    )


def embedded(tmp: pathlib.Path, jobs: int) -> None:
    srv = make_server("postgres", tmp / "embedded", TOONIFY_POOL_SIZE="1", TOONIFY_PREVIEW_WORKERS="1")
    srv.start()
    try:
        report("embedded, pool 1", jobs, *measure(srv.url, jobs))
    finally:
        srv.stop()
        drop_database(srv)


def clustered(tmp: pathlib.Path, jobs: int, counts: list[int]) -> None:
    weed = Weed(tmp / "weed").start()
    prefix = f"toonify-bench-{uuid.uuid4().hex[:8]}"
    first = make_server("postgres", tmp / "node")
    env = {
        **first.env,
        **BUCKET_KEYS,
        "AWS_ENDPOINT_URL": weed.endpoint,
        "AWS_REGION": "us-east-1",
        "TOONIFY_REDIS_URL": REDIS_URL,
        "TOONIFY_REDIS_PREFIX": prefix,
        "TOONIFY_JWT_SECRET": uuid.uuid4().hex * 2,
        "TOONIFY_STORAGE_URL": f"s3://{prefix}",
        "TOONIFY_PREVIEW_WORKERS": "1",
    }
    node = Server("postgres", first.data_dir, env)
    workers: list[Worker] = []
    try:
        node.start()
        for n in counts:
            while len(workers) < n:
                w = Worker({**env, "TOONIFY_DATA_DIR": str(tmp / f"w{len(workers)}")}, tmp / f"w{len(workers)}.log")
                workers.append(w.start())
            report(f"cluster, {n} worker{'s' if n > 1 else ''}", jobs, *measure(node.url, jobs))
    finally:
        for w in workers:
            w.stop()
        node.stop()
        drop_database(node)
        _forget_redis(prefix)
        weed.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--jobs", type=int, default=12)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = ap.parse_args()
    print(f"CPU: {cpu_model()}, {os.cpu_count()} cores; photos: {', '.join(p.name for p in PHOTOS)}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        embedded(pathlib.Path(tmp), args.jobs)
        clustered(pathlib.Path(tmp), args.jobs, args.workers)


if __name__ == "__main__":
    main()
