"""The transport: play runs the forward pass then BPTT and stops; steps; overflow; shortcuts."""

import pytest
from PySide6.QtCore import Qt

from simulator.config import Config
from ui.commands import COMMANDS


def test_play_runs_to_the_end_of_bptt_and_stops_its_timer(make_window, qtbot):
    window = make_window(Config(steps=6))
    player, s = window.player, window.session
    player.set_speed(120)
    window.actions["rewind"].trigger()
    assert s.frame == 0
    with qtbot.waitSignal(player.playing_changed, timeout=3000, check_params_cb=lambda on: not on):
        window.actions["play_pause"].trigger()
        assert player.playing and window.actions["play_pause"].text() == "Pause"
    assert s.frame == s.n_frames - 1 and s.phase_step() == ("backward", 0)
    assert not player.timer.isActive()
    assert window.actions["play_pause"].text() == "Play"


def test_add_and_remove_step_change_the_trace_and_the_diagram(window, qtbot):
    s = window.session
    T = s.trace.T
    diagram_before = window.diagram.grab().toImage()
    window.actions["add_step"].trigger()
    assert s.config.steps == T + 1 and s.trace.T == T + 1 and s.n_frames == 2 * (T + 1)
    assert window.timeline.maximum() == 2 * (T + 1) - 1
    assert len(window.plots.gradient.curve.yData) == T + 1
    if hasattr(window.diagram, "set_folded"):  # the real diagram, not the placeholder
        assert window.diagram.grab().toImage() != diagram_before
    window.actions["remove_step"].trigger()
    window.actions["remove_step"].trigger()
    assert s.trace.T == T - 1
    assert len(window.plots.states.image.image) == T - 1


def test_remove_step_stops_at_one(make_window):
    window = make_window(Config(steps=1))
    assert not window.actions["remove_step"].isEnabled()
    window.remove_step()
    assert window.session.config.steps == 1


def test_overflow_shows_the_banner_and_stops_the_animation(make_window, qtbot):
    window = make_window(show=True)
    assert not window.banner.isVisible()
    s, player = window.session, window.player
    s.update(hidden=1, activation="identity", wrec=10.0, steps=400)  # 10^t overflows float64 at t ~ 308
    nf = s.trace.nonfinite
    assert nf is not None and s.stop_frame is not None
    assert window.banner.isVisible()
    assert f"t = {nf.step}" in window.banner.label.text()
    assert "OVERFLOW" in window.verdict_label.text()
    assert window.plots.gradient.overflow.isVisible()
    player.set_speed(120)
    s.set_frame(s.stop_frame - 4)
    with qtbot.waitSignal(player.playing_changed, timeout=3000, check_params_cb=lambda on: not on):
        player.play()
    assert s.frame == s.stop_frame and not player.timer.isActive()
    window.actions["to_end"].trigger()
    assert s.frame == s.stop_frame  # End goes to the overflow, not past it
    s.update(wrec=0.9)
    assert not window.banner.isVisible()


def test_overflow_while_playing_pauses_there(make_window, qtbot):
    window = make_window(Config(hidden=1, activation="identity", wrec=1.0, steps=400))
    s, player = window.session, window.player
    s.set_frame(350)
    player.set_speed(120)
    player.play()
    s.update(wrec=10.0)  # the stop (t ~ 308) is now behind the playhead
    assert s.frame <= s.stop_frame
    qtbot.waitUntil(lambda: not player.playing, timeout=3000)
    assert s.frame == s.stop_frame


KEYS = {
    "play_pause": Qt.Key.Key_Space,
    "step_back": Qt.Key.Key_Left,
    "step_forward": Qt.Key.Key_Right,
    "rewind": Qt.Key.Key_Home,
    "to_end": Qt.Key.Key_End,
    "add_step": Qt.Key.Key_Plus,
    "remove_step": Qt.Key.Key_Minus,
    "full_screen": Qt.Key.Key_F11,
}


