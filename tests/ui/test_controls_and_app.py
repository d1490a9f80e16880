"""Controls refuse what they must, write back without echo; the app's command line and safety nets."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QMessageBox

from simulator.config import Config
from ui import app
from ui.controls import slider_to_wrec, wrec_to_slider
from ui.main_window import MainWindow
from ui.session import Session

ROOT = Path(__file__).resolve().parents[2]


def _type(qtbot, box, text):
    box.lineEdit().selectAll()
    qtbot.keyClicks(box.lineEdit(), text)


REFUSED = [  # (box, typed, what the message must say); the audit's cases first
    ("steps", "-3", "steps T must be between 1 and 1000; -3 is refused"),
    ("hidden", "-8", "hidden size must be between 1 and 128; -8 is refused"),
    ("layers", "-2", "layers must be between 1 and 4; -2 is refused"),
    ("seed", "-5", "seed must be between 0 and 2147483647; -5 is refused"),
    ("steps", "1e3", "steps T must be a whole number between 1 and 1000; “1e3” is refused"),
    ("hidden", "129", "hidden size must be between 1 and 128; 129 is refused"),
    ("steps", "5000", "steps T must be between 1 and 1000; 5000 is refused"),
    ("hidden", "abc", "hidden size must be a whole number between 1 and 128; “abc” is refused"),
    ("steps", "0", "steps T must be between 1 and 1000; 0 is refused"),
    ("wrec", "12", "Wrec must be between 0 and 10; 12 is refused"),
    ("wrec", "-0.5", "Wrec must be between 0 and 10; -0.5 is refused"),
    ("clip", "0", "clipping threshold must be between 0.001 and 1e6; 0 is refused"),
    ("truncate", "0", "truncation k must be between 1 and 1000; 0 is refused"),
]


@pytest.mark.parametrize(("key", "typed", "says"), REFUSED)
def test_values_typed_out_of_range_are_refused_with_a_message(window, qtbot, key, typed, says):
    """Every keystroke stays ('-3' is not cut to '3', '129' not to '12'); Enter applies nothing and
    says why, naming the box, its range and what was typed; the typed text stays, drawn in the
    warning colour, until Escape puts the old value back."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QColor, QPalette

    from ui import theme

    controls, msg = window.controls, window.controls.message
    box = controls.boxes[key]
    before, old = window.session.config, box.value()
    box.lineEdit().selectAll()
    qtbot.keyClicks(box, typed)
    assert box.text() == typed  # no keystroke swallowed
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert window.session.config == before  # the OLD value, not what was left of the typing
    assert msg.isVisibleTo(controls) and msg.text() == says
    assert box.text() == typed and controls.message_owner is box
    warning = QColor(theme.current().colours.exploding)
    assert box.lineEdit().palette().color(QPalette.ColorRole.Text) == warning
    qtbot.keyClick(box, Qt.Key.Key_Escape)
    assert box.value() == old and box.text() == box.textFromValue(old) and window.session.config == before
    assert not msg.isVisibleTo(controls)
    assert box.lineEdit().palette().color(QPalette.ColorRole.Text) != warning


def test_a_refusal_message_belongs_to_its_box(make_window, qtbot):
    """Hidden '0' refused, then '-3' typed into steps: the message spoke of hidden still. It sits
    under its box, says that box's refusal and goes when the box's text is good or the box is left."""
    from PySide6.QtCore import Qt

    window = make_window(show=True)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    controls, msg = window.controls, window.controls.message
    hidden, steps = controls.boxes["hidden"], controls.boxes["steps"]
    hidden.setFocus()
    hidden.selectAll()
    qtbot.keyClicks(hidden, "0")
    qtbot.keyClick(hidden, Qt.Key.Key_Return)
    assert msg.isVisible() and msg.text().startswith("hidden size") and hidden.hasFocus()
    steps.setFocus()  # leaving the box: its old value again, and the message goes with it
    assert hidden.text() == "16" and not msg.isVisible()
    steps.selectAll()
    qtbot.keyClicks(steps, "-3")
    assert msg.isVisible() and msg.text() == "steps T must be between 1 and 1000; -3 is refused"
    under = steps.mapTo(controls, steps.rect().bottomLeft()).y()
    assert 0 <= msg.mapTo(controls, msg.rect().topLeft()).y() - under < steps.height()  # right under it
    qtbot.keyClick(steps, Qt.Key.Key_Home)
    qtbot.keyClick(steps, Qt.Key.Key_Delete)  # '3': good text, the message goes at once
    assert steps.text() == "3" and not msg.isVisible() and window.session.config.steps == 20
    qtbot.keyClick(steps, Qt.Key.Key_Return)
    assert window.session.config.steps == 3 and not msg.isVisible()


