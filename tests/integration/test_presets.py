"""Presets through the running server (SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid

import pytest

import effects
from app.presets.builtin import NAMESPACE
from tests.conftest import new_user, wait_done
from tests.imaging import photo


def presets(client, headers, style=None) -> list[dict]:
    r = client.get("/presets" + (f"?style={style}" if style else ""), headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


@pytest.mark.parametrize("style", effects.STYLES)
def test_every_style_has_built_in_presets_with_stable_uuids(client, user, style):
    built = [p for p in presets(client, user["headers"], style) if p["builtin"]]
    assert len(built) >= 2 and built[0]["name"] == "Default"
    assert built[0]["params"] == effects.defaults(style)
    assert len({p["name"] for p in built}) == len(built)
    for p in built:
        assert p["style"] == style and effects.validate(style, p["params"]) == p["params"]
        assert p["uuid"] == str(uuid.uuid5(NAMESPACE, f"{style}/{p['name']}"))
    other = new_user(client)
    assert [p["uuid"] for p in presets(client, other["headers"], style) if p["builtin"]] == [p["uuid"] for p in built]
    assert len({tuple(sorted(p["params"].items())) for p in built}) == len(built)  # each one differs


def test_create_rename_change_and_delete_own_presets(client, user):
    h = user["headers"]
    r = client.post("/presets", headers=h, json={"name": "Posterised", "style": "CARTOON", "params": {"colors": 3}})
    assert r.status_code == 201, r.text
    mine = r.json()
    assert mine["builtin"] is False and mine["style"] == "cartoon"
    assert mine["params"] == effects.validate("cartoon", {"colors": 3})
    assert mine in presets(client, h, "cartoon") and mine not in presets(client, h, "sketch")
    assert mine in presets(client, h)

    dup = client.post("/presets", headers=h, json={"name": "posterised", "style": "cartoon", "params": {}})
    assert dup.status_code == 409 and dup.json()["code"] == "name_taken"
    assert client.post("/presets", headers=h, json={"name": "Posterised", "style": "sketch"}).status_code == 201
    builtin_name = client.post("/presets", headers=h, json={"name": "default", "style": "cartoon"})
    assert builtin_name.status_code == 409 and "built-in" in builtin_name.json()["message"]

    for body, words in [
        ({"name": "x", "style": "cartoon", "params": {"colors": 99}}, "colors"),
        ({"name": "x", "style": "cartoon", "params": {"bogus": 1}}, "bogus"),
        ({"name": "x", "style": "cubism", "params": {}}, "cubism"),
        ({"name": "   ", "style": "cartoon", "params": {}}, "name"),
    ]:
        r = client.post("/presets", headers=h, json=body)
        assert r.status_code == 422 and words in r.json()["message"], r.text

    r = client.put(f"/presets/{mine['uuid']}", headers=h, json={"name": "Three colors"})
    assert r.status_code == 200 and r.json()["name"] == "Three colors" and r.json()["params"] == mine["params"]
    r = client.put(f"/presets/{mine['uuid']}", headers=h, json={"params": {"colors": 4, "line_width": 0}})
    assert r.status_code == 200 and r.json()["params"]["colors"] == 4 and r.json()["params"]["line_width"] == 0
    assert client.put(f"/presets/{mine['uuid']}", headers=h, json={"params": {"colors": -1}}).status_code == 422
    assert client.put(f"/presets/{mine['uuid']}", headers=h, json={"name": "Comic book"}).status_code == 409

    assert client.delete(f"/presets/{mine['uuid']}", headers=h).status_code == 204
    assert mine["uuid"] not in [p["uuid"] for p in presets(client, h)]
    assert client.delete(f"/presets/{mine['uuid']}", headers=h).status_code == 404


def test_built_ins_are_read_only_and_other_peoples_presets_are_404(client):
    a, b = new_user(client), new_user(client)
    builtin = presets(client, a["headers"], "sketch")[0]
    for r in (
        client.put(f"/presets/{builtin['uuid']}", headers=a["headers"], json={"name": "Mine now"}),
        client.delete(f"/presets/{builtin['uuid']}", headers=a["headers"]),
    ):
        assert r.status_code == 403 and r.json()["code"] == "builtin_preset"
    mine = client.post("/presets", headers=a["headers"], json={"name": "Secret", "style": "sketch"}).json()
    assert mine["uuid"] not in [p["uuid"] for p in presets(client, b["headers"])]
    missing = client.delete("/presets/00000000-0000-0000-0000-000000000000", headers=b["headers"])
    for r in (
        client.put(f"/presets/{mine['uuid']}", headers=b["headers"], json={"name": "Stolen"}),
        client.delete(f"/presets/{mine['uuid']}", headers=b["headers"]),
    ):
        assert r.status_code == 404 and r.json()["message"] == missing.json()["message"]
    # nor can b render with it
    r = client.post(
        "/images/transform",
        headers=b["headers"],
        files={"file": ("a.webp", photo("denali.webp").read_bytes())},
        data={"preset": mine["uuid"]},
    )
    assert r.status_code == 422 and r.json()["code"] == "invalid_preset"


def transform(client, headers, **form):
    files = {"file": ("denali.webp", photo("denali.webp").read_bytes(), "image/webp")}
    return client.post("/images/transform", headers=headers, files=files, data=form)


def test_transform_with_a_preset_by_name_or_uuid(client, user):
    h = user["headers"]
    comic = next(p for p in presets(client, h, "cartoon") if p["name"] == "Comic book")
    by_name = transform(client, h, style="cartoon", preset="comic BOOK")
    assert by_name.status_code == 202, by_name.text
    assert by_name.json()["params"] == comic["params"] and by_name.json()["style"] == "cartoon"

    by_uuid = transform(client, h, preset=comic["uuid"])  # the uuid names the style too
    assert by_uuid.status_code == 202 and by_uuid.json()["params"] == comic["params"]

    own = client.post("/presets", headers=h, json={"name": "Wash", "style": "watercolor", "params": {"bleed": 8}})
    mine = own.json()
    for form in ({"preset": mine["uuid"]}, {"preset": "wash", "style": "watercolor"}, {"preset": "Wash"}):
        r = transform(client, h, **form)
        assert r.status_code == 202, (form, r.text)
        assert r.json()["style"] == "watercolor" and r.json()["params"] == mine["params"]
    assert wait_done(client, h, r.json()["uuid"])["status"] == "DONE"
    assert wait_done(client, h, by_name.json()["uuid"])["status"] == "DONE"

    for form, code, words in [
        ({"style": "cartoon", "preset": "Comic book", "params": '{"colors": 4}'}, "conflicting_fields", "not both"),
        ({"style": "sketch", "preset": comic["uuid"]}, "invalid_preset", "Cartoon"),
        ({"style": "cartoon", "preset": "No such thing"}, "invalid_preset", "No such thing"),
        ({"preset": "Default"}, "invalid_preset", "style"),
    ]:
        r = transform(client, h, **form)
        assert r.status_code == 422 and r.json()["code"] == code and words in r.json()["message"], (form, r.text)
