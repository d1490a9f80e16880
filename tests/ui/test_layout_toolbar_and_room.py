"""Layout: the toolbar's remedy status stands apart from the verdict; a small window at a large
font gives the diagram and plots the room (the side docks give way); presenting, the diagram gets height."""

from PySide6.QtCore import QPoint, Qt
from windowtools import laid_out

from simulator.config import Config


def _text_gap(window) -> int:
    """Pixels between the end of the verdict label and the start of the remedy label's text."""
    bar, verdict, remedy = window.toolbar, window.verdict_label, window.remedy_label
    verdict_end = verdict.mapTo(bar, QPoint(verdict.width(), 0)).x()
    remedy_start = remedy.mapTo(bar, QPoint(remedy.contentsRect().left(), 0)).x()
    return remedy_start - verdict_end


def test_remedy_status_stands_apart_from_the_verdict(qtbot, make_window):
    window = make_window(Config(clip=1.0, truncate=5))
    laid_out(qtbot, window)
    assert window.remedy_action.isVisible()
    assert window.remedy_separator.isVisible()
    em = window.remedy_label.fontMetrics().horizontalAdvance("m")
    assert _text_gap(window) >= em * 0.75, _text_gap(window)  # was 1 px: "×0.72/stepclip at 1 ..."


def test_no_remedy_no_separator(qtbot, window):
    laid_out(qtbot, window)
    assert not window.remedy_separator.isVisible()
    window.session.update(clip=1.0)
    assert window.remedy_separator.isVisible()
    window.session.update(clip=0.0)
    assert not window.remedy_separator.isVisible()


def _area(window, dock):
    return window.dockWidgetArea(dock)


def _one_column(window) -> bool:
    """Every side dock is on the left, tabbed with the controls."""
    left = Qt.DockWidgetArea.LeftDockWidgetArea
    tabbed = set(window.tabifiedDockWidgets(window.controls_dock))
    return all(_area(window, d) == left and d in tabbed for d in window.right_docks())


def _settle(qtbot, window, width, height):
    laid_out(qtbot, window, width, height)
    qtbot.waitUntil(lambda: not window.narrow.timer.isActive(), timeout=2000)
    laid_out(qtbot, window, width, height)


def test_small_window_at_large_font_gives_the_centre_room(qtbot, window, font_scale):
    """1280 x 720 at font 2 (a projector): the side docks kept their widths and left the diagram
    and plots 360 px of 1280; now the right column's docks become tabs of the left one."""
    font_scale(2.0)
    _settle(qtbot, window, 1280, 720)
    assert window.narrow.active
    assert _one_column(window)
    assert window.central_scroll.width() >= 0.55 * window.width(), window.central_scroll.width()
    for widget in (window.verdict_label, window.toolbar.widgetForAction(window.actions["play_pause"])):
        assert widget.isVisible()  # not behind the toolbar's » overflow
        assert widget.geometry().right() <= window.toolbar.width()
    # wide enough again: the two columns come back, the equations on the right
    _settle(qtbot, window, 1920, 1080)
    assert not window.narrow.active
    assert _area(window, window.formula_dock) == Qt.DockWidgetArea.RightDockWidgetArea
    assert _area(window, window.cell_dock) == Qt.DockWidgetArea.RightDockWidgetArea


def test_the_default_layout_stays_at_font_1(qtbot, window):
    for size in ((1600, 1000), (1280, 720)):
        _settle(qtbot, window, *size)
        assert not window.narrow.active
        assert _area(window, window.formula_dock) == Qt.DockWidgetArea.RightDockWidgetArea
        assert not window._compact_toolbar if hasattr(window, "_compact_toolbar") else True


def test_the_lesson_stays_in_front_in_one_column(qtbot, window, font_scale):
    font_scale(2.0)
    _settle(qtbot, window, 1280, 720)
    window.lesson_panel.open_lesson("04-vanishing")
    _settle(qtbot, window, 1280, 720)
    assert window.narrow.active and _one_column(window)
    assert not window.lesson_dock.visibleRegion().isEmpty()
    assert window.central_scroll.width() >= 0.55 * window.width()


def test_a_layout_arranged_by_hand_is_left_alone(qtbot, window, font_scale):
    window._docks_moved = True
    font_scale(2.0)
    _settle(qtbot, window, 1280, 720)
    assert not window.narrow.active
    assert _area(window, window.formula_dock) == Qt.DockWidgetArea.RightDockWidgetArea