def test_wrec_entry_refuses_above_the_engines_limit(window, qtbot):
    box = window.controls.wrec_box
    _type(qtbot, box, "12")
    assert "Wrec must be between 0 and 10" in window.controls.message.text()
    assert window.session.config.wrec == 1.0


def test_a_refusal_by_the_engine_is_shown_and_the_widgets_put_back(window):
    controls = window.controls
    assert not controls.apply(cell="lstm", penalty=1.0)  # the engine refuses the combination
    assert "penalty" in controls.message.text()
    assert controls.cell_box.currentData() == "rnn"


def test_the_leak_says_what_alpha_1_means_and_it_holds(window):
    """A reviewer found an ESN with leak 1 giving the Elman RNN's numbers and wondered: the leak's tip
    says α = 1 is the Elman update, and the per-step factor it names is the trace's step Jacobian."""
    c = window.controls
    tip = c.leak_box.toolTip()
    assert "α = 1" in tip and "Elman" in tip and tip == c.leak_label.toolTip()
    window.session.update(cell="esn", leak=0.3, hidden=4, steps=6)
    trace = window.session.trace
    d, s = trace._step_factors
    W = trace.net.params["weight_hh_l0"]
    t = 3  # (1−α) I + α·diag(φ′)·W_hh, with d = α·φ′ as the engine carries it
    assert np.allclose(trace.step_jacobians[t], np.diag(s[t]) + d[t][:, None] * W)
    assert np.allclose(s[t], 0.7)


def test_session_changes_are_written_back_without_echo(window):
    traces = []
    window.session.trace_changed.connect(traces.append)
    window.session.update(steps=33, wrec=1.7, activation="relu", cell="gru")
    assert len(traces) == 1  # writing the values into the widgets triggered no further change
    c = window.controls
    assert c.boxes["steps"].value() == 33 and c.wrec_box.value() == pytest.approx(1.7)
    assert c.wrec_slider.value() == wrec_to_slider(1.7)
    assert c.cell_box.currentData() == "gru" and not c.activation_box.isEnabled()
    # greyed, it shows the tanh a GRU uses, not the ReLU it ignores (the φ plot under it draws tanh)
    assert c.activation_box.currentData() == "tanh" and c.activation_view.activation == "tanh"
    window.session.update(cell="rnn")  # the setting is the RNN's again
    assert c.activation_box.isEnabled() and c.activation_box.currentData() == "relu"
    assert window.session.config.activation == "relu"


def test_wrec_slider_scale_is_finer_near_one():
    assert slider_to_wrec(500) == 1.0
    assert slider_to_wrec(0) == pytest.approx(0.1) and slider_to_wrec(1000) == pytest.approx(3.0)
    near_one = slider_to_wrec(520) - slider_to_wrec(500)
    far = slider_to_wrec(1000) - slider_to_wrec(980)
    assert near_one < far / 5
    for w in (0.1, 0.5, 0.99, 1.0, 1.01, 2.0, 3.0):
        assert slider_to_wrec(wrec_to_slider(w)) == pytest.approx(w, rel=0.01)


def test_layout_is_remembered_in_qsettings(qtbot, tmp_path):
    path = str(tmp_path / "layout.ini")
    first = MainWindow(Session(), settings=QSettings(path, QSettings.Format.IniFormat))
    qtbot.addWidget(first)
    first.show()
    first.formula_dock.hide()
    first.theme.set_font_scale(1.3)
    first.close()
    try:
        second = MainWindow(Session(), settings=QSettings(path, QSettings.Format.IniFormat))
        qtbot.addWidget(second)
        second.show()
        assert not second.formula_dock.isVisible()
        assert second.theme.font_scale == pytest.approx(1.3)
        second.actions["reset_layout"].trigger()
        assert second.formula_dock.isVisible()
        second.close()
    finally:
        first.theme.set_font_scale(1.0)


