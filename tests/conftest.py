"""Test set-up: headless Qt before anything imports it, and the repository on sys.path."""

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def pytest_sessionfinish(session, exitstatus):
    """Remember the run's exit status for pytest_unconfigure."""
    session.config._unrolled_exit_status = int(exitstatus)


def pytest_unconfigure(config):
    """Tear Qt down before the interpreter does, then leave with pytest's own exit status.

    PySide6 >= 6.10 can crash (SIGSEGV, exit 139) while the interpreter finalises wrapped
    widgets and pyqtgraph items after the last test has passed and the summary is printed.
    Closing and deleting every top-level widget first, and then skipping interpreter
    finalisation, keeps the exit status the one pytest reported.
    """
    status = getattr(config, "_unrolled_exit_status", None)
    if "PySide6.QtWidgets" in sys.modules:
        import gc

        from PySide6.QtCore import QCoreApplication, QEvent
        from PySide6.QtWidgets import QApplication

        app = QApplication.instance()
        if app is not None:
            for widget in app.topLevelWidgets():
                widget.close()
                widget.deleteLater()
            QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
            gc.collect()
    if status is not None:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
