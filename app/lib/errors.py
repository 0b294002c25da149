"""One error model: domain errors carry a stable code and a sentence for a person.

Services raise `DomainError(code, message)` and never think in HTTP statuses. The edges map
the code: `STATUS` gives the HTTP status (the API answers {"status", "code", "message",
"request_id"}), `WS_CODE` gives the websocket error code of docs/protocol.md. The codes are
listed in docs/errors.md. Anything else that escapes is logged with the request id and
answered with a 500 that leaks nothing.
"""

from __future__ import annotations

import errno
import logging
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.types import ExceptionHandlersMap

import effects

log = logging.getLogger("toonify")

# code -> HTTP status: the one table (docs/errors.md describes each code)
STATUS: dict[str, int] = {
    "invalid_request": 400,
    "invalid_json": 400,
    "missing_file": 400,
    "bad_signature": 400,
    "wrong_password": 400,
    "unauthorized": 401,
    "payment_required": 402,
    "forbidden": 403,
    "inactive": 403,
    "read_only_token": 403,
    "not_found": 404,
    "payments_disabled": 404,
    "method_not_allowed": 405,
    "conflict": 409,
    "email_taken": 409,
    "not_ready": 409,
    "already_unlocked": 409,
    "mismatch": 409,
    "amount_mismatch": 409,
    "file_too_large": 413,
    "image_too_large": 413,
    "unsupported_type": 415,
    "empty_file": 422,
    "invalid_image": 422,
    "invalid_style": 422,
    "invalid_params": 422,
    "invalid_field": 400,
    "request_timeout": 408,
    "too_many_requests": 429,
    "too_many_attempts": 429,
    "too_many_renders": 429,
    # API tokens, presets, share links, batches (app/tokens, app/presets, app/shares, app/batches)
    "missing_files": 400,
    "login_required": 403,
    "builtin_preset": 403,
    "name_taken": 409,
    "too_many_tokens": 409,
    "too_many_presets": 409,
    "too_many_shares": 409,
    "not_failed": 409,
    "not_retryable": 409,
    "batch_too_large": 413,
    "invalid_name": 422,
    "invalid_preset": 422,
    "conflicting_fields": 422,
    "too_many_photos": 422,
    "too_many_batches": 429,
    "internal": 500,
    "unavailable": 503,
    "insufficient_storage": 507,
}

# code -> the websocket error code (docs/protocol.md): the socket speaks a smaller vocabulary
WS_CODE: dict[str, str] = {
    "file_too_large": "image_too_large",
    "image_too_large": "image_too_large",
    "unsupported_type": "invalid_image",
    "empty_file": "invalid_image",
    "invalid_image": "invalid_image",
    "invalid_style": "invalid_params",
    "invalid_params": "invalid_params",
    "not_found": "not_found",
    "invalid_json": "invalid_message",
    "invalid_request": "invalid_message",
    "invalid_field": "invalid_message",
    "too_many_requests": "busy",
    "too_many_renders": "busy",
    "unavailable": "busy",
}


class DomainError(Exception):
    """A failure the caller can act on: a stable `code` (a key of STATUS) and a `message`."""

    def __init__(self, code: str, message: str, headers: dict[str, str] | None = None):
        if code not in STATUS:
            raise KeyError(f"unknown error code {code!r}: add it to app.lib.errors.STATUS")
        super().__init__(message)
        self.code, self.message, self.headers = code, message, headers or {}

    @property
    def status(self) -> int:
        return STATUS[self.code]

    @property
    def ws_code(self) -> str:
        return WS_CODE.get(self.code, "internal" if self.status >= 500 else "invalid_message")


def not_found(what: str = "job") -> DomainError:
    return DomainError("not_found", f"No such {what}.")


def unauthorized(message: str = "You need to log in.") -> DomainError:
    return DomainError("unauthorized", message, {"WWW-Authenticate": "Bearer"})


def bad_request(message: str, code: str = "invalid_request") -> DomainError:
    return DomainError(code, message)


def from_effects(exc: effects.EffectsError) -> DomainError:
    """The library's error on user input as a domain error, keeping the library's words."""
    message = str(exc)
    if isinstance(exc, effects.InvalidImage):
        return DomainError(exc.code if exc.code in STATUS else "invalid_image", message)
    if isinstance(exc, effects.UnknownStyle):
        return DomainError("invalid_style", message)
    return DomainError("invalid_params", message)


