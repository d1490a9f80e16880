"""The training lab: learn a real task in a worker thread and watch the loss, the predictions and the gradients.

TrainingPanel(session) is a thin view over the Session plus the state of its training runs:

- the task and its parameters, the optimiser and its settings, which belong to the panel;
- the network (cell, sizes, activation, init, seed) and the remedies (clipping by norm or
  value, truncation k, Pascanu's penalty), which are the Session's config keys, shared with
  the main view: the network that trains is the one the main view shows. Remedies changed
  during a run reach the worker at its next iteration.

Training runs in a worker thread (ui/training_worker.py). Snapshots arrive as finished,
read-only copies; a few times per second the panel hands the current weights to the Session
(`set_network`, with a held-out sequence of the task), so the main view's gradient plots
change as the network learns. Compare mode trains two configurations on the same task and
seed in two workers and overlays their loss curves and gradient norms. The plots and the
char view live in ui/training_plots.py.
"""

from __future__ import annotations

import html
import math
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QTextDocument
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from simulator.config import LIMITS
from simulator.optim import DEFAULT_LR, OPTIMIZERS
from simulator.scenario import check_network_matches
from simulator.tasks import TASKS, CharTask, SeriesTooShortError, Task, csv_columns, make_task
from simulator.train import Remedy, Trainer, TrainSettings, blas_threads, remedies, sample_text

from . import theme as theme_mod
from .flow_layout import FlowLayout
from .plots import applying_preset, fmt
from .session import Session
from .soon import soon
from .training_plots import (
    CharView,
    GradientNormPlot,
    LossPlot,
    PredictionPlot,
    set_combo,
    set_value,
)
from .training_worker import SAMPLE_LENGTH, TrainingRun, TrainingUpdate, probe_of, run_in_thread

TASK_NAMES = {
    "adding": "Adding problem (remember two marked numbers)",
    "sine": "Sine wave: predict the next value",
    "series": "Real series: sunspots 1700–2008, or your CSV",
    "keras-stock": "Stock price: the course's Keras example",
    "chars": "Characters: Karpathy's char-RNN",
    "classify": "Which animal is 'it'? (a clue long before)",
    "generate": "Generate a waveform from one input",
}
DEFAULT_SEQ_LEN = {
    "adding": 50,
    "sine": 40,
    "series": 20,
    "keras-stock": 60,
    "chars": 25,
    "classify": 25,
    "generate": 20,
}
TOPOLOGY_OF_TASK = {"generate": "one_to_many"}  # the others: from the task's score
OPTIMIZER_NAMES = {"sgd": "SGD + momentum", "adagrad": "Adagrad (min-char-rnn)", "rmsprop": "RMSprop", "adam": "Adam"}
CELL_NAMES = {"rnn": "RNN (tanh…)", "lstm": "LSTM", "gru": "GRU", "esn": "ESN (echo state)"}
ACTIVATION_NAMES = {"tanh": "tanh", "sigmoid": "sigmoid σ", "relu": "ReLU", "identity": "identity"}
INIT_NAMES = {
    "orthogonal": "orthogonal",
    "uniform": "uniform (PyTorch)",
    "normal": "normal",
    "xavier": "Xavier",
    "identity": "identity (IRNN)",
}
REMEDY_KEYS = ("clip", "clip_value", "truncate", "penalty")
WEIGHT_KEYS = ("cell", "variant", "activation", "inputs", "hidden", "outputs", "layers", "wrec", "init", "seed", "leak")

# Compare presets: (name, A's changes, B's changes, A's label, B's label). Keys are config keys
# (shared with the main view) or the panel's optimiser keys.
PRESETS = (
    (
        "tanh RNN vs LSTM",
        {"cell": "rnn", "activation": "tanh", "init": "uniform", "wrec": 0.6},
        {"cell": "lstm", "forget_bias": 2.0},
        "tanh RNN",
        "LSTM",
    ),
    ("LSTM vs GRU", {"cell": "lstm"}, {"cell": "gru"}, "LSTM", "GRU"),
    ("clipping off vs on", {"clip": 0.0, "clip_value": 0.0}, {"clip": 1.0}, "no clipping", "clip at 1"),
    ("full BPTT vs truncated (k = 10)", {"truncate": 0}, {"truncate": 10}, "full BPTT", "truncated k = 10"),
    ("tanh vs ReLU (RNN)", {"cell": "rnn", "activation": "tanh"}, {"activation": "relu"}, "tanh", "ReLU"),
    ("uniform vs orthogonal init", {"init": "uniform"}, {"init": "orthogonal"}, "uniform init", "orthogonal init"),
    ("SGD vs Adam", {"optimizer": "sgd", "lr": None}, {"optimizer": "adam", "lr": None}, "SGD", "Adam"),
    ("SGD vs RMSprop", {"optimizer": "sgd", "lr": None}, {"optimizer": "rmsprop", "lr": None}, "SGD", "RMSprop"),
)
# A preset's task settings, loaded when the preset is chosen for that task (the user may change them).
# Measured (600 iterations, Adam 3e−3, hidden 32): with the clue 20 steps back a tanh RNN learns it
# (held-out ≈ 1e−4), and at 50 steps too when its W_hh has spectral radius 0.9 or 1. At 50 steps with
# PyTorch's uniform init at its own scale (radius ≈ 0.6) it stays at chance, while the LSTM, whose
# forget gate starts at σ(2) ≈ 0.88, learns it; with forget bias 0 or 1 it does not within 600
# iterations (seeds 0–4; the slow test in tests/ui/test_training_presets.py).
PRESET_TASKS = {"tanh RNN vs LSTM": {"classify": {"distance": 50, "iterations": 600}}}
PRESET_NOTES = {
    "tanh RNN vs LSTM": "Both start from PyTorch's uniform init with W_hh at spectral radius 0.6 (its usual "
    "scale); the LSTM's forget-gate bias starts at 2, so it keeps σ(2) ≈ 0.88 of its cell per step. On the "
    "clue task the clue is set 50 steps back: nearer, or with the RNN's radius at 0.9 or more, the tanh RNN "
    "learns it too.",
}
MESSAGE_PADDING = 4  # px inside the message's border
MESSAGE_SHARE = 0.12  # the most of the panel's height the message takes before it scrolls (but see MESSAGE_LINES)
MESSAGE_LINES = 3  # a message this short always shows whole
SETTINGS_SHARE = 0.45  # the most of the splitter's height the settings take on their own (a dragged handle: any)
COLLAPSE_BELOW = 760  # px: a panel shorter than this hides its settings when training starts
RIDGES = (1e-6, 1e-4, 1e-2, 0.1, 1.0)  # the echo state network's readout penalty λ
MIRROR_INTERVAL = 0.4  # seconds between hand-overs of the weights to the main view (at least)
MIRROR_SHARE = 0.25  # and the main view's redraw may take at most this share of the GUI's time
UNTRAINED = "the task's network, not trained yet"  # what the lab's weights in the main view are before training


def _combo(items: dict[str, str], name: str) -> QComboBox:
    box = QComboBox()
    box.setObjectName(name)
    box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    box.setMinimumContentsLength(8)  # long item texts may be cut in a narrow dock, never widen it
    for key, text in items.items():
        box.addItem(text, key)
    return box


def _spin(lo: int, hi: int, value: int, name: str) -> QSpinBox:
    box = QSpinBox()
    box.setRange(lo, hi)
    box.setValue(value)
    box.setObjectName(name)
    box.setKeyboardTracking(False)  # typing 120 is one change, not 1, 12, 120
    return box


def _fspin(lo: float, hi: float, value: float, decimals: int, step: float, name: str) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(lo, hi)
    box.setDecimals(decimals)
    box.setSingleStep(step)
    box.setValue(value)
    box.setObjectName(name)
    box.setKeyboardTracking(False)
    return box


def duration(seconds: float) -> str:
    """m:ss (or h:mm:ss); '?' when unknown."""
    if not math.isfinite(seconds):
        return "?"
    s = round(seconds)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def topology_of(task: Task) -> str:
    """The config topology that scores the task's steps."""
    return TOPOLOGY_OF_TASK.get(task.name, task.topology)


# ---- the panel ------------------------------------------------------------------------------
def _split_outside_brackets(text: str, sep: str) -> list[str]:
    """text split at sep where no parenthesis is open ('a (b; c); d' -> ['a (b; c)', 'd'])."""
    parts, depth, start, k = [], 0, 0, 0
    while k < len(text):
        ch = text[k]
        depth += (ch == "(") - (ch == ")")
        if depth == 0 and text.startswith(sep, k):
            parts.append(text[start:k])
            k += len(sep)
            start = k
            continue
        k += 1
    parts.append(text[start:])
    return parts


def divergence_html(message: str) -> str:
    """The engine's divergence message as a bold headline, what happened, and the remedies as a list."""
    head, sep, rest = message.partition(": ")
    if not sep:
        return html.escape(message)
    what, sep, helps = rest.partition(" What would help: ")
    out = f"<b>{html.escape(head)}</b>: {html.escape(what)}"
    items = [h.strip().rstrip(".") for h in _split_outside_brackets(helps, "; ") if h.strip()] if sep else []
    if items:
        out += "<br><b>What would help:</b><ul style='margin-top:0; margin-bottom:0'>"
        out += "".join(f"<li>{html.escape(item)}</li>" for item in items) + "</ul>"
    return out


def error_text(exc: Exception) -> str:
    """An engine refusal for the window: a control's name where the command line's flag was."""
    if isinstance(exc, SeriesTooShortError):
        return exc.advice("a shorter 'sequence length T' (the Task tab)")
    return str(exc)


