"""The training lab: the verdict's colour follows the verdict; the lab fits a narrow dock at large type;
compare mode names the model each plot shows."""

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QScrollArea
from windowtools import finish, laid_out, tiny

from simulator.config import Config
from ui.session import Session
from ui.training_plots import GradientNormPlot
from ui.training_view import TrainingPanel


def in_success_colour(panel: TrainingPanel) -> bool:
    return panel.theme.colours.stable.lower() in panel.message.styleSheet().lower()


# ---- 1. the verdict's colour ---------------------------------------------------------------------------------
def test_a_run_that_did_not_learn_is_not_shown_in_the_success_colour(qtbot, make_panel):
    """'not learned yet (no better than the baseline)' was shown in green: show_message(..., 'ok') for any end."""
    panel = tiny(make_panel(), "adding", iterations=3, hidden=4, batch=4, seq_len=8)
    assert panel.start()
    finish(qtbot, panel)
    assert not panel._learned(panel.last_updates[""].snapshot)
    assert "learned" in panel.message.text() and panel.message.property("kind") != "ok"
    assert not in_success_colour(panel)


def _compared(qtbot, make_panel, task: str, iterations: int) -> TrainingPanel:
    """A tiny compare run of the first preset (tanh RNN vs LSTM) on a task, finished."""
    panel = tiny(make_panel(), task, iterations=iterations, hidden=4, batch=4, seq_len=8)
    panel.compare_check.setChecked(True)
    panel.preset_box.setCurrentIndex(0)  # tanh RNN vs LSTM
    assert panel.start()
    finish(qtbot, panel)
    return panel


def test_compare_runs_that_did_not_learn_are_not_shown_in_the_success_colour(qtbot, make_panel):
    panel = _compared(qtbot, make_panel, "adding", iterations=3)
    assert "tanh RNN" in panel.message.text() and "LSTM" in panel.message.text()
    assert not any(panel._learned(panel.last_updates[k].snapshot) for k in ("A", "B"))
    assert not in_success_colour(panel)


def test_a_run_that_learned_is_shown_in_the_success_colour(qtbot, make_panel):
    panel = tiny(make_panel(), "sine", iterations=80, hidden=8, batch=16, seq_len=12)
    panel.lr.setValue(0.03)
    assert panel.start()
    finish(qtbot, panel)
    assert panel._learned(panel.last_updates[""].snapshot)  # the premise: this small run does learn
    assert ": learned." in panel.message.text() and in_success_colour(panel)


# ---- 2. a narrow dock at 1.5× type ------------------------------------------------------------------------------
def small_lab(qtbot, make_window, font_scale):
    """The window at 1280×720 and 1.5× type (the right-hand docks as tabs in one column), the lab in front."""
    window = make_window(show=True)
    font_scale(1.5)
    laid_out(qtbot, window, 1280, 720)
    window.show_training()
    laid_out(qtbot, window, 1280, 720)
    return window, window.training


def room(window) -> QSize:
    inner = window.training_dock.widget()
    return inner.viewport().size() if isinstance(inner, QScrollArea) else inner.size()


def test_at_large_type_in_a_small_window_no_control_is_cut_and_the_loss_keeps_its_height(
    qtbot, make_window, font_scale
):
    """'Stop' showed as 'St' and 'Settings' as 'Se', the lab scrolled sideways, and a compare run's two verdicts
    and a three-line caption left the loss curves no height at all."""
    window, panel = small_lab(qtbot, make_window, font_scale)
    panel.set_task("sine")
    panel.compare_check.setChecked(True)
    panel.iterations.setValue(20)
    assert panel.start()
    finish(qtbot, panel)
    laid_out(qtbot, window, 1280, 720)
    assert panel.width() <= room(window).width()  # no sideways scrolling
    for widget in (panel.train_button, panel.pause_button, panel.stop_button, panel.settings_button):
        assert widget.width() >= widget.sizeHint().width(), widget.objectName()  # its whole text
    assert panel.compare_check.width() >= panel.compare_check.sizeHint().width()
    assert panel.preset_box.width() >= panel.preset_box.minimumSizeHint().width()
    # both verdicts are in the message, which scrolls rather than taking the plots' height
    assert "tanh RNN" in panel.message.text() and "LSTM" in panel.message.text()
    assert panel.message_area.height() <= 0.2 * panel.height()
    loss = panel.loss_plot
    assert loss.plot.getViewBox().height() >= 30  # the curves (0 px before)
    assert loss.title_label.width() >= loss.title_label.sizeHint().width()  # 'Loss' whole


def test_titles_give_way_and_captions_shorten_in_a_small_panel(qtbot):
    plot = GradientNormPlot(Session(Config()))
    qtbot.addWidget(plot)
    plot.show()
    plot.resize(900, 600)
    qtbot.wait(10)
    assert plot.title_label.text() == plot.title and plot.caption_label.text() == plot.caption
    plot.resize(300, 160)
    qtbot.wait(10)
    assert plot.title_label.text() == plot.short_title and plot.title in plot.title_label.toolTip()
    label = plot.caption_label
    assert label.text() != plot.caption
    assert label.isHidden() or label.heightForWidth(label.width()) <= 0.2 * plot.height()
    assert plot.minimumSizeHint().width() < 300  # its title no longer sets the lab's least width


# ---- 3. compare mode: whose predictions ------------------------------------------------------------------------
def test_compare_mode_predictions_say_which_run_they_are(qtbot, make_panel):
    """The Predictions tab showed the first run's predictions (the tanh RNN) without saying so."""
    panel = _compared(qtbot, make_panel, "sine", iterations=4)
    plot = panel.prediction_plot
    assert plot.title == f"Predictions of {panel.names['A']} (run A)" and panel.names["A"] == "tanh RNN"
    panel.compare_check.setChecked(False)
    assert panel.start()
    finish(qtbot, panel)
    assert plot.title == "Predictions over the truth"  # one run: the plain title again
