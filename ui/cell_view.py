"""One recurrent cell at the current step, drawn as in colah's "Understanding LSTM Networks".

LSTM: the cell-state line along the top (c_{t−1} → × f → + → c_t), the σ σ tanh σ gate row fed
by h_{t−1} and x_t from the bottom, i × g into the +, tanh(c_t) × o giving h_t at the bottom
right. GRU: the state line h_{t−1} → × z → + → h_t, with r, z and the tanh candidate n below.
RNN and ESN: the single activation box h_t = φ(W_ih x_t + W_hh h_{t−1} + b).

Every number is the trace's, for the first example and the chosen unit (or the mean over
units): the series are cut out of the trace once per trace or unit change, and a frame change
only repaints. Backward frames draw ‖∂L/∂c_t‖ on the cell-state line and ‖∂L/∂h_t‖ on the h_t
line (width and colour on the log scale of the unrolled view). Greff et al.'s LSTM variants
show in the drawing: a removed gate is a dashed ghost fixed at 1, peepholes are dashed lines
from the cell state into the gates, CIFG feeds 1 − f into the input gate, NIAF and NOAF replace
a tanh by the identity, FGR loops the previous step's gates back into the gate row.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSignalBlocker, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen, QPixmap, QTransform
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from . import badge_layout, theme
from . import diagram as dg

LEFT_V = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter  # combined once: an enum | costs per call
RIGHT_V = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
# a subscript raised to TEXT_FLOOR_PX is taller than its rect
SUB_FLAGS = Qt.AlignmentFlag.AlignLeft | Qt.TextFlag.TextDontClip
W, H = 1000.0, 575.0  # the drawing's own coordinates, scaled to fit the widget
FONT_PX = 23.0  # value text, in drawing units
BOUNDS = QRectF(0.0, 0.0, W + 90.0, H + 6.0)  # what the drawing covers at text factor 1 (labels run past W)
RNN_W = 760.0  # the RNN's drawing is narrower (one box): in a tall dock it is drawn larger
RNN_H_X = 420.0  # the RNN's activation box's centre
RNN_BOX = (110.0, 135.0, 600.0, 520.0)  # the RNN cell's box: left, top, right, bottom
MIN_TEXT_PX = 11.0  # value text on screen at font scale 1, times the font scale: a small dock enlarges the text
LEADER_PX = 1.3  # a badge's leader line on screen (pixels)
TEXT_FLOOR_PX = 9.0  # no text on screen smaller than this, subscripts included (the numbers: MIN_TEXT_PX)
TEXT_MAX = 2.2  # times the drawing's own text size (the layout makes room for it, see _Canvas.bounds)
TEXT_FILL = 1.3  # a dock taller than the drawing needs (its width limits it): text up to this × MIN_TEXT_PX
SYMBOL_MAX = 1.45  # the symbols in the boxes and circles (σ, tanh, ×) grow with the text up to this factor
VALUE_ROOM = "−8.8e−88"  # the widest number dg.fmt shows (a badge's place is chosen for it; '−0.012' is narrower)
VALUE_LEAST = "inf"  # about the narrowest number: a badge's box always covers its box with this one (see _badges)
TITLE_H = 60.0  # the title's two lines at text factor 1; larger text pushes the cell down
MEAN = -1  # the unit selector's "mean over units"
VARIANT_TEXT = {
    "vanilla": "",
    "peephole": "peephole connections",
    "nig": "no input gate (i = 1)",
    "nfg": "no forget gate (f = 1)",
    "nog": "no output gate (o = 1)",
    "niaf": "no input activation (g without tanh)",
    "noaf": "no output activation (h = o · c)",
    "cifg": "coupled input-forget gate (i = 1 − f)",
    "fgr": "full gate recurrence",
}


class ColourKey(QWidget):
    """What a box's colour means, in the Cell panel's top bar: its value, on the σ gates' map (0 … 1) and
    the values' map (−1 … 1). A student read the colours as which gate a box was (a fresh-eyes review).
    Drawn only where the bar has room for all of it (it never widens the panel)."""

    BAR = 28  # px of each map's strip

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.gated = False
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setToolTip(
            "A box's colour is its value at this step: the σ gates on the map from 0 to 1 (as the gates "
            "heatmaps), tanh and the states on the map from −1 to +1 (as the diagram and the states heatmap)"
        )
        theme.current().changed.connect(self._on_theme_changed)
        self._on_theme_changed()

    def _on_theme_changed(self) -> None:
        th = theme.current()
        self.maps = {"σ": dg.gate_lut(th), "": dg.value_lut(th)}
        self.muted = QColor(th.colours.muted)
        self.setFont(th.font(0.85))  # a key, in smaller type than the pickers beside it
        self.update()

    def set_gated(self, gated: bool) -> None:
        """LSTM and GRU: the σ gates' map as well."""
        if gated != self.gated:
            self.gated = gated
            self.update()

    def _layout(self) -> tuple[list, float]:
        """What to draw where: [(x, text or colour map)] along the bar, and the width it all takes."""
        fm = QFontMetricsF(self.font())
        gap = fm.horizontalAdvance(" ")
        maps = ([("σ 0", self.maps["σ"], "1")] if self.gated else []) + [("−1", self.maps[""], "+1")]
        items, x = [(0.0, "colour = value")], fm.horizontalAdvance("colour = value") + gap
        for before, lut, after in maps:
            items.append((x, before))
            x += fm.horizontalAdvance(before) + gap
            items.append((x, lut))
            x += self.BAR + gap
            items.append((x, after))
            x += fm.horizontalAdvance(after) + 2 * gap
        return items, x

    def needed_width(self) -> float:
        return self._layout()[1]

    def paintEvent(self, event) -> None:
        items, width = self._layout()
        if width > self.width():
            return  # no room for all of it: nothing rather than a cut key
        p = QPainter(self)
        fm = QFontMetricsF(self.font())
        h = self.height()
        y = (h + fm.ascent() - fm.descent()) / 2
        top = (h - fm.ascent()) / 2
        p.setPen(self.muted)
        for x, what in items:
            if isinstance(what, str):
                p.drawText(QPointF(x, y), what)
                continue
            n = len(what)
            for i in range(self.BAR):
                p.fillRect(QRectF(x + i, top, 1.0, fm.ascent()), what[min(n - 1, i * n // self.BAR)])
        p.end()


class CellView(QWidget):
    """The cell at the current step with its live values, for the first example and a chosen unit."""

    # (layer 0-based, unit 0-based or MEAN) whenever the shown layer or unit changes: the equations follow
    selection_changed = Signal(int, int)

    def __init__(self, session, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.unit_box = QComboBox()
        self.unit_box.setToolTip("Which hidden unit's numbers the cell shows (first example)")
        self.layer_box = QComboBox()
        self.layer_box.setToolTip("Which layer's cell")
        self.canvas = _Canvas(self)
        bar = QHBoxLayout()
        bar.setContentsMargins(6, 2, 6, 0)
        self.colour_key = ColourKey(self)
        bar.addWidget(self.colour_key, 1)
        self._layer_label = QLabel("layer")
        bar.setSpacing(6)
        for w in (self._layer_label, self.layer_box, QLabel("  unit"), self.unit_box):
            bar.addWidget(w)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(0)
        box.addLayout(bar)
        box.addWidget(self.canvas, 1)
        self.setMinimumSize(240, 160)  # a small window's dock may be narrow: the drawing scales
        self.unit_box.currentIndexChanged.connect(self._on_selection_changed)
        self.layer_box.currentIndexChanged.connect(self._on_selection_changed)
        self._on_trace_changed(session.trace)
        session.trace_changed.connect(self._on_trace_changed)
        session.frame_changed.connect(self._on_frame_changed)

    # ---- public -------------------------------------------------------------------------
    @property
    def unit(self) -> int:
        """The unit shown (0-based), or MEAN (-1) for the mean over units."""
        data = self.unit_box.currentData()
        return MEAN if data is None else int(data)

    def set_unit(self, unit: int) -> None:
        """Show a unit (0-based), or MEAN for the mean over units."""
        i = self.unit_box.findData(int(unit))
        if i >= 0:
            self.unit_box.setCurrentIndex(i)

    @property
    def layer(self) -> int:
        """The layer shown (0-based)."""
        return max(0, self.layer_box.currentIndex())

    def set_layer(self, layer: int) -> None:
        """Show a layer (0-based), if the net has it."""
        if 0 <= layer < self.layer_box.count():
            self.layer_box.setCurrentIndex(layer)

    def values(self) -> dict[str, float]:
        """The numbers drawn at the current step, by element name (i f g o c c_prev h h_prev x ...)."""
        t = self._t
        return {name: float(series[t]) for name, series in self._series.items()}

    def element_states(self) -> dict[str, str]:
        """How each element is drawn: 'gate', 'tanh', 'identity', 'absent' (fixed at 1), 'coupled' (1 − f), ...

        Extra keys: 'peephole' and 'gate_recurrence', 'drawn' or 'none'.
        """
        return dict(self._states)

    def height_for_width(self, width: int) -> int:
        """The height at which the drawing fills this width (the unit bar above it included)."""
        canvas = self.canvas
        tf = 1.0
        for _ in range(4):  # the drawing widens with the text (room for the widest numbers): a few rounds settle it
            scale = max(width, 1) / canvas.bounds(tf).width()
            tf = min(TEXT_MAX, max(1.0, MIN_TEXT_PX * max(1.0, canvas._font_scale) / (FONT_PX * scale)))
        scale = max(width, 1) / canvas.bounds(tf).width()
        return round(canvas.bounds(tf).height() * scale) + self.layout().itemAt(0).sizeHint().height()

    def width_for_text(self) -> int:
        """The least width at which the numbers reach their size (MIN_TEXT_PX × font scale) without
        growing past TEXT_MAX times the drawing's own text."""
        target = MIN_TEXT_PX * max(1.0, self.canvas._font_scale)
        return math.ceil(self.canvas.bounds(TEXT_MAX).width() * target / (FONT_PX * TEXT_MAX))

    # ---- the Session's signals ------------------------------------------------------------
    def _on_trace_changed(self, trace) -> None:
        net = trace.net
        self._cell, self._variant = net.cell, net.variant
        self._H, self._L = net.hidden, net.layers
        self._activation = net.activation
        self._leak = float(getattr(net, "leak", 1.0))
        if self.unit_box.count() != self._H + 1:  # keep the selection when the size stays
            keep = self.unit if self.unit_box.count() else 0
            with QSignalBlocker(self.unit_box):
                self.unit_box.clear()
                for u in range(self._H):
                    self.unit_box.addItem(f"{u + 1} of {self._H}", u)
                self.unit_box.addItem("mean of all", MEAN)
                self.unit_box.setCurrentIndex(self.unit_box.findData(keep if keep < self._H else 0))
        if self.layer_box.count() != self._L:
            with QSignalBlocker(self.layer_box):
                self.layer_box.clear()
                self.layer_box.addItems([f"{k + 1} of {self._L}" for k in range(self._L)])
                self.layer_box.setCurrentIndex(self._L - 1)
        self.layer_box.setVisible(self._L > 1)
        self._layer_label.setVisible(self._L > 1)
        self.colour_key.set_gated(self._cell in ("lstm", "gru"))
        self._prepare(trace)
        self._announce_selection()

    def _on_selection_changed(self, _index: int) -> None:
        self._prepare(self.session.trace)
        self._announce_selection()

    def _announce_selection(self) -> None:
        selection = (self.layer, self.unit)
        if selection != getattr(self, "_announced", None):
            self._announced = selection
            self.selection_changed.emit(*selection)

    def _on_frame_changed(self, frame: int) -> None:
        self._phase, self._t = self.session.phase_step(frame)
        self.canvas.update()  # the whole canvas: a region of the frame's elements clips each draw, which costs more

    # ---- the numbers, cut out of the trace once ---------------------------------------------
    def _prepare(self, trace) -> None:
        """Every series the drawing shows, (T,) each, for the chosen layer and unit, and the gradient scale."""
        k, u = self.layer, self.unit
        cache = trace.caches[k]

        def pick(a):  # (T, B, H) -> (T,): the first example's unit u, or the mean over units
            a = np.asarray(a)
            if u != MEAN:
                return a[:, 0, min(u, a.shape[-1] - 1)]
            with np.errstate(all="ignore"):
                return a[:, 0].mean(axis=-1)

        def pick_product(a, b):  # pick(a * b); one unit's product needs only that unit's numbers (the same floats)
            return pick(a * b) if u == MEAN else pick(a) * pick(b)

        h_all = cache["h"]  # (T + 1, B, H): h_{-1}, h_0 ... h_{T-1}
        layer_in = trace.x if k == 0 else trace.hidden_states[k - 1]
        s = {"h_prev": pick(h_all[:-1]), "h": pick(h_all[1:])}
        s["x"] = pick(layer_in) if k > 0 else np.asarray(trace.x)[:, 0, 0]
        with np.errstate(all="ignore"):
            if self._cell == "lstm":
                gates = trace.gates(k)
                for name in "ifgo":
                    s[name] = pick(gates[name])
                c = cache["c"]
                s["c_prev"], s["c"] = pick(c[:-1]), pick(c[1:])
                s["tanh_c"] = pick(cache["tc"])
                s["fc"] = pick_product(gates["f"], c[:-1])
                s["ig"] = pick_product(gates["i"], gates["g"])
            elif self._cell == "gru":
                gates = trace.gates(k)
                for name in "rzn":
                    s[name] = pick(gates[name])
                z, n = gates["z"], gates["n"]
                s["zh"] = pick_product(z, h_all[:-1])
                s["one_minus_z"] = pick(1.0 - z) if u == MEAN else 1.0 - pick(z)
                s["zn"] = pick_product(1.0 - z, n) if u == MEAN else (1.0 - pick(z)) * pick(n)
                s["rh"] = pick_product(gates["r"], cache["hpn"])
            else:
                p = trace.net.params
                pre = layer_in @ p[f"weight_ih_l{k}"].T + p[f"bias_ih_l{k}"] + p[f"bias_hh_l{k}"]
                pre = pre + h_all[:-1] @ p[f"weight_hh_l{k}"].T  # (T, B, H)
                s["pre"] = pick(pre)
                s["a"] = pick(cache["a"])
        self._series = s
        # gradients of this layer on one log scale: ‖∂L/∂h_t‖ and, for an LSTM, ‖∂L/∂c_t‖
        gh = np.asarray(trace.grad_norms_layers[k], dtype=float)
        gc = None if trace.cell_grad_norms is None else np.asarray(trace.cell_grad_norms[k], dtype=float)
        both = gh if gc is None else np.concatenate([gh, gc])
        u_all, self._grad_lo, self._grad_hi = dg.log_scale(both)
        T = trace.T
        self._gh, self._gh_u = gh, u_all[:T]
        self._gc, self._gc_u = gc, (None if gc is None else u_all[T:])
        self._states = self._element_states()
        self._phase, self._t = self.session.phase_step()
        self._t = max(0, min(self._t, T - 1))  # the playhead is clamped only after this signal
        self.canvas.update()

    def _element_states(self) -> dict[str, str]:
        v, cell = self._variant, self._cell
        if cell == "lstm":
            return {
                "f": "absent" if v == "nfg" else "gate",
                "i": "absent" if v == "nig" else ("coupled" if v == "cifg" else "gate"),
                "g": "identity" if v == "niaf" else "tanh",
                "o": "absent" if v == "nog" else "gate",
                "tanh_c": "identity" if v == "noaf" else "tanh",
                "peephole": "drawn" if v == "peephole" else "none",
                "gate_recurrence": "drawn" if v == "fgr" else "none",
            }
        if cell == "gru":
            return {"r": "gate", "z": "gate", "n": "tanh", "peephole": "none", "gate_recurrence": "none"}
        return {"phi": self._activation, "peephole": "none", "gate_recurrence": "none"}


def _lstm_equations(variant: str) -> str:
    """The LSTM's state and output, as the variant computes them (the subtitle's formula)."""
    f = "c(t−1)" if variant == "nfg" else "f·c(t−1)"
    i = {"nig": "g", "cifg": "(1 − f)·g"}.get(variant, "i·g")
    o = "" if variant == "nog" else "o·"
    act = f"{o}c(t)" if variant == "noaf" else f"{o}tanh(c(t))"
    return f"c(t) = {f} + {i},  h(t) = {act}"


def _box(rect: QRectF) -> tuple[float, float, float, float]:
    """A rectangle as (left, top, right, bottom)."""
    return rect.left(), rect.top(), rect.right(), rect.bottom()


def _wire(*pts: tuple[float, float]) -> list[tuple[float, float, float, float]]:
    """A wire through points (each leg across or down) as boxes, for a badge's anchor (see badge_layout)."""
    return [(min(a[0], b[0]), min(a[1], b[1]), max(a[0], b[0]), max(a[1], b[1])) for a, b in itertools.pairwise(pts)]


def _unit_index(u: float) -> int:
    """dg.unit_index of one finite number, without numpy's per-call cost."""
    return round(min(max(float(u), 0.0), 1.0) * (dg.LUT_SIZE - 1))


def _value_index(v: float) -> int:
    """dg.value_index of one finite number, without numpy's per-call cost."""
    return round((min(max(float(v), -1.0), 1.0) + 1.0) * 0.5 * (dg.LUT_SIZE - 1))


class _Canvas(QWidget):
    """Paints the CellView's cell, scaled to fit, from the numbers the view prepared.

    Most of the drawing (the cell's box, its lines, dots and operations) does not change from
    frame to frame: it is drawn once into two cached layers and a frame paints only its own
    elements over them. The drawing code runs in one of three passes and every element says
    whether it changes with the frame:

    - 'under': the static elements drawn before the first frame element (an opaque picture);
      the frame elements are not drawn but recorded, in order, in a display list: the method
      that draws each, its static arguments and the painter's transform;
    - 'over': the static elements drawn after it (transparent, laid over that frame element,
      e.g. a line whose width carries the gradient, just as drawing them after it would);
    - 'direct': everything, uncached (the reference the cached frames must match).

    A frame then paints 'under' and replays the display list (see _replay): the drawing code
    does not run. The frame elements take the names of their series or gradients, not values
    or pens, and read the frame's numbers when they draw. 'over' is laid down before the
    first gate or number, which by construction come after every static element.
    """

    def __init__(self, view: CellView):
        super().__init__(view)
        self.view = view
        self.p: QPainter | None = None
        self._mode = "direct"
        self._live_seen = False  # a frame element came already in this pass
        self._over_marked = False  # the display list lays 'over' down already
        self._layers_key: tuple | None = None
        self._layers: tuple[QPixmap, QPixmap | None] | None = None
        self._frame: list[tuple] = []  # the display list: (method, arguments, world transform), see _replay
        self._world = QTransform()  # the transform of the display list's last entry
        self._val: dict[str, float] = {}  # the numbers of the frame being painted, by series
        self._stamps: dict[tuple, QPixmap] = {}  # see _stamp
        self._looks: dict[tuple, tuple] = {}  # a badge's box at its place on screen, by its look (see _chip)
        self._nodes: list[QRectF] = []  # the cell's boxes and circles, as laid out last (see _node)
        self._labels: list[tuple[str, QRectF]] = []  # its badges and labels: (series or text, box)
        self._anchors: dict[str, list[tuple]] = {}  # what each badge labels: its wires and nodes (see badge_layout)
        self._leaders: list[tuple[str, tuple, tuple]] = []  # (series, from, to): a badge's line to its wire
        self._placed: dict[tuple, tuple] = {}  # where each badge went in this layout (see _badges)
        self._pending: list[tuple] = []  # the badges noted by chip, to place (see _badges)
        self._reserved: list[QRectF] = []  # room the badges leave to a label placed after them (see _badges)
        self._wires: list[tuple] = []  # the lines drawn, leg by leg (x0, y0, x1, y1), as laid out last
        self._badge_top: float | None = None  # no badge above this (the title's and gradients' room), if set
        self._layouts: dict[tuple, list] = {}  # badge_layout's answers, by what it was asked (see _badges)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)  # we paint every pixel: parents need not
        self._on_theme_changed()
        theme.current().changed.connect(self._on_theme_changed)

    # ---- drawing vocabulary -------------------------------------------------------------------
    def _on_theme_changed(self) -> None:
        """Colours, colour maps and the font family, taken from the theme once per change."""
        th = theme.current()
        c = th.colours
        self.bg, self.fg, self.muted = QColor(c.background), QColor(c.foreground), QColor(c.muted)
        self.cursor, self.fwd = QColor(c.cursor), QColor(c.forward)
        self.op_fill = dg.blend(self.bg, self.cursor, 0.10)  # opaque tints paint faster than alpha
        self.box_fill = dg.blend(self.bg, self.fg, 0.035)
        self.vlut, self.gatelut, self.glut = dg.value_lut(th), dg.gate_lut(th), dg.gradient_lut(th)
        self.family = th.font().family()
        base = QFont(self.family)
        base.setPixelSize(round(FONT_PX))
        self._base_metrics = QFontMetricsF(base)  # the value text at text factor 1 (see wide_room)
        base.setBold(True)
        base.setItalic(True)
        self._base_bold = QFontMetricsF(base)  # a badge's name at text factor 1 (see badge_width)
        self._font_scale = th.font_scale
        self._tf = 1.0  # text factor: the drawing's text sizes times this (set per size in _paint)
        self._floor = 0.0  # the least text size in drawing units: TEXT_FLOOR_PX on screen (set per size in _paint)
        self._fonts: dict[tuple, QFont] = {}
        self._metrics: dict[tuple, QFontMetricsF] = {}
        self._inks: dict[float, QColor] = {}
        self._widths: dict[tuple, tuple[float, float, float]] = {}  # a label's parts, measured once
        self._pens: dict[tuple, QPen] = {}  # see pen
        self._texts_on: dict[int, QColor] = {}  # see _text_on
        self._layers_key = None  # the colours changed: draw the static layers again
        self.update()

    # ---- which pass draws what (see the class docstring) -------------------------------------
    def _static(self) -> bool:
        """Whether a static element (the same in every frame of a phase) is drawn in this pass."""
        mode = self._mode
        if mode == "under":
            return not self._live_seen
        if mode == "over":
            if self._live_seen:
                self._over_used = True
            return self._live_seen
        return mode == "direct"

    def _element(self, draw, *args, late: bool = True) -> None:
        """A frame element: draw(*args), now in the 'direct' pass, recorded for the frames in the 'under' pass.

        late: drawn over all static elements (gates, numbers, title), so 'over' goes down before
        it; otherwise it is among the static ones (a line carrying the gradient).
        """
        self._live_seen = True
        mode = self._mode
        if mode == "direct":
            draw(*args)
        elif mode == "under":
            if late and not self._over_marked:
                self._over_marked = True
                self._frame.append((self._lay_over, (), QTransform()))
            world = self.p.worldTransform()
            if world != self._world:  # entries under one transform share it: the replay sets it once
                self._world = world
            self._frame.append((draw, args, self._world))

    def _lay_over(self) -> None:
        """Lay the 'over' layer down (at its place in the display list)."""
        over = self._layers[1]
        if over is not None:
            self.p.drawPixmap(0, 0, over)

    def pen(self, alpha: float, width: float) -> QPen:
        """A solid pen of the foreground colour at an opacity (made once per theme)."""
        key = (alpha, width)
        pen = self._pens.get(key)
        if pen is None:
            pen = self._pens[key] = QPen(self.ink(alpha), width)
        return pen

    def ink(self, alpha: float = 1.0) -> QColor:
        """The foreground colour at an opacity (made once per theme)."""
        c = self._inks.get(alpha)
        if c is None:
            c = self._inks[alpha] = dg.with_alpha(self.fg, alpha)
        return c

    def font(self, px: float = FONT_PX, bold: bool = False, italic: bool = False) -> QFont:
        key = (round(px), bold, italic)
        f = self._fonts.get(key)
        if f is None:
            f = self._fonts[key] = QFont(self.family)
            f.setPixelSize(max(1, round(key[0] * self._tf), math.ceil(self._floor)))
            f.setBold(bold)
            f.setItalic(italic)
        return f

    def symbol_font(self, px: float, bold: bool = False) -> QFont:
        """A symbol inside a box or circle (σ, tanh, ×): grows with the text, as its box does (see sym)."""
        return self.font(px * self.sym() / self._tf, bold=bold)

    def sym(self, tf: float | None = None) -> float:
        """How much larger the boxes and circles (and their symbols) are drawn, for text tf times larger."""
        return min(SYMBOL_MAX, self._tf if tf is None else tf)

    def stretch(self, tf: float | None = None) -> float:
        """How much each gap between the LSTM's or GRU's rows grows for text tf times larger.

        A row of badges fits between an op's circle (radius 20·sym) and a gate's box (half height
        27·sym), with 6 px on each side: the 105 px gap at text factor 1 is what that leaves.
        """
        tf = self._tf if tf is None else tf
        if self.view._cell in ("rnn", "esn"):
            return 0.0
        return max(0.0, 1.35 * FONT_PX * tf + 47.0 * self.sym(tf) + 16.0 - 105.0)

    # ---- where things are: nodes and badges, to keep the badges off the nodes and each other ----------
    def _node(self, rect: QRectF) -> None:
        """Note a node (box or circle) of the cell, in the cell's coordinates (once per layout)."""
        if self._mode != "over":
            self._nodes.append(rect)

    def _clash(self, rect: QRectF) -> float:
        """How much a label at rect covers: 0 when it stays in the drawing, off every node, badge and leader
        line noted; the area it covers (plus 1 a thing) otherwise; inf when it leaves the drawing."""
        b = self.bounds(self._tf)
        top = -self.body_top()  # the cell is drawn this far down (see _paint)
        if rect.left() < 0 or rect.right() > b.width() or rect.top() < top or rect.bottom() > top + b.height():
            return math.inf
        grown = rect.adjusted(-3, -3, 3, 3)
        clash = 0.0
        for r in self._nodes + [r for _, r in self._labels]:
            if grown.intersects(r):
                o = grown.intersected(r)
                clash += 1.0 + o.width() * o.height()
        if self._leaders:
            box = np.array([_box(grown)])
            clash += sum(1.0 for _, p, q in self._leaders if badge_layout.hits(p, q, box)[0])
        return clash

    def _badges(self) -> None:
        """Place the badges noted by chip since the last call, all together (see badge_layout), and draw them.

        Placed once per layout: the 'over' pass takes the places the 'under' pass chose. A badge that
        found no place beside its wire is tied to it by a thin leader line (a static element, so under
        the badges)."""
        pending, self._pending = self._pending, []
        if self._mode != "over":
            b = self.bounds(self._tf)
            top = -self.body_top()  # the cell is drawn this far down (see _paint)
            blocks = [_box(r) for r in self._nodes + self._reserved] + [_box(r) for _, r in self._labels]
            h = 1.35 * FONT_PX * self._tf
            room = (0.0, top if self._badge_top is None else self._badge_top, b.width(), top + b.height())
            anchors = tuple((name, tuple(boxes)) for name, boxes in self._anchors.items())
            wires = tuple(self._wires)
            key = (tuple(pending), anchors, tuple(blocks), wires, room, h, self._tf, self._floor, self.family)
            places = self._layouts.get(key)  # the other phase's layout is the same
            if places is None:
                badges = [self._badge_places(*spec) for spec in pending]
                found = badge_layout.place(badges, self._anchors, blocks, room, h, wires)
                places = [(*badge.place(p.index), p.dx, p.dy, p.leader) for badge, p in zip(badges, found, strict=True)]
                if len(self._layouts) > 16:
                    self._layouts.clear()
                self._layouts[key] = places
            for (_, name, sub, series, tail), (x, y, align, dx, dy, leader) in zip(pending, places, strict=True):
                x, y = x + dx, y + dy
                self._placed[(series, name)] = (x, y, align, leader)
                self._labels.append((series, self.chip_rect(x, y, name, sub, VALUE_ROOM, align, tail)))
                if leader is not None:
                    self._leaders.append((series, *leader))
        for places, name, sub, series, tail in pending:
            x, y, align, leader = self._placed.get((series, name), (*places[0], None))
            if leader is not None and self._static():
                self._leader_line(*leader)
            self._element(self._chip, x, y, name, sub, series, align, tail)

    def _badge_places(self, places: tuple, name: str, sub: str, series: str, tail: str) -> badge_layout.Badge:
        """A badge for badge_layout: its named places (x, y, align) and its boxes there, for the widest
        number (VALUE_ROOM) and for a narrow one (the places around them are moves of these)."""
        wide = [_box(self.chip_rect(x, y, name, sub, VALUE_ROOM, a, tail)) for x, y, a in places]
        narrow = [_box(self.chip_rect(x, y, name, sub, VALUE_LEAST, a, tail)) for x, y, a in places]
        return badge_layout.Badge.around(series, list(places), wide, narrow)

    def chip_rect(self, x: float, y: float, name: str, sub: str, text: str, align: str = "c", tail: str = "") -> QRectF:
        """The box of a badge at (x, y) showing text (see chip)."""
        wn = self.metrics(FONT_PX, bold=True, italic=True).horizontalAdvance(name + tail)
        wn += self.metrics(0.68 * FONT_PX, italic=True).horizontalAdvance(sub) + 2 if sub else 0.0
        w = wn + 8 + self.metrics(FONT_PX).horizontalAdvance(text) + 14
        h = 1.35 * FONT_PX * self._tf
        x0 = x - w / 2 if align == "c" else (x - w if align == "r" else x)
        return QRectF(x0, y - h / 2, w, h)

    def metrics(self, px: float = FONT_PX, bold: bool = False, italic: bool = False) -> QFontMetricsF:
        """The metrics of font(px, bold, italic), made once."""
        key = (round(px), bold, italic)
        fm = self._metrics.get(key)
        if fm is None:
            fm = self._metrics[key] = QFontMetricsF(self.font(px, bold, italic))
        return fm

    def _label_widths(self, main: str, sub: str, tail: str, px: float, bold: bool) -> tuple[float, float, float]:
        key = (main, sub, tail, round(px), bold)
        widths = self._widths.get(key)
        if widths is None:
            fm = self.metrics(px, bold=bold, italic=True)
            w1 = fm.horizontalAdvance(main)
            w2 = self.metrics(0.68 * px, italic=True).horizontalAdvance(sub) + 2 if sub else 0.0
            w3 = fm.horizontalAdvance(tail) if tail else 0.0
            widths = self._widths[key] = (w1, w2, w3)
        return widths

    def line(
        self, pts: list[tuple[float, float]], pen: QPen | None = None, arrow: bool = False, grad: str | None = None
    ) -> None:
        """A polyline (with an arrowhead at its end).

        grad: it carries that gradient ('h' or 'c') in a backward frame, a frame element whose
        pen grad_pen makes (pen is then not used).
        """
        if self._mode != "over":  # noted once per layout: no leader line runs along it (see _badges)
            self._wires += [(*a, *b) for a, b in itertools.pairwise(pts)]
        if grad is None and not self._static():
            return
        path = QPainterPath(QPointF(*pts[0]))
        for q in pts[1:-1]:
            path.lineTo(QPointF(*q))
        head = None
        if arrow:
            head = (QPointF(*pts[-2]), QPointF(*pts[-1]))
        else:
            path.lineTo(QPointF(*pts[-1]))
        if grad is None:
            self._line(path, head, pen or self.pen(0.75, 3.0))
        else:
            self._element(self._grad_line, path, head, grad, late=False)

    def _line(self, path: QPainterPath, head: tuple[QPointF, QPointF] | None, pen: QPen) -> None:
        """Draw a line's path and its arrow (a line from head's first point to an arrowhead at its second)."""
        p = self.p
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.setPen(pen)
        p.drawPath(path)
        if head is not None:
            dg.arrow(p, head[0], head[1], pen, 12.0 + 0.8 * pen.widthF())

    def _grad_line(self, path: QPainterPath, head: tuple[QPointF, QPointF] | None, grad: str) -> None:
        """Draw a line carrying a gradient, in the pen of the frame's norm (see grad_pen)."""
        self._line(path, head, self.grad_pen(grad))

    def dot(self, x: float, y: float) -> None:
        if not self._static():
            return
        self.p.setPen(Qt.PenStyle.NoPen)
        self.p.setBrush(self.ink(0.75))
        self.p.drawEllipse(QPointF(x, y), 5.5, 5.5)

    def label(self, x: float, y: float, main: str, sub: str = "", align: str = "c", px: float = FONT_PX,
              colour: QColor | None = None, bold: bool = True, tail: str = "") -> float:  # fmt: skip
        """A name with a subscript ('c', 't−1'[, tail]) at (x, y), aligned 'l', 'c' or 'r' (a static element)."""
        if self._mode != "over":
            w = sum(self._label_widths(main, sub, tail, px, bold))
            x0 = x - w / 2 if align == "c" else (x - w if align == "r" else x)
            self._labels.append((main + tail, QRectF(x0, y - 0.6 * px * self._tf, w, 1.2 * px * self._tf)))
        if self._static():
            self._label(x, y, main, sub, align, px, colour, bold, tail)

    def _label(self, x: float, y: float, main: str, sub: str = "", align: str = "c", px: float = FONT_PX,
               colour: QColor | None = None, bold: bool = True, tail: str = "") -> float:  # fmt: skip
        """Draw a label (see label); returns its width."""
        p = self.p
        f, fs = self.font(px, bold=bold, italic=True), self.font(0.68 * px, italic=True)
        w1, w2, w3 = self._label_widths(main, sub, tail, px, bold)
        w = w1 + w2 + w3
        x0 = x - w / 2 if align == "c" else (x - w if align == "r" else x)
        p.setPen(colour or self.ink(0.9))
        p.setFont(f)
        left_v = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        p.drawText(QRectF(x0, y - px, w1 + 4, 2 * px), left_v, main)
        if tail:
            p.drawText(QRectF(x0 + w1 + w2, y - px, w3 + 4, 2 * px), left_v, tail)
        if sub:
            p.setFont(fs)
            p.drawText(QRectF(x0 + w1 + 1, y - 0.45 * px, w2 + 4, 1.4 * px), SUB_FLAGS, sub)
        return w

    def chip(self, x: float, y: float, name: str, sub: str, series: str, align: str = "c", tail: str = "",
             alts: tuple = ()) -> None:  # fmt: skip
        """A value badge: the element's name and its number (of the series named) on the background, over the lines.

        alts: other places (x, y, align), in order, for when the badge at (x, y) would cover a node
        or another badge (larger text), or sit nearer another badge's wire or node than its own
        (self._anchors). Noted here; placed and drawn with the others by _badges.
        """
        self._pending.append((((x, y, align), *alts), name, sub, series, tail))

    def _leader_line(self, start: tuple[float, float], to: tuple[float, float]) -> None:
        """Draw a badge's leader line: from under its box to a dot on its wire, in the badge's ink, faint,
        LEADER_PX wide on screen at any scale."""
        p = self.p
        pen = QPen(self.ink(0.5), LEADER_PX)
        pen.setCosmetic(True)
        p.setPen(pen)
        p.drawLine(QPointF(*start), QPointF(*to))
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(self.ink(0.6))
        r = 1.6 * LEADER_PX / max(p.worldTransform().m11(), 1e-6)
        p.drawEllipse(QPointF(*to), r, r)

    def _chip(self, x: float, y: float, name: str, sub: str, series: str, align: str, tail: str) -> None:
        """Draw a badge (see chip) with the frame's number.

        The box and the name come from the stamp cache (see _stamp): digits are equally wide, so
        a badge takes only a few widths over a trace ('0.49', '−0.02', '−8.9e−3'), drawn once each.
        In a frame the box's place on screen, the number's rectangle, font and colour are kept
        by look too (self._looks), so a badge costs a lookup and three draws.
        """
        p = self.p
        value = self._val[series]
        text = dg.fmt(value)
        wv = self._widths.get(text)
        if wv is None:
            if len(self._widths) > 5000:  # a long trace of many numbers: start again
                self._widths.clear()
            wv = self._widths[text] = self.metrics(FONT_PX).horizontalAdvance(text)
        bad = not math.isfinite(value)
        look_key = (series, x, y, wv, bad)
        look = self._looks.get(look_key) if self._mode == "live" else None
        if look is None:
            key = ("chip", name, sub, tail)
            wn = self._widths.get(key)
            if wn is None:
                wn = self.metrics(FONT_PX, bold=True, italic=True).horizontalAdvance(name + tail)
                wn += self.metrics(0.68 * FONT_PX, italic=True).horizontalAdvance(sub) + 2 if sub else 0.0
                self._widths[key] = wn
            w = wn + 8 + wv + 14
            h = 1.35 * FONT_PX * self._tf
            x0 = x - w / 2 if align == "c" else (x - w if align == "r" else x)
            rect = QRectF(x0, y - h / 2, w, h)

            def box() -> None:
                q = self.p
                q.setPen(QPen(self.ink(0.25), 1.2))
                q.setBrush(QColor(dg.NONFINITE_FILL) if bad else self.bg)
                q.drawRoundedRect(rect, 6, 6)
                if bad:
                    q.setBrush(dg.nonfinite_brush())
                    q.drawRoundedRect(rect, 6, 6)
                colour = QColor("#000000") if bad else self.ink(0.6)
                self._label(x0 + 7, y, name, sub, align="l", colour=colour, tail=tail)

            text_rect = QRectF(x0 + 7 + wn + 8, y - h / 2, wv + 4, h)
            if self._mode == "direct":  # the reference: uncached
                box()
            look = (
                None if self._mode == "direct" else self._stamp((key, round(x0, 3), y, round(w, 3), bad), rect, box),
                p.worldTransform(),
                text_rect,
                self.font(FONT_PX, bold=bad),
                QColor("#000000") if bad else self.ink(0.95),
            )
            if self._mode == "live":
                if len(self._looks) > 2000:
                    self._looks.clear()
                self._looks[look_key] = look
        stamp, world, text_rect, font, colour = look
        if stamp is not None:  # the box, in device pixels
            p.resetTransform()
            p.drawPixmap(stamp[0], stamp[1])
            p.setWorldTransform(world)
        p.setFont(font)
        p.setPen(colour)
        p.drawText(text_rect, LEFT_V, text)

    def _stamp(self, key: tuple, rect: QRectF, draw) -> tuple[QPointF, QPixmap]:
        """draw() (an element within rect, in drawing coordinates) as device pixels from a cache: (place, pixmap).

        A frame's badges take few distinct looks over a trace (a few widths): each look is drawn
        once, antialiased, into a pixmap at its place on screen (the painter's transform), and
        copied from then on by the caller, with no transform, at the place returned. The cache
        empties whenever the static layers are drawn again (new size, colours, cell or phase).
        """
        p = self.p
        world = p.worldTransform()  # a translation and a scale (see _paint)
        dpr = self.devicePixelRatioF()
        out = world.mapRect(rect.adjusted(-2, -2, 2, 2))  # the pen reaches past the rect
        ox, oy = math.floor(out.x() * dpr) / dpr, math.floor(out.y() * dpr) / dpr
        full = (key, round(world.m11(), 9), round(ox - out.x(), 6), round(oy - out.y(), 6))
        pixmap = self._stamps.get(full)
        if pixmap is None:
            size = QSize(math.ceil((out.right() - ox) * dpr) + 1, math.ceil((out.bottom() - oy) * dpr) + 1)
            pixmap = QPixmap(size)
            pixmap.setDevicePixelRatio(dpr)
            pixmap.fill(Qt.GlobalColor.transparent)
            painter = QPainter(pixmap)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
            painter.setWorldTransform(world * QTransform.fromTranslate(-ox, -oy))
            # hatching in phase with a direct drawing's: Qt lays a pattern brush in device pixels, offset by
            # the inverse transform's translation (the scale left out), so move its origin by o/s − o
            s = world.m11()
            painter.setBrushOrigin(QPointF(ox / s - ox, oy / s - oy))
            self.p = painter
            try:
                draw()
            finally:
                painter.end()
                self.p = p
            if len(self._stamps) > 2000:  # a long trace of many colours: start again
                self._stamps.clear()
            self._stamps[full] = pixmap
        return QPointF(ox, oy), pixmap

    def gate(self, x: float, y: float, symbol: str, series: str, state: str, kind: str = "sigmoid") -> None:
        """A gate box (colah's yellow boxes) filled with the colour of its series' value; a dashed ghost when absent.

        An absent gate is fixed at 1: a static element, drawn with the cell.
        """
        w, h = 78.0 * self.sym(), 54.0 * self.sym()
        rect = QRectF(x - w / 2, y - h / 2, w, h)
        self._node(rect)
        if state != "absent":
            self._element(self._gate, rect, symbol, series, kind)
        elif self._static():
            self._absent_gate(rect)

    def _gate(self, rect: QRectF, symbol: str, series: str, kind: str) -> None:
        """Draw a gate (see gate) with the frame's value."""
        value = self._val[series]
        if not math.isfinite(value):
            index = -1
        elif kind == "sigmoid":
            index = _unit_index(value)
        else:
            index = _value_index(value)
        self._gate_box(rect, symbol, kind, index)

    def _absent_gate(self, rect: QRectF) -> None:
        p = self.p
        p.setBrush(self.bg)
        p.setPen(QPen(self.ink(0.35), 2.0, Qt.PenStyle.DashLine))
        p.drawRoundedRect(rect, 8, 8)
        p.setFont(self.symbol_font(24))
        p.setPen(self.ink(0.45))
        p.drawText(rect, Qt.AlignmentFlag.AlignCenter, "1")

    def _gate_box(self, rect: QRectF, symbol: str, kind: str, index: int) -> None:
        """A gate's box in the colour map's colour number index (-1: not finite, hatched)."""
        p = self.p
        if index < 0:
            fill = QColor(dg.NONFINITE_FILL)
        else:
            fill = (self.gatelut if kind == "sigmoid" else self.vlut)[index]
        p.setBrush(fill)
        p.setPen(self.pen(0.8, 2.2))
        p.drawRoundedRect(rect, 8, 8)
        if index < 0:
            p.setBrush(dg.nonfinite_brush())
            p.drawRoundedRect(rect, 8, 8)
        p.setFont(self.symbol_font(28 if symbol in ("σ", "1−") else 23, bold=symbol != "σ"))
        p.setPen(self._text_on(fill))
        p.drawText(rect, Qt.AlignmentFlag.AlignCenter, symbol)

    def _text_on(self, fill: QColor) -> QColor:
        """dg.text_on, kept per fill colour (a colour map has a few hundred)."""
        key = fill.rgba()
        colour = self._texts_on.get(key)
        if colour is None:
            colour = self._texts_on[key] = dg.text_on(fill)
        return colour

    def op(self, x: float, y: float, symbol: str, r: float = 20.0, ghost: bool = False) -> None:
        """A pointwise operation (colah's pink circles): ×, +, tanh, 1−; r grows with the text (see sym)."""
        r *= self.sym()
        if symbol in ("tanh", "id"):
            rect = QRectF(x - 1.9 * r, y - r, 3.8 * r, 2 * r)
        else:
            rect = QRectF(x - r, y - r, 2 * r, 2 * r)
        self._node(rect)
        if not self._static():
            return
        p = self.p
        p.setBrush(self.bg if ghost else self.op_fill)
        p.setPen(QPen(self.ink(0.35 if ghost else 0.8), 2.2, Qt.PenStyle.DashLine if ghost else Qt.PenStyle.SolidLine))
        p.drawEllipse(rect)
        p.setFont(self.symbol_font(30 if symbol in ("×", "+") else 20, bold=True))
        p.setPen(self.ink(0.45 if ghost else 0.9))
        p.drawText(rect.adjusted(0, -2, 0, 0), Qt.AlignmentFlag.AlignCenter, symbol)

    def grad_pen(self, grad: str) -> QPen:
        """The pen of a line that carries a gradient ('h' or 'c') in a backward frame, for the frame's norm."""
        v = self.view
        norm, u = (v._gc[v._t], v._gc_u[v._t]) if grad == "c" else (v._gh[v._t], v._gh_u[v._t])
        if not math.isfinite(norm):
            return QPen(QColor(dg.NONFINITE_FILL), 6.0, Qt.PenStyle.DashLine)
        pen = QPen(self.glut[_unit_index(u)], 3.0 + 15.0 * float(u))
        pen.setCapStyle(Qt.PenCapStyle.FlatCap)
        return pen

    # ---- painting -------------------------------------------------------------------------
    def paintEvent(self, event) -> None:
        """The cached static layers with this frame's elements (see the class docstring)."""
        under, _over = self._static_layers()
        p = QPainter(self)
        try:
            p.drawPixmap(0, 0, under)
            self._replay(p)
        finally:
            p.end()
            self.p = None

    def _replay(self, p: QPainter) -> None:
        """Paint the frame's elements from the display list, with the frame's numbers (the 'live' pass)."""
        p.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.p, self._mode = p, "live"
        self._val = self.view.values()
        world = None
        for draw, args, at in self._frame:
            if at is not world:
                p.setWorldTransform(at)
                world = at
            draw(*args)

    def _key(self) -> tuple:
        """What the static layers and the display list are drawn for (the colours: see _on_theme_changed)."""
        v = self.view
        size = (self.width(), self.height(), self.devicePixelRatioF())
        return (*size, v._phase, v._cell, v._variant, v._activation, v._leak, v.unit, v.layer, v._H)  # unit: subtitle

    def _static_layers(self) -> tuple[QPixmap, QPixmap | None]:
        """The 'under' and 'over' pictures for the current size, colours, cell and phase (None: nothing over)."""
        key = self._key()
        if key != self._layers_key:
            dpr = self.devicePixelRatioF()
            self._stamps.clear()
            self._looks.clear()
            self._frame, self._over_marked, self._world = [], False, QTransform()
            size = QSize(max(1, round(self.width() * dpr)), max(1, round(self.height() * dpr)))
            layers = []
            for mode in ("under", "over"):
                pixmap = QPixmap(size)
                pixmap.setDevicePixelRatio(dpr)
                pixmap.fill(self.bg if mode == "under" else Qt.GlobalColor.transparent)
                self._over_used = False
                painter = QPainter(pixmap)
                try:
                    self._paint(painter, mode)
                finally:
                    painter.end()
                    self.p = None
                layers.append(pixmap if mode == "under" or self._over_used else None)
            self._layers, self._layers_key = tuple(layers), key
        return self._layers

    def _paint(self, p: QPainter, mode: str) -> None:
        """Run the drawing code in one pass ('under', 'over' or 'direct')."""
        p.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.p, self._mode, self._live_seen = p, mode, False
        self._anchors, self._pending, self._reserved, self._badge_top = {}, [], [], None
        if mode != "over":
            self._nodes, self._labels, self._leaders, self._placed, self._wires = [], [], [], {}, []
        if mode == "direct":
            p.fillRect(self.rect(), self.bg)
        scale = self._fit_text()
        b = self.bounds(self._tf)
        # centred across; at the top when the dock is taller than the drawing (the room left under it)
        p.translate(0.5 * (self.width() - scale * b.width()), min(8.0, 0.5 * (self.height() - scale * b.height())))
        p.scale(scale, scale)
        v = self.view
        p.save()
        p.translate(0.0, self.body_top())  # the cell under a title that grew with the text
        self._val = v.values()  # what the frame elements draw in the 'direct' pass
        if v._cell == "lstm":
            self._paint_lstm()
        elif v._cell == "gru":
            self._paint_gru()
        else:
            self._paint_rnn()
        p.restore()
        self._paint_title()

    def _fit_text(self) -> float:
        """Set the text factor for the current size (measuring the text again when it changed); returns the scale."""
        tf, scale = self.fit()
        floor = TEXT_FLOOR_PX / scale  # small text (a subscript) is never tiny (larger type is larger anyway)
        if abs(tf - self._tf) > 0.02 or abs(floor - self._floor) > 0.02 * floor:  # measure again (once per size)
            self._tf, self._floor = tf, floor
            self._fonts, self._metrics, self._widths = {}, {}, {}
        return scale

    def fit(self) -> tuple[float, float]:
        """(text factor, scale): the value text MIN_TEXT_PX × font scale on screen where the room allows.

        When the width limits the drawing and height is left over, the text grows into it (up to
        TEXT_FILL times that size): a tall dock shows larger numbers rather than blank space.
        """
        target = MIN_TEXT_PX * max(1.0, self._font_scale)
        width, height = self.width(), self.height()
        tf, scale = 1.0, 1.0
        for _ in range(6):  # larger text, taller drawing, smaller scale: a few rounds settle it
            b = self.bounds(tf)
            scale = max(min(width / b.width(), height / b.height()), 1e-6)
            tf = min(TEXT_MAX, max(1.0, target / (FONT_PX * scale)))
        b = self.bounds(tf)  # the scale for the text factor taken (not the round before): the drawing fits
        scale = max(min(width / b.width(), height / b.height()), 1e-6)
        most = TEXT_FILL * target / FONT_PX  # text factor × scale at the largest text

        def fits(t: float) -> bool:  # the drawing, as wide as the dock, fits its height, the text not past most
            bt = self.bounds(t)  # grows with t both ways (its width: the room for the widest numbers)
            s = width / bt.width()
            return bt.height() * s <= height and t * s <= most + 1e-9

        if tf < TEXT_MAX and fits(tf):  # the width limits the drawing: the text grows into the height left
            lo, hi = tf, TEXT_MAX
            if fits(hi):
                lo = hi
            else:
                for _ in range(12):
                    mid = 0.5 * (lo + hi)
                    lo, hi = (mid, hi) if fits(mid) else (lo, mid)
            tf = lo
            scale = max(width / self.bounds(tf).width(), 1e-6)
        return tf, scale

    def body_top(self, tf: float | None = None) -> float:
        """How far the cell moves down under a title (and top numbers) drawn tf times larger."""
        tf = self._tf if tf is None else tf
        # 61: the gradient's label and the numbers over the top line grow too; 20: an op's radius (see sym)
        return (TITLE_H + 61.0) * (tf - 1.0) + 20.0 * (self.sym(tf) - 1.0)

    def bounds(self, tf: float) -> QRectF:
        """What the drawing covers with its text tf times larger: the title and the input's number need more height.

        The input's number is the lowest element: the drawing reaches below it (its badge's half
        height and a margin), so a drawing scaled to these bounds never cuts it.
        """
        h = 1.35 * FONT_PX * tf
        bottom = max(BOUNDS.height(), self.input_y(tf) + 0.5 * h + 6.0)
        cell = self.view._cell
        if cell in ("rnn", "esn"):  # h_t's number right of the activation box (large text: the drawing widens)
            width = max(RNN_W, RNN_H_X + 66.0 + self.badge_width("ht", tf) + 4.0)
        else:
            width = BOUNDS.width() + self.wide_room(tf)
        if cell in ("lstm", "gru"):  # the number right of the last op ((1−z)·n, tanh(c_t)) fits beside it
            x, name = (820.0 + 20.0, "(1−z)·n") if cell == "gru" else (790.0 + 38.0, "tanh")
            width = max(width, x * 1.0 + 20.0 * (self.sym(tf) - 1.0) * (1.9 if cell == "lstm" else 1.0) + 8.0
                        + self.badge_width(name, tf) + 4.0)  # fmt: skip
        return QRectF(0.0, 0.0, width, bottom + self.body_top(tf))

    def wide_room(self, tf: float) -> float:
        """How much wider the widest number's badge (VALUE_ROOM) is than one of '−0.00', for text tf times
        larger: the drawing is this much wider on the right (the room the layout was made for, kept)."""
        fm = self._base_metrics
        return (fm.horizontalAdvance(VALUE_ROOM) - fm.horizontalAdvance("−0.00")) * tf

    def badge_width(self, name: str, tf: float) -> float:
        """The width of a badge (no subscript) showing the widest number, for text tf times larger (see chip_rect)."""
        return (self._base_bold.horizontalAdvance(name) + self._base_metrics.horizontalAdvance(VALUE_ROOM)) * tf + 22.0

    def input_y(self, tf: float | None = None) -> float:
        """Where the input's number sits: below h_{t−1}'s (at the bus, y 470) when the text is large;
        an RNN's under its cell's box."""
        tf = self._tf if tf is None else tf
        h = 1.35 * FONT_PX * tf
        cell = self.view._cell
        d = self.stretch(tf)
        if cell == "lstm":  # under h_{t−1}'s number (see below)
            return max(H - 26.0, 470.0 + 6.0 + 20.0 * self.sym(tf) + 1.5 * h + 6.0) + 3 * d
        if cell == "gru":
            return H - 26.0 + 3 * d
        return max(H - 26.0, RNN_BOX[3] + 6.0 + 0.5 * h)

    def above(self, y: float) -> float:
        """The centre of a number just above a line at height y (clear of the ops on it)."""
        return y - 8.0 - 20.0 * self.sym() - 0.675 * FONT_PX * self._tf

    def below(self, y: float) -> float:
        """The centre of a number just below a line at height y."""
        return y + 6.0 + 20.0 * self.sym() + 0.675 * FONT_PX * self._tf

    def grad_y(self, y: float) -> float:
        """The centre of a gradient's label over the numbers above a line at height y."""
        return y - 14.0 - 20.0 * self.sym() - 45.0 * self._tf

    def gate_chip_y(self, y: float, above: bool) -> float:
        """The centre of a gate's number, just below (or above) the gate box at height y."""
        h = 1.35 * FONT_PX * self._tf
        gh = 27.0 * self.sym()
        return y - gh - 6.0 - h / 2 if above else y + gh + 6.0 + h / 2

    def _paint_title(self) -> None:
        """The title (step and phase: a frame element) and the subtitle under it (static)."""
        v = self.view
        p = self.p
        tf, room = self._tf, self.bounds(self._tf).width() - 20
        left_v = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        names = {"lstm": "LSTM", "gru": "GRU", "rnn": "RNN", "esn": "ESN"}
        back = v._phase == "backward"
        rect = QRectF(10, 0, room, 34 * tf)
        self._element(
            self._title,
            rect,
            f"{names[v._cell]} cell at t = ",
            " · BPTT" if back else " · forward",
            self.cursor if back else self.ink(0.95),
        )
        if not self._static():
            return
        if v._cell == "lstm":
            extra = " · ".join(x for x in (_lstm_equations(v._variant), VARIANT_TEXT.get(v._variant, "")) if x)
        elif v._cell == "gru":
            extra = "h(t) = (1 − z)·n + z·h(t−1)"
        else:
            phi = v._activation
            extra = f"h(t) = {phi}(Wᵢₕ·x(t) + Wₕₕ·h(t−1) + b)"
            if v._cell == "esn" and v._leak < 1.0:
                extra = f"h(t) = (1 − α)·h(t−1) + α·{phi}(Wᵢₕ·x(t) + Wₕₕ·h(t−1) + b)"
        unit = "mean of all units" if v.unit == MEAN else f"unit {v.unit + 1} of {v._H}"
        sub = " · ".join(x for x in (extra, unit + ", first example") if x)
        p.setFont(self.font(19))
        p.setPen(self.ink(0.65))
        sub = self.metrics(19).elidedText(sub, Qt.TextElideMode.ElideRight, room)
        p.drawText(QRectF(10, 32 * tf, room, 28 * tf), left_v, sub)

    def _title(self, rect: QRectF, before: str, after: str, colour: QColor) -> None:
        """Draw the title with the frame's step between before and after."""
        p = self.p
        p.setFont(self.font(25, bold=True))
        p.setPen(colour)
        p.drawText(rect, LEFT_V, f"{before}{self.view._t}{after}")

    def _cell_box(self, left: float, top: float, right: float, bottom: float) -> None:
        if not self._static():
            return
        self.p.setBrush(self.box_fill)
        self.p.setPen(QPen(self.ink(0.3), 2.0))
        self.p.drawRoundedRect(QRectF(left, top, right - left, bottom - top), 26, 26)

    def _grad_label(self, x: float, y: float, name: str, grad: str, alt_x: float | None = None) -> None:
        """A gradient's norm ('h' or 'c') in backward frames, right-aligned at (x, y); at (alt_x, y) when
        the widest norm would cover a badge or node at x (and not there)."""
        tf = self._tf
        if self._mode != "over":  # the 'over' pass records nothing: where it goes does not matter there
            box = self._grad_box(x, y, name)
            if alt_x is not None and self._clash(box) > 0.0 and self._clash(box.translated(alt_x - x, 0.0)) == 0.0:
                x, box = alt_x, box.translated(alt_x - x, 0.0)
            self._labels.append((name, box))
        rect = QRectF(x - 320 * tf, y - 15 * tf, 320 * tf, 30 * tf)
        self._element(self._draw_grad_label, rect, name, grad)

    def _grad_box(self, x: float, y: float, name: str) -> QRectF:
        """The box of a gradient's label right-aligned at (x, y), with the widest norm."""
        w = self.metrics(FONT_PX, bold=True).horizontalAdvance(f"{name} = {VALUE_ROOM}")
        return QRectF(x - w, y - 0.6 * FONT_PX * self._tf, w, 1.2 * FONT_PX * self._tf)

    def _draw_grad_label(self, rect: QRectF, name: str, grad: str) -> None:
        """Draw a gradient's label (see _grad_label) with the frame's norm."""
        v = self.view
        norm = v._gc[v._t] if grad == "c" else v._gh[v._t]
        p = self.p
        p.setFont(self.font(FONT_PX, bold=True))
        p.setPen(self.glut[-1])
        p.drawText(rect, RIGHT_V, f"{name} = {dg.fmt(norm)}")

    def _input_chip(self, x: float, y: float) -> None:
        v = self.view
        if v.layer == 0:
            self.chip(x, y, "x", "t", "x", align="l")
        else:
            self.chip(x, y, "h", "t", "x", align="l", tail=f" of layer {v.layer}")

    def _paint_lstm(self) -> None:
        v = self.view
        st = v.element_states()
        back = v._phase == "backward"
        plain, strong = self.pen(0.75, 3.0), self.pen(0.85, 5.0)
        ghost = QPen(self.ink(0.3), 2.5, Qt.PenStyle.DashLine)
        extra = QPen(self.fwd, 2.6, Qt.PenStyle.DashLine)  # peepholes, gate recurrence
        k, d, tf = self.sym(), self.stretch(), self._tf
        r, gw, gh = 20.0 * k, 39.0 * k, 27.0 * k  # an op's radius, a gate's half width and half height
        yc, ymul, yg, yb = 150.0, 255.0 + d, 360.0 + 2 * d, 470.0 + 3 * d  # cell line, i·g row, gate row, bus
        xf, xi, xg, xo, xoo = 270.0, 395.0, 520.0, 650.0, 790.0  # f, i, g, o gates; o × tanh(c)
        self._cell_box(110, 105, 890, 518 + 3 * d)
        # the cell-state line (thick, as colah's); in BPTT the part leaving the cell is ‖∂L/∂c_t‖
        self.line([(30, yc), (xf - r, yc)], strong)
        self.line([(xf + r, yc), (xg - r, yc)], strong)
        self.line([(xg + r, yc), (985, yc)], strong, arrow=True, grad="c" if back and v._gc is not None else None)
        # the bus: h_{t-1} from the left, x_t from below, up into every gate
        self.line([(30, yb), (xo, yb)], plain)
        self.line([(190, H + 3 * d), (190, yb)], plain)
        self.dot(190, yb)
        for x, name in ((xf, "f"), (xi, "i"), (xg, "g"), (xo, "o")):
            unused = st[name] in ("absent", "coupled")
            self.line([(x, yb), (x, yg + gh)], ghost if unused else plain, arrow=not unused)
            self.dot(x, yb)
        # f: × on the cell-state line
        self.line([(xf, yg - gh), (xf, yc + r)], ghost if st["f"] == "absent" else plain, arrow=True)
        self.op(xf, yc, "×")
        # i × g into the +
        if st["i"] == "coupled":  # CIFG: i = 1 − f, taken from the forget gate
            self.line([(xf + gw, yg), (xi - gw, yg)], plain, arrow=True)
        self.line([(xi, yg - gh), (xi, ymul), (xg - r, ymul)], ghost if st["i"] == "absent" else plain, arrow=True)
        self.line([(xg, yg - gh), (xg, ymul + r)], plain, arrow=True)
        self.op(xg, ymul, "×")
        self.line([(xg, ymul - r), (xg, yc + r)], plain, arrow=True)
        self.op(xg, yc, "+")
        # o × tanh(c_t) = h_t, leaving at the bottom right
        self.dot(xoo, yc)
        self.line([(xoo, yc), (xoo, ymul - r)], plain, arrow=True)
        self.line([(xoo, ymul + r), (xoo, yg - r)], plain, arrow=True)
        self.op(xoo, ymul, "id" if st["tanh_c"] == "identity" else "tanh", ghost=st["tanh_c"] == "identity")
        self.line([(xo + gw, yg), (xoo - r, yg)], ghost if st["o"] == "absent" else plain, arrow=True)
        self.line([(xoo, yg + r), (xoo, yb), (985, yb)], self.pen(0.85, 4.0), arrow=True, grad="h" if back else None)
        self.op(xoo, yg, "×")
        yp = yg - gh - 23  # the peepholes' and the gate recurrence's lines run at this height
        if st["peephole"] == "drawn":  # the cell state looks into the gates: c_{t−1} into f and i, c_t into o
            self.dot(215, yc)
            self.line([(215, yc), (215, yp), (xf - 0.77 * gw, yg - gh)], extra, arrow=True)
            self.line([(215, yp), (xi - 1.15 * gw, yp), (xi - 0.77 * gw, yg - gh)], extra, arrow=True)
            self.dot(xoo - 55, yc)
            self.line([(xoo - 55, yc), (xoo - 55, yp), (xo + 0.77 * gw, yg - gh)], extra, arrow=True)
            self.label(35, yp - 25, "peepholes", align="l", px=18, colour=self.fwd, bold=False)
        if st["gate_recurrence"] == "drawn":  # the gates of t−1 feed the gates of t
            self.line([(xo, yg - gh), (xo, yp), (xf - 55, yp), (xf - 55, yg), (xf - gw, yg)], extra, arrow=True)
            self.line([(xi - 30, yp), (xi - 30, yg - gh)], extra, arrow=True)
            self.label(xf - 50, yp - 22, "i, f, o at t−1", align="l", px=18, colour=self.fwd, bold=False)
        # the gates
        self.gate(xf, yg, "σ", "f", st["f"])
        self.gate(xi, yg, "1−" if st["i"] == "coupled" else "σ", "i", "gate" if st["i"] == "coupled" else st["i"])
        self.gate(xg, yg, "id" if st["g"] == "identity" else "tanh", "g", "gate", kind="tanh")
        self.gate(xo, yg, "σ", "o", st["o"])
        # what each number labels: its wire, or its node and the wire leaving it (see badge_layout)
        gate = lambda x: (x - gw, yg - gh, x + gw, yg + gh)  # noqa: E731
        self._anchors = {
            "c_prev": _wire((30, yc), (xf - r, yc)),
            "c": _wire((xg + r, yc), (985, yc)) + _wire((xoo, yc), (xoo, ymul - r)),
            "fc": _wire((xf + r, yc), (xg - r, yc)),
            "ig": [*_wire((xg, ymul - r), (xg, yc + r)), (xg - r, ymul - r, xg + r, ymul + r)],
            "tanh_c": [(xoo - 1.9 * r, ymul - r, xoo + 1.9 * r, ymul + r), *_wire((xoo, ymul + r), (xoo, yg - r))],
            "f": [gate(xf), *_wire((xf, yg - gh), (xf, yc + r))],
            "i": [gate(xi), *_wire((xi, yg - gh), (xi, ymul), (xg - r, ymul))],
            "g": [gate(xg), *_wire((xg, yg - gh), (xg, ymul + r))],
            "o": [gate(xo), *_wire((xo + gw, yg), (xoo - r, yg))],
            "h_prev": _wire((30, yb), (190, yb)),
            "h": [(xoo - r, yg - r, xoo + r, yg + r), *_wire((xoo, yg + r), (xoo, yb), (985, yb))],
            "x": _wire((190, yb), (190, H + 3 * d)),
        }
        # the numbers (see _badges): none over the top line's, and clear of ‖∂L/∂h‖'s label under the box
        h = 1.35 * FONT_PX * tf
        self._badge_top = self.above(yc) - 0.5 * h - 3
        y_grad_h = max(self.below(yb), 518 + 3 * d + 6 + 15 * tf)
        self._reserved.append(self._grad_box(985, y_grad_h, "‖∂L/∂h‖"))
        below, above = self.gate_chip_y(yg, above=False), self.gate_chip_y(yg, above=True)
        self.chip(35, self.above(yc), "c", "t−1", "c_prev", align="l")
        self.chip(985, self.above(yc), "c", "t", "c", align="r")  # the ends of the line first: they have no other place
        mid = 0.5 * (xf + xg)  # f·c over its stretch of the line, between × and +
        self.chip(mid, self.above(yc), "f·c", "t−1", "fc",
                  alts=((xf + r + 6, self.above(yc), "l"), (xg - r - 6, self.above(yc), "r"),
                        (mid, self.below(yc), "c"), (xf + r + 6, self.below(yc), "l")))  # fmt: skip
        mid = 0.5 * (yc + ymul)  # i·g beside its wire up into the +, or on it
        self.chip(xg + r + 8, ymul, "i·g", "", "ig", align="l",
                  alts=((xg + 8, mid, "l"), (xg - 8, mid, "r"), (xg, mid, "c")))  # fmt: skip
        name = "tanh" if st["tanh_c"] == "tanh" else "c"
        bw = self.bounds(tf).width() - 4  # the right edge
        self.chip(xoo + 1.9 * r + 8, ymul, name, "", "tanh_c", align="l",
                  alts=((bw, 0.5 * (ymul + yg), "r"), (bw, ymul + r + 6 + h / 2, "r")))  # fmt: skip
        for x, name in ((xf, "f"), (xi, "i"), (xg, "g"), (xo, "o")):
            self.chip(x, below, name, "", name, alts=((x, above, "c"), (x - gw - 6, yg, "r"), (x + gw + 6, yg, "l")))
        self.chip(35, self.below(yb), "h", "t−1", "h_prev", align="l", alts=((35, self.above(yb), "l"),))
        self.chip(985, self.above(yb), "h", "t", "h", align="r")
        self._input_chip(200, self.input_y())
        self._badges()
        if back:
            if v._gc is not None:
                self._grad_label(985, self.grad_y(yc), "‖∂L/∂c‖", "c")
            # under the box; past the arrow's tip if x_t's number is wide
            self._grad_label(985, y_grad_h, "‖∂L/∂h‖", "h", alt_x=self.bounds(tf).width() - 4)

    def _paint_gru(self) -> None:
        v = self.view
        back = v._phase == "backward"
        plain, strong = self.pen(0.75, 3.0), self.pen(0.85, 5.0)
        k, d, tf = self.sym(), self.stretch(), self._tf
        r, gw, gh = 20.0 * k, 39.0 * k, 27.0 * k  # an op's radius, a gate's half width and half height
        yh, y1, yg, yb = 150.0, 255.0 + d, 365.0 + 2 * d, 470.0 + 3 * d  # state line, (1−z)·n row, gates, bus
        xz, xr, xrm, xn = 390.0, 560.0, 690.0, 820.0  # z gate, r gate, r × (W_hn h + b), candidate n
        x1 = xz + 95  # 1 − z
        self._cell_box(110, 105, 890, 518 + 3 * d)
        # the state line: h_{t−1} → × z → + → h_t; in BPTT the part leaving the cell is ‖∂L/∂h_t‖
        self.line([(30, yh), (xz - r, yh)], strong)
        self.line([(xz + r, yh), (xn - r, yh)], strong)
        self.line([(xn + r, yh), (985, yh)], strong, arrow=True, grad="h" if back else None)
        self.dot(160, yh)
        self.line([(160, yh), (160, yb), (xn, yb)], plain)  # h_{t−1} down into the bus
        self.line([(220, H + 3 * d), (220, yb)], plain)
        self.dot(220, yb)
        for x in (xz, xr, xn):
            self.line([(x, yb), (x, yg + gh)], plain, arrow=True)
            self.dot(x, yb)
        self.line([(xrm, yb), (xrm, yg + r)], plain, arrow=True)  # W_hn h_{t−1} + b_hn
        self.dot(xrm, yb)
        # z: × on the state line, and 1 − z into the candidate's ×
        self.line([(xz, yg - gh), (xz, yh + r)], plain, arrow=True)
        self.dot(xz, y1)
        self.line([(xz, y1), (x1 - r, y1)], plain, arrow=True)
        self.op(x1, y1, "1−")
        self.line([(x1 + r, y1), (xn - r, y1)], plain, arrow=True)
        self.op(xz, yh, "×")
        # r gates the recurrent part of the candidate n
        self.line([(xr + gw, yg), (xrm - r, yg)], plain, arrow=True)
        self.op(xrm, yg, "×")
        self.line([(xrm + r, yg), (xn - gw, yg)], plain, arrow=True)
        self.line([(xn, yg - gh), (xn, y1 + r)], plain, arrow=True)
        self.op(xn, y1, "×")
        self.line([(xn, y1 - r), (xn, yh + r)], plain, arrow=True)
        self.op(xn, yh, "+")
        self.gate(xz, yg, "σ", "z", "gate")
        self.gate(xr, yg, "σ", "r", "gate")
        self.gate(xn, yg, "tanh", "n", "gate", kind="tanh")
        # what each number labels: its wire, or its node and the wire leaving it (see badge_layout)
        gate = lambda x: (x - gw, yg - gh, x + gw, yg + gh)  # noqa: E731
        op = lambda x, y: (x - r, y - r, x + r, y + r)  # noqa: E731
        self._anchors = {
            "h_prev": _wire((30, yh), (xz - r, yh)) + _wire((160, yh), (160, yb)),
            "h": _wire((xn + r, yh), (985, yh)),
            "zh": _wire((xz + r, yh), (xn - r, yh)),
            "z": [gate(xz), *_wire((xz, yg - gh), (xz, yh + r)), *_wire((xz, y1), (x1 - r, y1))],
            "r": [gate(xr), *_wire((xr + gw, yg), (xrm - r, yg))],
            "rh": [op(xrm, yg), *_wire((xrm + r, yg), (xn - gw, yg))],
            "n": [gate(xn), *_wire((xn, yg - gh), (xn, y1 + r))],
            "zn": [op(xn, y1), *_wire((xn, y1 - r), (xn, yh + r))],
            "one_minus_z": [op(x1, y1), *_wire((x1 + r, y1), (xn - r, y1))],
            "x": _wire((220, yb), (220, H + 3 * d)),
        }
        # the numbers (see _badges): none over the top line's (‖∂L/∂h‖'s label goes there)
        h = 1.35 * FONT_PX * tf
        self._badge_top = self.above(yh) - 0.5 * h - 3
        bw = self.bounds(tf).width() - 4  # the right edge
        self.chip(35, self.above(yh), "h", "t−1", "h_prev", align="l")
        self.chip(985, self.above(yh), "h", "t", "h", align="r")  # the ends of the line first: they have no other place
        mid = 0.5 * (xz + xn)  # z·h over (or under) its stretch of the line, between × and +
        self.chip(mid, self.above(yh), "z·h", "t−1", "zh",
                  alts=((xz + r + 6, self.above(yh), "l"), (mid, self.below(yh), "c"),
                        (xz + r + 6, self.below(yh), "l"), (xz - r - 6, self.below(yh), "r")))  # fmt: skip
        self.chip(xz - gw - 6, yg, "z", "", "z", align="r", alts=((xz, self.gate_chip_y(yg, above=False), "c"),))
        self.chip(xr, self.gate_chip_y(yg, above=False), "r", "", "r", alts=((xr, self.gate_chip_y(yg, True), "c"),))
        up, down = yg - gh - 6 - h / 2, yg + gh + 6 + h / 2  # just over and under the gate row
        self.chip(xrm, up, "r·(W", "hn", "rh", tail="h+b)", alts=((bw, up, "r"), (xrm, down, "c"), (bw, down, "r")))
        self.chip(xn + gw + 6, yg, "n", "", "n", align="l", alts=((xn, self.gate_chip_y(yg, above=False), "c"),))
        self.chip(xn + r + 8, y1, "(1−z)·n", "", "zn", align="l", alts=((bw, 0.5 * (yh + y1), "r"),))
        self.chip(x1, y1 - r - 6 - h / 2, "1−z", "", "one_minus_z",
                  alts=((x1, 0.5 * (yh + y1), "c"), (x1, y1 + r + 6 + h / 2, "c"),
                        (0.5 * (x1 + xn), y1 - r - 6 - h / 2, "c"),
                        (0.5 * (x1 + xn), y1 + r + 6 + h / 2, "c")))  # fmt: skip
        self._input_chip(230, self.input_y())
        self._badges()
        if back:
            self._grad_label(985, self.grad_y(yh), "‖∂L/∂h‖", "h")

    def _paint_rnn(self) -> None:
        """h_t = φ(W_ih x_t + W_hh h_{t−1} + b): x_t in through W_ih from below, h_{t−1} through W_hh
        from the left, summed with b into pre_t; h_t leaves on the right and loops back over the
        top as the next step's h_{t−1}."""
        v = self.view
        back = v._phase == "backward"
        plain, strong = self.pen(0.75, 3.0), self.pen(0.85, 5.0)
        left, top, right, bottom = RNN_BOX
        xphi, yo, yb, x_end = RNN_H_X, 240.0, 400.0, RNN_W - 25.0  # activation, its output, the sum, arrow tip
        right = self.bounds(self._tf).width() - 4  # the right edge (past the arrow's tip when the text is large)
        x_hh, y_ih, x_loop, y_loop = 230.0, 470.0, 650.0, 100.0  # W_hh, W_ih, the loop's right side and top
        note_px = 17.0 * min(self._tf, 1.6) / self._tf  # the loop's note: grows a little with the text
        note_h = max(note_px * self._tf, self._floor)  # its size on the drawing (small text is never tiny)
        top = max(top, y_loop + 14.0 + 1.2 * note_h)  # the note between the loop and the box
        self._cell_box(left, top, right, bottom)
        # the recurrent loop: h_t, at the next step, is h_{t−1} entering through W_hh
        hh_w, ih_h = self.weight_half("hh")[0], self.weight_half("ih")[1]
        self.line([(x_loop, yo), (x_loop, y_loop), (50, y_loop), (50, yb), (x_hh - hh_w, yb)], plain)
        self.dot(x_loop, yo)
        note_y = y_loop + 8 + 0.6 * note_h
        self.label(60, note_y, "h", "t", align="l", px=note_px, colour=self.ink(0.6), bold=False,
                   tail=" is the next step's h(t−1)")  # fmt: skip
        self.weight(x_hh, yb, "hh")
        self.line([(x_hh + hh_w, yb), (xphi - 20, yb)], plain, arrow=True)
        # x_t from below through W_ih, the bias from the right, the sum up into φ
        h = 1.35 * FONT_PX * self._tf
        self.line([(xphi, self.input_y() + 0.5 * h), (xphi, y_ih + ih_h)], plain)
        self.weight(xphi, y_ih, "ih")
        self.line([(xphi, y_ih - ih_h), (xphi, yb + 20)], plain, arrow=True)
        self.line([(xphi + 95, yb), (xphi + 20, yb)], plain, arrow=True)
        self.label(xphi + 100, yb, "b", align="l", px=24 / self._tf, colour=self.ink(0.85))
        self.op(xphi, yb, "+")
        self.line([(xphi, yb - 20), (xphi, yo + 36)], plain, arrow=True)
        leaky = v._cell == "esn" and v._leak < 1.0
        x_out = xphi + 60
        if leaky:  # h_t = (1 − α) h_{t−1} + α a_t
            x_sum = 560.0
            dashed = QPen(self.fwd, 2.6, Qt.PenStyle.DashLine)
            self.line([(50, 170), (x_sum, 170), (x_sum, yo - 20)], dashed, arrow=True)
            self.dot(50, 170)
            self.label(60, 187, f"(1 − α)·h(t−1),  α = {dg.fmt(v._leak)}", align="l", px=18 / self._tf,
                       colour=self.fwd, bold=False)  # fmt: skip
            self.line([(x_out, yo), (x_sum - 20, yo)], plain, arrow=True)
            # the new state's share: α·φ(pre) joins (1 − α)·h(t−1) at the +
            self.label(0.5 * (x_out + x_sum - 20), yo - 16, "× α", px=18 / self._tf, colour=self.fwd, bold=False)
            self.op(x_sum, yo, "+")
            x_out = x_sum + 20
        self.line([(x_out, yo), (x_end, yo)], strong, arrow=True, grad="h" if back else None)
        self._node(QRectF(xphi - 60, yo - 36, 120, 72))
        self._element(self._activation_box, QRectF(xphi - 60, yo - 36, 120, 72))
        self.chip(xphi - 15, 0.5 * (yo + 36 + yb - 20), "pre", "t", "pre", align="r")
        if leaky:
            self.chip(xphi + 15, max(0.5 * (yo + 36 + yb - 20), self.below(yo) + h + 6), "φ(pre)", "", "a", align="l")
        self.chip(35, self.below(yb) + 4, "h", "t−1", "h_prev", align="l")
        self.chip(x_end, self.below(yo), "h", "t", "h", align="r", alts=((right, self.below(yo), "r"),))
        self._input_chip(xphi + 15, self.input_y())
        self._badges()
        if back:  # over the loop, clear of the box
            self._grad_label(x_end, y_loop - 8 - 15 * self._tf, "‖∂L/∂h‖", "h")

    def weight_px(self) -> float:
        """The size of a weight's name (W_hh, W_ih): the drawing's own 28, or a little larger than the
        numbers when the text is enlarged (a small dock), before the text factor (see font)."""
        return max(28.0 / self._tf, 1.15 * FONT_PX)

    def weight_half(self, sub: str) -> tuple[float, float]:
        """Half the width and height of a weight's box: its name with room around it."""
        px = self.weight_px()
        w = sum(self._label_widths("W", sub, "", px, True))
        return max(42.0, 0.5 * w + 10.0), max(20.0, 0.65 * px * self._tf)

    def weight(self, x: float, y: float, sub: str) -> None:
        """A weight matrix W_sub on an arrow (a static box around its name)."""
        hw, hh = self.weight_half(sub)
        rect = QRectF(x - hw, y - hh, 2 * hw, 2 * hh)
        self._node(rect)
        if not self._static():
            return
        p = self.p
        p.setBrush(self.bg)
        p.setPen(QPen(self.ink(0.6), 2.0))
        p.drawRoundedRect(rect, 6, 6)
        self._label(x, y, "W", sub, px=self.weight_px(), colour=self.ink(0.9))

    def _activation_box(self, rect: QRectF) -> None:
        """The RNN's activation, big, filled with the colour of the frame's output a."""
        v = self.view
        p = self.p
        a = self._val["a"]
        finite = math.isfinite(a)
        fill = self.vlut[_value_index(a)] if finite else QColor(dg.NONFINITE_FILL)
        p.setBrush(fill)
        p.setPen(self.pen(0.8, 2.4))
        p.drawRoundedRect(rect, 10, 10)
        if not finite:
            p.setBrush(dg.nonfinite_brush())
            p.drawRoundedRect(rect, 10, 10)
        p.setFont(self.symbol_font(28, bold=True))
        p.setPen(self._text_on(fill))
        symbol = {"identity": "id", "relu": "ReLU", "sigmoid": "σ"}.get(v._activation, "tanh")
        p.drawText(rect, Qt.AlignmentFlag.AlignCenter, symbol)
