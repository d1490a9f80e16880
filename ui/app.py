"""Start the window, or render it to a PNG: `python main.py [--screenshot out.png] [--set key=value ...]`.

main(argv) returns the process's exit code: 0 on success, 2 for an unknown key or a bad value
(with a message naming it), 1 when no display is available for a window (with what to do).
"""

from __future__ import annotations

import argparse
import ctypes.util
import os
import sys
import time
import traceback

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
    p.add_argument("--theme", choices=("system", "light", "dark"), default=None, help="colour scheme")
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
        if ctypes.util.find_library("xcb-cursor") is None:
            return (
                "Qt's X11 plugin needs libxcb-cursor0, which is not installed.\n"
                "  Install it:   sudo apt-get install libxcb-cursor0   (or run `make run`, which checks)\n"
                "  or render a picture instead:   python main.py --screenshot out.png"
            )
    return ""


class ExceptionHook:
    """sys.excepthook: print the traceback and show it in a dialog; the app keeps running."""

    def __init__(self, interactive: bool = True):
        self.interactive = interactive
        self.dialogs: list = []
        self.last_message = ""

    def __call__(self, etype, value, tb) -> None:
        text = "".join(traceback.format_exception(etype, value, tb))
        print(text, file=sys.stderr, end="")
        if issubclass(etype, KeyboardInterrupt):
            from PySide6.QtWidgets import QApplication

            QApplication.quit()
            return
        self.last_message = f"{etype.__name__}: {value}"
        if self.interactive:
            self.show_dialog(self.last_message, text)

    def show_dialog(self, message: str, details: str):
        """A non-blocking dialog (at most three at once, so a storm of errors stays usable)."""
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QApplication, QMessageBox

        self.dialogs = [d for d in self.dialogs if d.isVisible()]
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

    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from . import theme
    from .main_window import MainWindow
    from .session import Session

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName("Unrolled")
    app.setApplicationName("Unrolled")
    hook = ExceptionHook(interactive=not args.screenshot)
    sys.excepthook = hook
    theme.install(args.theme or "system", args.font_scale or 1.0)
    session = Session(config)

    if args.screenshot:
        if args.theme is None:
            theme.current().set_scheme("light")  # the same picture on every machine
        window = MainWindow(session, settings=None)
        if args.frame is not None:
            session.set_frame(args.frame % session.n_frames)
        ok = render_screenshot(window, args.screenshot)
        window.close()
        window.deleteLater()
        app.processEvents()
        if not ok:
            print(f"unrolled: could not write {args.screenshot}", file=sys.stderr)
            return 1
        print(f"wrote {args.screenshot} ({SCREENSHOT_SIZE[0]}x{SCREENSHOT_SIZE[1]})")
        return 0

    window = MainWindow(session, settings=None if args.exit_when_shown else QSettings())
    if args.theme is not None:
        theme.current().set_scheme(args.theme)
    if args.font_scale is not None:
        theme.current().set_font_scale(args.font_scale)
    window.show()
    if args.exit_when_shown:

        def shown():
            print(f"shown {time.perf_counter() - START:.3f}", flush=True)
            window.close()
            app.quit()

        QTimer.singleShot(0, shown)
    code = app.exec()
    window.deleteLater()
    app.processEvents()
    return code
