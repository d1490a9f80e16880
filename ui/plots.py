"""The four live plots: gradient norms, the Jacobian product, the eigenvalues of W_hh, the states.

Each plot is built once: its curves, cursor line and veil are created in __init__ and only
receive new arrays (`setData`, `setImage`) when the trace changes. A frame tick moves the
cursor, the marker and the veil (the part of the trace not yet computed at that frame); it
computes nothing. Hovering shows the exact values under the mouse; clicking moves the playhead.
"""

from __future__ import annotations

import functools
import math
import re
import weakref
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pyqtgraph as pg
import shiboken6
from pyqtgraph.graphicsItems.PlotDataItem import PlotDataset
from PySide6 import QtGui
from PySide6.QtCore import QEvent, QLineF, QPoint, QPointF, QRect, QRectF, QSignalBlocker, QSize, QSizeF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QCursor,
    QFont,
    QFontMetricsF,
    QImage,
    QPainter,
    QPainterPath,
    QPen,
    QPixmap,
    QRegion,
    QStaticText,
    QTextLayout,
    QTextOption,
    QTransform,
)
from PySide6.QtWidgets import (
    QGraphicsEllipseItem,
    QGraphicsItem,
    QGraphicsLineItem,
    QGraphicsTextItem,
    QGraphicsWidget,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QStyleOptionGraphicsItem,
    QTabBar,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from simulator.config import Config
from simulator.result import EXPLODING_ABOVE, SEQUENCE_FACTOR, VANISHING_BELOW, Result

from . import diagram as dg
from . import theme as theme_mod
from .diagram import number as fmt
from .session import Session
from .soon import soon

GHOST_NAME = "before your last change"  # the details are in its tooltip and the plot's hover text
GHOST_SHORT = "before"  # ... where the whole name does not fit the legend's width (large type, a narrow plot)
BOUND_NAME = "bound (γσ<sub>max</sub>)<sup>T−1−t</sup>"
LEAKY_BOUND_NAME = "bound ((1−α)+αγσ<sub>max</sub>)<sup>T−1−t</sup>"  # a leaky ESN: α is the leak


def bound_name(leak: float) -> str:
    """The bound's legend entry: (γσ_max)^(T−1−t), or ((1−α)+αγσ_max)^(T−1−t) for a leaky unit."""
    return BOUND_NAME if leak == 1.0 else LEAKY_BOUND_NAME


MAX_CURVES = 8  # one per layer at most (LIMITS["layers"])
SYMBOLS_UP_TO = 60  # a dot per step while the steps are few enough to tell apart
LOG_FLOOR = 1e-300  # below this a norm is drawn as missing (log of 0)


def current_frame(session: Session) -> int:
    """The playhead, clamped to the current trace.

    While `trace_changed` is being delivered the Session may not have clamped its frame to a
    shorter trace yet; views that redraw then use this.
    """
    return min(session.frame, session.n_frames - 1)


def has_values(y: np.ndarray | None) -> bool:
    """Whether an array has a value a log axis can show (finite and above 0)."""
    if y is None:
        return False
    y = np.asarray(y)
    with np.errstate(invalid="ignore"):
        return bool((np.isfinite(y) & (y > 0)).any())


def positive(y: np.ndarray) -> np.ndarray:
    """Values for a log axis: zeros, negatives and non-finite values become NaN (drawn as gaps)."""
    y = np.array(y, dtype=float)
    y[~np.isfinite(y) | (y <= LOG_FLOOR)] = np.nan
    return y


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _qt_widget_rectangles() -> None:
    """pyqtgraph's layout widgets (PlotItem, ViewBox, LabelItem, ColorBarItem) take Qt's own boundingRect and shape.

    pyqtgraph's GraphicsWidget answers boundingRect in Python by mapping its geometry back from
    its parent: for a widget with no transform of its own (none of ours has one) that is
    QGraphicsWidget's rect(), which Qt gives without calling into Python. Qt asks some sixty times
    per Wrec step, each call a trip through PySide. Subclasses with their own (the view box, axes,
    legends) keep theirs. pyqtgraph's shape() kept a path that only its boundingRect renewed, so
    shape() is made from the (subclass's) rectangle each time it is asked: a view box clips its
    curves to that shape, which is half a pixel wider than Qt's rect().
    """

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRect(self.boundingRect())
        return path

    pg.GraphicsWidget.boundingRect = QGraphicsWidget.boundingRect
    pg.GraphicsWidget.shape = shape


_qt_widget_rectangles()


_TICK_RECTS: dict[tuple, QRectF] = {}  # tick labels measured: (font, dpi, text) -> pyqtgraph's measure
_DRAWN = object()  # an axis's `picture` while its drawing specs are current (pyqtgraph sets None to renew them)


class _TickMeasure:
    """The painter as AxisItem.generateDrawSpecs uses it (a font, and measuring tick labels), with the measures kept.

    Measuring a label lays it out; the same few labels (10⁻⁵, 0.5, 20 …) come back at every change of a range.
    """

    def __init__(self, painter: QPainter, dpi: int):
        self._painter, self._dpi = painter, dpi  # dpi: the screen's (the painter's device's is not asked: see paint)

    def setFont(self, font: QFont) -> None:
        self._painter.setFont(font)

    def boundingRect(self, rect: QRectF, flags, text: str) -> QRectF:
        p = self._painter
        key = (p.font().key(), self._dpi, rect.width(), rect.height(), int(flags), text)
        found = _TICK_RECTS.get(key)
        if found is None:
            if len(_TICK_RECTS) >= 1024:
                _TICK_RECTS.clear()
            found = _TICK_RECTS[key] = p.boundingRect(rect, flags, text)
        return QRectF(found)  # pyqtgraph changes the one it gets


def _text_corner(rect: QRectF, flags: int, size: QSizeF) -> QPointF:
    """Where a text of this size starts (top left) when aligned in rect as QPainter.drawText(rect, flags) would.

    size: the text's width and its line's unrounded height (PlainLine.text_size), which drawText centres.
    """

    def along(start: float, centre: float, end: float, length: float, to_end, to_centre) -> float:
        if flags & to_end:
            return end - length
        if flags & to_centre:
            return centre - length / 2
        return start

    c, A = rect.center(), Qt.AlignmentFlag
    x = along(rect.left(), c.x(), rect.right(), size.width(), A.AlignRight, A.AlignHCenter)
    y = along(rect.top(), c.y(), rect.bottom(), size.height(), A.AlignBottom, A.AlignVCenter)
    return QPointF(x, y)


def _nice_at_least(x: float) -> float:
    """The smallest of 1, 2, 5, 10, 20, 50 … (times a power of ten) that is at least x > 0."""
    power = 10.0 ** math.floor(math.log10(x))
    for m in (1.0, 2.0, 5.0, 10.0):
        if m * power >= x * (1 - 1e-12):
            return m * power
    return 10.0 * power


class MinusAxis(pg.AxisItem):
    """An axis that writes negative numbers with the minus sign (U+2212), as every text of the app does.

    It is drawn without pyqtgraph's QPicture. That records the axis when its range changes and
    plays the record back at each paint, laying every label out again both times; a Wrec step
    changes the gradient plots' ranges, and that was 0.8–1.0 ms an axis (0.35 now). Here the drawing
    specs are kept (`picture` is _DRAWN while they are current: pyqtgraph sets it to None to
    renew them), the label measures are kept across changes (_TickMeasure), and the labels are
    drawn from laid-out lines (PlainLine), so a change of range lays out only labels not seen before.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._specs = None
        self._bounds = None  # (what the rectangle depends on, the rectangle)
        self.whole = False  # ticks at whole numbers only (an axis of steps: no t = 0.5)
        self._text_levels = None  # the most tick levels with labels (the class's style, read on first use)

    LABEL_GAP_EM = 0.5  # the least gap between two labels along a horizontal axis, in the tick font's em

    def tickSpacing(self, minVal, maxVal, size):
        """pyqtgraph's tick levels; on an axis of whole numbers only those of spacing 1 or more.

        Labels are written only on levels whose labels keep a gap between them: pyqtgraph judges
        a level by the sum of its labels' sizes against the axis length, and always labels the
        first, so at a large type '5 10 15' touched along a short axis, and '1 0 −1' overlapped up
        a short one. A first level too dense for its labels gives way to the next 1-2-5 spacing
        that leaves the gap.
        """
        levels = super().tickSpacing(minVal, maxVal, size)
        if self.whole:
            levels = [level for level in levels if level[0] >= 1] or [(1.0, 0.0)]
        if self._text_levels is None:
            self._text_levels = self.style["maxTextLevel"]  # the class's own choice: never more levels than it
        span = abs(maxVal - minVal)
        if self.logMode or not levels or size <= 0 or not np.isfinite(span) or span <= 0:
            return levels
        per_unit = size / span
        need = self._label_pitch(minVal, maxVal)
        if levels[0][0] * per_unit < need:
            spacing = _nice_at_least(need / per_unit)
            levels = [(spacing, 0.0)] + [level for level in levels if level[0] < spacing and spacing % level[0] == 0]
        labelled = sum(1 for spacing, _ in levels if spacing * per_unit >= need)
        self.style["maxTextLevel"] = min(self._text_levels, max(0, labelled - 1))
        return levels

    def _label_pitch(self, minVal: float, maxVal: float) -> float:
        """The least distance between two label centres along the axis: the widest label (along a
        horizontal axis; a line's height along a vertical one) and a gap."""
        font = self.style.get("tickFont") or self.font()
        metrics = QFontMetricsF(font)
        if self.orientation in ("left", "right"):
            return (1.0 + self.LABEL_GAP_EM) * metrics.height()
        ends = [round(v) if self.whole else round(v, 1) for v in (minVal, maxVal)]  # the longest labels' kind
        widest = max(metrics.horizontalAdvance(f"{v:g}".replace("-", "−")) for v in ends)
        return widest + self.LABEL_GAP_EM * metrics.height()

    def boundingRect(self):
        """pyqtgraph's rectangle (the axis, its labels' overhang, the grid over the linked view), kept
        while neither the axis nor its view moved: Qt asks for it some thirty times per Wrec step, and
        pyqtgraph maps three rectangles each time."""
        view = self.linkedView()
        if view is None or view.parentItem() is not self.parentItem():  # not laid out side by side
            return super().boundingRect()
        style = self.style
        key = (self.geometry(), view.geometry(), self.grid, style["tickLength"], style["hideOverlappingLabels"])
        if self._bounds is None or self._bounds[0] != key:
            self._bounds = (key, super().boundingRect())
        return QRectF(self._bounds[1])

    def tickStrings(self, values, scale, spacing):
        return [s.replace("-", "−") for s in super().tickStrings(values, scale, spacing)]

    def _screen_view(self) -> pg.GraphicsView | None:
        """The view showing this axis when it is drawn for the screen; None in an export.

        (Qt paints a cached item with no widget, so `widget` cannot tell the two apart.)
        """
        if self._exportOpts is not False:
            return None
        scene = self.scene()
        views = scene.views() if scene is not None else []
        return views[0] if views else None

    def paint(self, p, opt, widget):
        if self.picture is not _DRAWN:
            view = self._screen_view()
            p.save()
            try:
                # on screen, the measures are kept per screen resolution; an export measures on its
                # own device. (painter.device() is not asked: wrapping the viewport as a bare
                # QPaintDevice confused PySide's object map and crashed a later paint)
                measure = _TickMeasure(p, view.logicalDpiY()) if view is not None else p
                self._specs = self.generateDrawSpecs(measure)
            finally:
                p.restore()
            self.picture = _DRAWN
        if self._specs is None:
            return
        axis, ticks, texts = self._specs
        p.save()
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        p.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
        pen, a, b = axis
        p.setPen(pen)
        p.drawLine(a, b)
        for pen, a, b in ticks:  # (translucent: where the two axes' grid lines cross, both show)
            p.setPen(pen)
            p.drawLine(a, b)
        if texts:
            font = self.style["tickFont"] or self.font()
            p.setFont(font)
            p.setPen(self.textPen())
            p.setClipRect(self.boundingRect(), Qt.ClipOperation.IntersectClip)
            for rect, flags, text in texts:
                line = _cached_text(text, font, False)
                line.draw(p, _text_corner(rect, int(flags), line.text_size()))
        p.restore()


PLAIN_DECADES = {0: "1", 1: "10", -1: "0.1", -2: "0.01"}  # decades a log axis may write out


class DecadeForm:
    """How a group of log axes writes its decades: all written out (0.01, 0.1, 1, 10) or all as powers (10⁻³).

    The rule, the same for every log axis: decades are written out only while every axis of the
    group shows no decade but those four (LogAxis.writes_out); else every one writes powers, and
    the values between decades as 2·10⁻³. The neighbouring gradient and Jacobian plots share one
    form (PlotsPanel), so a lecturer never reads '0.01' on one and '10⁻³' beside it; any other
    axis is a group of its own. The form follows the ranges shown, never the labels picked from
    them: those depend on a plot's height and type size, and had two plots of the same decades
    write them differently.
    """

    def __init__(self) -> None:
        self._axes: list[weakref.ref] = []
        self.written = True

    def join(self, axis: LogAxis) -> None:
        """Let this axis take its form from the group (it leaves its former group)."""
        old = axis.form
        if old is not None:
            old._axes = [a for a in old._axes if a() is not None and a() is not axis]
            old.check()
        axis.form = self
        self._axes.append(weakref.ref(axis))
        self.check()

    def check(self) -> None:
        """Decide the form anew (an axis's range changed); the axes redraw their labels only if it changed."""
        axes = [a for a in (ref() for ref in self._axes) if a is not None]
        written = all(a.writes_out() for a in axes)
        if written != self.written:
            self.written = written
            for axis in axes:
                axis.picture = None  # labels anew at the next paint
                axis.update()


def share_decade_form(*axes: LogAxis) -> DecadeForm:
    """One form for the decades of these log axes (see DecadeForm)."""
    form = DecadeForm()
    for axis in axes:
        form.join(axis)
    return form


class LogAxis(MinusAxis):
    """A log axis that always labels at least two values: decades (10⁻⁵ …), or 1-2-5 steps inside fewer decades."""

    LABEL_PX = 22  # the least room a label needs along the axis (pixels) at the normal type; more at a larger one
    MINOR_PX = 6  # the least room between two unlabelled decade marks

    form: DecadeForm | None = None  # (None while pyqtgraph's __init__ sets the first range)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.setStyle(maxTextLevel=0)  # labels on the first level only: the decades between are marks
        self.blank = False  # no numbers (a plot with no value to show): its grid stays, its width too
        DecadeForm().join(self)  # a group of its own until it shares one (share_decade_form)

    def set_blank(self, blank: bool) -> None:
        """Write no tick numbers (True) or the usual ones; the axis keeps its width, so the plot does not move."""
        if blank != self.blank:
            self.blank = blank
            self.picture = None  # drawn anew at the next paint
            self.update()
            self.form.check()  # a blank axis has no say in the form

    def setRange(self, mn: float, mx: float) -> None:
        super().setRange(mn, mx)
        if self.form is not None:
            self.form.check()

    def writes_out(self) -> bool:
        """Whether every decade this axis shows can be written out (PLAIN_DECADES): those between its ends
        rounded to the nearest decade, so that the values between decades (0.02, 0.005) stay short too.

        A blank axis, or one not on a log scale, says yes: it writes no decades.
        """
        if self.blank or not self.logMode:
            return True
        lo, hi = sorted(self.range)
        return min(PLAIN_DECADES) <= round(lo) and round(hi) <= max(PLAIN_DECADES)  # (they follow one another)

    def label_px(self) -> float:
        """The room a tick label needs along the axis: LABEL_PX, or 1.3 lines of the tick font when that is larger."""
        font = self.style.get("tickFont") or self.font()
        return max(float(self.LABEL_PX), 1.3 * QFontMetricsF(font).height())

    def tickValues(self, minVal, maxVal, size):
        """logTickValues straight away on a log axis.

        pyqtgraph works out linear ticks first and hands them on; logTickValues here does not use
        them, and they were a third of the cost of redrawing an axis.
        """
        if not self.logMode:
            return super().tickValues(minVal, maxVal, size)
        lo, hi = sorted((minVal, maxVal))
        return self.logTickValues(lo * self.scale, hi * self.scale, size, None)

    def logTickValues(self, minVal, maxVal, size, stdTicks):
        """Whole decades when two fit inside (every 1st, 2nd, 5th, 10th … on a short axis, never fewer than two).

        Only values half a label's room inside the ends count: pyqtgraph drops a label that
        would stick out of the axis, and an axis with one number on it cannot be read. With
        fewer than two decades inside, the 1, 2, 5 steps between them are labelled too (1 and 3
        when those would crowd).
        """
        span = maxVal - minVal
        label_px = self.label_px()
        margin = 0.5 * label_px * span / size if size > 0 and span > 0 else 0.0
        inner_lo, inner_hi = minVal + margin, maxVal - margin
        lo, hi = int(np.ceil(inner_lo)), int(np.floor(inner_hi))
        if hi - lo >= 1:
            fit = max(2, int(size // (1.5 * label_px)))  # labels that fit, half a label's room between them
            for step in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000):
                values = [v for v in range(lo, hi + 1) if v % step == 0]
                if len(values) <= fit:
                    break
            if len(values) < 2:  # no round step leaves two inside: the two outermost decades that fit
                values, step = [lo, hi], hi - lo
            # unlabelled marks (and fainter grid lines) between the labels: every decade, or every
            # 5th / 10th … when the decades are too close to tell apart (MINOR_PX apart at least)
            first, last = int(np.ceil(minVal)), int(np.floor(maxVal))
            per_decade = size / span if span > 0 else 0.0
            minor_step = next((m for m in (1, 5, 10, 50, 100) if m * per_decade >= self.MINOR_PX), None)
            minors = []
            if minor_step is not None and minor_step < step:
                minors = [float(v) for v in range(first, last + 1) if v % minor_step == 0 and v not in values]
            return [(float(step), [float(v) for v in values]), (None, minors)]
        decades = range(int(np.floor(minVal)), int(np.ceil(maxVal)))
        for mantissas in ((1, 2, 5), (1, 3)):
            ticks = [v + np.log10(m) for v in decades for m in mantissas]
            ticks = [x for x in ticks if inner_lo <= x <= inner_hi]
            gaps = np.diff(ticks) * size / span if len(ticks) > 1 and span > 0 else [np.inf]
            if min(gaps) >= label_px:  # the closest two (1 and 2, 2 and 3: not evenly spaced) keep apart
                break
        else:  # even 1 and 3 crowd: from all the 1, 2, 3, 5 steps, each next one a label's room on
            room = label_px * span / size if size > 0 else 0.0
            candidates = sorted(
                x for v in decades for m in (1, 2, 3, 5) if inner_lo <= (x := v + np.log10(m)) <= inner_hi
            )
            ticks = candidates[:1]
            for x in candidates[1:]:
                if x - ticks[-1] >= room:
                    ticks.append(x)
            if len(ticks) < 2 and len(candidates) > 1:  # never one number alone: the two outermost
                ticks = [candidates[0], candidates[-1]]
        return [(None, ticks)]

    def tickStrings(self, values, scale, spacing):
        """Decades written out (1, 10, 0.1, 0.01) or as 10ⁿ, as the axis's DecadeForm says; the values
        between them as 0.02 or as 2·10⁻³ likewise.

        One form per axis ('0.01' under '10⁻¹⁶' reads as two different scales), and per group of
        neighbouring axes (DecadeForm).
        """
        if self.blank:  # numbers on an empty plot would read as its values
            return [""] * len(values)
        if not self.logMode:
            return super().tickStrings(values, scale, spacing)
        # (the values too: an axis asked for labels outside the range it shows)
        written = self.form.written and all(round(v) in PLAIN_DECADES for v in values)
        out = []
        for v in values:
            k = round(v)
            if abs(v - k) < 1e-9:
                out.append(PLAIN_DECADES[k] if written else f"10{str(k).translate(_SUPERSCRIPT)}")
            elif written:
                out.append(f"{10**v:.3g}")
            else:  # m·10ᵏ with m in 1 … 10
                k = math.floor(v + 1e-9)
                out.append(f"{10 ** (v - k):.2g}·10{str(k).translate(_SUPERSCRIPT)}")
        return out


def relabel(legend: pg.LegendItem, item, text: str) -> None:
    """Give an item this legend text ('' removes it); nothing happens if it already has it."""
    labels = legend.__dict__.setdefault("_unrolled_labels", {})
    if labels.get(id(item), "") == text:
        return
    legend.removeItem(item)
    if text:
        legend.addItem(item, text)
    labels[id(item)] = text


class CurveSample(pg.ItemSample):
    """A legend sample that reads as its curve at any pen width (large type, slides).

    pyqtgraph draws a 20 px stroke with the curve's own pen: a dashed pen 4 px wide then shows a
    single dash (it reads as solid), and a curve's dot, outlined in the background colour, cuts
    the solid line in two (it reads as dashed). Here dashes are short enough for two to show,
    and the dot is outlined in its own colour.
    """

    def paint(self, p, *args):
        item = self.item
        if not isinstance(item, pg.PlotDataItem) or not item.isVisible():  # a scatter's dot: pyqtgraph's sample
            super().paint(p, *args)
            return
        opts = item.opts
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        pen = QPen(pg.mkPen(opts["pen"]))
        if pen.style() != Qt.PenStyle.SolidLine and pen.style() != Qt.PenStyle.NoPen:
            w = max(1.0, pen.widthF())
            on, off = max(1.0, 7.0 / w), max(1.0, 4.0 / w)
            dots = {Qt.PenStyle.DashDotLine: [on, off, 1.0, off], Qt.PenStyle.DotLine: [1.0, max(1.0, 3.0 / w)]}
            pattern = dots.get(pen.style(), [on, off])
            pen.setDashPattern(pattern)  # in pen widths: about 7 px on, 4 off: two dashes in the sample
        pen.setCapStyle(Qt.PenCapStyle.FlatCap)
        p.setPen(pen)
        p.drawLine(QPointF(0, 11), QPointF(20, 11))
        if opts.get("symbol") is not None:
            so = item.scatter.opts
            brush = pg.mkBrush(so["brush"])
            p.translate(10, 11)
            pg.graphicsItems.ScatterPlotItem.drawSymbol(p, opts["symbol"], so["size"], pg.mkPen(brush.color()), brush)


class RowLegend(pg.LegendItem):
    """A legend in rows under the plot's x-axis, so that it never covers the curves.

    It is never wider than the plot: entries wrap into as many rows as they need. A legend wider
    than its plot would widen the plot's layout past its panel and push the curves' right end
    (and the step t = 0 against the axis) out of sight.
    """

    MARGINS = (6, 4, 6, 4)  # left, top, right, bottom (pyqtgraph's 9 all round made two entries need two rows)

    def __init__(self, plot: pg.PlotItem, columns: int = 6):
        super().__init__(colCount=columns, horSpacing=10, verSpacing=0, sampleType=CurveSample)
        self.layout.setContentsMargins(*self.MARGINS)
        self.columns_changed = None  # called after max_columns changes (a figure's legend in a column)
        self._max_columns = columns
        # an item whose entry, the last, takes a row of its own when the entries need more than one row:
        # the others' columns are then as wide as their own entries (a wide last entry made them all wide)
        self.alone = None
        self.setParentItem(plot)
        plot.layout.addItem(self, 4, 1)  # a row of its own under the bottom axis (row 3)
        plot.legend = self
        self._plot = plot
        plot.geometryChanged.connect(self.updateSize)  # a resize only: never on an animation frame
        for name in ("left", "right"):  # a wider axis (its tick labels) leaves less room: the entries may wrap anew
            plot.getAxis(name).geometryChanged.connect(self._on_room_changed)

    @property
    def max_columns(self) -> int:
        """The most entries per row."""
        return self._max_columns

    @max_columns.setter
    def max_columns(self, columns: int) -> None:
        self._max_columns = columns
        if self.columns_changed is not None:
            self.columns_changed()

    def room(self) -> float:
        """The width the entries may take: the plot's, less its left and right axes."""
        plot = self._plot
        width = plot.width()
        for name in ("left", "right"):
            axis = plot.getAxis(name)
            if axis.isVisible():
                width -= axis.width()
        return max(0.0, width - 4)

    def _on_room_changed(self) -> None:
        """Wrap the entries anew only if they now fit in another number of columns (an axis changes its
        width with its range: during a Wrec drag too)."""
        if not shiboken6.isValid(self._plot):  # (an axis resized as its plot is deleted)
            return
        room = self.room()
        if room > 0 and self.items and self.columns_that_fit(room) != self.columnCount:
            self.updateSize()

    def _entry_widths(self) -> list[float]:
        hint = Qt.SizeHint.PreferredSize
        spacing = self.layout.horizontalSpacing()
        return [
            sample.effectiveSizeHint(hint).width() + spacing + label.effectiveSizeHint(hint).width()
            for sample, label in self.items
        ]

    def columns_that_fit(self, room: float) -> int:
        """The most entries per row (at most max_columns) whose grid is no wider than room."""
        widths = self._entry_widths()
        spacing = self.layout.horizontalSpacing()
        left, _, right, _ = self.layout.getContentsMargins()

        def fits(widths: list[float], n: int) -> bool:
            columns = [max(widths[j::n]) for j in range(min(n, len(widths)))]  # each as wide as its widest entry
            return sum(columns) + spacing * (len(columns) - 1) + left + right <= room

        most = min(self.max_columns, max(1, len(widths)))
        if self._alone_entry() is not None and len(widths) > 1:
            if most >= len(widths) and fits(widths, len(widths)):
                return len(widths)  # one row, the last entry in it
            widths = widths[:-1]  # in a row of its own
            most = min(most, len(widths))
        for n in range(most, 0, -1):
            if fits(widths, n):
                return n
        return 1

    def _alone_entry(self) -> tuple | None:
        """The last entry, if it is the item that takes a row of its own."""
        if self.alone is not None and self.items and self.items[-1][0].item is self.alone:
            return self.items[-1]
        return None

    def _lay_out_entries(self) -> None:
        """All entries anew, row by row (no holes where one was removed); the lone one on a row of its own."""
        for i in range(self.layout.count() - 1, -1, -1):
            self.layout.removeAt(i)
        n = max(1, self.columnCount)
        entries = list(self.items)
        alone = self._alone_entry() if len(entries) > n else None
        if alone is not None:
            entries.pop()
        middle = Qt.AlignmentFlag.AlignVCenter
        for k, (sample, label) in enumerate(entries):
            row, col = divmod(k, n)
            self.layout.addItem(sample, row, 2 * col, alignment=middle)
            self.layout.addItem(label, row, 2 * col + 1)
        rows = -(-len(entries) // n)
        if alone is not None:
            self.layout.addItem(alone[0], rows, 0, alignment=middle)
            self.layout.addItem(alone[1], rows, 1, 1, 2 * n - 1)  # across the other columns: it widens none
            rows += 1
        self.rowCount = rows

    def _addItemToLayout(self, sample, label) -> None:
        if self.alone is None:
            super()._addItemToLayout(sample, label)
        else:
            self._lay_out_entries()

    def _removeItemFromLayout(self, *parts) -> None:
        super()._removeItemFromLayout(*parts)
        if self.alone is not None:
            self._lay_out_entries()

    def setColumnCount(self, columnCount: int) -> None:
        if self.alone is None:
            super().setColumnCount(columnCount)
        elif columnCount != self.columnCount:
            self.columnCount = columnCount
            self._lay_out_entries()
            self.updateSize()

    def updateSize(self) -> None:
        """Wrap the entries to the plot's width; ask its layout for the height they need."""
        room = self.room()
        if room > 0 and self.items:
            columns = self.columns_that_fit(room)
            if columns != self.columnCount:
                self.setColumnCount(columns)  # lays the entries out again and calls updateSize
                return
        width = height = 0.0
        for row in range(self.layout.rowCount()):
            items = [self.layout.itemAt(row, col) for col in range(self.layout.columnCount())]
            items = list({id(i): i for i in items if i is not None}.values())  # (one spanning columns, once)
            width = max(width, sum(i.width() + 3 for i in items))
            height += max((i.height() for i in items), default=0)
        height += self.MARGINS[1] + self.MARGINS[3]
        self.setMinimumHeight(height)
        self.setMaximumHeight(height)
        self.setMinimumWidth(0)  # never widen the plot (an entry that alone is too wide is cut)
        self.setPreferredWidth(min(width, room) if room > 0 else width)
        self.updateGeometry()


def decade_range(*arrays: np.ndarray, extra: np.ndarray | tuple | None = None, reach: int = 2) -> tuple[float, float]:
    """A log10 y-range in whole decades around the finite positive values of some arrays (no room beyond them).

    Whole decades mean that a small change of the data does not move the axes (whose redraw is
    the expensive part of a plot update). `extra` (a bound, the faint curve from before a change:
    one array or several) may widen it by at most `reach` decades at each end, so that it never
    squeezes the arrays' own curves (the curve from before an overflow spanned 250 decades and
    left the new one a flat line at the bottom). The room for the end dots and labels is added in
    pixels when the range is shown (padded_range).
    """
    values = [a[np.isfinite(a) & (a > 0)] for a in arrays if a is not None and len(a)]
    values = [v for v in values if v.size]
    if not values:
        return -1.0, 1.0
    lo = float(np.floor(min(np.log10(v.min()) for v in values)))
    hi = float(np.ceil(max(np.log10(v.max()) for v in values)))
    extras = extra if isinstance(extra, tuple) else (extra,)
    top, bottom = hi, lo
    for e in extras:
        e = None if e is None else e[np.isfinite(e) & (e > 0)]
        if e is not None and e.size:
            top = max(top, min(float(np.ceil(np.log10(e.max()))), hi + reach))
            bottom = min(bottom, max(float(np.floor(np.log10(e.min()))), lo - reach))
    lo, hi = bottom, top
    if hi - lo < 1:
        lo -= 1
    return lo, hi


UNLAID_PAD = 0.3  # of a decade, at each end, while a view has no height yet (it is padded again once laid out)


def padded_range(decades: tuple[float, float], height: float, room: float) -> tuple[float, float]:
    """The y-range that shows these decades with `room` pixels to spare above and below, in a view `height` px high.

    The room is in pixels, not in decades: a fixed share of a decade shrank to a pixel or less
    when twenty decades shared a plot's height (the end dots stood half outside the frame, the
    end decades went unlabelled), and took a band of the plot where one decade had all of it.
    """
    lo, hi = decades
    if height <= 0:
        return lo - UNLAID_PAD, hi + UNLAID_PAD
    usable = max(height - 2 * room, height / 3)  # a view too low for its room: the data keeps a third of it
    pad = (hi - lo) * room / usable
    return lo - pad, hi + pad


def side_pad(steps: float, width: float, room: float) -> float:
    """Steps to show beyond the half step either side of a time axis `steps` wide, so that a dot of
    reach `room` px on the first or the last step stays inside a view `width` px wide.

    Half a step is room enough for a few dozen steps; at a hundred it is 3 px, and the end dots
    stood half outside the frame. (0.5 + p) px-per-step >= room with px-per-step = width / (steps + 2p).
    """
    if width <= 2 * room or steps <= 0:
        return 0.0
    return max(0.0, (room * steps - 0.5 * width) / (width - 2 * room))


def steady_range(new: tuple[float, float], old: tuple[float, float] | None, slack: float = 2.0) -> tuple[float, float]:
    """The y-range to show: the old one while it still holds the new one with at most `slack` to spare at each end.

    While Wrec is dragged, the data's decades come and go at every step; an axis that followed
    each of them would jump under the lecturer's hand, and redrawing an axis (its ticks, labels
    and grid) is a large part of a plot's update.
    """
    if old is None:
        return new
    (lo, hi), (old_lo, old_hi) = new, old
    if old_lo <= lo and hi <= old_hi and lo - old_lo <= slack and old_hi - hi <= slack:
        return old
    return new


def nice_ceil(m: float) -> float:
    """The next of 1, 2, 2.5, 5 × 10^k at or above m (stable colour-bar ends)."""
    if not np.isfinite(m) or m <= 0:
        return 1.0
    k = np.floor(np.log10(m))
    for step in (1.0, 2.0, 2.5, 5.0, 10.0):
        if step * 10**k >= m * (1 - 1e-12):
            return float(step * 10**k)
    return float(10 ** (k + 1))


HAIRLINE_GAP = 0.8  # px: hairlines further apart than this show a light seam between them
# the pen styles a bundle of hairlines draws, with Qt's dash patterns (in pen widths)
HAIRLINE_DASHES = {
    Qt.PenStyle.SolidLine: (),
    Qt.PenStyle.DashLine: (4.0, 2.0),
    Qt.PenStyle.DashDotLine: (4.0, 2.0, 1.0, 2.0),
    Qt.PenStyle.DotLine: (1.0, 2.0),
}
MAX_HAIRLINES = 8  # more would cost more than Qt's own wide line (the wide pens of large fonts get that)


@functools.lru_cache(maxsize=64)
def hairline_offsets(width: float) -> tuple[tuple[float, float], ...]:
    """Pixel offsets of the one-pixel lines that together draw a line `width` pixels wide.

    The lines sit on a ring of radius 0.45 (width - 1) (their antialiased edges add the rest of
    the width), with or without one at its centre. Seen across a line of any direction, no two
    neighbours may be more than HAIRLINE_GAP apart, or the line looks hollow: the fewest lines
    that manage it (each costs as much as the pixels it crosses). Three for the usual 2 px pen,
    more for the wider pens of large fonts.
    """
    radius = 0.45 * (width - 1.0)
    across = np.radians(np.arange(0.0, 180.0, 1.0))
    normals = np.stack([-np.sin(across), np.cos(across)], axis=1)  # across a line of each direction
    best: list[tuple[float, float]] = [(0.0, 0.0)]
    for m in (3, 4, 6, 8, 12, 16, 24):
        angles = np.radians(90.0 + 360.0 * np.arange(m) / m)
        ring = [(float(radius * np.cos(a)), float(-radius * np.sin(a))) for a in angles]
        for points in (ring, [(0.0, 0.0), *ring]):
            seen = np.sort(normals @ np.array(points).T, axis=1)
            if np.diff(seen, axis=1).max() <= HAIRLINE_GAP:
                return tuple(points)
            best = points
    return tuple(best)


def hairline_dashes(pattern: tuple[float, ...], width: float, cap: Qt.PenCapStyle) -> list[float]:
    """The dash pattern (in pixels) of a one-pixel pen whose dashes fall where a `width`-pixel pen's do.

    Qt's pattern is in pen widths, and a square or round cap lengthens each dash by half the
    pen's width at either end (the gaps shorten as much): a hairline's cap adds half a pixel.
    """
    extra = width - 1.0 if cap != Qt.PenCapStyle.FlatCap else 0.0
    return [d * width + (extra if k % 2 == 0 else -extra) for k, d in enumerate(pattern)]


class HairlineCurve(pg.PlotCurveItem):
    """A curve whose wide solid, dashed or dotted line is drawn as a bundle of antialiased hairlines on screen.

    Qt strokes an antialiased line wider than one pixel by outlining it and filling the outline,
    about 0.3 ms for a hundred points: a Wrec step redraws about ten such curves. A one-pixel
    line has a fast path (about 0.02 ms), and a few of them, a fraction of a pixel apart, cover
    the same width (hairline_offsets). Exports (slides) draw the real wide line.

    It also finds its bounds faster, and Qt asks for new ones of every curve at every Wrec step:
    pyqtgraph's dataBounds sets up a warnings filter and calls np.nanmin and np.nanmax (about
    30 µs): finite data with a cosmetic pen over the whole range (as here) take min and max, anything
    else (NaN gaps, a fill, a part of the range) goes to pyqtgraph's. And its boundingRect pads by
    the pen's width in pixels from a general pixel-vector computation: on a view that only scales
    (as every plot here), one pixel is 1/scale in each direction.
    """

    def boundingRect(self):
        if self._boundingRect is not None:
            return self._boundingRect
        pad = self.pixelPadding()
        view = self.getViewWidget()
        if pad <= 0 or view is None:
            return super().boundingRect()
        t = self.deviceTransform(view.viewportTransform())
        if t.type().value > QTransform.TransformationType.TxScale.value or t.m11() == 0 or t.m22() == 0:
            return super().boundingRect()
        xmn, xmx = self.dataBounds(ax=0)
        if xmn is None or xmx is None:
            return QRectF()
        ymn, ymx = self.dataBounds(ax=1)
        if ymn is None or ymx is None:
            return QRectF()
        px, py = pad / abs(t.m11()), pad / abs(t.m22())
        self._boundingRect = QRectF(xmn - px, ymn - py, 2 * px + xmx - xmn, 2 * py + ymx - ymn)
        return self._boundingRect

    def dataBounds(self, ax, frac=1.0, orthoRange=None):
        cache = self._boundsCache[ax]
        if cache is not None and cache[0] == (frac, orthoRange):
            return cache[1]
        d = self.xData if ax == 0 else self.yData
        opts = self.opts
        if d is None or len(d) == 0 or frac < 1.0 or orthoRange is not None or opts["stepMode"]:
            return super().dataBounds(ax, frac, orthoRange)
        pen, shadow = opts["pen"], opts["shadowPen"]
        if (
            opts["fillLevel"] not in (None, "enclosed")
            or (pen is not None and not pen.isCosmetic())
            or (shadow is not None and not shadow.isCosmetic())
        ):
            return super().dataBounds(ax, frac, orthoRange)
        lo, hi = float(d.min()), float(d.max())
        if not (math.isfinite(lo) and math.isfinite(hi)):  # NaN or inf: pyqtgraph's way round them
            return super().dataBounds(ax, frac, orthoRange)
        self._boundsCache[ax] = [(frac, orthoRange), (lo, hi)]
        return lo, hi

    def paint(self, p, opt, widget):
        pen = self.opts["pen"]
        wide = (
            pen is not None
            and pen.style() in HAIRLINE_DASHES
            and pen.isCosmetic()
            and pen.widthF() > 1.2
            and self._exportOpts is False
            and self.opts["antialias"]
            and self.opts["fillLevel"] is None
            and self.opts["shadowPen"] is None
            and self.xData is not None
            and len(self.xData) > 1
            and not self._shouldUseDrawLineSegments(pen)
        )
        offsets = hairline_offsets(round(pen.widthF(), 2)) if wide else ()
        if not wide or len(offsets) > MAX_HAIRLINES:
            super().paint(p, opt, widget)
            return
        path = p.transform().map(self.getPath())  # to device pixels: the offsets are in pixels
        hairline = QPen(pen)
        hairline.setWidthF(1.0)
        dashes = HAIRLINE_DASHES[pen.style()]
        if dashes:
            hairline.setDashPattern(hairline_dashes(dashes, pen.widthF(), pen.capStyle()))
        p.save()
        p.resetTransform()
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.setPen(hairline)
        for dx, dy in offsets:
            p.setTransform(QTransform.fromTranslate(dx, dy))
            p.drawPath(path)
        p.restore()


def use_hairlines(item: pg.PlotDataItem) -> None:
    """Give a PlotDataItem a HairlineCurve in place of its PlotCurveItem (same data, pen and signals)."""
    old = item.curve
    if isinstance(old, HairlineCurve):
        return
    new = HairlineCurve()
    new.setParentItem(item)
    new.sigClicked.connect(item.sigClicked)
    new.setZValue(old.zValue())
    new.stackBefore(item.scatter)  # under the per-step dots, as the curve it replaces was
    item.curve = new
    if old.scene() is not None:
        old.scene().removeItem(old)
    old.setParentItem(None)
    item.updateItems(styleUpdate=True)


def set_line(item: pg.PlotDataItem, x: np.ndarray, y: np.ndarray) -> None:
    """item.setData(x, y) for a styled line without dots: the same state at about a quarter of the cost.

    pyqtgraph's setData parses its arguments, sends every style option again to its curve and
    to its (unused) scatter, and emits signals nobody here listens to: about 0.1 ms a curve,
    and a Wrec step sets five to eight of them. Here the new arrays become the item's dataset,
    go through the item's own display mapping (the log axis) and reach its curve, whose style
    is already set. Anything else (dots, no pen yet, a pending style change) takes setData.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    opts = item.opts
    if (
        opts["symbol"] is not None
        or opts["pen"] is None
        or item._dataset is None
        or item.property("styleWasChanged")
        or x.shape != y.shape
        or x.ndim != 1
    ):
        item.setData(x, y, symbol=None)
        return
    item._dataset = PlotDataset(x, y)
    item._datasetMapped = item._datasetDisplay = None
    item._adsLastValue = 1
    shown = item._getDisplayDataset()
    item.curve.setData(x=shown.x, y=shown.y)
    item.curve.show()
    item.informViewBoundsChanged()


def set_curve(item: pg.PlotDataItem, x: np.ndarray, y: np.ndarray, dots: bool) -> None:
    """New data for a curve drawn with a dot per point (dots) or as a line alone."""
    if dots:
        item.setData(x, y, symbol="o")
    else:
        set_line(item, x, y)


class Marker(QGraphicsEllipseItem):
    """The playhead's dot on a curve: a circle `size` pixels across at one point of the view.

    It stands in for a one-point pg.ScatterPlotItem (same setData/getData), whose setData and
    paint run a good deal of Python on every animation frame; this one is drawn by Qt alone.
    """

    def __init__(self, size: float = 12.0):
        super().__init__()
        self._size, self._scale = float(size), 1.0
        self._pen = QPen()
        self._x, self._y = np.zeros(0), np.zeros(0)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)  # pixels, not view units
        self._fit()
        self.hide()

    def _fit(self) -> None:
        r = 0.5 * self._size * self._scale
        self.setRect(QRectF(-r, -r, 2 * r, 2 * r))
        pen = QPen(self._pen)
        pen.setWidthF(self._pen.widthF() * self._scale)
        super().setPen(pen)

    def reach(self) -> float:
        """How far its pixels reach from its centre."""
        return 0.5 * self._size * self._scale + self._pen.widthF() * self._scale

    def setData(self, x, y) -> None:
        """Put the dot at (x[0], y[0]) (view coordinates); empty arrays hide it."""
        self._x, self._y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        if len(self._x):
            self.setPos(float(self._x[0]), float(self._y[0]))
            self.show()
        else:
            self.hide()

    def getData(self) -> tuple[np.ndarray, np.ndarray]:
        """(x, y) as given to setData."""
        return self._x, self._y

    def setPen(self, pen: QPen) -> None:
        """The outline (its width in pixels)."""
        self._pen = QPen(pen)
        self._fit()

    def setExportMode(self, export: bool, opts: dict | None = None) -> None:
        """pyqtgraph's exporters draw at a resolution scale: grow with it, as its pixel-sized symbols do."""
        self._scale = float((opts or {}).get("resolutionScale", 1.0)) if export else 1.0
        self._fit()


class Dots(pg.ScatterPlotItem):
    """Dots of one look (symbol, size, pen, brush) at points that change all together: the eigenvalues.

    pg.ScatterPlotItem keeps a record per point and rebuilds them all in setData (about 0.2 ms
    for 32 eigenvalues, on every Wrec step) and runs a good deal of Python per paint. These
    dots keep two arrays (set_points) and stamp one pixmap, rendered as pyqtgraph renders its
    symbols, at each point. Exports draw each dot as a vector symbol. The legend's sample, the
    bounds and the look (setBrush, setPen, setSize) are the scatter item's.
    """

    def __init__(self, size: float = 9.0):
        super().__init__(size=size)
        self._stamp: tuple | None = None  # (key, pixmap)
        self._rect: QRectF | None = None  # the bounding rectangle, until the points or the view change
        # pg.ScatterPlotItem caches its picture in device pixels; every Wrec step moves the dots,
        # so the cache was redrawn each time, on top of drawing them (and stamps are cheaper than a blit)
        self.setCacheMode(QGraphicsItem.CacheMode.NoCache)
        self.set_points([], [])

    def set_points(self, x, y) -> None:
        """Dots at (x[k], y[k]) in view coordinates; empty arrays draw none."""
        self._x, self._y = np.asarray(x, dtype=float).ravel(), np.asarray(y, dtype=float).ravel()
        ok = np.isfinite(self._x) & np.isfinite(self._y)
        self._ok = None if ok.all() else ok
        self._span = [None, None] if not ok.any() else [(v[ok].min(), v[ok].max()) for v in (self._x, self._y)]
        self.prepareGeometryChange()
        self.bounds, self._rect = [None, None], None
        self.informViewBoundsChanged()
        self.update()

    def __len__(self) -> int:
        return len(self._x)

    def dataBounds(self, ax, frac=1.0, orthoRange=None):
        span = self._span[ax]  # Qt asks for the bounds several times per paint: made once, in set_points
        return (None, None) if span is None else (float(span[0]), float(span[1]))

    def pixelPadding(self) -> float:
        return 0.5 * float(self.opts["size"]) + max(1.0, self.opts["pen"].widthF())

    def boundingRect(self) -> QRectF:
        if self._rect is None:  # Qt asks several times per paint; the scatter's answer is Python each time
            self._rect = super().boundingRect()
        return QRectF(self._rect)

    def viewTransformChanged(self) -> None:
        self._rect = None  # the pixel padding is in view units
        super().viewTransformChanged()

    def setSize(self, *args, **kwargs) -> None:
        self._rect = None
        super().setSize(*args, **kwargs)

    def _pixmap(self, dpr: float):
        o = self.opts
        key = (o["symbol"], o["size"], o["pen"].color().rgba(), o["pen"].widthF(), o["brush"].color().rgba(), dpr)
        if self._stamp is None or self._stamp[0] != key:
            image = pg.graphicsItems.ScatterPlotItem.renderSymbol(o["symbol"], o["size"], o["pen"], o["brush"], dpr=dpr)
            self._stamp = (key, QtGui.QPixmap.fromImage(image))
        return self._stamp[1]

    def paint(self, p, option, widget) -> None:
        if self._span[0] is None:
            return
        m = p.transform()  # view -> device pixels (the dots' size is in pixels)
        x, y = (self._x, self._y) if self._ok is None else (self._x[self._ok], self._y[self._ok])
        dx = m.m11() * x + m.m21() * y + m.dx()
        dy = m.m12() * x + m.m22() * y + m.dy()
        p.save()
        p.resetTransform()
        if self._exportOpts is False:
            dpr = p.device().devicePixelRatioF()
            stamp = self._pixmap(dpr)
            half = 0.5 * stamp.width() / dpr
            for a, b in zip((dx - half).tolist(), (dy - half).tolist(), strict=True):
                p.drawPixmap(QPointF(a, b), stamp)
        else:  # an export: vector symbols at the export's resolution
            scale = float(self._exportOpts.get("resolutionScale", 1.0))
            o = self.opts
            pen = QPen(o["pen"])
            pen.setWidthF(pen.widthF() * scale)
            p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            for a, b in zip(dx.tolist(), dy.tolist(), strict=True):
                p.resetTransform()
                p.translate(a, b)
                pg.graphicsItems.ScatterPlotItem.drawSymbol(p, o["symbol"], o["size"] * scale, pen, o["brush"])
        p.restore()


class HeatmapImage(pg.ImageItem):
    """An ImageItem drawn on screen from a copy with one pixel per device pixel.

    pyqtgraph renders a colour-mapped float image to an 8-bit indexed QImage and has the
    painter scale it; Qt then fills the item's rectangle with that image as a texture, about
    0.8 ms for a 100 x 32 image drawn at 700 x 250 pixels. Qt's fast path for scaling a 32-bit
    image (0.1 ms) samples half a pixel off: a tenth of the pixels on the cells' edges take the
    neighbour's colour. So the screen gets what the texture fill gives (each device pixel the
    colour of the cell under its centre), built once per image and per view transform with numpy
    and drawn unscaled (about 0.02 ms). A Wrec step redraws the heatmap, a frame does not. The
    device's pixels are the physical ones: on a high-DPI screen, two (or 1.5) per logical pixel.
    Exports, a rotated view, a paint mode or a border keep pyqtgraph's own drawing.
    """

    _device: tuple | None = None  # (transform and image, QImage, its pixels, top-left device pixel)
    _grid: tuple | None = None  # (transform and size, image row per device row, column per column, top-left)

    def paint(self, painter, *args):
        if self.image is None:
            return
        if self._renderRequired:
            self.render()
            if self._unrenderable:
                return
        world = painter.transform()
        t = painter.deviceTransform()  # to the device's own pixels (the world transform and its pixel ratio)
        if (
            self._exportOpts is not False
            or t.type().value > QTransform.TransformationType.TxScale.value
            or world.m11() == 0
            or world.m22() == 0
            or self.paintMode is not None
            or self.border is not None
            or self.qimage is None
        ):
            super().paint(painter, *args)
            return
        ratio = t.m11() / world.m11()  # device pixels per logical pixel (2 on a high-DPI screen)
        if not (ratio > 0 and math.isclose(ratio, t.m22() / world.m22(), rel_tol=1e-9)):
            super().paint(painter, *args)
            return
        image = self.qimage
        key = (t.m11(), t.m22(), t.dx(), t.dy(), image.cacheKey())
        if self._device is None or self._device[0] != key:
            self._device = (key, *self._on_device(image, t))
        _, device, _, corner = self._device
        if device.isNull():  # no device pixel's centre inside the image
            return
        device.setDevicePixelRatio(ratio)
        painter.save()
        painter.resetTransform()
        painter.drawImage(QPointF(corner.x() / ratio, corner.y() / ratio), device)  # device pixel for pixel
        painter.restore()

    def _on_device(self, image: QImage, t: QTransform) -> tuple[QImage, np.ndarray, QPoint]:
        """image at one pixel per device pixel under t (a scale and a shift): each the image pixel under its centre."""
        if image.format() != QImage.Format.Format_ARGB32_Premultiplied:
            image = image.convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)
        w, h = image.width(), image.height()
        grid = (t.m11(), t.m22(), t.dx(), t.dy(), w, h)
        if self._grid is None or self._grid[0] != grid:  # which image pixel each device pixel shows
            x0, cols = dg.pixels_over(t.dx(), t.m11(), w)
            y0, rows = dg.pixels_over(t.dy(), t.m22(), h)
            self._grid = (grid, rows, cols, QPoint(x0, y0))
        _, rows, cols, corner = self._grid
        if cols.size == 0 or rows.size == 0:
            return QImage(), np.zeros((0, 0), np.uint32), corner
        src = np.frombuffer(image.constBits(), np.uint32).reshape(h, image.bytesPerLine() // 4)
        pixels = src.take(cols, axis=1)[rows]  # the columns, then whole rows copied
        H, W = pixels.shape
        device = QImage(pixels.data, W, H, 4 * W, QImage.Format.Format_ARGB32_Premultiplied)  # shares pixels' memory
        return device, pixels, corner


class Cursor(QGraphicsLineItem):
    """The playhead: a vertical line at step t across a plot's view, drawn and bounded by Qt alone.

    It lives in the view box's pixels (as pg.TextItem notices do), not in data units, so its
    bounds are exactly the pixels it covers: a frame repaints two thin strips, and no Python runs
    for its bounds or its paint (pg.InfiniteLine recomputed its bounds in Python several times per
    frame, the largest Python cost of a frame in the plots).
    """

    def __init__(self, view: pg.ViewBox):
        super().__init__()
        self._view = view
        self._t = 0.0
        self.setParentItem(view)
        view.sigResized.connect(self._place)
        view.sigRangeChanged.connect(self._place)
        self._place()

    def setValue(self, t: float) -> None:
        """Put the line at step t (data x)."""
        t = float(t)
        if t != self._t:
            self._t = t
            self._place()

    def value(self) -> float:
        """The step the line is at."""
        return self._t

    def pixels_per_step(self) -> float:
        """How far apart in the view box's pixels two steps are."""
        return self._per_step

    def _place(self, *_) -> None:
        view = self._view
        (x0, x1), _y = view.viewRange()
        width, height = view.width(), view.height()
        self._per_step = width / (x1 - x0) if x1 != x0 else 0.0
        x = (self._t - x0) / (x1 - x0) * width if x1 != x0 else 0.0
        line = QLineF(x, 0.0, x, height)
        if line != self.line():
            self.setLine(line)


class Veil(QGraphicsItem):
    """A shade over the x-range of a time plot not yet computed at this frame.

    Its bounding rectangle is the whole time axis, so that moving its edge invalidates only the
    strip between the old and the new edge (a resized QGraphicsRectItem would repaint the union of
    its old and new rectangles: most of the plot, on every animation frame).
    """

    Y_EXTENT = 1e4  # view units up and down: beyond any plot's y-range (log10 of a norm, or a unit)

    def __init__(self):
        super().__init__()
        self._bounds = QRectF()
        self._span: tuple[float, float] | None = None
        self._brush = QBrush()

    def set_extent(self, x0: float, x1: float) -> None:
        """The x-range the veil may ever cover (the time axis of the current trace)."""
        rect = self._strip(x0, x1)
        if rect != self._bounds:
            self.prepareGeometryChange()
            self._bounds = rect

    @property
    def span(self) -> tuple[float, float] | None:
        """The veiled x-range, or None."""
        return self._span

    def set_span(self, span: tuple[float, float] | None) -> None:
        """Veil this x-range (None: nothing); repaint only the strips whose shade changed."""
        span = None if span is None or span[1] <= span[0] else (float(span[0]), float(span[1]))
        old = self._span
        if span == old:
            return
        self._span = span
        if old is None or span is None:
            a0, a1 = old or span
            self.update(self._strip(a0, a1))
        else:  # the symmetric difference of two intervals lies within these two strips
            for a, b in ((old[0], span[0]), (old[1], span[1])):
                if a != b:
                    self.update(self._strip(min(a, b), max(a, b)))

    def setBrush(self, brush: QBrush) -> None:
        """The shade."""
        self._brush = QBrush(brush)
        self.update()

    def brush(self) -> QBrush:
        """The shade."""
        return QBrush(self._brush)

    def _strip(self, x0: float, x1: float) -> QRectF:
        return QRectF(x0, -self.Y_EXTENT, x1 - x0, 2 * self.Y_EXTENT)

    def boundingRect(self) -> QRectF:
        """The whole time axis (constant while the trace is)."""
        return self._bounds

    def paint(self, painter, option, widget=None) -> None:
        """Fill the veiled span."""
        if self._span is not None:
            rect = self._strip(*self._span).intersected(self._bounds)
            if painter.hasClipping():  # the repainted part only: a fill far taller than the view is slow
                rect = rect.intersected(painter.clipBoundingRect())
            painter.fillRect(rect, self._brush)


class RichLabel(QLabel):
    """A QLabel whose one-line rich text is laid out once per new text, and painted from that layout.

    QLabel lays a rich text out again for every size hint it is asked (at several widths) and
    again when it paints, a text document each time: a plot's verdict or a toolbar label that
    changes with every Wrec step cost more in those layouts than all the rest of its plot. An
    unwrapped RichLabel instead prepares a QStaticText once per text and font, answers its size
    hints from it and draws it. A word-wrapped one is a plain QLabel.
    """

    def __init__(self, text: str = "", parent: QWidget | None = None):
        super().__init__(text, parent)
        self._layout_of: tuple | None = None  # (text, font, format) the prepared text was made for
        self._prepared: TextLine | None = None

    def setText(self, text: str) -> None:
        """Show a new text (an unchanged one costs nothing)."""
        if text != self.text():
            super().setText(text)

    def width_of(self, text: str) -> int:
        """label_width(self, text), kept until the label's font, format or margins change."""
        widths = self.__dict__.setdefault("_widths", {})
        width = widths.get(text)
        if width is None:
            width = widths[text] = label_width(self, text)
        return width

    def changeEvent(self, event) -> None:
        """A new font, style or contents margins (ContentsRectChange): widths are measured again."""
        self.__dict__.pop("_widths", None)
        super().changeEvent(event)

    def setTextFormat(self, text_format) -> None:
        self.__dict__.pop("_widths", None)
        super().setTextFormat(text_format)

    def setMargin(self, margin: int) -> None:
        self.__dict__.pop("_widths", None)
        super().setMargin(margin)

    def prepared(self) -> TextLine:
        """The text laid out in the label's font (made once per text and font)."""
        key = (self.text(), self.font().key(), self.textFormat())
        if key != self._layout_of:
            self._prepared = static_text(self.text(), self.font(), self.textFormat())
            self._layout_of = key
        return self._prepared

    def _unwrapped(self) -> bool:
        return not self.wordWrap()

    def sizeHint(self) -> QSize:
        if not self._unwrapped():
            return super().sizeHint()
        size = self.prepared().size()
        m = self.contentsMargins()
        extra = 2 * self.margin()
        width = math.ceil(size.width()) + m.left() + m.right() + extra
        return QSize(width, math.ceil(size.height()) + m.top() + m.bottom() + extra)

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint() if self._unwrapped() else super().minimumSizeHint()

    def paintEvent(self, event) -> None:
        if not self._unwrapped():
            super().paintEvent(event)
            return
        text = self.prepared()
        size = text.size()
        room = self.contentsRect().adjusted(self.margin(), self.margin(), -self.margin(), -self.margin())
        align = self.alignment()
        if size.width() > room.width():  # too narrow: keep the start (a cut verdict must still begin with its word)
            x = room.left()
        elif align & Qt.AlignmentFlag.AlignRight:
            x = room.right() + 1 - size.width()
        elif align & Qt.AlignmentFlag.AlignHCenter:
            x = room.left() + (room.width() - size.width()) / 2
        else:
            x = room.left()
        if align & Qt.AlignmentFlag.AlignTop:
            y = room.top()
        elif align & Qt.AlignmentFlag.AlignBottom:
            y = room.bottom() + 1 - size.height()
        else:
            y = room.top() + (room.height() - size.height()) / 2
        painter = QPainter(self)
        painter.setFont(self.font())
        painter.setPen(self.palette().color(self.foregroundRole()))
        painter.setClipRect(room)
        text.draw(painter, QPointF(x, y))
        painter.end()


class PlainLine:
    """A line of plain text laid out once by a QTextLayout: its size, and drawing it with its top-left at a point.

    QStaticText takes about 55 µs to lay out " ×0.87/step" (its "×" costs 40 of them); a
    QTextLayout lays it out in about 8 µs and draws it, pixel for pixel the same, in 4.
    """

    def __init__(self, text: str, font: QFont):
        self._text = text
        self._layout = QTextLayout(text, font)
        option = QTextOption()
        option.setWrapMode(QTextOption.WrapMode.NoWrap)
        self._layout.setTextOption(option)
        self._layout.setCacheEnabled(True)  # keep the glyphs for drawing
        self._layout.beginLayout()
        line = self._layout.createLine()
        line.setPosition(QPointF(0.0, 0.0))
        self._layout.endLayout()
        self._size = QSizeF(line.naturalTextWidth(), line.height())
        self._text_height = line.ascent() + line.descent()  # unrounded: what QPainter.drawText centres

    def text(self) -> str:
        return self._text

    def textFormat(self) -> Qt.TextFormat:
        return Qt.TextFormat.PlainText

    def size(self) -> QSizeF:
        return QSizeF(self._size)

    def text_size(self) -> QSizeF:
        """The size QPainter.drawText aligns in a rectangle (the line's height unrounded)."""
        return QSizeF(self._size.width(), self._text_height)

    def draw(self, painter: QPainter, at: QPointF) -> None:
        self._layout.draw(painter, at)


def _draw_piece(painter: QPainter, at: QPointF, piece) -> None:
    if isinstance(piece, PlainLine):
        piece.draw(painter, at)
    else:
        painter.drawStaticText(at, piece)


class TextLine:
    """One line of text laid out for drawing: one piece, or a rich head and a plain tail side by side.

    A piece is a QStaticText (rich text) or a PlainLine. A header's text often changes only in its
    plain end (the verdict's factor, "×0.73/step"), while laying out its rich beginning costs a text
    document every time. Such a text is kept as its rich head (laid out once, shared through the
    cache) and its plain tail (cheap to lay out).
    """

    def __init__(
        self, head: QStaticText | PlainLine | None, tail: PlainLine | None = None, colour: QColor | None = None
    ):
        self.head, self.tail, self.colour = head, tail, colour  # colour: the plain tail's, if not the pen's
        h = head.size() if head is not None else QSizeF(0.0, 0.0)
        if tail is None:
            self._size = h
        else:
            t = tail.size()
            self._size = QSizeF(h.width() + t.width(), max(h.height(), t.height()))

    def size(self) -> QSizeF:
        return QSizeF(self._size)

    def draw(self, painter: QPainter, at: QPointF) -> None:
        x = at.x()
        if self.head is not None:
            _draw_piece(painter, at, self.head)
            x += self.head.size().width()
        if self.tail is not None:
            if self.colour is not None:
                painter.save()
                painter.setPen(self.colour)
            self.tail.draw(painter, QPointF(x, at.y()))
            if self.colour is not None:
                painter.restore()


_STATIC_TEXTS: dict[tuple, QStaticText | PlainLine] = {}  # texts of late, laid out (measuring and drawing share them)
_PLAIN_TAIL = re.compile(r"^(.*</(?:b|span|i)>)([^<>&]+)$", re.DOTALL)  # rich text ending in plain text
_COLOURED_PLAIN = re.compile(r"^<span style='color:(#[0-9A-Fa-f]{6})'>([^<>&]+)</span>$")  # plain text in a colour
_PLAIN_AS_RICH = re.compile(r"[^<>&\s]+(?: [^<>&\s]+)*")  # a "rich" text that reads the same as plain


def static_text(text: str, font, text_format=Qt.TextFormat.AutoText) -> TextLine:
    """A one-line text (rich or plain, as QLabel would take it) laid out in a font, ready to draw and measure.

    Laying out rich text costs about as much as drawing a plot's curve: the last few hundred
    texts are kept, so that a header measuring its candidate texts and then drawing one of them
    lays it out once, and a rich text that ends in plain text is laid out as the two (see TextLine).
    """
    auto = text_format == Qt.TextFormat.AutoText
    rich = text_format == Qt.TextFormat.RichText or (auto and QtGui.Qt.mightBeRichText(text))
    if rich and _PLAIN_AS_RICH.fullmatch(text):  # no markup, no spaces that rich text would fold: plain
        rich = False
    coloured = _COLOURED_PLAIN.match(text) if rich else None
    if coloured is not None:  # a muted header (the eigenvalues' ρ and σ): plain text in a pen of that colour
        return TextLine(None, _cached_text(coloured.group(2), font, False), QColor(coloured.group(1)))
    split = _PLAIN_TAIL.match(text) if rich else None
    # a subscript lowers only its own glyphs: the head's baseline stays the tail's (a superscript, another
    # size or a line break would move it)
    if split is not None and not any(tag in split.group(1) for tag in ("<sup", "font-size", "<br")):
        head = _cached_text(split.group(1), font, True)
        return TextLine(head, _cached_text(split.group(2), font, False))
    return TextLine(_cached_text(text, font, rich))


def _cached_text(text: str, font, rich: bool) -> QStaticText | PlainLine:
    key = (text, font.key(), rich)
    prepared = _STATIC_TEXTS.get(key)
    if prepared is None:
        if len(_STATIC_TEXTS) >= 512:
            _STATIC_TEXTS.clear()
        prepared = _STATIC_TEXTS[key] = _prepare_text(text, font, rich)
    return prepared


def _prepare_text(text: str, font, rich: bool) -> QStaticText | PlainLine:
    if not rich:
        return PlainLine(text, font)
    prepared = QStaticText(text)
    prepared.setTextFormat(Qt.TextFormat.RichText)
    option = QTextOption()
    option.setWrapMode(QTextOption.WrapMode.NoWrap)
    prepared.setTextOption(option)
    prepared.prepare(QTransform(), font)
    return prepared


def label_width(label: QLabel, text: str) -> int:
    """The pixels a one-line label needs to show a text in its font and format, margins included."""
    m = label.contentsMargins()
    width = static_text(text, label.font(), label.textFormat()).size().width()
    return math.ceil(width) + m.left() + m.right() + 2 * label.margin()


class QuietLine(QWidget):
    """Holds a one-line QLabel outside any layout, so that a new text only repaints it.

    A QLabel in a layout asks that layout, and every layout up to the window's, to be redone on
    each setText (it cannot know that one line keeps its height): on a Wrec change that relaid out
    and repainted the plots' headers and word-wrapped captions. Here the label fills a holder of
    fixed height that has no layout; the holder hides and shows with its label.
    """

    def __init__(self, label: QLabel, parent: QWidget | None = None):
        super().__init__(parent)
        self.label = label
        label.setParent(self)
        label.installEventFilter(self)
        self.setSizePolicy(label.sizePolicy().horizontalPolicy(), QSizePolicy.Policy.Fixed)
        self._fit()

    def _fit(self) -> None:
        """The height of one line of the label's text in its font."""
        m = self.label.contentsMargins()
        height = static_text("Xg", self.label.font(), self.label.textFormat()).size().height()
        self.setFixedHeight(math.ceil(height) + m.top() + m.bottom() + 2 * self.label.margin())

    def sizeHint(self) -> QSize:
        """As wide as the text (a stretching layout ignores it), one line high."""
        return QSize(self.label.sizeHint().width(), self.height())

    def resizeEvent(self, event) -> None:
        """The label fills the holder."""
        self._place()

    def event(self, event) -> bool:
        """A new text (the label asks its parent, this holder, to lay it out again): place it anew."""
        if event.type() == QEvent.Type.LayoutRequest:
            self._place()
        return super().event(event)

    def set_texts(self, *texts: str) -> None:
        """Show the first of these texts (longest first) that fits; the last one always shows.

        A plot's verdict must not vanish in a narrow layout: its details go first, the word stays.
        """
        self._texts = texts
        self._place()

    def _width_of(self, text: str) -> int:
        widths = self.__dict__.setdefault("_widths", {})
        if text not in widths:
            widths[text] = label_width(self.label, text)
        return widths[text]

    def _place(self) -> None:
        """The label fills the holder, or is dropped when its text does not fit (large fonts, a narrow plot).

        With texts given (set_texts) it shows the longest that fits, and never drops the last.
        """
        texts = getattr(self, "_texts", ())
        if texts:
            text = next((t for t in texts if self._width_of(t) <= self.width()), texts[-1])
            if self.label.text() != text:
                self.label.setText(text)  # asks for a layout: _place runs again and finds it placed
            self.label.setGeometry(self.rect())
            return
        fits = self.label.sizeHint().width() <= self.width()
        self.label.setGeometry(self.rect() if fits else QRect())

    def eventFilter(self, obj, event) -> bool:
        """Follow the label's visibility and font."""
        if obj is self.label:
            kind = event.type()
            if kind == QEvent.Type.HideToParent:
                self.hide()
            elif kind == QEvent.Type.ShowToParent:
                self.show()
            elif kind == QEvent.Type.FontChange:
                self.__dict__.pop("_widths", None)
                self._fit()
                self._place()
        return False


class PlotView(pg.PlotWidget):
    """A plot's view that repaints an animation frame from a picture of its still items.

    A frame moves only the playhead's marks (the cursor line, the veil's edge, the dot on the
    curve), within the columns of the steps the playhead left and entered. Qt repainted those
    strips by running the whole scene's paint under a clip (the grid, the curves, the axes):
    about half a millisecond a plot, a quarter of a frame. Here the view draws the marks itself:
    the scene holds them as items without contents (Qt neither paints them nor repaints where
    they move), marks_moved() asks for the strips they left and entered, and a repaint that
    those strips account for is copied from a picture of the plot without its marks (the
    still), with the marks drawn over it as the scene would (over the data, clipped to the
    view box). A repaint that reaches past them (new data, a resize, a theme, a zoom, a hover)
    is painted by the scene as before, with the marks drawn over it, and the still is drawn
    again at the next frame.

    While an item that lies over the marks shows (a blocker: an empty plot's notice, the
    overflow line), the marks go back to the scene and the view paints as pyqtgraph's does;
    so do they in an export (release_marks).

    The one change this cannot see is a change of the scene that lies wholly inside the marks'
    strips and is repainted together with them; the plot's own changes (new data, a theme) are
    announced with marks_moved(scene=True) and drop the still, and the others (a zoom, a resize,
    a hover) repaint far more than a strip.
    """

    MARGIN = 4  # px either side of a mark's column: Qt's 2 px for antialiasing, and the pens'

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._cursor: Cursor | None = None
        self._veil: Veil | None = None
        self._marks: list[QGraphicsItem] = []  # drawn in this order (their z order)
        self._dots: list[Marker] = []  # the marks that are dots (they say how far they reach)
        self._line_reach = 0.0  # px: how far the line's pen reaches from it (a Marker's reach is its own)
        self.blockers: list[QGraphicsItem] = []  # items over the marks: while one shows, the scene draws them
        self._owned = False  # whether this view draws the marks (they have no contents in the scene)
        self._released = False  # an export's view: the scene draws the marks, always
        self._still: QPixmap | None = None
        self._drawing_still = False
        self._still_due = False  # a still is to be made once the current paint is over
        self._settling = False  # the scene changed: no still until a frame after its repaint
        self._painted = False  # a repaint came since the scene last changed
        self._asked = QRegion()  # what marks_moved asked to repaint since the last repaint
        self._drawn: tuple | None = None  # where the marks were drawn last (see _where)
        self._asked_for: tuple | None = None  # where marks_moved found them
        self._option = QStyleOptionGraphicsItem()  # what the marks' paint() is given
        self.repaints = 0  # repaints while this view draws the marks (for tests and benchmarks) ...
        self.fast_repaints = 0  # ... and of those, the ones copied from the still
        self.stills_drawn = 0

    def set_marks(self, cursor: Cursor, veil: Veil, marks: list[QGraphicsItem], reach: float) -> None:
        """The playhead's items, in z order: the cursor line, the veil and others (a Marker), all within
        half a step of the cursor's column or `reach` px (a Marker: its own reach) of its line."""
        self._own(False)  # (the scene has the old marks back)
        self._cursor, self._veil, self._marks, self._line_reach = cursor, veil, list(marks), float(reach)
        self._dots = [m for m in self._marks if isinstance(m, Marker)]
        self._own(True)

    def release_marks(self) -> None:
        """Let the scene draw the marks from now on (an export renders the scene, not this view)."""
        self._released = True
        self._own(False)

    @property
    def draws_marks(self) -> bool:
        """Whether this view, not the scene, draws the marks now."""
        return self._owned

    def _own(self, owned: bool) -> None:
        owned = owned and bool(self._marks) and not self._released
        if owned != self._owned:
            self._owned = owned
            for item in self._marks:
                item.setFlag(QGraphicsItem.GraphicsItemFlag.ItemHasNoContents, owned)
            self._still, self._drawn = None, None
            self.viewport().update()

    def _where(self) -> tuple | None:
        """(cursor x, veil's x-range or None, half-width of the marks' column) in the viewport's pixels."""
        c = self._cursor
        if c is None or not c.isVisible():
            return None
        to_view = self.viewportTransform()
        at = c.deviceTransform(to_view)
        x = at.map(c.line().p1()).x()
        half = 0.5 * abs(at.m11()) * c.pixels_per_step()
        reach = self._line_reach
        for m in self._dots:
            if m.isVisible():
                reach = max(reach, m.reach())
        veil = self._veil
        span = None
        if veil is not None and veil.isVisible() and veil.span is not None:
            v = veil.deviceTransform(to_view)
            span = tuple(sorted((v.map(QPointF(veil.span[0], 0)).x(), v.map(QPointF(veil.span[1], 0)).x())))
        return x, span, max(half, reach) + self.MARGIN

    def marks_moved(self, scene: bool = False) -> None:
        """Repaint where the marks were drawn and where they are now (call after changing any of them).

        scene: the scene changed too (new data, a new theme): the still is out of date, and no new
        one is made until a frame comes after the scene's own repaint (pyqtgraph moves some items
        only when it paints, and a still made before then would be drawn for nothing).
        """
        if scene:
            self._still, self._settling, self._painted = None, True, False
        elif self._painted:
            self._settling = False
        self._own(not any(b.isVisible() for b in self.blockers))
        if not self._owned or scene:  # (the scene repaints what changed, and the marks over it)
            return
        now, drawn = self._where(), self._drawn
        self._asked_for = now  # where the marks will be drawn, unless the view changes meanwhile
        if now is None or drawn is None or self._settling:
            # all of it: pyqtgraph applies a new range only as the view paints, and Qt then repaints
            # where the data is, not where it was before a strip of the view was painted
            self.viewport().update()
            return
        (x, span, half), (x0, span0, half0) = now, drawn
        h = self.viewport().height()
        spans = [(min(x, x0) - max(half, half0), max(x, x0) + max(half, half0))]
        if span != span0:  # the veil's edges moved: the strips between the old and the new edges
            if span is None or span0 is None:
                spans.append(span or span0)
            else:
                spans += [(min(a, b), max(a, b)) for a, b in zip(span, span0, strict=True) if a != b]
        for a, b in spans:
            rect = QRect(math.floor(a) - self.MARGIN, 0, math.ceil(b) - math.floor(a) + 2 * self.MARGIN, h)
            self._asked += rect
            self.viewport().update(rect)

    def paintEvent(self, ev) -> None:
        if not self._owned or self._drawing_still:  # (the still: the scene paints, into it)
            super().paintEvent(ev)
            return
        self.repaints += 1
        region = ev.region()
        asked, self._asked = self._asked, QRegion()
        viewport = self.viewport()
        marks_only = region.subtracted(asked).isEmpty()  # else the scene changed (or Qt repaints a part)
        dpr = viewport.devicePixelRatioF()
        still = self._still if marks_only else None
        if still is not None and still.size() == viewport.size() * dpr:
            p = QPainter(viewport)
            box = region.boundingRect()  # (Qt clips the painter to the region itself)
            p.drawPixmap(box, still, QRectF(box.topLeft() * dpr, box.size() * dpr).toRect())
            self.fast_repaints += 1
            self._drawn = self._asked_for  # nothing but the marks changed since marks_moved measured them
        else:
            self._still = None
            super().paintEvent(ev)
            p = QPainter(viewport)
            self._drawn = self._where()
            if marks_only and not self._settling and not self._still_due:  # frames: a still for the next ones
                self._still_due = True
                soon(self._make_still)
        try:
            self._draw_marks(p, region)
        finally:
            p.end()
        self._painted = True

    def _make_still(self) -> None:
        self._still_due = False
        if self._owned and self._still is None and not self._settling and self.isVisible():
            self._still = self._draw_still()

    def _draw_still(self) -> QPixmap:
        """The whole view as the scene paints it (the marks have no contents there)."""
        viewport = self.viewport()
        dpr = viewport.devicePixelRatioF()
        still = QPixmap(viewport.size() * dpr)
        still.setDevicePixelRatio(dpr)
        still.fill(self.backgroundBrush().color())
        # the viewport's own paint, redirected (QGraphicsView.render would draw the cached items
        # from caches of its own, which their changes do not all reach)
        self._drawing_still = True
        try:
            viewport.render(still, QPoint(0, 0), QRegion(viewport.rect()), QWidget.RenderFlag(0))
        finally:
            self._drawing_still = False
        self.stills_drawn += 1
        return still

    def _draw_marks(self, p: QPainter, region: QRegion) -> None:
        """The marks as the scene draws them: over everything else, clipped to their view box."""
        to_view = self.viewportTransform()
        p.setRenderHints(self.renderHints())
        box = self._cursor.parentItem()  # the view box: it clips its children to its rectangle
        p.setClipRegion(region)
        # the view box exactly, as the scene clips it (its edge may fall between two logical pixels,
        # on a device pixel of a high-density screen); a rectangle with no transform: a quick clip
        p.setClipRect(box.deviceTransform(to_view).mapRect(box.boundingRect()), Qt.ClipOperation.IntersectClip)
        for item in self._marks:
            if item.isVisible():
                p.setWorldTransform(item.deviceTransform(to_view))
                item.paint(p, self._option, self.viewport())


class PlotPanel(QWidget):
    """A titled pyqtgraph plot with a caption, a playhead cursor, a veil, hover and click-to-seek."""

    title = ""
    short_title = ""  # the title when the full one leaves the badge's last text no room (large fonts, narrow plots)
    # The caption's first sentence, complete on its own and about 30 characters long: where room is
    # short the caption is cut to one line (its whole text in the tooltip), and that line still says it.
    short_caption = ""
    caption = ""
    time_axis = True  # x is the step t (cursor, veil and click-to-seek apply)

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.theme = theme_mod.current()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.setSpacing(1)
        header = QHBoxLayout()
        self.title_label = RichLabel(self.title)
        self.title_label.setTextFormat(Qt.TextFormat.RichText)
        header.addWidget(self.title_label)
        self.badge = RichLabel()
        self.badge.setTextFormat(Qt.TextFormat.RichText)
        self.badge.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.badge.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.badge_line = QuietLine(self.badge)
        header.addWidget(self.badge_line, 1)
        layout.addLayout(header)
        self._header = header
        # enableMenu=False: pyqtgraph then does not build the view menu we never show (start-up time)
        self.plot_widget = PlotView(
            axisItems={"left": LogAxis("left"), "bottom": MinusAxis("bottom")}, enableMenu=False
        )
        self.plot_widget.setMenuEnabled(False)
        self.plot_widget.hideButtons()
        self.plot: pg.PlotItem = self.plot_widget.getPlotItem()
        self.plot.showGrid(x=True, y=True, alpha=0.25)
        for name in ("left", "bottom"):  # the grid is drawn by the axes and spans the view box: cached,
            # new data over it copies them (unless their range changed) instead of drawing them again
            axis = self.plot.getAxis(name)
            axis.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
            # the grid under the data and the playhead's marks (pyqtgraph draws the axes over the view
            # box): the view then draws the marks over a picture of all the rest (see PlotView)
            axis.setZValue(self.plot.getViewBox().zValue() - 1)
        layout.addWidget(self.plot_widget, 1)
        self.caption_label = RichLabel(self.caption)
        self.caption_label.setTextFormat(Qt.TextFormat.RichText)
        self.caption_label.setWordWrap(True)
        self.caption_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        layout.addWidget(self.caption_label)

        self.cursor = Cursor(self.plot.getViewBox())
        self.cursor.setZValue(20)  # over the data (the view box's child group)
        self.cursor.setVisible(self.time_axis)
        self._cursor_colour: str | None = None  # the colour its pen has
        self.veil = Veil()
        self.veil.setZValue(15)
        if self.time_axis:
            self.plot.addItem(self.veil, ignoreBounds=True)
        self.notice = pg.TextItem(anchor=(0.5, 0.5))  # why a plot is empty, in the middle of its view
        self.notice.textItem.document().setDefaultTextOption(QTextOption(Qt.AlignmentFlag.AlignHCenter))
        self.notice.textItem.document().setDocumentMargin(2)  # (4 by default) a line more in a low view
        view = self.plot.getViewBox()
        self.notice.setParentItem(view)  # in the view's pixels, not in data coordinates
        self.notice.setZValue(30)
        self.notice.hide()
        self.plot_widget.blockers.append(self.notice)
        if self.time_axis:
            self.plot_widget.set_marks(self.cursor, self.veil, [self.veil, self.cursor], reach=2.0)
        self._notice_text = ""  # rich text, lines apart by "\n"
        self._notice_fit: tuple | None = None  # what the notice was last laid out for
        view.sigResized.connect(self._fit_notice)  # a resize only, never a frame
        self.last_hover = ""
        scene = self.plot.scene()
        self._hover_proxy = pg.SignalProxy(scene.sigMouseMoved, rateLimit=30, slot=self._on_mouse_moved)
        scene.sigMouseClicked.connect(self._on_mouse_clicked)

    moving: tuple[str, ...] = ()  # attributes naming the items a frame changes (besides the cursor and the veil)

    def cache_items(self) -> None:
        """Draw the trace's curves, dots and images from a pixel cache, remade only when they change.

        A frame moves the cursor across them: the plot then copies their pixels instead of
        running their paint code again. Items a frame changes stay uncached.
        """
        moving = {id(self.cursor), id(self.veil), *(id(getattr(self, name)) for name in self.moving)}
        for item in self.plot.items:
            if id(item) in moving:
                continue
            if isinstance(item, pg.PlotDataItem):
                use_hairlines(item)
                parts = (item.curve, item.scatter)
            elif isinstance(item, (pg.PlotCurveItem, pg.ScatterPlotItem, pg.ImageItem)):
                parts = (item,)
            else:
                continue
            for part in parts:
                part.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)

    reads_measures = False  # True: it reads the Jacobian-product norms, so it listens to trace_measured

    def connect_session(self) -> None:
        """Listen to the Session and the theme, and draw the current trace (call at the end of __init__)."""
        self.cache_items()
        signal = self.session.trace_measured if self.reads_measures else self.session.trace_changed
        signal.connect(self._on_trace_changed)
        self.session.frame_changed.connect(self._on_frame_changed)
        self.theme.changed.connect(self._on_theme_changed)
        # after each of those (connected later, so called later): the view draws the playhead's marks
        self.session.frame_changed.connect(self._marks_moved)
        for changed in (signal, self.theme.changed):
            changed.connect(self._scene_changed)
        self._on_theme_changed()
        self._on_trace_changed(self.session.trace)

    def _marks_moved(self, *_) -> None:
        self.plot_widget.marks_moved()

    def _scene_changed(self, *_) -> None:
        self.plot_widget.marks_moved(scene=True)

    # ---- to override -----------------------------------------------------------------
    def hover_text(self, x: float, y: float) -> str:
        """What to say about the point under the mouse (view coordinates)."""
        return ""

    x_pad = 0.0  # steps shown beyond −0.5 and T − 0.5 (room for the end dots of a long sequence)

    def veil_span(self, phase: str, t: int, T: int) -> tuple[float, float] | None:
        """The x-range not yet computed at this frame (None: nothing veiled)."""
        return None

    def _on_trace_changed(self, trace: Result) -> None:
        self._drawn_trace = trace
        self.hide_empty_items()
        self._on_frame_changed(current_frame(self.session))

    def redraw_trace(self) -> None:
        """Draw the trace on show again: for texts that take a theme's colours when a trace comes (a verdict)."""
        trace = getattr(self, "_drawn_trace", None)
        if trace is not None:
            self._on_trace_changed(trace)

    def hide_empty_items(self) -> None:
        """Hide the curves and dots that have no data (a layer this network lacks, no bound, no ghost yet).

        They draw nothing either way, but Qt asks every visible item for its bounds on every
        paint, and for pyqtgraph's items each answer is Python: hidden ones it skips.
        """
        moving = {id(getattr(self, name)) for name in self.moving}
        for item in self.plot.items:
            if isinstance(item, pg.PlotDataItem):
                has_data = item.xData is not None and len(item.xData) > 0
            elif isinstance(item, Dots):
                has_data = len(item) > 0
            elif isinstance(item, pg.ScatterPlotItem) and id(item) not in moving:
                has_data = len(item.data) > 0
            else:
                continue
            if item.isVisible() != has_data:
                item.setVisible(has_data)

    def _on_frame_changed(self, frame: int) -> None:
        phase, t = self.session.phase_step(frame)
        c = self.theme.colours
        if self.time_axis:
            self.cursor.setValue(t)
            colour = c.forward if phase == "forward" else c.backward
            if colour != self._cursor_colour:  # the phase changed (or the theme)
                self._cursor_colour = colour
                self.cursor.setPen(self.theme.pen(colour, 2))
            T = self.session.trace.T
            pad = self.x_pad
            self.veil.set_extent(-0.5 - pad, T - 0.5 + pad)
            self.veil.set_span(self.veil_span(phase, t, T))

    def _on_theme_changed(self) -> None:
        t, c = self.theme, self.theme.colours
        self.plot_widget.setBackground(c.background)
        t.style_plot(self.plot)
        self._fit_notice()  # a new type size
        card = QColor(c.background)  # on a card: the overflow line (or a curve) must not run through its words
        card.setAlpha(230)
        self.notice.fill = pg.mkBrush(card)
        self.title_label.setFont(t.font(1.0, bold=True))
        self.caption_label.setStyleSheet(f"color: {c.muted};")
        self.caption_label.setFont(t.font(0.9))
        veil = QColor(c.background)
        veil.setAlpha(150)
        self.veil.setBrush(QBrush(veil))
        self._cursor_colour = None  # set anew for the frame, below
        self._on_frame_changed(current_frame(self.session))

    def set_badge(self, *texts: str) -> None:
        """The header's right-hand texts, longest first (see QuietLine.set_texts); the title makes room for the last."""
        self.badge_line.set_texts(*texts)
        self._fit_title()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_title()

    def _fit_title(self) -> None:
        """The short title when the full one and the badge's last text (a verdict) do not fit side by side."""
        texts = getattr(self.badge_line, "_texts", ())
        if not self.short_title or not texts:
            return
        m = self.layout().contentsMargins()
        room = self.width() - m.left() - m.right() - self._header.spacing()
        label = self.title_label
        need = label.width_of(self.title) + (self.badge_line._width_of(texts[-1]) if texts[-1] else 0)
        title = self.title if need <= room else self.short_title  # (a last text '' may go: the full title)
        if label.text() != title:
            label.setText(title)
            label.setToolTip("" if title == self.title else self.title)  # a tooltip shows rich text

    NOTICE_SCALES = (0.95, 0.85, 0.75, 0.65, 0.55)  # the notice's type, largest first: the first that fits
    NOTICE_LEAST = 0.75  # ... but never smaller than this share of the normal type at font scale 1
    NOTICE_MARGIN = 4  # px between the notice and the view's edges

    def set_notice(self, text: str, colour: str | None = None) -> None:
        """Say in the middle of the plot why it shows nothing ('' hides it); per trace, never per frame.

        text is rich text (sub- and superscripts as elsewhere), its lines apart by "\n". It wraps
        inside the view box and takes a smaller type where the view is too low for it (_fit_notice).
        """
        if text:
            self._notice_text = text
            self.notice.setColor(colour or self.theme.colours.exploding)
            self._fit_notice()
        self.notice.setVisible(bool(text))

    def _fit_notice(self, *_) -> None:
        """Wrap the notice to the view's width, in the largest of NOTICE_SCALES whose lines fit its height.

        Where none does, its first line alone (the fact; the rest explains it). Centred in the view.
        """
        view = self.plot.getViewBox()
        text = self._notice_text
        m = self.NOTICE_MARGIN
        width, height = max(1.0, view.width() - 2 * m), max(1.0, view.height() - 2 * m)
        key = (text, round(width), round(height), self.theme.point_size(1.0))
        if text and key != self._notice_fit:
            self._notice_fit = key
            item = self.notice.textItem
            lines = text.split("\n")
            t = self.theme
            scales = [s for s in self.NOTICE_SCALES if s * t.font_scale >= self.NOTICE_LEAST] or [self.NOTICE_LEAST]
            tries = [(lines, s) for s in scales] + [(lines[:1], scales[-1])]
            for shown, scale in tries:
                item.setFont(self.theme.font(scale, bold=True))
                item.setHtml("<br>".join(shown))
                item.setTextWidth(width)
                if item.boundingRect().height() <= height:
                    break
            self.notice.updateTextPos()
        self.notice.setPos(view.width() / 2, view.height() / 2)

    def set_range(self, x: tuple[float, float], y: tuple[float, float]) -> None:
        """Set the view range only when it changed (a new range regenerates the axes)."""
        if getattr(self, "_range", None) != (x, y):
            self._range = (x, y)
            self.plot.setRange(xRange=x, yRange=y, padding=0)
            # apply the new view transform now: pyqtgraph defers it to the start of the next paint,
            # where moving every item makes that paint draw them at the old scale and schedules a second
            self.plot.vb.updateMatrix()

    def style_legend(self, legend: pg.LegendItem) -> None:
        """Theme colours and font size for a legend, on a translucent background over the curves."""
        t, c = self.theme, self.theme.colours
        legend.setLabelTextColor(c.foreground)
        legend.setLabelTextSize(f"{t.point_size(0.85):.0f}pt")
        for _, label in legend.items:  # pyqtgraph stores the new size and colour; setText applies them
            label.setText(label.text)
        bg = QColor(c.background)
        bg.setAlpha(200)
        legend.setBrush(pg.mkBrush(bg))
        legend.setPen(pg.mkPen(c.grid))

    # ---- mouse ------------------------------------------------------------------------
    def _on_mouse_moved(self, event) -> None:
        pos = event[0]
        if not self.plot.sceneBoundingRect().contains(pos):
            return
        p = self.plot.vb.mapSceneToView(pos)
        text = self.hover_text(p.x(), p.y())
        self.last_hover = text
        if text:
            QToolTip.showText(QCursor.pos(), text, self.plot_widget)
        else:
            QToolTip.hideText()

    def _on_mouse_clicked(self, event) -> None:
        if not self.time_axis or event.button() != Qt.MouseButton.LeftButton:
            return
        pos = event.scenePos()
        if not self.plot.vb.sceneBoundingRect().contains(pos):
            return
        t = round(self.plot.vb.mapSceneToView(pos).x())
        s = self.session
        if 0 <= t < s.trace.T:
            phase, _ = s.phase_step()
            s.set_frame(s.frame_of(phase, t))

    def step_at(self, x: float) -> int | None:
        """The step t nearest an x, or None outside the trace."""
        t = round(x)
        return t if 0 <= t < self.session.trace.T else None


BOUND_CAPTION = "Dashed: Pascanu's bound ‖∂L/∂h<sub>T−1</sub>‖·(γσ<sub>max</sub>)<sup>T−1−t</sup>. "


def gradient_bound(trace: Result, config: Config) -> np.ndarray | None:
    """The bound on ‖∂L/∂h_t‖ (Result.gradient_bound): Pascanu's ‖∂L/∂h_{T−1}‖·s^(T−1−t) for a loss at the
    last step, Σ_{k≥t} ‖∂ℓ_k/∂h_k‖·s^(k−t) for a loss at every step; an RNN or ESN, and finite losses' gradients.
    NaN at the steps truncated BPTT cuts off (Result.cut_off)."""
    bound = trace.gradient_bound
    if bound is None or not np.isfinite(trace.loss_grad_norms).all():
        return None
    cut = trace.cut_off
    if cut.any():  # truncated BPTT sends no gradient there: nothing to bound (the shaded band says so)
        bound = np.where(cut, np.nan, bound)
    return bound


def bound_caption(score: str, leak: float) -> str | None:
    """BOUND_CAPTION as it applies: None for one loss at the last step and no leak (as written), else its
    form for a leaky unit (one step back is (1−α)I + α·diag(φ′)W_hh) and for a loss at every step."""
    if score == "last" and leak == 1.0:
        return None
    step = "γσ<sub>max</sub>" if leak == 1.0 else "(1−α)+αγσ<sub>max</sub>"
    alpha = "" if leak == 1.0 else f", α = {leak:g} the leak"
    if score == "last":
        return f"Dashed: Pascanu's bound ‖∂L/∂h<sub>T−1</sub>‖·({step})<sup>T−1−t</sup>{alpha}. "
    return (
        f"Dashed: the bound Σ<sub>k≥t</sub> ‖∂ℓ<sub>k</sub>/∂h<sub>k</sub>‖·({step})<sup>k−t</sup>{alpha}: "
        "each step's loss carried back by Pascanu's factor. "
    )


def _step_ranges(steps: np.ndarray, most: int = 3) -> str:
    """Steps as runs, 't = 0 … 5, 9, 12 … 18' (the first few runs)."""
    runs = np.split(steps, np.flatnonzero(np.diff(steps) > 1) + 1)
    text = ", ".join(f"{r[0]}" if len(r) == 1 else f"{r[0]} … {r[-1]}" for r in runs[:most])
    return "t = " + text + (", …" if len(runs) > most else "")


def zero_notice(values: np.ndarray, what: str, start: int = 0) -> str:
    """Why steps are missing from a log plot: their value is exactly 0 ('' if none is from step start on)."""
    zero = np.flatnonzero(np.asarray(values)[start:] == 0) + start
    if not zero.size:
        return ""
    back = zero.size > 1 and zero[0] == 0 and zero[-1] == zero.size - 1  # one run from t = 0
    where = f"from t = {zero[-1]} back" if back else f"at {_step_ranges(zero)}"
    return f"{what} = 0 {where}:\nnot drawable on a log axis"


def norm_text(v: float) -> str:
    """A norm for a hover text: exact 0 said as such (the log axis has no place for it)."""
    return "0 (not drawable on a log axis)" if v == 0 else fmt(v, 6)


def overflow_notice(trace: Result, what: str, values: np.ndarray | None = None) -> str:
    """Why a backward-pass plot is empty: the forward pass overflowed ('' otherwise).

    An overflow during BPTT leaves the later steps' values, and the dashed 'overflow' line says where.
    values: the Jacobian-product norms the plot draws; if some of them before the last step (whose
    product is the identity, there whatever happened) are finite, the plot is not empty and says
    nothing over its curve (an identity RNN's Jacobians do not depend on the states).
    """
    nf = trace.nonfinite
    if nf is None or nf.phase != "forward":
        return ""
    if values is not None and (np.isfinite(values[:-1]) & (values[:-1] > 0)).any():
        return ""
    return f"no {what}:\nthe forward pass overflowed at t = {nf.step}"


class LogCurvePlot(PlotPanel):
    """A per-step quantity on a log axis (self.y, drawn by self.curve) with a dot at the playhead."""

    moving = ("marker",)

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(session, parent)
        self.plot.setLogMode(False, True)
        self.plot.disableAutoRange()
        self.plot.setLabel("bottom", "step t")
        self.plot.getAxis("bottom").whole = True
        self.legend = RowLegend(self.plot)
        self.marker = Marker(size=12)
        self.marker.setZValue(25)
        self.plot.addItem(self.marker, ignoreBounds=True)  # moving it must not re-run the auto-range
        self.plot_widget.set_marks(
            self.cursor, self.veil, [self.veil, self.marker, self.cursor], reach=2.0
        )  # as the scene stacks them: the cursor, the view box's child, over its data
        self.y = np.zeros(0)
        self.bound_y: np.ndarray | None = None
        self._decades: tuple[tuple[float, float], tuple[float, float]] | None = None  # (x-range, decades) held
        self.plot.getViewBox().sigResized.connect(self.fit_range)  # a resize only, never a frame

    def veil_span(self, phase, t, T):
        # forward: BPTT has not run yet; backward: steps before t are still to come (from the view's left edge)
        left = -0.5 - self.x_pad
        return (left, T - 0.5 + self.x_pad) if phase == "forward" else (left, t - 0.5)

    def set_steady_range(self, T: int, decades: tuple[float, float]) -> None:
        """Show steps 0 … T−1 and these whole decades, or the decades held now while they still hold them (see
        steady_range), with room beyond them for the end dots and labels (fit_range)."""
        x = (-0.5, T - 0.5)
        held = self._decades
        self._decades = (x, steady_range(decades, held[1] if held is not None and held[0] == x else None))
        self.fit_range()

    def fit_range(self, *_) -> None:
        """Show the held decades with end_room() pixels beyond them at the view's height now.

        Called on a new range, a resize (a window, a font scale, presenting) and a new type size:
        the same decades then need another share of a decade for the same pixels. Nothing is
        redrawn unless the range changes (set_range).
        """
        if self._decades is not None:
            x, decades = self._decades
            view = self.plot.getViewBox()
            room = self.end_room()
            pad = side_pad(x[1] - x[0], view.width(), self.marker.reach() + 1.0)
            if pad != self.x_pad:
                self.x_pad = pad
                self._on_frame_changed(current_frame(self.session))  # the veil reaches the new edges
                band = getattr(self, "truncated", None)  # ... and the truncated band the new left edge
                if band is not None and band.isVisible():
                    band.setRegion((-0.5 - pad, band.getRegion()[1]))
            self.set_range((x[0] - pad, x[1] + pad), padded_range(decades, view.height(), room))

    def end_room(self) -> float:
        """The pixels to spare above the highest decade and below the lowest.

        Room for the playhead's dot (its radius and pen) on a point at an end, and for half an end
        decade's label: the axis labels only decades half a label inside it (LogAxis.logTickValues).
        """
        return max(self.marker.reach(), 0.5 * self.plot.getAxis("left").label_px()) + 1.0

    def _on_theme_changed(self) -> None:
        super()._on_theme_changed()
        self.fit_range()  # the labels' type size may have changed

    def _on_frame_changed(self, frame: int) -> None:
        super()._on_frame_changed(frame)
        _, t = self.session.phase_step(frame)
        if 0 <= t < len(self.y) and np.isfinite(self.y[t]):
            self.marker.setData([t], [np.log10(self.y[t])])
        else:
            self.marker.setData([], [])

    def caption_with_bound(self, part: str, leaky: str | None) -> str:
        """The caption with its bound's sentence `part`: as written, in its leaky form, or left out (no bound)."""
        if self.bound_y is None:
            return self.caption.replace(part, "")
        return self.caption if leaky is None else self.caption.replace(part, leaky)

    def show_notice(self, overflow: str, zeros: str) -> None:
        """Why the plot shows nothing: an overflow (in the exploding colour), else exact zeros (muted)."""
        self.set_notice(overflow or zeros, None if overflow else self.theme.colours.muted)

    def _style_curve(self, colour) -> None:
        self.curve.setPen(self.theme.pen(colour, 2.5))
        self.curve.setSymbolBrush(colour)
        self.curve.setSymbolPen(pg.mkPen(self.theme.colours.background))
        self.curve.setSymbolSize(6)


PRESET_PROPERTY = "applying_preset"  # a dynamic property of the Session, true while a preset is applied


@contextmanager
def applying_preset(session: Session) -> Iterator[None]:
    """Mark the configuration changes made inside as a preset (a lesson's or a scenario's), not the user's.

    The gradient plot keeps the curve from before the user's last change; a preset clears it
    instead (a faint curve from whatever was on screen before a lesson is only noise).
    """
    session.setProperty(PRESET_PROPERTY, True)
    try:
        yield
    finally:
        session.setProperty(PRESET_PROPERTY, False)


class GradientPlot(LogCurvePlot):
    """‖∂L/∂h_t‖ against t on a log axis, with the Pascanu bound and the previous curve."""

    title = "Gradient ‖∂L/∂h<sub>t</sub>‖"
    short_title = "Gradient"  # the factor keeps its room
    short_caption = "Falling to the left ⇒ vanishing."
    caption = (
        short_caption
        + " Rising to the left ⇒ exploding (log scale). "
        + BOUND_CAPTION
        + "Paler: the steps the animation has not reached yet; faint grey line: the curve before your last change."
    )

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(session, parent)
        self.ghost = self.plot.plot([], [], connect="finite")
        self.bound = self.plot.plot([], [], connect="finite")
        self.cell_curve = self.plot.plot([], [], connect="finite")
        self.curves = [self.plot.plot([], [], connect="finite") for _ in range(MAX_CURVES)]
        self.curve = self.curves[0]  # the top layer (drawn last, on top)
        for k, c in enumerate(self.curves):
            c.setZValue(10 - k)
        self.truncated = pg.LinearRegionItem(movable=False)
        self.truncated.setZValue(-10)
        self.plot.addItem(self.truncated, ignoreBounds=True)
        self.truncated_label = pg.TextItem("truncated: no gradient", anchor=(0, 0))
        self.truncated_label.setZValue(16)  # above the veil, as the overflow line: a fact of the trace
        self.plot.addItem(self.truncated_label, ignoreBounds=True)
        self.overflow = pg.InfiniteLine(angle=90, movable=False, label="overflow", labelOpts={"position": 0.9})
        self.overflow.setZValue(20)  # above the veil: the overflow is a fact of the trace, not of the playhead
        self.plot.addItem(self.overflow, ignoreBounds=True)
        self.plot_widget.blockers.append(self.overflow)
        self.ghost_y: np.ndarray | None = None
        self.ghost_change = ""  # the keys and old values of the last run of edits, e.g. "hidden = 16"
        self._config: Config | None = None
        self._trace: Result | None = None
        self._run_keys: frozenset = frozenset()
        self.plot.geometryChanged.connect(self._on_plot_resized)  # a resize only, never a frame
        self.connect_session()

    def _update_ghost(self, config: Config) -> None:
        old = self._config
        if old is None or old == config:
            return
        if self.session.property(PRESET_PROPERTY):  # a lesson's or a scenario's set-up is not your change
            self.clear_ghost()
            return
        keys = frozenset(k for k, v in config.to_dict().items() if getattr(old, k) != v)
        if keys != self._run_keys:  # a new run of edits: remember the curve from before it
            self._run_keys = keys
            self.ghost_y = positive(self._trace.grad_norms)
            self.ghost_change = ", ".join(f"{k} = {getattr(old, k)}" for k in sorted(keys))
            self.ghost.setData(np.arange(len(self.ghost_y)), self.ghost_y)
            self.ghost.opts["name"] = GHOST_NAME
            self._label_ghost()

    def _label_ghost(self) -> None:
        """The faint curve's legend entry: its whole name where the legend is wide enough, else the short one."""
        legend = self.legend
        font = QtGui.QFont(self.font())
        size = str(legend.opts.get("labelTextSize", ""))
        if size.endswith("pt"):
            font.setPointSizeF(float(size[:-2]))
        left, _, right, _ = legend.layout.getContentsMargins()
        whole = static_text(GHOST_NAME, font, Qt.TextFormat.PlainText).size().width()
        need = 20 + legend.layout.horizontalSpacing() + whole + left + right + 8  # the sample, the text
        room = legend.room()
        name = GHOST_NAME if room <= 0 or need <= room else GHOST_SHORT
        self._relabel(self.ghost, name)
        label = legend.getLabel(self.ghost)
        if label is not None:  # the details, which made the entry wider than the plot, on hover
            label.setToolTip(f"The gradient before your last change ({self.ghost_change})")

    def _on_plot_resized(self) -> None:
        if self.ghost_y is not None:
            self._label_ghost()

    def clear_ghost(self) -> None:
        """No faint curve, until the next change."""
        self._run_keys, self.ghost_y, self.ghost_change = frozenset(), None, ""
        if self.ghost.xData is not None and len(self.ghost.xData):
            self.ghost.setData([], [])
        self._relabel(self.ghost, "")

    def _relabel(self, item, text: str) -> None:
        relabel(self.legend, item, text)

    def _on_trace_changed(self, trace: Result) -> None:
        config = self.session.config
        self._update_ghost(config)
        self._config, self._trace = config, trace
        T = trace.T
        t = np.arange(T)
        layers = trace.grad_norms_layers
        L = layers.shape[0]
        self.y = positive(trace.grad_norms)
        for k, curve in enumerate(self.curves):
            if k < L:
                set_curve(curve, t, positive(layers[L - 1 - k]), dots=T <= SYMBOLS_UP_TO and k == 0)
                self._relabel(curve, f"‖∂L/∂h<sub>t</sub>‖ layer {L - k}" if L > 1 else "‖∂L/∂h<sub>t</sub>‖")
            elif curve.xData is not None and len(curve.xData):
                curve.setData([], [])
                self._relabel(curve, "")
        if trace.cell_grad_norms is not None:
            set_line(self.cell_curve, t, positive(trace.cell_grad_norms[-1]))
            self._relabel(self.cell_curve, "‖∂L/∂c<sub>t</sub>‖ cell state")
        else:
            self.cell_curve.setData([], [])
            self._relabel(self.cell_curve, "")
        bound = gradient_bound(trace, config)
        if bound is not None:
            self.bound_y = positive(bound)
            set_line(self.bound, t, self.bound_y)
            # the caption writes its form; stacked, it bounds the top layer's gradient only (a lower
            # layer's also gets what the layers above send down, and can lie above it)
            self._relabel(self.bound, "Pascanu bound" if L == 1 else f"Pascanu bound, layer {L}")
        else:
            self.bound_y = None
            self.bound.setData([], [])
            self._relabel(self.bound, "")
        truncated = config.truncate > 0 and config.score == "last" and config.truncate < T
        if truncated:
            edge = T - config.truncate - 0.5
            self.truncated.setRegion((-0.5 - self.x_pad, edge))
            self.truncated.show()
            self.truncated_label.setPos(-0.4, np.nanmax(np.log10(self.y)) if np.isfinite(self.y).any() else 0)
            self.truncated_label.show()
        else:
            self.truncated.hide()
            self.truncated_label.hide()
        nf = trace.nonfinite
        self.overflow.setVisible(nf is not None)
        if nf is not None:
            self.overflow.setValue(nf.step)
        start = T - config.truncate if truncated else 0  # the truncated band explains the zeros before
        self.show_notice(
            overflow_notice(trace, "gradient"), zero_notice(trace.grad_norms, "‖∂L/∂h<sub>t</sub>‖", start)
        )
        cells = None if trace.cell_grad_norms is None else trace.cell_grad_norms[-1]
        self.set_steady_range(T, decade_range(self.y, cells, *layers, extra=(self.bound_y, self.ghost_y)))
        leak = trace.net.leak
        caption = self.caption_with_bound(BOUND_CAPTION, bound_caption(config.score, leak))
        if self.caption_label.text() != caption:
            self.caption_label.setText(caption)
        where = "a loss at the last step" if config.score == "last" else "a loss at every step"
        muted = self.theme.colours.muted
        short = "loss at the last step" if config.score == "last" else "loss at every step"
        texts = [f"<span style='color:{muted}'>{w}</span>" for w in (where, short)]
        f = trace.gradient_factor  # the gradient's own factor: it can fall while the Jacobians' worst case grows
        if np.isfinite(f) and f > 0:  # the number last, as plain text: the head is laid out once per font and verdict
            factor = f"×{fmt(f, 3)}/step back"
            verdict = trace.gradient_verdict  # the gradient's own, on its own factor (the toolbar's is the Jacobians')
            colour = self.theme.verdict_colour(verdict)
            word = f"<span style='color:{colour}; font-weight:bold'>{verdict.upper()}</span> "
            texts = [f"<span style='color:{muted}'>{w}</span> · {word}{factor}" for w in (where, short)]
            # the verdict stays with its factor as long as any form of the two fits (a bare factor beside the
            # Jacobian plot's verdict read as that verdict's); the bare factor is the last resort, never
            # dropped: the toolbar's verdict is the Jacobians', and only this says whether the gradient
            # itself shrinks or grows (they can disagree)
            texts += [word + factor, f"{word}×{fmt(f, 3)}/step", f"{word}×{fmt(f, 3)}"]
            texts += [f"×{fmt(f, 3)}/step", f"×{fmt(f, 3)}"]
        else:
            texts.append("")  # no factor: the muted words may go
        self.set_badge(*texts)
        self.badge.setToolTip(
            "The gradient's own verdict: the per-step factor of ‖∂L/∂h_t‖ going back, fitted over the steps it "
            "reaches, judged by the same rule as the toolbar's. The toolbar's verdict is fitted on ‖∂h_{T−1}/∂h_t‖ "
            "instead, the most any direction can grow; the gradient follows one direction and adds each step's "
            "own loss, so the two factors can differ, and even disagree (a GRU at Wrec 2.5)."
            if np.isfinite(f) and f > 0
            else ""
        )
        drawn = (self.y, cells, self.ghost_y, self.bound_y, *layers)
        self.plot.getAxis("left").set_blank(not any(has_values(a) for a in drawn if a is not None))
        super()._on_trace_changed(trace)

    def _on_theme_changed(self) -> None:
        t, c = self.theme, self.theme.colours
        self._style_curve(c.backward)
        for k, curve in enumerate(self.curves[1:], start=1):
            curve.setPen(t.pen(c.series[k % len(c.series)], 1.5))
        self.cell_curve.setPen(t.pen(c.series[2], 2, Qt.PenStyle.DashDotLine))
        self.bound.setPen(t.pen(c.bound, 2, Qt.PenStyle.DashLine))
        ghost = QColor(c.muted)
        ghost.setAlpha(110)
        self.ghost.setPen(pg.mkPen(ghost, width=3))
        self.marker.setBrush(pg.mkBrush(c.cursor))
        self.marker.setPen(pg.mkPen(c.background, width=1.5))
        shade = QColor(c.muted)
        shade.setAlpha(40)
        self.truncated.setBrush(pg.mkBrush(shade))
        for edge in self.truncated.lines:  # the band's edges: quiet, not pyqtgraph's yellow
            edge.setPen(pg.mkPen(c.muted))
        self.truncated_label.setColor(c.foreground)  # on the shading and the veil: the muted grey read faintly
        self.truncated_label.setFont(t.font(0.85))  # in the theme's type (pyqtgraph's default ignored the font scale)
        self.overflow.setPen(t.pen(c.exploding, 2, Qt.PenStyle.DashLine))
        self.overflow.label.setColor(c.exploding)
        self.overflow.label.setFont(t.font(0.85, bold=True))
        self.style_legend(self.legend)
        super()._on_theme_changed()
        self.redraw_trace()  # the verdict's colour in the header

    def hover_text(self, x, y):
        t = self.step_at(x)
        if t is None:
            return ""
        tr = self.session.trace
        lines = [f"t = {t}", f"‖∂L/∂h_t‖ = {norm_text(tr.grad_norms[t])}"]
        if tr.cell_grad_norms is not None:
            lines.append(f"‖∂L/∂c_t‖ = {fmt(tr.cell_grad_norms[-1][t], 6)}")
        if self.bound_y is not None:
            lines.append(f"Pascanu bound = {fmt(self.bound_y[t], 6)}")
        if self.ghost_y is not None and t < len(self.ghost_y):
            lines.append(f"before your last change ({self.ghost_change}) = {fmt(self.ghost_y[t], 6)}")
        return "\n".join(lines)


JACOBIAN_BOUND_CAPTION = "Dashed: the bound (γ·σ<sub>max</sub>(W<sub>hh</sub>))<sup>T−1−t</sup>."


def leaky_jacobian_caption(leak: float) -> str:
    """JACOBIAN_BOUND_CAPTION for a leaky unit (α the leak): one step back is (1−α)I + α·diag(φ′)W_hh."""
    return (
        "Dashed: the bound ((1−α) + α·γ·σ<sub>max</sub>(W<sub>hh</sub>))<sup>T−1−t</sup>, α = "
        f"{leak:g} the leak: one step back is (1−α)I + α·diag(φ′)W<sub>hh</sub>."
    )


def verdict_rule(f: float, T: int) -> str:
    """The engine's rule for the verdict (Result.verdict), with this trace's numbers."""
    lo, hi, whole = VANISHING_BELOW, EXPLODING_ABOVE, SEQUENCE_FACTOR
    text = (
        "The verdict comes from f, the per-step factor of ‖∂h_{T−1}/∂h_t‖ fitted over all steps: "
        f"vanishing when f < {lo:g} or, over the whole sequence, f^(T−1) < 1/{whole:g}; "
        f"exploding when f > {hi:g} or f^(T−1) > {whole:g}; stable otherwise."
    )
    if np.isfinite(f) and T > 1:
        with np.errstate(all="ignore"):
            total = np.float64(f) ** (T - 1)  # numpy's power: inf on overflow (a float's ** raises)
            text += f" Here f = {fmt(f, 3)} and f^{T - 1} = {fmt(total, 3)}."
    return text


class JacobianPlot(LogCurvePlot):
    """‖∂h_{T−1}/∂h_t‖, the norm of the Jacobian product, with the bound (γσ_max)^(T−1−t) (leaky: ((1−α)+αγσ_max)^…)."""

    title = "Jacobian ‖∂h<sub>T−1</sub>/∂h<sub>t</sub>‖"
    short_title = "Jacobian"  # the verdict keeps its room
    reads_measures = True
    short_caption = "Low ⇒ step t is forgotten."
    caption = (
        short_caption + " How much the last hidden state still depends on step t: the product of T−1−t step Jacobians; "
        "the verdict above is its per-step factor fitted over all steps. " + JACOBIAN_BOUND_CAPTION
    )

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(session, parent)
        self.bound = self.plot.plot([], [], connect="finite")
        self.curve = self.plot.plot([], [], connect="finite")
        relabel(self.legend, self.curve, "‖∂h<sub>T−1</sub>/∂h<sub>t</sub>‖")
        self.curve.setZValue(10)
        self.connect_session()

    def _on_trace_changed(self, trace: Result) -> None:
        T = trace.T
        t = np.arange(T)
        self.y = positive(trace.jacobian_norms)
        set_curve(self.curve, t, self.y, dots=T <= SYMBOLS_UP_TO)
        L = trace.net.layers  # stacked: the top layer's, as the legend says
        relabel(self.legend, self.curve, "‖∂h<sub>T−1</sub>/∂h<sub>t</sub>‖" + (f" layer {L}" if L > 1 else ""))
        bound = trace.pascanu_bound
        empty = overflow_notice(trace, "Jacobian product", self.y)
        # no product to bound (the forward pass overflowed): a bound alone would be a stray line
        self.bound_y = None if bound is None or empty else positive(bound)
        if self.bound_y is None:
            self.bound.setData([], [])
        else:
            set_line(self.bound, t, self.bound_y)
        leak = trace.net.leak
        relabel(self.legend, self.bound, "" if self.bound_y is None else bound_name(leak))
        caption = self.caption_with_bound(JACOBIAN_BOUND_CAPTION, None if leak == 1.0 else leaky_jacobian_caption(leak))
        if self.caption_label.text() != caption:  # a gated cell has no such bound
            self.caption_label.setText(caption)
        self.set_steady_range(T, decade_range(self.y, extra=self.bound_y))
        self.plot.getAxis("left").set_blank(not (has_values(self.y) or has_values(self.bound_y)))
        self.show_notice(
            empty,
            zero_notice(trace.jacobian_norms, "‖∂h<sub>T−1</sub>/∂h<sub>t</sub>‖"),
        )
        self._trace = trace
        self._update_badge(trace)
        super()._on_trace_changed(trace)

    def _update_badge(self, trace: Result) -> None:
        """The verdict, fitted on this curve: its per-step factor over all steps."""
        verdict = trace.verdict
        colour = self.theme.verdict_colour(verdict)
        f = trace.growth_factor
        word = f"<span style='color:{colour}; font-weight:bold'>{verdict.upper()}</span>"
        # last resort in a narrow header: the same word, smaller (an abbreviation like "VAN." says nothing)
        short = f"<span style='color:{colour}; font-weight:bold; font-size:small'>{verdict.upper()}</span>"
        if trace.nonfinite is not None:  # as the toolbar says it: the notice below says where
            overflow = f" <span style='color:{self.theme.colours.exploding}; font-weight:bold'>OVERFLOW</span>"
            word, short = word + overflow, short.replace(verdict.upper(), "OVERFLOW")
        # the factor shortens, then goes; the verdict never (as the gradient plot's header drops its parts)
        forms = [f"{word} ×{fmt(f, 3)}/step", f"{word} ×{fmt(f, 3)}"] if np.isfinite(f) else []
        self.set_badge(*forms, word, short)
        y, b = self.y, self.bound_y
        if b is None:
            tip = "No bound for gated cells."
        elif trace.T > 1 and np.isfinite(y[0]) and np.isfinite(b[0]):
            tip = f"t = 0: {fmt(y[0], 2)} ≤ bound {fmt(b[0], 2)}"
        else:
            tip = ""
        self.badge.setToolTip(verdict_rule(f, trace.T) + (" " + tip if tip else ""))

    def _on_theme_changed(self) -> None:
        t, c = self.theme, self.theme.colours
        self._style_curve(c.series[3])
        self.bound.setPen(t.pen(c.bound, 2, Qt.PenStyle.DashLine))
        self.marker.setBrush(pg.mkBrush(c.cursor))
        self.marker.setPen(pg.mkPen(c.background, width=1.5))
        self.style_legend(self.legend)
        if getattr(self, "_trace", None) is not None:
            self._update_badge(self._trace)
        super()._on_theme_changed()

    def hover_text(self, x, y):
        t = self.step_at(x)
        if t is None:
            return ""
        lines = [f"t = {t}", f"‖∂h_{{T−1}}/∂h_t‖ = {norm_text(self.session.trace.jacobian_norms[t])}"]
        if self.bound_y is not None:
            lines.append(f"bound = {fmt(self.bound_y[t], 6)}")
        return "\n".join(lines)


BLOCK_SYMBOLS = ("o", "s", "t", "d")  # the eigenvalue plot's series: W_hh (or a gate's block), then the others
BLOCK_DOT_SIZES = (9.0, 9.0, 8.0, 7.0)  # px: a square and a triangle cover more than a circle of their size
STEP_KEY = "step t→t−1"  # the dotted circle's legend entry (the caption and the note give the ratio)


EIGEN_GAP = 4.0  # px between the outermost dot or circle and the view's frame, beyond the dot's own reach
STEP_REACH = 2.5  # the view holds a step's dotted circle up to this many times the dots' and circles' reach
LABEL_GAP = 3.0  # px between the 1/γ label and its circle's line
LABEL_MARGIN = 2.0  # px between the 1/γ label and the view's frame
LABEL_GIVE = 0.03  # the 1/γ label takes a place earlier in LABEL_PLACES if it shrinks the plane by at most this
LABEL_LEAST = 0.8  # ... and none that shrinks it below this share of its scale without the label (a tiny view)
# where the 1/γ label may sit, in the order preferred: the angle (degrees) of the point of its circle it
# sits at, and the point of its box (anchor) put just outside it there, so that the box lies wholly outside
LABEL_PLACES = (
    (90, (0.5, 1.0)),
    (45, (0.0, 1.0)),
    (135, (1.0, 1.0)),
    (0, (0.0, 0.5)),
    (180, (1.0, 0.5)),
    (-90, (0.5, 0.0)),
    (-45, (0.0, 0.0)),
    (-135, (1.0, 0.0)),
)
NOTE_MARGIN = 4.0  # px between the step's note and the view's frame
NOTE_CORNERS = ((1, -1), (1, 1), (-1, 1), (-1, -1))  # lower right, upper right, upper left, lower left (y up)


def _nearest(rect: tuple) -> float:
    """How far a box (x0, y0, x1, y1) comes to the origin."""
    x0, y0, x1, y1 = rect
    return math.hypot(max(x0, 0.0, -x1), max(y0, 0.0, -y1))


def _crosses_circle(rect: tuple, scale: float, radius: float, stroke: float) -> bool:
    """Whether a box (x0, y0, x1, y1, pixels from the circle's centre) meets the line of a circle of that
    radius (in units; scale pixels each) drawn `stroke` pixels wide each side."""
    x0, y0, x1, y1 = rect
    far = math.hypot(max(abs(x0), abs(x1)), max(abs(y0), abs(y1)))
    r = radius * scale
    return _nearest(rect) <= r + stroke and far >= r - stroke


def _overlap(a: tuple, b: tuple) -> bool:
    """Whether two boxes (x0, y0, x1, y1) overlap."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _covers_dots(x: np.ndarray, y: np.ndarray, rect: tuple, dot: float) -> bool:
    """Whether a box (x0, y0, x1, y1) comes within `dot` pixels of any of the dots at (x, y)."""
    x0, y0, x1, y1 = rect
    return bool(((x > x0 - dot) & (x < x1 + dot) & (y > y0 - dot) & (y < y1 + dot)).any())


def _corner_boxes(bounds: tuple, nw: float, nh: float) -> list[tuple]:
    """A box nw × nh pixels in each corner of NOTE_CORNERS of a view (left, bottom, right, top), NOTE_MARGIN in."""
    left, bottom, right, top = bounds
    m = NOTE_MARGIN
    boxes = []
    for sx, sy in NOTE_CORNERS:
        x0 = right - m - nw if sx > 0 else left + m
        y0 = top - m - nh if sy > 0 else bottom + m
        boxes.append((x0, y0, x0 + nw, y0 + nh))
    return boxes


def _circle(radius: float, n: int = 181) -> tuple[np.ndarray, np.ndarray]:
    a = np.linspace(0, 2 * np.pi, n)
    return radius * np.cos(a), radius * np.sin(a)


def gate_share(trace: Result) -> str:
    """The gate that carries a gated cell's memory from step to step, measured: ' Mean forget gate f = 0.51: …', or ''.

    LSTM: the forget gate f multiplies the cell state c at every step; GRU: the update gate z
    keeps that share of h (h_t = (1 − z) n + z h_{t−1}). Mean over every step and unit of the top
    layer, first example (the one the plots follow)."""
    if trace.net.cell == "lstm" and trace.net.variant == "nfg":  # f is pinned at 1, not measured
        return " No forget gate in this variant (f = 1): the cell state c is carried on unchanged."
    gates = trace.gates()
    name, gate, role = {
        "lstm": ("f", "forget gate f", "it multiplies the cell state c at every step"),
        "gru": ("z", "update gate z", "the share of h kept from one step to the next"),
    }.get(trace.net.cell, ("", "", ""))
    if name not in gates:
        return ""
    values = np.asarray(gates[name][:, 0], dtype=float)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return ""
    return f" Mean {gate} = {fmt(float(values.mean()), 2)}: {role}."


class EigenPlot(PlotPanel):
    """Eigenvalues of W_hh (each gate block for LSTM/GRU) with the unit circle and the 1/γ circle."""

    title = "Eigenvalues of W<sub>hh</sub>"
    reads_measures = True  # the dotted ratio of the Jacobian-product norms at the playhead
    moving = ("step_circle", "step_label")
    short_caption = "Inside the circle ⇒ vanishing."
    caption = (
        short_caption + " Outside ⇒ can explode. Dots: the eigenvalues λ of W<sub>hh</sub>; solid circle: |λ| = 1. "
        "Dotted: the measured factor of the current BPTT step."
    )
    time_axis = False

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(session, parent)
        self.plot.setAspectLocked(True)
        self.plot.setLabel("bottom", "Re λ")
        self.plot.setLabel("left", "Im λ")
        # as many entries a row as fit (RowLegend wraps them): the box is as tall as its rows
        self.legend = RowLegend(self.plot)
        self.unit = self.plot.plot(*_circle(1.0))
        self.inv_gamma = self.plot.plot([], [])
        self.inv_gamma_label = pg.TextItem(anchor=(0.5, 1))  # outside the 1/γ circle, clear of its line (_fit_view)
        self.inv_gamma_label.textItem.document().setDocumentMargin(1)  # (4 by default) its box hugs its text
        self._gamma_drawn: float | None = None  # the γ the circle and its label are drawn for
        self.plot.addItem(self.inv_gamma_label, ignoreBounds=True)
        self.step_circle = QGraphicsEllipseItem()  # resized every backward frame: Qt draws it, no Python
        self.step_circle.setBrush(QBrush(Qt.BrushStyle.NoBrush))
        self.step_circle.hide()
        self.plot.addItem(self.step_circle, ignoreBounds=True)
        # the dotted circle's legend entry (a sample only, never in the plot): under the axis, it never
        # covers the eigenvalues, so it shows whenever the circle does, at any size; its room is kept
        # while the circle is hidden (the plot must not jump at the start of BPTT)
        self.step_key = pg.PlotDataItem([], [])
        self.legend.alone = self.step_key  # the gate blocks' four entries in one row where they fit
        self.legend.columns_changed = lambda: self._show_step_key(self.step_circle.isVisible(), force=True)
        self.step_label = pg.TextItem(anchor=(1, 1))  # in a corner of the view free of dots and circles
        view = self.plot.getViewBox()
        self.step_label.setParentItem(view)  # in the view's pixels, not in data coordinates
        self._note_corner: tuple | None = None  # the corner it is pinned to
        view.sigResized.connect(self._on_view_resized)
        # a gate block each (LSTM i f g o, GRU r z n): a shape of its own as well as a colour, and the
        # later ones smaller, so dots on the same spot still show each (a GRU's r sat hidden under z
        # and n), and colour-blind viewers can tell the blocks apart
        self.scatters = [Dots(size=size) for size in BLOCK_DOT_SIZES]
        for k, s in enumerate(self.scatters):
            s.setSymbol(BLOCK_SYMBOLS[k])
            s.setZValue(10 + k)
            self.plot.addItem(s)
        self.extent = 1.0  # the largest |λ| or circle radius the view holds
        self.step_cap = np.inf  # a step's dotted circle shows up to this radius
        self._ev = np.zeros(0, dtype=complex)  # every finite eigenvalue, one array
        self._scale = 0.0  # pixels per unit in the view (0: not laid out yet)
        self._fit: tuple | None = None  # what the view's range and the label were last fitted for
        self._label_rect: tuple | None = None  # the 1/γ label's box, pixels from the origin (y up)
        self._note_corners: dict = {}  # note size -> the corners free of the dots, circles and label
        self._bounds = (-1.0, -1.0, 1.0, 1.0)  # the view: pixels from the origin (left, bottom, right, top; y up)
        self.eig: dict[str, np.ndarray] = {}
        self.factor = np.zeros(0)
        self.grad_factor = np.zeros(0)
        self.connect_session()

    def _on_trace_changed(self, trace: Result) -> None:
        self.eig = trace.eigenvalues
        names = list(self.eig)
        for k, s in enumerate(self.scatters):
            if k < len(names):
                ev = self.eig[names[k]]
                s.set_points(ev.real, ev.imag)
                label = "W<sub>hh</sub>" if names[k] == "W_hh" else f"W<sub>h{names[k]}</sub> ({names[k]})"
                if trace.net.layers > 1 and k == 0:  # stacked: the top layer's matrix
                    label += f" layer {trace.net.layers}"
                relabel(self.legend, s, label)
            else:
                if len(s):
                    s.set_points([], [])
                relabel(self.legend, s, "")
        items = self.legend.items
        if not items or items[-1][0].item is not self.step_key:  # the last entry, after the eigenvalues'
            self._add_step_key()
        elif self.legend.max_columns == 1:
            self._show_step_key(self.step_circle.isVisible())
        gamma = trace.net.gamma
        if gamma != 1.0:
            if self._gamma_drawn != gamma:  # a Wrec step keeps the activation
                self._gamma_drawn = gamma
                self.inv_gamma.setData(*_circle(1 / gamma))
                self.inv_gamma_label.setText(f"1/γ = {1 / gamma:g}")
                self._fit = None  # a new label: placed anew
        else:
            if self.inv_gamma.xData is not None and len(self.inv_gamma.xData):
                self.inv_gamma.setData([], [])
            self._gamma_drawn = None
            self.inv_gamma_label.hide()
        # measured factor of the step from t to t-1: ‖∂h_{T-1}/∂h_{t-1}‖ / ‖∂h_{T-1}/∂h_t‖
        J = trace.jacobian_norms
        g = trace.grad_norms
        with np.errstate(divide="ignore", invalid="ignore"):
            self.factor = np.concatenate([[np.nan], J[:-1] / J[1:]])
            self.grad_factor = np.concatenate([[np.nan], g[:-1] / g[1:]])  # as the diagram and the Equations
        ev = [e[np.isfinite(e)] for e in self.eig.values()]
        self._ev = np.concatenate(ev) if ev else np.zeros(0, dtype=complex)
        reach = max(1.0, 1.0 / gamma, float(np.abs(self._ev).max()) if self._ev.size else 0.0)
        # the view holds every step's dotted circle too (one range for the whole animation), up to
        # STEP_REACH times the dots' reach: a larger one (an LSTM of one unit) would shrink them to a point
        self.step_cap = STEP_REACH * reach
        steps = self.factor[np.isfinite(self.factor) & (self.factor > 0) & (self.factor <= self.step_cap)]
        if steps.size:
            reach = max(reach, float(steps.max()))
        self.extent = float(np.ceil(reach * 4 - 1e-9) / 4)  # quarter steps: small changes keep the axes
        self._note_corners = {}  # the dots moved
        self._fit_view()
        # each begins with a short complete sentence: a caption cut to one line still says the point
        if "W_hh" not in trace.eigenvalues:
            caption = (
                f"Gates, not λ, steer the flow.{gate_share(trace)} Dots: the eigenvalues λ of each gate's block of "
                "W<sub>hh</sub> (solid circle: |λ| = 1); in a gated cell the gates, not these eigenvalues alone, set "
                "the gradient's flow."
            )
        elif gamma != 1.0:
            caption = (
                f"Dots inside 1/γ ⇒ vanishing. Only dots outside the dashed circle 1/γ = {1 / gamma:g} "
                f"(γ = max φ′ = {gamma:g}) can make gradients explode. Solid circle: |λ| = 1."
            )
        else:
            caption = (
                f"{self.short_caption} Outside ⇒ can explode. Dots: the eigenvalues λ of W<sub>hh</sub>; solid "
                "circle: |λ| = 1 (= 1/γ, γ = 1)."
            )
        caption += (
            " Dotted (during BPTT), step t→t−1: the Jacobian product's ratio "
            "‖∂h<sub>T−1</sub>/∂h<sub>t−1</sub>‖ / ‖∂h<sub>T−1</sub>/∂h<sub>t</sub>‖ (the most any direction "
            "can grow); the gradient's ‖∂L/∂h<sub>t−1</sub>‖ / ‖∂L/∂h<sub>t</sub>‖ follows its one direction "
            "and adds the loss terms, so it can differ."
        )
        if self.caption_label.text() != caption:
            self.caption_label.setText(caption)
        radius, smax = trace.spectral_radius, trace.sigma_max
        if "W_hh" in radius:
            rho, inv = fmt(radius["W_hh"], 3), f"1/γ = {1 / gamma:g}"
            # σₘₐₓ in Unicode, not σ<sub>max</sub>: plain text in one colour is laid out far faster (static_text)
            # commas between: 'ρ = 0.500 · 1/γ = 4' read as a product (the equations' · multiplies)
            sigma = f"ρ = {rho}, σₘₐₓ = {fmt(smax['W_hh'], 3)}"
            # the longest that fits: without σₘₐₓ before 1/γ where the dashed circle needs its value (its
            # label gives way where dots surround it), and a bare 'ρ 0.500' for a narrow header (large type)
            middle = f"ρ = {rho}, {inv}" if gamma != 1.0 else sigma
            texts = (f"{sigma}, {inv}", middle, f"ρ = {rho}", f"ρ {rho}")
        else:
            values = [fmt(r, 3) for r in radius.values()]
            if len(set(values)) == 1:  # the knob sets every gate block alike: say it once
                texts = (f"ρ = {values[0]} (each gate block)", f"ρ = {values[0]}")
            else:
                texts = ("ρ = " + ", ".join(f"{v} ({n})" for n, v in zip(radius, values)), "ρ = " + ", ".join(values))
        muted = self.theme.colours.muted
        self.set_badge(*(f"<span style='color:{muted}'>{t}</span>" for t in texts), "")
        super()._on_trace_changed(trace)

    def _on_frame_changed(self, frame: int) -> None:
        super()._on_frame_changed(frame)
        phase, t = self.session.phase_step(frame)
        r = self.factor[t] if phase == "backward" and 0 < t < len(self.factor) else np.nan
        shown = bool(np.isfinite(r) and 0 < r <= self.step_cap)
        self._show_step_key(shown)
        if shown:
            self.step_circle.setRect(QRectF(-r, -r, 2 * r, 2 * r))
            self.step_circle.show()
            g = self.grad_factor[t]
            gradient = f"\ngradient ×{fmt(g, 3)}" if np.isfinite(g) else ""  # the caption says which ratios
            if self.session.trace.cut_at(t):  # the 0 is truncation's cut, not a factor
                gradient = "\ngradient: cut\n(truncation)"  # short lines: a wide note found no free corner
            # (the legend names the dotted circle "step t→t−1": the note gives its numbers, narrow beside the plane)
            self.step_label.setText(f"step {t}→{t - 1}\nJacobian ×{fmt(r, 3)}{gradient}")
            self._place_note()
        else:
            self.step_circle.hide()
            self.step_label.hide()

    NOTE_SHARE = (0.45, 0.35)  # the most of the view's width and height the step's note may cover

    def _add_step_key(self) -> None:
        """The dotted circle's legend entry, last; it keeps its room while hidden."""
        relabel(self.legend, self.step_key, "")
        relabel(self.legend, self.step_key, STEP_KEY)
        for part in self._step_key_parts():
            policy = part.sizePolicy()
            policy.setRetainSizeWhenHidden(True)
            part.setSizePolicy(policy)
        self._show_step_key(self.step_circle.isVisible(), force=True)

    def _show_step_key(self, shown: bool, force: bool = False) -> None:
        """The dotted circle's legend entry shown with the circle, else hidden and without its text
        (an entry for what is not drawn), in the same room: the legend and the plot do not move,
        in the window as in a figure's legend beside its view (an animation's frames keep one layout).
        """
        parts = self._step_key_parts()
        if not parts or (not force and parts[1].isVisible() == shown):
            return
        sample, label = parts
        label.setText(STEP_KEY)  # in the legend's present type: the room it takes
        room = QSizeF(label.minimumSize())
        if not shown:
            label.setText("")
        label.setMinimumSize(room)  # (setText sizes it to its text)
        label.setPreferredSize(room)
        sample.setVisible(shown)
        label.setVisible(shown)
        if force:  # a new type: the entry's room, and the legend's rows with it, once its label is laid out
            soon(self._legend_resized)

    def _legend_resized(self) -> None:
        if shiboken6.isValid(self.legend):
            self.legend.updateSize()

    def _step_key_parts(self) -> tuple:
        """The dotted circle's legend sample and label (none if the legend lost them)."""
        for sample, label in self.legend.items:
            if sample.item is self.step_key:
                return (sample, label)
        return ()

    def _on_view_resized(self, *_) -> None:
        """A new size of the view: its range and the 1/γ label fitted again, the note placed again at once."""
        self._fit_view()
        self._place_note()

    def _fit_view(self) -> None:
        """The view's range: every dot and circle inside, EIGEN_GAP pixels clear of its frame, room for the
        step's note beside them, and the 1/γ label outside its circle, over no dot; per trace and per
        resize, never per frame.

        The view is locked to one aspect: one scale (pixels per unit) for both axes, the largest that
        keeps all of that in sight, and the range is the view's size at that scale. The plane sits in
        the middle, or as far left as it must for a column on the right that the note can take at every
        backward frame (the plane's content lies within `extent`, the dotted circles too).
        """
        view = self.plot.getViewBox()
        w, h = view.width(), view.height()
        labelled = self._gamma_drawn is not None
        box = self.inv_gamma_label.textItem.boundingRect() if labelled else QRectF()
        dot = self._dot_reach()
        room = self._note_room()
        key = (self.extent, w, h, self._gamma_drawn, box.width(), box.height(), dot, room)
        if labelled:  # where the label may go depends on the dots (per trace)
            key += (self._ev.tobytes(),)
        if key == self._fit:
            return
        self._fit = key
        self._note_corners = {}
        E, pad = self.extent, dot + EIGEN_GAP
        if w <= 2 * pad or h <= 2 * pad:  # not laid out yet
            self._scale, self._label_rect = 0.0, None
            self.inv_gamma_label.setVisible(False)
            self.set_range((-E, E), (-E, E))
            return
        scale = min(0.5 * w - pad, 0.5 * h - pad) / E
        bounds = (-0.5 * w, -0.5 * h, 0.5 * w, 0.5 * h)  # the view, pixels from the origin (y up)
        nw, nh = room
        reach = E * scale + dot + NOTE_MARGIN  # the dots and circles lie inside this disc
        clear = [rect for rect in _corner_boxes(bounds, nw, nh) if _nearest(rect) > reach]
        if nh + 2 * NOTE_MARGIN > h:  # no room for the note at all
            clear = []
        elif not clear:
            shift = reach + NOTE_MARGIN + nw - 0.5 * w  # the note's column clear of the disc
            if shift <= 0.5 * w - E * scale - pad:  # and the plane still inside, on the left
                bounds = (-0.5 * w + shift, bounds[1], 0.5 * w + shift, bounds[3])
                clear = _corner_boxes(bounds, nw, nh)[:1]  # the lower right
        self._bounds = bounds
        self._label_rect, anchor, pos = None, None, None
        if labelled:
            pen = self.inv_gamma.opts["pen"]
            stroke = 0.5 * (pg.mkPen(pen).widthF() if pen is not None else 1.0)
            place = self._place_label(scale, bounds, box.width(), box.height(), stroke, clear[0] if clear else None)
            if place is not None:
                scale, self._label_rect, anchor, pos = place
        self._scale = scale
        left, bottom, right, top = bounds
        self.set_range((left / scale, right / scale), (bottom / scale, top / scale))
        if anchor is not None:
            self.inv_gamma_label.setAnchor(anchor)
            self.inv_gamma_label.setPos(pos[0] / scale, pos[1] / scale)
        self.inv_gamma_label.setVisible(anchor is not None)

    def _dot_reach(self) -> float:
        """How far (pixels) a dot reaches from its eigenvalue."""
        return max(s.pixelPadding() for s in self.scatters)

    def _note_room(self) -> tuple[float, float]:
        """The size of the step's note at its widest step number (its numbers' width a guess), per font and T."""
        T = len(self.factor)
        font = self.step_label.textItem.font()
        key = (font.key(), T)
        if getattr(self, "_room_key", None) != key:
            self._room_key = key
            probe = QGraphicsTextItem()
            probe.setFont(font)
            probe.setPlainText(f"step {max(T - 1, 1)}→{max(T - 2, 0)}\nJacobian ×0.0000\ngradient ×0.0000")
            r = probe.boundingRect()
            self._room = (r.width(), r.height())
        return self._room

    def _place_label(self, most: float, bounds: tuple, lw: float, lh: float, stroke: float, note: tuple | None):
        """Where the 1/γ label goes: (scale, its box, anchor, anchor point in pixels) or None where it fits nowhere.

        Each place of LABEL_PLACES puts it just outside its circle (its box then lies wholly outside),
        then two more just inside it, under its top and over its bottom. A place must keep the label
        inside bounds (pixels from the origin, y up), off the dots, the unit circle and the box kept for
        the step's note; of those, the first in that order whose scale is within LABEL_GIVE of the
        largest. None where each would shrink the plane below LABEL_LEAST: the header and the caption
        say 1/γ too.
        """
        R, m = 1.0 / self._gamma_drawn, LABEL_MARGIN
        gap = LABEL_GAP + stroke
        left, bottom, right, top = bounds
        places = []
        for angle, (ax, ay) in LABEL_PLACES:
            c, s = round(math.cos(math.radians(angle)), 12), round(math.sin(math.radians(angle)), 12)
            ox, oy = gap * float(np.sign(c)), gap * float(np.sign(s))  # pixels outward from the circle
            x0, y0 = ox - ax * lw, oy - (1 - ay) * lh  # the box, pixels from the point on the circle (y up)
            scale = most
            for a, edges, lo, hi in (
                (R * c, (x0, x0 + lw), left + m, right - m),
                (R * s, (y0, y0 + lh), bottom + m, top - m),
            ):
                for b in edges:  # each edge inside: lo <= a·scale + b <= hi
                    if a > 0:
                        scale = min(scale, (hi - b) / a)
                    elif a < 0:
                        scale = min(scale, (b - lo) / -a)
                    elif not lo <= b <= hi:
                        scale = 0.0
            if scale >= LABEL_LEAST * most:
                px, py = R * c * scale + ox, R * s * scale + oy
                places.append(
                    (scale, (px - ax * lw, py - (1 - ay) * lh, px + (1 - ax) * lw, py + ay * lh), (ax, ay), (px, py))
                )
        inner = R * most - gap  # inside: the box's outer corners on a circle this far in
        if inner > 0.5 * lw and inner**2 - (0.5 * lw) ** 2 >= (0.5 * lh) ** 2:
            y = math.sqrt(inner**2 - (0.5 * lw) ** 2)
            places.append((most, (-0.5 * lw, y - lh, 0.5 * lw, y), (0.5, 0.0), (0.0, y)))  # under its top
            places.append((most, (-0.5 * lw, -y, 0.5 * lw, lh - y), (0.5, 1.0), (0.0, -y)))  # over its bottom
        ev = self._ev
        dot = self._dot_reach()
        fits = []
        for scale, rect, anchor, pos in places:
            if _covers_dots(ev.real * scale, ev.imag * scale, rect, dot):
                continue
            if R != 1.0 and _crosses_circle(rect, scale, 1.0, stroke + LABEL_GAP):  # the unit circle
                continue
            if note is not None and _overlap(rect, note):
                continue
            fits.append((scale, rect, anchor, pos))
        if not fits:
            return None
        best = max(f[0] for f in fits)
        return next(f for f in fits if f[0] >= (1 - LABEL_GIVE) * best)

    def _place_note(self) -> None:
        """The step's note in the first corner of the view (NOTE_CORNERS) where it covers no dot, no circle
        and not the 1/γ label; hidden where there is none (a large font, a small window): the Equations
        and the diagram say the same numbers.

        Per frame only the dotted circle, which moves, is tested: the corners free of the rest are
        kept per note size until the trace or the view's size changes.
        """
        note = self.step_label
        if not self.step_circle.isVisible():
            note.hide()
            return
        view = self.plot.getViewBox()
        w, h = view.width(), view.height()
        box = note.textItem.boundingRect()
        corner = None
        if self._scale > 0:
            key = (round(box.width()), round(box.height()))
            free = self._note_corners.get(key)
            if free is None:
                free = self._note_corners[key] = self._free_corners(box.width(), box.height())
            r = self.step_circle.rect().width() / 2
            stroke = 0.5 * self.step_circle.pen().widthF() + 1.0
            corner = next((c for c, rect in free if not _crosses_circle(rect, self._scale, r, stroke)), None)
        if corner is None:
            note.hide()
            return
        sx, sy = corner
        m = NOTE_MARGIN
        if self._note_corner != (sx, sy, w, h):
            self._note_corner = (sx, sy, w, h)
            note.setAnchor(((1 + sx) / 2, (1 - sy) / 2))  # right (sx = 1) or left, top (sy = 1) or bottom
            note.setPos(w - m if sx > 0 else m, m if sy > 0 else h - m)  # (the view's pixels run down)
        note.show()

    def _free_corners(self, nw: float, nh: float) -> list:
        """The corners (NOTE_CORNERS) where a note nw × nh pixels covers no dot, no fixed circle and not the
        1/γ label, each with the note's box in pixels from the origin (y up)."""
        scale = self._scale
        dot = self._dot_reach() + 1.0
        x, y = self._ev.real * scale, self._ev.imag * scale
        width = 0.5 * self.unit.opts["pen"].widthF() + 1.0
        circles = [1.0] + ([1.0 / self._gamma_drawn] if self._gamma_drawn is not None else [])
        label = self._label_rect if self.inv_gamma_label.isVisible() else None
        left, bottom, right, top = self._bounds
        if nw + 2 * NOTE_MARGIN > right - left or nh + 2 * NOTE_MARGIN > top - bottom:
            return []  # larger than the view
        free = []
        for corner, rect in zip(NOTE_CORNERS, _corner_boxes(self._bounds, nw, nh), strict=True):
            if _covers_dots(x, y, rect, dot):
                continue
            if any(_crosses_circle(rect, scale, r, width) for r in circles):
                continue
            if label is not None and _overlap(rect, label):
                continue
            free.append((corner, rect))
        return free

    def _on_theme_changed(self) -> None:
        t, c = self.theme, self.theme.colours
        self.unit.setPen(t.pen(c.foreground, 1.5))
        self.inv_gamma.setPen(t.pen(c.bound, 1.5, Qt.PenStyle.DashLine))
        self.inv_gamma_label.setColor(c.muted)
        self.inv_gamma_label.setFont(t.font(0.9))  # the theme's type (the app's was tiny in a figure)
        self.step_circle.setPen(t.pen(c.backward, 1.5, Qt.PenStyle.DotLine))
        self.step_key.setPen(t.pen(c.backward, 1.5, Qt.PenStyle.DotLine))
        self.step_label.setColor(c.backward)
        self.step_label.setFont(t.font(0.8))
        # on a card of the background's colour: readable where it lies over the eigenvalues' dots
        card = QColor(c.background)
        card.setAlpha(225)
        self.step_label.fill = pg.mkBrush(card)  # (no border: a pen would reach past the item's bounds)
        for k, s in enumerate(self.scatters):
            colour = c.series[k % len(c.series)]
            s.setBrush(pg.mkBrush(colour))
            s.setPen(pg.mkPen(c.background, width=0.5))
        self.style_legend(self.legend)
        self._show_step_key(self.step_circle.isVisible(), force=True)  # its room in the legend's new type
        self._fit_view()  # the note's and the label's new type (if the view keeps its size)
        super()._on_theme_changed()
        self.redraw_trace()  # the header's muted colour

    def hover_text(self, x, y):
        best = None
        for name, ev in self.eig.items():
            if not len(ev):
                continue
            d = np.abs(ev - complex(x, y))
            k = int(np.nanargmin(d)) if np.isfinite(d).any() else 0
            if best is None or d[k] < best[0]:
                best = (d[k], name, ev[k])
        if best is None:
            return ""
        _, name, lam = best
        sign = "+" if lam.imag >= 0 else "−"
        block = "W_hh" if name == "W_hh" else f"block {name}"
        return f"λ = {fmt(lam.real)} {sign} {fmt(abs(lam.imag))}i\n|λ| = {fmt(abs(lam), 6)}  ({block})"


# ---- the states as heatmaps ----------------------------------------------------------------
QUANTITY_TEXT = {  # subscripts in Unicode: the header and the tooltips are plain text
    "h": ("hₜ", "hidden state"),
    "c": ("cₜ", "cell state"),
    "f": ("fₜ", "forget gate"),
    "i": ("iₜ", "input gate"),
    "g": ("gₜ", "candidate C̃ₜ"),
    "o": ("oₜ", "output gate"),
    "r": ("rₜ", "reset gate"),
    "z": ("zₜ", "update gate"),
    "n": ("nₜ", "candidate"),
    "dh": ("log₁₀|∂L/∂h|", "gradient per unit"),
}


TAB_TEXT = {"h": "h hidden", "c": "c cell", "dh": "|∂L/∂h|"}


def state_arrays(trace: Result) -> dict[str, np.ndarray]:
    """The heatmaps a trace offers, each (T, H) for the top layer and the first example."""
    out = {"h": trace.hidden_states[-1][:, 0]}
    if trace.cell_states is not None:
        out["c"] = trace.cell_states[-1][:, 0]
    gates = trace.gates(-1)
    for name in ("f", "i", "g", "o", "z", "r", "n"):
        if name in gates and name in trace.net.gates:  # an LSTM variant's constant gate (≡ 1) is no gate
            out[name] = gates[name][:, 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        out["dh"] = np.log10(np.abs(trace.dh[-1][:, 0]))
    return out


def _levels(name: str, a: np.ndarray, activation: str) -> tuple[float, float]:
    finite = a[np.isfinite(a)]
    if name in ("f", "i", "o", "r", "z"):
        return 0.0, 1.0
    if name == "dh":
        if not finite.size:
            return -10.0, 0.0
        hi = float(np.ceil(finite.max()))
        return max(float(np.floor(finite.min())), hi - 12), hi + 1e-9
    m = float(np.abs(finite).max()) if finite.size else 1.0
    if name in ("g", "n", "h") and activation in ("tanh", "sigmoid"):
        m = min(m, 1.0)  # squashed values: at most ±1, but spread small ones over the colours
    m = nice_ceil(m)
    return -m, m


SIGNED_LOG_ABOVE = 100.0  # beyond this |value| a linear colour scale leaves all but the largest columns blank


def _power(k: float, sign: str = "") -> str:
    """10ᵏ as text (1 and 10 written out)."""
    k = round(float(k))
    return sign + {0: "1", 1: "10"}.get(k, f"10{str(k).translate(_SUPERSCRIPT)}")


def colorbar_ticks(lo: float, hi: float, kind: str) -> list[list[tuple[float, str]]]:
    """The colour bar's labelled ticks: its two ends and what lies between (pyqtgraph's setTicks levels).

    kind 'signed_log': the colours are sign·log10(1 + |value|), labelled with the values they
    stand for, ±10ᵏ (a bare 40 there would read as forty, not 10⁴⁰). 'dh': log10|∂L/∂h|,
    labelled 10ᵏ. Otherwise the values themselves.
    """
    if kind == "signed_log":
        top = int(np.floor(max(abs(lo), abs(hi))))
        step = next(s for s in (1, 2, 5, 10, 20, 25, 50, 100, 200, 500, 1000) if top / s <= 2)
        ks = [k for k in range(step, top + 1, step)]
        major = [(0.0, "0")]
        for k in ks:
            at = k + float(np.log10(1.0 + 10.0**-k))  # log10(1 + 10ᵏ): where the colour of exactly ±10ᵏ is
            major += [(at, _power(k)), (-at, _power(k, "−"))]
        return [[(v, t) for v, t in major if lo <= v <= hi], []]
    if kind == "dh":
        first, last = int(np.ceil(lo - 1e-9)), int(np.floor(hi + 1e-9))
        step = max(1, int(np.ceil((last - first) / 4)))
        ks = sorted({*range(last, first - 1, -step), first})
        return [[(float(k), _power(k)) for k in ks], []]
    mid = 0.5 * (lo + hi)
    ends = [(v, f"{v:g}".replace("-", "−")) for v in (lo, mid, hi)]
    halves = [(v, f"{v:g}".replace("-", "−")) for v in (0.5 * (lo + mid), 0.5 * (mid + hi))]
    return [ends, halves]


def _signed_log_needed(name: str, a: np.ndarray) -> bool:
    """Whether a quantity spans so much that only a signed-log colour scale shows it."""
    if name in ("f", "i", "o", "r", "z", "dh"):
        return False
    finite = np.abs(a[np.isfinite(a)])
    return (bool(finite.size) and float(finite.max()) > SIGNED_LOG_ABOVE) or not np.isfinite(a).all()


class StatesPlot(PlotPanel):
    """The hidden state (and for LSTM/GRU the cell state and gates) as t × unit heatmaps."""

    title = "States over time"
    short_caption = "Columns: steps t; rows: units."
    caption = short_caption + " Colour is the value (hover for it). Pick a quantity above."

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(session, parent)
        self.tabs = QTabBar()
        self.tabs.setObjectName("state_tabs")
        self.tabs.setDrawBase(False)
        self.tabs.setExpanding(False)
        self.layout().insertWidget(1, self.tabs)
        self.tabs.currentChanged.connect(self._on_tab_changed)
        self.plot.setLabel("bottom", "step t")
        self.plot.getAxis("bottom").whole = True
        self.plot.setLabel("left", "unit")
        self.plot.getAxis("left").enableAutoSIPrefix(False)
        self.plot.invertY(True)
        self.image = HeatmapImage(axisOrder="col-major")
        self.plot.addItem(self.image)
        self.colorbar = pg.ColorBarItem(values=(-1, 1), interactive=False, width=14)
        self.colorbar.setImageItem(self.image, insert_in=self.plot)
        # the end labels sit on the bar's ends: let them reach past them, into a margin above the plot
        self.colorbar.axis.setStyle(hideOverlappingLabels=False)
        self.colorbar.axis.setWidth(None)  # as wide as its labels (pyqtgraph's fixed 45 px drop "−10²⁵")
        left, top, right, bottom = self.plot.layout.getContentsMargins()
        self.plot.layout.setContentsMargins(left, max(top, 8), right, bottom)
        self.arrays: dict[str, np.ndarray] = {}
        self.names: list[str] = []
        self.selected = "h"
        self.plot.vb.sigResized.connect(self._unit_ticks)  # a resize only, never a frame
        self.connect_session()

    @property
    def current(self) -> str:
        """The quantity on show."""
        return self.selected if self.selected in self.arrays else "h"

    def veil_span(self, phase, t, T):
        if self.current == "dh":
            return (-0.5, T - 0.5) if phase == "forward" else (-0.5, t - 0.5)
        return (t + 0.5, T - 0.5) if phase == "forward" else None

    def _on_trace_changed(self, trace: Result) -> None:
        self.arrays = state_arrays(trace)
        names = list(self.arrays)
        if names != self.names:  # structure changes only with the cell type
            self.names = names
            with QSignalBlocker(self.tabs):
                while self.tabs.count():
                    self.tabs.removeTab(0)
                for n in names:
                    symbol, words = QUANTITY_TEXT[n]
                    self.tabs.addTab(TAB_TEXT.get(n, n))
                    self.tabs.setTabToolTip(self.tabs.count() - 1, f"{symbol}: {words}")
                self.tabs.setCurrentIndex(names.index(self.current))
        self._show(trace)
        super()._on_trace_changed(trace)

    def _show(self, trace: Result) -> None:
        name = self.current
        a = np.array(self.arrays[name], dtype=float)  # (T, H)
        log_scale = _signed_log_needed(name, a)
        if log_scale:  # huge values (an exploding net): colour by sign·log10(1 + |value|)
            with np.errstate(all="ignore"):
                a = np.sign(a) * np.log10(1.0 + np.abs(a))
        if log_scale:  # whole decades, never past float64's 10³⁰⁸ (a 1-2-5 rounding would say 10⁵⁰⁰)
            finite = np.abs(a[np.isfinite(a)])
            top = float(np.ceil(finite.max())) if finite.size else 1.0
            lo, hi = -max(top, 1.0), max(top, 1.0)
        else:
            lo, hi = _levels(name, a, trace.net.activation)
        with np.errstate(invalid="ignore"):
            np.clip(a, lo, hi, out=a)  # NaN stays NaN: pyqtgraph leaves those cells transparent (no value)
        T, H = a.shape
        self.image.setImage(a, autoLevels=False, levels=(lo, hi))
        self.image.setRect(QRectF(-0.5, 0.5, T, H))  # rows are units 1 .. H, as everywhere else
        cmap = "sequential" if _sequential(name) else "diverging"
        if getattr(self, "_cmap", None) != (cmap, self.theme.dark):
            self._cmap = (cmap, self.theme.dark)
            t = self.theme
            self.colorbar.setColorMap(t.sequential_map() if cmap == "sequential" else t.diverging_map())
        if getattr(self, "_levels", None) != (lo, hi, log_scale, name == "dh"):
            self._levels = (lo, hi, log_scale, name == "dh")
            self.colorbar.setLevels((lo, hi))
            self.colorbar.axis.setTicks(colorbar_ticks(lo, hi, "signed_log" if log_scale else name))
        self.set_range((-0.5, T - 0.5), (0.5, H + 0.5))
        self._unit_ticks()
        symbol, words = QUANTITY_TEXT[name]
        layer = f" · layer {trace.net.layers}" if trace.net.layers > 1 else ""
        scale = " · colour on a log scale (±10ᵏ)" if log_scale else ""
        short_scale = " · log colour" if log_scale else ""
        if name == "h" and not log_scale and hi != 1.0:  # the diagram colours h on ±1: say the colours differ
            span = f"±{dg.number(hi, 2).rstrip('0').rstrip('.')}"
            scale, short_scale = f" · colours {span} here, ±1 in the diagram", f" · colours {span}"
        muted = self.theme.colours.muted
        texts = (f"{symbol}: {words}{layer}{scale}", f"{symbol}{layer}{short_scale}", f"{symbol}{short_scale}")
        self.set_badge(*(f"<span style='color:{muted}'>{t}</span>" for t in texts), "")

    def _unit_ticks(self, *_) -> None:
        """Whole units on the left axis, as many as its height has room for (a label's height apart)."""
        H = self.image.image.shape[1] if self.image.image is not None else 0
        if not H:
            return
        room = self.plot.vb.height()
        label = 1.5 * QFontMetricsF(self.plot.getAxis("left").style["tickFont"] or self.font()).height()
        fit = max(2, int(room / label)) if room > 0 else 8
        fit = min(fit, 8)
        if getattr(self, "_units", None) == (H, fit):
            return
        self._units = (H, fit)
        step = next((s for s in (1, 2, 5, 10, 20, 25, 50, 100) if H / s <= fit), 100)
        ticks = [1, *range(step, H + 1, step)] if step > 1 else list(range(1, H + 1))
        self.plot.getAxis("left").setTicks([[(u, str(u)) for u in sorted(set(ticks))], []])

    def _on_tab_changed(self, index: int) -> None:
        if 0 <= index < len(self.names):
            self.selected = self.names[index]
            self._show(self.session.trace)
            self._on_frame_changed(current_frame(self.session))

    def select(self, name: str) -> None:
        """Show one quantity ('h', 'c', 'f', ..., 'dh')."""
        if name in self.names:
            self.tabs.setCurrentIndex(self.names.index(name))

    def _on_theme_changed(self) -> None:
        super()._on_theme_changed()
        self.theme.style_plot(self.colorbar)  # a plot of its own: its outline and tick labels
        self.tabs.setFont(self.theme.font(0.9))
        if self.arrays:
            self._show(self.session.trace)

    def hover_text(self, x, y):
        t, unit = round(x), round(y) - 1  # rows are drawn as units 1 .. H
        a = self.arrays.get(self.current)
        if a is None or not (0 <= t < a.shape[0] and 0 <= unit < a.shape[1]):
            return ""
        name = self.current
        if name == "dh":
            value = self.session.trace.dh[-1][t, 0, unit]
            return f"t = {t}, unit {unit + 1}\n∂L/∂h = {fmt(value, 6)}"
        symbol, _ = QUANTITY_TEXT[name]
        return f"t = {t}, unit {unit + 1}\n{symbol} = {fmt(a[t, unit], 6)}"


def _sequential(name: str) -> bool:
    return name in ("f", "i", "o", "r", "z", "dh")


class PlotsPanel(QWidget):
    """The four plots in a 2 × 2 grid."""

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(parent)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(6)
        self.gradient = GradientPlot(session)
        self.jacobian = JacobianPlot(session)
        # side by side, the two write their decades in one form (not '0.01' beside '10⁻³')
        share_decade_form(self.gradient.plot.getAxis("left"), self.jacobian.plot.getAxis("left"))
        self.eigen = EigenPlot(session)
        self.states = StatesPlot(session)
        grid.addWidget(self.gradient, 0, 0)
        grid.addWidget(self.jacobian, 0, 1)
        grid.addWidget(self.states, 1, 0)
        grid.addWidget(self.eigen, 1, 1)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        for panel in self.plots:
            panel.installEventFilter(self)  # its least height changed: the rows' too
        self._fit_rows()

    def _fit_rows(self) -> None:
        """Each row of the grid at least as high as its tallest plot's least height.

        The plots' captions wrap (height for width), and a grid of such items gave both rows the
        same height, below a plot's least one: at 1280x720 and font 1.5 the gradient plot's third
        legend row ("before your last change") lay over its caption.
        """
        grid = self.layout()
        need: dict[int, int] = {}
        for panel in self.plots:
            index = grid.indexOf(panel)
            if index < 0 or panel.isHidden():
                continue
            row, _, rows, _ = grid.getItemPosition(index)
            if rows == 1:
                need[row] = max(need.get(row, 0), panel.minimumSizeHint().height())
        for row in range(grid.rowCount()):
            if grid.rowMinimumHeight(row) != need.get(row, 0):
                grid.setRowMinimumHeight(row, need.get(row, 0))

    def eventFilter(self, obj, event) -> bool:
        if event.type() in (QEvent.Type.LayoutRequest, QEvent.Type.ShowToParent, QEvent.Type.HideToParent):
            self._fit_rows()
        return False

    def event(self, event) -> bool:
        if event.type() == QEvent.Type.LayoutRequest:  # the plots moved in the grid (presenting)
            self._fit_rows()
        return super().event(event)

    @property
    def plots(self) -> list[PlotPanel]:
        """All four, in reading order."""
        return [self.gradient, self.jacobian, self.states, self.eigen]
