"""The training lab: a worker thread over the engine, live plots, compare mode, the char view, files, the window."""

import gc
import warnings

import numpy as np
import pytest
from PySide6.QtCore import QCoreApplication, QEvent
from windowtools import finish, tiny

from simulator.config import Config
from ui.session import Session
from ui.training_plots import best_unit, bracket_signal, quote_signal, smooth
from ui.training_view import TrainingPanel


def _flush_deletes():
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()


def iteration(panel: TrainingPanel, label: str = "") -> int:
    u = panel.last_updates.get(label)
    return u.snapshot.iteration if u is not None and u.snapshot is not None else -1


# ---- training ------------------------------------------------------------------------------------
def test_training_reduces_the_loss_and_the_main_view_shows_the_trained_weights(qtbot, make_panel):
    panel = tiny(make_panel(), "sine", iterations=60, hidden=8, batch=16, seq_len=12)
    panel.lr.setValue(0.03)
    session = panel.session
    assert session.config.steps == 12 and session.config.topology == "many_to_many"
    with qtbot.waitSignal(session.trace_changed, timeout=5000):
        assert panel.start()
    assert panel.running
    finish(qtbot, panel)
    snap = panel.last_updates[""].snapshot
    assert snap.iteration == 60 and panel.runs[""].state == "done"
    train = np.array(snap.train_loss)
    assert train[-10:].mean() < 0.5 * train[:10].mean()
    assert snap.test_loss[-1][1] < snap.test_loss[0][1]
    # the Session shows exactly the trained weights, on a held-out sequence of the task
    assert session.network is not None
    for name, value in snap.net.params.items():
        np.testing.assert_array_equal(session.network.params[name], value)
    assert session.trace.T == 12
    # the plots have their data: loss curves, predictions over the truth, gradient norms
    _raw, smoothed, test = panel.loss_plot.curves[""]
    assert len(smoothed.yData) == 60 and len(test.xData) >= 2
    assert panel.prediction_plot.kind == "curves" and len(panel.prediction_plot.items[2].yData) == 12
    start, now, _cell = panel.gradient_plot.curves[""]
    assert len(now.yData) == 12 and len(start.yData) == 12
    assert "learned" in panel.message.text()


def test_the_same_seed_gives_the_same_history_as_the_engine(qtbot, make_panel):
    from simulator.train import Trainer

    panel = tiny(make_panel(), "adding", iterations=8, hidden=4, batch=4, seq_len=6)
    panel.start()
    finish(qtbot, panel)
    snap = panel.last_updates[""].snapshot
    reference = Trainer(panel.task, panel.settings())
    reference.run()
    assert snap.train_loss == tuple(reference.train_history)


def test_stop_takes_effect_promptly_and_leaves_no_thread(qtbot, make_panel):
    panel = tiny(make_panel(), "sine", iterations=1_000_000, hidden=4, batch=4, seq_len=8)
    panel.start()
    qtbot.waitUntil(lambda: iteration(panel) >= 3, timeout=10_000)
    panel.stop()
    assert panel.train_button.isEnabled() and not panel.stop_button.isEnabled()  # the window says so at once
    qtbot.waitUntil(lambda: panel.threads_alive == 0, timeout=1000)  # the thread ends within an iteration
    qtbot.waitUntil(lambda: panel.last_updates[""].state == "stopped", timeout=1000)  # its last word arrives
    stopped_at = iteration(panel)
    assert panel.runs[""].state == "stopped" and 3 <= stopped_at < 1_000_000
    qtbot.wait(50)
    assert iteration(panel) == stopped_at
    assert panel.session.network is not None  # the weights are kept


