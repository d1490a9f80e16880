"""The main window: the unrolled diagram, the plots, the controls and the equations around one Session.

Layout: the transport toolbar on top, the overflow banner under it, the diagram (and the cell
drawing) above the four plots in the middle, the controls on the left, the equations on the
right. Panels are dock widgets; their layout is remembered between runs in QSettings.
"""

from __future__ import annotations

import os
import re
import sys

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import (
    QByteArray,
    QCoreApplication,
    QEvent,
    QObject,
    QSettings,
    QSignalBlocker,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QCloseEvent, QFontMetricsF, QPainter, QTextDocumentFragment
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDockWidget,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QTabBar,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from simulator.config import LIMITS

from . import export
from . import theme as theme_mod
from .commands import COMMANDS, MENUS, create_actions
from .controls import ControlsPanel
from .diagram import fmt as value_text  # the remedies' numbers as the controls write them
from .formula_view import FormulaView
from .lesson_panel import LessonPanel
from .plots import PlotsPanel, RichLabel, current_frame, fmt
from .presentation import Presentation
from .scenario_files import ScenarioFiles
from .session import Player, Session
from .soon import soon
from .training_view import TrainingPanel
from .transport import PhaseLabel, Timeline
from .undo import ConfigHistory

try:  # built in parallel by another engineer; the window runs without them
    from .unrolled_view import UnrolledView
except Exception as exc:
    UnrolledView = None
    UNROLLED_VIEW_ERROR = f"{type(exc).__name__}: {exc}"
try:
    from .cell_view import CellView
except Exception as exc:
    CellView = None
    CELL_VIEW_ERROR = f"{type(exc).__name__}: {exc}"

BASE_FPS = 6.0  # frames per second at speed 1×
SPEEDS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0)
DEFAULT_SIZE = QSize(1600, 1000)
DOCK_MIN_WIDTH_CAP = 440  # px: a side panel may not demand more (it scrolls instead)
HINT = "Space plays the forward pass and then BPTT · drag Wrec and watch the plots"  # the status bar's own
CONTROLS_MIN_WIDTH_CAP = 400  # px: the controls scroll sideways at large fonts rather than squeeze the plots
DOCK_MIN_HEIGHT_CAP = 300  # px: nor taller (the window must fit a 1280×720 screen)
SETTINGS_VERSION = 1
DIAGRAM_MIN_HEIGHT = 120  # px: the unrolled diagram's header and a row of cells
DIAGRAM_ROW_EM = 1.0  # the diagram's rows at least this many of its line heights apart (its compact header) ...
DIAGRAM_MOST = 0.55  # ... if that is at most this share of the centre's height; the plots scroll below it
LARGE = 1.2  # Qt's font-size:large: the verdict's size relative to the toolbar's words
PLOT_VIEW_MIN = 60  # px: the least height of a plot's data area (its view box), at every font scale
SIDE_DOCK_SHARE = 0.3  # the most of the window's width the training or lesson dock takes when it opens
CONTROLS_SHARE = 0.24  # ... and the controls then, so that the diagram and the plots keep about 40%
CAPTION_ROOM = 1.15  # captions wrap in full only while every plot keeps this many times its least height
SUB = str.maketrans("0123456789+−-=()aehijklmnoprstuvx", "₀₁₂₃₄₅₆₇₈₉₊₋₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ")
SUP = str.maketrans("0123456789+−-=()nitT", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁻⁼⁽⁾ⁿⁱᵗᵀ")
QWIDGETSIZE_MAX = (1 << 24) - 1  # Qt's largest widget size
CENTRAL_MIN = QSize(360, 200)  # px: the diagram and plots take no less; past their own least size they scroll
RIGHT_WIDTH = 420  # px: the equations and the cell, by default (wider at a large font, see _right_width)
FORMULA_RESERVE = 1  # line: the equations' default height keeps this many more than the longest text measured
CENTRE_SHARE = 1 / 3  # the diagram and plots take at least this share of the width beside the side docks ...
CENTRE_ROOM = 1.0  # ... and their least width at the present font (their axes, legends); else one side column
NARROW_HYSTERESIS = 40  # px: the two columns come back only with this much to spare (no flapping on a drag)
SIDE_COLUMN_SHARE = 0.42  # the most of the width the one side column takes
# the one column's five tabs: the first of these titles that fit the column side by side
SHORT_TITLES = (
    {"controls_dock": "Build", "formula_dock": "Equations", "cell_dock": "Cell", "training_dock": "Training",
     "lesson_dock": "Lesson"},
    {"controls_dock": "Build", "formula_dock": "Eqs", "cell_dock": "Cell", "training_dock": "Train",
     "lesson_dock": "Lesson"},
    {"controls_dock": "Build", "formula_dock": "Eq", "cell_dock": "Cell", "training_dock": "Train",
     "lesson_dock": "Less."},
)  # fmt: skip


def remedy_status(config, trace) -> str:
    """The remedies in force and what they did, in a few words ('truncated k=5 · update clipped 6.50→1.00'); '' if none.

    Its numbers as the controls' remedy note writes them (ui.diagram.fmt: 3 digits, 8.8e3).
    """
    parts = []
    if 0 < config.truncate < trace.T:
        parts.append(f"truncated k={config.truncate}")
    norm, clipped = trace.grad_norm, trace.grad_norm_clipped
    if config.clip_value > 0:
        parts.append(f"entries clipped to ±{config.clip_value:g}")
    if config.clip > 0:
        if np.isfinite(norm) and np.isfinite(clipped) and clipped < norm * (1 - 1e-9):
            parts.append(f"update clipped {value_text(norm)}→{value_text(clipped)}")
        else:
            parts.append(f"clip at {config.clip:g} not reached ({value_text(norm)})")
    if config.penalty > 0:
        parts.append(f"penalty Ω = {value_text(trace.penalty_value)}")
    return " · ".join(parts)


# a hidden layer's quantity: its units are those of the Cell panel's unit selector
OVERFLOW_LAYER = re.compile(r"^(?:h_t|c_t|dL/dh_t) of layer (\d+)$")


def overflow_unit(nf) -> tuple[int, int] | None:
    """(layer, unit), both 0-based, where the Cell panel can show what overflowed; None for an output or a weight."""
    m = OVERFLOW_LAYER.match(nf.quantity)
    if m is None or nf.unit is None:
        return None
    return int(m.group(1)) - 1, nf.unit


class OverflowBanner(QFrame):
    """A strip that says what overflowed where; shown while the trace holds a non-finite value.

    "Show that step" moves the playhead there, and `shown` asks the Cell panel for the layer and
    unit that overflowed (the equations and the cell then show the infinite value, not a finite
    neighbour's).
    """

    shown = Signal(int, int)  # layer, unit (0-based)

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.setObjectName("overflow_banner")
        row = QHBoxLayout(self)
        row.setContentsMargins(12, 6, 12, 6)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.RichText)
        row.addWidget(self.label, 1)
        self.show_button = QPushButton("Show that step")
        self.show_button.clicked.connect(self._show_step)
        row.addWidget(self.show_button)
        session.trace_changed.connect(self._on_trace_changed)
        theme_mod.current().changed.connect(self._on_theme_changed)
        self._on_theme_changed()
        self._on_trace_changed(session.trace)

    def _on_trace_changed(self, trace) -> None:
        nf = trace.nonfinite
        self.setVisible(nf is not None)
        if nf is not None:
            from .formula_view import overflow_count, overflow_html

            message = nf.message(trace.net.layers)
            count = overflow_count(trace)
            if count is not None and count[0] < count[1]:  # why the equations' unit can still read a finite number
                bad, units = count
                message += f" ({bad} of its {units} units at that step; the other {units - bad} are still finite)"
            advice = "The animation stops there. Lower Wrec, use a squashing activation (tanh, sigmoid) or fewer steps."
            if self.compact:  # presenting: the advice on hover, so the banner leaves the plots their height
                self.label.setText(f"<b>Overflow:</b> {overflow_html(message)}.")
                self.setToolTip(advice)
            else:
                self.label.setText(f"<b>Overflow:</b> {overflow_html(message)}. {advice}")
                self.setToolTip("")

    compact = False  # presenting: the banner says what overflowed where, its advice is a tooltip

    def set_compact(self, on: bool) -> None:
        """Shorter for a presentation (at 1280×720 its four lines in large type pushed two plots off the screen)."""
        if on != self.compact:
            self.compact = on
            self._on_trace_changed(self.session.trace)

    def _show_step(self) -> None:
        nf = self.session.trace.nonfinite
        where = overflow_unit(nf) if nf is not None else None
        if where is not None:
            self.shown.emit(*where)
        stop = self.session.stop_frame
        if stop is not None:
            self.session.set_frame(stop)

    def _on_theme_changed(self) -> None:
        c = theme_mod.current().colours
        self.setStyleSheet(
            f"#overflow_banner {{ background: {c.exploding}; border-radius: 4px; }}"
            f"#overflow_banner QLabel {{ color: #FFFFFF; }}"
        )