def remedies_html(fixes: list[Remedy]) -> str:
    """'What would help:' and the remedies as a list (each has a Retry button under the message)."""
    if not fixes:
        return ""
    items = "".join(f"<li>{html.escape(r.text)}</li>" for r in fixes)
    return f"<br><b>What would help:</b><ul style='margin-top:0; margin-bottom:0'>{items}</ul>"


class _FitLabel(QLabel):
    """A label that asks its owner for a text that fits whenever its width changes."""

    def __init__(self, refit, parent: QWidget | None = None):
        super().__init__(parent)
        self._refit = refit

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._refit()


class _FillLayout(QVBoxLayout):
    """A column whose word-wrapped labels still wrap, but which never asks a scroll area for the
    height it would like at its width: the panel then fills the dock (its plots take the spare
    height) instead of growing to its preferred height and pushing the plots' axes out of sight."""

    def hasHeightForWidth(self) -> bool:
        return False


class RunProgress(QWidget):
    """One run's progress bar: iterations, iterations per second, ETA, losses.

    The stats line never cuts a number: when the row is narrow it takes shorter wordings, then
    drops whole items (the speed first, then the time); the loss (and a 'diverged' or 'failed')
    always stays, the label is at least that wide, and the tooltip has the full line.
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.name = QLabel()
        self.name.setTextFormat(Qt.TextFormat.RichText)
        row.addWidget(self.name)
        self.bar = QProgressBar()
        self.bar.setTextVisible(True)
        self.bar.setMinimumWidth(120)
        self.bar.setFormat("%v / %m")
        row.addWidget(self.bar, 2)
        self._lines: list[list[str]] = []  # candidate lines (their items), longest first
        self.stats = _FitLabel(self._fit)
        self.stats.setObjectName("progress_stats")
        self.stats.setTextFormat(Qt.TextFormat.RichText)
        self.stats.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        row.addWidget(self.stats, 3)

    def show_text(self, text: str) -> None:
        """A short line of its own ('starting…')."""
        self.show_lines([[html.escape(text)]])

    def show_lines(self, lines: list[list[str]]) -> None:
        """Candidate lines of rich-text items, longest first; the longest that fits is shown."""
        self._lines = [line for line in lines if line] or [[""]]
        full = " · ".join(self._lines[0])
        self.stats.setToolTip(full)
        self.stats.setMinimumWidth(self._width(self._lines[-1]) + 2)  # the last line is never cut
        self._fit()

    def _width(self, items: list[str]) -> int:
        doc = QTextDocument()
        doc.setDefaultFont(self.stats.font())
        doc.setDocumentMargin(0)
        doc.setHtml(" · ".join(items))
        return math.ceil(doc.idealWidth())

    def _fit(self) -> None:
        if not self._lines:
            return
        room = self.stats.contentsRect().width()
        chosen = next((line for line in self._lines if self._width(line) <= room), self._lines[-1])
        text = " · ".join(chosen)
        if self.stats.text() != text:
            self.stats.setText(text)

    def show_update(self, update: TrainingUpdate, state: str) -> None:
        """Iterations done, speed and time left."""
        snap = update.snapshot
        if snap is None:
            return
        if snap.iterations == 0:  # a readout fit, no iterations
            self.bar.setMaximum(1)
            self.bar.setValue(1 if state == "done" else 0)
            self.bar.setFormat("readout fitted" if state == "done" else "fitting…")
        else:
            self.bar.setFormat("%v / %m")
            self.bar.setMaximum(snap.iterations)
            self.bar.setValue(min(snap.iteration, snap.iterations))
        words = {
            "running": "",
            "stopping": "stopping…",
            "paused": "paused",
            "done": "done",
            "stopped": "stopped",
            "diverged": "<b>diverged</b>",
            "failed": "<b>failed</b>",
        }
        word = words.get(state, html.escape(state))
        speed = [f"{snap.its_per_second:.1f} it/s"] if snap.its_per_second > 0 else []
        short_speed = [f"{snap.its_per_second:.0f} it/s"] if snap.its_per_second > 0 else []
        if state == "running":
            when = short_when = [f"ETA {duration(snap.eta_seconds)}"]
            bare = []
        else:
            when, short_when = [f"{word} after {duration(snap.seconds)}"], [f"{word} {duration(snap.seconds)}"]
            bare = [word] if state in ("diverged", "failed", "stopping", "paused", "stopped") else []
        loss = [f"loss {fmt(float(np.mean(snap.train_loss[-20:])), 3)}"] if snap.train_loss else []
        self.show_lines(
            [
                speed + when + loss,
                short_speed + short_when + loss,
                short_when + loss,
                bare + loss if loss else short_when,
            ]
        )


class _RecordedRun:
    """A training history read from a scenario file, shaped like a Snapshot for the loss plot."""

    def __init__(self, record: dict):
        self.train_loss = tuple(float(v) for v in record["train_loss"])
        self.test_loss = tuple((int(i), float(v)) for i, v in record["test_loss"])
        self.iteration = int(record.get("iteration", len(self.train_loss)))
        self.iterations = int(record.get("iterations", self.iteration))


class TrainingPanel(QWidget):
    """Choose a task, train in a worker thread, watch the loss, predictions and gradients; compare two runs."""

    state_changed = Signal(str)  # 'idle', 'running', 'paused'
    update_received = Signal(object)  # every TrainingUpdate that reached the panel (for tests and lessons)

    def __init__(self, session: Session, actions: dict[str, QAction] | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("training_panel")
        self.session = session
        self._retry = self._retrying = False  # the next / the current run was started by a Retry button
        self.actions = actions or {}  # the window's train / stop_training commands, kept in step
        self.theme = theme_mod.current()
        self.runs: dict[str, TrainingRun] = {}
        self.closing: list[TrainingRun] = []  # stopped runs whose threads have not ended yet
        self.names: dict[str, str] = {"": ""}
        self.task: Task | None = None
        self.probe = None
        self.last_net = None  # the mirrored run's latest weights
        self.last_what = UNTRAINED  # what they are (weights_note)
        self._mirrored: tuple | None = None  # (net, what it is): the weights _mirror last handed to the Session
        self.last_updates: dict[str, TrainingUpdate] = {}
        self._task_key = None
        self._csv_path: str | None = None
        self._column_index = 0  # the column_box entry the task was last built with
        self._error_text = ""  # why the last build_task() failed
        self._text_path: str | None = None
        self._mirror_due = 0.0
        self._mirror_ok = True
        self._config = session.config
        self._blas_before = None
        self._shut = False
        self.jobs: list = []  # one-off threads (samples outside a run)
        self._restored: dict | None = None  # a training history read from a scenario file
        self._shown: frozenset[str] | None = None  # the controls a lesson shows (None: all)

        layout = _FillLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(6)
        self.task_box = _combo(TASK_NAMES, "task_box")
        self.task_box.setPlaceholderText("Choose a task to learn…")
        self.task_box.setCurrentIndex(-1)  # no task until one is chosen: choosing loads its recommended settings
        self.task_box.setToolTip("What to learn. Choosing a task loads its recommended network and settings.")
        self.task_box.currentIndexChanged.connect(self._on_task_chosen)
        layout.addWidget(self.task_box)
        layout.addLayout(self._build_buttons())
        self.progress = {"": RunProgress(), "B": RunProgress()}
        for p in self.progress.values():
            layout.addWidget(p)
        for p in self.progress.values():
            p.hide()  # until a run starts
        self.message = QLabel()
        self.message.setObjectName("training_message")
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.RichText)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # in a scroll area at most MESSAGE_SHARE of the panel's height: a compare run's two verdicts at 1.5×
        # type took four lines of a 720 px window and left the loss plot 40 px
        self.message_area = QScrollArea()
        self.message_area.setObjectName("training_message_area")
        self.message_area.setWidgetResizable(True)
        self.message_area.setFrameShape(QScrollArea.Shape.NoFrame)
        self.message_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.message_area.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.message_area.setWidget(self.message)
        self.message_area.hide()
        layout.addWidget(self.message_area)
        self.fixes_row = FlowLayout()  # one-click remedies after a run diverged, wrapped to the panel's width
        self.fix_buttons: list[QPushButton] = []
        layout.addLayout(self.fixes_row)

        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setChildrenCollapsible(False)
        self.settings_tabs = QTabWidget()
        self.settings_tabs.setObjectName("settings_tabs")
        self.settings_tabs.addTab(self._scroll(self._build_task()), "Task")
        self.settings_tabs.addTab(self._scroll(self._build_training()), "Optimiser")
        self.settings_tabs.addTab(self._scroll(self._build_network()), "Network && remedies")
        self.splitter.addWidget(self.settings_tabs)
        self.results = QTabWidget()
        self.results.setObjectName("results_tabs")
        self.loss_plot = LossPlot(session)
        self.prediction_plot = PredictionPlot(session)
        self.char_view = CharView()
        self.char_view.temperature_changed.connect(self._on_temperature_changed)
        self.char_view.resample_requested.connect(self._resample)
        self.gradient_plot = GradientNormPlot(session)
        self.results.addTab(self.loss_plot, "Loss")
        self.results.addTab(self.prediction_plot, "Predictions")
        self.results.addTab(self.char_view, "Text")
        self.results.addTab(self.gradient_plot, "Gradients")
        self.splitter.addWidget(self.results)
        self.splitter.setStretchFactor(0, 0)  # a taller panel gives its room to the plots
        self.splitter.setStretchFactor(1, 1)
        self.settings_tabs.setMinimumHeight(110)
        self.settings_tabs.currentChanged.connect(lambda _i: self._fit_split())
        self._split_dragged = False  # the user moved the handle: the sizes are theirs from then on
        self.splitter.splitterMoved.connect(self._on_split_dragged)
        layout.addWidget(self.splitter, 1)

        session.config_changed.connect(self._on_config_changed)
        self.theme.changed.connect(self._on_theme_changed)
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)
        self._on_theme_changed()
        self._on_config_changed(session.config)
        self.loss_plot.reset({"": ""})
        self.gradient_plot.reset({"": ""})
        self._show_task_rows()
        self.show_message(
            "Choose a task: its recommended network and settings load, and the main view shows "
            "that network on the task's data.",
            "note",
        )
        self._set_state()

    # ---- building ---------------------------------------------------------------------
    @staticmethod
    def _scroll(widget: QWidget) -> QScrollArea:
        area = QScrollArea()
        area.setWidgetResizable(True)
        area.setFrameShape(QScrollArea.Shape.NoFrame)
        area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        area.setWidget(widget)
        return area

    def _build_buttons(self) -> QVBoxLayout:
        rows = QVBoxLayout()
        rows.setSpacing(4)
        row = QHBoxLayout()
        rows.addLayout(row)
        self.train_button = QPushButton("Train")
        self.train_button.setObjectName("train_button")
        self.train_button.setToolTip("Train from fresh weights (Ctrl+T)")
        self.train_button.clicked.connect(self.start)
        self.pause_button = QPushButton("Pause")
        self.pause_button.setObjectName("pause_button")
        self.pause_button.clicked.connect(self.toggle_pause)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setObjectName("stop_button")
        self.stop_button.setToolTip("Stop training and keep the weights (Ctrl+.)")
        self.stop_button.clicked.connect(self.stop)
        self.fit_button = QPushButton("Fit readout")
        self.fit_button.setObjectName("fit_button")
        self.fit_button.setToolTip("Echo state network: fit the linear readout in one step (ridge regression)")
        self.fit_button.clicked.connect(self.fit_readout)
        for b in (self.train_button, self.pause_button, self.stop_button, self.fit_button):
            row.addWidget(b)
        row = QHBoxLayout()
        rows.addLayout(row)
        self.compare_check = QCheckBox("Compare:")  # short: the row fits the dock at 1.5× type
        self.compare_check.setObjectName("compare_check")
        self.compare_check.setToolTip("Train two configurations on the same task and seed, side by side")
        row.addWidget(self.compare_check)
        self.preset_box = QComboBox()
        self.preset_box.setObjectName("preset_box")
        self.preset_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.preset_box.setMinimumContentsLength(7)  # cut at large type; the list shows the whole names
        for k, preset in enumerate(PRESETS):
            self.preset_box.addItem(preset[0], k)
            if preset[0] in PRESET_NOTES:
                self.preset_box.setItemData(k, PRESET_NOTES[preset[0]], Qt.ItemDataRole.ToolTipRole)
        self.preset_box.setEnabled(False)
        self.compare_check.toggled.connect(self.preset_box.setEnabled)
        self.compare_check.toggled.connect(lambda on: on and self.apply_preset_task_settings())
        self.preset_box.currentIndexChanged.connect(lambda _i: self.apply_preset_task_settings())
        # its least width is its own (see _wrap_controls): at large type in a narrow dock it takes a row of its own
        self.preset_box.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        row.addWidget(self.preset_box, 1)
        self._compare_row = row
        self._preset_row = QHBoxLayout()  # the preset box when the compare row is too narrow for it
        self.settings_button = QToolButton()
        self.settings_button.setObjectName("settings_button")
        self.settings_button.setText("Settings")
        self.settings_button.setCheckable(True)
        self.settings_button.setChecked(True)
        self.settings_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.settings_button.setArrowType(Qt.ArrowType.DownArrow)
        self.settings_button.setToolTip(
            "Show or hide the task, optimiser and network settings (more room for the plots)"
        )
        self.settings_button.toggled.connect(self._on_settings_toggled)
        row.addWidget(self.settings_button)
        rows.addLayout(self._preset_row)
        return rows

    def _wrap_controls(self) -> None:
        """The preset box beside 'Compare:' and 'Settings' where they fit at its least width, else on a row of
        its own (at 1.5× type in a 437 px dock the row cut 'Settings' to 'Se' and the lab scrolled sideways)."""
        m = self.layout().contentsMargins()
        room = self.width() - m.left() - m.right()
        if room <= 0:
            return
        spacing = self._compare_row.spacing()
        need = (
            self.compare_check.sizeHint().width()
            + self.preset_box.minimumSizeHint().width()
            + self.settings_button.sizeHint().width()
            + 2 * spacing
        )
        wrapped = self._preset_row.indexOf(self.preset_box) >= 0
        if (need > room) == wrapped:
            return
        if wrapped:
            self._compare_row.takeAt(1)  # the stretch that kept 'Settings' at the right
            self._preset_row.removeWidget(self.preset_box)
            self._compare_row.insertWidget(1, self.preset_box, 1)
        else:
            self._compare_row.removeWidget(self.preset_box)
            self._compare_row.insertStretch(1, 1)
            self._preset_row.addWidget(self.preset_box, 1)

    def _on_settings_toggled(self, shown: bool) -> None:
        self._show_settings()
        self.settings_button.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)

    def _show_settings(self) -> None:
        """The settings when asked for and once there is a task (before, its tab was an empty box
        that took the loss plot's room; choosing a task loads the recommended settings anyway)."""
        chosen = self.task_name is not None
        self.settings_button.setEnabled(chosen)
        self.settings_tabs.setVisible(chosen and self.settings_button.isChecked())
        self._fit_split()
        soon(self._fit_split)  # a splitter lays out a widget it shows again later

    def _build_task(self) -> QWidget:
        w = QWidget()
        form = QFormLayout(w)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.task_form = form
        self.seq_len = _spin(2, LIMITS["steps"][1], 50, "seq_len_box")
        self.seq_len.setToolTip("The number of steps the network is unrolled for (the main view's T)")
        self.seq_len.valueChanged.connect(self._on_task_params_changed)
        form.addRow("sequence length T", self.seq_len)
        self.topology_box = _combo(
            {"many_to_many": "many-to-many (every step)", "many_to_one": "many-to-one (the end)"}, "task_topology_box"
        )
        self.topology_box.currentIndexChanged.connect(self._on_task_params_changed)
        form.addRow("predict at", self.topology_box)
        self.period = _fspin(2.0, 500.0, 20.0, 1, 1.0, "period_box")
        self.period.valueChanged.connect(self._on_task_params_changed)
        form.addRow("period (steps)", self.period)
        self.noise = _fspin(0.0, 2.0, 0.1, 2, 0.05, "noise_box")
        self.noise.valueChanged.connect(self._on_task_params_changed)
        form.addRow("noise", self.noise)
        row = QHBoxLayout()
        self.csv_label = QLabel("bundled")
        self.csv_label.setWordWrap(True)
        row.addWidget(self.csv_label, 1)
        self.csv_button = QPushButton("Open CSV…")
        self.csv_button.clicked.connect(self._open_csv_dialog)
        row.addWidget(self.csv_button)
        self.bundled_button = QPushButton("Bundled")
        self.bundled_button.setToolTip("Back to the bundled data")
        self.bundled_button.clicked.connect(lambda: self.load_csv(None))
        row.addWidget(self.bundled_button)
        form.addRow("data", row)
        self.csv_row = row
        self.column_box = QComboBox()
        self.column_box.setObjectName("column_box")
        self.column_box.currentIndexChanged.connect(self._on_column_chosen)
        form.addRow("column", self.column_box)
        row = QHBoxLayout()
        self.text_label = QLabel("the default corpus")
        self.text_label.setWordWrap(True)
        row.addWidget(self.text_label, 1)
        self.text_button = QPushButton("Open text…")
        self.text_button.clicked.connect(self._open_text_dialog)
        row.addWidget(self.text_button)
        self.corpus_button = QPushButton("Default")
        self.corpus_button.setToolTip("Generated prose with quotes and nested brackets")
        self.corpus_button.clicked.connect(lambda: self.load_text(None))
        row.addWidget(self.corpus_button)
        form.addRow("text", row)
        self.text_row = row
        self.distance = _spin(1, 995, 20, "distance_box")
        self.distance.setToolTip("How many steps before the end the clue word appears")
        self.distance.valueChanged.connect(self._on_distance_changed)
        form.addRow("distance to the clue", self.distance)
        self.classes = _spin(2, 4, 2, "classes_box")
        self.classes.valueChanged.connect(self._on_task_params_changed)
        form.addRow("animals", self.classes)
        self.shapes = _spin(1, 4, 3, "shapes_box")
        self.shapes.valueChanged.connect(self._on_task_params_changed)
        form.addRow("waveforms", self.shapes)
        self.task_note = QLabel()
        self.task_note.setObjectName("task_note")
        self.task_note.setWordWrap(True)
        self.task_note.setTextFormat(Qt.TextFormat.RichText)
        form.addRow(self.task_note)
        self.recommended_button = QPushButton("Recommended settings")
        self.recommended_button.setObjectName("recommended_button")
        self.recommended_button.setToolTip("The task's recommended network, optimiser and remedies")
        self.recommended_button.clicked.connect(lambda: self.apply_recommended())
        form.addRow(self.recommended_button)
        return w

    def _build_training(self) -> QWidget:
        w = QWidget()
        form = QFormLayout(w)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.training_form = form
        self.optimizer_box = _combo({k: OPTIMIZER_NAMES[k] for k in OPTIMIZERS}, "optimizer_box")
        self.optimizer_box.currentIndexChanged.connect(self._on_optimizer_changed)
        form.addRow("optimiser", self.optimizer_box)
        self.lr = _fspin(1e-5, 10.0, 0.01, 5, 0.001, "lr_box")
        self.lr.setToolTip("Learning rate: changes the running training at its next iteration")
        self.lr.valueChanged.connect(lambda v: self._change_live(lr=float(v)))
        form.addRow("learning rate", self.lr)
        self.momentum = _fspin(0.0, 0.99, 0.9, 2, 0.05, "momentum_box")
        form.addRow("momentum", self.momentum)
        self.batch = _spin(1, 1024, 32, "batch_box")
        self.batch.valueChanged.connect(lambda v: self._change_live(batch=int(v)))
        form.addRow("batch", self.batch)
        self.iterations = _spin(1, 1_000_000, 400, "iterations_box")
        self.iterations.setSingleStep(100)
        self.iterations.setToolTip("How many updates; raise it during a run to train longer")
        self.iterations.valueChanged.connect(lambda v: self._change_live(iterations=int(v)))
        form.addRow("iterations", self.iterations)
        self.dropout = _fspin(0.0, 0.9, 0.0, 2, 0.05, "dropout_box")
        self.dropout.setToolTip("Dropout between stacked layers (needs 2 or more layers)")
        self.dropout.valueChanged.connect(lambda v: self._change_live(dropout=float(v)))
        form.addRow("dropout", self.dropout)
        self.forget_bias = _fspin(-5.0, 5.0, 0.0, 1, 0.5, "forget_bias_box")
        self.forget_bias.setToolTip("Added to the LSTM's forget-gate bias at the start (Jozefowicz et al. 2015: 1)")
        form.addRow("forget-gate bias", self.forget_bias)
        self.ridge_box = QComboBox()
        self.ridge_box.setObjectName("ridge_box")
        for value in RIDGES:
            self.ridge_box.addItem(f"{value:g}", value)
        self.ridge_box.setCurrentIndex(RIDGES.index(1e-2))
        self.ridge_box.setToolTip(
            "Echo state network: the ridge penalty λ of the readout fit. Too small: the readout memorises the "
            "training sequences (low training loss, high held-out loss)."
        )
        form.addRow("readout ridge λ", self.ridge_box)
        return w

    def _build_network(self) -> QWidget:
        w = QWidget()
        form = QFormLayout(w)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.network_form = form
        note = QLabel("Shared with the main view: the network that trains is the one it shows.")
        note.setWordWrap(True)
        self.shared_note = note
        form.addRow(note)
        self.cell_box = _combo(CELL_NAMES, "train_cell_box")
        self.cell_box.currentIndexChanged.connect(lambda _: self._apply(cell=self.cell_box.currentData()))
        form.addRow("cell", self.cell_box)
        sizes = QHBoxLayout()
        self.hidden = _spin(1, LIMITS["hidden"][1], 16, "train_hidden_box")
        self.hidden.valueChanged.connect(lambda v: self._apply(hidden=int(v)))
        sizes.addWidget(self.hidden)
        sizes.addWidget(QLabel("× layers"))
        self.layers = _spin(1, LIMITS["layers"][1], 1, "train_layers_box")
        self.layers.valueChanged.connect(lambda v: self._apply(layers=int(v)))
        sizes.addWidget(self.layers)
        form.addRow("hidden units", sizes)
        self.sizes_row = sizes
        self.activation_box = _combo(ACTIVATION_NAMES, "train_activation_box")
        self.activation_box.currentIndexChanged.connect(
            lambda _: self._apply(activation=self.activation_box.currentData())
        )
        form.addRow("activation", self.activation_box)
        self.init_box = _combo(INIT_NAMES, "train_init_box")
        self.init_box.currentIndexChanged.connect(lambda _: self._apply(init=self.init_box.currentData()))
        form.addRow("initialisation", self.init_box)
        self.seed = _spin(0, LIMITS["seed"][1], 0, "train_seed_box")
        self.seed.valueChanged.connect(lambda v: self._apply(seed=int(v)))
        form.addRow("seed", self.seed)
        self.remedy_checks: dict[str, QCheckBox] = {}
        self.remedy_values: dict[str, QWidget] = {}
        self.remedy_rows: dict[str, QHBoxLayout] = {}
        for key, text, box, tip in (
            (
                "clip",
                "clip gradient norm at",
                _fspin(0.01, 1e3, 1.0, 2, 0.5, "train_clip_box"),
                "Rescale the whole gradient when its norm exceeds this (Pascanu et al. 2013)",
            ),
            (
                "clip_value",
                "clip each gradient value at ±",
                _fspin(0.01, 1e3, 5.0, 2, 0.5, "train_clip_value_box"),
                "Cut every gradient entry to this range (min-char-rnn uses ±5)",
            ),
            (
                "truncate",
                "truncate BPTT to k steps",
                _spin(1, LIMITS["steps"][1], 10, "train_truncate_box"),
                "Each loss sends its gradient back at most k steps",
            ),
            (
                "penalty",
                "Pascanu penalty Ω, weight",
                _fspin(0.01, 100.0, 1.0, 2, 0.5, "train_penalty_box"),
                "Keeps the gradient's norm from shrinking step to step (RNN and ESN)",
            ),
        ):
            check = QCheckBox(text)
            check.setObjectName(f"train_check_{key}")
            check.setToolTip(tip + ". Changes the running training at once.")
            check.toggled.connect(lambda on, key=key: self._on_remedy_toggled(key, on))
            box.valueChanged.connect(lambda v, key=key: self._on_remedy_value(key, v))
            row = QHBoxLayout()
            row.addWidget(check, 1)
            row.addWidget(box)
            form.addRow(row)
            self.remedy_checks[key], self.remedy_values[key], self.remedy_rows[key] = check, box, row
        return w

    # ---- state ---------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        """True while a run's thread is alive (training, paused or finishing its last iteration)."""
        return any(r.running for r in self.runs.values())

    @property
    def paused(self) -> bool:
        """True while the runs are paused."""
        return bool(self.runs) and all(r.state == "paused" for r in self.runs.values() if r.running)

    @property
    def threads_alive(self) -> int:
        """How many training threads still run (0 after a stop has taken effect)."""
        return sum(r.running for r in (*self.runs.values(), *self.closing))

    def _active(self) -> bool:
        return any(r.state in ("running", "paused") for r in self.runs.values())

    def _set_state(self) -> None:
        active = self._active()
        paused = active and all(r.state == "paused" for r in self.runs.values() if r.state in ("running", "paused"))
        self.train_button.setEnabled(not active and self.task_name is not None)
        esn = self.session.config.cell == "esn"
        self.fit_button.setEnabled(not active and self.task_name is not None and esn)
        self.pause_button.setEnabled(active)
        self.pause_button.setText("Resume" if paused else "Pause")
        self.stop_button.setEnabled(active)
        self.task_box.setEnabled(not active)
        self.compare_check.setEnabled(not active)
        self.preset_box.setEnabled(not active and self.compare_check.isChecked())
        for w in (
            self.seq_len,
            self.topology_box,
            self.period,
            self.noise,
            self.csv_button,
            self.bundled_button,
            self.column_box,
            self.text_button,
            self.corpus_button,
            self.distance,
            self.classes,
            self.shapes,
            self.recommended_button,
            self.optimizer_box,
            self.momentum,
            self.forget_bias,
            self.ridge_box,
            self.cell_box,
            self.hidden,
            self.layers,
            self.activation_box,
            self.init_box,
            self.seed,
        ):
            w.setEnabled(not active)
        state = "paused" if paused else ("running" if active else "idle")
        if "train" in self.actions:
            self.actions["train"].setText(
                {"running": "Pause training", "paused": "Resume training"}.get(state, "Train")
            )
        if "stop_training" in self.actions:
            self.actions["stop_training"].setEnabled(active)
        self.state_changed.emit(state)

    # ---- task ----------------------------------------------------------------------------
    @property
    def task_name(self) -> str:
        """The chosen task's name (one of simulator.tasks.TASKS)."""
        return self.task_box.currentData()

    def set_task(self, name: str) -> None:
        """Choose a task by name (and load its recommended settings)."""
        if name not in TASKS:
            raise ValueError(f"task must be one of {', '.join(TASKS)}; got {name!r}")
        i = self.task_box.findData(name)
        if i == self.task_box.currentIndex():
            self._on_task_chosen(i)
        else:
            self.task_box.setCurrentIndex(i)

    def _show_task_rows(self) -> None:
        name = self.task_name
        rows = {
            self.topology_box: name in ("sine", "series"),
            self.period: name == "sine",
            self.noise: name == "sine",
            self.csv_row: name in ("series", "keras-stock"),
            self.column_box: name in ("series", "keras-stock") and bool(self._csv_path),
            self.text_row: name == "chars",
            self.distance: name == "classify",
            self.classes: name == "classify",
            self.shapes: name == "generate",
        }
        for widget, visible in rows.items():
            self.task_form.setRowVisible(widget, visible)
        for w in (self.seq_len, self.task_note, self.recommended_button):
            self.task_form.setRowVisible(w, name is not None)
        self._show_settings()
        chars = name == "chars"
        self.results.setTabVisible(self.results.indexOf(self.char_view), chars)
        self.results.setTabVisible(self.results.indexOf(self.prediction_plot), not chars)

    def _on_task_chosen(self, _index: int) -> None:
        name = self.task_name
        if name is None:
            return
        self._show_task_rows()
        with QSignalBlocker(self.seq_len):
            self.seq_len.setValue(DEFAULT_SEQ_LEN[name])
        if name in ("sine", "series"):
            set_combo(self.topology_box, "many_to_many" if name == "sine" else "many_to_one")
        self._update_csv_label()
        if self.build_task() is not None:
            self.apply_recommended()
            self.apply_preset_task_settings()
        self._set_state()  # Train and Fit readout need a task

    def apply_preset_task_settings(self) -> None:
        """In compare mode, the chosen preset's settings for this task (e.g. the clue's distance)."""
        if not self.compare_check.isChecked() or self.task_name is None or self._active():
            return
        name = PRESETS[self.preset_box.currentData()][0]
        self.preset_box.setToolTip(PRESET_NOTES.get(name, "The two configurations to compare"))
        values = PRESET_TASKS.get(name, {}).get(self.task_name)
        if not values:
            return
        if "distance" in values:
            self.distance.setValue(int(values["distance"]))  # lengthens the sequence if needed
        if "iterations" in values:
            set_value(self.iterations, int(values["iterations"]))

    def _on_distance_changed(self, distance: int) -> None:
        if self.seq_len.value() < distance + 1:
            with QSignalBlocker(self.seq_len):
                self.seq_len.setValue(distance + 5)
        self._on_task_params_changed()

    def _on_task_params_changed(self, *_args) -> None:
        if self.task_name is None:
            return
        task = self.build_task()
        if task is not None:
            self._sync_session(task)

    def _on_column_chosen(self, index: int) -> None:
        """A column of the CSV file; one that cannot be used is refused and the box shows the task's again."""
        if self.task_name is None or index < 0:
            return
        task = self.build_task()
        if task is None:
            refused = self.column_box.itemText(index)
            with QSignalBlocker(self.column_box):
                self.column_box.setCurrentIndex(self._column_index)
            self.build_task()  # the task of that column again (cached)
            kept = html.escape(self.column_box.currentText())
            self.show_message(
                f"{html.escape(self._error_text, quote=False)}<br>Column {html.escape(refused)} cannot be used: "
                f"the task keeps {kept}.",
                "error",
            )
            return
        self._column_index = index
        self._sync_session(task)

    def task_kwargs(self) -> dict:
        """make_task's keyword arguments from the widgets (without the seed)."""
        name = self.task_name
        kw: dict = {"seq_len": int(self.seq_len.value())}
        if name in ("sine", "series"):
            kw["topology"] = self.topology_box.currentData()
        if name == "sine":
            kw.update(period=float(self.period.value()), noise=float(self.noise.value()))
        if name in ("series", "keras-stock") and self._csv_path:
            kw["csv_path"] = self._csv_path
            kw["column"] = self.column_box.currentData()
        if name == "chars" and self._text_path:
            kw["text_path"] = self._text_path
        if name == "classify":
            kw.update(distance=int(self.distance.value()), classes=int(self.classes.value()))
        if name == "generate":
            kw["shapes"] = int(self.shapes.value())
        return kw

    def build_task(self) -> Task | None:
        """The task the widgets describe (cached); None with a message if it cannot be made."""
        if self.task_name is None:
            return None
        kw = self.task_kwargs()
        seed = int(self.session.config.seed)
        key = (self.task_name, seed, tuple(sorted((k, str(v)) for k, v in kw.items())))
        if key == self._task_key and self.task is not None:
            return self.task
        seq_len = kw.pop("seq_len")
        try:
            task = make_task(self.task_name, seq_len, seed, **kw)
            baseline = task.baseline_loss  # computed here, before any worker reads the task
        except (ValueError, OSError) as exc:
            self._error_text = error_text(exc)
            self.show_message(html.escape(self._error_text, quote=False), "error")
            return None
        self.task, self._task_key = task, key
        self.probe = probe_of(task)
        self.loss_plot.set_baseline(baseline, task.baseline_note)
        note = f"{html.escape(task.description)}.<br>Baseline {fmt(baseline, 4)}: {html.escape(task.baseline_note)}."
        for w in task.warnings:
            note += f"<br><b>Note:</b> {html.escape(w)}"
        self.task_note.setText(note)
        if not isinstance(task, CharTask):
            self.prediction_plot.clear_items()
            self.prediction_plot.show_text("Train, or fit the readout: the predictions appear here.")
        self.show_message("")
        return task

    def _update_csv_label(self) -> None:
        if self._csv_path:
            self.csv_label.setText(Path(self._csv_path).name)
        else:
            self.csv_label.setText("generated random walk" if self.task_name == "keras-stock" else "sunspots (NOAA)")
        self.text_label.setText(Path(self._text_path).name if self._text_path else "the default corpus")

    def load_csv(self, path: str | None) -> bool:
        """Use a column of this CSV file (None: the bundled data); a bad file gives a message, not a crash."""
        if path is None:
            self._csv_path = None
            self._fill_columns([], 0)
            self._update_csv_label()
            self._show_task_rows()
            self._on_task_params_changed()
            return True
        try:
            names = csv_columns(path)
            task = make_task(
                self.task_name if self.task_name in ("series", "keras-stock") else "series", None, 0, csv_path=path
            )
            del task
        except (ValueError, OSError) as exc:
            self.show_message(html.escape(f"Could not use this CSV file: {error_text(exc)}", quote=False), "error")
            return False
        previous = self._csv_path, [self.column_box.itemData(i) for i in range(1, self.column_box.count())]
        previous_index = self._column_index
        self._csv_path = str(path)
        self._fill_columns(names, 0)
        self._update_csv_label()
        self._show_task_rows()
        if self.build_task() is None:
            self._csv_path = previous[0]
            self._fill_columns(previous[1], previous_index)  # the box shows the columns of the task's file
            self._show_task_rows()
            self._update_csv_label()
            return False
        self._sync_session(self.task)
        return True

    def _fill_columns(self, names: list[str], index: int) -> None:
        with QSignalBlocker(self.column_box):
            self.column_box.clear()
            if names:
                self.column_box.addItem("(the first column of numbers, not a row index)", None)
                for name in names:
                    self.column_box.addItem(name, name)
                self.column_box.setCurrentIndex(index)
        self._column_index = index

    def load_text(self, path: str | None) -> bool:
        """Learn this text file (None: the default corpus); a bad file gives a message, not a crash."""
        if path is not None:
            seq_len = int(self.seq_len.value()) if self.task_name == "chars" else DEFAULT_SEQ_LEN["chars"]
            try:
                make_task("chars", seq_len, 0, text_path=path)
            except (ValueError, OSError) as exc:
                self.show_message(f"Could not use this text file: {exc}", "error")
                return False
        self._text_path = None if path is None else str(path)
        self._update_csv_label()
        if self.task_name != "chars":
            self.set_task("chars")
        elif self.build_task() is not None:
            self.apply_recommended()
        return self.task is not None and self.task_name == "chars"

    def _open_csv_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Open a CSV file", "", "CSV files (*.csv *.txt *.tsv);;All files (*)"
        )
        if path:
            self.load_csv(path)

    def _open_text_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a text file", "", "Text files (*.txt *.md);;All files (*)")
        if path:
            self.load_text(path)

    # ---- a lesson's run, and scenario files ----------------------------------------------------
    def load_spec(self, spec: dict, sync: bool = True) -> bool:
        """A lesson's training run {"task", "seq_len", "task_args", "settings"}: the task and the settings.

        The network (cell, sizes, activation, init, seed) stays the Session's, as the lesson set it;
        settings that are config keys (clip, clip_value, truncate, penalty) go to the Session, which
        also gets the task's sizes (sync=False leaves the Session alone).
        """
        name = spec.get("task")
        if name not in TASKS:
            self.show_message(f"unknown task {name!r}", "error")
            return False
        with QSignalBlocker(self.task_box):
            self.task_box.setCurrentIndex(self.task_box.findData(name))
        self._show_task_rows()
        boxes = {
            "period": self.period,
            "noise": self.noise,
            "distance": self.distance,
            "classes": self.classes,
            "shapes": self.shapes,
        }
        args = spec.get("task_args") or {}
        for key, value in args.items():
            if key in boxes:
                set_value(boxes[key], value)
            elif key == "topology":
                set_combo(self.topology_box, value)
        if not self._use_files(name, args):
            return False
        set_value(self.seq_len, int(spec.get("seq_len") or DEFAULT_SEQ_LEN[name]))
        task = self.build_task()
        if task is None:
            return False
        self.apply_recommended(apply_to_session=False)
        settings = dict(spec.get("settings") or {})
        shared = {k: settings.pop(k) for k in REMEDY_KEYS if k in settings}
        self._set_optimiser(settings)
        if sync:
            with applying_preset(self.session):  # a saved set-up, not the user's change
                self._sync_session(task, shared)
        return True

    def _use_files(self, name: str, args: dict) -> bool:
        """The data files a spec names (a scenario's CSV column or text; none: the bundled data); False,
        with a message, if a file named cannot be read."""
        if name in ("series", "keras-stock"):
            path = args.get("csv_path")
            names, index = [], 0
            if path:
                try:
                    names = csv_columns(path)
                except (ValueError, OSError) as exc:
                    self.show_message(html.escape(f"Could not use the CSV file {path}: {error_text(exc)}"), "error")
                    return False
                column = args.get("column")
                index = names.index(column) + 1 if column in names else 0
            self._csv_path = str(path) if path else None
            self._fill_columns(names, index)
            self._update_csv_label()
            self._show_task_rows()
        elif name == "chars":
            path = args.get("text_path")
            self._text_path = str(path) if path else None
            self._update_csv_label()
        return True

    def _set_optimiser(self, settings: dict) -> None:
        if "optimizer" in settings:
            set_combo(self.optimizer_box, settings["optimizer"])
            if settings.get("lr") is None:
                set_value(self.lr, DEFAULT_LR[settings["optimizer"]])
        for key, box, kind in (
            ("lr", self.lr, float),
            ("batch", self.batch, int),
            ("iterations", self.iterations, int),
            ("dropout", self.dropout, float),
            ("momentum", self.momentum, float),
            ("forget_bias", self.forget_bias, float),
        ):
            if settings.get(key) is not None:
                set_value(box, kind(settings[key]))
        self._on_optimizer_changed()

    def training_state(self) -> dict | None:
        """The runs' histories for a scenario file (simulator.scenario.training_record per run), or None."""
        from simulator.scenario import training_record

        runs = {}
        for label, update in self.last_updates.items():
            snap = update.snapshot
            if snap is None:
                continue
            run = self.runs.get(label)
            record = training_record(snap, self.task_name, run.settings if run is not None else None)
            record["name"] = self.names.get(label, "")
            runs[label or "run"] = record
        if not runs:
            return self._restored  # a history read from a file survives a save without new training
        kw = {k: str(v) if k in ("csv_path", "text_path") else v for k, v in self.task_kwargs().items()}
        return {"task": self.task_name, "task_args": kw, "runs": runs}

    def restore_training_state(self, training: dict | None) -> None:
        """Show a scenario's training histories (loss curves) again; the weights come with the scenario."""
        if not isinstance(training, dict) or not isinstance(training.get("runs"), dict) or self._active():
            return
        self._restored = training
        self.last_updates = {}
        name = training.get("task")
        built = False  # the task of this history, made here (not the one the panel had before)
        if name in TASKS:
            args = dict(training.get("task_args") or {})
            spec = {"task": name, "seq_len": args.pop("seq_len", None), "task_args": args}
            first = next(iter(training["runs"].values()), {})
            spec["settings"] = {
                k: v
                for k, v in (first.get("settings") or {}).items()
                if k in ("optimizer", "lr", "batch", "iterations", "dropout", "momentum")
            }
            built = self.load_spec(spec, sync=False)  # the scenario has set the Session already
        names = {("" if k == "run" else k): str(r.get("name", "")) for k, r in training["runs"].items()}
        self.loss_plot.reset(names)
        for key, record in training["runs"].items():
            try:
                snap = _RecordedRun(record)
            except (KeyError, TypeError, ValueError):
                continue
            self.loss_plot.show_update(TrainingUpdate("" if key == "run" else key, "done", snap))
        net = self.session.network
        if built and net is not None and self.task is not None:
            # the trained weights on the task's held-out sequence, as they were shown while training
            # (the config's own random sequence is not what they learned: a saved sine predictor
            # reopened with loss 0.95 instead of 0.0075)
            with applying_preset(self.session):
                self._mirror(net, force=True, always=True, what="weights from the file")

    def apply_recommended(self, apply_to_session: bool = True) -> None:
        """The task's recommended optimiser settings, network and remedies (the headless command's defaults)."""
        task = self.build_task()
        if task is None:
            return
        d = task.defaults
        set_combo(self.optimizer_box, d.get("optimizer", "adam"))
        set_value(self.lr, float(d.get("lr") or DEFAULT_LR[d.get("optimizer", "adam")]))
        set_value(self.batch, int(d.get("batch", 32)))
        set_value(self.iterations, int(d.get("iterations", 400)))
        set_value(self.dropout, float(d.get("dropout", 0.0)))
        set_value(self.forget_bias, float(d.get("forget_bias", 0.0)))
        set_value(self.momentum, 0.9)
        self._on_optimizer_changed()
        if apply_to_session:
            network = {
                "cell": d.get("cell", "lstm"),
                "hidden": int(d.get("hidden", 32)),
                "layers": int(d.get("layers", 1)),
                "clip": float(d.get("clip", 0.0)),
                "clip_value": float(d.get("clip_value", 0.0)),
                "truncate": 0,
                "penalty": 0.0,
            }
            with applying_preset(self.session):  # the lab's set-up, not the user's change: no faint "before" curve
                self._sync_session(task, network)

    def _sync_session(self, task: Task, network: dict | None = None, preview: bool = True) -> bool:
        """Make the main view's config describe this task's network (sizes, T, topology); show its start."""
        dims = {
            "inputs": task.inputs,
            "outputs": task.outputs,
            "steps": task.seq_len,
            "topology": topology_of(task),
            "batch": 1,
        }
        changes = {**(network or {}), **dims}
        try:
            self.session.update(**changes)
            note = ""
        except ValueError as exc:
            note = (
                f"The main view cannot show this network ({exc}), so its plots stay as they are; "
                "the training itself is not affected."
            )
            if network:
                try:
                    self.session.update(**network)
                except ValueError as exc2:
                    self.show_message(str(exc2), "error")
        self._mirror_ok = not note
        if note:
            self.show_message(note, "note")
        elif preview:
            self.preview()
        return not note

    def preview(self) -> None:
        """Show the untrained network on the task's first held-out sequence in the main view."""
        if self.running or self.task is None:
            return
        try:
            trainer = Trainer(self.task, self.settings())
        except ValueError as exc:
            self.show_message(str(exc), "error")
            return
        self._mirror(trainer.net, force=True, what=UNTRAINED)

    # ---- settings ------------------------------------------------------------------------
    def settings(self, **overrides) -> TrainSettings:
        """The TrainSettings of a run: the Session's network and remedies, the panel's optimiser."""
        c = self.session.config
        task = self.task
        values = dict(
            cell=c.cell,
            hidden=c.hidden,
            layers=c.layers,
            activation=c.activation,
            variant=c.variant,
            init=c.init,
            wrec=c.wrec,
            leak=c.leak,
            seed=c.seed,
            clip=c.clip,
            clip_value=c.clip_value,
            truncate=c.truncate,
            penalty=c.penalty,
            optimizer=self.optimizer_box.currentData(),
            lr=float(self.lr.value()),
            momentum=float(self.momentum.value()),
            batch=int(self.batch.value()),
            iterations=int(self.iterations.value()),
            dropout=float(self.dropout.value()) if c.layers > 1 else 0.0,
            forget_bias=float(self.forget_bias.value()) if c.cell == "lstm" else 0.0,
        )
        if task is not None and task.seq_len <= c.truncate:
            values["truncate"] = 0
        if task is not None:  # held-out evaluations take at most about a fifth of the time
            held = task.held_out()[0].shape[1]
            values["eval_every"] = max(1, values["iterations"] // 25, math.ceil(4 * held / (3 * values["batch"])))
        values.update(overrides)
        return TrainSettings().replace(**values)

    def _apply(self, **changes) -> bool:
        """A network or remedy key to the Session (the main view follows); a refusal shows why."""
        try:
            self.session.update(**changes)
        except ValueError as exc:
            self.show_message(str(exc), "error")
            self._on_config_changed(self.session.config)
            return False
        if not self.running:
            self.preview()
        return True

    def _on_remedy_toggled(self, key: str, on: bool) -> None:
        box = self.remedy_values[key]
        value = (int(box.value()) if key == "truncate" else float(box.value())) if on else 0
        self._apply(**{key: value})

    def _on_remedy_value(self, key: str, value) -> None:
        if self.remedy_checks[key].isChecked():
            self._apply(**{key: int(value) if key == "truncate" else float(value)})

    def _change_live(self, **changes) -> None:
        for run in self.runs.values():
            run.change(**changes)

    def _on_optimizer_changed(self, *_args) -> None:
        self._apply_visibility()

    # ---- which controls show ------------------------------------------------------------------
    def set_visible_controls(self, names) -> None:
        """Show only the controls a lesson names (simulator.lessons.CONTROLS vocabulary); None shows them all."""
        self._shown = None if names is None else frozenset(names)
        self._apply_visibility()

    def shows(self, name: str) -> bool:
        """Whether the control `name` is offered (no lesson restricts it, or the lesson names it)."""
        return self._shown is None or name in self._shown

    def _apply_visibility(self) -> None:
        config, shows = self.session.config, self.shows
        simple, lstm, esn = config.cell in ("rnn", "esn"), config.cell == "lstm", config.cell == "esn"
        net = self.network_form
        net.setRowVisible(self.cell_box, shows("cell"))
        net.setRowVisible(self.sizes_row, shows("hidden") or shows("layers"))
        net.setRowVisible(self.activation_box, simple and shows("activation"))
        net.setRowVisible(self.init_box, shows("init"))
        net.setRowVisible(self.seed, shows("seed"))
        for key, row in self.remedy_rows.items():
            net.setRowVisible(row, shows(key) and (simple or key != "penalty"))
        opt = self.training_form
        opt.setRowVisible(self.optimizer_box, shows("optimizer"))
        opt.setRowVisible(self.momentum, shows("optimizer") and self.optimizer_box.currentData() == "sgd")
        opt.setRowVisible(self.dropout, config.layers > 1)
        opt.setRowVisible(self.forget_bias, lstm)
        opt.setRowVisible(self.ridge_box, esn and shows("esn_fit"))
        self.fit_button.setVisible(esn and shows("esn_fit"))
        self.compare_check.setVisible(shows("compare"))
        self.preset_box.setVisible(shows("compare"))
        if not shows("compare") and self.compare_check.isChecked():
            self.compare_check.setChecked(False)
        self.char_view.set_temperature_visible(shows("temperature"))

    def _on_config_changed(self, config) -> None:
        old, self._config = self._config, config
        set_combo(self.cell_box, config.cell)
        set_combo(self.activation_box, config.activation)
        set_combo(self.init_box, config.init)
        for box, key in ((self.hidden, "hidden"), (self.layers, "layers"), (self.seed, "seed")):
            set_value(box, getattr(config, key))
        for key, check in self.remedy_checks.items():
            value = getattr(config, key)
            with QSignalBlocker(check):
                check.setChecked(value > 0)
            if value > 0:
                set_value(self.remedy_values[key], value)
        if old is None or (old.cell, old.layers) != (config.cell, config.layers):  # what the rows depend on
            self._apply_visibility()  # (walking the forms on every Wrec step was a good part of this handler)
            self._set_state()  # Fit readout: for an ESN
        if old is None or old == config:
            return
        changed = {k for k in config.to_dict() if getattr(config, k) != getattr(old, k)}
        if changed & set(REMEDY_KEYS):
            self._change_live(**{k: getattr(config, k) for k in REMEDY_KEYS if k in changed})
        if self.running and changed & set(WEIGHT_KEYS) and self._mirror_ok:
            self._mirror_ok = False
            self.show_message(
                "The main view now shows your new network; the training goes on with its own. "
                "Press Train to train the new one.",
                "note",
            )
        elif changed <= set(REMEDY_KEYS) and self.last_net is not None and self._mirror_ok:
            soon(self._remirror)  # after the Session has sent its own trace
        if "seed" in changed and not self.running:
            self.build_task()

    def _remirror(self) -> None:
        if self.last_net is not None:
            self._mirror(self.last_net, force=True, what=self.last_what)

    # ---- runs ----------------------------------------------------------------------------
    def start(self) -> bool:
        """Train from fresh weights (two runs in compare mode); False with a message if it cannot start."""
        if self._active() or self._shut:
            return False
        task = self.build_task()
        if task is None:
            if self.task_name is None:
                self.show_message("Choose a task first.", "error")
            return False
        with applying_preset(self.session):  # the run shows its own starting weights (the lab's doing)
            self._sync_session(task, preview=False)
        try:
            if self.compare_check.isChecked():
                plans = self._compare_plans()
            else:
                plans = [("", "", self.settings())]
            runs = {
                label: TrainingRun(label, Trainer(task, settings), self.probe, parent=self)
                for label, _, settings in plans
            }
        except ValueError as exc:
            self.show_message(f"Cannot train this: {exc}", "error")
            return False
        self._begin(runs, {label: name for label, name, _ in plans})
        return True

    def _compare_plans(self) -> list[tuple[str, str, TrainSettings]]:
        _, a, b, name_a, name_b = PRESETS[self.preset_box.currentData()]
        session_keys = {k: v for k, v in a.items() if k in self.session.config.to_dict()}
        if session_keys:
            with applying_preset(self.session):  # the main view shows A (the lab's change, not the user's)
                self._sync_session(self.task, session_keys, preview=False)
        panel_a = {k: v for k, v in a.items() if k not in session_keys}
        settings_a = self.settings(**panel_a)
        settings_b = settings_a.replace(**b)
        return [("A", name_a, settings_a), ("B", name_b, settings_b)]

    def fit_readout(self) -> bool:
        """Echo state network: fit the readout by ridge regression (in a worker) and show the fit."""
        if self._active() or self._shut:
            return False
        task = self.build_task()
        if task is None:
            return False
        if self.session.config.cell != "esn":
            self.show_message("Fit readout is for an echo state network: choose the cell ESN.", "note")
            return False
        try:
            trainer = Trainer(task, self.settings(iterations=0))
        except ValueError as exc:
            self.show_message(f"Cannot fit: {exc}", "error")
            return False
        ridge = float(self.ridge_box.currentData())
        self._begin({"": TrainingRun("", trainer, self.probe, fit_readout=ridge, parent=self)}, {"": ""})
        return True

    def _begin(self, runs: dict[str, TrainingRun], names: dict[str, str]) -> None:
        self._restored = None
        self._retry, self._retrying = False, self._retry  # a run started by a "Retry: ..." button
        self.closing += [r for r in self.runs.values() if r.running]  # stopped, finishing an iteration
        self.runs, self.names = runs, names
        self.last_updates = {}
        self.last_net = None
        self._mirror_due = 0.0
        self.loss_plot.reset(names)
        self.gradient_plot.reset(names)
        if not isinstance(self.task, CharTask):
            self.prediction_plot.show_text("The predictions appear here after the first moments of training.")
        self.progress[""].show()
        self.progress["B"].setVisible("B" in runs)
        for label, p in self.progress.items():
            key = label if label in runs else ("A" if label == "" and "A" in runs else None)
            p.name.setText(f"<b>{names.get(key, '')}</b>" if key else "")
            p.bar.setValue(0)
            p.show_text("starting…")
        self.show_message("")
        if self._blas_before is None:
            self._blas_before = blas_threads()
            blas_threads(1)  # small matrices: one BLAS thread is fastest and leaves a core to the window
        first = next(iter(runs.values()))
        self._mirror(first.trainer.net, force=True, what=UNTRAINED)  # the starting weights
        for run in runs.values():
            run.updated.connect(self._on_update)
            run.finished.connect(self._on_finished)
            run.closed.connect(self._on_closed)
            run.set_temperature(self.char_view.value)
            run.start()
        self._set_state()
        self.results.setCurrentWidget(self.loss_plot)
        shown = self.visibleRegion().boundingRect().height()  # less than height() in a scroll area
        if shown < COLLAPSE_BELOW and self.settings_button.isChecked():
            self.settings_button.setChecked(False)  # cramped: the curves get the room (the button brings them back)

    def toggle(self) -> None:
        """The Train command: start, or pause, or resume."""
        if any(r.state == "running" for r in self.runs.values()):
            self.pause()
        elif self.paused:
            self.resume()
        else:
            self.start()

    def toggle_pause(self) -> None:
        """Pause or resume."""
        self.resume() if self.paused else self.pause()

    def pause(self) -> None:
        """Pause every run after its current iteration."""
        for run in self.runs.values():
            run.pause()
        self._set_state()
        self._show_progress()

    def resume(self) -> None:
        """Carry on training."""
        for run in self.runs.values():
            run.resume()
        self._set_state()

    def stop(self) -> None:
        """Stop every run now (the threads end after their current iteration); the weights are kept."""
        for run in self.runs.values():
            run.stop()
        self._set_state()
        self._show_progress()

    def _show_progress(self) -> None:
        for label, run in self.runs.items():
            if run.last is not None:
                self.progress["B" if label == "B" else ""].show_update(run.last, run.state)

    def _on_update(self, update: TrainingUpdate) -> None:
        if self._shut or self.sender() not in self.runs.values():
            return  # a late word from a run that was replaced
        label = update.label
        self.last_updates[label] = update
        run = self.runs.get(label)
        state = run.state if run is not None else update.state
        self.progress["B" if label == "B" else ""].show_update(update, state)
        self.loss_plot.show_update(update)
        self.gradient_plot.show_update(update)
        if label in ("", "A"):
            if update.predictions is not None:
                compared = label == "A"  # two runs: the plot shows the first, by its name
                name = (self.names.get(label) or "run A") if compared else ""
                self.prediction_plot.show_predictions(update.predictions, label, name)
            if update.activations is not None or update.sample is not None:
                self.char_view.show_update(update)
            if update.snapshot is not None:
                self.last_net, self.last_what = update.snapshot.net, self.weights_note(update)
                self._mirror(update.snapshot.net, what=self.last_what)
        if update.message:
            self.show_message(update.message, "note")
        self.update_received.emit(update)

    def _on_finished(self, update: TrainingUpdate) -> None:
        if self._shut or self.sender() not in self.runs.values():
            return
        self._on_update(update)
        parts, error, fix, learned = [], False, None, True
        for label, run in self.runs.items():
            last = run.last
            if last is None or last.state in ("running", "paused", "stopping"):
                continue
            name = f"<b>{html.escape(self.names.get(label) or label)}</b>: " if label else ""
            if last.state == "diverged" and last.snapshot is not None:
                parts.append(name + divergence_html(last.snapshot.message))
                error = True
                if label in ("", "A"):
                    fix = remedies(run.trainer.settings, last.snapshot.net, run.task)
            elif last.state == "failed":
                parts.append(name + html.escape(last.message))
                error = True
            elif last.snapshot is not None:
                learned = learned and self._learned(last.snapshot)
                fit = last.extras.get("readout_fit")
                if fit is not None:
                    ridge, train, _ = fit
                    parts.append(
                        f"{name}Readout fitted by ridge regression (λ = {ridge:g}): training loss "
                        f"{fmt(train, 3)}, " + self._verdict(last.snapshot)
                    )
                else:
                    parts.append(name + self._verdict(last.snapshot))
                if self._retrying and label in ("", "A") and last.state == "done" and not self._learned(last.snapshot):
                    # the remedy kept the run finite but it did not learn: the next remedies
                    fix = remedies(run.trainer.settings, last.snapshot.net, run.task)
                    error = True
                    parts.append("The retry did not help enough. " + remedies_html(fix))
        # the success colour only when every run learned: a green "not learned yet" reads as a success
        self.show_message("<br>".join(parts), "error" if error else "ok" if learned and parts else "note")
        if fix:
            self._offer_fixes(fix)
        if update.label in ("", "A") and update.snapshot is not None:
            self._mirror(update.snapshot.net, force=True, what=self.weights_note(update))
        self._set_state()

    def _learned(self, snap) -> bool:
        """Whether the held-out loss is below half the baseline (the verdict 'learned')."""
        base = self.task.baseline_loss if self.task is not None else math.nan
        return bool(snap.test_loss) and snap.test_loss[-1][1] < 0.5 * base

    def _verdict(self, snap) -> str:
        """Held-out loss against the baseline, in words."""
        base = self.task.baseline_loss if self.task is not None else math.nan
        if not snap.test_loss:
            return f"stopped after {snap.iteration} iterations."
        test = snap.test_loss[-1][1]
        if test < 0.5 * base:
            verdict = "learned"
        elif test < 0.9 * base:
            verdict = "better than the baseline, still learning"
        else:
            verdict = "not learned yet (no better than the baseline)"
        if not snap.train_loss:  # a readout fit: no training iterations
            return f"held-out loss {fmt(test, 3)} (baseline {fmt(base, 4)}): {verdict}."
        return f"held-out loss {fmt(test, 3)} after {snap.iteration} iterations (baseline {fmt(base, 4)}): {verdict}."

    def _on_closed(self) -> None:
        run = self.sender()
        if run in self.closing:
            self.closing.remove(run)
        if not self.running and self._blas_before is not None:
            blas_threads(self._blas_before)
            self._blas_before = None
        if not self._shut:
            self._set_state()

    def _on_temperature_changed(self, value: float) -> None:
        for run in self.runs.values():
            run.set_temperature(value)

    def _resample(self, temperature: float) -> None:
        """Outside a run: a new sample from the last weights at this temperature, in a thread."""
        task, net = self.task, self.last_net
        if self.running or self._shut or net is None or not isinstance(task, CharTask):
            return
        self.jobs = [j for j in self.jobs if not j.isFinished()]  # a finished thread can go
        self.jobs.append(
            run_in_thread(lambda: (temperature, sample_text(net, task, SAMPLE_LENGTH, temperature)), self._on_sample)
        )

    def _on_sample(self, result) -> None:
        if self._shut:
            return
        if isinstance(result, Exception):
            self.char_view.show_sample(f"could not sample: {result}", "<b>Sample</b>")
            return
        temperature, text = result
        self.char_view.show_sample(text, f"<b>Sample</b> from the trained weights (temperature {temperature:.2f})")

    # ---- the main view -------------------------------------------------------------------
    def weights_note(self, update: TrainingUpdate) -> str:
        """What a run's weights are, in words: trained for how long, or not yet (the Build panel says it).

        A diverged run keeps the weights with its lowest batch loss, which may be the initial ones;
        an echo state network's readout fitted in one call has trained weights after 0 iterations."""
        snap = update.snapshot
        if "readout_fit" in update.extras:
            return "trained weights (readout fitted)"
        n = snap.iteration
        run = self.runs.get(update.label)
        if update.state == "diverged" and run is not None:  # (the worker has let go of the trainer)
            n = run.trainer.best_iteration
        return f"trained weights ({n} iteration{'' if n == 1 else 's'})" if n else UNTRAINED

    def weights_origin(self, net) -> str | None:
        """What the Session's own weights are when the lab put them there (weights_note), else None."""
        if self._mirrored is None or self._mirrored[0] is not net:
            return None
        return self._mirrored[1]

    def _mirror(self, net, force: bool = False, always: bool = False, what: str = "trained weights") -> bool:
        """Hand the weights to the Session (throttled unless force), on the task's first held-out sequence.

        always: also when a change of the network's keys during a run turned mirroring off (weights
        reopened from a file are shown on their task whatever happened to an earlier run).
        what: what the weights are (weights_note), for weights_origin."""
        if net is None or self.probe is None or not (self._mirror_ok or always):
            return False
        now = time.perf_counter()
        if not force and now < self._mirror_due:
            return False
        config = self.session.config
        x = self.probe[0]
        try:
            check_network_matches(config, net)
            if x.shape[0] != config.steps or x.shape[2] != config.inputs:
                return False
            self._mirrored = (net, what)  # before the Session's trace_changed asks weights_origin
            self.session.set_network(net, self.probe)
        except ValueError:
            return False
        cost = time.perf_counter() - now
        self._mirror_due = time.perf_counter() + max(MIRROR_INTERVAL, cost / MIRROR_SHARE)
        return True

    # ---- messages, theme, shutting down ----------------------------------------------------
    def _offer_fixes(self, fixes: list[Remedy]) -> None:
        """A button per remedy the message lists: it applies the remedy and trains again."""
        session_keys = set(self.session.config.to_dict())
        for remedy in fixes:
            session_changes = {k: v for k, v in remedy.changes.items() if k in session_keys}
            panel_changes = {k: v for k, v in remedy.changes.items() if k not in session_keys}
            button = QPushButton(f"Retry: {remedy.label}")
            button.setObjectName("fix_button")
            button.setToolTip(f"Apply the remedy ({remedy.text}) and train again from fresh weights")
            button.clicked.connect(lambda _=False, a=session_changes, b=panel_changes: self._apply_fix(a, b))
            self.fixes_row.addWidget(button)
            self.fix_buttons.append(button)

    def _clear_fixes(self) -> None:
        for button in self.fix_buttons:
            self.fixes_row.removeWidget(button)
            button.deleteLater()
        self.fix_buttons = []

    def _apply_fix(self, session_changes: dict, panel_changes: dict) -> None:
        if self._active():
            return
        if session_changes and not self._apply(**session_changes):
            return
        if "lr" in panel_changes:
            self.lr.setValue(panel_changes["lr"])
        self._retry = True
        if not self.start():
            self._retry = False

    def show_message(self, text: str, kind: str = "note") -> None:
        """A message under the buttons: 'error' (red), 'note' or 'ok'; '' hides it."""
        self._clear_fixes()
        self.message_area.setVisible(bool(text))
        self.message.setProperty("kind", kind)
        self.message.setText(text)
        self._style_message()
        self._fit_message()

    def _fit_message(self) -> None:
        """The message's area as tall as its text, at most MESSAGE_SHARE of the panel but at least MESSAGE_LINES
        lines (a run's verdict, three lines at large type, showed two and hid "learned" under a scroll bar)."""
        if not self.message.text():
            return
        m = self.layout().contentsMargins()
        width = max(1, self.width() - m.left() - m.right())
        need = self.message.heightForWidth(width)
        line = self.message.fontMetrics().lineSpacing()
        pad = 2 * (MESSAGE_PADDING + 1)  # its padding and 1 px border, above and below
        cap = max(2, int((MESSAGE_SHARE * self.height() - pad) / line)) * line + pad  # whole lines, two at least
        if round((need - pad) / line) <= MESSAGE_LINES:  # a short message: whole, with no scroll bar
            cap = max(cap, need)
        if need > cap:  # the scroll bar takes its width from the text
            need = self.message.heightForWidth(width - self.message_area.verticalScrollBar().sizeHint().width())
        height = max(1, min(need, cap))
        if self.message_area.height() != height or self.message_area.minimumHeight() != height:
            self.message_area.setFixedHeight(height)

    def _style_message(self) -> None:
        c = self.theme.colours
        kind = self.message.property("kind")
        colour = {"error": c.exploding, "ok": c.stable}.get(kind, c.muted)
        weight = "normal"
        self.message.setStyleSheet(
            f"color: {colour}; font-weight: {weight}; border: 1px solid {colour}; border-radius: 4px; "
            f"padding: {MESSAGE_PADDING}px;"
        )

    def _on_theme_changed(self) -> None:
        t = self.theme
        self._style_message()
        self.shared_note.setStyleSheet(f"color: {t.colours.muted};")
        self.task_note.setStyleSheet(f"color: {t.colours.muted};")
        big = t.font(1.1, bold=True)
        for b in (self.train_button, self.pause_button, self.stop_button):
            b.setFont(big)

    def shutdown(self) -> None:
        """Stop every run and wait for its thread (at most one iteration); safe to call twice."""
        self._shut = True
        for run in [*self.runs.values(), *self.closing]:
            run.wait()
        self.char_view.resample_timer.stop()
        for job in self.jobs:
            job.wait()
        self.jobs = []
        if self._blas_before is not None:
            blas_threads(self._blas_before)
            self._blas_before = None

    def settings_need(self) -> int:
        """The settings' height for the tab in front without scrolling (its tab bar and frame too)."""
        tabs = self.settings_tabs
        page = tabs.currentWidget()
        inner = page.widget()
        width = page.viewport().width() or tabs.width()
        content = inner.heightForWidth(width) if inner.hasHeightForWidth() else -1
        if content < 0:
            content = inner.sizeHint().height()
        frame = tabs.style().pixelMetric(tabs.style().PixelMetric.PM_DefaultFrameWidth)
        return content + tabs.tabBar().sizeHint().height() + 2 * frame + 4

    def _fit_split(self) -> None:
        """The settings as tall as their tab needs but at most SETTINGS_SHARE of the height; the
        plots all the rest. Until the user drags the handle between them."""
        if self._split_dragged or self.settings_tabs.isHidden():
            return
        total = sum(self.splitter.sizes())
        if total <= 0:
            return
        top = max(self.settings_tabs.minimumHeight(), min(self.settings_need(), int(SETTINGS_SHARE * total)))
        if abs(self.splitter.sizes()[0] - top) > 1:
            self.splitter.setSizes([top, total - top])

    def _on_split_dragged(self, _pos: int, _index: int) -> None:
        self._split_dragged = True

    def showEvent(self, event) -> None:
        """See _fit_split."""
        super().showEvent(event)
        self._fit_split()

    def resizeEvent(self, event) -> None:
        """Docks get their size late: see _fit_split."""
        super().resizeEvent(event)
        self._wrap_controls()
        self._fit_message()
        self._fit_split()

    def closeEvent(self, event: QCloseEvent) -> None:
        """Closing the panel (as a window) stops the training first."""
        self.shutdown()
        super().closeEvent(event)