def test_pause_and_resume(qtbot, make_panel):
    panel = tiny(make_panel(), "sine", iterations=1_000_000, hidden=4, batch=4, seq_len=8)
    panel.start()
    qtbot.waitUntil(lambda: iteration(panel) >= 2, timeout=10_000)
    with qtbot.waitSignal(panel.update_received, check_params_cb=lambda u: u.state == "paused", timeout=2000):
        panel.toggle_pause()
    assert panel.pause_button.text() == "Resume" and panel.running
    paused_at = iteration(panel)
    qtbot.wait(100)
    assert iteration(panel) == paused_at
    panel.toggle_pause()
    assert panel.pause_button.text() == "Pause"
    qtbot.waitUntil(lambda: iteration(panel) > paused_at + 2, timeout=10_000)
    panel.stop()
    qtbot.waitUntil(lambda: panel.threads_alive == 0, timeout=1000)


def test_stop_while_paused(qtbot, make_panel):
    panel = tiny(make_panel(), "sine", iterations=1_000_000, hidden=4, batch=4, seq_len=8)
    panel.start()
    qtbot.waitUntil(lambda: iteration(panel) >= 1, timeout=10_000)
    panel.pause()
    qtbot.waitUntil(lambda: panel.last_updates[""].state == "paused", timeout=2000)
    panel.stop()
    qtbot.waitUntil(lambda: panel.threads_alive == 0, timeout=1000)


def test_closing_the_panel_during_training_is_safe(qtbot):
    panel = TrainingPanel(Session())
    qtbot.addWidget(panel)
    tiny(panel, "sine", iterations=1_000_000, hidden=4, batch=4, seq_len=8)
    panel.show()
    panel.start()
    qtbot.waitUntil(lambda: iteration(panel) >= 1, timeout=10_000)
    panel.close()
    assert panel.threads_alive == 0
    panel.deleteLater()
    _flush_deletes()


def test_closing_the_window_during_training_is_safe(qtbot, make_window):
    window = make_window()
    window.show_training()
    panel = window.training
    tiny(panel, "adding", iterations=1_000_000, hidden=4, batch=4, seq_len=10)
    window.actions["train"].trigger()
    qtbot.waitUntil(lambda: iteration(panel) >= 1, timeout=10_000)
    assert window.actions["train"].text() == "Pause training"
    window.close()
    assert panel.threads_alive == 0


def test_live_remedies_reach_the_running_worker(qtbot, make_panel):
    panel = tiny(make_panel(), "adding", iterations=1_000_000, hidden=4, batch=4, seq_len=10)
    panel.start()
    qtbot.waitUntil(lambda: iteration(panel) >= 1, timeout=10_000)
    trainer = panel.runs[""].trainer
    panel.remedy_values["clip"].setValue(0.25)
    panel.remedy_checks["clip"].setChecked(True)
    panel.remedy_checks["truncate"].setChecked(True)
    panel.lr.setValue(0.002)
    assert panel.session.config.clip == 0.25  # shared with the main view
    qtbot.waitUntil(lambda: trainer.settings.clip == 0.25 and trainer.settings.truncate == 10, timeout=5000)
    qtbot.waitUntil(lambda: trainer.optimizer.lr == 0.002, timeout=5000)
    panel.stop()


def test_a_diverging_run_stops_with_a_message_and_keeps_finite_weights(qtbot, make_panel):
    panel = make_panel()
    panel.set_task("sine")
    panel.session.update(cell="rnn", activation="relu", wrec=3.0, clip=0.0, clip_value=0.0, hidden=8)
    panel.optimizer_box.setCurrentIndex(panel.optimizer_box.findData("sgd"))
    panel.lr.setValue(10.0)
    panel.iterations.setValue(500)
    panel.start()
    finish(qtbot, panel)
    last = panel.last_updates[""]
    assert last.state == "diverged"
    text = panel.message.text()
    assert "diverged" in text and "clipping" in text and panel.message.isVisibleTo(panel)
    kept = last.snapshot.net
    assert all(np.all(np.isfinite(v)) for v in kept.params.values())
    assert all(np.all(np.isfinite(v)) for v in panel.session.network.params.values())
    assert last.snapshot.iteration < 500
    # one click applies a remedy and trains again
    texts = [b.text() for b in panel.fix_buttons]
    assert texts[:5] == ["Retry: lr = 0.1", "Retry: clip at 1", "Retry: wrec = 0.9", "Retry: tanh", "Retry: LSTM cell"]
    panel.fix_buttons[1].click()
    assert panel.session.config.clip == 1.0 and panel.runs[""].settings.clip == 1.0
    assert not panel.fix_buttons  # the new run's message replaces them
    panel.stop()


