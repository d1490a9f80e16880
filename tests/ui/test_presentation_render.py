"""Presentation mode's lesson picker shows whole lesson names and its footer whole words; `render --plot window`
shows the lesson it was given."""

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QRect, Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QStyle, QStyleOptionButton, QStyleOptionComboBox

from simulator.lessons import list_lessons
from ui import figures, render_cli, theme
from ui.lesson_panel import LessonPanel
from ui.presentation import LESSON_WIDTH, presentation_font_scale

LESSONS = list_lessons()


@pytest.fixture(autouse=True)
def no_background_training(monkeypatch):
    """Lessons 10-11 would train for seconds in a worker thread; these tests read the instant text."""
    monkeypatch.setattr(LessonPanel, "train_in_background", False)


def _settle(qtbot) -> None:
    for _ in range(4):
        QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
        qtbot.wait(10)


def _unshown_name(box) -> str:
    """What of the current lesson's name the box cannot show at its size and font ('' when all of it shows)."""
    opt = QStyleOptionComboBox()
    box.initStyleOption(opt)
    field = box.style().subControlRect(
        QStyle.ComplexControl.CC_ComboBox, opt, QStyle.SubControl.SC_ComboBoxEditField, box
    )
    name = box.itemText(box.currentIndex())
    font = box.name_font()  # the title's type, or smaller for a long word, never under the body text's
    if font.pointSizeF() < theme.current().point_size() - 0.01:
        return f"{name!r} drawn at {font.pointSizeF():.1f} pt, smaller than the body text"
    fm = QFontMetrics(font)
    wrapped = fm.boundingRect(QRect(0, 0, field.width(), 100_000), Qt.TextFlag.TextWordWrap, name)
    if wrapped.width() <= field.width() and wrapped.height() <= field.height():
        return ""
    return f"{name!r} needs {wrapped.width()}x{wrapped.height()} px, the box shows {field.width()}x{field.height()}"


@pytest.mark.parametrize("size", [(1280, 720), (1600, 1000)], ids=["1280x720", "1600x1000"])
def test_presentation_lesson_picker_shows_every_whole_name(make_window, qtbot, keep_theme, size):
    """A lecturer reads the whole lesson name in the picker, and every full name in its list."""
    width, height = size
    window = make_window(show=True)
    panel = window.lesson_panel
    panel.open_lesson(LESSONS[0].id)
    window.presentation.set_active(True)
    # the offscreen screen is 800x600: lay the presentation out as on a screen of this size
    window.showNormal()
    window.resize(width, height)
    window.theme.set_font_scale(presentation_font_scale(height))
    _settle(qtbot)
    box = panel.lesson_box
    cut = []
    for lesson in LESSONS:
        panel.open_lesson(lesson.id)
        _settle(qtbot)
        window.player.pause()
        assert window.width() == width and box.isVisible()
        assert box.currentData() == lesson.id
        missing = _unshown_name(box)
        if missing:
            cut.append(missing)
        if f"{lesson.number}. {lesson.title}" not in box.toolTip():  # hovering gives it too
            cut.append(f"tooltip {box.toolTip()!r}")
    assert not cut, "\n".join(cut)

    box.showPopup()  # the list: every lesson's full name, nothing elided
    qtbot.waitUntil(lambda: box.view().isVisible(), timeout=2000)
    view = box.view()
    fm = QFontMetrics(view.font())
    assert view.textElideMode() == Qt.TextElideMode.ElideNone
    for row in range(box.count()):
        rect = view.visualRect(view.model().index(row, 0))
        text = box.itemText(row)
        wrapped = fm.boundingRect(QRect(0, 0, rect.width(), 100_000), Qt.TextFlag.TextWordWrap, text)
        assert wrapped.width() <= rect.width() and wrapped.height() <= rect.height(), text
    box.hidePopup()
    window.presentation.set_active(False)


