"""Fixtures for the window tests: an isolated QSettings file and a window that is torn down cleanly."""

import gc

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QSettings

from simulator.config import Config
from ui.main_window import MainWindow
from ui.session import Session
from ui.training_view import TrainingPanel


@pytest.fixture(scope="session", autouse=True)
def collect_only_between_tests():
    """No automatic garbage collection while a test runs; a full collection between tests instead.

    An automatic collection can start inside any allocation, e.g. while PySide6 disconnects a
    signal and holds Qt's connection lock; if it then destroys a QObject that needs the same lock,
    the process hangs (seen once in a full run: test_export, building a figure). The app avoids
    it the same way (ui.app: collections only from a timer in the event loop).
    """
    was = gc.isenabled()
    gc.disable()
    yield
    if was:
        gc.enable()


@pytest.fixture(scope="session", autouse=True)
def freeze_start_up(qapp):
    """Move everything made so far (modules, Qt's wrappers, the application) out of the collector's
    sight: the full collection after each window test then walks only what the tests made."""
    gc.collect()
    gc.freeze()
    yield
    gc.unfreeze()


@pytest.fixture(scope="session", autouse=True)
def app_fonts_as_the_app_has_them(qapp):
    """The theme's fonts and palette in the application from the first test on, as ui.app installs them.

    Without it the first tests ran in Qt's default font and the later ones, once any test had changed
    the font scale and put it back, in the theme's: a fit measured in one failed in the other."""
    from ui import theme

    theme.current().apply()


@pytest.fixture(autouse=True)
def collect_after_each_test():
    """The young generations' collection the disabled collector would have made, at a safe point
    between tests (make_window's teardown makes the full one after deleting its windows)."""
    yield
    gc.collect(1)


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
    # delete the windows now, not at interpreter exit (PySide6 >= 6.10 can crash collecting them there)
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    for window in made:  # and their Python side at once: its many cycles made every later collection slower
        window.__dict__.clear()
    window = None  # (the loop variable no longer holds the last one; also bound when no window was made)
    made.clear()
    gc.collect()


@pytest.fixture
def window(make_window):
    """A window on the default scenario."""
    return make_window()


@pytest.fixture
def make_panel(qtbot):
    """Training panels on their own Session; each one is shut down (no thread left) and deleted at the end."""
    made = []

    def make(config: Config | None = None) -> TrainingPanel:
        panel = TrainingPanel(Session(config or Config()))
        qtbot.addWidget(panel)
        made.append(panel)
        return panel

    yield make
    for panel in made:
        panel.shutdown()
        assert panel.threads_alive == 0
        panel.close()
        panel.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()


@pytest.fixture
def font_scale():
    """Set the theme's font scale for a test (e.g. presentation mode's large type), and put it back."""
    from ui import theme

    t = theme.current()
    before = t.font_scale
    yield t.set_font_scale
    t.set_font_scale(before)


@pytest.fixture
def keep_theme():
    """Put the theme's scheme and font scale back after a test (presentation, renders and font changes set them)."""
    from ui import theme

    t = theme.current()
    scheme, scale = t.scheme, t.font_scale
    yield
    t = theme.current()
    t.set_scheme(scheme)
    t.set_font_scale(scale)
