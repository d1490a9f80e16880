"""Session.defer_measures (the interactive app): the views that read the Jacobian-product norms come
once the pool thread has measured them, and everything else is painted meanwhile."""

import threading

import numpy as np
import pytest

from simulator.config import Config, run
from simulator.spectral import pool


class PoolGate:
    """Keeps the engine's pool thread busy from hold() to release(), so a trace's norms are surely not there yet."""

    def __init__(self):
        self.gate = threading.Event()
        self.job = None

    def hold(self) -> None:
        started = threading.Event()

        def wait():
            started.set()
            self.gate.wait(10)

        self.job = pool().submit(wait)
        started.wait(5)

    def release(self) -> None:
        self.gate.set()


@pytest.fixture
def pool_gate():
    """hold() after the window is built (building it measures on the pool thread too)."""
    gate = PoolGate()
    yield gate
    gate.release()
    if gate.job is not None:
        gate.job.result(10)


def _measured(session) -> list:
    seen = []
    session.trace_measured.connect(seen.append)
    return seen


def _deferring(make_window):
    """A window whose Session defers trace_measured as the app does, and the list of what it emitted."""
    window = make_window(Config(steps=40))
    window.session.defer_measures = True
    return window, window.session, _measured(window.session)


def test_the_norms_views_follow_when_the_pool_is_done(make_window, qtbot, pool_gate):
    window, s, seen = _deferring(make_window)
    jacobian, gradient = window.plots.jacobian, window.plots.gradient
    old_norms = np.array(jacobian.y)

    pool_gate.hold()
    s.update(wrec=1.6)
    new = s.trace
    # trace_changed's views show the new trace at once ...
    np.testing.assert_array_equal(gradient.y, new.grad_norms)
    # ... the norms are still being measured: the Jacobian plot keeps the old ones until then
    assert s.measuring
    assert seen == []
    np.testing.assert_array_equal(jacobian.y, old_norms)

    pool_gate.release()
    qtbot.waitUntil(lambda: not s.measuring, timeout=5000)
    assert seen == [new]
    np.testing.assert_array_equal(jacobian.y, new.jacobian_norms)
    assert new.verdict.upper() in window.verdict_label.text()


def test_a_trace_replaced_while_measured_never_emits(make_window, qtbot, pool_gate):
    window, s, seen = _deferring(make_window)
    pool_gate.hold()
    s.update(wrec=0.5)
    first = s.trace
    s.update(wrec=2.0)  # a drag goes on before the first one's norms are there
    last = s.trace
    pool_gate.release()
    qtbot.waitUntil(lambda: not s.measuring, timeout=5000)
    qtbot.wait(50)  # the first trace's announcement, had it been made, would have arrived by now
    assert seen == [last]
    assert first is not last
    np.testing.assert_array_equal(window.plots.jacobian.y, last.jacobian_norms)


def test_finish_measuring_emits_at_once(make_window, pool_gate):
    window, s, seen = _deferring(make_window)
    pool_gate.hold()
    s.update(wrec=1.3)
    assert s.measuring
    threading.Timer(0.05, pool_gate.release).start()  # finish_measuring waits for the pool thread
    s.finish_measuring()
    assert not s.measuring
    assert seen == [s.trace]
    np.testing.assert_array_equal(window.plots.jacobian.y, s.trace.jacobian_norms)
    s.finish_measuring()  # nothing left to emit
    assert seen == [s.trace]


def test_without_deferring_the_norms_views_update_with_the_change(make_window):
    window = make_window(Config(steps=40))
    s = window.session
    assert not s.defer_measures  # the default: screenshots, renders and scripts see one finished state
    seen = _measured(s)
    s.update(wrec=1.7)
    assert not s.measuring
    assert seen == [s.trace]
    np.testing.assert_array_equal(window.plots.jacobian.y, s.trace.jacobian_norms)


