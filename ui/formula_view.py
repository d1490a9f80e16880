"""The current cell's equations, with the current Wrec and activation and the real numbers at the playhead.

On a trace change the view slices what it will show out of the trace (one unit, the first
example, the top layer; a few products done once for all t). A frame tick only formats those
numbers into the equations: forward frames show how h_t is made, BPTT frames how the gradient
goes one step back.
"""

from __future__ import annotations

import re

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QPainter,
    QPalette,
    QRegion,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
)
from PySide6.QtWidgets import QScrollArea, QSizePolicy, QVBoxLayout, QWidget

from simulator.cells import GAMMA, dphi_from_output
from simulator.result import Result, frobenius_norms

from . import theme as theme_mod
from .plots import current_frame, fmt
from .session import Session

CELL_TITLES = {"rnn": "Elman RNN", "esn": "Echo state network", "lstm": "LSTM", "gru": "GRU"}
VARIANT_NOTES = {
    "vanilla": "",
    "peephole": "Peephole: i, f see c<sub>t−1</sub> and o sees c<sub>t</sub>.",
    "nig": "No input gate: i<sub>t</sub> = 1.",
    "nfg": "No forget gate: f<sub>t</sub> = 1 (the cell state only adds).",
    "nog": "No output gate: o<sub>t</sub> = 1.",
    "niaf": "No input activation: g<sub>t</sub> has no tanh.",
    "noaf": "No output activation: h<sub>t</sub> = o<sub>t</sub> ⊙ c<sub>t</sub>.",
    "cifg": "Coupled gates: i<sub>t</sub> = 1 − f<sub>t</sub>.",
    "fgr": "Full gate recurrence: the gates also see all gates at t−1.",
}


SLOT0 = 0xE000  # placeholders: Unicode's private use area, never in real text
_slots: list[str] | None = None  # while a frame's equations are written: the texts of their slots


def slot(text: str) -> str:
    """Text that changes from frame to frame (a number, a step index).

    While FormulaView writes a frame's equations, this is one placeholder character and the
    text goes to a list: the equations of two frames then differ only in that list, and the
    canvas puts the new texts in place instead of parsing the HTML again (see EquationCanvas).
    """
    if _slots is None:
        return text
    _slots.append(text)
    return chr(SLOT0 + len(_slots) - 1)


_QUANTITY = re.compile(r"\b([hcy])_t\b")  # 'h_t' in a NonFinite message: an h with subscript t
_LAYER_QUANTITY = re.compile(r"^(h|c|dL/dh)_t of layer (\d+)$")  # a NonFinite quantity with one value per unit


def overflow_html(message: str) -> str:
    """A NonFinite message as rich text: 'h_t' as h with subscript t, 'dL/dh_t' as ∂L/∂h_t."""
    return _QUANTITY.sub(r"<i>\1</i><sub>t</sub>", message.replace("dL/d", "∂L/∂"))


_PLACEHOLDER = re.compile("([\ue000-\uf8ff])")


def split_template(template: str) -> tuple[list[str], list[int]]:
    """A template as its text between the placeholders, and the slot of each placeholder."""
    pieces = _PLACEHOLDER.split(template)
    return pieces[0::2], [ord(c) - SLOT0 for c in pieces[1::2]]


def fill(template: str, values: list[str], split: tuple[list[str], list[int]] | None = None) -> str:
    """The HTML of a template with its placeholders replaced by their texts (split: split_template's, if known)."""
    texts, slots = split or split_template(template)
    out = [texts[0]]
    for k, text in zip(slots, texts[1:]):
        out += (values[k], text)
    return "".join(out)


def n(v) -> str:
    """A number in an equation."""
    return slot(fmt(v, 3))


def p(v) -> str:
    """A factor in a product: negative numbers in parentheses."""
    return slot(f"({fmt(v, 3)})" if float(v) < 0 else fmt(v, 3))


def plus(v) -> str:
    """'+ 0.27' or '− 0.27': a term added to what comes before (a line never breaks between sign and number)."""
    return slot(f"−\u00a0{fmt(-v, 3)}" if float(v) < 0 else f"+\u00a0{fmt(v, 3)}")


def _paren(text: str) -> str:
    """' (text)', or '' for no text."""
    return f" ({text})" if text else ""


def _sub(name: str, sub: str | int) -> str:
    """A name with a subscript: a symbol ('t−1'), or a step number (which changes with the frame)."""
    return f"<i>{name}</i><sub>{sub if isinstance(sub, str) else slot(str(sub))}</sub>"


def overflow_values(trace: Result) -> np.ndarray | None:
    """The values (units,) of example 1 at the step where the trace's quantity overflowed, if it has one per unit."""
    nf = trace.nonfinite
    m = _LAYER_QUANTITY.match(nf.quantity) if nf is not None else None
    if m is None:
        return None
    k = int(m.group(2)) - 1
    if m.group(1) == "dL/dh":
        return trace.dh[k][nf.step, 0]
    return trace.caches[k][m.group(1)][nf.step + 1, 0]  # the cache holds h_{-1} first