def plain_caption(html: str) -> str:
    """A rich caption as one line of plain text: sub- and superscripts as Unicode where they have one."""

    def script(table: dict, mark: str):
        def repl(m: re.Match) -> str:
            text = m.group(1)
            if all(ord(ch) in table for ch in text):
                return text.translate(table)
            return f"{mark}({text})" if len(text) > 1 else mark + text

        return repl

    html = re.sub(r"<sub>(.*?)</sub>", script(SUB, "_"), html)
    html = re.sub(r"<sup>(.*?)</sup>", script(SUP, "^"), html)
    return " ".join(QTextDocumentFragment.fromHtml(html).toPlainText().split())


_FRESH_AXIS: dict[str, float] = {}


def reset_axis_text_space(axis: pg.AxisItem) -> None:
    """Give an axis the room for its tick labels that a new axis would take at the present font.

    pyqtgraph lets that room shrink only when the labels need 10 px less than it has: after a
    smaller font the axes kept the larger font's room (the plots shorter, their captions cut to
    one line, side-by-side plots' axes apart). Across the axis (left, right) the next paint
    measures the labels again from a new axis's width; along it (bottom, top) the labels are one
    line of the tick font, measured here, so that the plots' least heights are right at once.
    """
    if not _FRESH_AXIS:
        fresh = pg.AxisItem("left")
        _FRESH_AXIS.update(width=float(fresh.textWidth), height=float(fresh.textHeight))
    if axis.orientation in ("left", "right"):
        axis.textWidth = _FRESH_AXIS["width"]
        axis._updateWidth()
    else:
        font = axis.style.get("tickFont") or axis.font()
        need = 0.8 * QFontMetricsF(font).height()  # pyqtgraph's measure of a tick label's height
        start = _FRESH_AXIS["height"]
        axis.textHeight = need if need > start or need < start - 10 else start  # pyqtgraph's rule, from new
        axis._updateHeight()
    axis.picture = None
    axis.update()


def refresh_combo_hints(widget: QWidget) -> None:
    """Make the combo boxes in a widget measure their least size again, for their present font.

    On a font change QComboBox forgets its size hint but keeps its minimum size hint (only a style
    change clears that): after presenting at large type the toolbar's speed box, and with it the
    toolbar, stayed as tall as at that type, and the plots below lost the height.
    """
    for box in widget.findChildren(QComboBox):
        QCoreApplication.sendEvent(box, QEvent(QEvent.Type.StyleChange))
        box.updateGeometry()


def legend_rows_height(legend) -> float:
    """The height a plot's row legend needs at its labels' present font.

    Its own sizing adds up its rows' present heights, and its rows are as tall as the legend
    is: after a smaller font they kept the larger font's height (oversized boxes, text off centre).
    """
    layout = legend.layout
    hint = Qt.SizeHint.PreferredSize
    height = 0.0
    for row in range(layout.rowCount()):
        items = [layout.itemAt(row, col) for col in range(layout.columnCount())]
        height += max((item.effectiveSizeHint(hint).height() for item in items if item is not None), default=0.0)
    _, top, _, bottom = layout.getContentsMargins()
    return height + top + bottom


SENTENCE_END = re.compile(r"(?<=[.!?])\s+")  # where a caption's sentences part


class ShortCaption(QLabel):
    """A plot's caption cut to one line with an ellipsis (the whole caption in its tooltip), for when room is short."""

    def __init__(self, caption: QLabel, parent: QWidget | None = None):
        super().__init__(parent)
        self.caption = caption
        self.full = ""
        self.plain = ""
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.setTextFormat(Qt.TextFormat.PlainText)

    def sync(self) -> None:
        """Take the caption's text, font and colour (a new text only when it changed)."""
        if self.font() != self.caption.font():
            self.setFont(self.caption.font())
        if self.styleSheet() != self.caption.styleSheet():
            self.setStyleSheet(self.caption.styleSheet())
        if self.caption.text() != self.full:
            self.full = self.caption.text()
            self.plain = plain_caption(self.full)
            self.setToolTip(self.full)
        self._elide()

    def resizeEvent(self, event) -> None:
        """Cut the text again for the new width."""
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        """The whole sentences that fit, then "…" for the rest (in the tooltip); a cut word only when
        not even the first sentence fits ("… can explode. Do…" read as a mistake)."""
        width = max(0, self.contentsRect().width())
        metrics = self.fontMetrics()
        text = self.plain
        if metrics.horizontalAdvance(text) > width:
            sentences = SENTENCE_END.split(text)
            kept = ""
            for sentence in sentences:
                longer = f"{kept} {sentence}" if kept else sentence
                if metrics.horizontalAdvance(longer + " …") > width:
                    break
                kept = longer
            if kept:
                text = kept + " …"
            else:
                text = metrics.elidedText(self.plain, Qt.TextElideMode.ElideRight, width)
        if text != self.text():
            self.setText(text)


class HintLabel(QLabel):
    """The status bar's hint: one line, cut with an ellipsis where the bar is narrow (its least width
    is not its text's, so a large font does not make the window wider than the screen)."""

    def minimumSizeHint(self) -> QSize:
        """As narrow as an ellipsis."""
        return QSize(self.fontMetrics().horizontalAdvance("…"), super().minimumSizeHint().height())

    def paintEvent(self, event) -> None:
        """The text, elided to the width."""
        painter = QPainter(self)
        rect = self.contentsRect()
        text = self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, rect.width())
        painter.setPen(self.palette().color(self.foregroundRole()))
        painter.drawText(rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, text)
        painter.end()


class PlotFit(QObject):
    """Keeps every plot's data area at least PLOT_VIEW_MIN high.

    Each plot gets a least height (its axis, legend and a least data area); when the plots panel
    is too low for a caption in full, that caption shrinks to one elided line (the whole text in
    its tooltip). Work happens on a resize, a theme change or a new trace, never per frame.
    """

    def __init__(self, plots: PlotsPanel, parent: QObject | None = None):
        super().__init__(parent)
        self.plots = plots
        self.short_captions: set = set()  # the panels whose caption is down to one line
        self.shorts: dict[object, ShortCaption] = {}
        for panel in plots.plots:
            # the plot's height from its least height and the room, never from its size hint: a
            # pyqtgraph view's hint is the size it last had, which the panel's layout keeps, so the
            # rows of plots came out as whatever layout had gone before (after presenting, the
            # first row 287 px and the second 250 instead of 269 and 268)
            policy = panel.plot_widget.sizePolicy()
            policy.setVerticalPolicy(QSizePolicy.Policy.Ignored)
            panel.plot_widget.setSizePolicy(policy)
            short = ShortCaption(panel.caption_label)
            short.hide()
            panel.layout().addWidget(short)
            self.shorts[panel] = short
            panel.caption_label.installEventFilter(self)  # the one-liner follows the caption's visibility
        self._refit = QTimer(self)  # after a resize, once the legends have rewrapped for the new width
        self._refit.setSingleShot(True)
        self._refit.setInterval(0)
        self._refit.timeout.connect(lambda: self.fit(force=True))
        plots.installEventFilter(self)

    def view_min(self) -> int:
        """The least height of a plot's data area, in px."""
        return PLOT_VIEW_MIN

    def fit(self, force: bool = False) -> None:
        """Least heights for the current fonts and legends, then the captions for the current room."""
        changed = False
        for panel in self.plots.plots:
            item = panel.plot
            overhead = item.getAxis("bottom").maximumHeight() + 12
            legend = getattr(panel, "legend", None)
            if legend is not None and legend.isVisible():
                overhead += legend.minimumHeight()
            need = self.view_min() + round(overhead)
            short = self.shorts[panel]
            if panel.plot_widget.minimumHeight() != need or short.full != panel.caption_label.text():
                panel.plot_widget.setMinimumHeight(need)
                short.sync()
                changed = True
        if changed or force:
            self.fit_captions()

    def fit_to_font(self) -> None:
        """After a font change: the axes' room for their labels and each legend's height as a new
        plot would have them at this font (pyqtgraph keeps a larger font's room after a smaller one)."""
        for panel in self.plots.plots:
            for item in panel.plot_widget.scene().items():
                if isinstance(item, pg.AxisItem):
                    reset_axis_text_space(item)
        self.fit_legends()

    def fit_legends(self) -> None:
        """Each legend as high as its rows need at the present font (after a smaller font, less than now)."""
        for panel in self.plots.plots:
            legend = getattr(panel, "legend", None)
            if legend is None or not legend.items:
                continue
            height = legend_rows_height(legend)
            if abs(legend.minimumHeight() - height) > 0.5 or abs(legend.maximumHeight() - height) > 0.5:
                legend.setMinimumHeight(height)
                legend.setMaximumHeight(height)
                legend.updateGeometry()

    def fit_captions(self) -> None:
        """Each caption in full where its plot keeps room for it, else that caption on one line."""
        shown = [p for p in self.plots.plots if not p.isHidden() and not p.caption_label.isHidden()]
        short = set()
        grid = self.plots.layout()
        rows = {grid.getItemPosition(grid.indexOf(p))[0] for p in self.plots.plots if not p.isHidden()}
        if shown and rows:
            room = (self.plots.height() - grid.spacing() * (len(rows) - 1)) / len(rows)
            cols = max(1, max(grid.getItemPosition(grid.indexOf(p))[1] + 1 for p in shown))
            for panel in shown:
                span = grid.getItemPosition(grid.indexOf(panel))[3]
                width = (self.plots.width() - grid.spacing() * (cols - 1)) * span / cols - 8
                caption = panel.caption_label.heightForWidth(max(1, round(width)))
                header = panel.title_label.sizeHint().height()
                if header + CAPTION_ROOM * panel.plot_widget.minimumHeight() + caption + 8 > room:
                    short.add(panel)
        self.set_collapsed(short)

    @property
    def collapsed(self) -> bool:
        """Whether any caption is down to one line."""
        return bool(self.short_captions)

    def set_collapsed(self, panels: set) -> None:
        """These panels' captions on one line, the others in full."""
        if panels == self.short_captions:
            return
        self.short_captions = panels
        for panel, short in self.shorts.items():
            collapse = panel in panels
            panel.caption_label.setMaximumHeight(0 if collapse else QWIDGETSIZE_MAX)
            short.setVisible(collapse and not panel.caption_label.isHidden())

    def eventFilter(self, obj, event) -> bool:
        """The plots panel resized: captions for the new room; a caption hidden or shown: its one-liner too."""
        kind = event.type()
        if obj is self.plots:
            if kind == QEvent.Type.Resize:
                self.fit_captions()
                self._refit.start()
        elif kind in (QEvent.Type.HideToParent, QEvent.Type.ShowToParent):
            for panel, short in self.shorts.items():
                if panel.caption_label is obj:
                    short.setVisible(panel in self.short_captions and kind == QEvent.Type.ShowToParent)
        return False