def test_theme_switch_restyles_without_rebuilding(window):
    curve = window.plots.gradient.curve
    window.actions["theme_dark"].trigger()
    try:
        assert window.theme.dark and window.actions["theme_dark"].isChecked()
        assert window.plots.gradient.plot_widget.backgroundBrush().color().name().lower() == "#17191c"
        assert window.plots.gradient.curve is curve
    finally:
        window.actions["theme_system"].trigger()


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_a_theme_switched_while_running_paints_as_one_started_in_it(qtbot, tmp_path, cell):
    """Every colour follows a switch: the gradient, Jacobian, states and eigenvalue panels (the verdicts,
    the colour bar's outline and tick labels, the legend's rows) are pixel for pixel what a window
    opened in the dark theme paints."""
    from ui import theme as theme_mod

    windows = []

    def window_in(scheme: str, name: str) -> MainWindow:
        theme_mod.current().set_scheme(scheme)
        w = MainWindow(Session(Config(cell=cell)), settings=QSettings(str(tmp_path / name), QSettings.Format.IniFormat))
        qtbot.addWidget(w)
        windows.append(w)
        w.resize(1600, 1000)
        w.show()
        qtbot.waitExposed(w)
        return w

    try:
        switched = window_in("light", "a.ini")
        theme_mod.current().set_scheme("dark")
        fresh = window_in("dark", "b.ini")
        QApplication.processEvents()
        QApplication.processEvents()
        # the verdicts' colours, the colour bar; the eigenvalue header's muted colour and its legend's
        # rows (the step key's row was 4 px short after a switch)
        for name in ("gradient", "jacobian", "states", "eigen"):
            a, b = getattr(switched.plots, name).grab().toImage(), getattr(fresh.plots, name).grab().toImage()
            assert a.size() == b.size()
            assert a == b, name
        assert switched.plots.eigen.legend.boundingRect() == fresh.plots.eigen.legend.boundingRect()
    finally:
        for w in windows:
            w.player.pause()
            w.close()
        theme_mod.current().set_scheme("system")


def test_exception_hook_shows_a_dialog_and_the_app_keeps_running(qtbot):
    hook = app.ExceptionHook()
    try:
        raise RuntimeError("boom in a slot")
    except RuntimeError:
        hook(*sys.exc_info())
    assert hook.last_message == "RuntimeError: boom in a slot"
    boxes = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]
    assert any("boom in a slot" in b.text() for b in boxes)
    for b in boxes:
        b.close()
    assert QApplication.instance() is not None


def test_an_exception_in_a_worker_thread_reaches_the_dialog_in_the_gui_thread(qtbot):
    import threading

    hook = app.ExceptionHook()
    shown = []
    hook._relay.raised.disconnect()
    hook._relay.raised.connect(lambda message, details: shown.append((message, threading.current_thread())))

    def work():
        try:
            raise ValueError("trainer diverged badly")
        except ValueError:
            hook(*sys.exc_info())

    worker = threading.Thread(target=work)
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: bool(shown), timeout=2000)
    assert shown[0] == ("ValueError: trainer diverged badly", threading.main_thread())


def test_command_line_errors_exit_2_with_a_message(capsys):
    assert app.main(["--set", "nonsense=1", "--screenshot", "x.png"]) == 2
    assert "unknown key 'nonsense'" in capsys.readouterr().err
    assert app.main(["--set", "wrec=abc", "--screenshot", "x.png"]) == 2
    assert "wrec must be a number" in capsys.readouterr().err
    assert app.main(["--set", "steps=0", "--screenshot", "x.png"]) == 2
    assert "steps must be between 1 and 1000" in capsys.readouterr().err
    assert app.main(["--bogus"]) == 2


def test_main_installs_the_exception_hook(monkeypatch, capsys):
    """The dialog-and-keep-running hook is what main() makes sys.excepthook and threading.excepthook."""
    import threading

    from ui import theme

    monkeypatch.setattr(sys, "excepthook", sys.__excepthook__)
    monkeypatch.setattr(threading, "excepthook", threading.__excepthook__)
    monkeypatch.setattr(theme, "install", lambda *args, **kwargs: theme.current())  # keep the tests' theme
    assert app.main(["--screenshot", "x.png", "--frame", "99999"]) == 2  # stops after the set-up: no window
    assert "--frame must be between" in capsys.readouterr().err
    assert isinstance(sys.excepthook, app.ExceptionHook)
    assert threading.excepthook is not threading.__excepthook__


def test_no_display_gives_advice_instead_of_aborting(monkeypatch, capsys):
    monkeypatch.setattr(sys, "platform", "linux")
    for var in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(var, raising=False)
    assert app.main([]) == 1
    err = capsys.readouterr().err
    assert "no display" in err and "xvfb-run" in err and "--screenshot" in err


