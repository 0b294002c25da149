"""Cluster behaviour end to end: two web nodes, two workers, SeaweedFS, PostgreSQL, Redis.

The tests share one cluster (module scope) and run in file order; the last one stops and
restarts everything.
"""

from __future__ import annotations

import json
import os
import signal
import threading

import cv2
import httpx
import numpy as np
import pytest
from websockets.sync.client import connect

from app.live.frames import unpack
from effects import io
from tests.cluster.conftest import wait_for
from tests.conftest import new_user, upload, wait_done
from tests.imaging import photo
from tests.integration.test_payments import open_intent, post_event


class Follow(threading.Thread):
    """Follows /ws/jobs/{uuid} on one node until the server closes it; keeps every message."""

    def __init__(self, node, job_uuid: str, token: str):
        super().__init__(daemon=True)
        self.url = f"{node.ws_url}/ws/jobs/{job_uuid}?token={token}"
        self.messages: list[dict] = []
        self.opened = threading.Event()

    def run(self) -> None:
        with connect(self.url, max_size=None, open_timeout=10) as ws:
            self.opened.set()
            for raw in ws:
                if isinstance(raw, bytes):
                    header, data = unpack(raw)
                    self.messages.append({**header, "_bytes": len(data)})
                else:
                    self.messages.append(json.loads(raw))

    @property
    def statuses(self) -> list[dict]:
        return [m for m in self.messages if m.get("type") == "status"]

    def finished(self, timeout: float = 90) -> Follow:
        self.join(timeout)
        assert not self.is_alive(), f"the follower was not closed: {self.messages[-3:]}"
        return self


