"""Qt paints on the GUI thread: its pool of painting threads is off (QT_NO_GUI_THREADPOOL, set by ui/__init__).

With the pool on, Qt hands a translucent fill of more than about a hundred rows to worker threads
and waits for them; on a two-core machine that made a shade over a plot strip five times slower.
"""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import ui

ROOT = Path(__file__).resolve().parents[2]

# paint a tall translucent fill and report how many OS threads the process has before and after
PROBE = textwrap.dedent(
    """
    import os, sys
    sys.path.insert(0, sys.argv[1])
    if sys.argv[2] == "ui":
        import ui  # noqa: F401
    from PySide6.QtCore import QRectF
    from PySide6.QtGui import QColor, QGuiApplication, QImage, QPainter
    app = QGuiApplication([])
    image = QImage(400, 1000, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(QColor("white"))
    before = len(os.listdir("/proc/self/task"))
    painter = QPainter(image)
    for _ in range(20):
        painter.fillRect(QRectF(10.5, 10.5, 300.0, 900.0), QColor(20, 40, 200, 60))
    painter.end()
    print(before, len(os.listdir("/proc/self/task")))
    """
)


def _threads(mode: str) -> tuple[int, int]:
    env = {k: v for k, v in os.environ.items() if k != "QT_NO_GUI_THREADPOOL"}
    env["QT_QPA_PLATFORM"] = "offscreen"
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(ROOT), mode], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    before, after = (int(n) for n in out.stdout.split())
    return before, after


def test_importing_ui_turns_off_qts_painting_threads():
    assert os.environ.get("QT_NO_GUI_THREADPOOL") == "1"
    assert ui.NONE_KEPT_ALIVE or sys.version_info >= (3, 12)
    before, after = _threads("ui")
    assert after == before  # the fills were painted on this thread: no worker was started


def test_without_it_qt_starts_painting_threads():
    """The probe can tell: without the variable Qt starts workers for the same fills."""
    if not Path("/proc/self/task").exists() or (os.cpu_count() or 1) < 2:
        pytest.skip("Qt uses no pool on one core, and the count needs Linux's /proc")
    before, after = _threads("bare")
    assert after > before
