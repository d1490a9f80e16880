"""Helpers the window tests share (imported by name: pytest puts this folder on sys.path, as for simref)."""

from PySide6.QtCore import QCoreApplication, QEvent


def laid_out(qtbot, window, width: int = 1600, height: int = 1000) -> None:
    """Show the window at a size and let its layouts settle (three rounds: docks and plots size in turn)."""
    window.show()
    qtbot.waitExposed(window)
    window.resize(width, height)
    for _ in range(3):
        QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
        qtbot.wait(20)


def tiny(panel, task: str, iterations: int = 30, hidden: int = 6, batch: int = 8, **task_params):
    """A training-lab task with a tiny network and few iterations."""
    panel.set_task(task)
    for name, value in task_params.items():
        getattr(panel, name).setValue(value)
    panel.hidden.setValue(hidden)
    panel.batch.setValue(batch)
    panel.iterations.setValue(iterations)
    return panel


def finish(qtbot, panel, timeout: int = 30_000) -> None:
    """Wait until the lab's runs have ended and their threads are gone."""
    qtbot.waitUntil(lambda: panel.threads_alive == 0 and not panel._active(), timeout=timeout)


def small_cell_view(qtbot, size, **config):
    """A CellView on a short trace (8 steps, 4 units) at a size (the canvas: the size less the unit bar)."""
    from simulator.config import Config
    from ui.cell_view import CellView
    from ui.session import Session

    view = CellView(Session(Config(steps=8, hidden=4, **config)))
    qtbot.addWidget(view)
    view.resize(*size)
    return view


def text_pixels(draw, font, size=(560, 50)):
    """What draw(painter) paints in black text of this font on a white image of this size, as an int array."""
    import numpy as np
    from PySide6.QtGui import QColor, QImage, QPainter

    image = QImage(*size, QImage.Format.Format_RGBA8888)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.setFont(font)
    painter.setPen(QColor("black"))
    draw(painter)
    painter.end()
    return np.frombuffer(image.constBits(), np.uint8).reshape(size[1], size[0], 4).astype(int)


def direct_image(canvas):
    """A cell canvas drawn the reference way: every element, uncached, into an image of its size."""
    from PySide6.QtGui import QImage, QPainter

    dpr = canvas.devicePixelRatioF()
    image = QImage(round(canvas.width() * dpr), round(canvas.height() * dpr), QImage.Format.Format_ARGB32_Premultiplied)
    image.setDevicePixelRatio(dpr)
    image.fill(canvas.bg)
    painter = QPainter(image)
    try:
        canvas._paint(painter, "direct")
    finally:
        painter.end()
        canvas.p = None
    return image