class ControlsFit(QObject):
    """The controls dock's least width follows the controls on show, whenever they change.

    A lesson's step that shows another row (LSTM's variant), a new font or presenting changes what
    the controls need; a least width set once left the dock narrower than them and a sideways scroll
    bar cut the Wrec box and the step buttons. The least width is that of the controls with their
    remedy texts wrapped (what they need at the least) plus a vertical scroll bar; not presenting,
    at least the width with those texts on one line while that is under CONTROLS_MIN_WIDTH_CAP.
    """

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window = window
        self._unwrapped: int | None = None  # the controls' least width with the remedy texts on one line
        self._busy = False
        self._pushed: tuple[int, int] | None = None  # (dock, scroll area) widths before a larger need widened them
        self._later = QTimer(self, singleShot=True, interval=0, timeout=self.fit)
        window.controls.installEventFilter(self)
        window.controls.rows_changed.connect(self.invalidate)
        window.theme.changed.connect(self.invalidate)

    def invalidate(self) -> None:
        """Other rows or another font: measure the one-line width again and fit, once the widgets
        have the new font (the theme's signal comes before the application's font reaches them)."""
        self._unwrapped = None
        self._later.start()

    def least_width(self) -> int:
        """The scroll area's least width for the controls shown now."""
        w = self.window
        scrollbar = w.style().pixelMetric(w.style().PixelMetric.PM_ScrollBarExtent)
        least = w.controls.minimumSizeHint().width() + scrollbar
        presentation = getattr(w, "presentation", None)
        if presentation is None or not presentation.active:
            if self._unwrapped is None:
                self._unwrapped = w.controls.unwrapped_width()
            least = max(least, min(self._unwrapped + 12, CONTROLS_MIN_WIDTH_CAP))
        return least

    def fit(self) -> None:
        """Set the least width (the dock widens when the controls need more)."""
        if self._busy or self._later.isActive():  # a new font on its way: measured when it has come
            return
        self._busy = True
        try:
            self._set_least(self.least_width())
        finally:
            self._busy = False

    def _set_least(self, least: int) -> None:
        """The new least width; not presenting, the dock a larger font pushed wider goes back to its
        width when the controls fit it again (Ctrl+ then Ctrl− gives the first layout back)."""
        w = self.window
        scroll, dock = w.controls_scroll, w.controls_dock
        old = scroll.minimumWidth()
        if least == old:
            return
        presentation = getattr(w, "presentation", None)
        if presentation is not None and presentation.active:
            self._pushed = None  # presenting sizes the docks itself; leaving restores them
        elif least > scroll.width() and self._pushed is None and dock.isVisible():
            self._pushed = (dock.width(), scroll.width())  # the dock's width before the controls pushed it
        scroll.setMinimumWidth(least)
        if least < old and self._pushed is not None and least <= self._pushed[1]:
            width, self._pushed = self._pushed[0], None
            if not dock.isFloating():
                w.resizeDocks([dock], [width], Qt.Orientation.Horizontal)

    def eventFilter(self, obj, event) -> bool:
        """The controls laid out again (the layout has answered the request when this sees it): fit."""
        if event.type() == QEvent.Type.FontChange:
            self._unwrapped = None
            self._later.start()
        elif event.type() == QEvent.Type.LayoutRequest:
            self.fit()
        return False


