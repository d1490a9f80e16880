"""Scenario files in the window: round trip, refusals that change nothing, recent files, drop, quit prompt."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QFileDialog, QMessageBox

from simulator.config import Config, build_network, make_data
from simulator.scenario import FORMAT
from simulator.tasks import make_task
from simulator.train import Trainer, TrainSettings
from ui import app
from ui.lesson_panel import LessonPanel
from ui.training_worker import TrainingUpdate

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def no_background_training(monkeypatch):
    monkeypatch.setattr(LessonPanel, "train_in_background", False)


@pytest.fixture
def warnings(monkeypatch):
    """QMessageBox.warning / critical recorded instead of shown (a test must never block)."""
    shown = []

    def record(parent, title, text, *args, **kwargs):
        shown.append((title, text))
        return QMessageBox.StandardButton.Ok

    monkeypatch.setattr(QMessageBox, "warning", record)
    monkeypatch.setattr(QMessageBox, "critical", record)
    return shown


def same_trace(a, b) -> bool:
    """Bit-identical states, outputs, losses and gradients."""
    pairs = [(a.grad_norms, b.grad_norms), (a.loss_terms, b.loss_terms), (a.outputs, b.outputs)]
    pairs += list(zip(a.hidden_states, b.hidden_states))
    pairs += [(a.grads[k], b.grads[k]) for k in a.grads]
    return a.grads.keys() == b.grads.keys() and all(np.array_equal(x, y, equal_nan=True) for x, y in pairs)


def test_round_trip_through_the_window_gives_an_identical_trace(make_window, tmp_path):
    first = make_window()
    first.lesson_panel.open_lesson("04-vanishing")
    first.lesson_panel.apply_step(1)
    first.session.update(steps=37)
    first.set_folded(True)
    first.plots.states.select("dh")
    first.player.pause()
    first.session.set_frame(5)
    path = tmp_path / "lecture.json"
    assert first.files.save_to(path) and not first.files.modified
    assert json.loads(path.read_text())["format"] == FORMAT

    second = make_window()
    assert second.files.open_path(path)
    second.player.pause()
    assert second.session.config == first.session.config
    assert same_trace(second.session.trace, first.session.trace)
    assert second.lesson_panel.lesson.id == "04-vanishing" and second.lesson_panel.position == 2
    assert second.actions["fold"].isChecked() and second.plots.states.current == "dh"
    assert second.session.frame == 5 and not second.files.modified
    assert second.files.path == str(path)
    assert not second.history.can_undo  # a freshly opened file has nothing to undo


def test_a_file_keeps_its_own_view_not_the_lessons(make_window, tmp_path):
    doc = {"format": FORMAT, "version": 1, "config": {"steps": 12}, "lesson": "03-bptt", "view": {"frame": 5}}
    path = tmp_path / "bptt.json"
    path.write_text(json.dumps(doc))
    window = make_window()
    assert window.files.open_path(path)
    assert window.lesson_panel.lesson.id == "03-bptt" and window.session.config == Config(steps=12)
    assert window.session.frame == 5 and not window.player.playing  # the lesson would play BPTT from the end


def test_custom_weights_round_trip_exactly(make_window, tmp_path):
    first = make_window()
    config = Config(cell="gru", hidden=5, steps=9)
    net = build_network(config)
    net = net.with_params({k: v + 1e-3 * np.sin(np.arange(v.size)).reshape(v.shape) for k, v in net.params.items()})
    first.session.set_config(config, net)  # e.g. after training
    assert first.files.modified
    path = tmp_path / "trained.json"
    assert first.files.save_to(path)
    second = make_window()
    assert second.files.open_path(path)
    assert second.session.network is not None
    for k, v in net.params.items():
        assert np.array_equal(second.session.network.params[k], v)
    assert same_trace(second.session.trace, first.session.trace)


def test_the_training_history_is_saved_and_survives_a_second_save(make_window, tmp_path):
    task = make_task("sine", 10, 0)
    snap = Trainer(task, TrainSettings.for_task(task, iterations=5, hidden=4)).run()
    first = make_window()
    first.training.last_updates = {"": TrainingUpdate("", "done", snap)}  # what a finished run leaves
    path = tmp_path / "trained.json"
    assert first.files.save_to(path)
    saved = json.loads(path.read_text())["training"]
    assert saved["runs"]["run"]["train_loss"] == list(snap.train_loss)
    assert saved["runs"]["run"]["test_loss"] == [list(p) for p in snap.test_loss]
    second = make_window()
    assert second.files.open_path(path)
    again = tmp_path / "again.json"
    assert second.files.save_to(again)  # no new training: the history read from the file is kept
    assert json.loads(again.read_text())["training"] == saved


def test_trained_weights_reopen_on_the_tasks_sequence_they_were_shown_on(make_window, tmp_path):
    """Saved after training on the sine task, the weights reopened on the config's own random
    sequence (loss 0.95 instead of 0.0075, a noise x row): the file names the task, and reopening
    (in the window and in `main.py render`) runs them on its first held-out sequence again."""
    from ui.render_cli import _configure

    first = make_window()
    assert first.training.load_spec({"task": "sine", "seq_len": 12})
    task = first.training.build_task()
    snap = Trainer(task, TrainSettings.for_task(task, iterations=3, hidden=4)).run()
    first.training.last_updates = {"": TrainingUpdate("", "done", snap)}  # the history a finished run leaves
    config = first.session.config
    net = build_network(config)
    net = net.with_params({k: v + 1e-2 * np.cos(np.arange(v.size)).reshape(v.shape) for k, v in net.params.items()})
    assert first.training._mirror(net, force=True)  # as training shows its weights
    shown = first.session.trace
    x = task.held_out()[0][:, :1]
    assert np.array_equal(shown.x, x)
    path = tmp_path / "trained.json"
    assert first.files.save_to(path)
    second = make_window()
    assert second.files.open_path(path)
    assert np.array_equal(second.session.trace.x, x)
    assert second.session.trace.loss == shown.loss
    assert same_trace(second.session.trace, shown)

    class Args:  # `main.py render --scenario trained.json`
        lesson, scenario, set = None, str(path), []

    _, trace, _ = _configure(Args)
    assert np.array_equal(trace.x, x) and trace.loss == shown.loss


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('{"format": "unrolled-scenario", "version": 1, "config": {"wr', "broken JSON"),
        ('{"format": "unrolled-scenario", "version": 7, "config": {}}', "newer Unrolled"),
        ('{"name": "a package.json", "version": "1.0.0"}', "not an Unrolled scenario"),
        ('{"format": "unrolled-scenario", "version": 1, "config": {"wrec": "big"}}', "wrec"),
    ],
    ids=["corrupt", "newer", "foreign", "bad-value"],
)
def test_a_refused_file_gets_a_message_and_nothing_changes(make_window, tmp_path, warnings, text, says):
    window = make_window()
    window.lesson_panel.open_lesson("05-exploding")
    window.session.update(wrec=1.7)
    before = (window.session.config, window.session.trace, window.lesson_panel.lesson, window.lesson_panel.position)
    undo_steps = len(window.history.history)
    bad = tmp_path / "bad.json"
    bad.write_text(text)
    assert not window.files.open_path(bad)
    assert len(warnings) == 1 and says in warnings[0][1] and "Nothing was changed" in warnings[0][1]
    after = (window.session.config, window.session.trace, window.lesson_panel.lesson, window.lesson_panel.position)
    assert all(a is b for a, b in zip(before, after))
    assert window.files.path == "" and len(window.history.history) == undo_steps


def test_a_binary_file_dropped_on_the_window_is_refused(make_window, tmp_path, warnings):
    window = make_window()
    png = tmp_path / "picture.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe")
    before = window.session.trace
    drop = _drop_event(png)
    window.dropEvent(drop)
    assert warnings and "not UTF-8" in warnings[0][1] and window.session.trace is before


def _drop_event(path: Path) -> QDropEvent:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(
        QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    event._mime = mime  # keep the data alive as long as the event
    return event


def test_dropping_a_scenario_file_opens_it(make_window, tmp_path):
    source = make_window()
    source.session.update(cell="lstm", steps=14)
    path = tmp_path / "dropped.json"
    assert source.files.save_to(path)
    window = make_window()
    window.dropEvent(_drop_event(path))
    assert window.session.config == source.session.config and window.files.path == str(path)


def test_save_as_asks_for_a_name_and_recent_files_remember_it(make_window, tmp_path, monkeypatch, settings):
    window = make_window()
    target = tmp_path / "asked"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    window.actions["save_scenario_as"].trigger()
    saved = tmp_path / "asked.json"  # the suffix is added
    assert saved.exists() and window.files.path == str(saved)
    window.session.update(wrec=0.7)
    window.actions["save_scenario"].trigger()  # Save writes to the same file without asking
    assert json.loads(saved.read_text())["config"]["wrec"] == 0.7
    assert window.files.recent == [str(saved)]
    later = make_window()  # the same QSettings: a later run lists it under File > Open Recent
    entries = [a for a in later.files.recent_menu.actions() if a.toolTip() == str(saved)]
    assert len(entries) == 1
    entries[0].trigger()
    assert later.session.config.wrec == 0.7 and later.files.path == str(saved)


def test_unsaved_changes_prompt_before_closing(make_window, tmp_path, monkeypatch):
    window = make_window(show=True)
    window.files.ask_unsaved = True  # as the application sets it
    asked = []
    answer = {"button": QMessageBox.StandardButton.Cancel}

    def prompt(parent, title, text, buttons, default):
        asked.append(text)
        return answer["button"]

    monkeypatch.setattr(QMessageBox, "warning", prompt)
    assert window.close() and not asked  # nothing changed: no question
    window.show()
    window.session.update(wrec=2.2)
    assert not window.close() and window.isVisible() and len(asked) == 1  # Cancel keeps the window
    assert "not saved" in asked[0]
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"format": FORMAT, "version": 1, "config": {"cell": "gru"}}))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(other), ""))
    window.actions["open_scenario"].trigger()  # File > Open asks too; Cancel opens nothing
    assert len(asked) == 2 and window.session.config.wrec == 2.2 and window.session.config.cell == "rnn"
    window.actions["undo"].trigger()  # back to the saved state: nothing to ask
    assert not window.files.modified
    window.session.update(wrec=2.2)
    target = tmp_path / "on-quit.json"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    answer["button"] = QMessageBox.StandardButton.Save
    assert window.close() and target.exists()  # Save writes, then the window closes
    window.show()
    window.session.update(wrec=0.3)
    answer["button"] = QMessageBox.StandardButton.Discard
    assert window.close() and json.loads(target.read_text())["config"]["wrec"] == 2.2


def test_main_py_opens_a_scenario_file_and_refuses_a_newer_one(tmp_path, capsys):
    doc = {"format": FORMAT, "version": 1, "config": {"cell": "gru", "steps": 8}, "lesson": "09-gru-variants"}
    good = tmp_path / "good.json"
    good.write_text(json.dumps(doc))
    out = tmp_path / "shot.png"
    proc = subprocess.run(
        [sys.executable, "main.py", str(good), "--screenshot", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert proc.returncode == 0, proc.stderr
    assert out.stat().st_size > 10_000
    newer = tmp_path / "newer.json"
    newer.write_text(json.dumps({**doc, "version": 2}))
    assert app.main([str(newer), "--screenshot", str(tmp_path / "x.png")]) == 2
    assert "newer Unrolled" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()


def test_window_title_names_the_file_and_marks_changes(make_window, tmp_path):
    window = make_window()
    assert window.windowTitle().startswith("untitled[*]") and not window.isWindowModified()
    window.session.update(wrec=1.7)
    assert window.isWindowModified() and "Wrec = 1.7" in window.windowTitle()
    path = tmp_path / "talk.unrolled.json"
    window.files.save_to(str(path))
    assert window.windowTitle().startswith("talk.unrolled.json[*]") and not window.isWindowModified()


def test_opening_a_scenario_leaves_no_ghost_of_the_screen_before(make_window, tmp_path):
    """A file's settings are not the user's last change: no faint 'before' curve from the old screen."""
    doc = {"format": FORMAT, "version": 1, "config": {"steps": 14, "hidden": 6}}
    path = tmp_path / "plain.json"
    path.write_text(json.dumps(doc))
    window = make_window()
    window.session.update(steps=25)  # the user's own change: a ghost
    g = window.plots.gradient
    assert g.ghost_y is not None
    assert window.files.open_path(path)
    assert g.ghost_y is None and not g.ghost.isVisible()


def test_a_corrupt_file_is_refused_with_the_parsers_whole_reason(make_window, tmp_path, warnings):
    """A file cut short in a string: the message says what and where (it read '(Unterminated string starting at)')."""
    window = make_window()
    good = tmp_path / "good.json"
    assert window.files.save_to(good)
    text = good.read_text()
    cut = text.index('"cell"') + 3  # inside the string "cell"
    bad = tmp_path / "bad.json"
    bad.write_text(text[:cut])
    line = text[:cut].count("\n") + 1
    column = cut - text[:cut].rfind("\n")  # 1-based column of the string's opening quote ...
    column -= 3  # ... which is where the parser says the string starts
    assert not window.files.open_path(bad)
    message = warnings[0][1]
    assert f"broken JSON: Unterminated string starting at line {line}, column {column} (character {cut - 3})" in message
    assert "starting at)" not in message and "the file may be damaged or cut short" in message
    assert message.startswith(f"{bad} is not a valid scenario file")


def test_a_recent_file_that_is_gone_leaves_the_list(make_window, tmp_path, warnings):
    window = make_window()
    kept, moved = tmp_path / "kept.json", tmp_path / "moved.json"
    assert window.files.save_to(kept) and window.files.save_to(moved)
    moved.rename(tmp_path / "elsewhere.json")
    assert window.files.recent == [str(moved), str(kept)]
    assert not window.files.open_recent(str(moved))
    assert warnings and str(moved) in warnings[0][1]  # the user is told why
    assert window.files.recent == [str(kept)]  # and the dead entry is gone from File > Open Recent
    tips = [a.toolTip() for a in window.files.recent_menu.actions()]
    assert str(moved) not in tips and str(kept) in tips
    assert window.files.open_recent(str(kept))  # a file that is there stays
    assert window.files.recent == [str(kept)]


# ---- trained weights reopened on their task: the cases a code review found ----------------------


def _nudged(config):
    net = build_network(config)
    return net.with_params({k: v + 1e-2 * np.cos(np.arange(v.size)).reshape(v.shape) for k, v in net.params.items()})


def _save_trained(path, config, training):
    from simulator.scenario import Scenario, save_scenario

    save_scenario(path, Scenario(config, _nudged(config), None, 0, training, {}))


def test_trained_weights_reopen_on_the_scenarios_own_csv_column(make_window, tmp_path):
    """The window ignored the scenario's CSV file (it ran the weights on the bundled sunspots) while
    `main.py render` read it: both run them on the file's column now."""
    from ui.render_cli import training_data

    csv = tmp_path / "a.csv"
    csv.write_text("v\n" + "\n".join(str(np.sin(i / 3.0) * 100) for i in range(400)))
    config = Config(hidden=4, steps=20, topology="many_to_one")
    args = {"seq_len": 20, "csv_path": str(csv), "column": "v", "topology": "many_to_one"}
    training = {"task": "series", "task_args": args, "runs": {}}
    path = tmp_path / "s.json"
    _save_trained(path, config, training)
    window = make_window()
    assert window.files.open_path(path)
    assert np.array_equal(window.session.trace.x, training_data(config, training)[0])


