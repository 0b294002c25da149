"""Bodies of /presets."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

PresetName = Annotated[str, msgspec.Meta(min_length=1, max_length=60)]


class PresetCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: PresetName
    style: str
    params: dict[str, Any] = msgspec.field(default_factory=dict)


class PresetUpdate(msgspec.Struct, forbid_unknown_fields=True):
    name: PresetName | None = None
    params: dict[str, Any] | None = None


class PresetOut(msgspec.Struct):
    uuid: str
    name: str
    style: str
    params: dict[str, Any]
    builtin: bool
