"""The plots' axes draw themselves without pyqtgraph's QPicture (ui.plots.MinusAxis.paint).

They must look as pyqtgraph's own drawing does: the same tick and grid lines (the grid in an
opaque colour mixed with the plot's background, the same pixels as the translucent one), and
each tick label in the same place. And a change of range must bring the new labels.
"""

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import QApplication

from ui.plots import LogAxis, MinusAxis, opaque_over


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


@pytest.mark.parametrize(("alpha", "colour", "background"), [(63, "#5c5c5c", "#ffffff"), (25, "#d0d0d0", "#1e1e1e")])
def test_an_opaque_grid_pen_leaves_the_pixels_of_the_translucent_one(alpha, colour, background):
    pen = QPen(QColor(colour))
    pen.setCosmetic(True)
    c = pen.color()
    c.setAlpha(alpha)
    pen.setColor(c)
    opaque = opaque_over(pen, QColor(background))
    assert opaque.color().alpha() == 255
    pictures = []
    for p in (pen, opaque):
        image = QImage(60, 20, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(QColor(background))
        painter = QPainter(image)
        painter.setPen(p)
        painter.drawLine(QPointF(2, 10.4), QPointF(57, 10.4))
        painter.end()
        pictures.append(_pixels(image))
    assert np.abs(pictures[0] - pictures[1]).max() <= 1
    assert np.any(pictures[0] != _pixels_of(background))  # the line is there


def _pixels_of(colour: str) -> np.ndarray:
    image = QImage(60, 20, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(QColor(colour))
    return _pixels(image)


def test_a_translucent_pen_on_a_see_through_background_is_kept():
    pen = QPen(QColor(0, 0, 0, 63))
    assert opaque_over(pen, QColor(255, 255, 255, 0)) is pen


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
    # the lines: every pixel away from the labels is the same (within the rounding of a colour mix)
    away = np.ones(mine.shape[:2], bool)
    for r, _, _ in texts:
        x0, y0 = int(r.left() - rect.left()) - 3, int(r.top() - rect.top()) - 3
        away[max(0, y0) : int(r.bottom() - rect.top()) + 4, max(0, x0) : int(r.right() - rect.left()) + 4] = False
    assert np.abs(mine - theirs)[away].max() <= 1
    # the labels: the same ink, in the same place to a pixel
    offset = (rect.left(), rect.top())
    rects = [r for r, _, _ in texts]
    for a, b in zip(_ink_boxes(mine, plain, rects, offset), _ink_boxes(theirs, plain, rects, offset), strict=True):
        assert a is not None and b is not None
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
