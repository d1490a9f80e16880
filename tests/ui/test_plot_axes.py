"""The plots' axes draw themselves without pyqtgraph's QPicture (ui.plots.MinusAxis.paint).

They must look as pyqtgraph's own drawing does: the same tick and grid lines, each tick label in
the same place, and both grid lines where two cross. And a change of range must bring the new labels.
"""

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QApplication
from windowtools import text_pixels

from ui.plots import LogAxis, MinusAxis


def _pixels(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format.Format_RGBA8888)
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine() // 4, 4)
    return rows[:, : image.width()].astype(int).copy()


def _axis_picture(axis, background: QColor, mine: bool) -> np.ndarray:
    """The axis drawn on its plot's background, by our paint or by pyqtgraph's."""
    rect = axis.boundingRect()
    image = QImage(int(rect.width()) + 2, int(rect.height()) + 2, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(background)
    painter = QPainter(image)
    painter.translate(-rect.left(), -rect.top())
    axis.picture = None  # drawn anew
    if mine:
        axis.paint(painter, None, None)
    else:
        pg.AxisItem.paint(axis, painter, None, None)
    painter.end()
    axis.picture = None
    return _pixels(image)


def test_where_two_grid_lines_cross_both_show(make_window):
    """Each axis draws its own grid in a translucent pen: a crossing is darker than either line
    (pens made opaque beforehand left the last axis's colour there, and the eigenvalue plot's
    vertical lines looked dashed)."""
    window = make_window(show=True)
    window.resize(1600, 1000)
    for _ in range(3):
        QApplication.processEvents()
    plot = window.plots.eigen
    view = plot.plot_widget
    image = QImage(view.viewport().size(), QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(view.backgroundBrush().color())
    painter = QPainter(image)
    lines = {}
    for side in ("left", "bottom"):
        axis = plot.plot.getAxis(side)
        axis.picture = None
        painter.setTransform(axis.sceneTransform() * view.viewportTransform())
        axis.paint(painter, None, None)
        to_view = axis.sceneTransform() * view.viewportTransform()
        lines[side] = [(to_view.map(a), to_view.map(b)) for _, a, b in axis._specs[1]]
    painter.end()
    pixels = _pixels(image)[..., :3].sum(axis=2)
    (a, b), (c, d) = lines["left"][len(lines["left"]) // 2], lines["bottom"][len(lines["bottom"]) // 2]
    y, x = round(a.y() - 0.5), round(c.x() - 0.5)  # the pixel each line lies on
    assert abs(a.y() - b.y()) < 1e-6 and abs(c.x() - d.x()) < 1e-6  # a horizontal and a vertical line
    crossing, along_h, along_v = pixels[y, x], pixels[y, x + 3], pixels[y + 3, x]
    plain = pixels[y + 3, x + 3]
    assert along_h < plain and along_v < plain  # each line is drawn
    assert crossing < min(along_h, along_v)  # and both show where they cross


def _ink_boxes(pixels: np.ndarray, background: np.ndarray, rects, offset) -> list:
    """The bounding box of the pixels that differ from the background inside each label's rectangle."""
    boxes = []
    for rect in rects:
        x0, y0 = int(rect.left() - offset[0]) - 2, int(rect.top() - offset[1]) - 2
        x1, y1 = int(rect.right() - offset[0]) + 3, int(rect.bottom() - offset[1]) + 3
        part = np.any(pixels[max(0, y0) : y1, max(0, x0) : x1] != background, axis=2)
        ys, xs = np.nonzero(part)
        boxes.append((xs.min() + x0, ys.min() + y0, xs.max() + x0, ys.max() + y0) if len(xs) else None)
    return boxes


@pytest.mark.parametrize("side", ["left", "bottom"])
def test_the_axes_look_as_pyqtgraph_draws_them(window, side):
    s = window.session
    s.update(wrec=1.1)
    window.resize(1600, 1000)
    for _ in range(3):
        QApplication.processEvents()
    axis = window.plots.gradient.plot.getAxis(side)
    assert isinstance(axis, LogAxis if side == "left" else MinusAxis)
    background = window.plots.gradient.plot_widget.backgroundBrush().color()
    mine = _axis_picture(axis, background, mine=True)
    theirs = _axis_picture(axis, background, mine=False)
    texts = axis._specs[2]
    assert len(texts) >= 2
    rect = axis.boundingRect()
    plain = mine[0, 0].copy()
    # the lines: every pixel away from the labels is the same
    away = np.ones(mine.shape[:2], bool)
    for r, _, _ in texts:
        x0, y0 = int(r.left() - rect.left()) - 3, int(r.top() - rect.top()) - 3
        away[max(0, y0) : int(r.bottom() - rect.top()) + 4, max(0, x0) : int(r.right() - rect.left()) + 4] = False
    assert np.abs(mine - theirs)[away].max() == 0
    # the labels: the same ink, in the same place to a pixel
    offset = (rect.left(), rect.top())
    rects = [r for r, _, _ in texts]
    for a, b in zip(_ink_boxes(mine, plain, rects, offset), _ink_boxes(theirs, plain, rects, offset), strict=True):
        assert a is not None and b is not None
        # (pyqtgraph replays its labels from a QPicture, which puts some a pixel off QPainter.drawText's place)
        assert max(abs(u - v) for u, v in zip(a, b, strict=True)) <= 1, (a, b)


def test_a_change_of_range_brings_the_new_labels(make_window):
    window = make_window(show=True)
    window.resize(1600, 1000)
    s = window.session
    axis = window.plots.gradient.plot.getAxis("left")
    labels = []
    for wrec in (0.5, 1.6):
        s.update(wrec=wrec)
        for _ in range(3):
            QApplication.processEvents()
        window.plots.gradient.plot_widget.viewport().repaint()
        labels.append([text for _, _, text in axis._specs[2]])
    assert labels[0] != labels[1]
    lo, hi = axis.range
    for text in labels[1]:  # each a decade inside the range shown now
        assert text.startswith("10") or text in ("1", "10", "0.1", "0.01")
    decades = [t for t in labels[1] if t.startswith("10") and len(t) > 2]
    if decades:
        exponents = [int(t[2:].translate(str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789"))) for t in decades]
        assert all(lo <= k <= hi for k in exponents)


@pytest.mark.parametrize("text", ["0.01", "−2", "10⁻⁴", "15", "1"])
def test_a_label_lands_where_qpainter_drawtext_puts_it(qapp, text):
    """The laid-out label, aligned by _text_corner, covers the pixels QPainter.drawText(rect, flags)
    covers, at any fraction of a pixel (the line's unrounded height centres it, as drawText does)."""
    from PySide6.QtCore import QPointF, QRectF, Qt
    from PySide6.QtGui import QFont

    from ui.plots import _cached_text, _text_corner

    font = QFont()
    font.setPointSizeF(9.0)
    flags = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
    line = _cached_text(text, font, False)

    for k in range(20):
        rect = QRectF(40.0, 10.0 + k / 20, 60.0, 11.16)
        theirs = text_pixels(lambda p, r=rect: p.drawText(r, flags, text), font, (120, 40))
        at = _text_corner(rect, int(flags), line.text_size())
        mine = text_pixels(lambda p, at=at: line.draw(p, at), font, (120, 40))
        assert np.array_equal(mine, theirs), (text, k)
        assert isinstance(at, QPointF)


def test_an_axis_rectangle_follows_its_plot(make_window):
    """The kept rectangle (MinusAxis.boundingRect) is pyqtgraph's after every change it depends on:
    a resize, the grid turned off and on, longer ticks, overlapping labels allowed."""
    window = make_window(show=True)
    window.resize(1600, 1000)
    QApplication.processEvents()
    items = [entry["item"] for panel in window.plots.plots for entry in panel.plot.axes.values()]
    axes = [axis for axis in items if isinstance(axis, MinusAxis) and axis.isVisible()]
    assert len(axes) >= 6

    def check():
        QApplication.processEvents()
        for axis in axes:
            assert axis.boundingRect() == pg.AxisItem.boundingRect(axis), axis.orientation

    check()
    window.resize(1250, 760)
    check()
    axes[0].setGrid(False)
    check()
    axes[0].setGrid(80)
    axes[1].setStyle(tickLength=-12)
    axes[2].setStyle(hideOverlappingLabels=False)
    check()
    window.plots.plots[0].plot.setRange(yRange=(-3, 2))
    window.resize(1600, 1000)
    check()


def test_layout_widgets_take_qts_rectangle(make_window):
    """pyqtgraph's GraphicsWidget answers with Qt's rect() (ui.plots._qt_widget_rectangles): that is
    its own mapped geometry only for a widget with no transform, which must hold for every one on
    screen; and every shape (a view box clips its curves to its own) follows a resize."""
    from PySide6.QtWidgets import QGraphicsWidget

    assert pg.GraphicsWidget.boundingRect is QGraphicsWidget.boundingRect
    window = make_window(show=True)
    for size in ((1600, 1000), (1100, 700)):
        window.resize(*size)
        QApplication.processEvents()
        seen = boxes = 0
        for view in window.findChildren(pg.GraphicsView):
            for item in view.scene().items():
                if isinstance(item, pg.ViewBox):  # its own rectangle, half a pixel wider, is its shape
                    assert item.shape().boundingRect() == item.rect().adjusted(0, 0, 0.5, 0.5)
                    boxes += 1
                elif isinstance(item, pg.GraphicsWidget) and type(item).boundingRect is QGraphicsWidget.boundingRect:
                    assert item.transform().isIdentity(), type(item).__name__
                    assert item.boundingRect() == item.mapRectFromParent(item.geometry()).normalized()
                    assert item.shape().boundingRect() == item.boundingRect()
                    seen += 1
        assert seen >= 8 and boxes >= 4


@pytest.mark.parametrize("steps", [2, 3, 5])
def test_step_axes_label_whole_steps_only(make_window, steps):
    """A few steps stretch the step axis: its labels stay at whole t (no 't = 0.5'); Re λ keeps its fractions."""
    from simulator.config import Config

    window = make_window(Config(steps=steps), show=True)
    window.resize(1600, 1000)
    for _ in range(3):
        QApplication.processEvents()
    plots = window.plots
    for panel in (plots.gradient, plots.jacobian, plots.states):
        axis = panel.plot.getAxis("bottom")
        panel.plot_widget.viewport().repaint()
        texts = [text for _, _, text in axis._specs[2]]
        assert texts and all(float(t.replace("−", "-")).is_integer() for t in texts), (type(panel).__name__, texts)
    assert not plots.eigen.plot.getAxis("bottom").whole


def _outside_px(plot, x: float, y: float, radius: float) -> float:
    """How many pixels a dot of this radius at (x, y) in view coordinates reaches past the view box (0: inside)."""
    from PySide6.QtCore import QPointF

    view = plot.plot.getViewBox()
    p = view.mapFromView(QPointF(x, y))  # the view box's own pixels: (0, 0) … (width, height)
    rect = view.rect()
    return max(0.0, rect.left() - (p.x() - radius), (p.x() + radius) - rect.right(),
               rect.top() - (p.y() - radius), (p.y() + radius) - rect.bottom())  # fmt: skip


def _dots_outside(window) -> dict:
    """For the gradient and Jacobian curves: how far their dots and the playhead's dot at either end reach out."""
    s = window.session
    T = s.trace.T
    out = {}
    for name in ("gradient", "jacobian"):
        plot = getattr(window.plots, name)
        scatter = plot.curve.scatter
        pen = pg.mkPen(scatter.opts["pen"]).widthF() or 1.0
        radius = 0.5 * scatter.opts["size"] + pen
        xs, ys = scatter.getData()
        assert len(xs) == T
        out[name] = max(_outside_px(plot, x, y, radius) for x, y in zip(xs, ys, strict=True))
        for t in (0, T - 1):  # the playhead's larger dot, on each end of the curve
            s.set_frame(s.frame_of("backward", t))
            (x,), (y,) = plot.marker.getData()
            out[f"{name} playhead t={t}"] = _outside_px(plot, x, y, plot.marker.reach())
    return out


@pytest.mark.parametrize(
    "config",
    [
        {"activation": "sigmoid", "wrec": 0.5},  # vanishing: about twenty decades
        {"activation": "identity", "wrec": 8.0},  # exploding: seventeen decades
    ],
)
def test_the_end_dots_lie_inside_the_plot_on_many_decades(make_window, config):
    """The room beyond the data is in pixels: a share of a decade was a pixel or so when twenty decades
    shared the height, and the dots at the curve's ends stood half outside the frame. At the window's
    size and after the plots are made low (the room follows the new height)."""
    from simulator.config import Config

    window = make_window(Config(**config), show=True)
    window.resize(1600, 1000)
    QApplication.processEvents()
    g = window.session.trace.grad_norms
    assert np.ptp(np.log10(g[np.isfinite(g) & (g > 0)])) >= 15
    assert max(_dots_outside(window).values()) == 0, _dots_outside(window)
    for name in ("gradient", "jacobian"):
        getattr(window.plots, name).plot_widget.setFixedHeight(130)
    QApplication.processEvents()
    assert window.plots.gradient.plot.getViewBox().height() < 80
    assert max(_dots_outside(window).values()) == 0, _dots_outside(window)


def _notation(text: str) -> str:
    return "power" if "10" in text and any(c in text for c in "⁰¹²³⁴⁵⁶⁷⁸⁹") else "written"


@pytest.mark.parametrize(
    "config",
    [
        {"activation": "relu", "wrec": 1.0, "steps": 20},  # were 10⁻³ … 10⁻¹ beside 0.01, 0.1
        {"cell": "lstm", "wrec": 1.5, "steps": 20},  # were 10⁻³ … 10⁻¹ beside 0.01, 0.1, 1
        {"activation": "sigmoid", "wrec": 0.5, "topology": "many_to_many"},  # were 0.01, 0.1 beside 10⁻¹⁵ …
    ],
)
def test_the_gradient_and_jacobian_plots_write_their_decades_alike(make_window, config):
    """One notation on both plots: the Jacobian's 0.01, 0.1 beside the gradient's 10⁻⁴ read as two scales."""
    from simulator.config import Config

    window = make_window(Config(**config), show=True)
    window.resize(1600, 1000)
    for _ in range(3):  # (an axis widens for its labels after a paint: the next one draws them all)
        QApplication.processEvents()
    labels = {}
    for name in ("gradient", "jacobian"):
        plot = getattr(window.plots, name)
        plot.plot_widget.viewport().repaint()
        labels[name] = [text for _, _, text in plot.plot.getAxis("left")._specs[2]]
    assert all(len(texts) >= 2 for texts in labels.values()), labels
    assert len({_notation(t) for texts in labels.values() for t in texts}) == 1, labels


@pytest.mark.parametrize("steps", [60, 100])
def test_the_playheads_dot_on_the_first_and_last_step_of_a_long_sequence_lies_inside(make_window, steps):
    """Half a step beyond each end was 3 px at T = 100: the playhead's dot on t = 0 (where BPTT ends)
    stood half outside the frame. The time axis now shows the steps that the dot needs beyond the
    ends, and the veil and the truncated band reach its new left edge."""
    from simulator.config import Config

    window = make_window(Config(steps=steps), show=True)
    window.resize(1600, 1000)
    QApplication.processEvents()
    s = window.session
    for name in ("gradient", "jacobian"):
        plot = getattr(window.plots, name)
        for t in (0, steps - 1):
            s.set_frame(s.frame_of("backward", t))
            (x,), (y,) = plot.marker.getData()
            assert _outside_px(plot, x, y, plot.marker.reach()) == 0, (name, t)
        left = plot.plot.getViewBox().viewRange()[0][0]
        assert left < -0.5
        s.set_frame(0)  # the forward pass: all of BPTT still to come, veiled from the very edge
        assert plot.veil.span[0] <= left
    s.update(truncate=steps // 3)
    QApplication.processEvents()
    band = window.plots.gradient.truncated
    assert band.isVisible() and band.getRegion()[0] <= window.plots.gradient.plot.getViewBox().viewRange()[0][0]
