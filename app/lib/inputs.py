"""The one place that bounds what clients send: JSON depth and size, text contents, forms, numbers.

Every input path (HTTP JSON bodies, multipart forms, query strings, websocket messages) goes
through these checks, so a hostile value is a 4xx with a sentence, never a 500.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

import msgspec
from litestar import Request
from litestar.datastructures import FormMultiDict, UploadFile
from litestar.exceptions import ClientException
from litestar.params import Parameter

from .errors import DomainError
from .settings import get_settings

MAX_JSON_DEPTH = 32
MAX_JSON_BYTES = 64 * 1024
MAX_FIELD_CHARS = 10_000
# a 64-bit signed integer is what both databases store; paging never needs more than this
MAX_PAGE = 1_000_000

# control characters other than tab, newline and carriage return (NUL among them): PostgreSQL
# refuses NUL in text, SQLite stores it, so both must be stopped before either sees them
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CLEAN_TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"

PageNumber = Annotated[int, Parameter(ge=1, le=MAX_PAGE, description="Page number, from 1.")]
PerPage = Annotated[int, Parameter(ge=1, le=100, description="Items per page, 1 to 100.")]


def check_text(name: str, value: str, max_chars: int = MAX_FIELD_CHARS) -> str:
    """`value` if it is printable text of at most `max_chars`; an `invalid_field` error otherwise."""
    if len(value) > max_chars:
        raise DomainError("invalid_field", f"{name} is too long (at most {max_chars} characters).")
    if _CONTROL.search(value):
        raise DomainError("invalid_field", f"{name} contains control characters (such as NUL); send plain text.")
    return value


def json_depth(text: str | bytes) -> int:
    """The nesting depth of a JSON text, counted without recursion (strings skipped)."""
    data = text.encode() if isinstance(text, str) else text
    depth = deepest = 0
    in_string = escaped = False
    for byte in data:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


def parse_json(
    text: str | bytes, what: str, max_bytes: int = MAX_JSON_BYTES, code: str = "invalid_json", example: str = ""
) -> Any:
    """Decode JSON from a client: bounded in size and depth, strings free of control characters.

    `code` is the error code for a body that is not acceptable JSON (a form field holding JSON
    is `invalid_params`, a request body `invalid_json`); `example` is added to the message."""
    if len(text) > max_bytes:
        raise DomainError(code, f"{what} is too large (at most {max_bytes // 1024} KB of JSON).{example}")
    if json_depth(text) > MAX_JSON_DEPTH:
        raise DomainError(code, f"{what} is nested too deeply (at most {MAX_JSON_DEPTH} levels).{example}")
    try:
        value = msgspec.json.decode(text)
    except msgspec.DecodeError:
        raise DomainError(code, f"{what} is not valid JSON.{example}") from None
    _check_strings(what, value)
    return value


def _check_strings(what: str, value: Any) -> None:
    stack = [value]
    while stack:  # depth is bounded above; a loop keeps it off the call stack anyway
        item = stack.pop()
        if isinstance(item, str):
            check_text(what, item, MAX_JSON_BYTES)
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


async def read_form(request: Request) -> FormMultiDict:
    """The multipart or urlencoded form, with every text field checked.

    Litestar's parser decodes text parts as UTF-8 and reports its part limits as a 400 with
    the words "Request Entity Too Large"; both become errors that say what is wrong.
    """
    try:
        form = await request.form()
    except UnicodeDecodeError:
        raise DomainError(
            "invalid_field", "A form field is not UTF-8 text (a file must be sent with a filename)."
        ) from None
    except ClientException as exc:
        if "Too Large" in str(exc.detail):  # the parser's limits: file size, part count, header size
            mb = get_settings().max_file_size_mb
            raise DomainError(
                "file_too_large",
                f"The upload is too large: a photo may be up to {mb} MB, with a few short form fields beside it.",
            ) from None
        raise DomainError("invalid_request", "The form could not be read: send multipart/form-data.") from None
    for key, value in form.multi_items():
        check_text("A form field name", key, 200)
        if isinstance(value, str):
            check_text(key, value)
    return form


def upload_of(form: FormMultiDict, name: str) -> UploadFile:
    value = form.get(name)
    if not isinstance(value, UploadFile):
        raise DomainError("missing_file", f"Attach the photo as the multipart field '{name}' (with a filename).")
    return value
