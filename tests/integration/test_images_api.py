"""Image jobs through the running server (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import signal
import struct
import time

import cv2
import numpy as np
import pytest

import effects
from effects import io
from tests.conftest import drop_database, make_server, new_user, upload, wait_done
from tests.imaging import photo


@pytest.mark.parametrize("style", effects.STYLES)
def test_transform_each_style_to_done_and_download(client, user, style):
    src = photo("portrait-orientation-6.jpg")
    r = upload(client, user["headers"], src, style=style.upper())
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["status"] == "QUEUED" and job["style"] == style
    done = wait_done(client, user["headers"], job["uuid"])
    assert done["status"] == "DONE", done
    assert done["render_ms"] > 0 and done["processed_at"]
    out = client.get(f"/images/{job['uuid']}/processed", headers=user["headers"])
    assert out.status_code == 200 and out.headers["content-type"] == "image/jpeg"
    img = io.decode(out.content)
    upright = io.read_image(src)
    assert img.shape == upright.shape  # upright, full size
    assert (done["output_width"], done["output_height"]) == (img.shape[1], img.shape[0])
    orig = client.get(f"/images/{job['uuid']}/original", headers=user["headers"])
    assert orig.content == src.read_bytes()
    thumb = client.get(f"/images/{job['uuid']}/thumbnail", headers=user["headers"])
    assert thumb.status_code == 200 and max(io.decode(thumb.content).shape[:2]) <= 360


def test_png_and_webp_keep_their_format(client, user):
    for name, mime in [("density_plot.png", "image/png"), ("denali.webp", "image/webp")]:
        job = upload(client, user["headers"], photo(name), style="pop_art", params={"grid": True}).json()
        assert wait_done(client, user["headers"], job["uuid"])["status"] == "DONE"
        r = client.get(f"/images/{job['uuid']}/processed", headers=user["headers"])
        assert r.headers["content-type"] == mime
        assert io.decode(r.content).shape == io.read_image(photo(name)).shape


def test_params_are_applied_and_stored(client, user):
    job = upload(client, user["headers"], photo("prairie_falcon.jpg"), params={"colors": 3, "line_width": 0}).json()
    assert job["params"]["colors"] == 3
    wait_done(client, user["headers"], job["uuid"])
    img = io.decode(client.get(f"/images/{job['uuid']}/processed?size=hd", headers=user["headers"]).content)
    # JPEG blurs borders, but a 3-colour cartoon keeps most pixels near 3 colours
    assert len(np.unique((img // 32).reshape(-1, 3), axis=0)) < 40


def test_list_is_paginated_newest_first(client):
    u = new_user(client)
    uuids = [upload(client, u["headers"], photo("denali.webp"), style="sketch").json()["uuid"] for _ in range(3)]
    page1 = client.get("/images?per_page=2&page=1", headers=u["headers"]).json()
    page2 = client.get("/images?per_page=2&page=2", headers=u["headers"]).json()
    assert page1["total"] == 3 and page1["pages"] == 2
    assert [j["uuid"] for j in page1["items"] + page2["items"]] == uuids[::-1]
    assert client.get("/images?per_page=1000", headers=u["headers"]).status_code == 400


def test_delete_removes_row_and_files(server, client, user):
    job = upload(client, user["headers"], photo("denali.webp"), style="watercolor").json()
    wait_done(client, user["headers"], job["uuid"])
    files = [p for p in server.data_dir.rglob("*") if job["uuid"] in p.name]
    assert len(files) >= 4  # original, result, SD copy, thumbnails
    assert client.delete(f"/images/{job['uuid']}", headers=user["headers"]).status_code == 204
    assert client.get(f"/images/{job['uuid']}", headers=user["headers"]).status_code == 404
    assert not [p for p in server.data_dir.rglob("*") if job["uuid"] in p.name]


def test_users_cannot_see_or_touch_each_others_jobs(client):
    a, b = new_user(client), new_user(client)
    job = upload(client, a["headers"], photo("denali.webp")).json()
    wait_done(client, a["headers"], job["uuid"])
    missing = client.get("/images/00000000-0000-0000-0000-000000000000", headers=b["headers"])
    for path in ("", "/original", "/processed", "/thumbnail"):
        r = client.get(f"/images/{job['uuid']}{path}", headers=b["headers"])
        assert r.status_code == 404 and r.json() == {**missing.json(), "request_id": r.json()["request_id"]}
    assert client.delete(f"/images/{job['uuid']}", headers=b["headers"]).status_code == 404
    assert client.get("/images", headers=b["headers"]).json()["total"] == 0
    assert client.get(f"/images/{job['uuid']}", headers=a["headers"]).status_code == 200
    assert client.get("/images/not-a-uuid", headers=a["headers"]).status_code == 404


def _job_count(client, headers) -> int:
    return client.get("/images", headers=headers).json()["total"]


def test_bad_uploads_get_clear_4xx_and_leave_nothing(server, client, user):
    h = user["headers"]
    before = {p.name for p in server.data_dir.rglob("*")}
    jpeg = photo("prairie_falcon.jpg").read_bytes()
    cases = [
        (client.post("/images/transform", headers=h, data={"style": "cartoon"}), 400, "file"),
        (upload(client, h, None, content=b"GIF89a" + bytes(500), filename="x.jpg"), 415, "JPEG, PNG or WebP"),
        (upload(client, h, None, content=jpeg, filename="x.gif"), 415, "GIF"),
        (upload(client, h, None, content=jpeg[: len(jpeg) // 2], filename="cut.jpg"), 422, "truncated"),
        (upload(client, h, None, content=b"", filename="empty.jpg"), 422, "empty"),
        (upload(client, h, None, content=jpeg, style="cubism"), 422, "cubism"),
        (upload(client, h, None, content=jpeg, params="{not json"), 422, "JSON object"),
        (upload(client, h, None, content=jpeg, params={"colors": 99}), 422, "colors"),
        (upload(client, h, None, content=jpeg, params={"bogus": 1}), 422, "bogus"),
    ]
    for r, status, words in cases:
        assert r.status_code == status, (r.status_code, r.text)
        body = r.json()
        assert body["status"] == status and body["code"] and words in body["message"]
    assert _job_count(client, h) == 0
    after = {p.name for p in server.data_dir.rglob("*")} - {"server.log"}
    assert after - before <= {"server.log"}


def test_corrupt_but_complete_jpeg_is_refused(client, user):
    data = bytearray(photo("prairie_falcon.jpg").read_bytes())
    sos = bytes(data).rfind(b"\xff\xda")
    data[sos + 20 : sos + 4000] = bytes(3980)  # wreck the entropy-coded data, keep the end marker
    data[sos + 2 : sos + 4] = b"\x00\x01"  # and the scan header length
    r = upload(client, user["headers"], None, content=bytes(data), filename="bad.jpg")
    assert r.status_code == 422, r.text
    assert _job_count(client, user["headers"]) == 0


def test_huge_claimed_dimensions_are_refused_from_the_header(server, client, user):
    png = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + struct.pack(">II", 50000, 50000) + bytes(300)
    r = upload(client, user["headers"], None, content=png, filename="bomb.png")
    assert r.status_code == 413 and r.json()["code"] == "image_too_large" and "megapixels" in r.json()["message"]
    assert not list((server.data_dir / "uploads").iterdir()) or all(
        p.stat().st_size != len(png) for p in (server.data_dir / "uploads").iterdir()
    ), "refused before anything was stored or handed to a decoder"


def test_oversized_upload_is_413(client, user):
    big = b"\xff\xd8\xff" + bytes(11 * 1024 * 1024)
    r = upload(client, user["headers"], None, content=big, filename="big.jpg")
    assert r.status_code == 413 and r.json()["code"] == "file_too_large"


def test_client_filenames_never_reach_the_disk(server, client, user):
    r = upload(client, user["headers"], photo("denali.webp"), filename="../../../etc/evil<>.webp")
    assert r.status_code == 202
    assert r.json()["original_filename"] == "evil.webp"
    assert not any("evil" in p.name for p in server.data_dir.rglob("*"))


def test_result_is_409_until_done(client, user):
    job = upload(client, user["headers"], photo("book-beside-flowers.jpg"), style="oil_painting").json()
    r = client.get(f"/images/{job['uuid']}/processed", headers=user["headers"])
    assert r.status_code == 409 and r.json()["code"] == "not_ready"
    assert wait_done(client, user["headers"], job["uuid"])["status"] == "DONE"


def test_large_photos_are_scaled_to_the_max_dimension(client, user):
    # a 4800 px photo made from a committed one (the 12 MP originals stay outside the repository)
    shop = io.read_image(photo("japanese-shop.jpg"))
    big = cv2.resize(shop, (4800, round(4800 * shop.shape[0] / shop.shape[1])), interpolation=cv2.INTER_LINEAR)
    content = cv2.imencode(".jpg", big, [cv2.IMWRITE_JPEG_QUALITY, 80])[1].tobytes()
    job = upload(client, user["headers"], None, style="sketch", filename="big.jpg", content=content).json()
    done = wait_done(client, user["headers"], job["uuid"])
    assert max(done["output_width"], done["output_height"]) == 4096


def test_a_crashed_worker_fails_the_job_and_the_pool_recovers(server, client, user):
    job = upload(client, user["headers"], photo("book-beside-flowers.jpg"), style="color_pencil").json()
    deadline = time.monotonic() + 20
    while client.get(f"/images/{job['uuid']}", headers=user["headers"]).json()["status"] == "QUEUED":
        assert time.monotonic() < deadline
        time.sleep(0.01)
    for pid in server.worker_pids("jobs"):
        os.kill(pid, signal.SIGKILL)
    failed = wait_done(client, user["headers"], job["uuid"])
    if failed["status"] == "DONE":
        pytest.fail("the job finished before the kill landed; the test could not crash it")
    assert failed["status"] == "FAILED" and "stopped unexpectedly" in failed["error_message"]
    again = upload(client, user["headers"], photo("denali.webp")).json()
    assert wait_done(client, user["headers"], again["uuid"])["status"] == "DONE"


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_unfinished_jobs_are_resumed_after_a_restart(backend, tmp_path):
    import httpx

    srv = make_server(backend, tmp_path, TOONIFY_POOL_SIZE="1")
    srv.start()
    try:
        with httpx.Client(base_url=srv.url, timeout=30) as c:
            u = new_user(c)
            jobs = [upload(c, u["headers"], photo("book-beside-flowers.jpg"), style="cartoon").json() for _ in range(4)]
        srv.stop(kill=True)  # no graceful shutdown: jobs are left QUEUED / PROCESSING
        srv.start()
        with httpx.Client(base_url=srv.url, timeout=30) as c:
            for job in jobs:
                assert wait_done(c, u["headers"], job["uuid"])["status"] == "DONE"
    finally:
        srv.stop()
        drop_database(srv)


def test_cookie_auth_refuses_cross_site_writes(client, user):
    job = upload(client, user["headers"], photo("denali.webp")).json()
    cookie = {"Cookie": f"toonify_access={user['tokens']['access_token']}"}
    r = client.delete(f"/images/{job['uuid']}", headers={**cookie, "Origin": "https://evil.example"})
    assert r.status_code == 403 and "Cross-site" in r.json()["message"]
    assert client.get(f"/images/{job['uuid']}", headers=cookie).status_code == 200  # reads are fine
    assert (
        client.delete(
            f"/images/{job['uuid']}", headers={**cookie, "Origin": client.base_url.__str__().rstrip("/")}
        ).status_code
        == 204
    )


def test_a_job_is_processing_only_while_a_worker_has_it(tmp_path):
    """With one job worker the other jobs wait as QUEUED (they used to show PROCESSING at once).

    A finished job's DONE is written a moment after its worker takes the next job, so at most
    two can read PROCESSING: the running one and one whose result is being recorded.
    """
    import httpx

    srv = make_server("sqlite", tmp_path, TOONIFY_POOL_SIZE="1")
    srv.start()
    try:
        with httpx.Client(base_url=srv.url, timeout=30) as c:
            u = new_user(c)
            jobs = [
                upload(c, u["headers"], photo("book-beside-flowers.jpg"), style="oil_painting").json() for _ in range(3)
            ]
            seen_queued = False
            while True:
                statuses = [j["status"] for j in c.get("/images", headers=u["headers"]).json()["items"]]
                assert statuses.count("PROCESSING") <= 2, statuses
                seen_queued |= "QUEUED" in statuses and "PROCESSING" in statuses
                if all(s in ("DONE", "FAILED") for s in statuses):
                    break
            assert seen_queued, "while one job ran, the others were shown as waiting"
            assert all(wait_done(c, u["headers"], j["uuid"])["status"] == "DONE" for j in jobs)
    finally:
        srv.stop()
