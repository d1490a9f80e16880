"""Look and feel for a lecture hall: a font scale, dark and light palettes, colour-blind-safe colours.

One Theme object per application. It follows the system's dark/light setting unless the user
picks one, scales every font (Qt widgets and pyqtgraph axes alike) and hands out the colours:
the Okabe-Ito palette for lines and colour-blind-safe maps (CET-CBD1, viridis) for heatmaps.
Views call `current()` and listen to `changed`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyqtgraph as pg
from PySide6.QtCore import QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QGuiApplication, QIcon, QPainter, QPalette, QPixmap, QPolygonF
from PySide6.QtWidgets import QApplication

# Okabe & Ito (2008): distinguishable with every common colour-vision deficiency.
OKABE_ITO = {
    "orange": "#E69F00",
    "sky": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "black": "#000000",
}
SCHEMES = ("system", "light", "dark", "contrast")
BASE_POINT_SIZE = 11.0
FONT_SCALES = (0.8, 0.9, 1.0, 1.15, 1.3, 1.5, 1.75, 2.0, 2.5)


@dataclass(frozen=True)
class Colours:
    """The named colours every view draws with."""

    background: str
    panel: str
    foreground: str
    muted: str
    grid: str
    forward: str  # values flowing forward
    backward: str  # gradients flowing back
    bound: str  # Pascanu's bound
    cursor: str
    vanishing: str
    stable: str
    exploding: str
    series: tuple[str, ...]  # one per layer / gate block


LIGHT = Colours(
    background="#FFFFFF",
    panel="#F4F4F2",
    foreground="#1A1A1A",
    muted="#5C5C5C",
    grid="#D0D0D0",
    forward=OKABE_ITO["orange"],
    backward=OKABE_ITO["blue"],
    bound="#7A7A7A",
    cursor="#C2185B",
    vanishing=OKABE_ITO["blue"],
    stable=OKABE_ITO["green"],
    exploding=OKABE_ITO["vermillion"],
    series=(OKABE_ITO["blue"], OKABE_ITO["orange"], OKABE_ITO["green"], OKABE_ITO["purple"], OKABE_ITO["sky"]),
)
DARK = Colours(
    background="#17191C",
    panel="#22252A",
    foreground="#ECECEC",
    muted="#A8A8A8",
    grid="#3A3D42",
    forward=OKABE_ITO["orange"],
    backward=OKABE_ITO["sky"],
    bound="#9A9A9A",
    cursor="#FF6FA8",
    vanishing=OKABE_ITO["sky"],
    stable="#2BC79A",
    exploding="#FF7A2F",
    series=(OKABE_ITO["sky"], OKABE_ITO["orange"], "#2BC79A", OKABE_ITO["purple"], OKABE_ITO["yellow"]),
)
# High contrast for a projector in a lit hall: black on white, and the Okabe-Ito hues darkened
# until every one reads at least 5:1 against white (WCAG AA for text is 4.5:1).
CONTRAST = Colours(
    background="#FFFFFF",
    panel="#FFFFFF",
    foreground="#000000",
    muted="#333333",
    grid="#9A9A9A",
    forward="#A85A00",  # orange, 5.1:1
    backward="#005A9C",  # blue, 7.1:1
    bound="#4D4D4D",
    cursor="#C2185B",
    vanishing="#005A9C",
    stable="#006B4D",  # green, 6.5:1
    exploding="#B3001B",  # red
    series=("#005A9C", "#A85A00", "#006B4D", "#8A3371", "#333333"),
)


class Theme(QObject):
    """The application's scheme (system / light / dark) and font scale; emits `changed`."""

    changed = Signal()

    def __init__(self, scheme: str = "system", font_scale: float = 1.0, parent: QObject | None = None):
        super().__init__(parent)
        self._scheme = scheme if scheme in SCHEMES else "system"
        self._font_scale = float(font_scale)
        hints = QGuiApplication.styleHints()
        hints.colorSchemeChanged.connect(self._on_system_scheme_changed)

    # ---- state ------------------------------------------------------------------------
    @property
    def scheme(self) -> str:
        """What the user chose: 'system', 'light' or 'dark'."""
        return self._scheme

    @property
    def dark(self) -> bool:
        """Whether the dark palette is in use (the system's choice when scheme is 'system')."""
        if self._scheme == "system":
            return QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark
        return self._scheme == "dark"

    @property
    def colours(self) -> Colours:
        """The palette in use."""
        if self._scheme == "contrast":
            return CONTRAST
        return DARK if self.dark else LIGHT

    @property
    def font_scale(self) -> float:
        """Multiplier on every font size."""
        return self._font_scale

    def point_size(self, factor: float = 1.0) -> float:
        """A font size in points, scaled."""
        return BASE_POINT_SIZE * self._font_scale * factor

    def font(self, factor: float = 1.0, bold: bool = False) -> QFont:
        """The application font at a relative size."""
        f = QFont(QApplication.font())
        f.setPointSizeF(self.point_size(factor))
        f.setBold(bold)
        return f

    # ---- changes ----------------------------------------------------------------------
    def set_scheme(self, scheme: str) -> None:
        """Follow the system ('system') or force 'light' / 'dark' / 'contrast' (high contrast, for projectors)."""
        if scheme not in SCHEMES:
            raise ValueError(f"theme must be one of {', '.join(SCHEMES)}; got {scheme!r}")
        if scheme != self._scheme:
            self._scheme = scheme
            self.apply()

    def set_font_scale(self, scale: float) -> None:
        """Scale every font (clamped to 0.6 .. 3)."""
        scale = max(0.6, min(float(scale), 3.0))
        if abs(scale - self._font_scale) > 1e-9:
            self._font_scale = scale
            self.apply()

    def step_font_scale(self, direction: int) -> None:
        """Next larger (+1) or smaller (-1) font scale from FONT_SCALES."""
        s = self._font_scale
        if direction > 0:
            bigger = [f for f in FONT_SCALES if f > s + 1e-9]
            self.set_font_scale(bigger[0] if bigger else FONT_SCALES[-1])
        else:
            smaller = [f for f in FONT_SCALES if f < s - 1e-9]
            self.set_font_scale(smaller[-1] if smaller else FONT_SCALES[0])

    def apply(self) -> None:
        """Push palette and fonts into the QApplication and pyqtgraph, then emit `changed`."""
        app = QApplication.instance()
        if app is not None:
            app.setStyle("Fusion")
            app.setPalette(self.palette())
            font = QFont(app.font())
            font.setPointSizeF(self.point_size())
            app.setFont(font)
        c = self.colours
        pg.setConfigOptions(background=c.background, foreground=c.foreground, antialias=True)
        self.changed.emit()

    def _on_system_scheme_changed(self, _scheme) -> None:
        if self._scheme == "system":
            self.apply()

    # ---- colours for Qt and pyqtgraph ----------------------------------------------------
    def palette(self) -> QPalette:
        """A Fusion palette in the theme's colours."""
        c = self.colours
        p = QPalette()
        bg, panel, fg = QColor(c.background), QColor(c.panel), QColor(c.foreground)
        p.setColor(QPalette.ColorRole.Window, panel)
        p.setColor(QPalette.ColorRole.WindowText, fg)
        p.setColor(QPalette.ColorRole.Base, bg)
        p.setColor(QPalette.ColorRole.AlternateBase, panel)
        p.setColor(QPalette.ColorRole.Text, fg)
        p.setColor(QPalette.ColorRole.Button, panel)
        p.setColor(QPalette.ColorRole.ButtonText, fg)
        p.setColor(QPalette.ColorRole.ToolTipBase, bg)
        p.setColor(QPalette.ColorRole.ToolTipText, fg)
        p.setColor(QPalette.ColorRole.PlaceholderText, QColor(c.muted))
        p.setColor(QPalette.ColorRole.Highlight, QColor(c.backward))
        p.setColor(QPalette.ColorRole.HighlightedText, QColor("#FFFFFF"))
        p.setColor(QPalette.ColorRole.Link, QColor(c.backward))
        for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
            p.setColor(QPalette.ColorGroup.Disabled, role, QColor(c.muted))
        return p

    def verdict_colour(self, verdict: str) -> str:
        """Colour of a verdict word."""
        c = self.colours
        return {"vanishing": c.vanishing, "stable": c.stable, "exploding": c.exploding}.get(verdict, c.muted)

    def pen(self, colour: str, width: float = 2.0, style: Qt.PenStyle = Qt.PenStyle.SolidLine):
        """A cosmetic pen scaled with the fonts (thicker lines read better from the back row)."""
        return pg.mkPen(colour, width=width * max(1.0, self._font_scale * 0.9), style=style)

    def style_plot(self, plot: pg.PlotItem) -> None:
        """Colours and fonts of a plot's axes and title."""
        c = self.colours
        tick_font = self.font(0.9)
        for name in ("left", "bottom", "right", "top"):
            axis = plot.getAxis(name)
            axis.setPen(pg.mkPen(c.muted))
            axis.setTextPen(pg.mkPen(c.foreground))
            axis.setStyle(tickFont=tick_font)
            label = axis.label.toPlainText() if axis.label is not None else ""
            if label:
                axis.setLabel(label, **{"color": c.foreground, "font-size": f"{self.point_size(0.95):.0f}pt"})

    def media_icon(self, kind: str) -> QIcon:
        """A transport icon drawn in the theme's text colour: rewind, step_back, play, pause, step_forward, end."""
        size = 64
        pm = QPixmap(size, size)
        pm.fill(Qt.GlobalColor.transparent)
        p = QPainter(pm)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(self.colours.foreground))

        def tri(x0: float, x1: float) -> None:  # a triangle pointing from x0 to x1
            p.drawPolygon(QPolygonF([QPointF(x0, 14), QPointF(x0, 50), QPointF(x1, 32)]))

        def bar(x: float, w: float = 7) -> None:
            p.drawRect(QRectF(x, 14, w, 36))

        shapes = {
            "play": lambda: tri(18, 50),
            "pause": lambda: (bar(16, 11), bar(37, 11)),
            "step_forward": lambda: (tri(14, 42), bar(43)),
            "step_back": lambda: (tri(50, 22), bar(14)),
            "end": lambda: (tri(6, 27), tri(27, 48), bar(49)),
            "rewind": lambda: (bar(8), tri(37, 16), tri(58, 37)),
        }
        shapes[kind]()
        p.end()
        return QIcon(pm)

    @staticmethod
    def diverging_map() -> pg.ColorMap:
        """Signed values around 0 (hidden state, cell state): CET-CBD1, blue-grey-yellow, safe for all."""
        return pg.colormap.get("CET-CBD1")

    @staticmethod
    def sequential_map() -> pg.ColorMap:
        """Values in 0 .. 1 (gates): viridis."""
        return pg.colormap.get("viridis")


_current: Theme | None = None


def current() -> Theme:
    """The application's Theme (made on first use)."""
    global _current
    if _current is None:
        _current = Theme()
    return _current


def install(scheme: str = "system", font_scale: float = 1.0) -> Theme:
    """Make and apply the application's Theme."""
    global _current
    _current = Theme(scheme, font_scale)
    _current.apply()
    return _current
