"""Fixtures for the window tests: an isolated QSettings file and a window that is torn down cleanly."""

import gc

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QSettings

from simulator.config import Config
from ui.main_window import MainWindow
from ui.session import Session


@pytest.fixture
def settings(tmp_path):
    """A QSettings file of this test's own (never the user's)."""
    return QSettings(str(tmp_path / "unrolled.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def make_window(qtbot, settings):
    """Build windows on a config; every one is paused and closed at the end."""
    made = []

    def make(config: Config | None = None, show: bool = False) -> MainWindow:
        window = MainWindow(Session(config or Config()), settings=settings)
        qtbot.addWidget(window)
        made.append(window)
        if show:
            window.show()
            qtbot.waitExposed(window)
        return window

    yield make
    for window in made:
        window.player.pause()
        window.controls.wrec_throttle.timer.stop()
        window.close()
        assert not window.player.timer.isActive()
        window.deleteLater()
    made.clear()
    # delete the windows now, not at interpreter exit (PySide6 >= 6.10 can crash collecting them there)
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()


@pytest.fixture
def window(make_window):
    """A window on the default scenario."""
    return make_window()
