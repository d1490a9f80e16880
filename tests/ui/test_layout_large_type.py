"""Layout: at 1280x720 and a large font the diagram keeps readable rows (the plots scroll below
it); short dock titles in the one side column; the equations keep their last line; presenting, the
lesson card and the dock titles."""

import itertools

import pytest
from PySide6.QtGui import QFontMetricsF
from windowtools import laid_out

from simulator.config import Config


def _settle(qtbot, window, width, height):
    laid_out(qtbot, window, width, height)
    qtbot.waitUntil(lambda: not window.narrow.timer.isActive(), timeout=2000)
    laid_out(qtbot, window, width, height)


def _diagram_em(window) -> float:
    return QFontMetricsF(window.theme.font(1.1)).height()  # the diagram's type


@pytest.mark.parametrize("cell, scale", [("rnn", 2.0), ("lstm", 1.5)])
def test_a_short_window_keeps_the_diagram_readable(qtbot, make_window, font_scale, cell, scale):
    """1280x720 at font 1.5 and 2: the plots' least heights left the diagram 120-131 px, its rows
    3-12 px apart (nodes specks); now its rows a line height apart and the plots scroll below it."""
    font_scale(scale)
    window = make_window(Config(cell=cell))
    _settle(qtbot, window, 1280, 720)
    lay = window.diagram._layout()
    assert lay.row_h >= 0.95 * _diagram_em(window), (lay.row_h, _diagram_em(window))
    assert lay.header != "minimal"
    scroll = window.central_scroll
    assert scroll.verticalScrollBar().maximum() > 0  # the plots below, a scroll away
    heights = [p.plot.getViewBox().sceneBoundingRect().height() for p in window.plots.plots]
    assert min(heights) >= 60, heights  # each plot still keeps its data area
    assert window.height() <= 720 and window.minimumSizeHint().height() <= 720


def test_the_default_window_does_not_scroll(qtbot, window):
    """At 1600x1000 and font 1 the diagram is taller than its least height: nothing scrolls, full header."""
    laid_out(qtbot, window, 1600, 1000)
    assert window.diagram.height() > window.diagram.minimumHeight()
    assert window.central_scroll.verticalScrollBar().maximum() == 0
    assert window.diagram._layout().header == "full"


def test_more_layers_more_least_height(qtbot, make_window, font_scale):
    """Each layer's row keeps its room: a 3-layer network's diagram asks for more height."""
    font_scale(2.0)
    window = make_window()
    _settle(qtbot, window, 1280, 1000)
    one = window.diagram.minimumHeight()
    window.session.update(layers=3)
    _settle(qtbot, window, 1280, 1000)
    assert window.diagram.minimumHeight() > one
    assert window.diagram._layout().row_h >= 0.95 * _diagram_em(window)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_the_equations_keep_every_line_of_every_step(qtbot, make_window, cell):
    """1600x1000: the equations' dock was fitted to BPTT's last step (t = 0, the shortest text) less
    the tab bar under it, and at t = 9 the gradient ratio line was cut in half at its bottom."""
    window = make_window(Config(cell=cell, wrec=0.9))
    laid_out(qtbot, window, 1600, 1000)
    formula, session = window.formula, window.session
    for frame in range(0, session.n_frames, 3):
        session.set_frame(frame)
        qtbot.wait(1)
        assert formula.verticalScrollBar().maximum() == 0, (frame, formula.verticalScrollBar().maximum())
    assert window.cell_dock.height() >= window.cell_need() - 2  # the cell's numbers still at their size


@pytest.mark.parametrize("scale", [1.5, 2.0])
def test_the_one_columns_tabs_read_in_full(qtbot, window, font_scale, scale):
    """1280x720 at a large font: the one column's tabs read 'Build an…', 'Equ…', 'Tr…', 'L…'; now
    short titles that fit side by side, and the docks' full titles back in two columns."""
    from PySide6.QtWidgets import QTabBar

    full = {dock: dock.windowTitle() for dock in window.side_docks()}
    font_scale(scale)
    _settle(qtbot, window, 1280, 720)
    assert window.narrow.active
    bars = [b for b in window.findChildren(QTabBar) if b.parent() is window and b.isVisible()]
    bar = next(b for b in bars if b.count() == len(full))
    texts = [bar.tabText(i) for i in range(bar.count())]
    assert bar.sizeHint().width() <= bar.width(), (texts, bar.sizeHint().width(), bar.width())
    assert "Build" in texts and "Cell" in texts
    font_scale(1.0)
    _settle(qtbot, window, 1600, 1000)
    assert not window.narrow.active
    assert {dock: dock.windowTitle() for dock in window.side_docks()} == full