@pytest.mark.parametrize("task", ["series", "nope"])
def test_trained_weights_never_run_on_the_previous_tasks_sequence(make_window, tmp_path, task):
    """A task that cannot be made here (sunspots are too short for T = 300; an unknown name) left the
    panel's previous task in place, and the weights ran on its sequence: they run on the config's own."""
    window = make_window()
    assert window.training.load_spec({"task": "sine", "seq_len": 300})
    sine_x = window.training.probe[0]
    config = Config(hidden=4, steps=300, topology="many_to_one")
    path = tmp_path / "s.json"
    _save_trained(path, config, {"task": task, "task_args": {"seq_len": 300, "topology": "many_to_one"}, "runs": {}})
    assert window.files.open_path(path)
    assert not np.array_equal(window.session.trace.x, sine_x)
    assert np.array_equal(window.session.trace.x, make_data(config)[0])  # the config's own sequence


def test_a_run_that_turned_mirroring_off_does_not_stop_a_reopened_scenario(make_window, tmp_path):
    window = make_window()
    window.training._mirror_ok = False  # as a change of Wrec during a run leaves it
    config = Config(hidden=4, steps=12, topology="many_to_many")
    path = tmp_path / "s.json"
    _save_trained(path, config, {"task": "sine", "task_args": {"seq_len": 12}, "runs": {}})
    assert window.files.open_path(path)
    assert np.array_equal(window.session.trace.x, make_task("sine", 12, config.seed).held_out()[0][:, :1])


def test_render_falls_back_where_the_tasks_sequence_does_not_fit_the_weights(tmp_path, capsys):
    from ui.render_cli import _configure

    config = Config(hidden=4, steps=12, outputs=2, topology="many_to_many")  # sine has one output
    path = tmp_path / "s.json"
    _save_trained(path, config, {"task": "sine", "task_args": {"seq_len": 12}, "runs": {}})

    class Args:
        lesson, scenario, set = None, str(path), []

    _, trace, _ = _configure(Args)
    assert trace.outputs.shape[2] == 2 and "does not fit" in capsys.readouterr().err


def test_training_curves_of_a_run_held_as_numpy_arrays():
    from ui.figures import training_curves

    train, _, _ = training_curves({"runs": {"A": {"train_loss": np.array([1.0, 0.5]), "test_loss": []}}})
    assert list(train) == [1.0, 0.5]
