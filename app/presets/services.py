"""Presets: list (built-in and own), create, rename/change, delete, and pick one for a job."""

from __future__ import annotations

import json
import uuid
from typing import Any

import effects
from app.auth.tables import User
from app.jobs import services as jobs
from app.lib.clock import now
from app.lib.db import write_transaction
from app.lib.errors import DomainError, from_effects, not_found

from . import builtin
from .schemas import PresetOut
from .tables import Preset

MAX_PRESETS = 200  # per user


def _builtin_out(b: builtin.Builtin) -> PresetOut:
    return PresetOut(b.uuid, b.name, b.style, dict(b.params), True)


def _params_of(row: Preset) -> dict[str, Any]:
    raw = row.params_json
    return json.loads(raw) if isinstance(raw, str) else dict(raw or {})


def usable_params(style: str, stored: dict[str, Any]) -> dict[str, Any]:
    """A stored preset's values, validated against today's spec (parameters the style no
    longer has are dropped, so an old preset keeps working)."""
    known = {p.name for p in effects.params(style)}
    try:
        return effects.validate(style, {k: v for k, v in stored.items() if k in known})
    except effects.EffectsError as exc:
        raise DomainError("invalid_preset", f"This preset no longer fits the {style} style: {exc}") from None


def to_schema(row: Preset) -> PresetOut:
    return PresetOut(str(row.uuid), row.name, row.style, _params_of(row), False)


def _style(raw: str | None) -> str:
    return jobs.parse_style(raw)


def _clean_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise DomainError("invalid_name", "Give the preset a name.")
    return name


async def list_for(user: User, style: str | None) -> list[PresetOut]:
    styles = [_style(style)] if style else list(effects.STYLES)
    out = [_builtin_out(b) for s in styles for b in builtin.for_style(s)]
    query = Preset.objects().where(Preset.user == user.id)
    if style:
        query = query.where(Preset.style == styles[0])
    rows = await query.order_by(Preset.style).order_by(Preset.name_key)
    return out + [to_schema(r) for r in rows if r.style in effects.STYLES]


async def _check_name_free(user: User, style: str, name: str, except_id: int | None = None) -> None:
    if builtin.by_name(style, name):
        raise DomainError("name_taken", f"{name!r} is a built-in {effects.label(style)} preset; choose another name.")
    query = Preset.exists().where(
        (Preset.user == user.id) & (Preset.style == style) & (Preset.name_key == name.casefold())
    )
    if except_id is not None:
        query = query.where(Preset.id != except_id)
    if await query:
        raise DomainError("name_taken", f"You already have a {effects.label(style)} preset named {name!r}.")


def _validated(style: str, params: dict[str, Any]) -> dict[str, Any]:
    try:
        return effects.validate(style, params)
    except effects.EffectsError as exc:
        raise from_effects(exc) from None


async def create(user: User, name: str, style: str, params: dict[str, Any]) -> PresetOut:
    style, name = _style(style), _clean_name(name)
    values = _validated(style, params)
    async with write_transaction(Preset):
        if await Preset.count().where(Preset.user == user.id) >= MAX_PRESETS:
            raise DomainError("too_many_presets", f"You already have {MAX_PRESETS} presets; delete some first.")
        await _check_name_free(user, style, name)
        row = Preset(user=user.id, name=name, name_key=name.casefold(), style=style, params_json=json.dumps(values))
        await row.save()
    return to_schema(row)


async def get_own(user: User, preset_uuid: str) -> Preset:
    """The caller's preset; 403 for a built-in one, 404 for anything else that is not theirs."""
    if builtin.by_uuid(str(preset_uuid)):
        raise DomainError("builtin_preset", "Built-in presets cannot be changed; save your own copy instead.")
    try:
        key = uuid.UUID(str(preset_uuid))
    except ValueError:
        raise not_found("preset") from None
    row = await Preset.objects().where((Preset.uuid == key) & (Preset.user == user.id)).first()
    if row is None:
        raise not_found("preset")
    return row


async def update(user: User, preset_uuid: str, name: str | None, params: dict[str, Any] | None) -> PresetOut:
    row = await get_own(user, preset_uuid)
    values: dict = {Preset.updated_at: now()}
    if params is not None:
        values[Preset.params_json] = json.dumps(_validated(row.style, params))
    async with write_transaction(Preset):
        if name is not None:
            name = _clean_name(name)
            await _check_name_free(user, row.style, name, except_id=row.id)
            values[Preset.name] = name
            values[Preset.name_key] = name.casefold()
        await Preset.update(values).where(Preset.id == row.id)
    return to_schema(await Preset.objects().where(Preset.id == row.id).first())


async def delete(user: User, preset_uuid: str) -> None:
    row = await get_own(user, preset_uuid)
    await Preset.delete().where(Preset.id == row.id)


async def find(user: User, key: str, style: str | None) -> tuple[str, str, dict[str, Any]]:
    """A preset named by uuid (built-in or own) or by name (built-in or own, within `style`).
    Returns (style, name, params); 422 when none matches or the style disagrees."""
    key = key.strip()
    found: tuple[str, str, dict[str, Any]] | None = None
    b = builtin.by_uuid(key)
    if b:
        found = (b.style, b.name, dict(b.params))
    else:
        try:
            row = await Preset.objects().where((Preset.uuid == uuid.UUID(key)) & (Preset.user == user.id)).first()
        except ValueError:
            row = None
        if row is None and style:
            if b := builtin.by_name(style, key):
                found = (b.style, b.name, dict(b.params))
            else:
                row = (
                    await Preset.objects()
                    .where((Preset.user == user.id) & (Preset.style == style) & (Preset.name_key == key.casefold()))
                    .first()
                )
        elif row is None:
            rows = await Preset.objects().where((Preset.user == user.id) & (Preset.name_key == key.casefold()))
            row = rows[0] if len(rows) == 1 else None
            if row is None and any(builtin.by_name(s, key) for s in effects.STYLES):
                raise DomainError("invalid_preset", f"Say which style the {key!r} preset is for (the style field).")
        if row is not None:
            found = (row.style, row.name, _params_of(row))
    if found is None:
        where = f" for the {effects.label(style)} style" if style else ""
        raise DomainError("invalid_preset", f"No preset {key!r}{where}. GET /presets lists the ones you can use.")
    if style and found[0] != style:
        raise DomainError(
            "invalid_preset",
            f"The preset {found[1]!r} is for the {effects.label(found[0])} style, not {effects.label(style)}.",
        )
    return found[0], found[1], usable_params(found[0], found[2])


async def choose(
    user: User, style: str | None, params: str | dict | None, preset: str | None
) -> tuple[str, dict[str, Any], str | None]:
    """The style and parameters of a job from a form's `style`, `params` and `preset` fields.
    Returns (style, params, preset name or None)."""
    if preset in (None, ""):
        name = jobs.parse_style(style)
        return name, jobs.parse_params(name, params), None
    if not isinstance(preset, str):
        raise DomainError("invalid_preset", "preset must be a preset's uuid or name.")
    if params not in (None, ""):
        raise DomainError(
            "conflicting_fields", "Send either params or preset, not both: a preset already sets every parameter."
        )
    found_style, name, values = await find(user, preset, jobs.parse_style(style) if style else None)
    return found_style, values, name