def overflow_count(trace: Result) -> tuple[int, int] | None:
    """(infinite or NaN, all): the units of the overflowing quantity at its step (None: not one value per unit)."""
    values = overflow_values(trace)
    if values is None or values.size < 2:
        return None
    return int((~np.isfinite(values)).sum()), values.size


def _sigma_max(W: np.ndarray) -> float:
    """Largest singular value of a matrix (NaN if it is not finite)."""
    if not np.isfinite(W).all():
        return float("nan")
    return float(np.linalg.norm(W, 2))


def equation_norm(v: float, bad: int, units: int) -> str:
    """A norm in an equation; one of a vector with an infinite or NaN entry is an overflow, not a number."""
    if np.isfinite(v):
        return n(v)
    which = f" ({bad} of {units} units infinite or NaN)" if units > 1 and bad > 0 else ""
    return slot(f"overflow{which}")


class EquationCanvas(QWidget):
    """Rich text drawn from one QTextDocument: a new text relays out only itself, not the window.

    (A word-wrapping QLabel asks its layout for a new height on every setText, and the dock and
    the main window lay themselves out again: several milliseconds per animation frame.)

    set_template shows a template (HTML with placeholder characters, see `slot`) filled with
    texts. While the template stays the same (the frames of one phase), a new frame only
    replaces the texts that changed, in place: no HTML is parsed, and only the changed lines are
    laid out again.
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.doc = QTextDocument(self)
        self.doc.setDocumentMargin(8)
        self.doc.setUndoRedoEnabled(False)  # in-place edits must not pile up as undo steps
        self.html = ""
        self._template: str | None = None  # the template the document holds, with ...
        self._slot_base: list[int] = []  # ... each placeholder's position in that template's document
        self._slot_format: list[QTextCharFormat] = []  # ... and its character format
        self._slot_text: list[str] = []  # the texts in the slots now
        self._slot_order: list[int] = []  # the slots in document order
        self.before_paint = None  # called first in paintEvent (the view brings a stale text up to date)
        self._split: tuple[list[str], list[int]] | None = None  # split_template of ...
        self._split_of: str | None = None  # ... this template
        self.resizes = 0  # how often a new text changed the height (the only layout work)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)  # we paint every pixel: parents need not

    def set_html(self, html: str) -> None:
        """Show new rich text; only a change of height touches the layout."""
        if html == self.html:
            return
        self.html = html
        self._template = None
        self.doc.setHtml(html)
        self._fit()
        self.update()

    def set_template(self, template: str, values: list[str]) -> None:
        """Show a template filled with these texts (the same HTML as set_html(fill(template, values)))."""
        if template != self._split_of:
            self._split, self._split_of = split_template(template), template
        html = fill(template, values, self._split)
        if html == self.html:
            return
        if "" in values:  # an empty slot would lose its place: parse the HTML as it is
            self.set_html(html)
            return
        whole = template != self._template
        if whole:  # a new structure: parse it (placeholders and all)
            self.doc.setHtml(template)
            self._find_slots(len(values))
            self._template = template
        self.html = html
        layout = self.doc.documentLayout()
        changed = {}  # the blocks whose text changes (by number), with where they were
        cursor = QTextCursor(self.doc)
        # one layout for each run of neighbouring changed blocks: an edit lays out every block from the
        # first it changed to the last, and the general form between the header and the rows is costly
        cursor.beginEditBlock()
        order = self._slot_order  # the slots in document order (not always the order they were written in)
        shift = [0]  # how far each slot has moved: the extra length of the texts before it
        for k in order[:-1]:
            shift.append(shift[-1] + len(self._slot_text[k]) - 1)
        last = None  # the number of the block changed last (the nearest below)
        for i in reversed(range(len(order))):  # from the end: the slots before keep their positions
            k = order[i]
            if values[k] == self._slot_text[k]:
                continue
            start = self._slot_base[k] + shift[i]
            block = self.doc.findBlock(start)
            number = block.blockNumber()
            if last is not None and number < last - 1:  # an unchanged block between: lay the run below out
                cursor.endEditBlock()
                cursor.beginEditBlock()
            last = number
            if number not in changed:
                changed[number] = layout.blockBoundingRect(block)
            cursor.setPosition(start)
            cursor.setPosition(start + len(self._slot_text[k]), QTextCursor.MoveMode.KeepAnchor)
            cursor.insertText(values[k], self._slot_format[k])
            self._slot_text[k] = values[k]
        cursor.endEditBlock()
        self._fit()
        if whole:
            self.update()
            return
        # repaint the changed blocks only (the equations' general form and the title stay as they are,
        # even between two changed blocks); a block whose height changed moves all below it: repaint
        # from there down
        dirty = QRegion()
        for number, before in changed.items():
            after = layout.blockBoundingRect(self.doc.findBlockByNumber(number))
            if after.height() != before.height():
                after.setBottom(max(self.height(), after.bottom()))
            dirty += before.united(after).toAlignedRect().adjusted(-2, -2, 2, 2)
        dirty &= self.rect()
        if not dirty.isEmpty():
            self.update(dirty)

    def _find_slots(self, count: int) -> None:
        """Where each placeholder is in the freshly parsed template, and its format."""
        self._slot_base, self._slot_format = [], []
        for k in range(count):
            found = self.doc.find(chr(SLOT0 + k))
            self._slot_base.append(found.selectionStart())
            at = QTextCursor(self.doc)
            at.setPosition(found.selectionStart() + 1)  # charFormat is the one of the character before
            self._slot_format.append(at.charFormat())
        self._slot_text = [chr(SLOT0 + k) for k in range(count)]
        self._slot_order = sorted(range(count), key=self._slot_base.__getitem__)

    def set_font(self, font) -> None:
        """The document's base font."""
        self.doc.setDefaultFont(font)
        self._template = None
        self.doc.setHtml(self.html)
        self._fit(shrink=True)
        self.update()

    def _fit(self, shrink: bool = False) -> None:
        width = max(50, self.width())
        if self.doc.textWidth() != width:  # setting it, even unchanged, lays the document out again
            self.doc.setTextWidth(width)
        height = int(np.ceil(self.doc.size().height()))
        # grow at once, shrink only when asked: a number one digit longer must not relayout the window
        if height > self.minimumHeight() or (shrink and height < self.minimumHeight() - 1):
            self.resizes += 1
            self.setMinimumHeight(height)

    def shrink_to_fit(self) -> None:
        """Let the height shrink to the current text (on a new trace, not on every frame)."""
        self._fit(shrink=True)

    def resizeEvent(self, event) -> None:
        """Re-wrap at the new width."""
        super().resizeEvent(event)
        self._fit(shrink=event.size().width() != event.oldSize().width())

    def paintEvent(self, event) -> None:
        """Draw the document, clipped to what needs repainting."""
        if self.before_paint is not None:
            self.before_paint()
        painter = QPainter(self)
        background = self.palette().color(QPalette.ColorRole.Window)
        ctx = QAbstractTextDocumentLayout.PaintContext()
        ctx.palette = self.palette()
        for rect in event.region():  # each part on its own: the blocks between them are not drawn
            painter.setClipRect(rect)
            painter.fillRect(rect, background)
            ctx.clip = QRectF(rect)
            self.doc.documentLayout().draw(painter, ctx)
        painter.end()


