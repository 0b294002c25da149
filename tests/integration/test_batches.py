"""Batches through the running server (SQLite and PostgreSQL)."""

from __future__ import annotations

import io as _io
import json
import os
import signal
import time
import zipfile

import httpx

from effects import io
from tests.conftest import drop_database, make_server, new_user
from tests.imaging import photo

GOOD = ["denali.webp", "portrait.jpg", "prairie_falcon.jpg"]


def corrupt_jpeg() -> bytes:
    """A complete JPEG whose picture data is wrecked: its header passes, decoding fails."""
    data = bytearray(photo("prairie_falcon.jpg").read_bytes())
    sos = bytes(data).rfind(b"\xff\xda")
    data[sos + 20 : sos + 4000] = bytes(3980)
    data[sos + 2 : sos + 4] = b"\x00\x01"
    return bytes(data)


def files_of(*items) -> list:
    out = []
    for item in items:
        name, content = (item, photo(item).read_bytes()) if isinstance(item, str) else item
        out.append(("files", (name, content, "application/octet-stream")))
    return out


def post_batch(client, headers, files, **form) -> httpx.Response:
    if "params" in form and not isinstance(form["params"], str):
        form["params"] = json.dumps(form["params"])
    return client.post("/batches", headers=headers, files=files, data={"style": "cartoon", **form})


