"""The states heatmap is drawn from a copy at one pixel per device pixel (ui.plots.HeatmapImage).

Each device pixel must show the cell under its centre, as Qt's own texture fill of pyqtgraph's
indexed image does, also under a clipped (partial) repaint and whichever way the view is flipped.
"""

import math

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, QRect, QRectF
from PySide6.QtGui import QImage, QPainter, QRegion, QTransform

from simulator.config import Config
from ui.plots import HeatmapImage


def _pixels(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)
    rows = np.frombuffer(image.constBits(), np.uint32).reshape(image.height(), image.bytesPerLine() // 4)
    return rows[:, : image.width()].copy()


def _cells(h: int = 7, w: int = 11) -> QImage:
    """A small image whose every pixel has its own colour."""
    values = (0xFF000000 + np.arange(h * w, dtype=np.uint32).reshape(h, w) * 977).astype(np.uint32)
    image = QImage(w, h, QImage.Format.Format_ARGB32_Premultiplied)
    for y in range(h):
        for x in range(w):
            image.setPixel(x, y, int(values[y, x]))
    return image


@pytest.mark.parametrize(
    "transform",
    [
        QTransform(2.78, 0, 0, 4.31, 40.3, 15.2),
        QTransform(2.78, 0, 0, -4.31, 40.3, 150.2),  # flipped vertically (an inverted y axis)
        QTransform(-3.1, 0, 0, 1.7, 300.6, 8.9),  # flipped horizontally
        QTransform(0.6, 0, 0, 0.45, 3.2, 1.1),  # smaller than the image: cells are skipped
        QTransform(5, 0, 0, 5, 10, 10),  # whole pixels
    ],
)
def test_each_device_pixel_shows_the_cell_under_its_centre(qapp, transform):
    image = _cells()
    item = HeatmapImage()
    device, pixels, corner = item._on_device(image, transform)
    got = _pixels(device)
    src = _pixels(image)
    inverse, ok = transform.inverted()
    assert ok and got.shape == pixels.shape
    rect = transform.mapRect(QRectF(0, 0, image.width(), image.height()))
    # every pixel whose centre is inside the image's rectangle is there, and no other
    assert (corner.x(), corner.y()) == (math.ceil(rect.left() - 0.5), math.ceil(rect.top() - 0.5))
    assert got.shape == (
        math.ceil(rect.bottom() - 0.5) - corner.y(),
        math.ceil(rect.right() - 0.5) - corner.x(),
    )
    for y in range(got.shape[0]):
        for x in range(got.shape[1]):
            p = inverse.map(QPointF(corner.x() + x + 0.5, corner.y() + y + 0.5))
            want = src[min(max(math.floor(p.y()), 0), 6), min(max(math.floor(p.x()), 0), 10)]
            assert got[y, x] == want, (x, y)


def test_the_device_copy_follows_a_new_image_and_a_new_transform(qapp):
    item = HeatmapImage()
    a, b = _cells(), _cells()
    b.invertPixels()
    t = QTransform(2.5, 0, 0, 3.5, 1.0, 2.0)
    first = _pixels(item._on_device(a, t)[0])
    assert not np.array_equal(first, _pixels(item._on_device(b, t)[0]))
    assert np.array_equal(first, _pixels(item._on_device(a, t)[0]))
    wider = _pixels(item._on_device(a, QTransform(4.5, 0, 0, 3.5, 1.0, 2.0))[0])
    assert wider.shape[1] > first.shape[1]


def _states_view(make_window, qtbot):
    window = make_window(Config(cell="lstm", steps=100, hidden=32), show=True)
    window.resize(1600, 1000)
    qtbot.wait(50)
    panel = next(p for p in window.plots.plots if type(p).__name__ == "StatesPlot")
    return window, panel


def test_the_heatmap_on_screen_matches_its_cells(make_window, qtbot):
    """Every screen pixel of the heatmap (away from the cursor line) has its cell's colour."""
    window, panel = _states_view(make_window, qtbot)
    view, item = panel.plot_widget, panel.image
    assert isinstance(item, HeatmapImage)
    shown = _pixels(view.viewport().grab().toImage())
    cells = _pixels(item.qimage)
    device = item.deviceTransform(view.viewportTransform())
    inverse, _ = device.inverted()
    box = device.mapRect(item.boundingRect())
    cursor_x = device.map(QPointF(window.session.phase_step(window.session.frame)[1] + 0.5, 0)).x()
    checked = wrong = 0
    for y in range(math.ceil(box.top()) + 1, math.floor(box.bottom()) - 1, 3):
        for x in range(math.ceil(box.left()) + 1, math.floor(box.right()) - 1):
            if abs(x + 0.5 - cursor_x) < 6:
                continue
            p = inverse.map(QPointF(x + 0.5, y + 0.5))
            u, v = math.floor(p.x()), math.floor(p.y())
            if abs(p.x() - round(p.x())) < 1e-3:  # a centre on a cell edge: either neighbour is right
                continue
            checked += 1
            wrong += shown[y, x] & 0xFFFFFF != cells[v, u] & 0xFFFFFF
    assert checked > 5000
    assert wrong == 0


def test_a_clipped_repaint_draws_the_same_pixels(make_window, qtbot):
    _, panel = _states_view(make_window, qtbot)
    viewport = panel.plot_widget.viewport()

    def render(clip: QRect | None = None) -> np.ndarray:
        image = QImage(viewport.size(), QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(0)
        viewport.render(image, clip.topLeft() if clip else QPoint(), QRegion(clip) if clip else QRegion())
        return _pixels(image)

    whole = render()
    for x in range(40, 300, 23):
        for y in (5, 40, 90):
            part = render(QRect(x, y, 13, 41))
            assert np.array_equal(part[y : y + 41, x : x + 13], whole[y : y + 41, x : x + 13]), (x, y)


def test_an_export_draws_pyqtgraphs_way(qapp):
    """Exports (vector or scaled) keep the scaled image: no device copy is made."""
    item = HeatmapImage(axisOrder="col-major")
    item.setImage(np.arange(12.0).reshape(4, 3), levels=(0, 11))
    item.setExportMode(True, {})
    target = QImage(40, 40, QImage.Format.Format_ARGB32_Premultiplied)
    target.fill(0)
    painter = QPainter(target)
    painter.setTransform(QTransform.fromScale(10, 10))
    item.paint(painter)
    painter.end()
    assert item._device is None
    assert _pixels(target).any()


@pytest.mark.parametrize("ratio", [1.0, 1.5, 2.0])
def test_a_high_dpi_device_gets_a_pixel_per_device_pixel(qapp, ratio):
    """On a device with several pixels per logical pixel (a high-DPI screen) each of its own pixels
    shows the cell under its centre: the copy is made at the device's resolution, not the logical one."""
    item = HeatmapImage(axisOrder="col-major")
    data = np.arange(30 * 7, dtype=float).reshape(30, 7)  # 30 steps x 7 units, every cell its own value
    lut = np.stack([np.arange(256), 255 - np.arange(256), (7 * np.arange(256)) % 256], axis=1).astype(np.uint8)
    item.setImage(data, levels=(0, data.max()), lut=lut)
    size = (400, 240)  # logical pixels
    target = QImage(int(size[0] * ratio), int(size[1] * ratio), QImage.Format.Format_ARGB32_Premultiplied)
    target.setDevicePixelRatio(ratio)
    target.fill(0)
    painter = QPainter(target)
    painter.setTransform(QTransform(11.37, 0, 0, 27.9, 7.3, 12.6))  # ~11 x 28 logical pixels a cell
    device = painter.deviceTransform()
    item.paint(painter)
    painter.end()
    got = _pixels(target)
    cells = _pixels(item.qimage)
    inverse, _ = device.inverted()
    checked = 0
    for y in range(0, target.height(), 3):
        for x in range(0, target.width(), 2):
            p = inverse.map(QPointF(x + 0.5, y + 0.5))
            if not (0 <= p.x() < 30 and 0 <= p.y() < 7):
                continue
            if min(abs(p.x() - round(p.x())), abs(p.y() - round(p.y()))) < 1e-6:  # on an edge: either
                continue
            assert got[y, x] == cells[math.floor(p.y()), math.floor(p.x())], (x, y)
            checked += 1
    assert checked > 1000


def test_an_image_smaller_than_a_pixel_draws_nothing(qapp):
    item = HeatmapImage(axisOrder="col-major")
    item.setImage(np.ones((4, 3)), levels=(0, 2))
    device, pixels, _ = item._on_device(_cells(), QTransform(0.01, 0, 0, 0.01, 0.2, 0.2))
    assert device.isNull() and pixels.size == 0
    target = QImage(20, 20, QImage.Format.Format_ARGB32_Premultiplied)
    target.fill(0)
    painter = QPainter(target)
    painter.setTransform(QTransform(0.01, 0, 0, 0.01, 0.2, 0.2))
    item.paint(painter)
    painter.end()
    assert not _pixels(target).any()