def _unreadable_footer(panel) -> list[str]:
    """What of the lesson footer (◀ Back, the progress, Next ▶) is not drawn whole at its size and font.

    The progress may say a shorter form of its text ("4 steps" for "4 steps to try") if its
    tooltip says the whole text; nothing may be cut off.
    """
    where = f"{panel.lesson.id} at step {panel.position}"
    label = panel.progress
    footer = getattr(panel, "footer", None)
    whole = footer.progress_text if footer is not None else label.text()
    shown = label.text()
    problems = []
    need, room = label.fontMetrics().horizontalAdvance(shown), label.contentsRect().width()
    if need > room:
        problems.append(f"{where}: {shown!r} needs {need} px, its label is {room} px wide")
    if shown != whole and whole not in label.toolTip():
        problems.append(f"{where}: shows {shown!r} for {whole!r} without it in the tooltip ({label.toolTip()!r})")
    for button in (panel.back_button, panel.next_button):
        opt = QStyleOptionButton()
        button.initStyleOption(opt)
        contents = button.style().subElementRect(QStyle.SubElement.SE_PushButtonContents, opt, button)
        need = button.fontMetrics().horizontalAdvance(button.text())
        if need > contents.width():
            problems.append(f"{where}: button {button.text()!r} needs {need} px, shows {contents.width()}")
    return problems


@pytest.mark.parametrize("size", [(1280, 720), (1600, 1000)], ids=["1280x720", "1600x1000"])
def test_lesson_footer_says_whole_words(make_window, qtbot, keep_theme, size):
    """The footer between ◀ Back and Next ▶ never cuts a word ("4 steps to try" was drawn "steps to tr"
    at 1600x1000): at every lesson, at its start, a step in and its end, presenting and not."""
    width, height = size
    window = make_window(show=True)
    panel = window.lesson_panel
    panel.open_lesson("04-vanishing")
    window.presentation.set_active(True)
    _settle(qtbot)  # laid out for the offscreen screen, 800x600
    # ... and now on a screen of this size (as when full screen arrives after the layout): the
    # lesson panel takes its share of the new width, as it does of a screen it starts on
    window.showNormal()
    window.resize(width, height)
    window.theme.set_font_scale(presentation_font_scale(height))
    _settle(qtbot)
    window.player.pause()
    assert window.width() == width
    cut = []
    share = round(width * LESSON_WIDTH)
    if abs(window.lesson_dock.width() - share) > 8:  # 356 px at 1600x1000: laid out for the old width
        cut.append(f"the lesson panel is {window.lesson_dock.width()} px wide, not {share} px")
    cut += [f"presenting, as entered: {p}" for p in _unreadable_footer(panel)]
    for presenting in (True, False):
        if not presenting:
            window.presentation.set_active(False)
            window.showNormal()
            window.resize(width, height)
        for lesson in LESSONS:
            for position in sorted({0, 1, len(lesson.steps)}):
                panel.open_lesson(lesson.id, position)
                window.lesson_dock.raise_()
                _settle(qtbot)
                window.player.pause()
                assert panel.presenting == presenting and panel.progress.isVisible()
                cut += [f"{'presenting' if presenting else 'window'}: {p}" for p in _unreadable_footer(panel)]
    assert not cut, "\n".join(cut)


def test_render_window_with_a_lesson_shows_its_panel(qapp, tmp_path, monkeypatch, keep_theme):
    """`render --lesson NAME --plot window` draws the window as the app shows it with that lesson open."""
    seen = {}
    close = figures.Figure.close

    def look_then_close(figure):
        w = figure.widget
        if w is not None:
            panel = w.lesson_panel
            seen.update(
                lesson=panel.lesson.id if panel.lesson is not None else None,
                dock=w.lesson_dock.isVisible() and not w.lesson_dock.visibleRegion().isEmpty(),
                panel_width=panel.width(),
                title=panel.title.text(),
                live=panel.live.text(),
                controls=w.controls.cell_box.isVisibleTo(w.controls),
                wrec=w.session.config.wrec,
            )
        close(figure)

    monkeypatch.setattr(figures.Figure, "close", look_then_close)
    out = tmp_path / "window.png"
    args = ["--lesson", "vanishing", "--set", "wrec=1.5", "--plot", "window", "--size", "1600x1000"]
    assert render_cli.main([*args, "--out", str(out)]) == 0
    assert out.stat().st_size > 0
    assert seen["lesson"] == "04-vanishing"
    assert seen["dock"] and seen["panel_width"] > 250  # in view, wide enough to read
    assert seen["title"] == "The vanishing gradient" and "Measured now" in seen["live"]
    assert not seen["controls"]  # only the lesson's controls, as in the app
    assert seen["wrec"] == 1.5  # --set still wins over the lesson's preset