def test_compare_mode_trains_two_configurations_and_overlays_them(qtbot, make_panel):
    panel = tiny(make_panel(), "adding", iterations=12, hidden=4, batch=4, seq_len=8)
    panel.compare_check.setChecked(True)
    panel.preset_box.setCurrentIndex(0)  # tanh RNN vs LSTM
    assert panel.start()
    assert set(panel.runs) == {"A", "B"}
    assert panel.runs["A"].settings.cell == "rnn" and panel.runs["B"].settings.cell == "lstm"
    assert panel.runs["A"].settings.seed == panel.runs["B"].settings.seed
    assert panel.session.config.cell == "rnn"  # the main view shows A
    finish(qtbot, panel)
    for label in ("A", "B"):
        _, smoothed, test = panel.loss_plot.curves[label]
        assert len(smoothed.yData) == 12 and len(test.yData) >= 2
        _start, now, _cell = panel.gradient_plot.curves[label]
        assert len(now.yData) == 8
    legend = [label.text for _, label in panel.loss_plot.legend.items]
    assert any("tanh RNN" in t for t in legend) and any("LSTM" in t for t in legend)
    assert panel.progress["B"].isVisibleTo(panel)


def test_esn_fits_its_readout_in_one_click(qtbot, make_panel):
    panel = make_panel()
    panel.set_task("sine")
    panel.session.update(cell="esn", hidden=30, wrec=0.9)
    assert panel.fit_button.isVisibleTo(panel)
    assert panel.fit_readout()
    finish(qtbot, panel)
    snap = panel.last_updates[""].snapshot
    assert snap.test_loss and snap.test_loss[-1][1] < panel.task.baseline_loss
    assert panel.prediction_plot.kind == "curves"


# ---- the character model -------------------------------------------------------------------
def test_char_view_colours_text_by_a_unit_and_samples_at_a_temperature(qtbot, make_panel, tmp_path):
    text = 'He said "yes (and no)" then [left] and {right}.\n' * 40
    path = tmp_path / "small.txt"
    path.write_text(text, encoding="utf-8")
    panel = make_panel()
    panel.show()
    assert panel.load_text(str(path))
    tiny(panel, "chars", iterations=6, hidden=8, batch=2, seq_len=10)
    assert panel.task.text == text
    panel.start()
    finish(qtbot, panel)
    view = panel.char_view
    assert view.coloured.toPlainText() == ""  # coloured when its tab shows, not before
    panel.results.setCurrentWidget(view)
    assert view.sample.toPlainText()
    html = view.coloured.toHtml()
    colours = {part.split(";")[0].split("'")[0].split('"')[0] for part in html.split("background-color:")[1:]}
    assert len(colours) > 3  # a colour per activation level
    names = [view.quantity.itemData(i) for i in range(view.quantity.count())]
    assert names == ["h"]  # an RNN (the task's recommended cell) has its hidden state only
    quantity, unit, r = view.find_unit()
    assert quantity == "h" and 0 <= unit < 8 and -1 <= r <= 1
    view.temperature.setValue(30)
    qtbot.waitUntil(lambda: "trained weights" in view.sample_title.text(), timeout=5000)
    assert "0.30" in view.sample_title.text()


