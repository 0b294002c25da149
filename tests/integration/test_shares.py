"""Share links through the running server (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import datetime as dt
import io as _io
import re
import sqlite3
import zipfile

import httpx

from effects import io
from tests.conftest import new_user, upload, wait_done
from tests.imaging import photo
from tests.integration.test_payments import open_intent, post_event


def finished(client, headers, name="denali.webp", style="cartoon") -> dict:
    job = upload(client, headers, photo(name), style=style).json()
    done = wait_done(client, headers, job["uuid"])
    assert done["status"] == "DONE", done
    return done


def share(client, headers, job_uuid, **body) -> httpx.Response:
    return client.post(f"/images/{job_uuid}/share", headers=headers, json=body)


def meta(html: str, key: str) -> str | None:
    m = re.search(rf'<meta (?:property|name)="{re.escape(key)}" content="([^"]*)"', html)
    return m.group(1) if m else None


def run_sql(server, postgres: str, sqlite: str, *args) -> None:
    """Change a row behind the server's back (to move a share's expiry into the past)."""
    url = server.env.get("TOONIFY_DATABASE_URL", "")
    if url.startswith("postgres"):
        import asyncpg

        async def go():
            conn = await asyncpg.connect(url)
            try:
                await conn.execute(postgres, *args)
            finally:
                await conn.close()

        asyncio.run(go())
    else:
        with sqlite3.connect(server.data_dir / "toonify.sqlite3") as db:
            db.execute(sqlite, args)


def test_public_page_without_login(server, client, user):
    job = finished(client, user["headers"], "book-beside-flowers.jpg")
    r = share(client, user["headers"], job["uuid"])
    assert r.status_code == 201, r.text
    link = r.json()
    assert link["url"].startswith(server.url + "/s/") and link["expires_at"] is None and link["views"] == 0
    token = link["url"].rsplit("/", 1)[1]
    assert len(token) >= 32

    with httpx.Client(timeout=30) as anonymous:  # no cookie, no header
        page = anonymous.get(link["url"])
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        html = page.text
        assert user["email"] not in html and "Test User" not in html
        assert job["uuid"] not in html and job["original_filename"] not in html
        assert meta(html, "og:title") and "cartoon" in meta(html, "og:title").lower()
        image_url = meta(html, "og:image")
        assert image_url == link["image_url"] and image_url.startswith(server.url + "/s/")
        assert meta(html, "twitter:card") == "summary_large_image"
        assert meta(html, "twitter:image") == image_url and meta(html, "og:url") == link["url"]
        assert page.headers["referrer-policy"] == "no-referrer"

        result = anonymous.get(image_url)
        assert result.status_code == 200 and result.headers["content-type"] == "image/jpeg"
        img = io.decode(result.content)
        assert max(img.shape[:2]) == 1024 < max(job["output_width"], job["output_height"])  # SD: not unlocked
        before = anonymous.get(link["url"] + "/before.jpg")
        assert before.status_code == 200 and max(io.decode(before.content).shape[:2]) == 1024
        assert anonymous.get(link["url"] + "/original.jpg").status_code == 404
        assert anonymous.get(f"{server.url}/images/{job['uuid']}/processed").status_code == 401  # the API stays closed

        assert anonymous.get(link["url"]).status_code == 200
    listed = client.get(f"/images/{job['uuid']}/shares", headers=user["headers"]).json()
    assert [s["uuid"] for s in listed] == [link["uuid"]] and listed[0]["views"] == 2  # pages, not images


def test_revoked_links_are_gone_at_once(client, user):
    job = finished(client, user["headers"])
    keep, drop = (share(client, user["headers"], job["uuid"]).json() for _ in range(2))
    other = new_user(client)
    assert client.delete(f"/shares/{drop['uuid']}", headers=other["headers"]).status_code == 404
    assert httpx.get(drop["url"]).status_code == 200

    assert client.delete(f"/shares/{drop['uuid']}", headers=user["headers"]).status_code == 204
    gone = httpx.get(drop["url"])
    assert gone.status_code == 404 and "not available" in gone.text
    assert httpx.get(drop["image_url"]).status_code == 404
    assert httpx.get(keep["url"]).status_code == 200
    assert [s["uuid"] for s in client.get(f"/images/{job['uuid']}/shares", headers=user["headers"]).json()] == [
        keep["uuid"]
    ]
    assert client.delete(f"/shares/{drop['uuid']}", headers=user["headers"]).status_code == 404

    # deleting the picture ends its links too
    assert client.delete(f"/images/{job['uuid']}", headers=user["headers"]).status_code == 204
    assert httpx.get(keep["url"]).status_code == 404


def test_expiry(server, client, user):
    job = finished(client, user["headers"])
    for days in (0, 366, -1, 1.5):
        r = share(client, user["headers"], job["uuid"], expires_in_days=days)
        assert r.status_code == 400 and "expires_in_days" in r.json()["message"], r.text
    r = share(client, user["headers"], job["uuid"], expires_in_days=2)
    assert r.status_code == 201
    link = r.json()
    expires = dt.datetime.fromisoformat(link["expires_at"].replace("Z", "+00:00"))
    created = dt.datetime.fromisoformat(link["created_at"].replace("Z", "+00:00"))
    assert dt.timedelta(days=2) - dt.timedelta(minutes=1) < expires - created <= dt.timedelta(days=2)
    assert httpx.get(link["url"]).status_code == 200

    run_sql(
        server,
        "UPDATE shares SET expires_at = now() - interval '1 minute' WHERE uuid = $1::uuid",
        "UPDATE shares SET expires_at = '2000-01-01 00:00:00+00:00' WHERE uuid = ?",
        link["uuid"],
    )
    assert httpx.get(link["url"]).status_code == 404
    assert httpx.get(link["image_url"]).status_code == 404
    listed = client.get(f"/images/{job['uuid']}/shares", headers=user["headers"]).json()
    assert listed[0]["expired"] is True


def test_only_the_owner_of_a_finished_picture_can_share(client, user):
    job = finished(client, user["headers"])
    other = new_user(client)
    missing = share(client, other["headers"], "00000000-0000-0000-0000-000000000000")
    for r in (
        share(client, other["headers"], job["uuid"]),
        client.get(f"/images/{job['uuid']}/shares", headers=other["headers"]),
    ):
        assert r.status_code == 404 and r.json()["message"] == missing.json()["message"]
    assert client.post(f"/images/{job['uuid']}/share").status_code == 401
    # a photo that failed cannot be shared
    bad = client.post(
        "/batches",
        headers=user["headers"],
        files=[("files", ("bad.jpg", b"\xff\xd8\xff" + bytes(300), "image/jpeg"))],
        data={"style": "cartoon"},
    ).json()
    r = share(client, user["headers"], bad["jobs"][0])
    assert r.status_code == 409 and r.json()["code"] == "not_ready"


def test_the_public_picture_is_hd_only_once_unlocked(paid):
    srv, fake = paid
    with httpx.Client(base_url=srv.url, timeout=30) as pc:
        u = new_user(pc)
        job = finished(pc, u["headers"], "book-beside-flowers.jpg", style="sketch")
        link = share(pc, u["headers"], job["uuid"]).json()
        page = httpx.get(link["url"]).text
        assert (meta(page, "og:image:width"), meta(page, "og:image:height")) == ("768", "1024")
        assert max(io.decode(httpx.get(link["image_url"]).content).shape[:2]) == 1024  # locked: SD

        intent = fake.confirm(open_intent(pc, u, job["uuid"]))
        assert post_event(pc, fake, fake.event("payment_intent.succeeded", intent)).status_code == 200
        full = io.decode(httpx.get(link["image_url"]).content)
        assert (full.shape[1], full.shape[0]) == (job["output_width"], job["output_height"])  # unlocked: HD
        page = httpx.get(link["url"]).text
        assert meta(page, "og:image:width") == str(job["output_width"])
        # the batch zip follows the same rule as GET /images/{uuid}/processed
        batch = pc.post(
            "/batches",
            headers=u["headers"],
            files=[("files", ("b.jpg", photo("book-beside-flowers.jpg").read_bytes(), "image/jpeg"))],
            data={"style": "sketch"},
        ).json()
        wait_done(pc, u["headers"], batch["jobs"][0])
        archive = zipfile.ZipFile(_io.BytesIO(pc.get(f"/batches/{batch['uuid']}/zip", headers=u["headers"]).content))
        (name,) = archive.namelist()
        assert max(io.decode(archive.read(name)).shape[:2]) == 1024  # locked: SD


def test_share_views_are_counted_on_the_dashboard(server):
    from tests.integration.test_pages import _logged_in

    with httpx.Client(base_url=server.url, timeout=30) as c:
        u = _logged_in(c)
        headers = u["headers"]
        job = finished(c, headers)
        link = share(c, headers, job["uuid"]).json()
        with httpx.Client(timeout=30) as stranger:
            for _ in range(3):
                assert stranger.get(link["url"]).status_code == 200
        page = c.get("/dashboard").text
        assert 'id="stat-share-views">3<' in page
