"""A window (or panel) deleted while it still has a deferred call queued is freed, not kept alive.

PySide6 6.12 keeps the bound method given to QTimer.singleShot(0, context, self.method) when the
context object is deleted before the timer fires, and with it the whole window: every later window
test then paid for the dead window's objects in each garbage collection. A lambda is dropped with
its context."""

import gc
import weakref

from PySide6.QtCore import QCoreApplication, QEvent

from simulator.config import Config
from ui import theme
from ui.main_window import MainWindow
from ui.session import Session
from ui.training_view import TrainingPanel


def _deleted_and_collected(obj) -> weakref.ref:
    """Delete a QObject (closing it first if it is a widget) and collect; a weak reference to its wrapper."""
    ref = weakref.ref(obj)
    if hasattr(obj, "close"):
        obj.close()
    obj.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    del obj
    gc.collect()
    return ref


def test_a_window_deleted_after_a_font_change_is_freed(qtbot, settings, keep_theme):
    window = MainWindow(Session(Config()), settings=settings)
    window.show()
    qtbot.waitExposed(window)
    window.player.pause()
    theme.current().set_font_scale(1.25)  # queues the right column's fit to the new font
    ref = _deleted_and_collected(window)
    del window
    gc.collect()
    assert ref() is None, "the deleted window is still referenced: " + repr(
        [type(r).__name__ for r in gc.get_referrers(ref())][:8]
    )


def test_a_training_panel_shown_and_deleted_at_once_is_freed(qtbot):
    panel = TrainingPanel(Session(Config()))
    panel.show()  # queues its splitter's fit
    panel.shutdown()
    ref = _deleted_and_collected(panel)
    del panel
    gc.collect()
    assert ref() is None


def test_soon_calls_once_back_in_the_event_loop_and_never_on_a_deleted_object(qtbot):
    from PySide6.QtCore import QObject

    from ui.soon import soon

    calls = []

    class Owner(QObject):
        def note(self, value, twice=False):
            calls.append((value, twice))

    kept, dropped = Owner(), Owner()
    soon(kept.note, 1, twice=True)
    soon(dropped.note, 2)
    assert calls == []  # not at once
    ref = _deleted_and_collected(dropped)
    del dropped
    gc.collect()
    assert ref() is None  # the pending call does not keep it
    qtbot.wait(20)
    assert calls == [(1, True)]
