"""Presentation mode: the window as a lecturer shows it to a hall.

Full screen, the high-contrast theme, large fonts; no menu or status bar; only the controls and
plots the current lesson names; the lesson panel in its presentation layout (title, live
numbers, steps). Navigation is by keyboard alone: Page Down / Page Up (what presentation
clickers send) take the lesson's steps, Escape leaves and puts everything back as it was.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLabel

from simulator.lessons import Lesson

from .soon import soon

FONT_SCALE = 1.75  # at least this while presenting on a 1080-line screen (the back row of a 200-seat hall)
SMALL_SCREEN_FONT_SCALE = 1.4  # ... and on a 720-line projector, where 1.75 would not fit the window


def presentation_font_scale(screen_height: int) -> float:
    """The font scale for presenting on a screen this many pixels tall: FONT_SCALE from 1080 lines
    up, in proportion below that, never under SMALL_SCREEN_FONT_SCALE."""
    return round(max(SMALL_SCREEN_FONT_SCALE, FONT_SCALE * min(1.0, screen_height / 1080)), 2)


SCHEME = "contrast"
LESSON_WIDTH = 0.28  # share of the screen's width for the lesson panel
CONTROLS_WIDTH = 0.17  # at least; more if the controls need it at the large font
CELL_WIDTH = 0.24  # the left column when it also holds the cell drawing (LSTM and GRU lessons)
# the window's four plots, and the lesson plot names (simulator.lessons.PLOTS) each one shows
PLOT_NAMES = {"gradient": ("gradients",), "jacobian": ("jacobian",), "eigen": ("eigenvalues",),
              "states": ("hidden", "gates")}  # fmt: skip
TOOLBAR_CONTROLS = ("transport", "fold", "steps")
DIAGRAM_SHARE_ONE_ROW = 0.58  # of the diagram's and plots' height, for the diagram when the plots are one row
DOCK_TITLE = 1.15  # the docks' titles, bold, in the presentation's type (they stayed body size)


def _grid_position(plots, name: str) -> tuple[int, int, int, int]:
    """(row, column, row span, column span) of a plot in the plots panel's grid."""
    grid = plots.layout()
    return tuple(grid.getItemPosition(grid.indexOf(getattr(plots, name))))


