"""The OpenAPI schema tells the truth: the error format on every operation, the bodies that
handlers read themselves (multipart uploads, the login form, signed webhooks), the token scheme.

Error statuses are derived from `app.lib.errors.STATUS`, the one table of codes, so a new code
is documented where it is defined.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar.openapi.spec import (
    Components,
    OpenAPI,
    OpenAPIMediaType,
    OpenAPIResponse,
    Operation,
    RequestBody,
    Schema,
    SecurityScheme,
)
from litestar.openapi.spec.enums import OpenAPIType

from app.lib.errors import STATUS

BEARER = "BearerToken"
SECURITY_SCHEMES = Components(
    security_schemes={
        BEARER: SecurityScheme(
            type="http",
            scheme="bearer",
            description=(
                "`Authorization: Bearer <token>`: the access token from POST /auth/login (or the web login "
                "cookie, for pages), or a personal API token (`tfy_...`) from POST /users/me/tokens. A `read` "
                "API token may only read (GET); any change answers 403 read_only_token (docs/api.md)."
            ),
        )
    }
)
# what a handler that needs a login declares (controllers: `security = LOGIN`)
LOGIN: list[dict[str, list[str]]] = [{BEARER: []}]

_TEXT = Schema(type=OpenAPIType.STRING)
_ERROR = Schema(
    type=OpenAPIType.OBJECT,
    required=["status", "code", "message", "request_id"],
    properties={
        "status": Schema(type=OpenAPIType.INTEGER),
        "code": Schema(type=OpenAPIType.STRING, enum=sorted(STATUS)),
        "message": _TEXT,
        "request_id": _TEXT,
    },
)


def body(content: dict[str, Schema], description: str) -> type[Operation]:
    """An Operation class for handlers that read their own body: documents what they accept."""

    @dataclass
    class DocumentedBody(Operation):
        def __post_init__(self) -> None:
            self.request_body = RequestBody(
                content={kind: OpenAPIMediaType(schema=schema) for kind, schema in content.items()},
                description=description,
                required=True,
            )

    return DocumentedBody


def form(fields: dict[str, Schema], required: list[str]) -> Schema:
    return Schema(type=OpenAPIType.OBJECT, properties=dict(fields), required=required)


BINARY = Schema(type=OpenAPIType.STRING, format="binary")  # type: ignore[arg-type]
TEXT = _TEXT


def document_errors(schema: OpenAPI) -> OpenAPI:
    """Put the error body under every error status of every operation of `schema` (replacing
    Litestar's own 400 schema: its validation errors are answered in our format too)."""
    statuses = sorted({status for status in STATUS.values()} | {400, 405})
    for item in (schema.paths or {}).values():
        for method in ("get", "put", "post", "delete", "patch"):
            operation: Any = getattr(item, method, None)
            if operation is None:
                continue
            responses = operation.responses = dict(operation.responses or {})
            for status in statuses:
                responses[str(status)] = OpenAPIResponse(
                    description="An error: a stable code and a sentence for a person (docs/errors.md).",
                    content={"application/json": OpenAPIMediaType(schema=_ERROR)},
                )
    return schema


def render_form(files: dict[str, Schema], required: list[str]) -> Schema:
    """A multipart upload of photos with the render settings every upload takes: the style,
    and its parameters as JSON or a preset (one description for /images/transform and /batches)."""
    import effects

    return form(
        {
            **files,
            "style": Schema(type=OpenAPIType.STRING, enum=list(effects.STYLES)),
            "params": Schema(type=OpenAPIType.STRING, description='JSON object, e.g. {"colors": 8}'),
            "preset": Schema(
                type=OpenAPIType.STRING,
                description="Instead of params: a preset's uuid, or its name (GET /presets?style=...)",
            ),
        },
        required,
    )
