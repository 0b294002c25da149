"""Accounts, logins, token rotation and throttling."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from app.lib.clock import now
from app.lib.errors import DomainError, unauthorized
from app.lib.settings import get_settings

from . import security
from .schemas import Tokens, UserOut
from .tables import RefreshToken, User
from .throttle import throttle


def normalise_email(email: str) -> str:
    return email.strip().lower()


def user_out(user: User) -> UserOut:
    return UserOut(
        str(user.uuid), user.email, user.full_name, user.is_active, user.is_admin, user.created_at, user.last_login
    )


async def register(email: str, password: str, full_name: str) -> User:
    email = normalise_email(email)
    if await User.exists().where(User.email == email):
        raise DomainError("email_taken", "An account with this email already exists.")
    user = User(email=email, password_hash=await security.hash_password(password), full_name=full_name.strip())
    try:
        await user.save()
    except Exception as exc:  # a concurrent registration won the unique index
        if await User.exists().where(User.email == email):
            raise DomainError("email_taken", "An account with this email already exists.") from exc
        raise
    return user


async def issue_tokens(user: User, family: str | None = None) -> Tokens:
    s = get_settings()
    family = family or str(uuid.uuid4())
    # the access token names its login (family) too, so revoking the login ends it at once
    access, _, _ = security.issue(
        "access", str(user.uuid), user.token_version, dt.timedelta(minutes=s.access_token_expire_minutes), family
    )
    refresh, jti, expires = security.issue(
        "refresh", str(user.uuid), user.token_version, dt.timedelta(days=s.refresh_token_expire_days), family
    )
    await RefreshToken(jti=uuid.UUID(jti), family=uuid.UUID(family), user=user.id, expires_at=expires).save()
    return Tokens(access, refresh, expires_in=s.access_token_expire_minutes * 60)


async def login(email: str, password: str, client: str) -> User:
    """Check credentials; throttled per (email, client address) and per address (auth/throttle.py)."""
    email = normalise_email(email)
    throttle.check(email, client)
    user = await User.objects().where(User.email == email).first()
    ok = await security.verify_password(user.password_hash if user else None, password)
    if not user or not ok:
        throttle.failed(email, client)
        raise unauthorized("Wrong email or password.")
    if not user.is_active:
        raise DomainError("inactive", "This account is disabled.")
    throttle.succeeded(email, client)
    await User.update({User.last_login: now()}).where(User.id == user.id)
    user.last_login = now()
    return user


async def user_from_access(token: str) -> User:
    claims = security.decode(token, "access")
    user = await User.objects().where(User.uuid == _uuid(claims["sub"])).first()
    if not user or not user.is_active or claims.get("ver") != user.token_version:
        raise unauthorized("The token is no longer valid; log in again.")
    family = claims.get("fam")
    if family and await RefreshToken.exists().where(
        (RefreshToken.family == _uuid(family)) & (RefreshToken.revoked == True)  # noqa: E712 (SQL, not Python)
    ):
        raise unauthorized("This login was ended; log in again.")
    return user


async def refresh(token: str) -> Tokens:
    """Rotate a refresh token. Presenting a spent one revokes its whole family: someone
    else may hold a copy, so every token from that login stops working."""
    claims = security.decode(token, "refresh")
    row = await RefreshToken.objects().where(RefreshToken.jti == _uuid(claims["jti"])).first()
    if row is None or row.revoked:
        raise unauthorized("The refresh token is not valid.")
    if row.used_at is not None:
        await RefreshToken.update({RefreshToken.revoked: True}).where(RefreshToken.family == row.family)
        raise unauthorized("This refresh token was already used; log in again.")
    spent = (
        await RefreshToken.update({RefreshToken.used_at: now()})
        .where((RefreshToken.id == row.id) & (RefreshToken.used_at.is_null()))
        .returning(RefreshToken.id)
    )
    if not spent:  # lost a race with a concurrent use of the same token: treat as reuse
        await RefreshToken.update({RefreshToken.revoked: True}).where(RefreshToken.family == row.family)
        raise unauthorized("This refresh token was already used; log in again.")
    user = await User.objects().where(User.id == row.user).first()
    if not user or not user.is_active or claims.get("ver") != user.token_version:
        raise unauthorized("The refresh token is no longer valid; log in again.")
    return await issue_tokens(user, family=str(row.family))


async def change_password(user: User, current: str, new: str) -> None:
    if not await security.verify_password(user.password_hash, current):
        raise DomainError("wrong_password", "The current password is not correct.")
    await User.update(
        {
            User.password_hash: await security.hash_password(new),
            User.token_version: User.token_version + 1,
            User.updated_at: now(),
        }
    ).where(User.id == user.id)
    await RefreshToken.update({RefreshToken.revoked: True}).where(RefreshToken.user == user.id)


async def update_profile(user: User, full_name: str | None, email: str | None) -> User:
    values: dict[Any, Any] = {User.updated_at: now()}
    if full_name is not None:
        values[User.full_name] = full_name.strip()
    if email is not None:
        email = normalise_email(email)
        if email != user.email and await User.exists().where(User.email == email):
            raise DomainError("email_taken", "An account with this email already exists.")
        values[User.email] = email
    await User.update(values).where(User.id == user.id)
    return await User.objects().where(User.id == user.id).first()


def _uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise unauthorized("The token is not valid.") from None


async def revoke_refresh(token: str | None) -> None:
    """Log out one browser: the refresh token's whole family stops working. A missing, expired
    or forged token is simply nothing to revoke."""
    if not token:
        return
    try:
        claims = security.decode(token, "refresh")
    except DomainError:
        return
    try:
        family = uuid.UUID(str(claims.get("fam")))
    except ValueError:
        return
    await RefreshToken.update({RefreshToken.revoked: True}).where(RefreshToken.family == family)


async def reload_user(user: User) -> User:
    """The user's row as stored now (after a change of password or profile)."""
    return await User.objects().where(User.id == user.id).first()