def big_photo(side: int = 3600) -> bytes:
    """A large busy picture: slow enough to render that a worker can be killed in the middle."""
    rng = np.random.default_rng(7)
    base = cv2.resize(cv2.imread(str(photo("book-beside-flowers.jpg"))), (side, side))
    noise = rng.integers(0, 40, base.shape, dtype=np.uint8)
    return cv2.imencode(".jpg", cv2.add(base, noise), [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes()


def test_a_job_made_on_one_node_is_followed_downloaded_and_deleted_on_the_other(cluster, node_a, node_b):
    u = new_user(node_a)
    original = photo("book-beside-flowers.jpg").read_bytes()
    job = upload(node_a, u["headers"], None, style="cartoon", filename="flowers.jpg", content=original).json()
    follower = Follow(cluster.nodes[1], job["uuid"], u["tokens"]["access_token"])
    follower.start()
    assert follower.opened.wait(10)
    follower.finished()
    statuses = follower.statuses
    assert statuses[-1]["status"] == "DONE", statuses
    assert [s["status"] for s in statuses].count("DONE") == 1
    assert "PROCESSING" in [s["status"] for s in statuses], "node B heard the worker's progress"
    frames = [m for m in follower.messages if m.get("type") == "frame"]
    assert frames and frames[-1]["final"] and sum(f["final"] for f in frames) == 1

    # node B serves every file of the job, streamed from the bucket
    got = node_b.get(f"/images/{job['uuid']}/original", headers=u["headers"])
    assert got.status_code == 200 and got.content == original
    sd = node_b.get(f"/images/{job['uuid']}/processed", headers=u["headers"])
    assert sd.status_code == 200 and max(io.decode(sd.content).shape[:2]) == 1024
    assert node_b.get(f"/images/{job['uuid']}/processed?size=hd", headers=u["headers"]).status_code == 402
    thumb = node_b.get(f"/images/{job['uuid']}/thumbnail", headers=u["headers"])
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    stranger = new_user(node_b)
    assert node_b.get(f"/images/{job['uuid']}/original", headers=stranger["headers"]).status_code == 404
    keys = {k for k in cluster.objects() if job["uuid"] in k}
    assert len(keys) == 5, keys  # original, result, SD copy, two thumbnails

    assert node_a.delete(f"/images/{job['uuid']}", headers=u["headers"]).status_code == 204
    assert node_b.get(f"/images/{job['uuid']}", headers=u["headers"]).status_code == 404
    assert not {k for k in cluster.objects() if job["uuid"] in k}


def test_a_webhook_delivered_to_node_b_unlocks_hd_for_a_job_made_on_node_a(cluster, node_a, node_b):
    u = new_user(node_a)
    job = upload(node_a, u["headers"], photo("book-beside-flowers.jpg"), style="sketch").json()
    done = wait_done(node_a, u["headers"], job["uuid"])
    assert done["status"] == "DONE"
    pid = open_intent(node_a, u, job["uuid"])
    r = post_event(node_b, cluster.fake, cluster.fake.event("payment_intent.succeeded", cluster.fake.confirm(pid)))
    assert r.status_code == 200 and r.json()["handled"], r.text
    hd = node_a.get(f"/images/{job['uuid']}/processed?size=hd", headers=u["headers"])
    assert hd.status_code == 200
    assert io.decode(hd.content).shape[:2] == (done["output_height"], done["output_width"])


def test_a_studio_photo_kept_on_one_node_is_served_by_the_other(cluster, node_a, node_b):
    u = new_user(node_a)
    node_a.post("/login", data={"email": u["email"], "password": u["password"]})  # the studio's cookie
    node_b.cookies.update(node_a.cookies)
    data = photo("prairie_falcon.jpg").read_bytes()
    put = node_a.post("/toonify/photo?name=falcon.jpg", content=data)
    assert put.status_code == 201, put.text
    key = put.json()["photo"]
    assert node_b.get(f"/toonify/photo/{key}").content == data
    page = node_b.get(f"/toonify?photo={key}").text
    assert f'data-photo-id="{key}"' in page and "falcon.jpg" in page
    assert any(k.endswith(f"{key}.jpg") for k in cluster.objects())  # in the bucket, not on a node
    node_b.cookies.clear()
    stranger = new_user(node_b)
    node_b.post("/login", data={"email": stranger["email"], "password": stranger["password"]})
    assert node_b.get(f"/toonify/photo/{key}").status_code == 404


def test_a_worker_killed_mid_job_loses_nothing_and_the_job_ends_done_once(cluster, node_a, node_b):
    u = new_user(node_a)
    job = upload(node_a, u["headers"], None, style="oil_painting", filename="big.jpg", content=big_photo()).json()
    follower = Follow(cluster.nodes[1], job["uuid"], u["tokens"]["access_token"])
    follower.start()
    assert follower.opened.wait(10)

    def holder():
        queued = cluster.queue_job(job["uuid"])
        return queued and queued.status == "active" and queued.worker_id

    worker_id = wait_for(holder, "a worker taking the job", timeout=60, every=0.02)
    victim = next(w for w in cluster.workers if worker_id.endswith(f":{w.pid}"))
    os.kill(victim.pid, signal.SIGKILL)
    victim.proc.wait(10)
    if node_a.get(f"/images/{job['uuid']}", headers=u["headers"]).json()["status"] == "DONE":
        pytest.fail("the job finished before the kill landed; the test could not interrupt it")

    follower.finished(timeout=120)
    done = wait_done(node_a, u["headers"], job["uuid"], timeout=10)
    assert done["status"] == "DONE", done
    again = cluster.queue_job(job["uuid"])
    assert again.attempts == 2 and again.worker_id != worker_id, (again.attempts, again.worker_id)
    statuses = follower.statuses
    assert [s["status"] for s in statuses].count("DONE") == 1
    progress = [s["progress"] for s in statuses if s["status"] == "PROCESSING"]
    assert progress == sorted(progress) and len(progress) == len(set(progress)), "no step shown twice"
    assert sum(1 for m in follower.messages if m.get("type") == "frame" and m["final"]) == 1
    sd = node_b.get(f"/images/{job['uuid']}/processed", headers=u["headers"])
    assert sd.status_code == 200 and io.decode(sd.content) is not None
    victim.start()  # the cluster is whole again for the next test


def test_a_batch_and_a_share_made_on_one_node_are_served_by_the_other(cluster, node_a, node_b):
    import io as _io
    import zipfile

    from tests.integration.test_batches import files_of, post_batch, wait_batch

    u = new_user(node_a)
    created = post_batch(node_a, u["headers"], files_of("book-beside-flowers.jpg", "denali.webp")).json()
    batch = wait_batch(node_b, u["headers"], created["uuid"])
    assert batch["status"] == "DONE", batch
    z = node_b.get(f"/batches/{created['uuid']}/zip", headers=u["headers"])
    archive = zipfile.ZipFile(_io.BytesIO(z.content))
    assert archive.testzip() is None and len(archive.namelist()) == 2
    for name in archive.namelist():
        assert io.decode(archive.read(name)) is not None

    job = batch["jobs"][0]["uuid"]
    link = node_a.post(f"/images/{job}/share", headers=u["headers"], json={}).json()
    token = link["url"].rsplit("/", 1)[1]
    with httpx.Client(base_url=cluster.nodes[1].url, timeout=30) as anonymous:
        assert anonymous.get(f"/s/{token}").status_code == 200
        picture = anonymous.get(f"/s/{token}/{link['image_url'].rsplit('/', 1)[1]}")
        assert picture.status_code == 200 and max(io.decode(picture.content).shape[:2]) == 1024
        before = anonymous.get(f"/s/{token}/before.jpg")
        assert before.status_code == 200 and io.decode(before.content) is not None


def test_failed_logins_on_one_node_throttle_the_others(cluster, node_a, node_b):
    u = new_user(node_a)
    for node in (node_a, node_b, node_a, node_b, node_a):  # 5 failures, spread over both nodes
        assert node.post("/auth/login", json={"email": u["email"], "password": "bad guess!"}).status_code == 401
    for node in (node_a, node_b):
        r = node.post("/auth/login", json={"email": u["email"], "password": u["password"]})
        assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1, r.text
    other = new_user(node_b)  # another account from the same address is not locked
    assert node_a.post("/auth/login", json={"email": other["email"], "password": other["password"]}).status_code == 200


def test_ready_metrics_and_health_show_no_secrets(cluster, node_a):
    ready = node_a.get("/ready")
    assert ready.status_code == 200 and ready.json() == {"status": "ready", "failing": []}
    health = node_a.get("/health").json()
    assert health == {"status": "ok"}
    text = node_a.get("/metrics").text
    for name in ("toonify_http_request_seconds", "toonify_queue_depth", "toonify_pool_busy_workers"):
        assert name in text
    assert 'route="/images/{job_id}"' in text  # route templates, never ids
    for secret in ("toonify-test-secret", "whsec_toonify", "sk_test_toonify"):
        assert secret not in ready.text + text


def test_stop_everything_and_start_again_loses_no_job_or_file(cluster, node_a, node_b):
    u = new_user(node_a)
    finished = upload(node_a, u["headers"], photo("denali.webp"), style="pop_art").json()
    assert wait_done(node_a, u["headers"], finished["uuid"])["status"] == "DONE"
    for worker in cluster.workers:
        worker.stop()
    # with no worker, web nodes render nothing: the jobs wait, QUEUED
    waiting = [upload(node, u["headers"], photo("portrait.jpg"), style="sketch").json() for node in (node_a, node_b)]
    gone = upload(node_a, u["headers"], photo("portrait.jpg"), style="watercolor").json()
    for node in cluster.nodes:
        node.stop()
    cluster.weed.stop()

    # while everything is down, the queue gives up on one job (as after its last failed delivery)
    import asyncio

    from redis.asyncio import Redis
    from saq.job import Status

    from app.render.queue import make_queue
    from tests.cluster.conftest import REDIS_URL

    async def give_up(job_uuid: str) -> None:
        queue = make_queue(Redis.from_url(REDIS_URL), cluster.prefix)
        try:
            job = await queue.job(job_uuid)
            assert job is not None and job.status == Status.QUEUED
            job.attempts = job.retries
            await queue.abort(job, error="the worker rendering it stopped")
        finally:
            await queue.disconnect()

    asyncio.run(give_up(gone["uuid"]))

    cluster.weed.start()
    cluster.start_nodes()
    for job in [*waiting, gone]:
        assert node_b.get(f"/images/{job['uuid']}", headers=u["headers"]).json()["status"] == "QUEUED"
    cluster.start_workers()
    for job in waiting:
        assert wait_done(node_b, u["headers"], job["uuid"])["status"] == "DONE"
    failed = wait_done(node_b, u["headers"], gone["uuid"], timeout=30)
    assert failed["status"] == "FAILED" and "the worker rendering it stopped" in failed["error_message"]
    for job in [finished, *waiting]:
        for path in ("original", "processed", "thumbnail"):
            for node in (node_a, node_b):
                r = node.get(f"/images/{job['uuid']}/{path}", headers=u["headers"])
                assert r.status_code == 200 and r.content, (job["uuid"], path, r.status_code)
    # the web nodes' own folders never held an original or a result
    for node in cluster.nodes:
        kept = [p for p in node.data_dir.rglob("*") if p.is_file() and p.suffix in (".jpg", ".png", ".webp")]
        assert not kept, kept


def test_a_node_refuses_to_start_without_its_services(cluster, tmp_path):
    import subprocess
    import sys

    from tests.conftest import ROOT, free_port

    env = {**cluster.env, "TOONIFY_DATA_DIR": str(tmp_path), "TOONIFY_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}
    for command in (["serve", "--port", str(free_port())], ["worker"]):
        r = subprocess.run(
            [sys.executable, "-m", "app.cli", *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
        )
        assert r.returncode == 1 and "cannot use Redis" in r.stderr, (command, r.stderr[-500:])
    env = {**cluster.env, "TOONIFY_DATA_DIR": str(tmp_path), "AWS_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}"}
    r = subprocess.run(
        [sys.executable, "-m", "app.cli", "worker"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=90
    )
    assert r.returncode == 1 and "cannot use the bucket" in r.stderr, r.stderr[-500:]
    assert httpx.get(cluster.nodes[0].url + "/health").status_code == 200