def test_render_window_without_a_lesson_has_no_lesson_open(qapp, tmp_path, monkeypatch, keep_theme):
    seen = {}
    close = figures.Figure.close

    def look_then_close(figure):
        if figure.widget is not None:
            seen["lesson"] = figure.widget.lesson_panel.lesson
        close(figure)

    monkeypatch.setattr(figures.Figure, "close", look_then_close)
    out = tmp_path / "window.png"
    assert render_cli.main(["--plot", "window", "--size", "1280x720", "--out", str(out)]) == 0
    assert seen == {"lesson": None}


def _present_at(window, qtbot, size) -> None:
    """Presentation laid out as on a screen of this size (the offscreen screen is 800x600)."""
    width, height = size
    window.presentation.set_active(True)
    _settle(qtbot)
    window.showNormal()
    window.resize(width, height)
    window.theme.set_font_scale(presentation_font_scale(height))
    _settle(qtbot)


def _cut_badge(plot) -> str:
    """What of a plot's verdict (the badge's last text) is not drawn whole ('' when it is)."""
    from ui.plots import static_text

    label = plot.badge_line.label
    if not plot.isVisible() or not label.text():
        return ""
    need = static_text(label.text(), label.font(), label.textFormat()).size().width()
    room = label.contentsRect().width()
    if not label.isVisible() or need > room + 0.5:
        return f"{type(plot).__name__}: badge needs {need:.0f} px, has {room} px"
    return ""


def _elided_buttons(window) -> list[str]:
    """The buttons on show narrower than their whole text needs (Qt then draws '+…p' for '+ step')."""
    from PySide6.QtWidgets import QAbstractButton, QPushButton

    cut = []
    for button in window.findChildren(QAbstractButton):
        if not button.text() or not button.isVisible() or button.visibleRegion().isEmpty():
            continue
        if isinstance(button, QPushButton):  # its hint has a least width; the text's room is what counts
            opt = QStyleOptionButton()
            button.initStyleOption(opt)
            room = button.style().subElementRect(QStyle.SubElement.SE_PushButtonContents, opt, button).width()
            need = button.fontMetrics().horizontalAdvance(button.text())
        else:  # a tool button or check box is as wide as its text needs, or elides it
            room, need = button.width(), button.sizeHint().width()
        if room < need:
            cut.append(f"{button.objectName() or type(button).__name__} {button.text()!r}: {room} px of {need}")
    return cut


@pytest.mark.parametrize("size", [(1280, 720), (1600, 1000)], ids=["1280x720", "1600x1000"])
def test_presenting_leaves_the_plots_room(make_window, qtbot, keep_theme, size):
    """Presenting, the controls take the width their lesson's controls need at the large type (their
    texts wrap), not the least width of every control: lesson 6 at 1280x720 had a 514 px dock and
    a 388 px plots column, the Jacobian's verdict cut to 'EXPLOD'. Every lesson: the verdict whole,
    the controls no wider than they need, no button's text elided ('+ step' drawn '+…p')."""
    window = make_window(show=True)
    panel = window.lesson_panel
    panel.open_lesson(LESSONS[0].id)
    _present_at(window, qtbot, size)
    scrollbar = window.style().pixelMetric(window.style().PixelMetric.PM_ScrollBarExtent)
    problems = []
    for lesson in LESSONS:
        panel.open_lesson(lesson.id)
        _settle(qtbot)
        window.player.pause()
        for key in ("add_step", "remove_step"):  # an action that changes gave its button its long text back
            action = window.actions[key]
            action.setEnabled(not action.isEnabled())
            action.setEnabled(not action.isEnabled())
        _settle(qtbot)
        where = f"{lesson.id} at {size[0]}x{size[1]}"
        problems += [f"{where}: {p}" for p in filter(None, (_cut_badge(window.plots.jacobian),))]
        problems += [f"{where}: {p}" for p in _elided_buttons(window)]
        dock = window.controls_dock
        if dock.isVisible() and window.cell_dock.isHidden():
            need = max(window.controls.minimumSizeHint().width() + 3 * scrollbar, round(size[0] * 0.17))
            if dock.width() > need + 8:
                problems.append(f"{where}: the controls dock is {dock.width()} px wide, they need {need}")
        if window.plots.isVisible() and window.plots.width() < 0.38 * size[0]:
            problems.append(f"{where}: the plots column is {window.plots.width()} px of {size[0]}")
    assert not problems, "\n".join(problems)
    window.presentation.set_active(False)


