"""Create, list, revoke and check personal API tokens.

A token is `tfy_` + 43 url-safe characters (256 random bits). Only its sha256 digest is
stored: the high entropy makes a slow hash unnecessary, and a digest lookup is one indexed
query. The prefix lets people (and secret scanners) recognise a Toonify token.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid

from app.auth.deps import API_TOKEN_PREFIX
from app.auth.tables import User
from app.lib.clock import now
from app.lib.errors import DomainError, not_found, unauthorized

from .schemas import TokenCreated, TokenOut
from .tables import ApiToken, TokenScope

PREFIX = API_TOKEN_PREFIX
MAX_TOKENS = 50  # per user: a list a person can still read
TOUCH_EVERY = dt.timedelta(minutes=1)  # last_used_at precision; spares a write on every request


def is_api_token(token: str | None) -> bool:
    return token is not None and token.startswith(PREFIX)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def to_schema(row: ApiToken) -> TokenOut:
    return TokenOut(str(row.uuid), row.name, _plain(row.scope), row.hint, row.created_at, row.last_used_at)


async def create(user: User, name: str, scope: str) -> TokenCreated:
    name = name.strip()
    if not name:
        raise DomainError("invalid_name", "Give the token a name, e.g. the script that will use it.")
    if await ApiToken.count().where(ApiToken.user == user.id) >= MAX_TOKENS:
        raise DomainError("too_many_tokens", f"You already have {MAX_TOKENS} tokens; revoke some first.")
    secret = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user=user.id, name=name, scope=TokenScope(scope).value, token_hash=digest(secret), hint=secret[:10])
    await row.save()
    return TokenCreated(str(row.uuid), secret, row.name, _plain(row.scope), row.hint, row.created_at)


async def list_for(user: User) -> list[TokenOut]:
    rows = await ApiToken.objects().where(ApiToken.user == user.id).order_by(ApiToken.created_at, ascending=False)
    return [to_schema(r) for r in rows]


async def revoke(user: User, token_uuid: str) -> None:
    try:
        key = uuid.UUID(str(token_uuid))
    except ValueError:
        raise not_found("token") from None
    gone = await ApiToken.delete().where((ApiToken.uuid == key) & (ApiToken.user == user.id)).returning(ApiToken.id)
    if not gone:
        raise not_found("token")


async def authenticate(token: str) -> tuple[User, ApiToken]:
    """The user and token row behind `token`, or 401. Touches last_used_at (once a minute)."""
    row = await ApiToken.objects().where(ApiToken.token_hash == digest(token)).first()
    if row is None:
        raise unauthorized("This API token is not valid (it may have been revoked).")
    user = await User.objects().where(User.id == row.user).first()
    if user is None or not user.is_active:
        raise unauthorized("This API token's account is disabled.")
    moment = now()
    if row.last_used_at is None or moment - row.last_used_at > TOUCH_EVERY:
        await ApiToken.update({ApiToken.last_used_at: moment}).where(ApiToken.id == row.id)
        row.last_used_at = moment
    return user, row


def can_write(row: ApiToken) -> bool:
    return _plain(row.scope) == TokenScope.WRITE.value


def read_only_error() -> DomainError:
    return DomainError(
        "read_only_token",
        "This API token can only read. Create a token with the write scope to upload, change or delete.",
    )


def _plain(value) -> str:
    return getattr(value, "value", value)