def test_a_drag_drops_the_queued_jobs_of_the_traces_it_left(make_window, qtbot, pool_gate):
    """The pool thread takes jobs in order: stale ones still queued are cancelled, so the last trace's
    norms come first; a dropped trace still gives its norms if someone reads them."""
    _window, s, seen = _deferring(make_window)
    pool_gate.hold()
    left = []
    for w in (0.6, 0.9, 1.2):
        s.update(wrec=w)
        left.append(s.trace)
    last = left.pop()
    assert all(t.background.cancelled() for t in left)
    assert not last.background.cancelled()
    pool_gate.release()
    qtbot.waitUntil(lambda: not s.measuring, timeout=5000)
    assert seen == [last]
    fresh = run(s.config.replace(wrec=0.6))
    np.testing.assert_array_equal(left[0].jacobian_norms, fresh.jacobian_norms)  # computed when read


def test_norms_nearly_there_are_waited_for_so_the_window_paints_once(make_window, pool_gate, monkeypatch):
    """A small network's norms come about 1 ms after trace_changed's views are done: the Session waits
    for them (idle, up to MEASURE_WAIT) and emits trace_measured within the change, before any paint."""
    import ui.session as session_module

    window, s, seen = _deferring(make_window)
    monkeypatch.setattr(session_module, "MEASURE_WAIT", 5.0)  # the gate below opens well within it
    pool_gate.hold()
    threading.Timer(0.2, pool_gate.release).start()
    s.update(wrec=1.4)
    assert not s.measuring
    assert seen == [s.trace]  # no event loop ran in between: one paint shows it all
    np.testing.assert_array_equal(window.plots.jacobian.y, s.trace.jacobian_norms)


def test_norms_that_come_late_are_not_waited_for_until_they_come_in_time_again(
    make_window, qtbot, pool_gate, monkeypatch
):
    import ui.session as session_module

    _window, s, seen = _deferring(make_window)
    monkeypatch.setattr(session_module, "MEASURE_WAIT", 0.05)
    pool_gate.hold()
    s.update(wrec=1.4)  # waits 50 ms for nothing: the next change does not wait
    assert s.measuring and seen == [] and not s._wait_pays
    s.update(wrec=1.5)
    assert s.measuring and seen == []
    pool_gate.release()  # this one's norms now come at once after its views: waiting would have paid
    qtbot.waitUntil(lambda: not s.measuring, timeout=5000)
    assert seen == [s.trace] and s._wait_pays


@pytest.fixture
def norms_process_held():
    """The norms process, started, and a hold(): it takes requests and answers none until release()."""
    import os
    import signal

    from simulator import norms_process

    if not hasattr(os, "memfd_create"):
        pytest.skip("no memory files (not Linux)")
    norms_process.stop()
    process = norms_process.start()

    class Held:
        def hold(self):
            os.kill(process._process.pid, signal.SIGSTOP)

        def release(self):
            os.kill(process._process.pid, signal.SIGCONT)

    held = Held()
    yield held
    held.release()
    norms_process.stop()


def test_with_the_norms_process_the_norms_views_follow_when_it_is_done(make_window, qtbot, norms_process_held):
    window, s, seen = _deferring(make_window)
    jacobian = window.plots.jacobian
    old_norms = np.array(jacobian.y)
    norms_process_held.hold()
    s.update(wrec=1.6)
    first = s.trace
    s.update(wrec=0.7)  # a drag goes on before the first one's norms are there
    last = s.trace
    assert s.measuring and seen == []
    np.testing.assert_array_equal(jacobian.y, old_norms)
    norms_process_held.release()
    qtbot.waitUntil(lambda: not s.measuring, timeout=5000)
    qtbot.wait(50)  # the first trace's announcement, had it been made, would have arrived by now
    assert seen == [last]
    np.testing.assert_array_equal(jacobian.y, last.jacobian_norms)
    np.testing.assert_array_equal(last.jacobian_norms, run(s.config).jacobian_norms)
    np.testing.assert_array_equal(first.jacobian_norms, run(s.config.replace(wrec=1.6)).jacobian_norms)
    assert last.verdict.upper() in window.verdict_label.text()