def test_step_buttons_keep_their_text(window):
    """The '−' and '+' beside 'steps T' stay so when their actions change (they took the actions'
    '− step' / '+ step', too wide for the row); the tooltip says the whole command."""
    from PySide6.QtWidgets import QToolButton

    for key, text in (("remove_step", "−"), ("add_step", "+")):
        button = window.controls.findChild(QToolButton, f"button_{key}")
        action = window.actions[key]
        action.setEnabled(False)
        action.setEnabled(True)
        action.setToolTip(action.toolTip())
        assert button.text() == text
        assert "step" in button.toolTip().lower()
        assert button.minimumSizeHint().width() >= button.fontMetrics().horizontalAdvance(text)


def _plots_geometry(window) -> dict:
    """Where every part of the plots panel is: each plot, its caption (full or one line), its
    legend and the legend's entries, its data area; the toolbar's height above them."""
    geometry = {"toolbar": window.toolbar.height(), "plots": window.plots.geometry().getRect()}
    for plot in window.plots.plots:
        name = type(plot).__name__
        short = window.plot_fit.shorts[plot]
        view = plot.plot.getViewBox().sceneBoundingRect()
        geometry[name] = {
            "panel": plot.geometry().getRect(),
            "caption": (plot.caption_label.geometry().getRect(), plot.caption_label.maximumHeight()),
            "one-line caption": short.isVisible(),
            "view": tuple(round(v) for v in view.getRect()),
        }
        legend = getattr(plot, "legend", None)
        if legend is not None:
            geometry[name]["legend"] = tuple(round(v) for v in legend.geometry().getRect())
            geometry[name]["entries"] = [
                tuple(round(v) for v in label.geometry().getRect()) for _, label in legend.items
            ]
    return geometry


def test_leaving_presentation_puts_the_plots_back(make_window, qtbot, keep_theme):
    """After presenting, the plots panel is as it was: captions in full, legends as high as their
    entries with the text centred, the axes' room for their labels, the toolbar's height (the
    speed box kept the large type's least height, the legends their rows', pyqtgraph the axes')."""
    window = make_window(show=True)
    window.resize(1600, 1000)
    window.lesson_panel.open_lesson("06-remedies-exploding")
    _settle(qtbot)
    window.player.pause()
    window.session.set_frame(window.session.n_frames - 1)
    _settle(qtbot)
    before = _plots_geometry(window)
    assert not before["GradientPlot"]["one-line caption"]
    _present_at(window, qtbot, (1600, 1000))
    window.player.pause()
    window.presentation.set_active(False)
    window.showNormal()
    window.resize(1600, 1000)
    for _ in range(3):
        _settle(qtbot)
    after = _plots_geometry(window)
    differ = [f"{key}: {before[key]} -> {after[key]}" for key in before if before[key] != after[key]]
    assert not differ, "\n".join(differ)


def test_a_smaller_font_shrinks_the_toolbar_and_legends_again(make_window, qtbot, keep_theme):
    """Ctrl+ then Ctrl− (or presenting and back) gives the layout of the first font back."""
    window = make_window(show=True)
    window.resize(1600, 1000)
    _settle(qtbot)
    before = _plots_geometry(window)
    window.theme.set_font_scale(1.75)
    _settle(qtbot)
    window.theme.set_font_scale(1.0)
    for _ in range(3):
        _settle(qtbot)
    after = _plots_geometry(window)
    differ = [f"{key}: {before[key]} -> {after[key]}" for key in before if before[key] != after[key]]
    assert not differ, "\n".join(differ)


def _text_need(label) -> int:
    """The height a wrapped label's lines need at its width and font."""
    margins = label.contentsMargins()
    room = QRect(0, 0, label.width() - margins.left() - margins.right(), 100_000)
    flags = int(Qt.TextFlag.TextWordWrap.value)
    lines = QFontMetrics(label.font()).boundingRect(room, flags, label.text())
    return lines.height() + margins.top() + margins.bottom()


