"""Training off the GUI thread: a worker that drives the engine's Trainer, and the handle the panel holds.

    run = TrainingRun("A", trainer, probe)       # in the GUI thread
    run.updated.connect(panel.on_update)         # TrainingUpdate objects, at most ~10 per second
    run.start(); run.pause(); run.resume(); run.stop(); run.wait()

The worker is a QObject moved to its own QThread. Its loop is Trainer.run() from
simulator/train.py, asked `should_stop()` before every iteration (and between the chunks of a
held-out evaluation), so pause and stop take effect within one iteration. Pause ends that
run() call and blocks the thread on a threading.Event until resume or stop; the next run()
continues the same Trainer, so the loss history is the one an uninterrupted run would give.

Everything that crosses to the GUI is finished and immutable: the engine's Snapshot (its
network a copy) and a TrainingUpdate whose arrays are read-only copies. The views the panel
draws from the weights (predictions over the truth, a text sample, the activations of the
hidden units, ‖∂L/∂h_t‖ on a fixed probe sequence) are computed here, in the worker, and
only as often as they cost at most a fifth of the training time.
"""

from __future__ import annotations

import dataclasses
import functools
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from simulator.engine import simulate
from simulator.tasks import AddingTask, CharTask, ClassifyTask, GenerateTask, SeriesTask, SineTask, Task, sunspots
from simulator.train import EVAL_CHUNK, LIVE_SETTINGS, Snapshot, Trainer, predict, sample_text, text_activations

SNAPSHOT_INTERVAL = 0.1  # seconds between loss-curve updates
VIEW_INTERVAL = 0.5  # at least this long between recomputations of the views below
VIEW_SHARE = 0.2  # and they may take at most this share of the time
SAMPLE_LENGTH = 240  # characters of a live text sample
EXCERPT_LENGTH = 1500  # characters of held-out text coloured by a unit's activation

Probe = tuple  # (x (T, 1, I), targets, loss name): one fixed held-out sequence


def _frozen(a) -> np.ndarray:
    a = np.array(a, copy=True)
    a.setflags(write=False)
    return a


@dataclass(frozen=True)
class TrainingUpdate:
    """One finished moment of a run, for the GUI thread: nothing in it is shared with the worker."""

    label: str  # which run: "" (single), "A" or "B" (compare mode)
    state: str  # 'running', 'paused', 'done', 'stopped', 'diverged' or 'failed'
    snapshot: Snapshot | None
    grad_norms: np.ndarray | None = None  # (T,) ‖∂L/∂h_t‖ on the probe sequence (top layer)
    predictions: dict | None = None  # what the predictions plot draws (see task_predictions)
    sample: str | None = None  # chars: a text generated at the temperature of the moment
    temperature: float = 1.0
    activations: dict | None = None  # chars: name -> (N, H) over `excerpt` (Karpathy et al. 2015)
    excerpt: str = ""
    message: str = ""
    extras: dict = field(default_factory=dict)


# ---- what the views draw, computed from the weights ------------------------------------------
def probe_of(task: Task) -> Probe:
    """The first held-out sequence: the one the main view's plots show while training."""
    x, targets = task.held_out()
    return _frozen(x[:, :1]), _frozen(targets[:, :1]), task.loss


@functools.cache
def _sunspot_years() -> np.ndarray:
    return _frozen(sunspots()[0])


def series_predictions(net, task: SeriesTask, should_stop: Callable[[], bool] | None = None) -> dict | None:
    """train.predict_series in chunks of windows, asking should_stop() between them (None if it said so)."""
    x, _ = task.held_out()
    last = []
    for lo in range(0, x.shape[1], EVAL_CHUNK):
        if should_stop is not None and should_stop():
            return None
        last.append(predict(net, x[:, lo : lo + EVAL_CHUNK])[-1, :, 0])  # the prediction after each window
    index = task.test_starts + task.seq_len
    return {"index": index, "truth": task.raw[index], "prediction": task.denormalise(np.concatenate(last))}


