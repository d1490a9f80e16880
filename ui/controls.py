"""The controls: build the network, turn Wrec and the activation, switch the remedies on and off.

Every widget maps a user's change to one `session.update(...)` call; when the Session's config
changes, `_on_config_changed` writes the values back into the widgets with their signals blocked
(QSignalBlocker), so there is no echo. The Wrec slider is throttled: while it is dragged, at most
one recomputation per THROTTLE_MS runs, always with the latest value.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QRect, QSignalBlocker, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QColor, QPalette, QValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QSlider,
    QSpacerItem,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from simulator.cells import GAMMA, dphi, phi
from simulator.config import LIMITS, TOPOLOGY_EXAMPLES, Config

from . import theme as theme_mod
from .diagram import fmt  # the numbers as the diagram and the toolbar write them (8.8e3, not 8.8e+03)
from .session import Session
from .soon import soon

THROTTLE_MS = 16
WREC_MIN, WREC_MAX = 0.1, 3.0  # the slider's span; the entry accepts all of LIMITS["wrec"]
SLIDER_STEPS = 1000  # slider positions; the middle one is Wrec = 1
SLIDER_POWER = 1.7  # > 1: finer near Wrec = 1
SLIDER_TIP = "Drag: finer near 1. The plots redraw while you drag."

# The window's own limits for the network's sizes (the engine accepts more from a script; these
# keep a slider drag live). Values typed outside are refused with a message. Steps T has one limit
# everywhere, the engine's LIMITS["steps"]: the box, + / − step, --set steps= and scenario files.
UI_LIMITS = {"inputs": (1, 256), "hidden": (1, 128), "outputs": (1, 256), "layers": (1, 4)}

CELL_NAMES = {"rnn": "RNN (Elman)", "lstm": "LSTM", "gru": "GRU", "esn": "ESN (echo state)"}
VARIANT_NAMES = {
    "vanilla": "vanilla",
    "peephole": "peephole connections",
    "nig": "no input gate",
    "nfg": "no forget gate",
    "nog": "no output gate",
    "niaf": "no input activation",
    "noaf": "no output activation",
    "cifg": "coupled input-forget gate",
    "fgr": "full gate recurrence",
}
ACTIVATION_NAMES = {"tanh": "tanh", "sigmoid": "sigmoid σ", "relu": "ReLU", "identity": "identity"}
TOPOLOGY_NAMES = {"many_to_one": "many-to-one", "many_to_many": "many-to-many", "one_to_many": "one-to-many"}
INIT_NAMES = {
    "orthogonal": "orthogonal",
    "uniform": "uniform (PyTorch default)",
    "normal": "normal",
    "xavier": "Xavier",
    "identity": "identity (IRNN)",
}
LABELS = {
    "inputs": "input size",
    "hidden": "hidden size",
    "outputs": "output size",
    "layers": "layers",
    "steps": "steps T",
    "wrec": "Wrec",
    "seed": "seed",
    "truncate": "truncation k",
    "clip": "clipping threshold",
    "clip_value": "clipping value",
    "penalty": "penalty weight",
    "leak": "leak",
}


# ---- the Wrec slider's scale: 0.1 .. 1 on the left half, 1 .. 3 on the right, finer near 1 ----
def slider_to_wrec(pos: int) -> float:
    """Wrec at a slider position (0 .. SLIDER_STEPS)."""
    half = SLIDER_STEPS / 2
    u = (pos - half) / half
    end = WREC_MAX if u >= 0 else WREC_MIN
    return float(math.exp(math.log(end) * abs(u) ** SLIDER_POWER))


def wrec_to_slider(wrec: float) -> int:
    """The slider position nearest a Wrec (clamped to the slider's span)."""
    half = SLIDER_STEPS / 2
    w = min(max(float(wrec), WREC_MIN), WREC_MAX)
    if w == 1.0:
        return round(half)
    end = WREC_MAX if w > 1 else WREC_MIN
    u = (math.log(w) / math.log(end)) ** (1 / SLIDER_POWER)
    return round(half + math.copysign(u, w - 1) * half)


class Throttle(QObject):
    """Call fn with the latest value at most once per interval (a single-shot QTimer)."""

    def __init__(self, fn, interval_ms: int = THROTTLE_MS, parent: QObject | None = None):
        super().__init__(parent)
        self._fn = fn
        self._value = None
        self._pending = False
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.flush)

    def __call__(self, value) -> None:
        self._value, self._pending = value, True
        if not self.timer.isActive():
            self.timer.start()

    def flush(self) -> None:
        """Apply the pending value now."""
        self.timer.stop()
        if self._pending:
            self._pending = False
            self._fn(self._value)

    @property
    def pending(self) -> bool:
        """Whether a value waits to be applied."""
        return self._pending


# ---- number entries that refuse out-of-range text with a message ----------------------
def _number_text(x: float, whole: bool) -> str:
    """A limit as the message writes it: 2147483647, 0.001, 1e6 (not 2.14748e+09 or 1e+06)."""
    return str(int(x)) if whole else re.sub(r"e\+?(-?)0*(\d)", r"e\1\2", f"{x:g}")