def wait_batch(client, headers, batch_uuid, timeout=120.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        batch = client.get(f"/batches/{batch_uuid}", headers=headers).json()
        if batch["status"] not in ("QUEUED", "PROCESSING"):
            return batch
        time.sleep(0.1)
    raise AssertionError(f"batch {batch_uuid} did not finish in {timeout}s: {batch}")


def test_a_batch_renders_every_photo_and_zips_them(client, user):
    h = user["headers"]
    r = post_batch(client, h, files_of(*GOOD), style="SKETCH", params={"pencil_size": 4})
    assert r.status_code == 202, r.text
    created = r.json()
    assert created["total"] == 3 and len(created["jobs"]) == 3 and created["status"] in ("QUEUED", "PROCESSING")
    assert created["style"] == "sketch" and created["params"]["pencil_size"] == 4

    batch = wait_batch(client, h, created["uuid"])
    assert batch["status"] == "DONE" and batch["counts"] == {"queued": 0, "processing": 0, "done": 3, "failed": 0}
    assert batch["progress"] == 1.0
    assert [j["uuid"] for j in batch["jobs"]] == created["jobs"]  # upload order
    assert [j["original_filename"] for j in batch["jobs"]] == GOOD
    for job in batch["jobs"]:
        assert job == client.get(f"/images/{job['uuid']}", headers=h).json()  # exactly as GET /images/{uuid}
        assert job["batch"] == created["uuid"] and job["params"]["pencil_size"] == 4

    z = client.get(f"/batches/{created['uuid']}/zip", headers=h)
    assert z.status_code == 200 and z.headers["content-type"] == "application/zip"
    assert "attachment" in z.headers["content-disposition"]
    archive = zipfile.ZipFile(_io.BytesIO(z.content))
    assert archive.testzip() is None
    names = archive.namelist()
    assert len(names) == 3 and len(set(names)) == 3
    for name, job in zip(names, batch["jobs"], strict=True):
        assert job["original_filename"].rsplit(".", 1)[0] in name
        img = io.decode(archive.read(name))
        assert (img.shape[1], img.shape[0]) == (job["output_width"], job["output_height"])


def test_a_corrupt_photo_fails_with_a_reason_and_the_rest_finish(server, client, user):
    h = user["headers"]
    items = ["denali.webp", ("broken.jpg", corrupt_jpeg()), ("notes.txt", b"not a picture at all"), "portrait.jpg"]
    created = post_batch(client, h, files_of(*items), preset="Comic book").json()
    assert created["preset"] == "Comic book" and len(created["jobs"]) == 4
    batch = wait_batch(client, h, created["uuid"])
    assert batch["status"] == "PARTIAL" and batch["counts"]["done"] == 2 and batch["counts"]["failed"] == 2
    good, broken, text, portrait = batch["jobs"]
    assert good["status"] == portrait["status"] == "DONE"
    assert broken["status"] == "FAILED" and "not accepted" in broken["error_message"]
    assert text["status"] == "FAILED" and "JPEG, PNG or WebP" in text["error_message"]

    names = zipfile.ZipFile(_io.BytesIO(client.get(f"/batches/{created['uuid']}/zip", headers=h).content)).namelist()
    assert len(names) == 2 and "denali" in names[0] and "portrait" in names[1]

    retry = f"/batches/{created['uuid']}/jobs/{{}}/retry"
    r = client.post(retry.format(good["uuid"]), headers=h)
    assert r.status_code == 409 and r.json()["code"] == "not_failed"
    r = client.post(retry.format(text["uuid"]), headers=h)
    assert (
        r.status_code == 409 and r.json()["code"] == "not_retryable" and "upload the photo again" in r.json()["message"]
    )
    r = client.post(retry.format(broken["uuid"]), headers=h)  # still the same broken bytes
    assert r.status_code == 422 and r.json()["code"] == "invalid_image"
    assert client.get(f"/images/{broken['uuid']}", headers=h).json()["status"] == "FAILED"
    # the stored photo is what was sent; once it is readable, a retry renders it
    stored = server.data_dir / "uploads" / f"{broken['uuid']}.jpg"
    assert stored.read_bytes() == corrupt_jpeg()
    stored.write_bytes(photo("tanners_ridge.jpg").read_bytes())
    r = client.post(retry.format(broken["uuid"]), headers=h)
    assert r.status_code == 202 and r.json()["status"] == "QUEUED" and r.json()["error_message"] is None
    batch = wait_batch(client, h, created["uuid"])
    assert batch["jobs"][1]["status"] == "DONE" and batch["counts"]["done"] == 3
    assert batch["status"] == "PARTIAL"  # the text file still failed


def test_limits_and_bad_requests(client, user):
    h = user["headers"]
    tiny = photo("denali.webp").read_bytes()
    r = post_batch(client, h, [("files", (f"p{i}.webp", tiny[:100], "image/webp")) for i in range(51)])
    assert r.status_code == 422 and r.json()["code"] == "too_many_photos" and "50" in r.json()["message"]
    r = client.post("/batches", headers=h, data={"style": "cartoon"})
    assert r.status_code == 400 and r.json()["code"] == "missing_files"
    r = post_batch(client, h, files_of("denali.webp"), preset="Comic book", params={"colors": 3})
    assert r.status_code == 422 and r.json()["code"] == "conflicting_fields"
    r = post_batch(client, h, files_of("denali.webp"), style="cubism")
    assert r.status_code == 422 and r.json()["code"] == "invalid_style"
    assert client.get("/images", headers=h).json()["total"] == 0  # nothing was created

    # a photo over the per-file limit fails alone, unread; the others go on
    big = ("huge.jpg", b"\xff\xd8\xff" + bytes(11 * 1024 * 1024))
    created = post_batch(client, h, files_of(big, "denali.webp")).json()
    batch = wait_batch(client, h, created["uuid"])
    huge, fine = batch["jobs"]
    assert huge["status"] == "FAILED" and "larger than the 10 MB limit" in huge["error_message"]
    assert fine["status"] == "DONE" and batch["status"] == "PARTIAL"
    r = client.post(f"/batches/{created['uuid']}/jobs/{huge['uuid']}/retry", headers=h)
    assert r.status_code == 409 and r.json()["code"] == "not_retryable"
    assert client.get(f"/images/{huge['uuid']}/original", headers=h).status_code == 404


def test_other_users_get_404(client, user):
    created = post_batch(client, user["headers"], files_of("denali.webp")).json()
    other = new_user(client)
    job = created["jobs"][0]
    for r in (
        client.get(f"/batches/{created['uuid']}", headers=other["headers"]),
        client.get(f"/batches/{created['uuid']}/zip", headers=other["headers"]),
        client.post(f"/batches/{created['uuid']}/jobs/{job}/retry", headers=other["headers"]),
        client.get("/batches/not-a-uuid", headers=user["headers"]),
    ):
        assert r.status_code == 404 and r.json()["code"] == "not_found"
    assert client.get(f"/batches/{created['uuid']}").status_code == 401
    wait_batch(client, user["headers"], created["uuid"])


def test_batches_in_flight_are_limited(server, client, user):
    h = user["headers"]
    workers = server.worker_pids("jobs")
    for pid in workers:  # hold the renderers still: every batch stays in flight
        os.kill(pid, signal.SIGSTOP)
    try:
        first = [post_batch(client, h, files_of("denali.webp")) for _ in range(3)]
        assert [r.status_code for r in first] == [202, 202, 202]
        r = post_batch(client, h, files_of("denali.webp"))
        assert r.status_code == 429 and r.json()["code"] == "too_many_batches" and "3" in r.json()["message"]
        zip_early = client.get(f"/batches/{first[0].json()['uuid']}/zip", headers=h)
        assert zip_early.status_code == 409 and zip_early.json()["code"] == "not_ready"
        assert post_batch(client, new_user(client)["headers"], files_of("denali.webp")).status_code == 202
    finally:
        for pid in workers:
            os.kill(pid, signal.SIGCONT)
    for r in first:
        assert wait_batch(client, h, r.json()["uuid"])["status"] == "DONE"
    assert post_batch(client, h, files_of("denali.webp")).status_code == 202


def test_total_size_limit(tmp_path):
    srv = make_server("sqlite", tmp_path, TOONIFY_BATCH_MAX_MB="1")
    srv.start()
    try:
        with httpx.Client(base_url=srv.url, timeout=60) as c:
            h = new_user(c)["headers"]
            r = post_batch(c, h, files_of("book-beside-flowers.jpg", "japanese-shop.jpg"))  # 1.03 MB
            assert r.status_code == 413 and r.json()["code"] == "batch_too_large" and "1 MB" in r.json()["message"]
            big = files_of(*["book-beside-flowers.jpg"] * 4)  # past the request limit: refused unread
            r = post_batch(c, h, big)
            assert r.status_code == 413 and "add up to 1 MB" in r.json()["message"]
            assert c.get("/images", headers=h).json()["total"] == 0
    finally:
        srv.stop()
        drop_database(srv)


def test_batch_pages(server, client, user):
    created = post_batch(client, user["headers"], files_of("denali.webp", "portrait.jpg")).json()
    wait_batch(client, user["headers"], created["uuid"])
    cookie = {"Cookie": f"toonify_access={user['tokens']['access_token']}"}
    page = client.get(f"/batch/{created['uuid']}", headers=cookie)
    assert page.status_code == 200
    gallery = client.get("/gallery", headers=cookie).text
    assert gallery.count(f'href="/batch/{created["uuid"]}"') == 1, "one heading groups the batch in the gallery"
    assert "Batch of 2 pictures" in gallery
    for job in created["jobs"]:
        assert f'data-job="{job}"' in page.text
    assert f"/batches/{created['uuid']}/zip" in page.text and "Download all" in page.text
    form = client.get("/batch", headers=cookie)
    assert form.status_code == 200 and 'name="files"' in form.text and "multiple" in form.text
    assert client.get("/batch/00000000-0000-0000-0000-000000000000", headers=cookie).status_code == 404
    for path in ("/batch", f"/batch/{created['uuid']}", "/account/tokens"):
        r = client.get(path, follow_redirects=False)  # no login: to the login page, and back after
        assert r.status_code == 303 and r.headers["location"] == f"/login?next={path}"