def task_predictions(net, task: Task, should_stop: Callable[[], bool] | None = None) -> dict | None:
    """Predictions over the truth, in the shape the panel's plot draws (read-only arrays).

    kind 'series': x = positions (or years), axis, truth, prediction (series, keras-stock);
    kind 'window': one input window, the next value and its prediction (a many-to-one sine);
    kind 'curves': per shape, x = t, truth, prediction (sine windows, generate);
    kind 'scatter': truth against prediction (adding); kind 'classes': accuracy per class.
    """
    if isinstance(task, SeriesTask):
        p = series_predictions(net, task, should_stop)
        if p is None:
            return None
        x, axis = p["index"], "position in the series"
        if task.name == "series" and "sunspot" in task.description:  # the bundled series: label by year
            x, axis = _sunspot_years()[p["index"]], "year"
        elif task.name == "keras-stock" and "generated" in task.description:
            axis = "trading day"
        return {
            "kind": "series",
            "x": _frozen(x),
            "axis": axis,
            "truth": _frozen(p["truth"]),
            "prediction": _frozen(p["prediction"]),
        }
    if isinstance(task, SineTask):
        x, targets = task.held_out()
        n = 1
        Y = predict(net, x[:, :n])
        T = task.seq_len
        t = np.arange(T)
        if task.score == "last":  # one number per window: the value just after it
            return {
                "kind": "window",
                "x": _frozen(t),
                "input": _frozen(x[:, 0, 0]),
                "truth": float(targets[-1, 0, 0]),
                "prediction": float(Y[-1, 0, 0]),
            }
        return {
            "kind": "curves",
            "x": _frozen(t + 1),
            "input": _frozen(x[:, 0, 0]),
            "truth": [_frozen(targets[:, 0, 0])],
            "prediction": [_frozen(Y[:, 0, 0])],
            "names": ["held-out wave"],
        }
    if isinstance(task, GenerateTask):
        K, T = task.shapes, task.seq_len
        x = np.zeros((T, K, K + 1))
        x[0, np.arange(K), np.arange(K)] = 1.0
        x[0, :, K] = 1.0  # amplitude 1
        Y = predict(net, x)[:, :, 0]  # (T, K)
        truth = task.curves()
        return {
            "kind": "curves",
            "x": _frozen(np.arange(T)),
            "input": None,
            "truth": [_frozen(truth[k]) for k in range(K)],
            "prediction": [_frozen(Y[:, k]) for k in range(K)],
            "names": list(task.SHAPES[:K]),
        }
    if isinstance(task, AddingTask):
        x, targets = task.held_out()
        n = min(300, x.shape[1])
        Y = predict(net, x[:, :n])
        return {"kind": "scatter", "truth": _frozen(targets[-1, :n, 0]), "prediction": _frozen(Y[-1, :, 0])}
    if isinstance(task, ClassifyTask):
        x, targets = task.held_out()
        Y = predict(net, x)[-1]  # (B, classes) logits
        guess = Y.argmax(axis=1)
        label = targets[-1]
        acc = [float(np.mean(guess[label == k] == k)) if np.any(label == k) else np.nan for k in range(task.classes)]
        return {
            "kind": "classes",
            "names": list(task.tokens[len(task.tokens) - 1 - task.classes : -1]),
            "accuracy": _frozen(acc),
            "overall": float(np.mean(guess == label)),
        }
    return None


def char_views(net, task: CharTask, temperature: float, seed: int, sample: bool) -> dict:
    """A text sample (if asked) and the activations over a held-out excerpt."""
    start = task.n_train
    line = task.text.find("\n", start, start + 200)
    start = line + 1 if line >= 0 else start  # begin at the start of a line
    excerpt = task.text[start : start + EXCERPT_LENGTH]
    acts = {k: _frozen(v) for k, v in text_activations(net, task, excerpt).items()}
    out = {"activations": acts, "excerpt": excerpt}
    if sample:
        out["sample"] = sample_text(net, task, SAMPLE_LENGTH, temperature, seed=seed)
    return out


