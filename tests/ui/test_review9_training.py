"""Review 9, the training lab: the verdict's colour follows the verdict; the lab fits a narrow dock at large type;
compare mode names the model each plot shows."""

from ui.training_view import TrainingPanel


def finish(qtbot, panel: TrainingPanel, timeout: int = 30_000) -> None:
    qtbot.waitUntil(lambda: panel.threads_alive == 0 and not panel._active(), timeout=timeout)


def tiny(panel: TrainingPanel, task: str, iterations: int, hidden: int = 4, batch: int = 4, **task_params):
    panel.set_task(task)
    for name, value in task_params.items():
        getattr(panel, name).setValue(value)
    panel.hidden.setValue(hidden)
    panel.batch.setValue(batch)
    panel.iterations.setValue(iterations)
    return panel


def in_success_colour(panel: TrainingPanel) -> bool:
    return panel.theme.colours.stable.lower() in panel.message.styleSheet().lower()


# ---- 1. the verdict's colour ---------------------------------------------------------------------------------
def test_a_run_that_did_not_learn_is_not_shown_in_the_success_colour(qtbot, make_panel):
    """'not learned yet (no better than the baseline)' was shown in green: show_message(..., 'ok') for any end."""
    panel = tiny(make_panel(), "adding", iterations=3, seq_len=8)
    assert panel.start()
    finish(qtbot, panel)
    assert not panel._learned(panel.last_updates[""].snapshot)
    assert "learned" in panel.message.text() and panel.message.property("kind") != "ok"
    assert not in_success_colour(panel)


def test_compare_runs_that_did_not_learn_are_not_shown_in_the_success_colour(qtbot, make_panel):
    panel = tiny(make_panel(), "adding", iterations=3, seq_len=8)
    panel.compare_check.setChecked(True)
    panel.preset_box.setCurrentIndex(0)  # tanh RNN vs LSTM
    assert panel.start()
    finish(qtbot, panel)
    assert "tanh RNN" in panel.message.text() and "LSTM" in panel.message.text()
    assert not any(panel._learned(panel.last_updates[k].snapshot) for k in ("A", "B"))
    assert not in_success_colour(panel)


def test_a_run_that_learned_is_shown_in_the_success_colour(qtbot, make_panel):
    panel = tiny(make_panel(), "sine", iterations=80, hidden=8, batch=16, seq_len=12)
    panel.lr.setValue(0.03)
    assert panel.start()
    finish(qtbot, panel)
    assert panel._learned(panel.last_updates[""].snapshot)  # the premise: this small run does learn
    assert ": learned." in panel.message.text() and in_success_colour(panel)