def test_screenshot_writes_a_1600_by_1000_png_that_is_not_blank(tmp_path):
    out = tmp_path / "shot.png"
    proc = subprocess.run(
        [sys.executable, "main.py", "--screenshot", str(out), "--set", "cell=lstm", "--set", "steps=12"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1600, 1000)
    small = image.scaled(160, 100).convertToFormat(QImage.Format.Format_RGB32)
    pixels = np.frombuffer(small.constBits(), dtype=np.uint32, count=160 * 100)
    assert len(np.unique(pixels)) > 200  # a real picture, not a flat fill


def test_screenshot_refuses_a_bad_value_with_exit_2(tmp_path):
    proc = subprocess.run(
        [sys.executable, "main.py", "--screenshot", str(tmp_path / "x.png"), "--set", "cell=transformer"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "cell must be one of rnn, lstm, gru, esn" in proc.stderr
    assert not (tmp_path / "x.png").exists()


def test_none_and_bools_survive_many_qt_calls(window):
    # PySide6 6.12 on CPython 3.11 drops a reference to None per call returning None (see ui/__init__.py)
    label = window.remedy_label  # a QLabel: setText is Qt's
    for _ in range(20_000):
        label.setText("x")
    assert sys.getrefcount(None) > 1_000_000


def test_default_scenario_makes_the_point():
    c = Config()
    assert c.cell == "rnn" and c.activation == "tanh" and c.topology == "many_to_one"
    assert 0.5 <= c.wrec <= 1.5 and 15 <= c.steps <= 40


def test_missing_x11_libraries_are_named_with_their_packages():
    out = (
        "\tlibQt6XcbQpa.so.6 => /x/libQt6XcbQpa.so.6 (0x1)\n"
        "\tlibxcb-icccm.so.4 => not found\n"
        "\tlibxkbcommon-x11.so.0 => not found\n"
        "\tlibxcb-icccm.so.4 => not found\n"
    )
    missing = app.parse_ldd_missing(out)
    assert missing == ["libxcb-icccm.so.4", "libxkbcommon-x11.so.0"]
    assert [app.debian_package(m) for m in missing] == ["libxcb-icccm4", "libxkbcommon-x11-0"]


def test_a_display_that_does_not_answer_gives_advice(monkeypatch, capsys):
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("DISPLAY", ":987")  # no X server there
    assert app.main([]) == 1
    err = capsys.readouterr().err
    assert "does not answer" in err and "xvfb-run" in err


def test_clip_by_value_and_penalty_toggles_reach_the_trace(qtbot):
    from ui.controls import ControlsPanel
    from ui.session import Session

    session = Session()
    panel = ControlsPanel(session)
    qtbot.addWidget(panel)
    panel.clip_value_box.setValue(0.01)
    panel.clip_value_check.setChecked(True)
    assert session.config.clip_value == 0.01
    assert abs(session.trace.grads["weight_hh_l0"]).max() <= 0.01
    panel.penalty_check.setChecked(True)
    assert session.config.penalty == 1.0
    assert session.trace.penalty_value > 0
    assert "Ω" in panel.remedy_effect.text()
    panel.cell_box.setCurrentIndex(panel.cell_box.findData("lstm"))  # the penalty is RNN-only: it goes off
    assert session.config.cell == "lstm" and session.config.penalty == 0.0
    assert not panel.penalty_check.isChecked()


def test_a_config_past_the_boxes_typing_range_shows_as_it_is(make_window, qtbot):
    from PySide6.QtCore import Qt

    from simulator.config import LIMITS, Config
    from ui.controls import UI_LIMITS

    hidden = UI_LIMITS["hidden"][1] + 72  # the engine runs it; the box offers less for typing
    assert hidden <= LIMITS["hidden"][1]
    window = make_window(Config(hidden=hidden))
    box = window.controls.boxes["hidden"]
    assert window.session.trace.dh[0].shape[-1] == hidden
    assert box.value() == hidden and box.text() == str(hidden)
    qtbot.keyClick(box, Qt.Key.Key_Down)  # stepping down from there works ...
    assert window.session.config.hidden == hidden - 1 and box.maximum() == hidden - 1
    box.selectAll()
    qtbot.keyClicks(box, str(hidden))  # ... typing keeps to the box's limits
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert window.session.config.hidden == hidden - 1
    assert f"between 1 and {UI_LIMITS['hidden'][1]}" in window.controls.message.text()


def test_the_remedy_numbers_read_the_same_in_the_controls_and_the_toolbar(make_window):
    """The gradient's norm and Ω in the same form and digits wherever they show: the controls
    wrote '‖∇θ‖ = 8.8e+03' (Python's e+03) and 'Ω = 9.41' where the toolbar wrote 8.8e3 and Ω 9.4."""
    import re

    from simulator.config import Config
    from ui.diagram import fmt

    window = make_window(Config(wrec=2.5, steps=60, clip=1.0, penalty=1.0))
    trace = window.session.trace
    assert trace.grad_norm > 1e3  # large enough for the scientific form
    note = window.controls.remedy_effect.text()
    status = window.remedy_label.text()
    assert not re.search(r"e[+−-]0|e\+", note + status), (note, status)
    for value in (trace.grad_norm, trace.penalty_value):
        assert fmt(value) in note, (fmt(value), note)
        assert fmt(value) in status, (fmt(value), status)


def test_a_frame_out_of_range_exits_2_naming_the_valid_range(tmp_path):
    """--frame 45 of 40 frames is refused, not wrapped to 5; -40 .. -1 still count from the end."""
    out = tmp_path / "x.png"
    args = [sys.executable, "main.py", "--screenshot", str(out), "--set", "steps=20"]
    for frame in ("45", "40", "-41"):
        proc = subprocess.run([*args, "--frame", frame], cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert proc.returncode == 2
        assert "--frame must be between 0 and 39" in proc.stderr and "-40 and -1" in proc.stderr
        assert f"got {frame}" in proc.stderr and not out.exists()
    proc = subprocess.run([*args, "--frame", "-1"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert out.exists()


def test_a_refusal_shows_in_view_under_its_box_when_the_panel_scrolls(make_window, qtbot, font_scale):
    """At a large font the panel scrolls: the message (at the panel's foot, far below the steps box)
    was out of view. It sits under the box and is scrolled into view, whole."""
    from PySide6.QtCore import QPoint, QRect, Qt

    font_scale(1.75)
    window = make_window(show=True)
    window.resize(1280, 720)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    area, controls = window.controls_scroll, window.controls
    qtbot.waitUntil(lambda: area.verticalScrollBar().maximum() > 0)  # the panel scrolls
    box = controls.boxes["steps"]
    box.setFocus()
    box.selectAll()
    qtbot.keyClicks(box, "-3")
    qtbot.keyClick(box, Qt.Key.Key_Return)
    msg, view = controls.message, area.viewport()

    def in_view(widget) -> bool:
        return view.rect().contains(QRect(view.mapFromGlobal(widget.mapToGlobal(QPoint(0, 0))), widget.size()))

    qtbot.waitUntil(lambda: in_view(msg) and in_view(box), timeout=2000)
    assert msg.text() == "steps T must be between 1 and 1000; -3 is refused"


@pytest.mark.parametrize("changes", [dict(), dict(hidden=1), dict(cell="lstm"), dict(activation="sigmoid")])
def test_the_controls_write_subscripts_as_subscripts(make_window, changes):
    """'σ_max(W_hh)' and 'h_{t−1}' are source notation: a label shows W<sub>hh</sub> typeset."""
    from PySide6.QtWidgets import QLabel

    window = make_window(Config(**changes))
    texts = [label.text() for label in window.controls.findChildren(QLabel) if label.text()]
    assert texts
    raw = [t for t in texts if any(s in t for s in ("_max", "W_hh", "h_{", "h_t"))]
    assert not raw, raw


@pytest.mark.parametrize("cell", ["rnn", "lstm"])  # an LSTM's longer panel scrolls: its scroll bar takes room
@pytest.mark.parametrize("topology", ["one_to_many", "many_to_one", "many_to_many"])
def test_each_topologys_example_is_one_line_at_the_default_size(make_window, qtbot, topology, cell):
    """The issue's 'one-line real example' under the topology: at 1600x1000 it does not wrap."""
    from windowtools import laid_out

    window = make_window(Config(topology=topology, cell=cell))
    laid_out(qtbot, window, 1600, 1000)
    label = window.controls.topology_example
    assert label.text() and label.isVisible()
    assert label.heightForWidth(label.width()) < 1.5 * label.fontMetrics().lineSpacing(), label.text()
