"""The training lab's views: the loss curves, the predictions over the truth, the gradient norms, the char view.

Each plot is built once and receives new arrays (`setData`) from the TrainingUpdates of
ui/training_worker.py; nothing here trains or computes more than a colour. The char view
shows live samples at a temperature and colours held-out text by the activation of one
hidden unit or gate (Karpathy, Johnson & Fei-Fei 2015), with a hunt for the unit that best
tracks quotes or bracket depth.
"""

from __future__ import annotations

import html
import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QTextDocument
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from . import theme as theme_mod
from .plots import PlotPanel, RowLegend, fmt, label_width, positive
from .session import Session
from .training_worker import TrainingUpdate

CAPTION_SHARE = 0.12  # the most of a plot panel's height its whole caption may take (else its first sentence)
SMOOTH_TARGET = 60  # the smoothed training curve averages about n / SMOOTH_TARGET iterations


def set_combo(box: QComboBox, key) -> None:
    """Select the item whose data is key, without emitting (a Session value written back)."""
    i = box.findData(key)
    if i >= 0 and i != box.currentIndex():
        with QSignalBlocker(box):
            box.setCurrentIndex(i)


def set_value(box, value) -> None:
    """Set a spin box or slider without emitting (a Session value written back)."""
    if box.value() != value:
        with QSignalBlocker(box):
            box.setValue(value)


