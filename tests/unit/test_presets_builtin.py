"""Built-in presets exist, validate and differ for every style, curated or not."""

from __future__ import annotations

import uuid

import pytest

import effects
from app.presets import builtin


@pytest.mark.parametrize("style", effects.STYLES)
def test_every_style_gets_valid_distinct_built_ins(style):
    presets = builtin.for_style(style)
    assert presets[0].name == "Default" and len(presets) >= 3
    assert presets[0].params == effects.defaults(style)
    assert len({tuple(sorted(p.params.items())) for p in presets}) == len(presets)
    for p in presets:
        assert effects.validate(style, p.params) == p.params
        assert p.uuid == str(uuid.uuid5(builtin.NAMESPACE, f"{style}/{p.name}"))
        assert builtin.by_uuid(p.uuid) == p and builtin.by_name(style, p.name.upper()) == p


@pytest.mark.parametrize("style", effects.STYLES)
def test_a_style_nobody_curated_gets_subtle_and_bold_from_its_spec(style, monkeypatch):
    monkeypatch.setattr(builtin, "CURATED", {})
    builtin.for_style.cache_clear()
    try:
        presets = {p.name: p.params for p in builtin.for_style(style)}
        assert list(presets) == ["Default", "Subtle", "Bold"]
        for param in effects.params(style):
            if param.type in ("int", "float"):
                lo, default, hi = (presets[n][param.name] for n in ("Subtle", "Default", "Bold"))
                assert param.min <= lo <= default <= hi <= param.max
            else:
                assert presets["Subtle"][param.name] == presets["Bold"][param.name] == param.default
    finally:
        builtin.for_style.cache_clear()


def test_curated_entries_that_no_longer_fit_or_repeat_are_skipped(monkeypatch):
    style = effects.STYLES[0]
    first = effects.params(style)[0]
    other = first.max if first.default != first.max else first.min
    curated = {style: {"Broken": {"no_such_param": 1}, "Same": {}, "Fine": {first.name: other}}, "gone": {"X": {}}}
    monkeypatch.setattr(builtin, "CURATED", curated)
    builtin.for_style.cache_clear()
    try:
        assert [p.name for p in builtin.for_style(style)] == ["Default", "Fine"]
    finally:
        builtin.for_style.cache_clear()
