"""The network unrolled through time (x_t → h_t → y_t per step), or folded into its temporal loop.

Everything the diagram shows is taken from the Session's trace once, when the trace changes:
values become colour-map indices, gradient norms become positions on a log scale, and long
sequences become strips of pixels. A frame change only stores (phase, t) and repaints;
painting reads those arrays and draws only the steps in view, with less detail as steps get
narrower: text, then shapes, then strips (one image per row).

Reading it: columns are time steps (the first column is the initial state h₋₁ = 0), rows are,
from the top, the loss, the output y, the hidden layers h (top layer first) and the input x.
Forward frames light the steps computed so far; backward frames draw each recurrent edge
h_{t-1} ← h_t with a width and colour for the gradient step t sends back to h_{t-1} (through
W_hh, and the GRU's or a leaky ESN's shortcut: Result.carried_grad_norms; dotted where nothing
crosses) and the dense view's bars for
‖∂L/∂h_t‖, on one log scale (legend top right), as the gradient front moves from the last step
back to t. Every recurrent edge is labelled W_hh
while the steps are drawn as nodes. A short view gives its rows the room: the header drops its
legends, then its title, to a tooltip (two lines at most).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QImage,
    QLinearGradient,
    QPainter,
    QPainterPath,
    QPen,
    QRegion,
    QTextDocument,
)
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from . import diagram as dg
from . import theme

TOPOLOGY_TEXT = {
    "many_to_many": "many-to-many: a loss at every step",
    "many_to_one": "many-to-one: a loss at the last step",
    "one_to_many": "one-to-many: input at t = 0 only",
}
DENSE_PITCH = 16.0  # px per step below which rows are drawn as strips of cells
MAX_PITCH_EM = 9.0  # widest step when fitting the whole sequence (in line heights)
NO_GRADIENT = "no gradient: overflow"  # the gradient legend when the trace has no finite gradient
NARROW_HEADER_EM = 42.0  # narrower than this many line heights: the header legends move below the title
ROOMY_ROW_EM = 1.5  # rows closer than this many line heights: the header gives up its legends (to a tooltip) ...
TIGHT_ROW_EM = 1.0  # ... and closer than this even then: its title too, leaving the line of numbers
LINE2_MIN_SCALE = 0.8  # the line of numbers shrinks its type this far before it would cut a number
CUT = "cut by truncated BPTT"  # the step back that truncation cuts off, in the header's line of numbers
CUT_SHORT = "truncation cut"
UNREACHED_LOSS_OPACITY = 0.25  # dense diagram: a loss strip's steps the forward pass has not reached yet
VALUE_ENDS = ("≤−1", "≥+1")  # the value scale's ends: it saturates there (x is standard-normal; hover: exact)
EDGE_LABEL_MIN_EM = 0.55  # the smallest type (in line heights) for the W_hh labels on the recurrent edges
EDGE_LABEL_READ_EM = 0.8  # ... and the smallest read from the back of a hall: below it, every k-th edge is
EDGE_LABEL_MAX_STRIDE = 8  # labelled in the body type instead (up to this k), when that fits
MAX_ZOOM_PITCH_EM = 16.0
GRAD_STRIP_H = 64  # vertical resolution of the gradient strip image
AlignLeftV = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
AlignRightV = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


@dataclass(frozen=True)
class StepGroup:
    """One unrolled step of the diagram: which nodes it has besides its hidden states."""

    t: int
    has_input: bool  # an x_t node (one-to-many: t = 0 only)
    has_loss: bool  # a loss term L_t (many-to-one: the last step only)


@dataclass
class _Layout:
    em: float
    area: QRectF  # where the rows live
    rows_y: list[float]  # centre line of each row, top to bottom
    row_h: float
    pitch: float  # px per step
    origin: float  # left edge of the initial-state column
    r: float  # node radius
    node_px: float  # node text size, 0 = no text
    dense: bool
    header: str = "full"  # what the header shows: "full", "compact" (no legends) or "minimal" (the numbers only)

    def cx(self, s: int) -> float:
        """Centre x of step s (s = -1 is the initial state)."""
        return self.origin + (s + 1.5) * self.pitch

    def step_at(self, x: float) -> int:
        """The step whose column holds x."""
        return math.floor((x - self.origin) / self.pitch) - 1


def fitting_text(fm: QFontMetricsF, room: float, texts: list[str]) -> str:
    """The first of texts (longest first) that fits in room pixels, else the last one elided."""
    text = next((t for t in texts if fm.horizontalAdvance(t) <= room), texts[-1])
    return fm.elidedText(text, Qt.TextElideMode.ElideRight, room)


class UnrolledView(QWidget):
    """The unrolled network through time, with values and gradients from the Session's trace."""

    def __init__(self, session, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self._folded = False
        self._zoom_pitch: float | None = None  # None: fit the whole sequence
        self._origin = 0.0
        self._groups_of: tuple | None = None  # (T, topology, score) step_groups were made for
        self._grids: dict = {}  # the pixel columns and rows strips are sampled at, per layout (see _wide_strip)
        self._drag: tuple[float, float] | None = None
        self._clip: QRectF | None = None  # while painting: the bounding rectangle of the steps to repaint
        self._region = QRegion()  # ... and everything to repaint
        self._note = ""  # a line at the foot (an exported figure's "how it was made"); '' for none
        self.setMinimumSize(320, 200)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setCursor(Qt.CursorShape.OpenHandCursor)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)  # we paint every pixel: parents need not
        self._make_luts()
        self._on_trace_changed(session.trace)
        session.trace_changed.connect(self._on_trace_changed)
        session.frame_changed.connect(self._on_frame_changed)
        theme.current().changed.connect(self._on_theme_changed)

    # ---- public -------------------------------------------------------------------------
    @property
    def folded(self) -> bool:
        """Whether the network is drawn folded (one column with its temporal loop)."""
        return self._folded

    def set_folded(self, folded: bool) -> None:
        """Draw the network folded (x → h ⟲ → y) or unrolled through time."""
        folded = bool(folded)
        if folded != self._folded:
            self._folded = folded
            self.update()

    @property
    def note(self) -> str:
        """The note at the foot of the view (rich text), '' for none."""
        return self._note

    def set_note(self, html: str) -> None:
        """Write a note in small muted type at the foot (e.g. the configuration of an exported figure)."""
        if html != self._note:
            self._note = html
            self.update()

    def _note_doc(self) -> QTextDocument | None:
        """The note laid out at the view's width, in type 0.8 of the view's, or None."""
        if not self._note:
            return None
        em = QFontMetricsF(self._font).height()
        doc = QTextDocument()
        doc.setDocumentMargin(0)
        doc.setDefaultFont(self._scaled(self._font, 0.8))
        doc.setHtml(f"<span style='color:{dg.blend(self._bg, self._fg, 0.65).name()}'>{self._note}</span>")
        doc.setTextWidth(max(10.0, self.width() - 1.2 * em))
        return doc

    def note_rect(self) -> QRectF:
        """Where the note is drawn (empty without one): under the axis, across the whole width."""
        doc = self._note_doc()
        if doc is None:
            return QRectF()
        em = QFontMetricsF(self._font).height()
        h = doc.size().height()
        return QRectF(0.6 * em, self.height() - h - 0.3 * em, doc.textWidth(), h)

    def _body_height(self) -> float:
        """The height left for the header, the rows and the axis once the note has its lines."""
        note = self.note_rect()
        return float(self.height()) if note.isEmpty() else note.top() - 0.2 * QFontMetricsF(self._font).height()

    @property
    def highlighted_step(self) -> int:
        """The step drawn as current."""
        return self._t

    @property
    def phase(self) -> str:
        """'forward' or 'backward': what the current frame shows."""
        return self._phase

    def recurrent_edge_count(self) -> int:
        """Recurrent edges drawn: T per layer unrolled (h₋₁ → h_0 included), one loop per layer folded."""
        return self._L if self._folded else self._L * self._T

    def edge_width(self, t: int, layer: int = -1) -> float:
        """Pen width (px) of the recurrent edge into h_t of a layer at the current frame: in BPTT, once
        the front has passed, the gradient step t sends back across it (Result.carried_grad_norms)."""
        lay = self._layout()
        k = layer % self._L
        if self._grad_on(t):
            return self._grad_width(lay, self._edge_u[k, t])
        return self._base_width(lay)

    def reset_zoom(self) -> None:
        """Fit the whole sequence into the view."""
        self._zoom_pitch = None
        self.update()

    # ---- the Session's signals ------------------------------------------------------------
    def _on_trace_changed(self, trace) -> None:
        """Turn the trace into what painting needs: colour indices, log-scaled gradient norms, strips."""
        cfg = self.session.config
        net = trace.net
        T, L = trace.T, net.layers
        self._T, self._L, self._H = T, L, net.hidden
        self._value_names = (("h", "unit", net.hidden), ("x", "input", net.inputs), ("y", "output", net.outputs))
        self._topology = cfg.topology
        has_input = np.ones(T, dtype=bool)
        if cfg.topology == "one_to_many":
            has_input[1:] = False
        scored = np.zeros(T, dtype=bool)
        scored[:] = cfg.score == "all"
        scored[-1] = True
        self._has_input, self._scored = has_input, scored
        self._y_used = scored | (cfg.topology != "many_to_one")  # many-to-one computes y_t but scores the last
        groups = (T, cfg.topology, cfg.score)
        if self._groups_of != groups:  # (a Wrec step keeps them: a hundred objects less to make)
            self.step_groups = [StepGroup(t, bool(has_input[t]), bool(scored[t])) for t in range(T)]
            self._groups_of = groups
        # values of the first example: unit 0 of h, feature 0 of x and y
        self._x = np.asarray(trace.x[:, 0, 0], dtype=float)  # (T,)
        self._h = np.stack([hs[:, 0, 0] for hs in trace.hidden_states])  # (L, T)
        self._y = np.asarray(trace.outputs[:, 0, 0], dtype=float)  # (T,)
        self._loss = np.asarray(trace.loss_terms, dtype=float)  # (T,)
        values = np.vstack((self._x, self._h, self._y))  # (L + 2, T): one pass over the rows, not three
        idx, ok = dg.value_index(values), np.isfinite(values)
        self._x_idx, self._h_idx, self._y_idx = idx[0], idx[1:-1], idx[-1]
        self._x_ok, self._h_ok, self._y_ok = ok[0], ok[1:-1], ok[-1]
        # gradient norms ‖∂L/∂h_t‖ (the nodes' bars) and what each step sends back to the one before (the
        # recurrent edges in BPTT: zero where W_hh is zero or truncation cuts), on one log scale
        g = np.asarray(trace.grad_norms_layers, dtype=float)  # (L, T)
        e = np.asarray(trace.carried_grad_norms, dtype=float)  # (L, T): step t back to h_{t-1}
        self._grad, self._carried = g, e
        both = np.concatenate([g, e], axis=1)  # (L, 2T): the bars' steps, then the edges'
        u, self._grad_lo, self._grad_hi = dg.log_scale(both)
        self._grad_u, self._edge_u = u[:, :T], u[:, T:]
        idx = dg.unit_index(u)
        self._grad_idx, self._edge_idx = idx[:, :T], idx[:, T:]
        state = np.where(~np.isfinite(both), 2, np.where(both == 0, 1, 0)).astype(np.int8)  # ok, zero, bad
        self._grad_state, self._edge_state = state[:, :T], state[:, T:]
        self._grad_none = not np.isfinite(g).any()  # an overflow left no finite gradient: no scale to show
        self._wrec_text = self._wrec_label(trace)
        self._wrec_short = self._wrec_label(trace, short=True)
        self._edge_forms = self._edge_label_forms(trace)
        self._edge_fits: dict = {}  # the W_hh labels' text and type per layout (see _edge_label)
        self._texts: dict[tuple[str, int, int], str] = {}  # node texts, formatted when first drawn
        self._short_texts: dict[str, str] = {}  # ... and with fewer digits, for small nodes
        self._phase, self._t = self.session.phase_step()
        self._t = max(0, min(self._t, T - 1))  # the playhead is clamped only after this signal
        self._build_strips()
        self.update(self._changed_by_trace(T, L))

    def _changed_by_trace(self, T: int, L: int) -> QRegion:
        """What a new trace repaints: all of it, or only the header and the steps.

        A trace of the same shape at the same step (a Wrec or seed change) leaves the row names
        and the step numbers as they were: the values, the gradients and the header's numbers
        are all that change, and the text of the names and numbers was a fifth of the repaint.
        """
        frame = (T, L, self._topology, self._phase, self._t, self._folded, self.size())
        same, self._trace_frame = frame == getattr(self, "_trace_frame", None), frame
        if not same or self._folded:
            return QRegion(self.rect())
        lay = self._layout()
        left, right = math.floor(lay.area.left() - 2), math.ceil(lay.area.right() + 2)
        bottom = math.floor(lay.area.bottom())  # the axis starts there: no pixel of it
        header = QRegion(0, 0, self.width(), math.ceil(lay.area.top()))
        return header + QRegion(left, 0, right - left, bottom)

    def _on_frame_changed(self, frame: int) -> None:
        old_phase, old_t, origin = self._phase, self._t, self._origin
        self._phase, self._t = self.session.phase_step(frame)
        self._follow()
        if self._folded or self._phase != old_phase or self._origin != origin:
            self.update()  # the whole drawing may change
        else:
            self.update(self._moved_region(old_t, self._t))

    def _moved_region(self, a: int, b: int) -> QRegion:
        """What moving the playhead from step a to step b within a phase repaints.

        The columns from a to b and one more either side (their nodes, edges, strips and the
        current-step shade), the step numbers near a and b on the axis, and the header's line of
        numbers. Everything else looks the same, and repainting all of it on every frame was
        most of the diagram's cost.
        """
        lay = self._layout()
        lo, hi = min(a, b), max(a, b)
        x0, x1 = lay.cx(lo) - 1.5 * lay.pitch, lay.cx(hi) + 1.5 * lay.pitch
        top, bottom = lay.area.top() - 2, lay.area.bottom()
        region = QRegion(QRectF(x0, top, x1 - x0, bottom - top + 2).toAlignedRect())
        reach = self._axis_reach(lay)
        for x in (lay.cx(a), lay.cx(b)):
            region += QRectF(x - reach, bottom, 2 * reach, self.height() - bottom).toAlignedRect()
        _, line2, _ = self._header_rects(lay)
        region += line2.adjusted(-1, -1, 1, 1).toAlignedRect()
        return region

    def _on_theme_changed(self) -> None:
        self._make_luts()
        self._build_strips()
        self.update()

    @staticmethod
    def _wrec_label(trace, short: bool = False) -> str:
        """Wrec as the diagram labels it: the scalar for one unit, else the spectral radius ρ of W_hh.

        short: without the matrix's name ("ρ = 1.00", "W = 0.90"), for a narrow header.
        """
        net = trace.net
        if net.hidden == 1 and net.cell in ("rnn", "esn"):
            return f"{'W' if short else 'Wₕₕ'} = {dg.fmt(net.params[f'weight_hh_l{net.layers - 1}'][0, 0])}"
        rho = "ρ" if short else "ρ(Wₕₕ)"
        radii = list(trace.spectral_radius.values())
        if max(radii) - min(radii) <= 1e-6 * max(1.0, max(radii)):
            return f"{rho} = {dg.fmt(radii[0])}"
        return f"{rho} ≤ {dg.fmt(max(radii))}"

    @staticmethod
    def _edge_label_forms(trace) -> list[list[str]]:
        """Per layer (layer 0 first): the W_hh label of its recurrent edges, longest first.

        Wₕₕ (drawn with a real subscript, see dg.sub_text), with its value where it is one number
        (one unit); stacked layers each have their own matrix: Wₕₕ⁽¹⁾, Wₕₕ⁽²⁾, ...
        """
        net = trace.net
        sup = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
        forms = []
        for k in range(net.layers):
            name = "Wₕₕ" if net.layers == 1 else f"Wₕₕ⁽{str(k + 1).translate(sup)}⁾"
            if net.hidden == 1 and net.cell in ("rnn", "esn"):
                v = dg.fmt(net.params[f"weight_hh_l{k}"][0, 0])
                forms.append([f"{name} = {v}", f"{name}={v}", name])
            else:
                forms.append([name])
        return forms

    # ---- colours, fonts and the strips of long sequences ------------------------------------
    def _make_luts(self) -> None:
        th = theme.current()
        c = th.colours
        self._vlut, self._glut = dg.value_lut(th), dg.gradient_lut(th)
        self._vlut_rgba = np.array([c.getRgb() for c in self._vlut], dtype=np.uint8)  # (256, 4), for the strips
        self._glut_rgba = np.array([c.getRgb() for c in self._glut], dtype=np.uint8)
        self._bg, self._fg = QColor(c.background), QColor(c.foreground)
        self._cursor, self._fwd = QColor(c.cursor), QColor(c.forward)
        self._accent = self._glut[int(0.75 * (dg.LUT_SIZE - 1))]  # gradient entering from a loss
        self._dark = th.dark
        self._font, self._bold = th.font(1.1), th.font(1.1, bold=True)
        self._edge_fits = {}
        self._stamps: dict = {}  # painted images of the header's legends and leads (see _stamp)
        self._lead_widths: dict = {}  # (lead, scale): its bold width with the three spaces after it
        self._node_ink, self._ghost_ink = dg.with_alpha(self._fg, 0.7), dg.with_alpha(self._fg, 0.25)

    def _build_strips(self) -> None:
        """Per row, the colour of each step (premultiplied ARGB32, as Qt draws it) and, for a layer's
        gradient bars, how many of GRAD_STRIP_H rows each step's bar fills from the top."""
        vl, gl = self._vlut_rgba, self._glut_rgba  # (256, 4)
        bad = np.array(QColor(dg.NONFINITE_FILL).getRgb(), dtype=np.uint8)
        ghost = np.array(dg.with_alpha(self._fg, 0.06).getRgb(), dtype=np.uint8)

        def row(idx, ok, present=None, used=None):
            px = vl[idx]
            px[~ok] = bad
            if used is not None:
                px[~used] = 0  # computed but not scored: left out of the strip
            if present is not None:
                px[~present] = 0
            return px

        rows = [np.where(self._scored[:, None], np.array(self._accent.getRgb(), np.uint8), np.uint8(0))]
        rows += [row(self._y_idx, self._y_ok, used=self._y_used), row(self._x_idx, self._x_ok, present=self._has_input)]
        rows += [row(self._h_idx[k], self._h_ok[k]) for k in range(self._L)]
        heights = []
        for k in range(self._L):
            state = self._grad_state[k]
            bars = np.where(state == 0, np.maximum(1, np.rint(self._grad_u[k] * GRAD_STRIP_H)), 0)
            bars[state == 2] = GRAD_STRIP_H
            bars[state == 1] = 1
            colour = gl[self._grad_idx[k]]
            colour[state == 2] = bad
            colour[state == 1] = ghost
            rows.append(colour)
            heights.append(bars)
        # every row's colours premultiplied by Qt in one conversion (the raster engine blends that format)
        rgba = np.ascontiguousarray(np.stack(rows))  # (rows, T, 4)
        n, T = rgba.shape[:2]
        image = QImage(rgba.data, T, n, 4 * T, QImage.Format.Format_RGBA8888)
        image = image.convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)
        argb = np.frombuffer(image.constBits(), np.uint32).reshape(n, image.bytesPerLine() // 4)[:, :T].copy()
        L = self._L
        self._wide: dict = {}  # strips widened to the screen's pixels, per layout (see _wide_strip)
        self._strip_loss, self._strip_y, self._strip_x = ((argb[i], None) for i in range(3))
        self._strip_h = [(argb[3 + k], None) for k in range(L)]
        self._strip_g = [(argb[3 + L + k], heights[k]) for k in range(L)]

    # ---- geometry --------------------------------------------------------------------------
    def _header_mode(self, em: float) -> tuple[str, float, float]:
        """What the header shows, its height and the axis's height: the rows come first in a short view.

        "full": the title, the line of numbers and the legends (at the right, or below the two
        lines in a narrow view); "compact": the two lines only, the legends at the right if they
        fit beside them, else in the header's tooltip; "minimal": the line of numbers alone (the
        title in the tooltip too). The first whose rows are at least ROOMY_ROW_EM line heights
        apart, else compact if its rows are TIGHT_ROW_EM apart.
        """
        H = self._body_height()
        weights = 0.75 + 1.0 + 1.15 * self._L + 1.0

        def unit(header: float, axis: float) -> float:
            return (H - header - axis) / weights

        header = (5.5 if self._narrow_header(em) else 3.0) * em
        if unit(header, 1.8 * em) >= ROOMY_ROW_EM * em:
            return "full", header, 1.8 * em
        if unit(2.75 * em, 1.5 * em) >= TIGHT_ROW_EM * em:
            return "compact", 2.75 * em, 1.5 * em
        return "minimal", 1.55 * em, 1.5 * em

    def _layout(self) -> _Layout:
        em = QFontMetricsF(self._font).height()
        W, H = float(self.width()), self._body_height()
        mode, header, axis = self._header_mode(em)
        gutter = 3.4 * em
        area = QRectF(gutter, header, max(10.0, W - gutter - 0.8 * em), max(10.0, H - header - axis))
        weights = [0.75, 1.0, *([1.15] * self._L), 1.0]  # loss, y, h (top layer first), x
        unit = area.height() / sum(weights)
        rows_y, y = [], area.top()
        for w in weights:
            rows_y.append(y + 0.5 * w * unit)
            y += w * unit
        ncol = self._T + 1
        fit = min(area.width() / ncol, MAX_PITCH_EM * em)
        pitch = fit if self._zoom_pitch is None else max(fit, self._zoom_pitch)
        total = ncol * pitch
        if total <= area.width() + 0.5:
            origin = area.left() + 0.5 * (area.width() - total)
        else:
            origin = min(area.left(), max(area.right() - total, self._origin))
        if self._folded:
            r = min(0.34 * unit, 2.6 * em)
        else:
            r = min(0.31 * pitch, 0.34 * unit, 2.3 * em)
        node_px = min(0.6 * r, 1.05 * em)
        if node_px < 0.62 * em:
            node_px = 0.0
        dense = pitch < DENSE_PITCH and not self._folded
        return _Layout(em, area, rows_y, unit, pitch, origin, r, node_px, dense, mode)

    def _rows(self, lay: _Layout) -> tuple[float, float, list[float], float]:
        """y of the loss row, of the y row, of each layer's h row (layer 0 first), of the x row."""
        ys = lay.rows_y
        return ys[0], ys[1], list(reversed(ys[2 : 2 + self._L])), ys[-1]

    def _base_width(self, lay: _Layout) -> float:
        return max(1.2, min(3.0, 0.09 * lay.r))

    def _grad_width(self, lay: _Layout, u: float) -> float:
        top = max(4.0, min(18.0, 0.8 * lay.r))
        return 0.8 + float(u) * (top - 0.8)

    def _grad_on(self, s: int) -> bool:
        """Whether the gradient front has passed step s (backward frames, s ≥ t)."""
        return self._phase == "backward" and s >= self._t

    def _lit(self, s: int) -> bool:
        """Whether step s has been computed at this frame."""
        return self._phase == "backward" or s <= self._t

    def _follow(self) -> None:
        """Keep the current step in view when zoomed in."""
        if self._zoom_pitch is None or self._folded:
            return
        lay = self._layout()
        x = lay.cx(self._t)
        if x - 0.5 * lay.pitch < lay.area.left() or x + 0.5 * lay.pitch > lay.area.right():
            self._origin = lay.origin + (lay.area.center().x() - x)

    def _visible_steps(self, lay: _Layout, clipped: bool = True) -> range:
        """The steps in view (and, if clipped, in the part being repainted), with one more either side."""
        left, right = lay.area.left(), lay.area.right()
        if clipped and self._clip is not None:
            left, right = max(left, self._clip.left()), min(right, self._clip.right())
        first = lay.step_at(left) - 1
        last = lay.step_at(right) + 1
        return range(max(-1, first), min(self._T - 1, last) + 1)

    # ---- painting ---------------------------------------------------------------------------
    def _ink(self, alpha: float = 1.0) -> QColor:
        return dg.with_alpha(self._fg, alpha)

    def paintEvent(self, event) -> None:
        """Paint what the event asks for; parts wholly outside it are skipped (a frame repaints little)."""
        region = self._region = event.region()
        p = QPainter(self)
        try:
            p.setRenderHint(QPainter.RenderHint.Antialiasing)
            p.fillRect(event.rect(), self._bg)
            lay = self._layout()
            if self._folded:
                self._paint_folded(p, lay)
            else:
                steps = QRectF(lay.area.left() - 2, 0, lay.area.width() + 4, float(self.height()))
                in_steps = region.intersected(steps.toAlignedRect())
                if not in_steps.isEmpty():
                    self._clip = QRectF(in_steps.boundingRect())
                    p.save()
                    p.setClipRect(steps)
                    self._paint_dense(p, lay) if lay.dense else self._paint_steps(p, lay)
                    p.restore()
                    self._clip = None
                axis = QRectF(0, lay.area.bottom(), self.width(), self.height() - lay.area.bottom())
                in_axis = region.intersected(axis.toAlignedRect())
                if not in_axis.isEmpty():
                    self._clip = QRectF(in_axis.boundingRect())
                    self._paint_axis(p, lay)
                    self._clip = None
            top = lay.rows_y[0] - lay.em  # the row names' rectangles reach one line height above their row
            if self._touches(QRectF(0, top, lay.area.left(), lay.area.bottom() - top)):
                self._paint_gutter(p, lay)
            if self._touches(QRectF(0, 0, self.width(), lay.area.top())):
                self._paint_header(p, lay)
            note = self.note_rect()
            if not note.isEmpty() and self._touches(note):
                doc = self._note_doc()
                p.save()
                p.fillRect(note, self._bg)
                p.translate(note.topLeft())
                doc.drawContents(p)
                p.restore()
        finally:
            p.end()
            self._clip, self._region = None, QRegion()

    def _touches(self, rect: QRectF) -> bool:
        """Whether the repaint reaches into a rectangle (with 1 px to spare); always true outside paintEvent."""
        return self._region.isEmpty() or self._region.intersects(rect.adjusted(-1, -1, 1, 1).toAlignedRect())

    def _text(self, kind: str, k: int, s: int) -> str:
        key = (kind, k, s)
        text = self._texts.get(key)
        if text is None:
            v = self._h[k, s] if kind == "h" else {"x": self._x, "y": self._y, "loss": self._loss}[kind][s]
            text = self._texts[key] = dg.fmt(v)
        return text

    def _node(self, p: QPainter, lay: _Layout, shape: str, c: QPointF, size: float, fill, text: str, state: str):
        """One node; state: 'lit', 'ghost' (not computed yet, or not used), 'bad' (infinite or NaN)."""
        circle = shape == "circle"
        rect = (
            QRectF(c.x() - size, c.y() - size, 2 * size, 2 * size)
            if circle
            else QRectF(c.x() - 0.92 * size, c.y() - 0.8 * size, 1.84 * size, 1.6 * size)
        )

        def draw() -> None:
            p.drawEllipse(rect) if circle else p.drawRoundedRect(rect, 0.25 * size, 0.25 * size)

        width = self._base_width(lay)
        if state == "ghost":
            p.setBrush(self._bg)
            p.setPen(QPen(self._ghost_ink, width, Qt.PenStyle.DashLine))
            draw()
            return
        p.setPen(QPen(self._node_ink, width))
        if state == "bad":
            p.setBrush(QColor(dg.NONFINITE_FILL))
            draw()
            p.setBrush(dg.nonfinite_brush())
        else:
            p.setBrush(fill)
        draw()
        if text and lay.node_px > 0:
            font = QFont(self._bold if state == "bad" else self._font)
            px = lay.node_px if shape == "circle" else min(lay.node_px, 0.62 * size)
            font.setPixelSize(max(1, round(px)))
            room = 1.75 * size
            wide = QFontMetricsF(font).horizontalAdvance(text)
            if wide > room and state != "bad":  # fewer digits, then a smaller font, never an overflow
                text = self._short_texts.setdefault(text, dg.fmt(float(text.replace("−", "-")), short=True))
                wide = QFontMetricsF(font).horizontalAdvance(text)
            if wide > room:
                font.setPixelSize(max(1, math.floor(px * room / wide)))
            p.setFont(font)
            if state == "bad":
                p.setPen(Qt.PenStyle.NoPen)
                p.setBrush(QColor(dg.NONFINITE_FILL))
                fm = QFontMetricsF(font)
                p.drawRoundedRect(
                    QRectF(
                        c.x() - 0.5 * fm.horizontalAdvance(text) - 2,
                        c.y() - 0.5 * fm.height(),
                        fm.horizontalAdvance(text) + 4,
                        fm.height(),
                    ),
                    3,
                    3,
                )
                p.setPen(QColor("#000000"))
            else:
                p.setPen(dg.text_on(fill))
            dg.centered_text(p, c, text, 2.4 * size, 2 * size)

    def _paint_steps(self, p: QPainter, lay: _Layout) -> None:
        """The steps in view as nodes and arrows (with text when there is room)."""
        y_loss, y_y, y_h, y_x = self._rows(lay)
        r, L, t = lay.r, self._L, self._t
        steps = self._visible_steps(lay)
        bw = self._base_width(lay)
        head = max(5.0, min(14.0, 0.38 * r))
        lit_pen, dim_pen = QPen(self._ink(0.55), bw), QPen(self._ink(0.14), bw)
        unused_pen = QPen(self._ink(0.14), bw, Qt.PenStyle.DashLine)
        fwd_pen = QPen(self._fwd, 1.8 * bw)  # the values flowing into the current step
        loss_pen = QPen(self._accent, 1.4 * bw)  # the gradient entering from a loss
        if 0 <= t < self._T:  # the current step
            x = lay.cx(t)
            p.fillRect(
                QRectF(x - 0.5 * lay.pitch, lay.area.top(), lay.pitch, lay.area.height()),
                dg.with_alpha(self._cursor, 0.10),
            )
        for s in steps:  # edges
            if s < 0:
                continue
            x, lit, back = lay.cx(s), self._lit(s), self._grad_on(s)
            pen = fwd_pen if (self._phase == "forward" and s == t) else (lit_pen if lit else dim_pen)
            for k in range(L):  # recurrent edge h_{s-1} -> h_s
                a = QPointF(lay.cx(s - 1) + (0.6 * r if s == 0 else r), y_h[k])
                b = QPointF(x - r, y_h[k])
                self._grad_edge(p, lay, k, s, b, a, head) if back else dg.arrow(p, a, b, pen, head)
            if self._has_input[s]:
                dg.arrow(p, QPointF(x, y_x - 0.8 * r), QPointF(x, y_h[0] + r), pen, head)
            for k in range(L - 1):
                a, b = QPointF(x, y_h[k] - r), QPointF(x, y_h[k + 1] + r)
                dg.arrow(p, b, a, loss_pen, head) if back else dg.arrow(p, a, b, pen, head)
            a, b = QPointF(x, y_h[-1] - r), QPointF(x, y_y + 0.8 * r)
            if back and self._scored[s]:
                dg.arrow(p, b, a, loss_pen, head)
            else:
                dg.arrow(p, a, b, pen if self._y_used[s] else unused_pen, head)
            if self._scored[s]:
                a, b = QPointF(x, y_y - 0.8 * r), QPointF(x, y_loss + 0.5 * r)
                dg.arrow(p, b, a, loss_pen, head) if back else dg.arrow(p, a, b, pen, head)
        p.setPen(self._ink(0.75))  # W_hh on every recurrent edge
        shade = QRectF(lay.cx(t) - 0.5 * lay.pitch, lay.area.top(), lay.pitch, lay.area.height())
        for k in range(L):
            label = self._edge_label(lay, k)
            if label is None:
                continue
            text, font, dy, h, stride = label
            w = dg.sub_text_width(font, text)
            # a label wider than a step reaches past its own: those of the steps beside the repainted
            # ones too (Qt clips to the region), and none past the diagram's ends
            reach = range(max(0, steps.start - stride), min(self._T, steps.stop + stride)) if stride > 1 else steps
            lo, hi = lay.area.left() + 0.5 * w + 1.0, lay.area.right() - 0.5 * w - 1.0
            for s in reach:
                if self._labelled(s, stride):
                    x = 0.5 * (lay.cx(s - 1) + lay.cx(s))
                    mid = QPointF(min(max(x, lo), hi) if stride > 1 and lo <= hi else x, y_h[k] - dy)
                    if dy == 0 or stride > 1:  # on the edge, or over the arrows up: knocked out of them (and the shade)
                        knock = QRectF(mid.x() - 0.5 * w - 1.0, mid.y() - 0.5 * h, w + 2.0, h)
                        p.fillRect(knock, self._bg)
                        if 0 <= t < self._T:
                            p.fillRect(knock.intersected(shade), dg.with_alpha(self._cursor, 0.10))
                    dg.sub_text(p, mid, text, font)
        for s in steps:  # nodes
            x = lay.cx(s)
            if s < 0:  # the initial state h₋₁ = 0
                for k in range(L):
                    self._node(p, lay, "circle", QPointF(x, y_h[k]), 0.6 * r, self._vlut[dg.LUT_SIZE // 2], "0", "lit")
                continue
            lit = self._lit(s)
            for k in range(L):
                st = "ghost" if not lit else ("lit" if self._h_ok[k, s] else "bad")
                self._node(
                    p, lay, "circle", QPointF(x, y_h[k]), r, self._vlut[self._h_idx[k, s]], self._text("h", k, s), st
                )
            if self._has_input[s]:
                st = "ghost" if not lit else ("lit" if self._x_ok[s] else "bad")
                self._node(p, lay, "box", QPointF(x, y_x), r, self._vlut[self._x_idx[s]], self._text("x", 0, s), st)
            st = "ghost" if not (lit and self._y_used[s]) else ("lit" if self._y_ok[s] else "bad")
            self._node(p, lay, "box", QPointF(x, y_y), 0.8 * r, self._vlut[self._y_idx[s]], self._text("y", 0, s), st)
            if self._scored[s]:
                self._loss_node(p, lay, QPointF(x, y_loss), s, lit)
            if s == t:  # a ring around the current hidden states
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.setPen(QPen(self._cursor, 2.0 * bw))
                for k in range(L):
                    p.drawEllipse(QPointF(x, y_h[k]), r + 1.8 * bw, r + 1.8 * bw)

    def _labelled(self, s: int, stride: int) -> bool:
        """Whether the recurrent edge into h_s carries its W_hh label: every stride-th, counted back from the last."""
        return s >= 0 and (self._T - 1 - s) % stride == 0

    def _edge_label(self, lay: _Layout, k: int) -> tuple[str, QFont, float, float, int] | None:
        """Layer k's W_hh label over its recurrent edges: text, type, how far above the edge its
        centre is, its line height, and the stride (1: every edge labelled; k: every k-th one,
        counted back from the last); None where even the smallest type would not fit.

        The label sits just above the edge between the two circles (and the current step's
        ring) or, where that gap is too narrow, above the circles, between the arrows up from
        them, or else on the edge itself (centre 0 above it), knocked out of it. Each of its
        forms in the body type, longest first; else the shortest in smaller type, down to
        EDGE_LABEL_READ_EM line heights; else the shortest in the body type on every k-th edge,
        above the circles and knocked out of the arrows it crosses (T = 30 at 1600 x 1000 had it
        6 px high on every edge: unreadable in a hall); else smaller type on every edge, down to
        EDGE_LABEL_MIN_EM. Every layer's own, from the rows around it.
        """
        key = (k, lay.pitch, lay.r, lay.row_h, lay.em)
        if key in self._edge_fits:
            return self._edge_fits[key]
        if len(self._edge_fits) > 64:
            self._edge_fits.clear()
        r, em = lay.r, lay.em
        bw = self._base_width(lay)
        ring = r + 2.8 * bw  # the current step's ring, outside
        gap = 0.5 * self._grad_width(lay, 1.0) + 2.0  # above the edge at its widest (in BPTT)
        h_rows = list(reversed(lay.rows_y[2 : 2 + self._L]))  # layer 0 first
        top = k == self._L - 1  # the row above: the y boxes over the top layer, the next layer's circles otherwise
        above, (above_half_w, above_low) = (
            (lay.rows_y[1], (0.74 * r, 0.64 * r)) if top else (h_rows[k + 1], (ring, ring))
        )
        y_edge = h_rows[k]
        chord = math.sqrt(max(0.0, ring * ring - gap * gap))  # the circles' half-width at the label's foot
        head = max(5.0, min(14.0, 0.38 * r)) + 0.6 * self._grad_width(lay, 1.0)  # the widest arrowhead

        def placed(font: QFont, text: str, stride: int = 1) -> tuple[float, float] | None:
            """How far above the edge a label's centre goes, and its height, if it fits anywhere."""
            fm = QFontMetricsF(font)
            w, h = dg.sub_text_width(font, text), fm.height()
            if stride > 1:  # over the circles, below the row above's nodes, clear of the next label
                foot = ring + 1.0
                if y_edge - foot - h >= above + above_low + 2.0 and w <= stride * lay.pitch - 0.5 * em:
                    return foot + 0.5 * h, h
                return None
            # beside the circles, 0.15 line heights from each; above them, 0.25 from the arrows either side
            spots = ((gap, lay.pitch - 2.0 * chord - 0.3 * em), (ring + 1.0, lay.pitch - 2.0 * bw - 0.5 * em))
            for foot, room in spots:
                if y_edge - foot - h < above + above_low + 2.0:  # it reaches up beside the row above's nodes
                    room = min(room, lay.pitch - 2.0 * above_half_w - 0.3 * em)
                if y_edge - foot - h < above - 0.5 * above_low:  # ... or past their middle
                    continue
                if w <= room:
                    return foot + 0.5 * h, h
            # midway between this row's edges and the row above (clear of both rows' edges), in the
            # gap between the nodes of both rows and the arrows up at the columns' centres
            bottom = y_edge - gap - 1.0
            top_bound = above + 2.0 if top else above + gap + 1.0
            if bottom - top_bound >= h and w <= lay.pitch - 0.4 * em:
                yc = 0.5 * (bottom + top_bound)
                dx = 0.5 * lay.pitch - 0.5 * w  # from the label's side to the nearest column's centre
                near_own = y_edge - (yc + 0.5 * h)  # from the label's foot to this row's centre line
                clear_own = dx > ring + 1.0 or math.hypot(dx, near_own) > ring + 1.0
                near_up = (yc - 0.5 * h) - above
                if top:
                    clear_up = dx > above_half_w + 2.0 or near_up > above_low + 2.0
                else:
                    clear_up = dx > ring + 1.0 or math.hypot(dx, near_up) > ring + 1.0
                if clear_own and clear_up:
                    return y_edge - yc, h
            # on the edge, between the rings, clear of the arrowhead
            if w + 2.0 <= lay.pitch - 2.0 * ring - head - 4.0 and 0.5 * h < 0.5 * lay.row_h:
                return 0.0, h
            return None

        forms, base = self._edge_forms[k], self._font
        result = None
        for text in forms:
            where = placed(base, text)
            if where is not None:
                result = text, base, *where, 1
                break
        text = forms[-1]
        px = base.pixelSize() if base.pixelSize() > 0 else base.pointSizeF() * self.logicalDpiY() / 72.0
        size = math.floor(px)

        def smaller(least_em: float):
            """The shortest form on every edge in the largest type down to least_em line heights that fits."""
            nonlocal size
            lo = least_em * em / QFontMetricsF(base).height() * px  # the smallest pixel size
            while size >= lo - 1e-9:
                font = QFont(base)
                font.setPixelSize(size)
                where = placed(font, text)
                size -= 1
                if where is not None:
                    return text, font, *where, 1
            return None

        if result is None:
            result = smaller(EDGE_LABEL_READ_EM)
        for stride in range(2, EDGE_LABEL_MAX_STRIDE + 1):
            if result is not None:
                break
            where = placed(base, text, stride)
            if where is not None:
                result = text, base, *where, stride
        if result is None:
            result = smaller(EDGE_LABEL_MIN_EM)
        self._edge_fits[key] = result
        return result

    def edge_labels(self) -> list[tuple[int, int, str, float]]:
        """The W_hh labels drawn now: (layer, step, text, pixel size of the type) per recurrent edge in view."""
        if self._folded:
            return []
        lay = self._layout()
        if lay.dense:
            return []
        out = []
        for k in range(self._L):
            label = self._edge_label(lay, k)
            if label is not None:
                size, stride = QFontMetricsF(label[1]).height(), label[4]
                steps = self._visible_steps(lay, clipped=False)
                out += [(k, s, label[0], size) for s in steps if self._labelled(s, stride)]
        return out

    def _loss_node(self, p: QPainter, lay: _Layout, c: QPointF, s: int, lit: bool) -> None:
        r = lay.r
        rect = QRectF(c.x() - 0.8 * r, c.y() - 0.5 * r, 1.6 * r, 1.0 * r)
        back = self._grad_on(s) and self._scored[s]
        p.setBrush(self._accent if back else self._ink(0.12 if lit else 0.03))
        p.setPen(QPen(self._ink(0.7 if lit else 0.25), self._base_width(lay)))
        p.drawRoundedRect(rect, 0.2 * r, 0.2 * r)
        if lay.node_px > 0:
            font = QFont(self._bold)
            font.setPixelSize(max(1, round(min(lay.node_px, 0.5 * r))))
            p.setFont(font)
            p.setPen(dg.text_on(self._accent) if back else self._ink(1.0 if lit else 0.3))
            dg.centered_text(p, c, "L", rect.width(), rect.height())

    def _grad_edge(self, p: QPainter, lay: _Layout, k: int, s: int, a: QPointF, b: QPointF, head: float) -> None:
        """The recurrent edge into h_s, drawn as the gradient step s sends back across it to h_{s-1}
        (from a to b): dotted where nothing crosses (W_hh = 0, or truncation's cut)."""
        state = self._edge_state[k, s]
        if state == 2:
            pen = QPen(QColor(dg.NONFINITE_FILL), 3.0, Qt.PenStyle.DashLine)
        elif state == 1:
            pen = QPen(self._ink(0.45), 1.0, Qt.PenStyle.DotLine)
        else:
            pen = QPen(self._glut[self._edge_idx[k, s]], self._grad_width(lay, self._edge_u[k, s]))
        pen.setCapStyle(Qt.PenCapStyle.FlatCap)
        dg.arrow(p, a, b, pen, head + 0.6 * pen.widthF())

    def _paint_dense(self, p: QPainter, lay: _Layout) -> None:
        """Too many steps for shapes: each row is a strip of cells; gradients hang below each h row as bars."""
        y_loss, y_y, y_h, y_x = self._rows(lay)
        # all steps in view, not only those repainted: a strip scaled from another first column
        # would sample its pixels differently (the repaint clips it anyway)
        steps = self._visible_steps(lay, clipped=False)
        s0, s1 = max(0, steps.start), steps.stop  # steps s0 .. s1-1 are in view
        if s1 <= s0:
            return
        unit, t = lay.row_h, self._t
        cell_h = 0.42 * unit
        lit_end = s1 if self._phase == "backward" else min(s1, t + 1)  # steps s0 .. lit_end-1 are lit
        left = lambda s: lay.cx(s) - 0.5 * lay.pitch  # noqa: E731
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)

        dpr = self.devicePixelRatioF()

        def px(s: int) -> int:  # the first device pixel column whose centre lies at or right of step s's left edge
            return math.ceil(left(s) * dpr - 0.5)

        def strip(rgba: np.ndarray, top: float, height: float, a: int, b: int) -> None:
            if b > a:
                img, x0, y0 = self._wide_strip(rgba, lay, s0, s1, dpr, top, height)
                xa, xb, rows = px(a), px(b), img.height()
                target = QRectF(xa / dpr, y0 / dpr, (xb - xa) / dpr, rows / dpr)  # device pixel for pixel
                p.drawImage(target, img, QRectF(xa - x0, 0, xb - xa, rows))

        def dim(top: float, height: float) -> None:
            if s1 > lit_end:
                p.fillRect(QRectF(left(lit_end), top, (s1 - lit_end) * lay.pitch, height), self._ink(0.07))

        for k in range(self._L):
            top = y_h[k] - 0.5 * cell_h - 0.12 * unit
            strip(self._strip_h[k], top, cell_h, s0, lit_end)
            dim(top, cell_h)
            if self._phase == "backward":
                strip(self._strip_g[k], top + cell_h + 0.04 * unit, 0.34 * unit, max(s0, t), s1)
        strip(self._strip_x, y_x - 0.5 * cell_h, cell_h, s0, lit_end)
        if self._topology != "one_to_many":
            dim(y_x - 0.5 * cell_h, cell_h)
        strip(self._strip_y, y_y - 0.5 * cell_h, cell_h, s0, lit_end)
        if self._topology != "many_to_one":  # many-to-one: only the last output is drawn
            dim(y_y - 0.5 * cell_h, cell_h)
        # the loss terms where the forward pass has reached them; the later ones faint, as the
        # shapes' unreached loss boxes are: where the losses will be, not yet computed
        strip(self._strip_loss, y_loss - 0.12 * unit, 0.24 * unit, s0, lit_end)
        if s1 > lit_end:
            p.setOpacity(UNREACHED_LOSS_OPACITY)
            strip(self._strip_loss, y_loss - 0.12 * unit, 0.24 * unit, lit_end, s1)
            p.setOpacity(1.0)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        if 0 <= t < self._T:  # the current step: a marker line through every row
            x = lay.cx(t)
            p.setPen(QPen(self._cursor, 2.5))
            p.drawLine(QPointF(x, lay.area.top()), QPointF(x, lay.area.bottom()))

    def _wide_strip(
        self, strip: tuple, lay: _Layout, s0: int, s1: int, dpr: float, top: float, height: float
    ) -> tuple[QImage, int, int]:
        """A strip's steps s0 .. s1-1 at one pixel per device pixel, and its first pixel's x and y.

        Each pixel takes the step (and the strip row) under its centre. Drawn unscaled, a strip then
        looks the same however a repaint is clipped (a scaled image is sampled from where each
        clipped span starts, so a column on a step boundary could take either neighbour's colour),
        and it is a plain copy: from a 1-pixel-high image scaled to a row's height, Qt's scaling
        cost a Wrec step about 0.2 ms over the five strips. The image is premultiplied ARGB32,
        the format the raster engine blends without converting.

        strip: the colour of each step, and None for a row of cells, else the gradient bars'
        heights (of GRAD_STRIP_H rows, hanging from the top).
        """
        key = (id(strip), top, height, lay.pitch, lay.origin, s0, s1, dpr)
        hit = self._wide.get(key)
        if hit is not None:
            return hit[:3]
        if len(self._wide) > 4 * (self._L + 4):  # an old layout's: drop them all
            self._wide.clear()
        grid = ("columns", lay.pitch, lay.origin, s0, s1, dpr)
        if len(self._grids) > 64:  # old layouts'
            self._grids.clear()
        columns = self._grids.get(grid)  # which step each pixel column shows (the same for every strip)
        if columns is None:
            x0 = math.ceil((lay.cx(s0) - 0.5 * lay.pitch) * dpr - 0.5)
            x1 = math.ceil((lay.cx(s1) - 0.5 * lay.pitch) * dpr - 0.5)
            centres = (np.arange(x0, max(x1, x0 + 1)) + 0.5) / dpr
            steps = np.clip(np.floor((centres - lay.origin) / lay.pitch).astype(int) - 1, s0, s1 - 1)
            columns = self._grids[grid] = (steps, x0)
        steps, x0 = columns
        colours, bars = strip
        h = 1 if bars is None else GRAD_STRIP_H
        rows_key = ("rows", top, height, dpr, h)
        if rows_key not in self._grids:  # the device rows whose centres lie inside [top, top + height), ...
            y0, rows = dg.pixels_over(top * dpr, height * dpr / h, h)  # ... each showing the strip row under it
            rows = rows if rows.size else np.zeros(1, np.intp)  # (at least one)
            self._grids[rows_key] = (rows, y0, np.arange(rows.size, dtype=np.int32)[:, None])
        rows, y0, down = self._grids[rows_key]
        wide = colours.take(steps)  # (W,) the colour of each pixel column
        if bars is None:
            tall = np.empty((rows.size, wide.size), np.uint32)
            tall[...] = wide  # every row alike
        else:  # a device row is in a step's bar while the strip row under it is: its first `filled` rows
            filled = np.searchsorted(rows, bars).astype(np.int32).take(steps)  # (W,)
            tall = np.subtract(down, filled)  # (rows, W): negative inside the bar ...
            np.right_shift(tall, 31, out=tall)  # ... so all ones there, else 0: ...
            tall = np.bitwise_and(tall.view(np.uint32), wide, out=tall.view(np.uint32))  # ... a mask of the colours
        w = wide.size
        image = QImage(tall.data, w, tall.shape[0], 4 * w, QImage.Format.Format_ARGB32_Premultiplied)
        self._wide[key] = hit = (image, x0, y0, tall)  # the image shares tall's memory, kept with it
        return hit[:3]

    def _axis_reach(self, lay: _Layout) -> float:
        """How far from the current step's column its label (and the labels it hides) may reach."""
        fm = QFontMetricsF(self._font)
        need = fm.horizontalAdvance(f"t={self._T - 1}") + 0.8 * lay.em  # a label's room (its text is narrower)
        widest = QFontMetricsF(self._bold).horizontalAdvance(f"t = {self._T - 1}") + lay.em
        # labels within (widest + need) / 2 hide; their text reaches need / 2 further; the current step's
        # label may be pushed inward by up to widest / 2 at the ends of the axis
        return widest + need + 0.5 * lay.em

    def _paint_axis(self, p: QPainter, lay: _Layout) -> None:
        """Step numbers under the columns, and the current step in the cursor colour."""
        fm = QFontMetricsF(self._font)
        h = fm.height()
        y = lay.area.bottom() + 0.2 * lay.em
        need = fm.horizontalAdvance(f"t={self._T - 1}") + 0.8 * lay.em
        every = next((k for k in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000) if k * lay.pitch >= need), 1000)
        cur = self._t
        cur_w = QFontMetricsF(self._bold).horizontalAdvance(f"t = {cur}") + lay.em
        p.setFont(self._font)
        p.setPen(self._ink(0.6))
        for s in self._visible_steps(lay):
            if s < 0 or s % every or abs(lay.cx(s) - lay.cx(cur)) < 0.5 * (cur_w + need):
                continue
            label = f"t={s}" if every == 1 and lay.pitch >= need + lay.em else str(s)
            dg.centered_text(p, QPointF(lay.cx(s), y + 0.5 * h), label, 2 * need, h)
        if lay.pitch >= 2.5 * lay.em and lay.cx(-1) > lay.area.left():
            dg.centered_text(p, QPointF(lay.cx(-1), y + 0.5 * h), "h₋₁", 2 * need, h)
        if 0 <= cur < self._T:
            p.setFont(self._bold)
            x = min(max(lay.cx(cur) - 0.5 * cur_w, 2.0), self.width() - cur_w - 2.0)
            rect = QRectF(x, y, cur_w, h)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(self._cursor)
            p.drawRoundedRect(rect, 0.3 * h, 0.3 * h)
            p.setPen(dg.text_on(self._cursor))
            p.drawText(rect, Qt.AlignmentFlag.AlignCenter, f"t = {cur}")

    def _name_font(self, lay: _Layout) -> QFont:
        """The row names' font: bold, and smaller where rows are closer than its line (large fonts, a short view)."""
        if lay.row_h >= lay.em:
            return self._bold
        font = QFont(self._bold)
        font.setPixelSize(max(6, math.floor(0.95 * lay.row_h)))
        return font

    def _paint_gutter(self, p: QPainter, lay: _Layout) -> None:
        """Row names at the left: loss, y, h (per layer), x."""
        y_loss, y_y, y_h, y_x = self._rows(lay)
        p.fillRect(QRectF(0, lay.area.top(), lay.area.left() - 2, lay.area.height()), self._bg)
        p.setFont(self._name_font(lay))
        p.setPen(self._ink(0.8))
        names = [("loss", y_loss), ("y", y_y), ("x", y_x)]
        names += [("h" if self._L == 1 else f"h{k + 1}", y) for k, y in enumerate(y_h)]
        for name, y in names:
            p.drawText(QRectF(0.2 * lay.em, y - lay.em, lay.area.left() - 0.8 * lay.em, 2 * lay.em), AlignRightV, name)
        line = self.bars_name_line(lay)
        if line is not None and lay.dense and not self._folded and self._phase == "backward":
            top, room = line
            body = QFontMetricsF(self._font).height()
            p.setFont(self._font if room >= body else self._scaled(self._font, room / body))
            p.setPen(self._ink(0.6))
            for y in y_h:
                rect = QRectF(0.2 * lay.em, y + top, lay.area.left() - 0.8 * lay.em, room)
                p.drawText(rect, AlignRightV, "∂L/∂h")

    def bars_name_line(self, lay: _Layout) -> tuple[float, float] | None:
        """Where the name of the gradient bars under an h strip goes: (its top below h's row, its
        height), a line centred on the bars and clear of the name h above it (at presentation type in
        a short view the two overlapped); its type shrinks to the line, and below 0.6 em there is none."""
        centre = 0.35 * lay.row_h  # below h's row: the bars' middle
        room = 2 * centre - QFontMetricsF(self._name_font(lay)).height()
        return (centre - 0.5 * room, room) if room >= 0.6 * lay.em else None

    def _narrow_header(self, em: float) -> bool:
        """Whether the view is too narrow (in ems: large fonts) for the title and the legends side by side."""
        return self.width() < NARROW_HEADER_EM * em

    def _header_rects(self, lay: _Layout) -> tuple[QRectF, QRectF, QRectF]:
        """The header's title line, its line of numbers (which frames change) and the legends.

        An empty rectangle for what a short view leaves out of its header (see _header_mode).
        """
        em, h = lay.em, QFontMetricsF(self._font).height()
        W = float(self.width())
        legend_w = 16.0 * em
        if lay.header == "minimal":  # the line of numbers alone, on the full width
            return QRectF(), QRectF(0.6 * em, 0.3 * em, max(10.0, W - 1.2 * em), h), QRectF()
        if self._narrow_header(em):  # title and numbers on the full width, the legends below them
            line1 = QRectF(0.6 * em, 0.3 * em, max(10.0, W - 1.2 * em), h)
            line2 = QRectF(line1.left(), line1.bottom() + 0.25 * em, line1.width(), h)
            if lay.header != "full":
                return line1, line2, QRectF()
            legends = QRectF(line1.left(), line2.bottom() + 0.35 * em, min(legend_w, line1.width()), 2 * h + 0.25 * em)
            return line1, line2, legends
        line1 = QRectF(0.6 * em, 0.3 * em, max(10.0, W - legend_w - 1.6 * em), h)
        line2 = QRectF(line1.left(), line1.bottom() + 0.25 * em, line1.width(), h)
        return line1, line2, QRectF(W - legend_w - 0.6 * em, 0.3 * em, legend_w, 2 * h + 0.25 * em)

    def _title_texts(self) -> tuple[str, list[str]]:
        """The header's first line: the title, and what follows it, longest first.

        The last forms keep Wrec's number whole: "ρ = 1.00", then nothing (the eigenvalue plot's
        header says it too), never an elided "ρ(Wₕₕ) = 1…".
        """
        title = f"Folded · T = {self._T}" if self._folded else f"Unrolled through time · T = {self._T}"
        long = TOPOLOGY_TEXT[self._topology]
        wrec = self._wrec_text
        return title, [f"{wrec} · {long}", f"{wrec} · {long.split(':')[0]}", wrec, self._wrec_short, ""]

    def _paint_header(self, p: QPainter, lay: _Layout) -> None:
        """The title and the current step's numbers at the left, the two legends at the right."""
        line1, line2, legends = self._header_rects(lay)
        if not line1.isEmpty() and self._touches(line1):
            title, subs = self._title_texts()
            self._text_pair(p, line1, title, subs, self._ink(0.95), self._ink(0.6), keep_lead=True)
        if not legends.isEmpty() and self._touches(legends):
            self._paint_legends(p, lay, legends)
        if not self._touches(line2):
            return
        lead, forms = self.step_number_forms()
        self._text_pair(p, line2, lead, forms, self._cursor, self._ink(0.85), LINE2_MIN_SCALE, self.step_number_fewer())

    def _step_values(self) -> tuple[str, list[tuple[str, str]], str | None]:
        """The current frame's lead, its (name, number) pairs, and the gradient's step ratio (BPTT)."""
        t = self._t
        if self._phase == "forward":
            # the nodes show one number each: unit 1 of h (feature 1 of x and y) of the first example
            h, x, y = (f"{name} ({what} 1)" if n > 1 else name for name, what, n in self._value_names)
            values = [(h, self._text("h", self._L - 1, t))]
            if self._y_used[t]:  # many-to-one: no output before the last step
                values.append((y, self._text("y", 0, t)))
            if self._has_input[t]:
                values.insert(0, (x, self._text("x", 0, t)))
            if self._scored[t]:
                values.append(("loss term", self._text("loss", 0, t)))
            return f"forward  t = {t}", values, None
        g = self._grad[-1]
        ratio = None
        if self.session.trace.cut_at(t):
            ratio = CUT  # the 0 there is truncation's cut, not a factor: said so, as the Equations do
        elif t > 0 and np.isfinite(g[t]) and g[t] > 0 and np.isfinite(g[t - 1]):
            with np.errstate(all="ignore"):
                ratio = dg.number(g[t - 1] / g[t], 3)  # as the Equations and the eigenvalue plot write it
        return f"BPTT  t = {t}", [("‖∂L/∂h‖", dg.fmt(g[t]))], ratio

    def step_numbers(self) -> tuple[str, list[str]]:
        """The header's second line: the phase and step in bold, then the numbers at that step."""
        lead, values, ratio = self._step_values()
        parts = [f"{name} = {v}" for name, v in values]
        t = self._t
        if ratio is CUT:
            parts.append(f"(step {t}→{t - 1}: {CUT})")
        elif ratio is not None:  # the step this frame takes, t → t−1: as the Equations and the eigenvalue plot say it
            parts.append(f"(gradient ‖∂L/∂h‖ ratio, step {t}→{t - 1}: × {ratio})")
        return lead, parts

    def step_number_forms(self) -> tuple[str, list[str]]:
        """The second line's lead and its numbers in words from the longest to the shortest.

        Every form has every number whole; shorter ones drop words (the ratio's name, then its
        step, which the lead already says), so a narrow header still shows the ratio it is for.
        See step_number_fewer for the forms with fewer numbers, for when none of these fits.
        """
        lead, values, ratio = self._step_values()
        if self._phase == "forward":
            short = [("loss" if name == "loss term" else name.split(" (")[0], v) for name, v in values]
            return lead, [
                "   ".join(f"{name} = {v}" for name, v in values),
                "  ".join(f"{name} = {v}" for name, v in short),
                "  ".join(f"{name}={v}" for name, v in short),
            ]
        norm = f"‖∂L/∂h‖ = {values[0][1]}"
        if ratio is None:
            return lead, [norm]
        t = self._t
        step = f"{t}→{t - 1}"
        if ratio is CUT:
            return lead, [
                "   ".join(self.step_numbers()[1]),
                f"{norm}   ({step}: {CUT})",
                f"{norm}   ({CUT_SHORT})",
                norm,
            ]
        return lead, [
            "   ".join(self.step_numbers()[1]),
            f"{norm}   (gradient ratio, step {step}: × {ratio})",
            f"{norm}   (step {step}: × {ratio})",
            f"{norm}   ({step}: × {ratio})",
            f"{norm}   {step}: × {ratio}",
            f"{norm}   ratio × {ratio}",
            f"{norm}   × {ratio}",
        ]

    def step_number_fewer(self) -> list[str]:
        """Forward frames: the line of numbers with fewer of them, for when even its shortest whole
        form does not fit at the smallest type: without the loss, then y, then x (h, the one the
        diagram is about, stays). Each number left is whole."""
        if self._phase != "forward":
            return []
        _, values, _ = self._step_values()
        values = [(name.split(" (")[0], v) for name, v in values if name != "loss term"]
        out = []
        for drop in ("loss", "y", "x"):
            values = [(name, v) for name, v in values if name != drop]
            text = "  ".join(f"{name}={v}" for name, v in values)
            if not out or text != out[-1]:
                out.append(text)
        return out

    def numbers_line(self) -> tuple[str, str, float]:
        """The second line as the header draws it now: its lead, its text and the scale of its type."""
        lay = self._layout()
        lead, forms = self.step_number_forms()
        return self._fit_pair(
            self._header_rects(lay)[1].width(), lead, forms, LINE2_MIN_SCALE, self.step_number_fewer()
        )

    def _scaled(self, font: QFont, scale: float) -> QFont:
        if scale == 1.0:
            return font
        out = QFont(font)
        if font.pixelSize() > 0:
            out.setPixelSize(max(1, round(font.pixelSize() * scale)))
        else:
            out.setPointSizeF(font.pointSizeF() * scale)
        return out

    def _fit_pair(
        self, width: float, bold: str, texts: list[str], min_scale: float, fewer: list[str] | None = None
    ) -> tuple[str, str, float]:
        """A bold lead and the first of texts (longest first) that fits beside it in width pixels;
        if none does, the shortest in type shrunk down to min_scale of its size, then the first of
        fewer (forms with fewer numbers, each whole) that fits in that type (the lead's double spaces
        single if need be: two-digit numbers such as h = −0.022 are a character longer), else elided."""
        scale = 1.0
        while True:
            fr = self._scaled(self._font, scale)
            room = max(0.0, width - self._lead_width(bold, scale))
            fm = QFontMetricsF(fr)
            for text in texts if scale == 1.0 else texts[-1:]:
                if fm.horizontalAdvance(text) <= room:
                    return bold, text, scale
            if scale - 0.05 < min_scale - 1e-9:
                break
            scale = round(scale - 0.05, 2)
        tight = " ".join(bold.split())  # 'forward t = 0': a space fewer in the lead before a number is cut
        for text in fewer or []:
            for lead in (bold, tight):
                room = max(0.0, width - self._lead_width(lead, scale))
                if fm.horizontalAdvance(text) <= room:
                    return lead, text, scale
        fm = QFontMetricsF(self._font)
        room = max(0.0, width - self._lead_width(bold, 1.0))
        return bold, fitting_text(fm, room, texts), 1.0

    def _lead_width(self, bold: str, scale: float) -> float:
        """The bold lead's width with the three spaces that part it from the rest, at scale of its type
        (kept: a Wrec step changes the rest, not the lead; the widths go with the font, see _make_luts)."""
        key = (bold, scale)
        w = self._lead_widths.get(key)
        if w is None:
            if len(self._lead_widths) > 64:
                self._lead_widths.clear()
            w = self._lead_widths[key] = QFontMetricsF(self._scaled(self._bold, scale)).horizontalAdvance(bold + "   ")
        return w

    def _text_pair(
        self,
        p: QPainter,
        rect: QRectF,
        bold: str,
        rest: str | list[str],
        c1: QColor,
        c2: QColor,
        min_scale=1.0,
        fewer: list[str] | None = None,
        keep_lead: bool = False,
    ) -> None:
        """A bold lead and a plain rest on one line: the first of the rests (longest first) that fits,
        else the last one in smaller type (down to min_scale), else one of fewer, else elided.
        keep_lead: the lead is painted once into an image and copied while it stays."""
        texts = [rest] if isinstance(rest, str) else rest
        bold, text, scale = self._fit_pair(rect.width(), bold, texts, min_scale, fewer)
        w = self._lead_width(bold, scale)
        fb = self._scaled(self._bold, scale)

        def lead(q: QPainter) -> None:
            q.setFont(fb)
            q.setPen(c1)
            q.drawText(rect, AlignLeftV, bold)

        if keep_lead:  # in an image: a Wrec step changes the title's rest, not its lead (see _stamp)
            key = ("lead", bold, scale, c1.rgba(), rect.left(), rect.top(), rect.width(), rect.height())
            self._stamp(p, key, QRectF(rect.left(), rect.top(), min(w, rect.width()), rect.height()), lead)
        else:  # the numbers' lead names the frame: an image would be painted for one frame only
            lead(p)
        fr = self._scaled(self._font, scale)
        p.setFont(fr)
        p.setPen(c2)
        p.drawText(rect.adjusted(w, 0, 0, 0), AlignLeftV, text)

    def gradient_legend(self) -> str:
        """What the ‖∂L/∂h‖ legend says: its scale ('1e−1 … 1e1'), or that there is no gradient."""
        return NO_GRADIENT if self._grad_none else f"{dg.decade(self._grad_lo)} … {dg.decade(self._grad_hi)}"

    def _paint_legends(self, p: QPainter, lay: _Layout, rect: QRectF) -> None:
        """Values: the diverging colour bar and the non-finite swatch. Gradients: widths on the log scale.

        Each line is drawn once into an image and then copied (see _stamp): a Wrec step keeps the
        value legend, and the gradient legend while its decades stay, and their text was a third
        of the header's cost.
        """
        fm = QFontMetricsF(self._font)
        h = fm.height()
        lab_w = fm.horizontalAdvance("‖∂L/∂h‖ ")
        y = rect.top()
        place = (rect.left(), rect.right(), y, lay.em, h)
        self._stamp(p, ("values", *place), QRectF(rect.left(), y, rect.width(), h),
                    lambda q: self._paint_value_legend(q, lay, rect, y, lab_w))  # fmt: skip
        # the swatch's hatching on the view itself: a pattern is laid from the painter's device origin
        p.fillRect(self._swatch(lay, rect, h), dg.nonfinite_brush())
        y += h + 0.25 * lay.em
        active = self._phase == "backward"
        key = ("gradients", *place, lay.r, active, self._grad_none, self._grad_lo, self._grad_hi)
        self._stamp(p, key, QRectF(rect.left(), y, rect.width(), h),
                    lambda q: self._paint_gradient_legend(q, lay, rect, y, lab_w, active))  # fmt: skip

    def _stamp(self, p: QPainter, key: tuple, rect: QRectF, draw) -> None:
        """What draw(painter) paints inside rect, over the background, painted once into an image
        of the device pixels around rect and copied on the next repaints with the same key.

        The image is painted as the view is (its painter's origin at the same place within a
        device pixel) and copied pixel for pixel, so it looks the same; whatever else lies in
        rect is painted over. The images go with the theme and the font (see _make_luts).
        """
        dpr = self.devicePixelRatioF()
        key = (*key, dpr)
        image = self._stamps.get(key)
        if image is None:
            if len(self._stamps) > 16:  # old layouts' and scales'
                self._stamps.clear()
            x0, y0 = math.floor(rect.left() * dpr), math.floor(rect.top() * dpr)
            x1, y1 = math.ceil(rect.right() * dpr), math.ceil(rect.bottom() * dpr)
            image = QImage(max(1, x1 - x0), max(1, y1 - y0), QImage.Format.Format_ARGB32_Premultiplied)
            image.setDevicePixelRatio(dpr)
            image.fill(self._bg)
            q = QPainter(image)
            q.setRenderHint(QPainter.RenderHint.Antialiasing)
            q.translate(-x0 / dpr, -y0 / dpr)
            draw(q)
            q.end()
            self._stamps[key] = image = (image, QPointF(x0 / dpr, y0 / dpr))
        p.drawImage(image[1], image[0])

    @staticmethod
    def _swatch(lay: _Layout, rect: QRectF, h: float) -> QRectF:
        """The value legend's swatch of a non-finite value."""
        return QRectF(rect.right() - 3.2 * lay.em, rect.top() + 0.15 * h, 0.9 * lay.em, 0.7 * h)

    def _paint_value_legend(self, p: QPainter, lay: _Layout, rect: QRectF, y: float, lab_w: float) -> None:
        """The diverging colour bar from −1 to +1, and the swatch of a non-finite value."""
        fm = QFontMetricsF(self._font)
        em, h = lay.em, fm.height()
        p.setFont(self._font)
        p.setPen(self._ink(0.75))
        p.drawText(QRectF(rect.left(), y, lab_w, h), AlignLeftV, "value")
        low, high = VALUE_ENDS
        bar_l = rect.left() + lab_w + fm.horizontalAdvance(low + " ")
        bar = QRectF(bar_l, y + 0.2 * h, rect.right() - bar_l - fm.horizontalAdvance(f" {high} ") - 3.4 * em, 0.6 * h)
        grad = QLinearGradient(bar.topLeft(), bar.topRight())
        for j in range(0, dg.LUT_SIZE, 16):
            grad.setColorAt(j / (dg.LUT_SIZE - 1), self._vlut[j])
        grad.setColorAt(1.0, self._vlut[-1])
        p.fillRect(bar, grad)
        p.drawText(QRectF(bar_l - 3 * em, y, 2.8 * em, h), AlignRightV, low)
        p.drawText(QRectF(bar.right() + 0.2 * em, y, 3 * em, h), AlignLeftV, high)
        sw = self._swatch(lay, rect, h)
        p.fillRect(sw, QColor(dg.NONFINITE_FILL))  # (hatched by _paint_legends)
        p.drawText(QRectF(sw.right() + 0.2 * em, y, 2.2 * em, h), AlignLeftV, "NaN")

    def _paint_gradient_legend(
        self, p: QPainter, lay: _Layout, rect: QRectF, y: float, lab_w: float, active: bool
    ) -> None:
        """The widths and colours of gradient norms on their log scale (faint outside BPTT)."""
        fm = QFontMetricsF(self._font)
        em, h = lay.em, fm.height()
        p.setFont(self._font)
        p.setPen(self._ink(0.75 if active else 0.35))
        p.drawText(QRectF(rect.left(), y, lab_w, h), AlignLeftV, "‖∂L/∂h‖")
        if self._grad_none:  # a scale of widths for gradients that do not exist would read as measured
            p.setPen(self._ink(0.75))
            p.drawText(QRectF(rect.left() + lab_w, y, rect.right() - rect.left() - lab_w, h), AlignLeftV, NO_GRADIENT)
            return
        lo, hi = self._grad_lo, self._grad_hi
        x = rect.left() + lab_w
        marks = [lo, float(round(0.5 * (lo + hi))), hi] if hi - lo >= 2 else [lo, hi]
        need = 2.0 * em + max(fm.horizontalAdvance(dg.decade(m)) for m in marks) + 0.4 * em
        if len(marks) * need > rect.right() - x:  # long exponents: the two ends only
            marks = [lo, hi]
        seg = (rect.right() - x) / len(marks)
        for m in marks:
            u = (m - lo) / (hi - lo)
            c = self._glut[round(u * (dg.LUT_SIZE - 1))]
            pen = QPen(c if active else dg.with_alpha(c, 0.35), min(self._grad_width(lay, u), 0.8 * h))
            pen.setCapStyle(Qt.PenCapStyle.FlatCap)
            p.setPen(pen)
            p.drawLine(QPointF(x + 0.1 * em, y + 0.5 * h), QPointF(x + 1.6 * em, y + 0.5 * h))
            p.setPen(self._ink(0.75 if active else 0.35))
            p.drawText(QRectF(x + 1.8 * em, y, seg - 1.8 * em, h), AlignLeftV, dg.decade(m))
            x += seg

    def _paint_folded(self, p: QPainter, lay: _Layout) -> None:
        """One column, valued at the current step: x → h (a loop per layer) → y → loss."""
        y_loss, y_y, y_h, y_x = self._rows(lay)
        r, t = lay.r, self._t
        cx = lay.area.left() + 0.4 * lay.area.width()
        bw = self._base_width(lay)
        head = max(6.0, min(14.0, 0.38 * r))
        back = self._phase == "backward"
        pen, loss_pen = QPen(self._ink(0.55), bw), QPen(self._accent, 1.4 * bw)
        fm = QFontMetricsF(self._font)
        if self._has_input[t]:
            dg.arrow(p, QPointF(cx, y_x - 0.8 * r), QPointF(cx, y_h[0] + r), pen, head)
        for k in range(self._L - 1):
            a, b = QPointF(cx, y_h[k] - r), QPointF(cx, y_h[k + 1] + r)
            dg.arrow(p, b, a, loss_pen, head) if back else dg.arrow(p, a, b, pen, head)
        a, b = QPointF(cx, y_h[-1] - r), QPointF(cx, y_y + 0.8 * r)
        dg.arrow(p, b, a, loss_pen, head) if back and self._scored[t] else dg.arrow(p, a, b, pen, head)
        a, b = QPointF(cx, y_y - 0.8 * r), QPointF(cx, y_loss + 0.5 * r)
        if self._scored[t]:
            dg.arrow(p, b, a, loss_pen, head) if back else dg.arrow(p, a, b, pen, head)
        else:
            dg.arrow(p, a, b, QPen(self._ink(0.2), bw, Qt.PenStyle.DashLine), head)
        for k in range(self._L):  # the temporal loops
            y = y_h[k]
            ang = math.radians(40)
            start = QPointF(cx + r * math.cos(ang), y - r * math.sin(ang))
            end = QPointF(cx + r * math.cos(ang), y + r * math.sin(ang))
            reach = 2.5 * r
            path = QPainterPath(start)
            path.cubicTo(QPointF(cx + reach, y - 1.6 * r), QPointF(cx + reach, y + 1.6 * r), end)
            if back and self._edge_state[k, t] == 0:  # what step t sends back round the loop
                lp = QPen(self._glut[self._edge_idx[k, t]], self._grad_width(lay, self._edge_u[k, t]))
            elif back:
                lp = QPen(
                    QColor(dg.NONFINITE_FILL) if self._edge_state[k, t] == 2 else self._ink(0.45),
                    2.0,
                    Qt.PenStyle.DashLine,
                )
            else:
                lp = QPen(self._ink(0.7), 1.6 * bw)
            lp.setCapStyle(Qt.PenCapStyle.FlatCap)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.setPen(lp)
            p.drawPath(path)
            # the arrowhead: into h_t forward; backward, the gradient leaves h_t along the loop
            tip, frm = (end, path.pointAtPercent(0.85)) if not back else (start, path.pointAtPercent(0.15))
            dg.arrow(p, frm, tip, QPen(lp.color(), 1.0), head + 0.6 * lp.widthF())
            lx = cx + 0.8 * reach + 0.6 * lay.em
            p.setFont(self._bold)
            p.setPen(self._ink(0.9))
            p.drawText(QRectF(lx, y - fm.height(), 24 * lay.em, fm.height()), AlignLeftV, self._wrec_text)
            p.setFont(self._font)
            p.setPen(self._ink(0.65))
            sub = "h(t−1) → h(t): the same weights at every step"
            if back:
                sub = f"‖∂L/∂h‖ at t = {t}: {dg.fmt(self._grad[k, t])}"
            p.drawText(QRectF(lx, y, 24 * lay.em, fm.height()), AlignLeftV, sub)
        for k in range(self._L):  # the nodes, valued at step t
            st = "lit" if self._h_ok[k, t] else "bad"
            self._node(
                p, lay, "circle", QPointF(cx, y_h[k]), r, self._vlut[self._h_idx[k, t]], self._text("h", k, t), st
            )
        st = "ghost" if not self._has_input[t] else ("lit" if self._x_ok[t] else "bad")
        self._node(p, lay, "box", QPointF(cx, y_x), r, self._vlut[self._x_idx[t]], self._text("x", 0, t), st)
        st = "ghost" if not self._y_used[t] else ("lit" if self._y_ok[t] else "bad")
        self._node(p, lay, "box", QPointF(cx, y_y), 0.8 * r, self._vlut[self._y_idx[t]], self._text("y", 0, t), st)
        self._loss_node(p, lay, QPointF(cx, y_loss), t, bool(self._scored[t]))
        p.setFont(self._bold)  # the step it shows, left of h
        label = f"t = {t}"
        w = QFontMetricsF(self._bold).horizontalAdvance(label) + lay.em
        rect = QRectF(cx - r - 0.8 * lay.em - w, y_h[-1] - 0.5 * fm.height(), w, fm.height())
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(self._cursor)
        p.drawRoundedRect(rect, 0.3 * fm.height(), 0.3 * fm.height())
        p.setPen(dg.text_on(self._cursor))
        p.drawText(rect, Qt.AlignmentFlag.AlignCenter, label)

    # ---- zoom, pan, hover -----------------------------------------------------------------
    def wheelEvent(self, event) -> None:
        """Zoom the time axis around the cursor."""
        steps = event.angleDelta().y() / 120.0
        if self._folded or steps == 0:
            return
        lay = self._layout()
        fit = min(lay.area.width() / (self._T + 1), MAX_PITCH_EM * lay.em)
        pitch = max(fit, min(MAX_ZOOM_PITCH_EM * lay.em, lay.pitch * 1.2**steps))
        mx = event.position().x()
        u = (mx - lay.origin) / lay.pitch  # the time under the cursor stays put
        self._zoom_pitch = None if pitch <= fit * 1.0001 else pitch
        self._origin = mx - u * pitch
        self.update()
        event.accept()

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton and not self._folded:
            self._drag = (event.position().x(), self._layout().origin)
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        """Pan along time."""
        if self._drag is not None:
            x0, origin0 = self._drag
            self._origin = origin0 + event.position().x() - x0
            self.update()
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        self._drag = None
        self.setCursor(Qt.CursorShape.OpenHandCursor)
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event) -> None:
        self.reset_zoom()
        super().mouseDoubleClickEvent(event)

    def event(self, event) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            text = self._tooltip(QPointF(event.pos()))
            QToolTip.showText(event.globalPos(), text, self) if text else QToolTip.hideText()
            return True
        return super().event(event)

    def _tooltip(self, pos: QPointF) -> str:
        """The exact numbers of the step under the cursor."""
        lay = self._layout()
        if pos.y() < lay.area.top():
            return self._header_tooltip(lay)
        if self._folded:
            s = self._t
        elif lay.area.contains(pos):
            s = lay.step_at(pos.x())
        else:
            return ""
        if not 0 <= s < self._T:
            return ""
        lines = [f"t = {s}"]
        if self._has_input[s]:
            lines.append(f"x = {self._x[s]:.6g}")
        for k in range(self._L - 1, -1, -1):
            name = "h" if self._L == 1 else f"h{k + 1}"
            lines.append(
                f"{name} = {self._h[k, s]:.6g}   ‖∂L/∂{name}‖ = {self._grad[k, s]:.4g}   "
                f"sent back to the step before: {self._carried[k, s]:.4g}"
            )
        lines.append(f"y = {self._y[s]:.6g}")
        if self._scored[s]:
            lines.append(f"loss term = {self._loss[s]:.6g}")
        return "\n".join(lines)

    def _header_tooltip(self, lay: _Layout) -> str:
        """What a short view's header leaves out: its title and the legends."""
        line1, _, legends = self._header_rects(lay)
        if not (line1.isEmpty() or legends.isEmpty()):
            return ""
        title, subs = self._title_texts()
        lo, hi = self._vlut[0].name(), self._vlut[-1].name()
        sw = "<span style='color:{}'>■</span>"
        lines = [f"<b>{title}</b>", subs[0]]
        low, high = VALUE_ENDS
        lines.append(f"value: {sw.format(lo)} {low} … {sw.format(hi)} {high}, hatched grey: inf or NaN")
        lines.append(
            f"‖∂L/∂h‖: {NO_GRADIENT}"
            if self._grad_none
            else "‖∂L/∂h‖ (BPTT, log scale: the bars under h; an edge's width and colour: what the step "
            f"sends back to the one before): "
            f"{dg.decade(self._grad_lo)} … {dg.decade(self._grad_hi)}"
        )
        return "<br>".join(lines)
