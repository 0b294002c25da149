"""Built-in presets, for every style of effects.STYLES.

Each style gets "Default" (its spec's defaults) plus either the curated presets below (keyed by
style name; values are overrides of the defaults) or, for a style nobody curated yet, two
presets generated from its spec ranges: "Subtle" moves every numeric slider 40% of the way
from its default toward its minimum, "Bold" 40% toward its maximum (switches and choices keep
their defaults). A curated entry whose style no longer exists, or whose values the spec no
longer accepts, is skipped: presets never make a style unusable.

Built-in uuids are uuid5(NAMESPACE, "<style>/<name>"): stable across restarts and servers.
"""

from __future__ import annotations

import functools
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

import effects

log = logging.getLogger("toonify.presets")

NAMESPACE = uuid.UUID("6f1d3c0e-6a4b-5d8e-9c1a-7b2e4f0a9d31")
DEFAULT = "Default"

CURATED: dict[str, dict[str, dict[str, Any]]] = {
    "cartoon": {
        "Comic book": {"colors": 6, "line_width": 2.5, "line_threshold": 0.4, "saturation": 1.5},
        "Soft pastel": {"colors": 12, "smoothness": 6, "line_width": 0.75, "saturation": 0.9},
    },
    "sketch": {
        "Fine pencil": {"pencil_size": 3, "darkness": 1.2, "shading": 0.2},
        "Charcoal": {"pencil_size": 12, "darkness": 2.8, "shading": 0.6},
    },
    "color_pencil": {
        "Light touch": {"coverage": 0.4, "saturation": 1.0},
        "Vivid": {"coverage": 0.85, "saturation": 1.8},
    },
    "oil_painting": {
        "Thick impasto": {"brush_size": 10, "relief": 0.9, "bristles": 0.6},
        "Smooth glaze": {"brush_size": 4, "relief": 0.2, "bristles": 0.15},
    },
    "watercolor": {
        "Wet wash": {"bleed": 9, "wet_edges": 0.8},
        "Dry brush": {"bleed": 1.5, "wet_edges": 0.3, "paper": 0.8},
    },
    "pop_art": {
        "Neon grid": {"palette": "neon", "grid": True},
        "Primary colors": {"palette": "primary", "levels": 3},
    },
}


@dataclass(frozen=True)
class Builtin:
    uuid: str
    name: str
    style: str
    params: dict[str, Any] = field(hash=False)


def builtin_uuid(style: str, name: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{style}/{name}"))


def _nudge(p: effects.Param, toward: float) -> Any:
    if p.type not in ("int", "float") or p.min is None or p.max is None:
        return p.default
    target = p.default + 0.4 * (toward - p.default)
    step = p.step or (1 if p.type == "int" else 0.01)
    value = min(max(round(target / step) * step, p.min), p.max)
    return round(value) if p.type == "int" else float(f"{value:.6g}")


def generated(style: str) -> dict[str, dict[str, Any]]:
    spec = effects.params(style)
    return {
        "Subtle": {p.name: _nudge(p, p.min if p.min is not None else p.default) for p in spec},
        "Bold": {p.name: _nudge(p, p.max if p.max is not None else p.default) for p in spec},
    }


@functools.cache
def for_style(style: str) -> tuple[Builtin, ...]:
    """The built-in presets of `style` (a name of effects.STYLES), "Default" first."""
    style = effects.style_name(style)
    wanted = {DEFAULT: {}, **(CURATED.get(style) or generated(style))}
    out: list[Builtin] = []
    for name, overrides in wanted.items():
        try:
            params = effects.validate(style, overrides)
        except effects.EffectsError as exc:
            log.warning("built-in preset %s/%s skipped: %s", style, name, exc)
            continue
        if any(b.params == params for b in out):
            continue  # e.g. "Subtle" of a style with switches only: the same as "Default"
        out.append(Builtin(builtin_uuid(style, name), name, style, params))
    return tuple(out)


def all_builtins() -> list[Builtin]:
    return [b for style in effects.STYLES for b in for_style(style)]


def by_uuid(key: str) -> Builtin | None:
    return next((b for b in all_builtins() if b.uuid == key), None)


def by_name(style: str, name: str) -> Builtin | None:
    folded = name.strip().casefold()
    return next((b for b in for_style(style) if b.name.casefold() == folded), None)
