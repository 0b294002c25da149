"""Server-rendered pages over plain HTTP: login gate, cookies, fragments."""

from __future__ import annotations

import re

import httpx

from tests.conftest import new_user


def test_pages_need_a_login_and_say_so(server):
    with httpx.Client(base_url=server.url, follow_redirects=False) as c:
        for path in ("/toonify", "/gallery", "/dashboard", "/account"):
            r = c.get(path)
            assert r.status_code == 303 and r.headers["location"] == f"/login?next={path}"
        r = c.delete("/gallery/00000000-0000-0000-0000-000000000000")
        assert r.status_code == 401 and "log in again" in r.text


def test_web_login_sets_httponly_samesite_cookies_and_pages_render(server):
    with httpx.Client(base_url=server.url, follow_redirects=False) as c:
        u = new_user(c)
        r = c.post("/login", data={"email": u["email"], "password": u["password"], "next": "/gallery"})
        assert r.status_code == 303 and r.headers["location"] == "/gallery"
        cookies = r.headers.get_list("set-cookie")
        assert len(cookies) == 2 and all("HttpOnly" in k and "SameSite=lax" in k for k in cookies)
        for path in ("/toonify", "/gallery", "/dashboard", "/account", "/toonify/controls?style=pop_art"):
            page = c.get(path)
            assert page.status_code == 200, path
        assert 'name="palette"' in c.get("/toonify/controls?style=pop_art").text
        bad = c.post("/login", data={"email": u["email"], "password": "nope nope"}, headers={"HX-Request": "true"})
        assert bad.status_code == 200 and "Wrong email or password." in bad.text


def test_open_redirects_are_refused(server):
    with httpx.Client(base_url=server.url, follow_redirects=False) as c:
        u = new_user(c)
        r = c.post("/login", data={"email": u["email"], "password": u["password"], "next": "//evil.example/x"})
        assert r.headers["location"] == "/toonify"


def test_gallery_shows_style_status_size_and_dashboard_counts_by_status(server):
    from tests.conftest import upload, wait_done
    from tests.imaging import photo

    with httpx.Client(base_url=server.url, follow_redirects=False) as c:
        u = new_user(c)
        job = upload(c, u["headers"], photo("denali.webp"), style="watercolor").json()
        wait_done(c, u["headers"], job["uuid"])
        c.post("/login", data={"email": u["email"], "password": u["password"]})
        gallery = c.get("/gallery").text
        assert "Watercolor" in gallery and "done" in gallery and "600 × 315" in gallery and "kB" in gallery
        dashboard = c.get("/dashboard").text
        assert 'id="status-done">1<' in dashboard and 'id="stat-total">1<' in dashboard


def test_pages_and_api_docs_load_nothing_from_other_sites(server):
    import re

    with httpx.Client(base_url=server.url) as c:
        u = new_user(c)
        c.post("/login", data={"email": u["email"], "password": u["password"]})
        for path in ("/login", "/register", "/toonify", "/gallery", "/dashboard", "/account", "/schema"):
            html = c.get(path).text
            external = re.findall(r'(?:src|href)=["\'](https?://[^"\']+)', html)
            assert not external, f"{path} loads {external}"


def test_gallery_pages_through_htmx_fragments(server):
    import re

    from tests.conftest import upload
    from tests.imaging import photo

    with httpx.Client(base_url=server.url) as c:
        u = new_user(c)
        uuids = [upload(c, u["headers"], photo("density_plot.png"), style="sketch").json()["uuid"] for _ in range(13)]
        c.post("/login", data={"email": u["email"], "password": u["password"]})
        first = c.get("/gallery").text
        shown = re.findall(r'id="job-([0-9a-f-]{36})"', first)
        assert shown == uuids[::-1][:12]
        assert 'hx-trigger="revealed"' in first and "page_no=2" in first
        second = c.get("/gallery/items?page_no=2").text
        assert re.findall(r'id="job-([0-9a-f-]{36})"', second) == [uuids[0]]
        assert "page_no=3" not in second


def _logged_in(c: httpx.Client) -> dict:
    u = new_user(c)
    c.post("/login", data={"email": u["email"], "password": u["password"]})
    return u


