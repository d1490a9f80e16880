"""Fast frames must look like full repaints.

An animation frame repaints only what it changes (a plot's cursor and the strip its veil's edge
crossed, the diagram's columns between two steps, the equations' numbers put in place). These
tests compare what is on screen after such frames with a full repaint of the same state.
"""

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPen
from PySide6.QtWidgets import QApplication, QWidget
from windowtools import text_pixels

from simulator.config import Config
from ui.formula_view import EquationCanvas
from ui.plots import HairlineCurve, RichLabel


def _settle() -> None:
    for _ in range(3):
        QApplication.processEvents()


def _on_screen(window) -> np.ndarray:
    """The window's pixels as the screen has them (partial repaints included), not a fresh render."""
    image = QApplication.primaryScreen().grabWindow(window.winId()).toImage()
    image = image.convertToFormat(image.Format.Format_RGBA8888)
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine() // 4, 4)
    return rows[:, : image.width()].copy()


def _differ_from_full_repaint(window, views) -> np.ndarray:
    """The pixels (row, column) where the screen differs from a full repaint of these views and their children."""
    shown = _on_screen(window)
    for view in views:
        for w in (view, *view.findChildren(QWidget)):
            w.update()
    _settle()
    return np.argwhere((shown != _on_screen(window)).any(axis=2))


