"""Password hashing (argon2id) and JWTs (one pinned HMAC algorithm, typed, expiring)."""

from __future__ import annotations

import datetime as dt
import uuid

import anyio
import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from app.lib.clock import now
from app.lib.errors import unauthorized
from app.lib.settings import get_settings

# OWASP's argon2id minimum: 19 MiB, 2 passes, 1 lane
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# verifying against this keeps unknown-email logins as slow as real ones (no user enumeration)
_DUMMY_HASH = _hasher.hash("not a real password")


async def hash_password(password: str) -> str:
    return await anyio.to_thread.run_sync(_hasher.hash, password)


async def verify_password(hash_: str | None, password: str) -> bool:
    def check() -> bool:
        try:
            return _hasher.verify(hash_ or _DUMMY_HASH, password) and hash_ is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    return await anyio.to_thread.run_sync(check)


def issue(
    kind: str, user_uuid: str, version: int, lifetime: dt.timedelta, family: str | None = None
) -> tuple[str, str, dt.datetime]:
    """A signed token of `kind` ("access" or "refresh"); returns (token, jti, expiry)."""
    s = get_settings()
    jti = str(uuid.uuid4())
    expires = now() + lifetime
    claims = {"sub": user_uuid, "type": kind, "ver": version, "jti": jti, "iat": now(), "exp": expires}
    if family:
        claims["fam"] = family
    return jwt.encode(claims, s.jwt_secret, algorithm=s.jwt_algorithm), jti, expires


def decode(token: str, kind: str) -> dict:
    """Verify signature (pinned algorithm), expiry and type; raise 401 otherwise."""
    s = get_settings()
    try:
        claims = jwt.decode(
            token, s.jwt_secret, algorithms=[s.jwt_algorithm], options={"require": ["exp", "sub", "type", "jti"]}
        )
    except jwt.ExpiredSignatureError:
        raise unauthorized("Your session has expired; log in again.") from None
    except jwt.PyJWTError:
        raise unauthorized("The token is not valid.") from None
    if claims.get("type") != kind:
        raise unauthorized(f"This is not an {kind} token." if kind == "access" else f"This is not a {kind} token.")
    return claims