def test_presenting_the_lesson_page_starts_at_a_line(qtbot, window):
    """Presenting at 1280x720, lesson 4 after two steps: the page scrolled to show the next step,
    and the step just taken showed the lower half of its first line at the top."""
    from PySide6.QtCore import QPoint

    from simulator.lessons import list_lessons
    from ui.presentation import presentation_font_scale

    laid_out(qtbot, window, 1280, 720)
    panel = window.lesson_panel
    panel.open_lesson(list_lessons()[3].id)
    window.presentation.set_active(True)
    window.showNormal()
    window.theme.set_font_scale(presentation_font_scale(720))
    laid_out(qtbot, window, 1280, 720)
    try:
        for _ in range(2):
            panel.next_step()
            laid_out(qtbot, window, 1280, 720)
        bar = panel.scroll.verticalScrollBar()
        assert bar.value() > 0  # scrolled: the case in question
        viewport = panel.scroll.viewport()
        image = viewport.grab().toImage()
        ink = 0
        for card in panel.cards:
            label = card.instruction
            if not card.isVisible() or not label.isVisible():
                continue
            left = label.mapTo(viewport, QPoint(0, 0)).x()
            top = label.mapTo(viewport, QPoint(0, 0)).y()
            if top > 0 or top + label.height() < 2:
                continue  # not under the page's top edge
            back = image.pixelColor(left + label.width() - 2, 0)  # (a line's right end: no text there)
            for x in range(max(0, left), min(image.width(), left + label.width() - 4)):
                for y in (0, 1):
                    c = image.pixelColor(x, y)
                    ink += abs(c.red() - back.red()) + abs(c.green() - back.green()) > 60
        assert ink == 0, ink  # no glyph cut by the page's top edge
    finally:
        window.presentation.set_active(False)


def test_presenting_the_dock_titles_are_in_the_presentation_type(qtbot, window, font_scale):
    """Presenting, the docks' titles stayed at body size in their title bars: now larger and bold,
    also after a font change; leaving gives the window's own title bars back."""
    laid_out(qtbot, window, 1600, 900)
    window.lesson_panel.open_lesson("01-temporal-loop")
    window.presentation.set_active(True)
    laid_out(qtbot, window, 1600, 900)
    try:
        for step in (0, 1):
            body = window.theme.point_size()
            shown = [d for d in window.side_docks() if d.isVisible()]
            assert shown
            for dock in shown:
                bar = dock.titleBarWidget()
                assert bar is not None and bar.text() == dock.windowTitle()
                assert bar.font().bold() and bar.font().pointSizeF() >= 1.1 * body - 0.01
            if step == 0:
                font_scale(window.theme.font_scale + 0.25)
                laid_out(qtbot, window, 1600, 900)
    finally:
        window.presentation.set_active(False)
    laid_out(qtbot, window, 1600, 900)
    assert all(d.titleBarWidget() is None for d in window.side_docks())


@pytest.mark.parametrize("cell, scale", [("lstm", 2.0), ("rnn", 1.0)])
def test_no_two_tick_labels_touch_on_a_linear_axis(qtbot, make_window, font_scale, cell, scale):
    """At font 2 in a 1600x1000 window the plots are small: the heatmap's steps read '5 10 15' with
    the labels touching, the eigenvalue plane's '1 0 −1' overlapped. Every linear axis of the plots
    now labels only values whose labels keep a gap (a third of a line) between them, and keeps at
    least one label."""
    from PySide6.QtWidgets import QApplication

    from ui.plots import MinusAxis

    font_scale(scale)
    window = make_window(Config(cell=cell))
    _settle(qtbot, window, 1600, 1000)
    window.grab()  # the axes lay their labels out as they paint
    QApplication.processEvents()
    checked = 0
    for panel in window.plots.plots:
        for name in ("bottom", "left"):
            axis = panel.plot.getAxis(name)
            if not isinstance(axis, MinusAxis) or axis.logMode or axis._specs is None:
                continue
            texts = axis._specs[2]
            rects = sorted((r for r, _, _ in texts), key=lambda r: r.left() if name == "bottom" else r.top())
            assert rects, (type(panel).__name__, name)
            em = QFontMetricsF(axis.style.get("tickFont") or axis.font()).height()
            for a, b in itertools.pairwise(rects):
                if name == "bottom":
                    gap = b.left() - a.right()
                else:  # pyqtgraph's text rectangles are a line tall: the glyphs fill about 0.8 of it
                    gap = b.top() - a.bottom() + 0.2 * em
                assert gap >= 0.3 * em, (type(panel).__name__, name, [t for _, _, t in texts], gap, em)
            checked += 1
    assert checked >= 4


@pytest.mark.parametrize("cell", ["lstm", "rnn"])
def test_every_plot_header_shows_a_whole_text_at_font_2(qtbot, make_window, font_scale, cell):
    """At font 2 in a 1600x1000 window the gradient plot's header had no text narrow enough: it showed
    '×0.656/s', cut. Its last resort is now the bare factor; every header's text fits its room."""
    font_scale(2.0)
    window = make_window(Config(cell=cell))
    _settle(qtbot, window, 1600, 1000)
    for panel in window.plots.plots:
        line = panel.badge_line
        text = line.label.text()
        if line.isVisible() and text:
            assert line._width_of(text) <= line.width(), (type(panel).__name__, text, line.width())
