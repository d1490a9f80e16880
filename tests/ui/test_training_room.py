"""The training lab in the window's right column: the results get the room, every axis shows, no legend
covers a curve."""

import pytest
from PySide6.QtCore import QSize
from PySide6.QtWidgets import QScrollArea
from windowtools import laid_out

from ui.training_view import SETTINGS_SHARE, TrainingPanel


def finish(qtbot, panel: TrainingPanel, timeout: int = 30_000) -> None:
    qtbot.waitUntil(lambda: panel.threads_alive == 0 and not panel._active(), timeout=timeout)


def settle(qtbot, window) -> None:
    laid_out(qtbot, window)  # the window's size again: docks and plots size in turn
    qtbot.wait(30)


def lab(qtbot, make_window):
    """The default window at 1600×1000 with the training lab opened as the menu opens it."""
    window = make_window(show=True)
    laid_out(qtbot, window)
    window.show_training()
    settle(qtbot, window)
    return window, window.training


def room(window) -> QSize:
    """The size the lab is shown in: its dock's scroll area's viewport, or the dock's widget (then the panel)."""
    inner = window.training_dock.widget()
    return inner.viewport().size() if isinstance(inner, QScrollArea) else inner.size()


def dock_bottom(window) -> int:
    dock = window.training_dock
    return dock.mapTo(window, dock.rect().bottomLeft()).y()


def bottom_in_window(window, widget) -> int:
    return widget.mapTo(window, widget.rect().bottomLeft()).y()


def axis_bottom_in_window(window, plot) -> float:
    """Where the plot's x-axis (its tick labels and title) ends, in window pixels."""
    axis = plot.plot.getAxis("bottom")
    rect = plot.plot_widget.mapFromScene(axis.sceneBoundingRect()).boundingRect()
    return plot.plot_widget.mapTo(window, rect.bottomLeft()).y()


def test_the_lab_fills_its_dock_and_the_plots_keep_their_x_axis_after_a_run(qtbot, make_window):
    """The panel was as tall as it would have liked (a word-wrapped message made the dock's scroll area ask
    for its height at its width): 760 px in a 560 px dock, the loss below 0.01 and the axes scrolled away."""
    window, panel = lab(qtbot, make_window)
    panel.set_task("adding")
    panel.iterations.setValue(30)
    assert panel.start()
    finish(qtbot, panel)
    settle(qtbot, window)
    assert panel.message.isVisible()  # the verdict, wrapped over lines
    assert panel.height() <= room(window).height()  # nothing to scroll to
    bottom = dock_bottom(window)
    assert axis_bottom_in_window(window, panel.loss_plot) <= bottom
    assert bottom_in_window(window, panel.loss_plot.caption_label) <= bottom
    panel.results.setCurrentWidget(panel.prediction_plot)
    settle(qtbot, window)
    assert axis_bottom_in_window(window, panel.prediction_plot) <= bottom


def test_before_a_task_the_plots_get_the_settings_room(qtbot, make_window):
    """The Task tab was an empty box of 200 px, the loss plot a sliver under its legend."""
    window, panel = lab(qtbot, make_window)
    assert panel.task_name is None
    assert not panel.settings_tabs.isVisible() and not panel.settings_button.isEnabled()
    assert panel.results.height() > panel.height() // 2
    assert axis_bottom_in_window(window, panel.loss_plot) <= dock_bottom(window)
    panel.set_task("adding")  # then the settings, as tall as the Task tab needs (up to a share of the room)
    settle(qtbot, window)
    assert panel.settings_tabs.isVisible() and panel.settings_button.isEnabled()
    total = sum(panel.splitter.sizes())
    want = min(panel.settings_need(), int(SETTINGS_SHARE * total))
    assert panel.settings_tabs.height() >= want - 2
    assert panel.settings_tabs.height() <= max(want, panel.settings_tabs.minimumHeight()) + 2


def test_a_dragged_splitter_keeps_its_place(qtbot, make_window):
    window, panel = lab(qtbot, make_window)
    panel.set_task("adding")
    settle(qtbot, window)
    panel.splitter.splitterMoved.emit(150, 1)  # as the handle does when the user drags it
    panel.splitter.setSizes([150, sum(panel.splitter.sizes()) - 150])
    panel.settings_tabs.setCurrentIndex(1)
    settle(qtbot, window)
    assert abs(panel.splitter.sizes()[0] - 150) <= 2


def test_compare_legends_sit_under_the_axis_never_over_the_curves(qtbot, make_window):
    """In compare mode the loss legend lay over the tanh RNN's flat curve at 0.69."""
    window, panel = lab(qtbot, make_window)
    panel.set_task("classify")
    panel.compare_check.setChecked(True)
    panel.iterations.setValue(8)
    assert panel.start()
    finish(qtbot, panel)
    settle(qtbot, window)
    for plot in (panel.loss_plot, panel.gradient_plot, panel.prediction_plot):
        panel.results.setCurrentWidget(plot)
        settle(qtbot, window)
        view = plot.plot.getViewBox().sceneBoundingRect()
        legend = plot.legend.sceneBoundingRect()
        assert plot.legend.items or plot is panel.prediction_plot, type(plot).__name__  # bars: no legend
        assert legend.top() >= view.bottom() - 1, type(plot).__name__  # under the data, not in it
        assert legend.right() <= plot.plot.sceneBoundingRect().right() + 1
    texts = [label.text for _, label in panel.loss_plot.legend.items]
    assert texts[:3] == ["tanh RNN", "LSTM", "held-out"] and texts[3].startswith("baseline")
    panel.results.setCurrentWidget(panel.loss_plot)
    settle(qtbot, window)
    assert panel.loss_plot.legend.layout.rowCount() == 1  # four short entries: one row at the default size


@pytest.mark.parametrize("scale", [1.5])
def test_at_large_type_the_lab_is_no_wider_than_its_dock(qtbot, make_window, font_scale, scale):
    """At 1.5× the compare row (check box, preset, Settings) was 587 px in a 480 px dock: it scrolled sideways."""
    window = make_window(show=True)
    laid_out(qtbot, window)
    font_scale(scale)
    settle(qtbot, window)
    window.show_training()
    settle(qtbot, window)
    panel = window.training
    panel.set_task("classify")
    panel.compare_check.setChecked(True)
    settle(qtbot, window)
    assert panel.minimumSizeHint().width() <= room(window).width()
    assert panel.width() <= room(window).width()
    # and the results tab's least height no longer follows the text tab's rows and boxes
    assert panel.results.minimumSizeHint().height() < 200


def test_the_retry_buttons_wrap_inside_the_dock(qtbot, make_window):
    """A diverged run offers up to six Retry buttons: in one row they made the lab wider than its dock,
    which then scrolled sideways. They wrap onto rows of the panel's width."""
    from simulator.train import Remedy

    window, panel = lab(qtbot, make_window)
    labels = ["lr = 0.001", "clip 1", "clip ±5", "truncate 20", "tanh", "init orthogonal"]
    panel._offer_fixes([Remedy(text=label, label=label, changes={"lr": 0.001}) for label in labels])
    settle(qtbot, window)
    assert panel.minimumSizeHint().width() <= room(window).width()
    assert panel.width() <= room(window).width()
    rows = {b.geometry().y() for b in panel.fix_buttons}
    assert len(rows) >= 2  # wrapped
    for b in panel.fix_buttons:
        assert b.isVisible() and b.geometry().right() <= panel.width()
    boxes = [b.geometry() for b in panel.fix_buttons]
    assert not any(a.intersects(b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])