def test_signals_the_char_view_hunts_for():
    assert list(quote_signal('a"bc"d')) == [0, 1, 1, 1, 1, 0]
    assert list(bracket_signal("(a[b])c")) == [1, 1, 2, 2, 1, 0, 0]
    s = bracket_signal("((a))b(c)")
    acts = {"h": np.stack([s * 0.5, np.ones_like(s)], axis=1), "c": np.stack([-s, np.zeros_like(s)], axis=1)}
    _name, unit, r = best_unit(acts, s)
    assert unit == 0 and abs(r) == pytest.approx(1.0)
    assert smooth(np.ones(200)).shape == (200,)


# ---- files: messages, not crashes ------------------------------------------------------------------
def test_bad_csv_files_give_a_message_naming_the_row(make_panel, tmp_path):
    panel = make_panel()
    panel.set_task("series")
    bad = tmp_path / "bad.csv"
    bad.write_text("day,price\n" + "".join(f"{k},{k * 1.5}\n" for k in range(40)) + "n/a,61.5\n", encoding="utf-8")
    assert not panel.load_csv(str(bad))
    assert panel.message.isVisibleTo(panel)
    assert "row 42" in panel.message.text() and "n/a" in panel.message.text()
    assert panel._csv_path is None and "sunspot" in panel.task.description  # the bundled series is still in use
    nan = tmp_path / "nan.csv"
    nan.write_text("day,price\n" + "".join(f"{k},{k * 1.5}\n" for k in range(40)) + "41,nan\n", encoding="utf-8")
    assert panel.load_csv(str(nan))  # the first column (day) is fine ...
    panel.column_box.setCurrentIndex(panel.column_box.findData("price"))  # ... the price column is not
    assert "row 42" in panel.message.text() and "price" in panel.message.text()
    assert not panel.load_csv(str(tmp_path / "missing.csv"))
    assert "no such file" in panel.message.text()
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\x00\x01\x02" * 100)
    assert not panel.load_csv(str(binary))
    assert "binary" in panel.message.text()


def test_a_good_csv_offers_its_columns(make_panel, tmp_path):
    panel = make_panel()
    panel.set_task("series")
    good = tmp_path / "good.csv"
    good.write_text(
        "day,Open,Close\n" + "".join(f"{k},{np.sin(k / 5):.4f},{k}\n" for k in range(120)), encoding="utf-8"
    )
    assert panel.load_csv(str(good))
    columns = [panel.column_box.itemText(i) for i in range(panel.column_box.count())]
    assert columns[1:] == ["day", "Open", "Close"]
    panel.column_box.setCurrentIndex(2)
    assert panel.task.raw[3] == pytest.approx(np.sin(3 / 5), abs=1e-4)
    assert "good.csv" in panel.task.description


