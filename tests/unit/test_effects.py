"""Property tests of the effects library: contract, conversions, validation, looks, preview truth."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

import effects
from effects import io
from tests.imaging import photo, sharpness, ssim, to_side

STYLES = effects.STYLES


@pytest.fixture(scope="module")
def falcon() -> np.ndarray:
    return io.read_image(photo("prairie_falcon.jpg"))


@pytest.fixture(scope="module")
def big() -> np.ndarray:
    return io.read_image(photo("book-beside-flowers.jpg"))


def test_styles_are_lowercase_names_in_picker_order():
    assert STYLES[:6] == ("cartoon", "sketch", "color_pencil", "oil_painting", "watercolor", "pop_art")
    assert all(s.isidentifier() and s == s.lower() for s in STYLES)


@pytest.mark.parametrize("name", ["CARTOON", "Pop_Art", " sketch "])
def test_enum_style_names_are_accepted(name):
    assert effects.style_name(name) in STYLES


def test_unknown_style_is_a_value_error_naming_the_choices(falcon):
    with pytest.raises(effects.UnknownStyle, match=r"cubism.*cartoon") as info:
        effects.apply(falcon, "cubism")
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("style", STYLES)
def test_param_spec_is_complete_and_defaults_validate(style):
    spec = effects.params(style)
    assert spec, "every style has sliders"
    for p in spec:
        assert p.name and p.label and p.help and p.type in ("float", "int", "bool", "choice")
        if p.type in ("float", "int"):
            assert p.min <= p.default <= p.max and p.step > 0
        if p.type == "choice":
            assert p.default in p.choices
    assert effects.validate(style, None) == effects.defaults(style)


@pytest.mark.parametrize("style", STYLES)
def test_result_shape_dtype_determinism_and_input_untouched(style, falcon):
    before = falcon.copy()
    a = effects.apply(falcon, style)
    b = effects.apply(falcon, style)
    assert a.shape == falcon.shape and a.dtype == np.uint8
    assert a.tobytes() == b.tobytes()
    assert np.array_equal(falcon, before)
    assert not np.array_equal(a, falcon), "the style changes the picture"


@pytest.mark.parametrize(
    "make",
    [
        lambda img: cv2.cvtColor(img, cv2.COLOR_BGR2GRAY),
        lambda img: cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)[:, :, None],
        lambda img: cv2.cvtColor(img, cv2.COLOR_BGR2BGRA),
        lambda img: img.astype(np.uint16) * 257,
        lambda img: img.astype(np.float32) / 255.0,
    ],
    ids=["gray", "gray1", "bgra", "uint16", "float"],
)
def test_other_image_kinds_are_converted(make, falcon):
    img = make(to_side(falcon, 200))
    out = effects.apply(img, "cartoon")
    assert out.shape == (img.shape[0], img.shape[1], 3) and out.dtype == np.uint8


def test_transparent_pixels_become_white():
    bgra = np.zeros((20, 20, 4), np.uint8)
    assert (effects.blocks.as_bgr8(bgra) == 255).all()


@pytest.mark.parametrize("shape", [(0, 0, 3), (1, 1, 3), (1, 50, 3), (50, 1), (10, 10, 2)])
def test_empty_tiny_or_odd_images_give_a_clear_error(shape):
    with pytest.raises(effects.InvalidImage):
        effects.apply(np.zeros(shape, np.uint8), "sketch")


@pytest.mark.parametrize("style", STYLES)
def test_tiny_images_still_render(style):
    img = np.random.default_rng(1).integers(0, 255, (2, 3, 3), dtype=np.uint8)
    assert effects.apply(img, style).shape == (2, 3, 3)


def test_out_of_range_param_names_value_and_range(falcon):
    with pytest.raises(effects.InvalidParams, match=r"colors=99 .*2 to 24") as info:
        effects.apply(falcon, "cartoon", {"colors": 99})
    assert info.value.param == "colors"


@pytest.mark.parametrize(
    "params, word",
    [
        ({"bogus": 1}, "bogus"),
        ({"colors": "many"}, "colors"),
        ({"colors": 2.5}, "whole number"),
        ({"line_width": float("nan")}, "line_width"),
        ({"colors": True}, "colors"),
    ],
)
def test_bad_params_are_refused(params, word, falcon):
    with pytest.raises(effects.InvalidParams, match=word):
        effects.apply(falcon, "cartoon", params)


def test_choice_and_flag_params_are_checked(falcon):
    with pytest.raises(effects.InvalidParams, match="warhol"):
        effects.apply(falcon, "pop_art", {"palette": "sepia"})
    with pytest.raises(effects.InvalidParams, match="true or false"):
        effects.apply(falcon, "pop_art", {"grid": "yes"})


def _visible_change(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


@pytest.mark.parametrize("style", STYLES)
def test_every_slider_changes_the_look(style, falcon):
    img = to_side(falcon, 400)
    for p in effects.params(style):
        if p.type == "choice":
            lo, hi = {p.name: p.choices[0]}, {p.name: p.choices[-1]}
        elif p.type == "bool":
            lo, hi = {p.name: False}, {p.name: True}
        else:
            lo, hi = {p.name: p.min}, {p.name: p.max}
        change = _visible_change(effects.apply(img, style, lo), effects.apply(img, style, hi))
        assert change > 1.0, f"{style}.{p.name} from one end to the other changes only {change:.2f} levels"


@pytest.mark.parametrize("style", STYLES)
def test_preview_is_true_to_the_full_resolution_result(style, big):
    """The 1024 px preview looks like the 12 MP result scaled down: SSIM at 256 px >= 0.85."""
    full = effects.apply(big, style)
    preview = effects.apply(to_side(big, 1024), style)
    score = ssim(to_side(full, 256), to_side(preview, 256))
    assert score >= 0.85, f"{style}: SSIM {score:.3f}"


@pytest.mark.parametrize("style", STYLES)
def test_full_resolution_keeps_detail(style, big):
    """The 12 MP result is sharper than the preview result blown up to 12 MP."""
    full = effects.apply(big, style)
    preview = effects.apply(to_side(big, 1024), style)
    blown_up = cv2.resize(preview, (big.shape[1], big.shape[0]), interpolation=cv2.INTER_LINEAR)
    assert sharpness(full) > 1.1 * sharpness(blown_up)


def test_cartoon_is_flat_colours_with_dark_outlines(falcon):
    out = effects.apply(falcon, "cartoon", {"colors": 6})
    _, counts = np.unique(out.reshape(-1, 3), axis=0, return_counts=True)
    top = np.sort(counts)[::-1]
    assert top[:7].sum() / counts.sum() > 0.85, "most pixels are one of the palette colours"
    dark = (out.max(axis=2) < 40).mean()
    assert 0.01 < dark < 0.4, f"outlines cover {dark:.1%} of the picture"


def test_sketch_is_gray_graphite_on_light_paper(falcon):
    out = effects.apply(falcon, "sketch").astype(np.int16)
    assert (out.max(axis=2) - out.min(axis=2)).max() <= 16, "no colour beyond the paper tint"
    assert np.median(out) > 150, "mostly paper"


def test_pop_art_uses_only_its_inks(falcon):
    out = effects.apply(falcon, "pop_art", {"line_width": 0, "palette": "neon", "levels": 3})
    assert len(np.unique(out.reshape(-1, 3), axis=0)) <= 3


def test_pop_art_grid_repeats_the_picture(falcon):
    out = effects.apply(falcon, "pop_art", {"grid": True, "halftone": False, "line_width": 0})
    h, w = out.shape[:2]
    tl, br = out[: h // 2, : w // 2], out[h - h // 2 :, w - w // 2 :]
    gray = lambda x: cv2.cvtColor(x, cv2.COLOR_BGR2GRAY)  # noqa: E731
    assert not np.array_equal(tl, br), "each cell has its own inks"
    # same picture: the cells' tone structure correlates strongly
    ta, tb = gray(tl).astype(float).ravel(), gray(br).astype(float).ravel()
    assert abs(np.corrcoef(ta, tb)[0, 1]) > 0.3


def test_progress_is_reported_in_order(falcon):
    seen = []
    effects.apply(falcon, "cartoon", progress=lambda f, partial: seen.append(f))
    assert seen == sorted(seen) and seen[-1] == 1.0 and len(seen) >= 3


@pytest.mark.parametrize("style", STYLES)
def test_layer_cache_gives_identical_results(style, falcon):
    """Renders reusing cached layers equal fresh renders, whatever sliders moved in between."""
    cache: dict = {}
    for p in effects.params(style):
        value = p.choices[-1] if p.type == "choice" else (not p.default if p.type == "bool" else p.max)
        cached = effects.apply(falcon, style, {p.name: value}, cache=cache)
        assert cached.tobytes() == effects.apply(falcon, style, {p.name: value}).tobytes(), p.name
    assert effects.apply(falcon, style, cache=cache).tobytes() == effects.apply(falcon, style).tobytes()
