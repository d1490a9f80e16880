"""Layout: the right column's split, the cell's text at a large font, the window on a 1280x720 screen."""

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from windowtools import laid_out as _settle

from simulator.config import Config
from ui.cell_view import FONT_PX, MIN_TEXT_PX


def _value_px(window) -> float:
    """The cell drawing's value text on screen, px (after a paint)."""
    canvas = window.cell_view.canvas
    canvas.grab()
    tf, scale = canvas.fit()
    return FONT_PX * tf * scale


def _drawing_fits(window) -> bool:
    canvas = window.cell_view.canvas
    tf, scale = canvas.fit()
    b = canvas.bounds(tf)
    return b.width() * scale <= canvas.width() + 1 and b.height() * scale <= canvas.height() + 1


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_the_equations_leave_the_room_they_do_not_need_to_the_cell(qtbot, make_window, cell):
    """The default window gave the equations ~320 px of blank and the cell drawing ~230 px."""
    window = make_window(Config(cell=cell))
    _settle(qtbot, window)
    formula, cell_dock = window.formula_dock, window.cell_dock
    assert formula.height() <= window.formula_need() + 4, (formula.height(), window.formula_need())
    assert cell_dock.height() >= window.cell_need(), (cell_dock.height(), window.cell_need())
    assert _drawing_fits(window)
    assert _value_px(window) >= MIN_TEXT_PX * 1.2  # the spare height enlarges the numbers


def test_a_cell_change_splits_the_column_again(qtbot, make_window):
    window = make_window(Config(cell="rnn"))
    _settle(qtbot, window)
    window.session.update(cell="lstm")
    qtbot.wait(30)
    assert window.formula_dock.height() <= window.formula_need() + 4
    assert _drawing_fits(window)


