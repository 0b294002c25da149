"""Request and response bodies of /auth and /users."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec

from app.lib.inputs import CLEAN_TEXT

# \s and the control-character class keep NUL and friends out of every stored string
Email = Annotated[
    str,
    msgspec.Meta(
        min_length=3, max_length=320, pattern=r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+$"
    ),
]
Password = Annotated[str, msgspec.Meta(min_length=8, max_length=256)]
Name = Annotated[str, msgspec.Meta(max_length=200, pattern=CLEAN_TEXT)]
# what a login may send: any text (a wrong one is just a wrong login), but bounded and clean
LoginText = Annotated[str, msgspec.Meta(max_length=320, pattern=CLEAN_TEXT)]


class UserCreate(msgspec.Struct, forbid_unknown_fields=True):
    email: Email
    password: Password
    full_name: Name = ""


class Login(msgspec.Struct):
    email: LoginText
    password: Annotated[str, msgspec.Meta(max_length=256)]


class RefreshRequest(msgspec.Struct):
    refresh_token: Annotated[str, msgspec.Meta(max_length=4096)]


class Tokens(msgspec.Struct):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"  # noqa: S105 (the OAuth2 token type, not a secret)
    expires_in: int = 3600


class UserUpdate(msgspec.Struct, forbid_unknown_fields=True):
    full_name: Name | None = None
    email: Email | None = None


class PasswordChange(msgspec.Struct):
    current_password: Annotated[str, msgspec.Meta(max_length=256)]
    new_password: Password


class UserOut(msgspec.Struct):
    uuid: str
    email: str
    full_name: str
    is_active: bool
    is_admin: bool
    created_at: dt.datetime
    last_login: dt.datetime | None
