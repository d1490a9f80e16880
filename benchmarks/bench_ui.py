"""UI speed: a Wrec change redrawn everywhere, an animation frame, and the time to a shown window.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_ui.py

Targets (issue 3): a Wrec change to all plots redrawn, median <= 16 ms for T = 100, hidden 32, RNN
and LSTM; an animation frame <= 5 ms at T = 100; `python main.py` to a shown window <= 1.5 s.
The window is laid out at 1600 x 1000 offscreen and every measurement includes the repaint:
after the change the event loop runs twice (`settle`), since a paint can schedule another one
(e.g. a relayout) that a single `processEvents` would leave to the next sample. "views only"
makes the same kind of Wrec changes with their traces computed beforehand, so it is the cost of
the view updates alone; "engine" is run(config) plus the lazy diagnostics the views read.
The measurements take turns over three rounds, so that a swing in the machine's speed falls on
all of them alike.
The "own" column is the GUI thread's own time: its wall time minus the time it sat ready to run
while every core was busy with other threads (Linux's /proc/thread-self/schedstat), so its CPU
time plus its waits: idle for the pool thread's Jacobian-product norms, and blocked on the GIL
while the pool thread holds it. The user waits for all of these. It leaves out most of what other
processes cost, not all: the queueing counted out includes waiting behind this process's own pool
thread when all cores are taken, and an idle wait for a pool thread that is itself queued behind
other processes stays in. On an idle machine own = wall. (Judging on CPU time + the idle wait,
as before the fifteenth session, missed the GIL: a change that made the two threads fight over
it lowered that sum and raised the wall time.)
Without schedstat the column is the CPU time plus the idle wait. The row under the Wrec change
shows the idle wait alone. The Wrec change runs as the interactive app does
(Session.defer_measures: the other views are painted while the norms are measured, in the norms
process as the app starts it, or on the pool thread with UNROLLED_BENCH_NORMS=pool) and ends when
the views that read the norms are painted too.
Start-up is the wall time from launching `python main.py` to its window's first paint, and the
CPU time the process used by then.
"""

from __future__ import annotations

import gc
import os
import statistics
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

WREC_TARGET_MS = 16.0
FRAME_TARGET_MS = 5.0
START_TARGET_S = 1.5
# "pool": the norms on the pool thread only, as before the seventeenth session (for A/B runs)
NORMS_PROCESS = os.environ.get("UNROLLED_BENCH_NORMS") != "pool"


def _median_ms(samples: list[float]) -> float:
    return 1e3 * statistics.median(samples)


SCHEDSTAT = "/proc/thread-self/schedstat"  # ns on a CPU, ns waiting on a run queue, time slices


