"""Lessons: a taken step's card keeps the numbers of the network it was taken on; the wording of the
steps and the live heading says what is on screen."""

import html
import re

import pytest

from simulator.config import run
from simulator.lessons import get_lesson, render_step
from ui.lesson_panel import LessonPanel, _subscripts


@pytest.fixture(autouse=True)
def no_background_training(monkeypatch):
    """Lessons 10-11 would train for seconds in a worker thread; these tests read the instant text."""
    monkeypatch.setattr(LessonPanel, "train_in_background", False)


def plain(text: str) -> str:
    """A label's rich text as the student reads it."""
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def observe_on(lesson, index: int, config) -> str:
    """What step `index` must say to observe, measured on its own configuration (as plain text)."""
    return plain(_subscripts(html.escape("→ " + render_step(lesson, index, run(config), config), quote=False)))


def take_all(panel) -> list:
    """Take every step in turn; the configuration right after each one."""
    configs = []
    for _ in panel.lesson.steps:
        assert panel.next_step()
        configs.append(panel.session.config)
    return configs


@pytest.mark.parametrize("lesson_id", ["06-remedies-exploding", "07-remedies-vanishing", "02-rnn-types"])
def test_earlier_cards_keep_the_numbers_measured_when_they_were_taken(make_window, lesson_id):
    window = make_window()
    panel = window.lesson_panel
    panel.open_lesson(lesson_id)
    lesson = panel.lesson
    configs = take_all(panel)
    for i, (step, card) in enumerate(zip(lesson.steps, panel.cards)):
        if not step.observe:
            continue
        assert plain(card.observe.text()) == observe_on(lesson, i, configs[i]), i
    # the review's cases, in words: k = 5 left 5 steps with gradient; one-to-many had one input
    if lesson_id == "06-remedies-exploding":
        assert "Steps that receive gradient: 5 of 40" in plain(panel.cards[1].observe.text())
        assert "in the update: 8.9" not in plain(panel.cards[0].observe.text())
    if lesson_id == "02-rnn-types":
        assert "Steps with an input: 1;" in plain(panel.cards[0].observe.text())


def test_the_latest_card_stays_live_and_earlier_ones_do_not_move(make_window, qtbot):
    window = make_window()
    panel = window.lesson_panel
    panel.open_lesson("06-remedies-exploding")
    panel.next_step()
    panel.next_step()
    first, second = panel.cards[0].observe.text(), panel.cards[1].observe.text()
    window.session.update(truncate=10)  # the student moves a control after step 2
    lesson = panel.lesson
    want = observe_on(lesson, 1, window.session.config)
    qtbot.waitUntil(lambda: plain(panel.cards[1].observe.text()) == want, timeout=2000)
    assert "10 of 40" in want and panel.cards[1].observe.text() != second
    assert panel.cards[0].observe.text() == first  # taken before: its own network's numbers
    # back one step: step 1 is the latest taken again, and live on the configuration it is back to
    assert panel.previous_step()
    assert plain(panel.cards[0].observe.text()) == observe_on(lesson, 0, window.session.config)
    assert not panel.cards[1].observe.isVisibleTo(panel)


def test_a_lesson_opened_at_a_later_step_measures_each_earlier_card_on_its_own_step(make_window):
    window = make_window()
    panel = window.lesson_panel
    lesson = get_lesson("06-remedies-exploding")
    panel.open_lesson(lesson.id, len(lesson.steps))  # e.g. Page Up from the next lesson
    config = lesson.config
    for i, step in enumerate(lesson.steps[:-1]):
        config = step.apply(config)
        assert plain(panel.cards[i].observe.text()) == observe_on(lesson, i, config), i


def test_the_character_lesson_says_what_its_numbers_are_measured_on(make_window):
    """The window draws the untrained character model; the trained numbers come from a background copy."""
    window = make_window()
    panel = window.lesson_panel
    panel.open_lesson("10-char-rnn")
    head = plain(panel.live.text()).split(":")[0]
    assert "on the network on screen" not in head
    assert "trained" in head and "background" in head and "untrained" in head
    panel.open_lesson("04-vanishing")  # a lesson measured on the trace: says so
    assert plain(panel.live.text()).startswith("Measured now on the network on screen:")


def test_the_temperature_step_says_where_the_slider_is_and_shows_the_training_lab(make_window):
    window = make_window(show=True)
    panel = window.lesson_panel
    panel.open_lesson("10-char-rnn")
    step = panel.lesson.steps[1]
    assert "temperature slider" in step.text and "Training › Text" in step.text
    assert panel.next_step() and panel.next_step()
    assert window.training_dock.isVisible()
    assert window.training.results.tabText(window.training.results.indexOf(window.training.char_view)) == "Text"


def test_lesson_two_points_at_the_loss_row_of_the_diagram(make_window):
    window = make_window()
    panel = window.lesson_panel
    panel.open_lesson("02-rnn-types")
    text = plain(panel.cards[1].instruction.text())
    assert "loss plot" not in text and "loss row" in text and "diagram" in text
