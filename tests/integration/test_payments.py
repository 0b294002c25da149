"""HD unlock payments: a server with payments on, talking to a local fake Stripe."""

from __future__ import annotations

import concurrent.futures as cf
import json
import time

import httpx
import pytest

from effects import io
from tests.conftest import new_user, upload, wait_done
from tests.imaging import photo


@pytest.fixture()
def pc(paid):
    with httpx.Client(base_url=paid[0].url, timeout=30) as c:
        yield c


@pytest.fixture()
def done_job(pc):
    """A user with one finished job larger than the SD size."""
    u = new_user(pc)
    job = upload(pc, u["headers"], photo("book-beside-flowers.jpg"), style="sketch").json()
    assert wait_done(pc, u["headers"], job["uuid"])["status"] == "DONE"
    return u, job["uuid"]


def post_event(client, fake, event: dict, signature: str | None = "sign", timestamp: int | None = None):
    payload = json.dumps(event)
    headers = {"Content-Type": "application/json"}
    if signature == "sign":
        headers["Stripe-Signature"] = fake.sign(payload, timestamp)
    elif signature is not None:
        headers["Stripe-Signature"] = signature
    return client.post("/payments/webhook", content=payload, headers=headers)


def open_intent(client, user, job) -> str:
    """POST /payments/create and return the Stripe PaymentIntent id behind it."""
    return (
        client.post("/payments/create", headers=user["headers"], json={"job": job})
        .json()["client_secret"]
        .split("_secret_")[0]
    )


def job_state(client, headers, job_uuid):
    return client.get(f"/images/{job_uuid}", headers=headers).json()


def test_locked_job_serves_sd_and_refuses_hd(pc, done_job):
    u, job = done_job
    sd = pc.get(f"/images/{job}/processed", headers=u["headers"])
    assert sd.status_code == 200 and max(io.decode(sd.content).shape[:2]) == 1024
    hd = pc.get(f"/images/{job}/processed?size=hd", headers=u["headers"])
    assert hd.status_code == 402 and "Unlock HD" in hd.json()["message"]


def test_create_returns_what_stripe_js_needs_and_reuses_the_open_intent(pc, paid, done_job):
    _, fake = paid
    u, job = done_job
    r1 = pc.post("/payments/create", headers=u["headers"], json={"job": job})
    assert r1.status_code == 200, r1.text
    body = r1.json()
    assert body["amount"] == 499 and body["currency"] == "eur" and body["status"] == "PENDING"
    assert body["client_secret"].startswith("pi_") and body["publishable_key"] == "pk_test_toonify"
    intent = fake.intents[body["client_secret"].split("_secret_")[0]]
    assert intent["metadata"] == {"job": job, "user": pc.get("/users/me", headers=u["headers"]).json()["uuid"]}
    r2 = pc.post("/payments/create", headers=u["headers"], json={"job": job})
    assert r2.json()["uuid"] == body["uuid"] and r2.json()["client_secret"] == body["client_secret"]
    assert len([i for i in fake.intents.values() if i["metadata"].get("job") == job]) == 1


def test_concurrent_creates_make_one_charge(pc, paid, done_job):
    _, fake = paid
    u, job = done_job
    with cf.ThreadPoolExecutor(6) as ex:
        bodies = list(
            ex.map(lambda _: pc.post("/payments/create", headers=u["headers"], json={"job": job}).json(), range(6))
        )
    assert len({b["uuid"] for b in bodies}) == 1
    assert len([i for i in fake.intents.values() if i["metadata"].get("job") == job]) == 1


def test_unlock_through_the_webhook(pc, paid, done_job):
    _, fake = paid
    u, job = done_job
    pid = open_intent(pc, u, job)
    assert not job_state(pc, u["headers"], job)["is_hd_unlocked"]
    intent = fake.confirm(pid)
    r = post_event(pc, fake, fake.event("payment_intent.succeeded", intent))
    assert r.status_code == 200 and r.json()["handled"] is True
    assert job_state(pc, u["headers"], job)["is_hd_unlocked"]
    hd = pc.get(f"/images/{job}/processed?size=hd", headers=u["headers"])
    original = io.decode(photo("book-beside-flowers.jpg").read_bytes()).shape[:2]
    assert hd.status_code == 200 and io.decode(hd.content).shape[:2] == original


def test_unlock_through_confirm_asks_stripe_not_the_client(pc, paid, done_job):
    _, fake = paid
    u, job = done_job
    pid = open_intent(pc, u, job)
    r = pc.post("/payments/confirm", headers=u["headers"], json={"job": job})
    assert r.status_code == 200 and r.json()["status"] == "PENDING" and not r.json()["is_hd_unlocked"]
    fake.confirm(pid)
    r = pc.post("/payments/confirm", headers=u["headers"], json={"job": job})
    assert r.json()["status"] == "SUCCEEDED" and r.json()["is_hd_unlocked"]
    assert pc.post("/payments/create", headers=u["headers"], json={"job": job}).status_code == 409