def test_every_command_has_one_action_shared_by_menus_and_toolbar(window):
    assert set(window.actions) == {c.id for c in COMMANDS}
    in_menus = {a for m in window.menus.values() for a in m.actions()}
    for c in COMMANDS:
        action = window.actions[c.id]
        if c.menu:
            assert action in in_menus
        if c.toolbar:
            assert action in window.toolbar.actions()
        assert action in window.actions.values()
    for cid, key in KEYS.items():
        assert any(seq[0].key() == key for seq in window.actions[cid].shortcuts()), cid


def test_shortcuts_drive_the_same_actions(make_window, qtbot):
    window = make_window(Config(steps=10), show=True)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    window.plots.gradient.setFocus()
    s, player = window.session, window.player
    fired = []
    for cid in KEYS:
        window.actions[cid].triggered.connect(lambda _=False, cid=cid: fired.append(cid))

    qtbot.keyClick(window, Qt.Key.Key_Home)
    assert s.frame == 0
    qtbot.keyClick(window, Qt.Key.Key_Right)
    qtbot.keyClick(window, Qt.Key.Key_Right)
    assert s.frame == 2
    qtbot.keyClick(window, Qt.Key.Key_Left)
    assert s.frame == 1
    qtbot.keyClick(window, Qt.Key.Key_Space)
    assert player.playing
    qtbot.keyClick(window, Qt.Key.Key_Space)
    assert not player.playing
    qtbot.keyClick(window, Qt.Key.Key_End)
    assert s.frame == s.n_frames - 1
    qtbot.keyClick(window, Qt.Key.Key_Plus)
    assert s.config.steps == 11
    qtbot.keyClick(window, Qt.Key.Key_Minus)
    assert s.config.steps == 10
    assert fired == ["rewind", "step_forward", "step_forward", "step_back", "play_pause", "play_pause",
                     "to_end", "add_step", "remove_step"]  # fmt: skip
    qtbot.keyClick(window, Qt.Key.Key_F11)
    qtbot.waitUntil(window.isFullScreen)
    qtbot.keyClick(window, Qt.Key.Key_F11)
    qtbot.waitUntil(lambda: not window.isFullScreen())
    assert fired[-2:] == ["full_screen", "full_screen"]


def test_fold_toggles_the_diagram(window):
    folded = []
    window.diagram.set_folded = folded.append  # the diagram's API (a stand-in while it may be missing)
    window.actions["fold"].trigger()
    window.actions["fold"].trigger()
    assert folded == [True, False]


def test_timeline_and_speed(window):
    window.timeline.setValue(3)
    assert window.session.frame == 3
    assert "forward" in window.phase_label.text()
    window.speed_box.setCurrentIndex(window.speed_box.count() - 1)
    fast = window.player.fps
    window.actions["slower"].trigger()
    assert window.player.fps == pytest.approx(fast / 2)


def test_changing_steps_keeps_the_playheads_place_in_the_story(qtbot):
    from simulator.config import Config
    from ui.session import Session

    session = Session(Config(steps=20))
    session.set_frame(session.n_frames - 1)  # the end of BPTT
    session.update(steps=50)
    assert session.phase_step() == ("backward", 0) and session.frame == session.n_frames - 1
    session.set_frame(session.frame_of("backward", 30))
    session.update(steps=40)
    assert session.phase_step() == ("backward", 30)
    session.set_frame(session.frame_of("forward", 35))
    session.update(steps=10)
    assert session.phase_step() == ("forward", 9)


def _shown_and_active(make_window, qtbot, config):
    window = make_window(config, show=True)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    return window


