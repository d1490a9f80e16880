"""Figures for slides: each view of the window rebuilt offscreen, at a fixed size, in large type.

A Figure is one widget laid out at an exact pixel size over a private Session that shares the
trace it was given (an export never moves the window's playhead or recomputes anything). It is
drawn with its own Theme at the presentation font scale, so the window keeps its own fonts.
Besides the picture it knows its numbers: `table()` is the data behind it, for CSV.

    figure = build_figure("gradients", config, trace, frame=-1)
    figure.image()          # a QImage of figure.size
    figure.table()          # (["t", "grad_norm"], rows)
    figure.close()

ui/export.py writes figures to PNG, SVG, CSV and GIF; ui/render_cli.py is the headless command.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QCoreApplication, QPoint, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QTextOption
from PySide6.QtWidgets import QGraphicsItem, QGraphicsRectItem, QVBoxLayout, QWidget

from simulator.config import Config
from simulator.lessons import PLOTS
from simulator.result import Result

from . import theme as theme_mod
from .plots import (
    EigenPlot,
    GradientPlot,
    JacobianPlot,
    PlotPanel,
    RowLegend,
    StatesPlot,
    fmt,
    gradient_bound,
    positive,
    state_arrays,
)
from .session import Session

FIGURES: tuple[str, ...] = tuple(PLOTS)  # gradients, jacobian, eigenvalues, hidden, gates, loss, unrolled, window
EXPORT_FONT_SCALE = 2.0  # presentation type (ui/presentation.py uses >= 1.75): 22 pt on 1600 px fills a slide
EXPORT_SIZE = (1600, 900)  # 16:9, the shape of a slide
WINDOW_SIZE = (1920, 1080)  # the whole window as a full-HD projector shows it
WINDOW_FONT_SCALE = 1.3  # the window holds many panels: a smaller scale keeps them all legible
TABLE_FIGURES = tuple(n for n in FIGURES if n != "window")  # the window is a picture, not a table
TITLE_SCALE = 1.1  # a figure's title, of the body type
TITLE_MIN_SCALE = 0.8  # a title too long for the figure shrinks down to this, then wraps

STATE_TITLES = {
    "h": "Hidden state h<sub>t</sub>",
    "c": "Cell state c<sub>t</sub>",
    "i": "Input gate i<sub>t</sub>",
    "f": "Forget gate f<sub>t</sub>",
    "g": "Candidate g<sub>t</sub>",
    "o": "Output gate o<sub>t</sub>",
    "r": "Reset gate r<sub>t</sub>",
    "z": "Update gate z<sub>t</sub>",
    "n": "Candidate n<sub>t</sub>",
    "dh": "log<sub>10</sub>|∂L/∂h<sub>t</sub>| per unit",
}
GATE_ORDER = {"lstm": ("i", "f", "g", "o", "c"), "gru": ("r", "z", "n")}


class FigureError(ValueError):
    """A figure that cannot be made for this configuration, with the reason."""


@contextlib.contextmanager
def using_theme(theme: theme_mod.Theme) -> Iterator[theme_mod.Theme]:
    """Make `theme` the one theme.current() returns while views are built (the window's stays applied)."""
    saved = theme_mod._current
    theme_mod._current = theme
    try:
        yield theme
    finally:
        theme_mod._current = saved


def export_theme(scheme: str | None = None, font_scale: float = EXPORT_FONT_SCALE) -> theme_mod.Theme:
    """A Theme for figures: the given scheme (default: what the window shows now) at the presentation scale."""
    if scheme is None or scheme == "system":
        current = theme_mod.current()
        scheme = current.scheme if current.scheme != "system" else ("dark" if current.dark else "light")
    return theme_mod.Theme(scheme, font_scale)


# ---- the data behind each figure -----------------------------------------------------------------
def _num(v) -> float:
    return float(v)


def training_curves(training: dict | None) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(train_loss per iteration, test iterations, test losses) from a scenario's training record, or None.

    The record is simulator/scenario.py's training_record: "train_loss" (one per iteration) and
    "test_loss" ([[iteration, loss], ...]). Older names ("loss_history", "test_history") are read
    too; a test list of bare numbers is spread evenly over the iterations. What the window saves
    and a scenario file holds is the training view's state, {"task", "task_args", "runs": {label:
    record}}: its first run's record is read (the one run of a single training; A of a comparison).
    """
    if not isinstance(training, dict):
        return None
    runs = training.get("runs")
    if "train_loss" not in training and isinstance(runs, dict):
        records = [r for r in runs.values() if isinstance(r, dict) and r.get("train_loss") is not None]
        training = next((r for r in records if len(r["train_loss"])), None)  # (a list or an array)
        if training is None:
            return None
    train = training.get("train_loss", training.get("loss_history"))
    if train is None or len(train) == 0:
        return None
    train = np.asarray(train, dtype=float).ravel()
    test = training.get("test_loss", training.get("test_history")) or []
    pairs = [p for p in test if isinstance(p, (list, tuple, np.ndarray)) and len(p) == 2]
    if pairs:
        it = np.array([p[0] for p in pairs], dtype=float)
        loss = np.array([p[1] for p in pairs], dtype=float)
    elif len(test):
        loss = np.asarray(test, dtype=float).ravel()
        it = np.linspace(0, len(train), len(loss)) if len(loss) > 1 else np.array([float(len(train))])
    else:
        it, loss = np.zeros(0), np.zeros(0)
    return train, it, loss


def figure_table(
    name: str, trace: Result, config: Config, quantity: str = "h", training: dict | None = None
) -> tuple[list[str], list[list]]:
    """The numbers a figure draws, as a header and rows (one row per step where the x axis is t)."""
    T = trace.T
    steps = list(range(T))
    if name == "gradients":
        # the figure's lines: ‖∂L/∂h_t‖, the LSTM's ‖∂L/∂c_t‖ and the dashed bound, where it draws them
        header, columns = ["t", "grad_norm"], [steps, trace.grad_norms]
        if trace.cell_grad_norms is not None:
            header.append("cell_grad_norm")
            columns.append(trace.cell_grad_norms[-1])
        bound = gradient_bound(trace, config)
        if bound is not None:
            header.append("pascanu_bound")
            columns.append(bound)
        return header, [[t, *(_num(c[t]) for c in columns[1:])] for t in steps]
    if name == "jacobian":
        bound = trace.pascanu_bound
        if bound is None:
            return ["t", "jacobian_norm"], [[t, _num(j)] for t, j in zip(steps, trace.jacobian_norms)]
        return ["t", "jacobian_norm", "bound"], [
            [t, _num(j), _num(b)] for t, j, b in zip(steps, trace.jacobian_norms, bound)
        ]
    if name == "eigenvalues":
        rows = []
        for block, ev in trace.eigenvalues.items():
            for k, lam in enumerate(ev):
                rows.append([block, k, _num(lam.real), _num(lam.imag), _num(abs(lam))])
        return ["block", "k", "real", "imag", "abs"], rows
    if name == "hidden":
        return _state_table(trace, [quantity])
    if name == "gates":
        return _state_table(trace, list(_gate_names(config)))
    if name == "loss":
        curves = training_curves(training)
        if curves is not None:
            train, it, test = curves
            at = {round(float(i)): v for i, v in zip(it, test)}
            rows = [[k, _num(v), _num(at[k]) if k in at else ""] for k, v in enumerate(train)]
            rows += [[k, "", _num(v)] for k, v in sorted(at.items()) if k >= len(train)]
            return ["iteration", "train_loss", "test_loss"], rows
        return ["t", "loss_term"], [[t, _num(v)] for t, v in zip(steps, trace.loss_terms)]
    if name == "unrolled":
        L = trace.net.layers
        # what the diagram draws: unit 1 of h (each layer's), input 1 of x and output 1 of y, example 1;
        # the gradient's norm over all units. Named as the hidden CSV names them (h_1: unit 1)
        hs = [h[:, 0, 0] for h in trace.hidden_states]
        g = trace.grad_norms_layers
        layer_names = ["h_1"] if L == 1 else [f"h_1_layer{k + 1}" for k in range(L)]
        grad_names = ["grad_norm"] if L == 1 else [f"grad_norm{k + 1}" for k in range(L)]
        header = ["t", "x_1", *layer_names, "y_1", "loss_term", *grad_names]
        rows = [
            [
                t,
                _num(trace.x[t, 0, 0]),
                *(_num(h[t]) for h in hs),
                _num(trace.outputs[t, 0, 0]),
                _num(trace.loss_terms[t]),
                *(_num(g[k, t]) for k in range(L)),
            ]
            for t in steps
        ]
        return header, rows
    raise FigureError(f"the {name!r} figure has no table; CSV works for {', '.join(TABLE_FIGURES)}")


def _state_table(trace: Result, names: list[str]) -> tuple[list[str], list[list]]:
    arrays = state_arrays(trace)
    arrays["dh"] = np.asarray(trace.dh[-1][:, 0], dtype=float)  # the values, not their log
    header, columns = ["t"], []
    for n in names:
        if n not in arrays:
            raise FigureError(f"the {trace.net.cell} network has no {n!r}; it has {', '.join(arrays)}")
        a = arrays[n]  # (T, H)
        label = "dLdh" if n == "dh" else n
        header += [f"{label}_{u + 1}" for u in range(a.shape[1])]
        columns.append(a)
    data = np.concatenate(columns, axis=1)
    return header, [[t, *(_num(v) for v in row)] for t, row in enumerate(data)]


def _gate_names(config: Config) -> tuple[str, ...]:
    names = GATE_ORDER.get(config.cell)
    if names is None:
        raise FigureError(
            f"the {config.cell} cell has no gates; the gates figure needs --set cell=lstm or cell=gru "
            "(the hidden figure shows an RNN's state)"
        )
    return names


# ---- figures ----------------------------------------------------------------------------------------
class Figure:
    """One exportable picture: a widget laid out at `size` over a private Session, and its data."""

    def __init__(self, name: str, widget: QWidget, session: Session, theme: theme_mod.Theme, size: tuple[int, int]):
        self.name = name
        self.widget = widget
        self.session = session
        self.theme = theme
        self.size = size
        self.item: QGraphicsItem | None = None  # the pyqtgraph item to export (None: render the widget)
        self.panel: PlotPanel | None = None  # the plot panel, if the figure is one
        self.animated = True  # False: the figure does not change with the frame (a training history)
        self.table_args: dict = {}
        self.title_label: pg.LabelItem | None = None  # the title inside the exported item
        self.title_texts: tuple[str, ...] = ()  # its text, most detailed first (fit_title takes the first that fits)
        self.title_plot: pg.PlotItem | None = None  # the plot whose fixed title row holds it, if any
        self.setting_note: pg.LabelItem | None = None  # the configuration at the foot of a plot figure

    # ---- layout and frames ----------------------------------------------------------------------
    def settle(self) -> None:
        """Lay the widget out at its size (pyqtgraph sizes its axes after a first paint: paint, then again)."""
        w = self.widget
        w.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
        w.resize(*self.size)
        w.show()
        for _ in range(3):
            QCoreApplication.sendPostedEvents()
            w.grab()
        QCoreApplication.sendPostedEvents()

    def fit_title(self) -> None:
        """Make the title no wider than the figure leaves it, then lay the figure out again.

        A title is a LabelItem as wide as its text: in large type on a narrow figure it widened
        the plot past the picture, which the export then shrank into the picture's top (the legend
        cut at the right edge, an empty band underneath). The title takes the most detailed of its
        texts that fits at TITLE_SCALE down to TITLE_MIN_SCALE of the body type; if none does, the
        shortest wraps at the smallest size.
        """
        label, item = self.title_label, self.item
        if label is None or item is None or not self.title_texts:
            return
        # the width the title's column gets once the item is exactly as wide as the figure
        room = self.size[0] - (item.sceneBoundingRect().width() - label.geometry().width()) - 1
        if label.itemRect().width() <= room:
            return
        t = self.theme
        largest, smallest = t.point_size(TITLE_SCALE), t.point_size(TITLE_MIN_SCALE)
        for text in self.title_texts:
            size = _fit_label(label, text, largest, smallest, room)
            if size is not None:
                break
        else:
            size = smallest
            _set_label(label, self.title_texts[-1], size, wrap=room)
        if self.title_plot is not None:
            em = size * 96 / 72
            height = max(round(2.0 * em), math.ceil(label.itemRect().height() + 0.4 * em))
            label.setMaximumHeight(height)
            self.title_plot.layout.setRowFixedHeight(0, height)
        # the view sizes its item only when the view is resized: the item kept the width the title forced
        view = item.scene().views()[0]
        item.setGeometry(QRectF(0, 0, view.width(), view.height()))
        self.settle()

    def fit_note(self) -> None:
        """Wrap the configuration note at the foot of a plot figure where one line would widen the figure."""
        note, item = self.setting_note, self.item
        if note is None or item is None:
            return
        room = self.size[0] - (item.sceneBoundingRect().width() - note.geometry().width()) - 1
        if note.itemRect().width() <= room:
            return
        note.item.setTextWidth(room)
        note.updateMin()
        view = item.scene().views()[0]
        item.setGeometry(QRectF(0, 0, view.width(), view.height()))
        self.settle()

    def relayout(self, size: tuple[int, int]) -> None:
        """Lay the figure out again at another size (an animation leaves room for its strip under it)."""
        size = tuple(size)
        if size == self.size:
            return
        self.size = size
        self.settle()
        item = self.item
        if item is not None and item.scene() is not None and item.scene().views():
            view = item.scene().views()[0]
            item.setGeometry(QRectF(0, 0, view.width(), view.height()))
        self.fit_title()
        self.fit_note()

    @property
    def n_frames(self) -> int:
        """2T: the forward pass, then BPTT."""
        return self.session.n_frames

    def set_frame(self, frame: int) -> None:
        """Show one frame of the animation (views update through the Session's signals)."""
        self.session.set_frame(frame)
        QCoreApplication.sendPostedEvents()

    def show_playhead(self, on: bool) -> None:
        """Show or hide a plot's playhead (cursor line and marker); an animation shows it."""
        panel = self.panel
        if panel is None or not panel.time_axis:
            return
        panel.cursor.setVisible(on)
        marker = getattr(panel, "marker", None)
        if marker is None:
            return
        if on:
            panel._on_frame_changed(self.session.frame)  # puts the marker back
        else:
            marker.setData([], [])

    # ---- pictures -----------------------------------------------------------------------------------
    @property
    def background(self) -> QColor:
        """The figure's background colour."""
        return QColor(self.theme.colours.background)

    def image(self, scale: float = 1.0) -> QImage:
        """The figure as an image of size × scale pixels (pyqtgraph's ImageExporter for plots)."""
        w, h = max(1, round(self.size[0] * scale)), max(1, round(self.size[1] * scale))
        if self.item is not None:
            from pyqtgraph.exporters import ImageExporter

            exporter = ImageExporter(self.item)
            params = exporter.parameters()
            params.param("width").setValue(w, blockSignal=exporter.widthChanged)
            params.param("height").setValue(h, blockSignal=exporter.heightChanged)
            params["background"] = self.background
            image = exporter.export(toBytes=True)
            return image.convertToFormat(QImage.Format.Format_ARGB32)
        image = QImage(w, h, QImage.Format.Format_ARGB32)
        image.setDevicePixelRatio(scale)
        image.fill(self.background)
        painter = QPainter(image)
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            self.widget.render(painter, QPoint(0, 0))
        finally:
            painter.end()
        image.setDevicePixelRatio(1.0)
        return image

    def paint(self, painter: QPainter, target: QRectF) -> None:
        """Draw the figure into any painter (an SVG generator, a printer) filling `target`."""
        painter.fillRect(target, self.background)
        if self.item is not None:
            from .export import VectorExporter

            VectorExporter(self.item).paint(painter, target)
        else:
            painter.save()
            painter.translate(target.topLeft())
            painter.scale(target.width() / self.size[0], target.height() / self.size[1])
            self.widget.render(painter, QPoint(0, 0))
            painter.restore()

    def table(self) -> tuple[list[str], list[list]]:
        """The data behind the figure: a header and rows."""
        s = self.session
        return figure_table(self.name, s.trace, s.config, **self.table_args)

    def close(self) -> None:
        """Close and delete the widget now (PySide6 >= 6.10 can crash collecting it at exit)."""
        w = self.widget
        if w is None:
            return
        self.widget = None
        self.item = None
        w.close()
        w.deleteLater()
        QCoreApplication.sendPostedEvents(None, 52)  # QEvent.DeferredDelete
        self.session.deleteLater()


def _style_title(panel_plot: pg.PlotItem, html: str, theme: theme_mod.Theme) -> None:
    """A plot's own title in large type (pyqtgraph fixes the title row at 30 px: make room)."""
    c = theme.colours
    size = theme.point_size(TITLE_SCALE)
    panel_plot.setTitle(html, size=f"{size:.0f}pt", color=c.foreground, bold=True)
    height = round(2.0 * size * 96 / 72)
    panel_plot.titleLabel.setMaximumHeight(height)
    panel_plot.layout.setRowFixedHeight(0, height)


def _set_label(label: pg.LabelItem, html: str, size: float, wrap: float | None = None) -> None:
    """A LabelItem's text at a size in points; wrap: the width at which it breaks into centred lines."""
    label.item.setTextWidth(-1 if wrap is None else wrap)
    option = QTextOption(Qt.AlignmentFlag.AlignHCenter)
    option.setWrapMode(QTextOption.WrapMode.WordWrap)
    label.item.document().setDefaultTextOption(option)
    label.setText(html, size=f"{size:.1f}pt")


def _fit_label(label: pg.LabelItem, html: str, largest: float, smallest: float, room: float) -> float | None:
    """The largest size (half points, between smallest and largest) at which the text fits room; None if none does.

    The label is left showing the text at the size returned (or at the smallest, for None).
    """
    size = largest
    while True:
        _set_label(label, html, size)
        width = label.itemRect().width()
        if width <= room:
            return size
        if size <= smallest:
            return None
        size = max(smallest, math.floor(2 * size * room / width) / 2)  # text width goes with its size


def _margins(plot: pg.PlotItem, theme: theme_mod.Theme) -> None:
    em = theme.point_size() * 96 / 72
    plot.layout.setContentsMargins(0.6 * em, 0.3 * em, 1.2 * em, 0.4 * em)


def _no_cache(plot: pg.PlotItem) -> None:
    """Axes, curves and dots drawn from a pixel cache (the window's, for fast frames) would land in
    an SVG as pictures: draw them as vectors."""
    for name in ("left", "bottom", "right", "top"):
        plot.getAxis(name).setCacheMode(QGraphicsItem.CacheMode.NoCache)
    for item in plot.items:
        for part in (item, *item.childItems()):
            part.setCacheMode(QGraphicsItem.CacheMode.NoCache)


def _style_colorbar(bar: pg.ColorBarItem, theme: theme_mod.Theme) -> None:
    c = theme.colours
    bar.axis.setStyle(tickFont=theme.font(0.9))
    bar.axis.setTextPen(pg.mkPen(c.foreground))
    bar.axis.setPen(pg.mkPen(c.muted))
    bar.axis.setWidth(round(3.2 * theme.point_size() * 96 / 72))


def _panel_titles(panel: PlotPanel) -> tuple[str, ...]:
    """The plot's title with its badge, most detailed first: each of the texts its header may show."""
    texts = getattr(panel.badge_line, "_texts", ()) or (panel.badge.text(),)
    titles = [f"{panel.title} — {badge}" if badge else panel.title for badge in texts]
    return tuple(dict.fromkeys(titles))


INIT_WORDS = {"orthogonal": "orthogonal init", "identity": "identity init (IRNN)"}


def setting_text(config: Config, own_weights: bool = False) -> str:
    """The configuration a figure was made with, in one short line for a slide's reader.

    'RNN · φ = tanh · W<sub>rec</sub> = 0.8 · T = 30 · 16 units · orthogonal init, seed 0', with the
    variant, the layers, the leak and the remedies in force where they are not the default.
    own_weights (the Session's network: trained, or from a file): the weights are not the
    config's Wrec and initialisation, so the line says 'own weights' in their place.
    """
    c = config
    cell = c.cell.upper() if c.variant == "vanilla" or c.cell != "lstm" else f"LSTM ({c.variant})"
    weights = "own weights (trained or loaded)" if own_weights else f"W<sub>rec</sub> = {c.wrec:g}"
    # an LSTM's or a GRU's activations are fixed (σ gates, tanh candidate): the setting is not theirs
    activation = [f"φ = {c.activation}"] if c.cell in ("rnn", "esn") else []
    parts = [cell, *activation, weights, f"T = {c.steps}", f"{c.hidden} units"]
    if c.layers > 1:
        parts.append(f"{c.layers} layers")
    if c.cell == "esn" and c.leak != 1.0:
        parts.append(f"leak {c.leak:g}")
    if not own_weights:
        parts.append(f"{INIT_WORDS.get(c.init, c.init + ' init')}, seed {c.seed}")
    if 0 < c.truncate < c.steps:
        parts.append(f"BPTT truncated to k = {c.truncate}")
    if c.clip > 0:
        parts.append(f"gradient norm clipped at {c.clip:g}")
    if c.clip_value > 0:
        parts.append(f"entries clipped to ±{c.clip_value:g}")
    if c.penalty > 0:
        parts.append(f"penalty Ω × {c.penalty:g}")
    return " · ".join(parts).replace("-", "−")


def setting_label(session: Session, theme: theme_mod.Theme) -> pg.LabelItem:
    """The Session's configuration (and whether its weights are its own) in small grey type, for a figure's foot."""
    note = pg.LabelItem(justify="left")
    text = setting_text(session.config, session.network is not None)
    note.setText(text, size=f"{theme.point_size(0.7):.1f}pt", color=theme.colours.muted)
    return note


def _setting_note(plot: pg.PlotItem, session: Session, theme: theme_mod.Theme) -> pg.LabelItem:
    """The configuration in a row of its own at the foot of the plot."""
    note = setting_label(session, theme)
    plot.layout.addItem(note, plot.layout.rowCount(), 1)
    return note


def _panel_figure(name: str, panel: PlotPanel, session: Session, theme, size, title: str | None = None) -> Figure:
    """A PlotPanel as a figure: its QLabels go, the title moves into the plot (so it exports with it)."""
    for label in (panel.title_label, panel.badge, panel.caption_label):
        label.hide()
    tabs = getattr(panel, "tabs", None)
    if tabs is not None:
        tabs.hide()
    panel.layout().setContentsMargins(0, 0, 0, 0)
    _no_cache(panel.plot)
    panel.plot_widget.release_marks()  # an export renders the scene: the marks must be in it
    _margins(panel.plot, theme)
    titles = (title,) if title else _panel_titles(panel)
    _style_title(panel.plot, titles[0], theme)
    colorbar = getattr(panel, "colorbar", None)
    if colorbar is not None:
        _style_colorbar(colorbar, theme)
    panel.plot_widget.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    panel.plot_widget.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    figure = Figure(name, panel, session, theme, size)
    figure.item = panel.plot
    figure.panel = panel
    figure.title_label, figure.title_texts, figure.title_plot = panel.plot.titleLabel, titles, panel.plot
    figure.setting_note = _setting_note(panel.plot, session, theme)
    if session.frame == session.n_frames - 1:  # the finished BPTT: no playhead on a slide
        figure.show_playhead(False)
    return figure


class LossPlot(PlotPanel):
    """The per-step loss terms L_t as bars: the total error is their sum over the steps."""

    title = "Loss terms L<sub>t</sub>"
    caption = "Each bar is one step's share of the loss; BPTT adds up the gradients of all of them."

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(session, parent)
        self.plot.setLabel("bottom", "step t")
        self.plot.setLabel("left", "loss term")
        self.plot.getAxis("left").enableAutoSIPrefix(False)
        self.bars = pg.BarGraphItem(x=[0], height=[0], width=0.7)
        self.plot.addItem(self.bars)
        # a term that overflowed: a bar to the top in the overflow colour (its height has no number)
        self.overflowed = pg.BarGraphItem(x=[0], height=[0], width=0.7)
        self.overflowed.hide()
        self.plot.addItem(self.overflowed)
        self.connect_session()

    def veil_span(self, phase, t, T):
        return (t + 0.5, T - 0.5) if phase == "forward" else None  # steps not yet computed

    def _on_trace_changed(self, trace: Result) -> None:
        T = trace.T
        terms = np.asarray(trace.loss_terms, dtype=float)
        heights = np.where(np.isfinite(terms), terms, 0.0)
        self.bars.setOpts(x=np.arange(T), height=heights, width=0.7)
        top = float(heights.max()) if T and heights.max() > 0 else 1.0
        bad = ~np.isfinite(terms)
        self.overflowed.setVisible(bool(bad.any()))
        if bad.any():
            colour = self.theme.colours.exploding
            self.overflowed.setOpts(x=np.flatnonzero(bad), height=np.full(bad.sum(), top), width=0.7,
                                    brush=colour, pen=colour)  # fmt: skip
        # a little below 0, so that the axis labels its 0 (a label on the view's very edge is left out)
        self.plot.setRange(xRange=(-0.5, T - 0.5), yRange=(-0.04 * top, 1.08 * top), padding=0)
        total = float(np.sum(terms))
        text = f"total L = Σ<sub>t</sub> L<sub>t</sub> = {fmt(total, 4)}"
        if trace.penalty_value:
            text += f" (+ penalty Ω = {fmt(trace.penalty_value, 3)})"
        self.badge.setText(text)
        super()._on_trace_changed(trace)

    def _on_theme_changed(self) -> None:
        c = self.theme.colours
        self.bars.setOpts(brush=pg.mkBrush(c.forward), pen=pg.mkPen(c.background, width=1))
        super()._on_theme_changed()


class TrainingLossPlot(PlotPanel):
    """A training run's loss per iteration (log axis) and its held-out loss."""

    title = "Training loss"
    time_axis = False

    def __init__(self, session: Session, curves, parent: QWidget | None = None):
        super().__init__(session, parent)
        train, it, test = curves
        self.plot.setLogMode(False, True)
        self.plot.setLabel("bottom", "iteration")
        self.legend = self.plot.addLegend(offset=(-8, 4))
        self.train_curve = self.plot.plot(np.arange(len(train)), positive(train), name="training batch loss")
        self.test_curve = self.plot.plot(it, positive(test), name="held-out loss") if len(test) else None
        last = f"{fmt(train[-1], 3)}" if len(train) else "–"
        self.badge.setText(f"{len(train)} iterations · last batch loss {last}")
        self.connect_session()

    def _on_theme_changed(self) -> None:
        t, c = self.theme, self.theme.colours
        self.train_curve.setPen(t.pen(c.series[0], 2))
        if self.test_curve is not None:
            self.test_curve.setPen(t.pen(c.series[1], 2.5))
            self.test_curve.setSymbol("o")
            self.test_curve.setSymbolBrush(c.series[1])
            self.test_curve.setSymbolPen(pg.mkPen(c.background))
        self.style_legend(self.legend)
        super()._on_theme_changed()


class GatesView(QWidget):
    """Every gate of the top layer (and an LSTM's cell state) as t × unit heatmaps, one row each."""

    def __init__(self, session: Session, names: tuple[str, ...], theme: theme_mod.Theme):
        super().__init__()
        self.session, self.names, self.theme = session, names, theme
        c = theme.colours
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.canvas = pg.GraphicsLayoutWidget()
        self.canvas.setBackground(c.background)
        layout.addWidget(self.canvas)
        trace = session.trace
        cell = session.config.cell.upper()
        layer = f" · layer {trace.net.layers}" if trace.net.layers > 1 else ""
        size = theme.point_size(TITLE_SCALE)
        legend = ", ".join(f"{n} {STATE_TITLES[n].rsplit(' ', 1)[0].lower()}" for n in names)
        self.title = self.canvas.addLabel(
            f"{cell} gates over time{layer}: {legend}",
            size=f"{size:.0f}pt",
            color=c.foreground,
            row=0,
            col=0,
            colspan=2,
        )
        # one axis title for the rows' shared y axis (each row's own label is its gate's symbol)
        self.unit_label = self.canvas.addLabel(
            "unit", angle=-90, size=f"{theme.point_size():.0f}pt", color=c.foreground, row=1, col=0, rowspan=len(names)
        )
        arrays = state_arrays(trace)
        self.plots: list[pg.PlotItem] = []
        self.veils: list[QGraphicsRectItem] = []
        T = trace.T
        for row, name in enumerate(names, start=1):
            plot = self.canvas.addPlot(row=row, col=1)
            a = np.array(arrays[name], dtype=float)  # (T, H)
            H = a.shape[1]
            lo, hi = (0.0, 1.0) if name in ("i", "f", "o", "r", "z") else (-1.0, 1.0)
            if name == "c":
                finite = a[np.isfinite(a)]
                m = float(np.abs(finite).max()) if finite.size else 1.0
                lo, hi = -max(m, 1e-12), max(m, 1e-12)
            a[~np.isfinite(a)] = lo
            image = pg.ImageItem(np.clip(a, lo, hi), axisOrder="col-major", levels=(lo, hi))
            image.setRect(QRectF(-0.5, -0.5, T, H))
            plot.addItem(image)
            cmap = theme.sequential_map() if name in ("i", "f", "o", "r", "z") else theme.diverging_map()
            bar = pg.ColorBarItem(values=(lo, hi), colorMap=cmap, interactive=False, width=14)
            bar.setImageItem(image, insert_in=plot)
            _style_colorbar(bar, theme)
            plot.invertY(True)
            plot.setRange(xRange=(-0.5, T - 0.5), yRange=(-0.5, H - 0.5), padding=0)
            plot.setMouseEnabled(False, False)
            plot.hideButtons()
            if row == len(names):
                plot.setLabel("bottom", "step t")
            theme.style_plot(plot)
            symbol = STATE_TITLES[name].split(" ")[-1]
            plot.setLabel("left", symbol, **{"color": c.foreground, "font-size": f"{theme.point_size():.0f}pt"})
            plot.getAxis("left").setTicks([[(0, "1"), (H - 1, str(H))]] if H > 1 else [[(0, "1")]])
            if row < len(names):
                plot.getAxis("bottom").setStyle(showValues=False)
            mid = 0.5 * (lo + hi)
            bar.axis.setTicks([[(v, f"{v:.2g}".replace("-", "−")) for v in (lo, mid, hi)]])
            _no_cache(plot)
            veil = QGraphicsRectItem()
            veil.setPen(pg.mkPen(None))
            shade = QColor(c.background)
            shade.setAlpha(170)
            veil.setBrush(shade)
            veil.setZValue(15)
            plot.addItem(veil, ignoreBounds=True)
            self.plots.append(plot)
            self.veils.append(veil)
        for plot in self.plots[1:]:
            plot.setXLink(self.plots[0])
        # the configuration at the foot, as the plot figures have it (setting_note)
        self.note = setting_label(session, theme)
        self.canvas.addItem(self.note, row=len(names) + 1, col=1)
        em = theme.point_size() * 96 / 72
        self.canvas.ci.layout.setContentsMargins(0.6 * em, 0.3 * em, 1.2 * em, 0.4 * em)
        self.canvas.ci.layout.setVerticalSpacing(0.5 * em)
        session.frame_changed.connect(self._on_frame_changed)
        self._on_frame_changed(session.frame)

    def _on_frame_changed(self, frame: int) -> None:
        phase, t = self.session.phase_step(frame)
        T = self.session.trace.T
        for veil, plot in zip(self.veils, self.plots):
            if phase == "forward" and t < T - 1:
                H = plot.vb.viewRange()[1]
                veil.setRect(QRectF(t + 0.5, min(H) - 1, T - t - 1, max(H) - min(H) + 2))
                veil.show()
            else:
                veil.hide()


def build_figure(
    name: str,
    config: Config,
    trace: Result,
    *,
    frame: int = -1,
    theme: theme_mod.Theme | None = None,
    size: tuple[int, int] | None = None,
    folded: bool = False,
    quantity: str = "h",
    training: dict | None = None,
    own_weights: bool = False,
) -> Figure:
    """Build, lay out and set the frame of one figure (FigureError if it cannot be made for this config).

    frame: the playhead (0 .. 2T-1; negative counts from the end; the default is the end of BPTT).
    quantity: which state the 'hidden' figure shows (h, c, a gate name or dh).
    training: a scenario's training record: the 'loss' figure then shows its loss history.
    own_weights: the trace runs weights that are not the config's (trained, or from a file); the
    footer then says so instead of giving the config's Wrec and initialisation.
    """
    if name not in FIGURES:
        raise FigureError(f"unknown figure {name!r}; figures: {', '.join(FIGURES)}")
    theme = theme or export_theme()
    session = Session(config, trace=trace, network=trace.net if own_weights else None)
    n = session.n_frames
    if not -n <= frame < n:
        raise FigureError(f"frame must be between {-n} and {n - 1} (2T = {n} frames); got {frame}")
    frame %= n
    stop = session.stop_frame
    session.set_frame(frame if stop is None else min(frame, stop))
    default_size = WINDOW_SIZE if name == "window" else EXPORT_SIZE
    size = tuple(size or default_size)
    with using_theme(theme):
        figure = _make(name, session, theme, size, folded, quantity, training)
    figure.settle()
    figure.fit_title()
    figure.fit_note()
    return figure


def _make(name, session, theme, size, folded, quantity, training) -> Figure:
    if name in ("gradients", "jacobian", "eigenvalues"):
        cls = {"gradients": GradientPlot, "jacobian": JacobianPlot, "eigenvalues": EigenPlot}[name]
        panel = cls(session)
        if name == "eigenvalues":
            _legend_beside(panel.plot, panel.legend, theme)
        return _panel_figure(name, panel, session, theme, size)
    if name == "hidden":
        panel = StatesPlot(session)
        if quantity not in panel.names:
            raise FigureError(f"the {session.config.cell} network has no {quantity!r}; it has {', '.join(panel.names)}")
        panel.select(quantity)
        figure = _panel_figure(name, panel, session, theme, size, title=_state_title(panel, quantity, session))
        figure.table_args = {"quantity": quantity}
        return figure
    if name == "gates":
        names = _gate_names(session.config)
        view = GatesView(session, names, theme)
        figure = Figure(name, view, session, theme, size)
        figure.item = view.canvas.ci
        figure.title_label, figure.title_texts = view.title, (view.title.text,)
        figure.setting_note = view.note
        return figure
    if name == "loss":
        curves = training_curves(training)
        if curves is not None:
            panel = TrainingLossPlot(session, curves)
            figure = _panel_figure(name, panel, session, theme, size)
            figure.animated = False
            figure.table_args = {"training": training}
            return figure
        panel = LossPlot(session)
        return _panel_figure(name, panel, session, theme, size)
    if name == "unrolled":
        from .unrolled_view import UnrolledView

        view = UnrolledView(session)
        view.set_folded(folded)
        # the configuration at the foot, as the plot figures say it
        view.set_note(setting_text(session.config, session.network is not None))
        return Figure(name, view, session, theme, size)
    if name == "window":
        from .main_window import MainWindow

        frame = session.frame  # the requested frame: the window opens on the finished BPTT, as the app does
        window = MainWindow(session, settings=None)
        window.set_folded(folded)
        session.set_frame(frame)
        return Figure(name, window, session, theme, size)
    raise FigureError(f"unknown figure {name!r}")  # pragma: no cover - FIGURES is checked above


def _legend_beside(plot: pg.PlotItem, legend: RowLegend, theme: theme_mod.Theme) -> None:
    """The legend in a column right of the view, at its top, instead of in rows under the x-axis.

    An aspect-locked plane (the eigenvalues) is as large as the view's height allows and has width
    to spare on a slide: a legend under it only takes height from the circle.
    """
    layout = plot.layout
    layout.removeItem(legend)
    legend.max_columns = 1  # one entry a row: a column
    layout.addItem(legend, 2, 3)  # the view's row, right of the right axis (column 2)
    layout.setAlignment(legend, Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
    layout.setColumnSpacing(2, 0.5 * theme.point_size() * 96 / 72)
    legend.updateSize()
    # as wide as its entries: the legend lets any layout squeeze it (it wraps its rows), a column cannot wrap
    layout.setColumnMinimumWidth(3, legend.layout.effectiveSizeHint(Qt.SizeHint.PreferredSize).width())


def _state_title(panel: StatesPlot, quantity: str, session: Session) -> str:
    net = session.trace.net
    layer = f" · layer {net.layers}" if net.layers > 1 else ""
    return f"{STATE_TITLES[quantity]} · {session.config.cell.upper()}, {net.hidden} units{layer}"


def frame_caption(session: Session, frame: int) -> tuple[str, str]:
    """The phase word and the step text an animation frame is labelled with."""
    phase, t = session.phase_step(frame)
    T = session.trace.T
    word = "▶ forward" if phase == "forward" else "◀ BPTT"
    return word, f"t = {t}   (step {frame + 1} of {2 * T})"
