"""Jobs per second through the HTTP API: upload a 12 MP photo, wait for DONE.

    python bench/jobs_http.py [--jobs 12] [--workers 1 2]

Starts a real server (SQLite, a temporary data folder) for each pool size, uploads the
12 MP photos round-robin with up to 8 uploads in flight, and prints throughput and
upload-to-DONE latency.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import pathlib
import statistics
import sys
import tempfile
import time

import httpx

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.conftest import make_server, new_user, upload, wait_done  # noqa: E402

PHOTOS = [ROOT.parent / "shared" / "images" / "photos" / n for n in ("book-beside-flowers.jpg", "japanese-shop.jpg")]
STYLES = ["cartoon", "sketch", "color_pencil", "oil_painting", "watercolor", "pop_art"]


def run(workers: int, jobs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        srv = make_server("sqlite", pathlib.Path(tmp), TOONIFY_POOL_SIZE=str(workers))
        srv.start()
        try:
            with httpx.Client(base_url=srv.url, timeout=120) as c:
                user = new_user(c)

                def one(i: int) -> float:
                    t = time.perf_counter()
                    with httpx.Client(base_url=srv.url, timeout=120) as ci:
                        job = upload(ci, user["headers"], PHOTOS[i % 2], style=STYLES[i % 6]).json()
                        assert wait_done(ci, user["headers"], job["uuid"], 300)["status"] == "DONE"
                    return time.perf_counter() - t

                one(0)  # warm-up
                t0 = time.perf_counter()
                with cf.ThreadPoolExecutor(8) as ex:
                    latencies = list(ex.map(one, range(jobs)))
                wall = time.perf_counter() - t0
        finally:
            srv.stop()
    lat = sorted(latencies)
    print(
        f"workers={workers}: {jobs} jobs in {wall:.1f} s = {jobs / wall:.2f} jobs/s; "
        f"upload-to-DONE median {statistics.median(lat):.2f} s, max {lat[-1]:.2f} s"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--jobs", type=int, default=12)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = ap.parse_args()
    for w in args.workers:
        run(w, args.jobs)


if __name__ == "__main__":
    main()