def test_enter_in_a_number_box_gives_the_shortcuts_back_at_once(make_window, qtbot):
    """The lecturer's case: Wrec 1.8, Enter, Space: nothing played until the box lost the keyboard.
    Enter (a good value) and Escape hand it to the diagram; while typing, the keys still edit."""
    window = _shown_and_active(make_window, qtbot, Config(steps=10))
    s, player, controls = window.session, window.player, window.controls
    s.set_frame(5)
    box = controls.wrec_box
    box.setFocus()
    box.selectAll()
    qtbot.keyClicks(box, "1")
    qtbot.keyClick(box, Qt.Key.Key_Home)  # inside the box the keys edit: Home goes to the text's start
    qtbot.keyClick(box, Qt.Key.Key_Right)
    qtbot.keyClicks(box, ".8")
    assert box.text() == "1.8" and s.frame == 5 and s.config.wrec == 1.0
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert s.config.wrec == 1.8 and window.diagram.hasFocus()
    qtbot.keyClick(window, Qt.Key.Key_Space)
    assert player.playing
    qtbot.keyClick(window, Qt.Key.Key_Space)
    assert not player.playing

    steps = controls.boxes["steps"]  # Escape: the old value back, nothing applied, the keyboard back
    steps.setFocus()
    steps.selectAll()
    qtbot.keyClicks(steps, "33")
    qtbot.keyClick(steps, Qt.Key.Key_Escape)
    assert s.config.steps == 10 and steps.text() == "10" and window.diagram.hasFocus()
    qtbot.keyClick(window, Qt.Key.Key_Home)
    assert s.frame == 0
    qtbot.keyClick(window, Qt.Key.Key_Plus)
    assert s.config.steps == 11

    steps.setFocus()  # a refused value keeps the keyboard in its box: the user corrects it
    steps.selectAll()
    qtbot.keyClicks(steps, "-3")
    qtbot.keyClick(steps, Qt.Key.Key_Return)
    assert steps.hasFocus() and s.config.steps == 11 and controls.message.isVisible()


def test_steps_have_one_limit_everywhere(make_window, qtbot):
    """The command line allowed 1000 steps, the steps box and + / − step only 500: − step from 800
    said 'steps T must stay between 1 and 500' and left T at 800."""
    from simulator.config import LIMITS

    lo, hi = LIMITS["steps"]
    window = _shown_and_active(make_window, qtbot, Config(steps=800))
    s, box = window.session, window.controls.boxes["steps"]
    window.diagram.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_Minus)
    assert s.config.steps == 799 and box.value() == 799
    window.actions["remove_step"].trigger()
    assert s.config.steps == 798
    box.setFocus()
    box.selectAll()
    qtbot.keyClicks(box, str(hi))  # the box takes the same highest T ...
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert s.config.steps == hi and s.trace.T == hi
    assert not window.actions["add_step"].isEnabled()
    window.add_step()  # ... + step stops there ...
    assert s.config.steps == hi and f"between {lo} and {hi}" in window.statusBar().currentMessage()
    box.setFocus()
    box.selectAll()
    qtbot.keyClicks(box, str(hi + 1))  # ... and one more is refused by the box, by --set and by a scenario file
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert s.config.steps == hi and f"between {lo} and {hi}; {hi + 1} is refused" in window.controls.message.text()
    assert Config().with_text("steps", str(hi)).steps == hi
    with pytest.raises(ValueError, match=f"between {lo} and {hi}"):
        Config().with_text("steps", str(hi + 1))
    from simulator.scenario import FORMAT, VERSION, Scenario

    doc = {"format": FORMAT, "version": VERSION, "config": {"steps": hi}}
    assert Scenario.from_dict(doc).config.steps == hi
    with pytest.raises(ValueError, match=f"between {lo} and {hi}"):
        Scenario.from_dict({**doc, "config": {"steps": hi + 1}})


def test_help_lists_every_shortcut_from_the_commands(window, qtbot):
    """Help had only 'About': the keys were in the menus and tooltips but nowhere together. Help > Keyboard
    shortcuts (F1) lists every command that has keys, with the keys its action holds."""
    import re

    from PySide6.QtGui import QKeySequence
    from PySide6.QtWidgets import QMessageBox

    from ui.commands import COMMANDS, shortcuts_html

    table = shortcuts_html(window.actions)
    listed = re.sub("<[^>]+>", "|", table)
    for c in COMMANDS:
        for key in window.actions[c.id].shortcuts():
            assert key.toString(QKeySequence.SequenceFormat.NativeText) in listed, c.id
    for key in ("Space", "F11", "Home", "End", "Left", "Right"):
        assert key in listed
    window.actions["shortcuts"].trigger()
    boxes = [b for b in window.findChildren(QMessageBox) if b.isVisible()]
    assert boxes and "Play" in boxes[-1].text()
    boxes[-1].close()
