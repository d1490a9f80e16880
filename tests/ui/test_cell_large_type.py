"""The Cell dock at font scales 1.5–2: badges and labels never cover the cell's nodes or each
other, the symbols in the boxes grow with the text, the drawing uses the dock's height, and the
LSTM shows its equations as the RNN and GRU do."""

import pytest
from windowtools import small_cell_view

from ui import diagram as dg
from ui.cell_view import FONT_PX

CELLS = [dict(cell="rnn"), dict(cell="lstm"), dict(cell="lstm", variant="peephole"), dict(cell="gru")]
SIZES = [(420, 592), (436, 330), (374, 347), (460, 460), (900, 480)]


def _overlaps(canvas) -> list:
    """Pairs (a, b) of a badge or label over a node or another badge, with the frame's own numbers."""
    rects = list(canvas._labels)
    for draw, args, _ in canvas._frame:  # the badges as drawn, with this frame's numbers
        if draw == canvas._chip:
            x, y, name, sub, series, align, tail = args
            text = dg.fmt(canvas._val[series])
            rects.append((series + "@frame", canvas.chip_rect(x, y, name, sub, text, align, tail)))
    bad = []
    for i, (a, ra) in enumerate(rects):
        for node in canvas._nodes:
            if ra.intersects(node):
                bad.append((a, "node", ra, node))
        for b, rb in rects[i + 1 :]:
            if b.split("@")[0] != a.split("@")[0] and ra.intersects(rb):
                bad.append((a, b, ra, rb))
    return bad


@pytest.mark.parametrize("config", CELLS)
@pytest.mark.parametrize("scale", [1.0, 1.5, 2.0])
@pytest.mark.parametrize("size", SIZES)
def test_no_label_covers_a_node_or_another_label(qtbot, font_scale, config, scale, size):
    """The review's LSTM 'i·g' and 'tanh' over the output tanh, the GRU's '1−z' over its (1−) node."""
    font_scale(scale)
    view = small_cell_view(qtbot, size, **config)
    s, canvas = view.session, view.canvas
    for frame in (5, s.frame_of("backward", 2)):
        s.set_frame(frame)
        canvas.grab()
        canvas._val = view.values()
        assert canvas._nodes and len(canvas._labels) >= 5
        assert _overlaps(canvas) == [], (config, scale, size, frame)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_the_gate_symbols_grow_with_the_text(qtbot, font_scale, cell):
    """σ and tanh in the gate boxes kept the drawing's own size: at font 2 the drawing shrinks to make
    room for the text, so they came out ~30% smaller than at font 1, beside numbers twice as large."""
    px = {}
    for scale in (1.0, 2.0):
        font_scale(scale)
        view = small_cell_view(qtbot, (900, 480), cell=cell)  # font 1 draws the text at its own size here
        canvas = view.canvas
        canvas.grab()
        tf, fit = canvas.fit()
        px[scale] = canvas.symbol_font(28).pixelSize() * fit  # σ on screen
        assert px[scale] >= 0.45 * FONT_PX * tf * fit  # about half the value text or more
    assert px[2.0] >= 0.95 * px[1.0], px


def test_the_lstm_subtitle_shows_its_equations(qtbot):
    texts = []
    view = small_cell_view(qtbot, (900, 480), cell="lstm")
    canvas = view.canvas
    from PySide6.QtGui import QPainter

    draw = QPainter.drawText
    try:
        QPainter.drawText = lambda p, *a: texts.append(str(a[-1])) or draw(p, *a)
        canvas._layers_key = None
        canvas.grab()
    finally:
        QPainter.drawText = draw
    assert any("c(t) = f·c(t−1) + i·g" in t for t in texts), texts
    assert any("h(t) = o·tanh(c(t))" in t for t in texts), texts