def test_private_pages_are_never_stored_and_sign_in_pages_send_a_signed_in_person_on(server):
    with httpx.Client(base_url=server.url, follow_redirects=False) as c:
        for path in ("/login", "/register"):
            assert c.get(path).headers["cache-control"] == "no-store"
        _logged_in(c)
        for path in ("/toonify", "/gallery", "/dashboard", "/account"):
            r = c.get(path)
            assert r.status_code == 200 and r.headers["cache-control"] == "no-store", path
        for path in ("/login", "/register"):
            r = c.get(path)
            assert r.status_code == 303 and r.headers["location"] == "/toonify", path
        # logging out revokes the refresh token: the old cookie cannot sign in again
        refresh = c.cookies.get("toonify_refresh")
        r = c.post("/logout", headers={"HX-Request": "true"})
        assert r.status_code == 200 and r.headers["hx-redirect"] == "/login"
        c.cookies.clear()
        c.cookies.set("toonify_refresh", refresh)
        r = c.get("/gallery")
        assert r.status_code == 303 and r.headers["location"] == "/login?next=/gallery"


def test_style_thumbnails_are_rendered_by_each_style_and_kept(server):
    import effects

    with httpx.Client(base_url=server.url) as c:
        seen = set()
        for style in effects.STYLES:
            r = c.get(f"/styles/{style}.jpg")
            assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg", style
            assert r.content[:3] == b"\xff\xd8\xff"
            seen.add(r.content)
            assert "immutable" in r.headers["cache-control"]
        assert len(seen) == len(effects.STYLES)  # every style draws a different picture
        kept = sorted(p.name for p in (server.data_dir / "styles").iterdir())
        assert len(kept) == len(effects.STYLES) and all(p.endswith(".jpg") for p in kept)
        assert c.get("/styles/no_such_style.jpg").status_code == 404
        _logged_in(c)
        studio = c.get("/toonify").text
        for style in effects.STYLES:
            assert f'src="/styles/{style}.jpg?v=' in studio


def test_studio_state_comes_from_the_url_and_photos_are_kept_per_person(server):
    from app.web import drafts
    from tests.imaging import photo

    with httpx.Client(base_url=server.url) as c:
        _logged_in(c)
        bad = c.post("/toonify/photo?name=notes.jpg", content=b"not a photo at all" * 10)
        assert bad.status_code in (415, 422) and "message" in bad.json()
        data = photo("prairie_falcon.jpg").read_bytes()
        r = c.post("/toonify/photo?name=falcon.jpg", content=data)
        assert r.status_code == 201
        key = r.json()["photo"]
        assert c.get(f"/toonify/photo/{key}").content == data
        page = c.get(f"/toonify?photo={key}&style=pop_art&levels=3&palette=neon&grid=true&dot_size=999").text
        assert f'data-photo-id="{key}"' in page and 'data-photo-kind="draft"' in page
        assert 'value="pop_art" checked' in page
        assert re.search(r'id="p-levels"[^>]*value="3"', page)
        assert re.search(r'<option value="neon" selected', page)
        assert re.search(r'id="p-grid"[^>]*checked', page)
        assert re.search(r'id="p-dot_size"[^>]*value="6"', page)  # out of range: the default
        newer = [c.post("/toonify/photo?name=f.jpg", content=data).json()["photo"] for _ in range(drafts.KEEP)]
        assert c.get(f"/toonify/photo/{key}").status_code == 404  # only the newest few are kept
        assert all(c.get(f"/toonify/photo/{k}").status_code == 200 for k in newer)
        (folder,) = {f.parent for f in (server.data_dir / "studio").rglob(f"{newer[0]}.jpg")}
        assert sorted(f.stem for f in folder.glob("*.jpg")) == sorted(newer)  # the older one is deleted
    with httpx.Client(base_url=server.url) as other:
        _logged_in(other)
        assert other.get(f"/toonify/photo/{key}").status_code == 404
        assert "data-photo-id" not in other.get(f"/toonify?photo={key}").text


def test_deleting_in_the_gallery_updates_the_count_and_downloads_are_named_by_size(server):
    from tests.conftest import upload, wait_done
    from tests.imaging import photo

    with httpx.Client(base_url=server.url) as c:
        u = _logged_in(c)
        jobs = [upload(c, u["headers"], photo("density_plot.png"), style="sketch").json()["uuid"] for _ in range(2)]
        wait_done(c, u["headers"], jobs[0])
        full = c.get(f"/images/{jobs[0]}/processed", headers=u["headers"])
        small = c.get(f"/images/{jobs[0]}/processed?size=sd", headers=u["headers"])
        assert "toonify-sketch-hd-density_plot.png" in full.headers["content-disposition"]
        assert "toonify-sketch-sd-density_plot.png" in small.headers["content-disposition"]
        r = c.delete(f"/gallery/{jobs[0]}", headers={"HX-Request": "true"})
        assert r.status_code == 200 and "job-deleted" in r.headers["hx-trigger"]
        assert 'id="gallery-count" hx-swap-oob="true"' in r.text and "1 picture " in r.text
