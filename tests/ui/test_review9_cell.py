"""Review 9, the Cell dock: the LSTM shows its equations in the subtitle, as the RNN and GRU do."""

from PySide6.QtGui import QPainter

from simulator.config import Config
from ui.cell_view import CellView
from ui.session import Session


def _view(qtbot, size, **config) -> CellView:
    view = CellView(Session(Config(steps=8, hidden=4, **config)))
    qtbot.addWidget(view)
    view.resize(*size)
    return view


def test_the_lstm_subtitle_shows_its_equations(qtbot):
    texts = []
    view = _view(qtbot, (900, 480), cell="lstm")
    canvas = view.canvas
    draw = QPainter.drawText
    try:
        QPainter.drawText = lambda p, *a: texts.append(str(a[-1])) or draw(p, *a)
        canvas._layers_key = None
        canvas.grab()
    finally:
        QPainter.drawText = draw
    assert any("c(t) = f·c(t−1) + i·g" in t for t in texts), texts
    assert any("h(t) = o·tanh(c(t))" in t for t in texts), texts