def as_domain(exc: Exception) -> DomainError | None:
    """The domain error an exception stands for, if it is one the caller caused."""
    if isinstance(exc, DomainError):
        return exc
    if isinstance(exc, effects.EffectsError):
        return from_effects(exc)
    return None


def request_id(request: Request) -> str:
    return str(request.scope.get("state", {}).get("request_id", "-"))


def _body(request: Request, status: int, code: str, message: str, headers: Any = None) -> Response:
    rid = request_id(request)
    return Response(
        {"status": status, "code": code, "message": message, "request_id": rid},
        status_code=status,
        headers={**(headers or {}), "X-Request-ID": rid},
    )


def handle_domain_error(request: Request, exc: Exception) -> Response:
    err = as_domain(exc)
    if err is None:
        return handle_internal(request, exc)
    return _body(request, err.status, err.code, err.message, err.headers)


# Litestar's own HTTP exceptions (routing, validation, body limits) speak the same format
_HTTP_CODES = {
    400: "invalid_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "file_too_large",
    415: "unsupported_type",
    429: "too_many_requests",
    503: "unavailable",
}


def handle_http_exception(request: Request, exc: HTTPException) -> Response:
    status = exc.status_code
    if status >= 500 and status != 503:
        return handle_internal(request, exc)
    message = exc.detail or "The request was not understood."
    if isinstance(exc, ValidationException) and exc.extra:
        first = exc.extra[0] if isinstance(exc.extra, list) else exc.extra
        if isinstance(first, dict) and first.get("message"):
            key, text = first.get("key"), str(first["message"])
            if key == "data" and text.strip("'") == "data":  # no body at all
                message = "The request needs a JSON body."
            else:
                message = f"{key}: {text}" if key else text
    if status == 413:
        from app.lib.settings import get_settings

        s = get_settings()
        message = f"The request is too large (photos may be up to {s.max_file_size_mb} MB)."
        if request.url.path.rstrip("/") == "/batches":
            message = f"The batch is too large: its photos may add up to {s.batch_max_mb} MB."
    return _body(request, status, _HTTP_CODES.get(status, "invalid_request"), message, getattr(exc, "headers", None))


def fault(exc: BaseException) -> DomainError | None:
    """The domain error for a fault of the machine rather than of the request, if it is one:
    storage full or read-only, the database gone. Such errors say so and ask to retry."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return DomainError("insufficient_storage", "The server is out of storage space; try again later.")
    if isinstance(exc, OSError) and exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return DomainError("unavailable", "The server cannot store files right now; try again later.", RETRY)
    if database_gone(exc):
        return DomainError("unavailable", "The database is not reachable just now; try again shortly.", RETRY)
    return None


RETRY = {"Retry-After": "5"}


def database_gone(exc: BaseException) -> bool:
    import sqlite3

    import asyncpg

    gone = (
        asyncpg.PostgresConnectionError,
        asyncpg.InterfaceError,
        asyncpg.AdminShutdownError,
        asyncpg.exceptions.InternalClientError,  # a connection left mid-protocol by a killed backend
    )
    if isinstance(exc, gone):
        return True
    if isinstance(exc, ConnectionError):
        return True
    return isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc)


def handle_internal(request: Request, exc: Exception) -> Response:
    rid = request_id(request)
    if request.scope.get("state", {}).get("client_gone"):
        # the client hung up mid-request: nobody reads this answer, and it is not our fault
        log.info("client went away, request_id=%s path=%s", rid, request.url.path)
        return _body(request, 400, "invalid_request", "The client closed the connection.")
    known = fault(exc)
    if known is not None:
        log.warning("%s, request_id=%s path=%s: %s", known.code, rid, request.url.path, exc)
        return _body(request, known.status, known.code, known.message, known.headers)
    log.exception("unexpected error, request_id=%s path=%s", rid, request.url.path, exc_info=exc)
    return _body(request, 500, "internal", f"Something went wrong on our side (reference {rid}).")


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    DomainError: handle_domain_error,
    effects.EffectsError: handle_domain_error,
    HTTPException: handle_http_exception,
    Exception: handle_internal,
}
