"""Start the window, or render it to a PNG: `python main.py [FILE] [--screenshot out.png] [--set key=value ...]`.

main(argv) returns the process's exit code: 0 on success, 2 for an unknown key or a bad value
(with a message naming it), 1 when no display is available for a window (with what to do).
"""

from __future__ import annotations

import argparse
import gc
import os
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path

from simulator import norms_process
from simulator.config import KEYS, Config

SCREENSHOT_SIZE = (1600, 1000)
START = time.perf_counter()


class UsageError(Exception):
    """A command line we refuse, with the message to print."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    """The command line of the window."""
    p = _Parser(prog="python main.py", description="Unrolled: a visual simulator for recurrent neural networks.")
    w, h = SCREENSHOT_SIZE
    p.add_argument("scenario", nargs="?", metavar="FILE", help="open a scenario file saved by Unrolled (File > Save)")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help=f"set a configuration key ({', '.join(KEYS)}); repeat for more",
    )
    p.add_argument("--screenshot", metavar="OUT.png", help=f"render the window offscreen at {w}x{h} to a PNG, exit")
    p.add_argument(
        "--frame",
        type=int,
        default=None,
        help="playhead for the screenshot: 0 .. 2T-1 (forward, then BPTT); negative counts from the end",
    )
    p.add_argument("--theme", choices=("system", "light", "dark", "contrast"), default=None, help="colour scheme")
    p.add_argument("--font-scale", type=float, default=None, help="scale every font (e.g. 1.5 for a lecture hall)")
    p.add_argument("--exit-when-shown", action="store_true", help=argparse.SUPPRESS)  # for the start-up benchmark
    return p


def parse_config(items: list[str]) -> Config:
    """A Config from `key=value` strings (ValueError with a message naming the key)."""
    config = Config()
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"--set needs key=value; got {item!r}")
        config = config.with_text(key.strip(), value)
    return config


def display_problem() -> str:
    """Why a window cannot open here, or '' when it can (Linux only; elsewhere Qt knows best)."""
    if not sys.platform.startswith("linux"):
        return ""
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if platform and not platform.startswith(("xcb", "wayland")):
        return ""  # offscreen, vnc, eglfs ...: the user chose
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        return (
            "no display found (neither DISPLAY nor WAYLAND_DISPLAY is set), so the window cannot open.\n"
            "  Run it under a virtual display:   xvfb-run -a python main.py\n"
            "  or render a picture instead:       python main.py --screenshot out.png [--set key=value ...]"
        )
    if not platform.startswith("wayland") and not os.environ.get("WAYLAND_DISPLAY"):
        display = os.environ.get("DISPLAY", "")
        if not x_display_reachable(display):
            return (
                f"the X display {display!r} does not answer, so the window cannot open.\n"
                "  Run it under a virtual display:   xvfb-run -a python main.py\n"
                "  or render a picture instead:       python main.py --screenshot out.png"
            )
        missing = missing_xcb_libraries()
        if missing:
            packages = " ".join(debian_package(lib) for lib in missing)
            return (
                f"Qt's X11 plugin cannot load: {', '.join(missing)} not installed.\n"
                f"  Install:   sudo apt-get install {packages}   (or run `make run`, which does it)\n"
                "  or render a picture instead:   python main.py --screenshot out.png"
            )
    return ""


def x_display_reachable(display: str) -> bool:
    """Whether an X server answers at DISPLAY (':1', 'unix:1', 'host:10.0'); True when unsure."""
    import socket

    host, sep, rest = display.rpartition(":")
    if not sep:
        return False
    try:
        number = int(rest.split(".")[0])
    except ValueError:
        return True  # a form we do not know: let Qt try
    if host in ("", "unix"):
        path = f"/tmp/.X11-unix/X{number}"
        if not os.path.exists(path):
            return host == "" and _tcp_open("localhost", 6000 + number)
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(1.0)
                sock.connect(path)
            return True
        except OSError:
            return False
    if host.startswith("/"):  # macOS XQuartz launchd sockets
        return os.path.exists(display)
    return _tcp_open(host, 6000 + number)


def _tcp_open(host: str, port: int) -> bool:
    import socket

    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def missing_xcb_libraries() -> list[str]:
    """System libraries Qt's xcb platform plugin needs and cannot find (by `ldd`; [] if unsure)."""
    try:
        import PySide6

        plugin = Path(PySide6.__file__).parent / "Qt" / "plugins" / "platforms" / "libqxcb.so"
        if not plugin.exists():
            return []
        out = subprocess.run(["ldd", str(plugin)], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return parse_ldd_missing(out)


def parse_ldd_missing(ldd_output: str) -> list[str]:
    """The 'lib....so.N => not found' names in ldd's output, once each, in order."""
    missing: list[str] = []
    for line in ldd_output.splitlines():
        if "not found" in line:
            name = line.split("=>")[0].strip()
            if name and name not in missing:
                missing.append(name)
    return missing


def debian_package(soname: str) -> str:
    """Debian's usual package for a library: libxcb-icccm.so.4 -> libxcb-icccm4, libfoo-x11.so.0 -> libfoo-x11-0."""
    base, _, version = soname.partition(".so.")
    version = version.split(".")[0]
    return f"{base}-{version}" if base[-1:].isdigit() else f"{base}{version}"


class ExceptionHook:
    """sys.excepthook (and threading.excepthook): print the traceback, show it in a dialog, keep running.

    An exception in a worker thread is handed to the GUI thread through a queued signal, since
    only that thread may open a dialog.
    """

    def __init__(self, interactive: bool = True):
        self.interactive = interactive
        self.dialogs: list = []
        self.last_message = ""
        self._relay = None
        if interactive:
            from PySide6.QtCore import QObject, Signal

            class Relay(QObject):
                raised = Signal(str, str)

            self._relay = Relay()  # lives in the GUI thread: its slot runs there
            self._relay.raised.connect(self.show_dialog)

    def install(self) -> None:
        """Become sys.excepthook and threading.excepthook."""
        sys.excepthook = self
        threading.excepthook = lambda args: self(args.exc_type, args.exc_value, args.exc_traceback)

    def __call__(self, etype, value, tb) -> None:
        text = "".join(traceback.format_exception(etype, value, tb))
        print(text, file=sys.stderr, end="")
        if issubclass(etype, KeyboardInterrupt):
            from PySide6.QtWidgets import QApplication

            QApplication.quit()
            return
        self.last_message = f"{etype.__name__}: {value}"
        if not self.interactive:
            return
        if threading.current_thread() is threading.main_thread():
            self.show_dialog(self.last_message, text)
        elif self._relay is not None:
            self._relay.raised.emit(self.last_message, text)

    def show_dialog(self, message: str, details: str):
        """A non-blocking dialog (at most three at once, so a storm of errors stays usable)."""
        import shiboken6
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QApplication, QMessageBox

        self.dialogs = [d for d in self.dialogs if shiboken6.isValid(d) and d.isVisible()]
        if QApplication.instance() is None or len(self.dialogs) >= 3:
            return None
        box = QMessageBox(QMessageBox.Icon.Critical, "Something went wrong", message)
        box.setInformativeText("Unrolled keeps running; you can carry on. The details can go in a bug report.")
        box.setDetailedText(details)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setWindowModality(Qt.WindowModality.NonModal)
        box.show()
        self.dialogs.append(box)
        return box


def after_first_paint(window, callback):
    """Call back once the window's first paint has been drawn and flushed; returns the watcher (keep it)."""
    from PySide6.QtCore import QEvent, QObject, QTimer

    class FirstPaint(QObject):
        def eventFilter(self, obj, event) -> bool:
            if obj is window and event.type() == QEvent.Type.Paint:
                window.removeEventFilter(self)
                QTimer.singleShot(0, callback)  # after this paint pass (the children's paints and the flush)
            return False

    watcher = FirstPaint(window)
    window.installEventFilter(watcher)
    return watcher


def render_screenshot(window, path: str, size: tuple[int, int] = SCREENSHOT_SIZE) -> bool:
    """Lay the window out at a fixed size, render it and save a PNG; True on success."""
    from PySide6.QtWidgets import QApplication

    window.resize(*size)
    window.show()
    for _ in range(3):
        QApplication.processEvents()
    pixmap = window.grab()
    if pixmap.width() != size[0] or pixmap.height() != size[1]:
        pixmap = pixmap.scaled(*size)
    return pixmap.save(path, "PNG")


def main(argv: list[str] | None = None) -> int:
    """Run the window (or the screenshot) and return the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = build_parser().parse_args(argv)
        config = parse_config(args.set)
        if args.font_scale is not None and not 0.5 <= args.font_scale <= 3:
            raise ValueError(f"--font-scale must be between 0.5 and 3; got {args.font_scale:g}")
        scenario = None
        if args.scenario:
            if args.set:
                raise ValueError("--set cannot be combined with a scenario file (the file holds the configuration)")
            from simulator.scenario import load_scenario

            scenario = load_scenario(args.scenario)  # ValueError with a clear message if refused
            config = scenario.config
    except (UsageError, ValueError) as exc:
        print(f"unrolled: {exc}", file=sys.stderr)
        return 2
    except SystemExit as exc:  # --help
        return int(exc.code or 0)

    if args.screenshot:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    else:
        problem = display_problem()
        if problem:
            print(f"unrolled: {problem}", file=sys.stderr)
            return 1

    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from . import theme
    from .main_window import MainWindow
    from .session import Session

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName("Unrolled")
    app.setApplicationName("Unrolled")
    ExceptionHook(interactive=not args.screenshot).install()
    theme.install(args.theme or "system", args.font_scale or 1.0)
    session = Session(config)
    if args.frame is not None and not -session.n_frames <= args.frame < session.n_frames:
        last = session.n_frames - 1
        print(
            f"unrolled: --frame must be between 0 and {last} (forward t = 0..{session.trace.T - 1}, then BPTT), "
            f"or between -{last + 1} and -1 counting from the end; got {args.frame}",
            file=sys.stderr,
        )
        return 2

    if args.screenshot:
        if args.theme is None:
            theme.current().set_scheme("light")  # the same picture on every machine
        window = MainWindow(session, settings=None)
        if scenario is not None:
            window.files.open_scenario(scenario, args.scenario)
        if args.frame is not None:
            session.set_frame(args.frame % session.n_frames)  # -1 is the last frame
        ok = render_screenshot(window, args.screenshot)
        window.close()
        window.deleteLater()
        app.processEvents()
        if not ok:
            print(f"unrolled: could not write {args.screenshot}", file=sys.stderr)
            return 1
        print(f"wrote {args.screenshot} ({SCREENSHOT_SIZE[0]}x{SCREENSHOT_SIZE[1]})")
        return 0

    # interactive: a Wrec drag paints the other views while the norms are measured, in a process
    # of their own where it can run (else on the pool thread)
    session.defer_measures = True
    norms_process.start()
    window = MainWindow(session, settings=None if args.exit_when_shown else QSettings())
    window.files.ask_unsaved = not args.exit_when_shown  # unsaved changes: Save / Discard / Cancel
    if scenario is not None:
        window.files.open_scenario(scenario, args.scenario)
    if args.theme is not None:
        theme.current().set_scheme(args.theme)
    if args.font_scale is not None:
        theme.current().set_font_scale(args.font_scale)
    if args.exit_when_shown:  # for the start-up benchmark: report once the window has been painted

        def shown():
            print(f"shown {time.perf_counter() - START:.3f} cpu {time.process_time():.3f}", flush=True)
            window.close()
            app.quit()

        watcher = after_first_paint(window, shown)
    window.show()
    # the window's objects live as long as the app: keep them out of the garbage collector's full passes
    # (each walked all of them: ~35 ms, a visible stall every few dozen animation frames or Wrec steps)
    gc.freeze()
    # and collect only from a timer in the event loop: an automatic collection can start inside
    # any allocation, e.g. while PySide6 holds Qt's connection lock during a disconnect, and a
    # QObject destroyed there waits for that lock forever (pyqtgraph's remedy for the same hazard)
    from pyqtgraph.util.garbage_collector import GarbageCollector  # (pyqtgraph is loaded by now)

    collector = GarbageCollector(interval=1.0)
    code = app.exec()
    collector.timer.stop()
    if args.exit_when_shown:
        window.removeEventFilter(watcher)
    window.deleteLater()
    app.processEvents()
    return code
