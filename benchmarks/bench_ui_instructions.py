"""Instructions the window's views execute per animation frame and per Wrec step, counted by valgrind.

    python benchmarks/bench_ui_instructions.py            # all six counts (about 6 minutes; part of make bench)
    python benchmarks/bench_ui_instructions.py lstm bptt  # one of them (CELL frame|bptt|wrec)

This virtual machine's speed swings up to 2x within minutes, so bench_ui's milliseconds can't
tell a 10% change from noise; instruction counts can. Each count runs the window (offscreen,
1600x1000, T = 100, hidden 32, light theme) under valgrind's callgrind, collecting only inside
the measured loop:

- frame: 20 animation frames (t = 41 ... 60 of the forward pass), each a frame change and its repaint;
- bptt: 20 animation frames of BPTT (t = 58 ... 39): the gradient drawn too, and the eigenvalue
  plot's step circle and note;
- wrec: 20 Wrec steps from 0.8 to 1.2 with their traces (and diagnostics) computed beforehand, as
  bench_ui's "views only": every view's update and repaint, no engine.

Needs valgrind (Debian: apt install valgrind). Prints million instructions per frame or step.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STEPS = 20
NAMES = {"frame": "animation frame, forward", "bptt": "animation frame, BPTT"}
CASES = (("rnn", "frame"), ("lstm", "frame"), ("rnn", "bptt"), ("lstm", "bptt"), ("rnn", "wrec"), ("lstm", "wrec"))


def measured_loop(cell: str, what: str) -> None:
    """Lay the window out, then run the measured steps inside functools.reduce (callgrind's toggle)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import gc

    import numpy as np
    from PySide6.QtWidgets import QApplication

    import ui.session as session_module
    from simulator.config import Config, run
    from ui import theme
    from ui.main_window import MainWindow
    from ui.session import Session

    app = QApplication.instance() or QApplication([])
    theme.install("light")
    window = MainWindow(Session(Config(cell=cell, steps=100, hidden=32)), settings=None)
    window.resize(1600, 1000)
    window.show()
    for _ in range(6):
        app.processEvents()
    session = window.session

    def settle() -> None:
        app.processEvents()
        app.processEvents()

    if what == "wrec":
        wrecs = [round(float(w), 3) for w in np.linspace(0.8, 1.2, STEPS + 1)]
        ready = {}
        for w in wrecs:
            trace = ready[session.config.replace(wrec=w)] = run(session.config.replace(wrec=w))
            trace.diagnose()
        session_module.run = ready.__getitem__
        session.update(wrec=wrecs[0])
        settle()

        def step(acc, w):
            session.update(wrec=w)
            settle()
            return acc

        items = wrecs[1:]
    else:
        first = 41 if what == "frame" else 141  # forward t = 41 ..., or BPTT t = 58 ... (T = 100)
        session.set_frame(first - 1)
        settle()

        def step(acc, frame):
            session.set_frame(frame)
            settle()
            return acc

        items = list(range(first, first + STEPS))
    gc.collect()
    gc.freeze()
    gc.disable()
    functools.reduce(step, items, 0)  # callgrind collects inside this call only
    window.close()
    os._exit(0)  # no teardown to count or to crash in


def count(cell: str, what: str) -> float:
    """Million instructions per frame or Wrec step (valgrind must be installed)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        cmd = [
            "valgrind",
            "--tool=callgrind",
            "--collect-atstart=no",
            "--toggle-collect=functools_reduce",
            f"--callgrind-out-file={out}",
            sys.executable,
            __file__,
            "--loop",
            cell,
            what,
        ]
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
        found = re.search(r"Collected : (\d+)", proc.stderr)
        if not found:
            raise RuntimeError(f"valgrind gave no count for {cell} {what}:\n{proc.stderr[-2000:]}")
        return int(found.group(1)) / STEPS / 1e6


def main(argv: list[str] | None = None) -> int:
    """Print the counts (all four, or the one named in argv: CELL frame|wrec)."""
    argv = [] if argv is None else argv
    if argv[:1] == ["--loop"]:
        measured_loop(argv[1], argv[2])
        return 0
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (Debian: apt install valgrind): no instruction counts")
        return 0
    cases = [tuple(argv[:2])] if len(argv) >= 2 else CASES
    print(f"Million instructions of the views, per step ({STEPS} steps under callgrind; T = 100, hidden 32)")
    print("| cell | step | million instructions |")
    print("|---|---|---|")
    for cell, what in cases:
        name = NAMES.get(what, "Wrec step (views only)")
        print(f"| {cell} | {name} | {count(cell, what):.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