def smooth(y: np.ndarray) -> np.ndarray:
    """A running mean over about len(y) / SMOOTH_TARGET iterations (the first ones over fewer)."""
    y = np.asarray(y, dtype=float)
    w = max(1, len(y) // SMOOTH_TARGET)
    if w == 1 or len(y) == 0:
        return y
    c = np.cumsum(np.where(np.isfinite(y), y, 0.0))
    out = np.empty_like(y)
    out[:w] = c[:w] / np.arange(1, w + 1)
    out[w:] = (c[w:] - c[:-w]) / w
    return out


# ---- plots -----------------------------------------------------------------------------------
class _Plot(PlotPanel):
    """A PlotPanel without the playhead: x is not the step of the main view's trace."""

    time_axis = False

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(session, parent)
        # in rows under the x-axis: a legend inside the view covered the curves (a compare run's
        # flat tanh RNN loss at 0.69 lay under it), wherever the data went
        self.legend = RowLegend(self.plot, columns=4)
        # a narrow dock at large type: the title gives way (its short form) instead of widening the lab
        self.title_label.setMinimumWidth(1)
        self._caption = self.caption  # the whole caption; a short panel shows its first sentence
        self.theme.changed.connect(self._on_theme_changed)

    def set_caption(self, text: str) -> None:
        """The caption under the plot (its first sentence only where the panel is short)."""
        self._caption = text
        self._fit_texts()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_texts()

    def _fit_title(self) -> None:
        """The short title when the full one is wider than the panel."""
        m = self.layout().contentsMargins()
        room = self.width() - m.left() - m.right()
        fits = label_width(self.title_label, self.title) <= room
        title = self.title if fits or not self.short_title else self.short_title
        if self.title_label.text() != title:
            self.title_label.setText(title)

    def _caption_height(self, text: str, width: int) -> float:
        doc = QTextDocument()
        doc.setDefaultFont(self.caption_label.font())
        doc.setDocumentMargin(0)
        doc.setHtml(text)
        doc.setTextWidth(width)
        return doc.size().height()

    def _fit_texts(self) -> None:
        """The title, and the caption cut to its first sentence (the whole in its tooltip) when all of it
        would take more than CAPTION_SHARE of the panel's height, or left out when that sentence would too:
        a compare run at 1.5× type in a 720 px window left the loss curves no height under the caption."""
        self._fit_title()
        whole = self._caption
        text = whole
        first = whole.split(". ")[0].rstrip(".") + "."
        m = self.layout().contentsMargins()
        width = self.width() - m.left() - m.right()
        room = CAPTION_SHARE * self.height()
        if width > 0 and self._caption_height(whole, width) > room:
            text = first if ". " in whole and self._caption_height(first, width) <= room else ""
        label = self.caption_label
        label.setVisible(bool(text))
        if label.text() != text:
            label.setText(text)
            label.setToolTip("" if text == whole else whole)
        # the title's tooltip: its whole text when it is short, and the caption when that is left out
        tip = [self.title] if self.title_label.text() != self.title else []
        self.title_label.setToolTip("<br>".join(tip + ([] if text else [whole])))

    def _on_trace_changed(self, trace) -> None:  # not connected: these plots follow the runs
        pass

    def _on_theme_changed(self) -> None:
        super()._on_theme_changed()
        self.style_legend(self.legend)
        self.restyle()
        self._fit_texts()  # the fonts' sizes changed

    def restyle(self) -> None:
        """Pens and brushes from the theme."""

    def run_colour(self, label: str) -> str:
        c = self.theme.colours
        return c.series[1] if label == "B" else c.series[0]


class LossPlot(_Plot):
    """The training loss per iteration (faint: every batch; solid: smoothed), the held-out loss and the baseline."""

    title = "Loss"
    caption = (
        "Faint: each training batch; solid: their running mean; dots: held-out sequences (never trained on). "
        "Dashed: the baseline to beat."
    )

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(session, parent)
        self.plot.setLogMode(False, True)
        self.plot.setLabel("bottom", "iteration")
        self.plot.getAxis("bottom").enableAutoSIPrefix(False)
        self.iterations = 0  # the x-axis spans the whole run, so the curve fills it as training goes
        self.curves: dict[str, tuple] = {}
        self.names: dict[str, str] = {}
        self.baseline = pg.InfiniteLine(angle=0, movable=False)
        self.baseline.hide()
        self.plot.addItem(self.baseline)
        self.baseline_key = pg.PlotDataItem()  # the baseline's entry in the legend (an InfiniteLine has none)
        self.held_out_key = pg.PlotDataItem()  # two runs: one grey entry for both runs' dots (colour names the run)
        self.baseline_value = math.nan
        self.baseline_note = ""
        self._on_theme_changed()
        self._show_axis_values()

    def has_data(self) -> bool:
        """Whether any run has drawn a loss yet."""
        return any(c.yData is not None and len(c.yData) for curves in self.curves.values() for c in curves)

    def _show_axis_values(self) -> None:
        """No numbers on an empty plot's axes (before a task they read 2, 5 and 0.2 … 0.8, which meant
        nothing): the loss axis numbers once there is a loss or a baseline, the iterations' once a run draws."""
        data = self.has_data()
        baseline = math.isfinite(self.baseline_value) and self.baseline_value > 0
        for name, shown in (("left", data or baseline), ("bottom", data)):
            axis = self.plot.getAxis(name)
            if axis.style["showValues"] != shown:
                axis.setStyle(showValues=shown)

    def reset(self, labels: dict[str, str]) -> None:
        """One set of curves per run: {label: name} ('' for a single run)."""
        for raw, smooth_curve, test in self.curves.values():
            for item in (raw, smooth_curve, test):
                self.legend.removeItem(item)
                self.plot.removeItem(item)
        self.legend.removeItem(self.baseline_key)
        self.legend.removeItem(self.held_out_key)
        self.curves, self.names = {}, dict(labels)
        self.iterations = 0
        for label, name in labels.items():
            # two runs: a run's name on its solid curve, and one "held-out" entry: four short
            # entries fit a row under the plot where "A: training, A: held-out, ..." took three
            raw = self.plot.plot([], [])
            raw.setZValue(1)
            smooth_curve = self.plot.plot([], [], name=name if label else "training (running mean)")
            smooth_curve.setZValue(5)
            test = self.plot.plot([], [], name=None if label else "held-out")
            test.setZValue(6)
            self.curves[label] = (raw, smooth_curve, test)
        if any(labels):
            self.legend.addItem(self.held_out_key, "held-out")
        self.set_baseline(self.baseline_value, self.baseline_note)
        self.restyle()
        self.badge.setText("")
        self._show_axis_values()

    def set_baseline(self, value: float, note: str) -> None:
        """The naive predictor's loss (a dashed line)."""
        self.baseline_value, self.baseline_note = value, note
        ok = math.isfinite(value) and value > 0
        self.baseline.setVisible(ok)
        self.legend.removeItem(self.baseline_key)
        if ok:
            self.baseline.setValue(math.log10(value))
            self.baseline.setToolTip(f"baseline {fmt(value, 4)}: {note}")
            self.legend.addItem(self.baseline_key, f"baseline {fmt(value, 4)}")
        self._show_axis_values()

    def show_update(self, update: TrainingUpdate) -> None:
        """New loss histories of one run."""
        snap = update.snapshot
        if snap is None or update.label not in self.curves:
            return
        raw, smooth_curve, test = self.curves[update.label]
        if snap.iterations > self.iterations:
            self.iterations = snap.iterations
            self.plot.setXRange(0, self.iterations, padding=0.02)
        y = np.asarray(snap.train_loss, dtype=float)
        x = np.arange(len(y))
        raw.setData(x, positive(y))
        smooth_curve.setData(x, positive(smooth(y)))
        if snap.test_loss:
            it, v = zip(*snap.test_loss, strict=True)
            test.setData(np.asarray(it, dtype=float), positive(np.asarray(v, dtype=float)))
        else:
            test.setData([], [])
        self._show_axis_values()
        texts = []
        for label, (_, _, t) in self.curves.items():
            if t.yData is not None and len(t.yData):
                last = t.yData[-1]
                name = self.names[label]
                value = fmt(last, 3) if np.isfinite(last) else "–"
                texts.append(f"{name + ' ' if name else ''}held-out <b>{value}</b>")
        self.badge.setText(" · ".join(texts))

    def restyle(self) -> None:
        t, c = self.theme, self.theme.colours
        single = list(self.curves) == [""]
        for label, (raw, smooth_curve, test) in self.curves.items():
            colour = c.backward if single else self.run_colour(label)
            faint = QColor(colour)
            faint.setAlpha(70)
            raw.setPen(pg.mkPen(faint, width=1))
            smooth_curve.setPen(t.pen(colour, 2.5))
            test_colour = c.forward if single else colour
            test.setPen(t.pen(test_colour, 2, Qt.PenStyle.DashLine))
            test.setSymbol("o")
            test.setSymbolSize(7)
            test.setSymbolBrush(test_colour)
            test.setSymbolPen(pg.mkPen(c.background))
        key = self.held_out_key
        key.setPen(t.pen(c.muted, 2, Qt.PenStyle.DashLine))
        key.setSymbol("o")
        key.setSymbolSize(7)
        key.setSymbolBrush(c.muted)
        key.setSymbolPen(pg.mkPen(c.background))
        self.baseline.setPen(t.pen(c.bound, 2, Qt.PenStyle.DashLine))
        self.baseline_key.setPen(t.pen(c.bound, 2, Qt.PenStyle.DashLine))

    def hover_text(self, x, y):
        parts = [f"iteration {max(0, round(x))}"]
        for label, (_, smooth_curve, test) in self.curves.items():
            ys = smooth_curve.yData
            i = round(x)
            name = self.names[label] + " " if self.names[label] else ""
            if ys is not None and 0 <= i < len(ys) and np.isfinite(ys[i]):
                parts.append(f"{name}training (mean) {fmt(ys[i], 4)}")
            if test.xData is not None and len(test.xData):
                j = int(np.argmin(np.abs(test.xData - x)))
                parts.append(f"{name}held-out at {int(test.xData[j])}: {fmt(test.yData[j], 4)}")
        if math.isfinite(self.baseline_value):
            parts.append(f"baseline {fmt(self.baseline_value, 4)}")
        return "\n".join(parts)


CAPTIONS = {  # what the predictions plot shows, per kind of task
    "series": "Held-out data the network never trained on. Thick: the truth; thin: the prediction one step ahead.",
    "curves": "A held-out sequence. Thick: the truth; thin: the network's prediction; dots: the noisy input.",
    "generate": "Each waveform asked for at amplitude 1. Thick: the truth; thin: what the network generates.",
    "window": "One held-out window: the noisy input, the next value (●) and the network's prediction (×).",
    "scatter": "Each dot is a held-out sequence. On the dashed diagonal the network is right; a flat row at 1 "
    "is the baseline (always answering the average sum).",
    "classes": "How often the network names the clue animal, on held-out sequences.",
}


class PredictionPlot(_Plot):
    """The network's predictions drawn over the truth (held-out data)."""

    title = "Predictions over the truth"
    short_title = "Predictions"
    caption = "Held-out data the network never trained on. Thick: the truth; thin: the network's prediction."

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(session, parent)
        self.plot.setLogMode(False, False)
        self.items: list = []
        self.kind = ""
        self.message = pg.TextItem("", anchor=(0.5, 0.5))
        self.plot.addItem(self.message, ignoreBounds=True)
        self._on_theme_changed()

    def clear_items(self) -> None:
        for item in self.items:
            self.legend.removeItem(item)
            self.plot.removeItem(item)
        self.items = []
        self.kind = ""

    def show_text(self, text: str) -> None:
        """A note instead of a plot (e.g. for the character model)."""
        self.clear_items()
        self.message.setText(text)
        self.message.setPos(0.5, 0.5)
        self.plot.setXRange(0, 1)
        self.plot.setYRange(0, 1)
        self.badge.setText("")

    def show_predictions(self, p: dict | None, label: str = "", name: str = "") -> None:
        """Draw a task_predictions() dict (see ui/training_worker.py); name: the run's, when two are compared
        (the plot shows the first run's predictions, and says whose they are)."""
        if p is None:
            return
        title = f"Predictions of {html.escape(name)} (run A)" if name else type(self).title
        short = html.escape(name) if name else type(self).short_title
        if (self.title, self.short_title) != (title, short):
            self.title, self.short_title = title, short
            self._fit_title()
        with np.errstate(all="ignore"):  # a diverging run predicts infinities: drawn as gaps, not warned about
            self._show_predictions(p)

    def _show_predictions(self, p: dict) -> None:
        self.message.setText("")
        kind = p["kind"]
        if kind != self.kind:  # a new kind of plot: make its items once
            self.clear_items()
            self.kind = kind
            self._make(p)
            self.plot.enableAutoRange()
        if kind == "series":
            truth, pred = self.items
            truth.setData(p["x"], p["truth"])
            pred.setData(p["x"], p["prediction"])
            err = float(np.sqrt(np.mean((p["prediction"] - p["truth"]) ** 2)))
            self.badge.setText(f"RMS error {fmt(err, 3)}")
        elif kind == "window":
            inp, truth, pred = self.items
            inp.setData(p["x"], p["input"])
            T = len(p["x"])
            truth.setData([T], [p["truth"]])
            pred.setData([T], [p["prediction"]])
            self.badge.setText(f"next value {fmt(p['truth'], 3)}, predicted {fmt(p['prediction'], 3)}")
        elif kind == "curves":
            n = len(p["truth"])
            if len(self.items) != 2 * n + 1:
                self.clear_items()
                self.kind = kind
                self._make(p)
            inp = self.items[0]
            if p.get("input") is not None:
                inp.setData(p["x"] - 1, p["input"])
            for k in range(n):
                self.items[1 + 2 * k].setData(p["x"], p["truth"][k])
                self.items[2 + 2 * k].setData(p["x"], p["prediction"][k])
            err = float(np.sqrt(np.mean([(a - b) ** 2 for a, b in zip(p["truth"], p["prediction"], strict=True)])))
            self.badge.setText(f"RMS error {fmt(err, 3)}")
        elif kind == "scatter":
            diag, pts = self.items
            diag.setData([0, 2], [0, 2])
            pts.setData(p["truth"], p["prediction"])
            mse = float(np.mean((p["prediction"] - p["truth"]) ** 2))
            self.badge.setText(f"MSE {fmt(mse, 3)} (predicting 1 always: ≈ 0.167)")
        elif kind == "classes":
            (bars,) = self.items
            acc = np.nan_to_num(np.asarray(p["accuracy"]))
            bars.setOpts(x=np.arange(len(acc)), height=acc, width=0.6)
            self.plot.getAxis("bottom").setTicks([list(enumerate(p["names"]))])
            self.plot.setYRange(0, 1.05)
            self.badge.setText(f"held-out accuracy <b>{100 * p['overall']:.0f}%</b> (guessing: {100 / len(acc):.0f}%)")

    def _make(self, p: dict) -> None:
        c, t = self.theme.colours, self.theme
        kind = p["kind"]
        self.plot.getAxis("bottom").setTicks(None)
        self.set_caption(CAPTIONS.get("generate" if p.get("input", 0) is None else kind, self.caption))
        add = self.plot.plot
        if kind == "series":
            self.plot.setLabel("bottom", p.get("axis", "position in the series"))
            self.plot.setLabel("left", "value")
            self.items = [
                add([], [], name="truth", pen=t.pen(c.foreground, 3)),
                add([], [], name="prediction (one step ahead)", pen=t.pen(c.forward, 2)),
            ]
        elif kind == "window":
            self.plot.setLabel("bottom", "step t")
            self.plot.setLabel("left", "value")
            self.items = [
                add(
                    [],
                    [],
                    name="input window (noisy)",
                    pen=t.pen(c.muted, 1.5),
                    symbol="o",
                    symbolSize=4,
                    symbolBrush=c.muted,
                ),
                add([], [], name="next value", pen=None, symbol="o", symbolSize=14, symbolBrush=c.foreground),
                add(
                    [],
                    [],
                    name="prediction",
                    pen=None,
                    symbol="x",
                    symbolSize=16,
                    symbolBrush=c.forward,
                    symbolPen=t.pen(c.forward, 2),
                ),
            ]
        elif kind == "curves":
            self.plot.setLabel("bottom", "step t")
            self.plot.setLabel("left", "output")
            inp = add(
                [],
                [],
                name="input (noisy)" if p.get("input") is not None else None,
                pen=None,
                symbol="o",
                symbolSize=4,
                symbolBrush=c.muted,
                symbolPen=None,
            )
            self.items = [inp]
            for k, name in enumerate(p["names"]):
                colour = c.series[k % len(c.series)]
                faint = QColor(colour)
                faint.setAlpha(110)
                self.items.append(add([], [], name=f"{name}: truth", pen=pg.mkPen(faint, width=7)))
                self.items.append(add([], [], name=f"{name}: network", pen=t.pen(colour, 2)))
        elif kind == "scatter":
            self.plot.setLabel("bottom", "true sum of the two marked values")
            self.plot.setLabel("left", "network's answer")
            self.items = [
                add([], [], name="perfect", pen=t.pen(c.bound, 1.5, Qt.PenStyle.DashLine)),
                add(
                    [],
                    [],
                    name="held-out sequences",
                    pen=None,
                    symbol="o",
                    symbolSize=5,
                    symbolBrush=c.backward,
                    symbolPen=None,
                ),
            ]
        elif kind == "classes":
            self.plot.setLabel("bottom", "the clue animal")
            self.plot.setLabel("left", "accuracy")
            bars = pg.BarGraphItem(x=[0], height=[0], width=0.6, brush=c.backward, pen=pg.mkPen(c.background))
            self.plot.addItem(bars)
            self.items = [bars]
        self.theme.style_plot(self.plot)


class GradientNormPlot(_Plot):
    """‖∂L/∂h_t‖ on one held-out sequence: at the start (faint) and now, per run; an LSTM's ‖∂L/∂c_t‖ too."""

    title = "Gradient ‖∂L/∂h<sub>t</sub>‖ on a held-out sequence"
    short_title = "Gradient ‖∂L/∂h<sub>t</sub>‖"
    caption = (
        "How much gradient reaches step t now (solid) and at the start (faint). Steep to the left: early "
        "steps cannot be learned. Dash-dot: an LSTM's cell state c<sub>t</sub>."
    )

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(session, parent)
        self.plot.setLogMode(False, True)
        self.plot.setLabel("bottom", "step t")
        self.curves: dict[str, tuple] = {}  # label -> (at the start, now, cell state now)
        self.names: dict[str, str] = {}
        self._on_theme_changed()

    def reset(self, labels: dict[str, str]) -> None:
        """One set of curves per run."""
        for items in self.curves.values():
            for item in items:
                self.legend.removeItem(item)
                self.plot.removeItem(item)
        self.curves, self.names = {}, dict(labels)
        for label, name in labels.items():
            prefix = f"{name}: " if label else ""
            start = self.plot.plot([], [], name=f"{prefix}at the start")
            now = self.plot.plot([], [], name=f"{prefix}now")
            cell = self.plot.plot([], [])  # in the legend once it has data
            self.curves[label] = (start, now, cell)
        self.restyle()

    def show_update(self, update: TrainingUpdate) -> None:
        """New gradient norms of one run."""
        if update.grad_norms is None or update.label not in self.curves:
            return
        start, now, cell = self.curves[update.label]
        t = np.arange(len(update.grad_norms))
        now.setData(t, positive(update.grad_norms))
        initial = update.extras.get("initial_grad_norms")
        if initial is not None:
            start.setData(t, positive(initial))
        c = update.extras.get("cell_grad_norms")
        if c is not None:
            if cell.xData is None or not len(cell.xData):
                name = self.names[update.label]
                self.legend.addItem(cell, f"{name}: cell state c now" if update.label else "cell state c now")
            cell.setData(t, positive(c))

    def restyle(self) -> None:
        t, c = self.theme, self.theme.colours
        single = list(self.curves) == [""]
        for label, (start, now, cell) in self.curves.items():
            colour = c.backward if single else self.run_colour(label)
            faint = QColor(colour)
            faint.setAlpha(90)
            start.setPen(pg.mkPen(faint, width=3, style=Qt.PenStyle.DashLine))
            now.setPen(t.pen(colour, 2.5))
            now.setSymbol("o")
            now.setSymbolSize(5)
            now.setSymbolBrush(colour)
            now.setSymbolPen(None)
            cell.setPen(t.pen(c.series[2] if single else colour, 2, Qt.PenStyle.DashDotLine))

    def hover_text(self, x, y):
        i = round(x)
        parts = []
        for label, (start, now, cell) in self.curves.items():
            name = self.names[label] + " " if self.names[label] else ""
            for item, what in ((now, "now"), (cell, "cell state now"), (start, "at the start")):
                ys = item.yData
                if ys is not None and 0 <= i < len(ys):
                    parts.append(f"{name}{what}: {fmt(ys[i], 4) if np.isfinite(ys[i]) else '0'}")
        return "\n".join([f"t = {i}", *parts]) if parts else ""


# ---- the character model: samples and the activations of one unit ----------------------------
def quote_signal(text: str) -> np.ndarray:
    """1 inside a double quotation, else 0 (the quote characters themselves count as inside)."""
    out, inside = np.zeros(len(text)), False
    for k, ch in enumerate(text):
        if ch == '"':
            inside = not inside
            out[k] = 1.0
        else:
            out[k] = float(inside)
    return out


def bracket_signal(text: str) -> np.ndarray:
    """The nesting depth of (), [] and {} after each character."""
    out, depth = np.zeros(len(text)), 0
    for k, ch in enumerate(text):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth = max(0, depth - 1)
        out[k] = depth
    return out


HUNTS = {"quotes": ("inside a quotation", quote_signal), "brackets": ("bracket depth", bracket_signal)}


def best_unit(activations: dict[str, np.ndarray], signal: np.ndarray) -> tuple[str, int, float]:
    """(quantity, unit, correlation) of the unit whose activation follows the signal most closely."""
    best = ("h", 0, 0.0)
    s = signal - signal.mean()
    if not np.any(s):
        return best
    for name, a in activations.items():
        a = np.asarray(a, dtype=float)
        centred = a - a.mean(axis=0)
        denom = np.sqrt((centred**2).sum(axis=0) * (s**2).sum())
        with np.errstate(all="ignore"):
            r = np.where(denom > 0, (centred * s[:, None]).sum(axis=0) / denom, 0.0)
        r = np.nan_to_num(r)
        k = int(np.argmax(np.abs(r)))
        if abs(r[k]) > abs(best[2]):
            best = (name, k, float(r[k]))
    return best


QUANTITY_TEXT = {
    "h": "hidden state h",
    "c": "cell state c",
    "i": "input gate i",
    "f": "forget gate f",
    "g": "candidate g",
    "o": "output gate o",
    "r": "reset gate r",
    "z": "update gate z",
    "n": "candidate n",
}
GATES = ("i", "f", "o", "r", "z")  # values in 0 .. 1


class CharView(QWidget):
    """Live samples at a chosen temperature, and held-out text coloured by one unit's activation."""

    temperature_changed = Signal(float)  # while the slider moves
    resample_requested = Signal(float)  # once it has settled: a new sample at this temperature

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.theme = theme_mod.current()
        self.update_: TrainingUpdate | None = None
        self.match: tuple | None = None  # (quantity, unit, text) of the last hunt
        self._stale = False
        # its rows and two text boxes scroll in a short results tab: a tab widget is as tall as its
        # tallest page demands, and this page's 270 px took the loss plot's room on every task
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        area = QScrollArea()
        area.setWidgetResizable(True)
        area.setFrameShape(QScrollArea.Shape.NoFrame)
        outer.addWidget(area)
        inner = QWidget()
        area.setWidget(inner)
        layout = QVBoxLayout(inner)
        layout.setContentsMargins(4, 4, 4, 4)
        row = QHBoxLayout()
        self.sample_title = QLabel("<b>Sample</b>")
        self.sample_title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        row.addWidget(self.sample_title, 1)
        self.temperature_name = QLabel("temperature")
        row.addWidget(self.temperature_name)
        self.temperature = QSlider(Qt.Orientation.Horizontal)
        self.temperature.setObjectName("temperature_slider")
        self.temperature.setRange(5, 200)  # hundredths
        self.temperature.setValue(100)
        self.temperature.setMinimumWidth(120)
        self.temperature.setToolTip("Low: the most likely characters (repetitive); 1: the model's own odds; high: wild")
        self.temperature.valueChanged.connect(self._on_temperature_moved)
        row.addWidget(self.temperature)
        self.temperature_label = QLabel("1.00")
        self.temperature_label.setMinimumWidth(36)
        row.addWidget(self.temperature_label)
        layout.addLayout(row)
        self.sample = QPlainTextEdit()
        self.sample.setObjectName("sample_text")
        self.sample.setReadOnly(True)
        self.sample.setPlaceholderText("Train the character model: samples appear here as it learns.")
        layout.addWidget(self.sample, 1)
        self.resample_timer = QTimer(self)
        self.resample_timer.setSingleShot(True)
        self.resample_timer.setInterval(150)
        self.resample_timer.timeout.connect(lambda: self.resample_requested.emit(self.value))

        row = QHBoxLayout()
        row.addWidget(QLabel("<b>Colour by</b>"))
        self.quantity = QComboBox()
        self.quantity.setObjectName("quantity_box")
        self.quantity.currentIndexChanged.connect(self._recolour)
        row.addWidget(self.quantity)
        row.addWidget(QLabel("unit"))
        self.unit = QSpinBox()
        self.unit.setObjectName("unit_box")
        self.unit.setRange(0, 0)
        self.unit.valueChanged.connect(self._recolour)
        row.addWidget(self.unit)
        row.addStretch(1)
        layout.addLayout(row)
        row = QHBoxLayout()
        self.hunt = QComboBox()
        self.hunt.setObjectName("hunt_box")
        for key, (text, _) in HUNTS.items():
            self.hunt.addItem(text, key)
        self.hunt_button = QPushButton("Find")
        self.hunt_button.setObjectName("hunt_button")
        self.hunt_button.setToolTip(
            "The unit (of the hidden state, the cell state or any gate) whose activation follows this most "
            "closely: Karpathy, Johnson & Fei-Fei (2015) found LSTM cells that track quotes and brackets"
        )
        self.hunt_button.clicked.connect(self.find_unit)
        row.addWidget(QLabel("Find a unit tracking"))
        row.addWidget(self.hunt, 1)
        row.addWidget(self.hunt_button)
        layout.addLayout(row)
        self.coloured = QTextBrowser()
        self.coloured.setObjectName("coloured_text")
        self.coloured.setOpenLinks(False)
        self.coloured.setPlaceholderText("Held-out text, coloured by the chosen unit's activation, appears here.")
        layout.addWidget(self.coloured, 3)
        self.legend = QLabel()
        self.legend.setWordWrap(True)
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.legend)
        self.theme.changed.connect(self._on_theme_changed)
        self._on_theme_changed()

    @property
    def value(self) -> float:
        """The temperature."""
        return self.temperature.value() / 100

    def show_update(self, update: TrainingUpdate) -> None:
        """A new sample and new activations."""
        if update.sample is not None:
            self.sample.setPlainText(update.sample)
            self.sample_title.setText(f"<b>Sample</b> after {update.snapshot.iteration} iterations")
        if update.activations:
            self.update_ = update
            names = list(update.activations)
            if [self.quantity.itemData(i) for i in range(self.quantity.count())] != names:
                current = self.quantity.currentData()
                with QSignalBlocker(self.quantity):
                    self.quantity.clear()
                    for n in names:
                        self.quantity.addItem(QUANTITY_TEXT.get(n, n), n)
                    set_combo(self.quantity, current if current in names else "h")
            H = next(iter(update.activations.values())).shape[1]
            if self.unit.maximum() != H - 1:
                with QSignalBlocker(self.unit):
                    self.unit.setRange(0, H - 1)
            self._recolour()

    def _on_temperature_moved(self, value: int) -> None:
        self.temperature_label.setText(f"{value / 100:.2f}")
        self.temperature_changed.emit(value / 100)
        self.resample_timer.start()  # once the drag settles, the panel samples from its last weights

    def showEvent(self, event) -> None:
        """Colour the text now if it changed while hidden."""
        super().showEvent(event)
        if self._stale:
            self._recolour()

    def set_temperature_visible(self, visible: bool) -> None:
        """A lesson may leave the temperature out."""
        for w in (self.temperature, self.temperature_label, self.temperature_name):
            w.setVisible(visible)

    def show_sample(self, text: str, title: str) -> None:
        """A sample made outside a run (from the last weights)."""
        self.sample.setPlainText(text)
        self.sample_title.setText(title)

    def find_unit(self) -> tuple[str, int, float] | None:
        """Choose the unit that best tracks the chosen structure; returns (quantity, unit, correlation)."""
        if self.update_ is None:
            return None
        text, fn = HUNTS[self.hunt.currentData()]
        name, unit, r = best_unit(self.update_.activations, fn(self.update_.excerpt))
        set_combo(self.quantity, name)
        set_value(self.unit, unit)
        self.match = (name, unit, f"the closest to <i>{text}</i>: correlation {r:+.2f}")
        self._recolour()
        return name, unit, r

    def colours_for(self, values: np.ndarray, quantity: str) -> list[str]:
        """A background colour per character: blue for negative, orange for positive; gates 0 .. 1."""
        c = self.theme.colours
        bg = QColor(c.background)
        neg, pos = QColor(theme_mod.OKABE_ITO["sky"]), QColor(theme_mod.OKABE_ITO["orange"])
        if quantity in GATES:
            v = np.clip(values, 0, 1)
        else:
            scale = 1.0 if quantity != "c" else max(1e-9, float(np.nanmax(np.abs(values))))
            v = np.clip(values / scale, -1, 1)
        v = np.nan_to_num(np.asarray(v, dtype=float))
        base = np.array(bg.getRgb()[:3], dtype=float)
        target = np.where(v[:, None] >= 0, np.array(pos.getRgb()[:3]), np.array(neg.getRgb()[:3]))
        a = np.minimum(np.abs(v), 1.0)[:, None] * 0.85  # at most 85% of the colour: the text stays readable
        rgb = np.rint(base + (target - base) * a).astype(int)
        return [f"#{r:02x}{g:02x}{b:02x}" for r, g, b in rgb]

    def _recolour(self) -> None:
        u = self.update_
        if u is None or not u.activations:
            return
        if not self.isVisible():  # drawn when the tab is shown (setHtml of a long text is not free)
            self._stale = True
            return
        self._stale = False
        quantity = self.quantity.currentData() or "h"
        a = u.activations.get(quantity)
        if a is None:
            return
        unit = min(self.unit.value(), a.shape[1] - 1)
        values = a[:, unit]
        colours = self.colours_for(values, quantity)
        parts = []
        for ch, colour in zip(u.excerpt, colours, strict=False):
            if ch == "\n":
                parts.append(f"<span style='background:{colour}'>↵</span><br>")
            else:
                parts.append(f"<span style='background:{colour}'>{html.escape(ch) if ch != ' ' else '&nbsp;'}</span>")
        fg = self.theme.colours.foreground
        self.coloured.setHtml(
            f"<div style='font-family:monospace; color:{fg}; line-height:140%'>{''.join(parts)}</div>"
        )
        gate = quantity in GATES
        lo, hi = ("0 (closed)", "1 (open)") if gate else ("−1", "+1")
        ends = np.array([0.0, 1.0]) if gate else np.array([-1.0, 1.0])
        if quantity == "c":
            m = float(np.nanmax(np.abs(values)))
            lo, hi = f"−{fmt(m, 3)}", f"+{fmt(m, 3)}"
            ends = ends * m
        c_lo, c_hi = self.colours_for(ends, quantity)
        text = (
            f"{QUANTITY_TEXT.get(quantity, quantity)} of unit {unit} while reading held-out text: "
            f"<span style='background:{c_lo}'>&nbsp;{lo}&nbsp;</span> … "
            f"<span style='background:{c_hi}'>&nbsp;{hi}&nbsp;</span>"
        )
        if self.match is not None and self.match[:2] == (quantity, unit):
            text += f" · {self.match[2]}"
        self.legend.setText(text)

    def _on_theme_changed(self) -> None:
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        mono.setPointSizeF(self.theme.point_size(1.0))
        self.sample.setFont(mono)
        self.coloured.setFont(mono)
        self.legend.setStyleSheet(f"color: {self.theme.colours.muted};")
        self._recolour()
