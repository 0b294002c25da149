"""Service parts that need no server: settings, frames, log redaction, upload checks, payments."""

from __future__ import annotations

import logging

import pytest

from app.jobs import services as jobs
from app.lib import settings as settings_mod
from app.lib.errors import DomainError
from app.lib.logs import RedactTokens
from app.live.frames import pack, unpack
from app.payments.services import TRANSITIONS
from app.payments.tables import PaymentStatus
from tests.imaging import photo


def test_settings_read_the_environment_with_the_seed_defaults(monkeypatch, tmp_path):
    for key in list(__import__("os").environ):
        if key.startswith("TOONIFY_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("TOONIFY_DATA_DIR", str(tmp_path))
    s = settings_mod.load_settings()
    assert (s.access_token_expire_minutes, s.refresh_token_expire_days) == (60, 7)
    assert (s.max_file_size_mb, s.default_output_quality, s.max_image_dimension) == (10, 85, 4096)
    assert s.allowed_extensions == ["jpg", "jpeg", "png", "webp"]
    assert s.database_url == f"sqlite:///{tmp_path / 'toonify.sqlite3'}" and not s.payments_enabled
    # the generated JWT secret is random, kept private, and stable across restarts
    secret_file = tmp_path / "jwt_secret"
    assert len(s.jwt_secret) >= 40 and secret_file.stat().st_mode & 0o077 == 0
    assert settings_mod.load_settings().jwt_secret == s.jwt_secret
    monkeypatch.setenv("TOONIFY_CORS_ORIGINS", '["https://a.example", "https://b.example"]')
    monkeypatch.setenv("TOONIFY_MAX_FILE_SIZE_MB", "3")
    s = settings_mod.load_settings()
    assert s.cors_origins == ["https://a.example", "https://b.example"] and s.max_file_bytes == 3 * 1024 * 1024


@pytest.mark.parametrize("name, value", [("JWT_ALGORITHM", "none"), ("POOL_SIZE", "many")])
def test_bad_settings_stop_the_start(monkeypatch, tmp_path, name, value):
    monkeypatch.setenv("TOONIFY_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TOONIFY_" + name, value)
    with pytest.raises(SystemExit, match=name):
        settings_mod.load_settings()


def test_frames_round_trip():
    header = {"type": "frame", "seq": 7, "width": 3, "height": 2, "mime": "image/jpeg", "final": True, "render_ms": 1.5}
    message = pack(header, b"\xff\xd8data")
    assert int.from_bytes(message[:4], "big") == len(message) - 4 - len(b"\xff\xd8data")
    assert unpack(message) == (header, b"\xff\xd8data")


def test_tokens_are_redacted_from_log_lines():
    record = logging.LogRecord(
        "uvicorn.error",
        logging.INFO,
        "",
        0,
        '%s - "WebSocket %s" [accepted]',
        ("127.0.0.1:5", "/ws/preview?token=abc.def.ghi&x=1"),
        None,
    )
    RedactTokens().filter(record)
    assert "abc.def" not in record.getMessage() and "token=[redacted]&x=1" in record.getMessage()


@pytest.mark.parametrize(
    "name, status, code",
    [
        ("x.gif", 415, "unsupported_type"),
        ("x.jpg", 415, "unsupported_type"),  # content is not an image
    ],
)
def test_upload_checks_name_the_problem(name, status, code):
    with pytest.raises(DomainError) as info:
        jobs.check_upload(b"GIF89a" + bytes(64), name)
    assert (info.value.status, info.value.code) == (status, code)


def test_upload_checks_pass_a_real_photo_and_keep_display_names_safe():
    assert jobs.check_upload(photo("denali.webp").read_bytes(), "denali.webp") == "webp"
    assert jobs.safe_filename('..\\..\\C:\\evil"name?.jpg') == "evilname.jpg"
    assert jobs.safe_filename("") == "photo"


def test_payment_state_machine():
    S = PaymentStatus
    assert TRANSITIONS[S.CANCELED.value] == set() and TRANSITIONS[S.REFUNDED.value] == set()
    assert TRANSITIONS[S.SUCCEEDED.value] == {S.REFUNDED.value}, "a success can only be refunded"
    assert S.SUCCEEDED.value in TRANSITIONS[S.FAILED.value], "a declined card can be retried on the same intent"
    assert set(TRANSITIONS) == {s.value for s in S}


def test_every_error_code_is_documented_and_mapped():
    from app.lib.errors import STATUS, WS_CODE, DomainError
    from tests.conftest import ROOT

    page = (ROOT / "docs" / "errors.md").read_text()
    for code, status in STATUS.items():
        assert f"| `{code}` | {status} |" in page, f"docs/errors.md does not list {code}"
    assert set(WS_CODE) <= set(STATUS)
    with pytest.raises(KeyError):
        DomainError("made_up_code", "no such code")
