"""The Cell dock stays readable with any number and in a small dock.

- Badges are placed for the widest number dg.fmt can show ('−8.8e−88'), not for '−0.00': the
  review's GRU at font 1.5 (one-to-many, frame 3) had 'z·h_{t−1} −1.2e−4' under 'h_t −9.3e−4'
  and 'n 6.3e−4' against the dock's right edge.
- At 1280×720, font 1, with a lesson open (a small dock), the RNN's W_hh and W_ih and their
  subscripts were drawn 4–8 px tall: no text in the canvas is smaller than TEXT_FLOOR_PX.
"""

import pytest
from PySide6.QtCore import QRectF
from PySide6.QtGui import QPainter
from windowtools import small_cell_view

from ui import diagram as dg

WIDEST = ["−8.8e−88", "−0.012", "−88.8"]  # exponent form; three decimals (if fmt shows [0.01, 0.1) so); tens


def _badges(canvas) -> list[tuple[str, QRectF]]:
    """The badges (and gradient labels) of the frame last painted, as drawn, in the canvas's pixels."""
    out = []
    for draw, args, world in canvas._frame:
        if draw == canvas._chip:
            x, y, name, sub, series, align, tail = args
            rect = canvas.chip_rect(x, y, name, sub, dg.fmt(canvas._val[series]), align, tail)
            out.append((series, world.mapRect(rect)))
        elif draw == canvas._draw_grad_label:
            rect, name, _grad = args
            w = canvas.metrics(bold=True).horizontalAdvance(f"{name} = {dg.fmt(1.0)}")
            text = QRectF(rect.right() - w, rect.top(), w, rect.height())
            out.append((name, world.mapRect(text)))
    return out


def _nodes(canvas) -> list[QRectF]:
    """The cell's boxes and circles in the canvas's pixels (the cell is drawn under the title)."""
    for draw, _args, world in canvas._frame:
        if draw == canvas._chip:
            return [world.mapRect(r) for r in canvas._nodes]
    return []


# two of the five dock sizes run with the slow suite (make test-slow): the default run stays under ten minutes
MORE_SIZES = [pytest.param(size, marks=pytest.mark.slow) for size in ((460, 460), (374, 347))]


@pytest.mark.parametrize("widest", WIDEST)
@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("scale", [1.0, 1.5, 2.0])
@pytest.mark.parametrize("size", [(420, 340), (384, 230), (900, 480), *MORE_SIZES])
def test_badges_with_the_widest_numbers_stay_apart_and_inside(
    qtbot, font_scale, monkeypatch, widest, cell, scale, size
):
    font_scale(scale)
    monkeypatch.setattr(dg, "fmt", lambda v, short=False: widest)
    view = small_cell_view(qtbot, size, cell=cell, topology="one-to-many")
    s, canvas = view.session, view.canvas
    for frame in (3, s.frame_of("backward", 2)):
        s.set_frame(frame)
        canvas.grab()
        canvas._val = view.values()
        badges, nodes = _badges(canvas), _nodes(canvas)
        assert len(badges) >= 4 and nodes
        room = QRectF(canvas.rect()).adjusted(-0.5, -0.5, 0.5, 0.5)
        bad = []
        for i, (a, ra) in enumerate(badges):
            if not room.contains(ra):
                bad.append((a, "outside", ra, room))
            bad += [(a, "node", ra, n) for n in nodes if ra.intersects(n)]
            bad += [(a, b, ra, rb) for b, rb in badges[i + 1 :] if ra.intersects(rb)]
        assert bad == [], (cell, scale, size, frame, [(a, b) for a, b, *_ in bad])


def _text_sizes(canvas) -> list[tuple[float, str]]:
    """(pixel size on screen, text) of every text the canvas draws (a direct, uncached drawing)."""
    seen = []
    font = [None]

    class Recorder:  # the painter, with setFont and drawText noted
        def __init__(self, p):
            self._p = p

        def __getattr__(self, name):
            return getattr(self._p, name)

        def setFont(self, f):
            font[0] = f
            self._p.setFont(f)

        def drawText(self, *args):
            text = next(a for a in args if isinstance(a, str))
            if text.strip():
                seen.append((font[0].pixelSize() * self._p.worldTransform().m22(), text))
            self._p.drawText(*args)

    from PySide6.QtGui import QPixmap

    pixmap = QPixmap(canvas.size())
    painter = QPainter(pixmap)
    try:
        canvas._paint(Recorder(painter), "direct")
    finally:
        painter.end()
        canvas.p = None
    return seen


TEXT_FLOOR_PX = 9.0  # no text (subscripts included) under this many pixels, in any dock (the numbers: 11 px)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("scale", [1.0, 1.5])
def test_no_text_in_a_small_dock_is_tiny(qtbot, font_scale, cell, scale):
    """The review's 1280×720 window with Lesson 1 open: the Cell dock's canvas was 384×204."""
    font_scale(scale)
    view = small_cell_view(qtbot, (384, 230), cell=cell)
    view.session.set_frame(view.session.frame_of("backward", 0))
    view.canvas.grab()
    sizes = _text_sizes(view.canvas)
    assert any(t.startswith("W") for _, t in sizes) or cell != "rnn"
    small = [(round(px, 1), t) for px, t in sizes if px < TEXT_FLOOR_PX - 0.01]
    assert small == [], (cell, scale)


def test_the_weights_read_as_large_as_the_numbers(qtbot, font_scale):
    """W_hh and W_ih were drawn at the drawing's own size (8.7 px at 384×204) beside 11 px numbers."""
    font_scale(1.0)
    view = small_cell_view(qtbot, (384, 230), cell="rnn")
    view.canvas.grab()
    sizes = _text_sizes(view.canvas)
    value_px = min(px for px, t in sizes if t[:1].isdigit() or t[:1] == "−")
    weights = [px for px, t in sizes if t == "W"]
    assert len(weights) == 2 and min(weights) >= value_px - 0.01, (weights, value_px)
