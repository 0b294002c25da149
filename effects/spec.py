"""Parameter specifications: the one source of truth for sliders, API validation and defaults.

Every length is in *reference pixels*: pixels of the image scaled so its longest side is
1024 px. A 12 MP render therefore draws lines about four real pixels wide where the 1024 px
preview draws one, so the preview looks like the full-size result scaled down.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import msgspec

from .errors import InvalidParams

ParamType = Literal["float", "int", "bool", "choice"]


class Param(msgspec.Struct, frozen=True):
    """One tunable parameter of a style."""

    name: str
    label: str
    type: ParamType
    default: Any
    help: str
    min: float | None = None
    max: float | None = None
    step: float | None = None
    choices: tuple[str, ...] | None = None

    def check(self, value: Any) -> Any:
        """Return `value` coerced to this parameter's type, or raise InvalidParams."""
        if self.type == "bool":
            if isinstance(value, bool):
                return value
            raise InvalidParams(f"{self.name} must be true or false, not {value!r}", self.name)
        if self.type == "choice":
            choices = self.choices or ()
            if isinstance(value, str) and value.lower() in choices:
                return value.lower()
            allowed = ", ".join(choices)
            raise InvalidParams(f"{self.name} must be one of {allowed}, not {value!r}", self.name)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise InvalidParams(
                f"{self.name} must be a number from {_fmt(self.min)} to {_fmt(self.max)}, not {value!r}",
                self.name,
            )
        if self.type == "int":
            if value != int(value):
                raise InvalidParams(f"{self.name} must be a whole number, not {value!r}", self.name)
            value = int(value)
        if not self.min <= value <= self.max:
            raise InvalidParams(
                f"{self.name}={_fmt(value)} is out of range: allowed {_fmt(self.min)} to {_fmt(self.max)}",
                self.name,
            )
        return float(value) if self.type == "float" else value


def _fmt(x: float | None) -> str:
    return f"{x:g}" if isinstance(x, (int, float)) else str(x)


def number(name, label, default, lo, hi, step, help, *, integer=False) -> Param:
    return Param(name, label, "int" if integer else "float", default, help, lo, hi, step)


def flag(name, label, default, help) -> Param:
    return Param(name, label, "bool", default, help)


def choice(name, label, default, choices, help) -> Param:
    return Param(name, label, "choice", default, help, choices=tuple(choices))


def resolve(spec: tuple[Param, ...], params: dict[str, Any] | None, style: str) -> dict[str, Any]:
    """Merge `params` over the defaults of `spec`, validating every given value."""
    by_name = {p.name: p for p in spec}
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise InvalidParams(f"params must be an object mapping names to values, not {type(params).__name__}")
    unknown = sorted(set(params) - set(by_name))
    if unknown:
        allowed = ", ".join(by_name)
        raise InvalidParams(f"unknown parameter {unknown[0]!r} for style {style}; known: {allowed}", unknown[0])
    values = {p.name: p.default for p in spec}
    for name, value in params.items():
        values[name] = by_name[name].check(value)
    return values