def test_a_dock_moved_in_one_column_stays_where_the_user_put_it(qtbot, window, font_scale):
    font_scale(2.0)
    _settle(qtbot, window, 1280, 720)
    assert window.narrow.active
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, window.cell_dock)  # as a drag does
    assert not window.narrow.active and window._docks_moved
    _settle(qtbot, window, 1920, 1080)
    assert _area(window, window.cell_dock) == Qt.DockWidgetArea.RightDockWidgetArea
    assert _area(window, window.formula_dock) == Qt.DockWidgetArea.LeftDockWidgetArea


def test_the_saved_layout_is_the_two_columns(qtbot, make_window, settings, font_scale):
    window = make_window()
    font_scale(2.0)
    _settle(qtbot, window, 1280, 720)
    assert window.narrow.active
    window.save_layout()
    other = make_window()
    other.restoreState(settings.value("state"), 1)
    assert _area(other, other.formula_dock) == Qt.DockWidgetArea.RightDockWidgetArea


def test_presenting_from_one_column_and_back(qtbot, window, font_scale):
    font_scale(2.0)
    _settle(qtbot, window, 1280, 720)
    assert window.narrow.active
    window.presentation.set_active(True)
    _settle(qtbot, window, 1280, 720)
    assert not window.narrow.active  # presenting arranges the docks itself
    window.presentation.set_active(False)
    _settle(qtbot, window, 1280, 720)
    assert window.narrow.active and _one_column(window)
    assert window.theme.font_scale == 2.0


def test_presenting_the_playhead_readout_is_at_the_presentation_type(qtbot, window):
    """'◀ BPTT t = 0 (0…39)' was at 0.85 of the presentation's type, smaller than the dock titles."""
    laid_out(qtbot, window, 1600, 900)
    window.presentation.set_active(True)
    laid_out(qtbot, window, 1600, 900)
    try:
        assert window.phase_label.font().pointSizeF() >= window.theme.point_size() - 0.01
        assert window.phase_label.width() <= window.toolbar.width()
    finally:
        window.presentation.set_active(False)


def test_presenting_one_row_of_plots_gives_the_diagram_more_height(qtbot, window):
    """Lesson 1 shows one plot: the diagram had 40% of the height (its cells limited by the rows'
    height, 39 px); now more than half, and leaving gives the window's own split back."""
    laid_out(qtbot, window, 1600, 900)
    before = window.splitter.sizes()
    window.lesson_panel.open_lesson("01-temporal-loop")
    window.presentation.set_active(True)
    laid_out(qtbot, window, 1600, 900)
    try:
        diagram, plots = window.splitter.sizes()
        assert diagram >= 0.55 * (diagram + plots), (diagram, plots)
        assert not window.plots.isHidden() and plots >= window.plots.minimumSizeHint().height()
    finally:
        window.presentation.set_active(False)
    laid_out(qtbot, window, 1600, 900)
    assert window.splitter.sizes() == before


def test_a_column_edge_dragged_in_one_column_keeps_the_column(qtbot, window, font_scale):
    """The user sized the one column by hand: it stays, also in the saved layout."""
    from PySide6.QtCore import QEvent, QPointF
    from PySide6.QtGui import QMouseEvent

    font_scale(2.0)
    _settle(qtbot, window, 1280, 720)
    assert window.narrow.active
    edge = QPointF(window.controls_dock.geometry().right() + 2, window.height() / 2)
    assert window.childAt(edge.toPoint()) is None  # the separator between the column and the centre
    press = QMouseEvent(
        QEvent.Type.MouseButtonPress, edge, edge, Qt.MouseButton.LeftButton, Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )  # fmt: skip
    window.event(press)
    assert window._docks_moved and not window.narrow.active
    _settle(qtbot, window, 1920, 1080)
    assert _one_column(window)


def test_no_layout_work_per_frame(qtbot, window, font_scale, monkeypatch):
    font_scale(2.0)
    _settle(qtbot, window, 1280, 720)
    calls = []
    monkeypatch.setattr(window.narrow, "enter", lambda: calls.append("enter"))
    monkeypatch.setattr(window.narrow, "leave", lambda restore=True: calls.append("leave"))
    monkeypatch.setattr(window, "set_compact_toolbar", lambda on: calls.append("compact"))
    session = window.session
    for frame in range(session.n_frames):
        session.set_frame(frame)
        qtbot.wait(1)
    assert not window.narrow.timer.isActive() and not calls
