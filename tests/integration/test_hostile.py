"""Hostile input: every case here answered 500 (or worse) before the hardening issue.

Each runs against a real server on SQLite and on PostgreSQL; both must give the same 4xx.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import uuid

import httpx
import pytest
import websockets

from tests.conftest import ROOT, make_server, new_user, upload
from tests.imaging import photo

DEEP = "[" * 100_000


def _multipart(parts: list[tuple[str, str | None, bytes]]) -> tuple[bytes, str]:
    """A multipart body built by hand, so that names and bytes can be anything."""
    boundary = uuid.uuid4().hex
    body = b""
    for name, filename, data in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename is not None else "")
        body += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + data + b"\r\n"
    return body + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def _assert_clear_4xx(r: httpx.Response, status: int | tuple[int, ...], code: str | None = None) -> dict:
    allowed = status if isinstance(status, tuple) else (status,)
    assert r.status_code in allowed, (r.status_code, r.text)
    body = r.json()
    assert body["status"] == r.status_code and body["message"] and "Traceback" not in body["message"]
    if code:
        assert body["code"] == code, body
    return body


@pytest.mark.parametrize("depth", [100_000, 5_000])
def test_deeply_nested_params_are_a_clear_422(client, user, depth):
    r = upload(client, user["headers"], photo("prairie_falcon.jpg"), params="[" * depth)
    body = _assert_clear_4xx(r, (400, 422))
    assert "nested" in body["message"] or "too long" in body["message"]


async def test_deeply_nested_websocket_messages_keep_the_session_open(server, client):
    token = new_user(client)["tokens"]["access_token"]
    async with websockets.connect(f"{server.ws_url}/ws/preview?token={token}", max_size=None) as ws:
        for text in (DEEP, json.dumps({"type": "render", "seq": 1, "style": "cartoon"})[:-1] + f', "params": {DEEP}}}'):
            await ws.send(text)
            msg = json.loads(await ws.recv())
            assert msg["type"] == "error" and msg["code"] == "invalid_message", msg
        await ws.send(json.dumps({"type": "ping"}))
        assert json.loads(await ws.recv())["type"] == "pong", "the session is still open"


@pytest.mark.parametrize(
    "parts",
    [
        [("file", "a.jpg", b"x"), ("style", None, b"\xff\xfe")],  # not UTF-8 text
        [("file", None, b"\xff\xd8\xff\xe0 not text")],  # a file without a filename
    ],
    ids=["non-utf8-style", "file-without-filename"],
)
def test_non_utf8_form_fields_are_a_clear_4xx(client, user, parts):
    body, ctype = _multipart(parts)
    r = client.post("/images/transform", content=body, headers={**user["headers"], "Content-Type": ctype})
    assert 400 <= r.status_code < 500, r.text
    assert "UTF-8" in r.json()["message"] or "file" in r.json()["message"]


@pytest.mark.parametrize("query", ["page=99999999999999999999", "page=9223372036854775807", "per_page=99999999999"])
def test_huge_integers_are_a_clear_400(client, user, query):
    r = client.get(f"/images?{query}", headers=user["headers"])
    _assert_clear_4xx(r, 400)


def test_nul_characters_are_refused_the_same_on_both_databases(client, user):
    nul = "a\u0000b@example.com"
    r = client.post("/auth/register", json={"email": nul, "password": "correct horse 1"})
    _assert_clear_4xx(r, 400)
    r = client.post("/auth/login", json={"email": nul, "password": "correct horse 1"})
    _assert_clear_4xx(r, 400)
    r = client.put("/users/me", json={"full_name": "Eve\u0000"}, headers=user["headers"])
    _assert_clear_4xx(r, 400)
    assert client.get("/users/me", headers=user["headers"]).json()["full_name"] == "Test User"


def test_a_huge_filename_or_thousands_of_fields_get_words_that_match_the_status(client, user):
    jpeg = photo("prairie_falcon.jpg").read_bytes()
    many = [("file", "a.jpg", jpeg)] + [(f"f{i}", None, b"x") for i in range(5000)]
    for parts in ([("file", "x" * 5000 + ".jpg", jpeg)], many):
        body, ctype = _multipart(parts)
        r = client.post("/images/transform", content=body, headers={**user["headers"], "Content-Type": ctype})
        if r.status_code == 413:
            assert "too large" in r.json()["message"]
        else:  # a long name is acceptable; the job gets a shortened display name
            assert r.status_code == 202, r.text


def test_foreign_referer_without_origin_is_refused_with_the_login_cookie(server):
    with httpx.Client(base_url=server.url) as c:
        u = new_user(c)
        c.cookies.set("toonify_access", u["tokens"]["access_token"])
        r = c.put("/users/me", json={"full_name": "Mallory"}, headers={"Referer": "https://evil.example/page"})
        _assert_clear_4xx(r, 403)
        r = c.put("/users/me", json={"full_name": "Me"}, headers={"Referer": f"{server.url}/account"})
        assert r.status_code == 200


def test_an_access_token_ends_with_its_revoked_login(client):
    u = new_user(client)
    refresh = u["tokens"]["refresh_token"]
    assert client.post("/auth/refresh", json={"refresh_token": refresh}).status_code == 200
    # the spent refresh token again: someone holds a copy, so the whole login is revoked
    assert client.post("/auth/refresh", json={"refresh_token": refresh}).status_code == 401
    r = client.get("/users/me", headers=u["headers"])
    assert r.status_code == 401 and "log in again" in r.json()["message"]


def test_valid_signature_malformed_webhooks_are_acknowledged_not_500(paid):
    srv, fake = paid
    bodies = [
        [],
        {"id": "evt_1", "type": "payment_intent.succeeded", "data": None},
        {"id": "evt_2", "type": "payment_intent.succeeded", "data": {"object": []}},
        {"id": "evt_3", "type": "charge.refunded", "data": {"object": {"amount_refunded": "x", "payment_intent": 7}}},
        {"id": "evt_4", "type": 5, "data": {"object": {"id": {"nested": True}}}},
    ]
    with httpx.Client(base_url=srv.url) as c:
        for body in bodies:
            payload = json.dumps(body)
            r = c.post("/payments/webhook", content=payload, headers={"Stripe-Signature": fake.sign(payload)})
            assert r.status_code == 200 and r.json()["handled"] is False, (body, r.text)


def _throttled(client: httpx.Client, email: str, password: str) -> bool:
    r = client.post("/auth/login", json={"email": email, "password": password})
    assert r.status_code in (200, 401, 429), r.text
    return r.status_code == 429


def test_throttling_by_address_and_account_never_locks_the_owner_out(tmp_path_factory):
    srv = make_server(
        "sqlite",
        tmp_path_factory.mktemp("throttle"),
        TOONIFY_LOGIN_MAX_FAILURES="3",
        TOONIFY_LOGIN_LOCK_SECONDS="300",
        TOONIFY_LOGIN_ADDRESS_MAX_FAILURES="8",
    ).start()
    stranger = httpx.Client(base_url=srv.url, transport=httpx.HTTPTransport(local_address="127.0.0.2"))
    sprayer = httpx.Client(base_url=srv.url, transport=httpx.HTTPTransport(local_address="127.0.0.3"))
    owner = httpx.Client(base_url=srv.url)
    try:
        u = new_user(owner)
        # a stranger hammers the owner's account: the stranger is stopped, the owner is not
        attempts = [_throttled(stranger, u["email"], "not the password") for _ in range(4)]
        assert attempts == [False, False, False, True]
        assert owner.post("/auth/login", json={"email": u["email"], "password": u["password"]}).status_code == 200
        # spraying emails that do not exist is throttled by address
        sprayed = [_throttled(sprayer, f"nobody{i}@example.com", "guess one") for i in range(9)]
        assert sprayed[-1] and not sprayed[0]
        r = sprayer.post("/auth/login", json={"email": u["email"], "password": u["password"]})
        assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    finally:
        for c in (stranger, sprayer, owner):
            c.close()
        srv.stop()


def test_stalled_uploads_are_cut_and_dropped_uploads_log_no_traceback(tmp_path_factory):
    srv = make_server("sqlite", tmp_path_factory.mktemp("slow"), TOONIFY_BODY_TIMEOUT="2").start()
    try:
        with httpx.Client(base_url=srv.url) as c:
            token = new_user(c)["tokens"]["access_token"]
        head = (
            "POST /images/transform HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {token}\r\n"
            "Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 1000000\r\n\r\n"
            '--b\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n\r\n'
        ).encode()
        # a stalled upload gets a 408 once its body deadline passes
        with socket.create_connection(("127.0.0.1", srv.port), timeout=30) as s:
            s.sendall(head + b"\xff" * 1000)
            answer = s.recv(4096).decode(errors="replace")
        assert answer.startswith("HTTP/1.1 408"), answer[:200]
        # uploads that hang up halfway leave one quiet line each, never a traceback
        for _ in range(20):
            with socket.create_connection(("127.0.0.1", srv.port), timeout=30) as s:
                s.sendall(head + b"\xff" * 5000)
        with httpx.Client(base_url=srv.url) as c:
            assert c.get("/health").status_code == 200
        log = srv.log_tail()
        assert "Traceback" not in log and "unexpected error" not in log, log[-2000:]
    finally:
        srv.stop()


def test_an_unreachable_database_is_one_sentence_and_exit_status_1(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "TOONIFY_DATA_DIR": str(tmp_path)}
    env["TOONIFY_DATABASE_URL"] = "postgresql://postgres@127.0.0.1:1/nothing"
    r = subprocess.run(
        [sys.executable, "-m", "app.cli", "serve", "--port", "1"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 1
    lines = [line for line in (r.stdout + r.stderr).splitlines() if line.strip()]
    assert len(lines) == 1 and "cannot use the database" in lines[0], lines
