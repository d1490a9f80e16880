"""Lessons in the window: every lesson opens, renders and quotes the CURRENT trace; steps apply; presentation mode."""

import html
import re

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from simulator.lessons import _PLACEHOLDER, list_lessons, measure
from ui.lesson_panel import LessonPanel, _subscripts

LESSONS = list_lessons()


@pytest.fixture(autouse=True)
def no_background_training(monkeypatch):
    """Lessons 10-11 would train for seconds in a worker thread; the tests read the instant text."""
    monkeypatch.setattr(LessonPanel, "train_in_background", False)


def shown_text(value_text: str) -> str:
    """A measured value as the panel writes it (escaped, subscripts as HTML)."""
    return _subscripts(html.escape(value_text, quote=False))


def quoted_claims(lesson) -> list[str]:
    """The claims the lesson's text quotes, in order."""
    names = [n for n in _PLACEHOLDER.findall(lesson.text) if not n.startswith("config.")]
    return list(dict.fromkeys(names))


def not_blank(image) -> bool:
    """More than a handful of colours across the picture."""
    w, h = image.width(), image.height()
    colours = {image.pixel(x, y) for x in range(0, w, max(1, w // 60)) for y in range(0, h, max(1, h // 40))}
    return len(colours) > 20


@pytest.mark.parametrize("lesson", LESSONS, ids=[le.id for le in LESSONS])
def test_every_lesson_opens_renders_and_quotes_the_current_trace(make_window, lesson):
    window = make_window(show=True)
    panel = window.lesson_panel
    panel.open_lesson(lesson.id)
    window.player.pause()
    assert window.session.config == lesson.config and panel.lesson.id == lesson.id and panel.position == 0
    assert window.lesson_dock.isVisible() and panel.title.text() == html.escape(lesson.title)
    measured = measure(lesson, window.session.trace, window.session.config, allow_training=False)
    page = panel.text.text() + panel.live.text()
    for name in quoted_claims(lesson):
        m = measured[name]
        if m.applicable or "training run" not in m.text:
            assert shown_text(m.text) in page, name  # the value, or why it means nothing here
        else:  # lessons 10-11 before their short training run: the panel says so once
            assert panel.note.isVisibleTo(panel) and "training run" in panel.note.text()
    assert "{{" not in page
    assert len(panel.cards) == len(lesson.steps)
    image = window.grab().toImage()
    assert image.width() > 800 and not_blank(image)


def test_the_text_follows_the_config_live(make_window, qtbot):
    window = make_window()
    panel = window.lesson_panel
    panel.open_lesson("04-vanishing")
    lesson = panel.lesson
    before = measure(lesson, window.session.trace, window.session.config)["ratio"].text
    assert shown_text(before) in panel.live.text()
    window.session.update(wrec=0.5)  # what a student does with the slider
    after = measure(lesson, window.session.trace, window.session.config)["ratio"].text
    assert after != before
    qtbot.waitUntil(lambda: shown_text(after) in panel.live.text(), timeout=2000)
    assert shown_text(before) not in panel.live.text()


def test_undo_of_a_step_takes_the_lesson_back_to_the_card_before(make_window):
    """Lesson 4, step 1 (tanh), then Edit > Undo: the activation went back to sigmoid while the lesson stayed
    at step 1, whose card says tanh (a fresh-eyes review). Undo and Redo move the lesson with the config."""
    window = make_window()
    panel, s = window.lesson_panel, window.session
    panel.open_lesson("04-vanishing")
    assert s.config.activation == "sigmoid" and panel.position == 0
    assert panel.apply_step(0)
    assert s.config.activation == "tanh" and panel.position == 1
    window.actions["undo"].trigger()
    assert s.config.activation == "sigmoid" and panel.position == 0
    assert panel.cards[0].property("taken") is False and panel.cards[0].button.text() == "Try it"
    window.actions["redo"].trigger()
    assert s.config.activation == "tanh" and panel.position == 1
    s.update(wrec=0.7)  # a change of the student's own, to no position's config: the lesson stays
    assert panel.position == 1


@pytest.mark.parametrize(
    ("text", "html_text"),
    [
        ("δ h_{t−1}ᵀ", "δ h<sub>t−1</sub>ᵀ"),  # lesson 3: ᵀ is a word character to Python's regex
        ("W_hhᵀ x", "W<sub>hh</sub>ᵀ x"),
        ("W_hh² and φ_t′", "W<sub>hh</sub>² and φ<sub>t</sub>′"),
        ("σ_max, h_{t+1}, ∂h_T/∂h_t", "σ<sub>max</sub>, h<sub>t+1</sub>, ∂h<sub>T</sub>/∂h<sub>t</sub>"),
        ("(γ·σ_max)^(T−t) and (factor)^k.", "(γ·σ<sub>max</sub>)<sup>T−t</sup> and (factor)<sup>k</sup>."),
        ("many_to_one, lesson_step, x_long", "many_to_one, lesson_step, x_long"),  # words stay words
    ],
)
def test_subscripts_and_superscripts_become_html(text, html_text):
    assert _subscripts(text) == html_text


def lesson_pages(window):
    """Every lesson's introduction, step and observation as the panel renders them (HTML)."""
    panel = window.lesson_panel
    for lesson in LESSONS:
        panel.open_lesson(lesson.id)
        window.player.pause()
        texts = [lesson.text] + [s.text for s in lesson.steps] + [s.observe for s in lesson.steps if s.observe]
        yield lesson.id, [panel._html(t) for t in texts]


def test_no_lesson_shows_raw_index_markup_or_a_hyphen_for_minus(make_window):
    for lesson_id, pages in lesson_pages(make_window()):
        for page in pages:
            assert "_{" not in page and "^" not in page, (lesson_id, page)
            assert not re.search(r"(?<![\w])-\s?\d", page), (lesson_id, page)  # −0.02, not -0.02
        if lesson_id == "03-bptt":
            assert any("h<sub>t−1</sub>ᵀ" in page for page in pages)
        if lesson_id == "08-lstm":  # its preset's candidate gate averages below zero
            assert any(re.search(r"g = −0\.\d\d", page) for page in pages)


def test_opening_a_lesson_shows_only_the_controls_it_names_and_leaving_shows_all(make_window):
    window = make_window(show=True)
    controls = window.controls
    window.lesson_panel.open_lesson("04-vanishing")  # wrec, activation, steps, init, seed, transport
    assert controls.visible_controls == frozenset(window.lesson_panel.lesson.controls)
    assert controls.wrec_group.isVisible() and controls.boxes["steps"].isVisible()
    assert controls.init_box.isVisible() and controls.boxes["seed"].isVisible()
    assert not controls.cell_box.isVisible() and not controls.boxes["hidden"].isVisible()
    assert not controls.clip_check.isVisible() and not controls.topology_box.isVisible()
    window.lesson_panel.leave()
    assert controls.visible_controls is None
    assert controls.cell_box.isVisible() and controls.boxes["hidden"].isVisible() and controls.clip_check.isVisible()
    assert window.lesson_panel.stack.currentIndex() == 0  # back to the list of lessons
    assert window.session.config.activation == "sigmoid"  # leaving keeps the configuration


def test_a_try_this_button_applies_its_change_undoably(make_window, qtbot):
    window = make_window(show=True)
    panel = window.lesson_panel
    panel.open_lesson("04-vanishing")
    card = panel.cards[1]  # "keep tanh and shrink Wrec to 0.5"
    assert not card.observe.isVisible()
    qtbot.mouseClick(card.button, Qt.MouseButton.LeftButton)
    config = window.session.config
    assert config.activation == "tanh" and config.wrec == 0.5 and panel.position == 2
    assert card.observe.isVisible()
    ratio = measure(panel.lesson, window.session.trace, config)["ratio"].text
    assert shown_text(ratio) in card.observe.text()
    window.actions["undo"].trigger()  # one step takes the whole change back
    assert window.session.config == panel.lesson.config


def test_page_down_and_up_walk_through_the_steps_and_on_to_the_next_lesson(make_window):
    window = make_window()
    panel = window.lesson_panel
    panel.open_lesson("02-rnn-types")
    preset = window.session.config
    topologies = []
    for _ in panel.lesson.steps:
        window.actions["next_step"].trigger()
        topologies.append(window.session.config.topology)
    assert topologies == ["one_to_many", "many_to_many", "many_to_one"]
    window.actions["previous_step"].trigger()
    assert panel.position == 2 and window.session.config.topology == "many_to_many"
    window.actions["previous_step"].trigger()
    window.actions["previous_step"].trigger()
    assert panel.position == 0 and window.session.config == preset
    for _ in range(len(panel.lesson.steps) + 1):
        window.actions["next_step"].trigger()
    assert panel.lesson.id == "03-bptt" and panel.position == 0  # past the last step: the next lesson


@pytest.fixture
def presenting(make_window, qtbot):
    """A shown window with lesson 4 open, made the active window (keyboard shortcuts need that)."""
    window = make_window(show=True)
    window.lesson_panel.open_lesson("04-vanishing")
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=2000)
    return window


def test_presentation_mode_hides_controls_and_page_down_advances_steps(presenting, qtbot):
    window = presenting
    scheme, scale = window.theme.scheme, window.theme.font_scale
    qtbot.keyClick(window, Qt.Key.Key_F5)
    assert window.presentation.active and window.actions["present"].isChecked()
    assert window.isFullScreen() and window.menuBar().isHidden()
    from ui.presentation import presentation_font_scale

    screen_height = window.screen().availableGeometry().height()
    assert window.theme.scheme == "contrast"
    assert window.theme.font_scale >= presentation_font_scale(screen_height) >= 1.4
    controls = window.controls
    assert controls.wrec_group.isVisible() and not controls.cell_box.isVisible()  # only the lesson's controls
    assert not window.formula_dock.isVisible() and window.lesson_dock.isVisible()
    assert not window.plots.eigen.isVisible() and window.plots.gradient.isVisible()  # only the lesson's plots
    assert window.lesson_panel.presenting and not window.lesson_panel.text.isVisible()

    qtbot.keyClick(window, Qt.Key.Key_PageDown)  # what a presenter's clicker sends
    assert window.lesson_panel.position == 1 and window.session.config.activation == "tanh"
    qtbot.keyClick(window, Qt.Key.Key_PageDown)
    assert window.lesson_panel.position == 2 and window.session.config.wrec == 0.5
    shown = [card.index for card in window.lesson_panel.cards if card.isVisible()]
    assert shown == [1, 2]  # the step just taken and the next one
    qtbot.keyClick(window, Qt.Key.Key_PageUp)
    assert window.lesson_panel.position == 1 and window.session.config.wrec == 1.0
    image = window.grab().toImage()
    assert not_blank(image)

    qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert not window.presentation.active and not window.actions["present"].isChecked()
    assert not window.isFullScreen() and not window.menuBar().isHidden()
    assert window.theme.scheme == scheme and window.theme.font_scale == scale
    assert window.plots.eigen.isVisible() and window.lesson_panel.text.isVisible()
    assert not window.actions["leave_presentation"].isEnabled()  # Escape is free again


def test_presentation_follows_a_lesson_change(presenting, qtbot):
    window = presenting
    window.presentation.set_active(True)
    window.lesson_panel.open_lesson("08-lstm")  # cell, variant, steps, wrec, seed, fold, transport; plots gates…
    assert window.controls.cell_box.isVisible() and not window.controls.init_box.isVisible()
    assert window.cell_dock.isVisible()  # the gates lesson shows the cell drawing
    window.presentation.set_active(False)


def test_undo_redo_restore_configs_and_a_slider_drag_is_one_step(window):
    s, undo, redo = window.session, window.actions["undo"], window.actions["redo"]
    start = s.config
    assert not undo.isEnabled() and not redo.isEnabled()
    s.update(wrec=1.5)
    s.update(activation="relu")
    assert undo.isEnabled() and "activation" in undo.text()
    undo.trigger()
    assert s.config == start.replace(wrec=1.5)
    undo.trigger()
    assert s.config == start and not undo.isEnabled()
    redo.trigger()
    assert s.config == start.replace(wrec=1.5)
    window.actions["redo"].trigger()
    assert s.config.activation == "relu" and not redo.isEnabled()

    slider = window.controls.wrec_slider
    before = s.config
    slider.setSliderDown(True)
    for pos in (600, 700, 800, 900):
        slider.setValue(pos)
        window.controls.wrec_throttle.flush()
    slider.setSliderDown(False)
    assert s.config.wrec > 2
    undo.trigger()  # the whole drag at once
    assert s.config == before
    assert np.array_equal(s.trace.grad_norms, window.session.trace.grad_norms)


@pytest.mark.slow
def test_a_training_lesson_measures_its_claims_in_the_background(make_window, qtbot, monkeypatch):
    monkeypatch.setattr(LessonPanel, "train_in_background", True)
    window = make_window()
    panel = window.lesson_panel
    panel.open_lesson("10-char-rnn")
    assert "training" in panel.note.text()  # at once: the numbers are coming
    panel.wait_for_background(120)
    qtbot.waitUntil(lambda: "nats per character after" in panel.live.text(), timeout=5000)
    assert not panel.note.isVisibleTo(panel)


def test_a_training_lesson_prepares_the_training_lab(make_window):
    window = make_window()
    window.lesson_panel.open_lesson("10-char-rnn")
    assert window.training.task_box.currentData() == "chars"
    window.lesson_panel.open_lesson("11-stacked-lstm-optimisers")
    assert window.training.task_box.currentData() == window.lesson_panel.lesson.training["task"]


def test_lesson_summaries_render_subscripts_as_the_text_does(make_window):
    """A summary says W_hh as the lesson's text does (lesson 4's showed a raw 'W_hh')."""
    window = make_window()
    panel = window.lesson_panel
    panel.open_lesson("04-vanishing")
    assert "W<sub>hh</sub>" in panel.summary.text() and "W_hh" not in panel.summary.text()
    for summary in panel.contents_summaries:
        assert "W_hh" not in summary.text() and "_{" not in summary.text()
