"""Cluster behaviour end to end: two web nodes, two workers, SeaweedFS, PostgreSQL, Redis.

The tests share one cluster (module scope) and run in file order; a test that kills a web node
or a worker starts it again, and the last one stops and restarts everything.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import os
import pathlib
import random
import signal
import threading
import time

import cv2
import httpx
import numpy as np
import pytest
from websockets.exceptions import ConnectionClosed
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


FINAL_CLOSE = {1000, 4401, 4403, 4404}  # static/live.js: close codes after which trying again cannot help


def backoff(n: int) -> float:
    """static/live.js's wait before reconnect attempt n: at once, then 0.25 s doubling to 8 s, with jitter."""
    return 0.0 if n == 0 else min(8.0, 0.25 * 2 ** (n - 1)) * (0.75 + random.random() / 2)


class Reconnecting(threading.Thread):
    """Follows /ws/jobs/{uuid} like the studio (static/live.js): when the socket drops before the
    end, it opens a new one after a backoff, on the next of `nodes` (a balancer's other address)."""

    def __init__(self, nodes, job_uuid: str, token: str, deadline: float = 120):
        super().__init__(daemon=True)
        self.urls = [f"{node.ws_url}/ws/jobs/{job_uuid}?token={token}" for node in nodes]
        self.messages: list[dict] = []
        self.connections: list[tuple[int, int | None]] = []  # (node index, close code) per socket
        self.opened = threading.Event()
        self.deadline = time.monotonic() + deadline

    def run(self) -> None:
        attempt, at, ended = 0, 0, False
        while not ended and time.monotonic() < self.deadline:
            try:
                with connect(self.urls[at], max_size=None, open_timeout=5) as ws:
                    self.connections.append((at, None))
                    self.opened.set()
                    try:
                        for raw in ws:
                            attempt = 0  # the server answered
                            seen = {"_node": at, "_t": time.monotonic()}
                            if isinstance(raw, bytes):
                                header, data = unpack(raw)
                                self.messages.append({**header, "_bytes": len(data), **seen})
                            else:
                                message = json.loads(raw)
                                self.messages.append({**message, **seen})
                                ended = ended or message.get("status") in ("DONE", "FAILED")
                    except ConnectionClosed:
                        pass
                    code = ws.close_code
                    self.connections[-1] = (at, code)
                    if code in FINAL_CLOSE:
                        return
            except (OSError, ConnectionClosed, TimeoutError):
                pass  # refused, reset or no handshake: that address is down
            if ended:
                return
            at = (at + 1) % len(self.urls)
            attempt += 1
            time.sleep(backoff(attempt))

    @property
    def statuses(self) -> list[dict]:
        return [m for m in self.messages if m.get("type") == "status"]

    def finished(self, timeout: float = 90) -> Reconnecting:
        self.join(timeout)
        assert not self.is_alive(), f"the follower did not end: {self.connections} {self.messages[-3:]}"
        return self


class Preview:
    """A studio /ws/preview session: on a dropped socket it reconnects (backoff, the other address)
    and re-sends its source, as docs/protocol.md "Re-opening the source" says the studio does."""

    def __init__(self, nodes, token: str, source: bytes | str):
        self.urls = [f"{node.ws_url}/ws/preview?token={token}" for node in nodes]
        self.source = source  # image bytes, or a job uuid to `open`
        self.at = 0
        self.ws = None
        self.reconnects = 0
        self.sockets = contextlib.ExitStack()

    def connect(self, timeout: float = 30) -> dict:
        """Open a session on the current address (or the next ones) and load the source: `ready`."""
        deadline, attempt = time.monotonic() + timeout, 0
        while True:
            try:
                ws = self.sockets.enter_context(connect(self.urls[self.at], max_size=None, open_timeout=5))
                break
            except (OSError, ConnectionClosed, TimeoutError):
                if time.monotonic() > deadline:
                    raise
                self.at = (self.at + 1) % len(self.urls)
                attempt += 1
                time.sleep(backoff(attempt))
        self.ws = ws
        if isinstance(self.source, bytes):
            ws.send(json.dumps({"type": "source", "filename": "photo.jpg"}))
            ws.send(self.source)
        else:
            ws.send(json.dumps({"type": "open", "job": self.source}))
        ready = self.receive(lambda m: m.get("type") in ("ready", "error"))
        assert ready["type"] == "ready", ready
        return ready

    def receive(self, pred, timeout: float = 30) -> dict:
        assert self.ws is not None
        deadline = time.monotonic() + timeout
        while True:
            raw = self.ws.recv(timeout=max(0.01, deadline - time.monotonic()))
            if isinstance(raw, bytes):
                header, data = unpack(raw)
                message = {**header, "_data": data}
            else:
                message = json.loads(raw)
            if pred(message):
                return message

    def render(self, seq: int, style: str = "cartoon") -> dict:
        """A final frame of request `seq`; a dropped socket is reopened (source re-sent) and the
        request made again in the new session."""
        while True:
            try:
                if self.ws is None:
                    self.connect()
                    self.reconnects += 1
                assert self.ws is not None
                self.ws.send(json.dumps({"type": "render", "seq": seq, "style": style, "params": {}}))
                return self.receive(lambda m: m.get("type") == "frame" and m["seq"] == seq and m["final"])
            except ConnectionClosed:
                self.ws = None
                self.at = (self.at + 1) % len(self.urls)
                time.sleep(backoff(1))

    def close(self) -> None:
        self.sockets.close()


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