# ---- the worker ------------------------------------------------------------------------------
class TrainingWorker(QObject):
    """Runs one Trainer in its thread; talks to the GUI only through signals and thread-safe flags."""

    updated = Signal(object)  # TrainingUpdate
    finished = Signal(object)  # the last TrainingUpdate
    done = Signal()  # the loop has returned (connected to the thread's quit)

    def __init__(self, label: str, trainer: Trainer, probe: Probe | None, fit_readout: float | None = None):
        super().__init__()
        self.label = label
        self.trainer = trainer
        self.probe = probe
        self.ridge = fit_readout  # not None: fit the readout by ridge regression first (an echo state network)
        self.fit: tuple[float, float] | None = None  # its (training, held-out) loss
        self._stop = threading.Event()
        self._pause = threading.Event()
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._changes: dict = {}
        self.temperature = 1.0  # a float: read atomically by the worker, written by the GUI
        self._view_due = 0.0
        self._view_cost = 0.0
        self._sample_due = 0.0
        self._initial_norms: np.ndarray | None = None
        self._home = QThread.currentThread()  # the GUI thread, where it goes back when done

    # ---- called from the GUI thread (thread-safe) ----
    def request_stop(self) -> None:
        """Stop after the current iteration (or at once while paused)."""
        self._stop.set()
        self._wake.set()

    def request_pause(self) -> None:
        """Pause after the current iteration."""
        self._pause.set()

    def request_resume(self) -> None:
        """Carry on after a pause."""
        self._pause.clear()
        self._wake.set()

    def change(self, **settings) -> None:
        """Change live settings (simulator.train.LIVE_SETTINGS) from the next iteration on."""
        with self._lock:
            self._changes.update({k: v for k, v in settings.items() if k in LIVE_SETTINGS})

    # ---- the worker thread ----
    def _should_stop(self) -> bool:
        self._apply_changes()
        return self._stop.is_set() or self._pause.is_set()

    def _apply_changes(self) -> None:
        if not self._changes:
            return
        with self._lock:
            changes, self._changes = self._changes, {}
        try:
            self.trainer.change(**changes)
        except ValueError as exc:  # e.g. a penalty for an LSTM: the panel said so already
            print(f"unrolled: training setting refused: {exc}", file=sys.stderr)

    def _on_progress(self, snap: Snapshot) -> None:
        state = "running" if snap.status in ("running", "ready") else snap.status
        self.updated.emit(self._update(snap, state, final=False))

    def _update(self, snap: Snapshot, state: str, final: bool) -> TrainingUpdate:
        """The snapshot, with the views recomputed if they are due (always at the end)."""
        now = time.perf_counter()
        if (not final and now < self._view_due) or (state == "stopped" and self._view_cost > 0.05):
            # a stop ends the thread at once rather than after redrawing views that took a while
            return TrainingUpdate(self.label, state, snap, temperature=self.temperature)
        start = now
        kw: dict = {"temperature": self.temperature}
        extras: dict = {}
        net, task = snap.net, self.trainer.task
        try:
            if self.probe is not None:
                kw["grad_norms"], cell = self._grad_norms(net)
                if cell is not None:
                    extras["cell_grad_norms"] = cell
            kw["predictions"] = task_predictions(net, task, self._stop.is_set)
            if isinstance(task, CharTask) and not self._stop.is_set():
                sample = final or now >= self._sample_due
                views = char_views(net, task, self.temperature, snap.iteration, sample)
                kw["activations"], kw["excerpt"] = views["activations"], views["excerpt"]
                if sample:
                    kw["sample"] = views["sample"]
                    self._sample_due = time.perf_counter() + 3 * VIEW_INTERVAL
        except (ValueError, FloatingPointError, np.linalg.LinAlgError) as exc:
            kw["message"] = f"could not draw the predictions: {exc}"
        if self._initial_norms is not None:
            extras["initial_grad_norms"] = self._initial_norms
        if self.fit is not None:
            extras["readout_fit"] = (self.ridge, *self.fit)
        kw["extras"] = extras
        cost = time.perf_counter() - start
        self._view_cost = cost
        self._view_due = time.perf_counter() + max(VIEW_INTERVAL, cost / VIEW_SHARE)
        return TrainingUpdate(self.label, state, snap, **kw)

    def _grad_norms(self, net) -> tuple[np.ndarray, np.ndarray | None]:
        """‖∂L/∂h_t‖ of the top layer on the probe, and ‖∂L/∂c_t‖ for an LSTM (its cell-state path)."""
        x, targets, loss = self.probe
        s, task = self.trainer.settings, self.trainer.task
        with np.errstate(all="ignore"):
            res = simulate(
                net,
                x,
                targets,
                loss,
                task.score,
                s.truncate,
                s.clip,
                s.clip_value,
                s.penalty if s.cell in ("rnn", "esn") else 0.0,
            )
        norms = _frozen(res.grad_norms)
        if self._initial_norms is None:
            self._initial_norms = norms
        cell = res.cell_grad_norms
        return norms, (None if cell is None else _frozen(cell[-1]))

    @Slot()
    def run(self) -> None:
        """The loop: train until done, diverged or stopped; wait while paused."""
        tr = self.trainer
        last: TrainingUpdate | None = None
        try:
            if self.ridge is not None:
                self.fit = tr.fit_readout(self.ridge)
            self.updated.emit(self._update(tr.snapshot(), "running", final=True))  # iteration 0: the start
            while True:
                tr.run(callback=self._on_progress, should_stop=self._should_stop, interval=SNAPSHOT_INTERVAL)
                self._apply_changes()  # e.g. more iterations asked for while the last ones ran
                if self._stop.is_set() or tr.diverged:
                    break
                if self._pause.is_set():
                    self.updated.emit(self._update(tr.snapshot(), "paused", final=True))
                    while self._pause.is_set() and not self._stop.is_set():
                        self._wake.wait()
                        self._wake.clear()
                elif tr.iteration >= tr.settings.iterations:
                    break
            snap = tr.snapshot()
            state = "diverged" if tr.diverged else ("done" if tr.iteration >= tr.settings.iterations else "stopped")
            last = self._update(snap, state, final=True)
        except Exception as exc:  # a bug or an engine refusal: say so, keep the app alive
            traceback.print_exc()
            snap = None
            try:
                snap = tr.snapshot()
            except Exception:
                pass
            last = TrainingUpdate(self.label, "failed", snap, message=f"Training failed: {type(exc).__name__}: {exc}")
        finally:
            self.moveToThread(self._home)  # so that deleteLater() works once this thread has ended
            self.finished.emit(last)
            self.done.emit()


