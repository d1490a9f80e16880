"""The training lab's set-ups as presets, a calm note for a Wrec past the slider, presenting a lesson with its
transport, the γ label, a short message shown whole, an empty loss plot without numbers."""

import pytest

from simulator.config import Config
from ui import theme


# ---- 1. a task's recommended network is the lab's set-up, not the user's change -----------------------
def test_choosing_a_task_leaves_no_faint_curve_of_the_network_before_it(qtbot, make_window):
    window = make_window(Config(), show=True)
    window.actions["show_training"].trigger()
    qtbot.wait(10)
    window.training.set_task("adding")
    qtbot.wait(10)
    config = window.session.config
    assert (config.cell, config.steps) != (Config().cell, Config().steps)  # a different network now
    assert window.plots.gradient.ghost_y is None
    # the user's own change afterwards still leaves one
    window.session.update(hidden=config.hidden // 2)
    assert window.plots.gradient.ghost_y is not None


# ---- 2. a typed Wrec past the slider is a calm note -------------------------------------------------
def test_a_wrec_of_zero_is_a_calm_note_that_fits(qtbot, make_window, keep_theme):
    theme.current().set_font_scale(1.5)
    window = make_window(Config(), show=True)
    window.resize(1280, 720)
    controls = window.controls
    window.controls_dock.raise_()
    window.session.update(wrec=0.0)
    qtbot.wait(20)
    note = controls.wrec_beyond
    assert not note.isHidden()
    assert note.text() == "Wrec = 0: below the slider's range (0.1–3), as typed"
    colours = theme.current().colours
    assert colours.exploding not in note.styleSheet() and colours.muted in note.styleSheet()
    assert note.heightForWidth(note.width()) <= note.height()  # the whole note shows
    window.session.update(wrec=5.0)
    assert "above the slider's range" in note.text()


# ---- 3. presenting keeps the transport; the lesson card reads -------------------------------------
def _settle(qtbot) -> None:
    from PySide6.QtCore import QCoreApplication, QEvent

    for _ in range(4):
        QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
        qtbot.wait(10)


def test_presenting_a_lesson_without_transport_controls_keeps_play_and_its_card_reads(
    qtbot, make_window, keep_theme, monkeypatch
):
    import re

    from PySide6.QtCore import QRect, Qt
    from PySide6.QtGui import QFontMetrics

    from ui.lesson_panel import LessonPanel
    from ui.presentation import presentation_font_scale

    monkeypatch.setattr(LessonPanel, "train_in_background", False)
    window = make_window(Config(), show=True)
    window.lesson_panel.open_lesson("11-stacked-lstm-optimisers")
    window.presentation.set_active(True)
    _settle(qtbot)
    window.showNormal()
    window.resize(1280, 720)
    window.theme.set_font_scale(presentation_font_scale(720))
    _settle(qtbot)
    assert "transport" not in window.lesson_panel.lesson.controls
    # the diagram animates (a BPTT playhead): play, the timeline and the verdict are there
    assert window.toolbar.isVisible()
    assert window.toolbar.widgetForAction(window.actions["play_pause"]).isVisible()
    # the title: fewer lines (five before), never under the body size
    box = window.lesson_panel.lesson_box
    font = box.name_font()
    fm = QFontMetrics(font)
    field = box._field(box.width(), box.height())
    lines = fm.boundingRect(QRect(0, 0, field.width(), 100_000), Qt.TextFlag.TextWordWrap, box.currentText())
    assert round(lines.height() / fm.lineSpacing()) <= 4
    assert font.pointSizeF() >= window.theme.point_size() - 0.01
    # "Measured now": a measured sentence in normal weight (it was one block of bold), numbers still bold
    live = window.lesson_panel.live.text()
    assert "largest gradient entry" in live
    for bold in re.findall(r"font-weight:600;'>([^<]*)<", live):
        assert len(re.findall(r"[A-Za-z]{3,}", bold)) < 3, bold
    assert re.search(r"font-weight:600;'>[^<]*\d", live)
    window.presentation.set_active(False)
    _settle(qtbot)


# ---- 4. the γ label of the activation plot touches neither curve -------------------------------------
@pytest.mark.parametrize("scale", [1.0, 1.5])
def test_the_gamma_label_touches_neither_curve(qtbot, make_window, keep_theme, scale):
    theme.current().set_font_scale(scale)
    window = make_window(Config().replace(cell="rnn"), show=True)
    window.resize(1280, 720)
    window.controls_dock.raise_()
    qtbot.wait(20)
    view = window.controls.activation_view
    for activation in ("tanh", "sigmoid", "relu", "identity"):
        window.session.update(activation=activation)
        qtbot.wait(10)
        assert view.gamma_touches() == 0, (activation, view.gamma_text.toPlainText(), view.gamma_text.pos())
        assert "γ = " in view.gamma_text.toPlainText()


# ---- 4. the training lab's message shows whole; an empty loss plot has no numbers -----------------------
def test_a_runs_verdict_shows_whole_at_large_type(qtbot, make_window, keep_theme):
    theme.current().set_font_scale(1.5)
    window = make_window(Config(), show=True)
    window.resize(1280, 720)
    window.actions["show_training"].trigger()
    _settle(qtbot)
    panel = window.training
    panel.show_message("held-out loss 0.00533 after 400 iterations (baseline 0.0587): learned.", "ok")
    _settle(qtbot)
    label = panel.message
    assert panel.message_area.height() >= label.heightForWidth(label.width())  # "learned." not under a scroll bar
    assert not panel.message_area.verticalScrollBar().isVisible()


def test_the_empty_loss_plot_shows_no_numbers(qtbot, make_window):
    window = make_window(Config(), show=True)
    window.actions["show_training"].trigger()
    _settle(qtbot)
    plot = window.training.loss_plot
    left, bottom = plot.plot.getAxis("left"), plot.plot.getAxis("bottom")
    assert not left.style["showValues"] and not bottom.style["showValues"]  # were 2, 5 and 0.2 … 0.8
    window.training.set_task("sine")
    _settle(qtbot)
    assert left.style["showValues"] and not bottom.style["showValues"]  # the baseline's level; no run yet


def test_f11_while_presenting_leaves_the_presentation(make_window):
    """F11 during a presentation left the full screen only: the presentation's type and no menu bar, in a
    small window, with no menu to get back (a fresh-eyes review). It now leaves the presentation."""
    window = make_window(show=True)
    scale = window.theme.font_scale
    window.presentation.set_active(True)
    assert window.presentation.active and window.actions["full_screen"].isChecked()
    window.actions["full_screen"].trigger()  # F11
    assert not window.presentation.active
    assert not window.menuBar().isHidden() and window.theme.font_scale == scale
    assert not window.actions["full_screen"].isChecked() and not window.isFullScreen()
    window.actions["full_screen"].trigger()  # F11 again: full screen, not the presentation
    assert window.isFullScreen() and not window.presentation.active


def test_presenting_the_overflow_banner_is_short_and_its_advice_is_on_hover(make_window):
    """At 1280×720 in large type the banner's four lines pushed two plots off the screen (a fresh-eyes review):
    presenting, it says what overflowed where, and its advice moves to its tooltip."""
    window = make_window(Config(activation="identity", wrec=3.0, steps=400), show=True)
    banner = window.banner
    assert banner.isVisible() and "Lower Wrec" in banner.label.text() and not banner.toolTip()
    window.presentation.set_active(True)
    assert "Lower Wrec" not in banner.label.text() and "Lower Wrec" in banner.toolTip()
    assert "the loss term" in banner.label.text()
    window.presentation.set_active(False)
    assert "Lower Wrec" in banner.label.text() and not banner.toolTip()