def _children(pid: int) -> list[int]:
    try:
        return [int(k) for k in pathlib.Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


def _running(pid: int) -> bool:
    """The process exists and is not a zombie (an orphan's zombie waits for init to reap it)."""
    try:
        return pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_a_web_node_killed_mid_job_its_clients_reconnect_to_the_other_and_see_the_end(cluster, node_a, node_b):
    a = cluster.nodes[0]
    u = new_user(node_a)
    token = u["tokens"]["access_token"]
    job = upload(node_a, u["headers"], None, style="oil_painting", filename="big.jpg", content=big_photo(4000)).json()
    follower = Reconnecting(cluster.nodes, job["uuid"], token)
    follower.start()
    assert follower.opened.wait(10)
    # two studio sessions on node A: a photo sent as bytes, and the job's original opened by uuid
    sent = Preview(cluster.nodes, token, photo("portrait.jpg").read_bytes())
    opened = Preview(cluster.nodes, token, job["uuid"])
    try:
        for session in (sent, opened):
            session.connect()
            assert session.render(1)["_data"] and session.at == 0
        # node A passes the worker's progress on: the job is mid-render
        wait_for(
            lambda: any(s["status"] == "PROCESSING" and s["progress"] > 0 for s in follower.statuses),
            "progress of the job on node A",
            timeout=60,
            every=0.02,
        )
        pool = _children(a.proc.pid)
        assert pool, "node A runs its preview renderers"
        os.kill(a.proc.pid, signal.SIGKILL)
        a.proc.wait(10)
        killed = time.monotonic()
        if node_b.get(f"/images/{job['uuid']}", headers=u["headers"]).json()["status"] == "DONE":
            pytest.fail("the job finished before node A was killed; the test could not interrupt it")

        # the previews: each socket dropped; reopened on node B, the source sent again, a final frame
        for session in (sent, opened):
            frame = session.render(2, style="sketch")
            assert session.reconnects == 1 and session.at == 1
            assert frame["final"] and io.decode(frame["_data"]) is not None
        reopened = time.monotonic() - killed

        follower.finished(timeout=90)
        assert [at for at, _ in follower.connections] == [0, 1], follower.connections
        assert follower.connections[-1][1] == 1000, follower.connections
        statuses = follower.statuses
        assert [s["status"] for s in statuses].count("DONE") == 1 and statuses[-1]["status"] == "DONE", statuses
        assert statuses[-1]["_node"] == 1 and "FAILED" not in [s["status"] for s in statuses]
        finals = [m for m in follower.messages if m.get("type") == "frame" and m["final"]]
        assert len(finals) == 1 and finals[0]["_node"] == 1
        sd = node_b.get(f"/images/{job['uuid']}/processed", headers=u["headers"])
        assert sd.status_code == 200 and io.decode(sd.content) is not None
        original = node_b.get(f"/images/{job['uuid']}/original", headers=u["headers"])
        assert original.status_code == 200 and original.content
        # node A's renderers did not outlive it
        wait_for(lambda: not any(_running(pid) for pid in pool), "node A's pool processes exiting", timeout=30)
        done_after = statuses[-1]["_t"] - killed
        print(f"\nnode A killed: previews reopened on B in {reopened:.2f}s, job DONE on B {done_after:.2f}s later")
    finally:
        sent.close()
        opened.close()
        if a.proc.poll() is not None:
            a.start()  # the cluster is whole again for the next test
    assert node_a.get("/ready").json() == {"status": "ready", "failing": []}


def test_a_job_whose_every_delivery_is_killed_ends_failed_once_with_a_sentence(cluster, node_a, node_b):
    u = new_user(node_a)
    token = u["tokens"]["access_token"]
    job = upload(node_b, u["headers"], None, style="oil_painting", filename="big.jpg", content=big_photo(4000)).json()
    followers = [Follow(node, job["uuid"], token) for node in cluster.nodes]
    for follower in followers:
        follower.start()
        assert follower.opened.wait(10)

    def delivery(after: int):
        """The job taken by a live worker for delivery number `after + 1`: (SAQ job, worker)."""
        queued = cluster.queue_job(job["uuid"])
        if not (queued and queued.status == "active" and queued.attempts > after and queued.worker_id):
            return None
        return next(((queued, w) for w in cluster.workers if queued.worker_id.endswith(f":{w.pid}")), None)

    from app.lib.settings import Settings

    allowed = int(cluster.env.get("TOONIFY_RENDER_ATTEMPTS", Settings.render_attempts))
    started = time.monotonic()
    replacements: list[threading.Thread] = []
    redelivered: list[float] = []  # seconds from a SIGKILL to the next delivery being taken
    attempts, killed = 0, None
    try:
        while True:
            taken = functools.partial(delivery, attempts)
            queued, victim = wait_for(taken, f"delivery {attempts + 1}", timeout=30, every=0.02)
            if killed is not None:
                redelivered.append(time.monotonic() - killed)
            os.kill(victim.pid, signal.SIGKILL)
            killed = time.monotonic()
            victim.proc.wait(10)
            assert queued.attempts == attempts + 1 and queued.retries == allowed, (queued.attempts, queued.retries)
            attempts = queued.attempts
            fresh = threading.Thread(target=victim.start, daemon=True)  # a fresh worker in its place
            fresh.start()
            replacements.append(fresh)
            if attempts == allowed:  # the configured attempts (TOONIFY_RENDER_ATTEMPTS) are used
                break
            row = node_a.get(f"/images/{job['uuid']}", headers=u["headers"]).json()
            assert row["status"] in ("QUEUED", "PROCESSING"), row

        failed = wait_done(node_a, u["headers"], job["uuid"], timeout=30)
        to_failed = time.monotonic() - killed
    finally:
        for fresh in replacements:
            fresh.join(60)  # the cluster is whole again for the next test
    assert all(w.proc.poll() is None for w in cluster.workers)
    assert failed["status"] == "FAILED", failed
    message = failed["error_message"]
    assert message == f"Rendering failed {attempts} times (last: the worker rendering it stopped). Please try again."
    assert not failed["output_width"] and failed["processed_at"]
    final = cluster.queue_job(job["uuid"])
    assert final.status == "aborted" and final.attempts == final.retries == attempts

    for follower in followers:
        follower.finished(timeout=30)
        terminal = [s for s in follower.statuses if s["status"] in ("DONE", "FAILED")]
        assert len(terminal) == 1 and terminal[0]["status"] == "FAILED", follower.statuses
        assert terminal[0]["error"] == message and follower.statuses[-1] is terminal[0]
        assert not any(m.get("type") == "frame" and m["final"] for m in follower.messages)
    refused = node_b.get(f"/images/{job['uuid']}/processed", headers=u["headers"])
    assert refused.status_code == 409 and message in refused.json()["message"], refused.text
    # the original stays (the person may try again); nothing rendered reached the bucket
    assert {k for k in cluster.objects() if job["uuid"] in k} == {f"media/uploads/{job['uuid']}.jpg"}
    print(
        f"\n{attempts} deliveries killed; redelivered after {', '.join(f'{t:.1f}s' for t in redelivered)};"
        f" FAILED {to_failed:.1f}s after the last kill, {time.monotonic() - started:.1f}s in all"
    )


def test_a_job_whose_sweeper_died_mid_abort_is_found_and_finished_by_the_reconciler(cluster, node_a):
    """A worker sweeping a dead worker's job marks it ABORTING, takes it off the active list and
    waits for the abort; killed in that wait, it leaves the job in no queue list. Reproduced
    exactly: the job's worker and every other worker are SIGKILLed, then the sweep's first step
    (RedisQueue.abort, SAQ's own call) is made and nothing follows it. Fresh workers start, and
    their reconciler must queue the job again; it ends DONE once."""
    from redis.asyncio import Redis

    from app.render.queue import make_queue
    from tests.cluster.conftest import REDIS_URL

    u = new_user(node_a)
    job = upload(node_a, u["headers"], None, style="oil_painting", filename="big.jpg", content=big_photo(3000)).json()
    follower = Follow(cluster.nodes[1], job["uuid"], u["tokens"]["access_token"])
    follower.start()
    assert follower.opened.wait(10)
    wait_for(lambda: (q := cluster.queue_job(job["uuid"])) and q.status == "active", "the job taken", timeout=60)
    for worker in cluster.workers:
        os.kill(worker.pid, signal.SIGKILL)
        worker.proc.wait(10)

    async def abort_like_a_dying_sweeper() -> tuple[str, bool]:
        queue = make_queue(Redis.from_url(REDIS_URL), cluster.prefix)
        try:
            stuck = await queue.job(job["uuid"])
            await queue.abort(stuck, error="the worker rendering it stopped")
            lists = [queue._active, queue._queued]  # the names SAQ keeps its lists under
            listed = [await queue.redis.lrange(name, 0, -1) for name in lists]
            return (await queue.job(job["uuid"])).status, any(stuck.id.encode() in ids for ids in listed)
        finally:
            await queue.disconnect()

    status, listed = asyncio.run(abort_like_a_dying_sweeper())
    assert status == "aborting" and not listed
    threads = [threading.Thread(target=w.start, daemon=True) for w in cluster.workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90)
    done = wait_done(node_a, u["headers"], job["uuid"], timeout=90)
    assert done["status"] == "DONE", done
    follower.finished(timeout=30)
    assert [s["status"] for s in follower.statuses].count("DONE") == 1


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