class Presentation(QObject):
    """Enters and leaves presentation mode on a MainWindow, restoring what it changed."""

    active_changed = Signal(bool)

    def __init__(self, window, parent: QObject | None = None):
        super().__init__(parent or window)
        self.window = window
        self._saved: dict | None = None
        window.actions["leave_presentation"].setEnabled(False)
        window.lesson_panel.lesson_changed.connect(self._on_lesson_changed)
        # full screen arrives as a resize after _arrange has sized the docks (from the window's old,
        # remembered size): size them again from the size the window really has
        self._resized = QTimer(self)
        self._resized.setSingleShot(True)
        self._resized.setInterval(0)
        self._resized.timeout.connect(lambda: self._size_docks(self.window.lesson_panel.lesson))
        window.installEventFilter(self)
        self._titles: dict = {}  # dock -> the label that is its title bar while presenting
        window.theme.changed.connect(self._fit_titles)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Presenting, a resized window sizes the docks again (once the resizes have settled)."""
        if watched is self.window and event.type() == QEvent.Type.Resize and self.active:
            self._resized.start()  # (going full screen, the event can still carry the old size)
        return False

    @property
    def active(self) -> bool:
        """Whether the window is presenting."""
        return self._saved is not None

    @property
    def saved_font_scale(self) -> float:
        """The font scale the window goes back to on leaving (the current one when not presenting)."""
        return self._saved["font_scale"] if self._saved is not None else self.window.theme.font_scale

    @saved_font_scale.setter
    def saved_font_scale(self, scale: float) -> None:
        if self._saved is not None:
            self._saved["font_scale"] = float(scale)
        else:
            self.window.theme.set_font_scale(scale)

    def set_active(self, on: bool) -> None:
        """Enter (True) or leave (False) presentation mode."""
        on = bool(on)
        if on != self.active:
            self._enter() if on else self._leave()
        w = self.window
        with QSignalBlocker(w.actions["present"]):
            w.actions["present"].setChecked(self.active)
        w.actions["leave_presentation"].setEnabled(self.active)

    def toggle(self) -> None:
        """Enter or leave."""
        self.set_active(not self.active)

    # ---- entering and leaving ------------------------------------------------------------
    def _enter(self) -> None:
        w = self.window
        theme = w.theme
        w.narrow.leave()  # the two columns are the layout to come back to (a narrow window then goes one column)
        self._saved = {
            "scheme": theme.scheme,
            "font_scale": theme.font_scale,
            "dock_state": w.saveState(),
            "splitter": w.splitter.saveState(),
            "window_state": w.windowState(),
            "menubar": not w.menuBar().isHidden(),
            "statusbar": not w.statusBar().isHidden(),
            "toolbar": not w.toolbar.isHidden(),
            "plots": {name: not getattr(w.plots, name).isHidden() for name in PLOT_NAMES},
            "plots_panel": not w.plots.isHidden(),
            "captions": {name: not getattr(w.plots, name).caption_label.isHidden() for name in PLOT_NAMES},
            "grid": {name: _grid_position(w.plots, name) for name in PLOT_NAMES},
            "row_stretch": [w.plots.layout().rowStretch(row) for row in (0, 1)],
            "controls_min_width": w.controls_scroll.minimumWidth(),
        }
        theme.set_scheme(SCHEME)
        screen = w.screen() or QGuiApplication.primaryScreen()
        height = screen.availableGeometry().height() if screen is not None else 1080
        theme.set_font_scale(max(theme.font_scale, presentation_font_scale(height)))
        w.menuBar().hide()
        w.banner.set_compact(True)
        w.statusBar().hide()
        w.set_compact_toolbar(True)
        w.lesson_panel.set_presenting(True)
        w.showFullScreen()
        for dock in w.side_docks():
            label = QLabel(dock.windowTitle())
            label.setContentsMargins(6, 2, 6, 2)
            dock.setTitleBarWidget(label)
            self._titles[dock] = label
        self._fit_titles()
        self._arrange(w.lesson_panel.lesson)
        w.hide_stale_tab_bars()  # (a tab bar of the layout before stayed over a dock)
        with QSignalBlocker(w.actions["full_screen"]):
            w.actions["full_screen"].setChecked(True)
        w.setFocus(Qt.FocusReason.OtherFocusReason)  # Page Up/Down reach the window's shortcuts
        self.active_changed.emit(True)

    def _leave(self) -> None:
        w, saved = self.window, self._saved
        self._saved = None
        w.lesson_panel.set_presenting(False)
        w.banner.set_compact(False)
        for dock, label in self._titles.items():
            dock.setTitleBarWidget(None)
            label.deleteLater()
        self._titles.clear()
        w.theme.set_scheme(saved["scheme"])
        w.theme.set_font_scale(saved["font_scale"])
        w.menuBar().setVisible(saved["menubar"])
        w.statusBar().setVisible(saved["statusbar"])
        w.toolbar.setVisible(saved["toolbar"])
        w.set_compact_toolbar(False)
        grid = w.plots.layout()
        for row, stretch in enumerate(saved["row_stretch"]):
            grid.setRowStretch(row, stretch)
        for name, shown in saved["plots"].items():
            widget = getattr(w.plots, name)
            grid.removeWidget(widget)
            grid.addWidget(widget, *saved["grid"][name])
            widget.setVisible(shown)
            widget.caption_label.setVisible(saved["captions"][name])
        w.plots.setVisible(saved["plots_panel"])
        # the least width the controls had (the dock's saved size must fit it); they are measured again
        # once the widgets have the window's own font (w.controls_fit)
        w.controls_scroll.setMinimumWidth(saved["controls_min_width"])
        state = saved["window_state"]
        if state & Qt.WindowState.WindowFullScreen:
            w.showFullScreen()
        elif state & Qt.WindowState.WindowMaximized:
            w.showMaximized()
        else:
            w.showNormal()
        w.restore_docks(saved["dock_state"])
        w.splitter.restoreState(saved["splitter"])
        with QSignalBlocker(w.actions["full_screen"]):
            w.actions["full_screen"].setChecked(bool(state & Qt.WindowState.WindowFullScreen))
        w.narrow.timer.start()  # one column or two, and the toolbar, for the window's own size and font
        self.active_changed.emit(False)

    def _fit_titles(self) -> None:
        """The docks' titles at the presentation's type (and again after a font change while presenting)."""
        font = self.window.theme.font(DOCK_TITLE, bold=True)
        for label in self._titles.values():
            label.setFont(font)

    # ---- what shows -------------------------------------------------------------------------
    def _arrange(self, lesson: Lesson | None) -> None:
        """Only what the lesson names: its controls, its plots, the lesson panel beside them."""
        w = self.window
        named = set(lesson.plots) if lesson is not None else set()
        w.formula_dock.hide()
        w.lesson_dock.setVisible(lesson is not None)
        if lesson is not None:
            w.lesson_dock.setFloating(False)
            w.lesson_dock.raise_()
        training = getattr(w, "training_dock", None)
        if training is not None:  # a tab beside the lesson when the lesson trains; the lesson stays in front
            training.setVisible(lesson is not None and "train" in lesson.controls)
            w.lesson_dock.raise_()
        with_controls = w.controls.shows_any()
        w.controls_dock.setVisible(with_controls)
        gates = "gates" in named
        if gates:  # the cell drawing goes under the controls, so the lesson keeps the full height
            w.cell_dock.setFloating(False)
            w.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, w.cell_dock)
            if with_controls:
                w.splitDockWidget(w.controls_dock, w.cell_dock, Qt.Orientation.Vertical)
        w.cell_dock.setVisible(gates)
        if lesson is None:
            order = list(PLOT_NAMES)
        else:  # the lesson's plots, most important first
            order = [n for p in lesson.plots for n, names in PLOT_NAMES.items() if p in names]
            order = list(dict.fromkeys(order))
        self._grid(order)
        w.plots.setVisible(bool(order))
        controls = set(lesson.controls) if lesson is not None else set(TOOLBAR_CONTROLS)
        # the transport (play, timeline, verdict) whenever the screen animates: the diagram always does
        # (its playhead), the plots with it; a lesson that names no transport control (11) kept none
        animates = not w.diagram.isHidden() or bool(order)
        w.toolbar.setVisible(animates or bool(controls & set(TOOLBAR_CONTROLS)))

        self._size_docks(lesson)
        soon(self._size_docks, lesson)  # again once the new fonts and screen are laid out

    def _size_docks(self, lesson: Lesson | None) -> None:
        """The lesson panel about a third of the width, the controls as wide as they need at the large font."""
        w = self.window
        if not self.active or w.lesson_panel.lesson is not lesson:
            return
        with_controls = not w.controls_dock.isHidden()
        w.fit_remedy_status()  # in the controls when they show
        gates = not w.cell_dock.isHidden()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)  # measure the controls as shown now
        width, height = max(w.width(), 800), max(w.height(), 600)
        docks, sizes = [], []
        if lesson is not None:
            docks.append(w.lesson_dock)
            sizes.append(round(width * LESSON_WIDTH))
        if with_controls or gates:
            need = 0
            if with_controls:
                # as narrow as the lesson's controls can be at this font (their texts wrap), not the
                # least width the window gave all of them at its own font (382 px at 1280x720)
                scrollbar = w.style().pixelMetric(w.style().PixelMetric.PM_ScrollBarExtent)
                w.controls_fit.fit()
                need = w.controls_scroll.minimumWidth() + scrollbar
            docks.append(w.controls_dock if with_controls else w.cell_dock)
            sizes.append(max(round(width * (CELL_WIDTH if gates else CONTROLS_WIDTH)), need))
        if docks:
            w.resizeDocks(docks, sizes, Qt.Orientation.Horizontal)
        if gates and with_controls:
            top = min(w.controls.sizeHint().height() + 80, height * 11 // 20)
            w.resizeDocks([w.controls_dock, w.cell_dock], [top, height - top], Qt.Orientation.Vertical)
        self._size_diagram()

    def _size_diagram(self) -> None:
        """With one row of plots (one or two), the diagram half the height: its rows, not the width per
        step, limited its cells (lesson 1's five steps were drawn 39 px high, in the compact header)."""
        w = self.window
        shown = sum(not getattr(w.plots, name).isHidden() for name in PLOT_NAMES)
        total = sum(w.splitter.sizes())
        if w.plots.isHidden() or not 0 < shown <= 2 or total <= 0:
            return
        top = round(DIAGRAM_SHARE_ONE_ROW * total)
        if abs(w.splitter.sizes()[0] - top) > 2:
            w.splitter.setSizes([top, total - top])

    def _grid(self, order: list[str]) -> None:
        """The plots named, in order, filling the grid: one row for one or two; for three, the first one wide."""
        w = self.window
        grid = w.plots.layout()
        spots = {1: [(0, 0, 1, 2)], 2: [(0, 0, 1, 1), (0, 1, 1, 1)], 3: [(0, 0, 1, 2), (1, 0, 1, 1), (1, 1, 1, 1)],
                 4: [(0, 0, 1, 1), (0, 1, 1, 1), (1, 0, 1, 1), (1, 1, 1, 1)]}  # fmt: skip
        for row in (0, 1):
            grid.setRowStretch(row, 1 if len(order) > 2 or row == 0 else 0)
        for name in PLOT_NAMES:
            widget = getattr(w.plots, name)
            grid.removeWidget(widget)
            widget.hide()
            widget.caption_label.hide()  # the lecturer says it; the plot gets the room
        for name, spot in zip(order, spots.get(len(order), [])):
            widget = getattr(w.plots, name)
            grid.addWidget(widget, *spot)
            widget.show()

    def _on_lesson_changed(self, lesson: Lesson | None) -> None:
        if self.active:
            self._arrange(lesson)
