"""The malformed-image corpus through the upload API: each file gets its answer, nothing is left behind."""

from __future__ import annotations

import pytest

from tests.conftest import upload, wait_done
from tests.malformed import accepted, refused

REFUSED = refused()
ACCEPTED = accepted()


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_malformed_images_get_their_answer_and_leave_nothing(server, client, user, name):
    data, status, code = REFUSED[name]
    before = sorted(p.name for p in server.data_dir.rglob("*") if p.is_file() and p.name != "server.log")
    r = upload(client, user["headers"], None, content=data, filename=name)
    assert (r.status_code, r.json()["code"]) == (status, code), r.text
    assert len(r.json()["message"].split()) >= 4, "a sentence for a person, not a bare code"
    after = sorted(p.name for p in server.data_dir.rglob("*") if p.is_file() and p.name != "server.log")
    assert after == before, "a refused upload writes nothing"
    assert client.get("/images", headers=user["headers"]).json()["total"] == 0


@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_unusual_valid_images_render(client, user, name):
    r = upload(client, user["headers"], None, content=ACCEPTED[name], filename=name, style="sketch")
    assert r.status_code == 202, r.text
    job = wait_done(client, user["headers"], r.json()["uuid"])
    assert job["status"] == "DONE", job
    assert client.get(f"/images/{job['uuid']}/processed", headers=user["headers"]).status_code == 200