class TrainingRun(QObject):
    """The GUI thread's handle on one worker and its QThread: start, pause, resume, stop, wait."""

    updated = Signal(object)  # TrainingUpdate (in the GUI thread)
    finished = Signal(object)  # the last TrainingUpdate
    closed = Signal()  # the thread has ended

    def __init__(
        self,
        label: str,
        trainer: Trainer,
        probe: Probe | None = None,
        fit_readout: float | None = None,
        parent: QObject | None = None,
    ):
        super().__init__(parent)
        self.label = label
        self.trainer = trainer  # touched by the worker while it runs: read only its task and settings
        self.task = trainer.task
        self.settings = trainer.settings
        self.worker = TrainingWorker(label, trainer, probe, fit_readout)
        self.thread = QThread()
        self.thread.setObjectName(f"training {label or 'run'}")
        self.worker.moveToThread(self.thread)
        self.thread.started.connect(self.worker.run)
        queued = Qt.ConnectionType.QueuedConnection
        self.worker.updated.connect(self._on_updated, queued)
        self.worker.finished.connect(self._on_finished, queued)
        self.worker.done.connect(self.thread.quit, Qt.ConnectionType.DirectConnection)
        self.thread.finished.connect(self._on_thread_finished, queued)
        self.state = "ready"
        self.last: TrainingUpdate | None = None
        self.stop_requested_at: float | None = None

    @property
    def running(self) -> bool:
        """True while the thread runs (also while paused or finishing its last iteration)."""
        return self.thread is not None and self.thread.isRunning()

    def start(self) -> None:
        """Start training in the thread."""
        self.state = "running"
        self.thread.start()

    def pause(self) -> None:
        """Pause after the current iteration."""
        if self.state == "running":
            self.state = "paused"
            self.worker.request_pause()

    def resume(self) -> None:
        """Carry on."""
        if self.state == "paused":
            self.state = "running"
            self.worker.request_resume()

    def stop(self) -> None:
        """Stop after the current iteration; the GUI shows 'stopped' at once."""
        if self.state in ("running", "paused", "ready"):
            self.state = "stopped"
            self.stop_requested_at = time.perf_counter()
        if self.worker is not None:
            self.worker.request_stop()

    def change(self, **settings) -> None:
        """Forward live setting changes (clipping, truncation, penalty, learning rate)."""
        if self.worker is not None:
            self.worker.change(**settings)

    def set_temperature(self, temperature: float) -> None:
        """The sampling temperature of the next live sample."""
        if self.worker is not None:
            self.worker.temperature = float(temperature)

    def wait(self, ms: int | None = None) -> bool:
        """Stop and block until the thread has ended (True), or until ms passed (False)."""
        self.stop()
        if self.thread is None:
            return True
        return self.thread.wait() if ms is None else self.thread.wait(ms)

    # ---- from the worker (queued into the GUI thread) ----
    @Slot(object)
    def _on_updated(self, update: TrainingUpdate) -> None:
        if self.state == "stopped" and update.state in ("running", "paused"):
            update = _restate(update, "stopping")
        self.last = update
        self.updated.emit(update)

    @Slot(object)
    def _on_finished(self, update: TrainingUpdate | None) -> None:
        if update is not None:
            self.state = update.state
            self.last = update
            self.finished.emit(update)

    @Slot()
    def _on_thread_finished(self) -> None:
        self.worker.deleteLater()
        self.thread.deleteLater()
        self.worker = None
        self.thread = None
        self.closed.emit()


def _restate(update: TrainingUpdate, state: str) -> TrainingUpdate:
    return dataclasses.replace(update, state=state)


def run_in_thread(fn: Callable[[], object], on_done: Callable[[object], None]) -> QThread:
    """Run fn() in a one-off QThread; its result (or the exception) goes to on_done in the GUI thread.

    on_done must be a method of a QObject that lives in the GUI thread (it is the receiver of
    a queued connection). Keep the returned thread until it has finished (then drop it), and
    wait() for it before on_done's object is deleted.
    """
    job = _Job(fn)
    job.result_ready.connect(on_done, Qt.ConnectionType.QueuedConnection)
    job.start()
    return job


class _Job(QThread):
    result_ready = Signal(object)

    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def run(self) -> None:
        try:
            result = self.fn()
        except Exception as exc:
            result = exc
        self.result_ready.emit(result)