class _SizedFor:
    """A spin box that refuses out-of-range or non-numeric text with a message, and is as wide as
    the values it is sized for need, not as its maximum.

    Refusing: Qt's spin boxes silently drop a keystroke their validator rejects and apply the rest
    on Enter ('-3' became 3, '129' became 12). Here every keystroke is kept; text that is not a
    number within the box's `limits` is refused with a message naming the box, its range and what
    was typed (`refusal_changed(message)`, '' when it is gone), the typed text is drawn in the
    warning colour, and nothing is applied: it stays until corrected or Escape (which puts the old
    value back); leaving the box puts the old value back too. Enter with a good value applies it;
    Enter or Escape then hand the keyboard back (`done_editing`), so the window's shortcuts work.

    Width: at least `sized_for` and the current value (1000000.000 would make a clipping threshold
    of 1 take twice the width); a wider value typed widens the box."""

    sized_for = None
    whole = False  # whole numbers only (IntBox)
    limits: tuple | None = None  # what may be typed: the range the box was made with ...
    widened = False  # ... which widens to show a value from a file (200 hidden units)

    def _set_up(self, label: str, sized_for) -> None:
        self.label = label
        self.limits = (self.minimum(), self.maximum())
        self.refusal = ""
        self.setKeyboardTracking(False)
        self.lineEdit().textEdited.connect(self._on_text_edited)
        if sized_for is not None:
            self.sized_for = sized_for
            self.valueChanged.connect(self._value_width_changed)

    # ---- reading typed text ----
    def typed_value(self, text: str) -> float | int | None:
        """The number a text means (rounded to the box's decimals), or None if it is no number of this box's kind."""
        text = text.strip()
        for affix in (self.prefix(), self.suffix()):
            if affix.strip():
                text = text.replace(affix.strip(), "").strip()
        try:
            if self.whole:
                return int(text)  # '1e3' and '12.0' are refused, not read as 1000 or 12
            value = float(text.replace(",", "."))
        except ValueError:
            return None
        return round(value, self.decimals()) if math.isfinite(value) else None

    def problem(self, text: str) -> str:
        """Why a typed text is refused ('' if it is a number within the limits)."""
        value = self.typed_value(text)
        lo, hi = self.limits or (self.minimum(), self.maximum())  # (Qt validates while the box is made)
        if value is not None and lo <= value <= hi:
            return ""
        kind = "" if value is not None else "a whole number " if self.whole else "a number "
        typed = text.strip()
        typed = typed if value is not None else f"“{typed}”"
        between = f"between {_number_text(lo, self.whole)} and {_number_text(hi, self.whole)}"
        return f"{self.label} must be {kind}{between}; {typed} is refused"

    def _may_still_fit(self, text: str) -> bool:
        """Whether more keystrokes may still make the text good: nothing, a sign or a point so far,
        or a number under the lowest that more digits can raise ('0' on the way to '0.5')."""
        stripped = text.strip()
        if stripped in ("", "+", "-", ".", ",", "+.", "-.") and (stripped[:1] != "-" or self.limits[0] < 0):
            return True
        value = self.typed_value(text)
        return value is not None and 0 <= value < self.limits[0]

    # ---- Qt's hooks ----
    def validate(self, text, pos):
        """Acceptable for a number within the limits; anything else is kept while typing (never dropped)."""
        good = not self.problem(text)
        return QValidator.State.Acceptable if good else QValidator.State.Intermediate, text, pos

    def valueFromText(self, text: str):
        """The value of an acceptable text (read the same way as validate reads it)."""
        value = self.typed_value(text)
        return self.value() if value is None else value

    def _on_text_edited(self, text: str) -> None:
        """A keystroke: say at once when no more typing can make the text good."""
        problem = self.problem(text)
        self._set_refusal("" if not problem or self._may_still_fit(text) else problem)

    def _set_refusal(self, text: str, again: bool = False) -> None:
        if text == self.refusal and not again:
            return
        self.refusal = text
        palette = QPalette()  # the application's again
        if text:
            palette = self.lineEdit().palette()
            palette.setColor(QPalette.ColorRole.Text, QColor(theme_mod.current().colours.exploding))
        self.lineEdit().setPalette(palette)
        self.refusal_changed.emit(text)

    def _restore(self) -> None:
        """Show the value the box holds again (what Escape and leaving the box do to refused text)."""
        self.setValue(self.value())  # Qt writes the value's text back into the line edit
        self._set_refusal("")

    def event(self, event) -> bool:
        """Escape belongs to the box while it has the keyboard (not to a window shortcut)."""
        if event.type() == QEvent.Type.ShortcutOverride and event.key() == Qt.Key.Key_Escape:
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event) -> None:
        """Enter applies a good value and hands the keyboard back; refused text stays, with its
        message. Escape puts the old value back and hands the keyboard back."""
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            text = self.lineEdit().displayText()
            shown = self.prefix() + self.textFromValue(self.value()) + self.suffix()  # nothing typed
            problem = "" if text == shown else self.problem(text)
            if problem:
                self._set_refusal(problem, again=True)
                event.accept()
                return
            super().keyPressEvent(event)  # Qt interprets the text: valueChanged if it changed
            self._set_refusal("")
            self.done_editing.emit()
            return
        if key == Qt.Key.Key_Escape:
            self._restore()
            event.accept()
            self.done_editing.emit()
            return
        super().keyPressEvent(event)

    def stepBy(self, steps: int) -> None:
        """Up/Down, the arrows, the wheel: Qt first puts refused text back to the value, then steps."""
        super().stepBy(steps)
        self._set_refusal("")

    def focusOutEvent(self, event) -> None:
        """Leaving the box: good text is applied (Qt), refused text gives way to the old value."""
        super().focusOutEvent(event)
        if self.refusal:
            self._restore()

    def _text_width(self, value) -> int:
        return self.fontMetrics().horizontalAdvance(self.prefix() + self.textFromValue(value) + self.suffix())

    def _narrowed(self, hint: QSize) -> QSize:
        if self.sized_for is None:
            return hint
        ends = max(self._text_width(self.minimum()), self._text_width(self.maximum()))  # what Qt sizes for
        want = max(
            self._text_width(self.minimum()),
            self._text_width(min(self.sized_for, self.maximum())),
            self._text_width(self.value()),
        )
        return QSize(hint.width() - max(0, ends - want), hint.height())

    def _value_width_changed(self) -> None:
        width = self._text_width(self.value())
        if width != getattr(self, "_last_value_width", None):
            self._last_value_width = width
            self.updateGeometry()

    def sizeHint(self) -> QSize:
        """Qt's hint, narrowed from the maximum's text to the widest of sized_for and the value."""
        return self._narrowed(super().sizeHint())

    def minimumSizeHint(self) -> QSize:
        """Qt's least size, narrowed the same way."""
        return self._narrowed(super().minimumSizeHint())


class IntBox(_SizedFor, QSpinBox):
    """A QSpinBox that refuses what it cannot take with a message (see _SizedFor)."""

    refusal_changed = Signal(str)  # why the typed text is refused; '' when it no longer is
    done_editing = Signal()  # Enter with a good value, or Escape
    whole = True

    def __init__(self, label: str, lo: int, hi: int, parent: QWidget | None = None, sized_for: int | None = None):
        super().__init__(parent)
        self.setRange(lo, hi)
        self.setAccelerated(True)
        self._set_up(label, sized_for)


class FloatBox(_SizedFor, QDoubleSpinBox):
    """A QDoubleSpinBox that refuses what it cannot take with a message (see _SizedFor)."""

    refusal_changed = Signal(str)
    done_editing = Signal()

    def __init__(
        self, label: str, lo: float, hi: float, decimals: int = 3, step: float = 0.01, parent=None,
        sized_for: float | None = None,
    ):  # fmt: skip
        super().__init__(parent)
        self.setDecimals(decimals)
        self.setRange(lo, hi)
        self.setSingleStep(step)
        self._set_up(label, sized_for)


