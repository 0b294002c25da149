"""Accounts and tokens through the running server (SQLite and PostgreSQL)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import time
import uuid

import jwt

from tests.conftest import new_user


def _secret(server) -> str:
    return (server.data_dir / "jwt_secret").read_text().strip()


def test_register_login_and_profile(client, user):
    me = client.get("/users/me", headers=user["headers"])
    assert me.status_code == 200
    assert me.json()["email"] == user["email"] and me.json()["full_name"] == "Test User"
    assert me.json()["last_login"] is not None
    assert "password_hash" not in me.text


def test_email_is_unique_case_insensitively(client, user):
    r = client.post("/auth/register", json={"email": user["email"].upper(), "password": "another pass 1"})
    assert r.status_code == 409 and "already exists" in r.json()["message"]


def test_registration_validation_messages(client):
    r = client.post("/auth/register", json={"email": "not-an-email", "password": "long enough 1"})
    assert r.status_code == 400 and r.json()["code"] == "invalid_request" and "email" in r.json()["message"]
    r = client.post("/auth/register", json={"email": "x@example.com", "password": "short"})
    assert r.status_code == 400 and "password" in r.json()["message"]
    r = client.post("/auth/register", content=b"{broken", headers={"content-type": "application/json"})
    assert r.status_code == 400


def test_password_is_stored_as_argon2id(server, client, user):
    # the hash never leaves the server; check the parameters through a fresh hash's prefix
    from app.auth import security

    h = security._hasher.hash("x")
    assert h.startswith("$argon2id$") and "m=19456,t=2,p=1" in h


def test_wrong_password_is_refused(client, user):
    r = client.post("/auth/login", json={"email": user["email"], "password": "wrong password"})
    assert r.status_code == 401 and r.json()["message"] == "Wrong email or password."
    r = client.post("/auth/login", json={"email": "nobody@example.com", "password": "wrong password"})
    assert r.status_code == 401 and r.json()["message"] == "Wrong email or password."


def test_repeated_failures_are_throttled_but_the_owner_gets_back_in(client, user):
    for _ in range(5):
        assert client.post("/auth/login", json={"email": user["email"], "password": "bad guess!"}).status_code == 401
    r = client.post("/auth/login", json={"email": user["email"], "password": user["password"]})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    assert "try again" in r.json()["message"]
    # the lock is short (2 s in tests, 30 s by default): the owner gets in once it has passed
    deadline = time.monotonic() + int(r.headers["Retry-After"]) + 10
    while (
        r := client.post("/auth/login", json={"email": user["email"], "password": user["password"]})
    ).status_code == 429:
        assert time.monotonic() < deadline, "the lock did not end"
    assert r.status_code == 200


def test_missing_and_malformed_tokens(client):
    assert client.get("/users/me").status_code == 401
    assert client.get("/users/me", headers={"Authorization": "Bearer nonsense"}).status_code == 401
    assert client.get("/users/me", headers={"Authorization": "Basic abc"}).status_code == 401


def test_tampered_token_is_refused(client, user):
    token = user["tokens"]["access_token"]
    head, body, sig = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims["sub"] = str(uuid.uuid4())
    forged_body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    r = client.get("/users/me", headers={"Authorization": f"Bearer {head}.{forged_body}.{sig}"})
    assert r.status_code == 401


def test_alg_none_and_wrong_key_are_refused(server, client, user):
    me = client.get("/users/me", headers=user["headers"]).json()
    claims = {"sub": me["uuid"], "type": "access", "ver": 0, "jti": "x", "exp": int(time.time()) + 600}
    unsigned = jwt.encode(claims, key=None, algorithm="none")
    assert client.get("/users/me", headers={"Authorization": f"Bearer {unsigned}"}).status_code == 401
    other = jwt.encode(claims, "some other secret" * 3, algorithm="HS256")
    assert client.get("/users/me", headers={"Authorization": f"Bearer {other}"}).status_code == 401
    good = jwt.encode(claims, _secret(server), algorithm="HS256")
    assert client.get("/users/me", headers={"Authorization": f"Bearer {good}"}).status_code == 200


def test_expired_token_is_refused(server, client, user):
    me = client.get("/users/me", headers=user["headers"]).json()
    past = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    claims = {"sub": me["uuid"], "type": "access", "ver": 0, "jti": "x", "exp": past}
    token = jwt.encode(claims, _secret(server), algorithm="HS256")
    r = client.get("/users/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401 and "expired" in r.json()["message"]


def test_token_types_are_not_interchangeable(client, user):
    refresh = user["tokens"]["refresh_token"]
    assert client.get("/users/me", headers={"Authorization": f"Bearer {refresh}"}).status_code == 401
    r = client.post("/auth/refresh", json={"refresh_token": user["tokens"]["access_token"]})
    assert r.status_code == 401 and "refresh" in r.json()["message"]


def test_refresh_rotates_and_reuse_revokes_the_family(client, user):
    old = user["tokens"]["refresh_token"]
    r1 = client.post("/auth/refresh", json={"refresh_token": old})
    assert r1.status_code == 200
    new = r1.json()
    assert new["refresh_token"] != old
    assert client.get("/users/me", headers={"Authorization": f"Bearer {new['access_token']}"}).status_code == 200
    # the spent token is refused, and its reuse also kills the token rotated from it
    assert client.post("/auth/refresh", json={"refresh_token": old}).status_code == 401
    assert client.post("/auth/refresh", json={"refresh_token": new["refresh_token"]}).status_code == 401


def test_other_logins_survive_a_family_revocation(client, user):
    second = client.post("/auth/login", json={"email": user["email"], "password": user["password"]}).json()
    old = user["tokens"]["refresh_token"]
    client.post("/auth/refresh", json={"refresh_token": old})
    client.post("/auth/refresh", json={"refresh_token": old})  # reuse: revokes only that family
    assert client.post("/auth/refresh", json={"refresh_token": second["refresh_token"]}).status_code == 200


def test_profile_update(client, user):
    r = client.put("/users/me", headers=user["headers"], json={"full_name": "Ada Lovelace"})
    assert r.status_code == 200 and r.json()["full_name"] == "Ada Lovelace"
    other = new_user(client)
    r = client.put("/users/me", headers=user["headers"], json={"email": other["email"]})
    assert r.status_code == 409


def test_change_password_needs_the_current_one_and_revokes_old_tokens(client, user):
    r = client.post(
        "/users/me/change-password",
        headers=user["headers"],
        json={"current_password": "not it at all", "new_password": "brand new pass 2"},
    )
    assert r.status_code == 400 and "current password" in r.json()["message"]
    r = client.post(
        "/users/me/change-password",
        headers=user["headers"],
        json={"current_password": user["password"], "new_password": "brand new pass 2"},
    )
    assert r.status_code == 200 and "Password changed" in r.json()["message"]
    assert client.get("/users/me", headers=user["headers"]).status_code == 401
    assert client.post("/auth/refresh", json={"refresh_token": user["tokens"]["refresh_token"]}).status_code == 401
    assert client.post("/auth/login", json={"email": user["email"], "password": user["password"]}).status_code == 401
    assert client.post("/auth/login", json={"email": user["email"], "password": "brand new pass 2"}).status_code == 200


def test_unknown_routes_answer_json_not_500(client):
    r = client.get("/no/such/thing")
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    assert client.get("/schema/openapi.json").status_code == 200


def test_login_accepts_an_oauth2_style_form(client, user):
    r = client.post("/auth/login", data={"username": user["email"], "password": user["password"]})
    assert r.status_code == 200 and r.json()["token_type"] == "bearer"
    assert client.post("/auth/login", data={"username": user["email"]}).status_code == 400


def test_a_missing_body_is_explained(client, user):
    r = client.put("/users/me", headers=user["headers"])
    assert r.status_code == 400 and r.json()["message"] == "The request needs a JSON body."
