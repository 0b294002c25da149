"""The style registry: every module of this package that declares a style is one.

A style module provides (see `StyleModule`):

    LABEL = "Oil painting"          # shown to people
    ORDER = 40                      # position in pickers (lower first; ties by name)
    SPEC = (number(...), ...)       # its parameters (effects.spec)
    def render(frame, params, progress) -> ndarray: ...

Its name is the module's name (`effects/oil_painting.py` -> "oil_painting"). Nothing else in
the project lists styles: adding `effects/<name>.py` is the whole registration.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from types import ModuleType
from typing import Any, Protocol, runtime_checkable

import numpy as np

from .spec import Param

Progress = Callable[[float, "np.ndarray | None"], None]


@runtime_checkable
class StyleModule(Protocol):
    """What a style module must define at module level."""

    LABEL: str
    ORDER: int
    SPEC: tuple[Param, ...]

    def render(self, frame: Any, params: dict[str, Any], progress: Progress) -> np.ndarray:
        """Draw `frame` (a `blocks.Frame`) with validated `params`; returns HxWx3 uint8 BGR."""
        ...


def _is_style(module: ModuleType) -> bool:
    return all(hasattr(module, attr) for attr in ("LABEL", "SPEC", "render"))


def discover(package: str = __package__) -> dict[str, StyleModule]:
    """Import every module of `package` and keep those that declare a style, in picker order."""
    root = importlib.import_module(package)
    found: dict[str, ModuleType] = {}
    for info in pkgutil.iter_modules(root.__path__):
        if info.name.startswith("_") or info.ispkg:
            continue
        module = importlib.import_module(f"{package}.{info.name}")
        if _is_style(module):
            found[info.name] = module
    ordered = sorted(found.items(), key=lambda kv: (getattr(kv[1], "ORDER", 100), kv[0]))
    return {name: module for name, module in ordered}