def _combo(items: dict[str, str]) -> QComboBox:
    box = QComboBox()
    for key, text in items.items():
        box.addItem(text, key)
    # as wide as the panel allows, not as its longest item: the panel stays narrow at large font scales
    box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    box.setMinimumContentsLength(10)
    return box


def _set_combo(box: QComboBox, key: str) -> None:
    with QSignalBlocker(box):
        box.setCurrentIndex(max(0, box.findData(key)))


def _set_value(box, value) -> None:
    if isinstance(box, (IntBox, FloatBox)):
        # a scenario or lesson may hold more than the box offers for typing (e.g. 200 hidden units):
        # the box shows the value the engine runs, not its end; typing keeps to the box's limits
        lo, hi = box.limits
        if box.widened or not lo <= value <= hi:  # (a plain check on every Wrec step)
            span = (min(lo, value), max(hi, value))
            with QSignalBlocker(box):
                box.setRange(*span)
            box.widened = span != (lo, hi)
    if box.value() == value:  # setValue repaints the box even when nothing changes (every Wrec step)
        return
    with QSignalBlocker(box):
        box.setValue(value)


def _holds(layout, widget: QWidget) -> bool:
    """Whether a layout, or a layout inside it, holds the widget."""
    if layout.indexOf(widget) >= 0:
        return True
    for k in range(layout.count()):
        inner = layout.itemAt(k).layout()
        if inner is not None and _holds(inner, widget):
            return True
    return False


def _holds_item(item, widget: QWidget) -> bool:
    """Whether a layout item is the widget or a layout holding it."""
    return item.widget() is widget or (item.layout() is not None and _holds(item.layout(), widget))


def _form_row(form: QFormLayout, widget: QWidget) -> int:
    """The row of a form whose field is `widget` or a layout holding it (at any depth); -1 if none."""
    for row in range(form.rowCount()):
        for role in (QFormLayout.ItemRole.FieldRole, QFormLayout.ItemRole.SpanningRole):
            item = form.itemAt(row, role)
            if item is None:
                continue
            if item.widget() is widget or (item.layout() is not None and _holds(item.layout(), widget)):
                return row
    return -1


class ActionButton(QToolButton):
    """A tool button for an action that keeps its own short text ('+' for 'Add step').

    A button given a default action takes the action's text again whenever the action changes
    (enabled, checked, tooltip): the '+' became '+ step', drawn '+…p' in a narrow panel. This
    one keeps its text, is never narrower than that text, and its tooltip says the whole command.
    """

    def __init__(self, action: QAction | None, text: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.short_text = text
        if action is not None:
            self.setDefaultAction(action)
        self._keep_text()

    def _keep_text(self) -> None:
        if self.text() != self.short_text:
            self.setText(self.short_text)
        action = self.defaultAction()
        if action is not None:
            tip = action.toolTip() or action.text()
            whole = action.text().replace("&", "")
            if whole and whole.lower() not in tip.lower():
                tip = f"{whole}: {tip}"
            if self.toolTip() != tip:
                self.setToolTip(tip)

    def actionEvent(self, event) -> None:
        """The action changed: QToolButton takes its text; put the short one back."""
        super().actionEvent(event)
        if event.type() == QEvent.Type.ActionChanged:
            self._keep_text()

    def sizeHint(self) -> QSize:
        """At least square."""
        hint = super().sizeHint()
        return QSize(max(hint.width(), hint.height()), hint.height())

    def minimumSizeHint(self) -> QSize:
        """Never narrower than the whole text."""
        return self.sizeHint()


class CheckLabel(QLabel):
    """A check box's text that wraps onto more lines in a narrow panel; a click on it toggles the box."""

    def __init__(self, text: str, check: QCheckBox, parent: QWidget | None = None):
        super().__init__(text, parent)
        self.check = check
        self.setWordWrap(True)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)  # its box beside the first line
        self.setBuddy(check)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)

    def resizeEvent(self, event) -> None:
        """As tall as the lines the text wraps into at this width: the form the row sits in sizes
        its rows from their size hints, not from the height a wrapped text needs."""
        super().resizeEvent(event)
        self._fit_height()

    def changeEvent(self, event) -> None:
        """A new font: the lines' height again."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._fit_height()

    def setWordWrap(self, on: bool) -> None:
        """Wrapping on or off: the lines' height again."""
        super().setWordWrap(on)
        self._fit_height()

    def text_height(self, width: int) -> int:
        """The height the text's lines need at `width` and the present font. QLabel's heightForWidth
        is no measure: it is never less than the minimum height set here, so after a larger font the
        rows kept that font's height."""
        margins = self.contentsMargins()
        extra_w = margins.left() + margins.right() + 2 * self.margin()
        extra_h = margins.top() + margins.bottom() + 2 * self.margin()
        flags = Qt.TextFlag.TextWordWrap | (self.alignment() & Qt.AlignmentFlag.AlignHorizontal_Mask)
        room = QRect(0, 0, max(1, width - extra_w), 1_000_000)
        return self.fontMetrics().boundingRect(room, int(flags.value), self.text()).height() + extra_h

    def _fit_height(self) -> None:
        height = self.text_height(self.width()) if self.wordWrap() and self.width() > 0 else 0
        if self.minimumHeight() != height:
            self.setMinimumHeight(height)

    def mousePressEvent(self, event) -> None:
        """Take the press, so that the release comes here too."""
        if event.button() == Qt.MouseButton.LeftButton:
            event.accept()
        else:
            super().mousePressEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        """A click on the text is a click on the box."""
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(event.position().toPoint()):
            if self.check.isEnabled():
                self.check.click()
                self.check.setFocus(Qt.FocusReason.MouseFocusReason)
        super().mouseReleaseEvent(event)