def test_bad_text_files_give_a_message(make_panel, tmp_path):
    panel = make_panel()
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"\x00" * 500)
    assert not panel.load_text(str(binary))
    assert "binary" in panel.message.text()
    short = tmp_path / "short.txt"
    short.write_text("abc", encoding="utf-8")
    assert not panel.load_text(str(short))
    assert "too short" in panel.message.text()
    latin = tmp_path / "latin1.txt"
    latin.write_bytes(("café au lait, " * 20).encode("latin-1"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnicodeWarning)
        assert panel.load_text(str(latin))
    assert "not valid UTF-8" in panel.task_note.text()


# ---- the Session and the window -------------------------------------------------------------
def test_session_set_network_checks_the_structure_and_lasts_until_the_next_config(qtbot):
    from simulator.config import build_network

    session = Session(Config(hidden=4, steps=6))
    net = build_network(Config(hidden=4, steps=6, seed=3))
    x = np.zeros((6, 1, 1))
    with qtbot.waitSignal(session.trace_changed):
        session.set_network(net, (x, np.zeros((6, 1, 1)), "mse"))
    assert session.network is net and session.trace.net is net and np.all(session.trace.x == 0)
    with pytest.raises(ValueError, match="hidden"):
        session.set_network(build_network(Config(hidden=5)), (x, x, "mse"))
    with pytest.raises(ValueError, match="shape"):
        session.set_network(net, (np.zeros((7, 1, 1)), np.zeros((7, 1, 1)), "mse"))
    session.update(wrec=0.5)
    assert session.network is None and session.trace.net is not net


def test_window_commands_and_dock(qtbot, make_window):
    window = make_window()
    keys = {a.shortcut().toString() for a in window.actions.values() if not a.shortcut().isEmpty()}
    assert {"Ctrl+T", "Ctrl+."} <= keys
    seen = [s.toString() for a in window.actions.values() for s in a.shortcuts()]
    assert len(seen) == len(set(seen)), "two commands share a shortcut"
    assert window.actions["stop_training"].isEnabled() is False
    window.actions["show_training"].trigger()
    assert window.training_dock.isVisibleTo(window)
    window.actions["train"].trigger()  # no task chosen yet: says so, starts nothing
    assert not window.training.running and "Choose a task" in window.training.message.text()


def test_a_lessons_training_spec_and_a_scenarios_training_state(qtbot, make_panel):
    import json

    panel = make_panel(Config(cell="rnn", hidden=5))
    settings = {"optimizer": "adagrad", "lr": 0.1, "batch": 4, "clip_value": 5.0, "iterations": 6}
    spec = {"task": "sine", "seq_len": 10, "task_args": {"period": 8.0}, "settings": settings}
    assert panel.load_spec(spec)
    config = panel.session.config
    assert (config.cell, config.hidden, config.clip_value, config.steps) == ("rnn", 5, 5.0, 10)  # the lesson's network
    assert panel.optimizer_box.currentData() == "adagrad" and panel.iterations.value() == 6
    assert panel.task.period == 8.0
    panel.start()
    finish(qtbot, panel)
    state = panel.training_state()
    json.dumps(state)  # ready for a scenario file
    assert state["runs"]["run"]["train_loss"] and state["runs"]["run"]["settings"]["optimizer"] == "adagrad"
    other = make_panel()
    before = other.session.config
    other.restore_training_state(state)
    assert other.session.config == before  # the scenario sets the Session; the panel only shows the history
    assert other.training_state() == state  # and saves it again unchanged
    _, smoothed, test = other.loss_plot.curves[""]
    assert len(smoothed.yData) == 6 and len(test.yData) >= 2
    assert other.task_name == "sine" and other.task.seq_len == 10


def test_a_lesson_shows_only_its_controls(make_panel):
    panel = make_panel()
    panel.show()
    panel.set_visible_controls(["cell", "hidden", "train", "temperature"])
    form = panel.network_form
    assert form.isRowVisible(panel.cell_box) and form.isRowVisible(panel.sizes_row)
    assert not form.isRowVisible(panel.remedy_rows["clip"]) and not form.isRowVisible(panel.init_box)
    assert not panel.compare_check.isVisible() and not panel.training_form.isRowVisible(panel.optimizer_box)
    panel.set_visible_controls(None)
    assert form.isRowVisible(panel.remedy_rows["clip"]) and panel.compare_check.isVisible()
    assert not form.isRowVisible(panel.remedy_rows["penalty"]) or panel.session.config.cell in ("rnn", "esn")


def test_the_rows_follow_the_cell_and_the_layers(make_panel):
    panel = make_panel()
    panel.show()
    s, opt, net = panel.session, panel.training_form, panel.network_form
    for changes in ({"cell": "lstm"}, {"wrec": 1.3}, {"layers": 2}, {"cell": "rnn"}, {"wrec": 0.7}, {"layers": 1}):
        s.update(**changes)
        c = s.config
        assert opt.isRowVisible(panel.forget_bias) == (c.cell == "lstm"), changes
        assert opt.isRowVisible(panel.dropout) == (c.layers > 1), changes
        assert net.isRowVisible(panel.activation_box) == (c.cell in ("rnn", "esn")), changes
