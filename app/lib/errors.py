"""The API's one error format: {"status", "code", "message", "request_id"}.

Handlers raise ApiError (or its helpers); everything else that escapes is logged with the
request id and answered with a 500 that leaks nothing.
"""

from __future__ import annotations

import logging

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException

import effects

log = logging.getLogger("toonify")


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


def not_found(what: str = "job") -> ApiError:
    return ApiError(404, "not_found", f"No such {what}.")


def unauthorized(message: str = "You need to log in.") -> ApiError:
    return ApiError(401, "unauthorized", message, {"WWW-Authenticate": "Bearer"})


def bad_request(message: str, code: str = "invalid_request") -> ApiError:
    return ApiError(400, code, message)


_IMAGE_STATUS = {"image_too_large": 413, "unsupported_type": 415, "invalid_image": 422}


def from_effects(exc: effects.EffectsError) -> ApiError:
    """Map a library error on user input to a 4xx, keeping the library's message."""
    message = str(exc)
    if isinstance(exc, effects.InvalidImage):
        return ApiError(_IMAGE_STATUS.get(exc.code, 422), exc.code, message)
    if isinstance(exc, effects.UnknownStyle):
        return ApiError(422, "invalid_style", message)
    return ApiError(422, "invalid_params", message)


def request_id(request: Request) -> str:
    return request.scope.get("state", {}).get("request_id", "-")


def _body(request: Request, status: int, code: str, message: str, headers=None) -> Response:
    rid = request_id(request)
    return Response(
        {"status": status, "code": code, "message": message, "request_id": rid},
        status_code=status,
        headers={**(headers or {}), "X-Request-ID": rid},
    )


def handle_api_error(request: Request, exc: ApiError) -> Response:
    return _body(request, exc.status, exc.code, exc.message, exc.headers)


def handle_effects_error(request: Request, exc: effects.EffectsError) -> Response:
    return handle_api_error(request, from_effects(exc))


_CODES = {
    400: "invalid_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "file_too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
}


def handle_http_exception(request: Request, exc: HTTPException) -> Response:
    status = exc.status_code
    if status >= 500:
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
        message = "The upload is too large."
    return _body(request, status, _CODES.get(status, "error"), message, getattr(exc, "headers", None))


def handle_internal(request: Request, exc: Exception) -> Response:
    rid = request_id(request)
    log.exception("unexpected error, request_id=%s path=%s", rid, request.url.path, exc_info=exc)
    return _body(request, 500, "internal", f"Something went wrong on our side (reference {rid}).")


EXCEPTION_HANDLERS = {
    ApiError: handle_api_error,
    effects.EffectsError: handle_effects_error,
    HTTPException: handle_http_exception,
    Exception: handle_internal,
}
