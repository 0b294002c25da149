"""Personal API tokens through the running server (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re

import websockets

from tests.conftest import new_user, upload, wait_done
from tests.imaging import photo


def make_token(client, headers, scope="write", name="script") -> dict:
    r = client.post("/users/me/tokens", headers=headers, json={"name": name, "scope": scope})
    assert r.status_code == 201, r.text
    return r.json()


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_create_list_use_and_revoke(client, user):
    created = make_token(client, user["headers"], "write", "nightly backup")
    secret = created["token"]
    assert secret.startswith("tfy_") and len(secret) >= 40
    assert created["name"] == "nightly backup" and created["scope"] == "write" and created["last_used_at"] is None

    listed = client.get("/users/me/tokens", headers=user["headers"]).json()
    assert [t["uuid"] for t in listed] == [created["uuid"]]
    assert "token" not in listed[0] and secret not in json.dumps(listed)  # the secret is shown once only
    assert listed[0]["hint"] == secret[:10]

    me = client.get("/users/me", headers=bearer(secret))
    assert me.status_code == 200 and me.json()["email"] == user["email"]
    job = upload(client, bearer(secret), photo("denali.webp"), style="sketch")
    assert job.status_code == 202, job.text
    assert wait_done(client, bearer(secret), job.json()["uuid"])["status"] == "DONE"
    used = client.get("/users/me/tokens", headers=user["headers"]).json()[0]
    assert used["last_used_at"] is not None and used["last_used_at"] >= created["created_at"]

    assert client.delete(f"/users/me/tokens/{created['uuid']}", headers=user["headers"]).status_code == 204
    r = client.get("/users/me", headers=bearer(secret))
    assert r.status_code == 401 and r.json()["code"] == "unauthorized" and "revoked" in r.json()["message"]
    assert client.get("/users/me/tokens", headers=user["headers"]).json() == []
    assert client.delete(f"/users/me/tokens/{created['uuid']}", headers=user["headers"]).status_code == 404


def test_a_read_token_reads_but_every_change_is_403(client, user):
    job = upload(client, user["headers"], photo("denali.webp"), style="cartoon").json()
    wait_done(client, user["headers"], job["uuid"])
    read = bearer(make_token(client, user["headers"], "read")["token"])

    assert client.get("/images", headers=read).json()["total"] == 1
    assert client.get(f"/images/{job['uuid']}/processed", headers=read).status_code == 200
    assert client.get("/presets?style=cartoon", headers=read).status_code == 200

    changes = [
        upload(client, read, photo("denali.webp")),
        client.delete(f"/images/{job['uuid']}", headers=read),
        client.post("/presets", headers=read, json={"name": "x", "style": "cartoon", "params": {}}),
        client.post(f"/images/{job['uuid']}/share", headers=read, json={}),
        client.post("/batches", headers=read, files=[("files", ("a.webp", photo("denali.webp").read_bytes()))]),
        client.post("/payments/create", headers=read, json={"job": job["uuid"]}),
        client.put("/users/me", headers=read, json={"full_name": "Changed"}),
    ]
    for r in changes:
        body = r.json()
        assert r.status_code == 403 and body["code"] == "read_only_token", r.text
        assert "write scope" in body["message"] and body["request_id"]
    assert client.get("/images", headers=user["headers"]).json()["total"] == 1  # nothing happened
    assert client.get("/users/me", headers=user["headers"]).json()["full_name"] == "Test User"


def test_a_password_change_keeps_api_tokens(client, user):
    secret = make_token(client, user["headers"], "read")["token"]
    r = client.post(
        "/users/me/change-password",
        headers=user["headers"],
        json={"current_password": user["password"], "new_password": "another horse 2"},
    )
    assert r.status_code == 200
    assert client.get("/users/me", headers=user["headers"]).status_code == 401  # the login token is gone
    assert client.get("/users/me", headers=bearer(secret)).status_code == 200  # the API token is not


def test_tokens_cannot_create_or_revoke_tokens(client, user):
    first = make_token(client, user["headers"], "write")
    with_token = bearer(first["token"])
    r = client.post("/users/me/tokens", headers=with_token, json={"name": "child", "scope": "write"})
    assert r.status_code == 403 and r.json()["code"] == "login_required"
    r = client.delete(f"/users/me/tokens/{first['uuid']}", headers=with_token)
    assert r.status_code == 403 and r.json()["code"] == "login_required"
    assert len(client.get("/users/me/tokens", headers=with_token).json()) == 1  # listing is a read


def test_bad_tokens_and_other_users(client):
    a, b = new_user(client), new_user(client)
    token = make_token(client, a["headers"])
    assert client.delete(f"/users/me/tokens/{token['uuid']}", headers=b["headers"]).status_code == 404
    assert client.get("/users/me/tokens", headers=b["headers"]).json() == []
    assert client.get("/users/me", headers=bearer("tfy_" + "x" * 43)).status_code == 401
    for body in ({"name": "x", "scope": "admin"}, {"name": "", "scope": "read"}, {"scope": "read"}):
        r = client.post("/users/me/tokens", headers=a["headers"], json=body)
        assert r.status_code == 400 and r.json()["code"] == "invalid_request", r.text
    assert client.get("/users/me", headers=bearer(token["token"])).json()["email"] == a["email"]


def test_openapi_documents_the_bearer_scheme(client):
    schema = client.get("/schema/openapi.json").json()
    scheme = schema["components"]["securitySchemes"]["BearerToken"]
    assert scheme["type"] == "http" and scheme["scheme"] == "bearer" and "tfy_" in scheme["description"]
    for path, method in [("/users/me/tokens", "post"), ("/presets", "get"), ("/batches", "post"), ("/images", "get")]:
        assert {"BearerToken": []} in schema["paths"][path][method]["security"], path
    form = schema["paths"]["/batches"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert form["required"] == ["files"] and "preset" in form["properties"]


def test_websockets_take_api_tokens_and_read_tokens_only_follow_jobs(server, client, user):
    job = upload(client, user["headers"], photo("denali.webp")).json()
    read = make_token(client, user["headers"], "read")["token"]

    async def run():
        url = f"{server.ws_url}/ws/jobs/{job['uuid']}?token={read}"
        async with websockets.connect(url, max_size=None, open_timeout=10) as ws:
            while True:
                msg = await asyncio.wait_for(ws.recv(), 60)
                if isinstance(msg, str) and json.loads(msg).get("status") in ("DONE", "FAILED"):
                    return json.loads(msg)["status"]

    assert asyncio.run(run()) == "DONE"

    async def preview():
        async with websockets.connect(f"{server.ws_url}/ws/preview?token={read}", open_timeout=10) as ws:
            with contextlib.suppress(websockets.ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 10)
            await asyncio.wait_for(ws.wait_closed(), 10)
            return ws.close_code

    assert asyncio.run(preview()) == 4403


def test_account_page_token_section(client, user):
    cookie = {"Cookie": f"toonify_access={user['tokens']['access_token']}"}
    assert 'hx-get="/account/tokens"' in client.get("/account", headers=cookie).text
    section = client.get("/account/tokens", headers=cookie)
    assert section.status_code == 200 and "No tokens yet." in section.text

    made = client.post("/account/tokens", headers=cookie, data={"name": "from the page", "scope": "read"})
    assert made.status_code == 200 and "will not be shown again" in made.text
    secret = re.search(r'value="(tfy_[^"]+)"', made.text).group(1)
    listed = client.get("/users/me/tokens", headers=user["headers"]).json()
    assert [(t["name"], t["scope"]) for t in listed] == [("from the page", "read")]
    assert client.get("/users/me", headers=bearer(secret)).status_code == 200
    again = client.get("/account/tokens", headers=cookie).text
    assert secret not in again and listed[0]["hint"] in again  # shown once only

    bad = client.post("/account/tokens", headers=cookie, data={"name": "", "scope": "read"})
    assert "Give the token a name" in bad.text
    gone = client.post(f"/account/tokens/{listed[0]['uuid']}/revoke", headers=cookie)
    assert gone.status_code == 200 and "Token revoked." in gone.text
    assert client.get("/users/me", headers=bearer(secret)).status_code == 401