def _remedy_label_heights(window) -> dict:
    """Each remedy text's height against what its lines need at its width and font."""
    return {
        key: (label.height(), label.minimumHeight(), _text_need(label))
        for key, label in window.controls.toggle_labels.items()
    }


def _tall_remedy_labels(window) -> list[str]:
    """The remedy texts taller than their lines need (more than the row's spin box beside them)."""
    tall = []
    for key, label in window.controls.toggle_labels.items():
        need = _text_need(label)
        box = window.controls.toggles[key][1]
        if label.minimumHeight() != need or label.height() > max(need, box.height()) + 2:
            tall.append(f"{key}: {label.height()} px (least {label.minimumHeight()}), its text needs {need}")
    return tall


def test_remedy_texts_shrink_back_after_a_larger_font(make_window, qtbot, keep_theme):
    """Ctrl+ then Ctrl−: the remedies' wrapped texts are as tall as their lines again (QLabel's
    heightForWidth kept the larger font's height as the least: 62/93 px instead of 27)."""
    window = make_window(show=True)
    window.resize(1600, 1000)
    _settle(qtbot)
    scale = window.theme.font_scale
    window.theme.set_font_scale(1.75)
    _settle(qtbot)
    assert not _tall_remedy_labels(window)
    window.theme.set_font_scale(scale)
    for _ in range(3):
        _settle(qtbot)
    assert not _tall_remedy_labels(window)
    window.theme.set_font_scale(1.75)
    _settle(qtbot)
    window.theme.set_font_scale(1.0)
    for _ in range(3):
        _settle(qtbot)
    assert not _tall_remedy_labels(window)
    assert max(height for height, _, _ in _remedy_label_heights(window).values()) < 40, _remedy_label_heights(window)


def test_remedy_texts_shrink_back_after_presenting(make_window, qtbot, keep_theme):
    """Lesson 6 presented at 1280x720 and left: the remedy rows are one line high again."""
    window = make_window(show=True)
    window.resize(1280, 720)
    window.lesson_panel.open_lesson("06-remedies-exploding")
    _settle(qtbot)
    before = _remedy_label_heights(window)
    _present_at(window, qtbot, (1280, 720))
    window.lesson_panel.next_step()
    _settle(qtbot)
    assert not _tall_remedy_labels(window)
    window.presentation.set_active(False)
    window.showNormal()
    window.resize(1280, 720)
    for _ in range(3):
        _settle(qtbot)
    assert not _tall_remedy_labels(window)
    assert _remedy_label_heights(window) == before


def _controls_cut(window) -> str:
    """How much of the controls the dock cuts sideways ('' when they are whole)."""
    need = window.controls.minimumSizeHint().width()
    room = window.controls_scroll.viewport().width()
    if room < need or window.controls_scroll.horizontalScrollBar().isVisible():
        return f"the controls need {need} px, the dock gives {room} (a sideways scroll bar)"
    return ""


@pytest.mark.parametrize("size", [(1280, 720), (1600, 1000)], ids=["1280x720", "1600x1000"])
def test_the_controls_dock_widens_when_a_step_shows_more_controls(make_window, qtbot, keep_theme, size):
    """Lesson 9's 'Next' switches to the LSTM and shows its variant row: the dock takes the width
    (it kept the first step's 392 px for 409 px of controls, the Wrec box and '+' cut)."""
    window = make_window(show=True)
    window.lesson_panel.open_lesson("09-gru-variants")
    _present_at(window, qtbot, size)
    assert not _controls_cut(window)
    window.lesson_panel.next_step()
    for _ in range(3):
        _settle(qtbot)
    assert window.session.config.cell == "lstm"
    assert not _controls_cut(window)


def test_the_controls_dock_takes_a_larger_font(make_window, qtbot, keep_theme):
    """Not presenting, at 1280x720 and font 1.4 the controls are whole (no sideways scroll bar)."""
    window = make_window(show=True)
    window.resize(1280, 720)
    _settle(qtbot)
    window.theme.set_scheme("dark")
    window.theme.set_font_scale(1.4)
    for _ in range(3):
        _settle(qtbot)
    assert not _controls_cut(window)


