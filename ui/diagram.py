"""Drawing vocabulary the network diagrams share: colour maps, number text, arrows, hatched nodes.

Colour maps are the theme's colour-blind-safe ones, so a value has the same colour here as in
the heatmaps: signed values on CET-CBD1 (saturating at ±1), gates in 0..1 on viridis, gradient
magnitudes on a log scale as the theme's 'backward' colour fading into the background as the
gradient vanishes.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPen, QPolygonF

LUT_SIZE = 256
NONFINITE_FILL = "#9e9e9e"
NONFINITE_HATCH = "#303030"


def _mix(a: str, b: str, u: float) -> str:
    ca, cb = QColor(a), QColor(b)
    rgb = [round((1 - u) * x + u * y) for x, y in zip(ca.getRgb()[:3], cb.getRgb()[:3])]
    return QColor(*rgb).name()


def _ramp(stops, n: int = LUT_SIZE) -> list[QColor]:
    rgb = np.array([QColor(s).getRgb()[:3] for s in stops], dtype=float)
    pos = np.linspace(0.0, 1.0, len(stops))
    u = np.linspace(0.0, 1.0, n)
    channels = [np.interp(u, pos, rgb[:, k]) for k in range(3)]
    return [QColor(round(r), round(g), round(b)) for r, g, b in zip(*channels)]


def _from_map(cmap) -> list[QColor]:
    lut = cmap.getLookupTable(0.0, 1.0, LUT_SIZE, alpha=False)
    return [QColor(int(r), int(g), int(b)) for r, g, b in lut]


def value_lut(theme) -> list[QColor]:
    """The theme's diverging map (CET-CBD1, as the heatmaps) for a value in [-1, 1]."""
    return _from_map(theme.diverging_map())


def gate_lut(theme) -> list[QColor]:
    """The theme's sequential map (viridis, as the gate heatmaps) for a gate value in [0, 1]."""
    return _from_map(theme.sequential_map())


def gradient_lut(theme) -> list[QColor]:
    """The theme's 'backward' colour from faint (a vanished gradient) to strong, for a log position in [0, 1]."""
    c = theme.colours
    return _ramp((_mix(c.background, c.backward, 0.22), _mix(c.background, c.backward, 0.6), c.backward,
                  _mix(c.backward, c.foreground, 0.45)))  # fmt: skip


def value_index(values: np.ndarray, vmax: float = 1.0) -> np.ndarray:
    """LUT index of each value on the diverging map (saturating at ±vmax); 0 where not finite."""
    with np.errstate(invalid="ignore"):
        u = np.clip(np.asarray(values, dtype=float) / vmax, -1.0, 1.0)  # ±inf to ±1; NaN stays (np.nan_to_num: slow)
    u = np.where(np.isnan(u), 0.0, u)
    return np.rint((u + 1.0) * 0.5 * (LUT_SIZE - 1)).astype(np.int16)


def pixels_over(offset: float, scale: float, n: int) -> tuple[int, np.ndarray]:
    """Cells 0 … n−1 drawn at device coordinate offset + scale·u (u in [0, n), scale ≠ 0, either sign):
    the first device pixel whose centre lies over them, and the cell under each such pixel's centre.

    An image resampled this way and drawn unscaled shows what Qt's texture fill shows, the same
    however a repaint is clipped (the heatmap's cells, the diagram's strip rows).
    """
    a, b = sorted((offset, offset + scale * n))
    first, end = math.ceil(a - 0.5), math.ceil(b - 0.5)
    return first, np.clip(np.floor((np.arange(first, end) + 0.5 - offset) / scale).astype(np.intp), 0, n - 1)


def unit_index(u: np.ndarray) -> np.ndarray:
    """LUT index of each number in [0, 1] on a sequential map."""
    u = np.clip(np.asarray(u, dtype=float), 0.0, 1.0)
    u = np.where(np.isnan(u), 0.0, u)
    return np.rint(u * (LUT_SIZE - 1)).astype(np.int16)


TOP_DECADE = 308  # log10 of the largest whole decade a float64 holds