# ---- the activation's mini plot ------------------------------------------------------------
class ActivationView(pg.PlotWidget):
    """φ and φ′ of the current activation over -4 .. 4, with γ = sup|φ′| marked."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setMinimumHeight(110)
        self.setMaximumHeight(130)
        self.setMenuEnabled(False)
        self.setMouseEnabled(False, False)
        self.hideButtons()
        self.x = np.linspace(-4, 4, 161)
        self.curve_phi = self.plot([], [], name="φ")
        self.curve_dphi = self.plot([], [], name="φ′")
        self.gamma_line = pg.InfiniteLine(angle=0, movable=False)
        self.addItem(self.gamma_line)
        self.gamma_text = pg.TextItem(anchor=(1, 1))
        self.addItem(self.gamma_text)
        # bottom right: below every curve and the γ line for each activation (φ ≥ -0.5 there)
        self.legend = self.getPlotItem().addLegend(offset=(-4, -4), labelTextSize="9pt")
        self.legend.addItem(self.curve_phi, "φ(x)")
        self.legend.addItem(self.curve_dphi, "φ′(x)")
        self.legend.setColumnCount(2)  # one low row, under the curves
        self.showGrid(x=True, y=True, alpha=0.2)
        self.setXRange(-4, 4, padding=0)
        self.activation = ""
        # the label's size in data units follows the plot's: placed again when the plot area is resized
        self.getPlotItem().vb.sigResized.connect(self.place_gamma_text)
        theme_mod.current().changed.connect(self._on_theme_changed)
        self._on_theme_changed()

    def set_activation(self, name: str) -> None:
        """Draw φ and φ′ of an activation."""
        if name == self.activation:
            return
        self.activation = name
        y, dy = phi(name, self.x), dphi(name, self.x)
        self.curve_phi.setData(self.x, y)
        self.curve_dphi.setData(self.x, dy)
        gamma = GAMMA[name]
        self.gamma_line.setValue(gamma)
        lo, hi = (-1.2, 1.5) if name in ("tanh", "sigmoid") else (-1.5, 4.0)
        if name == "identity":
            lo = -4.2
        self.setYRange(lo, hi, padding=0)
        self.place_gamma_text()

    # where the γ label may go, first choice first: beside its line, left or right, under or above it
    # (at the right under the line it sat on tanh's φ, which runs along y = 1 there)
    GAMMA_SPOTS = (((0, 0), -3.9), ((0, 1), -3.9), ((1, 0), 3.9), ((1, 1), 3.9))

    def place_gamma_text(self, *_args) -> None:
        """The γ label beside its line where it touches neither curve (at this size and font): the whole
        label, else its short form "γ = 1" (large type in a small plot); failing both, where it touches
        the fewest of their points."""
        if not getattr(self, "activation", ""):
            return
        gamma = GAMMA[self.activation]
        frac = "1/4" if gamma == 0.25 else f"{gamma:g}"
        vb = self.getPlotItem().vb
        vb.updateMatrix()  # a new y range is applied at the next paint otherwise
        top = vb.viewRange()[1][1]
        best = None
        self.gamma_text.updateTransform(force=True)
        for text in (f"max φ′ = γ = {frac}", f"γ = {frac}"):
            if self.gamma_text.toPlainText() != text:
                self.gamma_text.setText(text)
            for anchor, x in self.GAMMA_SPOTS:
                self.gamma_text.setAnchor(anchor)
                self.gamma_text.setPos(x, gamma)
                rect = self.gamma_text.mapRectToView(self.gamma_text.boundingRect())
                if max(rect.top(), rect.bottom()) > top:  # above the plot's top: cut
                    continue
                touches = self.gamma_touches()
                if touches == 0:
                    return
                if best is None or touches < best[0]:
                    best = (touches, text, anchor, x)
        if best is not None:
            self.gamma_text.setText(best[1])
            self.gamma_text.setAnchor(best[2])
            self.gamma_text.setPos(best[3], gamma)

    def gamma_touches(self) -> int:
        """How many of the curves' points lie under the γ label's text (its margin excluded)."""
        self.gamma_text.updateTransform(force=True)  # its size at the plot's current scale, not its last paint's
        box = self.gamma_text.sceneBoundingRect().adjusted(3, 3, -3, -3)
        if box.isEmpty():
            return 0
        vb = self.getPlotItem().vb
        count = 0
        for curve in (self.curve_phi, self.curve_dphi):
            for x, y in zip(curve.xData, curve.yData):
                if box.contains(vb.mapViewToScene(pg.Point(float(x), float(y)))):
                    count += 1
        return count

    def _on_theme_changed(self) -> None:
        t = theme_mod.current()
        c = t.colours
        self.setBackground(c.background)
        t.style_plot(self.getPlotItem())
        self.curve_phi.setPen(t.pen(c.forward, 2))
        self.curve_dphi.setPen(t.pen(c.backward, 2))
        self.gamma_line.setPen(t.pen(c.muted, 1, Qt.PenStyle.DashLine))
        self.gamma_text.setColor(c.muted)
        self.gamma_text.setFont(t.font(0.85))
        self.legend.setLabelTextSize(f"{t.point_size(0.75):.0f}pt")
        for _, label in self.legend.items:  # pyqtgraph keeps the size for new labels; setText applies it
            label.setText(label.text)
        name, self.activation = self.activation, ""
        if name:
            self.set_activation(name)


# ---- the panel -----------------------------------------------------------------------------
class ControlsPanel(QWidget):
    """Builder, Wrec, activation and remedies: a thin view over the Session."""

    rows_changed = Signal()  # other rows or groups show: the panel may need another width
    entry_done = Signal()  # Enter (a good value) or Escape in a number box: the window takes the keyboard back

    def __init__(self, session: Session, actions: dict[str, QAction] | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.actions = actions or {}
        self.wrec_throttle = Throttle(self._apply_wrec, parent=self)
        self.boxes: dict[str, IntBox | FloatBox] = {}
        self.message_owner: IntBox | FloatBox | None = None  # the box whose refusal the message says
        self._shown: frozenset[str] | None = None  # the controls a lesson names; None = all
        self._visibility_cell: str | None = None  # the cell the rows were last shown for
        # a function net -> what the Session's own weights are ("trained weights (300 iterations)", "the task's
        # network, not trained yet"; None: not known), set by the window (the training lab knows): trained_label
        self.weights_origin = None

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(8)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setObjectName("refusal")
        self.message.hide()
        layout.addWidget(self._build_wrec())
        layout.addWidget(self._build_activation())
        layout.addWidget(self._build_network())
        layout.addWidget(self._build_remedies())
        layout.addWidget(self.message)
        self._message_spot = (layout, None)  # the layout the message sits in and the box it is under
        layout.addStretch(1)

        session.config_changed.connect(self._on_config_changed)
        session.trace_changed.connect(self._on_trace_changed)
        theme_mod.current().changed.connect(self._on_theme_changed)
        self._on_theme_changed()
        self._on_config_changed(session.config)
        self._on_trace_changed(session.trace)

    # ---- building ---------------------------------------------------------------------
    def _box(self, key: str, box):
        self.boxes[key] = box
        box.setObjectName(f"box_{key}")
        box.refusal_changed.connect(lambda text, box=box: self._on_refusal_changed(box, text))
        box.lineEdit().textEdited.connect(lambda _text, box=box: self._on_box_edited(box))
        box.done_editing.connect(self.entry_done)
        return box

    def _int_box(self, key: str, sized_for: int | None = None) -> IntBox:
        lo, hi = UI_LIMITS.get(key, LIMITS[key])
        box = self._box(key, IntBox(LABELS[key], lo, hi, sized_for=sized_for))
        box.valueChanged.connect(lambda v, key=key: self.apply(**{key: int(v)}))
        return box

    def _build_wrec(self) -> QGroupBox:
        group = QGroupBox("Recurrent weight Wrec")
        self.wrec_group = group
        v = QVBoxLayout(group)
        self.wrec_help = QLabel()
        self.wrec_help.setTextFormat(Qt.TextFormat.RichText)
        self.wrec_help.setWordWrap(True)
        v.addWidget(self.wrec_help)
        row = QHBoxLayout()
        self.wrec_slider = QSlider(Qt.Orientation.Horizontal)
        self.wrec_slider.setObjectName("wrec_slider")
        self.wrec_slider.setRange(0, SLIDER_STEPS)
        self.wrec_slider.setPageStep(SLIDER_STEPS // 20)
        self.wrec_slider.setTickPosition(QSlider.TickPosition.TicksBelow)
        self.wrec_slider.setTickInterval(SLIDER_STEPS // 2)
        self.wrec_slider.setToolTip(SLIDER_TIP)
        self.wrec_slider.valueChanged.connect(lambda pos: self.wrec_throttle(slider_to_wrec(pos)))
        self.wrec_slider.sliderReleased.connect(self.wrec_throttle.flush)
        lo, hi = LIMITS["wrec"]
        self.wrec_box = self._box("wrec", FloatBox("Wrec", lo, hi, decimals=3, step=0.01))
        self.wrec_box.setToolTip(f"Type any value from {lo:g} to {hi:g} and press Enter")
        self.wrec_box.valueChanged.connect(lambda v: self.apply(wrec=round(float(v), 3)))
        row.addWidget(self.wrec_slider, 1)
        row.addWidget(self.wrec_box)
        v.addLayout(row)
        ticks = QHBoxLayout()
        for text, align in ((f"{WREC_MIN:g}", Qt.AlignmentFlag.AlignLeft), ("1", Qt.AlignmentFlag.AlignHCenter),
                            (f"{WREC_MAX:g}", Qt.AlignmentFlag.AlignRight)):  # fmt: skip
            label = QLabel(text)
            label.setAlignment(align)
            ticks.addWidget(label, 1)
        ticks.addSpacing(self.wrec_box.sizeHint().width())
        v.addLayout(ticks)
        self.wrec_beyond = QLabel()  # a typed Wrec past the slider's ends, where the slider stays pinned
        self.wrec_beyond.setObjectName("wrec_beyond")
        self.wrec_beyond.setWordWrap(True)
        self.wrec_beyond.hide()
        v.addWidget(self.wrec_beyond)
        self.trained_label = QLabel()  # the network's own weights (trained, from a file): their ρ, not Wrec's
        self.trained_label.setObjectName("trained_label")
        self.trained_label.setWordWrap(True)
        self.trained_label.hide()
        v.addWidget(self.trained_label)
        return group

    def _build_activation(self) -> QGroupBox:
        group = QGroupBox("Activation φ")
        v = QVBoxLayout(group)
        self.activation_box = _combo(ACTIVATION_NAMES)
        self.activation_box.setObjectName("box_activation")
        self.activation_box.currentIndexChanged.connect(
            lambda _: self.apply(activation=self.activation_box.currentData())
        )
        v.addWidget(self.activation_box)
        self.activation_view = ActivationView()
        v.addWidget(self.activation_view)
        self.activation_note = QLabel()
        self.activation_note.setTextFormat(Qt.TextFormat.RichText)
        self.activation_note.setWordWrap(True)
        v.addWidget(self.activation_note)
        return group

    def _build_network(self) -> QGroupBox:
        group = QGroupBox("Network")
        form = QFormLayout(group)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.cell_box = _combo(CELL_NAMES)
        self.cell_box.setObjectName("box_cell")
        self.cell_box.currentIndexChanged.connect(lambda _: self._apply_cell(self.cell_box.currentData()))
        form.addRow("cell", self.cell_box)
        self.variant_box = _combo(VARIANT_NAMES)
        self.variant_box.setObjectName("box_variant")
        self.variant_box.setToolTip("LSTM variants of Greff et al. 2015, 'LSTM: a search space odyssey'")
        self.variant_box.currentIndexChanged.connect(lambda _: self.apply(variant=self.variant_box.currentData()))
        self.variant_label = QLabel("LSTM variant")
        form.addRow(self.variant_label, self.variant_box)
        self.leak_box = self._box("leak", FloatBox("leak", *LIMITS["leak"], decimals=2, step=0.05))
        self.leak_box.valueChanged.connect(lambda v: self.apply(leak=round(float(v), 2)))
        self.leak_label = QLabel("leak α")
        leak_tip = (
            "Leak rate α of the echo state network: h(t) = (1−α)·h(t−1) + α·φ(…). α = 1 keeps nothing of "
            "the old state: the Elman RNN's update, with a fixed random reservoir. A smaller α keeps more of "
            "it, so each step back multiplies the gradient by (1−α) + α·φ′·W_hh and it fades more slowly."
        )
        self.leak_box.setToolTip(leak_tip)
        self.leak_label.setToolTip(leak_tip)
        form.addRow(self.leak_label, self.leak_box)
        self.topology_box = _combo(TOPOLOGY_NAMES)
        self.topology_box.setObjectName("box_topology")
        self.topology_box.currentIndexChanged.connect(lambda _: self.apply(topology=self.topology_box.currentData()))
        form.addRow("topology", self.topology_box)
        self.topology_example = QLabel()
        self.topology_example.setWordWrap(True)
        form.addRow(self.topology_example)
        steps_row = QHBoxLayout()
        steps_row.addWidget(self._int_box("steps", sized_for=999), 1)  # as wide as 3 digits: 1000 widens it
        for key, text in (("remove_step", "−"), ("add_step", "+")):
            button = ActionButton(self.actions.get(key), text)
            button.setObjectName(f"button_{key}")
            steps_row.addWidget(button)
        form.addRow("steps T", steps_row)
        form.addRow("hidden units", self._int_box("hidden"))
        sizes = QHBoxLayout()
        for key in ("inputs", "outputs"):
            sizes.addWidget(self._int_box(key))
        form.addRow("inputs · outputs", sizes)
        form.addRow("layers", self._int_box("layers"))
        return group

    def _build_remedies(self) -> QGroupBox:
        group = QGroupBox("Initialisation and remedies")
        form = QFormLayout(group)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.init_box = _combo(INIT_NAMES)
        self.init_box.setObjectName("box_init")
        self.init_box.currentIndexChanged.connect(lambda _: self.apply(init=self.init_box.currentData()))
        form.addRow("init", self.init_box)
        seed_row = QHBoxLayout()
        seed_row.addWidget(self._int_box("seed", sized_for=99_999), 1)  # a new seed is under 100 000
        if "new_seed" in self.actions:
            button = ActionButton(self.actions["new_seed"], "new")
            button.setObjectName("button_new_seed")
            seed_row.addWidget(button)
        form.addRow("seed", seed_row)

        self.toggles: dict[str, tuple[QCheckBox, IntBox | FloatBox]] = {}
        self.toggle_labels: dict[str, CheckLabel] = {}
        self._check_spacers: dict[str, tuple[QSpacerItem, QVBoxLayout]] = {}
        self.truncate_check, self.truncate_k = self._toggle_row(
            form, "truncate", "truncate BPTT to k steps",
            "Truncated BPTT: a loss sends its gradient back at most k steps",
            IntBox(LABELS["truncate"], 1, LIMITS["steps"][1], sized_for=999), 10,
        )  # fmt: skip
        self.clip_check, self.clip_box = self._toggle_row(
            form, "clip", "clip gradient norm at",
            "Rescale the whole parameter gradient when its norm exceeds the threshold",
            FloatBox(LABELS["clip"], 0.001, LIMITS["clip"][1], decimals=3, step=0.5, sized_for=10.0), 1.0,
        )  # fmt: skip
        self.clip_value_check, self.clip_value_box = self._toggle_row(
            form, "clip_value", "clip each entry at ±",
            "Clip every gradient entry to [−c, c] (min-char-rnn clips at ±5); this can turn the gradient",
            FloatBox(LABELS["clip_value"], 0.001, LIMITS["clip_value"][1], decimals=3, step=0.5, sized_for=10.0), 5.0,
        )  # fmt: skip
        self.penalty_check, self.penalty_box = self._toggle_row(
            form, "penalty", "gradient penalty Ω, weight",
            "Pascanu et al. 2013: add λ·Ω, which asks each step back to keep ‖∂L/∂h‖ unchanged (RNN and ESN)",
            FloatBox(LABELS["penalty"], 0.001, LIMITS["penalty"][1], decimals=3, step=0.1, sized_for=10.0), 1.0,
        )  # fmt: skip
        self.remedy_effect = QLabel()
        self.remedy_effect.setObjectName("remedy_effect")
        self.remedy_effect.setWordWrap(True)
        self.remedy_effect.setTextFormat(Qt.TextFormat.RichText)
        form.addRow(self.remedy_effect)
        return group

    # ---- user intent -> Session ----------------------------------------------------------
    def apply(self, **changes) -> bool:
        """Ask the Session for a change; on refusal show why and put the widgets back."""
        try:
            self.session.update(**changes)
        except ValueError as exc:
            self.show_message(str(exc))
            self._on_config_changed(self.session.config)
            return False
        if self.message_owner is None:  # a box's refusal stays while its text does
            self.show_message("")
        return True

    def _on_refusal_changed(self, box, text: str) -> None:
        if text:
            self.show_message(text, box)
        elif self.message_owner is box:
            self.show_message("")

    def _on_box_edited(self, box) -> None:
        """Typing in a box: a message about another box (or an earlier refusal by the engine) is old news."""
        if self.message_owner is not box and not self.message.isHidden():
            self.show_message("")

    def _apply_wrec(self, wrec: float) -> None:
        self.apply(wrec=round(wrec, 3))

    def _apply_cell(self, cell: str) -> None:
        """Switch the cell; Pascanu's penalty is defined for RNN and ESN only, so it goes off for the others."""
        changes = {"cell": cell}
        if cell not in ("rnn", "esn") and self.session.config.penalty > 0:
            changes["penalty"] = 0.0
        self.apply(**changes)

    def _toggle_row(self, form: QFormLayout, key: str, text: str, tip: str, box, default) -> tuple:
        """A remedy that is off at 0: a check box that turns it on at the value in its box."""
        check = QCheckBox()  # its text in a label that wraps: a long one would set the panel's least width
        check.setObjectName(f"check_{key}")
        check.setToolTip(tip)
        check.setAccessibleName(text)
        label = CheckLabel(text, check)
        label.setObjectName(f"check_{key}_text")
        label.setToolTip(tip)
        box = self._box(key, box)
        box.setValue(default)
        cast = int if isinstance(box, IntBox) else float
        check.toggled.connect(lambda on: self.apply(**{key: cast(box.value()) if on else cast(0)}))
        box.valueChanged.connect(lambda v: self.apply(**{key: cast(v)}) if check.isChecked() else None)
        # the box and the spin box beside the label's first line (a two-line label's box was centred
        # between its lines); the offsets follow the font (_fit_remedy_rows)
        column = QVBoxLayout()
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        above = QSpacerItem(0, 0, QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Fixed)
        column.addSpacerItem(above)
        column.addWidget(check)
        column.addStretch(1)
        row = QHBoxLayout()
        row.addLayout(column)
        row.addWidget(label, 1)
        row.addWidget(box, 0, Qt.AlignmentFlag.AlignTop)
        form.addRow(row)
        self.toggles[key] = (check, box)
        self.toggle_labels[key] = label
        self._check_spacers[key] = (above, column)
        return check, box

    def _fit_remedy_rows(self) -> None:
        """The remedies' check boxes as large as their text (a 14 px box beside 1.75x type was hard
        to see from a hall), drawn with the text's colour as outline (in the dark and high-contrast
        themes the empty box nearly vanished), each beside its label's first line."""
        t = theme_mod.current()
        outline = QColor(t.colours.foreground)
        for key, (check, box) in self.toggles.items():
            label = self.toggle_labels[key]
            metrics = label.fontMetrics()
            line = metrics.height()
            side = max(13, round(0.8 * line))
            sheet = f"QCheckBox::indicator {{ width: {side}px; height: {side}px; }}"
            if check.styleSheet() != sheet:
                check.setStyleSheet(sheet)
            palette = check.palette()
            # Fusion draws the box's outline in the window colour darkened by 140 %
            palette.setColor(QPalette.ColorRole.Window, outline.lighter(140) if outline.value() > 0 else outline)
            check.setPalette(palette)
            top = max(0, (box.sizeHint().height() - line) // 2)  # the first line level with the spin box's text
            margins = label.contentsMargins()
            if margins.top() != top:
                label.setContentsMargins(margins.left(), top, margins.right(), margins.bottom())
                label._fit_height()
            above, column = self._check_spacers[key]
            offset = max(0, top + (line - check.sizeHint().height()) // 2)
            if above.sizeHint().height() != offset:
                above.changeSize(0, offset, QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Fixed)
                column.invalidate()

    def show_message(self, text: str, box: IntBox | FloatBox | None = None) -> None:
        """Show (or clear, with '') why a value was refused: right under the box that refused it,
        or at the panel's foot for a refusal by the engine."""
        self.message_owner = box if text else None
        if text:
            self._place_message(box)
        if self.message.text() != text:
            self.message.setText(text)
        self.message.setVisible(bool(text))
        if text:  # once the panel is laid out again: scrolled into view (at a large font the panel scrolls)
            soon(self._reveal_message)

    def _reveal_message(self) -> None:
        """Scroll the message into view in the scroll area the panel sits in (if any)."""
        self._reveal(self.message)

    def _reveal(self, widget: QWidget) -> None:
        """Scroll a widget of the panel into view in the scroll area the panel sits in (if any)."""
        area = self.parentWidget()
        while area is not None and not isinstance(area, QScrollArea):
            area = area.parentWidget()
        if area is not None and widget.isVisible():
            area.ensureWidgetVisible(widget, 0, 8)

    def _place_message(self, box: IntBox | FloatBox | None) -> None:
        """Move the message into the row under the box's row (in its group), or to the panel's foot."""
        if box is None:
            layout = self.layout()
        else:
            group = box.parentWidget()
            while not isinstance(group, QGroupBox):
                group = group.parentWidget()
            layout = group.layout()
        if (layout, box) == self._message_spot:
            return
        old = self._message_spot[0]
        if isinstance(old, QFormLayout):
            old.takeRow(self.message)
        else:
            old.removeWidget(self.message)
        self._message_spot = (layout, box)
        if box is None:
            layout.insertWidget(layout.count() - 1, self.message)  # above the closing stretch
        elif box is self.wrec_box:  # under the slider's tick labels, not between the slider and them
            layout.insertWidget(layout.indexOf(self.wrec_beyond), self.message)
        elif isinstance(layout, QFormLayout):
            layout.insertRow(_form_row(layout, box) + 1, self.message)
        else:
            row = next(k for k in range(layout.count()) if _holds_item(layout.itemAt(k), box))
            layout.insertWidget(row + 1, self.message)

    # ---- which controls show: a lesson names the ones it needs ----------------------------
    def set_visible_controls(self, names: Iterable[str] | None) -> None:
        """Show only the controls named (simulator.lessons.CONTROLS vocabulary); None shows them all."""
        self._shown = None if names is None else frozenset(names)
        self._visibility_cell = self.session.config.cell
        self._apply_visibility(self.session.config)

    @property
    def visible_controls(self) -> frozenset[str] | None:
        """The names a lesson restricts the panel to, or None when every control shows."""
        return self._shown

    def shows(self, name: str) -> bool:
        """Whether the control `name` is offered (no lesson restricts it, or the lesson names it)."""
        return self._shown is None or name in self._shown

    def unwrapped_width(self) -> int:
        """The panel's least width with each remedy's text on one line (the width the window gives it
        when it has the room; presenting, the texts wrap and the panel takes its least width)."""
        labels = [label for label in self.toggle_labels.values() if label.wordWrap()]
        for label in labels:
            label.setWordWrap(False)
        self._relayout()
        width = self.minimumSizeHint().width()
        for label in labels:
            label.setWordWrap(True)
        self._relayout()
        return width

    def _relayout(self) -> None:
        """Measure again now: every layout of the panel forgets its cached sizes (activating a
        widget's layout does it for the layouts nested in it, not for those of its child widgets)."""
        for widget in (*self.findChildren(QGroupBox), self):
            layout = widget.layout()
            if layout is not None:
                layout.invalidate()
                layout.activate()

    def shows_any(self) -> bool:
        """Whether any group of the panel is on show (a lesson may name none of them)."""
        return any(not group.isHidden() for group in self.findChildren(QGroupBox))

    def _apply_visibility(self, config: Config) -> None:
        lstm, esn = config.cell == "lstm", config.cell == "esn"
        network, remedies = self.cell_box.parentWidget(), self.init_box.parentWidget()
        rows = {  # group -> (field widget, shown)
            network: [
                (self.cell_box, self.shows("cell")),
                (self.variant_box, self.shows("variant") and lstm),
                (self.leak_box, self.shows("leak") and esn),
                (self.topology_box, self.shows("topology")),
                (self.topology_example, self.shows("topology")),
                (self.boxes["steps"], self.shows("steps")),
                (self.boxes["hidden"], self.shows("hidden")),
                (self.boxes["inputs"], self.shows("inputs") or self.shows("outputs")),
                (self.boxes["layers"], self.shows("layers")),
            ],
            remedies: [
                (self.init_box, self.shows("init")),
                (self.boxes["seed"], self.shows("seed")),
                (self.truncate_check, self.shows("truncate")),
                (self.clip_check, self.shows("clip")),
                (self.clip_value_check, self.shows("clip_value")),
                (self.penalty_check, self.shows("penalty") and config.cell in ("rnn", "esn")),
            ],
        }
        changed = False
        for group, fields in rows.items():
            form = group.layout()
            for widget, shown in fields:
                row = _form_row(form, widget)
                if row >= 0 and form.isRowVisible(row) != shown:
                    form.setRowVisible(row, shown)
                    changed = True
            changed |= self._set_shown(group, any(shown for _, shown in fields))
        changed |= self._set_shown(self.wrec_group, self.shows("wrec"))
        changed |= self._set_shown(self.activation_box.parentWidget(), self.shows("activation"))
        if changed:
            self.rows_changed.emit()

    @staticmethod
    def _set_shown(widget: QWidget, shown: bool) -> bool:
        """Show or hide a group; whether that changed it."""
        if widget.isHidden() != shown:
            return False
        widget.setVisible(shown)
        return True

    # ---- Session -> widgets ------------------------------------------------------------
    def _on_config_changed(self, config: Config) -> None:
        _set_combo(self.cell_box, config.cell)
        _set_combo(self.variant_box, config.variant)
        # greyed for an LSTM or a GRU: it shows the tanh they use (the setting returns with an RNN or ESN)
        _set_combo(self.activation_box, config.activation if config.cell in ("rnn", "esn") else "tanh")
        _set_combo(self.topology_box, config.topology)
        _set_combo(self.init_box, config.init)
        for key in ("inputs", "hidden", "outputs", "layers", "steps", "seed"):
            _set_value(self.boxes[key], getattr(config, key))
        _set_value(self.wrec_box, config.wrec)
        _set_value(self.leak_box, config.leak)
        if not self.wrec_slider.isSliderDown():
            _set_value(self.wrec_slider, wrec_to_slider(config.wrec))
        beyond = not WREC_MIN <= config.wrec <= WREC_MAX
        if beyond or not self.wrec_beyond.isHidden():
            side = "above" if config.wrec > WREC_MAX else "below"
            note = (
                f"Wrec = {config.wrec:g}: {side} the slider's range ({WREC_MIN:g}–{WREC_MAX:g}), as typed"
                if beyond
                else ""
            )
            self.wrec_beyond.setText(note)
            self.wrec_beyond.setVisible(beyond)
            self.wrec_slider.setToolTip(note or SLIDER_TIP)
        for key, (check, box) in self.toggles.items():
            value = getattr(config, key)
            with QSignalBlocker(check):
                check.setChecked(value > 0)
            if value > 0:
                _set_value(box, value)

        if config.cell != self._visibility_cell:  # which rows show depends on the cell (and the lesson) only
            self._visibility_cell = config.cell
            self._apply_visibility(config)
        simple = config.cell in ("rnn", "esn")
        self.activation_box.setEnabled(simple)
        self.activation_view.set_activation(config.activation if simple else "tanh")
        if simple:
            gamma = GAMMA[config.activation]
            self.activation_note.setText(
                f"γ = max φ′ = {'1/4' if gamma == 0.25 else f'{gamma:g}'}: each step back multiplies the "
                f"gradient by at most γ·σ<sub>max</sub>(W<sub>hh</sub>)."
            )
        else:
            self.activation_note.setText(
                f"{'An LSTM' if config.cell == 'lstm' else 'A GRU'} has fixed gates (σ) and a tanh candidate; "
                "the activation setting is for RNN and ESN."
            )
        self.topology_example.setText(TOPOLOGY_EXAMPLES[config.topology])
        if config.hidden == 1:
            self.wrec_help.setText(
                "One unit: Wrec is the recurrent weight itself, h<sub>t</sub> = φ(Wrec·h<sub>t−1</sub> + …)."
            )
        elif config.cell in ("lstm", "gru"):
            self.wrec_help.setText("Spectral radius of each gate's block of W<sub>hh</sub>.")
        else:
            # |λ| in one piece (word joiners): a line broke between its bars ('its largest |' / 'λ|.')
            self.wrec_help.setText("Spectral radius of W<sub>hh</sub>: its largest |\u2060λ\u2060|.")

    def _on_trace_changed(self, trace) -> None:
        """What the remedies did to this trace: the parameter gradient before and after clipping."""
        cfg = self.session.config
        lines = []
        if cfg.clip > 0:
            before, after = trace.grad_norm, trace.grad_norm_clipped
            if after < before:
                lines.append(f"‖∇θ‖ = {fmt(before)} → clipped to <b>{fmt(after)}</b> (direction kept)")
            else:
                lines.append(f"‖∇θ‖ = {fmt(before)}: under the threshold, nothing clipped")
        if cfg.clip_value > 0:
            now = fmt(trace.grad_norm_clipped)
            lines.append(f"every gradient entry clipped to ±{cfg.clip_value:g}: ‖∇θ‖ now {now}")
        if cfg.truncate > 0:
            lines.append(f"each loss sends its gradient back at most {cfg.truncate} steps")
        if cfg.penalty > 0:
            lines.append(f"Ω = {fmt(trace.penalty_value)}; the loss includes {cfg.penalty:g}·Ω")
        shown = self.remedy_effect.text().count("<br>") + 1 if self.remedy_effect.isVisibleTo(self) else 0
        self.remedy_effect.setText("<br>".join(lines))
        self.remedy_effect.setVisible(bool(lines))
        if len(lines) > shown:  # a remedy just switched on: its read-out, at the panel's foot, scrolled into view
            soon(self._reveal, self.remedy_effect)
        self.show_own_weights()

    def show_own_weights(self) -> None:
        """The Session's own weights (trained, from a file, a task's untrained network): what they are and
        their ρ, which is not the slider's Wrec once trained. Numbers as the rest of the panel writes them."""
        trained = ""
        net = self.session.network
        if net is not None:
            rho = self.session.trace.spectral_radius
            if len(rho) == 1:
                value = f"ρ = <b>{fmt(next(iter(rho.values())))}</b>"
            else:
                value = "ρ = " + ", ".join(f"{name} <b>{fmt(r)}</b>" for name, r in rho.items())
            what = (self.weights_origin(net) if self.weights_origin is not None else None) or "trained weights"
            trained = f"{what}: {value} (the slider sets the initial weights)"
        if trained != self.trained_label.text():
            self.trained_label.setText(trained)
            self.trained_label.setVisible(bool(trained))

    def _on_theme_changed(self) -> None:
        t = theme_mod.current()
        self.message.setStyleSheet(f"color: {t.colours.exploding}; font-weight: bold;")
        for box in self.boxes.values():  # refused text in the new theme's warning colour
            if box.refusal:
                box._set_refusal(box.refusal, again=True)
        # a typed Wrec past the slider is allowed (lesson 1 sets 0): a calm note, not a warning's colour
        calm = (self.topology_example, self.activation_note, self.wrec_help, self.remedy_effect, self.wrec_beyond)
        for label in calm:
            label.setStyleSheet(f"color: {t.colours.muted};")
        self._fit_remedy_rows()
        soon(self._fit_remedy_rows)  # again once the widgets have the new font
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