@pytest.mark.parametrize("signature", [None, "t=123,v1=deadbeef", "garbage"])
def test_bad_or_missing_signatures_change_nothing(pc, paid, done_job, signature):
    _, fake = paid
    u, job = done_job
    pid = open_intent(pc, u, job)
    r = post_event(pc, fake, fake.event("payment_intent.succeeded", fake.confirm(pid)), signature=signature)
    assert r.status_code == 400 and r.json()["code"] == "bad_signature"
    assert not job_state(pc, u["headers"], job)["is_hd_unlocked"]


def test_wrong_secret_and_stale_timestamps_are_refused(pc, paid, done_job):
    _, fake = paid
    u, job = done_job
    pid = open_intent(pc, u, job)
    event = fake.event("payment_intent.succeeded", fake.confirm(pid))
    payload = json.dumps(event)
    forged = pc.post(
        "/payments/webhook", content=payload, headers={"Stripe-Signature": fake.sign(payload, secret="whsec_attacker")}
    )
    assert forged.status_code == 400
    stale = post_event(pc, fake, event, timestamp=int(time.time()) - 3600)
    assert stale.status_code == 400 and "tolerance" in stale.json()["message"]
    tampered = pc.post(
        "/payments/webhook",
        content=payload.replace('"amount": 499', '"amount": 1'),
        headers={"Stripe-Signature": fake.sign(payload)},
    )
    assert tampered.status_code == 400
    assert not job_state(pc, u["headers"], job)["is_hd_unlocked"]


def test_duplicate_and_concurrent_deliveries_apply_once(pc, paid, done_job):
    _, fake = paid
    u, job = done_job
    pid = open_intent(pc, u, job)
    event = fake.event("payment_intent.succeeded", fake.confirm(pid))
    with cf.ThreadPoolExecutor(8) as ex:
        results = list(ex.map(lambda _: post_event(pc, fake, event), range(8)))
    assert all(r.status_code == 200 for r in results)
    assert sum(r.json()["handled"] for r in results) == 1
    assert post_event(pc, fake, event).json()["handled"] is False
    assert job_state(pc, u["headers"], job)["is_hd_unlocked"]


def test_failed_payment_keeps_hd_locked_and_can_be_retried(pc, paid, done_job):
    _, fake = paid
    u, job = done_job
    first = pc.post("/payments/create", headers=u["headers"], json={"job": job}).json()
    pid = first["client_secret"].split("_secret_")[0]
    declined = fake.confirm(pid, "pm_card_chargeDeclined")
    r = post_event(pc, fake, fake.event("payment_intent.payment_failed", declined))
    assert r.json()["handled"] is True
    assert not job_state(pc, u["headers"], job)["is_hd_unlocked"]
    again = pc.post("/payments/create", headers=u["headers"], json={"job": job}).json()
    assert again["uuid"] == first["uuid"]  # the same intent can still be paid
    post_event(pc, fake, fake.event("payment_intent.succeeded", fake.confirm(pid)))
    assert job_state(pc, u["headers"], job)["is_hd_unlocked"]


def test_refund_locks_hd_again_and_out_of_order_success_does_not_reopen(pc, paid, done_job):
    _, fake = paid
    u, job = done_job
    pid = open_intent(pc, u, job)
    succeeded = fake.event("payment_intent.succeeded", fake.confirm(pid))
    post_event(pc, fake, succeeded)
    assert job_state(pc, u["headers"], job)["is_hd_unlocked"]
    assert post_event(pc, fake, fake.event("charge.refunded", fake.refund_charge(pid))).json()["handled"]
    assert not job_state(pc, u["headers"], job)["is_hd_unlocked"]
    assert pc.get(f"/images/{job}/processed?size=hd", headers=u["headers"]).status_code == 402
    # a late re-delivery of a *different* success event for the refunded intent changes nothing
    late = fake.event("payment_intent.succeeded", fake.intents[pid])
    assert post_event(pc, fake, late).json()["handled"] is False
    assert not job_state(pc, u["headers"], job)["is_hd_unlocked"]


def test_another_users_job_cannot_be_paid_or_confirmed(pc, done_job):
    _, job = done_job
    other = new_user(pc)
    assert pc.post("/payments/create", headers=other["headers"], json={"job": job}).status_code == 404
    assert pc.post("/payments/confirm", headers=other["headers"], json={"job": job}).status_code == 404
    assert pc.post("/payments/create", json={"job": job}).status_code == 401


def test_unfinished_jobs_cannot_be_paid(pc):
    u = new_user(pc)
    job = upload(pc, u["headers"], photo("book-beside-flowers.jpg"), style="oil_painting").json()
    r = pc.post("/payments/create", headers=u["headers"], json={"job": job["uuid"]})
    assert r.status_code == 409


def test_payments_off_by_default(client, user):
    """The default server (no Stripe keys): downloads are full size, payment endpoints say so."""
    job = upload(client, user["headers"], photo("prairie_falcon.jpg")).json()
    wait_done(client, user["headers"], job["uuid"])
    full = client.get(f"/images/{job['uuid']}/processed", headers=user["headers"])
    assert io.decode(full.content).shape[:2] == (533, 800)
    assert client.get(f"/images/{job['uuid']}/processed?size=hd", headers=user["headers"]).status_code == 200
    r = client.post("/payments/create", headers=user["headers"], json={"job": job["uuid"]})
    assert r.status_code == 404 and "not enabled" in r.json()["message"]