def _queued() -> float | None:
    """Seconds this thread has spent ready to run but waiting for a core (None without schedstat)."""
    try:
        with open(SCHEDSTAT) as f:
            return int(f.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return None


class Clock:
    """Wall time, this thread's CPU time and its own time (wall minus run-queue wait) of a block."""

    def __init__(self):
        self.wall: list[float] = []
        self.cpu: list[float] = []
        self.own: list[float] = []  # empty without schedstat

    def __enter__(self):
        self._q = _queued()
        self._w, self._c = time.perf_counter(), time.thread_time()
        return self

    def __exit__(self, *exc):
        wall, cpu, q = time.perf_counter() - self._w, time.thread_time() - self._c, _queued()
        self.wall.append(wall)
        self.cpu.append(cpu)
        if q is not None and self._q is not None:
            self.own.append(max(cpu, wall - (q - self._q)))

    def ms(self) -> tuple[float, float]:
        """(median wall ms, median own ms): own time where schedstat is there, else CPU time."""
        return _median_ms(self.wall), _median_ms(self.own or self.cpu)


class PoolWait:
    """Wall time this thread spends blocked on the engine's pool thread (Future.result) in a block."""

    def __enter__(self):
        from concurrent.futures import Future

        self.seconds, self._original = 0.0, Future.result
        me, original = threading.get_ident(), self._original

        def result(future, timeout=None):
            if threading.get_ident() != me or future.done():
                return original(future, timeout)
            t0 = time.perf_counter()
            try:
                return original(future, timeout)
            finally:
                self.seconds += time.perf_counter() - t0

        Future.result = result
        return self

    def __exit__(self, *exc):
        from concurrent.futures import Future

        Future.result = self._original


def settle(app) -> None:
    """Run the event loop until the change is painted (twice: a paint may schedule another)."""
    app.processEvents()
    app.processEvents()


def settle_measured(app, session) -> float:
    """settle(), and first wait for the deferred trace_measured; returns the seconds spent idle waiting.

    With defer_measures the event loop paints trace_changed's views while the pool thread still
    measures, and trace_measured's views come when it is done: the change is redrawn only then.
    """
    from PySide6.QtCore import QEventLoop

    idle = 0.0
    app.processEvents()
    while session.measuring:
        w, c = time.perf_counter(), time.thread_time()
        app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
        idle += max(0.0, (time.perf_counter() - w) - (time.thread_time() - c))  # blocked, not working
    settle(app)
    return idle


# the lazy diagnostics the views read (computed in "engine", beforehand in "views only")
DIAGNOSTICS = (
    "jacobian_norms",
    "eigenvalues",
    "spectral_radius",
    "sigma_max",
    "pascanu_bound",
    "verdict",
    "growth_factor",
    "grad_norms_layers",
    "cell_grad_norms",
)


def _engine_times(config, wrecs, clock: Clock) -> None:
    """run(config) and the lazy diagnostics the views read, per Wrec value, into clock."""
    from simulator.config import run

    for w in wrecs:
        with clock:
            r = run(config.replace(wrec=float(w))).diagnose()  # as the Session does
            for name in DIAGNOSTICS:
                getattr(r, name)


def bench_window(cell: str, steps: int = 100, hidden: int = 32, repeats: int = 21, rounds: int = 3) -> dict:
    """Times for one cell type: Wrec change end to end, views only, engine only, a frame.

    The four measurements take turns, `rounds` times over, so that a swing in the machine's speed
    (this VM's can reach 2x within minutes) falls on all of them alike and their ratios hold.
    """
    from PySide6.QtCore import QCoreApplication, QEvent
    from PySide6.QtWidgets import QApplication

    import ui.session as session_module
    from simulator import norms_process
    from simulator.config import Config, run
    from ui import theme
    from ui.main_window import MainWindow
    from ui.session import Session

    app = QApplication.instance() or QApplication([])
    theme.install("light")
    if NORMS_PROCESS:
        norms_process.start()  # as ui.app does for the interactive window
    config = Config(cell=cell, steps=steps, hidden=hidden)
    window = MainWindow(Session(config), settings=None)
    window.resize(1600, 1000)
    window.show()
    for _ in range(3):
        settle(app)
    gc.freeze()  # as ui.app does once its window is up, and collects only from a timer in the event loop
    from pyqtgraph.util.garbage_collector import GarbageCollector

    collector = GarbageCollector(interval=1.0)
    s = window.session
    wrecs = [round(float(w), 3) for w in np.linspace(0.8, 1.2, repeats)]
    # the views-only changes: the same kind of Wrec changes minus the engine. Their traces are
    # computed beforehand (with the diagnostics the views read) and handed to the Session in place of
    # run(), so every view does exactly what a real change makes it do (re-sending an unchanged
    # trace would let views that skip unchanged text off lightly)
    back = wrecs[::-1]  # from where the end-to-end sweep ended, back: every step a change
    ready = {}
    for w in back:
        c = s.config.replace(wrec=w)
        trace = ready[c] = run(c)
        for name in DIAGNOSTICS:
            getattr(trace, name)

    total, waits, views, engine = Clock(), [], Clock(), Clock()
    frames, handlers = Clock(), Clock()
    still = [0, 0]  # the time plots' repaints during the frames: copied from their still, all
    for _ in range(rounds):
        s.defer_measures = True  # as the interactive app runs it
        for w in wrecs:  # end to end: engine + diagnostics + every view + repaint
            if w == s.config.wrec:
                continue  # no change
            with PoolWait() as waited, total:
                s.update(wrec=w)
                idle = settle_measured(app, s)
            waits.append(waited.seconds + idle)
        s.defer_measures = False

        session_module.run = ready.__getitem__
        try:
            for w in back[1:]:
                with views:
                    s.update(wrec=w)
                    settle(app)
        finally:
            session_module.run = run

        _engine_times(config, wrecs, engine)

        s.set_frame(0)
        settle(app)
        plot_views = [p.plot_widget for p in window.plots.plots]
        before = [(v.repaints, v.fast_repaints) for v in plot_views]
        for f in range(1, min(s.n_frames, 2 * steps)):
            with frames:
                with handlers:
                    s.set_frame(f)
                settle(app)
        for v, (n, fast) in zip(plot_views, before, strict=True):
            still[0] += v.fast_repaints - fast
            still[1] += v.repaints - n

    # the target is judged on the GUI thread's own time (see the module docstring); without
    # schedstat, on its CPU time + the time it sat idle waiting for the pool thread's norms
    busy = total.own or [c + wt for c, wt in zip(total.cpu, waits)]
    result = {
        "cell": cell,
        "total_ms": (_median_ms(total.wall), _median_ms(busy)),
        "wait_ms": _median_ms(waits),
        "views_ms": views.ms(),
        "engine_ms": engine.ms(),
        "frame_ms": frames.ms(),
        "frame_handlers_ms": handlers.ms(),
        "still_share": still[0] / still[1] if still[1] else float("nan"),
    }
    collector.timer.stop()
    gc.enable()
    gc.unfreeze()
    window.player.pause()
    window.close()
    window.deleteLater()
    # deleted now, with its Python side: processEvents alone leaves a deferred delete posted outside
    # an event loop pending, and the next cell's window was measured beside this one's objects,
    # which the app never has
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    del window, s
    gc.collect()
    app.processEvents()
    return result


def bench_startup(repeats: int = 3) -> tuple[float, float]:
    """Seconds from launching `python main.py` to its window painted (offscreen), and its CPU seconds; medians."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    times, cpus = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, str(ROOT / "main.py"), "--exit-when-shown"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        for line in proc.stdout:
            if line.startswith("shown"):  # "shown <s since ui.app was imported> cpu <process CPU s>"
                times.append(time.perf_counter() - t0)
                words = line.split()
                if "cpu" in words:
                    cpus.append(float(words[words.index("cpu") + 1]))
                break
        proc.wait(timeout=60)
    nan = float("nan")
    return (statistics.median(times) if times else nan, statistics.median(cpus) if cpus else nan)


def _row(name: str, value: tuple[float, float] | float, unit: str, target: float | None, judge=None) -> str:
    wall, cpu = value if isinstance(value, tuple) else (value, float("nan"))
    judged = cpu if cpu == cpu else wall  # judge on own (or CPU) time when there is one
    if judge is not None:
        judged = judge(wall, cpu)
    verdict = "" if target is None else ("ok" if judged <= target else "SLOW")
    limit = "" if target is None else f"<= {target:g} {unit}"
    cpu_text = f"{cpu:9.2f}" if cpu == cpu else " " * 9
    return f"| {name:<44} | {wall:>9.2f} | {cpu_text} | {unit:<4} | {limit:<9} | {verdict:<4} |"


def main() -> dict:
    """Run every UI benchmark and print a table; returns the numbers."""
    with warnings.catch_warnings(record=True) as caught:  # numpy overflow warnings: counted, not streamed
        warnings.simplefilter("always", RuntimeWarning)
        results = {c: bench_window(c) for c in ("rnn", "lstm")}
    startup = bench_startup()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    lines = [
        f"UI benchmarks (offscreen, window 1600x1000, T = 100, hidden 32; medians; load average {load:.1f}"
        f" on {os.cpu_count()} cores: wall times grow with load, own times much less; own = wall minus time"
        " spent ready to run while every core was busy with other threads"
        + (
            ""
            if _queued() is not None
            else " (no schedstat here: CPU time, + the idle wait for the pool thread in the Wrec rows)"
        )
        + ")",
        f"| {'measurement':<44} | {'wall':>9} | {'own':>9} | {'unit':<4} | {'target':<9} | {'':<4} |",
        f"|{'-' * 46}|{'-' * 11}|{'-' * 11}|{'-' * 6}|{'-' * 11}|{'-' * 6}|",
    ]
    from simulator import norms_process

    where = "in their own process" if norms_process.running() is not None else "on the pool thread"
    lines.insert(1, f"The Jacobian-product norms of a Wrec change are measured {where}, as the app measures them.")
    for cell, r in results.items():
        name = cell.upper()
        lines.append(_row(f"{name}: Wrec change -> all views redrawn", r["total_ms"], "ms", WREC_TARGET_MS))
        lines.append(_row(f"{name}:   of which waiting for the norms", r["wait_ms"], "ms", None))
        lines.append(_row(f"{name}:   of which the engine + diagnostics", r["engine_ms"], "ms", None))
        lines.append(_row(f"{name}:   of which the plot/view updates alone", r["views_ms"], "ms", None))
        ratio = tuple(v / t if t else float("nan") for v, t in zip(r["views_ms"], r["total_ms"]))
        lines.append(_row(f"{name}:   views / total", ratio, "", None))
        lines.append(_row(f"{name}: animation frame (handlers + repaint)", r["frame_ms"], "ms", FRAME_TARGET_MS))
        lines.append(_row(f"{name}:   of which the frame handlers", r["frame_handlers_ms"], "ms", None))
        lines.append(_row(f"{name}:   of which plot repaints from a still", r["still_share"], "", None))
    # start-up is judged on the smaller of wall and CPU time: a busy machine stretches the wall time,
    # and on an idle one the process's CPU time exceeds it (numpy's threads)
    lines.append(_row("python main.py -> painted (own: process CPU)", startup, "s", START_TARGET_S, judge=min))
    runtime = [w for w in caught if issubclass(w.category, RuntimeWarning)]
    if runtime:
        first = runtime[0]
        where = f"{first.filename}:{first.lineno}"
        lines.append(f"note: {len(runtime)} RuntimeWarnings during the runs, first: {first.message} ({where})")
    print("\n".join(lines))
    return {"windows": results, "startup_s": startup, "load": load}


if __name__ == "__main__":
    main()
