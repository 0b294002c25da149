"""Request and response bodies of /auth and /users."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec

Email = Annotated[str, msgspec.Meta(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
Password = Annotated[str, msgspec.Meta(min_length=8, max_length=256)]
Name = Annotated[str, msgspec.Meta(max_length=200)]


class UserCreate(msgspec.Struct, forbid_unknown_fields=True):
    email: Email
    password: Password
    full_name: Name = ""


class Login(msgspec.Struct):
    email: str
    password: str


class RefreshRequest(msgspec.Struct):
    refresh_token: str


class Tokens(msgspec.Struct):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int = 3600


class UserUpdate(msgspec.Struct, forbid_unknown_fields=True):
    full_name: Name | None = None
    email: Email | None = None


class PasswordChange(msgspec.Struct):
    current_password: str
    new_password: Password


class UserOut(msgspec.Struct):
    uuid: str
    email: str
    full_name: str
    is_active: bool
    is_admin: bool
    created_at: dt.datetime
    last_login: dt.datetime | None
