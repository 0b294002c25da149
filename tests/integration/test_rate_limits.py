"""Per-user rate limits (app/lib/ratelimit.py): requests per minute, renders per hour.

A server of its own with small limits; and the Redis counters that a cluster's web nodes share,
against the real Redis."""

from __future__ import annotations

import asyncio
import os
import time
import uuid

import httpx
import pytest
from redis.asyncio import Redis

from app.lib import ratelimit
from app.lib.errors import DomainError
from app.lib.settings import override
from tests.conftest import make_server, new_user, upload
from tests.imaging import photo

REQUESTS, RENDERS = 15, 3
REDIS_URL = os.environ.get("TOONIFY_TEST_REDIS", "redis://127.0.0.1:6379/11")


@pytest.fixture(scope="module")
def limited(tmp_path_factory):
    srv = make_server(
        "sqlite",
        tmp_path_factory.mktemp("limits"),
        TOONIFY_RATE_LIMIT_REQUESTS=str(REQUESTS),
        TOONIFY_RATE_LIMIT_RENDERS=str(RENDERS),
    ).start()
    try:
        with httpx.Client(base_url=srv.url, timeout=60) as client:
            yield srv, client
    finally:
        srv.stop()


def _fresh_window(seconds: int, needed: float) -> None:
    """Wait for the next window if this one ends within `needed` seconds (windows are fixed)."""
    left = seconds - time.time() % seconds
    if left < needed:
        time.sleep(left + 0.2)


def _headers(client) -> dict:
    return new_user(client)["headers"]


def test_a_user_past_the_request_limit_gets_429_with_a_reason_and_others_are_untouched(limited):
    _, client = limited
    alice, bob = _headers(client), _headers(client)
    _fresh_window(60, 15)
    codes = [client.get("/images", headers=alice).status_code for _ in range(REQUESTS + 3)]
    assert codes == [200] * REQUESTS + [429] * 3
    refused = client.get("/users/me", headers=alice)
    body = refused.json()
    assert refused.status_code == 429 and body["code"] == "too_many_requests"
    assert f"limit of {REQUESTS} requests in a minute" in body["message"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert client.get("/images", headers=bob).status_code == 200  # per user
    assert client.get("/health").status_code == 200  # anonymous requests are not a user's


def test_renders_past_the_hourly_limit_are_refused_and_nothing_is_written(limited):
    srv, client = limited
    h = _headers(client)
    _fresh_window(3600, 30)
    made = [upload(client, h, photo("prairie_falcon.jpg"), style="sketch") for _ in range(RENDERS)]
    assert [r.status_code for r in made] == [202] * RENDERS
    files_before = sorted(p.name for p in (srv.data_dir / "uploads").rglob("*") if p.is_file())
    refused = upload(client, h, photo("prairie_falcon.jpg"), style="sketch")
    assert refused.status_code == 429 and refused.json()["code"] == "too_many_renders"
    assert "Retry-After" in refused.headers
    assert client.get("/images", headers=h).json()["total"] == RENDERS
    assert sorted(p.name for p in (srv.data_dir / "uploads").rglob("*") if p.is_file()) == files_before


def test_a_batch_over_the_render_limit_is_refused_whole(limited):
    _, client = limited
    h = _headers(client)
    _fresh_window(3600, 30)
    assert upload(client, h, photo("prairie_falcon.jpg"), style="sketch").status_code == 202
    pictures = [("files", (f"p{i}.jpg", photo("prairie_falcon.jpg").read_bytes(), "image/jpeg")) for i in range(3)]
    refused = client.post("/batches", headers=h, files=pictures, data={"style": "sketch"})
    assert refused.status_code == 429 and refused.json()["code"] == "too_many_renders"
    assert "3 more renders" in refused.json()["message"]
    assert client.get("/images", headers=h).json()["total"] == 1  # no batch, no job of it
    ok = client.post("/batches", headers=h, files=pictures[:2], data={"style": "sketch"})
    assert ok.status_code == 202, ok.text


async def test_web_nodes_share_one_count_in_redis_and_it_is_exact_under_concurrency():
    prefix = f"toonify-test-rate-{uuid.uuid4().hex[:8]}"
    redis = Redis.from_url(REDIS_URL)
    await redis.ping()  # no Redis fails the run; it never skips
    try:
        # two web nodes: two clients, two counter objects, one Redis
        nodes = [ratelimit.RedisCounters(Redis.from_url(REDIS_URL), prefix) for _ in range(2)]
        user = uuid.uuid4().hex
        _fresh_window(60, 5)
        before = ratelimit.REQUESTS.allowed()
        override(rate_limit_requests=30)

        async def one(i: int) -> bool:
            ratelimit.counters = nodes[i % 2]
            try:
                await ratelimit.spend(ratelimit.REQUESTS, user)
            except DomainError as exc:
                assert exc.code == "too_many_requests"
                return False
            return True

        outcomes = await asyncio.gather(*(one(i) for i in range(50)))
        override(rate_limit_requests=before)
        assert sum(outcomes) == 30
        keys = [k async for k in redis.scan_iter(f"{prefix}:rate:*")]
        assert len(keys) == 1 and int(await redis.get(keys[0])) == 30  # refusals are not counted
        assert 0 < await redis.ttl(keys[0]) <= 65  # the window's counter goes away by itself
    finally:
        ratelimit.counters = ratelimit.MemoryCounters()
        async for key in redis.scan_iter(f"{prefix}:*"):
            await redis.delete(key)
        await redis.aclose()
