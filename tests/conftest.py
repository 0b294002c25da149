"""Shared fixtures: a real `toonify serve` process per database backend, and HTTP helpers.

The integration tests run once against SQLite and once against PostgreSQL
(TOONIFY_TEST_POSTGRES, default the local server). A missing PostgreSQL fails the run.
"""

from __future__ import annotations

import concurrent.futures
import os
import pathlib
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlparse

import httpx
import pytest

from tests.fake_stripe import FakeStripe

ROOT = pathlib.Path(__file__).resolve().parents[1]
PG_URL = os.environ.get("TOONIFY_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pg_admin(sql: str) -> None:
    import asyncio

    import asyncpg

    async def run():
        p = urlparse(PG_URL)
        try:
            conn = await asyncpg.connect(
                host=p.hostname,
                port=p.port or 5432,
                user=p.username or "postgres",
                password=p.password,
                database=(p.path or "/postgres").lstrip("/"),
                timeout=5,
            )
        except (OSError, asyncpg.PostgresError) as exc:
            pytest.fail(f"PostgreSQL at {PG_URL} is required for these tests and is not reachable: {exc}")
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    # in a thread of its own: callers may already run inside an event loop (Playwright's, pytest-asyncio's)
    with concurrent.futures.ThreadPoolExecutor(1) as ex:
        ex.submit(asyncio.run, run()).result()


@dataclass
class Server:
    backend: str
    data_dir: pathlib.Path
    env: dict
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def start(self) -> Server:
        log = open(self.data_dir / "server.log", "ab")  # noqa: SIM115 (the server process owns it until it stops)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--port", str(self.port)],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_tail()}")
            try:
                # ready, not only alive: its preview workers have warmed up
                if httpx.get(self.url + "/ready", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"server did not start: {self.log_tail()}")

    def stop(self, kill: bool = False) -> None:
        stop_process(self.proc, kill, grace=15)

    def log_tail(self) -> str:
        return (self.data_dir / "server.log").read_text(errors="replace")[-3000:]

    def worker_pids(self, lane: str = "jobs") -> list[int]:
        """The server's pool processes of a lane, from /proc (no endpoint shows process ids):
        the jobs lane runs 10 nicer than the server, the preview lane as nice as it (pytest
        itself may run under `nice`)."""
        assert self.proc is not None
        pid = self.proc.pid

        def nice_of(stat: str) -> int:
            return int(stat.rsplit(")", 1)[1].split()[16])

        own = nice_of(pathlib.Path(f"/proc/{pid}/stat").read_text())
        kids = pathlib.Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        found = []
        for kid in kids:
            try:
                stat = pathlib.Path(f"/proc/{kid}/stat").read_text()
                cmdline = pathlib.Path(f"/proc/{kid}/cmdline").read_bytes()
            except FileNotFoundError:
                continue
            nicer = nice_of(stat) > own
            if b"spawn_main" in cmdline and b"resource_tracker" not in cmdline and nicer == (lane == "jobs"):
                found.append(int(kid))
        return found


def stop_process(proc: subprocess.Popen | None, kill: bool = False, grace: float = 15) -> None:
    """Stop a process the tests started: at once (kill) or politely, then for sure."""
    if proc and proc.poll() is None:
        if kill:
            proc.kill()
        else:
            proc.terminate()
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def make_server(backend: str, tmp: pathlib.Path, **extra: str) -> Server:
    data = tmp / f"data-{backend}"
    data.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOONIFY_")}
    env.update(
        {
            "TOONIFY_DATA_DIR": str(data),
            "TOONIFY_POOL_SIZE": "2",
            "TOONIFY_PREVIEW_WORKERS": "2",
            "TOONIFY_LOGIN_LOCK_SECONDS": "2",
            # the shared servers serve whole suites (the fuzzer alone sends thousands of requests
            # as one user); tests/integration/test_rate_limits.py runs its own with low limits
            "TOONIFY_RATE_LIMIT_REQUESTS": "1000000",
            "TOONIFY_RATE_LIMIT_RENDERS": "1000000",
            "PYTHONUNBUFFERED": "1",
        }
    )
    if backend == "postgres":
        name = f"toonify_test_{uuid.uuid4().hex[:10]}"
        _pg_admin(f'CREATE DATABASE "{name}"')
        p = urlparse(PG_URL)
        env["TOONIFY_DATABASE_URL"] = p._replace(path="/" + name).geturl()
    env.update(extra)
    return Server(backend, data, env)


def drop_database(server: Server) -> None:
    url = server.env.get("TOONIFY_DATABASE_URL", "")
    if url.startswith("postgres"):
        name = urlparse(url).path.lstrip("/")
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def server(request, tmp_path_factory):
    srv = make_server(request.param, tmp_path_factory.mktemp(request.param))
    srv.start()
    yield srv
    srv.stop()
    drop_database(srv)


@pytest.fixture()
def client(server):
    with httpx.Client(base_url=server.url, timeout=30) as c:
        yield c


def new_user(client: httpx.Client, password: str = "correct horse 1") -> dict:
    """Register and log in a fresh user; returns headers, tokens and the credentials."""
    email = f"u{uuid.uuid4().hex[:10]}@example.com"
    r = client.post("/auth/register", json={"email": email, "password": password, "full_name": "Test User"})
    assert r.status_code == 201, r.text
    tokens = client.post("/auth/login", json={"email": email, "password": password}).json()
    return {
        "email": email,
        "password": password,
        "tokens": tokens,
        "headers": {"Authorization": f"Bearer {tokens['access_token']}"},
    }


@pytest.fixture()
def user(client):
    return new_user(client)


def upload(client, headers, path, style="cartoon", params=None, filename="photo.jpg", content=None):
    """POST /images/transform with a file (from `path`, or raw `content`)."""
    import json

    if path is not None:
        content, filename = (
            pathlib.Path(path).read_bytes(),
            (filename if filename != "photo.jpg" else pathlib.Path(path).name),
        )
    files = {"file": (filename, content, "application/octet-stream")}
    form = {"style": style}
    if params is not None:
        form["params"] = params if isinstance(params, str) else json.dumps(params)
    return client.post("/images/transform", headers=headers, files=files, data=form)


def wait_done(client, headers, job_uuid, timeout=60.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/images/{job_uuid}", headers=headers).json()
        if job["status"] in ("DONE", "FAILED"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_uuid} did not finish in {timeout}s: {job}")


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def paid(request, tmp_path_factory):
    """(server, fake stripe) with payments on."""
    fake = FakeStripe(api_key="sk_test_toonify", webhook_secret="whsec_toonify").start()
    srv = make_server(
        request.param,
        tmp_path_factory.mktemp("paid-" + request.param),
        TOONIFY_STRIPE_SECRET_KEY=fake.api_key,
        TOONIFY_STRIPE_WEBHOOK_SECRET=fake.webhook_secret,
        TOONIFY_STRIPE_PUBLISHABLE_KEY="pk_test_toonify",
        TOONIFY_STRIPE_API_BASE=fake.url,
        TOONIFY_HD_PRICE_CENTS="499",
        TOONIFY_CURRENCY="eur",
        TOONIFY_PREVIEW_WORKERS="1",
    )
    srv.start()
    yield srv, fake
    srv.stop()
    drop_database(srv)
    fake.stop()
