"""Faults of the machine, really injected: a full disk and a read-only one (a 3 MB tmpfs), the
database connections killed from PostgreSQL's side. The service answers 507/503 in words,
never loses or half-writes a job, and serves again by itself once the fault is gone."""

from __future__ import annotations

import contextlib
import pathlib
import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import _pg_admin, drop_database, make_server, new_user, upload, wait_done
from tests.imaging import photo


@contextlib.contextmanager
def tmpfs(path: pathlib.Path, size: str = "3m") -> Iterator[pathlib.Path]:
    """A small RAM disk of our own (the tests run as root, as CI does)."""
    path.mkdir(parents=True, exist_ok=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True)
    assert r.returncode == 0, f"these fault tests mount a tmpfs and need root: {r.stderr.decode()}"
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def remount(path: pathlib.Path, mode: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{mode}", str(path)], check=True)


def fill(disk: pathlib.Path, leave: int) -> pathlib.Path:
    """Fill `disk` up to `leave` free bytes with one file (deleted to free the space again)."""
    import os

    filler = disk / "filler"
    st = os.statvfs(disk)
    free = st.f_bavail * st.f_frsize
    filler.write_bytes(bytes(max(0, free - leave)))
    return filler


def files_in(folder: pathlib.Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and p.name != "filler")


@pytest.fixture(params=["sqlite", "postgres"])
def disk_server(request, tmp_path):
    with tmpfs(tmp_path / "disk") as disk:
        srv = make_server(
            request.param,
            tmp_path,
            TOONIFY_UPLOAD_DIR=str(disk / "uploads"),
            TOONIFY_PROCESSED_DIR=str(disk / "processed"),
        ).start()
        try:
            yield srv, disk
        finally:
            srv.stop()
            drop_database(srv)


def test_a_full_disk_is_507_in_words_and_recovers(disk_server):
    srv, disk = disk_server
    with httpx.Client(base_url=srv.url, timeout=30) as c:
        u = new_user(c)
        filler = fill(disk, 20_000)
        before = files_in(disk)
        r = upload(c, u["headers"], photo("prairie_falcon.jpg"))
        assert r.status_code == 507 and r.json()["code"] == "insufficient_storage", r.text
        assert "out of storage space" in r.json()["message"]
        assert files_in(disk) == before, "nothing half-written"
        assert c.get("/images", headers=u["headers"]).json()["total"] == 0
        filler.unlink()
        r = upload(c, u["headers"], photo("prairie_falcon.jpg"))
        assert r.status_code == 202 and wait_done(c, u["headers"], r.json()["uuid"])["status"] == "DONE"


def test_a_job_that_cannot_write_its_result_says_the_server_is_out_of_space(disk_server):
    srv, disk = disk_server
    with httpx.Client(base_url=srv.url, timeout=30) as c:
        u = new_user(c)
        # room for the upload and its small thumbnail, not for a full-size PNG result
        fill(disk, 150_000)
        r = upload(c, u["headers"], photo("density_plot.png"), style="oil_painting")
        assert r.status_code == 202, r.text
        job = wait_done(c, u["headers"], r.json()["uuid"])
        assert job["status"] == "FAILED" and "out of storage space" in job["error_message"], job
        assert not list((disk / "processed").glob(f"{job['uuid']}.*")), "no half-written result"


def test_read_only_storage_is_503_and_a_delete_keeps_row_and_files_together(disk_server):
    srv, disk = disk_server
    with httpx.Client(base_url=srv.url, timeout=30) as c:
        u = new_user(c)
        job = upload(c, u["headers"], photo("prairie_falcon.jpg")).json()
        assert wait_done(c, u["headers"], job["uuid"])["status"] == "DONE"
        before = files_in(disk)
        remount(disk, "ro")
        try:
            r = upload(c, u["headers"], photo("tanners_ridge.jpg"))
            assert r.status_code == 503 and r.headers["Retry-After"], r.text
            r = c.delete(f"/images/{job['uuid']}", headers=u["headers"])
            assert r.status_code == 503 and "try again" in r.json()["message"], r.text
            assert c.get(f"/images/{job['uuid']}", headers=u["headers"]).status_code == 200
            assert files_in(disk) == before, "every file is still there, under its own name"
        finally:
            remount(disk, "rw")
        assert c.delete(f"/images/{job['uuid']}", headers=u["headers"]).status_code == 204
        assert not [f for f in files_in(disk) if job["uuid"] in f], "deleted row, deleted files"


def test_database_connections_killed_mid_traffic_give_503_or_200_and_recover(tmp_path):
    srv = make_server("postgres", tmp_path).start()
    db = srv.env["TOONIFY_DATABASE_URL"].rsplit("/", 1)[1]
    try:
        with httpx.Client(base_url=srv.url, timeout=30) as c:
            u = new_user(c)
            job = upload(c, u["headers"], photo("prairie_falcon.jpg")).json()
            assert wait_done(c, u["headers"], job["uuid"])["status"] == "DONE"
            statuses = []
            for _ in range(3):
                _pg_admin(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{db}'")
                for _attempt in range(5):
                    statuses.append(c.get("/images", headers=u["headers"]).status_code)
                r = upload(c, u["headers"], photo("tanners_ridge.jpg"))
                statuses.append(r.status_code)
                if r.status_code == 503:
                    assert r.headers["Retry-After"]
            assert set(statuses) <= {200, 202, 503}, statuses
            deadline = time.monotonic() + 30
            while c.get("/images", headers=u["headers"]).status_code != 200:
                assert time.monotonic() < deadline, "the service did not recover by itself"
            listed = c.get("/images?per_page=100", headers=u["headers"]).json()["items"]
            for item in listed:  # every listed job finishes: none was lost or half-made
                assert wait_done(c, u["headers"], item["uuid"])["status"] == "DONE"
    finally:
        srv.stop()
        drop_database(srv)


def test_a_node_whose_preview_workers_all_died_is_not_ready_until_new_ones_warmed_up(tmp_path):
    """/ready names the renderer while no preview worker is warm (a load balancer then sends no
    one's first preview there), and is ready again by itself once the pool has replaced them."""
    import os
    import signal

    srv = make_server("sqlite", tmp_path).start()  # start() waits for /ready
    try:
        with httpx.Client(base_url=srv.url, timeout=10) as client:
            assert client.get("/ready").json() == {"status": "ready", "failing": []}
            for pid in srv.worker_pids("preview"):
                os.kill(pid, signal.SIGKILL)
            answers = []
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                r = client.get("/ready")
                answers.append((r.status_code, r.json()))
                if r.status_code == 200 and any(code == 503 for code, _ in answers):
                    break
                time.sleep(0.02)
            assert (503, {"status": "unavailable", "failing": ["renderer"]}) in answers, answers[:5]
            assert answers[-1] == (200, {"status": "ready", "failing": []}), "ready again once warm"
            assert client.get("/health").json() == {"status": "ok"}, "alive throughout"
    finally:
        srv.stop()
