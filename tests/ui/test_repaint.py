"""Fast frames must look like full repaints.

An animation frame repaints only what it changes (a plot's cursor and the strip its veil's edge
crossed, the diagram's columns between two steps, the equations' numbers put in place). These
tests compare what is on screen after such frames with a full repaint of the same state.
"""

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication, QWidget

from simulator.config import Config
from ui.formula_view import EquationCanvas
from ui.plots import RichLabel


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


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_wrec_changes_leave_the_pixels_of_a_full_repaint(make_window, cell):
    window = make_window(Config(cell=cell, steps=100, hidden=32), show=True)
    window.resize(1600, 1000)
    _settle()
    s = window.session
    s.set_frame(150)  # BPTT: the gradient drawn everywhere
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
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QFont, QStaticText, QTextOption, QTransform

    from ui.plots import static_text

    font = QFont()
    text = "<span style='color:#0072B2; font-weight:bold'>VANISHING</span> ×0.73/step"
    line = static_text(text, font)
    assert line.tail is not None and line.tail.text() == " ×0.73/step"
    whole = QStaticText(text)  # the same text laid out in one piece
    whole.setTextFormat(Qt.TextFormat.RichText)
    option = QTextOption()
    option.setWrapMode(QTextOption.WrapMode.NoWrap)
    whole.setTextOption(option)
    whole.prepare(QTransform(), font)
    assert abs(line.size().width() - whole.size().width()) < 1.0
    assert static_text(text.replace("0.73", "0.81"), font).head is line.head  # the head is laid out once
    assert static_text("σ<sub>max</sub> 0.9", font).tail is None  # a subscript: one piece
