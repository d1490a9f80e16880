"""Helpers the window tests share (imported by name: pytest puts this folder on sys.path, as for simref)."""

from PySide6.QtCore import QCoreApplication, QEvent


def laid_out(qtbot, window, width: int = 1600, height: int = 1000) -> None:
    """Show the window at a size and let its layouts settle (three rounds: docks and plots size in turn)."""
    window.show()
    qtbot.waitExposed(window)
    window.resize(width, height)
    for _ in range(3):
        QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
        qtbot.wait(20)