def _check_box_faults(window) -> list[str]:
    """The remedies' check boxes too small for their text, not beside its first line, or drawn
    with an outline too near the box's fill to see."""
    controls = window.controls
    faults = []
    for key, (check, _box) in controls.toggles.items():
        label = controls.toggle_labels[key]
        option = QStyleOptionButton()
        check.initStyleOption(option)
        box = check.style().subElementRect(QStyle.SubElement.SE_CheckBoxIndicator, option, check)
        box.translate(check.mapTo(controls, check.rect().topLeft()))
        line = label.fontMetrics().height()
        if box.height() < 0.7 * line:
            faults.append(f"{key}: a {box.height()} px box beside {line} px lines")
        first = label.mapTo(controls, label.rect().topLeft()).y() + label.contentsMargins().top() + line / 2
        centre = box.top() + box.height() / 2
        if abs(centre - first) > 2:
            faults.append(f"{key}: the box's centre at {centre}, the first line's at {first}")
        palette = check.palette()
        outline = palette.color(palette.ColorRole.Window).darker(140)  # how Fusion draws the box's edge
        fill = palette.color(palette.ColorRole.Base)
        if abs(outline.lightness() - fill.lightness()) < 80:
            faults.append(f"{key}: outline {outline.name()} on {fill.name()}")
    return faults


@pytest.mark.parametrize("scheme", ["light", "dark", "contrast"])
def test_remedy_check_boxes_follow_the_font_and_show_in_every_theme(make_window, qtbot, keep_theme, scheme):
    """At 1.75x type the remedies' boxes are as large as the text's lines, beside their first
    line (a two-line label's box was centred between the lines), and their edge shows on the
    box's fill (dark and high-contrast themes: it nearly vanished)."""
    window = make_window(show=True)
    window.resize(1280, 720)
    window.lesson_panel.open_lesson("06-remedies-exploding")
    window.theme.set_scheme(scheme)
    window.theme.set_font_scale(1.75)
    for _ in range(3):
        _settle(qtbot)
    assert any(label.height() > 1.5 * label.fontMetrics().height() for label in window.controls.toggle_labels.values())
    assert not _check_box_faults(window)
    window.theme.set_font_scale(1.0)
    for _ in range(3):
        _settle(qtbot)
    assert not _check_box_faults(window)


def _toolbar_overflow(window) -> list[str]:
    """The toolbar's items on offer that it puts behind its » overflow."""
    bar = window.toolbar
    hidden = []
    for action in bar.actions():
        widget = bar.widgetForAction(action)
        if action.isVisible() and widget is not None and not widget.isVisible():
            hidden.append(action.text() or widget.objectName() or type(widget).__name__)
    return hidden


@pytest.mark.parametrize("size", [(1280, 720), (1600, 1000)], ids=["1280x720", "1600x1000"])
@pytest.mark.parametrize("lesson", ["01-temporal-loop", "06-remedies-exploding", "08-lstm"])
def test_presenting_the_toolbar_shows_all_its_buttons(make_window, qtbot, keep_theme, size, lesson):
    """Lesson 1 says 'Fold the diagram': presenting, the toolbar's step and fold buttons show
    (the » overflow hid '+ step' and 'Fold' at 1600x1000, all three at 1280x720); leaving, the
    toolbar is as it was."""
    window = make_window(show=True)
    window.resize(*size)
    window.lesson_panel.open_lesson(lesson)
    _settle(qtbot)
    texts = {cid: window.toolbar.widgetForAction(window.actions[cid]).text() for cid in ("remove_step", "add_step")}
    _present_at(window, qtbot, size)
    for _ in range(2):
        _settle(qtbot)
    assert window.toolbar.isVisible()
    assert not _toolbar_overflow(window)
    for cid in ("remove_step", "add_step", "fold", "play_pause"):
        button = window.toolbar.widgetForAction(window.actions[cid])
        assert button.toolTip(), cid  # the whole command, when the button is short
    window.presentation.set_active(False)
    window.showNormal()
    _settle(qtbot)
    assert {cid: window.toolbar.widgetForAction(window.actions[cid]).text() for cid in texts} == texts
    play = window.toolbar.widgetForAction(window.actions["play_pause"])
    assert play.toolButtonStyle() == Qt.ToolButtonStyle.ToolButtonTextBesideIcon