def log_scale(norms: np.ndarray, min_decades: float = 2.0) -> tuple[np.ndarray, float, float]:
    """Positions in [0, 1] of positive norms on a log axis, and the axis ends (log10 lo, hi).

    The axis spans whole decades around the finite positive norms, at least `min_decades`
    wide so that a nearly constant gradient does not look like a dramatic one. Zero and
    non-finite norms get position 0 (the caller draws them distinctly).
    """
    norms = np.asarray(norms, dtype=float)
    good = np.isfinite(norms) & (norms > 0)
    if not good.any():
        return np.zeros(norms.shape), -1.0, 1.0
    with np.errstate(divide="ignore"):
        logs = np.log10(np.where(good, norms, 1.0))
    # the top decade at most 1e308: a float64 ends at 1.8e308, so a legend saying 1e309 names no number
    lo, hi = math.floor(logs[good].min()), min(math.ceil(logs[good].max()), TOP_DECADE)
    if hi - lo < min_decades:
        lo = math.floor((lo + hi - min_decades) / 2)
        hi = lo + math.ceil(min_decades)
        if hi > TOP_DECADE:
            lo, hi = lo - (hi - TOP_DECADE), TOP_DECADE
    u = np.where(good, np.minimum((logs - lo) / (hi - lo), 1.0), 0.0)
    return u, float(lo), float(hi)


def number(v: float, digits: int = 4) -> str:
    """A number for a tooltip or a formula: fixed when readable, else scientific; ∞ and NaN spelled out."""
    v = float(v)
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "∞" if v > 0 else "−∞"
    a = abs(v)
    if 0.1 <= a < 1 and round(a, digits) < 1:  # as many significant digits as above 1: 0.25 · 0.50 is 0.125, not 0.12
        text = f"{v:.{digits}f}"
    elif a == 0 or 0.1 <= a < 1e4:  # (0.99996 rounds up: written 1.00, as 1 is)
        text = f"{v:.{digits - 1}f}"
    elif 1e-3 <= a < 0.1:
        text = f"{v:.{digits}g}"  # small: significant digits, not decimals (0.0043, not 0.00)
    else:
        mantissa, exponent = f"{v:.{digits - 1}e}".split("e")
        text = f"{mantissa}e{int(exponent)}"  # 2.5e7, 3.1e-5: no '+', no leading zeros
    return text.replace("-", "−")


def fmt(v: float, short: bool = False) -> str:
    """A value as short text for a node (at most 3 significant digits): '0.53', '0.012', '−14.7', '3.1e−5', 'inf'.

    short: at most 2 significant digits ('−15', '3e−5') for a node too small for more.
    """
    v = float(v)
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "inf" if v > 0 else "−inf"
    a = abs(v)
    if 0.01 <= a < 0.1 and round(a, 3) < 0.1:  # two significant digits, as below 0.01 (0.012, not 0.01)
        text = f"{v:.3f}"
    elif v == 0.0 or 0.01 <= a < 10:
        text = f"{v:.2f}"
    elif 10 <= a < 100:
        text = f"{v:.0f}" if short else f"{v:.1f}"
    elif 100 <= a < 1000:
        text = f"{v:.0f}"
    else:
        mant, exp = (f"{v:.0e}" if short else f"{v:.1e}").split("e")
        text = f"{mant}e{int(exp)}"
    return text.replace("-", "−")


def decade(p: float) -> str:
    """10**p as short legend text: '1e−8', '1', '1e3'."""
    p = round(p)
    return "1" if p == 0 else f"1e{p}".replace("-", "−")


def nonfinite_brush() -> QBrush:
    """The hatched fill of a node whose value is infinite or NaN."""
    return QBrush(QColor(NONFINITE_HATCH), Qt.BrushStyle.BDiagPattern)


def text_on(fill: QColor) -> QColor:
    """Black or white, whichever reads better on a fill colour."""
    r, g, b = fill.redF(), fill.greenF(), fill.blueF()
    return QColor("#000000") if 0.299 * r + 0.587 * g + 0.114 * b > 0.55 else QColor("#ffffff")