class Later(dict):
    """A dict whose missing keys are computed on first use, each by its function in `make` (numpy errors ignored)."""

    def __init__(self, make: dict, **values):
        super().__init__(values)
        self.make = make

    def __missing__(self, key: str):
        with np.errstate(all="ignore"):
            value = self[key] = self.make[key]()
        return value


class FormulaView(QScrollArea):
    """The equations of the current cell, filled in with the numbers at the current step."""

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.theme = theme_mod.current()
        self.setWidgetResizable(True)
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(0, 0, 0, 0)
        self.canvas = EquationCanvas()
        self.canvas.setObjectName("formula")
        self.canvas.before_paint = self._catch_up
        layout.addWidget(self.canvas)
        layout.addStretch(1)
        self.setWidget(body)
        self.data: dict[str, np.ndarray | float] = {}
        self.unit = 0  # the unit and layer the rows write: the Cell panel's (set_selection)
        self.layer: int | None = None  # None: the top layer
        self._k = 0  # the layer shown now (0-based), set with each trace
        self._stale = False  # hidden (e.g. behind another dock's tab): the equations wait until shown
        session.trace_changed.connect(self._on_trace_changed)
        session.frame_changed.connect(self._on_frame_changed)
        self.theme.changed.connect(self._on_theme_changed)
        self._on_theme_changed()
        self._on_trace_changed(session.trace)

    @property
    def text(self) -> str:
        """The HTML on show (brought up to date first if the view was hidden)."""
        self._catch_up()
        return self.canvas.html

    def _catch_up(self) -> None:
        """Write the equations of the current frame if frames passed while nobody saw them."""
        if self._stale:
            self._on_frame_changed(current_frame(self.session), force=True)
            self.canvas.shrink_to_fit()  # a trace may have come meanwhile

    def set_selection(self, layer: int | None, unit: int | None) -> None:
        """Write the rows for this layer (0-based; None: the top) and unit (None: keep the one shown), as
        the Cell panel shows them: with stacked layers its numbers and these were of different layers."""
        layer = None if layer is None else int(layer)
        unit = self.unit if unit is None else int(unit)
        if (layer, unit) != (self.layer, self.unit):
            self.layer, self.unit = layer, unit
            self._on_trace_changed(self.session.trace)

    # ---- once per trace ----------------------------------------------------------------
    def _on_trace_changed(self, trace: Result) -> None:
        net = trace.net
        top = net.layers - 1
        k = self._k = top if self.layer is None else min(max(self.layer, 0), top)
        H = net.hidden
        u = self.unit = min(max(self.unit, 0), H - 1)
        p = net.params
        hs = trace.hidden_states[k][:, 0]  # (T, H)
        cache = trace.caches[k]
        h_prev = cache["h"][:-1, 0]  # (T, H): h_{t-1}
        layer_in = trace.x[:, 0] if k == 0 else trace.hidden_states[k - 1][:, 0]
        dh = trace.dh[k][:, 0]
        # what a frame may not show is worked out when one first does (most show a few of these)
        later = {
            "h_bad": lambda: (~np.isfinite(hs)).sum(axis=1),  # (T,) units
            "dh_bad": lambda: (~np.isfinite(dh)).sum(axis=1),
            "h_norm": lambda: frobenius_norms(hs),  # scaled: |h| near 1e200 is finite, its square is not
        }
        d = Later(later, T=trace.T, H=H)
        d["h"], d["h_prev"], d["dh"] = hs[:, u], h_prev[:, u], dh[:, u]
        d["dh_norm"] = trace.grad_norms_layers[k]
        if net.cell in ("rnn", "esn"):
            W_hh, W_ih = p[f"weight_hh_l{k}"], p[f"weight_ih_l{k}"]
            b_ih, b_hh = p[f"bias_ih_l{k}"], p[f"bias_hh_l{k}"]
            a = cache["a"][:, 0]  # (T, H) phi(pre)
            later["rec"] = lambda: h_prev @ W_hh[u]  # (W_hh h_{t-1})[u]
            later["inp"] = lambda: layer_in @ W_ih[u] + (b_ih[u] + b_hh[u])
            later["pre"] = lambda: d["rec"] + d["inp"]
            d["a"] = a[:, u]
            later["dphi_all"] = lambda: np.broadcast_to(dphi_from_output(net.activation, a), a.shape)
            later["dphi"] = lambda: d["dphi_all"][:, u]
            later["dphi_mean"] = lambda: d["dphi_all"].mean(axis=1)
            d["w_scalar"] = float(W_hh[0, 0]) if H == 1 else None
            # the top layer's is the trace's (the bound in the plots); a lower one's, its own W_hh's
            d["sigma_max"] = trace.sigma_max.get("W_hh", np.nan) if k == top else _sigma_max(W_hh)
            d["gamma"] = GAMMA[net.activation]
        if net.cell in ("lstm", "gru"):
            for name, g in trace.gates(k).items():
                d[name] = g[:, 0, u]
                later[name + "_mean"] = lambda g=g: g[:, 0].mean(axis=1)
        if net.cell == "lstm":
            c = cache["c"][:, 0]  # (T + 1, H)
            d["c"], d["c_prev"] = c[1:, u], c[:-1, u]
            d["tc"] = cache["tc"][:, 0, u]
            d["dc"] = trace.dc[k][:, 0, u]
            d["dc_norm"] = trace.cell_grad_norms[k]
        # truncated BPTT: the steps that no scored loss term's window (its own step and k − 1 before) reaches
        d["outside"], d["truncate"] = trace.cut_off, trace.truncate
        d["nonfinite"] = trace.nonfinite  # the engine's record names the unit that overflowed
        d["overflow_values"] = overflow_values(trace)  # (units,) at that step, if the quantity has one per unit
        self.data = d
        self._on_frame_changed(current_frame(self.session))
        self.canvas.shrink_to_fit()

    # ---- every frame: formatting only ------------------------------------------------------
    def _on_frame_changed(self, frame: int, force: bool = False) -> None:
        global _slots
        if not force and self.canvas.visibleRegion().isEmpty():  # hidden, or behind another dock's tab
            self._stale = True  # written when next painted (see EquationCanvas.before_paint)
            return
        self._stale = False
        phase, t = self.session.phase_step(frame)
        cfg = self.session.config
        write = {"rnn": self._rnn, "esn": self._rnn, "lstm": self._lstm, "gru": self._gru}[cfg.cell]
        _slots = values = []  # the numbers and step indices go to slots (see `slot`)
        try:
            template = self._header(phase, t) + self._overflow(phase, t) + self._truncated(phase, t) + write(phase, t)
        finally:
            _slots = None
        self.canvas.set_template(template, values)

    def _overflow(self, phase: str, t: int) -> str:
        """At the step where a value became infinite or NaN: which one, which unit, and whose rows follow.

        The rows write one unit (unit 1) and the engine names the first unit that overflowed: when
        they differ, say so, with the overflowing unit's value, so that a finite number in the rows
        does not contradict the banner.
        """
        d = self.data
        nf = d["nonfinite"]
        if nf is None or (nf.phase, nf.step) != (phase, t):
            return ""
        layers = self.session.config.layers
        message = overflow_html(nf.message(layers))
        values = d["overflow_values"]
        m = _LAYER_QUANTITY.match(nf.quantity)
        if values is not None and values.size > 1 and nf.unit is not None and m is not None:
            bad = int((~np.isfinite(values)).sum())
            # plain text, not slots: this paragraph is on one frame only, and a slot must appear once
            h_t = f"<i>h</i><sub>{t}</sub>"
            name = {"h": h_t, "c": f"<i>c</i><sub>{t}</sub>", "dL/dh": f"∂L/∂{h_t}"}[m.group(1)]
            message += f": {bad} of its {values.size} units are infinite or NaN here"
            if int(m.group(2)) == self._k + 1:  # the layer the rows write
                shown, first = self.unit, nf.unit
                if shown == first:
                    message += f". The rows below are unit {shown + 1}'s"
                else:
                    v = values[shown]
                    state = "still finite here" if np.isfinite(v) else "also infinite or NaN"
                    message += (
                        f"; unit {first + 1}'s {name} = {fmt(values[first], 3)}. The rows below are unit "
                        f"{shown + 1}'s, {state}: {name} = {fmt(v, 3)}"
                    )
        return f"<p style='margin:2px 0; color:{self.theme.colours.exploding}'><b>Overflow</b>: {message}.</p>"

    def _truncated(self, phase: str, t: int) -> str:
        """In BPTT, a step outside the truncation window of every scored loss: why its gradient is 0."""
        if phase == "forward" or not self.data["outside"][t]:
            return ""
        k, c = self.data["truncate"], self.theme.colours
        return (
            f"<p style='margin:2px 0; color:{c.backward}'><b>Outside the truncation window</b>: a scored loss's "
            f"gradient goes back through its own step and the {k - 1} before it (k = {k}), so none reaches "
            "this step (the 0 below is the cut, not a vanished gradient).</p>"
        )

    def _header(self, phase: str, t: int) -> str:
        cfg, c = self.session.config, self.theme.colours
        title = CELL_TITLES[cfg.cell]
        if cfg.cell == "lstm" and cfg.variant != "vanilla":
            title += f" ({cfg.variant})"
        what = f"φ = {cfg.activation}, " if cfg.cell in ("rnn", "esn") else ""
        colour = c.forward if phase == "forward" else c.backward
        doing = "forward pass" if phase == "forward" else "backpropagation through time"
        unit = f"unit {self.unit + 1} of {self.data['H']}" if self.data["H"] > 1 else "the single unit"
        if cfg.layers > 1:
            k = self._k + 1  # the Cell panel's layer
            top = "the top; " if k == cfg.layers else ""
            source = "x" if k == 1 else f"layer {k - 1}'s h"
            unit += f" of layer {k} of {cfg.layers} ({top}its input is {source})"
        reservoir = (  # the gradients below are what training the reservoir would meet; training leaves it fixed
            f"<br><span style='color:{c.muted}'>A fixed random reservoir: training fits the readout only "
            "(Jaeger 2001). BPTT here shows what training W<sub>hh</sub> would face.</span>"
            if cfg.cell == "esn"
            else ""
        )
        return (
            f"<p style='margin:0'><b style='font-size:large'>{title}</b><br>"
            f"<span style='color:{c.muted}'>{what}Wrec = {slot(format(cfg.wrec, 'g'))}</span>{reservoir}</p>"
            f"<p style='margin:6px 0 2px 0'><b style='color:{colour}'>{doing}, t = {slot(str(t))}</b>"
            f" <span style='color:{c.muted}'>· numbers for {unit}, example 1</span></p>"
        )

    def _unit_label(self) -> str:
        """'unit 1: ' before a number of one unit next to norms over all units ('' for a single unit)."""
        return f"unit {self.unit + 1}: " if self.data["H"] > 1 else ""

    def _mean(self, values: np.ndarray, t: int) -> str:
        """'mean over units 0.51' beside one unit's number ('' for a single unit: its own number is the mean)."""
        return f"mean over units {n(values[t])}" if self.data["H"] > 1 else ""

    def _x(self, sub: str | int) -> str:
        """The shown layer's input at a step: x_t for the first layer, the layer below's h_t above it."""
        if self._k == 0:
            return _sub("x", sub)
        below = f"<sup>({self._k})</sup>"
        return f"<i>h</i>{below}<sub>{sub if isinstance(sub, str) else slot(str(sub))}</sub>"

    def _eq(self, rows: list[str]) -> str:
        """The rows with the numbers, a paragraph each.

        (Not a table: a new number in one cell of a table lays the whole table out again, and
        that was a fifth of an animation frame's work here.)
        """
        return "".join(f"<p style='margin:6px 0 6px 3px'>{r}</p>" for r in rows)

    def _general(self, rows: list[str]) -> str:
        c = self.theme.colours
        inner = "<br>".join(rows)
        return f"<p style='margin:4px 0; font-size:medium; color:{c.foreground}'>{inner}</p>"

    def _rnn(self, phase: str, t: int) -> str:
        d, cfg = self.data, self.session.config
        act = cfg.activation
        esn = cfg.cell == "esn" and cfg.leak != 1.0
        if esn:
            general = [
                f"{_sub('a', 't')} = {act}(<i>W</i><sub>hh</sub> {_sub('h', 't−1')} + <i>W</i><sub>ih</sub> "
                f"{self._x('t')} + <i>b</i>)",
                f"{_sub('h', 't')} = (1 − α) {_sub('h', 't−1')} + α {_sub('a', 't')}, α = {cfg.leak:g}",
            ]
        else:
            general = [f"{_sub('h', 't')} = {act}(<i>W</i><sub>hh</sub> {_sub('h', 't−1')} + <i>W</i><sub>ih</sub> "
                       f"{self._x('t')} + <i>b</i>)"]  # fmt: skip
        if phase == "forward":
            w = d["w_scalar"]
            if w is not None:
                rows = [
                    f"{_sub('h', t)} = {act}(Wrec · {_sub('h', t - 1)} + input)",
                    f"= {act}({n(w)} · {p(d['h_prev'][t])} {plus(d['inp'][t])})",
                    f"= {act}({n(d['pre'][t])}) = <b>{n(d['a'][t])}</b>",
                ]
            else:
                rows = [
                    f"(<i>W</i><sub>hh</sub> {_sub('h', t - 1)}) = {n(d['rec'][t])}, "
                    f"(<i>W</i><sub>ih</sub> {self._x(t)} + <i>b</i>) = {n(d['inp'][t])}",
                    f"{act}({n(d['rec'][t])} {plus(d['inp'][t])}) = {act}({n(d['pre'][t])}) = <b>{n(d['a'][t])}</b>",
                    f"‖{_sub('h', t)}‖ = {equation_norm(d['h_norm'][t], d['h_bad'][t], d['H'])} over all units",
                ]
            if esn:
                rows.append(f"{_sub('h', t)} = {n(1 - cfg.leak)}·{p(d['h_prev'][t])} + {n(cfg.leak)}·{p(d['a'][t])}"
                            f" = <b>{n(d['h'][t])}</b>")  # fmt: skip
            return self._general(general) + self._eq(rows)
        general = [
            f"∂L/∂{_sub('h', 't−1')} = <i>W</i><sub>hh</sub><sup>⊤</sup> ({act}′ ⊙ ∂L/∂{_sub('h', 't')})"
            f" + ∂ℓ<sub>t−1</sub>/∂{_sub('h', 't−1')}",
            "one step back multiplies by at most γ·σ<sub>max</sub>(<i>W</i><sub>hh</sub>)",
        ]
        gamma, smax = d["gamma"], d["sigma_max"]
        leak = cfg.leak if esn else 1.0
        if esn:  # a leaky unit: dh_t/dh_{t-1} = (1−α) I + α diag(φ′) W_hh
            general[0] = (
                f"∂L/∂{_sub('h', 't−1')} = (1−α) ∂L/∂{_sub('h', 't')} + α <i>W</i><sub>hh</sub><sup>⊤</sup> "
                f"({act}′ ⊙ ∂L/∂{_sub('h', 't')}) + ∂ℓ<sub>t−1</sub>/∂{_sub('h', 't−1')}"
            )
            general[-1] = (
                f"one step back is (1−α)<i>I</i> + α·diag({act}′)<i>W</i><sub>hh</sub> (α the leak): "
                "it multiplies by at most (1−α) + α·γ·σ<sub>max</sub>(<i>W</i><sub>hh</sub>)"
            )
            bound = "bound per step: (1−α) + α·γ·σ<sub>max</sub> = "
            bound += f"{n(1 - leak)} + {n(leak)} · {n(gamma)} · {n(smax)} = "
            bound += n((1 - leak) + leak * gamma * smax)
        else:
            bound = f"bound per step: γ·σ<sub>max</sub> = {n(gamma)} · {n(smax)} = {n(gamma * smax)}"
        gamma_text = "1/4" if gamma == 0.25 else f"{gamma:g}"
        rows = [
            f"‖∂L/∂{_sub('h', t)}‖ = <b>{equation_norm(d['dh_norm'][t], d['dh_bad'][t], d['H'])}</b>",
            f"{self._unit_label()}{act}′({_sub('pre', t)}) = {n(d['dphi'][t])} ("
            + ", ".join(filter(None, (self._mean(d["dphi_mean"], t), f"γ\u00a0=\u00a0{gamma_text}")))
            + ")",
            bound,
        ]
        if d["w_scalar"] is not None and t > 0 and esn:  # at t = 0 there is no h_{-1} to pass it to
            rows.insert(1, f"∂L/∂{_sub('h', t - 1)} = ((1−α) + α · Wrec · {act}′) · ∂L/∂{_sub('h', t)} (+ its own "
                           f"loss) = ({n(1 - leak)} + {n(leak)} · {n(d['w_scalar'])} · {p(d['dphi'][t])}) · "
                           f"{p(d['dh'][t])}")  # fmt: skip
        elif d["w_scalar"] is not None and t > 0:
            rows.insert(1, f"∂L/∂{_sub('h', t - 1)} = Wrec · {act}′ · ∂L/∂{_sub('h', t)} (+ its own loss)"
                           f" = {n(d['w_scalar'])} · {p(d['dphi'][t])} · {p(d['dh'][t])}")  # fmt: skip
        rows += self._step_ratio(t)
        return self._general(general) + self._eq(rows)

    def _step_ratio(self, t: int) -> list[str]:
        d = self.data
        if t == 0:
            return ["t = 0: there is no earlier step to pass the gradient to."]
        a, b = d["dh_norm"][t], d["dh_norm"][t - 1]
        head = f"gradient ratio, step {slot(str(t))}→{slot(str(t - 1))}"
        if self.session.trace.cut_at(t):  # the 0 there is the cut, not a vanished gradient
            k = d["truncate"]
            return [
                f"{head}: cut here by truncated BPTT (k = {k}): a loss's gradient goes back through its own "
                f"step and the {k - 1} before it, and step {slot(str(t - 1))} is beyond every window"
            ]
        if not (np.isfinite(a) and np.isfinite(b)):  # NaN / ∞ = ×NaN would read as a measured number
            return [f"{head}: undefined, the gradient is not finite here (see the overflow above or on the plots)"]
        if a == 0:
            return [f"{head}: undefined, no gradient reaches step {slot(str(t))} (‖∂L/∂{_sub('h', t)}‖ = 0)"]
        r = b / a
        return [f"{head}: ‖∂L/∂{_sub('h', t - 1)}‖ / ‖∂L/∂{_sub('h', t)}‖ = {n(b)} / {n(a)} = <b>×{n(r)}</b>"]

    def _lstm_forward_general(self, variant: str) -> list[str]:
        """The LSTM's forward equations in symbols, as the variant computes them (the note says how it differs)."""
        hx = plain = f"[{_sub('h', 't−1')}, {self._x('t')}]"
        if variant == "fgr":  # the gates (not g) also see the three gates of the step before
            hx = f"[{_sub('h', 't−1')}, {self._x('t')}, {_sub('i', 't−1')}, {_sub('f', 't−1')}, {_sub('o', 't−1')}]"
        fixed = {"nig": ("i", "1"), "nfg": ("f", "1"), "nog": ("o", "1"), "cifg": ("i", f"1 − {_sub('f', 't')}")}
        gates = [g for g in "fio" if fixed.get(variant, ("",))[0] != g]
        first = gates[0]
        peep = ""
        if variant == "peephole":  # i and f see c_{t−1}; o sees c_t
            peep = f" + <i>p</i><sub>{first}</sub> ⊙ {_sub('c', 't−1')}"
        line = f"{_sub(first, 't')} = σ(<i>W</i><sub>{first}</sub>·{hx}{peep} + {_sub('b', first)})"
        rest = [_sub(g, "t") for g in gates[1:]]
        if variant == "peephole":
            line += f", likewise {_sub('i', 't')}; {_sub('o', 't')} with <i>p</i><sub>o</sub> ⊙ {_sub('c', 't')}"
        elif rest:
            line += ", likewise " + ", ".join(rest)
        if variant in fixed:
            gate, value = fixed[variant]
            line += f"; {_sub(gate, 't')} = {value}"
        squash = variant != "niaf"  # no input activation: g is the affine map alone
        g_line = f"<i>W</i><sub>g</sub>·{plain} + {_sub('b', 'g')}"
        g_line = f"tanh({g_line})" if squash else g_line
        c = _sub("c", "t")
        h_line = f"{_sub('o', 't')} ⊙ {c if variant == 'noaf' else f'tanh({c})'}"  # no output activation: o ⊙ c
        return [
            line,
            f"{_sub('g', 't')} = {g_line} &nbsp;(colah's C̃<sub>t</sub>)",
            f"{_sub('c', 't')} = {_sub('f', 't')} ⊙ {_sub('c', 't−1')} + {_sub('i', 't')} ⊙ {_sub('g', 't')}",
            f"{_sub('h', 't')} = {h_line}",
        ]

    def _lstm(self, phase: str, t: int) -> str:
        d, cfg = self.data, self.session.config
        note = VARIANT_NOTES.get(cfg.variant, "")
        c = self.theme.colours
        if phase == "forward":
            general = self._lstm_forward_general(cfg.variant)
            # the two products written out too: when they nearly cancel, the factors' rounding shows in
            # the sum, and a student checking by hand sees where
            keep, write = d["f"][t] * d["c_prev"][t], d["i"][t] * d["g"][t]
            if cfg.variant == "noaf":  # no output activation: h = o ⊙ c
                h_row = f"{_sub('h', t)} = {n(d['o'][t])}·{p(d['c'][t])} = <b>{n(d['h'][t])}</b>"
            else:  # tanh(c_t) said, so that c_t's value above does not seem to change on the way
                h_row = (
                    f"{_sub('h', t)} = {n(d['o'][t])}·tanh({n(d['c'][t])}) = {n(d['o'][t])}·{p(d['tc'][t])} = "
                    f"<b>{n(d['h'][t])}</b>"
                )
            rows = [
                f"{_sub('f', t)} = {n(d['f'][t])}, {_sub('i', t)} = {n(d['i'][t])}, "
                f"{_sub('g', t)} = {n(d['g'][t])}, {_sub('o', t)} = {n(d['o'][t])}",
                f"{_sub('c', t)} = {n(d['f'][t])}·{p(d['c_prev'][t])} + {n(d['i'][t])}·{p(d['g'][t])} = "
                f"{n(keep)} {plus(write)} = <b>{n(d['c'][t])}</b>",
                h_row,
            ]
        else:
            general = [
                f"∂L/∂{_sub('c', 't−1')} = ∂L/∂{_sub('c', 't')} ⊙ {_sub('f', 't')} + …",
                f"<span style='color:{c.muted}'>the cell-state line: only the forget gate multiplies the "
                f"gradient, no W<sub>hh</sub>, no squashing</span>",
            ]
            rows = [
                f"‖∂L/∂{_sub('c', t)}‖ = <b>{n(d['dc_norm'][t])}</b>, ‖∂L/∂{_sub('h', t)}‖ = "
                f"<b>{equation_norm(d['dh_norm'][t], d['dh_bad'][t], d['H'])}</b>",
                f"{self._unit_label()}{_sub('f', t)} = {n(d['f'][t])}" + _paren(self._mean(d["f_mean"], t)),
            ]
            if t > 0:  # what the cell line passes on to c_{t-1}; at t = 0 there is no earlier step
                rows.append(
                    f"{self._unit_label()}∂L/∂{_sub('c', t)} ⊙ {_sub('f', t)} = {p(d['dc'][t])} · {n(d['f'][t])} = "
                    f"<b>{n(d['dc'][t] * d['f'][t])}</b>"
                )
            rows += self._step_ratio(t)
        text = self._general(general) + self._eq(rows)
        if note:
            text += f"<p style='color:{c.muted}'>{note}</p>"
        return text

    def _gru(self, phase: str, t: int) -> str:
        d = self.data
        c = self.theme.colours
        if phase == "forward":
            general = [
                f"{_sub('r', 't')} = σ(…), {_sub('z', 't')} = σ(…) &nbsp;reset and update gates",
                f"{_sub('n', 't')} = tanh(<i>W</i><sub>in</sub>{self._x('t')} + {_sub('b', 'in')} + "
                f"{_sub('r', 't')} ⊙ (<i>W</i><sub>hn</sub>{_sub('h', 't−1')} + {_sub('b', 'hn')}))",
                f"{_sub('h', 't')} = (1 − {_sub('z', 't')}) ⊙ {_sub('n', 't')} + {_sub('z', 't')} ⊙ {_sub('h', 't−1')}",
            ]
            new_part, old_part = (1 - d["z"][t]) * d["n"][t], d["z"][t] * d["h_prev"][t]  # (written out: see _lstm)
            rows = [
                f"{_sub('r', t)} = {n(d['r'][t])}, {_sub('z', t)} = {n(d['z'][t])}, {_sub('n', t)} = {n(d['n'][t])}",
                f"{_sub('h', t)} = (1 − {n(d['z'][t])})·{p(d['n'][t])} + {n(d['z'][t])}·{p(d['h_prev'][t])} = "
                f"{n(new_part)} {plus(old_part)} = <b>{n(d['h'][t])}</b>",
            ]
        else:
            general = [
                f"∂L/∂{_sub('h', 't−1')} = {_sub('z', 't')} ⊙ ∂L/∂{_sub('h', 't')} + (through r, z, n and "
                f"<i>W</i><sub>hh</sub>)",
                f"<span style='color:{c.muted}'>z near 1 keeps the gradient: a shortcut past the squashing</span>",
            ]
            rows = [
                f"‖∂L/∂{_sub('h', t)}‖ = <b>{equation_norm(d['dh_norm'][t], d['dh_bad'][t], d['H'])}</b>",
                f"{self._unit_label()}{_sub('z', t)} = {n(d['z'][t])}" + _paren(self._mean(d["z_mean"], t)),
            ]
            if t > 0:  # what the shortcut passes on to h_{t-1}; at t = 0 there is no earlier step (as the LSTM's)
                rows.append(
                    f"{self._unit_label()}{_sub('z', t)} ⊙ ∂L/∂{_sub('h', t)} = {n(d['z'][t])} · {p(d['dh'][t])} = "
                    f"<b>{n(d['z'][t] * d['dh'][t])}</b>"
                )
            rows += self._step_ratio(t)
        return self._general(general) + self._eq(rows)

    def _on_theme_changed(self) -> None:
        self.canvas.set_font(self.theme.font(1.0))
        if self.data:
            self._on_frame_changed(current_frame(self.session))