def _drag_cell_edge(qtbot, window, dy: int) -> None:
    """Drag the separator above the cell dock by dy px, as a user does."""
    cell = window.cell_dock.geometry()
    start = QPoint(cell.center().x(), cell.top() - 2)
    assert window.childAt(start) is None  # on the separator, not on a panel
    QTest.mousePress(window, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    for step in range(1, 6):
        QTest.mouseMove(window, start + QPoint(0, dy * step // 5))
        qtbot.wait(5)
    QTest.mouseRelease(window, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start + QPoint(0, dy))
    qtbot.wait(20)


def test_the_users_dock_sizes_win_and_are_remembered(qtbot, make_window, font_scale):
    window = make_window()
    _settle(qtbot, window)
    before = window.cell_dock.height()
    _drag_cell_edge(qtbot, window, 150)
    moved = window.cell_dock.height()
    assert moved < before - 100, (before, moved)
    font_scale(1.25)  # a font change does not undo the user's split
    qtbot.wait(50)
    font_scale(1.0)
    qtbot.wait(50)
    assert abs(window.cell_dock.height() - moved) <= 4
    window.close()  # saves the layout
    again = make_window()
    _settle(qtbot, again)
    qtbot.wait(30)
    assert abs(again.cell_dock.height() - moved) <= 4, (again.cell_dock.height(), moved)
    again.reset_layout()  # the default split again
    qtbot.wait(30)
    assert again.cell_dock.height() >= again.cell_need()


def test_a_remembered_default_layout_still_follows_the_default(qtbot, make_window):
    """A saved layout the user never resized is the default: it still gives the cell its room."""
    window = make_window()
    _settle(qtbot, window)
    window.close()
    again = make_window(Config(cell="lstm"))
    _settle(qtbot, again)
    qtbot.wait(30)
    assert again.formula_dock.height() <= again.formula_need() + 4
    assert again.cell_dock.height() >= again.cell_need()


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_the_cell_text_follows_the_font_scale(qtbot, make_window, font_scale, cell):
    """At font scale 2 the cell's numbers grow to about 1.5-1.6 × their font-1 size (11 px).

    They once stopped at 17 px because the dock was too low; since badges are placed for the widest
    number they can show ('−8.8e−88'), so that none ever covers another, the drawing is wider and
    its width sets the size: 16-18 px at font 2, LSTM and GRU.
    """
    window = make_window(Config(cell=cell))
    _settle(qtbot, window)
    font_scale(2.0)
    for _ in range(3):
        qtbot.wait(30)
    assert _drawing_fits(window)
    assert _value_px(window) >= 0.72 * 2 * MIN_TEXT_PX, _value_px(window)  # the plots keep their width


def test_the_training_tab_leaves_the_cell_its_drawing(qtbot, make_window):
    """Opening the training lab gave the cell a fifth of the height (labels ~5 px)."""
    window = make_window(Config(cell="lstm"))
    _settle(qtbot, window)
    window.show_training()
    qtbot.wait(50)
    assert window.training_dock.height() > window.cell_dock.height()
    assert _drawing_fits(window)
    assert _value_px(window) >= MIN_TEXT_PX * 0.97, _value_px(window)


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_the_window_fits_1280x720_at_font_scale_2(qtbot, make_window, font_scale, cell):
    """The least sizes grew with the font: the window stayed 1599 x 811 on a 1280 x 720 screen."""
    font_scale(2.0)
    window = make_window(Config(cell=cell))
    _settle(qtbot, window, 1280, 720)
    hint = window.minimumSizeHint()
    assert hint.width() <= 1280 and hint.height() <= 720, hint
    assert window.width() <= 1280 and window.height() <= 720, window.size()
    grab = window.grab()
    assert grab.width() <= 1280 and grab.height() <= 720
    assert window.hint_label.text().startswith("Space plays")  # the whole hint, cut only on screen


@pytest.mark.parametrize("change", ["seed", "steps"])
def test_undo_clears_a_status_message_about_the_undone_value(make_window, change):
    """'seed = 84279' must not stay on screen once Undo has put the seed box back to 0."""
    window = make_window()
    bar = window.statusBar()
    if change == "seed":
        window.new_seed()
        assert bar.currentMessage() == f"seed = {window.session.config.seed}"
    else:
        window.actions["add_step"].trigger()
        assert bar.currentMessage() == f"T = {window.session.config.steps} steps"
    window.actions["undo"].trigger()
    assert bar.currentMessage() == ""
    # a change of another key leaves a fresh message alone
    window.new_seed()
    window.session.update(wrec=1.5)
    assert bar.currentMessage() == f"seed = {window.session.config.seed}"


def test_no_stale_tab_bar_after_rehearsing_in_a_small_window(make_window):
    """Rehearsed at 1280×720 and then presented on a 1920×1080 projector with the same settings, the
    Cell dock had a cut tab bar over it ('… E… Cell T… L…') where its unit box should be: after the
    one-column layout went back to two, Qt left the one column's tab bar visible."""
    from PySide6.QtCore import QCoreApplication, QEvent
    from PySide6.QtWidgets import QApplication, QTabBar

    from ui.presentation import presentation_font_scale

    def settle() -> None:  # as a script drives the window: layouts and posted events, no timers waited for
        for _ in range(6):
            QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
            QApplication.processEvents()

    def stale(window) -> list:  # the tab bars on the window that no tab group has
        groups = set()
        for dock in window.side_docks():
            tabbed = [d for d in window.tabifiedDockWidgets(dock) if not d.isHidden()]
            if tabbed and not dock.isHidden():
                groups.add(frozenset([dock.windowTitle(), *(d.windowTitle() for d in tabbed)]))
        return [
            [bar.tabText(i) for i in range(bar.count())]
            for bar in window.findChildren(QTabBar)
            if bar.parent() is window
            and bar.isVisible()
            and bar.geometry().intersects(window.rect())
            and frozenset(bar.tabText(i) for i in range(bar.count())) not in groups
        ]

    for width, height in ((1280, 720), (1920, 1080)):
        window = make_window()
        window.show()
        settle()
        window.lesson_panel.open_lesson("08-lstm")
        window.presentation.set_active(True)
        window.showNormal()
        window.resize(width, height)  # the screen, as a script has it offscreen
        window.theme.set_font_scale(presentation_font_scale(height))
        settle()
        assert stale(window) == [], (width, stale(window))
        window.presentation.set_active(False)
        settle()
        assert stale(window) == []
        window.player.pause()
        window.close()  # the layout goes to the settings the next window reads
        settle()
