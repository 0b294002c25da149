"""Art direction (issue 15): the new and rewritten styles, through the public API only.

Each medium has a property that can fail: pixel art is made of constant blocks in a few
colors, manga is black, white and dot screens, watercolor leaves the paper white where the
photo is light and darkens wash borders, stained glass is pieces held by dark lead, and the
oil painting's strokes follow the picture's structure without square artefacts.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

import effects
from effects import io
from tests.imaging import photo, ssim, to_side

NEW = ("manga", "pixel_art", "stained_glass")
REWRITTEN = ("oil_painting", "watercolor")
ART = NEW + REWRITTEN


@pytest.fixture(scope="module")
def falcon() -> np.ndarray:
    return io.read_image(photo("prairie_falcon.jpg"))


@pytest.fixture(scope="module", params=["book-beside-flowers.jpg", "japanese-shop.jpg"])
def large(request) -> np.ndarray:
    """A ~2048 px photo (the 'full size' of these tests)."""
    return io.read_image(photo(request.param))


def gray(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)


def coherence(image: np.ndarray, sigma: float = 3.0) -> float:
    """Energy-weighted anisotropy of the smoothed structure tensor (0 isotropic .. 1 all strokes)."""
    g = gray(image).astype(np.float32) / 255.0
    gx, gy = cv2.Sobel(g, cv2.CV_32F, 1, 0), cv2.Sobel(g, cv2.CV_32F, 0, 1)
    e, f, h = (cv2.GaussianBlur(a, (0, 0), sigma) for a in (gx * gx, gx * gy, gy * gy))
    return float(np.sqrt((e - h) ** 2 + 4 * f * f).sum() / (e + h).sum())


def test_new_styles_exist_with_labels_after_the_others():
    assert set(NEW) <= set(effects.STYLES)
    assert [effects.label(s) for s in NEW] == ["Manga", "Pixel art", "Stained glass"]
    assert effects.STYLES[-3:] == NEW, "picker order 70, 80, 90: after pop art"


@pytest.mark.parametrize("style", ART)
def test_slider_texts_are_american_english(style):
    text = " ".join(f"{p.label} {p.help}" for p in effects.params(style)).lower()
    for british in ("colour", "grey", "centre", "neighbour"):
        assert british not in text, british


@pytest.mark.parametrize("style", ART)
def test_every_slider_end_renders_the_input_size(style, falcon):
    img = to_side(falcon, 300)
    for p in effects.params(style):
        assert p.label[0].isupper() and p.help.endswith(".")
        ends = [p.min, p.max] if p.type in ("int", "float") else ([False, True] if p.type == "bool" else p.choices)
        for value in ends:
            out = effects.apply(img, style, {p.name: value})
            assert out.shape == img.shape and out.dtype == np.uint8, (p.name, value)


@pytest.mark.parametrize("style", ART)
def test_same_input_gives_the_same_bytes(style):
    rng = np.random.default_rng(5)
    img = cv2.GaussianBlur(rng.integers(0, 256, (180, 260, 3), dtype=np.uint8), (0, 0), 3)
    assert effects.apply(img, style).tobytes() == effects.apply(img.copy(), style).tobytes()


@pytest.mark.parametrize("style", ART)
def test_preview_is_true_to_the_large_render(style, large):
    """The 1024 px render looks like the ~2048 px render scaled down: SSIM at 256 px >= 0.85."""
    full = effects.apply(large, style)
    preview = effects.apply(to_side(large, 1024), style)
    score = ssim(to_side(full, 256), to_side(preview, 256))
    assert score >= 0.85, f"{style}: SSIM {score:.3f}"


# --- pixel art -------------------------------------------------------------------------------


def _runs(line: np.ndarray) -> np.ndarray:
    """Lengths of the runs of identical pixels along a row (or column) of BGR pixels."""
    change = np.flatnonzero((line[1:] != line[:-1]).any(axis=1)) + 1
    return np.diff(np.concatenate([[0], change, [len(line)]]))


@pytest.mark.parametrize("size, colors", [(8, 12), (16, 4), (5, 24)])
def test_pixel_art_is_constant_blocks_of_the_chosen_size_in_few_colors(large, size, colors):
    out = effects.apply(large, "pixel_art", {"pixel_size": size, "colors": colors})
    h, w = out.shape[:2]
    # the grid: the picture at 1024 px cut into blocks of `size`, whole blocks across and down
    nx, ny = round(w * 1024 / max(h, w) / size), round(h * 1024 / max(h, w) / size)
    block = min(w / nx, h / ny)  # the block side in pixels of this image (about size * scale)
    assert block == pytest.approx(size * max(h, w) / 1024, rel=0.1)
    assert len(np.unique(out.reshape(-1, 3), axis=0)) <= colors
    rows = [_runs(out[y]) for y in range(0, h, 37)]
    cols = [_runs(out[:, x]) for x in range(0, w, 37)]
    for runs in rows + cols:
        # a run is one block or several neighbouring blocks of the same color, never a part of one
        assert runs.min() >= np.floor(block), f"a run of {runs.min()} px inside {block:.1f} px blocks"
    # and some neighbouring blocks do differ: the image is not one flat color
    assert np.median(np.concatenate(rows)) < 6 * block


def test_pixel_art_grid_scales_with_the_image(large):
    """A preview and a large render have the same blocks with the same colors."""
    full = effects.apply(large, "pixel_art", {"pixel_size": 8})
    preview = effects.apply(to_side(large, 1024), "pixel_art", {"pixel_size": 8})
    # sample both at the centres of the 1024 px render's blocks
    ph, pw = preview.shape[:2]
    ys, xs = np.arange(4, ph, 8), np.arange(4, pw, 8)
    fy, fx = (ys * full.shape[0] / ph).astype(int), (xs * full.shape[1] / pw).astype(int)
    same = (preview[np.ix_(ys, xs)] == full[np.ix_(fy, fx)]).all(axis=2).mean()
    assert same > 0.9, f"only {same:.0%} of the blocks agree"


# --- manga -----------------------------------------------------------------------------------


def test_manga_is_black_white_and_dot_screens(large):
    out = effects.apply(large, "manga")
    assert (out[:, :, 0] == out[:, :, 1]).all() and (out[:, :, 1] == out[:, :, 2]).all(), "no color"
    v = out[:, :, 0]
    black, white = (v < 30).mean(), (v > 225).mean()
    assert black > 0.05 and white > 0.2, f"black {black:.0%}, white {white:.0%}"
    assert (black + white) > 0.88, f"only {(black + white):.0%} of the page is ink or paper (anti-aliasing aside)"


def test_manga_screentone_dots_keep_their_size_in_reference_pixels():
    """A flat mid-gray page becomes a dot screen whose period is dot_size reference pixels."""
    img = np.full((1024, 1024, 3), 128, np.uint8)
    img[:, :200] = 255  # something light and something dark, so the mid-gray is a screentone
    img[:, -200:] = 0
    out = gray(effects.apply(img, "manga", {"line_width": 0, "dot_size": 8, "tones": 1}))
    patch = out[400:600, 420:600].astype(np.float32)
    assert 0.1 < (patch < 128).mean() < 0.9, "the middle is a screen, neither paper nor solid black"
    # averaged over rows, a 45-degree screen of period p repeats every p / sqrt(2) px (its dots
    # on alternate rows sit half a diagonal apart)
    row = (patch < 128).mean(axis=0) - (patch < 128).mean()
    freq = np.argmax(np.abs(np.fft.rfft(row))[1:]) + 1
    period = len(row) / freq
    assert period == pytest.approx(8 / np.sqrt(2), rel=0.15), period


# --- watercolor ------------------------------------------------------------------------------


def _two_washes(side: int = 1024) -> np.ndarray:
    img = np.empty((side, side, 3), np.uint8)
    img[:, : side // 2] = (40, 90, 200)  # warm orange-red, BGR
    img[:, side // 2 :] = (170, 110, 40)  # blue
    img[: side // 4] = 255  # a white band: paper
    return img


def test_watercolor_leaves_white_paper_where_the_photo_is_light():
    out = effects.apply(_two_washes(), "watercolor")
    band = gray(out[20:200, 40:-40])
    assert band.mean() > 235, f"the white band came out {band.mean():.0f}"
    wash = gray(out[500:, 100:400])
    assert wash.mean() < 215, "the colored half is painted"


def test_watercolor_darkens_the_borders_of_its_washes():
    img = _two_washes()
    dry = gray(effects.apply(img, "watercolor", {"wet_edges": 0.0})).astype(np.float32)
    wet = gray(effects.apply(img, "watercolor", {"wet_edges": 1.0})).astype(np.float32)
    border = np.s_[400:, 500:524]  # where the two washes meet
    inside = np.s_[400:, 150:350]
    darker_border = dry[border].mean() - wet[border].mean()
    darker_inside = dry[inside].mean() - wet[inside].mean()
    assert darker_border > 8 and darker_border > 4 * abs(darker_inside), (darker_border, darker_inside)


def test_watercolor_pigment_settles_unevenly_not_like_a_flat_print():
    flat = np.full((600, 600, 3), (60, 120, 190), np.uint8)
    calm = gray(effects.apply(flat, "watercolor", {"pigment": 0, "granulation": 0, "paper": 0}))
    wild = gray(effects.apply(flat, "watercolor", {"pigment": 1, "granulation": 1}))
    assert calm.std() < 2.5, "without flow, granulation or paper a flat wash stays flat"
    assert wild.std() > 3 * calm.std() + 4, "pigment flow and granulation mottle the wash"
    # the flow is low-frequency: blurring away the grain keeps most of the variation
    assert cv2.GaussianBlur(wild, (0, 0), 6).std() > 2.0


# --- stained glass ---------------------------------------------------------------------------


def test_stained_glass_is_pieces_held_by_dark_lead(falcon):
    img = cv2.resize(falcon, (1024, 683), interpolation=cv2.INTER_AREA)
    out = effects.apply(img, "stained_glass", {"piece_size": 48, "lead_width": 2.5})
    lead = out.max(axis=2) < 45
    assert 0.04 < lead.mean() < 0.45, f"lead covers {lead.mean():.0%}"
    _, labels = cv2.connectedComponents((~lead).astype(np.uint8), connectivity=4)
    sizes = np.bincount(labels[~lead])
    pieces = (sizes > 30).sum()
    assert pieces > 150, f"only {pieces} separate pieces of glass"
    # each piece is one flat color (apart from the glass's faint mottle), away from the lead's
    # anti-aliased fringe
    core = cv2.erode((labels > 0).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    big = np.argsort(sizes)[-20:]
    for label in big:
        spread = out[(labels == label) & core].astype(np.float32).std(axis=0).max()
        assert spread < 16, f"piece {label} is not one glass color (std {spread:.1f})"


def test_stained_glass_lead_gets_thicker_with_the_slider(falcon):
    img = to_side(falcon, 600)
    thin = (effects.apply(img, "stained_glass", {"lead_width": 1}).max(axis=2) < 45).mean()
    thick = (effects.apply(img, "stained_glass", {"lead_width": 6}).max(axis=2) < 45).mean()
    assert thick > 2 * thin


# --- oil painting ----------------------------------------------------------------------------


def test_oil_strokes_follow_the_structure():
    """Noisy diagonal stripes: the painting keeps their direction and loses the noise, so the
    structure tensor is more coherent than the input's."""
    yy, xx = np.mgrid[0:800, 0:800].astype(np.float32)
    stripes = 128 + 70 * np.sin((xx * np.cos(0.5) + yy * np.sin(0.5)) * (2 * np.pi / 40))
    noise = np.random.default_rng(3).normal(0, 45, stripes.shape)
    img = cv2.cvtColor(np.clip(stripes + noise, 0, 255).astype(np.uint8), cv2.COLOR_GRAY2BGR)
    out = effects.apply(img, "oil_painting", {"relief": 0, "bristles": 0})
    assert coherence(out) > coherence(img) + 0.15, (coherence(out), coherence(img))
    # and the stripes are still there, in the same place
    corr = np.corrcoef(gray(out).ravel().astype(float), stripes.ravel())[0, 1]
    assert corr > 0.8, corr


def test_oil_painting_is_more_coherent_than_the_photo(falcon):
    out = effects.apply(falcon, "oil_painting")
    assert coherence(out) > coherence(falcon)


def test_oil_has_no_square_artefacts_in_smooth_areas():
    """A smooth gradient stays a smooth gradient: no blocks, no quadrant steps."""
    yy, xx = np.mgrid[0:700, 0:900].astype(np.float32)
    ramp = 60 + 120 * (xx / 900) + 40 * np.sin(yy / 90)
    img = cv2.cvtColor(ramp.astype(np.uint8), cv2.COLOR_GRAY2BGR)
    out = gray(effects.apply(img, "oil_painting", {"relief": 0, "bristles": 0, "saturation": 1})).astype(float)
    assert np.abs(out - ramp).mean() < 3
    second = np.abs(np.diff(out, 2, axis=1)).max(), np.abs(np.diff(out, 2, axis=0)).max()
    assert max(second) <= 4, f"steps in a smooth gradient: {second}"