@pytest.mark.parametrize(("cell", "steps", "hidden"), [("rnn", 100, 32), ("rnn", 12, 4), ("lstm", 30, 8)])
def test_frames_leave_the_pixels_of_a_full_repaint(make_window, cell, steps, hidden):
    window = make_window(Config(cell=cell, steps=steps, hidden=hidden), show=True)
    window.resize(1600, 1000)
    _settle()
    s = window.session
    T = s.trace.T
    diagram = window.diagram
    for frame in (0, 1, 2, T // 2, T // 2 + 1, T - 1, T + 1, T + 2, 2 * T - 3, 3):
        s.set_frame(frame)
        _settle()
        differ = _differ_from_full_repaint(window, (diagram, window.formula, *window.plots.plots))  # partial repaints
        # the eigenvalue plot's step label (a pyqtgraph TextItem) may settle a pixel late on its first frame
        assert len(differ) <= 2, f"frame {frame}: {len(differ)} pixels differ, first at {differ[:3].tolist()}"


@pytest.mark.parametrize("config", [Config(cell="rnn"), Config(cell="rnn", hidden=1), Config(cell="lstm", truncate=4)])
def test_equations_filled_in_place_render_as_parsed_html(make_window, config):
    window = make_window(config, show=True)
    canvas = window.formula.canvas
    reference = EquationCanvas()
    reference.set_font(canvas.doc.defaultFont())
    s = window.session
    T = s.trace.T
    for change in (None, 0.7, 1.3, 0.7):
        if change is not None:  # a new trace keeps the template (Wrec is one of its slots)
            s.update(wrec=change)
        for frame in (0, 1, 5, T - 1, T, T + 3, 2 * T - 1, 2):
            s.set_frame(frame)
            reference.resize(canvas.size())
            reference.set_html(canvas.html)
            assert canvas.grab().toImage() == reference.grab().toImage(), f"frame {frame}, Wrec {s.config.wrec}"
    reference.deleteLater()


def test_hidden_equations_wait_until_shown(make_window, qtbot):
    window = make_window(show=True)
    _settle()
    formula, s = window.formula, window.session
    window.show_lessons()  # the lesson tab covers the equations
    _settle()
    s.set_frame(3)
    _settle()
    assert formula._stale and "t = 3<" not in formula.canvas.html  # nothing written for nobody
    assert "t = 3<" in formula.text  # read: brought up to date
    s.set_frame(5)
    window.formula_dock.raise_()
    qtbot.waitUntil(lambda: not formula._stale)  # painted again: caught up
    assert "t = 5<" in formula.canvas.html


@pytest.mark.parametrize("frame", [9, 10, 11, 29, 30, 31])  # T = 20: the middles of the phases are 10 and 30
def test_equations_shown_again_are_the_playheads(make_window, frame):
    """Raising the equations' tab measures them in the middle of both phases; they must end on the playhead's frame."""
    window = make_window(show=True)
    formula, s = window.formula, window.session
    assert s.trace.T == 20
    s.set_frame(39)
    _settle()
    window.show_lessons()  # the lesson tab covers the equations
    _settle()
    s.set_frame(frame)
    _settle()
    window.formula_dock.raise_()
    _settle()
    phase, t = s.phase_step()
    head = "forward pass, t = " if phase == "forward" else "through time, t = "
    plain = formula.canvas.doc.toPlainText().replace("\u2009", " ")
    assert f"{head}{t} " in plain, (frame, plain[:90])


@pytest.mark.parametrize(
    ("cell", "steps", "frame"),
    [("rnn", 100, 150), ("lstm", 100, 150), ("rnn", 12, 5), ("gru", 8, 12)],  # BPTT and forward, strips and nodes
)
def test_wrec_changes_leave_the_pixels_of_a_full_repaint(make_window, cell, steps, frame):
    window = make_window(Config(cell=cell, steps=steps, hidden=32), show=True)
    window.resize(1600, 1000)
    _settle()
    s = window.session
    s.set_frame(frame)
    for wrec in (0.95, 1.05, 1.6, 0.4):
        s.update(wrec=wrec)
        _settle()
        differ = _differ_from_full_repaint(window, [window])
        assert len(differ) <= 2, f"Wrec {wrec}: {len(differ)} pixels differ, first at {differ[:3].tolist()}"


def test_a_new_rich_text_is_painted_once(qtbot):
    label = RichLabel()
    qtbot.addWidget(label)
    label.setFixedSize(300, 30)
    label.show()
    qtbot.waitExposed(label)
    _settle()  # the first paint after showing
    paints = []
    label.paintEvent = lambda event, paint=label.paintEvent: (paints.append(1), paint(event))
    for k in range(5):
        label.setText(f"<b style='color:red'>▶ forward</b> t = {k} of 0…9")
        _settle()
    assert label.text().endswith("t = 4 of 0…9") and len(paints) == 5  # not twice per text
    label.setText(label.text())
    _settle()
    assert len(paints) == 5  # the same text again: nothing to repaint


def test_a_rich_text_ending_in_plain_text_is_laid_out_as_head_and_tail(qtbot):
    from PySide6.QtGui import QFont

    from ui.plots import _prepare_text, static_text

    font = QFont()
    text = "<span style='color:#0072B2; font-weight:bold'>VANISHING</span> ×0.73/step"
    line = static_text(text, font)
    assert line.tail is not None and line.tail.text() == " ×0.73/step"
    whole = _prepare_text(text, font, True)  # the same text laid out in one piece
    assert abs(line.size().width() - whole.size().width()) < 1.0
    assert static_text(text.replace("0.73", "0.81"), font).head is line.head  # the head is laid out once
    assert static_text("σ<sup>2</sup> 0.9", font).tail is None  # a superscript moves the baseline: one piece
    assert static_text("<span style='font-size:large'>a</span> 0.9", font).tail is None  # so does a size


@pytest.mark.parametrize("pixels", [12, 15, 18, 30])
def test_a_head_with_subscripts_and_its_plain_tail_draw_as_the_whole_text_does(qtbot, pixels):
    """The toolbar's verdict: '∂h_T−1/∂h_t: VANISHING' laid out once, its changing factor after it."""
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QFont

    from ui.plots import _prepare_text, static_text

    font = QFont()
    font.setPixelSize(pixels)
    text = "∂h<sub>T−1</sub>/∂h<sub>t</sub>: <b style='color:#0072B2'>VANISHING</b> ×0.861/step"
    line = static_text(text, font)
    assert line.head is not None and line.tail is not None and line.tail.text() == " ×0.861/step"
    whole = _prepare_text(text, font, True)
    assert abs(line.size().width() - whole.size().width()) < 0.5
    assert line.size().height() == whole.size().height()
    split = text_pixels(lambda p: line.draw(p, QPointF(4.5, 6)), font)
    one = text_pixels(lambda p: p.drawStaticText(QPointF(4.5, 6), whole), font)
    assert (np.abs(split - 255).max(axis=2) > 40).sum() > 100  # it drew
    differ = (np.abs(split - one).max(axis=2) > 40).sum()
    assert differ <= 10, f"{differ} pixels differ"


@pytest.mark.parametrize("text", [" ×0.867/step", "ρ = 1.01, σₘₐₓ = 1.01, 1/γ = 1", "−8.9e−3 ‖∂L/∂h‖"])
def test_plain_text_laid_out_by_a_text_layout_draws_as_a_static_text_does(qtbot, text):
    """PlainLine (a QTextLayout, cheap to lay out) in place of a plain QStaticText: the same size and pixels."""
    from PySide6.QtCore import QPointF, Qt
    from PySide6.QtGui import QFont, QStaticText, QTextOption, QTransform

    from ui.plots import PlainLine, static_text

    font = QFont()
    font.setPixelSize(17)
    reference = QStaticText(text)
    reference.setTextFormat(Qt.TextFormat.PlainText)
    option = QTextOption()
    option.setWrapMode(QTextOption.WrapMode.NoWrap)
    reference.setTextOption(option)
    reference.prepare(QTransform(), font)
    line = static_text(text, font, Qt.TextFormat.PlainText)
    assert isinstance(line.head, PlainLine) and line.tail is None
    assert line.size() == reference.size()
    ours = text_pixels(lambda p: line.draw(p, QPointF(3.25, 5)), font)
    theirs = text_pixels(lambda p: p.drawStaticText(QPointF(3.25, 5), reference), font)
    assert (np.abs(ours - 255).max(axis=2) > 40).sum() > 50
    assert (np.abs(ours - theirs).max(axis=2) > 40).sum() <= 5


def test_a_rich_text_without_markup_is_laid_out_as_plain_text(qtbot):
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QFont

    from ui.plots import PlainLine, static_text

    font = QFont()
    assert isinstance(static_text("×0.853/step back", font, Qt.TextFormat.RichText).head, PlainLine)
    for folded in ("two  spaces", " leading", "a &amp; b", "<b>bold</b>"):  # rich text reads these otherwise
        line = static_text(folded, font, Qt.TextFormat.RichText)
        assert not isinstance(line.head, PlainLine) and line.tail is None, folded


def test_plain_text_in_a_coloured_span_draws_as_the_rich_text_does(qtbot):
    """A muted header (plain text in a colour span) is laid out as plain text, and looks as the rich text did."""
    from PySide6.QtCore import QPointF, Qt
    from PySide6.QtGui import QColor, QFont, QPainter

    from ui.plots import _prepare_text, static_text

    font = QFont()
    font.setPixelSize(18)
    text = "<span style='color:#5C5C5C'>ρ = 1.03, σₘₐₓ = 1.21, 1/γ = 4</span>"
    line = static_text(text, font)
    assert line.head is None and line.tail.textFormat() == Qt.TextFormat.PlainText
    whole = _prepare_text(text, font, True)
    assert abs(line.size().width() - whole.size().width()) < 1.0
    pictures = []
    for draw in (lambda p: line.draw(p, QPointF(4, 4)), lambda p: p.drawStaticText(QPointF(4, 4), whole)):
        image = QImage(400, 40, QImage.Format.Format_RGBA8888)
        image.fill(QColor("white"))
        painter = QPainter(image)
        painter.setFont(font)
        painter.setPen(QColor("black"))  # the colour must come from the span, not from the pen
        draw(painter)
        painter.end()
        pictures.append(np.frombuffer(image.constBits(), np.uint8).reshape(40, 400, 4).astype(int))
    assert (np.abs(pictures[0] - 255).max(axis=2) > 40).sum() > 100  # it drew
    differ = (np.abs(pictures[0] - pictures[1]).max(axis=2) > 40).sum()
    assert differ <= 10, f"{differ} pixels differ"


def _curve_state(item):
    """What a PlotDataItem shows: its data, the mapped data, the curve's arrays and its path."""
    x, y = item.getData()
    cx, cy = item.curve.getData()
    path = item.curve.getPath()
    points = [(path.elementAt(i).x, path.elementAt(i).y, path.elementAt(i).type) for i in range(path.elementCount())]
    return item.xData, item.yData, x, y, cx, cy, points, item.curve.isVisible(), item.scatter.isVisible()


@pytest.mark.parametrize("log", [False, True])
def test_set_line_leaves_a_curve_as_set_data_does(qtbot, log):
    """The fast path for new data (set_line) must leave each curve exactly as pyqtgraph's setData."""
    import pyqtgraph as pg

    from ui.plots import set_curve, set_line

    widget = pg.PlotWidget()
    qtbot.addWidget(widget)
    widget.setLogMode(False, log)
    fast = widget.plot([], [], connect="finite", pen="r")
    slow = widget.plot([], [], connect="finite", pen="r")
    t = np.arange(7.0)
    rng = np.random.default_rng(3)
    datasets = [
        np.exp(rng.standard_normal(7)),
        np.array([1.0, 0.0, 2.0, np.nan, 3.0, np.inf, 1e-30]),  # a gap, a log of 0, an overflow
        np.exp(rng.standard_normal(7)),
    ]
    set_curve(fast, t, datasets[0], dots=True)  # from dots to a line: the fast path must drop the dots
    slow.setData(t, datasets[0], symbol="o")
    for y in datasets:
        set_line(fast, t, y)
        slow.setData(t, y, symbol=None)
        got, want = _curve_state(fast), _curve_state(slow)
        for a, b in zip(got, want, strict=True):
            if isinstance(a, np.ndarray):
                np.testing.assert_array_equal(a, b)
            else:
                assert a == b
    assert fast.opts["symbol"] is None and not fast.scatter.isVisible()


def _grab(widget) -> np.ndarray:
    image = widget.grab().toImage().convertToFormat(QImage.Format.Format_RGBA8888)
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine() // 4, 4)
    return rows[:, : image.width()].astype(int)


def test_dots_look_like_pyqtgraph_scatter_dots(qtbot):
    """The eigenvalue dots (Dots) draw what a pg.ScatterPlotItem of the same look draws, pixel for pixel."""
    import pyqtgraph as pg

    from ui.plots import Dots

    widget = pg.PlotWidget()
    qtbot.addWidget(widget)
    widget.resize(320, 300)
    widget.setBackground("w")
    widget.setAspectLocked(True)
    widget.setRange(xRange=(-1.3, 1.3), yRange=(-1.3, 1.3), padding=0)
    rng = np.random.default_rng(5)
    lam = np.linalg.eigvals(rng.standard_normal((24, 24)) / np.sqrt(24))
    x, y = np.append(lam.real, np.nan), np.append(lam.imag, 0.0)  # a non-finite point draws nothing
    pictures = []
    for item in (pg.ScatterPlotItem(size=9), Dots(size=9)):
        item.setBrush(pg.mkBrush("#1f77b4"))
        item.setPen(pg.mkPen("w", width=0.5))
        if isinstance(item, Dots):
            item.set_points(x, y)
        else:
            item.setData(x[:-1], y[:-1])
        widget.addItem(item)
        widget.show()
        qtbot.waitExposed(widget)
        QApplication.processEvents()
        pictures.append(_grab(widget))
        widget.removeItem(item)
    differ = (np.abs(pictures[0] - pictures[1]).max(axis=2) > 24).sum()
    drawn = (np.abs(pictures[0] - 255).max(axis=2) > 24).sum()
    assert drawn > 24 * 30  # the dots are there
    assert differ <= 0.02 * drawn, f"{differ} of {drawn} drawn pixels differ"


@pytest.mark.parametrize("width", [1.5, 2.0, 2.5, 3.0, 3.6, 4.5])
@pytest.mark.parametrize("angle", [0, 17, 30, 45, 60, 90, 135])
def test_a_wide_curve_is_drawn_solid_in_every_direction(qtbot, width, angle):
    """A wide curve drawn as hairlines (HairlineCurve) must look like one band: no light seam inside it."""
    import math

    import pyqtgraph as pg
    from PySide6.QtGui import QColor, QPainter, QTransform

    from ui.plots import HairlineCurve

    item = HairlineCurve()
    a = math.radians(angle)
    xs, ys = np.array([-60 * math.cos(a), 60 * math.cos(a)]), np.array([-60 * math.sin(a), 60 * math.sin(a)])
    item.setData(xs, ys, antialias=True)  # as the window's theme sets for every curve
    item.setPen(pg.mkPen("k", width=width))
    image = QImage(200, 200, QImage.Format.Format_RGBA8888)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.setTransform(QTransform.fromTranslate(100.3, 100.6))  # off the pixel grid, as curves are
    item.paint(painter, None, None)
    painter.end()
    ink = 255 - np.frombuffer(image.constBits(), np.uint8).reshape(200, 200, 4)[:, :, 0].astype(float)
    # profiles across the line, near its middle: sample along its normal
    normal = (-math.sin(a), math.cos(a))
    for along in (-20, 0, 20):
        cx, cy = 100.3 + along * math.cos(a), 100.6 + along * math.sin(a)
        s = np.arange(-6, 6.01, 0.25)
        xs = np.clip(np.round(cx + s * normal[0]).astype(int), 0, 199)
        ys = np.clip(np.round(cy + s * normal[1]).astype(int), 0, 199)
        profile = ink[ys, xs]
        inside = np.flatnonzero(profile > 0.5 * profile.max())
        band = profile[inside[0] : inside[-1] + 1]
        assert band.min() >= 0.5 * profile.max(), f"a seam across the line: {np.round(profile).tolist()}"
        assert inside[-1] - inside[0] >= 4 * (width - 1.2) - 2  # and it is as wide as its pen (in 1/4 px)


@pytest.mark.parametrize("width", [2.0, 3.6, 4.5])
def test_legend_samples_read_as_their_curves_at_any_width(qtbot, width):
    """A dashed curve's sample shows at least two dashes; a solid curve with dots shows an unbroken line."""
    import pyqtgraph as pg
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QColor, QPainter

    from ui.plots import CurveSample

    def ink_along_the_line(item) -> np.ndarray:
        image = QImage(24, 24, QImage.Format.Format_RGBA8888)
        image.fill(QColor("white"))
        painter = QPainter(image)
        CurveSample(item).paint(painter)
        painter.end()
        rows = np.frombuffer(image.constBits(), np.uint8).reshape(24, 24, 4)[:, :, 0].astype(int)
        return (255 - rows[10:13, 0:20]).max(axis=0) > 100  # the sample's line is at y = 11

    dashed = pg.PlotDataItem([0, 1], [0, 1], pen=pg.mkPen("k", width=width, style=Qt.PenStyle.DashLine))
    inked = ink_along_the_line(dashed)
    dashes = int(inked[0]) + int(np.sum(inked[1:] & ~inked[:-1]))
    assert dashes >= 2, f"{dashes} dash(es) along the sample: it reads as a solid line"
    solid = pg.PlotDataItem([0, 1], [0, 1], pen=pg.mkPen("b", width=width), symbol="o", symbolPen="w")
    assert ink_along_the_line(solid).all(), "the dot cuts the solid line: it reads as dashed"


@pytest.mark.parametrize(
    "x, y",
    [
        (np.arange(100.0), np.logspace(-5, 3, 100)),
        (np.arange(5.0), np.array([1.0, np.nan, 3.0, -2.0, 0.5])),  # a gap
        (np.arange(4.0), np.array([1.0, np.inf, 3.0, 2.0])),  # an overflow
        (np.arange(3.0), np.full(3, np.nan)),  # nothing to show
        (np.array([]), np.array([])),
    ],
)
def test_a_hairline_curve_has_pyqtgraphs_bounds(qapp, x, y):
    """HairlineCurve.dataBounds (min and max where it can) gives what pyqtgraph's gives, in every case."""
    for options in ({}, {"fillLevel": 0.0}, {"pen": QPen(Qt.GlobalColor.red, 0.3)}):  # a fill; a pen in data units
        curve, reference = HairlineCurve(), pg.PlotCurveItem()
        for item in (curve, reference):
            item.setData(x=x, y=y, **options)
        for ax in (0, 1):
            for frac, ortho in ((1.0, None), (0.9, None), (1.0, (0.5, 2.5))):
                with np.errstate(all="ignore"):
                    want = pg.PlotCurveItem.dataBounds(reference, ax, frac, ortho)
                got = curve.dataBounds(ax, frac, ortho)
                np.testing.assert_equal(got, want)
                np.testing.assert_equal(curve.dataBounds(ax, frac, ortho), got)  # again, from the cache


def test_hairline_curves_have_pyqtgraphs_rectangles(make_window):
    """Every curve's bounding rectangle (padded by its pen in pixels) is pyqtgraph's, to rounding,
    after Wrec changes, a resize and a zoom."""
    window = make_window(Config(cell="lstm", steps=40), show=True)
    session = window.session

    def check() -> int:
        QApplication.processEvents()
        seen = 0
        for panel in window.plots.plots:
            for item in panel.plot.items:
                curve = getattr(item, "curve", None)
                if isinstance(curve, HairlineCurve) and curve.xData is not None and len(curve.xData):
                    mine = curve.boundingRect()
                    curve._boundingRect = None
                    theirs = pg.PlotCurveItem.boundingRect(curve)
                    curve._boundingRect = None
                    for a, b in zip(mine.getRect(), theirs.getRect(), strict=True):
                        assert a == pytest.approx(b, rel=1e-9, abs=1e-12)
                    seen += 1
        return seen

    seen = check()
    for wrec in (0.5, 1.7, 3.0):
        session.update(wrec=wrec)
        seen += check()
    window.resize(900, 640)
    window.plots.plots[0].plot.setXRange(3, 20)
    assert seen + check() >= 20


@pytest.mark.parametrize("width", [2.0, 3.0, 3.6])
@pytest.mark.parametrize("style", ["DashLine", "DashDotLine", "DotLine"])
def test_a_dashed_hairline_curve_puts_its_dashes_where_the_wide_pen_does(qtbot, monkeypatch, width, style):
    """HairlineCurve draws dashed, dash-dotted and dotted curves (the LSTM's cell-state gradient is
    dash-dotted) as hairlines; their dashes and gaps must fall where Qt's wide pen puts them."""
    import pyqtgraph as pg
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QColor, QPainter, QTransform

    from ui.plots import HairlineCurve

    def ink(item) -> np.ndarray:
        item.setData(np.array([0.0, 180.0]), np.array([0.0, 0.0]), antialias=True)
        item.setPen(pg.mkPen("k", width=width, style=getattr(Qt.PenStyle, style)))
        image = QImage(200, 20, QImage.Format.Format_RGBA8888)
        image.fill(QColor("white"))
        painter = QPainter(image)
        painter.setTransform(QTransform.fromTranslate(10.0, 10.3))
        item.paint(painter, None, None)
        painter.end()
        red = np.frombuffer(image.constBits(), np.uint8).reshape(20, 200, 4)[:, :, 0]
        return (255 - red.astype(int)).max(axis=0)  # ink along the line, column by column

    wide = ink(pg.PlotCurveItem())
    wide_lines = []
    qt_paint = pg.PlotCurveItem.paint
    monkeypatch.setattr(pg.PlotCurveItem, "paint", lambda *a: wide_lines.append(1) or qt_paint(*a))
    hairlines = ink(HairlineCurve())
    assert not wide_lines or width > 3.0  # hairlines (a wider pen takes Qt's line: more hairlines would cost more)
    assert (wide[10:190] < 55).sum() > 20  # the wide pen has gaps
    # no column inked by one and blank in the other (an edge may be half a pixel off: half-inked);
    # up to the last few pixels, where Qt's wide pen leaves out a dash shorter than its caps
    h, q = hairlines[:186], wide[:186]
    clash = ((h > 200) & (q < 55)) | ((h < 55) & (q > 200))
    assert not clash.any(), f"at {np.flatnonzero(clash)}: {h.tolist()}\n{q.tolist()}"