def with_alpha(c: QColor, alpha: float) -> QColor:
    """A copy of a colour with an alpha in [0, 1]."""
    out = QColor(c)
    out.setAlphaF(max(0.0, min(1.0, alpha)))
    return out


def blend(base: QColor, tint: QColor, u: float) -> QColor:
    """The opaque colour of `tint` laid over `base` with opacity u."""
    return QColor.fromRgbF(*((1 - u) * b + u * t for b, t in zip(base.getRgbF()[:3], tint.getRgbF()[:3])))


def arrow(painter: QPainter, a: QPointF, b: QPointF, pen: QPen, head: float) -> None:
    """A straight line from a to b with a filled arrowhead of length `head` at b."""
    dx, dy = b.x() - a.x(), b.y() - a.y()
    length = math.hypot(dx, dy)
    if length < 1e-6:
        return
    ux, uy = dx / length, dy / length
    head = min(head, 0.8 * length)
    base = QPointF(b.x() - ux * head, b.y() - uy * head)
    painter.setPen(pen)
    painter.drawLine(a, base)
    half = max(head * 0.55, pen.widthF() * 0.9)
    tip = QPolygonF(
        [b, QPointF(base.x() - uy * half, base.y() + ux * half), QPointF(base.x() + uy * half, base.y() - ux * half)]
    )
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(pen.color())
    painter.drawPolygon(tip)


def centered_text(painter: QPainter, center: QPointF, text: str, w: float = 400.0, h: float = 100.0) -> None:
    """Draw text centred on a point."""
    painter.drawText(QRectF(center.x() - w / 2, center.y() - h / 2, w, h), Qt.AlignmentFlag.AlignCenter, text)


SUBSCRIPTS = dict(zip("ₐₑₒₓₕₖₗₘₙₚₛₜ", "aeoxhklmnpst"))  # Unicode subscript letters and the letters they lower
SUB_SCALE = 0.7  # a subscript's type, of its line's


def _runs(text: str) -> list[tuple[str, bool]]:
    """text as runs of (plain letters, subscript?), the subscript ones as plain letters."""
    runs: list[tuple[str, bool]] = []
    for ch in text:
        sub = ch in SUBSCRIPTS
        ch = SUBSCRIPTS.get(ch, ch)
        if runs and runs[-1][1] == sub:
            runs[-1] = (runs[-1][0] + ch, sub)
        else:
            runs.append((ch, sub))
    return runs


def _sub_font(font: QFont) -> QFont:
    sub = QFont(font)
    if font.pixelSize() > 0:
        sub.setPixelSize(max(1, round(SUB_SCALE * font.pixelSize())))
    else:
        sub.setPointSizeF(SUB_SCALE * font.pointSizeF())
    return sub


def sub_text_width(font: QFont, text: str) -> float:
    """The width of text drawn by sub_text: Unicode subscript letters (Wₕₕ) as smaller, lowered letters."""
    fm, fs = QFontMetricsF(font), QFontMetricsF(_sub_font(font))
    return sum((fs if sub else fm).horizontalAdvance(run) for run, sub in _runs(text))


def sub_text(painter: QPainter, center: QPointF, text: str, font: QFont) -> None:
    """Draw text centred on a point, its Unicode subscript letters (Wₕₕ) as a real subscript:
    the letters in SUB_SCALE of the type, lowered, as W<sub>hh</sub> in the plots' titles."""
    sub_font = _sub_font(font)
    fm, fs = QFontMetricsF(font), QFontMetricsF(sub_font)
    x = center.x() - 0.5 * sub_text_width(font, text)
    base = center.y() - 0.5 * fm.height() + fm.ascent()
    for run, sub in _runs(text):
        painter.setFont(sub_font if sub else font)
        painter.drawText(QPointF(x, base + (0.3 * fs.ascent() if sub else 0.0)), run)
        x += (fs if sub else fm).horizontalAdvance(run)
    painter.setFont(font)
