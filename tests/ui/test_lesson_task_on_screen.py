"""A lesson about a training task sets the window up for it: lesson 10 draws the character model it talks
about (one-hot characters in, a score per character out, cross-entropy), and lesson 9's last step finds the
adding problem in the Training panel, with the LSTM-vs-GRU comparison there to choose."""

import html
import re

import numpy as np
import pytest

from simulator.config import build_network, make_data, run
from ui.lesson_panel import LessonPanel
from ui.training_view import PRESETS


@pytest.fixture(autouse=True)
def no_background_training(monkeypatch):
    """Lesson 10 would train for seconds in a worker thread; these tests read the instant text."""
    monkeypatch.setattr(LessonPanel, "train_in_background", False)


def plain(text: str) -> str:
    """A label's rich text as the student reads it."""
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def assert_character_model(window) -> None:
    """The window's trace is the character model on the Training lab's held-out window."""
    s, lab = window.session, window.training
    trace = s.trace
    assert lab.task_name == "chars" and lab.probe is not None
    x, targets, loss = lab.probe
    V = len(lab.task.vocab)
    assert (s.config.inputs, s.config.outputs) == (V, V)
    assert trace.loss_name == loss == "cross_entropy"
    assert np.array_equal(trace.x, x)  # the same characters the lab shows while it trains
    assert set(np.unique(trace.x)) == {0.0, 1.0} and np.all(trace.x.sum(axis=-1) == 1)  # one-hot
    assert trace.outputs.shape[-1] == V  # a score per character
    # the config's own weights on that window, as the engine scores it
    assert trace.loss == run(s.config, build_network(s.config), (x, targets, loss)).loss


def test_the_character_lesson_draws_a_character_model(make_window):
    window = make_window()
    panel = window.lesson_panel
    panel.open_lesson("10-char-rnn")
    assert window.session.config == panel.lesson.config and window.session.network is None
    assert_character_model(window)
    trace = window.session.trace
    assert np.all(trace.x[:, 0, 0] == 0)  # "the x row stays at 0": entry 1 is the newline's
    # the loss row: each step's term of the mean cross-entropy, −ln softmax(y_t)[next] / T
    y = trace.outputs[:, 0]  # (T, V)
    logp = y - y.max(axis=-1, keepdims=True)
    logp -= np.log(np.exp(logp).sum(axis=-1, keepdims=True))
    nxt = window.training.probe[1][:, 0]
    assert np.allclose(trace.loss_terms, -logp[np.arange(trace.T), nxt] / trace.T, rtol=1e-12)
    text = plain(panel.text.text())
    assert "25 characters" in text and "68 inputs" in text and "68 outputs" in text
    head = plain(panel.live.text()).split(":")[0]
    assert "untrained network this lesson draws" in head and "trained" in head and "background" in head


def test_the_character_model_stays_through_the_steps_a_control_and_undo(make_window, qtbot):
    window = make_window()
    panel = window.lesson_panel
    s = window.session
    panel.open_lesson("10-char-rnn")
    for _ in panel.lesson.steps:
        assert panel.next_step()
        assert_character_model(window)  # at once: the card measures the trace it was taken on
    s.update(hidden=20)  # the hidden-units control
    qtbot.waitUntil(lambda: s.trace.loss_name == "cross_entropy", timeout=2000)
    assert s.config.hidden == 20 and s.trace.net.hidden == 20
    assert_character_model(window)
    window.history.undo()
    qtbot.waitUntil(lambda: s.trace.loss_name == "cross_entropy" and s.config.hidden == 64, timeout=2000)
    assert_character_model(window)
    assert panel.previous_step()
    assert s.config.hidden == 32
    assert_character_model(window)


def test_weights_of_their_own_keep_their_sequence(make_window, qtbot):
    """A training run's weights (the lab mirrors them with its own sequence) are not replaced."""
    window = make_window()
    panel = window.lesson_panel
    s = window.session
    panel.open_lesson("10-char-rnn")
    net = build_network(s.config)
    s.set_network(net, window.training.probe)
    panel.show_task_data()
    qtbot.wait(10)
    assert s.network is net


@pytest.mark.parametrize("lesson_id", ["09-gru-variants", "11-stacked-lstm-optimisers", "04-vanishing"])
def test_other_lessons_keep_the_configuration_s_own_sequence(make_window, lesson_id):
    """Only a task the configuration cannot describe (class targets) is drawn on the task's data."""
    window = make_window()
    window.lesson_panel.open_lesson(lesson_id)
    trace, config = window.session.trace, window.session.config
    assert trace.loss_name == "mse"
    assert np.array_equal(trace.x, make_data(config)[0])


def test_leaving_the_character_lesson_for_another_draws_that_one_s_network(make_window, qtbot):
    window = make_window()
    panel = window.lesson_panel
    panel.open_lesson("10-char-rnn")
    panel.open_lesson("09-gru-variants")
    qtbot.wait(10)  # a deferred re-showing, had one been asked for, would have run
    assert window.session.trace.loss_name == "mse" and window.session.config == panel.lesson.config


def test_the_gru_lesson_s_last_step_finds_the_adding_problem_and_the_comparison(make_window):
    window = make_window(show=True)
    panel = window.lesson_panel
    lab = window.training
    panel.open_lesson("09-gru-variants")
    for _ in panel.lesson.steps:
        assert panel.next_step()
    step = panel.lesson.steps[-1]
    # the Training panel is in front with the adding problem at the lesson's T (not "Choose a task")
    assert window.training_dock.isVisible()
    assert lab.task_name == "adding" and lab.seq_len.value() == window.session.config.steps == 30
    assert "T = 30 steps" in step.text
    # what the step tells the student to click is there, under the names it uses
    assert lab.compare_check.isVisibleTo(lab) and lab.compare_check.text().rstrip(":") in step.text
    names = [lab.preset_box.itemText(i) for i in range(lab.preset_box.count())]
    assert "LSTM vs GRU" in names and "“LSTM vs GRU”" in step.text
    # ... and does what the step says: the vanilla LSTM against the GRU, from the same seed
    lab.compare_check.setChecked(True)
    lab.preset_box.setCurrentIndex(names.index("LSTM vs GRU"))
    plans = {name: settings for _, name, settings in lab._compare_plans()}
    assert PRESETS[names.index("LSTM vs GRU")][0] == "LSTM vs GRU"
    assert plans["LSTM"].cell == "lstm" and plans["LSTM"].variant == "vanilla" and plans["GRU"].cell == "gru"
    assert plans["LSTM"].seed == plans["GRU"].seed
    # the card says what it measured
    assert panel.cards[-1].observe.isVisibleTo(panel) and "of an LSTM's" in plain(panel.cards[-1].observe.text())


def test_a_single_plot_of_lesson_10_is_the_character_model_too(tmp_path, qapp):
    """`render --lesson char-rnn --plot unrolled` drew the preset on random inputs with an MSE loss: the
    plot figures now run on the lesson's task sequence too, as the lesson's window does."""
    import csv

    from ui import render_cli

    out = tmp_path / "l10.csv"
    assert render_cli.main(["--lesson", "char-rnn", "--plot", "unrolled", "--out", str(out)]) == 0
    rows = list(csv.DictReader(out.open()))
    x = np.array([float(r["x_1"]) for r in rows])
    terms = np.array([float(r["loss_term"]) for r in rows])
    assert set(np.unique(x)) <= {0.0, 1.0}  # one entry of a one-hot vector
    # an untrained model's cross-entropy per step is about ln(vocabulary) / T (here 68 characters, T = 25)
    assert np.allclose(terms, np.log(68) / len(rows), rtol=0.2)