class NarrowLayout(QObject):
    """When the window is too narrow at the present font for the diagram and plots beside both side
    columns (a 1280×720 projector at font 2), the right column's docks become tabs of the left one;
    when it is wide enough again, the layout goes back. The toolbar goes compact when its items do
    not fit, so the transport and the verdict stay on show.

    Never while presenting (it arranges the docks itself) or once the user has sized or moved the
    docks; checked on a resize or a font change, never per frame.
    """

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window = window
        self.wide_state: QByteArray | None = None  # the two-column layout to go back to
        self.compact = False  # the toolbar compact because its items did not fit
        self._full_toolbar: tuple[float, int] | None = None  # (font scale, the toolbar's width with every item)
        self._busy = False
        self.full_titles: dict[QDockWidget, str] = {}  # the docks' own titles while they show short ones
        self.timer = QTimer(self, singleShot=True, interval=0, timeout=self.fit)
        for dock in window.side_docks():
            dock.dockLocationChanged.connect(self._on_dock_moved)
            dock.topLevelChanged.connect(self._on_dock_moved)

    @property
    def active(self) -> bool:
        """Whether the side docks are in one column."""
        return self.wide_state is not None

    def _presenting(self) -> bool:
        presentation = getattr(self.window, "presentation", None)
        return presentation is not None and presentation.active

    def centre_least(self) -> int:
        """The diagram's and plots' least width at this font (their axes, legends and captions)."""
        return self.window.central_scroll.widget().minimumSizeHint().width()

    def centre_need(self) -> int:
        """The least width the diagram and plots are readable at: a share of the window, and their
        least width at this font."""
        return max(round(CENTRE_SHARE * self.window.width()), round(CENTRE_ROOM * self.centre_least()))

    def wide_centre(self) -> int:
        """The width the diagram and plots get in the two-column layout at this window width and font
        (the widths _apply_default_sizes gives the docks: the right column gives way down to RIGHT_WIDTH)."""
        w = self.window
        width = w.width()
        controls = 0
        if not w.controls_dock.isHidden() and not w.controls_dock.isFloating():
            controls = max(w.controls_fit.least_width(), w.default_controls_width()) + 6
        right = 0
        if any(not d.isHidden() and not d.isFloating() for d in w.right_docks()):
            fits = getattr(w.cell_view, "width_for_text", None)
            need = fits() if fits is not None else RIGHT_WIDTH
            room = width - controls - self.centre_least() - 16
            right = max(RIGHT_WIDTH, min(need, width * 3 // 10, room)) + 6
        return width - controls - right

    def fit(self) -> None:
        """One column or two for the present width and font; the toolbar compact or not."""
        w = self.window
        if self._busy or self._presenting() or not getattr(w, "_sized", False):
            return
        self._busy = True
        try:
            if not w._docks_moved:
                room, need = self.wide_centre(), self.centre_need()
                if not self.active and room < need:
                    self.enter()
                elif self.active and room >= need + NARROW_HYSTERESIS:
                    self.leave()
                elif self.active:
                    self.set_short_titles(True)  # the tabs for the new width or font
            self.fit_toolbar()
        finally:
            self._busy = False

    def fit_toolbar(self) -> None:
        """Compact while the transport and the verdict (measured in full at this font) do not fit the
        toolbar's width: the » overflow would take the verdict (what comes after it may go there)."""
        w = self.window
        scale = w.theme.font_scale
        if self._full_toolbar is None or self._full_toolbar[0] != scale:
            if self.compact:
                w.set_compact_toolbar(False)
            QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
            self._full_toolbar = (scale, self.verdict_need())
        compact = self._full_toolbar[1] > w.toolbar.width()
        if compact != self.compact or compact != getattr(w, "_compact_toolbar", False):
            self.compact = compact
            w.set_compact_toolbar(compact)

    def verdict_need(self) -> int:
        """The toolbar's width up to the end of the verdict (the timeline at its least), with the » button."""
        w = self.window
        bar = w.toolbar
        spacing = bar.layout().spacing()
        margins = bar.layout().contentsMargins()
        need = (
            margins.left()
            + margins.right()
            + bar.style().pixelMetric(bar.style().PixelMetric.PM_ToolBarExtensionExtent)
        )
        for action in bar.actions():
            widget = bar.widgetForAction(action)
            if widget is None or not action.isVisible():
                continue
            hint = widget.minimumSizeHint() if widget is w.timeline else widget.sizeHint()
            need += hint.width() + spacing
            if widget is w.verdict_label:
                break
        return need

    def enter(self) -> None:
        """The right column's docks as tabs beside the controls, in one column on the left."""
        w = self.window
        self.wide_state = w.saveState(SETTINGS_VERSION)
        front = w._right_front()
        anchor = w.controls_dock if not w.controls_dock.isFloating() else None
        was_busy, self._busy = self._busy, True
        try:
            for dock in w.right_docks():
                if dock.isFloating():
                    continue
                # out of its tab group first (Qt moved only the cell, not the docks tabbed with others)
                w.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
                if anchor is None:
                    anchor = dock
                else:
                    w.tabifyDockWidget(anchor, dock)
        finally:
            self._busy = was_busy
        if w.lesson_panel.lesson is not None and not w.lesson_dock.isHidden():
            w.lesson_dock.raise_()  # the open lesson in front
        elif not w.controls_dock.isFloating() and not w.controls_dock.isHidden():
            w.controls_dock.raise_()
        elif front is not None:
            front.raise_()
        if anchor is not None:
            w.resizeDocks([anchor], [self.column_width()], Qt.Orientation.Horizontal)
        self.set_short_titles(True)

    def set_short_titles(self, on: bool) -> None:
        """The docks' short titles, the longest whose tabs fit the one column side by side (their tabs
        read 'Build an…', 'Equ…', 'Tr…'), or their full ones."""
        if not on:
            for dock, title in self.full_titles.items():
                dock.setWindowTitle(title)
            self.full_titles.clear()
            return
        for titles in SHORT_TITLES:  # longest first; the last set stays if none fits
            for dock in self.window.side_docks():
                self.full_titles.setdefault(dock, dock.windowTitle())
                dock.setWindowTitle(titles.get(dock.objectName(), dock.windowTitle()))
            bar = self.tab_bar()
            if bar is None or bar.sizeHint().width() <= bar.width():
                return

    def tab_bar(self) -> QTabBar | None:
        """The tab bar of the one column (its tabs with the controls), laid out for the titles on show."""
        w = self.window
        QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
        title = w.controls_dock.windowTitle()
        for bar in w.findChildren(QTabBar):
            if bar.parent() is w and bar.isVisible() and any(bar.tabText(i) == title for i in range(bar.count())):
                return bar
        return None

    def column_width(self) -> int:
        """The one side column: as wide as the controls need, up to SIDE_COLUMN_SHARE of the window."""
        w = self.window
        return min(w.controls_fit.least_width() + 8, round(SIDE_COLUMN_SHARE * w.width()))

    def leave(self, restore: bool = True) -> None:
        """Back to the two columns (restore False: forget them, the user has arranged the docks)."""
        w, state = self.window, self.wide_state
        self.wide_state = None
        if not restore or state is None:  # (the user's one column keeps the short titles)
            return
        self.set_short_titles(False)
        hidden = {dock: dock.isHidden() for dock in w.side_docks()}
        lesson = w.lesson_panel.lesson is not None and not w.lesson_dock.isHidden()
        was_busy, self._busy = self._busy, True
        try:
            w.restore_docks(state, SETTINGS_VERSION)  # (the one column's tab bar stayed over the Cell dock)
            for dock, off in hidden.items():  # a panel shown or closed meanwhile stays so
                if dock.isHidden() != off:
                    dock.setVisible(not off)
            if lesson:
                w.lesson_dock.raise_()
            w._apply_default_sizes()
        finally:
            self._busy = was_busy

    def _on_dock_moved(self, *_args) -> None:
        """The user moved a dock while in one column: their arrangement stays."""
        if self.active and not self._busy and not self._presenting():
            self.leave(restore=False)
            self.window._docks_moved = True


class Placeholder(QLabel):
    """Stands in for a view that is not available yet."""

    def __init__(self, text: str, parent: QWidget | None = None):
        super().__init__(text, parent)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setWordWrap(True)
        self.setMinimumSize(200, 120)
        self.setStyleSheet("color: gray; border: 1px dashed gray;")


class MainWindow(QMainWindow):
    """The simulator's window: a thin shell over one Session and its Player."""

    def __init__(
        self,
        session: Session | None = None,
        settings: QSettings | None = None,
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.session = session or Session()
        self.player = Player(self.session, self)
        self.player.set_speed(BASE_FPS)
        self.settings = settings
        self.theme = theme_mod.current()
        self.setObjectName("main_window")
        self.setWindowTitle("Unrolled")
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowNestedDocks)
        self.actions = create_actions(self)
        self._docks_moved = False  # the user dragged a dock's edge: their sizes win over the defaults
        config = self.session.config
        self._right_key = (config.cell, config.variant, config.layers)
        self._right_fit = QTimer(self, singleShot=True, interval=0, timeout=self.fit_right_column)
        self.narrow = None  # the one-column layout for a narrow window (NarrowLayout), made with the docks
        self.tabifiedDockWidgetActivated.connect(lambda _dock: self._right_fit.start())

        self._build_views()
        self._build_docks()
        self._build_toolbar()
        self.narrow = NarrowLayout(self)
        self._build_menus()
        export.install_context_menus(self)  # right-click on a plot or the diagram: export, copy
        self.history = ConfigHistory(self.session, self.actions, self)  # undo/redo of every config change
        self.history.watch_slider(self.controls.wrec_slider)
        self.history.weights_dropped.connect(
            lambda: self.statusBar().showMessage(
                "The change runs the configuration's initial weights: the trained (or loaded) ones are "
                "set aside. Edit > Undo brings them back.",
                10000,
            )
        )
        self.lesson_panel.lesson_changed.connect(self._on_lesson_changed)
        self.lesson_panel.view_requested.connect(self.apply_view)
        self.lesson_panel.add_to_menu(self.menus["Lesson"])
        self.presentation = Presentation(self)
        self.files = ScenarioFiles(self)
        self.setAcceptDrops(True)  # a scenario file dropped onto the window opens
        # a permanent hint (a widget, not a message): a passing message ("T = 30 steps") covers it
        # for a moment and it comes back, instead of leaving the bar empty
        self.hint_label = HintLabel(HINT)
        self.statusBar().addWidget(self.hint_label, 1)

        s = self.session
        s.config_changed.connect(self._on_config_changed)
        s.trace_changed.connect(self._on_new_trace)
        s.trace_measured.connect(self._on_trace_measured)  # it shows the verdict
        s.frame_changed.connect(self._on_frame_changed)
        self.player.playing_changed.connect(self._on_playing_changed)
        self.theme.changed.connect(self._on_theme_changed)
        self.resize(DEFAULT_SIZE)
        self._default_state = self.saveState(SETTINGS_VERSION)
        self._on_theme_changed()
        self._on_config_changed(s.config)
        self._on_new_trace(s.trace)
        self._on_trace_measured(s.trace)
        s.set_frame(s.n_frames - 1 if s.stop_frame is None else s.stop_frame)  # open on the finished BPTT
        self._on_frame_changed(current_frame(s))
        self._sized = self.restore_layout()
        self._refit_restored = self._sized and not self._docks_moved

    def showEvent(self, event) -> None:
        """The first time: give the panels their default widths (docks size only once shown)."""
        super().showEvent(event)
        if not self._sized:
            self._sized = True
            self._apply_default_sizes()
            soon(self._apply_default_sizes)  # again once the docks have been laid out
        elif self._refit_restored:  # a remembered layout the user had not changed: the cell gets its room
            self._refit_restored = False
            soon(self.fit_right_column)
        self.narrow.timer.start()

    def _show_overflow_unit(self, layer: int, unit: int) -> None:
        """The Cell panel on the layer and unit that overflowed (see OverflowBanner)."""
        self.cell_view.set_layer(layer)
        self.cell_view.set_unit(unit)

    def event(self, event) -> bool:
        """A press on the window itself, not on a panel, is on the edge between docks: from then on
        the user's dock sizes win over the default split (see fit_right_column)."""
        if event.type() == QEvent.Type.MouseButtonPress and self.childAt(event.position().toPoint()) is None:
            self._docks_moved = True
            if self.narrow is not None and self.narrow.active:  # the one column is theirs now (and saved so)
                self.narrow.leave(restore=False)
        return super().event(event)

    def resizeEvent(self, event) -> None:
        """The right column split again for the new height (unless the user has sized the docks)."""
        super().resizeEvent(event)
        if self._sized and not self._docks_moved:
            self._right_fit.start()
        if self.narrow is not None and event.size().width() != event.oldSize().width():
            self.narrow.timer.start()  # one column or two for the new width

    # ---- building ---------------------------------------------------------------------
    def _build_views(self) -> None:
        s = self.session
        if UnrolledView is not None:
            self.diagram = UnrolledView(s)
        else:
            self.diagram = Placeholder(f"The unrolled network diagram will appear here.\n({UNROLLED_VIEW_ERROR})")
        self.diagram.setObjectName("diagram")
        if CellView is not None:
            self.cell_view = CellView(s)
        else:
            self.cell_view = Placeholder(f"The LSTM/GRU cell drawing will appear here.\n({CELL_VIEW_ERROR})")
        self.cell_view.setObjectName("cell_view")
        self.plots = PlotsPanel(s)
        self.plot_fit = PlotFit(self.plots, self)
        self.formula = FormulaView(s)
        if hasattr(self.cell_view, "selection_changed"):  # the equations write the layer and unit the Cell shows
            self.cell_view.selection_changed.connect(
                lambda layer, unit: self.formula.set_selection(layer, None if unit < 0 else unit)
            )
            self.formula.set_selection(self.cell_view.layer, max(self.cell_view.unit, 0))
        self.banner = OverflowBanner(s)
        if CellView is not None:
            self.banner.shown.connect(self._show_overflow_unit)

        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("main_splitter")
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.diagram)
        self.splitter.addWidget(self.plots)
        self.splitter.setStretchFactor(0, 1)  # a taller window gives the plots twice as much
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([360, 540])
        central = QWidget()
        v = QVBoxLayout(central)
        v.setContentsMargins(4, 4, 4, 4)
        v.setSpacing(4)
        v.addWidget(self.banner)
        v.addWidget(self.splitter, 1)
        # past the diagram's and the plots' least size (large fonts on a small screen) they scroll
        # rather than make the window larger than the screen
        scroll = QScrollArea()
        scroll.setObjectName("central_scroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(central)
        scroll.setMinimumSize(CENTRAL_MIN)
        self.central_scroll = scroll
        self.setCentralWidget(scroll)
        scroll.installEventFilter(self)  # its height sets the diagram's least height (fit_diagram)

    def diagram_least(self) -> int:
        """The diagram's least height: its compact header (title and numbers), its axis and its rows
        DIAGRAM_ROW_EM line heights apart at the present font (UnrolledView._layout's rows: loss, y,
        each layer's h, x), up to DIAGRAM_MOST of the centre's height; never under DIAGRAM_MIN_HEIGHT.
        (At 1280x720 and font 2 the plots' least heights left it 120 px: rows 3 px apart, nodes specks.)"""
        em = QFontMetricsF(self.theme.font(1.1)).height()  # the diagram's type
        rows = 0.75 + 1.0 + 1.15 * self.session.config.layers + 1.0
        readable = (2.75 + 1.5 + DIAGRAM_ROW_EM * rows) * em + 2
        return max(DIAGRAM_MIN_HEIGHT, round(min(readable, DIAGRAM_MOST * self.central_scroll.height())))

    def fit_diagram(self) -> None:
        """The diagram's least height for the present font, layers and centre's height (see
        diagram_least); the plots below it scroll when they do not fit. On a resize, a font or
        layer change: never per frame."""
        least = self.diagram_least()
        if self.diagram.minimumHeight() != least:
            self.diagram.setMinimumHeight(least)

    def eventFilter(self, obj, event) -> bool:
        """The centre resized: the diagram's least height for its new height."""
        if obj is self.central_scroll and event.type() == QEvent.Type.Resize:
            if event.size().height() != event.oldSize().height():
                self.fit_diagram()
        return super().eventFilter(obj, event)

    def _dock(
        self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea, scroll: bool = False
    ) -> QDockWidget:
        """A dock for a panel; the panel scrolls when asked or when its least size is large already
        (scroll: its least size grows with the font, e.g. the lesson panel's to 440 px at 2×)."""
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        hint = widget.minimumSizeHint()
        if scroll or hint.width() > DOCK_MIN_WIDTH_CAP or hint.height() > DOCK_MIN_HEIGHT_CAP:
            # a wide or tall panel scrolls rather than squeezing the diagram and the plots or outgrowing a laptop
            scroll = QScrollArea()
            scroll.setObjectName(f"{name}_scroll")
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QFrame.Shape.NoFrame)
            scroll.setWidget(widget)
            widget = scroll
        dock.setWidget(widget)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
            | QDockWidget.DockWidgetFeature.DockWidgetClosable
        )
        self.addDockWidget(area, dock)
        return dock

    def _build_docks(self) -> None:
        self.controls = ControlsPanel(self.session, self.actions)
        self.controls.entry_done.connect(self.focus_main_view)  # Enter in a box: Space plays at once
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)  # only at large fonts
        scroll.setWidget(self.controls)
        self.controls_scroll = scroll
        self.controls_dock = self._dock("Build and turn", "controls_dock", scroll, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.controls_fit = ControlsFit(self)
        self.controls_fit.fit()
        self.formula_dock = self._dock("Equations", "formula_dock", self.formula, Qt.DockWidgetArea.RightDockWidgetArea)
        self.cell_dock = self._dock("Cell", "cell_dock", self.cell_view, Qt.DockWidgetArea.RightDockWidgetArea)
        self.splitDockWidget(self.formula_dock, self.cell_dock, Qt.Orientation.Vertical)
        self.training = TrainingPanel(self.session, self.actions)
        self.controls.weights_origin = self.training.weights_origin  # trained or not: the lab knows
        self.controls.show_own_weights()
        area = Qt.DockWidgetArea.RightDockWidgetArea
        # scroll: the lab fills its dock, but its least height (283 px, more at a large font) must not
        # set the least height of the equations it shares a tab group with
        self.training_dock = self._dock("Training", "training_dock", self.training, area, scroll=True)
        self.tabifyDockWidget(self.formula_dock, self.training_dock)
        self.lesson_panel = LessonPanel(self.session)
        self.lesson_dock = self._dock("Lesson", "lesson_dock", self.lesson_panel, area, scroll=True)
        self.tabifyDockWidget(self.formula_dock, self.lesson_dock)
        self.formula_dock.raise_()
        self._apply_default_sizes()

    def side_docks(self) -> tuple[QDockWidget, ...]:
        """Every dock: the controls, then the right column's."""
        return (self.controls_dock, *self.right_docks())

    def restore_docks(self, state, version: int = 0) -> bool:
        """restoreState, and no tab bar left over from the layout before (see hide_stale_tab_bars)."""
        restored = self.restoreState(state, version)
        self.hide_stale_tab_bars()
        return restored

    def hide_stale_tab_bars(self) -> int:
        """Hide the dock tab bars no tab group uses any more; returns how many were hidden.

        After restoreState from one column (every dock tabbed with the controls) to two, Qt left the
        one column's tab bar visible over the Cell dock ('… E… Cell T… L…'): a lecturer who had
        rehearsed in a small window saw it on the projector."""
        QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
        groups = set()
        for dock in self.findChildren(QDockWidget):
            tabbed = self.tabifiedDockWidgets(dock)
            if tabbed and not dock.isHidden():
                groups.add(frozenset([dock.windowTitle(), *(d.windowTitle() for d in tabbed if not d.isHidden())]))
        hidden = 0
        for bar in self.findChildren(QTabBar):
            if bar.parent() is self and not bar.isHidden():
                if frozenset(bar.tabText(i) for i in range(bar.count())) not in groups:
                    bar.hide()
                    hidden += 1
        return hidden

    def right_docks(self) -> tuple[QDockWidget, ...]:
        """The right column's docks: the equations, the cell, the training lab, the lesson."""
        return (self.formula_dock, self.cell_dock, self.training_dock, self.lesson_dock)

    def default_controls_width(self) -> int:
        """The controls as wide as they need (no sideways scrolling) while the window has room for it."""
        scrollbar = self.style().pixelMetric(self.style().PixelMetric.PM_ScrollBarExtent)
        return max(330, min(self.controls.unwrapped_width() + scrollbar + 8, self.width() * 3 // 10))

    def _apply_default_sizes(self) -> None:
        if self.narrow is not None and self.narrow.active:  # one side column: its own width
            self.resizeDocks([self.controls_dock], [self.narrow.column_width()], Qt.Orientation.Horizontal)
            return
        self.resizeDocks(
            [self.controls_dock, self.formula_dock],
            [self.default_controls_width(), self._right_width()],
            Qt.Orientation.Horizontal,
        )
        self.fit_right_column(force=True)

    def _right_width(self) -> int:
        """The right column's default width: RIGHT_WIDTH, or at a large font as wide as the cell's
        numbers need to reach their size (MIN_TEXT_PX × font scale), up to 30% of the window."""
        fits = getattr(self.cell_view, "width_for_text", None)
        need = fits() if fits is not None else RIGHT_WIDTH
        # never so wide that the diagram and the plots must scroll sideways
        central = self.central_scroll.widget().minimumSizeHint().width()
        controls = 0
        if not self.controls_dock.isHidden() and not self.controls_dock.isFloating():
            controls = max(self.controls_dock.width(), self.controls_fit.least_width())  # its new font's
        room = self.width() - controls - central - 16
        return max(RIGHT_WIDTH, min(need, self.width() * 3 // 10, room))

    def _right_front(self) -> QDockWidget | None:
        """The dock in front among the tabs above the cell (equations, training, lesson), if docked."""
        area = self.dockWidgetArea(self.cell_dock)
        docks = [
            d
            for d in (self.formula_dock, self.training_dock, self.lesson_dock)
            if not d.isHidden() and not d.isFloating() and self.dockWidgetArea(d) == area
        ]
        if self.isVisible():
            shown = [d for d in docks if not d.visibleRegion().isEmpty()]
            return shown[0] if shown else None
        return self.formula_dock if self.formula_dock in docks else (docks[0] if docks else None)

    @staticmethod
    def _chrome(dock: QDockWidget, inner: QWidget) -> int:
        """A dock's height around a widget in it (its title bar), measured once laid out."""
        if dock.isVisible() and inner.height() > 0 and dock.height() > inner.height():
            return dock.height() - inner.height()
        return dock.fontMetrics().height() + 12

    def cell_need(self) -> int:
        """The cell dock's height for its drawing at its width with the numbers at their size."""
        fits = getattr(self.cell_view, "height_for_width", None)
        if fits is None:
            return max(self.height(), 600) * 2 // 5
        return fits(self.cell_dock.width() or RIGHT_WIDTH) + self._chrome(self.cell_dock, self.cell_view)

    def formula_need(self) -> int:
        """The equations dock's height for the equations on show or in the middle of either phase,
        whichever is longest (and FORMULA_RESERVE lines more)."""
        formula = self.formula
        _ = formula.text  # the equations of this frame written (behind a tab they wait until shown)
        text = formula.widget().sizeHint().height()
        # and a step in the middle of each phase: the window opens at BPTT's last step, t = 0, whose
        # text is the shortest (no gradient ratio to the step before); an LSTM's t = 9 was 2.5 lines longer
        doc = formula.canvas.doc
        frame, T = current_frame(self.session), self.session.trace.T
        measured = [other for other in (T // 2, T + T // 2) if other != frame]
        for other in measured:
            formula._on_frame_changed(other, force=True)
            text = max(text, int(np.ceil(doc.size().height())))
        if measured:  # put this frame's equations back
            formula._on_frame_changed(frame, force=True)
            formula.canvas.shrink_to_fit()
        text += FORMULA_RESERVE * formula.fontMetrics().lineSpacing()
        return text + self._chrome(self.formula_dock, formula.viewport())

    def fit_right_column(self, force: bool = False) -> None:
        """Split the right column between the tab in front and the cell.

        The equations get the height their text needs and the cell the rest (its numbers grow
        into it); the training or lesson tab all but the cell drawing's own height. Once the user
        has dragged a dock's edge their sizes stay (force: the default layout, e.g. Reset layout).
        Called on a resize, a font or cell change, a tab change: never per frame.
        """
        if self._docks_moved and not force:
            return
        presentation = getattr(self, "presentation", None)
        cell = self.cell_dock
        if (presentation is not None and presentation.active) or cell.isHidden() or cell.isFloating():
            return
        if self.narrow is not None and self.narrow.active:  # the cell is a tab of the one side column
            return
        front = self._right_front()
        if front is None:
            return
        bar = 0
        if self.isVisible() and cell.height() > 0 and front.height() > 0:
            room = front.height() + cell.height()
            if front is self.formula_dock:  # (the training and lesson tabs: the cell keeps the bar's slack)
                bar = self._tab_bar_height(front)
        else:  # not laid out yet: about the height below the menu and toolbar
            room = max(self.height(), 600) - 140
        need = min(self.cell_need(), room * 3 // 4)
        if front is self.formula_dock:  # the cell takes what the equations do not need
            height = max(need, room - self.formula_need())
        else:  # training and lessons take all the height but the drawing's
            height = min(need, room * 2 // 5)
        height = max(min(height, room - room // 5), room // 5)

        if abs(cell.height() - height) > 2 or not self.isVisible():
            # a tab group's size holds its tab bar: the equations had 20 px less than their need,
            # and the line under the step's numbers (the gradient ratio) was cut in half
            self.resizeDocks([front, cell], [room - height + bar, height], Qt.Orientation.Vertical)

    def _tab_bar_height(self, dock: QDockWidget) -> int:
        """The height of the tab bar under a dock of a tab group (0 when it has none)."""
        if not self.tabifiedDockWidgets(dock):
            return 0
        box = dock.geometry()
        for bar in self.findChildren(QTabBar):
            if bar.parent() is not self or not bar.isVisible():
                continue
            if (
                abs(bar.geometry().top() - box.bottom()) <= 4
                and bar.geometry().left() < box.center().x() < bar.geometry().right()
            ):
                return bar.height()
        return 0

    def _build_toolbar(self) -> None:
        bar = QToolBar("Transport")
        bar.setObjectName("transport_toolbar")
        bar.setMovable(False)
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)
        self.toolbar = bar
        # most important first: a narrow toolbar drops its last items into the » overflow menu
        for cid in ("rewind", "step_back", "play_pause", "step_forward", "to_end"):
            bar.addAction(self.actions[cid])
        self.timeline = Timeline()
        self.timeline.setObjectName("timeline")
        self.timeline.setMinimumWidth(120)
        self.timeline.setToolTip("The playhead: the forward pass, then BPTT")
        self.timeline.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.timeline.valueChanged.connect(self._on_timeline_moved)
        bar.addWidget(self.timeline)
        self.phase_label = PhaseLabel()
        self.phase_label.setObjectName("phase_label")
        bar.addWidget(self.phase_label)
        bar.addSeparator()
        self.verdict_label = RichLabel()
        self.verdict_label.setObjectName("verdict_label")
        self.verdict_label.setTextFormat(Qt.TextFormat.RichText)
        self.verdict_label.setToolTip(
            "How fast ‖∂h_{T−1}/∂h_t‖ (the Jacobian product) shrinks or grows per step back, "
            "fitted over all steps; see the Jacobian product plot"
        )
        bar.addWidget(self.verdict_label)
        self.remedy_label = QLabel()
        self.remedy_label.setObjectName("remedy_label")
        self.remedy_label.setToolTip("The remedies in force (Initialisation and remedies) and what they did here")
        # a separator between the verdict and the remedies: the label alone began right after the
        # verdict's last letter ("×0.72/stepclip at 1 not reached")
        self.remedy_separator = bar.addSeparator()
        self.remedy_action = bar.addWidget(self.remedy_label)
        self.remedy_separator.setVisible(False)  # until a remedy is on
        self.remedy_action.setVisible(False)
        bar.addSeparator()
        self.speed_label_action = bar.addWidget(QLabel(" speed "))
        self.speed_box = QComboBox()
        self.speed_box.setObjectName("speed_box")
        for s in SPEEDS:
            self.speed_box.addItem({0.25: "¼×", 0.5: "½×"}.get(s, f"{s:g}×"), s)
        self.speed_box.setCurrentIndex(SPEEDS.index(1.0))
        self.speed_box.setToolTip("Animation speed ([ slower, ] faster)")
        self.speed_box.currentIndexChanged.connect(lambda i: self.player.set_speed(BASE_FPS * SPEEDS[i]))
        bar.addWidget(self.speed_box)
        bar.addSeparator()
        for cid in ("remove_step", "add_step", "fold"):
            bar.addAction(self.actions[cid])
        for cid in ("rewind", "step_back", "play_pause", "step_forward", "to_end", "remove_step", "add_step", "fold"):
            button = bar.widgetForAction(self.actions[cid])
            button.setObjectName(f"button_{cid}")
            if cid in ("rewind", "step_back", "step_forward", "to_end"):
                button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)

    def set_compact_toolbar(self, on: bool) -> None:
        """Presenting, the toolbar's items fit at the large type (the » overflow hid '+ step' and
        'Fold', which a lesson's step asks for): the step buttons say '−' / '+' (as in the controls), Play is its
        icon, the speed box goes without its label, the timeline may be narrower, the phase and
        verdict are at 0.85 of the (large) type, not 1.05, and the remedy status leaves it to the
        controls (fit_remedy_status). Each button keeps its tooltip with the whole command."""
        shorts = {"remove_step": "−", "add_step": "+"}
        for c in COMMANDS:
            if c.id in shorts:
                action = self.actions[c.id]
                action.setIconText(shorts[c.id] if on else c.short)
        play = self.toolbar.widgetForAction(self.actions["play_pause"])
        play.setToolButtonStyle(
            Qt.ToolButtonStyle.ToolButtonIconOnly if on else Qt.ToolButtonStyle.ToolButtonTextBesideIcon
        )
        self.speed_label_action.setVisible(not on)
        self.timeline.setMinimumWidth(80 if on else 120)
        if on != getattr(self, "_compact_toolbar", False):
            self._compact_toolbar = on
            self._on_theme_changed()  # the phase and verdict at their type

    def fit_remedy_status(self) -> None:
        """The toolbar's remedy status shows while a remedy is on; presenting with the controls on
        show, not there: the controls' note says the same beside the boxes, and the toolbar's room
        goes to the step and fold buttons a lesson asks for."""
        shown = bool(self.remedy_label.text())
        if getattr(self, "_compact_toolbar", False) and not self.controls_dock.isHidden():
            shown = False
        if self.remedy_action.isVisible() != shown:
            self.remedy_action.setVisible(shown)
            self.remedy_separator.setVisible(shown)

    def _build_menus(self) -> None:
        menus = {name: self.menuBar().addMenu(f"&{name}") for name in MENUS}

        def menu(path: str):  # "File/Export": a submenu, made where its first command is
            if path not in menus:
                parent, _, name = path.rpartition("/")
                menus[path] = menu(parent).addMenu(name)
            return menus[path]

        last_group = ""
        for c in COMMANDS:
            if not c.menu:
                continue
            if c.group != last_group and (c.group or last_group):
                menu(c.menu).addSeparator()
            last_group = c.group
            menu(c.menu).addAction(self.actions[c.id])
        panels = menus["View"].addMenu("Panels")
        for dock in (self.controls_dock, self.formula_dock, self.cell_dock, self.lesson_dock):
            panels.addAction(dock.toggleViewAction())
        panels.addAction(self.training_dock.toggleViewAction())
        self.menus = menus

    # ---- commands (called from the command table) -------------------------------------------
    def add_step(self) -> None:
        """Unroll one more step."""
        self._change_steps(+1)

    def remove_step(self) -> None:
        """Unroll one step less."""
        self._change_steps(-1)

    def focus_main_view(self) -> None:
        """Give the keyboard to the diagram (the centre if it is hidden): a number box keeps Space,
        the arrows, Home/End and +/− for its typing, so the window's shortcuts do nothing there."""
        target = self.diagram if self.diagram.isVisible() else self.centralWidget()
        target.setFocus(Qt.FocusReason.OtherFocusReason)

    def _change_steps(self, delta: int) -> None:
        T = self.session.config.steps + delta
        lo, hi = LIMITS["steps"]  # the one limit of T: the steps box, --set steps= and scenario files too
        if not lo <= T <= hi:
            self.statusBar().showMessage(f"steps T must stay between {lo} and {hi}", 5000)
            return
        phase, t = self.session.phase_step()
        self.session.update(steps=T)
        if phase == "forward":  # keep showing the same step of the same phase
            self.session.set_frame(self.session.frame_of(phase, min(t, T - 1)))
        self._report_value("steps", T, f"T = {T} steps")

    def set_folded(self, folded: bool) -> None:
        """Show the network folded (one hidden layer with its loop) or unrolled."""
        with QSignalBlocker(self.actions["fold"]):
            self.actions["fold"].setChecked(folded)
        setter = getattr(self.diagram, "set_folded", None)
        if setter is not None:
            setter(folded)

    def show_training(self, toggle: bool = False) -> None:
        """Bring the training lab forward, with room to see it (toggle: also start, pause or resume)."""
        dock = self.training_dock
        if not dock.isVisible() or dock.visibleRegion().isEmpty():
            dock.show()
            dock.raise_()
            if not dock.isFloating() and not self.cell_dock.isFloating():
                self.fit_right_column(force=True)  # the cell keeps its drawing's height, the lab the rest
                self._give_side_room(dock, 560)
        if toggle:
            self.training.toggle()

    def _give_side_room(self, dock: QDockWidget, want: int) -> None:
        """Widen a side dock towards `want` px, but never so far that the diagram and plots get less
        than about 40% of the window: the controls give up width first."""
        if self.narrow is not None and self.narrow.active:  # one side column: as wide as it is
            return
        W = self.width()
        side = min(max(dock.width(), want), int(SIDE_DOCK_SHARE * W))
        docks, widths = [dock], [side]
        if not self.controls_dock.isFloating() and self.controls_dock.isVisible():
            docks.append(self.controls_dock)
            widths.append(min(self.controls_dock.width(), int(CONTROLS_SHARE * W)))
        self.resizeDocks(docks, widths, Qt.Orientation.Horizontal)

    def set_full_screen(self, on: bool) -> None:
        """Fill the screen, or go back. Presenting is full screen: F11 there leaves the presentation
        (it left the full screen only, with the presentation's type and no menu bar in a small window)."""
        presenting = getattr(self, "presentation", None)
        if not on and presenting is not None and presenting.active:
            presenting.set_active(False)
            return
        self.showFullScreen() if on else self.showNormal()

    def change_speed(self, direction: int) -> None:
        """One notch faster (+1) or slower (-1)."""
        i = max(0, min(self.speed_box.currentIndex() + direction, len(SPEEDS) - 1))
        self.speed_box.setCurrentIndex(i)

    def new_seed(self) -> None:
        """Draw a new seed (new weights and a new input sequence)."""
        seed = int(np.random.default_rng().integers(0, 100_000))
        self.session.update(seed=seed)
        self._report_value("seed", seed, f"seed = {seed}")

    def _report_value(self, key: str, value, text: str) -> None:
        """A passing status message about a configuration value; an undo or any other change of it clears it."""
        self._reported = (key, value, text)
        self.statusBar().showMessage(text, 3000)

    def save_screenshot_dialog(self) -> None:
        """Ask where, then save the window as PNG."""
        path, _ = QFileDialog.getSaveFileName(self, "Save screenshot", "unrolled.png", "PNG image (*.png)")
        if path:
            self.session.finish_measuring()  # every plot up to date
            QApplication.processEvents()
            self.grab().save(path, "PNG")
            self.statusBar().showMessage(f"Saved {path}", 5000)

    def show_shortcuts(self) -> None:
        """Every key the window answers to, from the declared commands (Help > Keyboard shortcuts, F1)."""
        from .commands import shortcuts_html

        box = QMessageBox(self)
        box.setWindowTitle("Keyboard shortcuts")
        box.setTextFormat(Qt.TextFormat.RichText)
        box.setText(shortcuts_html(self.actions))
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setModal(False)
        box.show()

    def show_about(self) -> None:
        """A short about box."""
        QMessageBox.about(
            self,
            "About Unrolled",
            "<b>Unrolled</b> — a visual simulator for recurrent neural networks.<br>"
            "Every number on screen is computed from the real weights (numpy, float64).",
        )

    # ---- lessons and scenario files -------------------------------------------------------
    def show_lessons(self) -> None:
        """Bring the lesson panel forward (the list of lessons, or the open lesson)."""
        self.lesson_dock.show()
        self.lesson_dock.raise_()

    def _on_lesson_changed(self, lesson) -> None:
        names = lesson.controls if lesson is not None else None
        for panel in (self.controls, self.training):  # each shows the controls of the lesson's vocabulary it has
            setter = getattr(panel, "set_visible_controls", None)
            if setter is not None:
                setter(names)
        if lesson is not None and lesson.training:  # the Training lab is ready for the lesson's run
            self.training.load_spec(lesson.training, sync=False)
        if lesson is not None:
            self.show_lessons()
            if not self.presentation.active and not self.cell_dock.isFloating():  # the text gets the room
                self.fit_right_column(force=True)
                self._give_side_room(self.lesson_dock, self.lesson_dock.width())
        # the lesson's hint stays while the lesson is open (a passing message was gone after 8 s, or
        # for good once presenting had hidden the bar); the window's own hint when none is
        hint = f"Lesson {lesson.number}: {lesson.title} · Page Down takes the next step" if lesson is not None else HINT
        if hint != self.hint_label.text():
            self.hint_label.setText(hint)

    def apply_view(self, view: dict) -> None:
        """View options of a lesson or a step: fold the diagram, bring a plot forward, play a phase."""
        if isinstance(view.get("fold"), bool):
            self.set_folded(view["fold"])
        focus = view.get("focus")
        if focus == "hidden":
            self.plots.states.select("h")
        elif focus == "gates":
            gate = next((g for g in ("f", "z", "i", "r") if g in self.plots.states.names), "h")
            self.plots.states.select(gate)
        elif focus == "loss" and not self.presentation.active:  # the training loss curves
            self.show_training()
        s = self.session
        if view.get("play") == "forward":
            self.player.rewind()
            self.player.play()
        elif view.get("play") == "backward":
            self.player.pause()
            s.set_frame(s.frame_of("backward", s.trace.T - 1))
            self.player.play()

    def dragEnterEvent(self, event) -> None:
        """A file dragged over the window may be a scenario."""
        self.files.drag_enter(event)

    def dropEvent(self, event) -> None:
        """Open the scenario file dropped onto the window."""
        self.files.drop(event)

    # ---- Session -> window ---------------------------------------------------------------
    def update_title(self) -> None:
        """The scenario file's name with Qt's modified mark, and what is on screen."""
        config = self.session.config
        files = getattr(self, "files", None)
        name = os.path.basename(files.path) if files is not None and files.path else "untitled"
        self.setWindowTitle(f"{name}[*] — Unrolled — {config.cell.upper()}, T = {config.steps}, Wrec = {config.wrec:g}")
        self.setWindowModified(files is not None and files.modified)

    def _on_config_changed(self, config) -> None:
        self.update_title()
        reported = getattr(self, "_reported", None)
        if reported is not None and getattr(config, reported[0]) != reported[1]:
            self._reported = None  # e.g. an undo of the new seed: the message would contradict the seed box
            if self.statusBar().currentMessage() == reported[2]:
                self.statusBar().clearMessage()
        key = (config.cell, config.variant, config.layers)
        if key != self._right_key:  # other equations and another drawing: the right column split again
            self._right_key = key
            self._right_fit.start()
            self.fit_diagram()  # another number of rows
        self.actions["add_step"].setEnabled(config.steps < LIMITS["steps"][1])
        self.actions["remove_step"].setEnabled(config.steps > LIMITS["steps"][0])

    def _on_new_trace(self, trace) -> None:
        """What does not wait for the Jacobian-product norms: the timeline, the remedies, an overflow stop."""
        self.setWindowModified(hasattr(self, "files") and self.files.modified)  # weights may change alone
        with QSignalBlocker(self.timeline):
            self.timeline.setRange(0, self.session.n_frames - 1)
        self.timeline.set_split(self.session.trace.T)
        remedies = remedy_status(self.session.config, trace).replace(" · ", "\n", 1)  # two short lines
        if remedies != self.remedy_label.text():
            self.remedy_label.setText(remedies)
        self.fit_remedy_status()
        if (
            self.player.playing
            and self.session.stop_frame is not None
            and self.session.frame >= self.session.stop_frame
        ):
            self.player.pause()
        self._on_frame_changed(current_frame(self.session))  # the same frame may now mean another step

    def _on_trace_measured(self, trace) -> None:
        """The verdict (trace_measured: it is fitted on the Jacobian-product norms)."""
        verdict = trace.verdict
        colour = self.theme.verdict_colour(verdict)
        f = trace.growth_factor
        factor = f" ×{fmt(f, 3)}/step" if np.isfinite(f) else ""  # fitted: the tooltip says how
        exploding = self.theme.colours.exploding
        overflow = f"<b style='color:{exploding}'>  OVERFLOW</b>" if trace.nonfinite is not None else ""
        # large type by the label's font (see _on_theme_changed), so that the changing factor at the end is
        # plain text after a rich head laid out once (a size in the markup would lay it all out each time)
        self.verdict_label.setText(
            f"∂h<sub>T−1</sub>/∂h<sub>t</sub>: <b style='color:{colour}'>{verdict.upper()}</b>{factor}{overflow}"
        )
        # a fixed size that only grows: a text that fits then repaints the label alone, without laying
        # out the toolbar and the window again (on every step of a Wrec drag)
        label, need = self.verdict_label, self.verdict_label.sizeHint()
        if need.width() > label.minimumWidth() or need.height() > label.minimumHeight():
            label.setFixedSize(max(need.width(), label.minimumWidth()), max(need.height(), label.minimumHeight()))
        self.plot_fit.fit()  # a legend or a caption may have changed

    def _on_frame_changed(self, frame: int) -> None:
        with QSignalBlocker(self.timeline):
            self.timeline.setValue(frame)
        phase, t = self.session.phase_step(frame)
        self.phase_label.set_step(phase, t, self.session.trace.T)

    def _on_timeline_moved(self, frame: int) -> None:
        self.player.pause()
        self.session.set_frame(frame)

    def _on_playing_changed(self, playing: bool) -> None:
        action = self.actions["play_pause"]
        action.setText("Pause" if playing else "Play")
        action.setIcon(self.theme.media_icon("pause" if playing else "play"))

    def _on_theme_changed(self) -> None:
        t = self.theme
        for cid in ("theme_system", "theme_light", "theme_dark", "theme_contrast"):
            with QSignalBlocker(self.actions[cid]):
                self.actions[cid].setChecked(cid == f"theme_{t.scheme}")
        self.toolbar.setIconSize(QSize(round(22 * t.font_scale), round(22 * t.font_scale)))
        for c in COMMANDS:
            if c.icon:
                self.actions[c.id].setIcon(t.media_icon(c.icon))
        self._on_playing_changed(self.player.playing)
        compact = getattr(self, "_compact_toolbar", False)
        words = 0.85 if compact else 1.05  # presenting: type already large (the verdict is 'large' within it)
        # presenting, the playhead's readout at the presentation's type: at 0.85 of it, the step the
        # lecturer points at ('◀ BPTT t = 0 (0…39)') read smaller than the dock titles (a narrow
        # window's compact toolbar keeps 0.85: at 1280 px and font 2 the verdict needs the room)
        presentation = getattr(self, "presentation", None)
        presenting = presentation is not None and presentation.active
        self.phase_label.setFont(t.font(1.0 if compact and presenting else words))  # a fixed size for that font
        c = t.colours
        self.phase_label.set_colours(c.forward, c.backward)
        self.timeline.set_colours(c.forward, c.backward, c.grid, c.background)
        self.verdict_label.setFont(t.font(words * LARGE))  # the verdict stands out: Qt's "large" within the toolbar
        self.verdict_label.setMinimumSize(0, 0)  # sized again for the new font by _on_trace_measured
        self.verdict_label.setMaximumSize(QWIDGETSIZE_MAX, QWIDGETSIZE_MAX)
        self.remedy_label.setFont(t.font(0.85))
        gap = round(QFontMetricsF(self.remedy_label.font()).horizontalAdvance("n") / 2)  # off the separator
        self.remedy_label.setContentsMargins(gap, 0, 0, 0)
        self.fit_diagram()
        refresh_combo_hints(self)
        soon(self._refresh_combo_hints)  # and those a later slot gave a new font
        self._on_new_trace(self.session.trace)  # (and the playhead's label, at its new font)
        self._on_trace_measured(self.session.trace)
        for short in self.plot_fit.shorts.values():
            short.sync()  # the captions' new font
        self.plot_fit.fit_to_font()  # a smaller font: the axes and legends shrink (they keep their room otherwise)
        self.plot_fit.fit(force=True)
        if getattr(self, "_sized", False) and not self._docks_moved:  # the cell's numbers at the new size
            soon(self._fit_right_to_font)
        if self.narrow is not None and not self.narrow._busy:
            self.narrow.timer.start()  # one column or two at the new font

    def _refresh_combo_hints(self) -> None:
        refresh_combo_hints(self)

    def _fit_right_to_font(self, again: bool = True) -> None:
        """After a font change (once the widgets have it): the right column as wide and split as the
        new text needs, unless the user has sized the docks."""
        presentation = getattr(self, "presentation", None)
        if self._docks_moved or (presentation is not None and presentation.active):
            return
        if self.narrow is not None and self.narrow.active:
            return
        QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)  # every least size at the new font
        width = self._right_width()
        if not self.formula_dock.isFloating() and abs(self.formula_dock.width() - width) > 2:
            self.resizeDocks([self.formula_dock], [width], Qt.Orientation.Horizontal)
            QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)  # the new width and title bars
        self.fit_right_column()
        if again:  # and once more after whatever the new font still changes
            soon(self._fit_right_to_font, again=False)

    # ---- layout memory -----------------------------------------------------------------
    def restore_layout(self) -> bool:
        """Geometry, panels, splitter, theme and font scale from QSettings; True if a layout was saved."""
        s = self.settings
        if s is None or s.value("version", 0, int) != SETTINGS_VERSION:
            return False
        geometry = s.value("geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        state = s.value("state")
        if isinstance(state, QByteArray):
            self.restore_docks(state, SETTINGS_VERSION)
        splitter = s.value("splitter")
        if isinstance(splitter, QByteArray):
            self.splitter.restoreState(splitter)
        self._docks_moved = s.value("docks_moved", True, bool)  # an older layout: kept as it was
        scheme = s.value("theme", "system", str)
        scale = s.value("font_scale", 1.0, float)
        try:
            self.theme.set_scheme(scheme)
            self.theme.set_font_scale(scale)
        except ValueError:
            pass
        return isinstance(state, QByteArray)

    def save_layout(self) -> None:
        """Write geometry, panels, splitter, theme and font scale to QSettings."""
        s = self.settings
        if s is None:
            return
        s.setValue("version", SETTINGS_VERSION)
        s.setValue("geometry", self.saveGeometry())
        narrow = self.narrow is not None and self.narrow.active  # the two columns, as at a width that fits
        s.setValue("state", self.narrow.wide_state if narrow else self.saveState(SETTINGS_VERSION))
        s.setValue("splitter", self.splitter.saveState())
        s.setValue("theme", self.theme.scheme)
        s.setValue("font_scale", self.theme.font_scale)
        s.setValue("docks_moved", self._docks_moved)
        s.sync()

    def reset_layout(self) -> None:
        """Every panel back to where it started."""
        self.narrow.leave(restore=False)
        self.restore_docks(self._default_state, SETTINGS_VERSION)
        self._docks_moved = False
        self._apply_default_sizes()
        for dock in (self.controls_dock, self.formula_dock, self.cell_dock, self.lesson_dock):
            dock.show()
            dock.setFloating(False)
        total = sum(self.splitter.sizes()) or 1
        self.splitter.setSizes([total * 2 // 5, total * 3 // 5])
        self.narrow.timer.start()  # one column if the window is narrow

    def closeEvent(self, event: QCloseEvent) -> None:
        """Offer to save unsaved changes, stop the animation and remember the layout."""
        if not self.files.confirm_close():
            event.ignore()
            return
        self.presentation.set_active(False)  # remember the normal layout, not the presentation's
        self.player.pause()
        self.training.shutdown()  # stop the training threads before the widgets go
        try:
            self.save_layout()
        except Exception as exc:
            print(f"unrolled: could not save the window layout: {exc}", file=sys.stderr)
        super().closeEvent(event)
