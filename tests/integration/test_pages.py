"""Server-rendered pages over plain HTTP: login gate, cookies, fragments."""

from __future__ import annotations

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
